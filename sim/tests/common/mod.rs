//! Test helpers: a tiny HTTP/1.1 client over a raw loopback TcpStream, and token helpers.
#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;

use msgraph_sim::SimServer;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub const PARTNER: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";
pub const SYNC_PATH: &str =
    "/v1.0/policies/crossTenantAccessPolicy/partners/90e29127-71ad-49c7-9ce8-db3f41ea06f1/identitySynchronization";

#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
}

/// Sends one request (`Connection: close`) and reads the whole answer.
pub async fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<HttpResponse> {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await?;
    let body = body.unwrap_or("");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse(&raw)
}

/// Sends a bare GET and returns every byte the server wrote before closing.
pub async fn raw_get(base: &str, path: &str) -> std::io::Result<Vec<u8>> {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await?;
    let head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    Ok(raw)
}

fn parse(raw: &[u8]) -> std::io::Result<HttpResponse> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, m.to_owned());
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no response head"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(|| bad("no status line"))?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(HttpResponse {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// Like [`send`] but panics on transport errors.
pub async fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> HttpResponse {
    send(base, method, path, headers, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn form(fields: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

/// POSTs a form to the token endpoint of `tenant`.
pub async fn token_request(
    server: &SimServer,
    tenant: &str,
    fields: &[(&str, &str)],
) -> HttpResponse {
    request(
        &server.url,
        "POST",
        &format!("/{tenant}/oauth2/v2.0/token"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&form(fields)),
    )
    .await
}

/// A Graph access token for the default app via client secret.
pub async fn token(server: &SimServer) -> String {
    token_at(&server.url).await
}

/// A running simulator holding the partner configuration PARTNER, and a Graph token for it.
pub async fn with_partner() -> (SimServer, String) {
    let server = msgraph_sim::Sim::start().await;
    server.add_partner(PARTNER);
    let t = token(&server).await;
    (server, t)
}

/// Sends a Graph write and asserts Graph's 204 No Content.
pub async fn write_ok(
    server: &SimServer,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) {
    let resp = graph(server, token, method, path, body).await;
    assert_eq!(resp.status, 204, "{method} {path}: {}", resp.body);
}

/// PUTs `body` as PARTNER's identitySynchronization and asserts Graph's 204.
pub async fn put_policy(server: &SimServer, token: &str, body: &str) {
    write_ok(server, token, "PUT", SYNC_PATH, Some(body)).await;
}

/// A Graph request with a bearer token to the simulator at `url`; a transport error (a reset,
/// a hang-up) is returned, not a panic.
pub async fn try_graph(
    url: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<HttpResponse> {
    let auth = format!("Bearer {token}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    send(url, method, path, &headers, body).await
}

/// A Graph request with a bearer token; panics on transport errors.
pub async fn graph(
    server: &SimServer,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> HttpResponse {
    try_graph(&server.url, token, method, path, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// Asserts Graph's error shape with `code`, and that the request-id header matches the body.
pub fn assert_graph_error(resp: &HttpResponse, status: u16, code: &str) {
    assert_eq!(resp.status, status, "{}", resp.body);
    let body = resp.json();
    assert_eq!(body["error"]["code"], code, "{}", resp.body);
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    let request_id = resp.header("request-id").expect("request-id header");
    assert_eq!(body["error"]["innerError"]["request-id"], request_id);
    assert!(body["error"]["innerError"]["date"].is_string());
    assert!(body["error"]["innerError"]["client-request-id"].is_string());
}

pub const SHORT: Duration = Duration::from_millis(300);

/// Sends `count` GETs one after another on ONE keep-alive connection; returns the statuses.
pub async fn keep_alive_gets(base: &str, path: &str, auth: &str, count: usize) -> Vec<u16> {
    keep_alive_get_paths(base, &vec![path; count], auth).await
}

/// GETs each path in turn on ONE keep-alive connection; returns the statuses.
pub async fn keep_alive_get_paths(base: &str, paths: &[&str], auth: &str) -> Vec<u16> {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await.expect("connect");
    let mut statuses = Vec::new();
    let mut pending = Vec::new();
    for path in paths {
        let head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n\r\n");
        stream.write_all(head.as_bytes()).await.expect("write");
        // Read exactly one response: head, then Content-Length bytes.
        loop {
            if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&pending[..end]).into_owned();
                let length: usize = head
                    .lines()
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.trim().parse().ok())
                    .unwrap_or(0);
                if pending.len() >= end + 4 + length {
                    let resp = parse(&pending[..end + 4 + length]).expect("response");
                    statuses.push(resp.status);
                    pending.drain(..end + 4 + length);
                    break;
                }
            }
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).await.expect("read");
            assert!(n > 0, "server closed a keep-alive connection");
            pending.extend_from_slice(&buf[..n]);
        }
    }
    statuses
}

/// Starts the binary and returns it with its URL.
pub async fn start_binary(args: &[&str]) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_msgraph-sim"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn msgraph-sim");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(30),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("listening line in time")
    .expect("read stdout");
    let url = line
        .trim()
        .strip_prefix("msgraph-sim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    (child, url)
}

#[cfg(unix)]
pub async fn terminate(mut child: tokio::process::Child) {
    let pid = child.id().expect("pid").to_string();
    let status = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits on SIGTERM")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
}

/// A Graph access token from a simulator at `url` (the default app, client secret).
pub async fn token_at(url: &str) -> String {
    let resp = request(
        url,
        "POST",
        &format!("/{}/oauth2/v2.0/token", msgraph_sim::TENANT_ID),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&form(&[
            ("grant_type", "client_credentials"),
            ("client_id", msgraph_sim::CLIENT_ID),
            ("client_secret", msgraph_sim::CLIENT_SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ])),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.json()["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}
