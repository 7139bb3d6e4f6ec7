//! The token endpoint over real HTTP: client secret, certificate assertions (RS256, PS256,
//! refused ES256 and bad signatures), federated assertions, Entra's error shape.

mod common;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use common::*;
use msgraph_sim::{Sim, SimServer, CLIENT_ID, TENANT_ID};
use serde_json::{json, Value};

const SCOPE: &str = "https://graph.microsoft.com/.default";
const CERT_CLIENT: &str = "c0ffee00-1111-4222-8333-444455556666";

fn secret_form<'a>(client_id: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    secret_form_with_scope(client_id, secret, SCOPE)
}

fn secret_form_with_scope<'a>(
    client_id: &'a str,
    secret: &'a str,
    scope: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("scope", scope),
    ]
}

/// Asserts Entra's error shape carrying `AADSTS{code}`.
fn assert_entra_error(resp: &HttpResponse, status: u16, error: &str, code: u64) {
    assert_eq!(resp.status, status, "{}", resp.body);
    let body = resp.json();
    assert_eq!(body["error"], error, "{}", resp.body);
    assert_eq!(body["error_codes"], json!([code]), "{}", resp.body);
    let description = body["error_description"]
        .as_str()
        .expect("error_description");
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    for field in ["timestamp", "trace_id", "correlation_id"] {
        assert!(body[field].is_string(), "{field} missing: {}", resp.body);
    }
}

#[tokio::test]
async fn client_secret_ok_and_token_works_on_graph() {
    let server = Sim::start().await;
    let resp = token_request(
        &server,
        TENANT_ID,
        &secret_form(CLIENT_ID, msgraph_sim::CLIENT_SECRET),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let body = resp.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    let access = body["access_token"].as_str().expect("token");
    let info = server.token_info(access).expect("issued by the sim");
    assert_eq!(info.scope, SCOPE);
    assert_eq!(info.flow, "client_secret");
    assert_eq!(info.client_id, CLIENT_ID);
    assert_eq!(info.access_token, access);
    server.add_partner(PARTNER);
    assert_eq!(
        graph(&server, access, "GET", SYNC_PATH, None).await.status,
        404
    );

    // Any cloud's /.default scope is accepted, and recorded.
    let gov = token_request(
        &server,
        &TENANT_ID.to_ascii_uppercase(),
        &secret_form_with_scope(
            CLIENT_ID,
            msgraph_sim::CLIENT_SECRET,
            "https://graph.microsoft.us/.default",
        ),
    )
    .await;
    assert_eq!(gov.status, 200, "{}", gov.body);
    assert_eq!(
        server.issued_tokens()[1].scope,
        "https://graph.microsoft.us/.default"
    );
    assert_eq!(server.tokens_issued(), 2);
}

#[tokio::test]
async fn credential_errors_look_like_entra() {
    let server = Sim::start().await;
    let wrong = token_request(&server, TENANT_ID, &secret_form(CLIENT_ID, "nope")).await;
    assert_entra_error(&wrong, 401, "invalid_client", 7000215);
    let unknown_app = token_request(
        &server,
        TENANT_ID,
        &secret_form("00000000-0000-0000-0000-000000000009", "x"),
    )
    .await;
    assert_entra_error(&unknown_app, 400, "unauthorized_client", 700016);
    let unknown_tenant = token_request(
        &server,
        "00000000-0000-0000-0000-00000000000a",
        &secret_form(CLIENT_ID, msgraph_sim::CLIENT_SECRET),
    )
    .await;
    assert_entra_error(&unknown_tenant, 400, "invalid_request", 90002);
    let no_credential = token_request(
        &server,
        TENANT_ID,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("scope", SCOPE),
        ],
    )
    .await;
    assert_entra_error(&no_credential, 401, "invalid_client", 7000218);
    let bad_scope = token_request(
        &server,
        TENANT_ID,
        &secret_form_with_scope(
            CLIENT_ID,
            msgraph_sim::CLIENT_SECRET,
            "https://graph.microsoft.com/Policy.Read.All",
        ),
    )
    .await;
    assert_entra_error(&bad_scope, 400, "invalid_scope", 1002012);
    let no_scope = token_request(
        &server,
        TENANT_ID,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", "x"),
        ],
    )
    .await;
    assert_entra_error(&no_scope, 400, "invalid_request", 900144);
    assert_eq!(server.tokens_issued(), 0);
}

