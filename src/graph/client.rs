//! The Graph client: one connection pool and one token per process.

use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue, ACCEPT};
use reqwest::{Method, StatusCode, Url};
use tokio::time::Instant;

use super::auth::{AuthContext, Authenticator};
use super::config::Tuning;
use super::endpoint::{identity_sync_url, join_segments, parse_root};
use super::error::Setting;
use super::http::{excerpt, sanitize, Body, Http, RawResponse, Request};
use super::retry_loop::{with_retries, Limits, Verdict};
use super::{ClientConfig, GraphError, IdentitySyncPatch, IdentitySyncPolicy};

/// A Graph client. Cheap to clone; clones share the pool and the token cache.
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: Http,
    auth: Authenticator,
    graph_root: Url,
    authority_root: Url,
    tuning: Tuning,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("graph_endpoint", &self.inner.graph_root.as_str())
            .field("authority_host", &self.inner.authority_root.as_str())
            .field("credential", &self.inner.auth.describe())
            .finish()
    }
}

impl GraphClient {
    /// Validates endpoints (https, or http for loopback only), picks the credential and loads
    /// certificates. Sends nothing.
    pub fn new(config: ClientConfig) -> Result<GraphClient, GraphError> {
        let graph_root = parse_root(Setting::GraphEndpoint, &config.cloud.graph_endpoint)?;
        let authority_root = parse_root(Setting::AuthorityHost, &config.cloud.authority_host)?;
        let auth = Authenticator::new(&config.auth)?;
        let http = Http::new(&config)?;
        log::debug!(
            "Graph client for {graph_root} (login {authority_root}) using {}",
            auth.describe()
        );
        Ok(GraphClient {
            inner: Arc::new(Inner {
                http,
                auth,
                graph_root,
                authority_root,
                tuning: config.tuning,
            }),
        })
    }

    /// Which credential was chosen ("client secret", "Azure CLI", ...), for logs.
    pub fn credential_kind(&self) -> &'static str {
        self.inner.auth.describe()
    }

    /// Gets an access token now (from the cache when fresh), to check the credential early.
    pub async fn sign_in(&self, deadline: Instant) -> Result<(), GraphError> {
        self.inner.token(deadline).await.map(|_| ())
    }

    /// GET; `Ok(None)` on 404.
    pub async fn get_identity_sync(
        &self,
        partner_tenant_id: &str,
        deadline: Instant,
    ) -> Result<Option<IdentitySyncPolicy>, GraphError> {
        let op = operation("GET", partner_tenant_id);
        let response = self
            .inner
            .call(
                Method::GET,
                self.sync_url(partner_tenant_id),
                None,
                deadline,
                &op,
            )
            .await?;
        match response.status {
            200 => decode_policy(&op, partner_tenant_id, &response).map(Some),
            404 => Ok(None),
            _ => Err(api_error(&op, &response)),
        }
    }

    /// PUT the full body (create or replace).
    pub async fn put_identity_sync(
        &self,
        policy: &IdentitySyncPolicy,
        deadline: Instant,
    ) -> Result<(), GraphError> {
        let op = operation("PUT", &policy.tenant_id);
        let body = Body::Json(encode(&op, policy)?);
        let response = self
            .inner
            .call(
                Method::PUT,
                self.sync_url(&policy.tenant_id),
                Some(&body),
                deadline,
                &op,
            )
            .await?;
        match response.status {
            200..=299 => Ok(()),
            _ => Err(api_error(&op, &response)),
        }
    }

    /// PATCH only the given properties.
    pub async fn patch_identity_sync(
        &self,
        partner_tenant_id: &str,
        patch: &IdentitySyncPatch,
        deadline: Instant,
    ) -> Result<(), GraphError> {
        let op = operation("PATCH", partner_tenant_id);
        let body = Body::Json(encode(&op, patch)?);
        let response = self
            .inner
            .call(
                Method::PATCH,
                self.sync_url(partner_tenant_id),
                Some(&body),
                deadline,
                &op,
            )
            .await?;
        match response.status {
            200..=299 => Ok(()),
            _ => Err(api_error(&op, &response)),
        }
    }

    /// DELETE; `Ok(false)` when it was already gone (404).
    pub async fn delete_identity_sync(
        &self,
        partner_tenant_id: &str,
        deadline: Instant,
    ) -> Result<bool, GraphError> {
        let op = operation("DELETE", partner_tenant_id);
        let response = self
            .inner
            .call(
                Method::DELETE,
                self.sync_url(partner_tenant_id),
                None,
                deadline,
                &op,
            )
            .await?;
        match response.status {
            200..=299 => Ok(true),
            404 => Ok(false),
            _ => Err(api_error(&op, &response)),
        }
    }
}

