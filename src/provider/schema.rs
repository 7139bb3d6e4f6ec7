//! Schemas of the `msgraph_cross_tenant_identity_sync` resource and data source.

use std::collections::BTreeMap;

use crate::plugin::{Attribute, Block, DescriptionKind, NestedBlock, NestingMode, Schema, Type};

use super::plan_modifiers;
use super::state::{DISPLAY_NAME, ID, IS_SYNC_ALLOWED, TENANT_ID, TIMEOUTS, USER_SYNC_INBOUND};
use super::timeouts::Operation;

pub const TYPE_NAME: &str = "msgraph_cross_tenant_identity_sync";

const RESOURCE_DESCRIPTION: &str = "Manages the user synchronization policy \
(`crossTenantIdentitySyncPolicyPartner`) of a partner-specific cross-tenant access configuration \
in Microsoft Entra: whether users may be synchronized from the partner tenant into this one. The \
partner configuration (`/policies/crossTenantAccessPolicy/partners/{tenant_id}`) must exist. \
Needs the Microsoft Graph permission `Policy.ReadWrite.CrossTenantAccess`.";

const TENANT_ID_DESCRIPTION: &str = "The partner tenant's ID (a GUID): the tenant users are \
synchronized from. Graph's `tenantId`, the key of the partner configuration.";

const DISPLAY_NAME_DESCRIPTION: &str = "Graph's `displayName`: a name for the policy, usually the \
partner tenant's name. Changing it updates the policy in place. When not set, it is null after \
create and later takes whatever Microsoft Graph holds.";

const IS_SYNC_ALLOWED_DESCRIPTION: &str = "Graph's `userSyncInbound.isSyncAllowed`: whether users \
may be synchronized from the partner tenant into this tenant. Setting it to `false` stops any \
current synchronization from the partner; users already synchronized stay as they are. Changing \
it updates the policy in place.";

const ID_DESCRIPTION: &str = "The partner tenant ID; the same as `tenant_id`.";

fn described(text: &str, attribute: &str) -> String {
    let modifiers = plan_modifiers::describe(attribute);
    if modifiers.is_empty() {
        text.to_string()
    } else {
        format!("{text} {modifiers}")
    }
}

fn string_attr(name: &str, description: String) -> Attribute {
    Attribute {
        name: name.into(),
        ty: Type::String,
        description,
        description_kind: DescriptionKind::Markdown,
        ..Attribute::default()
    }
}

