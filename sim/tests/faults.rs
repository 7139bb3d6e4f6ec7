//! Fault injection over real HTTP: status faults with Retry-After, delay, hang, reset, raw
//! bodies, latency without serialisation, and eventual consistency.

mod common;

use std::time::{Duration, Instant};

use common::*;
use msgraph_sim::{Fault, FaultKind, Sim};
use serde_json::json;

const BODY: &str = r#"{"displayName":"A","userSyncInbound":{"isSyncAllowed":true}}"#;

#[tokio::test]
async fn throttling_with_retry_after_then_normal() {
    let (server, t) = with_partner().await;
    server.inject(
        Fault::status(429, Some("7"))
            .method("PUT")
            .path("identitySynchronization")
            .times(2),
    );
    let date = "Wed, 21 Oct 2026 07:28:00 GMT";
    server.inject(Fault::status(503, Some(date)).method("PUT"));
    server.inject(Fault::status(504, None).method("GET"));

    for _ in 0..2 {
        let resp = graph(&server, &t, "PUT", SYNC_PATH, Some(BODY)).await;
        assert_graph_error(&resp, 429, "TooManyRequests");
        assert_eq!(resp.header("retry-after"), Some("7"));
    }
    let resp = graph(&server, &t, "PUT", SYNC_PATH, Some(BODY)).await;
    assert_graph_error(&resp, 503, "ServiceUnavailable");
    assert_eq!(resp.header("retry-after"), Some(date));
    assert_eq!(server.policy(PARTNER), None, "faulted writes do not land");

    put_policy(&server, &t, BODY).await;
    let resp = graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_graph_error(&resp, 504, "GatewayTimeout");
    assert_eq!(graph(&server, &t, "GET", SYNC_PATH, None).await.status, 200);

    let statuses: Vec<u16> = server.requests().iter().skip(1).map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 429, 503, 204, 504, 200]);
}

#[tokio::test]
async fn status_fault_with_custom_body_and_token_endpoint_faults() {
    let server = Sim::start().await;
    server.inject(
        Fault::new(FaultKind::Status {
            status: 400,
            retry_after: None,
            body: Some(
                r#"{"error":"temporarily_unavailable","error_description":"AADSTS50196: loop"}"#
                    .into(),
            ),
            content_type: None,
        })
        .path("/oauth2/v2.0/token"),
    );
    let resp = token_request(
        &server,
        msgraph_sim::TENANT_ID,
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["error"], "temporarily_unavailable");
    assert_eq!(resp.header("content-type"), Some("application/json"));
    token(&server).await;
}

#[tokio::test]
async fn raw_bodies_are_served_verbatim() {
    let (server, t) = with_partner().await;
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    server.inject(Fault::new(FaultKind::RawBody {
        status: 502,
        content_type: "text/html".into(),
        body: html.into(),
    }));
    server.inject(Fault::new(FaultKind::RawBody {
        status: 200,
        content_type: "application/json".into(),
        body: r#"{"tenantId":"90e29127-71ad"#.into(),
    }));
    let resp = graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_eq!((resp.status, resp.body.as_str()), (502, html));
    assert_eq!(resp.header("content-type"), Some("text/html"));
    let resp = graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_eq!(resp.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&resp.body).is_err());
}

#[tokio::test]
async fn delay_then_normal_answer() {
    let (server, t) = with_partner().await;
    server.inject(Fault::new(FaultKind::Delay(SHORT)).method("GET"));
    let started = Instant::now();
    let resp = graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert!(started.elapsed() >= SHORT);
    assert_graph_error(&resp, 404, "Directory_ObjectNotFound");
}

