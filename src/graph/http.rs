//! One HTTP attempt over the shared reqwest clients: building them (TLS roots, proxy, redirect
//! policy), routing (proxied or direct), sending with a time budget, reading a bounded body,
//! and logging without secrets.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use super::config::{ClientConfig, ProxyConfig, Secret};
use super::endpoint::is_local_host;
use super::error::Setting;
use super::GraphError;

/// Largest response body read; Graph's answers are a few hundred bytes.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Same-origin redirects followed at most this many times.
const MAX_REDIRECTS: usize = 5;

/// The process-wide HTTP clients (one connection pool each).
#[derive(Clone)]
pub(crate) struct Http {
    /// Graph and login: through the configured proxy.
    proxied: reqwest::Client,
    /// Managed identity and plain http to loopback / link-local hosts: never through a proxy.
    direct: reqwest::Client,
}

/// Which client a request takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// Through the proxy settings, unless the URL is plain http to a loopback or link-local
    /// host (a proxy would see the token in clear, or cannot reach the host at all).
    ByUrl,
    /// Always direct: managed identity endpoints (IMDS, App Service) hand out access tokens
    /// over plain http to whoever presents the identity header.
    Direct,
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

/// A complete response. Its body may be a token endpoint's answer, so `Debug` leaves it out.
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawResponse")
            .field("status", &self.status)
            .field("content_type", &self.content_type())
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    pub fn request_id(&self) -> Option<String> {
        self.header("request-id").map(sanitize)
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
        Http::with_system_bundles(config, SYSTEM_CA_BUNDLES)
    }

    /// [`Http::new`] with the system CA bundle locations given (tests use their own).
    pub fn with_system_bundles(
        config: &ClientConfig,
        system_bundles: &[&str],
    ) -> Result<Http, GraphError> {
        let user_agent = if config.user_agent.trim().is_empty() {
            concat!("terraform-provider-msgraph/", env!("CARGO_PKG_VERSION")).to_string()
        } else {
            config.user_agent.clone()
        };
        let roots = match &config.extra_ca_file {
            Some(path) => Some(trusted_roots(path, system_bundles)?),
            None => None,
        };
        let build = |proxies: Vec<reqwest::Proxy>| -> Result<reqwest::Client, GraphError> {
            // no_proxy(): reqwest would otherwise read the proxy variables itself.
            let mut builder = reqwest::Client::builder()
                .user_agent(user_agent.clone())
                .connect_timeout(config.tuning.connect_timeout)
                .pool_idle_timeout(Duration::from_secs(90))
                .redirect(same_origin_redirects())
                .no_proxy();
            for p in proxies {
                builder = builder.proxy(p);
            }
            builder = match &roots {
                Some(TrustedRoots::Only(certs)) => builder.tls_certs_only(certs.clone()),
                Some(TrustedRoots::Merge(certs)) => builder.tls_certs_merge(certs.clone()),
                None => builder,
            };
            builder.build().map_err(|e| GraphError::Config {
                message: format!("could not set up the HTTP client: {}", error_chain(&e)),
            })
        };
        let proxies = proxies(&config.proxy)?;
        // Without a proxy both routes are the same client: building (TLS roots, pools) is start-up
        // work every provider process pays, so it is done once.
        let direct = build(Vec::new())?;
        let proxied = if proxies.is_empty() {
            direct.clone()
        } else {
            build(proxies)?
        };
        Ok(Http { proxied, direct })
    }

    /// Sends once by `route`, reading the whole body within `budget`.
    pub async fn send_via(
        &self,
        route: Route,
        request: &Request<'_>,
        budget: Duration,
    ) -> Result<RawResponse, TransportFailure> {
        let client = match route {
            Route::Direct => &self.direct,
            Route::ByUrl if request.url.scheme() == "http" && is_local_host(request.url) => {
                &self.direct
            }
            Route::ByUrl => &self.proxied,
        };
        self.send_with(client, request, budget).await
    }

    /// Sends once, reading the whole body within `budget`; routed by URL.
    pub async fn send(
        &self,
        request: &Request<'_>,
        budget: Duration,
    ) -> Result<RawResponse, TransportFailure> {
        self.send_via(Route::ByUrl, request, budget).await
    }

    async fn send_with(
        &self,
        client: &reqwest::Client,
        request: &Request<'_>,
        budget: Duration,
    ) -> Result<RawResponse, TransportFailure> {
        let started = std::time::Instant::now();
        let mut builder = client
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

/// The reqwest proxies for `config`: https and http, each with the NO_PROXY list.
fn proxies(config: &ProxyConfig) -> Result<Vec<reqwest::Proxy>, GraphError> {
    let no_proxy = || {
        config
            .no_proxy
            .as_deref()
            .and_then(reqwest::NoProxy::from_string)
    };
    let invalid = |_| GraphError::InvalidSetting {
        setting: Setting::Proxy,
        problem: "not a valid proxy URL".into(),
    };
    let mut out = Vec::new();
    if let Some(url) = config.https.as_ref().filter(|u| !u.expose().is_empty()) {
        out.push(
            reqwest::Proxy::https(url.expose())
                .map_err(invalid)?
                .no_proxy(no_proxy()),
        );
    }
    if let Some(url) = config.http.as_ref().filter(|u| !u.expose().is_empty()) {
        out.push(
            reqwest::Proxy::http(url.expose())
                .map_err(invalid)?
                .no_proxy(no_proxy()),
        );
    }
    Ok(out)
}

/// The system CA bundles of Linux distributions, as OpenSSL is built to read them; the first
/// that exists holds the system roots.
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) const SYSTEM_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];
#[cfg(not(all(unix, not(target_os = "macos"))))]
pub(crate) const SYSTEM_CA_BUNDLES: &[&str] = &[];