impl GraphClient {
    fn sync_url(&self, partner_tenant_id: &str) -> Url {
        identity_sync_url(&self.inner.graph_root, partner_tenant_id)
    }

    /// `{graph}/v1.0/policies/crossTenantAccessPolicy/{path...}`.
    fn access_policy_url(&self, path: &[&str]) -> Url {
        let mut segments = vec!["v1.0", "policies", "crossTenantAccessPolicy"];
        segments.extend_from_slice(path);
        join_segments(&self.inner.graph_root, &segments)
    }

    /// One call on a cross-tenant access policy object (partner configuration, default
    /// settings), JSON in and out. `Ok(None)` on 404; the body (or null when empty) otherwise.
    async fn access_policy_call(
        &self,
        method: Method,
        path: &[&str],
        body: Option<&serde_json::Value>,
        deadline: Instant,
    ) -> Result<Option<serde_json::Value>, GraphError> {
        let op = format!(
            "{method} /policies/crossTenantAccessPolicy/{}",
            path.join("/")
        );
        let body = match body {
            Some(b) => Some(Body::Json(encode(&op, b)?)),
            None => None,
        };
        let response = self
            .inner
            .call(
                method,
                self.access_policy_url(path),
                body.as_ref(),
                deadline,
                &op,
            )
            .await?;
        match response.status {
            200..=299 if response.body.is_empty() => Ok(Some(serde_json::Value::Null)),
            200..=299 => decode_json(&op, &response).map(Some),
            404 => Ok(None),
            _ => Err(api_error(&op, &response)),
        }
    }

    /// GET an object below `/policies/crossTenantAccessPolicy/`; `Ok(None)` on 404.
    pub async fn get_access_policy_object(
        &self,
        path: &[&str],
        deadline: Instant,
    ) -> Result<Option<serde_json::Value>, GraphError> {
        self.access_policy_call(Method::GET, path, None, deadline)
            .await
    }

    /// POST (create, or an action such as resetToSystemDefault); Graph's answer body, null when
    /// empty. A 404 is an error here: the collection or object is missing.
    pub async fn post_access_policy_object(
        &self,
        path: &[&str],
        body: &serde_json::Value,
        deadline: Instant,
    ) -> Result<serde_json::Value, GraphError> {
        self.access_policy_call(Method::POST, path, Some(body), deadline)
            .await?
            .ok_or_else(|| not_found(path))
    }

    /// PATCH only the given properties; a 404 is an error (the object is gone).
    pub async fn patch_access_policy_object(
        &self,
        path: &[&str],
        body: &serde_json::Value,
        deadline: Instant,
    ) -> Result<(), GraphError> {
        self.access_policy_call(Method::PATCH, path, Some(body), deadline)
            .await?
            .map(|_| ())
            .ok_or_else(|| not_found(path))
    }

    /// DELETE; `Ok(false)` when it was already gone (404).
    pub async fn delete_access_policy_object(
        &self,
        path: &[&str],
        deadline: Instant,
    ) -> Result<bool, GraphError> {
        Ok(self
            .access_policy_call(Method::DELETE, path, None, deadline)
            .await?
            .is_some())
    }
}

