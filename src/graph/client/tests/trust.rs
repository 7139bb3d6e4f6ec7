//! Custom CA trust: an extra CA file adds to the system roots, never replaces them (tested with
//! throwaway CAs on loopback, the "system" bundle given to the client).

use std::time::Duration;

use reqwest::{Method, Url};

use super::*;
use crate::graph::http::{Http, Request};
use crate::graph::testutil::{write_temp, Reply};

/// A throwaway CA: its PEM, and a loopback TLS server whose certificate it signed.
async fn ca_and_server(name: &str) -> (String, CannedServer) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let server = CannedServer::start_tls(leaf.der().to_vec(), leaf_key.serialize_der(), |_| {
        Reply::json(200, "{}")
    })
    .await;
    (ca_pem, server)
}

async fn reaches(http: &Http, server: &CannedServer) -> bool {
    let url = Url::parse(&server.url).unwrap();
    let request = Request {
        method: Method::GET,
        url: &url,
        bearer: None,
        headers: vec![],
        body: None,
        log_body: false,
    };
    http.send(&request, Duration::from_secs(5)).await.is_ok()
}

#[tokio::test]
async fn the_extra_ca_file_adds_to_the_system_roots() {
    let (system_ca, system_signed) = ca_and_server("Throwaway system root").await;
    let (corporate_ca, proxy_signed) = ca_and_server("Throwaway corporate proxy CA").await;
    let system_bundle = write_temp("system.pem", system_ca.as_bytes());
    let extra = write_temp("corporate.pem", corporate_ca.as_bytes());
    let system_path = system_bundle.path().display().to_string();

    let mut config = config_for("https://127.0.0.1:1", secret_auth("s"));
    config.extra_ca_file = Some(extra.path().to_path_buf());
    let http =
        Http::with_system_bundles(&config, &["/nonexistent/bundle.crt", &system_path]).unwrap();
    assert!(
        reaches(&http, &proxy_signed).await,
        "the extra CA is trusted"
    );
    assert!(
        reaches(&http, &system_signed).await,
        "the system roots are still trusted"
    );

    // Without a system bundle only the extra CA is left (and a warning logged).
    let http = Http::with_system_bundles(&config, &["/nonexistent/bundle.crt"]).unwrap();
    assert!(reaches(&http, &proxy_signed).await);
    assert!(!reaches(&http, &system_signed).await);

    // A file with no certificate in it is a configuration error, not an empty trust store.
    let empty = write_temp("empty.pem", b"not a certificate\n");
    config.extra_ca_file = Some(empty.path().to_path_buf());
    assert!(matches!(
        Http::with_system_bundles(&config, &[&system_path]),
        Err(crate::graph::GraphError::InvalidSetting {
            setting: crate::graph::Setting::CaFile,
            ..
        })
    ));
}
