//! Tests of the provider block's sign-in hardening: endpoints outside the cloud, AKS workload
//! identity opt-in, client ID/secret files, the Azure DevOps argument and proxy variables.

use super::{config, exposed, ready, resolve_with, s};
use crate::provider::provider_config::*;
use crate::provider::testutil::schema_names::attr;

/// The error diagnostics' details, and the attributes they name.
fn errors(config: &Value, env: &[(&str, &str)]) -> Vec<(Option<AttributePath>, String)> {
    let (r, d) = resolve_with(config, env);
    assert!(matches!(r, Resolution::Invalid), "{r:?} {d:?}");
    d.0.iter()
        .filter(|d| d.severity == crate::plugin::Severity::Error)
        .map(|d| (d.attribute.clone(), d.detail.clone()))
        .collect()
}

#[test]
fn endpoints_outside_the_cloud_from_the_provider_block_need_the_environment_to_agree() {
    let secret_env = [("ARM_CLIENT_SECRET", "ci-secret"), ("ARM_TENANT_ID", "t")];
    for (name, value) in [
        ("authority_host", "https://login.attacker.example"),
        ("graph_endpoint", "https://graph.attacker.example"),
        ("msi_endpoint", "https://msi.attacker.example/token"),
        ("oidc_request_url", "https://oidc.attacker.example/token"),
    ] {
        let block = config(&[(name, s(value))]);
        let found = errors(&block, &secret_env);
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        let (attribute, detail) = &found[0];
        assert_eq!(attribute, &Some(AttributePath::attrs([name])), "{name}");
        for needle in [name, "attacker.example", "ARM_ALLOW_CUSTOM_ENDPOINTS=true"] {
            assert!(detail.contains(needle), "{name}: {detail}");
        }
        // The opt-in accepts it.
        let mut opted = secret_env.to_vec();
        opted.push((ALLOW_CUSTOM_ENDPOINTS_ENV, "true"));
        ready(&block, &opted);
    }
    // The environment naming the same host accepts it (the pipeline chose it).
    let block = config(&[("authority_host", s("https://login.corp.example/"))]);
    ready(
        &block,
        &[("ARM_AUTHORITY_HOST", "https://login.corp.example")],
    );
    let block = config(&[("oidc_request_url", s("https://ado.corp.example/oidc"))]);
    ready(
        &block,
        &[("SYSTEM_OIDCREQUESTURI", "https://ado.corp.example/x")],
    );
    // Another host in the environment does not.
    let block = config(&[("graph_endpoint", s("https://graph.attacker.example"))]);
    errors(
        &block,
        &[("ARM_GRAPH_ENDPOINT", "https://graph.corp.example")],
    );
}

#[test]
fn endpoints_of_the_cloud_loopback_and_the_environment_are_accepted() {
    for (name, value) in [
        ("graph_endpoint", "https://graph.microsoft.com"),
        ("authority_host", "https://LOGIN.microsoftonline.com/"),
        ("graph_endpoint", "http://127.0.0.1:8080"),
        ("authority_host", "http://localhost:1"),
        (
            "msi_endpoint",
            "http://169.254.169.254/metadata/identity/oauth2/token",
        ),
        ("msi_endpoint", "http://127.0.0.1:41000/msi/token"),
        ("oidc_request_url", "http://[::1]:9/oidc"),
    ] {
        ready(&config(&[(name, s(value))]), &[]);
    }
    // The selected cloud's hosts, not the public cloud's.
    let china = config(&[
        ("environment", s("china")),
        (
            "graph_endpoint",
            s("https://microsoftgraph.chinacloudapi.cn"),
        ),
    ]);
    ready(&china, &[]);
    let mixed = config(&[
        ("environment", s("china")),
        ("graph_endpoint", s("https://graph.microsoft.com")),
    ]);
    errors(&mixed, &[]);
    // Set in the environment only: the pipeline's own choice.
    ready(
        &config(&[]),
        &[("ARM_GRAPH_ENDPOINT", "https://graph.corp.example")],
    );
    // The opt-in must parse.
    errors(&config(&[]), &[(ALLOW_CUSTOM_ENDPOINTS_ENV, "sometimes")]);
}

#[test]
fn aks_workload_identity_values_must_agree_with_configured_ones() {
    let aks = [
        ("AZURE_CLIENT_ID", "aks-client"),
        ("AZURE_TENANT_ID", "aks-tenant"),
        ("AZURE_FEDERATED_TOKEN_FILE", "/token"),
    ];
    let block = config(&[
        ("use_aks_workload_identity", Value::Bool(true)),
        ("client_id", s("other-client")),
    ]);
    let found = errors(&block, &aks);
    assert_eq!(found.len(), 1, "{found:?}");
    for needle in ["client_id", "other-client", "AZURE_CLIENT_ID", "aks-client"] {
        assert!(found[0].1.contains(needle), "{found:?}");
    }
    let mut env = aks.to_vec();
    env.push(("ARM_TENANT_ID", "arm-tenant"));
    env.push(("ARM_USE_AKS_WORKLOAD_IDENTITY", "true"));
    let found = errors(&config(&[]), &env);
    assert!(
        found[0].1.contains("arm-tenant") && found[0].1.contains("aks-tenant"),
        "{found:?}"
    );
    // Agreeing values are fine; the argument turns it on as the variable does.
    let block = config(&[
        ("use_aks_workload_identity", Value::Bool(true)),
        ("client_id", s("aks-client")),
    ]);
    let c = ready(&block, &aks);
    assert_eq!(c.client.auth.tenant_id.as_deref(), Some("aks-tenant"));
    assert!(c.client.auth.use_oidc);
}