#[tokio::test]
async fn token_lifetime_can_be_shortened() {
    let server = Sim::start().await;
    server.set_token_lifetime(std::time::Duration::from_secs(2));
    let resp = token_request(
        &server,
        TENANT_ID,
        &secret_form(CLIENT_ID, msgraph_sim::CLIENT_SECRET),
    )
    .await;
    assert_eq!(resp.json()["expires_in"], 2);
    let access = resp.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    server.add_partner(PARTNER);
    assert_eq!(
        graph(&server, &access, "GET", SYNC_PATH, None).await.status,
        404
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        graph(&server, &access, "GET", SYNC_PATH, None).await.status,
        401
    );
}

// ----- certificate assertions -----

struct TestCert {
    der: Vec<u8>,
    pem: String,
    pkcs8: Vec<u8>,
}

/// A self-signed certificate for `key`, in every form the tests need.
fn self_signed(key: rcgen::KeyPair) -> TestCert {
    let cert = rcgen::CertificateParams::new(vec!["sim-test".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("self-signed");
    TestCert {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        pkcs8: key.serialize_der(),
    }
}

fn rsa_cert() -> TestCert {
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .expect("rsa key");
    self_signed(key)
}

fn ec_cert() -> TestCert {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("ec key");
    self_signed(key)
}

fn digest_b64(alg: &'static aws_lc_rs::digest::Algorithm, der: &[u8]) -> String {
    B64.encode(aws_lc_rs::digest::digest(alg, der))
}

fn claims(server: &SimServer) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    json!({
        "aud": server.token_url(),
        "iss": CERT_CLIENT,
        "sub": CERT_CLIENT,
        "jti": "5d7c0e5e-1b8a-4e44-9c0b-0f3f1a2b3c4d",
        "nbf": now,
        "exp": now + 600,
    })
}

/// Signs a JWT with an RSA key: alg RS256 (PKCS#1 v1.5) or PS256 (PSS).
fn sign_rsa(cert: &TestCert, alg: &str, header: Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let key = RsaKeyPair::from_pkcs8(&cert.pkcs8).expect("pkcs8");
    let mut sig = vec![0; key.public_modulus_len()];
    let padding: &'static dyn signature::RsaEncoding = if alg == "PS256" {
        &signature::RSA_PSS_SHA256
    } else {
        &signature::RSA_PKCS1_SHA256
    };
    key.sign(padding, &SystemRandom::new(), input.as_bytes(), &mut sig)
        .expect("sign");
    format!("{input}.{}", B64.encode(sig))
}

fn rs256(cert: &TestCert, claims: &Value) -> String {
    let x5t = digest_b64(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert.der);
    sign_rsa(
        cert,
        "RS256",
        json!({"alg": "RS256", "typ": "JWT", "x5t": x5t}),
        claims,
    )
}

fn ps256(cert: &TestCert, claims: &Value) -> String {
    let x5t = digest_b64(&aws_lc_rs::digest::SHA256, &cert.der);
    sign_rsa(
        cert,
        "PS256",
        json!({"alg": "PS256", "typ": "JWT", "x5t#S256": x5t}),
        claims,
    )
}

async fn assertion_request(server: &SimServer, assertion: &str, client_id: &str) -> HttpResponse {
    token_request(
        server,
        TENANT_ID,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("scope", SCOPE),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ],
    )
    .await
}

