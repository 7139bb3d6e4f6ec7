//! Managed identity: the instance metadata service (IMDS) or the App Service / Functions
//! identity endpoint.

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, Url};
use tokio::time::Instant;

use super::cache::AccessToken;
use super::token_endpoint::parse_token_response;
use super::AuthContext;
use crate::graph::config::Secret;
use crate::graph::endpoint::graph_resource;
use crate::graph::error::Setting;
use crate::graph::http::{RawResponse, Request, Route};
use crate::graph::retry_loop::Verdict;
use crate::graph::GraphError;

/// The IMDS token endpoint; only ever a default, tests always set their own.
pub(crate) const IMDS_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// A managed identity endpoint.
pub(crate) struct ManagedIdentity {
    pub endpoint: Url,
    /// App Service / Functions (IDENTITY_HEADER); IMDS when absent.
    pub identity_header: Option<Secret>,
    /// User-assigned identity.
    pub client_id: Option<String>,
}

impl std::fmt::Debug for ManagedIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagedIdentity")
            .field("endpoint", &self.endpoint.as_str())
            .field("app_service", &self.identity_header.is_some())
            .field("client_id", &self.client_id)
            .finish()
    }
}

impl ManagedIdentity {
    pub fn describe(&self) -> &'static str {
        if self.identity_header.is_some() {
            "managed identity (App Service)"
        } else {
            "managed identity"
        }
    }

    /// The request URL with api-version, resource and client_id.
    pub fn token_request_url(&self, graph_root: &Url) -> Url {
        let mut url = self.endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            let version = if self.identity_header.is_some() {
                "2019-08-01"
            } else {
                "2018-02-01"
            };
            query
                .append_pair("api-version", version)
                .append_pair("resource", &graph_resource(graph_root));
            if let Some(id) = &self.client_id {
                query.append_pair("client_id", id);
            }
        }
        url
    }

    pub async fn token(
        &self,
        ctx: &AuthContext<'_>,
        deadline: Instant,
    ) -> Result<AccessToken, GraphError> {
        let url = self.token_request_url(ctx.graph_root);
        let header = match &self.identity_header {
            Some(secret) => {
                let mut value = HeaderValue::from_str(secret.expose()).map_err(|_| {
                    GraphError::InvalidSetting {
                        setting: Setting::MsiIdentityHeader,
                        problem: "contains characters not allowed in an HTTP header".into(),
                    }
                })?;
                value.set_sensitive(true);
                (HeaderName::from_static("x-identity-header"), value)
            }
            None => (
                HeaderName::from_static("metadata"),
                HeaderValue::from_static("true"),
            ),
        };
        let operation = format!("managed identity token request to {}", self.endpoint);
        let request = Request {
            method: Method::GET,
            url: &url,
            bearer: None,
            headers: vec![header],
            body: None,
            log_body: false,
        };
        let response = ctx
            .send_token_request(&operation, deadline, &request, Route::Direct, msi_verdict)
            .await
            .map_err(|e| match e {
                GraphError::Transport { message } => GraphError::Transport {
                    message: format!(
                        "{message} (managed identity is only available on Azure resources with an \
                         identity assigned, unless another managed identity endpoint is \
                         configured)"
                    ),
                },
                other => other,
            })?;
        parse_token_response(&response, "the managed identity endpoint")
    }
}

/// IMDS asks to retry 404 (identity not yet ready), 410, 429 and 5xx.
fn msi_verdict(response: &RawResponse) -> Verdict {
    match response.status {
        404 | 410 | 429 | 500..=599 => Verdict::Retry,
        _ => Verdict::Accept,
    }
}
