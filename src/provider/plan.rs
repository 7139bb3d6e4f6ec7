//! Pure plan logic: prior state + configuration -> planned state, replacement paths, and the
//! partial PATCH body an update sends. No I/O here.

use crate::graph::{IdentitySyncPatch, UserSyncInbound};
use crate::plugin::{AttributePath, Value};

use super::guid::guid_eq;
use super::state::{is_sync_allowed, DISPLAY_NAME, ID, TENANT_ID, TIMEOUTS, USER_SYNC_INBOUND};

/// The answer to PlanResourceChange.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub planned_state: Value,
    pub requires_replace: Vec<AttributePath>,
}

/// Plans a change. `prior` is null on create, `config` null on destroy.
///
/// Terraform requires planned values to equal the configuration for every non-computed
/// attribute (`tenant_id`, the blocks), so only `id` and `display_name` are decided here.
pub fn plan(prior: &Value, config: &Value) -> Plan {
    if config.is_null() {
        return Plan {
            planned_state: Value::Null,
            requires_replace: vec![],
        };
    }
    let config_tenant = config.attr(TENANT_ID);
    let same_object = match (prior.attr(TENANT_ID).as_str(), config_tenant.as_str()) {
        (Some(p), Some(c)) => guid_eq(p, c),
        _ => false,
    };
    if prior.is_null() || !same_object {
        let mut planned = plan_create(config);
        let requires_replace = if prior.is_null() {
            vec![]
        } else {
            vec![AttributePath::attrs([TENANT_ID])]
        };
        if !prior.is_null() {
            // A replacement: Terraform re-plans the create half with a null prior itself; this
            // answer only has to name the path and stay consistent with config.
            planned = planned.with_attr(ID, Value::Unknown);
            if config.attr(DISPLAY_NAME).is_null() {
                planned = planned.with_attr(DISPLAY_NAME, Value::Unknown);
            }
        }
        return Plan {
            planned_state: planned,
            requires_replace,
        };
    }
    Plan {
        planned_state: plan_update(prior, config),
        requires_replace: vec![],
    }
}

/// Create: `id` is the tenant ID when known; an unset `display_name` stays null (nothing is
/// read back after PUT, so null is what the new state will hold).
fn plan_create(config: &Value) -> Value {
    let tenant = config.attr(TENANT_ID).clone();
    let id = match &tenant {
        Value::String(_) => tenant.clone(),
        _ => Value::Unknown,
    };
    Value::object([
        (ID, id),
        (TENANT_ID, tenant),
        (DISPLAY_NAME, config.attr(DISPLAY_NAME).clone()),
        (USER_SYNC_INBOUND, config.attr(USER_SYNC_INBOUND).clone()),
        (TIMEOUTS, config.attr(TIMEOUTS).clone()),
    ])
}

/// Update in place: `tenant_id` takes the configuration's spelling (a case-only change is no
/// change), `id` stays, an unset `display_name` keeps the value Graph holds.
fn plan_update(prior: &Value, config: &Value) -> Value {
    let display_name = match config.attr(DISPLAY_NAME) {
        Value::Null => prior.attr(DISPLAY_NAME).clone(),
        other => other.clone(),
    };
    let id = match prior.attr(ID) {
        Value::String(s) => Value::string(s.clone()),
        _ => config.attr(TENANT_ID).clone(),
    };
    Value::object([
        (ID, id),
        (TENANT_ID, config.attr(TENANT_ID).clone()),
        (DISPLAY_NAME, display_name),
        (USER_SYNC_INBOUND, config.attr(USER_SYNC_INBOUND).clone()),
        (TIMEOUTS, config.attr(TIMEOUTS).clone()),
    ])
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
    let mut patch = IdentitySyncPatch::default();
    match planned.attr(DISPLAY_NAME) {
        Value::String(name) => {
            if prior.attr(DISPLAY_NAME).as_str() != Some(name.as_str()) {
                patch.display_name = Some(Some(name.clone()));
            }
        }
        // Unset in config keeps Graph's value: never PATCH displayName to null.
        Value::Null => {}
        _ => {
            return Err(PatchError::Unknown {
                attribute: DISPLAY_NAME.into(),
            })
        }
    }
    let allowed = is_sync_allowed(planned).ok_or_else(|| PatchError::Unknown {
        attribute: format!("{USER_SYNC_INBOUND}.is_sync_allowed"),
    })?;
    if is_sync_allowed(prior) != Some(allowed) {
        patch.user_sync_inbound = Some(UserSyncInbound {
            is_sync_allowed: allowed,
        });
    }
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::state::{resource_value, user_sync_inbound_value};

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
