//! The msgpack encoding of cty values (DynamicValue.msgpack), driven by the schema type.
//!
//! Null is nil, unknown is extension 0 (any extension reads as unknown, so refined unknowns
//! from Terraform 1.6+ are fine), numbers are int / float64 / decimal text, dynamic values are
//! `[type JSON, value]`.
//!
//! The byte layer (markers, lengths, compact integers) is `rmp`'s; the walk over the schema type
//! is ours, as terraform-plugin-go does on top of its msgpack library.

use std::collections::BTreeMap;

use super::codec_error::{CodecError, CodecErrorKind};
use super::decimal::{self, Decimal, WireNumber};
use super::type_json::{infer_type, type_from_json_bytes, type_name, type_to_json_bytes};
use super::{AttributePath, Type, Value};

use rmp::encode as rmp_write;
use rmp::Marker;

/// Encodes `value` as msgpack for type `ty`.
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(64);
    encode(&mut out, value, ty, &mut AttributePath::root())?;
    Ok(out)
}

/// Decodes msgpack `bytes` as a value of type `ty`.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut reader = Reader { bytes, pos: 0 };
    let mut path = AttributePath::root();
    let value = reader.value(ty, &mut path, 0)?;
    let rest = bytes.len() - reader.pos;
    if rest != 0 {
        return Err(CodecError::new(
            &path,
            CodecErrorKind::TrailingBytes { count: rest },
        ));
    }
    Ok(value)
}

// ---- encoding ----

fn encode(
    out: &mut Vec<u8>,
    value: &Value,
    ty: &Type,
    path: &mut AttributePath,
) -> Result<(), CodecError> {
    match (value, ty) {
        (Value::Null, _) => written(rmp_write::write_nil(out)),
        // fixext1 of type 0 with a zero byte, as cty writes unknown.
        (Value::Unknown, _) => {
            written(rmp_write::write_ext_meta(out, 1, 0));
            out.push(0);
        }
        (v, Type::Dynamic) => {
            let actual = infer_type(v);
            write_array_len(out, 2);
            write_bin(out, &type_to_json_bytes(&actual));
            encode(out, v, &actual, path)?;
        }
        (Value::String(s), Type::String) => write_str(out, s),
        (Value::Bool(b), Type::Bool) => written(rmp_write::write_bool(out, *b)),
        (Value::Number(n), Type::Number) => {
            let d = Decimal::parse(n.as_str()).ok_or_else(|| {
                CodecError::new(
                    path,
                    CodecErrorKind::InvalidNumber {
                        text: n.as_str().into(),
                    },
                )
            })?;
            match d.wire() {
                WireNumber::Int(i) => write_int(out, i),
                WireNumber::Float(f) => written(rmp_write::write_f64(out, f)),
                WireNumber::Text(t) => write_str(out, &t),
            }
        }
        (Value::List(items), Type::List(elem)) | (Value::Set(items), Type::Set(elem)) => {
            write_array_len(out, items.len());
            for (i, item) in items.iter().enumerate() {
                path.0.push(super::PathStep::ElementKeyInt(i as i64));
                encode(out, item, elem, path)?;
                path.0.pop();
            }
        }
        (Value::Tuple(items), Type::Tuple(elems)) => {
            if items.len() != elems.len() {
                return Err(CodecError::mismatch(
                    path,
                    format!("tuple of {} elements", elems.len()),
                    format!("{} elements", items.len()),
                ));
            }
            write_array_len(out, items.len());
            for (i, (item, elem)) in items.iter().zip(elems).enumerate() {
                path.0.push(super::PathStep::ElementKeyInt(i as i64));
                encode(out, item, elem, path)?;
                path.0.pop();
            }
        }
        (Value::Map(entries), Type::Map(elem)) => {
            write_map_len(out, entries.len());
            for (k, v) in entries {
                write_str(out, k);
                path.0.push(super::PathStep::ElementKeyString(k.clone()));
                encode(out, v, elem, path)?;
                path.0.pop();
            }
        }
        (Value::Object(attrs), Type::Object(attr_types)) => {
            CodecError::check_attributes(path, attrs.keys(), attr_types)?;
            write_map_len(out, attr_types.len());
            for (name, aty) in attr_types {
                write_str(out, name);
                path.0.push(super::PathStep::Attribute(name.clone()));
                encode(out, attrs.get(name).unwrap_or(&Value::Null), aty, path)?;
                path.0.pop();
            }
        }
        (v, t) => return Err(CodecError::mismatch(path, type_name(t), value_kind(v))),
    }
    Ok(())
}

