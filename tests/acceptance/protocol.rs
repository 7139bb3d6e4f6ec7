//! The plugin protocol as Terraform speaks it: the handshake, AutoMTLS with a P-521 client cert
//! (and refusal of anyone else), plaintext mode, Shutdown, and a real `terraform` using the
//! provider through dev_overrides.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use hyper_util::rt::TokioIo;
use rcgen::{CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use terraform_provider_msgraph::plugin::proto::plugin as goplugin;
use terraform_provider_msgraph::plugin::proto::tfplugin6 as pb;
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint, Uri};

const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-msgraph");
/// Generous sanity bound for anything that should take milliseconds.
const PATIENCE: Duration = Duration::from_secs(20);

/// A client certificate like Terraform's: self-signed ECDSA P-521, CA-flagged, SAN localhost.
struct ClientCert {
    der: CertificateDer<'static>,
    pem: String,
    key: PrivatePkcs8KeyDer<'static>,
}

fn client_cert() -> ClientCert {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "HashiCorp");
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).expect("self-signed cert");
    ClientCert {
        der: cert.der().clone(),
        pem: cert.pem(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

/// A started provider process and what its handshake line said.
struct Plugin {
    child: Child,
    network: String,
    address: String,
    server_cert: Option<Vec<u8>>,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn base_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BINARY);
    cmd.args(args)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .env_remove("TF_DISABLE_PLUGIN_TLS")
        .env_remove("PLUGIN_CLIENT_CERT")
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Starts the provider as Terraform does and reads its handshake line.
fn start(client_cert_pem: Option<&str>, args: &[&str]) -> Plugin {
    let mut cmd = base_command(args);
    cmd.env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000");
    match client_cert_pem {
        Some(pem) => cmd.env("PLUGIN_CLIENT_CERT", pem),
        None => cmd.env("TF_DISABLE_PLUGIN_TLS", "1"),
    };
    let mut child = cmd.spawn().expect("start the provider binary");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(PATIENCE).expect("a handshake line");
    let fields: Vec<&str> = line.trim_end_matches('\n').split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?}");
    assert_eq!(
        (fields[0], fields[1], fields[4]),
        ("1", "6", "grpc"),
        "handshake line {line:?}"
    );
    let server_cert = (!fields[5].is_empty()).then(|| {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(fields[5])
            .expect("unpadded base64 certificate")
    });
    Plugin {
        child,
        network: fields[2].to_string(),
        address: fields[3].to_string(),
        server_cert,
    }
}

/// A byte stream to the plugin's address (unix or tcp).
async fn dial(network: &str, address: &str) -> std::io::Result<Box<dyn Io>> {
    Ok(match network {
        "unix" => Box::new(tokio::net::UnixStream::connect(address).await?),
        "tcp" => {
            let s = tokio::net::TcpStream::connect(address).await?;
            s.set_nodelay(true)?;
            Box::new(s)
        }
        other => panic!("unexpected network {other}"),
    })
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Io for T {}

/// The TLS client Terraform's go-plugin builds: trusts only the handshake's server cert,
/// ServerName localhost, ALPN h2, and (optionally) presents a client certificate.
fn tls_connector(server_cert: &[u8], client: Option<&ClientCert>) -> TlsConnector {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(server_cert.to_vec()))
        .expect("server cert as trust anchor");
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots);
    let mut config = match client {
        Some(c) => builder
            .with_client_auth_cert(vec![c.der.clone()], PrivateKeyDer::Pkcs8(c.key.clone_key()))
            .expect("client cert"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    TlsConnector::from(Arc::new(config))
}

/// Presents Terraform's (public) certificate but signs with a different key: what an attacker
/// who copied PLUGIN_CLIENT_CERT from the environment could do.
#[derive(Debug)]
struct StolenCertWrongKey(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for StolenCertWrongKey {
    fn resolve(
        &self,
        _hints: &[&[u8]],
        _schemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

fn stolen_cert_connector(server_cert: &[u8], stolen: &ClientCert) -> TlsConnector {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let other_key = client_cert().key;
    let signer = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(other_key))
        .expect("signing key");
    let certified = rustls::sign::CertifiedKey::new(vec![stolen.der.clone()], signer);
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(server_cert.to_vec()))
        .expect("trust anchor");
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(StolenCertWrongKey(Arc::new(certified))));
    config.alpn_protocols = vec![b"h2".to_vec()];
    TlsConnector::from(Arc::new(config))
}

/// A gRPC channel to the plugin; TLS when the handshake carried a certificate.
async fn channel(
    plugin: &Plugin,
    client: Option<&ClientCert>,
) -> Result<Channel, tonic::transport::Error> {
    let tls = plugin
        .server_cert
        .as_deref()
        .map(|cert| tls_connector(cert, client));
    channel_with(plugin, tls).await
}

async fn channel_with(
    plugin: &Plugin,
    tls: Option<TlsConnector>,
) -> Result<Channel, tonic::transport::Error> {
    let network = plugin.network.clone();
    let address = plugin.address.clone();
    Endpoint::from_static("http://localhost")
        .connect_timeout(PATIENCE)
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let (network, address, tls) = (network.clone(), address.clone(), tls.clone());
            async move {
                let stream = dial(&network, &address).await?;
                let io: Box<dyn Io> = match tls {
                    Some(tls) => {
                        let name = ServerName::try_from("localhost").expect("server name");
                        Box::new(tls.connect(name, stream).await?)
                    }
                    None => stream,
                };
                Ok::<_, std::io::Error>(TokioIo::new(io))
            }
        }))
        .await
}

