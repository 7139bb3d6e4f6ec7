//! Every credential flow and every cloud against the simulator. Shared helpers here;
//! the tests are split by theme (client-level flows, certificate files as tools write them,
//! clouds, the provider's credential choice, Terraform end to end).

mod clouds;
mod flows;
mod network;
mod parity;
mod resolution;
mod terraform;
mod tool_files;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use msgraph_sim::{RecordedRequest, SimServer};
use terraform_provider_msgraph::graph::{
    AuthConfig, ClientConfig, Cloud, GraphClient, GraphError, IdentitySyncPolicy, Tuning,
    UserSyncInbound,
};
use tokio::time::Instant;

/// The partner tenant every client-level test writes a policy for.
const PARTNER: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";

/// An app registered with a certificate only (no secret), so a successful sign-in proves the
/// assertion was used.
const CERT_APP: &str = "c0ffee00-1a2b-4c3d-8e4f-5a6b7c8d9e0f";

/// A certificate with its private key, in the encodings users hand the provider.
pub struct TestIdentity {
    pub cert_der: Vec<u8>,
    /// The certificate followed by its PKCS#8 key, as one PEM file holds them.
    pub pem_bundle: String,
    key_pkcs8_der: Vec<u8>,
}

impl TestIdentity {
    /// A PKCS#12 archive of the key and certificate, protected by `password`.
    pub fn pkcs12(&self, password: &str) -> Vec<u8> {
        let key = p12_keystore::PrivateKey::from_der(&self.key_pkcs8_der).expect("pkcs8 key");
        let cert = p12_keystore::Certificate::from_der(&self.cert_der).expect("certificate");
        let chain = p12_keystore::PrivateKeyChain::new(b"key-1".as_slice(), key, [cert]);
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "client",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
        store.writer(password).write().expect("write PKCS#12")
    }
}

fn identity(key: rcgen::KeyPair) -> TestIdentity {
    let params =
        rcgen::CertificateParams::new(vec!["msgraph-acceptance".to_string()]).expect("params");
    let cert = params.self_signed(&key).expect("self-signed certificate");
    TestIdentity {
        cert_der: cert.der().to_vec(),
        pem_bundle: format!("{}{}", cert.pem(), key.serialize_pem()),
        key_pkcs8_der: key.serialize_der(),
    }
}

/// One RSA identity per test process (RSA key generation is slow in debug builds).
pub fn rsa_identity() -> &'static TestIdentity {
    static ID: OnceLock<TestIdentity> = OnceLock::new();
    ID.get_or_init(|| {
        identity(
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .expect("generate an RSA key"),
        )
    })
}

/// An ECDSA P-256 identity (Entra refuses these).
pub fn ec_identity() -> TestIdentity {
    identity(rcgen::KeyPair::generate().expect("generate an EC key"))
}

/// A file in a temp dir that lives as long as the returned guard.
pub fn write_temp(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// `{"tenant_id", "client_id"}` of an app plus whatever credential `auth` carries.
pub fn app(tenant_id: &str, client_id: &str, auth: AuthConfig) -> AuthConfig {
    AuthConfig {
        tenant_id: Some(tenant_id.into()),
        client_id: Some(client_id.into()),
        ..auth
    }
}

/// The simulator's default app signing in with `secret` as its client secret.
pub fn secret_app(secret: &str) -> AuthConfig {
    app(
        msgraph_sim::TENANT_ID,
        msgraph_sim::CLIENT_ID,
        AuthConfig {
            client_secret: Some(terraform_provider_msgraph::graph::Secret::new(secret)),
            ..AuthConfig::default()
        },
    )
}

/// Fast retry pacing: the simulator answers at once.
pub fn quick_tuning() -> Tuning {
    Tuning {
        retry_base_delay: Duration::from_millis(5),
        retry_max_delay: Duration::from_millis(20),
        ..Tuning::default()
    }
}

/// A client whose Graph and login roots are both the simulator.
pub fn sim_client(sim: &SimServer, auth: AuthConfig) -> Result<GraphClient, GraphError> {
    client_for(
        Cloud {
            graph_endpoint: sim.url.clone(),
            authority_host: sim.url.clone(),
        },
        auth,
    )
}

pub fn client_for(cloud: Cloud, auth: AuthConfig) -> Result<GraphClient, GraphError> {
    terraform_provider_msgraph::plugin::install_crypto_provider();
    GraphClient::new(ClientConfig {
        tuning: quick_tuning(),
        ..ClientConfig::new(cloud, auth, "msgraph-acceptance")
    })
}

pub fn soon() -> Instant {
    Instant::now() + Duration::from_secs(30)
}

/// PUTs a policy for [`PARTNER`] and reads it back; panics (naming `what`) when either fails.
pub async fn put_and_get(client: &GraphClient, sim: &SimServer, what: &str) {
    sim.add_partner(PARTNER);
    let policy = IdentitySyncPolicy {
        tenant_id: PARTNER.into(),
        display_name: Some(format!("signed in with {what}")),
        user_sync_inbound: UserSyncInbound {
            is_sync_allowed: true,
        },
    };
    if let Err(e) = client.put_identity_sync(&policy, soon()).await {
        panic!("{what}: PUT failed: {e}\n{}", redacted_log(&sim.requests()));
    }
    match client.get_identity_sync(PARTNER, soon()).await {
        Ok(Some(read)) => assert_eq!(read, policy, "{what}: GET returns what PUT wrote"),
        other => panic!(
            "{what}: GET after PUT gave {other:?}\n{}",
            redacted_log(&sim.requests())
        ),
    }
}

/// Token endpoint requests, in order.
pub fn token_requests(sim: &SimServer) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .collect()
}

/// A form field of a recorded token request.
pub fn form_field(r: &RecordedRequest, name: &str) -> Option<String> {
    reqwest::Url::parse(&format!("http://x/?{}", r.body))
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A query parameter of a recorded request.
pub fn query_param(r: &RecordedRequest, name: &str) -> Option<String> {
    reqwest::Url::parse(&format!("http://x/?{}", r.query))
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub fn header<'a>(r: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The flows of every token the simulator issued, in order.
pub fn issued_flows(sim: &SimServer) -> Vec<String> {
    sim.issued_tokens().into_iter().map(|t| t.flow).collect()
}

/// The request log for failure messages, token request bodies (secrets) left out.
fn redacted_log(requests: &[RecordedRequest]) -> String {
    requests
        .iter()
        .map(|r| {
            let body = if r.path.contains("/oauth2/") {
                "[token request body not shown]"
            } else {
                r.body.as_str()
            };
            format!(
                "{} {}?{} -> {} {body}\n",
                r.method, r.path, r.query, r.status
            )
        })
        .collect()
}

/// A stand-in `az` executable: a shell script running `body`, in `dir`.
pub fn az_script(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("az");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write az script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod az");
    path
}
