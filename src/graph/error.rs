//! Errors of the Graph client, with named fields. They speak of Graph settings and credentials
//! ([`Setting`], [`CredentialKind`]); the caller names them as its users know them.

/// A value the Graph client was configured with, for the caller to name in its own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    TenantId,
    ClientId,
    ClientSecret,
    GraphEndpoint,
    AuthorityHost,
    /// The certificate file (PEM or PKCS#12).
    ClientCertificatePath,
    /// The base64 PKCS#12 certificate.
    ClientCertificate,
    ClientCertificatePassword,
    OidcToken,
    OidcTokenFile,
    OidcRequestUrl,
    OidcRequestToken,
    MsiEndpoint,
    MsiIdentityHeader,
    /// The extra trusted CA certificates.
    CaFile,
    Proxy,
}

impl Setting {
    /// What it is, in the Graph client's words.
    pub fn describe(self) -> &'static str {
        match self {
            Setting::TenantId => "the tenant ID",
            Setting::ClientId => "the client ID",
            Setting::ClientSecret => "the client secret",
            Setting::GraphEndpoint => "the Graph root URL",
            Setting::AuthorityHost => "the login authority URL",
            Setting::ClientCertificatePath => "the client certificate file",
            Setting::ClientCertificate => "the base64 client certificate",
            Setting::ClientCertificatePassword => "the client certificate password",
            Setting::OidcToken => "the OIDC token",
            Setting::OidcTokenFile => "the OIDC token file",
            Setting::OidcRequestUrl => "the OIDC request URL",
            Setting::OidcRequestToken => "the OIDC request token",
            Setting::MsiEndpoint => "the managed identity endpoint",
            Setting::MsiIdentityHeader => "the App Service identity header",
            Setting::CaFile => "the CA certificate file",
            Setting::Proxy => "the proxy",
        }
    }
}

/// A credential the client can sign in with, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    Certificate,
    Secret,
    /// Any OIDC source (a token, a token file, or a CI endpoint).
    Oidc,
    AzureDevOpsOidc,
    ManagedIdentity,
    AppServiceManagedIdentity,
    AzureCli,
}

impl CredentialKind {
    pub fn describe(self) -> &'static str {
        match self {
            CredentialKind::Certificate => "client certificate",
            CredentialKind::Secret => "client secret",
            CredentialKind::Oidc => "OIDC",
            CredentialKind::AzureDevOpsOidc => "Azure DevOps OIDC",
            CredentialKind::ManagedIdentity => "managed identity",
            CredentialKind::AppServiceManagedIdentity => "managed identity (App Service)",
            CredentialKind::AzureCli => "Azure CLI",
        }
    }
}

/// Why one credential was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// Nothing of it was configured.
    NotConfigured,
    /// Turned off.
    Disabled,
    /// Configured, but these settings are missing too.
    Missing(Vec<Setting>),
    /// Tried and failed (a message from the tool, never a secret).
    Failed(String),
}

/// One line of [`GraphError::NoCredential`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tried {
    pub credential: CredentialKind,
    pub skipped: Skipped,
}

impl std::fmt::Display for Tried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = self.credential.describe();
        match &self.skipped {
            Skipped::NotConfigured => write!(f, "{what}: not configured"),
            Skipped::Disabled => write!(f, "{what}: disabled"),
            Skipped::Missing(settings) => write!(
                f,
                "{what}: configured, but {} is also needed",
                settings
                    .iter()
                    .map(|s| s.describe())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            Skipped::Failed(why) => write!(f, "{what}: {why}"),
        }
    }
}

