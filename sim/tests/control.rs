//! The `/_sim/` control API, auto partners, and the binary's latency / partner / consistency flags.

mod common;

use std::time::{Duration, Instant};

use common::*;
use msgraph_sim::{Fault, FaultKind, Sim};
use serde_json::{json, Value};

const BODY: &str = r#"{"displayName":"A","userSyncInbound":{"isSyncAllowed":true}}"#;
/// A partner tenant nobody created.
const OTHER: &str = "0b5c7d2e-1f3a-4b6c-8d9e-a0b1c2d3e4f5";

fn sync_path(tenant: &str) -> String {
    format!("/v1.0/policies/crossTenantAccessPolicy/partners/{tenant}/identitySynchronization")
}

async fn stats(url: &str) -> Value {
    let resp = request(url, "GET", "/_sim/stats", &[], None).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.json()
}

async fn post(url: &str, path: &str) -> HttpResponse {
    request(url, "POST", path, &[], None).await
}

#[tokio::test]
async fn stats_report_requests_tokens_and_connections_without_logging_themselves() {
    let (server, t) = with_partner().await;
    put_policy(&server, &t, BODY).await;

    let first = stats(&server.url).await;
    let token_path = format!("/{}/oauth2/v2.0/token", msgraph_sim::TENANT_ID);
    let expected_requests = json!([
        {"method": "POST", "path": token_path, "status": 200},
        {"method": "PUT", "path": SYNC_PATH, "status": 204},
    ]);
    assert_eq!(first["requests"], expected_requests);
    assert_eq!(first["tokens_issued"], 1);
    assert_eq!(
        first["connections_accepted"], 2,
        "the stats connection itself is not counted"
    );
    assert_eq!(first["latency_ms"], 0);
    assert_eq!(first["consistency_delay_ms"], 0);
    assert_eq!(first["auto_partners"], false);

    let second = stats(&server.url).await;
    assert_eq!(
        second["requests"], expected_requests,
        "stats are not logged"
    );
    assert_eq!(second["connections_accepted"], 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_connection_that_goes_on_to_graph_is_counted() {
    let (server, t) = with_partner().await;
    let statuses = keep_alive_get_paths(
        &server.url,
        &["/_sim/stats", SYNC_PATH, "/_sim/stats"],
        &format!("Bearer {t}"),
    )
    .await;
    assert_eq!(statuses, vec![200, 404, 200]);
    assert_eq!(
        server.connections_accepted(),
        2,
        "token connection + the mixed keep-alive connection"
    );
    assert_eq!(stats(&server.url).await["connections_accepted"], 2);
}

#[tokio::test]
async fn reset_log_clears_only_the_request_log() {
    let server = Sim::start().await;
    let t = token(&server).await;
    graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_eq!(server.requests().len(), 2);

    let reset = post(&server.url, "/_sim/reset-log").await;
    assert_eq!(reset.status, 204, "{}", reset.body);
    assert!(server.requests().is_empty());
    let after = stats(&server.url).await;
    assert_eq!(after["requests"], json!([]));
    assert_eq!(
        after["tokens_issued"], 1,
        "token count survives a log reset"
    );
    assert_eq!(after["connections_accepted"], 2);

    graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_eq!(
        stats(&server.url).await["requests"],
        json!([{"method": "GET", "path": SYNC_PATH, "status": 404}])
    );
}

#[tokio::test]
async fn latency_and_consistency_delay_are_set_over_http() {
    let (server, t) = with_partner().await;

    let set = post(&server.url, "/_sim/latency?ms=250").await;
    assert_eq!(set.status, 204, "{}", set.body);
    assert_eq!(server.latency(), Duration::from_millis(250));
    assert_eq!(stats(&server.url).await["latency_ms"], 250);
    let started = Instant::now();
    assert_eq!(graph(&server, &t, "GET", SYNC_PATH, None).await.status, 404);
    assert!(started.elapsed() >= Duration::from_millis(250));

    let bad = post(&server.url, "/_sim/latency?ms=soon").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("soon")),
        "{}",
        bad.body
    );
    assert_eq!(
        server.latency(),
        Duration::from_millis(250),
        "a bad value changes nothing"
    );
    assert_eq!(post(&server.url, "/_sim/latency").await.status, 400);
    assert_eq!(post(&server.url, "/_sim/latency?ms=0").await.status, 204);
    assert_eq!(server.latency(), Duration::ZERO);

    let set = post(&server.url, "/_sim/consistency-delay?ms=60000").await;
    assert_eq!(set.status, 204, "{}", set.body);
    assert_eq!(server.consistency_delay(), Duration::from_secs(60));
    put_policy(&server, &t, BODY).await;
    assert_eq!(
        graph(&server, &t, "GET", SYNC_PATH, None).await.status,
        404,
        "inside the consistency window"
    );
}

