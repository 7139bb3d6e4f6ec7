//! Test helpers: canned raw-HTTP/1.1 loopback servers, test certificates, temp files and a
//! capturing logger.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the canned server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// Form or query pairs, decoded.
    pub fn form(&self) -> Vec<(String, String)> {
        decode_pairs(&self.body)
    }

    pub fn query_pairs(&self) -> Vec<(String, String)> {
        decode_pairs(self.query())
    }
}

pub(crate) fn decode_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the canned server does with a request.
#[derive(Clone)]
pub(crate) enum Reply {
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Bytes written as they are, then the connection closes.
    Raw(Vec<u8>),
    /// Close the connection with a TCP reset, no answer.
    Reset,
    /// Never answer.
    Hang,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply::Http {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply::Http {
            status,
            headers: vec![],
            body: String::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Http { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }

    pub fn token(access_token: &str, expires_in: u64) -> Reply {
        Reply::json(
            200,
            format!(
                r#"{{"token_type":"Bearer","expires_in":{expires_in},"ext_expires_in":{expires_in},"access_token":"{access_token}"}}"#
            ),
        )
    }
}

type Handler = dyn Fn(&Recorded) -> Reply + Send + Sync;

/// A loopback server answering each request with what its handler says.
pub(crate) struct CannedServer {
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CannedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CannedServer {
    pub async fn start(
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> CannedServer {
        CannedServer::serve(None, Arc::new(handler)).await
    }

    /// An https server on 127.0.0.1 presenting `cert_der` (signed by `key_pkcs8_der`).
    pub async fn start_tls(
        cert_der: Vec<u8>,
        key_pkcs8_der: Vec<u8>,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> CannedServer {
        use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(cert_der)],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8_der)),
            )
            .expect("server certificate");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        CannedServer::serve(Some(acceptor), Arc::new(handler)).await
    }

    /// Listens on 127.0.0.1 (https when `tls` is given) and answers every connection with
    /// `handler`.
    async fn serve(tls: Option<tokio_rustls::TlsAcceptor>, handler: Arc<Handler>) -> CannedServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().expect("local addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (handler, recorded, tls) = (handler.clone(), recorded.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        None => serve_connection(stream, handler, recorded).await,
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve_connection(stream, handler, recorded).await;
                            }
                        }
                    }
                });
            }
        });
        CannedServer {
            url,
            requests,
            task,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self, method: &str, path_contains: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path().contains(path_contains))
            .count()
    }
}

/// What the canned server needs of a connection.
trait Connection: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {
    /// Makes the coming close a TCP reset, where the transport allows it.
    fn reset_on_close(&self);
}

impl Connection for TcpStream {
    fn reset_on_close(&self) {
        let _ = self.set_zero_linger();
    }
}

impl Connection for tokio_rustls::server::TlsStream<TcpStream> {
    fn reset_on_close(&self) {
        let _ = self.get_ref().0.set_zero_linger();
    }
}

async fn serve_connection<S: Connection>(
    mut stream: S,
    handler: Arc<Handler>,
    recorded: Arc<Mutex<Vec<Recorded>>>,
) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    recorded.lock().unwrap().push(request.clone());
    match handler(&request) {
        Reply::Http {
            status,
            headers,
            body,
        } => {
            let mut head = format!("HTTP/1.1 {status} Canned\r\nConnection: close\r\n");
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::Reset => {
            stream.reset_on_close();
            drop(stream);
        }
        Reply::Hang => {
            std::future::pending::<()>().await;
        }
    }
}

async fn read_request<S: Connection>(stream: &mut S) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[header_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A counter handlers can share.
#[derive(Clone, Default)]
pub(crate) struct Counter(Arc<AtomicUsize>);

impl Counter {
    /// Returns the value before incrementing.
    pub fn next(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst)
    }
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A test certificate and its key in the encodings users hand us.
pub(crate) struct TestIdentity {
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    pub key_pkcs8_der: Vec<u8>,
    pub key_pem_pkcs8: String,
    /// Empty for non-RSA keys.
    pub key_pem_pkcs1: String,
}

impl TestIdentity {
    pub fn pkcs12(&self, password: &str) -> Vec<u8> {
        let key = p12_keystore::PrivateKey::from_der(&self.key_pkcs8_der).expect("pkcs8");
        let cert = p12_keystore::Certificate::from_der(&self.cert_der).expect("cert");
        let chain = p12_keystore::PrivateKeyChain::new(b"key-1".as_slice(), key, [cert]);
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "client",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
        store.writer(password).write().expect("write pkcs12")
    }
}

/// One RSA identity per test process (key generation is slow in debug builds).
pub(crate) fn rsa_identity() -> &'static TestIdentity {
    static ID: OnceLock<TestIdentity> = OnceLock::new();
    ID.get_or_init(new_rsa_identity)
}

