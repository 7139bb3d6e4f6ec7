//! Request shapes, status mapping and error decoding.

use super::*;
use crate::graph::testutil::Reply;
use crate::graph::{GraphError, IdentitySyncPatch, UserSyncInbound};

#[tokio::test]
async fn get_reads_the_policy_tolerating_extra_fields() {
    let server = server(|_| Reply::json(200, POLICY_JSON)).await;
    let got = client(&server)
        .get_identity_sync(PARTNER, soon(10))
        .await
        .unwrap();
    assert_eq!(got, Some(policy()));

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let token = &requests[0];
    assert_eq!(token.method, "POST");
    assert_eq!(token.path(), "/tenant-1/oauth2/v2.0/token");
    let form = token.form();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(field("grant_type"), Some("client_credentials"));
    assert_eq!(field("client_id"), Some("client-1"));
    assert_eq!(field("client_secret"), Some("the-client-secret"));
    assert_eq!(
        field("scope"),
        Some(format!("{}/.default", server.url).as_str())
    );

    let get = &requests[1];
    assert_eq!(get.method, "GET");
    assert_eq!(
        get.path(),
        format!(
            "/v1.0/policies/crossTenantAccessPolicy/partners/{PARTNER}/identitySynchronization"
        )
    );
    assert_eq!(get.header("authorization"), Some("Bearer tok-1"));
    assert_eq!(get.header("user-agent"), Some("msgraph-test/1"));
    assert!(get.header("client-request-id").is_some());
}

