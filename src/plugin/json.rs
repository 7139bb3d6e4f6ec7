//! The JSON encoding of cty values (DynamicValue.json, RawState.json), driven by the schema type.
//!
//! Null is `null`; unknowns cannot be written; numbers keep their exact text; dynamic values are
//! `{"value": .., "type": ..}`. Like cty, reading accepts numbers and bools written as strings.

use std::collections::BTreeMap;

use super::codec_error::{CodecError, CodecErrorKind};
use super::decimal;
use super::msgpack::value_kind;
use super::type_json::{infer_type, type_from_json, type_name, type_to_json};
use super::{AttributePath, PathStep, Type, Value};
use serde_json::Value as Json;

/// Encodes `value` as JSON for type `ty`.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = String::with_capacity(64);
    encode(&mut out, value, ty, &mut AttributePath::root())?;
    Ok(out.into_bytes())
}

/// Decodes JSON `bytes` as a value of type `ty`.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let root = AttributePath::root();
    // serde_json with arbitrary_precision: numbers keep every digit of their text.
    let doc: Json =
        serde_json::from_slice(bytes).map_err(|e| CodecError::malformed(&root, e.to_string()))?;
    decode(&doc, ty, &mut AttributePath::root())
}

fn encode(
    out: &mut String,
    value: &Value,
    ty: &Type,
    path: &mut AttributePath,
) -> Result<(), CodecError> {
    match (value, ty) {
        (Value::Unknown, _) => return Err(CodecError::new(path, CodecErrorKind::UnknownInJson)),
        (Value::Null, _) => out.push_str("null"),
        (v, Type::Dynamic) => {
            let actual = infer_type(v);
            out.push_str("{\"value\":");
            encode(out, v, &actual, path)?;
            out.push_str(",\"type\":");
            out.push_str(&type_to_json(&actual).to_string());
            out.push('}');
        }
        (Value::String(s), Type::String) => write_string(out, s),
        (Value::Bool(b), Type::Bool) => out.push_str(if *b { "true" } else { "false" }),
        (Value::Number(n), Type::Number) => {
            let text = decimal::canonical_text(n).ok_or_else(|| {
                CodecError::new(
                    path,
                    CodecErrorKind::InvalidNumber {
                        text: n.as_str().into(),
                    },
                )
            })?;
            out.push_str(&text);
        }
        (Value::List(items), Type::List(elem)) | (Value::Set(items), Type::Set(elem)) => {
            encode_array(out, items.iter().zip(std::iter::repeat(&**elem)), path)?;
        }
        (Value::Tuple(items), Type::Tuple(elems)) => {
            if items.len() != elems.len() {
                return Err(CodecError::mismatch(
                    path,
                    format!("tuple of {} elements", elems.len()),
                    format!("{} elements", items.len()),
                ));
            }
            encode_array(out, items.iter().zip(elems), path)?;
        }
        (Value::Map(entries), Type::Map(elem)) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                path.0.push(PathStep::ElementKeyString(k.clone()));
                encode(out, v, elem, path)?;
                path.0.pop();
            }
            out.push('}');
        }
        (Value::Object(attrs), Type::Object(attr_types)) => {
            CodecError::check_attributes(path, attrs.keys(), attr_types)?;
            out.push('{');
            for (i, (name, aty)) in attr_types.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                path.0.push(PathStep::Attribute(name.clone()));
                encode(out, attrs.get(name).unwrap_or(&Value::Null), aty, path)?;
                path.0.pop();
            }
            out.push('}');
        }
        (v, t) => return Err(CodecError::mismatch(path, type_name(t), value_kind(v))),
    }
    Ok(())
}

/// A JSON array of `(value, type)` pairs: a list, set or tuple.
fn encode_array<'a>(
    out: &mut String,
    items: impl Iterator<Item = (&'a Value, &'a Type)>,
    path: &mut AttributePath,
) -> Result<(), CodecError> {
    out.push('[');
    for (i, (item, elem)) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        path.0.push(PathStep::ElementKeyInt(i as i64));
        encode(out, item, elem, path)?;
        path.0.pop();
    }
    out.push(']');
    Ok(())
}

