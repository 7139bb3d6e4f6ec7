//! Credential selection and every sign-in flow against canned loopback servers: shared
//! helpers; the tests are split by theme.

mod flows;
mod selection;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use tokio::time::Instant;

use super::select;
use crate::graph::testutil::{
    capture_logs, captured_logs, rsa_identity, write_temp, CannedServer, Counter, Recorded, Reply,
};
use crate::graph::{AuthConfig, ClientConfig, Cloud, GraphClient, GraphError, Secret, Tuning};

const POLICY_JSON: &str =
    r#"{"tenantId":"p","displayName":null,"userSyncInbound":{"isSyncAllowed":false}}"#;

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(15)
}

fn app(auth: AuthConfig) -> AuthConfig {
    AuthConfig {
        tenant_id: Some("tenant-1".into()),
        client_id: Some("client-1".into()),
        ..auth
    }
}

fn client(url: &str, auth: AuthConfig) -> GraphClient {
    let config = ClientConfig {
        cloud: Cloud {
            graph_endpoint: url.into(),
            authority_host: url.into(),
        },
        auth,
        user_agent: "test".into(),
        extra_ca_file: None,
        proxy: Default::default(),
        tuning: Tuning {
            retry_base_delay: Duration::from_millis(5),
            retry_max_delay: Duration::from_millis(20),
            ..Tuning::default()
        },
    };
    GraphClient::new(config).unwrap()
}

fn form_field(r: &Recorded, name: &str) -> Option<String> {
    r.form()
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn is_token(r: &Recorded) -> bool {
    r.path().ends_with("/oauth2/v2.0/token")
}

/// Token endpoint (expires_in as given) plus a Graph that answers a policy.
async fn login_server(expires_in: u64) -> CannedServer {
    let n = Counter::default();
    CannedServer::start(move |r| {
        if is_token(r) {
            Reply::token(&format!("tok-{}", n.next() + 1), expires_in)
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await
}

fn token_requests(server: &CannedServer) -> Vec<Recorded> {
    server.requests().into_iter().filter(is_token).collect()
}