fn provider_client(ch: Channel) -> pb::provider_client::ProviderClient<Channel> {
    pb::provider_client::ProviderClient::new(ch)
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX)
}

async fn get_schema(ch: Channel) -> Result<pb::get_provider_schema::Response, tonic::Status> {
    let mut client = provider_client(ch);
    let call = client.get_provider_schema(pb::get_provider_schema::Request {});
    match tokio::time::timeout(PATIENCE, call).await {
        Ok(result) => result.map(tonic::Response::into_inner),
        Err(_) => Err(tonic::Status::deadline_exceeded("no answer")),
    }
}

/// Calls Shutdown and checks the process then exits by itself, successfully.
async fn shutdown_and_wait(plugin: &mut Plugin, ch: Channel) {
    let mut controller = goplugin::grpc_controller_client::GrpcControllerClient::new(ch);
    // The process may exit before the reply is fully read: either outcome is fine.
    let _ = tokio::time::timeout(PATIENCE, controller.shutdown(goplugin::Empty {})).await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = plugin.child.try_wait().expect("wait for provider") {
            assert!(status.success(), "provider exited with {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "provider still running after Shutdown"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if plugin.network == "unix" {
        assert!(
            !Path::new(&plugin.address).exists(),
            "socket left behind: {}",
            plugin.address
        );
    }
}

fn assert_schema_answer(resp: &pb::get_provider_schema::Response) {
    let caps = resp
        .server_capabilities
        .as_ref()
        .expect("server capabilities");
    assert!(caps.plan_destroy);
    assert!(!caps.get_provider_schema_optional);
    assert!(resp.provider.is_some(), "provider schema present");
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
}

#[tokio::test]
async fn terraform_style_mtls_client_gets_answers_and_shutdown_ends_the_process() {
    let cert = client_cert();
    let mut plugin = start(Some(&cert.pem), &[]);
    assert_eq!(plugin.network, "unix");
    assert!(
        plugin.server_cert.is_some(),
        "AutoMTLS must send a server certificate"
    );
    let ch = channel(&plugin, Some(&cert))
        .await
        .expect("TLS connection with Terraform's cert");
    let schema = get_schema(ch.clone())
        .await
        .expect("GetProviderSchema answered");
    assert_schema_answer(&schema);

    // StopProvider cancels in-flight work but the server keeps answering.
    let mut client = provider_client(ch.clone());
    let stop = client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider");
    assert_eq!(stop.into_inner().error, "");
    let meta = client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata")
        .into_inner();
    assert!(meta.server_capabilities.expect("capabilities").plan_destroy);
    let identity = client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .expect("GetResourceIdentitySchemas")
        .into_inner();
    assert!(identity.identity_schemas.is_empty() && identity.diagnostics.is_empty());
    let functions = client
        .get_functions(pb::get_functions::Request {})
        .await
        .expect("GetFunctions")
        .into_inner();
    assert!(functions.functions.is_empty());
    // An unknown resource type is an error diagnostic, not a gRPC failure.
    let validate = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "msgraph_nope".into(),
            config: Some(pb::DynamicValue {
                msgpack: vec![0xc0],
                json: vec![],
            }),
            client_capabilities: None,
        })
        .await
        .expect("ValidateResourceConfig answered")
        .into_inner();
    assert_eq!(validate.diagnostics.len(), 1);
    assert_eq!(
        validate.diagnostics[0].severity,
        pb::diagnostic::Severity::Error as i32
    );

    shutdown_and_wait(&mut plugin, ch).await;
}