#[test]
fn client_id_and_secret_files_are_read_at_configure_and_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let id_file = dir.path().join("client-id");
    let secret_file = dir.path().join("client-secret");
    std::fs::write(&id_file, "file-client\n").unwrap();
    std::fs::write(&secret_file, "file-secret-value\n").unwrap();
    let id_path = id_file.display().to_string();
    let secret_path = secret_file.display().to_string();

    let c = ready(
        &config(&[("client_id_file_path", s(&id_path))]),
        &[("ARM_CLIENT_SECRET_FILE_PATH", &secret_path)],
    );
    assert_eq!(c.client.auth.client_id.as_deref(), Some("file-client"));
    assert_eq!(
        c.client.auth.client_secret.as_ref().map(Secret::expose),
        Some("file-secret-value")
    );
    assert_eq!(exposed(&c.secrets), ["file-secret-value"]);

    // Agreeing inline values are fine; disagreeing ones are errors (secrets never shown).
    ready(
        &config(&[
            ("client_id_file_path", s(&id_path)),
            ("client_id", s("file-client")),
        ]),
        &[],
    );
    let found = errors(
        &config(&[
            ("client_secret_file_path", s(&secret_path)),
            ("client_secret", s("inline-secret")),
        ]),
        &[],
    );
    assert!(found[0].1.contains("client_secret_file_path"), "{found:?}");
    assert!(
        !found[0].1.contains("inline-secret") && !found[0].1.contains("file-secret-value"),
        "{found:?}"
    );
    let found = errors(
        &config(&[("client_id_file_path", s(&id_path))]),
        &[("ARM_CLIENT_ID", "env-client")],
    );
    assert!(
        found[0].1.contains("env-client") && found[0].1.contains("file-client"),
        "{found:?}"
    );

    // A missing file is an error at its attribute.
    let found = errors(
        &config(&[("client_id_file_path", s("/nonexistent/id"))]),
        &[],
    );
    assert_eq!(
        found[0].0,
        Some(AttributePath::attrs(["client_id_file_path"]))
    );
    assert!(found[0].1.contains("/nonexistent/id"), "{found:?}");
}

#[test]
fn the_azure_devops_service_connection_is_an_argument_with_two_variables() {
    let system = [
        ("SYSTEM_OIDCREQUESTURI", "https://ado.example/oidc"),
        ("SYSTEM_ACCESSTOKEN", "ado-token"),
    ];
    let c = ready(
        &config(&[("ado_pipeline_service_connection_id", s("conn-arg"))]),
        &system,
    );
    let a = &c.client.auth;
    assert_eq!(a.ado_service_connection_id.as_deref(), Some("conn-arg"));
    assert_eq!(
        a.oidc_request_url.as_deref(),
        Some("https://ado.example/oidc")
    );
    let mut env = system.to_vec();
    env.push(("ARM_OIDC_AZURE_SERVICE_CONNECTION_ID", "conn-old"));
    let c = ready(&config(&[]), &env);
    assert_eq!(
        c.client.auth.ado_service_connection_id.as_deref(),
        Some("conn-old")
    );
    env.push(("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "conn-new"));
    let c = ready(&config(&[]), &env);
    assert_eq!(
        c.client.auth.ado_service_connection_id.as_deref(),
        Some("conn-new")
    );
}

#[test]
fn proxy_variables_are_resolved_here_and_kept_secret() {
    let c = ready(
        &config(&[]),
        &[
            ("https_proxy", "http://user:proxy-pass@proxy:3128"),
            ("ALL_PROXY", "http://all:9"),
            ("NO_PROXY", "corp.example"),
        ],
    );
    let p = &c.client.proxy;
    assert_eq!(
        p.https.as_ref().map(Secret::expose),
        Some("http://user:proxy-pass@proxy:3128")
    );
    assert_eq!(p.http.as_ref().map(Secret::expose), Some("http://all:9"));
    assert_eq!(p.no_proxy.as_deref(), Some("corp.example"));
    assert!(exposed(&c.secrets).contains(&"http://user:proxy-pass@proxy:3128"));
    assert!(!format!("{c:?}").contains("proxy-pass"));
    assert_eq!(
        ready(&config(&[]), &[]).client.proxy,
        ProxyConfig::default()
    );
}

#[test]
fn environment_documents_the_azuread_spellings() {
    let schema = provider_schema();
    let env = attr(&schema.block, "environment");
    for spelling in ["global", "usgovernmentl4", "usgovernmentl5"] {
        assert!(env.description.contains(spelling), "{}", env.description);
        ready(&config(&[("environment", s(spelling))]), &[]);
    }
}
