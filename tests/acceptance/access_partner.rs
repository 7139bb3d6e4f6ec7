//! The `msgraph_cross_tenant_access_partner` scenarios on every Terraform version,
//! asserted on the simulator's requests: create, empty plan, each block changed alone, a block
//! removed (null sent), drift, 404 on read, import, data source, destroy, and the ordering with
//! the identity sync policy under it.

use serde_json::{json, Value};

use crate::harness::config::{self, hcl_string};
use crate::harness::{for_each_terraform, graph_policy, policy_path, Call, Check, Scenario, Step};

pub const T1: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";
const P: &str = "msgraph_cross_tenant_access_partner.p";

pub fn partner_path(tenant_id: &str) -> String {
    format!("/v1.0/policies/crossTenantAccessPolicy/partners/{tenant_id}")
}

/// A partner resource `name` with raw HCL `blocks` inside.
pub fn partner_hcl(name: &str, tenant_expr: &str, blocks: &[&str]) -> String {
    let mut out = format!(
        "resource \"msgraph_cross_tenant_access_partner\" \"{name}\" {{\n  tenant_id = {tenant_expr}\n"
    );
    for b in blocks {
        out.push_str(b);
        out.push('\n');
    }
    out.push_str("}\n");
    out
}

pub const CONSENT_IN: &str = "  automatic_user_consent_settings {\n    inbound_allowed = true\n  }";

fn trust(mfa: bool) -> String {
    format!(
        "  inbound_trust {{\n    is_mfa_accepted = {mfa}\n    is_compliant_device_accepted = true\n    is_hybrid_azure_ad_joined_device_accepted = false\n  }}"
    )
}

fn trust_json(mfa: bool) -> Value {
    json!({"isMfaAccepted": mfa, "isCompliantDeviceAccepted": true, "isHybridAzureADJoinedDeviceAccepted": false})
}

/// b2b_collaboration_inbound with users_and_groups allowed for `targets` (target, type).
fn collab(targets: &[(&str, &str)]) -> String {
    let t: String = targets
        .iter()
        .map(|(t, k)| {
            format!(
                "      targets {{\n        target      = {}\n        target_type = {}\n      }}\n",
                hcl_string(t),
                hcl_string(k)
            )
        })
        .collect();
    format!(
        "  b2b_collaboration_inbound {{\n    users_and_groups {{\n      access_type = \"allowed\"\n{t}    }}\n  }}"
    )
}

fn collab_json(targets: &[(&str, &str)]) -> Value {
    let t: Vec<Value> = targets
        .iter()
        .map(|(t, k)| json!({"target": t, "targetType": k}))
        .collect();
    json!({"usersAndGroups": {"accessType": "allowed", "targets": t}})
}

fn file(s: &Scenario, blocks: &[&str]) -> String {
    s.file(&[partner_hcl("p", &hcl_string(T1), blocks)])
}

fn patch(body: Value) -> Call {
    Call::new("PATCH", &partner_path(T1), 204, Some(body))
}

/// Writes, with the order of set elements inside bodies ignored.
fn expect_writes(s: &Scenario, what: &str, expected: Vec<Call>) {
    let sorted = |calls: Vec<Call>| -> Vec<Call> {
        calls
            .into_iter()
            .map(|mut c| {
                c.body = c.body.map(|b| sort_arrays(&b));
                c
            })
            .collect()
    };
    s.expect_eq(what, sorted(s.write_calls()), sorted(expected));
}

