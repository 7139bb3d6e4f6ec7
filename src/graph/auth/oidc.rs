//! Federated (OIDC) assertions: a given token, a token file re-read on every request, the GitHub
//! Actions ID token endpoint, or the Azure DevOps service connection endpoint.

use std::path::PathBuf;

use reqwest::header::{HeaderName, HeaderValue, ACCEPT};
use reqwest::{Method, Url};
use tokio::time::Instant;

use super::token_endpoint::token_verdict;
use super::AuthContext;
use crate::graph::config::Secret;
use crate::graph::endpoint::{append_query, parse_endpoint, HttpAllowed};
use crate::graph::error::{CredentialKind, Setting};
use crate::graph::http::{excerpt, Body, Request, Route};
use crate::graph::GraphError;

/// The audience Entra expects in federated tokens.
pub(crate) const AUDIENCE: &str = "api://AzureADTokenExchange";

/// Where the federated token comes from.
pub(crate) enum OidcSource {
    Token(Secret),
    File(PathBuf),
    GitHub { url: Url, request_token: Secret },
    AzureDevOps { url: Url, request_token: Secret },
}

impl std::fmt::Debug for OidcSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

impl OidcSource {
    pub fn kind(&self) -> CredentialKind {
        match self {
            OidcSource::AzureDevOps { .. } => CredentialKind::AzureDevOpsOidc,
            _ => CredentialKind::Oidc,
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            OidcSource::Token(_) => "OIDC token",
            OidcSource::File(_) => "OIDC token file",
            OidcSource::GitHub { .. } => "GitHub Actions OIDC",
            OidcSource::AzureDevOps { .. } => "Azure DevOps OIDC",
        }
    }

    /// GitHub Actions: `{url}&audience=api://AzureADTokenExchange`.
    pub fn github(url: &str, request_token: Secret) -> Result<OidcSource, GraphError> {
        let full = append_query(url, &format!("audience={AUDIENCE}"));
        Ok(OidcSource::GitHub {
            url: parse_endpoint(Setting::OidcRequestUrl, &full, HttpAllowed::LoopbackOnly)?,
            request_token,
        })
    }

    /// Azure DevOps: `{url}?api-version=7.1&serviceConnectionId={id}`.
    pub fn azure_devops(
        url: &str,
        request_token: Secret,
        service_connection_id: &str,
    ) -> Result<OidcSource, GraphError> {
        let mut parsed = parse_endpoint(Setting::OidcRequestUrl, url, HttpAllowed::LoopbackOnly)?;
        parsed
            .query_pairs_mut()
            .append_pair("api-version", "7.1")
            .append_pair("serviceConnectionId", service_connection_id);
        Ok(OidcSource::AzureDevOps {
            url: parsed,
            request_token,
        })
    }

    /// The federated token to present as client_assertion.
    pub async fn assertion(
        &self,
        ctx: &AuthContext<'_>,
        deadline: Instant,
    ) -> Result<Secret, GraphError> {
        match self {
            OidcSource::Token(token) => Ok(token.clone()),
            OidcSource::File(path) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                    GraphError::InvalidSetting {
                        setting: Setting::OidcTokenFile,
                        problem: format!("could not read {}: {e}", path.display()),
                    }
                })?;
                let token = text.trim();
                if token.is_empty() {
                    return Err(GraphError::InvalidSetting {
                        setting: Setting::OidcTokenFile,
                        problem: format!("{} is empty", path.display()),
                    });
                }
                Ok(Secret::new(token))
            }
            OidcSource::GitHub { url, request_token } => {
                fetch(
                    ctx,
                    deadline,
                    Method::GET,
                    url,
                    request_token,
                    "value",
                    "the GitHub Actions OIDC endpoint",
                    "check that the workflow has `permissions: id-token: write`",
                )
                .await
            }
            OidcSource::AzureDevOps { url, request_token } => {
                fetch(
                    ctx,
                    deadline,
                    Method::POST,
                    url,
                    request_token,
                    "oidcToken",
                    "the Azure DevOps OIDC endpoint",
                    "check the service connection id and that the pipeline passes its \
                     access token",
                )
                .await
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn fetch(
    ctx: &AuthContext<'_>,
    deadline: Instant,
    method: Method,
    url: &Url,
    request_token: &Secret,
    field: &str,
    endpoint: &str,
    advice: &str,
) -> Result<Secret, GraphError> {
    let body = Body::Empty;
    let is_post = method == Method::POST;
    let mut headers = vec![(ACCEPT, HeaderValue::from_static("application/json"))];
    if is_post {
        // Azure DevOps answers a redirect to a sign-in page instead of 401 without this.
        headers.push((
            HeaderName::from_static("x-tfs-fedauthredirect"),
            HeaderValue::from_static("Suppress"),
        ));
    }
    let operation = format!("OIDC token request to {endpoint}");
    let request = Request {
        method,
        url,
        bearer: Some(request_token),
        headers,
        body: is_post.then_some(&body),
        log_body: false,
    };
    let response = ctx
        .send_token_request(&operation, deadline, &request, Route::ByUrl, token_verdict)
        .await?;
    if !(200..300).contains(&response.status) {
        return Err(GraphError::Token {
            error: "oidc_request_failed".into(),
            description: format!(
                "{endpoint} answered HTTP {}: {} ({advice})",
                response.status,
                excerpt(&response.body)
            ),
        });
    }
    let token = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|json| json.get(field)?.as_str().map(str::to_string))
        .filter(|t| !t.is_empty());
    match token {
        Some(token) => Ok(Secret::new(token)),
        None => Err(GraphError::Token {
            error: "oidc_request_failed".into(),
            description: format!("{endpoint} answered without a `{field}` token ({advice})"),
        }),
    }
}