/// Why a Graph operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphError {
    /// Graph answered with an error body.
    Api {
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// The token endpoint refused (AADSTS code in `description`).
    Token { error: String, description: String },
    /// No credential could be used; `tried` says why each was skipped.
    NoCredential { tried: Vec<Tried> },
    /// A configured value cannot be used; `problem` says why without naming the setting.
    InvalidSetting { setting: Setting, problem: String },
    /// The client could not be set up for another reason.
    Config { message: String },
    /// Transport failure after retries (connection reset, timeout, TLS).
    Transport { message: String },
    /// The response could not be understood.
    Decode { message: String },
    /// The response is well-formed but lacks a value the caller needs (`field`, Graph's name).
    Incomplete { field: String, message: String },
    /// The deadline passed (including a Retry-After that would end past it).
    DeadlineExceeded { operation: String },
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GraphError::Api {
                status,
                code,
                message,
                request_id,
            } => {
                write!(f, "Graph returned HTTP {status}: {code}: {message}")?;
                if let Some(id) = request_id {
                    write!(f, " (request-id: {id})")?;
                }
                Ok(())
            }
            GraphError::Token { error, description } => {
                write!(f, "token request failed: {error}: {description}")
            }
            GraphError::NoCredential { tried } => {
                let lines: Vec<String> = tried.iter().map(Tried::to_string).collect();
                write!(f, "no usable credential; tried: {}", lines.join("; "))
            }
            GraphError::InvalidSetting { setting, problem } => {
                write!(f, "{}: {problem}", setting.describe())
            }
            GraphError::Config { message } => write!(f, "{message}"),
            GraphError::Transport { message } => write!(f, "{message}"),
            GraphError::Decode { message } => {
                write!(f, "could not read Graph's response: {message}")
            }
            GraphError::Incomplete { message, .. } => write!(f, "{message}"),
            GraphError::DeadlineExceeded { operation } => {
                write!(f, "{operation} did not finish before its timeout")
            }
        }
    }
}

impl std::error::Error for GraphError {}

/// The permission Graph needs for writes, as the 403 hint names it.
const WRITE_PERMISSION_HINT: &str = "the app needs the Microsoft Graph application permission \
Policy.ReadWrite.CrossTenantAccess (Policy.Read.All is enough for reads) with admin consent \
(delegated sign-in: the user also needs the Security Administrator role)";

impl GraphError {
    /// HTTP status of an `Api` error.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Graph's request-id, for support cases.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            GraphError::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The AADSTS code of a token error (e.g. `AADSTS7000215`).
    pub fn aadsts_code(&self) -> Option<&str> {
        match self {
            GraphError::Token { description, .. } => {
                let start = description.find("AADSTS")?;
                let rest = &description[start..];
                let end = rest
                    .char_indices()
                    .skip(6)
                    .find(|(_, c)| !c.is_ascii_digit())
                    .map_or(rest.len(), |(i, _)| i);
                (end > 6).then(|| &rest[..end])
            }
            _ => None,
        }
    }

    /// What the user can do about it, for a diagnostic's detail: the one place this advice is
    /// written. `None` when the message says it all (or only the caller knows what was being
    /// done, as for a 400 or 404). Never contains secrets.
    pub fn summary_hint(&self) -> Option<String> {
        match self {
            GraphError::Api { status: 403, .. } => {
                Some(format!("Access denied: {WRITE_PERMISSION_HINT}."))
            }
            GraphError::Api { status: 401, .. } => Some(
                "Graph rejected the access token: check the tenant ID and the cloud, and that \
                  the credential belongs to an app registered in that tenant."
                    .into(),
            ),
            GraphError::Api {
                status: 429 | 503 | 504,
                ..
            } => Some(
                "Graph kept throttling or was unavailable: try again later, or allow the \
                 operation more time."
                    .into(),
            ),
            GraphError::Api {
                status: 500..=599, ..
            } => Some(
                "Graph failed to handle the request; this is usually temporary: try again later."
                    .into(),
            ),
            GraphError::Api {
                status: 300..=399, ..
            } => Some(
                "Check the Graph root URL: it should be the Graph root of your cloud, such as \
                 https://graph.microsoft.com."
                    .into(),
            ),
            GraphError::Token { .. } => Some(
                self.aadsts_code()
                    .and_then(aadsts_hint)
                    .unwrap_or(
                        "Check the tenant ID, the client ID and the credential (client \
                         secret, certificate or OIDC token).",
                    )
                    .into(),
            ),
            GraphError::NoCredential { .. } => Some(
                "Configure one credential: a client secret or certificate with a client ID and \
                 tenant ID, OIDC, a managed identity, or sign in with `az login` for the Azure \
                 CLI."
                    .into(),
            ),
            GraphError::DeadlineExceeded { .. } => Some(
                "Graph may be throttling or slow: try again later, or allow the operation more \
                 time."
                    .into(),
            ),
            GraphError::Transport { .. } => Some(
                "Check network access to Microsoft Graph and the login endpoint (the Graph root \
                 and login authority URLs), and the proxy settings."
                    .into(),
            ),
            GraphError::Decode { .. } => {
                Some("This is usually temporary (a proxy or gateway error page): try again.".into())
            }
            GraphError::Incomplete { field, .. } => Some(format!(
                "This is not a temporary error: the object Graph holds has no value for {field}. \
                 Objects Microsoft created itself (for example for a Microsoft support tenant) \
                 have been reported to look like this."
            )),
            GraphError::Config { .. } | GraphError::InvalidSetting { .. } => None,
            GraphError::Api { .. } => None,
        }
    }
}

