//! Signing in: picking the credential (first configured wins: certificate, secret, OIDC,
//! managed identity, Azure CLI) and getting access tokens through the shared cache.

mod assertion;
mod cache;
mod certificate;
mod cli;
mod msi;
mod oidc;
mod token_endpoint;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::SystemTime;

use reqwest::Url;
use tokio::time::Instant;

use self::cache::TokenCache;
use self::certificate::ClientCertificate;
use self::cli::AzureCli;
use self::msi::{ManagedIdentity, IMDS_ENDPOINT};
use self::oidc::OidcSource;
use self::token_endpoint::{client_credentials, ClientProof};
use super::config::{AuthConfig, Secret, Tuning};
use super::endpoint::{graph_scope, parse_endpoint, token_url, HttpAllowed};
use super::error::{CredentialKind, Setting, Skipped, Tried};
use super::http::{Http, RawResponse, Request, Route};
use super::retry_loop::{with_retries, Limits, Verdict};
use super::GraphError;

pub(crate) use self::cache::AccessToken;

/// What token requests need from the client.
pub(crate) struct AuthContext<'a> {
    pub http: &'a Http,
    pub tuning: &'a Tuning,
    pub graph_root: &'a Url,
    pub authority_root: &'a Url,
}

impl AuthContext<'_> {
    /// Sends one token request (the same each attempt, no Graph token involved) with the token
    /// endpoints' retry limits; `classify` decides which answers are worth another attempt.
    async fn send_token_request(
        &self,
        operation: &str,
        deadline: Instant,
        request: &Request<'_>,
        route: Route,
        classify: fn(&RawResponse) -> Verdict,
    ) -> Result<RawResponse, GraphError> {
        with_retries(
            operation,
            deadline,
            self.tuning,
            Limits::token(self.tuning),
            |budget| async move { Ok(self.http.send_via(route, request, budget).await) },
            classify,
        )
        .await
    }
}

fn tried(credential: CredentialKind, skipped: Skipped) -> Tried {
    Tried {
        credential,
        skipped,
    }
}

/// The credential in use.
pub(crate) enum Credential {
    Certificate {
        tenant_id: String,
        client_id: String,
        certificate: ClientCertificate,
    },
    Secret {
        tenant_id: String,
        client_id: String,
        secret: Secret,
    },
    Oidc {
        tenant_id: String,
        client_id: String,
        source: OidcSource,
    },
    ManagedIdentity(ManagedIdentity),
    AzureCli {
        cli: AzureCli,
        /// The credentials skipped before it, for the error when az fails too.
        skipped: Vec<Tried>,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential({})", self.describe())
    }
}

impl Credential {
    pub fn describe(&self) -> &'static str {
        match self {
            Credential::Certificate { .. } => "client certificate",
            Credential::Secret { .. } => "client secret",
            Credential::Oidc { source, .. } => source.describe(),
            Credential::ManagedIdentity(msi) => msi.describe(),
            Credential::AzureCli { .. } => "Azure CLI",
        }
    }
}

fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn secret(value: &Option<Secret>) -> Option<&Secret> {
    value.as_ref().filter(|s| !s.expose().trim().is_empty())
}

fn path(value: &Option<PathBuf>) -> Option<&PathBuf> {
    value.as_ref().filter(|p| !p.as_os_str().is_empty())
}

/// client_id and tenant_id, or which of them are missing.
fn app_identity(auth: &AuthConfig) -> Result<(String, String), Vec<Setting>> {
    match (text(&auth.tenant_id), text(&auth.client_id)) {
        (Some(t), Some(c)) => Ok((t.to_string(), c.to_string())),
        (None, Some(_)) => Err(vec![Setting::TenantId]),
        (Some(_), None) => Err(vec![Setting::ClientId]),
        (None, None) => Err(vec![Setting::ClientId, Setting::TenantId]),
    }
}

