//! Graph routes over real HTTP: CRUD semantics, status codes, error shape, auth.

mod common;

use common::*;
use msgraph_sim::Sim;
use serde_json::json;

const PARTNER_PATH: &str =
    "/v1.0/policies/crossTenantAccessPolicy/partners/90e29127-71ad-49c7-9ce8-db3f41ea06f1";

#[tokio::test]
async fn put_get_patch_delete_lifecycle() {
    let (server, t) = with_partner().await;

    let missing = graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_graph_error(&missing, 404, "Directory_ObjectNotFound");
    assert!(missing
        .body
        .contains("Unable to read the company information from the directory."));

    let put = graph(
        &server,
        &t,
        "PUT",
        SYNC_PATH,
        Some(r#"{"displayName":"Fabrikam","userSyncInbound":{"isSyncAllowed":true}}"#),
    )
    .await;
    assert_eq!(put.status, 204, "{}", put.body);
    assert!(put.body.is_empty());
    assert!(put.header("request-id").is_some());

    let got = graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_eq!(got.status, 200);
    let body = got.json();
    assert_eq!(
        body["@odata.context"],
        format!(
            "{}/v1.0/$metadata#policies/crossTenantAccessPolicy/partners('{PARTNER}')/identitySynchronization/$entity",
            server.url
        )
    );
    assert_eq!(body["tenantId"], PARTNER);
    assert_eq!(body["displayName"], "Fabrikam");
    assert_eq!(body["userSyncInbound"], json!({"isSyncAllowed": true}));
    assert!(
        body.get("groupSyncInbound").is_none(),
        "v1.0 has no groupSyncInbound"
    );

    // PATCH merges only what it names.
    let patch = r#"{"userSyncInbound":{"isSyncAllowed":false}}"#;
    write_ok(&server, &t, "PATCH", SYNC_PATH, Some(patch)).await;
    assert_eq!(
        server.policy(PARTNER),
        Some(
            json!({"tenantId": PARTNER, "displayName": "Fabrikam", "userSyncInbound": {"isSyncAllowed": false}})
        )
    );

    // PUT on an existing policy is Graph's 409 (cross-tenant sync troubleshooting page), and
    // changes nothing.
    let again = graph(
        &server,
        &t,
        "PUT",
        SYNC_PATH,
        Some(r#"{"userSyncInbound":{"isSyncAllowed":true}}"#),
    )
    .await;
    assert_graph_error(&again, 409, "Request_MultipleObjectsWithSameKeyValue");
    assert!(again.body.contains("A conflicting object with one or more of the specified property values is present in the directory."));
    assert_eq!(
        again.json()["error"]["details"][0]["code"],
        "ConflictingObjects"
    );
    let body = graph(&server, &t, "GET", SYNC_PATH, None).await.json();
    assert_eq!(body["displayName"], "Fabrikam");
    assert_eq!(body["userSyncInbound"], json!({"isSyncAllowed": false}));

    let delete = graph(&server, &t, "DELETE", SYNC_PATH, None).await;
    assert_eq!(delete.status, 204);
    assert_eq!(server.policy(PARTNER), None);
    let again = graph(&server, &t, "DELETE", SYNC_PATH, None).await;
    assert_graph_error(&again, 404, "Directory_ObjectNotFound");
    let patch_missing = graph(
        &server,
        &t,
        "PATCH",
        SYNC_PATH,
        Some(r#"{"displayName":"x"}"#),
    )
    .await;
    assert_graph_error(&patch_missing, 404, "Directory_ObjectNotFound");
}

#[tokio::test]
async fn partner_must_exist_and_ids_are_case_insensitive() {
    let server = Sim::start().await;
    let t = token(&server).await;
    let body = r#"{"userSyncInbound":{"isSyncAllowed":true}}"#;
    let put = graph(&server, &t, "PUT", SYNC_PATH, Some(body)).await;
    assert_graph_error(&put, 404, "Request_ResourceNotFound");

    server.add_partner(&PARTNER.to_ascii_uppercase());
    let upper = SYNC_PATH.replace(PARTNER, &PARTNER.to_ascii_uppercase());
    let put = graph(&server, &t, "PUT", &upper, Some(body)).await;
    assert_eq!(put.status, 204, "{}", put.body);
    let got = graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_eq!(
        got.json()["tenantId"],
        PARTNER,
        "tenantId comes back lower-case"
    );
    assert!(server.policy(&PARTNER.to_ascii_uppercase()).is_some());
}

#[tokio::test]
async fn body_validation() {
    let (server, t) = with_partner().await;
    for bad in [
        r#"{"displayName":"x"}"#,
        r#"{"userSyncInbound":true}"#,
        r#"{"userSyncInbound":{"isSyncAllowed":"yes"}}"#,
        r#"{"userSyncInbound":{}}"#,
        r#"{"userSyncInbound":{"isSyncAllowed":true},"color":"blue"}"#,
        r#"{"userSyncInbound":{"isSyncAllowed":true},"groupSyncInbound":{"isSyncAllowed":true}}"#,
        r#"{"userSyncInbound":{"isSyncAllowed":true},"tenantId":"11111111-2222-3333-4444-555555555555"}"#,
        r#"{"userSyncInbound":{"isSyncAllowed":true},"displayName":5}"#,
        r#"[]"#,
    ] {
        let resp = graph(&server, &t, "PUT", SYNC_PATH, Some(bad)).await;
        assert_graph_error(&resp, 400, "Request_BadRequest");
    }
    let not_json = graph(&server, &t, "PUT", SYNC_PATH, Some("{nope")).await;
    assert_graph_error(&not_json, 400, "BadRequest");
    assert_eq!(
        server.policy(PARTNER),
        None,
        "nothing stored by refused writes"
    );

    let upper_tenant = format!(
        r#"{{"tenantId":"{}","userSyncInbound":{{"isSyncAllowed":true}}}}"#,
        PARTNER.to_ascii_uppercase()
    );
    put_policy(&server, &t, &upper_tenant).await;
    let bad_patch = graph(
        &server,
        &t,
        "PATCH",
        SYNC_PATH,
        Some(r#"{"userSyncInbound":null}"#),
    )
    .await;
    assert_graph_error(&bad_patch, 400, "Request_BadRequest");
}

#[tokio::test]
async fn malformed_guid_unknown_segment_and_post_405() {
    let server = Sim::start().await;
    let t = token(&server).await;
    let resp = graph(
        &server,
        &t,
        "GET",
        "/v1.0/policies/crossTenantAccessPolicy/partners/not-a-guid/identitySynchronization",
        None,
    )
    .await;
    assert_graph_error(&resp, 400, "Request_BadRequest");
    let resp = graph(&server, &t, "GET", "/v1.0/nothing/here", None).await;
    assert_graph_error(&resp, 400, "BadRequest");
    server.add_partner(PARTNER);
    let resp = graph(&server, &t, "POST", SYNC_PATH, Some("{}")).await;
    assert_graph_error(&resp, 405, "Request_BadRequest");
}

#[tokio::test]
async fn partners_collection_and_delete_rules() {
    let server = Sim::start().await;
    let t = token(&server).await;
    let partners = "/v1.0/policies/crossTenantAccessPolicy/partners";
    let created = graph(
        &server,
        &t,
        "POST",
        partners,
        Some(&format!(
            r#"{{"tenantId":"{}"}}"#,
            PARTNER.to_ascii_uppercase()
        )),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["tenantId"], PARTNER);
    let dup = graph(
        &server,
        &t,
        "POST",
        partners,
        Some(&format!(r#"{{"tenantId":"{PARTNER}"}}"#)),
    )
    .await;
    assert_eq!(dup.status, 409);
    let list = graph(&server, &t, "GET", partners, None).await.json();
    assert_eq!(list["value"][0]["tenantId"], PARTNER);
    assert_eq!(
        graph(&server, &t, "GET", PARTNER_PATH, None).await.status,
        200
    );

    server.set_policy(PARTNER, json!({"tenantId": PARTNER, "displayName": null, "userSyncInbound": {"isSyncAllowed": true}}));
    let refused = graph(&server, &t, "DELETE", PARTNER_PATH, None).await;
    assert_graph_error(&refused, 400, "Request_BadRequest");
    assert!(server.has_partner(PARTNER));

    assert_eq!(
        graph(&server, &t, "DELETE", SYNC_PATH, None).await.status,
        204
    );
    assert_eq!(
        graph(&server, &t, "DELETE", PARTNER_PATH, None)
            .await
            .status,
        204
    );
    let gone = graph(&server, &t, "GET", PARTNER_PATH, None).await;
    assert_graph_error(&gone, 404, "Request_ResourceNotFound");
    let gone = graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_graph_error(&gone, 404, "Request_ResourceNotFound");
}

#[tokio::test]
async fn beta_serves_group_sync_inbound() {
    let (server, t) = with_partner().await;
    let beta = SYNC_PATH.replace("/v1.0/", "/beta/");
    let put = graph(
        &server,
        &t,
        "PUT",
        &beta,
        Some(r#"{"userSyncInbound":{"isSyncAllowed":true},"groupSyncInbound":{"isSyncAllowed":false}}"#),
    )
    .await;
    assert_eq!(put.status, 204, "{}", put.body);
    let body = graph(&server, &t, "GET", &beta, None).await.json();
    assert_eq!(body["groupSyncInbound"], json!({"isSyncAllowed": false}));
    assert!(body["@odata.context"]
        .as_str()
        .is_some_and(|c| c.contains("/beta/$metadata#")));
    let v1 = graph(&server, &t, "GET", SYNC_PATH, None).await.json();
    assert!(v1.get("groupSyncInbound").is_none());
}

#[tokio::test]
async fn bearer_token_required() {
    let server = Sim::start().await;
    server.add_partner(PARTNER);
    let none = request(&server.url, "GET", SYNC_PATH, &[], None).await;
    assert_graph_error(&none, 401, "InvalidAuthenticationToken");
    assert!(none.header("www-authenticate").is_some());
    let forged = graph(
        &server,
        "eyJ0eXAiOiJKV1QifQ.e30.c2ln",
        "GET",
        SYNC_PATH,
        None,
    )
    .await;
    assert_graph_error(&forged, 401, "InvalidAuthenticationToken");

    let t = token(&server).await;
    assert_eq!(graph(&server, &t, "GET", SYNC_PATH, None).await.status, 404);
    server.expire_tokens();
    let expired = graph(&server, &t, "GET", SYNC_PATH, None).await;
    assert_graph_error(&expired, 401, "InvalidAuthenticationToken");
    assert!(expired.body.contains("expired"));
}

#[tokio::test]
async fn drift_helpers_are_served() {
    let server = Sim::start().await;
    let t = token(&server).await;
    server.set_policy(PARTNER, json!({"tenantId": PARTNER, "displayName": "x", "userSyncInbound": {"isSyncAllowed": true}, "extra": 1}));
    let body = graph(&server, &t, "GET", SYNC_PATH, None).await.json();
    assert_eq!(body["extra"], 1, "set_policy stores the body as given");
    server.remove_policy(PARTNER);
    assert_eq!(graph(&server, &t, "GET", SYNC_PATH, None).await.status, 404);
    assert!(server.has_partner(PARTNER));
}

#[tokio::test]
async fn request_log_records_everything_with_status() {
    let (server, t) = with_partner().await;
    let put_body = r#"{"userSyncInbound":{"isSyncAllowed":true}}"#;
    graph(&server, &t, "PUT", SYNC_PATH, Some(put_body)).await;
    let log = server.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "POST");
    assert!(log[0].path.ends_with("/oauth2/v2.0/token"));
    assert_eq!(log[0].status, 200);
    assert!(log[0]
        .form()
        .iter()
        .any(|(k, v)| k == "client_secret" && v == msgraph_sim::CLIENT_SECRET));
    assert_eq!(log[1].method, "PUT");
    assert_eq!(log[1].path, SYNC_PATH);
    assert_eq!(log[1].status, 204);
    assert_eq!(
        log[1].json(),
        Some(json!({"userSyncInbound": {"isSyncAllowed": true}}))
    );
    assert!(log[1]
        .header("authorization")
        .is_some_and(|a| a.starts_with("Bearer ")));
    assert_eq!(server.tokens_issued(), 1);
    assert_eq!(
        server.connections_accepted(),
        2,
        "the raw test client closes each connection"
    );
    server.clear_requests();
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn keep_alive_connections_are_reused() {
    let (server, t) = with_partner().await;
    let before = server.connections_accepted();
    let statuses = keep_alive_gets(&server.url, SYNC_PATH, &format!("Bearer {t}"), 3).await;
    assert_eq!(statuses, vec![404, 404, 404]);
    assert_eq!(server.connections_accepted(), before + 1);
}
