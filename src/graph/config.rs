//! Client configuration: which cloud, which credential. Built by the provider; this module reads
//! no environment variables itself.

use std::path::PathBuf;
use std::time::Duration;

/// A secret string that never prints: the one type for every client secret, certificate,
/// password, OIDC token, identity header, access token and proxy URL (it may carry a password)
/// this crate holds. It has no `Display`, and its `Debug` shows no part of the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_string())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Graph and login roots of one cloud (no trailing slash, no version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cloud {
    /// e.g. `https://graph.microsoft.com`
    pub graph_endpoint: String,
    /// e.g. `https://login.microsoftonline.com`
    pub authority_host: String,
}

impl Default for Cloud {
    /// The public cloud.
    fn default() -> Cloud {
        Cloud {
            graph_endpoint: "https://graph.microsoft.com".into(),
            authority_host: "https://login.microsoftonline.com".into(),
        }
    }
}

impl Cloud {
    /// The cloud named by `environment` (public, usgovernment, dod, china).
    pub fn named(environment: &str) -> Option<Cloud> {
        let (graph, login) = match environment.to_ascii_lowercase().as_str() {
            "public" | "global" => (
                "https://graph.microsoft.com",
                "https://login.microsoftonline.com",
            ),
            "usgovernment" | "usgovernmentl4" => (
                "https://graph.microsoft.us",
                "https://login.microsoftonline.us",
            ),
            "dod" | "usgovernmentl5" => (
                "https://dod-graph.microsoft.us",
                "https://login.microsoftonline.us",
            ),
            "china" => (
                "https://microsoftgraph.chinacloudapi.cn",
                "https://login.chinacloudapi.cn",
            ),
            _ => return None,
        };
        Some(Cloud {
            graph_endpoint: graph.into(),
            authority_host: login.into(),
        })
    }
}

/// Every credential input, already resolved from provider arguments and environment.
/// The first configured credential wins: certificate, secret, OIDC, managed identity, Azure CLI.
///
/// - certificate: `client_certificate_path` or `client_certificate` set (needs client_id, tenant_id);
/// - secret: `client_secret` set (needs client_id, tenant_id);
/// - OIDC: `oidc_token` or `oidc_token_file_path` set, or `use_oidc` with `oidc_request_url` +
///   `oidc_request_token` (GitHub Actions; Azure DevOps when `ado_service_connection_id` is set);
///   needs client_id, tenant_id;
/// - managed identity: `use_msi` (client_id selects a user-assigned identity; App Service when
///   `msi_identity_header` is set, with `msi_endpoint`);
/// - Azure CLI: `use_cli` (note: `false` in `Default`; the provider defaults it to true).
///
/// A credential that is configured but incomplete stops the search with
/// [`GraphError::NoCredential`](super::GraphError::NoCredential) saying what is missing, rather
/// than silently signing in as another identity further down the list. Empty strings count as
/// unset.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub client_certificate_path: Option<PathBuf>,
    /// Base64 PKCS#12.
    pub client_certificate: Option<Secret>,
    pub client_certificate_password: Option<Secret>,
    pub use_oidc: bool,
    pub oidc_token: Option<Secret>,
    /// Re-read on every token request.
    pub oidc_token_file_path: Option<PathBuf>,
    pub oidc_request_url: Option<String>,
    pub oidc_request_token: Option<Secret>,
    /// Azure DevOps: the service connection to request the federated token for, from
    /// `oidc_request_url` with `oidc_request_token` (the pipeline's own URL and access token).
    pub ado_service_connection_id: Option<String>,
    pub use_msi: bool,
    /// IMDS or App Service endpoint. Default: IMDS `http://169.254.169.254/metadata/identity/oauth2/token`.
    /// Plain http is accepted here for loopback and link-local (169.254.0.0/16) hosts only.
    pub msi_endpoint: Option<String>,
    /// App Service / Functions: the identity header.
    pub msi_identity_header: Option<Secret>,
    pub use_cli: bool,
    /// The `az` executable (default "az" on PATH).
    pub az_command: Option<PathBuf>,
}

#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    pub cloud: Cloud,
    pub auth: AuthConfig,
    pub user_agent: String,
    /// Extra trusted root certificates (PEM bundle), e.g. a corporate proxy's CA; added to the
    /// system store, never replacing it.
    pub extra_ca_file: Option<PathBuf>,
    /// Where Graph and login requests go through a proxy. Managed identity requests and plain
    /// http to loopback or link-local hosts always go direct.
    pub proxy: ProxyConfig,
    /// Timeouts and retry pacing; the defaults suit Graph, tests shrink them.
    pub tuning: Tuning,
}

impl ClientConfig {
    /// A configuration with default tuning and no extra CA file.
    pub fn new(cloud: Cloud, auth: AuthConfig, user_agent: impl Into<String>) -> ClientConfig {
        ClientConfig {
            cloud,
            auth,
            user_agent: user_agent.into(),
            extra_ca_file: None,
            proxy: ProxyConfig::default(),
            tuning: Tuning::default(),
        }
    }
}

/// Proxy settings, resolved by the caller (this crate reads no environment variables).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Proxy for https:// requests; may hold `user:password@`.
    pub https: Option<Secret>,
    /// Proxy for http:// requests.
    pub http: Option<Secret>,
    /// Hosts reached directly, comma-separated (`NO_PROXY` syntax).
    pub no_proxy: Option<String>,
}

/// Timeouts and retry pacing. Every wait is still bounded by the operation's deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tuning {
    /// Longest a single HTTP attempt may take (connect + response + body).
    pub request_timeout: Duration,
    /// Longest a TCP/TLS connect may take.
    pub connect_timeout: Duration,
    /// First backoff wait when Graph gives no Retry-After; doubles per attempt.
    pub retry_base_delay: Duration,
    /// Upper bound of one backoff wait.
    pub retry_max_delay: Duration,
    /// Consecutive transport failures (reset, timeout, garbage) tolerated per operation.
    pub max_transport_attempts: u32,
    /// Attempts per token request (token endpoint, managed identity, OIDC endpoints).
    pub max_token_attempts: u32,
    /// Longest `az account get-access-token` may run.
    pub cli_timeout: Duration,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(20),
            retry_base_delay: Duration::from_secs(1),
            retry_max_delay: Duration::from_secs(60),
            max_transport_attempts: 6,
            max_token_attempts: 4,
            cli_timeout: Duration::from_secs(60),
        }
    }
}
