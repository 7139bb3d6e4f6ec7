//! Every cloud of `environment`: its Graph and login roots, and the token scope each flow asks
//! for.

use msgraph_sim::{Sim, CLIENT_ID, CLIENT_SECRET, TENANT_ID};
use terraform_provider_msgraph::graph::{AuthConfig, Cloud};
use terraform_provider_msgraph::plugin::Value;

use super::resolution::{provider_block, resolved, s};
use super::*;

/// Signs in to `cloud` with `auth`, failing the test with `what` and the error otherwise.
async fn signs_in(cloud: Cloud, auth: AuthConfig, what: &str) {
    client_for(cloud, auth)
        .unwrap()
        .sign_in(soon())
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// environment, Graph root, login authority (Microsoft Graph national cloud deployments page).
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
        signs_in(cloud(graph), secret_app(CLIENT_SECRET), environment).await;
        let imds = AuthConfig {
            use_msi: true,
            msi_endpoint: Some(sim.imds_url()),
            ..AuthConfig::default()
        };
        signs_in(cloud(graph), imds, &format!("{environment} (IMDS)")).await;

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
        signs_in(cloud(graph), cli, &format!("{environment} (az)")).await;
        let args = std::fs::read_to_string(&args_file).unwrap();
        assert!(
            args.contains(&format!("--scope\n{graph}/.default\n")),
            "{environment}: az args {args:?}"
        );
    }
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