/// A configured credential that cannot work: stop here rather than silently sign in as
/// someone else further down the list.
fn incomplete(
    mut so_far: Vec<Tried>,
    credential: CredentialKind,
    missing: Vec<Setting>,
) -> GraphError {
    so_far.push(tried(credential, Skipped::Missing(missing)));
    GraphError::NoCredential { tried: so_far }
}

/// Picks the first configured credential. Reads certificate files now, so a bad certificate
/// is reported at configuration time.
pub(crate) fn select(auth: &AuthConfig) -> Result<Credential, GraphError> {
    let mut so_far: Vec<Tried> = Vec::new();

    let cert_path = path(&auth.client_certificate_path);
    let cert_b64 = secret(&auth.client_certificate);
    if cert_path.is_some() || cert_b64.is_some() {
        let (tenant_id, client_id) = app_identity(auth)
            .map_err(|missing| incomplete(so_far.clone(), CredentialKind::Certificate, missing))?;
        let certificate = certificate::load(
            cert_path.map(PathBuf::as_path),
            cert_b64,
            secret(&auth.client_certificate_password),
        )?;
        return Ok(Credential::Certificate {
            tenant_id,
            client_id,
            certificate,
        });
    }
    so_far.push(tried(CredentialKind::Certificate, Skipped::NotConfigured));

    if let Some(client_secret) = secret(&auth.client_secret) {
        let (tenant_id, client_id) = app_identity(auth)
            .map_err(|missing| incomplete(so_far.clone(), CredentialKind::Secret, missing))?;
        return Ok(Credential::Secret {
            tenant_id,
            client_id,
            secret: client_secret.clone(),
        });
    }
    so_far.push(tried(CredentialKind::Secret, Skipped::NotConfigured));

    if let Some(source) =
        oidc_source(auth).map_err(|(kind, missing)| incomplete(so_far.clone(), kind, missing))?
    {
        let source = source?;
        let (tenant_id, client_id) = app_identity(auth)
            .map_err(|missing| incomplete(so_far.clone(), source.kind(), missing))?;
        return Ok(Credential::Oidc {
            tenant_id,
            client_id,
            source,
        });
    }
    so_far.push(tried(CredentialKind::Oidc, Skipped::NotConfigured));

    if auth.use_msi {
        let identity_header = secret(&auth.msi_identity_header).cloned();
        let endpoint = match (text(&auth.msi_endpoint), &identity_header) {
            (Some(e), _) => e,
            (None, None) => IMDS_ENDPOINT,
            (None, Some(_)) => {
                return Err(incomplete(
                    so_far,
                    CredentialKind::AppServiceManagedIdentity,
                    vec![Setting::MsiEndpoint],
                ))
            }
        };
        let endpoint = parse_endpoint(
            Setting::MsiEndpoint,
            endpoint,
            HttpAllowed::LoopbackOrLinkLocal,
        )?;
        return Ok(Credential::ManagedIdentity(ManagedIdentity {
            endpoint,
            identity_header,
            client_id: text(&auth.client_id).map(str::to_string),
        }));
    }
    so_far.push(tried(
        CredentialKind::ManagedIdentity,
        Skipped::NotConfigured,
    ));

    if auth.use_cli {
        return Ok(Credential::AzureCli {
            cli: AzureCli {
                command: path(&auth.az_command)
                    .cloned()
                    .unwrap_or_else(|| PathBuf::from("az")),
                tenant_id: text(&auth.tenant_id).map(str::to_string),
            },
            skipped: so_far,
        });
    }
    so_far.push(tried(CredentialKind::AzureCli, Skipped::Disabled));
    Err(GraphError::NoCredential { tried: so_far })
}

