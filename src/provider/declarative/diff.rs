//! The one diff -> PATCH rule: exactly the top-level Graph properties whose planned value
//! differs from the prior state, each sent whole (Graph replaces complex values), a removed one
//! as null when its plan behaviour says so.

use serde_json::{Map, Value as Json};

use crate::plugin::Value;

use super::convert::{same, to_json, Unknown};
use super::ResourceDef;
use crate::provider::plan_modifiers::PlanModifier;

/// The PATCH body for an in-place update; empty means "send nothing".
pub fn patch_body(
    def: &ResourceDef,
    prior: &Value,
    planned: &Value,
) -> Result<Map<String, Json>, Unknown> {
    let mut patch = Map::new();
    for f in def.fields.iter().filter(|f| f.writable()) {
        let Some(json) = f.json() else { continue };
        let new = planned.attr(f.name);
        if new.contains_unknown() {
            return Err(Unknown {
                attribute: f.name.to_string(),
            });
        }
        if same(new, prior.attr(f.name)) {
            continue;
        }
        if new.is_null() && !f.has(PlanModifier::NullWhenRemoved) {
            // Unset keeps Graph's value (display_name) or stops managing it: never PATCH null.
            continue;
        }
        patch.insert(json.to_string(), to_json(f.name, f.kind, new)?);
    }
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use super::super::test_defs::DEF;
    use super::*;
    use serde_json::json;

    fn value(flag: Value, trust: Value) -> Value {
        Value::object([
            ("id", Value::string("x")),
            ("tenant_id", Value::string("x")),
            ("flag", flag),
            ("computed", Value::Bool(true)),
            ("trust", trust),
            ("access", Value::Null),
            ("timeouts", Value::Null),
        ])
    }

    #[test]
    fn a_changed_block_is_sent_whole_and_a_removed_one_as_null() {
        let trust = |mfa: bool| Value::object([("mfa", Value::Bool(mfa)), ("device", Value::Null)]);
        let prior = value(Value::Bool(true), trust(true));
        let changed = value(Value::Bool(true), trust(false));
        assert_eq!(
            Json::Object(patch_body(&DEF, &prior, &changed).unwrap()),
            json!({"trust": {"isMfaAccepted": false}})
        );
        let removed = value(Value::Null, trust(true));
        assert_eq!(
            Json::Object(patch_body(&DEF, &prior, &removed).unwrap()),
            json!({"isFlag": null})
        );
        assert!(patch_body(&DEF, &prior, &prior).unwrap().is_empty());
        let unknown = value(Value::Unknown, trust(true));
        assert_eq!(
            patch_body(&DEF, &prior, &unknown),
            Err(Unknown {
                attribute: "flag".into()
            })
        );
    }
}
