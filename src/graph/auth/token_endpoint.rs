//! The Microsoft identity platform token endpoint (client credentials) and parsing of token
//! responses, shared with managed identity.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderValue, ACCEPT};
use reqwest::Method;
use tokio::time::Instant;

use super::cache::AccessToken;
use super::AuthContext;
use crate::graph::config::Secret;
use crate::graph::endpoint::{graph_scope, token_url};
use crate::graph::http::{excerpt, sanitize, Body, RawResponse, Request, Route};
use crate::graph::retry_loop::Verdict;
use crate::graph::GraphError;

/// Lifetime assumed when a response does not say.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the app proves who it is.
pub(crate) enum ClientProof {
    Secret(Secret),
    /// A signed JWT (certificate) or a federated token (OIDC).
    Assertion(Secret),
}

/// `POST {authority}/{tenant}/oauth2/v2.0/token` with grant_type=client_credentials.
pub(crate) async fn client_credentials(
    ctx: &AuthContext<'_>,
    deadline: Instant,
    tenant_id: &str,
    client_id: &str,
    proof: ClientProof,
) -> Result<AccessToken, GraphError> {
    let url = token_url(ctx.authority_root, tenant_id);
    let mut fields: Vec<(&'static str, Secret)> = vec![
        ("grant_type", Secret::new("client_credentials")),
        ("client_id", Secret::new(client_id)),
        ("scope", Secret::new(graph_scope(ctx.graph_root))),
    ];
    match proof {
        ClientProof::Secret(secret) => fields.push(("client_secret", secret)),
        ClientProof::Assertion(assertion) => {
            fields.push(("client_assertion_type", Secret::new(JWT_BEARER)));
            fields.push(("client_assertion", assertion));
        }
    }
    let body = Body::Form(fields);
    let operation = format!("token request to {url}");
    let request = Request {
        method: Method::POST,
        url: &url,
        bearer: None,
        headers: vec![(ACCEPT, HeaderValue::from_static("application/json"))],
        body: Some(&body),
        log_body: false,
    };
    let response = ctx
        .send_token_request(&operation, deadline, &request, Route::ByUrl, token_verdict)
        .await?;
    parse_token_response(&response, "the token endpoint")
}

/// Token endpoints: retry throttling and server errors, accept the rest.
pub(crate) fn token_verdict(response: &RawResponse) -> Verdict {
    match response.status {
        429 | 500 | 502 | 503 | 504 => Verdict::Retry,
        _ => Verdict::Accept,
    }
}

/// A token response (`access_token` with `expires_in` or `expires_on`), or the endpoint's error.
pub(crate) fn parse_token_response(
    response: &RawResponse,
    endpoint: &str,
) -> Result<AccessToken, GraphError> {
    let json: Option<serde_json::Value> = serde_json::from_slice(&response.body).ok();
    if !(200..300).contains(&response.status) {
        return Err(token_error(response, json.as_ref(), endpoint));
    }
    let Some(json) = json else {
        return Err(GraphError::Token {
            error: format!("HTTP {}", response.status),
            description: format!(
                "{endpoint} answered with a body that is not JSON ({})",
                content_type_name(response)
            ),
        });
    };
    let Some(token) = json
        .get("access_token")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
    else {
        return Err(GraphError::Token {
            error: "invalid_response".into(),
            description: format!("{endpoint} answered without an access_token"),
        });
    };
    Ok(AccessToken::new(Secret::new(token), token_lifetime(&json)))
}

/// `expires_in` (seconds, number or string), else `expires_on` (unix time, number or string).
pub(crate) fn token_lifetime(json: &serde_json::Value) -> Duration {
    if let Some(secs) = json.get("expires_in").and_then(number_or_string) {
        return Duration::from_secs(secs);
    }
    if let Some(at) = json.get("expires_on").and_then(number_or_string) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        return Duration::from_secs(at.saturating_sub(now));
    }
    DEFAULT_LIFETIME
}

