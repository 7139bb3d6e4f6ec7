//! GraphClient against canned loopback servers: requests, retries, deadlines, faults, errors,
//! token caching, redirects and secrets in logs.

use std::time::Duration;

use tokio::time::Instant;

use super::testutil::{capture_logs, captured_logs, CannedServer, Counter, Recorded, Reply};
use super::{
    AuthConfig, ClientConfig, Cloud, GraphClient, GraphError, IdentitySyncPatch,
    IdentitySyncPolicy, Secret, Tuning, UserSyncInbound,
};

const PARTNER: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";
const POLICY_JSON: &str = r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#policies/crossTenantAccessPolicy/partners('90e29127-71ad-49c7-9ce8-db3f41ea06f1')/identitySynchronization/$entity","tenantId":"90e29127-71ad-49c7-9ce8-db3f41ea06f1","displayName":"Contoso","userSyncInbound":{"isSyncAllowed":true},"futureProperty":{"x":1}}"#;

fn fast_tuning() -> Tuning {
    Tuning {
        request_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        retry_base_delay: Duration::from_millis(5),
        retry_max_delay: Duration::from_millis(50),
        max_transport_attempts: 4,
        max_token_attempts: 3,
        cli_timeout: Duration::from_secs(10),
    }
}

fn secret_auth(secret: &str) -> AuthConfig {
    AuthConfig {
        tenant_id: Some("tenant-1".into()),
        client_id: Some("client-1".into()),
        client_secret: Some(Secret::new(secret)),
        use_cli: false,
        ..AuthConfig::default()
    }
}

fn config_for(url: &str, auth: AuthConfig) -> ClientConfig {
    ClientConfig {
        cloud: Cloud {
            graph_endpoint: url.to_string(),
            authority_host: url.to_string(),
        },
        auth,
        user_agent: "msgraph-test/1".into(),
        extra_ca_file: None,
        tuning: fast_tuning(),
    }
}

fn client(server: &CannedServer) -> GraphClient {
    GraphClient::new(config_for(&server.url, secret_auth("the-client-secret"))).unwrap()
}

fn soon(secs: u64) -> Instant {
    Instant::now() + Duration::from_secs(secs)
}

fn is_token(r: &Recorded) -> bool {
    r.path().ends_with("/oauth2/v2.0/token")
}

