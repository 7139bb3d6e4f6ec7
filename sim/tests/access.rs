//! The partner configuration and default settings objects answer as Microsoft's Graph v1.0
//! API pages document them.

mod common;

use common::*;
use msgraph_sim::Sim;
use serde_json::json;

const PARTNER: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";
const PARTNERS: &str = "/v1.0/policies/crossTenantAccessPolicy/partners";
const DEFAULT: &str = "/v1.0/policies/crossTenantAccessPolicy/default";

/// POSTs the bare partner configuration for PARTNER.
async fn post_partner(server: &msgraph_sim::SimServer, token: &str) -> HttpResponse {
    let body = format!(r#"{{"tenantId":"{PARTNER}"}}"#);
    graph(server, token, "POST", PARTNERS, Some(&body)).await
}

#[tokio::test]
async fn partner_post_patch_merges_and_refuses_duplicates_and_bad_enums() {
    let server = Sim::start().await;
    let t = token(&server).await;
    let path = format!("{PARTNERS}/{PARTNER}");
    let created = graph(
        &server,
        &t,
        "POST",
        PARTNERS,
        Some(&format!(
            r#"{{"tenantId":"{PARTNER}","automaticUserConsentSettings":{{"inboundAllowed":true}}}}"#
        )),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let body = created.json();
    assert_eq!(body["isInMultiTenantOrganization"], json!(false));
    assert_eq!(body["inboundTrust"], json!(null));
    assert_eq!(
        body["automaticUserConsentSettings"],
        json!({"inboundAllowed": true})
    );

    let dup = post_partner(&server, &t).await;
    assert_graph_error(&dup, 409, "Request_MultipleObjectsWithSameKeyValue");
    assert!(dup.json()["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("same value for property tenantId")));

    let patch = r#"{"inboundTrust":{"isMfaAccepted":true},"automaticUserConsentSettings":null}"#;
    write_ok(&server, &t, "PATCH", &path, Some(patch)).await;
    let got = graph(&server, &t, "GET", &path, None).await.json();
    assert_eq!(got["inboundTrust"], json!({"isMfaAccepted": true}));
    assert_eq!(got["automaticUserConsentSettings"], json!(null));

    // An unknown enum value, then a read-only property.
    for refused in [
        r#"{"b2bCollaborationInbound":{"usersAndGroups":{"accessType":"maybe"}}}"#,
        r#"{"isInMultiTenantOrganization":true}"#,
    ] {
        let resp = graph(&server, &t, "PATCH", &path, Some(refused)).await;
        assert_graph_error(&resp, 400, "Request_BadRequest");
    }
}

#[tokio::test]
async fn default_settings_patch_and_reset_to_system_default() {
    let server = Sim::start().await;
    let t = token(&server).await;
    let before = graph(&server, &t, "GET", DEFAULT, None).await.json();
    assert_eq!(before["isServiceDefault"], json!(true));
    assert_eq!(
        before["b2bDirectConnectInbound"]["usersAndGroups"]["accessType"],
        json!("blocked")
    );
    let patch = r#"{"inboundTrust":{"isMfaAccepted":true}}"#;
    write_ok(&server, &t, "PATCH", DEFAULT, Some(patch)).await;
    let after = graph(&server, &t, "GET", DEFAULT, None).await.json();
    assert_eq!(after["isServiceDefault"], json!(false));
    assert_eq!(after["inboundTrust"], json!({"isMfaAccepted": true}));
    let reset = format!("{DEFAULT}/resetToSystemDefault");
    write_ok(&server, &t, "POST", &reset, Some("{}")).await;
    let reset_body = graph(&server, &t, "GET", DEFAULT, None).await.json();
    assert_eq!(reset_body["isServiceDefault"], json!(true));
    assert_eq!(reset_body["inboundTrust"]["isMfaAccepted"], json!(false));
    let wrong = graph(&server, &t, "DELETE", DEFAULT, None).await;
    assert_eq!(wrong.status, 405);
}

#[tokio::test]
async fn reads_lag_a_partner_create_until_the_window_ends() {
    let server = Sim::start().await;
    server.set_consistency_delay(std::time::Duration::from_secs(600));
    let t = token(&server).await;
    let created = post_partner(&server, &t).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let path = format!("{PARTNERS}/{PARTNER}");
    let lagging = graph(&server, &t, "GET", &path, None).await;
    assert_graph_error(&lagging, 404, "Request_ResourceNotFound");
    assert!(server.has_partner(PARTNER), "Graph holds it all the same");
    server.catch_up();
    assert_eq!(graph(&server, &t, "GET", &path, None).await.status, 200);
}
