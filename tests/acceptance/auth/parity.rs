//! Sign-in parity with azuread, from a real Terraform: `use_aks_workload_identity`,
//! `client_id_file_path`, `client_secret_file_path` and `ado_pipeline_service_connection_id`.

use msgraph_sim::{CLIENT_ID, CLIENT_SECRET, TENANT_ID};

use crate::harness::config::hcl_string;
use crate::harness::{for_each_terraform, Step};

use super::terraform::{app, config, create_and_destroy, write_in_dir, T1};

/// The AKS webhook's variables, for a pod whose token the simulator federates to our app.
fn set_aks_env(s: &mut crate::harness::Scenario) {
    let file = write_in_dir(s, "token", &s.sim.mint_federated_token(CLIENT_ID));
    s.dir.set_env("AZURE_CLIENT_ID", CLIENT_ID);
    s.dir.set_env("AZURE_TENANT_ID", TENANT_ID);
    s.dir.set_env("AZURE_FEDERATED_TOKEN_FILE", &file);
}

#[test]
fn use_aks_workload_identity_decides_whether_the_azure_variables_are_used() {
    for_each_terraform(|s| {
        set_aks_env(s);
        s.sim.add_partner(T1);
        // Without the opt-in the pod's AZURE_* variables are not a credential.
        s.step(
            Step::new(config(s, &[("use_cli", "false".into())], "off"))
                .expect_error(&["no usable credential", "use_aks_workload_identity"]),
        );
        s.expect_eq("tokens issued without the opt-in", s.sim.tokens_issued(), 0);

        // A configured client ID that is not the pod's: refused, naming both.
        let other = "0a0b0c0d-1111-2222-3333-444455556666";
        s.step(
            Step::new(config(
                s,
                &[
                    ("use_aks_workload_identity", "true".into()),
                    ("client_id", hcl_string(other)),
                    ("use_cli", "false".into()),
                ],
                "mismatch",
            ))
            .expect_error(&["client_id", other, "AZURE_CLIENT_ID", CLIENT_ID]),
        );
        s.expect_eq("tokens issued on a mismatch", s.sim.tokens_issued(), 0);

        create_and_destroy(
            s,
            &[
                ("use_aks_workload_identity", "true".into()),
                ("use_cli", "false".into()),
            ],
            "federated",
        );
    });
}

#[test]
fn client_id_file_path_supplies_the_client_id() {
    for_each_terraform(|s| {
        let id_file = write_in_dir(s, "client-id", &format!("{CLIENT_ID}\n"));
        s.dir.set_env("ARM_CLIENT_SECRET", CLIENT_SECRET);
        create_and_destroy(
            s,
            &[
                ("tenant_id", hcl_string(TENANT_ID)),
                ("client_id_file_path", hcl_string(&id_file)),
                ("use_cli", "false".into()),
            ],
            "client_secret",
        );
        // An inline client_id that disagrees with the file is an error, before any sign-in.
        let before = s.sim.tokens_issued();
        s.step(
            Step::new(config(
                s,
                &app(
                    "not-the-file-client",
                    &[("client_id_file_path", hcl_string(&id_file))],
                ),
                "mismatch",
            ))
            .expect_error(&["not-the-file-client", "client_id_file_path"]),
        );
        s.expect_eq("tokens issued on a mismatch", s.sim.tokens_issued(), before);
    });
}

#[test]
fn client_secret_file_path_supplies_the_secret_without_printing_it() {
    for_each_terraform(|s| {
        let secret_file = write_in_dir(s, "client-secret", &format!("{CLIENT_SECRET}\n"));
        let file_secret = [("client_secret_file_path", hcl_string(&secret_file))];
        create_and_destroy(s, &app(CLIENT_ID, &file_secret), "client_secret");
        let other = "Other~Secret-value-not-to-print";
        s.dir.set_env("ARM_CLIENT_SECRET", other);
        s.step(
            Step::new(config(s, &app(CLIENT_ID, &file_secret), "mismatch"))
                .expect_error(&["client_secret_file_path", "different secrets"]),
        );
        s.expect_never_printed(other, "the inline client secret");
        s.expect_never_printed(CLIENT_SECRET, "the client secret from the file");
    });
}

#[test]
fn ado_pipeline_service_connection_id_as_an_argument() {
    for_each_terraform(|s| {
        s.dir
            .set_env("SYSTEM_OIDCREQUESTURI", &format!("{}/ado/oidc", s.url));
        s.dir
            .set_env("SYSTEM_ACCESSTOKEN", &s.sim.ado_access_token());
        create_and_destroy(
            s,
            &app(
                CLIENT_ID,
                &[
                    ("use_oidc", "true".into()),
                    (
                        "ado_pipeline_service_connection_id",
                        hcl_string("sc-from-hcl"),
                    ),
                ],
            ),
            "federated",
        );
        let asked: Vec<String> = s
            .sim
            .requests()
            .into_iter()
            .filter(|r| r.path == "/ado/oidc")
            .map(|r| r.query)
            .collect();
        s.expect(
            !asked.is_empty()
                && asked
                    .iter()
                    .all(|q| q.contains("serviceConnectionId=sc-from-hcl")),
            &format!("the OIDC token was requested for the argument's connection: {asked:?}"),
        );
    });
}
