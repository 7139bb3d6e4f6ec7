//! Tokens (caching, refresh, rejection, errors), endpoint rules, redirects, TLS trust and
//! secrets in logs.

use std::time::Duration;

use super::*;
use crate::graph::testutil::{capture_logs, captured_logs};
use crate::graph::testutil::{CannedServer, Counter, Reply};
use crate::graph::{ClientConfig, Cloud, Setting};
use crate::graph::{GraphClient, GraphError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_serves_many_calls_and_concurrent_callers() {
    let tokens = Counter::default();
    let t = tokens.clone();
    let server = CannedServer::start(move |r| {
        if is_token(r) {
            t.next();
            // Slow, so concurrent callers overlap with the refresh.
            std::thread::sleep(Duration::from_millis(100));
            Reply::token("tok-shared", 3599)
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;
    let c = client(&server);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.get_identity_sync(PARTNER, soon(20)).await
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap().unwrap().is_some());
    }
    for _ in 0..10 {
        c.get_identity_sync(PARTNER, soon(20)).await.unwrap();
    }
    assert_eq!(tokens.get(), 1);
    assert_eq!(graph_requests(&server).len(), 30);
    assert!(graph_requests(&server)
        .iter()
        .all(|r| r.header("authorization") == Some("Bearer tok-shared")));
}

#[tokio::test]
async fn a_token_near_expiry_is_refreshed() {
    let tokens = Counter::default();
    let t = tokens.clone();
    let server = CannedServer::start(move |r| {
        if is_token(r) {
            // One second: refreshed at half-life.
            Reply::token(&format!("short-{}", t.next() + 1), 1)
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;
    let c = client(&server);
    c.get_identity_sync(PARTNER, soon(10)).await.unwrap();
    c.get_identity_sync(PARTNER, soon(10)).await.unwrap();
    assert_eq!(tokens.get(), 1, "still fresh");
    tokio::time::sleep(Duration::from_millis(600)).await;
    c.get_identity_sync(PARTNER, soon(10)).await.unwrap();
    assert_eq!(tokens.get(), 2, "refreshed past half-life");
    let last = graph_requests(&server).pop().unwrap();
    assert_eq!(last.header("authorization"), Some("Bearer short-2"));
}

#[tokio::test]
async fn a_rejected_token_is_replaced_once() {
    let server = server(|r| {
        if r.header("authorization") == Some("Bearer tok-1") {
            graph_error(401, "InvalidAuthenticationToken", "expired")
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;
    assert_policy_found(&client(&server)).await;
    assert_eq!(server.count("POST", "/oauth2/v2.0/token"), 2);

    let always =
        self::server(|_| graph_error(401, "InvalidAuthenticationToken", "bad audience")).await;
    let err = client(&always)
        .get_identity_sync(PARTNER, soon(10))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(err.summary_hint().unwrap().contains("tenant ID"));
    assert_eq!(
        graph_requests(&always).len(),
        2,
        "one fresh-token retry only"
    );
}

#[tokio::test]
async fn token_errors_show_aadsts_without_the_secret() {
    let server = CannedServer::start(|r| {
        if is_token(r) {
            Reply::json(
                401,
                r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.","error_codes":[7000215]}"#,
            )
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;
    let c = GraphClient::new(config_for(&server.url, secret_auth("wrong-secret-xyz"))).unwrap();
    let err = c.get_identity_sync(PARTNER, soon(10)).await.unwrap_err();
    let shown = format!("{err} {err:?} {}", err.summary_hint().unwrap_or_default());
    assert!(shown.contains("AADSTS7000215"), "{shown}");
    assert!(shown.contains("invalid_client"), "{shown}");
    assert!(!shown.contains("wrong-secret-xyz"), "{shown}");
    assert!(graph_requests(&server).is_empty());
    assert_eq!(
        server.count("POST", "token"),
        1,
        "4xx token errors are not retried"
    );
}

#[test]
fn plain_http_is_refused_for_non_loopback_hosts() {
    let loopback = "http://127.0.0.1:1";
    for (graph_endpoint, authority_host, refused) in [
        ("http://graph.example.com", loopback, Setting::GraphEndpoint),
        (loopback, "http://login.example.com", Setting::AuthorityHost),
    ] {
        let mut config = config_for(loopback, secret_auth("s"));
        config.cloud = Cloud {
            graph_endpoint: graph_endpoint.into(),
            authority_host: authority_host.into(),
        };
        match GraphClient::new(config) {
            Err(GraphError::InvalidSetting { setting, .. }) => assert_eq!(setting, refused),
            other => panic!("{other:?}"),
        }
    }
    let config = ClientConfig::new(Cloud::default(), secret_auth("s"), "ua");
    assert!(
        GraphClient::new(config).is_ok(),
        "https public cloud is accepted"
    );
}

#[tokio::test]
async fn redirects_to_another_host_do_not_carry_the_bearer() {
    let elsewhere = CannedServer::start(|_| Reply::json(200, POLICY_JSON)).await;
    // Same IP, other port: another origin.
    let target = format!("{}/v1.0/stolen", elsewhere.url);
    let server = server(move |r| {
        if r.path().ends_with("/same-origin") {
            Reply::json(200, POLICY_JSON)
        } else if r.method == "GET" {
            Reply::empty(302).with_header("Location", &target)
        } else {
            Reply::empty(307).with_header("Location", "/v1.0/same-origin")
        }
    })
    .await;
    let c = client(&server);
    let err = c.get_identity_sync(PARTNER, soon(10)).await.unwrap_err();
    assert!(
        elsewhere.requests().is_empty(),
        "nothing reached the other host"
    );
    match &err {
        GraphError::Api {
            status: 302,
            code,
            message,
            ..
        } => {
            assert_eq!(code, "Redirect");
            assert!(message.contains("not followed"), "{message}");
        }
        other => panic!("{other:?}"),
    }

    // A same-origin redirect is followed, with the token.
    c.put_identity_sync(&policy(), soon(10)).await.unwrap();
    let followed = graph_requests(&server)
        .into_iter()
        .find(|r| r.path().ends_with("/same-origin"))
        .expect("same-origin redirect followed");
    assert_eq!(followed.header("authorization"), Some("Bearer tok-1"));
}

#[tokio::test]
async fn secrets_and_tokens_never_reach_logs_debug_or_errors() {
    capture_logs();
    let secret = "sEcReT-3f9a1c";
    let token = "AcCeSsToKeN-77b2e0";
    let server = CannedServer::start(move |r| {
        if is_token(r) {
            Reply::token(token, 3599)
        } else if r.method == "PUT" {
            graph_error(403, "Authorization_RequestDenied", "denied")
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;
    let config = config_for(&server.url, secret_auth(secret));
    let config_debug = format!("{config:?}");
    let c = GraphClient::new(config).unwrap();
    c.get_identity_sync(PARTNER, soon(10)).await.unwrap();
    let err = c.put_identity_sync(&policy(), soon(10)).await.unwrap_err();

    let logs = captured_logs();
    assert!(
        logs.iter()
            .any(|l| l.contains(&server.url) && l.contains("-> 200")),
        "the request was logged"
    );
    assert!(
        logs.iter().any(|l| l.contains("Contoso")),
        "Graph response bodies are traced"
    );
    let everything = format!(
        "{}\n{config_debug}\n{c:?}\n{err}\n{err:?}\n{}",
        logs.join("\n"),
        err.summary_hint().unwrap_or_default()
    );
    assert!(!everything.contains(secret), "secret leaked");
    assert!(!everything.contains(token), "token leaked");
}

/// A self-signed server certificate for 127.0.0.1: (DER, PEM, PKCS#8 key DER).
fn tls_server_identity() -> (Vec<u8>, String, Vec<u8>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.der().to_vec(), cert.pem(), key.serialize_der())
}

#[tokio::test]
async fn the_extra_ca_file_is_trusted_and_untrusted_tls_fails_fast() {
    let (cert_der, cert_pem, key_der) = tls_server_identity();
    let tls = CannedServer::start_tls(cert_der, key_der, |r| {
        if is_token(r) {
            Reply::token("tls-token", 3599)
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;

    let ca = crate::graph::testutil::write_temp("ca.pem", cert_pem.as_bytes());
    let mut config = config_for(&tls.url, secret_auth("s"));
    config.extra_ca_file = Some(ca.path().to_path_buf());
    assert_policy_found(&GraphClient::new(config).unwrap()).await;
    assert_eq!(tls.requests().len(), 2, "token and GET over https");

    // Without it the certificate is not trusted: a clear error, not retried until the deadline.
    let untrusting = GraphClient::new(config_for(&tls.url, secret_auth("s"))).unwrap();
    let err = finishes_within(
        Duration::from_secs(5),
        untrusting.get_identity_sync(PARTNER, soon(30)),
    )
    .await
    .unwrap_err();
    assert_transport_error(&err, &["not trusted", "CA certificate"]);
    assert_eq!(tls.requests().len(), 2, "no request got through");

    // A CA file that cannot be read is a configuration error.
    let mut config = config_for(&tls.url, secret_auth("s"));
    config.extra_ca_file = Some("/nonexistent/ca.pem".into());
    assert!(matches!(
        GraphClient::new(config),
        Err(GraphError::InvalidSetting {
            setting: Setting::CaFile,
            ..
        })
    ));
}