/// The `timeouts` block with one attribute per operation in `ops`.
fn timeouts_block(ops: &[Operation]) -> NestedBlock {
    let attributes = ops
        .iter()
        .map(|op| Attribute {
            optional: true,
            ..string_attr(
                op.attribute(),
                format!(
                    "How long to {} the policy may take, including retries, as a duration such \
                     as \"90s\", \"10m\" or \"1h30m\". Default {}.",
                    op.attribute(),
                    op.default_text()
                ),
            )
        })
        .collect();
    NestedBlock {
        type_name: TIMEOUTS.into(),
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

/// The resource's state schema version; state from a higher one was written by a newer provider.
pub const RESOURCE_SCHEMA_VERSION: i64 = 0;

/// The resource schema (issue 3): blocks, not nested attributes, for Terraform 1.0.x.
pub fn resource_schema() -> Schema {
    let user_sync_inbound = NestedBlock {
        type_name: USER_SYNC_INBOUND.into(),
        block: Block {
            attributes: vec![Attribute {
                name: IS_SYNC_ALLOWED.into(),
                ty: Type::Bool,
                description: IS_SYNC_ALLOWED_DESCRIPTION.into(),
                description_kind: DescriptionKind::Markdown,
                required: true,
                ..Attribute::default()
            }],
            description: "Graph's `userSyncInbound`: inbound user synchronization from the \
                          partner tenant."
                .into(),
            description_kind: DescriptionKind::Markdown,
            ..Block::default()
        },
        nesting: NestingMode::Single,
        min_items: 1,
        max_items: 1,
    };
    Schema {
        version: RESOURCE_SCHEMA_VERSION,
        block: Block {
            attributes: vec![
                Attribute {
                    computed: true,
                    ..string_attr(ID, described(ID_DESCRIPTION, ID))
                },
                Attribute {
                    required: true,
                    ..string_attr(TENANT_ID, described(TENANT_ID_DESCRIPTION, TENANT_ID))
                },
                Attribute {
                    optional: true,
                    computed: true,
                    ..string_attr(
                        DISPLAY_NAME,
                        described(DISPLAY_NAME_DESCRIPTION, DISPLAY_NAME),
                    )
                },
            ],
            blocks: vec![user_sync_inbound, timeouts_block(&Operation::ALL)],
            description: RESOURCE_DESCRIPTION.into(),
            description_kind: DescriptionKind::Markdown,
            deprecated: false,
        },
    }
}

/// The data source schema: `user_sync_inbound` is a computed object attribute, because blocks
/// cannot be computed before protocol 6.11 and references into it must work on every version.
pub fn data_source_schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            attributes: vec![
                Attribute {
                    computed: true,
                    ..string_attr(ID, ID_DESCRIPTION.into())
                },
                Attribute {
                    required: true,
                    ..string_attr(TENANT_ID, TENANT_ID_DESCRIPTION.into())
                },
                Attribute {
                    computed: true,
                    ..string_attr(
                        DISPLAY_NAME,
                        "Graph's `displayName`: a name for the policy, usually the partner \
                         tenant's name."
                            .into(),
                    )
                },
                Attribute {
                    name: USER_SYNC_INBOUND.into(),
                    ty: Type::Object(BTreeMap::from([(IS_SYNC_ALLOWED.to_string(), Type::Bool)])),
                    description: "Graph's `userSyncInbound`. `is_sync_allowed`: whether users may \
                                  be synchronized from the partner tenant into this tenant."
                        .into(),
                    description_kind: DescriptionKind::Markdown,
                    computed: true,
                    ..Attribute::default()
                },
            ],
            blocks: vec![timeouts_block(&[Operation::Read])],
            description: "Reads the user synchronization policy \
                          (`crossTenantIdentitySyncPolicyPartner`) of a partner-specific \
                          cross-tenant access configuration. Needs `Policy.Read.All`."
                .into(),
            description_kind: DescriptionKind::Markdown,
            deprecated: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr<'a>(block: &'a Block, name: &str) -> &'a Attribute {
        block.attributes.iter().find(|a| a.name == name).unwrap()
    }

    #[test]
    fn resource_schema_is_exactly_issue_3() {
        let s = resource_schema();
        let b = &s.block;
        let id = attr(b, "id");
        assert!(id.computed && !id.optional && !id.required);
        let tid = attr(b, "tenant_id");
        assert!(tid.required && !tid.computed);
        assert!(tid.description.contains("destroys the policy"));
        let dn = attr(b, "display_name");
        assert!(dn.optional && dn.computed && !dn.required);
        assert_eq!(b.attributes.len(), 3);
        let usi = &b.blocks[0];
        assert_eq!(usi.type_name, "user_sync_inbound");
        assert_eq!(
            (usi.nesting, usi.min_items, usi.max_items),
            (NestingMode::Single, 1, 1)
        );
        let allowed = attr(&usi.block, "is_sync_allowed");
        assert!(allowed.required && allowed.ty == Type::Bool);
        assert!(allowed.description.contains("already synchronized stay"));
        let t = &b.blocks[1];
        assert_eq!(t.type_name, "timeouts");
        assert_eq!(
            (t.nesting, t.min_items, t.max_items),
            (NestingMode::Single, 0, 0)
        );
        let names: Vec<&str> = t.block.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["create", "read", "update", "delete"]);
        assert!(t
            .block
            .attributes
            .iter()
            .all(|a| a.optional && a.ty == Type::String));
        assert_eq!(b.blocks.len(), 2);
    }

    #[test]
    fn every_attribute_is_described() {
        fn check(block: &Block) {
            assert!(!block.description.is_empty());
            for a in &block.attributes {
                assert!(a.description.len() > 20, "{}", a.name);
            }
            for nb in &block.blocks {
                check(&nb.block);
            }
        }
        check(&resource_schema().block);
        check(&data_source_schema().block);
    }

    #[test]
    fn data_source_exposes_sync_as_a_computed_object() {
        let s = data_source_schema();
        let blocks: Vec<&str> = s
            .block
            .blocks
            .iter()
            .map(|b| b.type_name.as_str())
            .collect();
        assert_eq!(blocks, ["timeouts"], "only the timeouts block");
        let reads: Vec<&str> = s.block.blocks[0]
            .block
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(reads, ["read"], "a data source only reads");
        let usi = attr(&s.block, "user_sync_inbound");
        assert!(usi.computed && !usi.optional);
        assert_eq!(
            usi.ty,
            Type::Object(BTreeMap::from([(
                "is_sync_allowed".to_string(),
                Type::Bool
            )]))
        );
        assert!(attr(&s.block, "tenant_id").required);
        assert!(attr(&s.block, "id").computed);
        assert!(attr(&s.block, "display_name").computed);
    }
}