/// The error for a write answered 404 (the generic calls map 404 to `None` first).
fn not_found(path: &[&str]) -> GraphError {
    GraphError::Api {
        status: 404,
        code: "Request_ResourceNotFound".into(),
        message: format!(
            "/policies/crossTenantAccessPolicy/{} does not exist",
            path.join("/")
        ),
        request_id: None,
    }
}

fn operation(method: &str, partner_tenant_id: &str) -> String {
    format!("{method} identitySynchronization of partner {partner_tenant_id}")
}

impl Inner {
    fn context(&self) -> AuthContext<'_> {
        AuthContext {
            http: &self.http,
            tuning: &self.tuning,
            graph_root: &self.graph_root,
            authority_root: &self.authority_root,
        }
    }

    async fn token(&self, deadline: Instant) -> Result<super::Secret, GraphError> {
        self.auth.token(&self.context(), deadline).await
    }

    /// One Graph operation with retries; the response is the final answer, success or not.
    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<&Body>,
        deadline: Instant,
        op: &str,
    ) -> Result<RawResponse, GraphError> {
        // The token each attempt used, so a 401 drops exactly that one.
        let used = std::sync::Mutex::new(None);
        with_retries(
            op,
            deadline,
            &self.tuning,
            Limits::graph(&self.tuning),
            |budget| {
                let method = method.clone();
                let url = &url;
                let used = &used;
                async move {
                    let token = self.token(deadline).await?;
                    if let Ok(mut slot) = used.lock() {
                        *slot = Some(token.clone());
                    }
                    let request = Request {
                        method,
                        url,
                        bearer: Some(&token),
                        headers: vec![
                            (ACCEPT, HeaderValue::from_static("application/json")),
                            client_request_id(),
                        ],
                        body,
                        log_body: true,
                    };
                    // Token acquisition may have used part of the budget.
                    let left = deadline.saturating_duration_since(Instant::now());
                    Ok(self.http.send(&request, budget.min(left)).await)
                }
            },
            |response| match response.status {
                429 | 503 | 504 => Verdict::Retry,
                409 if error_code(response).as_deref()
                    == Some("Directory_ConcurrencyViolation") =>
                {
                    Verdict::Retry
                }
                401 => {
                    if let Some(token) = used.lock().ok().and_then(|mut t| t.take()) {
                        self.auth.invalidate(&token);
                    }
                    Verdict::RetryNow
                }
                _ => Verdict::Accept,
            },
        )
        .await
    }
}

fn client_request_id() -> (HeaderName, HeaderValue) {
    let id = uuid::Uuid::new_v4().to_string();
    (
        HeaderName::from_static("client-request-id"),
        HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("")),
    )
}

fn encode<T: serde::Serialize>(op: &str, value: &T) -> Result<Vec<u8>, GraphError> {
    serde_json::to_vec(value).map_err(|e| GraphError::Config {
        message: format!("{op}: could not encode the request body: {e}"),
    })
}

fn is_json(response: &RawResponse) -> bool {
    let ct = response.content_type().to_ascii_lowercase();
    ct.is_empty() || ct.contains("json")
}