#[tokio::test]
async fn not_found_maps_to_none_and_false() {
    let server = server(|_| graph_error(404, "Request_ResourceNotFound", "not found")).await;
    let c = client(&server);
    assert_eq!(c.get_identity_sync(PARTNER, soon(10)).await.unwrap(), None);
    assert!(!c.delete_identity_sync(PARTNER, soon(10)).await.unwrap());
    // PUT's 404 (partner missing) is an error the provider explains.
    let err = c.put_identity_sync(&policy(), soon(10)).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn writes_send_the_exact_bodies() {
    let server = server(|_| Reply::empty(204)).await;
    let c = client(&server);
    c.put_identity_sync(&policy(), soon(10)).await.unwrap();
    c.patch_identity_sync(
        PARTNER,
        &IdentitySyncPatch {
            display_name: None,
            user_sync_inbound: Some(UserSyncInbound {
                is_sync_allowed: false,
            }),
        },
        soon(10),
    )
    .await
    .unwrap();
    c.patch_identity_sync(
        PARTNER,
        &IdentitySyncPatch {
            display_name: Some(None),
            user_sync_inbound: None,
        },
        soon(10),
    )
    .await
    .unwrap();
    assert!(c.delete_identity_sync(PARTNER, soon(10)).await.unwrap());

    let requests = graph_requests(&server);
    let bodies: Vec<(String, serde_json::Value)> = requests
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    assert_eq!(
        bodies,
        vec![
            (
                "PUT".into(),
                serde_json::json!({"displayName": "Contoso", "userSyncInbound": {"isSyncAllowed": true}})
            ),
            (
                "PATCH".into(),
                serde_json::json!({"userSyncInbound": {"isSyncAllowed": false}})
            ),
            ("PATCH".into(), serde_json::json!({"displayName": null})),
            ("DELETE".into(), serde_json::Value::Null),
        ]
    );
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn html_pages_and_bad_json_are_clear_errors() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let server = server(move |r| {
        if r.method == "PUT" {
            Reply::Http {
                status: 500,
                headers: vec![("Content-Type".into(), "text/html".into())],
                body: html.into(),
            }
        } else {
            Reply::Http {
                status: 200,
                headers: vec![("Content-Type".into(), "text/html".into())],
                body: html.into(),
            }
        }
    })
    .await;
    let c = client(&server);
    match c.put_identity_sync(&policy(), soon(10)).await.unwrap_err() {
        GraphError::Api {
            status, message, ..
        } => {
            assert_eq!(status, 500);
            assert!(message.contains("text/html"), "{message}");
            assert!(message.contains("502 Bad Gateway"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match c.get_identity_sync(PARTNER, soon(10)).await.unwrap_err() {
        GraphError::Decode { message } => {
            assert!(
                message.contains("HTTP 200") && message.contains("text/html"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }

    // a policy without the field the provider needs names it, and is not called temporary
    for (body, field) in [
        (r#"{"tenantId":"x","displayName":"y"}"#, "userSyncInbound"),
        (
            r#"{"tenantId":"x","userSyncInbound":null}"#,
            "userSyncInbound",
        ),
        (
            r#"{"tenantId":"x","userSyncInbound":{}}"#,
            "userSyncInbound.isSyncAllowed",
        ),
    ] {
        let server = self::server(move |_| Reply::json(200, body)).await;
        match client(&server).get_identity_sync(PARTNER, soon(10)).await {
            Err(err @ GraphError::Incomplete { .. }) => {
                let text = err.to_string();
                assert!(text.contains(field), "{body}: {text}");
                assert!(text.contains("GET identitySynchronization"), "{text}");
                let hint = err.summary_hint().unwrap_or_default();
                assert!(
                    hint.contains(field) && !hint.contains("usually temporary"),
                    "{hint}"
                );
            }
            other => panic!("{body}: expected Incomplete, got {other:?}"),
        }
    }
    // no tenantId (null or absent): the tenant of the URL
    for body in [
        r#"{"userSyncInbound":{"isSyncAllowed":true}}"#,
        r#"{"tenantId":null,"userSyncInbound":{"isSyncAllowed":true}}"#,
    ] {
        let server = self::server(move |_| Reply::json(200, body)).await;
        let got = client(&server).get_identity_sync(PARTNER, soon(10)).await;
        assert_eq!(
            got.map(|p| p.map(|p| p.tenant_id)),
            Ok(Some(PARTNER.to_string())),
            "{body}"
        );
    }

    for (body, expect) in [
        (r#"{"tenantId":"x","userSyncInb"#, "EOF"),
        (
            r#"{"tenantId":"x","userSyncInbound":{"isSyncAllowed":"yes"}}"#,
            "invalid type",
        ),
        ("", "EOF"),
    ] {
        let server = self::server(move |_| Reply::json(200, body)).await;
        match client(&server).get_identity_sync(PARTNER, soon(10)).await {
            Err(GraphError::Decode { message }) => {
                assert!(message.contains(expect), "{body}: {message}");
                assert!(message.contains("GET identitySynchronization"), "{message}");
            }
            other => panic!("{body}: expected Decode, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn graph_errors_carry_code_message_request_id_and_a_403_hint() {
    let server = server(|r| {
        if r.method == "PATCH" {
            Reply::json(
                403,
                r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2024-01-01T00:00:00","request-id":"req-inner","client-request-id":"c"}}}"#,
            )
            .with_header("request-id", "req-header")
        } else {
            graph_error(400, "BadRequest", "nope")
                .with_header("request-id", "req-only-header")
        }
    })
    .await;
    let c = client(&server);
    let err = c
        .patch_identity_sync(PARTNER, &IdentitySyncPatch::default(), soon(10))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        GraphError::Api {
            status: 403,
            code: "Authorization_RequestDenied".into(),
            message: "Insufficient privileges to complete the operation.".into(),
            request_id: Some("req-inner".into()),
        }
    );
    let hint = err.summary_hint().unwrap();
    assert!(
        hint.contains("Policy.ReadWrite.CrossTenantAccess"),
        "{hint}"
    );
    assert!(hint.contains("Security Administrator"), "{hint}");
    assert!(err.to_string().contains("request-id: req-inner"));

    let err = c.put_identity_sync(&policy(), soon(10)).await.unwrap_err();
    assert_eq!(err.request_id(), Some("req-only-header"));
    assert_eq!(err.summary_hint(), None);
}