fn sort_arrays(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(sort_arrays).collect();
            items.sort_by_key(|i| i.to_string());
            Value::Array(items)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), sort_arrays(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn partner_create_posts_only_what_is_set_then_imports_and_destroys() {
    for_each_terraform(|s| {
        let cfg = file(
            s,
            &[CONSENT_IN, &trust(true), &collab(&[("AllUsers", "user")])],
        );
        s.step(
            Step::new(cfg.clone())
                .check(Check::attr(P, "id", json!(T1)))
                .check(Check::attr(
                    P,
                    "is_in_multi_tenant_organization",
                    json!(false),
                ))
                .check(Check::attr(P, "is_service_provider", Value::Null))
                .check(Check::attr(P, "inbound_trust.is_mfa_accepted", json!(true))),
        );
        expect_writes(
            s,
            "Graph writes of create + two empty plans",
            vec![Call::new(
                "POST",
                "/v1.0/policies/crossTenantAccessPolicy/partners",
                201,
                Some(json!({
                    "tenantId": T1,
                    "automaticUserConsentSettings": {"inboundAllowed": true},
                    "inboundTrust": trust_json(true),
                    "b2bCollaborationInbound": collab_json(&[("AllUsers", "user")]),
                })),
            )],
        );
        s.import_verify(P, T1, &cfg);
        s.sim.clear_requests();
        s.tf_ok(&["destroy", "-auto-approve", "-input=false"]);
        s.expect_eq(
            "Graph writes of destroy",
            s.write_calls(),
            vec![Call::new("DELETE", &partner_path(T1), 204, None)],
        );
        s.expect(!s.sim.has_partner(T1), "the partner is gone after destroy");
    });
}

#[test]
fn partner_each_block_changed_alone_patches_only_it_and_removal_sends_null() {
    for_each_terraform(|s| {
        let users = [("AllUsers", "user")];
        s.step(Step::new(file(
            s,
            &[CONSENT_IN, &trust(true), &collab(&users)],
        )));

        s.sim.clear_requests();
        s.step(Step::new(file(
            s,
            &[CONSENT_IN, &trust(false), &collab(&users)],
        )));
        expect_writes(
            s,
            "writes for an inbound_trust change",
            vec![patch(json!({"inboundTrust": trust_json(false)}))],
        );

        s.sim.clear_requests();
        let two = [
            ("11111111-2222-3333-4444-555555555555", "group"),
            ("AllUsers", "user"),
        ];
        s.step(Step::new(file(
            s,
            &[CONSENT_IN, &trust(false), &collab(&two)],
        )));
        expect_writes(
            s,
            "writes for a targets change",
            vec![patch(json!({"b2bCollaborationInbound": collab_json(&two)}))],
        );

        // set order never causes a diff
        s.sim.clear_requests();
        let reversed = [two[1], two[0]];
        s.step(Step::new(file(
            s,
            &[CONSENT_IN, &trust(false), &collab(&reversed)],
        )));
        s.expect_eq("writes for reordered targets", s.write_calls(), vec![]);

        s.sim.clear_requests();
        s.step(
            Step::new(file(s, &[CONSENT_IN, &collab(&reversed)])).check(Check::attr(
                P,
                "inbound_trust",
                Value::Null,
            )),
        );
        expect_writes(
            s,
            "writes for a removed block",
            vec![patch(json!({"inboundTrust": null}))],
        );
        s.expect_eq(
            "inboundTrust in Graph after removal",
            s.sim
                .partner_config(T1)
                .and_then(|p| p.get("inboundTrust").cloned()),
            Some(Value::Null),
        );
    });
}

#[test]
fn partner_drift_shows_in_the_plan_and_a_deleted_one_is_recreated() {
    for_each_terraform(|s| {
        let cfg = file(s, &[CONSENT_IN, &trust(true)]);
        s.step(Step::new(cfg.clone()));
        // a portal change to a managed block is drift; to an unmanaged one it is not
        s.sim.set_partner_config(
            T1,
            json!({"inboundTrust": trust_json(false), "b2bDirectConnectInbound": collab_json(&[("AllUsers", "user")])}),
        );
        s.expect_eq("plan exit code after drift", s.plan_exit_code(&[]), 2);
        s.sim.clear_requests();
        s.step(Step::new(cfg.clone()));
        expect_writes(
            s,
            "writes repairing drift",
            vec![patch(json!({"inboundTrust": trust_json(true)}))],
        );

        s.sim.remove_partner(T1);
        s.sim.clear_requests();
        s.step(Step::new(cfg));
        s.expect_eq(
            "write methods after the partner vanished",
            s.write_calls()
                .iter()
                .map(|c| c.method.clone())
                .collect::<Vec<_>>(),
            vec!["POST".to_string()],
        );
    });
}

#[test]
fn partner_that_exists_fails_on_tenant_id_with_the_import_command() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.step(Step::new(file(s, &[CONSENT_IN])).expect_error(&[
            "Partner configuration already exists",
            "tenant_id",
            &format!("terraform import msgraph_cross_tenant_access_partner.example {T1}"),
        ]));
        s.expect(
            s.state().values(P).is_none(),
            "nothing in state after a refused create",
        );
    });
}

