//! The identity sync resource's state value: attribute names, and state from what Graph holds
//! (by the declarative description in schema.rs).

use crate::graph::IdentitySyncPolicy;
use crate::plugin::Value;

use super::declarative::convert::{create_body, state_from_graph};
use super::schema::IDENTITY_SYNC;

pub const ID: &str = "id";
pub const TENANT_ID: &str = "tenant_id";
pub const DISPLAY_NAME: &str = "display_name";
pub const USER_SYNC_INBOUND: &str = "user_sync_inbound";
pub const IS_SYNC_ALLOWED: &str = "is_sync_allowed";
pub const TIMEOUTS: &str = "timeouts";

/// `user_sync_inbound { is_sync_allowed = ... }` as a value.
pub fn user_sync_inbound_value(is_sync_allowed: bool) -> Value {
    Value::object([(IS_SYNC_ALLOWED, Value::Bool(is_sync_allowed))])
}

/// `user_sync_inbound.is_sync_allowed` of a resource value, when known.
pub fn is_sync_allowed(resource: &Value) -> Option<bool> {
    resource
        .attr(USER_SYNC_INBOUND)
        .attr(IS_SYNC_ALLOWED)
        .as_bool()
}

fn optional_string(value: Option<&str>) -> Value {
    value.map(Value::string).unwrap_or(Value::Null)
}

/// A full resource value.
pub fn resource_value(
    id: &str,
    tenant_id: &str,
    display_name: Option<&str>,
    is_sync_allowed: bool,
    timeouts: Value,
) -> Value {
    Value::object([
        (ID, Value::string(id)),
        (TENANT_ID, Value::string(tenant_id)),
        (DISPLAY_NAME, optional_string(display_name)),
        (USER_SYNC_INBOUND, user_sync_inbound_value(is_sync_allowed)),
        (TIMEOUTS, timeouts),
    ])
}

/// The policy as Graph JSON, key included (the typed model never serializes it).
pub fn policy_json(policy: &IdentitySyncPolicy) -> serde_json::Value {
    let mut json = serde_json::to_value(policy).unwrap_or_default();
    if let Some(obj) = json.as_object_mut() {
        obj.insert("tenantId".into(), policy.tenant_id.clone().into());
    }
    json
}

/// New state after a refresh: Graph's values, but the user's spelling of the GUID (Graph answers
/// in lower case), the prior `id` and the prior `timeouts` block.
pub fn refreshed_state(prior: &Value, policy: &IdentitySyncPolicy) -> Value {
    let key = prior.attr(TENANT_ID).as_str().unwrap_or(&policy.tenant_id);
    state_from_graph(&IDENTITY_SYNC, prior, key, &policy_json(policy))
}

/// Imported state: the user's spelling of the GUID, no timeouts block.
pub fn imported_state(tenant_id: &str, policy: &IdentitySyncPolicy) -> Value {
    state_from_graph(
        &IDENTITY_SYNC,
        &Value::Null,
        tenant_id,
        &policy_json(policy),
    )
}

/// The PUT body for a planned (fully known) resource value, by the declarative description;
/// `None` if something is unknown.
pub fn policy_from_planned(planned: &Value) -> Option<IdentitySyncPolicy> {
    let body = create_body(&IDENTITY_SYNC, planned, true).ok()?;
    serde_json::from_value(serde_json::Value::Object(body)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::UserSyncInbound;

    const UPPER: &str = "90E29127-71AD-49C7-9CE8-DB3F41EA06F1";
    const LOWER: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";

    fn graph(display_name: Option<&str>, allowed: bool) -> IdentitySyncPolicy {
        IdentitySyncPolicy {
            tenant_id: LOWER.into(),
            display_name: display_name.map(str::to_string),
            user_sync_inbound: UserSyncInbound {
                is_sync_allowed: allowed,
            },
        }
    }

    #[test]
    fn refresh_keeps_the_users_spelling_and_timeouts() {
        let timeouts = Value::object([
            ("create", Value::string("1m")),
            ("read", Value::Null),
            ("update", Value::Null),
            ("delete", Value::Null),
        ]);
        let prior = resource_value(UPPER, UPPER, None, true, timeouts.clone());
        let new = refreshed_state(&prior, &graph(Some("Contoso"), false));
        assert_eq!(
            new,
            resource_value(UPPER, UPPER, Some("Contoso"), false, timeouts)
        );
    }

    #[test]
    fn imported_state_has_every_attribute() {
        let s = imported_state(UPPER, &graph(None, true));
        assert_eq!(s.attr(ID), &Value::string(UPPER));
        assert_eq!(s.attr(DISPLAY_NAME), &Value::Null);
        assert_eq!(is_sync_allowed(&s), Some(true));
        assert_eq!(s.attr(TIMEOUTS), &Value::Null);
    }

    #[test]
    fn put_body_from_plan() {
        let planned = resource_value(UPPER, UPPER, None, true, Value::Null);
        assert_eq!(
            policy_from_planned(&planned),
            Some(IdentitySyncPolicy {
                tenant_id: UPPER.into(),
                display_name: None,
                user_sync_inbound: UserSyncInbound {
                    is_sync_allowed: true
                },
            })
        );
        let unknown = planned.with_attr(DISPLAY_NAME, Value::Unknown);
        assert_eq!(policy_from_planned(&unknown), None);
    }
}
