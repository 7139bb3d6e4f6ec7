//! GraphClient against canned loopback servers: shared helpers; the tests are split by theme.

mod faults;
mod fuzz;
mod proxy;
mod requests;
mod security;
mod trust;

use std::time::Duration;

use tokio::time::Instant;

use crate::graph::testutil::{CannedServer, Counter, Recorded, Reply};
use crate::graph::{
    AuthConfig, ClientConfig, Cloud, GraphClient, IdentitySyncPolicy, Secret, Tuning,
    UserSyncInbound,
};

pub(super) const PARTNER: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";
pub(super) const POLICY_JSON: &str = r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#policies/crossTenantAccessPolicy/partners('90e29127-71ad-49c7-9ce8-db3f41ea06f1')/identitySynchronization/$entity","tenantId":"90e29127-71ad-49c7-9ce8-db3f41ea06f1","displayName":"Contoso","userSyncInbound":{"isSyncAllowed":true},"futureProperty":{"x":1}}"#;

pub(super) fn fast_tuning() -> Tuning {
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

pub(super) fn secret_auth(secret: &str) -> AuthConfig {
    AuthConfig {
        tenant_id: Some("tenant-1".into()),
        client_id: Some("client-1".into()),
        client_secret: Some(Secret::new(secret)),
        use_cli: false,
        ..AuthConfig::default()
    }
}

pub(super) fn config_for(url: &str, auth: AuthConfig) -> ClientConfig {
    ClientConfig {
        cloud: Cloud {
            graph_endpoint: url.to_string(),
            authority_host: url.to_string(),
        },
        auth,
        user_agent: "msgraph-test/1".into(),
        extra_ca_file: None,
        proxy: Default::default(),
        tuning: fast_tuning(),
    }
}

pub(super) fn client(server: &CannedServer) -> GraphClient {
    GraphClient::new(config_for(&server.url, secret_auth("the-client-secret"))).unwrap()
}

pub(super) fn soon(secs: u64) -> Instant {
    Instant::now() + Duration::from_secs(secs)
}

/// Awaits `work`, asserting it ended within `limit` (a generous sanity bound, not a timing test).
pub(super) async fn finishes_within<T>(
    limit: Duration,
    work: impl std::future::Future<Output = T>,
) -> T {
    let started = std::time::Instant::now();
    let outcome = work.await;
    assert!(
        started.elapsed() < limit,
        "took {:?}, more than {limit:?}",
        started.elapsed()
    );
    outcome
}

pub(super) fn is_token(r: &Recorded) -> bool {
    r.path().ends_with("/oauth2/v2.0/token")
}

/// Token endpoint answering `tok-1`, `tok-2`, ...; everything else goes to `graph`.
pub(super) async fn server(
    graph: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
) -> CannedServer {
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

/// A server answering the first Graph request with `first` and every later one with `then`, and
/// the count of Graph requests it answered.
pub(super) async fn first_then(first: Reply, then: Reply) -> (CannedServer, Counter) {
    let attempts = Counter::default();
    let a = attempts.clone();
    let server = server(move |_| {
        if a.next() == 0 {
            first.clone()
        } else {
            then.clone()
        }
    })
    .await;
    (server, attempts)
}

/// `c` reads PARTNER's policy and finds it.
pub(super) async fn assert_policy_found(c: &GraphClient) {
    let got = c.get_identity_sync(PARTNER, soon(10)).await.unwrap();
    assert!(got.is_some(), "no policy read");
}

/// Graph's error body: `{"error":{"code":..,"message":..}}` with `status`.
pub(super) fn graph_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        serde_json::json!({"error": {"code": code, "message": message}}).to_string(),
    )
}

/// `err` is a transport error whose message names every one of `needles`.
pub(super) fn assert_transport_error(err: &crate::graph::GraphError, needles: &[&str]) {
    match err {
        crate::graph::GraphError::Transport { message } => {
            for needle in needles {
                assert!(message.contains(needle), "{needle:?} missing: {message}");
            }
        }
        other => panic!("expected Transport, got {other:?}"),
    }
}

pub(super) fn graph_requests(server: &CannedServer) -> Vec<Recorded> {
    server
        .requests()
        .into_iter()
        .filter(|r| !is_token(r))
        .collect()
}

pub(super) fn policy() -> IdentitySyncPolicy {
    IdentitySyncPolicy {
        tenant_id: PARTNER.into(),
        display_name: Some("Contoso".into()),
        user_sync_inbound: UserSyncInbound {
            is_sync_allowed: true,
        },
    }
}
