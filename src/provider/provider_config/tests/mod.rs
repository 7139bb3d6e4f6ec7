//! Tests of provider configuration resolution.

mod signin;

use std::collections::HashMap;

use super::*;
use crate::provider::testutil::schema_names::attr_names;

const SIM: &str = "http://127.0.0.1:8080";

pub(super) fn config(pairs: &[(&str, Value)]) -> Value {
    let mut attrs: Vec<(String, Value)> = ARGS
        .iter()
        .map(|a| (a.name.to_string(), Value::Null))
        .collect();
    for (k, v) in pairs {
        let slot = attrs.iter_mut().find(|(n, _)| n == k).expect("known arg");
        slot.1 = v.clone();
    }
    Value::object(attrs)
}

pub(super) fn resolve_with(config: &Value, env: &[(&str, &str)]) -> (Resolution, Diagnostics) {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let lookup = move |name: &str| env.get(name).cloned();
    let mut diags = Diagnostics::new();
    let r = resolve(config, &lookup, "1.11.4", &mut diags);
    (r, diags)
}

/// The OIDC request URL and (exposed) token the configuration resolved to.
fn oidc_request(c: &ResolvedConfig) -> (Option<&str>, Option<&str>) {
    let auth = &c.client.auth;
    (
        auth.oidc_request_url.as_deref(),
        auth.oidc_request_token.as_ref().map(Secret::expose),
    )
}

pub(super) fn ready(config: &Value, env: &[(&str, &str)]) -> ResolvedConfig {
    match resolve_with(config, env) {
        (Resolution::Ready(c), d) => {
            assert!(!d.has_errors(), "{d:?}");
            *c
        }
        (other, d) => panic!("not ready: {other:?} {d:?}"),
    }
}

pub(super) fn s(v: &str) -> Value {
    Value::string(v)
}

#[test]
fn schema_has_every_argument_optional_and_secrets_sensitive() {
    let schema = provider_schema();
    let names: Vec<&str> = attr_names(&schema.block);
    assert_eq!(
        names,
        [
            "tenant_id",
            "client_id",
            "client_id_file_path",
            "client_secret",
            "client_secret_file_path",
            "client_certificate_path",
            "client_certificate",
            "client_certificate_password",
            "use_oidc",
            "use_aks_workload_identity",
            "oidc_token",
            "oidc_token_file_path",
            "oidc_request_url",
            "oidc_request_token",
            "ado_pipeline_service_connection_id",
            "use_msi",
            "msi_endpoint",
            "use_cli",
            "environment",
            "graph_endpoint",
            "authority_host",
        ]
    );
    for a in &schema.block.attributes {
        assert!(a.optional && !a.required && !a.computed, "{}", a.name);
        assert!(a.description.contains("Environment: `"), "{}", a.name);
    }
    let sensitive: Vec<&str> = schema
        .block
        .attributes
        .iter()
        .filter(|a| a.sensitive)
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        sensitive,
        [
            "client_secret",
            "client_certificate",
            "client_certificate_password",
            "oidc_token",
            "oidc_request_token"
        ]
    );
    let bools: Vec<&str> = schema
        .block
        .attributes
        .iter()
        .filter(|a| a.ty == Type::Bool)
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        bools,
        [
            "use_oidc",
            "use_aks_workload_identity",
            "use_msi",
            "use_cli"
        ]
    );
}

#[test]
fn defaults_are_public_cloud_and_cli() {
    let c = ready(&config(&[]), &[]);
    assert_eq!(c.client.cloud, Cloud::named("public").unwrap());
    assert!(c.client.auth.use_cli);
    assert!(!c.client.auth.use_msi);
    assert!(!c.client.auth.use_oidc);
    assert_eq!(c.client.auth.tenant_id, None);
    assert_eq!(c.consistency_window, DEFAULT_CONSISTENCY_WINDOW);
    assert!(c
        .client
        .user_agent
        .starts_with("terraform-provider-msgraph/"));
    assert!(c.client.user_agent.ends_with("Terraform/1.11.4"));
}

#[test]
fn arguments_win_over_environment() {
    let cfg = config(&[
        ("tenant_id", s("arg-tenant")),
        ("client_id", s("arg-client")),
        ("client_secret", s("arg-secret")),
        ("use_cli", Value::Bool(false)),
    ]);
    let c = ready(
        &cfg,
        &[
            ("ARM_TENANT_ID", "env-tenant"),
            ("ARM_CLIENT_ID", "env-client"),
            ("ARM_CLIENT_SECRET", "env-secret"),
            ("ARM_USE_CLI", "true"),
        ],
    );
    assert_eq!(c.client.auth.tenant_id.as_deref(), Some("arg-tenant"));
    assert_eq!(c.client.auth.client_id.as_deref(), Some("arg-client"));
    assert_eq!(
        c.client.auth.client_secret.as_ref().map(Secret::expose),
        Some("arg-secret")
    );
    assert!(!c.client.auth.use_cli);
    assert_eq!(exposed(&c.secrets), ["arg-secret"]);
}

