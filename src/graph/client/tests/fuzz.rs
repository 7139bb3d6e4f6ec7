//! Property tests: the response parsers take arbitrary bytes and JSON noise without panicking.

use crate::graph::client::*;
use proptest::prelude::*;

fn response(status: u16, content_type: &str, body: Vec<u8>) -> RawResponse {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert("content-type", v);
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes never panic the response parsers: they decode or give an error.
    #[test]
    fn parsers_take_arbitrary_bytes(
        status in 100u16..600,
        json_ct in any::<bool>(),
        body in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let ct = if json_ct { "application/json" } else { "text/html" };
        let r = response(status, ct, body);
        let _ = decode_policy("GET x", "partner", &r);
        let err = api_error("GET x", &r);
        prop_assert_eq!(err.status(), Some(status));
        let _ = error_code(&r);
        let _ = crate::graph::retry_loop::describe_response(&r);
    }

    /// JSON-shaped noise around the real fields: still decodes or names the problem.
    #[test]
    fn policy_like_json_decodes_or_errors(
        tenant in ".{0,20}",
        allowed in any::<bool>(),
        extra in "[a-z]{1,8}",
        drop_inbound in any::<bool>(),
    ) {
        let mut value = serde_json::json!({
            "tenantId": tenant,
            "userSyncInbound": {"isSyncAllowed": allowed},
        });
        value[extra.as_str()] = serde_json::json!({"nested": [1, 2]});
        if drop_inbound {
            if let Some(map) = value.as_object_mut() {
                map.remove("userSyncInbound");
            }
        }
        let r = response(200, "application/json", value.to_string().into_bytes());
        match decode_policy("GET x", "partner", &r) {
            Ok(p) => {
                prop_assert!(!drop_inbound);
                let expected = if tenant.is_empty() { "partner".to_string() } else { tenant };
                prop_assert_eq!(p.tenant_id, expected);
                prop_assert_eq!(p.user_sync_inbound.is_sync_allowed, allowed);
            }
            Err(GraphError::Incomplete { field, message }) => {
                // Only a missing userSyncInbound may fail, naming it; extra fields never do.
                prop_assert!(drop_inbound, "{}", message);
                prop_assert_eq!(field, "userSyncInbound");
            }
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}
