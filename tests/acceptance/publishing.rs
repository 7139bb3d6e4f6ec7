//! Publishing: a real Terraform installs the provider from the mirror tree xtask writes, as a
//! filesystem mirror and as a network mirror served over HTTPS on loopback.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The mirror address these tests publish under (not the real registry address, on purpose).
const HOST: &str = "example.test";
const NAMESPACE: &str = "acme";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every Terraform the harness provides (1.11.4 and 1.0.3); it fails the test when one is missing.
fn terraform_binaries() -> Vec<PathBuf> {
    crate::harness::terraform::terraforms()
        .iter()
        .map(|tf| tf.path.clone())
        .collect()
}

/// Packs the freshly built provider into a mirror tree under `root`; returns the mirror's h1.
fn publish_provider(root: &Path) -> String {
    let binary = Path::new(env!("CARGO_BIN_EXE_terraform-provider-msgraph"));
    let os_arch = xtask::platform::host_os_arch().expect("host platform");
    let zip = xtask::package_zip(binary, VERSION, &os_arch).expect("package the provider");
    let dir = xtask::write_mirror(root, HOST, NAMESPACE, VERSION, &[(os_arch.clone(), zip)])
        .expect("write the mirror");
    let document: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{VERSION}.json"))).expect("version document"),
    )
    .expect("version document is JSON");
    let hashes = document["archives"][&os_arch]["hashes"]
        .as_array()
        .expect("hashes list");
    hashes
        .iter()
        .filter_map(|h| h.as_str())
        .find(|h| h.starts_with("h1:"))
        .expect("the mirror lists an h1 hash")
        .to_owned()
}

fn write_config(dir: &Path) {
    std::fs::create_dir_all(dir).expect("config dir");
    let config = format!(
        "terraform {{\n  required_providers {{\n    msgraph = {{\n      source  = \"{HOST}/{NAMESPACE}/msgraph\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n"
    );
    std::fs::write(dir.join("main.tf"), config).expect("main.tf");
}

fn terraform_init(
    terraform: &Path,
    dir: &Path,
    cli_config: &Path,
    extra_env: &[(&str, &Path)],
) -> Output {
    let mut command = Command::new(terraform);
    command
        .args(["init", "-input=false", "-no-color"])
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .env_remove("TF_CLI_ARGS")
        .env_remove("TF_CLI_ARGS_init");
    for (key, value) in extra_env {
        command.env(key, value);
    }
    command.output().expect("terraform init runs")
}

/// Asserts init succeeded, recorded the mirror's h1 in the lock file, and installed an
/// executable provider.
fn assert_installed(terraform: &Path, dir: &Path, output: &Output, mirror_h1: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} init failed\nstdout:\n{stdout}\nstderr:\n{stderr}",
        terraform.display()
    );
    let lock = std::fs::read_to_string(dir.join(".terraform.lock.hcl")).expect("lock file");
    assert!(
        lock.contains(&format!(
            "provider \"registry.terraform.io/{HOST}/{NAMESPACE}/msgraph\""
        )) || lock.contains(&format!("provider \"{HOST}/{NAMESPACE}/msgraph\"")),
        "lock file names no {HOST}/{NAMESPACE}/msgraph provider:\n{lock}"
    );
    assert!(
        lock.lines().any(|line| {
            let line = line.trim();
            line.starts_with("version ") && line.ends_with(&format!("\"{VERSION}\""))
        }),
        "lock file records another version:\n{lock}"
    );
    let recorded: Vec<&str> = lock
        .split('"')
        .filter(|token| token.starts_with("h1:"))
        .collect();
    assert_eq!(
        recorded,
        vec![mirror_h1],
        "the lock file's h1 differs from the mirror's\n{lock}"
    );
    let os_arch = xtask::platform::host_os_arch().expect("host platform");
    let installed = dir
        .join(".terraform/providers")
        .join(HOST)
        .join(NAMESPACE)
        .join("msgraph")
        .join(VERSION)
        .join(&os_arch)
        .join(format!("terraform-provider-msgraph_v{VERSION}"));
    let metadata = std::fs::metadata(&installed)
        .unwrap_or_else(|e| panic!("{} not installed: {e}", installed.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            metadata.permissions().mode() & 0o777,
            0o755,
            "installed provider is not mode 0755"
        );
    }
    #[cfg(not(unix))]
    let _ = metadata;
}

