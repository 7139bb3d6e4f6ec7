//! The provider block: its schema, and resolving arguments plus ARM_*/AZURE_*/ACTIONS_*/SYSTEM_*/
//! IDENTITY_* environment fallbacks into the Graph client's configuration.

use std::path::PathBuf;
use std::time::Duration;

use crate::graph::{check_root, AuthConfig, ClientConfig, Cloud, ProxyConfig, Secret, Setting};
use crate::plugin::{
    Attribute, AttributePath, Block, DescriptionKind, Diagnostics, Schema, Type, Value,
};

use super::private_state::DEFAULT_CONSISTENCY_WINDOW;
use super::timeouts::parse_go_duration;

/// Looks up an environment variable (injectable so resolution is testable).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Overrides how long reads retry a 404 or stale answer after this provider's own write
/// (a Go duration; "0s" turns the wait off). Meant for tests and unusually slow tenants.
pub const CONSISTENCY_WINDOW_ENV: &str = "MSGRAPH_CONSISTENCY_WINDOW";

#[derive(Clone, Copy)]
struct Arg {
    name: &'static str,
    bool_type: bool,
    sensitive: bool,
    /// Environment fallbacks, first set one wins.
    env: &'static [&'static str],
    description: &'static str,
}

const ARGS: &[Arg] = &[
    Arg { name: "tenant_id", bool_type: false, sensitive: false, env: &["ARM_TENANT_ID"],
        description: "The tenant ID (GUID or domain) of the Microsoft Entra tenant to sign in to: the tenant whose cross-tenant access settings are managed." },
    Arg { name: "client_id", bool_type: false, sensitive: false, env: &["ARM_CLIENT_ID"],
        description: "The application (client) ID to sign in as; with managed identity, the client ID of a user-assigned identity." },
    Arg { name: "client_id_file_path", bool_type: false, sensitive: false, env: &["ARM_CLIENT_ID_FILE_PATH"],
        description: "A file holding the client ID, read at configuration; must agree with `client_id` when both are set." },
    Arg { name: "client_secret", bool_type: false, sensitive: true, env: &["ARM_CLIENT_SECRET"],
        description: "A client secret of the application." },
    Arg { name: "client_secret_file_path", bool_type: false, sensitive: false, env: &["ARM_CLIENT_SECRET_FILE_PATH"],
        description: "A file holding the client secret, read at configuration; must agree with `client_secret` when both are set." },
    Arg { name: "client_certificate_path", bool_type: false, sensitive: false, env: &["ARM_CLIENT_CERTIFICATE_PATH"],
        description: "Path to the application's certificate with its private key: PEM, or PKCS#12 (.pfx/.p12). RSA keys only." },
    Arg { name: "client_certificate", bool_type: false, sensitive: true, env: &["ARM_CLIENT_CERTIFICATE"],
        description: "The application's certificate with its private key as base64-encoded PKCS#12. RSA keys only." },
    Arg { name: "client_certificate_password", bool_type: false, sensitive: true, env: &["ARM_CLIENT_CERTIFICATE_PASSWORD"],
        description: "The password of the PKCS#12 certificate, if it has one." },
    Arg { name: "use_oidc", bool_type: true, sensitive: false, env: &["ARM_USE_OIDC"],
        description: "Sign in with an OpenID Connect token (workload identity federation): GitHub Actions, Azure DevOps, AKS workload identity or a token/token file. Defaults to false, or true with `use_aks_workload_identity` when AZURE_FEDERATED_TOKEN_FILE is set." },
    Arg { name: "use_aks_workload_identity", bool_type: true, sensitive: false, env: &["ARM_USE_AKS_WORKLOAD_IDENTITY"],
        description: "Sign in with AKS workload identity: take the client ID, tenant ID and token file from `AZURE_CLIENT_ID`, `AZURE_TENANT_ID` and `AZURE_FEDERATED_TOKEN_FILE`, which are ignored otherwise. A configured `client_id` or `tenant_id` must agree with them. Defaults to false." },
    Arg { name: "oidc_token", bool_type: false, sensitive: true, env: &["ARM_OIDC_TOKEN"],
        description: "An OIDC ID token to exchange for an access token." },
    Arg { name: "oidc_token_file_path", bool_type: false, sensitive: false, env: &["ARM_OIDC_TOKEN_FILE_PATH"],
        description: "A file holding an OIDC ID token; read again on every sign-in, as it rotates." },
    Arg { name: "oidc_request_url", bool_type: false, sensitive: false, env: &["ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"],
        description: "The URL to request an OIDC token from (GitHub Actions sets ACTIONS_ID_TOKEN_REQUEST_URL; in Azure DevOps with ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID, SYSTEM_OIDCREQUESTURI is used)." },
    Arg { name: "oidc_request_token", bool_type: false, sensitive: true, env: &["ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
        description: "The bearer token for oidc_request_url (in Azure DevOps, SYSTEM_ACCESSTOKEN is used)." },
    Arg { name: "ado_pipeline_service_connection_id", bool_type: false, sensitive: false, env: &["ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID"],
        description: "The ID of the Azure DevOps service connection to request the OIDC token for (with `use_oidc`); the request URL and token then default to SYSTEM_OIDCREQUESTURI and SYSTEM_ACCESSTOKEN." },
    Arg { name: "use_msi", bool_type: true, sensitive: false, env: &["ARM_USE_MSI"],
        description: "Sign in with the managed identity of the Azure VM, App Service or Function running Terraform. Defaults to false." },
    Arg { name: "msi_endpoint", bool_type: false, sensitive: false, env: &["ARM_MSI_ENDPOINT", "IDENTITY_ENDPOINT"],
        description: "The managed identity token endpoint; defaults to the instance metadata service, or App Service's IDENTITY_ENDPOINT." },
    Arg { name: "use_cli", bool_type: true, sensitive: false, env: &["ARM_USE_CLI"],
        description: "Sign in with the Azure CLI's login (`az login`) when no other credential is configured. Defaults to true." },
    Arg { name: "environment", bool_type: false, sensitive: false, env: &["ARM_ENVIRONMENT"],
        description: "The Microsoft cloud: `public` (default; `global` is the same), `usgovernment` (also spelled `usgovernmentl4`), `dod` (also spelled `usgovernmentl5`) or `china`. Picks the Graph and login endpoints." },
    Arg { name: "graph_endpoint", bool_type: false, sensitive: false, env: &["ARM_GRAPH_ENDPOINT"],
        description: "Overrides the Microsoft Graph root of the chosen cloud, without a version (e.g. `https://graph.microsoft.com`). https only, except for loopback hosts. A host outside the cloud is accepted from the provider block only when the environment names the same host or sets `ARM_ALLOW_CUSTOM_ENDPOINTS=true`." },
    Arg { name: "authority_host", bool_type: false, sensitive: false, env: &["ARM_AUTHORITY_HOST", "AZURE_AUTHORITY_HOST"],
        description: "Overrides the Microsoft Entra login root of the chosen cloud (e.g. `https://login.microsoftonline.com`). https only, except for loopback hosts. A host outside the cloud is accepted from the provider block only when the environment names the same host or sets `ARM_ALLOW_CUSTOM_ENDPOINTS=true`." },
];

const ENVIRONMENTS: &str =
    "public (or global), usgovernment (or usgovernmentl4), dod (or usgovernmentl5), china";

/// The provider block's schema: every argument optional.
pub fn provider_schema() -> Schema {
    let attributes = ARGS
        .iter()
        .map(|a| Attribute {
            name: a.name.into(),
            ty: if a.bool_type {
                Type::Bool
            } else {
                Type::String
            },
            description: format!(
                "{} Environment: {}.",
                a.description,
                a.env
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", then ")
            ),
            description_kind: DescriptionKind::Markdown,
            optional: true,
            sensitive: a.sensitive,
            ..Attribute::default()
        })
        .collect();
    Schema {
        version: 0,
        block: Block {
            attributes,
            description: "Manages Microsoft Entra cross-tenant identity synchronization through \
                          Microsoft Graph. Signs in like the azuread and azurerm providers: \
                          certificate, client secret, OIDC, managed identity or Azure CLI, the \
                          first configured one wins."
                .into(),
            description_kind: DescriptionKind::Markdown,
            ..Block::default()
        },
    }
}

