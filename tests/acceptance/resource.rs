//! The identity sync resource's scenarios on every Terraform version, asserted on the simulator's requests.

use serde_json::json;

use crate::harness::config::{self, Secret};
use crate::harness::{
    fault, for_each_terraform, graph_error, graph_policy, policy_body, policy_path, status, Call,
    Check, Scenario, Step, RESOURCE,
};

const T1: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";
const T2: &str = "3d0f5dba-6a38-4c8e-9d1e-2b8f6e4a7c51";
const X: &str = "msgraph_cross_tenant_identity_sync.x";

/// main.tf with one resource `x`.
fn one(s: &Scenario, tenant_id: &str, display_name: Option<&str>, allowed: bool) -> String {
    s.file(&[config::resource("x", tenant_id, display_name, allowed)])
}

fn patch(tenant_id: &str, body: serde_json::Value) -> Call {
    Call::new("PATCH", &policy_path(tenant_id), 204, Some(body))
}

#[test]
fn create_gets_then_puts_the_full_body_and_plans_empty() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        let cfg = one(s, T1, Some("Contoso"), true);
        s.step(
            Step::new(cfg.clone())
                .check(Check::attr(X, "id", json!(T1)))
                .check(Check::attr(X, "tenant_id", json!(T1)))
                .check(Check::attr(X, "display_name", json!("Contoso")))
                .check(Check::attr(
                    X,
                    "user_sync_inbound.is_sync_allowed",
                    json!(true),
                )),
        );
        let calls = s.graph_calls();
        let path = policy_path(T1);
        s.expect_eq(
            "the first Graph calls of a create",
            calls.iter().take(2).cloned().collect::<Vec<_>>(),
            vec![
                Call::new("GET", &path, 404, None),
                Call::new("PUT", &path, 204, Some(policy_body(Some("Contoso"), true))),
            ],
        );
        s.expect_eq(
            "Graph writes of create + two empty plans",
            s.write_calls(),
            vec![Call::new(
                "PUT",
                &path,
                204,
                Some(policy_body(Some("Contoso"), true)),
            )],
        );
        s.expect_policy(T1, Some("Contoso"), true);
        s.import_verify(X, T1, &cfg);
    });
}

#[test]
fn destroy_deletes_the_policy() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.step(Step::new(one(s, T1, Some("Contoso"), true)));
        s.sim.clear_requests();
        s.destroy_and_check(&[T1]);
        s.expect_eq(
            "Graph writes of destroy",
            s.write_calls(),
            vec![Call::new("DELETE", &policy_path(T1), 204, None)],
        );
    });
}

#[test]
fn each_attribute_change_patches_only_that_attribute() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.step(Step::new(one(s, T1, Some("A"), true)));

        s.sim.clear_requests();
        s.step(Step::new(one(s, T1, Some("B"), true)).check(Check::attr(
            X,
            "display_name",
            json!("B"),
        )));
        s.expect_eq(
            "writes for a display_name change",
            s.write_calls(),
            vec![patch(T1, json!({"displayName": "B"}))],
        );

        s.sim.clear_requests();
        s.step(Step::new(one(s, T1, Some("B"), false)).check(Check::attr(
            X,
            "user_sync_inbound.is_sync_allowed",
            json!(false),
        )));
        s.expect_eq(
            "writes for a user_sync_inbound change",
            s.write_calls(),
            vec![patch(
                T1,
                json!({"userSyncInbound": {"isSyncAllowed": false}}),
            )],
        );

        s.sim.clear_requests();
        s.step(Step::new(one(s, T1, Some("C"), true)));
        s.expect_eq(
            "writes for a change of both",
            s.write_calls(),
            vec![patch(
                T1,
                json!({"displayName": "C", "userSyncInbound": {"isSyncAllowed": true}}),
            )],
        );
        s.expect_policy(T1, Some("C"), true);

        // nothing changed: no request that writes
        s.sim.clear_requests();
        s.step(Step::new(one(s, T1, Some("C"), true)));
        s.expect_eq("writes when nothing changed", s.write_calls(), vec![]);
    });
}

#[test]
fn drift_in_graph_shows_in_the_plan_and_apply_fixes_it() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        let cfg = one(s, T1, Some("Contoso"), true);
        s.step(Step::new(cfg.clone()));
        s.sim
            .set_policy(T1, graph_policy(T1, Some("Changed in the portal"), false));

        let plan = s.saved_plan(&[]);
        s.expect_eq(
            "planned actions after drift",
            plan.actions(X),
            vec!["update".to_string()],
        );
        s.expect_eq(
            "display_name before",
            plan.before(X, "display_name"),
            json!("Changed in the portal"),
        );
        s.expect_eq(
            "display_name after",
            plan.after(X, "display_name"),
            json!("Contoso"),
        );
        s.expect_eq(
            "is_sync_allowed before",
            plan.before(X, "user_sync_inbound.is_sync_allowed"),
            json!(false),
        );

        s.sim.clear_requests();
        s.step(Step::new(cfg));
        s.expect_eq(
            "writes fixing the drift",
            s.write_calls(),
            vec![patch(
                T1,
                json!({"displayName": "Contoso", "userSyncInbound": {"isSyncAllowed": true}}),
            )],
        );
        s.expect_policy(T1, Some("Contoso"), true);
    });
}

