//! Certificate files as OpenSSL writes them (fixtures/README.md): modern, legacy, Windows-style
//! and password-less PKCS#12, traditional RSA PEM keys, keys before certificates, CRLF.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use msgraph_sim::{Sim, TENANT_ID};
use terraform_provider_msgraph::graph::{AuthConfig, Secret};

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/acceptance/auth/fixtures")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Signs in with `auth` (plus the certificate app) against a simulator holding the fixture
/// certificate, and writes a policy.
async fn signs_in(what: &str, auth: AuthConfig) {
    let sim = Sim::start().await;
    sim.add_app_certificate(TENANT_ID, CERT_APP, &read("cert.pem"));
    let client = sim_client(&sim, app(TENANT_ID, CERT_APP, auth))
        .unwrap_or_else(|e| panic!("{what}: the certificate was not loaded: {e}"));
    put_and_get(&client, &sim, what).await;
    assert_eq!(issued_flows(&sim), ["client_certificate"], "{what}");
}

#[tokio::test]
async fn pkcs12_files_openssl_writes() {
    for (name, password) in [
        ("modern.pfx", Some("fixture-pw")),
        ("legacy.pfx", Some("fixture-pw")),
        ("des3.pfx", Some("fixture-pw")),
        ("nopass.pfx", None),
    ] {
        let password = password.map(Secret::new);
        signs_in(
            &format!("{name} by path"),
            AuthConfig {
                client_certificate_path: Some(fixture(name)),
                client_certificate_password: password.clone(),
                ..AuthConfig::default()
            },
        )
        .await;
        signs_in(
            &format!("{name} as base64"),
            AuthConfig {
                client_certificate: Some(Secret::new(STANDARD.encode(read(name)))),
                client_certificate_password: password,
                ..AuthConfig::default()
            },
        )
        .await;
    }
}

#[tokio::test]
async fn pem_bundles_in_the_shapes_users_have() {
    let cert = String::from_utf8(read("cert.pem")).unwrap();
    let pkcs8 = String::from_utf8(read("key.pem")).unwrap();
    let traditional = String::from_utf8(read("key-rsa.pem")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (what, contents) in [
        ("certificate then PKCS#8 key", format!("{cert}{pkcs8}")),
        ("PKCS#8 key then certificate", format!("{pkcs8}{cert}")),
        (
            "certificate then RSA PRIVATE KEY",
            format!("{cert}{traditional}"),
        ),
        (
            "CRLF line endings",
            format!("{cert}{pkcs8}").replace('\n', "\r\n"),
        ),
    ] {
        let path = write_temp(&dir, "client.pem", contents.as_bytes());
        signs_in(
            what,
            AuthConfig {
                client_certificate_path: Some(path),
                ..AuthConfig::default()
            },
        )
        .await;
    }
}
