//! Terraform schemas (and so the docs) derived from the declarative description: blocks, not
//! nested attributes, for Terraform 1.0.x; data sources expose blocks as computed objects.

use std::collections::BTreeMap;

use crate::plugin::{Attribute, Block, DescriptionKind, NestedBlock, NestingMode, Schema, Type};

use super::{Field, Kind, Presence, ResourceDef, Role};
use crate::provider::plan_modifiers::describe;
use crate::provider::timeouts::Operation;

/// Every resource's state schema version; state from a higher one was written by a newer
/// provider.
pub const RESOURCE_SCHEMA_VERSION: i64 = 0;

/// The Terraform type of a field's value.
pub fn value_type(kind: Kind) -> Type {
    match kind {
        Kind::String | Kind::Enum(_) | Kind::TenantId => Type::String,
        Kind::Bool => Type::Bool,
        Kind::Block(fields) => object_type(fields),
        Kind::BlockSet(fields) => Type::Set(Box::new(object_type(fields))),
    }
}

fn object_type(fields: &[Field]) -> Type {
    Type::Object(
        fields
            .iter()
            .map(|f| (f.name.to_string(), value_type(f.kind)))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// The description with the enumeration's values and the plan behaviours' sentences.
fn described(f: &Field, noun: &str) -> String {
    let mut parts = vec![f.description.to_string()];
    if let Kind::Enum(values) = f.kind {
        let list: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        parts.push(format!("One of {}.", list.join(", ")));
    }
    let modifiers = describe(f.modifiers, noun);
    if !modifiers.is_empty() {
        parts.push(modifiers);
    }
    parts.join(" ")
}

fn attribute(f: &Field, description: String) -> Attribute {
    Attribute {
        name: f.name.into(),
        ty: value_type(f.kind),
        description,
        description_kind: DescriptionKind::Markdown,
        required: f.presence == Presence::Required,
        optional: matches!(f.presence, Presence::Optional | Presence::OptionalComputed),
        computed: matches!(f.presence, Presence::Computed | Presence::OptionalComputed),
        ..Attribute::default()
    }
}

fn block(fields: &[Field], description: String, noun: &str) -> Block {
    let mut attributes = Vec::new();
    let mut blocks = Vec::new();
    for f in fields {
        let nesting = match f.kind {
            Kind::Block(_) => Some(NestingMode::Single),
            Kind::BlockSet(_) => Some(NestingMode::Set),
            _ => None,
        };
        match (f.role, f.kind, nesting) {
            (Role::Timeouts, _, _) => blocks.push(timeouts_block(noun, &Operation::ALL)),
            (_, Kind::Block(inner) | Kind::BlockSet(inner), Some(nesting)) => {
                let required = f.presence == Presence::Required;
                let (min_items, max_items) = match (nesting, required) {
                    (NestingMode::Single, true) => (1, 1),
                    _ => (0, 0),
                };
                blocks.push(NestedBlock {
                    type_name: f.name.into(),
                    block: block(inner, described(f, noun), noun),
                    nesting,
                    min_items,
                    max_items,
                });
            }
            _ => attributes.push(attribute(f, described(f, noun))),
        }
    }
    Block {
        attributes,
        blocks,
        description,
        description_kind: DescriptionKind::Markdown,
        deprecated: false,
    }
}

/// The `timeouts` block with one attribute per operation in `ops`.
fn timeouts_block(noun: &str, ops: &[Operation]) -> NestedBlock {
    let attributes = ops
        .iter()
        .map(|op| Attribute {
            name: op.attribute().into(),
            ty: Type::String,
            description: format!(
                "How long to {} the {noun} may take, including retries, as a duration such as \
                 \"90s\", \"10m\" or \"1h30m\". Default {}.",
                op.attribute(),
                op.default_text()
            ),
            description_kind: DescriptionKind::Markdown,
            optional: true,
            ..Attribute::default()
        })
        .collect();
    NestedBlock {
        type_name: "timeouts".into(),
        block: Block {
            attributes,
            description: "How long each operation may take.".into(),
            description_kind: DescriptionKind::Markdown,
            ..Block::default()
        },
        nesting: NestingMode::Single,
        min_items: 0,
        max_items: 0,
    }
}

/// The resource schema.
pub fn resource_schema(def: &ResourceDef) -> Schema {
    Schema {
        version: RESOURCE_SCHEMA_VERSION,
        block: block(def.fields, def.description.into(), def.short_noun),
    }
}

/// The data source schema: the key in, every other property out as computed attributes
/// (blocks become computed objects: blocks cannot be computed before protocol 6.11).
pub fn data_source_schema(def: &ResourceDef) -> Schema {
    let attributes = def
        .fields
        .iter()
        .filter(|f| f.role != Role::Timeouts)
        .map(|f| {
            let description = if f.data_source_description.is_empty() {
                let mut d = f.description.to_string();
                if let Kind::Enum(values) = f.kind {
                    let list: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
                    d = format!("{d} One of {}.", list.join(", "));
                }
                d
            } else {
                f.data_source_description.to_string()
            };
            let presence = match f.role {
                Role::Key(_) => Presence::Required,
                _ => Presence::Computed,
            };
            attribute(&Field { presence, ..*f }, description)
        })
        .collect();
    // A data source only reads: its `timeouts` block has `read` alone.
    let blocks = def
        .fields
        .iter()
        .filter(|f| f.role == Role::Timeouts)
        .map(|_| timeouts_block(def.short_noun, &[Operation::Read]))
        .collect();
    Schema {
        version: 0,
        block: Block {
            attributes,
            blocks,
            description: def.data_source_description.into(),
            description_kind: DescriptionKind::Markdown,
            deprecated: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::testutil::sample_resource::DEF;
    use crate::provider::testutil::schema_names::{attr, attr_names, block_names};

    #[test]
    fn blocks_nest_and_attributes_carry_presence_and_behaviour() {
        let s = resource_schema(&DEF);
        let names: Vec<&str> = attr_names(&s.block);
        assert_eq!(names, ["id", "tenant_id", "flag", "computed"]);
        let tid = &s.block.attributes[1];
        assert!(tid.required && tid.description.contains("destroys the object"));
        let blocks: Vec<(&str, NestingMode)> = s
            .block
            .blocks
            .iter()
            .map(|b| (b.type_name.as_str(), b.nesting))
            .collect();
        assert_eq!(
            blocks,
            [
                ("trust", NestingMode::Single),
                ("access", NestingMode::Single),
                ("timeouts", NestingMode::Single)
            ]
        );
        let targets = &s.block.blocks[1].block.blocks[0];
        assert_eq!(
            (targets.type_name.as_str(), targets.nesting),
            ("targets", NestingMode::Set)
        );
        let kind = &targets.block.attributes[1];
        assert!(kind.required && kind.description.contains("One of `user`, `group`."));
    }

    #[test]
    fn data_source_has_the_key_in_and_objects_out() {
        let s = data_source_schema(&DEF);
        let blocks: Vec<&str> = block_names(&s.block);
        assert_eq!(blocks, ["timeouts"]);
        let read_only: Vec<&str> = attr_names(&s.block.blocks[0].block);
        assert_eq!(read_only, ["read"]);
        let access = attr(&s.block, "access");
        assert!(access.computed && !access.optional);
        assert!(matches!(access.ty, Type::Object(_)));
        assert!(s
            .block
            .attributes
            .iter()
            .any(|a| a.name == "tenant_id" && a.required));
        assert!(!s.block.attributes.iter().any(|a| a.name == "timeouts"));
    }
}