#[tokio::test]
async fn clients_without_terraforms_certificate_are_refused() {
    let cert = client_cert();
    let plugin = start(Some(&cert.pem), &["--tcp"]);
    assert_eq!(plugin.network, "tcp");
    let port: u16 = plugin
        .address
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    assert!(
        plugin.address.starts_with("127.0.0.1:") && (10000..=25000).contains(&port),
        "{}",
        plugin.address
    );

    // No client certificate at all: no RPC is answered.
    let refused = match channel(&plugin, None).await {
        Ok(ch) => get_schema(ch).await.is_err(),
        Err(_) => true,
    };
    assert!(refused, "a client without a certificate got an answer");

    // Another P-521 certificate (same shape as Terraform's, different key): refused.
    let impostor = client_cert();
    let refused = match channel(&plugin, Some(&impostor)).await {
        Ok(ch) => get_schema(ch).await.is_err(),
        Err(_) => true,
    };
    assert!(refused, "a client with another certificate got an answer");

    // Terraform's certificate without Terraform's key: the handshake signature does not verify.
    let server_cert = plugin.server_cert.clone().expect("server cert");
    let refused =
        match channel_with(&plugin, Some(stolen_cert_connector(&server_cert, &cert))).await {
            Ok(ch) => get_schema(ch).await.is_err(),
            Err(_) => true,
        };
    assert!(
        refused,
        "a client with Terraform's certificate but another key got an answer"
    );

    // Terraform itself still gets through afterwards.
    let ch = channel(&plugin, Some(&cert))
        .await
        .expect("connect with Terraform's cert");
    assert_schema_answer(&get_schema(ch).await.expect("GetProviderSchema answered"));
}

#[test]
fn running_by_hand_prints_one_sentence_and_exits_1() {
    let out = base_command(&[]).output().expect("run the binary");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "stdout must stay empty: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "one line on stderr: {stderr:?}"
    );
    assert!(stderr.contains("Terraform"), "{stderr:?}");
}

#[test]
fn protocol_5_only_is_refused_clearly() {
    let out = base_command(&[])
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .output()
        .expect("run the binary");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}

#[tokio::test]
async fn tls_can_be_disabled() {
    let mut plugin = start(None, &[]);
    assert_eq!(
        plugin.server_cert, None,
        "plaintext mode sends an empty cert field"
    );
    let ch = channel(&plugin, None).await.expect("plaintext connection");
    assert_schema_answer(
        &get_schema(ch.clone())
            .await
            .expect("GetProviderSchema answered"),
    );
    shutdown_and_wait(&mut plugin, ch).await;
}

#[test]
fn schema_json_flag_prints_terraforms_shape() {
    let out = base_command(&["--schema-json"])
        .output()
        .expect("run the binary");
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["format_version"], "1.0");
    assert!(
        json["provider_schemas"]["registry.terraform.io/entra/msgraph"]["provider"].is_object()
    );
}

// ---- with a real Terraform ----

/// A working directory with a dev_overrides CLI config pointing at the built provider.
fn terraform_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let bin_dir = Path::new(BINARY).parent().expect("binary dir");
    std::fs::write(
        dir.path().join("cli.tfrc"),
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/entra/msgraph\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            bin_dir.display()
        ),
    )
    .expect("write CLI config");
    std::fs::write(
        dir.path().join("main.tf"),
        "terraform {\n  required_providers {\n    msgraph = { source = \"entra/msgraph\" }\n  }\n}\n",
    )
    .expect("write main.tf");
    dir
}

