//! Values <-> Graph JSON by the declarative description: request bodies from planned values,
//! state from a GET body, and set-aware comparison.

use serde_json::{Map, Value as Json};

use crate::plugin::Value;

use super::{Field, Kind, Presence, ResourceDef, Role};

/// A value still unknown where a known one is needed (apply time): names the attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub attribute: String,
}

/// Graph JSON for one attribute value. Nulls inside blocks are left out: Graph replaces a
/// complex value whole, and an unset nested property is simply not sent.
pub fn to_json(name: &str, kind: Kind, value: &Value) -> Result<Json, Unknown> {
    let unknown = || Unknown {
        attribute: name.to_string(),
    };
    Ok(match (kind, value) {
        (_, Value::Unknown) => return Err(unknown()),
        (_, Value::Null) => Json::Null,
        (Kind::Bool, Value::Bool(b)) => Json::Bool(*b),
        (Kind::String | Kind::Enum(_) | Kind::TenantId, Value::String(s)) => {
            Json::String(s.clone())
        }
        (Kind::Block(fields), Value::Object(_)) => Json::Object(block_json(name, fields, value)?),
        (Kind::BlockSet(fields), Value::Set(items) | Value::List(items)) => Json::Array(
            items
                .iter()
                .map(|item| block_json(name, fields, item).map(Json::Object))
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(unknown()),
    })
}

fn block_json(path: &str, fields: &[Field], value: &Value) -> Result<Map<String, Json>, Unknown> {
    let mut out = Map::new();
    for f in fields {
        let Some(json) = f.json() else { continue };
        let v = to_json(&format!("{path}.{}", f.name), f.kind, value.attr(f.name))?;
        if !v.is_null() {
            out.insert(json.to_string(), v);
        }
    }
    Ok(out)
}

/// A value from Graph JSON. `prior` is what state held at this place: inside a block that state
/// holds, an optional attribute state holds as null stays null (the configuration leaves it
/// unset, so Graph's value there is not drift). With `collapse`, a block whose every attribute
/// is null (or an empty set) and that state did not hold becomes null, so unset settings read
/// back (import, generated configuration) as absent rather than as empty blocks.
pub fn from_json(kind: Kind, json: Option<&Json>, prior: &Value, collapse: bool) -> Value {
    match kind {
        Kind::Bool => json
            .and_then(Json::as_bool)
            .map(Value::Bool)
            .unwrap_or(Value::Null),
        Kind::String | Kind::Enum(_) | Kind::TenantId => json
            .and_then(Json::as_str)
            .map(Value::string)
            .unwrap_or(Value::Null),
        Kind::Block(fields) => {
            let Some(obj) = json.and_then(Json::as_object) else {
                return Value::Null;
            };
            let held = matches!(prior, Value::Object(_));
            let value = Value::object(fields.iter().filter_map(|f| {
                let json = f.json()?;
                let prior_v = prior.attr(f.name);
                let v = if held && prior_v.is_null() && f.presence == Presence::Optional {
                    Value::Null
                } else {
                    from_json(f.kind, obj.get(json), prior_v, collapse)
                };
                Some((f.name, v))
            }));
            if collapse && !held && is_empty_block(&value) {
                Value::Null
            } else {
                value
            }
        }
        Kind::BlockSet(fields) => {
            let items = json.and_then(Json::as_array).cloned().unwrap_or_default();
            Value::Set(
                items
                    .iter()
                    .map(|item| from_json(Kind::Block(fields), Some(item), &Value::Null, false))
                    .collect(),
            )
        }
    }
}

fn is_empty_block(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.values().all(|v| match v {
            Value::Null => true,
            Value::Set(items) => items.is_empty(),
            _ => false,
        }),
        _ => true,
    }
}

/// Equality where sets compare regardless of order (at any depth).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len()
                && x.iter().all(|i| {
                    x.iter().filter(|j| same(i, j)).count()
                        == y.iter().filter(|j| same(i, j)).count()
                })
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(i, j)| same(i, j))
        }
        _ => a == b,
    }
}

/// Every writable Graph property of a resource value, null ones included, as Graph JSON.
pub fn object_json(def: &ResourceDef, value: &Value) -> Result<Map<String, Json>, Unknown> {
    let mut out = Map::new();
    for f in def.fields.iter().filter(|f| f.writable()) {
        if let Some(json) = f.json() {
            out.insert(
                json.to_string(),
                to_json(f.name, f.kind, value.attr(f.name))?,
            );
        }
    }
    Ok(out)
}

/// A create body (POST/PUT): the properties the configuration sets, the key when `with_key`.
pub fn create_body(
    def: &ResourceDef,
    planned: &Value,
    with_key: bool,
) -> Result<Map<String, Json>, Unknown> {
    let mut out: Map<String, Json> = object_json(def, planned)?
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .collect();
    if let (true, Some(key)) = (with_key, def.key()) {
        if let Some(json) = key.json() {
            out.insert(
                json.to_string(),
                to_json(key.name, key.kind, planned.attr(key.name))?,
            );
        }
    }
    Ok(out)
}