/// Checks the written arguments (unknown ones are left for configure).
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if let Some(env) = config.attr("environment").as_str() {
        if !env.is_empty() && Cloud::named(env).is_none() {
            diags.attribute_error(
                AttributePath::attrs(["environment"]),
                "Invalid environment",
                format!("{env:?} is not a Microsoft cloud. Use one of: {ENVIRONMENTS}."),
            );
        }
    }
    // msi_endpoint is left alone: the metadata service is plain http on a link-local address.
    for (name, setting) in [
        ("graph_endpoint", Setting::GraphEndpoint),
        ("authority_host", Setting::AuthorityHost),
    ] {
        if let Some(url) = config.attr(name).as_str().filter(|v| !v.is_empty()) {
            if let Err(crate::graph::GraphError::InvalidSetting { problem, .. }) =
                check_root(setting, url)
            {
                diags.attribute_error(
                    AttributePath::attrs([name]),
                    "Invalid endpoint",
                    format!("{name}: {problem}"),
                );
            }
        }
    }
}

/// Everything configure produces.
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    pub client: ClientConfig,
    pub consistency_window: Duration,
    /// Values never to show in diagnostics (client secret, certificate, tokens...).
    pub secrets: Vec<Secret>,
}

/// The outcome of resolving the provider block.
#[derive(Debug)]
pub enum Resolution {
    Ready(Box<ResolvedConfig>),
    /// Some argument is unknown (it comes from a resource not yet created): configure again later.
    Deferred,
    /// Errors were added to the diagnostics.
    Invalid,
}