/// Token endpoint answering `tok-1`, `tok-2`, ...; everything else goes to `graph`.
async fn server(graph: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> CannedServer {
    let tokens = Counter::default();
    CannedServer::start(move |r| {
        if is_token(r) {
            Reply::token(&format!("tok-{}", tokens.next() + 1), 3599)
        } else {
            graph(r)
        }
    })
    .await
}

fn graph_requests(server: &CannedServer) -> Vec<Recorded> {
    server
        .requests()
        .into_iter()
        .filter(|r| !is_token(r))
        .collect()
}

fn policy() -> IdentitySyncPolicy {
    IdentitySyncPolicy {
        tenant_id: PARTNER.into(),
        display_name: Some("Contoso".into()),
        user_sync_inbound: UserSyncInbound {
            is_sync_allowed: true,
        },
    }
}

#[tokio::test]
async fn get_reads_the_policy_tolerating_extra_fields() {
    let server = server(|_| Reply::json(200, POLICY_JSON)).await;
    let got = client(&server)
        .get_identity_sync(PARTNER, soon(10))
        .await
        .unwrap();
    assert_eq!(got, Some(policy()));

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let token = &requests[0];
    assert_eq!(token.method, "POST");
    assert_eq!(token.path(), "/tenant-1/oauth2/v2.0/token");
    let form = token.form();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(field("grant_type"), Some("client_credentials"));
    assert_eq!(field("client_id"), Some("client-1"));
    assert_eq!(field("client_secret"), Some("the-client-secret"));
    assert_eq!(
        field("scope"),
        Some(format!("{}/.default", server.url).as_str())
    );

    let get = &requests[1];
    assert_eq!(get.method, "GET");
    assert_eq!(
        get.path(),
        format!(
            "/v1.0/policies/crossTenantAccessPolicy/partners/{PARTNER}/identitySynchronization"
        )
    );
    assert_eq!(get.header("authorization"), Some("Bearer tok-1"));
    assert_eq!(get.header("user-agent"), Some("msgraph-test/1"));
    assert!(get.header("client-request-id").is_some());
}

#[tokio::test]
async fn not_found_maps_to_none_and_false() {
    let server = server(|_| {
        Reply::json(
            404,
            r#"{"error":{"code":"Request_ResourceNotFound","message":"not found"}}"#,
        )
    })
    .await;
    let c = client(&server);
    assert_eq!(c.get_identity_sync(PARTNER, soon(10)).await.unwrap(), None);
    assert!(!c.delete_identity_sync(PARTNER, soon(10)).await.unwrap());
    // PUT's 404 (partner missing) is an error the provider explains.
    let err = c.put_identity_sync(&policy(), soon(10)).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn writes_send_the_exact_bodies() {
    let server = server(|_| Reply::empty(204)).await;
    let c = client(&server);
    c.put_identity_sync(&policy(), soon(10)).await.unwrap();
    c.patch_identity_sync(
        PARTNER,
        &IdentitySyncPatch {
            display_name: None,
            user_sync_inbound: Some(UserSyncInbound {
                is_sync_allowed: false,
            }),
        },
        soon(10),
    )
    .await
    .unwrap();
    c.patch_identity_sync(
        PARTNER,
        &IdentitySyncPatch {
            display_name: Some(None),
            user_sync_inbound: None,
        },
        soon(10),
    )
    .await
    .unwrap();
    assert!(c.delete_identity_sync(PARTNER, soon(10)).await.unwrap());

    let requests = graph_requests(&server);
    let bodies: Vec<(String, serde_json::Value)> = requests
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    assert_eq!(
        bodies,
        vec![
            (
                "PUT".into(),
                serde_json::json!({"tenantId": PARTNER, "displayName": "Contoso", "userSyncInbound": {"isSyncAllowed": true}})
            ),
            (
                "PATCH".into(),
                serde_json::json!({"userSyncInbound": {"isSyncAllowed": false}})
            ),
            ("PATCH".into(), serde_json::json!({"displayName": null})),
            ("DELETE".into(), serde_json::Value::Null),
        ]
    );
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
}

/// 429 (seconds), 503 (HTTP-date), 504 (no header), then success; on every verb.
#[tokio::test]
async fn throttling_and_unavailability_are_retried_on_every_verb_and_writes_land_once() {
    let attempts = Counter::default();
    let landed = Counter::default();
    let (a, l) = (attempts.clone(), landed.clone());
    let server = server(move |r| match a.next() % 4 {
        0 => Reply::json(
            429,
            r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#,
        )
        .with_header("Retry-After", "0"),
        1 => Reply::empty(503).with_header(
            "Retry-After",
            &httpdate::fmt_http_date(std::time::SystemTime::now()),
        ),
        2 => Reply::empty(504),
        _ => {
            l.next();
            if r.method == "GET" {
                Reply::json(200, POLICY_JSON)
            } else {
                Reply::empty(204)
            }
        }
    })
    .await;
    let c = client(&server);
    assert!(c
        .get_identity_sync(PARTNER, soon(20))
        .await
        .unwrap()
        .is_some());
    c.put_identity_sync(&policy(), soon(20)).await.unwrap();
    c.patch_identity_sync(PARTNER, &IdentitySyncPatch::default(), soon(20))
        .await
        .unwrap();
    assert!(c.delete_identity_sync(PARTNER, soon(20)).await.unwrap());
    assert_eq!(attempts.get(), 16, "four attempts per verb");
    assert_eq!(landed.get(), 4, "each operation succeeded exactly once");
    for method in ["GET", "PUT", "PATCH", "DELETE"] {
        assert_eq!(
            server.count(method, "identitySynchronization"),
            4,
            "{method}"
        );
    }
}

#[tokio::test]
async fn retry_after_seconds_is_waited() {
    let attempts = Counter::default();
    let a = attempts.clone();
    let server = server(move |_| {
        if a.next() == 0 {
            Reply::empty(429).with_header("Retry-After", "1")
        } else {
            Reply::empty(204)
        }
    })
    .await;
    let started = std::time::Instant::now();
    client(&server)
        .put_identity_sync(&policy(), soon(30))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 must be honoured, took {:?}",
        started.elapsed()
    );
    assert_eq!(attempts.get(), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_returns_at_once() {
    let server = server(|_| {
        Reply::json(
            429,
            r#"{"error":{"code":"TooManyRequests","message":"throttled"}}"#,
        )
        .with_header("Retry-After", "60")
    })
    .await;
    let started = std::time::Instant::now();
    let err = client(&server)
        .patch_identity_sync(PARTNER, &IdentitySyncPatch::default(), soon(2))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    match &err {
        GraphError::DeadlineExceeded { operation } => {
            assert!(operation.contains("wait 60 s"), "{operation}");
            assert!(operation.contains("PATCH"), "{operation}");
            assert!(operation.contains("TooManyRequests"), "{operation}");
        }
        other => panic!("expected DeadlineExceeded, got {other:?}"),
    }
    assert!(err.summary_hint().is_some());
    assert_eq!(graph_requests(&server).len(), 1);
}

#[tokio::test]
async fn concurrency_violations_are_retried_other_conflicts_are_not() {
    let attempts = Counter::default();
    let a = attempts.clone();
    let server = server(move |_| {
        if a.next() == 0 {
            Reply::json(
                409,
                r#"{"error":{"code":"Directory_ConcurrencyViolation","message":"busy"}}"#,
            )
        } else {
            Reply::empty(204)
        }
    })
    .await;
    client(&server)
        .put_identity_sync(&policy(), soon(10))
        .await
        .unwrap();
    assert_eq!(attempts.get(), 2);

    let other = self::server(|_| {
        Reply::json(
            409,
            r#"{"error":{"code":"Request_MultipleObjectsWithSameKeyValue","message":"exists"}}"#,
        )
    })
    .await;
    let err = client(&other)
        .put_identity_sync(&policy(), soon(10))
        .await
        .unwrap_err();
    assert!(
        matches!(err, GraphError::Api { status: 409, ref code, .. } if code == "Request_MultipleObjectsWithSameKeyValue")
    );
    assert_eq!(graph_requests(&other).len(), 1);
}

#[tokio::test]
async fn a_reset_connection_is_retried() {
    let attempts = Counter::default();
    let a = attempts.clone();
    let server = server(move |_| {
        if a.next() == 0 {
            Reply::Reset
        } else {
            Reply::empty(204)
        }
    })
    .await;
    client(&server)
        .patch_identity_sync(PARTNER, &IdentitySyncPatch::default(), soon(10))
        .await
        .unwrap();
    assert_eq!(attempts.get(), 2);
}

#[tokio::test]
async fn a_hung_response_times_out_per_request_and_is_retried() {
    let attempts = Counter::default();
    let a = attempts.clone();
    let server = server(move |_| {
        if a.next() == 0 {
            Reply::Hang
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;
    let mut config = config_for(&server.url, secret_auth("s"));
    config.tuning.request_timeout = Duration::from_millis(300);
    let got = GraphClient::new(config)
        .unwrap()
        .get_identity_sync(PARTNER, soon(10))
        .await
        .unwrap();
    assert!(got.is_some());
    assert_eq!(attempts.get(), 2);
}

#[tokio::test]
async fn a_request_hanging_until_the_deadline_returns_promptly() {
    let server = server(|_| Reply::Hang).await;
    let started = std::time::Instant::now();
    let err = client(&server)
        .delete_identity_sync(PARTNER, soon(1))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(err, GraphError::DeadlineExceeded { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn garbage_and_refused_connections_end_in_a_transport_error() {
    let server = server(|_| Reply::Raw(b"SSH-2.0-OpenSSH garbage\r\n\r\n".to_vec())).await;
    let err = client(&server)
        .get_identity_sync(PARTNER, soon(10))
        .await
        .unwrap_err();
    match &err {
        GraphError::Transport { message } => {
            assert!(message.contains("GET identitySynchronization"), "{message}");
            assert!(message.contains("4 attempts"), "{message}");
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(graph_requests(&server).len(), 4);

    // A port nobody listens on: the token request fails after its attempts.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = GraphClient::new(config_for(&url, secret_auth("s")))
        .unwrap()
        .get_identity_sync(PARTNER, soon(10))
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn html_pages_and_bad_json_are_clear_errors() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let server = server(move |r| {
        if r.method == "PUT" {
            Reply::Http {
                status: 500,
                headers: vec![("Content-Type".into(), "text/html".into())],
                body: html.into(),
            }
        } else {
            Reply::Http {
                status: 200,
                headers: vec![("Content-Type".into(), "text/html".into())],
                body: html.into(),
            }
        }
    })
    .await;
    let c = client(&server);
    match c.put_identity_sync(&policy(), soon(10)).await.unwrap_err() {
        GraphError::Api {
            status, message, ..
        } => {
            assert_eq!(status, 500);
            assert!(message.contains("text/html"), "{message}");
            assert!(message.contains("502 Bad Gateway"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match c.get_identity_sync(PARTNER, soon(10)).await.unwrap_err() {
        GraphError::Decode { message } => {
            assert!(
                message.contains("HTTP 200") && message.contains("text/html"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }

    for (body, expect) in [
        (r#"{"tenantId":"x","userSyncInb"#, "EOF"),
        (r#"{"tenantId":"x","displayName":"y"}"#, "userSyncInbound"),
        (r#"{"tenantId":"x","userSyncInbound":{}}"#, "isSyncAllowed"),
        (
            r#"{"tenantId":"x","userSyncInbound":{"isSyncAllowed":"yes"}}"#,
            "invalid type",
        ),
        ("", "EOF"),
    ] {
        let server = self::server(move |_| Reply::json(200, body)).await;
        match client(&server).get_identity_sync(PARTNER, soon(10)).await {
            Err(GraphError::Decode { message }) => {
                assert!(message.contains(expect), "{body}: {message}");
                assert!(message.contains("GET identitySynchronization"), "{message}");
            }
            other => panic!("{body}: expected Decode, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn graph_errors_carry_code_message_request_id_and_a_403_hint() {
    let server = server(|r| {
        if r.method == "PATCH" {
            Reply::json(
                403,
                r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2024-01-01T00:00:00","request-id":"req-inner","client-request-id":"c"}}}"#,
            )
            .with_header("request-id", "req-header")
        } else {
            Reply::json(400, r#"{"error":{"code":"BadRequest","message":"nope"}}"#)
                .with_header("request-id", "req-only-header")
        }
    })
    .await;
    let c = client(&server);
    let err = c
        .patch_identity_sync(PARTNER, &IdentitySyncPatch::default(), soon(10))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        GraphError::Api {
            status: 403,
            code: "Authorization_RequestDenied".into(),
            message: "Insufficient privileges to complete the operation.".into(),
            request_id: Some("req-inner".into()),
        }
    );
    let hint = err.summary_hint().unwrap();
    assert!(
        hint.contains("Policy.ReadWrite.CrossTenantAccess"),
        "{hint}"
    );
    assert!(hint.contains("Security Administrator"), "{hint}");
    assert!(err.to_string().contains("request-id: req-inner"));

    let err = c.put_identity_sync(&policy(), soon(10)).await.unwrap_err();
    assert_eq!(err.request_id(), Some("req-only-header"));
    assert_eq!(err.summary_hint(), None);
}

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
            Reply::json(
                401,
                r#"{"error":{"code":"InvalidAuthenticationToken","message":"expired"}}"#,
            )
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;
    let c = client(&server);
    assert!(c
        .get_identity_sync(PARTNER, soon(10))
        .await
        .unwrap()
        .is_some());
    assert_eq!(server.count("POST", "/oauth2/v2.0/token"), 2);

    let always = self::server(|_| {
        Reply::json(
            401,
            r#"{"error":{"code":"InvalidAuthenticationToken","message":"bad audience"}}"#,
        )
    })
    .await;
    let err = client(&always)
        .get_identity_sync(PARTNER, soon(10))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(err.summary_hint().unwrap().contains("tenant_id"));
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
    let mut config = config_for("http://127.0.0.1:1", secret_auth("s"));
    config.cloud.graph_endpoint = "http://graph.example.com".into();
    match GraphClient::new(config) {
        Err(GraphError::Config { message }) => {
            assert!(message.contains("graph_endpoint"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let mut config = config_for("http://127.0.0.1:1", secret_auth("s"));
    config.cloud.authority_host = "http://login.example.com".into();
    match GraphClient::new(config) {
        Err(GraphError::Config { message }) => {
            assert!(message.contains("authority_host"), "{message}")
        }
        other => panic!("{other:?}"),
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
            Reply::json(
                403,
                r#"{"error":{"code":"Authorization_RequestDenied","message":"denied"}}"#,
            )
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

    let ca = super::testutil::write_temp("ca.pem", cert_pem.as_bytes());
    let mut config = config_for(&tls.url, secret_auth("s"));
    config.extra_ca_file = Some(ca.path().to_path_buf());
    let got = GraphClient::new(config)
        .unwrap()
        .get_identity_sync(PARTNER, soon(10))
        .await
        .unwrap();
    assert!(got.is_some());
    assert_eq!(tls.requests().len(), 2, "token and GET over https");

    // Without it the certificate is not trusted: a clear error, not retried until the deadline.
    let started = std::time::Instant::now();
    let err = GraphClient::new(config_for(&tls.url, secret_auth("s")))
        .unwrap()
        .get_identity_sync(PARTNER, soon(30))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    match &err {
        GraphError::Transport { message } => {
            assert!(message.contains("not trusted"), "{message}");
            assert!(message.contains("SSL_CERT_FILE"), "{message}");
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(tls.requests().len(), 2, "no request got through");

    // A CA file that cannot be read is a configuration error.
    let mut config = config_for(&tls.url, secret_auth("s"));
    config.extra_ca_file = Some("/nonexistent/ca.pem".into());
    assert!(matches!(
        GraphClient::new(config),
        Err(GraphError::Config { .. })
    ));
}