pub(crate) fn number_or_string(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn content_type_name(response: &RawResponse) -> String {
    match response.content_type() {
        "" => "no content type".to_string(),
        ct => ct.to_string(),
    }
}

/// `{"error":"invalid_client","error_description":"AADSTS7000215: ..."}` and the shapes managed
/// identity endpoints use; never echoes the request.
fn token_error(
    response: &RawResponse,
    json: Option<&serde_json::Value>,
    endpoint: &str,
) -> GraphError {
    if let Some(json) = json {
        let error = json.get("error");
        let code = match error {
            Some(serde_json::Value::String(s)) => Some(sanitize(s)),
            Some(serde_json::Value::Object(o)) => {
                o.get("code").and_then(|c| c.as_str()).map(sanitize)
            }
            _ => None,
        };
        let description = json
            .get("error_description")
            .and_then(|d| d.as_str())
            .or_else(|| match error {
                Some(serde_json::Value::Object(o)) => o.get("message").and_then(|m| m.as_str()),
                _ => None,
            })
            .or_else(|| json.get("message").and_then(|m| m.as_str()))
            .or_else(|| json.get("Message").and_then(|m| m.as_str()));
        if code.is_some() || description.is_some() {
            return GraphError::Token {
                error: code.unwrap_or_else(|| format!("HTTP {}", response.status)),
                description: description
                    .map(sanitize)
                    .unwrap_or_else(|| format!("{endpoint} answered HTTP {}", response.status)),
            };
        }
    }
    GraphError::Token {
        error: format!("HTTP {}", response.status),
        description: format!(
            "{endpoint} answered HTTP {} ({}): {}",
            response.status,
            content_type_name(response),
            excerpt(&response.body)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, ct: &str, body: &str) -> RawResponse {
        let mut headers = reqwest::header::HeaderMap::new();
        if !ct.is_empty() {
            headers.insert("content-type", HeaderValue::from_str(ct).unwrap());
        }
        RawResponse {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn lifetimes_from_numbers_and_strings() {
        let j = serde_json::json!({"expires_in": 3599});
        assert_eq!(token_lifetime(&j), Duration::from_secs(3599));
        let j = serde_json::json!({"expires_in": "3599"});
        assert_eq!(token_lifetime(&j), Duration::from_secs(3599));
        let in_an_hour = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        let j = serde_json::json!({"expires_on": in_an_hour.to_string()});
        let got = token_lifetime(&j);
        assert!(got > Duration::from_secs(3590) && got <= Duration::from_secs(3600));
        let j = serde_json::json!({"expires_on": in_an_hour});
        assert!(token_lifetime(&j) > Duration::from_secs(3590));
        assert_eq!(token_lifetime(&serde_json::json!({})), DEFAULT_LIFETIME);
        assert_eq!(
            token_lifetime(&serde_json::json!({"expires_on": "1"})),
            Duration::ZERO
        );
    }

    #[test]
    fn aadsts_errors_keep_code_and_description() {
        let r = response(
            401,
            "application/json",
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x","error_codes":[7000215]}"#,
        );
        match parse_token_response(&r, "the token endpoint").unwrap_err() {
            e @ GraphError::Token { .. } => {
                let text = e.to_string();
                assert!(text.contains("invalid_client"), "{text}");
                assert!(
                    text.contains("AADSTS7000215: Invalid client secret provided. Trace ID: x"),
                    "{text}"
                );
                assert_eq!(e.aadsts_code(), Some("AADSTS7000215"));
                assert!(e.summary_hint().unwrap().contains("client secret"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn error_texts_lose_terminal_escapes_and_are_bounded() {
        let body = serde_json::json!({
            "error": "invalid_client\u{1b}[31m",
            "error_description": format!("AADSTS7000215: bad\u{1b}]0;pwned\u{7}{}", "y".repeat(20_000)),
        });
        let r = response(401, "application/json", &body.to_string());
        match parse_token_response(&r, "the token endpoint").unwrap_err() {
            GraphError::Token { error, description } => {
                for text in [&error, &description] {
                    assert!(!text.chars().any(char::is_control), "{text:?}");
                }
                assert!(description.chars().count() < 1100, "{}", description.len());
                assert!(
                    description.starts_with("AADSTS7000215: bad ]0;pwned"),
                    "{description}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn odd_error_bodies_are_still_clear() {
        let html = response(502, "text/html", "<html><body>Bad gateway</body></html>");
        let text = parse_token_response(&html, "the token endpoint")
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("HTTP 502") && text.contains("text/html"),
            "{text}"
        );

        let app_service = response(
            400,
            "application/json",
            r#"{"statusCode":400,"message":"No identity"}"#,
        );
        let text = parse_token_response(&app_service, "the managed identity endpoint")
            .unwrap_err()
            .to_string();
        assert!(text.contains("No identity"), "{text}");

        let garbage = response(200, "application/json", "{\"access_tok");
        assert!(matches!(
            parse_token_response(&garbage, "x"),
            Err(GraphError::Token { .. })
        ));
        let no_token = response(200, "application/json", r#"{"token_type":"Bearer"}"#);
        assert!(parse_token_response(&no_token, "x")
            .unwrap_err()
            .to_string()
            .contains("access_token"));
    }

    proptest::proptest! {
        /// Arbitrary token endpoint answers give a token or a Token error, never a panic.
        #[test]
        fn token_responses_take_arbitrary_bytes(
            status in 100u16..600,
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let r = response(status, "application/json", &String::from_utf8_lossy(&body));
            match parse_token_response(&r, "x") {
                Ok(_) => proptest::prop_assert!((200..300).contains(&status)),
                Err(GraphError::Token { .. }) => {}
                Err(other) => proptest::prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }
}