pub(crate) fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Tuple(_) => "tuple",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
    }
}

/// Writing into a `Vec<u8>` cannot fail; rmp's signatures are generic over writers that can.
fn written<T, E>(result: Result<T, E>) {
    debug_assert!(result.is_ok(), "writing msgpack into memory failed");
}

/// The most compact msgpack integer for `i`.
fn write_int(out: &mut Vec<u8>, i: i64) {
    written(rmp_write::write_sint(out, i));
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    written(rmp_write::write_str(out, s));
}

fn write_bin(out: &mut Vec<u8>, b: &[u8]) {
    written(rmp_write::write_bin(out, b));
}

fn write_array_len(out: &mut Vec<u8>, n: usize) {
    written(rmp_write::write_array_len(out, wire_len(n)));
}

fn write_map_len(out: &mut Vec<u8>, n: usize) {
    written(rmp_write::write_map_len(out, wire_len(n)));
}

/// msgpack lengths are 32-bit; Terraform's messages stop at 2 GiB, far below.
fn wire_len(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

// ---- decoding ----

const MAX_DEPTH: usize = 128;
/// The most elements a container reserves room for up front; more grow as they arrive. Without
/// this cap every nesting level could reserve room for the whole input, multiplying it.
const MAX_INITIAL_CAPACITY: usize = 256;

/// One decoded msgpack scalar or container header.
enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext,
}

