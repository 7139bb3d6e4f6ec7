//! The partner configuration against Graph as it really behaves, with the care the identity
//! synchronization policy gets: a create whose answer is lost, a replacement while reads lag,
//! a refresh whose deadline ends inside the consistency window. Asserted on the simulator's
//! request log, on every Terraform version.

use std::time::Duration;

use msgraph_sim::{Fault, FaultKind};
use serde_json::json;

use crate::access_partner::{partner_hcl, partner_path, CONSENT_IN};
use crate::harness::config::{self, hcl_string};
use crate::harness::{for_each_terraform, graph_error, status, Check, Scenario, Step};
use crate::reliability::statuses;

const T1: &str = "3f6a2c1e-8b4d-4e9a-a7c2-5d1e9b3f6a08";
const T2: &str = "a9d4e7b2-1c3f-4b6a-8e5d-7f2a9c4b1e36";
const P: &str = "msgraph_cross_tenant_access_partner.p";
const Q: &str = "msgraph_cross_tenant_access_partner.q";

/// A fault on POSTs to the partners collection, fired once.
fn post_fault(kind: FaultKind) -> Fault {
    Fault {
        method: Some("POST".into()),
        path_contains: Some("crossTenantAccessPolicy/partners".into()),
        times: 1,
        kind,
    }
}

fn partner(name: &str, tenant: &str) -> String {
    partner_hcl(name, &hcl_string(tenant), &[CONSENT_IN])
}

/// Statuses of the GETs of `tenant`'s partner configuration, in order.
fn partner_gets(s: &Scenario, tenant: &str) -> Vec<u16> {
    let path = partner_path(tenant);
    s.graph_calls()
        .iter()
        .filter(|c| c.method == "GET" && c.path.eq_ignore_ascii_case(&path))
        .map(|c| c.status)
        .collect()
}

/// Graph applied the POST, then its answer was lost (reset, or a gateway's 504): the provider
/// reads the partner back (through the read lag) and records it; one partner in Graph.
#[test]
fn a_partner_create_whose_answer_is_lost_is_recorded_once() {
    for_each_terraform(|s| {
        s.sim.set_consistency_delay(Duration::from_secs(2));
        s.sim
            .inject(post_fault(FaultKind::ApplyThen(Box::new(FaultKind::Reset))));
        s.step(Step::new(s.file(&[partner("p", T1)])).check(Check::attr(
            P,
            "automatic_user_consent_settings.inbound_allowed",
            json!(true),
        )));
        s.expect_eq("POST statuses", statuses(s, "POST")[0], 0);
        let gets = partner_gets(s, T1);
        s.expect(
            gets.first() == Some(&404) && gets.last() == Some(&200),
            &format!("GETs after the lost answer: {gets:?} (lagging 404s, then 200)"),
        );
        s.expect(
            s.sim.partner_config(T1).is_some_and(|p| {
                p["automaticUserConsentSettings"]["inboundAllowed"] == json!(true)
            }),
            "Graph holds the partner as configured",
        );

        // the same with a 504 from the gateway after Graph did the work
        s.sim.clear_requests();
        s.sim
            .inject(post_fault(FaultKind::ApplyThen(Box::new(status(
                504, None, None,
            )))));
        s.step(
            Step::new(s.file(&[partner("p", T1), partner("q", T2)]))
                .check(Check::present(P))
                .check(Check::present(Q)),
        );
        let posts = statuses(s, "POST");
        s.expect_eq("first POST status", posts[0], 504);
        s.expect(
            posts.iter().filter(|&&c| c == 201).count() <= 1,
            &format!("at most one POST created it: {posts:?}"),
        );
        s.expect(s.sim.partner_config(T2).is_some(), "Graph holds the second");
        s.sim.catch_up();
        s.expect_empty_plan();
        s.destroy_and_check(&[]);
        s.expect(
            s.sim.partner_config(T1).is_none() && s.sim.partner_config(T2).is_none(),
            "destroy removed both",
        );
    });
}

/// `apply -replace` while reads lag: the delete waits until GET says 404 (a 200 right after
/// our DELETE is stale), then the create.
#[test]
fn replace_of_a_partner_while_reads_lag_succeeds() {
    for_each_terraform(|s| {
        s.step(Step::new(s.file(&[partner("p", T1)])).check(Check::present(P)));
        s.replace_while_reads_lag(P, Duration::from_secs(2), "POST");
        s.expect_eq("DELETE statuses", statuses(s, "DELETE"), vec![204]);
        s.expect_eq("POST statuses", statuses(s, "POST"), vec![201]);
        s.expect(
            s.sim.partner_config(T1).is_some(),
            "Graph holds the new one",
        );
    });
}

