//! The provider against Graph as Microsoft documents it: PUT on an existing policy is
//! 409, a missing policy is 404 Directory_ObjectNotFound, reads lag writes, answers get lost,
//! gateways send `Retry-After: 0`.

use std::time::Duration;

use msgraph_sim::FaultKind;
use serde_json::json;

use crate::harness::config;
use crate::harness::{
    fault, for_each_terraform, graph_error, graph_policy, status, Check, Scenario, Step,
};
use crate::reliability::statuses;

const T1: &str = "5b8d2f0e-3c4a-4e7b-9f1d-2a6c8e0b4d17";
const T2: &str = "c7e1a9d3-6b2f-4a58-8e0c-1d3f5b7a9c24";
const X: &str = "msgraph_cross_tenant_identity_sync.x";
const Y: &str = "msgraph_cross_tenant_identity_sync.y";

/// The output of the last command that failed.
fn last_failure(s: &Scenario) -> String {
    s.history()
        .into_iter()
        .rev()
        .find(|o| !o.success())
        .map(|o| o.combined())
        .unwrap_or_default()
}

fn directory_object_not_found() -> FaultKind {
    status(
        404,
        None,
        Some(graph_error(
            "Directory_ObjectNotFound",
            "Unable to read the company information from the directory.",
        )),
    )
}

#[test]
fn a_create_whose_answer_is_lost_is_recorded_once() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.sim.add_partner(T2);
        s.sim.set_consistency_delay(Duration::from_secs(3));
        // Graph applies the PUT, then the connection is reset; the retried PUT meets the policy
        // (409) while reads still say 404.
        s.sim.inject(fault(
            "PUT",
            1,
            FaultKind::ApplyThen(Box::new(FaultKind::Reset)),
        ));
        s.step(
            Step::new(s.file(&[config::resource("x", T1, Some("A"), true)])).check(Check::attr(
                X,
                "display_name",
                json!("A"),
            )),
        );
        s.expect_eq("PUT statuses", statuses(s, "PUT"), vec![0, 409]);
        s.expect_policy(T1, Some("A"), true);

        // the same with a 504 from the gateway after Graph did the work
        s.sim.clear_requests();
        s.sim.inject(fault(
            "PUT",
            1,
            FaultKind::ApplyThen(Box::new(status(504, None, None))),
        ));
        s.step(
            Step::new(s.file(&[
                config::resource("x", T1, Some("A"), true),
                config::resource("y", T2, None, false),
            ]))
            .check(Check::present(X))
            .check(Check::attr(
                Y,
                "user_sync_inbound.is_sync_allowed",
                json!(false),
            )),
        );
        s.expect_eq("PUT statuses", statuses(s, "PUT"), vec![504, 409]);
        s.expect_policy(T2, None, false);
        s.destroy_and_check(&[T1, T2]);
    });
}

#[test]
fn a_create_whose_answer_never_comes_before_its_timeout_is_recorded() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.sim.set_consistency_delay(Duration::from_secs(3));
        // Graph applies the PUT, the answer never comes: the create timeout ends the request
        s.sim.inject(fault(
            "PUT",
            1,
            FaultKind::ApplyThen(Box::new(FaultKind::Hang)),
        ));
        let resource = config::with_timeouts(
            &config::resource("x", T1, Some("A"), true),
            &[("create", "5s")],
        );
        s.step(Step::new(s.file(&[resource])).check(Check::attr(X, "display_name", json!("A"))));
        s.expect_eq("PUT statuses", statuses(s, "PUT"), vec![0]);
        s.expect_policy(T1, Some("A"), true);
    });
}

#[test]
fn replace_while_reads_lag_keeps_the_policy() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        let cfg = s.file(&[config::resource("x", T1, Some("A"), true)]);
        s.step(Step::new(cfg.clone()).check(Check::present(X)));
        // after the DELETE, reads are asked until they say 404, before the create's check
        s.replace_while_reads_lag(X, Duration::from_secs(3), "PUT");
        s.expect_policy(T1, Some("A"), true);
        s.expect_eq(
            "writes",
            statuses(s, "DELETE").len() + statuses(s, "PUT").len(),
            2,
        );
        s.expect_eq("PUT statuses", statuses(s, "PUT"), vec![204]);
        s.expect(s.state().values(X).is_some(), "the policy is tracked");
    });
}

#[test]
fn a_refresh_whose_read_deadline_ends_in_the_window_keeps_the_policy() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.apply_with_reads_lagging(&config::resource("x", T1, Some("A"), true));
        // Graph still answers 404 for the new policy when the read deadline comes
        s.expect_lagging_read_keeps(X, "policy");
        s.expect_eq("PUTs", statuses(s, "PUT"), vec![204]);
    });
}

