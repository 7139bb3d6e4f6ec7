//! One HTTP attempt over the shared reqwest client: building the client (TLS roots, proxy,
//! redirect policy), sending with a time budget, reading a bounded body, and logging without
//! secrets.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use super::config::{ClientConfig, Secret};
use super::GraphError;

/// Largest response body read; Graph's answers are a few hundred bytes.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Same-origin redirects followed at most this many times.
const MAX_REDIRECTS: usize = 5;

/// The process-wide HTTP client (one connection pool).
#[derive(Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
}

/// A request body.
pub(crate) enum Body {
    Json(Vec<u8>),
    /// Form fields; may hold secrets, so the body is never logged.
    Form(Vec<(&'static str, Secret)>),
    /// A POST without content.
    Empty,
}

/// One request, rebuilt for every attempt.
pub(crate) struct Request<'a> {
    pub method: Method,
    pub url: &'a Url,
    /// Sent as `Authorization`, never logged.
    pub bearer: Option<&'a Secret>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<&'a Body>,
    /// Trace-log the response body (Graph objects only; never token responses).
    pub log_body: bool,
}

/// A complete response.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    pub fn request_id(&self) -> Option<String> {
        self.header("request-id").map(str::to_string)
    }
}

/// Why an attempt produced no response.
#[derive(Debug)]
pub(crate) struct TransportFailure {
    pub message: String,
    /// Retrying cannot help (TLS trust failure, invalid request).
    pub fatal: bool,
    /// The attempt's time budget ran out.
    pub timed_out: bool,
}

impl Http {
    pub fn new(config: &ClientConfig) -> Result<Http, GraphError> {
        let user_agent = if config.user_agent.trim().is_empty() {
            concat!("terraform-provider-msgraph/", env!("CARGO_PKG_VERSION")).to_string()
        } else {
            config.user_agent.clone()
        };
        let mut builder = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(config.tuning.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .redirect(same_origin_redirects());
        if let Some(path) = &config.extra_ca_file {
            let pem = std::fs::read(path).map_err(|e| GraphError::Config {
                message: format!(
                    "could not read the CA certificate file {}: {e}",
                    path.display()
                ),
            })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| GraphError::Config {
                    message: format!(
                        "the CA certificate file {} is not a PEM bundle: {e}",
                        path.display()
                    ),
                })?;
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder.build().map_err(|e| GraphError::Config {
            message: format!("could not set up the HTTP client: {}", error_chain(&e)),
        })?;
        Ok(Http { client })
    }

    /// Sends once, reading the whole body within `budget`.
    pub async fn send(
        &self,
        request: &Request<'_>,
        budget: Duration,
    ) -> Result<RawResponse, TransportFailure> {
        let started = std::time::Instant::now();
        let mut builder = self
            .client
            .request(request.method.clone(), request.url.clone())
            .timeout(budget);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(token) = request.bearer {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    TransportFailure {
                        message: "the access token contains characters not allowed in a header"
                            .into(),
                        fatal: true,
                        timed_out: false,
                    }
                })?;
            value.set_sensitive(true);
            builder = builder.header(reqwest::header::AUTHORIZATION, value);
        }
        builder = match request.body {
            Some(Body::Json(bytes)) => builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Some(Body::Form(fields)) => {
                let pairs: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.expose())).collect();
                builder.form(&pairs)
            }
            Some(Body::Empty) => builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(reqwest::header::CONTENT_LENGTH, "0"),
            None => builder,
        };
        let outcome = async {
            let mut response = builder.send().await?;
            let status = response.status().as_u16();
            let headers = std::mem::take(response.headers_mut());
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Ok(Err(status));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Ok(RawResponse {
                status,
                headers,
                body,
            }))
        }
        .await;
        let elapsed = started.elapsed().as_millis();
        match outcome {
            Ok(Ok(response)) => {
                log::debug!(
                    "{} {} -> {} in {elapsed} ms (request-id: {})",
                    request.method,
                    request.url,
                    response.status,
                    response.request_id().as_deref().unwrap_or("-")
                );
                if request.log_body && !response.body.is_empty() {
                    log::trace!(
                        "{} {} response body: {}",
                        request.method,
                        request.url,
                        String::from_utf8_lossy(&response.body)
                    );
                }
                Ok(response)
            }
            Ok(Err(status)) => Err(TransportFailure {
                message: format!("HTTP {status} response body larger than {MAX_BODY_BYTES} bytes"),
                fatal: true,
                timed_out: false,
            }),
            Err(e) => {
                let failure = classify(&e);
                log::debug!(
                    "{} {} failed after {elapsed} ms: {}",
                    request.method,
                    request.url,
                    failure.message
                );
                Err(failure)
            }
        }
    }
}

fn classify(e: &reqwest::Error) -> TransportFailure {
    let message = error_chain(e);
    let tls_trust = message.contains("invalid peer certificate");
    let message = if tls_trust {
        format!(
            "{message} (the server's TLS certificate is not trusted: if a proxy re-signs TLS, \
             add its CA certificate to the system store or SSL_CERT_FILE)"
        )
    } else {
        message
    };
    TransportFailure {
        fatal: tls_trust || e.is_builder(),
        timed_out: e.is_timeout(),
        message,
    }
}

/// `outer: cause: root cause`, skipping repeats.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Follow redirects only within one origin (scheme, host, port), so a bearer token never goes
/// to another host; a cross-origin redirect is returned as the 3xx response.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.stop();
        }
        let same = attempt
            .previous()
            .last()
            .is_some_and(|from| same_origin(from, attempt.url()));
        if same {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// A short, printable excerpt of a body for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 200 {
        let cut: String = flat.chars().take(200).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let a = Url::parse("https://graph.microsoft.com/v1.0/x").unwrap();
        assert!(same_origin(
            &a,
            &Url::parse("https://graph.microsoft.com:443/other").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("https://evil.example.com/v1.0/x").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("http://graph.microsoft.com/v1.0/x").unwrap()
        ));
        assert!(!same_origin(
            &Url::parse("http://127.0.0.1:1/").unwrap(),
            &Url::parse("http://127.0.0.1:2/").unwrap()
        ));
    }

    #[test]
    fn excerpts_are_short_and_flat() {
        assert_eq!(
            excerpt(b"<html>\n<title>Bad</title>\n</html>"),
            "<html> <title>Bad</title> </html>"
        );
        let long = vec![b'a'; 1000];
        assert_eq!(excerpt(&long).len(), 203);
    }
}
