//! The cty value model: every value is Known, Null or Unknown, typed by a [`Type`].

use std::collections::BTreeMap;

/// A cty type, as the schema declares it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Type {
    #[default]
    String,
    Number,
    Bool,
    /// `cty.DynamicPseudoType`: the value carries its own type on the wire.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

/// A cty number: an arbitrary-precision decimal, kept as its canonical decimal text so that
/// numbers beyond i64/f64 round-trip exactly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Number(String);

impl Number {
    /// Parses a decimal number (`-12`, `3.5`, `1e400`) into its canonical text (`1.50` is
    /// `1.5`); `None` if it is not one.
    pub fn parse(text: &str) -> Option<Number> {
        super::decimal::Decimal::parse(text).map(|d| Number(d.to_text()))
    }
    pub fn from_i64(n: i64) -> Number {
        Number(n.to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }
    pub fn as_f64(&self) -> Option<f64> {
        self.0.parse().ok()
    }
}

/// A cty value. Never an `Option`: absence is [`Value::Null`], "known after apply" is
/// [`Value::Unknown`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Unknown,
    String(String),
    Number(Number),
    Bool(bool),
    List(Vec<Value>),
    Set(Vec<Value>),
    Tuple(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// An object holds every attribute of its type (unset ones as `Null`).
    Object(BTreeMap<String, Value>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }
    /// True when this value or anything nested in it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().any(Value::contains_unknown)
            }
            Value::Map(m) | Value::Object(m) => m.values().any(Value::contains_unknown),
            _ => false,
        }
    }
    /// The attribute `name` of an object; `Null` for anything else or a missing attribute.
    pub fn attr(&self, name: &str) -> &Value {
        match self {
            Value::Object(m) => m.get(name).unwrap_or(&Value::Null),
            _ => &Value::Null,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
    /// Builds an object from `(name, value)` pairs.
    pub fn object<I, K>(attrs: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
    /// A copy of this object with attribute `name` set to `value`.
    pub fn with_attr(&self, name: &str, value: Value) -> Value {
        let mut m = match self {
            Value::Object(m) => m.clone(),
            _ => BTreeMap::new(),
        };
        m.insert(name.to_string(), value);
        Value::Object(m)
    }
}

pub use super::codec_error::{CodecError, CodecErrorKind};
pub use super::json::{decode_json, encode_json};
pub use super::msgpack::{decode_msgpack, encode_msgpack};
pub use super::type_json::{
    type_from_json, type_from_json_bytes, type_to_json, type_to_json_bytes, TypeJsonError,
};

#[cfg(test)]
mod tests;