#[tokio::test]
async fn hang_never_answers_and_shutdown_still_completes() {
    let (server, t) = with_partner().await;
    server.inject(Fault::new(FaultKind::Hang).method("GET"));
    let hung = tokio::time::timeout(SHORT, graph(&server, &t, "GET", SYNC_PATH, None)).await;
    assert!(hung.is_err(), "a hung request must not answer");
    // The fault fired once; the next request is answered.
    assert_eq!(graph(&server, &t, "GET", SYNC_PATH, None).await.status, 404);
    assert_eq!(
        server.requests()[1].status,
        0,
        "no status recorded for a hang"
    );

    // A request hanging while the server stops does not keep it alive.
    server.inject(Fault::new(FaultKind::Hang));
    let url = server.url.clone();
    let pending = tokio::spawn(async move { send(&url, "GET", "/v1.0/x", &[], None).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("server stops despite a hung request");
    let outcome = tokio::time::timeout(Duration::from_secs(10), pending)
        .await
        .expect("client released")
        .expect("task");
    assert!(
        outcome.is_err(),
        "hung request ends without a response: {outcome:?}"
    );
}

#[tokio::test]
async fn reset_drops_the_connection_without_a_response() {
    let (server, t) = with_partner().await;
    server.inject(Fault::new(FaultKind::Reset).method("PUT").times(2));
    for _ in 0..2 {
        let outcome = try_graph(&server.url, &t, "PUT", SYNC_PATH, Some(BODY)).await;
        let err = outcome.expect_err("no response after a reset");
        assert!(
            matches!(
                err.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof
            ),
            "{err:?}"
        );
    }
    assert_eq!(server.policy(PARTNER), None);
    put_policy(&server, &t, BODY).await;
}

#[tokio::test]
async fn consistency_delay_serves_404_then_stale_values() {
    let (server, t) = with_partner().await;
    let window = Duration::from_millis(600);
    server.set_consistency_delay(window);

    put_policy(&server, &t, BODY).await;
    let resp = graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_graph_error(&resp, 404, "Directory_ObjectNotFound");
    assert_ne!(
        resp.header("request-id"),
        None,
        "a lagging answer still carries its own request-id"
    );
    assert!(
        resp.body.contains(resp.header("request-id").unwrap_or("?")),
        "the cached body names this request's id: {}",
        resp.body
    );
    assert!(server.policy(PARTNER).is_some(), "the write itself landed");
    tokio::time::sleep(window + Duration::from_millis(50)).await;
    assert_eq!(
        graph(&server, &t, "GET", SYNC_PATH, None).await.json()["displayName"],
        "A"
    );

    let patch = r#"{"displayName":"B"}"#;
    write_ok(&server, &t, "PATCH", SYNC_PATH, Some(patch)).await;
    let stale = graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_eq!(stale.status, 200);
    assert_eq!(
        stale.json()["displayName"],
        "A",
        "stale value inside the window"
    );
    tokio::time::sleep(window + Duration::from_millis(50)).await;
    let fresh = graph(&server, &t, "GET", SYNC_PATH, None).await.json();
    assert_eq!(fresh["displayName"], "B");
    assert_eq!(fresh["userSyncInbound"], json!({"isSyncAllowed": true}));

    // after a DELETE the deleted object is still read for a while
    let delete = graph(&server, &t, "DELETE", SYNC_PATH, None).await;
    assert_eq!(delete.status, 204);
    assert_eq!(server.policy(PARTNER), None, "the delete itself landed");
    let ghost = graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_eq!(ghost.status, 200, "{}", ghost.body);
    assert_eq!(ghost.json()["displayName"], "B");
    // a PUT inside the window sees the real store: no conflict, and reads still lag
    put_policy(&server, &t, BODY).await;
    assert_eq!(
        graph(&server, &t, "GET", SYNC_PATH, None).await.json()["displayName"],
        "B",
        "the oldest answer is kept while the window is open"
    );
    tokio::time::sleep(window + Duration::from_millis(50)).await;
    assert_eq!(
        graph(&server, &t, "GET", SYNC_PATH, None).await.json()["displayName"],
        "A"
    );
}

#[tokio::test]
async fn apply_then_lose_the_answer_writes_and_answers_with_the_fault() {
    let (server, t) = with_partner().await;
    server.inject(
        Fault::apply_then(FaultKind::Status {
            status: 504,
            retry_after: None,
            body: None,
            content_type: None,
        })
        .method("PUT"),
    );
    let lost = graph(&server, &t, "PUT", SYNC_PATH, Some(BODY)).await;
    assert_graph_error(&lost, 504, "GatewayTimeout");
    assert!(server.policy(PARTNER).is_some(), "the PUT took effect");
    // the retried PUT meets the policy its first attempt made
    let retried = graph(&server, &t, "PUT", SYNC_PATH, Some(BODY)).await;
    assert_graph_error(&retried, 409, "Request_MultipleObjectsWithSameKeyValue");

    server.inject(Fault::apply_then(FaultKind::Reset).method("DELETE"));
    let reset = try_graph(&server.url, &t, "DELETE", SYNC_PATH, None).await;
    assert!(reset.is_err(), "no answer after a reset: {reset:?}");
    assert_eq!(server.policy(PARTNER), None, "the DELETE took effect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_does_not_serialise_parallel_clients() {
    let (server, t) = with_partner().await;
    let latency = Duration::from_millis(400);
    server.set_latency(latency);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (url, t) = (server.url.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            try_graph(&url, &t, "GET", SYNC_PATH, None).await
        }));
    }
    for task in tasks {
        let resp = task.await.expect("task").expect("response");
        assert_eq!(resp.status, 404);
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= latency);
    // Serialised, 50 requests would take 20 s; a generous bound far below that.
    assert!(elapsed < latency * 8, "took {elapsed:?}");
}

#[tokio::test]
async fn garbage_replaces_the_http_response() {
    let server = Sim::start().await;
    // A TLS alert record: what a client gets talking HTTP to a TLS port, and vice versa.
    let garbage = vec![0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46];
    server.inject(Fault::new(FaultKind::Garbage(garbage.clone())));
    let bytes = tokio::time::timeout(Duration::from_secs(10), raw_get(&server.url, SYNC_PATH))
        .await
        .expect("connection closed after the garbage")
        .expect("read");
    assert_eq!(bytes, garbage);
    let next = request(&server.url, "GET", SYNC_PATH, &[], None).await;
    assert_eq!(next.status, 401, "later requests are answered normally");
}

#[tokio::test]
async fn redirect_points_elsewhere() {
    let server = Sim::start().await;
    server.inject(Fault::new(FaultKind::Redirect {
        status: 307,
        location: "http://127.0.0.2:9/v1.0/elsewhere".into(),
    }));
    let resp = request(&server.url, "GET", SYNC_PATH, &[], None).await;
    assert_eq!(resp.status, 307);
    assert_eq!(
        resp.header("location"),
        Some("http://127.0.0.2:9/v1.0/elsewhere")
    );
}