/// The policy of a GET answer. A missing or null `userSyncInbound` (or `isSyncAllowed`) is an
/// [`GraphError::Incomplete`] naming the field; a missing `tenantId` is the URL's tenant.
fn decode_policy(
    op: &str,
    partner_tenant_id: &str,
    response: &RawResponse,
) -> Result<IdentitySyncPolicy, GraphError> {
    let decode_error = |e: &dyn std::fmt::Display| GraphError::Decode {
        message: format!("{op}: HTTP {} answer: {e}", response.status),
    };
    let value: serde_json::Value = decode_json(op, response)?;
    if !value.is_object() {
        return Err(decode_error(&"not a JSON object"));
    }
    let inbound = value.get("userSyncInbound");
    let missing = match inbound {
        None => Some(("userSyncInbound", "absent")),
        Some(serde_json::Value::Null) => Some(("userSyncInbound", "null")),
        Some(v) => match v.get("isSyncAllowed") {
            None if v.is_object() => Some(("userSyncInbound.isSyncAllowed", "absent")),
            Some(serde_json::Value::Null) => Some(("userSyncInbound.isSyncAllowed", "null")),
            _ => None,
        },
    };
    if let Some((field, how)) = missing {
        return Err(GraphError::Incomplete {
            field: field.to_string(),
            message: format!(
                "{op}: the identity synchronization policy Graph returned has no {field} (it is \
                 {how})"
            ),
        });
    }
    let mut policy: IdentitySyncPolicy =
        serde_json::from_value(value).map_err(|e| decode_error(&e))?;
    if policy.tenant_id.is_empty() {
        policy.tenant_id = partner_tenant_id.to_string();
    }
    Ok(policy)
}

/// A JSON answer decoded into `T`; anything else (HTML from a proxy, a broken body) is a
/// [`GraphError::Decode`] with an excerpt.
fn decode_json<T: serde::de::DeserializeOwned>(
    op: &str,
    response: &RawResponse,
) -> Result<T, GraphError> {
    if !is_json(response) {
        return Err(GraphError::Decode {
            message: format!(
                "{op}: HTTP {} answer is {}, not JSON: {}",
                response.status,
                response.content_type(),
                excerpt(&response.body)
            ),
        });
    }
    serde_json::from_slice(&response.body).map_err(|e| GraphError::Decode {
        message: format!("{op}: HTTP {} answer: {e}", response.status),
    })
}

/// `error.code` of a Graph error body.
fn error_code(response: &RawResponse) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    json.get("error")?.get("code")?.as_str().map(str::to_string)
}

/// Graph's error body (code, message, request-id), or a clear stand-in for anything else.
fn api_error(op: &str, response: &RawResponse) -> GraphError {
    let status = response.status;
    let header_request_id = response.request_id();
    if (300..400).contains(&status) {
        let target = response
            .header("location")
            .and_then(|l| Url::parse(l).ok())
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "another location".into());
        return GraphError::Api {
            status,
            code: "Redirect".into(),
            message: format!(
                "{op}: Graph answered with a redirect to {target}, which was not followed so \
                 the access token is not sent to another host"
            ),
            request_id: header_request_id,
        };
    }
    let json: Option<serde_json::Value> = if is_json(response) {
        serde_json::from_slice(&response.body).ok()
    } else {
        None
    };
    if let Some(error) = json
        .as_ref()
        .and_then(|j| j.get("error"))
        .filter(|e| e.is_object())
    {
        // Server text reaches the terminal: sanitized (no escapes, bounded length).
        let field = |name: &str| error.get(name).and_then(|v| v.as_str()).map(sanitize);
        let inner_request_id = error
            .get("innerError")
            .or_else(|| error.get("innererror"))
            .and_then(|i| i.get("request-id"))
            .and_then(|v| v.as_str())
            .map(sanitize);
        return GraphError::Api {
            status,
            code: field("code").unwrap_or_else(|| reason(status)),
            message: field("message").unwrap_or_default(),
            request_id: inner_request_id.or(header_request_id),
        };
    }
    let body = if response.body.is_empty() {
        "empty body".to_string()
    } else {
        let kind = match response.content_type() {
            "" => "no content type".to_string(),
            ct => ct.to_string(),
        };
        format!(
            "not a Graph error body ({kind}): {}",
            excerpt(&response.body)
        )
    };
    GraphError::Api {
        status,
        code: reason(status),
        message: format!("{op}: {body}"),
        request_id: header_request_id,
    }
}

fn reason(status: u16) -> String {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| r.replace(' ', ""))
        .unwrap_or_else(|| format!("HTTP{status}"))
}

#[cfg(test)]
mod tests;