/// The secrets' values, for comparison.
pub(super) fn exposed(secrets: &[Secret]) -> Vec<&str> {
    secrets.iter().map(Secret::expose).collect()
}

#[test]
fn arm_variables_win_and_azure_variables_need_aks_workload_identity() {
    let env = [
        ("ARM_TENANT_ID", "arm-tenant"),
        ("AZURE_TENANT_ID", "azure-tenant"),
        ("ARM_CLIENT_ID", "arm-client"),
        ("AZURE_CLIENT_ID", "azure-client"),
        ("ARM_AUTHORITY_HOST", "https://arm.login"),
        ("AZURE_AUTHORITY_HOST", "https://azure.login"),
        ("ARM_OIDC_TOKEN_FILE_PATH", "/arm/token"),
        ("AZURE_FEDERATED_TOKEN_FILE", "/azure/token"),
    ];
    let c = ready(&config(&[]), &env);
    assert_eq!(c.client.auth.tenant_id.as_deref(), Some("arm-tenant"));
    assert_eq!(c.client.auth.client_id.as_deref(), Some("arm-client"));
    assert_eq!(c.client.cloud.authority_host, "https://arm.login");
    assert_eq!(
        c.client.auth.oidc_token_file_path,
        Some(PathBuf::from("/arm/token"))
    );
    // A pod that has AZURE_* for another purpose: not used unless asked for.
    let azure_only: Vec<(&str, &str)> = env
        .iter()
        .copied()
        .filter(|(k, _)| k.starts_with("AZURE_") && *k != "AZURE_AUTHORITY_HOST")
        .collect();
    let c = ready(&config(&[]), &azure_only);
    let a = &c.client.auth;
    assert_eq!(
        (a.tenant_id.as_deref(), a.client_id.as_deref()),
        (None, None)
    );
    assert_eq!(a.oidc_token_file_path, None);
    assert!(!a.use_oidc);
}

#[test]
fn empty_strings_count_as_unset() {
    let cfg = config(&[("tenant_id", s("")), ("client_secret", s(""))]);
    let c = ready(&cfg, &[("ARM_TENANT_ID", "env-tenant")]);
    assert_eq!(c.client.auth.tenant_id.as_deref(), Some("env-tenant"));
    assert!(c.client.auth.client_secret.is_none());
}

#[test]
fn aks_workload_identity_needs_no_other_arguments() {
    let env = [
        ("ARM_USE_AKS_WORKLOAD_IDENTITY", "true"),
        ("AZURE_CLIENT_ID", "aks-client"),
        ("AZURE_TENANT_ID", "aks-tenant"),
        ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/token"),
        ("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/"),
    ];
    let c = ready(&config(&[]), &env);
    let a = &c.client.auth;
    assert_eq!(a.client_id.as_deref(), Some("aks-client"));
    assert_eq!(a.tenant_id.as_deref(), Some("aks-tenant"));
    assert_eq!(
        a.oidc_token_file_path,
        Some(PathBuf::from("/var/run/secrets/token"))
    );
    assert!(a.use_oidc, "AKS token file turns OIDC on");
    assert_eq!(
        c.client.cloud.authority_host,
        "https://login.microsoftonline.com"
    );
    // An explicit use_oidc = false is respected: the injected token file is not used either.
    let c = ready(&config(&[("use_oidc", Value::Bool(false))]), &env);
    assert!(!c.client.auth.use_oidc);
    assert_eq!(c.client.auth.oidc_token_file_path, None);
}

#[test]
fn github_actions_variables_back_the_oidc_request() {
    let env = [
        ("ARM_USE_OIDC", "true"),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh/oidc?x=1"),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-token"),
    ];
    let c = ready(&config(&[]), &env);
    assert!(c.client.auth.use_oidc);
    assert_eq!(
        oidc_request(&c),
        (Some("https://gh/oidc?x=1"), Some("gh-token"))
    );
    assert_eq!(exposed(&c.secrets), ["gh-token"]);
    // ARM_ variables come first.
    let mut env2 = env.to_vec();
    env2.push(("ARM_OIDC_REQUEST_URL", "https://arm/oidc"));
    env2.push(("ARM_OIDC_REQUEST_TOKEN", "arm-token"));
    let c = ready(&config(&[]), &env2);
    assert_eq!(
        oidc_request(&c),
        (Some("https://arm/oidc"), Some("arm-token"))
    );
}

