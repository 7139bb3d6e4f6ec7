//! Signing in from a real Terraform: certificate, OIDC token file, AKS workload identity, and a
//! TF_LOG=trace run scanned for every secret and token it used.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use msgraph_sim::{CLIENT_ID, CLIENT_SECRET, TENANT_ID};
use serde_json::json;

use crate::harness::config::{hcl_string, resource, terraform_block};
use crate::harness::{for_each_terraform, Check, Scenario, Step};

use super::{rsa_identity, CERT_APP};

pub(super) const T1: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";
const X: &str = "msgraph_cross_tenant_identity_sync.x";

/// A configuration whose provider block holds `arguments` (HCL lines) plus the simulator's
/// endpoints, and one resource for T1 named `display_name`.
pub(super) fn config(s: &Scenario, arguments: &[(&str, String)], display_name: &str) -> String {
    let mut provider = String::from("provider \"msgraph\" {\n");
    for (name, value) in arguments {
        provider.push_str(&format!("  {name} = {value}\n"));
    }
    provider.push_str(&format!(
        "  graph_endpoint = {url}\n  authority_host = {url}\n}}\n",
        url = hcl_string(&s.url)
    ));
    format!(
        "{}\n{provider}\n{}",
        terraform_block(),
        resource("x", T1, Some(display_name), true)
    )
}

/// Provider arguments signing in as app `client_id` of the simulator's tenant with `credential`
/// (HCL values), the Azure CLI off.
pub(super) fn app(
    client_id: &str,
    credential: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    let mut arguments = vec![
        ("tenant_id", hcl_string(TENANT_ID)),
        ("client_id", hcl_string(client_id)),
    ];
    arguments.extend_from_slice(credential);
    arguments.push(("use_cli", "false".into()));
    arguments
}

/// Writes `name` into the working directory and returns its path as text (for HCL or env).
pub(super) fn write_in_dir(s: &Scenario, name: &str, contents: &str) -> String {
    s.dir.write_file(name, contents);
    s.dir.path().join(name).display().to_string()
}

/// Creates, checks and destroys the T1 policy with `arguments`; every token issued must come
/// from `flow`.
pub(super) fn create_and_destroy(s: &Scenario, arguments: &[(&str, String)], flow: &str) {
    s.sim.add_partner(T1);
    s.step(Step::new(config(s, arguments, flow)).check(Check::attr(
        X,
        "display_name",
        json!(flow),
    )));
    s.expect_policy(T1, Some(flow), true);
    s.destroy_and_check(&[T1]);
    let flows: Vec<String> = s.sim.issued_tokens().into_iter().map(|t| t.flow).collect();
    s.expect(!flows.is_empty(), "the provider signed in");
    s.expect(
        flows.iter().all(|f| f == flow),
        &format!("every token came from {flow}: {flows:?}"),
    );
}

#[test]
fn terraform_signs_in_with_a_certificate_file() {
    let id = rsa_identity();
    for_each_terraform(|s| {
        s.sim.add_app_certificate(TENANT_ID, CERT_APP, &id.cert_der);
        let pem = write_in_dir(s, "client.pem", &id.pem_bundle);
        create_and_destroy(
            s,
            &app(CERT_APP, &[("client_certificate_path", hcl_string(&pem))]),
            "client_certificate",
        );
    });
}

#[test]
fn terraform_signs_in_with_an_oidc_token_file() {
    for_each_terraform(|s| {
        let file = write_in_dir(s, "token", &s.sim.mint_federated_token(CLIENT_ID));
        create_and_destroy(
            s,
            &app(
                CLIENT_ID,
                &[
                    ("use_oidc", "true".into()),
                    ("oidc_token_file_path", hcl_string(&file)),
                ],
            ),
            "federated",
        );
    });
}

/// AKS workload identity from the environment alone, opted in with
/// ARM_USE_AKS_WORKLOAD_IDENTITY (without it the AZURE_* variables are ignored).
#[test]
fn terraform_signs_in_with_aks_workload_identity_environment_only() {
    for_each_terraform(|s| {
        let file = write_in_dir(s, "token", &s.sim.mint_federated_token(CLIENT_ID));
        s.dir.set_env("ARM_USE_AKS_WORKLOAD_IDENTITY", "true");
        s.dir.set_env("AZURE_CLIENT_ID", CLIENT_ID);
        s.dir.set_env("AZURE_TENANT_ID", TENANT_ID);
        s.dir.set_env("AZURE_FEDERATED_TOKEN_FILE", &file);
        create_and_destroy(s, &[], "federated");
    });
}

