//! The state file: round trip through a restart, in-process and through the binary.

mod common;

use common::*;
use msgraph_sim::Sim;
use serde_json::json;

const BODY: &str = r#"{"displayName":"Fabrikam","userSyncInbound":{"isSyncAllowed":true}}"#;

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sim-state.json");
    let first = Sim::new();
    first.use_state_file(&file).expect("no file yet is fine");
    let server = first.spawn().await;
    server.add_partner(PARTNER);
    let t = token(&server).await;
    put_policy(&server, &t, BODY).await;
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("written")).expect("json");
    assert_eq!(saved["partners"][0]["tenantId"], PARTNER);
    server.stop().await;

    let second = Sim::new();
    second.use_state_file(&file).expect("loads");
    assert_eq!(
        second.policy(PARTNER),
        Some(
            json!({"tenantId": PARTNER, "displayName": "Fabrikam", "userSyncInbound": {"isSyncAllowed": true}})
        )
    );
    let server = second.spawn().await;
    let t = token(&server).await;
    assert_eq!(
        graph(&server, &t, "DELETE", SYNC_PATH, None).await.status,
        204
    );
    let third = Sim::new();
    third.use_state_file(&file).expect("loads");
    assert_eq!(third.policy(PARTNER), None);
    assert!(third.has_partner(PARTNER));
}

#[tokio::test]
async fn access_settings_survive_a_restart() {
    const PARTNERS: &str = "/v1.0/policies/crossTenantAccessPolicy/partners";
    const DEFAULT: &str = "/v1.0/policies/crossTenantAccessPolicy/default";
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sim-state.json");
    let first = Sim::new();
    first.use_state_file(&file).expect("no file yet is fine");
    let server = first.spawn().await;
    let t = token(&server).await;
    let partner = format!(r#"{{"tenantId":"{PARTNER}","inboundTrust":{{"isMfaAccepted":true}}}}"#);
    let created = graph(&server, &t, "POST", PARTNERS, Some(&partner)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let defaults = r#"{"automaticUserConsentSettings":{"inboundAllowed":true}}"#;
    write_ok(&server, &t, "PATCH", DEFAULT, Some(defaults)).await;
    let saved_partner = server.partner_config(PARTNER).expect("created");
    let saved_defaults = server.default_settings();
    server.stop().await;

    let second = Sim::new();
    second.use_state_file(&file).expect("loads");
    assert_eq!(second.partner_config(PARTNER), Some(saved_partner));
    assert_eq!(
        second.partner_config(PARTNER).unwrap()["inboundTrust"],
        json!({"isMfaAccepted": true})
    );
    assert_eq!(second.default_settings(), saved_defaults);
    assert_eq!(second.default_settings()["isServiceDefault"], json!(false));
    let server = second.spawn().await;
    let t = token(&server).await;
    let reset = format!("{DEFAULT}/resetToSystemDefault");
    assert_eq!(graph(&server, &t, "POST", &reset, None).await.status, 204);
    let third = Sim::new();
    third.use_state_file(&file).expect("loads");
    assert_eq!(third.default_settings()["isServiceDefault"], json!(true));
}

#[tokio::test]
async fn a_state_file_without_access_settings_still_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("old.json");
    let old = json!({"partners": [{"tenantId": PARTNER, "identitySynchronization": null}]});
    std::fs::write(&file, old.to_string()).expect("write");
    let sim = Sim::new();
    sim.use_state_file(&file).expect("loads");
    assert!(sim.has_partner(PARTNER));
    assert_eq!(sim.default_settings()["isServiceDefault"], json!(true));
}

#[tokio::test]
async fn a_corrupt_state_file_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.json");
    std::fs::write(&file, "{not json").expect("write");
    let err = Sim::new().use_state_file(&file).expect_err("refused");
    assert!(err.to_string().contains("bad.json"), "{err}");
}

#[cfg(unix)]
#[tokio::test]
async fn binary_serves_persists_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("state.json");
    let file_arg = file.to_string_lossy().into_owned();
    let (child, url) = start_binary(&["--state-file", &file_arg, "--partner", PARTNER]).await;
    let tok = request(
        &url,
        "POST",
        &format!("/{}/oauth2/v2.0/token", msgraph_sim::TENANT_ID),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
            msgraph_sim::CLIENT_ID,
            msgraph_sim::CLIENT_SECRET
        )),
    )
    .await;
    let access = tok.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let auth = format!("Bearer {access}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let put = request(&url, "PUT", SYNC_PATH, &headers, Some(BODY)).await;
    assert_eq!(put.status, 204, "{}", put.body);
    terminate(child).await;

    let (child, url) = start_binary(&["--state-file", &file_arg]).await;
    let tok = request(
        &url,
        "POST",
        &format!("/{}/oauth2/v2.0/token", msgraph_sim::TENANT_ID),
        &[],
        Some(&format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
            msgraph_sim::CLIENT_ID,
            msgraph_sim::CLIENT_SECRET
        )),
    )
    .await;
    let auth = format!(
        "Bearer {}",
        tok.json()["access_token"].as_str().expect("token")
    );
    let got = request(&url, "GET", SYNC_PATH, &[("Authorization", &auth)], None).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.json()["displayName"], "Fabrikam");
    terminate(child).await;
}

#[tokio::test]
async fn binary_help_and_bad_flags() {
    let help = tokio::process::Command::new(env!("CARGO_BIN_EXE_msgraph-sim"))
        .arg("--help")
        .output()
        .await
        .expect("run");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--state-file"));
    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_msgraph-sim"))
        .arg("--bogus")
        .output()
        .await
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown argument"));
}