fn decode(doc: &Json, ty: &Type, path: &mut AttributePath) -> Result<Value, CodecError> {
    if matches!(doc, Json::Null) {
        return Ok(Value::Null);
    }
    match ty {
        Type::String => match doc {
            Json::String(s) => Ok(Value::String(s.clone())),
            Json::Number(n) => Ok(Value::String(n.to_string())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            other => Err(CodecError::mismatch(path, "string", kind(other))),
        },
        Type::Bool => match doc {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s == "true" => Ok(Value::Bool(true)),
            Json::String(s) if s == "false" => Ok(Value::Bool(false)),
            other => Err(CodecError::mismatch(path, "bool", kind(other))),
        },
        Type::Number => {
            let text = match doc {
                Json::Number(n) => n.to_string(),
                Json::String(s) => s.clone(),
                other => return Err(CodecError::mismatch(path, "number", kind(other))),
            };
            match decimal::number_from_text(&text) {
                Some(n) => Ok(Value::Number(n)),
                None => Err(CodecError::new(
                    path,
                    CodecErrorKind::InvalidNumber { text },
                )),
            }
        }
        Type::Dynamic => {
            let Json::Object(members) = doc else {
                return Err(CodecError::mismatch(
                    path,
                    "{\"value\", \"type\"} object",
                    kind(doc),
                ));
            };
            let (Some(value), Some(type_doc)) = (members.get("value"), members.get("type")) else {
                return Err(CodecError::mismatch(
                    path,
                    "{\"value\", \"type\"} object",
                    "object without them",
                ));
            };
            let actual = type_from_json(type_doc).map_err(|e| {
                CodecError::new(path, CodecErrorKind::InvalidType { detail: e.detail })
            })?;
            decode(value, &actual, path)
        }
        Type::List(elem) | Type::Set(elem) => {
            let Json::Array(items) = doc else {
                return Err(CodecError::mismatch(path, type_name(ty), kind(doc)));
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.0.push(PathStep::ElementKeyInt(i as i64));
                out.push(decode(item, elem, path)?);
                path.0.pop();
            }
            Ok(if matches!(ty, Type::Set(_)) {
                Value::Set(out)
            } else {
                Value::List(out)
            })
        }
        Type::Tuple(elems) => {
            let Json::Array(items) = doc else {
                return Err(CodecError::mismatch(path, "tuple", kind(doc)));
            };
            if items.len() != elems.len() {
                return Err(CodecError::mismatch(
                    path,
                    format!("tuple of {} elements", elems.len()),
                    format!("{} elements", items.len()),
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, elem)) in items.iter().zip(elems).enumerate() {
                path.0.push(PathStep::ElementKeyInt(i as i64));
                out.push(decode(item, elem, path)?);
                path.0.pop();
            }
            Ok(Value::Tuple(out))
        }
        Type::Map(elem) => {
            let Json::Object(members) = doc else {
                return Err(CodecError::mismatch(path, type_name(ty), kind(doc)));
            };
            let mut out = BTreeMap::new();
            for (k, v) in members {
                path.0.push(PathStep::ElementKeyString(k.clone()));
                out.insert(k.clone(), decode(v, elem, path)?);
                path.0.pop();
            }
            Ok(Value::Map(out))
        }
        Type::Object(attr_types) => {
            let Json::Object(members) = doc else {
                return Err(CodecError::mismatch(path, "object", kind(doc)));
            };
            CodecError::check_attributes(path, members.iter().map(|(k, _)| k), attr_types)?;
            let mut out = BTreeMap::new();
            for (k, v) in members {
                if let Some(aty) = attr_types.get(k) {
                    path.0.push(PathStep::Attribute(k.clone()));
                    out.insert(k.clone(), decode(v, aty, path)?);
                    path.0.pop();
                }
            }
            for name in attr_types.keys() {
                out.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(out))
        }
    }
}

/// What a JSON value is, for error messages.
fn kind(doc: &Json) -> &'static str {
    match doc {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// A JSON string literal, escaped as serde_json escapes it.
fn write_string(out: &mut String, s: &str) {
    out.push_str(&Json::from(s).to_string());
}
