//! The provider's configuration resolution picking the credential: the first configured one
//! wins (arguments and ARM_*/AZURE_*/ACTIONS_*/SYSTEM_*/IDENTITY_* environment), CI and Azure
//! environments sign in with their variables alone, and nothing usable lists what was tried.

use msgraph_sim::{Sim, CLIENT_ID, TENANT_ID};
use terraform_provider_msgraph::graph::GraphError;
use terraform_provider_msgraph::plugin::{Diagnostics, Value};
use terraform_provider_msgraph::provider::auth_errors::tried_line;
use terraform_provider_msgraph::provider::provider_config::{
    provider_schema, resolve, Resolution, ResolvedConfig,
};

use super::*;

/// The provider block as ConfigureProvider receives it: every argument, `set` ones given.
pub fn provider_block(set: &[(&str, Value)]) -> Value {
    Value::object(provider_schema().block.attributes.iter().map(|a| {
        let value = set
            .iter()
            .find(|(name, _)| *name == a.name)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null);
        (a.name.clone(), value)
    }))
}

/// The configuration `block` and the environment `env` (nothing else) resolve to.
pub fn resolved(block: &Value, env: &[(&str, String)]) -> ResolvedConfig {
    let lookup = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    let mut diags = Diagnostics::new();
    match resolve(block, &lookup, "1.11.4", &mut diags) {
        Resolution::Ready(config) if !diags.has_errors() => *config,
        other => panic!("provider configuration not ready: {other:?} {diags:?}"),
    }
}

pub fn s(text: &str) -> Value {
    Value::string(text)
}

#[tokio::test]
async fn provider_arguments_and_environment_pick_the_first_configured_credential() {
    let sim = Sim::start().await;
    let id = rsa_identity();
    sim.add_app_certificate(TENANT_ID, CERT_APP, &id.cert_der);
    let dir = tempfile::tempdir().unwrap();
    let pem = write_temp(&dir, "client.pem", id.pem_bundle.as_bytes());
    let token_file = write_temp(&dir, "token", sim.mint_federated_token(CERT_APP).as_bytes());
    let endpoints = [
        ("graph_endpoint", s(&sim.url)),
        ("authority_host", s(&sim.url)),
    ];

    // Everything configured: the certificate wins over the secret, OIDC, MSI and the CLI.
    let mut everything = endpoints.to_vec();
    everything.extend([
        ("tenant_id", s(TENANT_ID)),
        ("client_id", s(CERT_APP)),
        ("client_certificate_path", s(&pem.display().to_string())),
        ("client_secret", s("not-used-secret")),
        ("use_oidc", Value::Bool(true)),
        ("oidc_token_file_path", s(&token_file.display().to_string())),
        ("use_msi", Value::Bool(true)),
        ("msi_endpoint", s(&sim.imds_url())),
    ]);
    let config = resolved(&provider_block(&everything), &[]);
    let client = GraphClient::new(config.client).unwrap();
    assert_eq!(client.credential_kind(), "client certificate");
    put_and_get(&client, &sim, "the provider's first credential").await;
    assert_eq!(issued_flows(&sim), ["client_certificate"]);

    // AKS workload identity: nothing but AZURE_* in the environment and the opt-in; the token
    // file wins over the CLI (left at its default, true).
    let aks_env = [
        ("ARM_USE_AKS_WORKLOAD_IDENTITY", "true".to_string()),
        ("AZURE_CLIENT_ID", CERT_APP.to_string()),
        ("AZURE_TENANT_ID", TENANT_ID.to_string()),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            token_file.display().to_string(),
        ),
        ("AZURE_AUTHORITY_HOST", sim.url.clone()),
    ];
    let config = resolved(
        &provider_block(&[("graph_endpoint", s(&sim.url))]),
        &aks_env,
    );
    let client = GraphClient::new(config.client).unwrap();
    assert_eq!(client.credential_kind(), "OIDC token file");
    client.sign_in(soon()).await.unwrap();
    assert_eq!(issued_flows(&sim), ["client_certificate", "federated"]);

    // A secret in ARM_CLIENT_SECRET beats the token file (secret comes before OIDC).
    let mut with_secret = aks_env.to_vec();
    with_secret.push(("ARM_CLIENT_SECRET", "env-secret".to_string()));
    let config = resolved(
        &provider_block(&[("graph_endpoint", s(&sim.url))]),
        &with_secret,
    );
    assert_eq!(
        GraphClient::new(config.client).unwrap().credential_kind(),
        "client secret"
    );
}

