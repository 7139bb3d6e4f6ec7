//! A Rust client that starts the provider and speaks to it exactly as Terraform does:
//! handshake, AutoMTLS with a P-521 client cert (or a forged one), gRPC calls, Shutdown.

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

pub(super) const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
pub(super) const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-msgraph");
/// Generous sanity bound for anything that should take milliseconds.
pub(super) const PATIENCE: Duration = Duration::from_secs(20);

/// A client certificate like Terraform's: self-signed ECDSA P-521, CA-flagged, SAN localhost.
pub(super) struct ClientCert {
    pub(super) der: CertificateDer<'static>,
    pub(super) pem: String,
    pub(super) key: PrivatePkcs8KeyDer<'static>,
}

pub(super) fn client_cert() -> ClientCert {
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
pub(super) struct Plugin {
    pub(super) child: Child,
    pub(super) network: String,
    pub(super) address: String,
    pub(super) server_cert: Option<Vec<u8>>,
    /// What stdout carried after the handshake line, once it ended.
    pub(super) stdout_rest: std::sync::mpsc::Receiver<String>,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn base_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BINARY);
    cmd.args(args);
    scrubbed(cmd)
}

/// `cmd` without Terraform's launch variables or logging from our own environment.
pub(super) fn scrubbed(mut cmd: Command) -> Command {
    cmd.env_remove("TF_PLUGIN_MAGIC_COOKIE")
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
pub(super) fn start(client_cert_pem: Option<&str>, args: &[&str]) -> Plugin {
    start_command(base_command(args), client_cert_pem)
}

/// Starts `cmd` (the provider, perhaps through a wrapper) with Terraform's launch environment.
pub(super) fn start_command(mut cmd: Command, client_cert_pem: Option<&str>) -> Plugin {
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
    let (rest_tx, stdout_rest) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
        let _ = rest_tx.send(rest);
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
        stdout_rest,
    }
}

/// A byte stream to the plugin's address (unix or tcp).
pub(super) async fn dial(network: &str, address: &str) -> std::io::Result<Box<dyn Io>> {
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

pub(super) trait Io:
    tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static
{
}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Io for T {}

/// The TLS client Terraform's go-plugin builds: trusts only the handshake's server cert,
/// ServerName localhost, ALPN h2, and (optionally) presents a client certificate.
pub(super) fn tls_connector(server_cert: &[u8], client: Option<&ClientCert>) -> TlsConnector {
    tls_connector_for(rustls::DEFAULT_VERSIONS, server_cert, client)
}

/// The same client, speaking only the TLS `versions` given (e.g. 1.2 alone).
pub(super) fn tls_connector_for(
    versions: &[&'static rustls::SupportedProtocolVersion],
    server_cert: &[u8],
    client: Option<&ClientCert>,
) -> TlsConnector {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(server_cert.to_vec()))
        .expect("server cert as trust anchor");
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
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
pub(super) struct StolenCertWrongKey(Arc<rustls::sign::CertifiedKey>);

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

pub(super) fn stolen_cert_connector(server_cert: &[u8], stolen: &ClientCert) -> TlsConnector {
    stolen_cert_connector_for(rustls::DEFAULT_VERSIONS, server_cert, stolen)
}

pub(super) fn stolen_cert_connector_for(
    versions: &[&'static rustls::SupportedProtocolVersion],
    server_cert: &[u8],
    stolen: &ClientCert,
) -> TlsConnector {
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
        .with_protocol_versions(versions)
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(StolenCertWrongKey(Arc::new(certified))));
    config.alpn_protocols = vec![b"h2".to_vec()];
    TlsConnector::from(Arc::new(config))
}

/// A gRPC channel to the plugin; TLS when the handshake carried a certificate.
pub(super) async fn channel(
    plugin: &Plugin,
    client: Option<&ClientCert>,
) -> Result<Channel, tonic::transport::Error> {
    let tls = plugin
        .server_cert
        .as_deref()
        .map(|cert| tls_connector(cert, client));
    channel_with(plugin, tls).await
}

pub(super) async fn channel_with(
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

pub(super) fn provider_client(ch: Channel) -> pb::provider_client::ProviderClient<Channel> {
    pb::provider_client::ProviderClient::new(ch)
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX)
}

pub(super) async fn get_schema(
    ch: Channel,
) -> Result<pb::get_provider_schema::Response, tonic::Status> {
    let mut client = provider_client(ch);
    let call = client.get_provider_schema(pb::get_provider_schema::Request {});
    match tokio::time::timeout(PATIENCE, call).await {
        Ok(result) => result.map(tonic::Response::into_inner),
        Err(_) => Err(tonic::Status::deadline_exceeded("no answer")),
    }
}

/// Calls Shutdown and checks the process then exits by itself, successfully.
pub(super) async fn shutdown_and_wait(plugin: &mut Plugin, ch: Channel) {
    let mut controller = goplugin::grpc_controller_client::GrpcControllerClient::new(ch);
    // The process exits once the reply is written, never before: the reply arrives.
    let replied = tokio::time::timeout(PATIENCE, controller.shutdown(goplugin::Empty {})).await;
    assert!(
        matches!(replied, Ok(Ok(_))),
        "no reply to Shutdown: {replied:?}"
    );
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

pub(super) fn assert_schema_answer(resp: &pb::get_provider_schema::Response) {
    let caps = resp
        .server_capabilities
        .as_ref()
        .expect("server capabilities");
    assert!(caps.plan_destroy);
    assert!(!caps.get_provider_schema_optional);
    assert!(resp.provider.is_some(), "provider schema present");
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
}

/// Connects (TLS with `client` when the handshake carried a certificate), checks the schema
/// answer, then Shutdown ends the process.
pub(super) async fn serves_schema_then_shuts_down(
    plugin: &mut Plugin,
    client: Option<&ClientCert>,
) {
    let ch = channel(plugin, client)
        .await
        .expect("connection to the provider");
    assert_schema_answer(
        &get_schema(ch.clone())
            .await
            .expect("GetProviderSchema answered"),
    );
    shutdown_and_wait(plugin, ch).await;
}

/// True when a client using `tls` gets no answer (the handshake or the call fails).
pub(super) async fn refused(plugin: &Plugin, tls: TlsConnector) -> bool {
    match channel_with(plugin, Some(tls)).await {
        Ok(ch) => get_schema(ch).await.is_err(),
        Err(_) => true,
    }
}