#[test]
fn deleted_outside_terraform_plans_a_create() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        let cfg = one(s, T1, Some("Contoso"), true);
        s.step(Step::new(cfg.clone()));
        s.sim.remove_policy(T1);

        let plan = s.saved_plan(&[]);
        s.expect_eq(
            "planned actions after deletion",
            plan.actions(X),
            vec!["create".to_string()],
        );

        s.sim.clear_requests();
        s.step(Step::new(cfg).check(Check::present(X)));
        s.expect_eq(
            "writes re-creating it",
            s.write_calls(),
            vec![Call::new(
                "PUT",
                &policy_path(T1),
                204,
                Some(policy_body(Some("Contoso"), true)),
            )],
        );
    });
}

#[test]
fn import_then_the_plan_is_empty() {
    for_each_terraform(|s| {
        s.sim
            .set_policy(T1, graph_policy(T1, Some("Existing"), true));
        let cfg = one(s, T1, Some("Existing"), true);
        s.dir.write_config(&cfg);
        s.tf_ok(&["import", "-input=false", X, T1]);
        s.expect_empty_plan();
        s.expect_checks(
            &s.state(),
            &[
                Check::attr(X, "tenant_id", json!(T1)),
                Check::attr(X, "display_name", json!("Existing")),
                Check::attr(X, "user_sync_inbound.is_sync_allowed", json!(true)),
            ],
        );
        if s.tf.at_least(1, 5) {
            s.import_block(X, T1, &cfg);
        }
        s.expect_eq("Graph writes of import", s.write_calls(), vec![]);
    });
}

#[test]
fn import_of_a_nonexistent_or_malformed_id_fails_clearly() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.dir.write_config(&one(s, T1, Some("Contoso"), true));
        let out = s.tf_err(&["import", "-input=false", X, T1]);
        let text = out.combined().to_lowercase();
        s.expect(
            ["non-existent", "does not exist", "not found", "no policy"]
                .iter()
                .any(|n| text.contains(n)),
            "importing a policy that does not exist says it does not exist",
        );
        s.expect(
            s.state().values(X).is_none(),
            "a failed import leaves nothing in the state",
        );

        s.sim.clear_requests();
        let out = s.tf_err(&["import", "-input=false", X, "not-a-guid"]);
        s.expect_output_contains(&out, &["not-a-guid"]);
        s.expect_eq(
            "Graph requests for a malformed import id",
            s.graph_calls(),
            vec![],
        );
    });
}

#[test]
fn create_when_the_policy_exists_shows_the_import_command() {
    for_each_terraform(|s| {
        s.sim
            .set_policy(T1, graph_policy(T1, Some("Made elsewhere"), false));
        s.step(
            Step::new(one(s, T1, Some("Contoso"), true))
                .expect_error(&[&format!("terraform import {RESOURCE}."), T1])
                .check(Check::absent(X)),
        );
        s.expect_eq("Graph writes", s.write_calls(), vec![]);
        s.expect_policy(T1, Some("Made elsewhere"), false);
    });
}

#[test]
fn create_without_a_partner_configuration_explains_it() {
    for_each_terraform(|s| {
        s.step(
            Step::new(one(s, T1, Some("Contoso"), true))
                .expect_error(&["partner configuration"])
                .check(Check::absent(X)),
        );
        let puts: Vec<u16> = s
            .write_calls()
            .iter()
            .filter(|c| c.method == "PUT")
            .map(|c| c.status)
            .collect();
        s.expect_eq("PUT statuses", puts, vec![404]);
        s.expect(s.sim.policy(T1).is_none(), "no policy was created");
    });
}

#[test]
fn tenant_id_change_replaces_the_policy() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.sim.add_partner(T2);
        s.step(Step::new(one(s, T1, Some("Contoso"), true)));

        let cfg = one(s, T2, Some("Contoso"), true);
        s.dir.write_config(&cfg);
        let human = s.tf_ok(&["plan", "-input=false"]);
        s.expect_output_contains(&human, &["forces replacement"]);
        let plan = s.saved_plan(&[]);
        s.expect_eq(
            "planned actions",
            plan.actions(X),
            vec!["delete".to_string(), "create".to_string()],
        );
        if let Some(paths) = plan.replace_paths(X) {
            s.expect(
                paths.contains(&json!(["tenant_id"])),
                "tenant_id is a replace path",
            );
        }

        s.sim.clear_requests();
        s.step(Step::new(cfg).check(Check::attr(X, "tenant_id", json!(T2))));
        let writes: Vec<(String, String, u16)> = s
            .write_calls()
            .into_iter()
            .map(|c| (c.method, c.path, c.status))
            .collect();
        s.expect_eq(
            "writes of the replacement",
            writes,
            vec![
                ("DELETE".to_string(), policy_path(T1).to_lowercase(), 204),
                ("PUT".to_string(), policy_path(T2).to_lowercase(), 204),
            ],
        );
        s.expect(s.sim.policy(T1).is_none(), "the old policy is gone");
        s.expect_policy(T2, Some("Contoso"), true);
    });
}

