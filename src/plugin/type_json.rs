//! cty type descriptions in JSON (`"string"`, `["list","number"]`, `["object",{..}]` ...), as
//! schemas and dynamic values carry them.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use super::Type;

const MAX_DEPTH: usize = 64;

/// Why JSON is not a cty type description.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeJsonError {
    pub detail: String,
}

impl TypeJsonError {
    fn new(detail: impl Into<String>) -> TypeJsonError {
        TypeJsonError {
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for TypeJsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for TypeJsonError {}

impl From<String> for TypeJsonError {
    fn from(detail: String) -> TypeJsonError {
        TypeJsonError { detail }
    }
}

impl From<&str> for TypeJsonError {
    fn from(detail: &str) -> TypeJsonError {
        TypeJsonError::new(detail)
    }
}

/// The JSON description of a type.
pub fn type_to_json(ty: &Type) -> Json {
    match ty {
        Type::String => json!("string"),
        Type::Number => json!("number"),
        Type::Bool => json!("bool"),
        Type::Dynamic => json!("dynamic"),
        Type::List(t) => json!(["list", type_to_json(t)]),
        Type::Set(t) => json!(["set", type_to_json(t)]),
        Type::Map(t) => json!(["map", type_to_json(t)]),
        Type::Object(attrs) => {
            let obj: serde_json::Map<String, Json> = attrs
                .iter()
                .map(|(k, t)| (k.clone(), type_to_json(t)))
                .collect();
            json!(["object", obj])
        }
        Type::Tuple(elems) => json!(["tuple", elems.iter().map(type_to_json).collect::<Vec<_>>()]),
    }
}

/// The compact JSON bytes of a type (the schema `type` field).
pub fn type_to_json_bytes(ty: &Type) -> Vec<u8> {
    type_to_json(ty).to_string().into_bytes()
}

/// Parses a type description; the error says what is wrong.
pub fn type_from_json(json: &Json) -> Result<Type, TypeJsonError> {
    parse(json, 0)
}

/// Parses type description bytes.
pub fn type_from_json_bytes(bytes: &[u8]) -> Result<Type, TypeJsonError> {
    let json: Json = serde_json::from_slice(bytes).map_err(|e| TypeJsonError {
        detail: e.to_string(),
    })?;
    type_from_json(&json)
}

fn parse(json: &Json, depth: usize) -> Result<Type, TypeJsonError> {
    if depth > MAX_DEPTH {
        return Err(TypeJsonError::new("type nested too deeply"));
    }
    match json {
        Json::String(s) => match s.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(TypeJsonError::new(format!(
                "unknown primitive type {other:?}"
            ))),
        },
        Json::Array(items) => {
            let kind = items.first().and_then(Json::as_str).unwrap_or_default();
            let arg = items
                .get(1)
                .ok_or_else(|| format!("{kind:?} needs an argument"))?;
            match kind {
                "list" => Ok(Type::List(Box::new(parse(arg, depth + 1)?))),
                "set" => Ok(Type::Set(Box::new(parse(arg, depth + 1)?))),
                "map" => Ok(Type::Map(Box::new(parse(arg, depth + 1)?))),
                "object" => {
                    let attrs = arg
                        .as_object()
                        .ok_or("object attributes must be a JSON object")?;
                    // A third element lists optional attributes: irrelevant to the wire.
                    let mut out = BTreeMap::new();
                    for (k, v) in attrs {
                        out.insert(k.clone(), parse(v, depth + 1)?);
                    }
                    Ok(Type::Object(out))
                }
                "tuple" => {
                    let elems = arg
                        .as_array()
                        .ok_or("tuple elements must be a JSON array")?;
                    let elems = elems
                        .iter()
                        .map(|e| parse(e, depth + 1))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(Type::Tuple(elems))
                }
                other => Err(TypeJsonError::new(format!("unknown type kind {other:?}"))),
            }
        }
        other => Err(TypeJsonError::new(format!("not a type: {other}"))),
    }
}

/// A short human name for a type, for error messages.
pub(crate) fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "string".into(),
        Type::Number => "number".into(),
        Type::Bool => "bool".into(),
        Type::Dynamic => "any value".into(),
        Type::List(t) => format!("list of {}", type_name(t)),
        Type::Set(t) => format!("set of {}", type_name(t)),
        Type::Map(t) => format!("map of {}", type_name(t)),
        Type::Object(_) => "object".into(),
        Type::Tuple(_) => "tuple".into(),
    }
}

/// The type a dynamic value is written with, read off the value itself (unknown and null parts
/// are `dynamic`; a collection takes its first element's type).
pub(crate) fn infer_type(value: &super::Value) -> Type {
    use super::Value as V;
    let elem = |items: &[V]| items.first().map(infer_type).unwrap_or(Type::Dynamic);
    match value {
        V::Null | V::Unknown => Type::Dynamic,
        V::String(_) => Type::String,
        V::Number(_) => Type::Number,
        V::Bool(_) => Type::Bool,
        V::List(items) => Type::List(Box::new(elem(items))),
        V::Set(items) => Type::Set(Box::new(elem(items))),
        V::Tuple(items) => Type::Tuple(items.iter().map(infer_type).collect()),
        V::Map(m) => Type::Map(Box::new(
            m.values().next().map(infer_type).unwrap_or(Type::Dynamic),
        )),
        V::Object(m) => Type::Object(m.iter().map(|(k, v)| (k.clone(), infer_type(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind() {
        let ty = Type::Object(BTreeMap::from([
            ("a".to_string(), Type::List(Box::new(Type::String))),
            ("b".to_string(), Type::Set(Box::new(Type::Number))),
            ("c".to_string(), Type::Map(Box::new(Type::Bool))),
            (
                "d".to_string(),
                Type::Tuple(vec![Type::Dynamic, Type::String]),
            ),
        ]));
        let bytes = type_to_json_bytes(&ty);
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            r#"["object",{"a":["list","string"],"b":["set","number"],"c":["map","bool"],"d":["tuple",["dynamic","string"]]}]"#
        );
        assert_eq!(type_from_json_bytes(&bytes), Ok(ty));
    }

    #[test]
    fn rejects_non_types() {
        for bad in [
            r#""str""#,
            r#"["list"]"#,
            "3",
            r#"["object",[]]"#,
            "not json",
        ] {
            assert!(type_from_json_bytes(bad.as_bytes()).is_err(), "{bad}");
        }
        let deep = format!("{}\"string\"{}", "[\"list\",".repeat(100), "]".repeat(100));
        assert!(type_from_json_bytes(deep.as_bytes()).is_err());
    }
}