#[test]
fn azure_devops_uses_system_variables() {
    let env = [
        ("ARM_USE_OIDC", "true"),
        ("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "conn-1"),
        ("SYSTEM_OIDCREQUESTURI", "https://ado/oidc"),
        ("SYSTEM_ACCESSTOKEN", "ado-token"),
    ];
    let c = ready(&config(&[]), &env);
    let a = &c.client.auth;
    assert_eq!(a.ado_service_connection_id.as_deref(), Some("conn-1"));
    assert_eq!(
        oidc_request(&c),
        (Some("https://ado/oidc"), Some("ado-token"))
    );
    // Without a service connection the SYSTEM_ variables are not taken.
    let c = ready(
        &config(&[]),
        &[
            ("SYSTEM_OIDCREQUESTURI", "https://ado/oidc"),
            ("SYSTEM_ACCESSTOKEN", "ado-token"),
        ],
    );
    assert_eq!(oidc_request(&c), (None, None));
}

#[test]
fn app_service_managed_identity() {
    let env = [
        ("ARM_USE_MSI", "true"),
        ("IDENTITY_ENDPOINT", "http://127.0.0.1:41000/msi/token"),
        ("IDENTITY_HEADER", "hdr-secret"),
    ];
    let c = ready(&config(&[]), &env);
    let a = &c.client.auth;
    assert!(a.use_msi);
    assert_eq!(
        a.msi_endpoint.as_deref(),
        Some("http://127.0.0.1:41000/msi/token")
    );
    assert_eq!(
        a.msi_identity_header.as_ref().map(Secret::expose),
        Some("hdr-secret")
    );
    assert_eq!(exposed(&c.secrets), ["hdr-secret"]);
    // ARM_MSI_ENDPOINT wins; plain http to the metadata service is allowed.
    let c = ready(
        &config(&[(
            "msi_endpoint",
            s("http://169.254.169.254/metadata/identity/oauth2/token"),
        )]),
        &[("ARM_MSI_ENDPOINT", "http://other")],
    );
    assert_eq!(
        c.client.auth.msi_endpoint.as_deref(),
        Some("http://169.254.169.254/metadata/identity/oauth2/token")
    );
}

#[test]
fn certificate_arguments() {
    let cfg = config(&[
        ("client_certificate_path", s("/certs/app.pfx")),
        ("client_certificate_password", s("pfx-pass")),
    ]);
    let c = ready(&cfg, &[("ARM_CLIENT_CERTIFICATE", "QkFTRTY0")]);
    let a = &c.client.auth;
    assert_eq!(
        a.client_certificate_path,
        Some(PathBuf::from("/certs/app.pfx"))
    );
    assert_eq!(
        a.client_certificate.as_ref().map(Secret::expose),
        Some("QkFTRTY0")
    );
    assert_eq!(exposed(&c.secrets), ["QkFTRTY0", "pfx-pass"]);
    // Debug output never shows them.
    let debug = format!("{:?}", c.client);
    assert!(!debug.contains("pfx-pass") && !debug.contains("QkFTRTY0"));
}

#[test]
fn use_cli_defaults_true_and_env_bools_parse_like_go() {
    assert!(ready(&config(&[]), &[]).client.auth.use_cli);
    for (text, want) in [
        ("false", false),
        ("0", false),
        ("F", false),
        ("TRUE", true),
        ("1", true),
    ] {
        let c = ready(&config(&[]), &[("ARM_USE_CLI", text)]);
        assert_eq!(c.client.auth.use_cli, want, "{text}");
    }
    let (r, d) = resolve_with(&config(&[]), &[("ARM_USE_MSI", "yes")]);
    assert!(matches!(r, Resolution::Invalid));
    assert!(d.0[0].detail.contains("ARM_USE_MSI"));
}

#[test]
fn environments_pick_their_cloud() {
    for (name, graph) in [
        ("public", "https://graph.microsoft.com"),
        ("usgovernment", "https://graph.microsoft.us"),
        ("dod", "https://dod-graph.microsoft.us"),
        ("china", "https://microsoftgraph.chinacloudapi.cn"),
    ] {
        let c = ready(&config(&[("environment", s(name))]), &[]);
        assert_eq!(c.client.cloud.graph_endpoint, graph, "{name}");
    }
    let c = ready(&config(&[]), &[("ARM_ENVIRONMENT", "china")]);
    assert_eq!(
        c.client.cloud.authority_host,
        "https://login.chinacloudapi.cn"
    );
}

#[test]
fn invalid_environment_is_an_error_at_the_attribute() {
    let mut diags = Diagnostics::new();
    validate(&config(&[("environment", s("mars"))]), &mut diags);
    assert_eq!(diags.0.len(), 1);
    assert_eq!(
        diags.0[0].attribute,
        Some(AttributePath::attrs(["environment"]))
    );
    assert!(diags.0[0]
        .detail
        .contains("public (or global), usgovernment (or usgovernmentl4), dod"));
    let (r, d) = resolve_with(&config(&[("environment", s("mars"))]), &[]);
    assert!(matches!(r, Resolution::Invalid));
    assert_eq!(d.0.len(), 1, "{d:?}");
    // From the environment: no path, names the variable.
    let (r, d) = resolve_with(&config(&[]), &[("ARM_ENVIRONMENT", "mars")]);
    assert!(matches!(r, Resolution::Invalid));
    assert_eq!(d.0[0].attribute, None);
    assert!(d.0[0].detail.contains("ARM_ENVIRONMENT"));
}

#[test]
fn endpoint_overrides_for_the_simulator() {
    let cfg = config(&[
        ("graph_endpoint", s(&format!("{SIM}/"))),
        ("authority_host", s(SIM)),
        ("environment", s("usgovernment")),
    ]);
    let c = ready(&cfg, &[]);
    assert_eq!(c.client.cloud.graph_endpoint, SIM);
    assert_eq!(c.client.cloud.authority_host, SIM);
    let c = ready(
        &config(&[]),
        &[("ARM_GRAPH_ENDPOINT", "http://localhost:9")],
    );
    assert_eq!(c.client.cloud.graph_endpoint, "http://localhost:9");
}

#[test]
fn http_is_refused_for_non_loopback_hosts() {
    for (url, ok) in [
        ("https://graph.microsoft.com", true),
        ("http://127.0.0.1:8080", true),
        ("http://localhost:1", true),
        ("http://[::1]:80", true),
        ("http://graph.example.com", false),
        ("http://10.0.0.1", false),
        ("ftp://x", false),
        ("graph.microsoft.com", false),
        ("https://graph.microsoft.com/v1.0", false),
        ("https://", false),
        ("https://graph.microsoft.com/?x=1", false),
        ("https://user:pw@graph.microsoft.com", false),
        ("", true),
    ] {
        let mut diags = Diagnostics::new();
        validate(&config(&[("graph_endpoint", s(url))]), &mut diags);
        assert_eq!(diags.has_errors(), !ok, "{url}: {diags:?}");
        if !ok {
            assert_eq!(
                diags.0[0].attribute,
                Some(AttributePath::attrs(["graph_endpoint"]))
            );
        }
    }
    let (r, d) = resolve_with(
        &config(&[]),
        &[("ARM_AUTHORITY_HOST", "http://evil.example")],
    );
    assert!(matches!(r, Resolution::Invalid));
    assert_eq!(d.0[0].attribute, None);
    assert!(d.0[0].detail.contains("loopback"), "{d:?}");
    assert!(d.0[0].detail.contains("ARM_AUTHORITY_HOST"), "{d:?}");
    // The second fallback is named when it is the one set.
    let (r, d) = resolve_with(
        &config(&[]),
        &[("AZURE_AUTHORITY_HOST", "https://login.example/beta")],
    );
    assert!(matches!(r, Resolution::Invalid));
    assert!(d.0[0].detail.contains("AZURE_AUTHORITY_HOST"), "{d:?}");
    assert!(d.0[0].detail.contains("remove /beta"), "{d:?}");
}

#[test]
fn unknown_arguments_defer_instead_of_failing() {
    let cfg = config(&[
        ("tenant_id", Value::Unknown),
        ("environment", Value::Unknown),
    ]);
    let mut diags = Diagnostics::new();
    validate(&cfg, &mut diags);
    assert!(diags.0.is_empty());
    let (r, d) = resolve_with(&cfg, &[]);
    assert!(matches!(r, Resolution::Deferred));
    assert!(d.0.is_empty());
}

#[test]
fn consistency_window_override() {
    let c = ready(&config(&[]), &[(CONSISTENCY_WINDOW_ENV, "2s")]);
    assert_eq!(c.consistency_window, Duration::from_secs(2));
    let (r, _) = resolve_with(&config(&[]), &[(CONSISTENCY_WINDOW_ENV, "soon")]);
    assert!(matches!(r, Resolution::Invalid));
}