struct Resolver<'a> {
    config: &'a Value,
    env: EnvLookup<'a>,
}

impl Resolver<'_> {
    fn env_var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.is_empty())
    }

    /// The argument as written; empty strings count as unset (as in the SDKv2 providers, so
    /// `var.x` defaulting to "" still falls back to the environment).
    fn argument(&self, name: &str) -> Option<String> {
        self.config
            .attr(name)
            .as_str()
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// The argument, else its environment fallbacks.
    fn string(&self, name: &str) -> Option<String> {
        self.string_from(name).map(|(value, _)| value)
    }

    /// Like [`Self::string`], also naming the environment variable the value came from.
    fn string_from(&self, name: &str) -> Option<(String, Option<&'static str>)> {
        if let Some(v) = self.argument(name) {
            return Some((v, None));
        }
        let arg = ARGS.iter().find(|a| a.name == name)?;
        arg.env
            .iter()
            .find_map(|e| self.env_var(e).map(|v| (v, Some(*e))))
    }

    fn boolean(&self, name: &str, diags: &mut Diagnostics) -> Option<bool> {
        if let Some(b) = self.config.attr(name).as_bool() {
            return Some(b);
        }
        let arg = ARGS.iter().find(|a| a.name == name)?;
        for var in arg.env {
            if let Some(text) = self.env_var(var) {
                match parse_go_bool(&text) {
                    Some(b) => return Some(b),
                    None => {
                        diags.error(
                            "Invalid environment variable",
                            format!("{var} is {text:?}; use true or false."),
                        );
                        return None;
                    }
                }
            }
        }
        None
    }
}

impl Resolver<'_> {
    /// An environment variable parsed as a Go bool; unset is false.
    fn env_flag(&self, var: &str, diags: &mut Diagnostics) -> bool {
        match self.env_var(var) {
            None => false,
            Some(text) => parse_go_bool(&text).unwrap_or_else(|| {
                diags.error(
                    "Invalid environment variable",
                    format!("{var} is {text:?}; use true or false."),
                );
                false
            }),
        }
    }

    /// The trimmed contents of the file an argument names, read now.
    fn file_value(&self, name: &str, diags: &mut Diagnostics) -> Option<String> {
        let (path, from_env) = self.string_from(name)?;
        let origin = from_env.unwrap_or(name);
        match std::fs::read_to_string(&path) {
            Ok(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
            Ok(_) => {
                self.file_error(
                    name,
                    from_env,
                    format!("{origin}: the file {path} is empty."),
                    diags,
                );
                None
            }
            Err(e) => {
                self.file_error(
                    name,
                    from_env,
                    format!("{origin}: could not read {path}: {e}."),
                    diags,
                );
                None
            }
        }
    }

    fn file_error(
        &self,
        name: &str,
        from_env: Option<&str>,
        detail: String,
        diags: &mut Diagnostics,
    ) {
        match from_env {
            None => diags.attribute_error(AttributePath::attrs([name]), "Invalid file", detail),
            Some(_) => diags.error("Invalid file", detail),
        }
    }

    /// `value`, or `other` when `value` is unset; both set and different is an error naming
    /// where each came from.
    fn agreeing(
        &self,
        name: &str,
        value: Option<String>,
        other: Option<(String, &str)>,
        diags: &mut Diagnostics,
    ) -> Option<String> {
        match (value, other) {
            (Some(v), Some((o, origin))) if v.trim() != o.trim() => {
                diags.error(
                    "Conflicting configuration",
                    format!(
                        "{name} is {v:?}, but {origin} is {o:?}. Remove one of them or make them \
                         agree."
                    ),
                );
                Some(v)
            }
            (Some(v), _) => Some(v),
            (None, other) => other.map(|(o, _)| o),
        }
    }

    /// client_secret, or the contents of client_secret_file_path; the values are never shown.
    fn agreeing_secret(
        &self,
        inline: Option<String>,
        from_file: Option<String>,
        diags: &mut Diagnostics,
    ) -> Option<String> {
        match (inline, from_file) {
            (Some(v), Some(f)) if v.trim() != f => {
                diags.error(
                    "Conflicting configuration",
                    "client_secret and the file at client_secret_file_path hold different \
                     secrets. Remove one of them or make them agree.",
                );
                Some(v)
            }
            (Some(v), _) => Some(v),
            (None, f) => f,
        }
    }

    /// HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY, upper case first, as curl and Go read them.
    fn proxy(&self) -> ProxyConfig {
        let first = |names: &[&str]| names.iter().find_map(|n| self.env_var(n));
        let all = first(&["ALL_PROXY", "all_proxy"]);
        ProxyConfig {
            https: first(&["HTTPS_PROXY", "https_proxy"])
                .or_else(|| all.clone())
                .map(Secret::new),
            http: first(&["HTTP_PROXY", "http_proxy"])
                .or(all)
                .map(Secret::new),
            no_proxy: first(&["NO_PROXY", "no_proxy"]),
        }
    }
}

