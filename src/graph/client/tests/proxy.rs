//! Proxy routing: Graph and login requests go through the configured proxy; managed identity
//! and plain http to loopback never do (the proxy would see the identity header and the
//! access token in clear).

use super::*;
use crate::graph::testutil::Reply;
use crate::graph::{GraphClient, ProxyConfig};

/// A recording "proxy" that refuses everything it is asked to do.
async fn refusing_proxy() -> CannedServer {
    CannedServer::start(|_| Reply::empty(502)).await
}

fn through(proxy: &CannedServer) -> ProxyConfig {
    ProxyConfig {
        https: Some(Secret::new(proxy.url.clone())),
        http: Some(Secret::new(proxy.url.clone())),
        no_proxy: None,
    }
}

#[tokio::test]
async fn managed_identity_and_loopback_requests_bypass_the_proxy() {
    let proxy = refusing_proxy().await;
    let server = CannedServer::start(|r| {
        if r.path() == "/msi/token" {
            Reply::token("msi-token", 3599)
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;
    let auth = crate::graph::testutil::app_service_auth(&server.url);
    let config = ClientConfig {
        proxy: through(&proxy),
        ..config_for(&server.url, auth)
    };
    let c = GraphClient::new(config).unwrap();
    c.get_identity_sync(PARTNER, soon(10))
        .await
        .expect("signed in and read directly");
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
    assert_eq!(server.count("GET", "/msi/token"), 1);
    assert_eq!(
        graph_requests(&server).len(),
        2,
        "the token request and the GET"
    );
}

/// A client for https roots on `localhost` (resolved locally, never by DNS) with `proxy`.
fn https_localhost_client(port: u16, proxy: ProxyConfig) -> GraphClient {
    let root = format!("https://localhost:{port}");
    GraphClient::new(ClientConfig {
        proxy,
        ..config_for(&root, secret_auth("s"))
    })
    .unwrap()
}

#[tokio::test]
async fn graph_and_login_requests_go_through_the_proxy_unless_no_proxy_lists_them() {
    // A plain server where the login host would be: a direct TLS attempt fails on it.
    let login = CannedServer::start(|_| Reply::empty(400)).await;
    let port: u16 = login.url.rsplit(':').next().unwrap().parse().unwrap();

    let proxy = refusing_proxy().await;
    let err = https_localhost_client(port, through(&proxy))
        .sign_in(soon(10))
        .await
        .unwrap_err();
    let asked: Vec<String> = proxy
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert!(
        asked.contains(&format!("CONNECT localhost:{port}")),
        "{asked:?} ({err})"
    );
    assert!(login.requests().is_empty(), "nothing went direct");

    let bypassed = refusing_proxy().await;
    let listed = ProxyConfig {
        no_proxy: Some("localhost".into()),
        ..through(&bypassed)
    };
    let _ = https_localhost_client(port, listed).sign_in(soon(10)).await;
    assert!(bypassed.requests().is_empty(), "{:?}", bypassed.requests());
}