pub(crate) fn new_rsa_identity() -> TestIdentity {
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .expect("generate RSA key");
    identity(key)
}

pub(crate) fn ec_identity() -> TestIdentity {
    identity(rcgen::KeyPair::generate().expect("generate EC key"))
}

fn identity(key: rcgen::KeyPair) -> TestIdentity {
    let params = rcgen::CertificateParams::new(vec!["msgraph-test".to_string()]).expect("params");
    let cert = params.self_signed(&key).expect("self-signed");
    let key_pkcs8_der = key.serialize_der();
    let key_pem_pkcs1 = pkcs1_from_pkcs8(&key_pkcs8_der)
        .filter(|_| key.algorithm() == &rcgen::PKCS_RSA_SHA256)
        .map(|der| pem("RSA PRIVATE KEY", &der))
        .unwrap_or_default();
    TestIdentity {
        cert_der: cert.der().to_vec(),
        cert_pem: cert.pem(),
        key_pem_pkcs8: key.serialize_pem(),
        key_pkcs8_der,
        key_pem_pkcs1,
    }
}

/// PEM-encodes `der` under `label`.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or(""));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The RSAPrivateKey inside a PKCS#8 PrivateKeyInfo (the third element, an OCTET STRING).
fn pkcs1_from_pkcs8(der: &[u8]) -> Option<Vec<u8>> {
    let (_, seq) = der_item(der)?;
    let (rest, _version) = der_item(seq).map(|(r, _)| (r, ()))?;
    let (rest, _alg) = der_item(rest)?;
    let (_, octets) = der_item(rest)?;
    Some(octets.to_vec())
}

/// Returns (remaining after the item, item content).
fn der_item(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let len_byte = *input.get(1)?;
    let (len, header) = if len_byte < 0x80 {
        (usize::from(len_byte), 2)
    } else {
        let n = usize::from(len_byte & 0x7f);
        let mut len = 0usize;
        for b in input.get(2..2 + n)? {
            len = (len << 8) | usize::from(*b);
        }
        (len, 2 + n)
    };
    let content = input.get(header..header + len)?;
    Some((&input[header + len..], content))
}

/// A file in its own temp dir, removed on drop.
pub(crate) struct TempFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl TempFile {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

pub(crate) fn write_temp(name: &str, contents: &[u8]) -> TempFile {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write temp file");
    TempFile { _dir: dir, path }
}

/// Every log line of the test process, for secret scans.
static CAPTURED: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct CapturingLogger;

impl log::Log for CapturingLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {} {}", record.level(), record.target(), record.args());
        if let Ok(mut lines) = CAPTURED.lock() {
            lines.push(line);
        }
    }
    fn flush(&self) {}
}

/// Installs the capturing logger at trace level (once per process); panics if another logger
/// was installed first, since scans would then see nothing.
pub(crate) fn capture_logs() {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    let ok = *INSTALLED.get_or_init(|| {
        let ok = log::set_logger(&CapturingLogger).is_ok();
        if ok {
            log::set_max_level(log::LevelFilter::Trace);
        }
        ok
    });
    assert!(
        ok,
        "another logger is installed; log scans would be vacuous"
    );
}

pub(crate) fn captured_logs() -> Vec<String> {
    CAPTURED.lock().map(|l| l.clone()).unwrap_or_default()
}

/// App Service managed identity with its token endpoint at `{server_url}/msi/token` and the
/// identity header `identity-header-value`.
pub(crate) fn app_service_auth(server_url: &str) -> crate::graph::AuthConfig {
    crate::graph::AuthConfig {
        use_msi: true,
        msi_endpoint: Some(format!("{server_url}/msi/token")),
        msi_identity_header: Some(crate::graph::Secret::new("identity-header-value")),
        ..crate::graph::AuthConfig::default()
    }
}