/// A refresh whose read deadline ends while Graph still answers 404 for the partner we just
/// created keeps it in the state, with an error explaining why.
#[test]
fn a_refresh_whose_read_deadline_ends_in_the_window_keeps_the_partner() {
    for_each_terraform(|s| {
        s.apply_with_reads_lagging(&partner("p", T1));
        s.expect_lagging_read_keeps(P, "partner");
        s.expect_eq("POSTs", statuses(s, "POST"), vec![201]);
    });
}

/// A second pipeline step seconds after the create, without refresh: the replica serving the
/// PATCH has not seen the create yet and answers 404; inside the window it is sent again.
#[test]
fn a_partner_patch_answered_404_right_after_our_create_is_retried() {
    for_each_terraform(|s| {
        let trust = "  inbound_trust {\n    is_mfa_accepted = true\n  }";
        s.change_right_after_create(
            &partner("p", T1),
            Fault {
                method: Some("PATCH".into()),
                path_contains: Some("crossTenantAccessPolicy/partners".into()),
                times: 2,
                kind: status(404, None, None),
            },
            &partner_hcl("p", &hcl_string(T1), &[CONSENT_IN, trust]),
        );
        s.expect_eq("PATCH statuses", statuses(s, "PATCH"), vec![404, 404, 204]);
        s.expect(
            s.sim
                .partner_config(T1)
                .is_some_and(|p| p["inboundTrust"]["isMfaAccepted"] == json!(true)),
            "Graph holds the change",
        );
        s.expect_empty_plan();
    });
}

/// The default settings always exist: right after our PATCH, reads may still show the values
/// from before. A refresh whose deadline ends then keeps what we wrote.
#[test]
fn a_default_settings_refresh_in_the_window_keeps_what_we_wrote() {
    for_each_terraform(|s| {
        const D: &str = "msgraph_cross_tenant_access_default.d";
        s.apply_with_reads_lagging(&format!(
            "resource \"msgraph_cross_tenant_access_default\" \"d\" {{\n{CONSENT_IN}\n}}\n"
        ));
        let out = s.tf(&["plan", "-detailed-exitcode", "-input=false"]);
        s.expect_eq("plan exit code inside the window", out.code(), 1);
        s.expect_output_contains(&out, &["still shows the values from before"]);
        s.expect_eq(
            "state keeps what we wrote",
            s.state()
                .attr(D, "automatic_user_consent_settings.inbound_allowed"),
            Some(json!(true)),
        );
        s.sim.catch_up();
        s.expect_eq("plan once Graph caught up", s.plan_exit_code(&[]), 0);
        s.expect_eq("default PATCHes", statuses(s, "PATCH"), vec![204]);
    });
}

/// A partner created moments ago is not readable yet: a data source reading the partner this
/// apply just created, and an import right after someone else's create, ask again through the
/// consistency window instead of saying it does not exist.
#[test]
fn a_partner_created_moments_ago_is_read_and_imported_through_the_lag() {
    for_each_terraform(|s| {
        s.sim.set_consistency_delay(Duration::from_secs(3));
        let d = "data.msgraph_cross_tenant_access_partner.d";
        let data = format!(
            "data \"msgraph_cross_tenant_access_partner\" \"d\" {{\n  tenant_id = {P}.tenant_id\n}}\n"
        );
        let inbound = "automatic_user_consent_settings.inbound_allowed";
        let outputs = config::outputs(d, &[("inbound", inbound)]);
        s.dir
            .write_config(&s.file(&[vec![partner("p", T1), data], outputs].concat()));
        s.tf_ok(&["apply", "-auto-approve", "-input=false"]);
        s.expect_eq(
            "the data source read the new partner",
            s.state().output("inbound"),
            Some(&json!(true)),
        );
        let gets = partner_gets(s, T1);
        s.expect(
            gets.contains(&404) && gets.last() == Some(&200),
            &format!("the data source asked again after a lagging 404: GETs {gets:?}"),
        );

        // An import right after the partner was created elsewhere: the first GET lags.
        s.sim.catch_up();
        let cfg = s.file(&[partner("p", T1)]);
        s.dir.write_config(&cfg);
        // drops the data source and its output from the state (1.0.3 keeps them otherwise)
        s.tf_ok(&["apply", "-auto-approve", "-input=false"]);
        s.tf_ok(&["state", "rm", P]);
        s.sim.clear_requests();
        s.sim.inject(Fault {
            method: Some("GET".into()),
            path_contains: Some("crossTenantAccessPolicy/partners".into()),
            times: 1,
            kind: status(
                404,
                None,
                Some(graph_error(
                    "Request_ResourceNotFound",
                    &format!("Resource '{T1}' does not exist or one of its queried reference-property objects are not present."),
                )),
            ),
        });
        s.tf_ok(&["import", "-input=false", P, T1]);
        // the import's lagging 404 and its second ask, then Terraform's read of what it imported
        s.expect_eq("import GETs", partner_gets(s, T1), vec![404, 200, 200]);
        s.expect_eq("imported", s.state().attr(P, inbound), Some(json!(true)));
        s.expect_empty_plan();
        s.destroy_and_check(&[]);
    });
}