#[test]
fn nothing_usable_lists_every_credential_tried() {
    let config = resolved(
        &provider_block(&[
            ("use_cli", Value::Bool(false)),
            ("graph_endpoint", s("http://127.0.0.1:9")),
            ("authority_host", s("http://127.0.0.1:9")),
        ]),
        &[],
    );
    // As the provider phrases them for Terraform users.
    let tried: Vec<String> = match GraphClient::new(config.client) {
        Err(GraphError::NoCredential { tried }) => tried.iter().map(tried_line).collect(),
        Err(other) => panic!("expected NoCredential, got {other}"),
        Ok(c) => panic!("expected NoCredential, got {c:?}"),
    };
    let starts: Vec<&str> = tried
        .iter()
        .map(|line| line.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        starts,
        [
            "client certificate",
            "client secret",
            "OIDC",
            "managed identity",
            "Azure CLI"
        ],
        "{tried:?}"
    );
    assert!(tried[0].contains("client_certificate_path"), "{tried:?}");
    assert!(tried[1].contains("client_secret"), "{tried:?}");
    assert!(tried[2].contains("oidc_token_file_path"), "{tried:?}");
    assert!(tried[3].contains("use_msi"), "{tried:?}");
    assert!(tried[4].contains("use_cli is false"), "{tried:?}");
}

/// One CI system or Azure host: its environment, the credential chosen and the token's flow.
struct HostCase {
    host: &'static str,
    env: Vec<(&'static str, String)>,
    kind: &'static str,
    flow: &'static str,
}

/// What a CI system or Azure host puts in the environment, with nothing in the provider block
/// but the simulator's endpoints: each signs in with its own flow.
#[tokio::test]
async fn ci_and_azure_host_environments_sign_in_with_their_variables_alone() {
    let sim = Sim::start().await;
    let app_env = |extra: Vec<(&'static str, String)>| {
        let mut env = vec![
            ("ARM_CLIENT_ID", CLIENT_ID.to_string()),
            ("ARM_TENANT_ID", TENANT_ID.to_string()),
        ];
        env.extend(extra);
        env
    };
    let cases: Vec<HostCase> = vec![
        HostCase {
            host: "GitHub Actions",
            env: app_env(vec![
                ("ARM_USE_OIDC", "true".into()),
                ("ACTIONS_ID_TOKEN_REQUEST_URL", sim.github_oidc_url()),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", sim.github_request_token()),
            ]),
            kind: "GitHub Actions OIDC",
            flow: "federated",
        },
        HostCase {
            host: "Azure DevOps",
            env: app_env(vec![
                ("ARM_USE_OIDC", "true".into()),
                ("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "sc-1".into()),
                ("SYSTEM_OIDCREQUESTURI", sim.ado_oidc_url()),
                ("SYSTEM_ACCESSTOKEN", sim.ado_access_token()),
            ]),
            kind: "Azure DevOps OIDC",
            flow: "federated",
        },
        HostCase {
            host: "a VM (IMDS)",
            env: vec![
                ("ARM_USE_MSI", "true".into()),
                ("ARM_MSI_ENDPOINT", sim.imds_url()),
            ],
            kind: "managed identity",
            flow: "imds",
        },
        HostCase {
            host: "App Service",
            env: vec![
                ("ARM_USE_MSI", "true".into()),
                ("IDENTITY_ENDPOINT", sim.app_service_url()),
                ("IDENTITY_HEADER", sim.identity_header()),
            ],
            kind: "managed identity (App Service)",
            flow: "app_service",
        },
    ];
    let block = provider_block(&[
        ("graph_endpoint", s(&sim.url)),
        ("authority_host", s(&sim.url)),
        ("use_cli", Value::Bool(false)),
    ]);
    for HostCase {
        host,
        env,
        kind,
        flow,
    } in cases
    {
        let config = resolved(&block, &env);
        let client = GraphClient::new(config.client).unwrap();
        assert_eq!(client.credential_kind(), kind, "{host}");
        let before = sim.tokens_issued();
        client
            .sign_in(soon())
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        let issued = sim.issued_tokens();
        assert_eq!(issued.len(), before + 1, "{host}");
        assert_eq!(issued[before].flow, flow, "{host}");
    }
}

/// On an AKS pod with workload identity injected, `use_oidc = false` turns the injected token
/// file off: the managed identity asked for is used instead of OIDC.
#[tokio::test]
async fn explicit_use_oidc_false_ignores_an_injected_token_file() {
    let sim = Sim::start().await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = write_temp(
        &dir,
        "token",
        sim.mint_federated_token(CLIENT_ID).as_bytes(),
    );
    let aks_env = [
        ("AZURE_CLIENT_ID", CLIENT_ID.to_string()),
        ("AZURE_TENANT_ID", TENANT_ID.to_string()),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            token_file.display().to_string(),
        ),
        ("ARM_OIDC_TOKEN", sim.mint_federated_token(CLIENT_ID)),
    ];
    let config = resolved(
        &provider_block(&[
            ("graph_endpoint", s(&sim.url)),
            ("authority_host", s(&sim.url)),
            ("client_id", s(msgraph_sim::USER_ASSIGNED_CLIENT_ID)),
            ("use_oidc", Value::Bool(false)),
            ("use_msi", Value::Bool(true)),
            ("msi_endpoint", s(&sim.imds_url())),
            ("use_cli", Value::Bool(false)),
        ]),
        &aks_env,
    );
    let client = GraphClient::new(config.client).unwrap();
    assert_eq!(client.credential_kind(), "managed identity");
    client.sign_in(soon()).await.unwrap();
    assert_eq!(issued_flows(&sim), ["imds"]);
}