#[test]
fn terraform_init_installs_from_a_filesystem_mirror() {
    let work = tempfile::tempdir().expect("tempdir");
    let mirror = work.path().join("mirror");
    let mirror_h1 = publish_provider(&mirror);
    let cli_config = work.path().join("terraform.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{HOST}/*/*\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("cli config");
    for terraform in terraform_binaries() {
        let dir = work.path().join(format!("fs-{}", sanitize(&terraform)));
        write_config(&dir);
        let output = terraform_init(&terraform, &dir, &cli_config, &[]);
        assert_installed(&terraform, &dir, &output, &mirror_h1);
    }
}

#[test]
fn terraform_init_installs_from_an_https_network_mirror() {
    let work = tempfile::tempdir().expect("tempdir");
    let mirror = work.path().join("mirror");
    let mirror_h1 = publish_provider(&mirror);
    let server = HttpsFileServer::start(&mirror);
    let cert = work.path().join("cert.pem");
    std::fs::write(&cert, &server.cert_pem).expect("cert.pem");
    let cli_config = work.path().join("terraform.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  network_mirror {{\n    url = \"https://127.0.0.1:{}/\"\n  }}\n}}\n",
            server.port
        ),
    )
    .expect("cli config");
    for terraform in terraform_binaries() {
        let dir = work.path().join(format!("net-{}", sanitize(&terraform)));
        write_config(&dir);
        let output = terraform_init(&terraform, &dir, &cli_config, &[("SSL_CERT_FILE", &cert)]);
        assert_installed(&terraform, &dir, &output, &mirror_h1);
    }
    let requested = server.requested_paths();
    let base = format!("/{HOST}/{NAMESPACE}/msgraph");
    for expected in [
        format!("{base}/index.json"),
        format!("{base}/{VERSION}.json"),
    ] {
        assert!(
            requested.contains(&expected),
            "Terraform never fetched {expected}; it fetched {requested:?}"
        );
    }
    assert!(
        requested.iter().any(|p| p.ends_with(".zip")),
        "Terraform never downloaded the zip; it fetched {requested:?}"
    );
}

fn sanitize(path: &Path) -> String {
    path.to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A static file server over HTTPS on 127.0.0.1 with a fresh self-signed certificate, enough
/// for Terraform's network mirror client (GET, HTTP/1.1, one request per connection).
struct HttpsFileServer {
    port: u16,
    cert_pem: String,
    requested: Arc<Mutex<Vec<String>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HttpsFileServer {
    fn start(root: &Path) -> HttpsFileServer {
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

    fn requested_paths(&self) -> Vec<String> {
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

#[test]
fn mirror_documents_have_the_network_mirror_shape() {
    let work = tempfile::tempdir().expect("tempdir");
    let h1 = publish_provider(work.path());
    let dir = work.path().join(HOST).join(NAMESPACE).join("msgraph");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index"))
            .expect("json");
    let mut versions = BTreeMap::new();
    versions.insert(VERSION.to_owned(), serde_json::json!({}));
    assert_eq!(index, serde_json::json!({ "versions": versions }));
    let os_arch = xtask::platform::host_os_arch().expect("host platform");
    let zip_name = format!("terraform-provider-msgraph_{VERSION}_{os_arch}.zip");
    let zip = std::fs::read(dir.join(&zip_name)).expect("zip in mirror");
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{VERSION}.json"))).expect("doc"))
            .expect("json");
    assert_eq!(
        document,
        serde_json::json!({"archives": {os_arch: {"url": zip_name, "hashes": [h1, xtask::zh_hash(&zip)]}}})
    );
}
