//! The provider schema in the shape `terraform providers schema -json` prints (for docs tools).

use serde_json::{json, Map, Value as Json};

use super::type_json::type_to_json;
use super::{Block, DescriptionKind, NestingMode, ProviderSchema, Schema};

/// `{"format_version":"1.0","provider_schemas":{addr:{provider, resource_schemas, data_source_schemas}}}`.
pub fn schema_json(schema: &ProviderSchema, provider_address: &str) -> Json {
    let named = |items: &[(String, Schema)]| -> Json {
        Json::Object(
            items
                .iter()
                .map(|(name, s)| (name.clone(), schema_to_json(s)))
                .collect(),
        )
    };
    let mut provider = Map::new();
    provider.insert("provider".into(), schema_to_json(&schema.provider));
    if !schema.resources.is_empty() {
        provider.insert("resource_schemas".into(), named(&schema.resources));
    }
    if !schema.data_sources.is_empty() {
        provider.insert("data_source_schemas".into(), named(&schema.data_sources));
    }
    json!({
        "format_version": "1.0",
        "provider_schemas": { provider_address: Json::Object(provider) },
    })
}

fn schema_to_json(schema: &Schema) -> Json {
    json!({ "version": schema.version, "block": block_to_json(&schema.block) })
}

fn kind_name(kind: DescriptionKind) -> &'static str {
    match kind {
        DescriptionKind::Plain => "plain",
        DescriptionKind::Markdown => "markdown",
    }
}

fn block_to_json(block: &Block) -> Json {
    let mut out = Map::new();
    if !block.attributes.is_empty() {
        let attrs: Map<String, Json> = block
            .attributes
            .iter()
            .map(|a| {
                let mut m = Map::new();
                m.insert("type".into(), type_to_json(&a.ty));
                if !a.description.is_empty() {
                    m.insert("description".into(), json!(a.description));
                }
                m.insert(
                    "description_kind".into(),
                    json!(kind_name(a.description_kind)),
                );
                for (flag, on) in [
                    ("deprecated", a.deprecated),
                    ("required", a.required),
                    ("optional", a.optional),
                    ("computed", a.computed),
                    ("sensitive", a.sensitive),
                ] {
                    if on {
                        m.insert(flag.into(), json!(true));
                    }
                }
                (a.name.clone(), Json::Object(m))
            })
            .collect();
        out.insert("attributes".into(), Json::Object(attrs));
    }
    if !block.blocks.is_empty() {
        let blocks: Map<String, Json> = block
            .blocks
            .iter()
            .map(|b| {
                let mut m = Map::new();
                let mode = match b.nesting {
                    NestingMode::Single => "single",
                    NestingMode::List => "list",
                    NestingMode::Set => "set",
                    NestingMode::Map => "map",
                    NestingMode::Group => "group",
                };
                m.insert("nesting_mode".into(), json!(mode));
                m.insert("block".into(), block_to_json(&b.block));
                if b.min_items > 0 {
                    m.insert("min_items".into(), json!(b.min_items));
                }
                if b.max_items > 0 {
                    m.insert("max_items".into(), json!(b.max_items));
                }
                (b.type_name.clone(), Json::Object(m))
            })
            .collect();
        out.insert("block_types".into(), Json::Object(blocks));
    }
    if !block.description.is_empty() {
        out.insert("description".into(), json!(block.description));
    }
    out.insert(
        "description_kind".into(),
        json!(kind_name(block.description_kind)),
    );
    if block.deprecated {
        out.insert("deprecated".into(), json!(true));
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{Attribute, NestedBlock, Type};

    #[test]
    fn matches_terraform_shape() {
        let schema = ProviderSchema {
            provider: Schema::default(),
            resources: vec![(
                "x_thing".into(),
                Schema {
                    version: 1,
                    block: Block {
                        attributes: vec![Attribute {
                            name: "id".into(),
                            ty: Type::String,
                            description: "The id.".into(),
                            computed: true,
                            ..Default::default()
                        }],
                        blocks: vec![NestedBlock {
                            type_name: "opts".into(),
                            nesting: NestingMode::List,
                            max_items: 1,
                            block: Block::default(),
                            min_items: 0,
                        }],
                        description: "A thing.".into(),
                        description_kind: DescriptionKind::Markdown,
                        deprecated: false,
                    },
                },
            )],
            data_sources: vec![],
        };
        let got = schema_json(&schema, "registry.terraform.io/x/y");
        assert_eq!(
            got,
            json!({
                "format_version": "1.0",
                "provider_schemas": {
                    "registry.terraform.io/x/y": {
                        "provider": {"version": 0, "block": {"description_kind": "plain"}},
                        "resource_schemas": {
                            "x_thing": {
                                "version": 1,
                                "block": {
                                    "attributes": {
                                        "id": {"type": "string", "description": "The id.", "description_kind": "plain", "computed": true}
                                    },
                                    "block_types": {
                                        "opts": {"nesting_mode": "list", "block": {"description_kind": "plain"}, "max_items": 1}
                                    },
                                    "description": "A thing.",
                                    "description_kind": "markdown"
                                }
                            }
                        }
                    }
                }
            })
        );
    }
}
