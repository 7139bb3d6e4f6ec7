//! Phrasing the Graph client's typed setting and credential errors for Terraform users: the
//! provider arguments and environment variables behind each Graph setting.

use crate::graph::{CredentialKind, GraphError, Setting, Skipped, Tried};

/// The provider argument or environment variable that sets `setting`, as users write it.
pub fn setting_name(setting: Setting) -> &'static str {
    match setting {
        Setting::TenantId => "tenant_id",
        Setting::ClientId => "client_id",
        Setting::ClientSecret => "client_secret",
        Setting::GraphEndpoint => "graph_endpoint",
        Setting::AuthorityHost => "authority_host",
        Setting::ClientCertificatePath => "client_certificate_path",
        Setting::ClientCertificate => "client_certificate",
        Setting::ClientCertificatePassword => "client_certificate_password",
        Setting::OidcToken => "oidc_token",
        Setting::OidcTokenFile => "oidc_token_file_path",
        Setting::OidcRequestUrl => "oidc_request_url",
        Setting::OidcRequestToken => "oidc_request_token",
        Setting::MsiEndpoint => "msi_endpoint",
        Setting::MsiIdentityHeader => "IDENTITY_HEADER",
        Setting::CaFile => "SSL_CERT_FILE",
        Setting::Proxy => "HTTPS_PROXY / HTTP_PROXY",
    }
}

/// One line of the "no usable credential" list, naming what to set.
pub fn tried_line(tried: &Tried) -> String {
    use CredentialKind as K;
    let what = tried.credential.describe();
    match (&tried.skipped, tried.credential) {
        (Skipped::NotConfigured, K::Certificate) => format!(
            "{what}: not configured (set client_certificate_path or client_certificate, with \
             client_id and tenant_id)"
        ),
        (Skipped::NotConfigured, K::Secret) => format!(
            "{what}: not configured (set client_secret or client_secret_file_path, with \
             client_id and tenant_id)"
        ),
        (Skipped::NotConfigured, K::Oidc | K::AzureDevOpsOidc) => format!(
            "{what}: not configured (set oidc_token or oidc_token_file_path, or use_oidc with \
             oidc_request_url and oidc_request_token, or use_aks_workload_identity; with \
             client_id and tenant_id)"
        ),
        (Skipped::NotConfigured, _) => format!(
            "{what}: not enabled (set use_msi on an Azure resource with a managed identity)"
        ),
        (Skipped::Disabled, K::AzureCli) => format!("{what}: disabled (use_cli is false)"),
        (Skipped::Disabled, _) => format!("{what}: disabled"),
        (Skipped::Missing(_), K::Oidc) => format!(
            "{what}: use_oidc is set, but there is no token: set oidc_token, \
             oidc_token_file_path, or oidc_request_url and oidc_request_token"
        ),
        (Skipped::Missing(_), K::AzureDevOpsOidc) => format!(
            "{what}: use_oidc and ado_pipeline_service_connection_id are set, but \
             oidc_request_url and oidc_request_token (SYSTEM_OIDCREQUESTURI / \
             SYSTEM_ACCESSTOKEN) are also needed"
        ),
        (Skipped::Missing(_), K::AppServiceManagedIdentity) => format!(
            "{what}: IDENTITY_HEADER is set, but msi_endpoint (IDENTITY_ENDPOINT) is also needed"
        ),
        (Skipped::Missing(missing), _) => format!(
            "{what}: configured, but {} is also needed",
            missing
                .iter()
                .map(|s| setting_name(*s))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        (Skipped::Failed(why), _) => format!("{what}: {why}"),
    }
}

/// The error's text with Graph settings named as provider arguments; other errors as the Graph
/// client words them.
pub fn describe(err: &GraphError) -> String {
    match err {
        GraphError::InvalidSetting { setting, problem } => {
            format!("{}: {problem}", setting_name(*setting))
        }
        GraphError::NoCredential { tried } => {
            let lines: Vec<String> = tried.iter().map(tried_line).collect();
            format!("no usable credential; tried: {}", lines.join("; "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_named_as_arguments() {
        let err = GraphError::InvalidSetting {
            setting: Setting::ClientCertificatePassword,
            problem: "client.pfx could not be read as PKCS#12 (.pfx): wrong password".into(),
        };
        assert_eq!(
            describe(&err),
            "client_certificate_password: client.pfx could not be read as PKCS#12 (.pfx): wrong \
             password"
        );
        let err = GraphError::NoCredential {
            tried: vec![
                Tried {
                    credential: CredentialKind::Secret,
                    skipped: Skipped::Missing(vec![Setting::ClientId, Setting::TenantId]),
                },
                Tried {
                    credential: CredentialKind::AzureCli,
                    skipped: Skipped::Disabled,
                },
            ],
        };
        assert_eq!(
            describe(&err),
            "no usable credential; tried: client secret: configured, but client_id and \
             tenant_id is also needed; Azure CLI: disabled (use_cli is false)"
        );
    }
}
