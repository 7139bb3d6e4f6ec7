//! The `msgraph_cross_tenant_access_default` scenarios and the `-generate-config-out`
//! round trip of both new resources, on every Terraform version (the latter on 1.5+).

use serde_json::{json, Value};

use crate::access_partner::{CONSENT_IN, T1};
use crate::harness::config;
use crate::harness::{for_each_terraform, Call, Check, Scenario, Step};

const D: &str = "msgraph_cross_tenant_access_default.d";
const DEFAULT_PATH: &str = "/v1.0/policies/crossTenantAccessPolicy/default";

fn default_hcl(blocks: &[&str]) -> String {
    let mut out = "resource \"msgraph_cross_tenant_access_default\" \"d\" {\n".to_string();
    for b in blocks {
        out.push_str(b);
        out.push('\n');
    }
    out.push_str("}\n");
    out
}

fn trust(mfa: bool) -> String {
    format!(
        "  inbound_trust {{\n    is_mfa_accepted = {mfa}\n    is_compliant_device_accepted = false\n  }}"
    )
}

fn file(s: &Scenario, blocks: &[&str]) -> String {
    s.file(&[default_hcl(blocks)])
}

#[test]
fn default_create_gets_then_patches_and_destroy_resets() {
    for_each_terraform(|s| {
        s.step(
            Step::new(file(s, &[CONSENT_IN, &trust(true)]))
                .check(Check::attr(D, "id", json!("default")))
                .check(Check::attr(D, "is_service_default", json!(false))),
        );
        let calls = s.graph_calls();
        s.expect_eq(
            "the Graph calls of create",
            calls.iter().take(2).cloned().collect::<Vec<_>>(),
            vec![
                Call::new("GET", DEFAULT_PATH, 200, None),
                Call::new(
                    "PATCH",
                    DEFAULT_PATH,
                    204,
                    Some(json!({
                        "automaticUserConsentSettings": {"inboundAllowed": true},
                        "inboundTrust": {"isMfaAccepted": true, "isCompliantDeviceAccepted": false},
                    })),
                ),
            ],
        );
        s.expect_eq("writes of create + empty plans", s.write_calls().len(), 1);

        s.sim.clear_requests();
        s.step(Step::new(file(s, &[CONSENT_IN, &trust(false)])));
        s.expect_eq(
            "writes for an inbound_trust change",
            s.write_calls(),
            vec![Call::new(
                "PATCH",
                DEFAULT_PATH,
                204,
                Some(json!({"inboundTrust": {"isMfaAccepted": false, "isCompliantDeviceAccepted": false}})),
            )],
        );

        // drift in a managed block shows
        s.sim
            .set_default_settings(json!({"inboundTrust": {"isMfaAccepted": true}}));
        s.expect_eq("plan exit code after drift", s.plan_exit_code(&[]), 2);
        s.step(Step::new(file(s, &[CONSENT_IN, &trust(false)])));

        // a removed block stops being managed: nothing is sent, Graph keeps its value
        s.sim.clear_requests();
        s.step(Step::new(file(s, &[&trust(false)])).check(Check::attr(
            D,
            "automatic_user_consent_settings",
            Value::Null,
        )));
        s.expect_eq("writes for a removed block", s.write_calls(), vec![]);
        s.expect_eq(
            "consent in Graph after removal",
            s.sim.default_settings()["automaticUserConsentSettings"].clone(),
            json!({"inboundAllowed": true}),
        );

        s.sim.clear_requests();
        s.tf_ok(&["destroy", "-auto-approve", "-input=false"]);
        s.expect_eq(
            "writes of destroy",
            s.write_calls(),
            vec![Call::new(
                "POST",
                &format!("{DEFAULT_PATH}/resetToSystemDefault"),
                204,
                Some(json!({})),
            )],
        );
        s.expect_eq(
            "isServiceDefault after destroy",
            s.sim.default_settings()["isServiceDefault"].clone(),
            json!(true),
        );
    });
}

#[test]
fn default_import_reads_every_setting_and_refuses_other_ids() {
    for_each_terraform(|s| {
        let cfg = file(s, &[CONSENT_IN]);
        let dir = s.import_cli(D, "default", &cfg);
        s.expect_checks(
            &s.state_in(&dir),
            &[
                Check::attr(D, "is_service_default", json!(true)),
                Check::attr(
                    D,
                    "b2b_direct_connect_inbound.users_and_groups.access_type",
                    json!("blocked"),
                ),
            ],
        );
        s.dir.write_config(&cfg);
        let out = s.tf_err(&["import", "-input=false", D, T1]);
        s.expect_output_contains(
            &out,
            &[
                "Invalid import ID",
                "terraform import msgraph_cross_tenant_access_default.example default",
            ],
        );
    });
}

/// `import {}` + `terraform plan -generate-config-out` writes configuration that is valid and
/// then plans empty, for both resources; unset partner settings are left out.
#[test]
fn generated_configuration_plans_empty() {
    for_each_terraform(|s| {
        if !s.tf.at_least(1, 5) {
            return s.expect(
                s.tf.version.starts_with("1.0"),
                "only 1.0.x lacks import blocks",
            );
        }
        s.sim.set_partner_config(
            T1,
            json!({"automaticUserConsentSettings": {"inboundAllowed": true, "outboundAllowed": null}}),
        );
        s.dir.write_config(&s.file(&[]));
        s.dir.write_file(
            "import.tf",
            &format!(
                "{}\n{}",
                config::import_block("msgraph_cross_tenant_access_partner.p", T1),
                config::import_block(D, "default")
            ),
        );
        s.tf_ok(&["plan", "-input=false", "-generate-config-out=generated.tf"]);
        let generated = s
            .dir
            .read_file("generated.tf")
            .unwrap_or_else(|| s.fail("no generated.tf"));
        let partner_part = generated
            .split("# __generated__")
            .find(|part| part.contains("resource \"msgraph_cross_tenant_access_partner\""))
            .unwrap_or_default()
            .to_string();
        s.expect(
            partner_part.contains("inbound_allowed") && !partner_part.contains("inbound_trust"),
            &format!(
                "the partner's generated configuration holds only what is set:\n{partner_part}"
            ),
        );
        s.tf_ok(&["apply", "-input=false", "-auto-approve"]);
        s.expect_eq("plan exit code after the imports", s.plan_exit_code(&[]), 0);
        s.expect_eq("Graph writes of the imports", s.write_calls(), vec![]);
    });
}
