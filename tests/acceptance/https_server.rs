//! A static file server over HTTPS on 127.0.0.1 with a fresh self-signed certificate: what the
//! publishing tests serve provider mirrors and registries from.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A static file server over HTTPS on 127.0.0.1 with a fresh self-signed certificate, enough
/// for Terraform's mirror and registry clients (GET, HTTP/1.1, one request per connection).
pub struct HttpsFileServer {
    pub port: u16,
    /// The certificate, to trust through SSL_CERT_FILE.
    pub cert_pem: String,
    requested: Arc<Mutex<Vec<String>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HttpsFileServer {
    pub fn start(root: &Path) -> HttpsFileServer {
        let certified = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ])
        .expect("self-signed certificate");
        let cert_pem = certified.cert.pem();
        let cert_der = certified.cert.der().clone();
        let key_der = rustls_pki_types::PrivateKeyDer::Pkcs8(
            rustls_pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()),
        );
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert_der], key_der)
            .expect("server certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("local addr").port();
        let requested = Arc::new(Mutex::new(Vec::new()));
        let (shutdown, mut stop) = tokio::sync::oneshot::channel::<()>();
        let root = root.to_path_buf();
        let log = Arc::clone(&requested);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    tokio::select! {
                        _ = &mut stop => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let acceptor = acceptor.clone();
                            let root = root.clone();
                            let log = Arc::clone(&log);
                            tokio::spawn(async move {
                                if let Ok(tls) = acceptor.accept(stream).await {
                                    let _ = serve_one(tls, &root, &log).await;
                                }
                            });
                        }
                    }
                }
            });
        });
        HttpsFileServer {
            port,
            cert_pem,
            requested,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    pub fn requested_paths(&self) -> Vec<String> {
        self.requested.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Drop for HttpsFileServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request head and answers it with the file under `root`, then closes.
async fn serve_one<S>(mut stream: S, root: &Path, log: &Mutex<Vec<String>>) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > 16 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut parts = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or("/"),
    );
    let path = target.split('?').next().unwrap_or("/").to_owned();
    if let Ok(mut requests) = log.lock() {
        requests.push(path.clone());
    }
    let file = (method == "GET")
        .then(|| resolve(root, &path))
        .flatten()
        .and_then(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes)));
    let mut response = Vec::new();
    match file {
        Some((file, body)) => {
            let content_type = match file.extension().and_then(|e| e.to_str()) {
                Some("json") => "application/json",
                Some("zip") => "application/zip",
                _ => "application/octet-stream",
            };
            let _ = write!(
                response,
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            response.extend_from_slice(&body);
        }
        None => {
            let body = b"not found\n";
            let _ = write!(
                response,
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            response.extend_from_slice(body);
        }
    }
    stream.write_all(&response).await?;
    stream.shutdown().await
}

/// Maps a URL path onto a file under `root`, refusing anything that climbs out of it.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    for segment in url_path.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." || segment.contains('\\') {
            return None;
        }
        path.push(segment);
    }
    path.is_file().then_some(path)
}