#[tokio::test]
async fn certificate_assertions_rs256_and_ps256() {
    let server = Sim::start().await;
    let cert = rsa_cert();
    server.add_app_certificate(TENANT_ID, CERT_CLIENT, &cert.der);

    let ok = assertion_request(&server, &rs256(&cert, &claims(&server)), CERT_CLIENT).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let ok = assertion_request(&server, &ps256(&cert, &claims(&server)), CERT_CLIENT).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(server
        .issued_tokens()
        .iter()
        .all(|t| t.flow == "client_certificate"));

    // Signed by another key with the registered thumbprint: bad signature.
    let other = rsa_cert();
    let x5t = digest_b64(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert.der);
    let forged = sign_rsa(
        &other,
        "RS256",
        json!({"alg": "RS256", "x5t": x5t}),
        &claims(&server),
    );
    let resp = assertion_request(&server, &forged, CERT_CLIENT).await;
    assert_entra_error(&resp, 401, "invalid_client", 700027);

    // Tampered payload.
    let good = rs256(&cert, &claims(&server));
    let mut parts: Vec<&str> = good.split('.').collect();
    let mut c = claims(&server);
    c["exp"] = json!(c["exp"].as_u64().unwrap_or(0) + 1);
    let tampered_claims = B64.encode(c.to_string());
    parts[1] = &tampered_claims;
    let resp = assertion_request(&server, &parts.join("."), CERT_CLIENT).await;
    assert_entra_error(&resp, 401, "invalid_client", 700027);

    // Unregistered certificate.
    let resp = assertion_request(&server, &rs256(&other, &claims(&server)), CERT_CLIENT).await;
    assert_entra_error(&resp, 401, "invalid_client", 700027);

    // Wrong audience, expired, sub mismatch.
    let mut c = claims(&server);
    c["aud"] = json!("https://login.microsoftonline.com/x/oauth2/v2.0/token");
    let resp = assertion_request(&server, &rs256(&cert, &c), CERT_CLIENT).await;
    assert_entra_error(&resp, 401, "invalid_client", 50012);
    let mut c = claims(&server);
    c["exp"] = json!(1_000_000);
    c["nbf"] = json!(999_000);
    let resp = assertion_request(&server, &rs256(&cert, &c), CERT_CLIENT).await;
    assert_entra_error(&resp, 401, "invalid_client", 700024);
    let mut c = claims(&server);
    c["sub"] = json!(CLIENT_ID);
    let resp = assertion_request(&server, &rs256(&cert, &c), CERT_CLIENT).await;
    assert_entra_error(&resp, 401, "invalid_client", 700021);

    let resp = assertion_request(&server, "not-a-jwt", CERT_CLIENT).await;
    assert_entra_error(&resp, 400, "invalid_request", 50027);
    assert_eq!(server.tokens_issued(), 2);

    // A PEM registration (with the key beside it, as in a client_certificate_path file) works.
    let pem_cert = rsa_cert();
    let other_client = "c0ffee00-1111-4222-8333-444455556667";
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n{}",
        pem_cert.pem
    );
    server.add_app_certificate(TENANT_ID, other_client, pem.as_bytes());
    let mut c = claims(&server);
    c["iss"] = json!(other_client);
    c["sub"] = json!(other_client);
    let ok = assertion_request(&server, &rs256(&pem_cert, &c), other_client).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[tokio::test]
async fn es256_assertions_are_refused() {
    let server = Sim::start().await;
    let cert = ec_cert();
    server.add_app_certificate(TENANT_ID, CERT_CLIENT, &cert.der);
    let header = json!({
        "alg": "ES256",
        "x5t": digest_b64(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert.der),
    });
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims(&server).to_string())
    );
    let key = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &cert.pkcs8)
        .expect("ec pkcs8");
    assert!(!key.public_key().as_ref().is_empty());
    let sig = key
        .sign(&SystemRandom::new(), input.as_bytes())
        .expect("sign");
    let assertion = format!("{input}.{}", B64.encode(sig.as_ref()));
    let resp = assertion_request(&server, &assertion, CERT_CLIENT).await;
    assert_entra_error(&resp, 400, "invalid_request", 5002738);

    // An RS256 header naming the EC certificate is refused too.
    let resp = assertion_request(
        &server,
        &format!(
            "{}.{}.{}",
            B64.encode(json!({"alg": "RS256", "x5t": header["x5t"]}).to_string()),
            B64.encode(claims(&server).to_string()),
            B64.encode(sig.as_ref())
        ),
        CERT_CLIENT,
    )
    .await;
    assert_entra_error(&resp, 400, "invalid_request", 5002730);
    assert_eq!(server.tokens_issued(), 0);
}

// ----- federated assertions -----

#[tokio::test]
async fn federated_assertions() {
    let server = Sim::start().await;
    let minted = server.mint_federated_token(CLIENT_ID);
    assert_eq!(server.federated_tokens_minted(), vec![minted.clone()]);
    let ok = assertion_request(&server, &minted, CLIENT_ID).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(server.issued_tokens()[0].flow, "federated");

    // A token minted for another app: subject not trusted.
    let other = server.mint_federated_token("00000000-0000-0000-0000-000000000009");
    let resp = assertion_request(&server, &other, CLIENT_ID).await;
    assert_entra_error(&resp, 401, "invalid_client", 700213);

    // A token from another simulator (another issuer key).
    let stranger = Sim::new().mint_federated_token(CLIENT_ID);
    let resp = assertion_request(&server, &stranger, CLIENT_ID).await;
    assert_entra_error(&resp, 401, "invalid_client", 700211);

    // Apps added later accept their own federated tokens.
    server.add_app(TENANT_ID, CERT_CLIENT);
    let ok = assertion_request(
        &server,
        &server.mint_federated_token(CERT_CLIENT),
        CERT_CLIENT,
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}
