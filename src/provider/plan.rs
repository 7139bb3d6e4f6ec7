//! Pure plan logic of the identity sync resource: planned state and the partial PATCH body,
//! both by the declarative layer (declarative/plan.rs, declarative/diff.rs). No I/O here.

use crate::graph::{IdentitySyncPatch, UserSyncInbound};
use crate::plugin::Value;

use super::declarative::{diff, plan as declarative_plan};
use super::schema::IDENTITY_SYNC;

pub use super::declarative::plan::Plan;

/// Plans a change. `prior` is null on create, `config` null on destroy.
pub fn plan(prior: &Value, config: &Value) -> Plan {
    declarative_plan::plan(&IDENTITY_SYNC, prior, config)
}

/// Why a PATCH body could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchError {
    /// A planned value is still unknown at apply time.
    Unknown { attribute: String },
}

/// The PATCH body for an in-place update: only the properties whose planned value differs
/// from the prior state. Empty means "send nothing".
pub fn patch_body(prior: &Value, planned: &Value) -> Result<IdentitySyncPatch, PatchError> {
    let body =
        diff::patch_body(&IDENTITY_SYNC, prior, planned).map_err(|u| PatchError::Unknown {
            attribute: u.attribute,
        })?;
    let mut patch = IdentitySyncPatch::default();
    if let Some(name) = body.get("displayName") {
        patch.display_name = Some(name.as_str().map(str::to_string));
    }
    if let Some(sync) = body.get("userSyncInbound") {
        let sync: UserSyncInbound =
            serde_json::from_value(sync.clone()).map_err(|_| PatchError::Unknown {
                attribute: "user_sync_inbound.is_sync_allowed".into(),
            })?;
        patch.user_sync_inbound = Some(sync);
    }
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::AttributePath;
    use crate::provider::state::{resource_value, user_sync_inbound_value};
    use crate::provider::state::{DISPLAY_NAME, ID, TENANT_ID, TIMEOUTS, USER_SYNC_INBOUND};

    const TID: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";
    const TID_UPPER: &str = "90E29127-71AD-49C7-9CE8-DB3F41EA06F1";
    const OTHER: &str = "11111111-2222-3333-4444-555555555555";

    fn config(tenant: Value, display_name: Value, allowed: Value) -> Value {
        Value::object([
            (ID, Value::Null),
            (TENANT_ID, tenant),
            (DISPLAY_NAME, display_name),
            (
                USER_SYNC_INBOUND,
                Value::object([("is_sync_allowed", allowed)]),
            ),
            (TIMEOUTS, Value::Null),
        ])
    }

    fn prior(display_name: Option<&str>, allowed: bool) -> Value {
        resource_value(TID, TID, display_name, allowed, Value::Null)
    }

    fn patch_json(prior: &Value, planned: &Value) -> serde_json::Value {
        serde_json::to_value(patch_body(prior, planned).unwrap()).unwrap()
    }

    #[test]
    fn create_plans_id_from_tenant_and_keeps_unset_name_null() {
        let cfg = config(Value::string(TID), Value::Null, Value::Bool(true));
        let p = plan(&Value::Null, &cfg);
        assert!(p.requires_replace.is_empty());
        assert_eq!(
            p.planned_state,
            resource_value(TID, TID, None, true, Value::Null)
        );
    }

    #[test]
    fn create_with_unknown_tenant_plans_unknown_id() {
        let cfg = config(Value::Unknown, Value::string("A"), Value::Unknown);
        let p = plan(&Value::Null, &cfg);
        assert!(p.requires_replace.is_empty());
        assert_eq!(p.planned_state.attr(ID), &Value::Unknown);
        assert_eq!(p.planned_state.attr(TENANT_ID), &Value::Unknown);
        assert_eq!(p.planned_state.attr(DISPLAY_NAME), &Value::string("A"));
        assert_eq!(
            p.planned_state.attr(USER_SYNC_INBOUND),
            &Value::object([("is_sync_allowed", Value::Unknown)])
        );
    }

    #[test]
    fn no_change_plans_exactly_the_prior_state_and_no_patch() {
        let prior = prior(Some("Contoso"), true);
        let cfg = config(
            Value::string(TID),
            Value::string("Contoso"),
            Value::Bool(true),
        );
        let p = plan(&prior, &cfg);
        assert_eq!(p.planned_state, prior);
        assert!(p.requires_replace.is_empty());
        assert!(patch_body(&prior, &p.planned_state).unwrap().is_empty());
    }

    #[test]
    fn single_attribute_changes_patch_only_that_property() {
        let prior = prior(Some("Contoso"), true);
        let cases = [
            (
                "displayName alone",
                config(
                    Value::string(TID),
                    Value::string("Fabrikam"),
                    Value::Bool(true),
                ),
                serde_json::json!({"displayName": "Fabrikam"}),
            ),
            (
                "userSyncInbound alone",
                config(
                    Value::string(TID),
                    Value::string("Contoso"),
                    Value::Bool(false),
                ),
                serde_json::json!({"userSyncInbound": {"isSyncAllowed": false}}),
            ),
            (
                "both",
                config(
                    Value::string(TID),
                    Value::string("Fabrikam"),
                    Value::Bool(false),
                ),
                serde_json::json!({"displayName": "Fabrikam", "userSyncInbound": {"isSyncAllowed": false}}),
            ),
        ];
        for (name, cfg, want) in cases {
            let p = plan(&prior, &cfg);
            assert!(p.requires_replace.is_empty(), "{name}");
            assert_eq!(patch_json(&prior, &p.planned_state), want, "{name}");
        }
    }

    #[test]
    fn removing_display_name_from_config_keeps_prior_and_patches_nothing() {
        let prior = prior(Some("Contoso"), true);
        let cfg = config(Value::string(TID), Value::Null, Value::Bool(true));
        let p = plan(&prior, &cfg);
        assert_eq!(p.planned_state, prior);
        assert!(patch_body(&prior, &p.planned_state).unwrap().is_empty());
    }

    #[test]
    fn removing_display_name_while_changing_sync_patches_only_sync() {
        let prior = prior(Some("Contoso"), true);
        let cfg = config(Value::string(TID), Value::Null, Value::Bool(false));
        let p = plan(&prior, &cfg);
        assert_eq!(
            p.planned_state.attr(DISPLAY_NAME),
            &Value::string("Contoso")
        );
        assert_eq!(
            patch_json(&prior, &p.planned_state),
            serde_json::json!({"userSyncInbound": {"isSyncAllowed": false}})
        );
    }

    #[test]
    fn display_name_filled_in_by_graph_is_no_diff() {
        // Created without a name; a refresh took Graph's value into state.
        let prior = prior(Some("Contoso Ltd"), true);
        let cfg = config(Value::string(TID), Value::Null, Value::Bool(true));
        assert_eq!(plan(&prior, &cfg).planned_state, prior);
    }

    #[test]
    fn case_only_tenant_change_is_not_a_replacement() {
        let prior = prior(Some("Contoso"), true);
        let cfg = config(
            Value::string(TID_UPPER),
            Value::string("Contoso"),
            Value::Bool(true),
        );
        let p = plan(&prior, &cfg);
        assert!(p.requires_replace.is_empty());
        // Non-computed: the plan must equal config.
        assert_eq!(p.planned_state.attr(TENANT_ID), &Value::string(TID_UPPER));
        assert_eq!(p.planned_state.attr(ID), &Value::string(TID));
        assert!(patch_body(&prior, &p.planned_state).unwrap().is_empty());
    }

    #[test]
    fn real_tenant_change_requires_replacement() {
        let prior = prior(Some("Contoso"), true);
        let cfg = config(
            Value::string(OTHER),
            Value::string("Contoso"),
            Value::Bool(true),
        );
        let p = plan(&prior, &cfg);
        assert_eq!(
            p.requires_replace,
            vec![AttributePath::attrs(["tenant_id"])]
        );
        assert_eq!(p.planned_state.attr(TENANT_ID), &Value::string(OTHER));
        assert_eq!(p.planned_state.attr(ID), &Value::Unknown);
    }

    #[test]
    fn unknown_tenant_on_update_plans_a_replacement_cleanly() {
        let prior = prior(Some("Contoso"), true);
        let cfg = config(Value::Unknown, Value::Null, Value::Bool(true));
        let p = plan(&prior, &cfg);
        assert_eq!(
            p.requires_replace,
            vec![AttributePath::attrs(["tenant_id"])]
        );
        assert_eq!(p.planned_state.attr(ID), &Value::Unknown);
        assert_eq!(p.planned_state.attr(TENANT_ID), &Value::Unknown);
    }

    #[test]
    fn unknown_values_on_update_stay_unknown() {
        let prior = prior(Some("Contoso"), true);
        let cfg = config(Value::string(TID), Value::Unknown, Value::Unknown);
        let p = plan(&prior, &cfg);
        assert!(p.requires_replace.is_empty());
        assert_eq!(p.planned_state.attr(DISPLAY_NAME), &Value::Unknown);
        assert_eq!(
            patch_body(&prior, &p.planned_state),
            Err(PatchError::Unknown {
                attribute: "display_name".into()
            })
        );
    }

    #[test]
    fn timeouts_follow_config() {
        let prior = prior(None, true);
        let timeouts = Value::object([
            ("create", Value::string("1m")),
            ("read", Value::Null),
            ("update", Value::Null),
            ("delete", Value::Null),
        ]);
        let cfg = config(Value::string(TID), Value::Null, Value::Bool(true))
            .with_attr(TIMEOUTS, timeouts.clone());
        let p = plan(&prior, &cfg);
        assert_eq!(p.planned_state.attr(TIMEOUTS), &timeouts);
        assert!(patch_body(&prior, &p.planned_state).unwrap().is_empty());
    }

    #[test]
    fn destroy_plans_null() {
        let p = plan(&prior(None, true), &Value::Null);
        assert_eq!(p.planned_state, Value::Null);
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn sync_block_value_shape() {
        assert_eq!(
            user_sync_inbound_value(true),
            Value::object([("is_sync_allowed", Value::Bool(true))])
        );
    }
}