/// The OIDC token source: `Ok(None)` when OIDC is not configured, `Err` naming what is missing
/// when it is configured but cannot work, `Ok(Some(Err))` when a setting is invalid.
#[allow(clippy::type_complexity)]
fn oidc_source(
    auth: &AuthConfig,
) -> Result<Option<Result<OidcSource, GraphError>>, (CredentialKind, Vec<Setting>)> {
    if let Some(token) = secret(&auth.oidc_token) {
        return Ok(Some(Ok(OidcSource::Token(Secret::new(
            token.expose().trim(),
        )))));
    }
    if let Some(file) = path(&auth.oidc_token_file_path) {
        return Ok(Some(Ok(OidcSource::File(file.clone()))));
    }
    if !auth.use_oidc {
        return Ok(None);
    }
    let url = text(&auth.oidc_request_url);
    let token = secret(&auth.oidc_request_token);
    let ado = text(&auth.ado_service_connection_id);
    let (Some(url), Some(token)) = (url, token) else {
        let kind = if ado.is_some() {
            CredentialKind::AzureDevOpsOidc
        } else {
            CredentialKind::Oidc
        };
        let mut missing = Vec::new();
        if url.is_none() {
            missing.push(Setting::OidcRequestUrl);
        }
        if token.is_none() {
            missing.push(Setting::OidcRequestToken);
        }
        return Err((kind, missing));
    };
    Ok(Some(match ado {
        Some(id) => OidcSource::azure_devops(url, token.clone(), id),
        None => OidcSource::github(url, token.clone()),
    }))
}

/// The credential plus the process-wide token cache.
pub(crate) struct Authenticator {
    credential: Credential,
    cache: TokenCache,
}

impl Authenticator {
    pub fn new(auth: &AuthConfig) -> Result<Authenticator, GraphError> {
        Ok(Authenticator {
            credential: select(auth)?,
            cache: TokenCache::default(),
        })
    }

    pub fn describe(&self) -> &'static str {
        self.credential.describe()
    }

    /// A valid access token for Graph, from the cache when it is fresh.
    pub async fn token(
        &self,
        ctx: &AuthContext<'_>,
        deadline: Instant,
    ) -> Result<Secret, GraphError> {
        self.cache.get(|| self.fetch(ctx, deadline)).await
    }

    /// Graph rejected `token`: the next call fetches a new one.
    pub fn invalidate(&self, token: &Secret) {
        self.cache.invalidate(token);
    }

    async fn fetch(
        &self,
        ctx: &AuthContext<'_>,
        deadline: Instant,
    ) -> Result<AccessToken, GraphError> {
        let token = match &self.credential {
            Credential::Certificate {
                tenant_id,
                client_id,
                certificate,
            } => {
                let audience = token_url(ctx.authority_root, tenant_id);
                let jwt = assertion::client_assertion(
                    certificate,
                    client_id,
                    audience.as_str(),
                    SystemTime::now(),
                )?;
                client_credentials(
                    ctx,
                    deadline,
                    tenant_id,
                    client_id,
                    ClientProof::Assertion(jwt),
                )
                .await?
            }
            Credential::Secret {
                tenant_id,
                client_id,
                secret,
            } => {
                client_credentials(
                    ctx,
                    deadline,
                    tenant_id,
                    client_id,
                    ClientProof::Secret(secret.clone()),
                )
                .await?
            }
            Credential::Oidc {
                tenant_id,
                client_id,
                source,
            } => {
                let federated = source.assertion(ctx, deadline).await?;
                client_credentials(
                    ctx,
                    deadline,
                    tenant_id,
                    client_id,
                    ClientProof::Assertion(federated),
                )
                .await?
            }
            Credential::ManagedIdentity(msi) => msi.token(ctx, deadline).await?,
            Credential::AzureCli { cli, skipped } => cli
                .token(
                    &graph_scope(ctx.graph_root),
                    deadline,
                    ctx.tuning.cli_timeout,
                )
                .await
                .map_err(|why| {
                    let mut so_far = skipped.clone();
                    so_far.push(tried(
                        CredentialKind::AzureCli,
                        Skipped::Failed(why.message),
                    ));
                    GraphError::NoCredential { tried: so_far }
                })?,
        };
        log::debug!(
            "signed in with {}; token valid for {} s",
            self.describe(),
            token
                .expires_at
                .saturating_duration_since(Instant::now())
                .as_secs()
        );
        Ok(token)
    }
}
