//! The Graph simulator as a child process: start it with latency and every partner existing,
//! read its address and default app, and read or clear its request log over its control API.
//!
//! Uses from `msgraph-sim`: `--latency-ms N`, `--auto-partners`, `GET /_sim/stats` ->
//! `{"requests":[{"method","path","status"}...],"tokens_issued":n,"connections_accepted":n}`
//! and `POST /_sim/reset-log`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::terraform::SimCredentials;

/// The simulator's default app, as its crate documents them. TODO(integrator): confirm these
/// match `msgraph_sim::{TENANT_ID, CLIENT_ID, CLIENT_SECRET}`; they are only a fallback for a
/// simulator that does not print them on stderr.
const FALLBACK_TENANT_ID: &str = "4a7c2d1e-9b3f-4e6a-8c5d-1f2e3a4b5c6d";
const FALLBACK_CLIENT_ID: &str = "b1d6e0a4-3c2f-4f8e-9a7b-6c5d4e3f2a1b";
const FALLBACK_CLIENT_SECRET: &str = "sim~Secret.0123456789abcdefghijklmnopqrstu";

const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `msgraph-sim`; killed on drop.
pub struct SimProcess {
    child: Child,
    pub credentials: SimCredentials,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub status: u16,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct SimStats {
    pub requests: Vec<RecordedRequest>,
    pub tokens_issued: u64,
    /// Graph connections (not control-API ones) accepted since start.
    #[serde(default)]
    pub connections_accepted: u64,
}

impl SimProcess {
    /// Starts `exe` with `latency` on every Graph request; every well-formed partner tenant ID
    /// exists (`--auto-partners`), so any N resources can be created.
    pub fn start(exe: &Path, latency: Duration) -> Result<SimProcess> {
        let mut command = Command::new(exe);
        command.arg("--auto-partners");
        if !latency.is_zero() {
            command
                .arg("--latency-ms")
                .arg(latency.as_millis().to_string());
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let stdout = child.stdout.take().context("sim stdout")?;
        let stderr = child.stderr.take().context("sim stderr")?;
        let (sender, receiver) = mpsc::channel();
        let stdout_sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = stdout_sender.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let mut url = None;
        let mut seen = Vec::new();
        // The address comes on stdout, then the default app on stderr; wait for all four.
        while url.is_none() || parse_credential_lines(&seen).is_none() {
            let wait = if url.is_some() {
                Duration::from_secs(2)
            } else {
                START_TIMEOUT
            };
            let Ok(line) = receiver.recv_timeout(wait) else {
                if url.is_some() {
                    break; // No credentials printed: use the documented constants.
                }
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "{} did not print its address: {}",
                    exe.display(),
                    seen.join("\n")
                );
            };
            if let Some(found) = parse_listen_line(&line) {
                url = Some(found);
            } else {
                seen.push(line);
            }
        }
        let url = url.context("simulator address")?;
        let (tenant_id, client_id, client_secret) =
            parse_credential_lines(&seen).unwrap_or_else(|| {
                (
                    FALLBACK_TENANT_ID.to_owned(),
                    FALLBACK_CLIENT_ID.to_owned(),
                    FALLBACK_CLIENT_SECRET.to_owned(),
                )
            });
        Ok(SimProcess {
            child,
            credentials: SimCredentials {
                url,
                tenant_id,
                client_id,
                client_secret,
            },
        })
    }

    pub fn stats(&self) -> Result<SimStats> {
        let body = http_request(&self.credentials.url, "GET", "/_sim/stats")?;
        serde_json::from_slice(&body).context("decoding GET /_sim/stats")
    }

