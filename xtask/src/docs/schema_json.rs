//! The parts of `terraform providers schema -json` output that the docs are made from.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ProvidersSchema {
    #[serde(default)]
    pub provider_schemas: BTreeMap<String, ProviderSchema>,
}

#[derive(Debug, Deserialize)]
pub struct ProviderSchema {
    pub provider: Schema,
    #[serde(default)]
    pub resource_schemas: BTreeMap<String, Schema>,
    #[serde(default)]
    pub data_source_schemas: BTreeMap<String, Schema>,
}

#[derive(Debug, Deserialize)]
pub struct Schema {
    pub block: Block,
}

#[derive(Debug, Default, Deserialize)]
pub struct Block {
    #[serde(default)]
    pub attributes: BTreeMap<String, Attribute>,
    #[serde(default)]
    pub block_types: BTreeMap<String, BlockType>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub deprecated: bool,
}

#[derive(Debug, Deserialize)]
pub struct Attribute {
    #[serde(rename = "type")]
    pub ty: Option<serde_json::Value>,
    pub nested_type: Option<serde_json::Value>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub computed: bool,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub deprecated: bool,
}

#[derive(Debug, Deserialize)]
pub struct BlockType {
    pub nesting_mode: String,
    #[serde(default)]
    pub block: Block,
    #[serde(default)]
    pub min_items: u64,
    #[serde(default)]
    pub max_items: u64,
}

/// A cty type as Terraform's JSON encodes it (`"string"`, `["list","string"]`, `["object",{..}]`).
#[derive(Debug, Clone, PartialEq)]
pub enum CtyType {
    String,
    Bool,
    Number,
    Dynamic,
    List(Box<CtyType>),
    Set(Box<CtyType>),
    Map(Box<CtyType>),
    Object(BTreeMap<String, CtyType>),
    Tuple(Vec<CtyType>),
}

impl CtyType {
    pub fn parse(json: &serde_json::Value) -> Result<CtyType> {
        if let Some(name) = json.as_str() {
            return Ok(match name {
                "string" => CtyType::String,
                "bool" => CtyType::Bool,
                "number" => CtyType::Number,
                "dynamic" => CtyType::Dynamic,
                other => bail!("unknown primitive type {other:?}"),
            });
        }
        let Some([kind, inner]) = json.as_array().map(Vec::as_slice) else {
            bail!("unrecognised type {json}");
        };
        let element = || CtyType::parse(inner).map(Box::new);
        Ok(match kind.as_str().unwrap_or_default() {
            "list" => CtyType::List(element()?),
            "set" => CtyType::Set(element()?),
            "map" => CtyType::Map(element()?),
            "object" => {
                let fields = inner
                    .as_object()
                    .context("object type without attributes")?;
                let mut parsed = BTreeMap::new();
                for (name, ty) in fields {
                    parsed.insert(name.clone(), CtyType::parse(ty)?);
                }
                CtyType::Object(parsed)
            }
            "tuple" => {
                let items = inner.as_array().context("tuple type without elements")?;
                CtyType::Tuple(items.iter().map(CtyType::parse).collect::<Result<_>>()?)
            }
            other => bail!("unknown type kind {other:?}"),
        })
    }

    /// The name the registry docs use: `String`, `Boolean`, `List of String`, `Object`.
    pub fn doc_name(&self) -> String {
        match self {
            CtyType::String => "String".to_owned(),
            CtyType::Bool => "Boolean".to_owned(),
            CtyType::Number => "Number".to_owned(),
            CtyType::Dynamic => "Dynamic".to_owned(),
            CtyType::List(e) => format!("List of {}", e.doc_name()),
            CtyType::Set(e) => format!("Set of {}", e.doc_name()),
            CtyType::Map(e) => format!("Map of {}", e.doc_name()),
            CtyType::Object(_) => "Object".to_owned(),
            CtyType::Tuple(_) => "Tuple".to_owned(),
        }
    }

    /// The object type to document in a nested section: the type itself, or a collection's
    /// object elements.
    pub fn nested_object(&self) -> Option<&BTreeMap<String, CtyType>> {
        match self {
            CtyType::Object(fields) => Some(fields),
            CtyType::List(e) | CtyType::Set(e) | CtyType::Map(e) => match e.as_ref() {
                CtyType::Object(fields) => Some(fields),
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_and_names_types() {
        let cases = [
            (json!("string"), "String"),
            (json!("bool"), "Boolean"),
            (json!(["list", "string"]), "List of String"),
            (json!(["map", ["set", "number"]]), "Map of Set of Number"),
            (json!(["object", {"is_sync_allowed": "bool"}]), "Object"),
        ];
        for (json, name) in cases {
            assert_eq!(CtyType::parse(&json).expect("type").doc_name(), name);
        }
    }

    #[test]
    fn rejects_unknown_types() {
        assert!(CtyType::parse(&json!("strung")).is_err());
        assert!(CtyType::parse(&json!(["list"])).is_err());
        assert!(CtyType::parse(&json!(42)).is_err());
    }
}
