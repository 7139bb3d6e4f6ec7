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
    use super::*;
    use crate::provider::testutil::sample_resource::{self, DEF};
    use serde_json::json;

    fn value(flag: Value, trust: Value) -> Value {
        sample_resource::value("x", flag, true, trust, Value::Null)
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

    /// Property tests of the PATCH rule: for any prior/planned pair, the PATCH holds exactly the
    /// changed top-level properties, and applying it to the prior object yields the planned one.
    mod props {
        use proptest::prelude::*;
        use serde_json::Value as Json;

        use crate::plugin::Value;

        use crate::provider::declarative::convert::{object_json, same};
        use crate::provider::declarative::diff::patch_body;
        use crate::provider::testutil::sample_resource::{self, DEF};

        fn opt_bool() -> impl Strategy<Value = Value> {
            prop_oneof![Just(Value::Null), any::<bool>().prop_map(Value::Bool)]
        }

        fn target() -> impl Strategy<Value = Value> {
            (
                prop::sample::select(vec!["AllUsers", "a", "b"]),
                prop::sample::select(vec!["user", "group"]),
            )
                .prop_map(|(t, k)| {
                    Value::object([
                        ("target", Value::string(t)),
                        ("target_type", Value::string(k)),
                    ])
                })
        }

        fn resource() -> impl Strategy<Value = Value> {
            let trust = prop_oneof![
                Just(Value::Null),
                (opt_bool(), opt_bool())
                    .prop_map(|(m, d)| Value::object([("mfa", m), ("device", d)])),
            ];
            let access = prop_oneof![
                Just(Value::Null),
                (
                    prop_oneof![
                        Just(Value::Null),
                        Just(Value::string("allowed")),
                        Just(Value::string("blocked"))
                    ],
                    prop::collection::vec(target(), 0..3),
                )
                    .prop_map(|(a, t)| {
                        let mut t = t;
                        t.dedup();
                        Value::object([("access_type", a), ("targets", Value::Set(t))])
                    }),
            ];
            (opt_bool(), any::<bool>(), trust, access).prop_map(
                |(flag, computed, trust, access)| {
                    sample_resource::value("x", flag, computed, trust, access)
                },
            )
        }

        /// Sets in JSON arrays compare without order.
        fn json_same(a: &Json, b: &Json) -> bool {
            match (a, b) {
                (Json::Array(x), Json::Array(y)) => {
                    x.len() == y.len() && x.iter().all(|i| y.iter().any(|j| json_same(i, j)))
                }
                (Json::Object(x), Json::Object(y)) => {
                    x.len() == y.len()
                        && x.iter()
                            .all(|(k, v)| y.get(k).is_some_and(|w| json_same(v, w)))
                }
                _ => a == b,
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn patch_holds_exactly_the_changes_and_applies_to_the_planned_object(
                prior in resource(),
                planned in resource(),
            ) {
                let patch = patch_body(&DEF, &prior, &planned).unwrap();
                for f in DEF.fields.iter().filter(|f| f.writable()) {
                    let json = f.json().unwrap();
                    let changed = !same(prior.attr(f.name), planned.attr(f.name));
                    prop_assert_eq!(patch.contains_key(json), changed, "{}", f.name);
                }
                // Nothing else: no key, no computed, no timeouts.
                prop_assert!(patch.keys().all(|k| ["isFlag", "trust", "access"].contains(&k.as_str())));
                let mut applied = object_json(&DEF, &prior).unwrap();
                for (k, v) in patch {
                    applied.insert(k, v);
                }
                let want = object_json(&DEF, &planned).unwrap();
                prop_assert!(
                    json_same(&Json::Object(applied.clone()), &Json::Object(want.clone())),
                    "{:?} != {:?}", applied, want
                );
            }

            #[test]
            fn set_order_never_causes_a_patch(prior in resource()) {
                let reversed = match prior.attr("access") {
                    Value::Object(_) => {
                        let targets = match prior.attr("access").attr("targets") {
                            Value::Set(t) => Value::Set(t.iter().rev().cloned().collect()),
                            other => other.clone(),
                        };
                        prior.with_attr("access", prior.attr("access").with_attr("targets", targets))
                    }
                    _ => prior.clone(),
                };
                prop_assert!(patch_body(&DEF, &prior, &reversed).unwrap().is_empty());
            }
        }
    }
}