/// Roots when an extra CA file is configured.
enum TrustedRoots {
    /// Linux: the system bundle plus the extra file, read here. The platform verifier would
    /// read the system store through `SSL_CERT_FILE`, which then replaces it instead of adding.
    Only(Vec<reqwest::Certificate>),
    /// macOS and Windows: the OS verifier plus the extra certificates.
    Merge(Vec<reqwest::Certificate>),
}

fn read_pem_bundle(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, GraphError> {
    let pem = std::fs::read(path).map_err(|e| GraphError::InvalidSetting {
        setting: Setting::CaFile,
        problem: format!("could not read {}: {e}", path.display()),
    })?;
    let certs =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| GraphError::InvalidSetting {
            setting: Setting::CaFile,
            problem: format!("{} is not a PEM bundle: {e}", path.display()),
        })?;
    if certs.is_empty() {
        return Err(GraphError::InvalidSetting {
            setting: Setting::CaFile,
            problem: format!("{} holds no PEM certificate", path.display()),
        });
    }
    Ok(certs)
}

/// The extra CA file's certificates added to the system roots.
fn trusted_roots(
    extra: &std::path::Path,
    system_bundles: &[&str],
) -> Result<TrustedRoots, GraphError> {
    let mut certs = read_pem_bundle(extra)?;
    if system_bundles.is_empty() {
        return Ok(TrustedRoots::Merge(certs));
    }
    match system_bundles
        .iter()
        .map(std::path::Path::new)
        .find(|p| p.is_file())
    {
        Some(system) => certs.extend(read_pem_bundle(system)?),
        None => log::warn!(
            "no system CA bundle found (looked for {}): trusting only {}",
            system_bundles.join(", "),
            extra.display()
        ),
    }
    Ok(TrustedRoots::Only(certs))
}

fn classify(e: &reqwest::Error) -> TransportFailure {
    let message = error_chain(e);
    let tls_trust = message.contains("invalid peer certificate");
    let message = if tls_trust {
        format!(
            "{message} (the server's TLS certificate is not trusted: if a proxy re-signs TLS, \
             add its CA certificate to the system store or the extra CA certificate file)"
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

/// Longest server text kept (Graph's `message`, a token endpoint's `error_description`).
pub(crate) const MAX_SERVER_TEXT: usize = 1000;

/// Text from a server made safe for a terminal: control characters (ANSI escape sequences,
/// newlines) and bidirectional overrides become spaces, runs of spaces one, and the result is
/// cut to [`MAX_SERVER_TEXT`] characters.
pub(crate) fn sanitize(text: &str) -> String {
    flatten(text, MAX_SERVER_TEXT)
}

/// A short, printable excerpt of a body for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    flatten(&String::from_utf8_lossy(body), 200)
}

fn flatten(text: &str, limit: usize) -> String {
    let printable: String = text
        .chars()
        .map(|c| {
            let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi {
                ' '
            } else {
                c
            }
        })
        .collect();
    let flat = printable.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > limit {
        let cut: String = flat.chars().take(limit).collect();
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
    fn raw_responses_debug_without_their_body() {
        let response = RawResponse {
            status: 200,
            headers: HeaderMap::new(),
            body: br#"{"access_token":"AcCeSs-8e1f","token_type":"Bearer"}"#.to_vec(),
        };
        let shown = format!("{response:?}");
        assert!(!shown.contains("AcCeSs-8e1f"), "{shown}");
        assert!(!shown.contains(&format!("{:?}", response.body)), "{shown}");
        assert!(shown.contains("200") && shown.contains("bytes"), "{shown}");
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

    #[test]
    fn server_text_loses_escapes_and_is_cut() {
        let hostile = "Denied\u{1b}[2J\u{1b}]0;owned\u{7}\r\nfake: ok\u{9b}31m \u{202e}txt.exe";
        let clean = sanitize(hostile);
        assert!(!clean.chars().any(|c| c.is_control()), "{clean:?}");
        assert!(!clean.contains('\u{202e}'), "{clean:?}");
        assert!(
            clean.starts_with("Denied [2J ]0;owned fake: ok"),
            "{clean:?}"
        );
        let long = "x".repeat(50_000);
        assert_eq!(sanitize(&long).chars().count(), MAX_SERVER_TEXT + 3);
    }
}