/// Go's strconv.ParseBool, which the other Azure providers use for ARM_USE_*.
fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Resolves the provider block and the environment into the Graph client's configuration.
pub fn resolve(
    config: &Value,
    env: EnvLookup<'_>,
    terraform_version: &str,
    diags: &mut Diagnostics,
) -> Resolution {
    if config.contains_unknown() {
        return Resolution::Deferred;
    }
    let before = diags.0.len();
    validate(config, diags);
    let r = Resolver { config, env };

    let environment = r.string("environment").unwrap_or_else(|| "public".into());
    let Some(mut cloud) = Cloud::named(&environment) else {
        if r.argument("environment").is_none() {
            diags.error(
                "Invalid environment",
                format!("ARM_ENVIRONMENT is {environment:?}, not a Microsoft cloud. Use one of: {ENVIRONMENTS}."),
            );
        }
        return Resolution::Invalid;
    };
    let selected = cloud.clone();
    for (name, setting, target) in [
        (
            "graph_endpoint",
            Setting::GraphEndpoint,
            &mut cloud.graph_endpoint,
        ),
        (
            "authority_host",
            Setting::AuthorityHost,
            &mut cloud.authority_host,
        ),
    ] {
        if let Some((url, from_env)) = r.string_from(name) {
            // From the environment validate() did not see it: name the variable instead.
            if let Some(var) = from_env {
                if let Err(crate::graph::GraphError::InvalidSetting { problem, .. }) =
                    check_root(setting, &url)
                {
                    diags.error(
                        "Invalid endpoint",
                        format!("From the environment: {var}: {problem}"),
                    );
                }
            }
            *target = url.trim_end_matches('/').to_string();
        }
    }
    r.check_endpoint_origins(&selected, &environment, diags);

    let aks = r
        .boolean("use_aks_workload_identity", diags)
        .unwrap_or(false);
    let aks_value = |var: &str| if aks { r.env_var(var) } else { None };
    let tenant_id = r.agreeing(
        "tenant_id",
        r.string("tenant_id"),
        aks_value("AZURE_TENANT_ID").map(|v| (v, "AZURE_TENANT_ID (AKS workload identity)")),
        diags,
    );
    let client_id_file = r.file_value("client_id_file_path", diags);
    let client_id = r.agreeing(
        "client_id",
        r.string("client_id"),
        client_id_file.map(|v| (v, "the file at client_id_file_path")),
        diags,
    );
    let client_id = r.agreeing(
        "client_id",
        client_id,
        aks_value("AZURE_CLIENT_ID").map(|v| (v, "AZURE_CLIENT_ID (AKS workload identity)")),
        diags,
    );
    let client_secret_file = r.file_value("client_secret_file_path", diags);
    let client_secret = r.agreeing_secret(r.string("client_secret"), client_secret_file, diags);
    let aks_token_file = aks_value("AZURE_FEDERATED_TOKEN_FILE");

    let ado_connection = r.string("ado_pipeline_service_connection_id");
    let explicit_or_arm = |name: &str, arm: &str| r.argument(name).or_else(|| r.env_var(arm));
    // Azure DevOps' request URL/token come before GitHub's when a service connection is named.
    let (oidc_request_url, oidc_request_token) = match &ado_connection {
        Some(_) => (
            explicit_or_arm("oidc_request_url", "ARM_OIDC_REQUEST_URL")
                .or_else(|| r.env_var("SYSTEM_OIDCREQUESTURI"))
                .or_else(|| r.env_var("ACTIONS_ID_TOKEN_REQUEST_URL")),
            explicit_or_arm("oidc_request_token", "ARM_OIDC_REQUEST_TOKEN")
                .or_else(|| r.env_var("SYSTEM_ACCESSTOKEN"))
                .or_else(|| r.env_var("ACTIONS_ID_TOKEN_REQUEST_TOKEN")),
        ),
        None => (r.string("oidc_request_url"), r.string("oidc_request_token")),
    };

    let use_oidc = r.boolean("use_oidc", diags);
    let use_msi = r.boolean("use_msi", diags).unwrap_or(false);
    let use_cli = r.boolean("use_cli", diags).unwrap_or(true);

    let secret = |name: &str| r.string(name).map(Secret::new);
    // `use_oidc = false` turns OIDC off, even where the environment offers a token or token
    // file (an AKS pod with workload identity injected that should use its managed identity).
    let oidc_off = use_oidc == Some(false);
    let oidc_input = |input: Option<String>| input.filter(|_| !oidc_off);
    let oidc_token_file_path = r.string("oidc_token_file_path").or(aks_token_file.clone());
    let auth = AuthConfig {
        tenant_id,
        client_id,
        client_secret: client_secret.map(Secret::new),
        client_certificate_path: r.string("client_certificate_path").map(PathBuf::from),
        client_certificate: secret("client_certificate"),
        client_certificate_password: secret("client_certificate_password"),
        use_oidc: use_oidc.unwrap_or(aks_token_file.is_some()),
        oidc_token: oidc_input(r.string("oidc_token")).map(Secret::new),
        oidc_token_file_path: oidc_input(oidc_token_file_path).map(PathBuf::from),
        oidc_request_url,
        oidc_request_token: oidc_request_token.map(Secret::new),
        ado_service_connection_id: ado_connection,
        use_msi,
        msi_endpoint: r.string("msi_endpoint"),
        msi_identity_header: r.env_var("IDENTITY_HEADER").map(Secret::new),
        use_cli,
        az_command: None,
    };
    let extra_ca_file = r.env_var("SSL_CERT_FILE").map(PathBuf::from);
    let proxy = r.proxy();

    let consistency_window = match r.env_var(CONSISTENCY_WINDOW_ENV) {
        None => DEFAULT_CONSISTENCY_WINDOW,
        Some(text) => match parse_go_duration(&text) {
            Ok(d) => d,
            Err(e) => {
                diags.error(
                    "Invalid environment variable",
                    format!("{CONSISTENCY_WINDOW_ENV}: {e} Use a duration such as \"30s\"."),
                );
                DEFAULT_CONSISTENCY_WINDOW
            }
        },
    };

    if diags.0[before..]
        .iter()
        .any(|d| d.severity == crate::plugin::Severity::Error)
    {
        return Resolution::Invalid;
    }
    let mut secrets = secrets_of(&auth);
    secrets.extend(proxy.https.iter().chain(proxy.http.iter()).cloned());
    log::debug!(
        "provider configured: environment={environment} graph_endpoint={} authority_host={} \
         tenant_id_set={} client_id_set={} use_oidc={} use_msi={} use_cli={}",
        cloud.graph_endpoint,
        cloud.authority_host,
        auth.tenant_id.is_some(),
        auth.client_id.is_some(),
        auth.use_oidc,
        auth.use_msi,
        auth.use_cli
    );
    Resolution::Ready(Box::new(ResolvedConfig {
        client: ClientConfig {
            proxy,
            ..client_config(cloud, auth, user_agent(terraform_version), extra_ca_file)
        },
        consistency_window,
        secrets,
    }))
}

/// The one place a ClientConfig is built (its fields may grow).
pub fn client_config(
    cloud: Cloud,
    auth: AuthConfig,
    user_agent: String,
    extra_ca_file: Option<PathBuf>,
) -> ClientConfig {
    ClientConfig {
        extra_ca_file,
        ..ClientConfig::new(cloud, auth, user_agent)
    }
}

fn user_agent(terraform_version: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    if terraform_version.is_empty() {
        format!("terraform-provider-msgraph/{version}")
    } else {
        format!("terraform-provider-msgraph/{version} Terraform/{terraform_version}")
    }
}

/// Every secret value of `auth`, for redaction.
pub fn secrets_of(auth: &AuthConfig) -> Vec<Secret> {
    [
        &auth.client_secret,
        &auth.client_certificate,
        &auth.client_certificate_password,
        &auth.oidc_token,
        &auth.oidc_request_token,
        &auth.msi_identity_header,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect()
}

mod endpoints;
pub use endpoints::ALLOW_CUSTOM_ENDPOINTS_ENV;

#[cfg(test)]
mod tests;