#[test]
fn partner_enumerations_are_checked_at_plan_time_without_requests() {
    for_each_terraform(|s| {
        let bad = "  b2b_collaboration_inbound {\n    users_and_groups {\n      access_type = \"maybe\"\n    }\n  }";
        s.step(Step::new(file(s, &[bad])).expect_error(&[
            "Invalid value",
            "\"maybe\" is not a valid access_type",
            "\"allowed\", \"blocked\"",
        ]));
        s.expect_eq("Graph requests of a refused plan", s.graph_calls(), vec![]);
    });
}

#[test]
fn partner_orders_around_its_sync_policy_and_delete_refusal_names_it() {
    for_each_terraform(|s| {
        let both = s.file(&[
            partner_hcl("p", &hcl_string(T1), &[CONSENT_IN]),
            config::resource_expr(
                "sync",
                "msgraph_cross_tenant_access_partner.p.tenant_id",
                Some("Contoso"),
                true,
            ),
        ]);
        s.step(Step::new(both));
        let methods = |s: &Scenario| -> Vec<String> {
            s.write_calls()
                .iter()
                .map(|c| format!("{} {}", c.method, c.path))
                .collect()
        };
        s.expect_eq(
            "create order",
            methods(s),
            vec![
                format!("POST /v1.0/policies/crosstenantaccesspolicy/partners"),
                format!("PUT {}", policy_path(T1).to_lowercase()),
            ],
        );
        s.sim.clear_requests();
        s.tf_ok(&["destroy", "-auto-approve", "-input=false"]);
        s.expect_eq(
            "destroy order",
            methods(s),
            vec![
                format!("DELETE {}", policy_path(T1).to_lowercase()),
                format!("DELETE {}", partner_path(T1).to_lowercase()),
            ],
        );

        // a policy made outside Terraform blocks the partner's delete: the error says so
        s.step(Step::new(file(s, &[CONSENT_IN])));
        s.sim.set_policy(T1, graph_policy(T1, None, true));
        let out = s.tf_err(&["destroy", "-auto-approve", "-input=false"]);
        s.expect_output_contains(
            &out,
            &[
                "still has an identity synchronization policy",
                "msgraph_cross_tenant_identity_sync",
            ],
        );
        s.expect(s.state().values(P).is_some(), "the partner stays in state");
    });
}

#[test]
fn partner_data_source_reads_every_property() {
    for_each_terraform(|s| {
        s.sim.set_partner_config(
            T1,
            json!({"automaticUserConsentSettings": {"inboundAllowed": true, "outboundAllowed": false},
                   "b2bCollaborationInbound": collab_json(&[("AllUsers", "user")])}),
        );
        let d = "data.msgraph_cross_tenant_access_partner.d";
        let data = format!(
            "data \"msgraph_cross_tenant_access_partner\" \"d\" {{\n  tenant_id = {}\n}}\n",
            hcl_string(T1)
        );
        let outputs = config::outputs(
            d,
            &[
                ("inbound", "automatic_user_consent_settings.inbound_allowed"),
                (
                    "access",
                    "b2b_collaboration_inbound.users_and_groups.access_type",
                ),
                ("trust", "inbound_trust"),
                ("mto", "is_in_multi_tenant_organization"),
            ],
        );
        s.step(
            Step::new(s.file(&[vec![data], outputs].concat())).check_outputs(&[
                ("inbound", json!(true)),
                ("access", json!("allowed")),
                ("mto", json!(false)),
            ]),
        );
        s.expect_eq("Graph writes of a data source", s.write_calls(), vec![]);
    });
}