fn run_terraform(terraform: &Path, dir: &Path, args: &[&str]) -> (String, String) {
    let mut child = Command::new(terraform)
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", dir.join("cli.tfrc"))
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start terraform");
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = child.wait().expect("wait for terraform");
    assert!(
        status.success(),
        "terraform {args:?} failed: {status}\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

#[test]
fn terraform_reads_the_schema_and_validates() {
    // Our own --schema-json output: Terraform must see the same schemas (format_version differs
    // across Terraform releases: 0.2 on 1.0, 1.0 later).
    let own = base_command(&["--schema-json"])
        .output()
        .expect("run the binary");
    let own: serde_json::Value = serde_json::from_slice(&own.stdout).expect("own schema JSON");
    for tf in crate::harness::terraform::terraforms() {
        let dir = terraform_dir();
        let (stdout, _) = run_terraform(&tf.path, dir.path(), &["providers", "schema", "-json"]);
        let json: serde_json::Value = serde_json::from_str(&stdout).expect("schema JSON");
        let ours = &json["provider_schemas"]["registry.terraform.io/entra/msgraph"];
        assert!(
            ours["provider"].is_object(),
            "Terraform {}: {stdout}",
            tf.version
        );
        assert_eq!(
            json["provider_schemas"], own["provider_schemas"],
            "Terraform {}",
            tf.version
        );

        let (stdout, _) = run_terraform(&tf.path, dir.path(), &["validate", "-no-color"]);
        assert!(
            stdout.contains("The configuration is valid"),
            "Terraform {}: {stdout}",
            tf.version
        );
    }
}

#[tokio::test]
async fn debug_mode_prints_reattach_and_serves_until_interrupted() {
    let mut child = base_command(&["--debug"])
        .spawn()
        .expect("start in debug mode");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(value) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
                let _ = tx.send(value.trim_end_matches('\'').to_string());
                return;
            }
        }
    });
    let value = rx
        .recv_timeout(PATIENCE)
        .expect("a TF_REATTACH_PROVIDERS line");
    let json: serde_json::Value = serde_json::from_str(&value).expect("reattach JSON");
    let ours = &json["registry.terraform.io/entra/msgraph"];
    assert_eq!(ours["Protocol"], "grpc");
    assert_eq!(ours["ProtocolVersion"], 6);
    assert_eq!(
        ours["Test"], true,
        "Terraform 1.0 needs Test=true for protocol 6"
    );
    assert_eq!(ours["Pid"], child.id());
    assert_eq!(ours["Addr"]["Network"], "unix");
    let mut plugin = Plugin {
        child,
        network: "unix".into(),
        address: ours["Addr"]["String"]
            .as_str()
            .expect("socket path")
            .to_string(),
        server_cert: None,
    };
    let ch = channel(&plugin, None).await.expect("plaintext connection");
    assert_schema_answer(&get_schema(ch).await.expect("GetProviderSchema answered"));

    // Real Terraform attaches to the running provider (no installation, no init), 1.0.3 too.
    for tf in crate::harness::terraform::terraforms() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("main.tf"), REATTACH_CONFIG).expect("write main.tf");
        let output = Command::new(&tf.path)
            .args(["validate", "-no-color"])
            .current_dir(dir.path())
            .env("TF_REATTACH_PROVIDERS", &value)
            .env("TF_CLI_CONFIG_FILE", dir.path().join("none.tfrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .output()
            .expect("run terraform validate");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("The configuration is valid"),
            "Terraform {} with TF_REATTACH_PROVIDERS: {stdout}{}",
            tf.version,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(
        plugin.child.try_wait().expect("wait").is_none(),
        "a debug provider keeps serving after Terraform is done with it"
    );

    let status = Command::new("kill")
        .args(["-INT", &plugin.child.id().to_string()])
        .status()
        .expect("send SIGINT");
    assert!(status.success());
    let deadline = Instant::now() + PATIENCE;
    while plugin.child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "debug provider ignored Ctrl-C");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!Path::new(&plugin.address).exists(), "socket left behind");
}

/// A configuration using the resource, for Terraform attached to a `--debug` provider.
const REATTACH_CONFIG: &str = r#"terraform {
  required_providers {
    msgraph = { source = "entra/msgraph" }
  }
}

resource "msgraph_cross_tenant_identity_sync" "x" {
  tenant_id = "90e29127-71ad-49c7-9ce8-db3f41ea06f1"
  user_sync_inbound {
    is_sync_allowed = true
  }
}
"#;
