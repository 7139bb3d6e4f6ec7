//! Client configuration: which cloud, which credential. Built by the provider; this module reads
//! no environment variables itself.

use std::path::PathBuf;

/// A secret string that never prints.
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
    /// Azure DevOps: ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID (with oidc_request_url/token taken
    /// from SYSTEM_OIDCREQUESTURI / SYSTEM_ACCESSTOKEN).
    pub ado_service_connection_id: Option<String>,
    pub use_msi: bool,
    /// IMDS or App Service endpoint.
    pub msi_endpoint: Option<String>,
    /// App Service / Functions: IDENTITY_HEADER.
    pub msi_identity_header: Option<Secret>,
    pub use_cli: bool,
    /// The `az` executable (default "az" on PATH).
    pub az_command: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub cloud: Cloud,
    pub auth: AuthConfig,
    pub user_agent: String,
}
