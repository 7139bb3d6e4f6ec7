//! The declarative description of the `msgraph_cross_tenant_identity_sync` resource and data
//! source; their schemas are derived from it.

use crate::plugin::Schema;

use super::declarative::{schema, Field, Kind, Presence, ResourceDef, Role};
use super::plan_modifiers::PlanModifier;
use super::state::{DISPLAY_NAME, IS_SYNC_ALLOWED, USER_SYNC_INBOUND};

pub const TYPE_NAME: &str = "msgraph_cross_tenant_identity_sync";

pub use super::declarative::schema::RESOURCE_SCHEMA_VERSION;

const USER_SYNC_INBOUND_FIELDS: &[Field] = &[Field::graph(
    IS_SYNC_ALLOWED,
    "isSyncAllowed",
    Kind::Bool,
    Presence::Required,
    "Graph's `userSyncInbound.isSyncAllowed`: whether users may be synchronized from the partner \
     tenant into this tenant. Setting it to `false` stops any current synchronization from the \
     partner; users already synchronized stay as they are. Changing it updates the policy in \
     place.",
)];

const FIELDS: &[Field] = &[
    Field::id("The partner tenant ID; the same as `tenant_id`."),
    Field::tenant_key(
        "The partner tenant's ID (a GUID): the tenant users are synchronized from. Graph's \
         `tenantId`, the key of the partner configuration.",
    ),
    Field {
        name: DISPLAY_NAME,
        role: Role::Graph("displayName"),
        kind: Kind::String,
        presence: Presence::OptionalComputed,
        modifiers: &[PlanModifier::KeepStateWhenUnset],
        description: "Graph's `displayName`: a name for the policy, usually the partner tenant's \
                      name. Changing it updates the policy in place. When not set, it is null \
                      after create and later takes whatever Microsoft Graph holds.",
        data_source_description: "Graph's `displayName`: a name for the policy, usually the \
                                  partner tenant's name.",
    },
    Field {
        name: USER_SYNC_INBOUND,
        role: Role::Graph("userSyncInbound"),
        kind: Kind::Block(USER_SYNC_INBOUND_FIELDS),
        presence: Presence::Required,
        modifiers: &[],
        description: "Graph's `userSyncInbound`: inbound user synchronization from the partner \
                      tenant.",
        data_source_description: "Graph's `userSyncInbound`. `is_sync_allowed`: whether users \
                                  may be synchronized from the partner tenant into this tenant.",
    },
    Field::TIMEOUTS,
];

/// The identity sync resource, declaratively.
pub const IDENTITY_SYNC: ResourceDef = ResourceDef {
    type_name: TYPE_NAME,
    noun: "identity synchronization policy",
    short_noun: "policy",
    description: "Manages the user synchronization policy \
(`crossTenantIdentitySyncPolicyPartner`) of a partner-specific cross-tenant access configuration \
in Microsoft Entra: whether users may be synchronized from the partner tenant into this one. The \
partner configuration (`/policies/crossTenantAccessPolicy/partners/{tenant_id}`) must exist. \
Needs the Microsoft Graph permission `Policy.ReadWrite.CrossTenantAccess`.",
    data_source_description: "Reads the user synchronization policy \
(`crossTenantIdentitySyncPolicyPartner`) of a partner-specific cross-tenant access configuration. \
Needs `Policy.Read.All`.",
    fields: FIELDS,
    singleton_id: "",
};

/// The resource schema of `msgraph_cross_tenant_identity_sync`.
pub fn resource_schema() -> Schema {
    schema::resource_schema(&IDENTITY_SYNC)
}

/// The data source schema: `user_sync_inbound` is a computed object attribute, because blocks
/// cannot be computed before protocol 6.11 and references into it must work on every version.
pub fn data_source_schema() -> Schema {
    schema::data_source_schema(&IDENTITY_SYNC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{Block, NestingMode, Type};
    use crate::provider::testutil::schema_names::{attr, attr_names, block_names};
    use std::collections::BTreeMap;

    #[test]
    fn resource_schema_has_exactly_the_documented_attributes() {
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
        let names: Vec<&str> = attr_names(&t.block);
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
        let blocks: Vec<&str> = block_names(&s.block);
        assert_eq!(blocks, ["timeouts"], "only the timeouts block");
        let reads: Vec<&str> = attr_names(&s.block.blocks[0].block);
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