    /// Clears the request log, so the next `stats` holds one command's requests only.
    pub fn reset_log(&self) -> Result<()> {
        http_request(&self.credentials.url, "POST", "/_sim/reset-log").map(drop)
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `msgraph-sim listening on http://127.0.0.1:PORT` -> the URL.
pub fn parse_listen_line(line: &str) -> Option<String> {
    let url = line.trim().strip_prefix("msgraph-sim listening on ")?;
    url.starts_with("http://").then(|| url.to_owned())
}

/// The `tenant_id = ...`, `client_id = ...`, `client_secret = ...` lines on the sim's stderr.
pub fn parse_credential_lines(lines: &[String]) -> Option<(String, String, String)> {
    let value = |key: &str| {
        lines.iter().find_map(|line| {
            let (name, value) = line.split_once('=')?;
            (name.trim() == key).then(|| value.trim().to_owned())
        })
    };
    Some((
        value("tenant_id")?,
        value("client_id")?,
        value("client_secret")?,
    ))
}

/// A plain HTTP/1.1 request without a body against the loopback simulator; returns the body
/// of a 2xx answer.
pub fn http_request(base_url: &str, method: &str, path: &str) -> Result<Vec<u8>> {
    let host = base_url
        .strip_prefix("http://")
        .context("simulator URL is not http://")?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(host).with_context(|| format!("connecting to {host}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    // One write: a peer that reads the request once must see all of it.
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let (status, body) = parse_http_response(&response)?;
    if !(200..300).contains(&status) {
        bail!(
            "{method} {path} answered {status}: {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(300)
                .collect::<String>()
        );
    }
    Ok(body)
}

/// Splits a raw HTTP/1.1 response into status and body, undoing chunked transfer encoding.
pub fn parse_http_response(raw: &[u8]) -> Result<(u16, Vec<u8>)> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("HTTP response without end of headers")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let body = &raw[split + 4..];
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .context("HTTP status line")?;
    let chunked = lines.any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("transfer-encoding:") && lower.contains("chunked")
    });
    if !chunked {
        return Ok((status, body.to_vec()));
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).context("bad chunk size")?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok((status, out));
        }
        let chunk = rest.get(..size).context("truncated chunk")?;
        out.extend_from_slice(chunk);
        rest = rest.get(size + 2..).context("truncated chunk end")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_listen_line_and_credentials() {
        assert_eq!(
            parse_listen_line("msgraph-sim listening on http://127.0.0.1:4321\n").as_deref(),
            Some("http://127.0.0.1:4321")
        );
        assert_eq!(parse_listen_line("listening"), None);
        let lines: Vec<String> = [
            "tenant_id     = t-1",
            "client_id     = c-1",
            "client_secret = s=1",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(
            parse_credential_lines(&lines),
            Some(("t-1".into(), "c-1".into(), "s=1".into()))
        );
        assert_eq!(parse_credential_lines(&lines[..2]), None);
    }

    #[test]
    fn parses_plain_and_chunked_responses() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(
            parse_http_response(plain).expect("plain"),
            (200, b"{}".to_vec())
        );
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
        assert_eq!(
            parse_http_response(chunked).expect("chunked"),
            (200, b"{\"a\":1}".to_vec())
        );
        assert_eq!(
            parse_http_response(b"HTTP/1.1 404 Not Found\r\n\r\n")
                .expect("404")
                .0,
            404
        );
        assert!(parse_http_response(b"garbage").is_err());
        assert!(parse_http_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nab"
        )
        .is_err());
    }

    #[test]
    fn http_request_reads_a_chunked_body_from_a_loopback_server() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            // Read the whole request head before answering and closing.
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let read = stream.read(&mut buf).expect("read");
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..read]);
            }
            let request = String::from_utf8_lossy(&request).into_owned();
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                )
                .expect("write");
            request
        });
        let body = http_request(&format!("http://{addr}"), "GET", "/_sim/stats").expect("get");
        assert_eq!(body, b"{}");
        let request = server.join().expect("server");
        assert!(
            request.starts_with("GET /_sim/stats HTTP/1.1\r\n"),
            "{request}"
        );
    }

    #[test]
    fn start_reads_address_and_credentials_and_passes_flags() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-sim-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let script = dir.join("fake-sim");
        let args_file = dir.join("args");
        // Prints like msgraph-sim, records its arguments, then waits to be killed.
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$@\" > {}\necho 'msgraph-sim listening on http://127.0.0.1:9'\n\
                 echo 'tenant_id     = t-1' >&2\necho 'client_id     = c-1' >&2\n\
                 echo 'client_secret = s-1' >&2\nexec sleep 30\n",
                args_file.display()
            ),
        )
        .expect("script");
        Command::new("chmod")
            .arg("755")
            .arg(&script)
            .status()
            .expect("chmod");
        let sim = SimProcess::start(&script, Duration::from_millis(20)).expect("starts");
        assert_eq!(
            sim.credentials,
            SimCredentials {
                url: "http://127.0.0.1:9".into(),
                tenant_id: "t-1".into(),
                client_id: "c-1".into(),
                client_secret: "s-1".into(),
            }
        );
        let args = std::fs::read_to_string(&args_file).expect("args");
        assert_eq!(args.trim(), "--auto-partners --latency-ms 20");
        drop(sim);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_simulator_that_exits_is_reported() {
        let err = SimProcess::start(Path::new("/bin/false"), Duration::ZERO)
            .err()
            .expect("fails");
        assert!(
            err.to_string().contains("did not print its address"),
            "{err:#}"
        );
    }

    #[test]
    fn stats_json_decodes() {
        let stats: SimStats = serde_json::from_str(
            r#"{"requests":[{"method":"PUT","path":"/v1.0/x","status":204,"query":""}],"tokens_issued":2}"#,
        )
        .expect("decodes");
        assert_eq!(stats.tokens_issued, 2);
        assert_eq!(stats.connections_accepted, 0);
        assert_eq!(stats.requests[0].method, "PUT");
        let stats: SimStats = serde_json::from_str(
            r#"{"requests":[],"tokens_issued":1,"connections_accepted":3,"latency_ms":20}"#,
        )
        .expect("decodes");
        assert_eq!(stats.connections_accepted, 3);
    }
}