/// One sign-in per phase, each with its secrets in environment variables only (Terraform itself never
/// sees them, so any occurrence in output, plan or state came from the provider).
struct Phase {
    env: Vec<(&'static str, String)>,
    /// None for a system-assigned managed identity.
    client_id: Option<&'static str>,
    flow: &'static str,
}

#[test]
fn trace_logs_plans_and_state_hold_no_secret_or_token_of_any_flow() {
    let id = rsa_identity();
    let password = "Cert~Pa55word-do-not-log-7d3f";
    let pkcs12 = STANDARD.encode(id.pkcs12(password));
    for_each_terraform(|s| {
        s.sim.add_app_certificate(TENANT_ID, CERT_APP, &id.cert_der);
        let oidc_token = s.sim.mint_federated_token(CLIENT_ID);
        s.dir.set_env("TF_LOG", "trace");
        let github_url = format!("{}/github/oidc?x=1", s.url);
        let app_service_url = format!("{}/msi/token", s.url);
        let phases = [
            Phase {
                env: vec![
                    ("ARM_CLIENT_CERTIFICATE", pkcs12.clone()),
                    ("ARM_CLIENT_CERTIFICATE_PASSWORD", password.to_string()),
                ],
                client_id: Some(CERT_APP),
                flow: "client_certificate",
            },
            Phase {
                env: vec![("ARM_CLIENT_SECRET", CLIENT_SECRET.to_string())],
                client_id: Some(CLIENT_ID),
                flow: "client_secret",
            },
            Phase {
                env: vec![
                    ("ARM_USE_OIDC", "true".to_string()),
                    ("ARM_OIDC_TOKEN", oidc_token.clone()),
                ],
                client_id: Some(CLIENT_ID),
                flow: "federated",
            },
            Phase {
                env: vec![
                    ("ARM_USE_OIDC", "true".to_string()),
                    ("ACTIONS_ID_TOKEN_REQUEST_URL", github_url.clone()),
                    (
                        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                        s.sim.github_request_token(),
                    ),
                ],
                client_id: Some(CLIENT_ID),
                flow: "federated",
            },
            Phase {
                env: vec![
                    ("ARM_USE_MSI", "true".to_string()),
                    ("IDENTITY_ENDPOINT", app_service_url.clone()),
                    ("IDENTITY_HEADER", s.sim.identity_header()),
                ],
                client_id: None,
                flow: "app_service",
            },
        ];
        s.sim.add_partner(T1);
        let mut stored = Vec::new();
        for phase in &phases {
            for (k, v) in &phase.env {
                s.dir.set_env(k, v);
            }
            let mut arguments = vec![
                ("tenant_id", hcl_string(TENANT_ID)),
                ("use_cli", "false".to_string()),
            ];
            if let Some(client_id) = phase.client_id {
                arguments.push(("client_id", hcl_string(client_id)));
            }
            let hcl = config(s, &arguments, phase.flow);
            s.dir.write_config(&hcl);
            s.tf_ok(&["plan", "-input=false", "-out=tfplan"]);
            // The saved plan as JSON, before the apply makes it stale (recorded in the history
            // with every other command's output).
            s.tf_ok(&["show", "-json", "tfplan"]);
            s.tf_ok(&["apply", "-input=false", "tfplan"]);
            s.expect_empty_plan();
            s.expect_policy(T1, Some(phase.flow), true);
            stored.push(s.dir.read_file("terraform.tfstate").unwrap_or_default());
            s.destroy_and_check(&[T1]);
            for (k, _) in &phase.env {
                s.dir.remove_env(k);
            }
        }

        let flows: Vec<String> = s.sim.issued_tokens().into_iter().map(|t| t.flow).collect();
        for phase in &phases {
            s.expect(
                flows.iter().any(|f| f == phase.flow),
                &format!("a token came from {} ({flows:?})", phase.flow),
            );
        }
        for endpoint in ["/github/oidc", "/msi/token"] {
            s.expect(
                s.sim
                    .requests()
                    .iter()
                    .any(|r| r.path == endpoint && r.status == 200),
                &format!("the provider got a token from {endpoint}"),
            );
        }
        s.expect(
            s.history()
                .iter()
                .any(|o| o.stderr.contains("terraform-provider-msgraph")),
            "the trace log holds the provider's own lines (the scan is not vacuous)",
        );
        s.expect(
            stored.iter().all(|state| state.contains(T1)),
            "each phase's state file held the resource (the scan is not vacuous)",
        );

        let mut secrets: Vec<(String, &str)> = vec![
            (password.to_string(), "the certificate password"),
            (pkcs12.clone(), "the base64 PKCS#12 certificate"),
            (CLIENT_SECRET.to_string(), "the client secret"),
            (oidc_token.clone(), "the OIDC token"),
            (
                s.sim.github_request_token(),
                "the GitHub OIDC request token",
            ),
            (s.sim.identity_header(), "the App Service identity header"),
        ];
        for token in s.sim.issued_tokens() {
            secrets.push((token.access_token, "an access token"));
        }
        for token in s.sim.federated_tokens_minted() {
            secrets.push((token, "a federated token"));
        }
        let private: Vec<String> = stored.iter().flat_map(|t| private_state(t)).collect();
        for (secret, what) in &secrets {
            s.expect_never_printed(secret, what);
            s.expect(
                !stored.iter().any(|state| state.contains(secret.as_str())),
                &format!("{what} is not in a state file"),
            );
            s.expect(
                !private.iter().any(|blob| blob.contains(secret.as_str())),
                &format!("{what} is not in the provider's private state"),
            );
        }
    });
}

/// The decoded `private` blobs of every resource instance in a state file (base64 there).
fn private_state(state_text: &str) -> Vec<String> {
    let Ok(state) = serde_json::from_str::<serde_json::Value>(state_text) else {
        return Vec::new();
    };
    state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["instances"].as_array().into_iter().flatten())
        .filter_map(|i| i["private"].as_str())
        .filter_map(|p| STANDARD.decode(p).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect()
}

#[test]
fn terraform_reports_unusable_credentials_clearly() {
    let ec = super::ec_identity();
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        // An EC certificate: refused before anything is sent, naming the fix.
        let ec_path = write_in_dir(s, "ec.pem", &ec.pem_bundle);
        let ec_args = app(
            CERT_APP,
            &[("client_certificate_path", hcl_string(&ec_path))],
        );
        s.step(Step::new(config(s, &ec_args, "ec")).expect_error(&["only RSA", "ec.pem"]));

        // Nothing configured: every credential is listed with what it needs.
        s.step(
            Step::new(config(s, &[("use_cli", "false".to_string())], "none")).expect_error(&[
                "no usable credential",
                "client certificate: not configured",
                "client secret: not configured",
                "OIDC: not configured",
                "managed identity: not enabled",
                "Azure CLI: disabled",
            ]),
        );

        // A token file that is not there.
        let missing = app(
            CLIENT_ID,
            &[("oidc_token_file_path", hcl_string("/nonexistent/token"))],
        );
        s.step(Step::new(config(s, &missing, "missing")).expect_error(&[
            "oidc_token_file_path",
            "could not read",
            "/nonexistent/token",
        ]));

        // A PKCS#12 file with the wrong password: named, never echoed.
        let wrong_password = "Wrong~Pa55word-never-printed";
        let pfx = s.dir.path().join("client.pfx");
        std::fs::write(&pfx, rsa_identity().pkcs12("right-password")).expect("write client.pfx");
        let pfx = pfx.display().to_string();
        let pfx_args = app(CERT_APP, &[("client_certificate_path", hcl_string(&pfx))]);
        s.dir
            .set_env("ARM_CLIENT_CERTIFICATE_PASSWORD", wrong_password);
        s.step(Step::new(config(s, &pfx_args, "pfx")).expect_error(&[
            "client_certificate_password",
            "wrong password",
            "client.pfx",
        ]));
        s.dir.remove_env("ARM_CLIENT_CERTIFICATE_PASSWORD");
        s.expect_never_printed(wrong_password, "the wrong certificate password");

        s.expect_eq("tokens issued", s.sim.tokens_issued(), 0);
        s.expect(s.graph_requests().is_empty(), "Graph was never called");
        s.expect(s.sim.policy(T1).is_none(), "nothing was created");
    });
}