#[test]
fn a_patch_answered_404_right_after_our_create_is_retried() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        let out = s.change_right_after_create(
            &config::resource("x", T1, Some("A"), true),
            fault("PATCH", 2, directory_object_not_found()),
            &config::resource("x", T1, Some("B"), true),
        );
        s.expect(
            !out.combined().contains("deleted outside Terraform"),
            "not reported as deleted outside Terraform",
        );
        s.expect_eq("PATCH statuses", statuses(s, "PATCH"), vec![404, 404, 204]);
        s.expect_policy(T1, Some("B"), true);
        s.expect_empty_plan();
    });
}

#[test]
fn retry_after_zero_waits_the_backoff_and_keeps_the_last_request_id() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.step(Step::new(s.file(&[config::resource(
            "x",
            T1,
            Some("A"),
            true,
        )])));
        s.sim.clear_requests();
        s.sim
            .inject(fault("PATCH", 1000, status(429, Some("0"), None)));
        let resource = config::with_timeouts(
            &config::resource("x", T1, Some("B"), true),
            &[("update", "8s")],
        );
        s.step(Step::new(s.file(&[resource])).expect_error(&["TooManyRequests", "request-id"]));
        let patches = statuses(s, "PATCH").len();
        // backoff 1 s, 2 s, 4 s (each +-20 %) fits at most 5 attempts in 8 s; without the floor
        // a gateway's `Retry-After: 0` gave 181
        s.expect(
            (2..=5).contains(&patches),
            &format!("{patches} PATCH attempts in 8 s"),
        );
        s.expect(
            s.sim
                .requests()
                .iter()
                .filter(|r| r.method == "PATCH")
                .filter_map(|r| r.header("client-request-id"))
                .count()
                == patches,
            "every attempt carried a client-request-id",
        );
        s.expect_policy(T1, Some("A"), true);
    });
}

#[test]
fn a_put_409_for_someone_elses_policy_says_import_it() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        // someone else created a policy; our check still reads 404 (a lagging replica)
        s.sim
            .set_policy(T1, graph_policy(T1, Some("Theirs"), false));
        s.sim.inject(fault("GET", 1, directory_object_not_found()));
        s.step(
            Step::new(s.file(&[config::resource("x", T1, Some("Ours"), true)]))
                .expect_error(&[
                    "already exists",
                    &format!("terraform import {}.example {T1}", config::RESOURCE),
                    "Theirs",
                ])
                .check(Check::absent(X)),
        );
        let text = last_failure(s);
        s.expect(!text.contains("run again"), "no advice to just run again");
        s.expect_eq("PUT statuses", statuses(s, "PUT"), vec![409]);
        s.expect_policy(T1, Some("Theirs"), false);
    });
}

#[test]
fn a_policy_without_user_sync_inbound_names_the_field() {
    for_each_terraform(|s| {
        s.sim.set_policy(
            T1,
            json!({"tenantId": T1, "displayName": "Support", "userSyncInbound": null}),
        );
        s.dir.write_config(&s.file(&[config::data_source("d", T1)]));
        let out = s.tf_err(&["plan", "-input=false"]);
        s.expect_output_contains(&out, &["userSyncInbound", "not a temporary error"]);
        s.expect(
            !out.combined().contains("usually temporary"),
            "not called temporary",
        );
        // no tenantId in the answer: the tenant of the URL
        s.sim.set_policy(
            T1,
            json!({"displayName": "Support", "userSyncInbound": {"isSyncAllowed": true}}),
        );
        let cfg = s.file(&[
            config::data_source("d", T1),
            config::output(
                "name",
                "data.msgraph_cross_tenant_identity_sync.d.display_name",
            ),
        ]);
        s.step(Step::new(cfg).check(Check::output("name", json!("Support"))));
    });
}

#[test]
fn a_data_source_reading_a_policy_created_moments_ago_waits_for_it() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.sim.set_consistency_delay(Duration::from_secs(3));
        let data = format!(
            "data \"{}\" \"d\" {{\n  tenant_id = {}.tenant_id\n\n  timeouts {{\n    read = \"5m\"\n  }}\n}}\n",
            config::RESOURCE,
            X
        );
        let cfg = s.file(&[
            config::resource("x", T1, Some("A"), true),
            data,
            config::output("name", &format!("data.{}.d.display_name", config::RESOURCE)),
        ]);
        s.dir.write_config(&cfg);
        s.tf_ok(&["apply", "-auto-approve", "-input=false"]);
        s.expect(
            s.state().output("name") == Some(&json!("A")),
            "the data source read the new policy",
        );
        let gets: Vec<u16> = statuses(s, "GET");
        s.expect(
            gets.contains(&404) && gets.last() == Some(&200),
            &format!("the data source asked again after a lagging 404: GETs {gets:?}"),
        );
    });
}