#[test]
fn upper_case_guid_in_config_has_no_diff() {
    let upper = T1.to_uppercase();
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.step(
            Step::new(one(s, &upper, Some("Contoso"), true)).check(Check::attr(
                X,
                "tenant_id",
                json!(upper),
            )),
        );
        s.expect_policy(T1, Some("Contoso"), true);
    });
}

#[test]
fn invalid_guid_fails_at_validate_and_plan_without_requests() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        for bad in ["not-a-guid", "", "90e29127-71ad-49c7-9ce8-db3f41ea06f"] {
            s.dir.write_config(&one(s, bad, Some("Contoso"), true));
            // the snippet line proves the diagnostic carries the tenant_id attribute path
            let snippet = format!("tenant_id = {}", config::hcl_string(bad));
            let out = s.tf_err(&["validate"]);
            s.expect_output_contains(&out, &[&snippet]);
            let out = s.tf_err(&["plan", "-input=false"]);
            s.expect_output_contains(&out, &[&snippet]);
        }
        s.expect_eq("Graph requests", s.graph_calls(), vec![]);
    });
}

#[test]
fn unknown_tenant_id_at_plan_plans_cleanly() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.sim.add_partner(T2);
        // timestamp() is unknown until apply on every Terraform version
        let unknown = format!("\"{T2}${{substr(timestamp(), 0, 0)}}\"");
        s.dir.write_config(&s.file(&[
            config::resource("x", T1, Some("X"), true),
            config::resource_expr("y", &unknown, Some("Y"), true),
        ]));
        let plan = s.saved_plan(&[]);
        let y = "msgraph_cross_tenant_identity_sync.y";
        s.expect(
            plan.after_unknown(y, "tenant_id"),
            "y's tenant_id is unknown at plan",
        );
        s.expect_eq(
            "y's planned actions",
            plan.actions(y),
            vec!["create".to_string()],
        );
        s.tf_ok(&["apply", "-input=false", "tfplan"]);
        s.expect_policy(T2, Some("Y"), true);

        // the same value spelled literally converges to an empty plan
        s.step(
            Step::new(s.file(&[
                config::resource("x", T1, Some("X"), true),
                config::resource("y", T2, Some("Y"), true),
            ]))
            .check(Check::attr(y, "tenant_id", json!(T2))),
        );
    });
}

#[test]
fn unset_display_name_is_null_then_refresh_takes_graphs_value() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        let cfg = one(s, T1, None, true);
        s.step(Step::new(cfg.clone()).check(Check::attr(X, "display_name", json!(null))));
        let puts: Vec<Call> = s
            .write_calls()
            .into_iter()
            .filter(|c| c.method == "PUT")
            .collect();
        s.expect_eq("number of PUTs", puts.len(), 1);
        let body = puts[0].body.clone().unwrap_or_default();
        s.expect_eq(
            "PUT userSyncInbound",
            body.get("userSyncInbound").cloned(),
            Some(json!({"isSyncAllowed": true})),
        );
        s.expect(
            body.get("displayName").is_none_or(|d| d.is_null()),
            "an unset display_name is not sent as a value",
        );

        s.sim
            .set_policy(T1, graph_policy(T1, Some("Named in Graph"), true));
        s.expect_eq(
            "plan exit code after Graph named it",
            s.plan_exit_code(&[]),
            0,
        );
        s.tf_ok(&["apply", "-refresh-only", "-auto-approve", "-input=false"]);
        s.expect_eq(
            "display_name after refresh",
            s.state().attr(X, "display_name"),
            Some(json!("Named in Graph")),
        );
        s.expect_empty_plan();
        s.expect_eq(
            "PATCHes",
            s.write_calls()
                .into_iter()
                .filter(|c| c.method == "PATCH")
                .count(),
            0,
        );
    });
}

#[test]
fn graph_403_names_the_permission() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        let denied = graph_error(
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
        for verb in ["GET", "PUT"] {
            s.sim
                .inject(fault(verb, 5, status(403, None, Some(denied.clone()))));
        }
        s.step(
            Step::new(one(s, T1, Some("Contoso"), true))
                .expect_error(&[
                    "Policy.ReadWrite.CrossTenantAccess",
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                ])
                .check(Check::absent(X)),
        );
    });
}

#[test]
fn wrong_client_secret_shows_aadsts_and_never_the_secret() {
    const WRONG: &str = "Wr0ng~Secret.Value-7f3c9a1e5d";
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.dir.set_env("TF_VAR_client_secret", WRONG);
        let cfg = config::file_with(
            &s.url,
            &Secret::Variable,
            &[config::resource("x", T1, Some("Contoso"), true)],
        );
        s.step(
            Step::new(cfg)
                .expect_error(&["AADSTS7000215"])
                .check(Check::absent(X)),
        );
        s.expect(
            !s.token_requests().is_empty(),
            "the provider asked for a token",
        );
        s.expect_never_printed(WRONG, "the client secret");
        s.expect_eq("Graph requests", s.graph_calls(), vec![]);
    });
}
