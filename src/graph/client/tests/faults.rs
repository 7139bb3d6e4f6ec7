//! Throttling, retries, deadlines and network faults.

use std::time::Duration;

use super::*;
use crate::graph::testutil::{Counter, Reply};
use crate::graph::{GraphClient, GraphError, IdentitySyncPatch};

/// 429 (seconds), 503 (HTTP-date), 504 (no header), then success; on every verb.
#[tokio::test]
async fn throttling_and_unavailability_are_retried_on_every_verb_and_writes_land_once() {
    let attempts = Counter::default();
    let landed = Counter::default();
    let (a, l) = (attempts.clone(), landed.clone());
    let server = server(move |r| match a.next() % 4 {
        0 => graph_error(429, "TooManyRequests", "slow down").with_header("Retry-After", "0"),
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
    assert_policy_found(&c).await;
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
    let (server, attempts) = first_then(
        Reply::empty(429).with_header("Retry-After", "1"),
        Reply::empty(204),
    )
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
        graph_error(429, "TooManyRequests", "throttled").with_header("Retry-After", "60")
    })
    .await;
    let err = finishes_within(
        Duration::from_secs(2),
        client(&server).patch_identity_sync(PARTNER, &IdentitySyncPatch::default(), soon(2)),
    )
    .await
    .unwrap_err();
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
    let (server, attempts) = first_then(
        graph_error(409, "Directory_ConcurrencyViolation", "busy"),
        Reply::empty(204),
    )
    .await;
    client(&server)
        .put_identity_sync(&policy(), soon(10))
        .await
        .unwrap();
    assert_eq!(attempts.get(), 2);

    let other =
        self::server(|_| graph_error(409, "Request_MultipleObjectsWithSameKeyValue", "exists"))
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
    let (server, attempts) = first_then(Reply::Reset, Reply::empty(204)).await;
    client(&server)
        .patch_identity_sync(PARTNER, &IdentitySyncPatch::default(), soon(10))
        .await
        .unwrap();
    assert_eq!(attempts.get(), 2);
}

#[tokio::test]
async fn a_hung_response_times_out_per_request_and_is_retried() {
    let (server, attempts) = first_then(Reply::Hang, Reply::json(200, POLICY_JSON)).await;
    let mut config = config_for(&server.url, secret_auth("s"));
    config.tuning.request_timeout = Duration::from_millis(300);
    assert_policy_found(&GraphClient::new(config).unwrap()).await;
    assert_eq!(attempts.get(), 2);
}

#[tokio::test]
async fn a_request_hanging_until_the_deadline_returns_promptly() {
    let server = server(|_| Reply::Hang).await;
    let err = finishes_within(
        Duration::from_secs(3),
        client(&server).delete_identity_sync(PARTNER, soon(1)),
    )
    .await
    .unwrap_err();
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
    assert_transport_error(&err, &["GET identitySynchronization", "4 attempts"]);
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
async fn dropping_an_operation_cancels_its_wait_and_retries() {
    let server = server(|_| Reply::empty(503).with_header("Retry-After", "60")).await;
    let c = client(&server);
    let outcome = finishes_within(
        Duration::from_secs(5),
        tokio::time::timeout(
            Duration::from_millis(300),
            c.put_identity_sync(&policy(), soon(600)),
        ),
    )
    .await;
    assert!(
        outcome.is_err(),
        "still waiting on Retry-After when dropped"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        graph_requests(&server).len(),
        1,
        "nothing runs on in the background after the drop"
    );
}

/// A gateway answering `Retry-After: 0` (or a date in the past) forever: each retry still waits
/// the backoff, the operation stops at the status retry cap, and the error keeps Graph's last
/// code, message and request-id.
#[tokio::test]
async fn retry_after_zero_never_means_no_wait_and_retries_stop_at_a_cap() {
    let attempts = Counter::default();
    let a = attempts.clone();
    let server = server(move |_| {
        let past = httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_secs(60));
        let retry_after = if a.next() % 2 == 0 {
            "0".to_string()
        } else {
            past
        };
        graph_error(429, "TooManyRequests", "slow down")
            .with_header("Retry-After", &retry_after)
            .with_header("request-id", "rid-last")
    })
    .await;
    let started = std::time::Instant::now();
    let err = client(&server)
        .patch_identity_sync(PARTNER, &IdentitySyncPatch::default(), soon(30))
        .await
        .unwrap_err();
    let sent = graph_requests(&server).len() as u32;
    assert_eq!(sent, crate::graph::retry_loop::MAX_GRAPH_STATUS_ATTEMPTS);
    // nine backoff waits of at least 0.8 x 5 ms x 2^n (capped at 50 ms): never zero
    assert!(
        started.elapsed() >= Duration::from_millis(4 + 8 + 16 + 32 + 40 * 5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        err.status(),
        Some(429),
        "expected the last 429, got {err:?}"
    );
    assert_eq!(err.request_id(), Some("rid-last"));
    match &err {
        GraphError::Api { code, message, .. } => {
            assert_eq!(
                (code.as_str(), message.as_str()),
                ("TooManyRequests", "slow down")
            );
        }
        other => panic!("expected the last 429, got {other:?}"),
    }
}

/// A deadline that ends inside the retries still names the last answer's code, message and
/// request-id.
#[tokio::test]
async fn a_deadline_after_retries_keeps_the_last_request_id() {
    let server = server(|_| {
        graph_error(503, "ServiceUnavailable", "busy now")
            .with_header("request-id", "rid-503")
            .with_header("Retry-After", "5")
    })
    .await;
    let err = client(&server)
        .get_identity_sync(PARTNER, soon(2))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, GraphError::DeadlineExceeded { .. }),
        "{err:?}"
    );
    for want in [
        "HTTP 503 ServiceUnavailable",
        "busy now",
        "request-id: rid-503",
    ] {
        assert!(text.contains(want), "missing {want:?} in {text}");
    }
}