/// Advice for the token errors users hit most.
fn aadsts_hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "AADSTS7000215" => "The client secret is wrong: check the client secret (use the secret's value, not its ID).",
        "AADSTS7000222" => "The client secret has expired: create a new one for the app registration.",
        "AADSTS700016" => "The application was not found in the tenant: check the client ID and the tenant ID.",
        "AADSTS90002" | "AADSTS900023" => "The tenant was not found: check the tenant ID and the cloud.",
        "AADSTS700027" | "AADSTS700023" => "The certificate assertion was rejected: upload the certificate to the app registration and check the client ID.",
        "AADSTS70021" | "AADSTS700211" | "AADSTS700212" | "AADSTS700213" => "The OIDC token does not match a federated identity credential of the app: check its issuer, subject and audience (api://AzureADTokenExchange).",
        "AADSTS700024" => "The OIDC token has expired: it must be fresh when the provider signs in.",
        "AADSTS7000112" | "AADSTS7000218" => "The application is disabled or needs a credential: check the app registration.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_error(description: &str) -> GraphError {
        GraphError::Token {
            error: "invalid_client".into(),
            description: description.into(),
        }
    }

    #[test]
    fn aadsts_extraction() {
        let code = |d: &str| token_error(d).aadsts_code().map(str::to_string);
        assert_eq!(
            code("AADSTS700016: Application not found").as_deref(),
            Some("AADSTS700016")
        );
        assert_eq!(
            code("x AADSTS90002: Tenant").as_deref(),
            Some("AADSTS90002")
        );
        assert_eq!(code("AADSTS"), None);
        assert_eq!(code("nothing here"), None);
    }

    fn api(status: u16) -> GraphError {
        GraphError::Api {
            status,
            code: "Code".into(),
            message: "message".into(),
            request_id: None,
        }
    }

    #[test]
    fn hints_are_written_for_the_graph_client_not_for_terraform() {
        let errors = [
            api(301),
            api(401),
            api(403),
            api(429),
            api(500),
            api(503),
            token_error("AADSTS7000215: Invalid client secret provided."),
            token_error("AADSTS1: unknown"),
            GraphError::NoCredential { tried: vec![] },
            GraphError::Transport {
                message: "reset".into(),
            },
            GraphError::Decode {
                message: "html".into(),
            },
            GraphError::DeadlineExceeded {
                operation: "GET".into(),
            },
        ];
        for err in errors {
            let hint = err
                .summary_hint()
                .unwrap_or_else(|| panic!("no hint for {err:?}"));
            for terraform_only in ["timeouts", "-parallelism", "terraform", "TF_LOG", "ARM_"] {
                assert!(
                    !hint.to_lowercase().contains(&terraform_only.to_lowercase()),
                    "{err:?}: {hint}"
                );
            }
        }
    }

    #[test]
    fn the_caller_advises_where_only_it_knows_what_was_done() {
        for status in [400, 404, 409] {
            assert_eq!(api(status).summary_hint(), None, "{status}");
        }
        assert_eq!(
            GraphError::Config {
                message: "x".into()
            }
            .summary_hint(),
            None
        );
        let unknown_code = token_error("AADSTS1: unknown").summary_hint().unwrap();
        assert!(unknown_code.contains("tenant ID"), "{unknown_code}");
        assert!(api(502).summary_hint().unwrap().contains("temporary"));
    }
}