#[tokio::test]
async fn control_routes_refuse_wrong_methods_and_unknown_paths() {
    let server = Sim::start().await;
    let wrong_method = request(&server.url, "GET", "/_sim/reset-log", &[], None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(
        request(&server.url, "DELETE", "/_sim/stats", &[], None)
            .await
            .status,
        405
    );
    let unknown = request(&server.url, "GET", "/_sim/nothing", &[], None).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("/_sim/stats"), "{}", unknown.body);
    assert!(
        server.requests().is_empty(),
        "control requests are not logged"
    );

    // Only `/_sim` and below is control; a look-alike is an ordinary (logged) request.
    let lookalike = request(&server.url, "GET", "/_simulator/stats", &[], None).await;
    assert_eq!(lookalike.status, 404);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn control_requests_need_no_token_and_skip_faults_and_latency() {
    let server = Sim::start().await;
    server.inject(Fault {
        method: None,
        path_contains: None,
        times: 1,
        kind: FaultKind::Hang,
    });
    server.set_latency(Duration::from_secs(30));
    // Would hang (fault) or take 30 s (latency) if control requests were Graph requests.
    let resp = tokio::time::timeout(Duration::from_secs(20), async {
        request(&server.url, "GET", "/_sim/stats", &[], None).await
    })
    .await
    .expect("control answers despite faults and latency");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["latency_ms"], 30000);
    // The fault is still queued for the next real request.
    server.set_latency(Duration::ZERO);
    let probe = tokio::time::timeout(
        Duration::from_millis(500),
        send(&server.url, "GET", SYNC_PATH, &[], None),
    )
    .await;
    assert!(probe.is_err(), "the hang fault fired on the Graph request");
}

#[tokio::test]
async fn auto_partners_accept_any_guid() {
    let server = Sim::start().await;
    let t = token(&server).await;
    let other = sync_path(OTHER);
    let refused = graph(&server, &t, "PUT", &other, Some(BODY)).await;
    assert_graph_error(&refused, 404, "Request_ResourceNotFound");

    server.set_auto_partners(true);
    assert!(server.auto_partners());
    // the policy is missing, not the partner: Graph's own code for a missing policy
    let missing = graph(&server, &t, "GET", &other, None).await;
    assert_graph_error(&missing, 404, "Directory_ObjectNotFound");
    assert_eq!(
        graph(&server, &t, "PUT", &other, Some(BODY)).await.status,
        204
    );
    let got = graph(&server, &t, "GET", &other, None).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.json()["tenantId"], OTHER);
    assert_eq!(
        graph(
            &server,
            &t,
            "GET",
            &format!("/v1.0/policies/crossTenantAccessPolicy/partners/{PARTNER}"),
            None
        )
        .await
        .status,
        200,
        "a never-created partner exists too"
    );
    let patch = graph(
        &server,
        &t,
        "PATCH",
        &sync_path(PARTNER),
        Some(r#"{"displayName":"B"}"#),
    )
    .await;
    assert_graph_error(&patch, 404, "Directory_ObjectNotFound");
    assert_eq!(graph(&server, &t, "DELETE", &other, None).await.status, 204);
    let bad = graph(&server, &t, "PUT", &sync_path("not-a-guid"), Some(BODY)).await;
    assert_graph_error(&bad, 400, "Request_BadRequest");
}

#[cfg(unix)]
#[tokio::test]
async fn binary_flags_set_latency_auto_partners_and_consistency_delay() {
    let (child, url) = start_binary(&[
        "--auto-partners",
        "--latency-ms",
        "300",
        "--consistency-delay-ms=60000",
    ])
    .await;
    let initial = stats(&url).await;
    assert_eq!(initial["latency_ms"], 300);
    assert_eq!(initial["consistency_delay_ms"], 60000);
    assert_eq!(initial["auto_partners"], true);

    let auth = format!("Bearer {}", token_at(&url).await);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let started = Instant::now();
    let put = request(&url, "PUT", SYNC_PATH, &headers, Some(BODY)).await;
    assert_eq!(put.status, 204, "auto partner: {}", put.body);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let get = request(&url, "GET", SYNC_PATH, &headers, None).await;
    assert_eq!(get.status, 404, "consistency window: {}", get.body);
    let patch = request(
        &url,
        "PATCH",
        SYNC_PATH,
        &headers,
        Some(r#"{"displayName":"B"}"#),
    )
    .await;
    assert_eq!(patch.status, 204, "the PUT landed: {}", patch.body);

    assert_eq!(post(&url, "/_sim/latency?ms=0").await.status, 204);
    let after = stats(&url).await;
    assert_eq!(after["latency_ms"], 0);
    let token_path = format!("/{}/oauth2/v2.0/token", msgraph_sim::TENANT_ID);
    assert_eq!(
        after["requests"],
        json!([
            {"method": "POST", "path": token_path, "status": 200},
            {"method": "PUT", "path": SYNC_PATH, "status": 204},
            {"method": "GET", "path": SYNC_PATH, "status": 404},
            {"method": "PATCH", "path": SYNC_PATH, "status": 204},
        ])
    );
    assert_eq!(after["tokens_issued"], 1);
    assert_eq!(after["connections_accepted"], 4);

    assert_eq!(post(&url, "/_sim/reset-log").await.status, 204);
    assert_eq!(stats(&url).await["requests"], json!([]));
    terminate(child).await;
}

#[tokio::test]
async fn binary_refuses_bad_flag_values() {
    for (args, expected) in [
        (&["--latency-ms", "fast"][..], "--latency-ms"),
        (&["--consistency-delay-ms=-1"][..], "--consistency-delay-ms"),
        (
            &["--auto-partners=yes"][..],
            "--auto-partners takes no value",
        ),
        (&["--latency-ms"][..], "--latency-ms needs a value"),
    ] {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_msgraph-sim"))
            .args(args)
            .output()
            .await
            .expect("run msgraph-sim");
        assert!(!out.status.success(), "{args:?} accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let help = tokio::process::Command::new(env!("CARGO_BIN_EXE_msgraph-sim"))
        .arg("--help")
        .output()
        .await
        .expect("run msgraph-sim");
    let usage = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--auto-partners",
        "--latency-ms",
        "--consistency-delay-ms",
        "/_sim/stats",
    ] {
        assert!(usage.contains(flag), "help lacks {flag}");
    }
}
