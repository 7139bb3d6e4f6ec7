//! Every cloud of `environment` (roots and token scope), and the provider's credential choice:
//! the first configured credential wins, and nothing usable lists what was tried.

use std::collections::HashMap;

use msgraph_sim::{Sim, CLIENT_ID, CLIENT_SECRET, TENANT_ID};
use terraform_provider_msgraph::graph::{AuthConfig, Cloud, GraphError, Secret};
use terraform_provider_msgraph::plugin::{Diagnostics, Value};
use terraform_provider_msgraph::provider::provider_config::{
    provider_schema, resolve, Resolution, ResolvedConfig,
};

use super::*;

/// environment, Graph root, login authority (shared/notes/graph.md "National clouds").
const CLOUDS: &[(&str, &str, &str)] = &[
    (
        "public",
        "https://graph.microsoft.com",
        "https://login.microsoftonline.com",
    ),
    (
        "usgovernment",
        "https://graph.microsoft.us",
        "https://login.microsoftonline.us",
    ),
    (
        "dod",
        "https://dod-graph.microsoft.us",
        "https://login.microsoftonline.us",
    ),
    (
        "china",
        "https://microsoftgraph.chinacloudapi.cn",
        "https://login.chinacloudapi.cn",
    ),
];

#[test]
fn every_environment_names_its_documented_roots() {
    for (environment, graph, login) in CLOUDS {
        let expected = Cloud {
            graph_endpoint: graph.to_string(),
            authority_host: login.to_string(),
        };
        assert_eq!(Cloud::named(environment), Some(expected.clone()));
        assert_eq!(Cloud::named(&environment.to_uppercase()), Some(expected));
    }
    assert_eq!(Cloud::named("public"), Some(Cloud::default()));
    assert_eq!(Cloud::named("germany"), None);
}

/// Signs in for each cloud with only the login host pointed at the simulator: the token request
/// names the cloud's Graph scope, and Graph itself is never contacted (sign_in fetches a token
/// only), so nothing leaves loopback.
#[tokio::test]
async fn each_cloud_asks_for_its_own_graph_scope() {
    let dir = tempfile::tempdir().unwrap();
    let args_file = dir.path().join("args");
    let az = az_script(
        dir.path(),
        &format!(
            "printf '%s\\n' \"$@\" > '{}'\nprintf '{{\"accessToken\":\"az-token\",\"expires_on\":4102444800}}'",
            args_file.display()
        ),
    );
    for (environment, graph, _) in CLOUDS {
        let sim = Sim::start().await;
        let cloud = |graph: &str| Cloud {
            graph_endpoint: graph.to_string(),
            authority_host: sim.url.clone(),
        };
        let secret = app(
            TENANT_ID,
            CLIENT_ID,
            AuthConfig {
                client_secret: Some(Secret::new(CLIENT_SECRET)),
                ..AuthConfig::default()
            },
        );
        client_for(cloud(graph), secret)
            .unwrap()
            .sign_in(soon())
            .await
            .unwrap_or_else(|e| panic!("{environment}: {e}"));
        let imds = AuthConfig {
            use_msi: true,
            msi_endpoint: Some(sim.imds_url()),
            ..AuthConfig::default()
        };
        client_for(cloud(graph), imds)
            .unwrap()
            .sign_in(soon())
            .await
            .unwrap_or_else(|e| panic!("{environment} (IMDS): {e}"));

        let scopes: Vec<String> = sim.issued_tokens().into_iter().map(|t| t.scope).collect();
        assert_eq!(
            scopes,
            [format!("{graph}/.default"), graph.to_string()],
            "{environment}: token endpoint scope, then IMDS resource"
        );
        let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(
            paths,
            [
                format!("/{TENANT_ID}/oauth2/v2.0/token"),
                "/metadata/identity/oauth2/token".to_string()
            ],
            "{environment}: only the simulator's login endpoints were called"
        );

        let cli = AuthConfig {
            use_cli: true,
            az_command: Some(az.clone()),
            ..AuthConfig::default()
        };
        client_for(cloud(graph), cli)
            .unwrap()
            .sign_in(soon())
            .await
            .unwrap_or_else(|e| panic!("{environment} (az): {e}"));
        let args = std::fs::read_to_string(&args_file).unwrap();
        assert!(
            args.contains(&format!("--scope\n{graph}/.default\n")),
            "{environment}: az args {args:?}"
        );
    }
}

/// The provider block as ConfigureProvider receives it: every argument, `set` ones given.
fn provider_block(set: &[(&str, Value)]) -> Value {
    Value::object(provider_schema().block.attributes.iter().map(|a| {
        let value = set
            .iter()
            .find(|(name, _)| *name == a.name)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null);
        (a.name.clone(), value)
    }))
}

fn resolved(block: &Value, env: &[(&str, String)]) -> ResolvedConfig {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let lookup = move |name: &str| env.get(name).cloned();
    let mut diags = Diagnostics::new();
    match resolve(block, &lookup, "1.11.4", &mut diags) {
        Resolution::Ready(config) if !diags.has_errors() => *config,
        other => panic!("provider configuration not ready: {other:?} {diags:?}"),
    }
}

fn s(text: &str) -> Value {
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

    // AKS workload identity: nothing but AZURE_* in the environment; the token file wins over
    // the CLI (left at its default, true).
    let aks_env = [
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
    let tried = match GraphClient::new(config.client) {
        Err(GraphError::NoCredential { tried }) => tried,
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

#[tokio::test]
async fn environment_argument_picks_the_scope_with_the_login_host_overridden() {
    let sim = Sim::start().await;
    let config = resolved(
        &provider_block(&[
            ("environment", s("usgovernment")),
            ("authority_host", s(&sim.url)),
            ("tenant_id", s(TENANT_ID)),
            ("client_id", s(CLIENT_ID)),
            ("use_cli", Value::Bool(false)),
        ]),
        &[("ARM_CLIENT_SECRET", CLIENT_SECRET.to_string())],
    );
    assert_eq!(
        config.client.cloud,
        Cloud {
            graph_endpoint: "https://graph.microsoft.us".into(),
            authority_host: sim.url.clone(),
        }
    );
    GraphClient::new(config.client)
        .unwrap()
        .sign_in(soon())
        .await
        .unwrap();
    let scopes: Vec<String> = sim.issued_tokens().into_iter().map(|t| t.scope).collect();
    assert_eq!(scopes, ["https://graph.microsoft.us/.default"]);
}