impl Item<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Item::Nil => "null",
            Item::Bool(_) => "bool",
            Item::Int(_) | Item::Float(_) => "number",
            Item::Str(_) => "string",
            Item::Bin(_) => "binary",
            Item::Array(_) => "array",
            Item::Map(_) => "map",
            Item::Ext => "extension",
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, path: &AttributePath) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(CodecError::malformed(path, "unexpected end of data")),
        }
    }
    fn be(&mut self, n: usize, path: &AttributePath) -> Result<u64, CodecError> {
        Ok(self
            .take(n, path)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }
    fn len(&mut self, n: usize, path: &AttributePath) -> Result<usize, CodecError> {
        usize::try_from(self.be(n, path)?)
            .map_err(|_| CodecError::malformed(path, "length too large"))
    }

    fn item(&mut self, path: &AttributePath) -> Result<Item<'a>, CodecError> {
        let marker = Marker::from_u8(self.take(1, path)?[0]);
        Ok(match marker {
            Marker::FixPos(n) => Item::Int(i128::from(n)),
            Marker::FixNeg(n) => Item::Int(i128::from(n)),
            Marker::FixMap(n) => Item::Map(usize::from(n)),
            Marker::FixArray(n) => Item::Array(usize::from(n)),
            Marker::FixStr(n) => Item::Str(self.take(usize::from(n), path)?),
            Marker::Null => Item::Nil,
            Marker::False => Item::Bool(false),
            Marker::True => Item::Bool(true),
            Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
                let n = self.len(length_bytes(marker), path)?;
                Item::Bin(self.take(n, path)?)
            }
            Marker::Ext8 | Marker::Ext16 | Marker::Ext32 => {
                let n = self.len(length_bytes(marker), path)?;
                self.take(n.saturating_add(1), path)?; // the type byte, then the data
                Item::Ext
            }
            Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16 => {
                self.take(1 + fixext_len(marker), path)?;
                Item::Ext
            }
            Marker::F32 => Item::Float(f64::from(f32::from_bits(self.be(4, path)? as u32))),
            Marker::F64 => Item::Float(f64::from_bits(self.be(8, path)?)),
            Marker::U8 => Item::Int(i128::from(self.be(1, path)?)),
            Marker::U16 => Item::Int(i128::from(self.be(2, path)?)),
            Marker::U32 => Item::Int(i128::from(self.be(4, path)?)),
            Marker::U64 => Item::Int(i128::from(self.be(8, path)?)),
            Marker::I8 => Item::Int(i128::from(self.be(1, path)? as u8 as i8)),
            Marker::I16 => Item::Int(i128::from(self.be(2, path)? as u16 as i16)),
            Marker::I32 => Item::Int(i128::from(self.be(4, path)? as u32 as i32)),
            Marker::I64 => Item::Int(i128::from(self.be(8, path)? as i64)),
            Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                let n = self.len(length_bytes(marker), path)?;
                Item::Str(self.take(n, path)?)
            }
            Marker::Array16 | Marker::Array32 => Item::Array(self.len(length_bytes(marker), path)?),
            Marker::Map16 | Marker::Map32 => Item::Map(self.len(length_bytes(marker), path)?),
            Marker::Reserved => {
                return Err(CodecError::malformed(path, "invalid marker byte 0xc1"))
            }
        })
    }

    fn string(&mut self, path: &AttributePath) -> Result<String, CodecError> {
        match self.item(path)? {
            Item::Str(b) => utf8(b, path),
            other => Err(CodecError::mismatch(path, "string", other.kind())),
        }
    }

    fn value(
        &mut self,
        ty: &Type,
        path: &mut AttributePath,
        depth: usize,
    ) -> Result<Value, CodecError> {
        if depth > MAX_DEPTH {
            return Err(CodecError::new(path, CodecErrorKind::TooDeep));
        }
        let item = self.item(path)?;
        match item {
            Item::Nil => return Ok(Value::Null),
            Item::Ext => return Ok(Value::Unknown),
            _ => {}
        }
        match ty {
            Type::String => match item {
                Item::Str(b) => Ok(Value::String(utf8(b, path)?)),
                other => Err(CodecError::mismatch(path, "string", other.kind())),
            },
            Type::Bool => match item {
                Item::Bool(b) => Ok(Value::Bool(b)),
                other => Err(CodecError::mismatch(path, "bool", other.kind())),
            },
            Type::Number => {
                let number = match item {
                    Item::Int(i) => decimal::number_from_text(&i.to_string()),
                    Item::Float(f) => decimal::number_from_f64(f),
                    Item::Str(b) => decimal::number_from_text(&utf8(b, path)?),
                    other => return Err(CodecError::mismatch(path, "number", other.kind())),
                };
                number.map(Value::Number).ok_or_else(|| {
                    CodecError::new(
                        path,
                        CodecErrorKind::InvalidNumber {
                            text: "non-finite or malformed".into(),
                        },
                    )
                })
            }
            Type::Dynamic => {
                if !matches!(item, Item::Array(2)) {
                    return Err(CodecError::mismatch(
                        path,
                        "[type, value] pair",
                        item.kind(),
                    ));
                }
                let type_bytes = match self.item(path)? {
                    Item::Bin(b) | Item::Str(b) => b,
                    other => {
                        return Err(CodecError::mismatch(path, "type description", other.kind()))
                    }
                };
                let actual = type_from_json_bytes(type_bytes).map_err(|detail| {
                    CodecError::new(
                        path,
                        CodecErrorKind::InvalidType {
                            detail: detail.detail,
                        },
                    )
                })?;
                self.value(&actual, path, depth + 1)
            }
            Type::List(elem) | Type::Set(elem) => {
                let n = match item {
                    Item::Array(n) => n,
                    other => return Err(CodecError::mismatch(path, type_name(ty), other.kind())),
                };
                let items = self.elements(n, |_| elem, path, depth)?;
                Ok(if matches!(ty, Type::Set(_)) {
                    Value::Set(items)
                } else {
                    Value::List(items)
                })
            }
            Type::Tuple(elems) => {
                let n = match item {
                    Item::Array(n) => n,
                    other => return Err(CodecError::mismatch(path, "tuple", other.kind())),
                };
                if n != elems.len() {
                    return Err(CodecError::mismatch(
                        path,
                        format!("tuple of {} elements", elems.len()),
                        format!("{n} elements"),
                    ));
                }
                Ok(Value::Tuple(self.elements(
                    n,
                    |i| &elems[i],
                    path,
                    depth,
                )?))
            }
            Type::Map(elem) => {
                let n = match item {
                    Item::Map(n) => n,
                    other => return Err(CodecError::mismatch(path, type_name(ty), other.kind())),
                };
                let mut out = BTreeMap::new();
                for _ in 0..n {
                    let key = self.string(path)?;
                    path.0.push(super::PathStep::ElementKeyString(key.clone()));
                    let v = self.value(elem, path, depth + 1)?;
                    path.0.pop();
                    out.insert(key, v);
                }
                Ok(Value::Map(out))
            }
            Type::Object(attr_types) => {
                let n = match item {
                    Item::Map(n) => n,
                    other => return Err(CodecError::mismatch(path, "object", other.kind())),
                };
                let mut out = BTreeMap::new();
                let mut extra = Vec::new();
                for _ in 0..n {
                    let key = self.string(path)?;
                    path.0.push(super::PathStep::Attribute(key.clone()));
                    match attr_types.get(&key) {
                        Some(aty) => {
                            let v = self.value(aty, path, depth + 1)?;
                            out.insert(key, v);
                        }
                        None => {
                            self.skip(path, depth + 1)?;
                            extra.push(key);
                        }
                    }
                    path.0.pop();
                }
                if !extra.is_empty() {
                    return Err(CodecError::new(
                        path,
                        CodecErrorKind::UnsupportedAttributes { names: extra },
                    ));
                }
                for name in attr_types.keys() {
                    out.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(out))
            }
        }
    }

    /// Skips one whole value of any shape.
    fn skip(&mut self, path: &AttributePath, depth: usize) -> Result<(), CodecError> {
        if depth > MAX_DEPTH {
            return Err(CodecError::new(path, CodecErrorKind::TooDeep));
        }
        let count = match self.item(path)? {
            Item::Array(n) => n,
            Item::Map(n) => n.saturating_mul(2),
            _ => 0,
        };
        for _ in 0..count {
            self.skip(path, depth + 1)?;
        }
        Ok(())
    }

    fn elements<'t>(
        &mut self,
        n: usize,
        elem_type: impl Fn(usize) -> &'t Type,
        path: &mut AttributePath,
        depth: usize,
    ) -> Result<Vec<Value>, CodecError> {
        // Never trust a length for allocation: each element takes at least one byte, and
        // each level reserves at most a small fixed number up front.
        let remaining = self.bytes.len() - self.pos;
        let mut items = Vec::with_capacity(n.min(remaining).min(MAX_INITIAL_CAPACITY));
        for i in 0..n {
            path.0.push(super::PathStep::ElementKeyInt(i as i64));
            let v = self.value(elem_type(i), path, depth + 1)?;
            path.0.pop();
            items.push(v);
        }
        Ok(items)
    }
}

/// How many big-endian bytes hold the length after a sized marker.
fn length_bytes(marker: Marker) -> usize {
    match marker {
        Marker::Bin8 | Marker::Ext8 | Marker::Str8 => 1,
        Marker::Bin16 | Marker::Ext16 | Marker::Str16 | Marker::Array16 | Marker::Map16 => 2,
        _ => 4,
    }
}

/// The data length of a fixext marker.
fn fixext_len(marker: Marker) -> usize {
    match marker {
        Marker::FixExt1 => 1,
        Marker::FixExt2 => 2,
        Marker::FixExt4 => 4,
        Marker::FixExt8 => 8,
        _ => 16,
    }
}

fn utf8(b: &[u8], path: &AttributePath) -> Result<String, CodecError> {
    String::from_utf8(b.to_vec()).map_err(|_| CodecError::malformed(path, "string is not UTF-8"))
}