/// State after a read: Graph's values for what the configuration manages, the prior spelling
/// of the key (Graph answers GUIDs in lower case), the prior `id` and `timeouts`. `prior` is
/// null on import: then every property comes from Graph, unset ones as null.
pub fn state_from_graph(def: &ResourceDef, prior: &Value, key: &str, graph: &Json) -> Value {
    let refreshing = !prior.is_null();
    let key_value = match def.key() {
        Some(k) => {
            let from_graph = k.json().and_then(|j| graph.get(j)).and_then(Json::as_str);
            match from_graph {
                Some(g) if !g.eq_ignore_ascii_case(key) && !g.is_empty() => g.to_string(),
                _ => key.to_string(),
            }
        }
        None => key.to_string(),
    };
    Value::object(def.fields.iter().map(|f| {
        let prior_v = prior.attr(f.name);
        let v = match f.role {
            Role::Key(_) => Value::string(key_value.clone()),
            Role::Id => match prior_v.as_str() {
                Some(id) if id.eq_ignore_ascii_case(&key_value) => prior_v.clone(),
                _ => Value::string(key_value.clone()),
            },
            Role::Timeouts => prior_v.clone(),
            Role::Graph(json) => {
                if refreshing && prior_v.is_null() && f.presence == Presence::Optional {
                    Value::Null
                } else {
                    from_json(f.kind, graph.get(json), prior_v, true)
                }
            }
        };
        (f.name, v)
    }))
}

/// The planned value with its computed Graph properties filled from Graph's answer (a POST's
/// 201 body, or a GET before PATCH).
pub fn fill_computed(def: &ResourceDef, planned: &Value, graph: &Json) -> Value {
    def.fields
        .iter()
        .filter(|f| f.presence == Presence::Computed)
        .fold(planned.clone(), |acc, f| match f.role {
            Role::Graph(json) => acc.with_attr(
                f.name,
                from_json(f.kind, graph.get(json), &Value::Null, true),
            ),
            _ => acc,
        })
}

/// The data source's value: the key as configured, every property from Graph.
pub fn data_source_value(def: &ResourceDef, key: &str, graph: &Json, config: &Value) -> Value {
    Value::object(def.fields.iter().map(|f| {
        let v = match f.role {
            Role::Key(_) | Role::Id => Value::string(key),
            Role::Timeouts => config.attr(f.name).clone(),
            Role::Graph(json) => from_json(f.kind, graph.get(json), &Value::Null, false),
        };
        (f.name, v)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::testutil::sample_resource::{self, DEF};
    use serde_json::json;

    const T: &str = "90E29127-71AD-49C7-9CE8-DB3F41EA06F1";

    fn graph() -> Json {
        json!({
            "tenantId": T.to_lowercase(),
            "isFlag": null,
            "isComputed": true,
            "trust": {"isMfaAccepted": true, "isDeviceAccepted": false},
            "access": {"accessType": null, "targets": []},
        })
    }

    #[test]
    fn import_reads_everything_and_drops_empty_blocks() {
        let s = state_from_graph(&DEF, &Value::Null, T, &graph());
        assert_eq!(s.attr("tenant_id"), &Value::string(T));
        assert_eq!(s.attr("id"), &Value::string(T));
        assert_eq!(s.attr("computed"), &Value::Bool(true));
        assert_eq!(s.attr("trust").attr("device"), &Value::Bool(false));
        assert_eq!(s.attr("access"), &Value::Null);
        assert_eq!(s.attr("timeouts"), &Value::Null);
    }

    #[test]
    fn refresh_ignores_what_the_configuration_leaves_unset() {
        let trust = Value::object([("mfa", Value::Bool(false)), ("device", Value::Null)]);
        let prior = sample_resource::value(T, Value::Null, false, trust, Value::Null);
        let mut g = graph();
        g["isFlag"] = json!(true);
        g["access"] = json!({"accessType": "allowed", "targets": []});
        let s = state_from_graph(&DEF, &prior, T, &g);
        // drift in a managed value shows; unmanaged ones stay null
        assert_eq!(
            s.attr("trust"),
            &Value::object([("mfa", Value::Bool(true)), ("device", Value::Null)])
        );
        assert_eq!(s.attr("flag"), &Value::Null);
        assert_eq!(s.attr("access"), &Value::Null);
        assert_eq!(s.attr("computed"), &Value::Bool(true));
    }

    #[test]
    fn sets_compare_without_order() {
        let a = Value::object([("x", Value::string("a"))]);
        let b = Value::object([("x", Value::string("b"))]);
        assert!(same(
            &Value::Set(vec![a.clone(), b.clone()]),
            &Value::Set(vec![b.clone(), a.clone()])
        ));
        assert!(!same(
            &Value::Set(vec![a.clone(), a.clone()]),
            &Value::Set(vec![a, b])
        ));
    }

    #[test]
    fn create_body_holds_only_what_is_set_and_the_key() {
        let planned = state_from_graph(&DEF, &Value::Null, T, &graph());
        let body = create_body(&DEF, &planned, true).unwrap();
        assert_eq!(
            Json::Object(body),
            json!({"tenantId": T, "trust": {"isMfaAccepted": true, "isDeviceAccepted": false}})
        );
        let unknown = planned.with_attr("flag", Value::Unknown);
        assert_eq!(
            create_body(&DEF, &unknown, true),
            Err(Unknown {
                attribute: "flag".into()
            })
        );
    }
}
