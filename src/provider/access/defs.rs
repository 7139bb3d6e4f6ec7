//! The declarative descriptions of `msgraph_cross_tenant_access_partner` (resource and data
//! source) and `msgraph_cross_tenant_access_default` (resource).

use crate::provider::declarative::{Field, Kind, Presence, ResourceDef};
use crate::provider::plan_modifiers::PlanModifier;

use super::settings::setting_fields;

pub const PARTNER_TYPE: &str = "msgraph_cross_tenant_access_partner";
pub const DEFAULT_TYPE: &str = "msgraph_cross_tenant_access_default";

/// The default settings' import ID and `id`.
pub const DEFAULT_ID: &str = "default";

const PARTNER_SETTINGS: [Field; 7] = setting_fields(&[PlanModifier::NullWhenRemoved]);

const PARTNER_FIELDS: &[Field] = &[
    Field::id("The partner tenant ID; the same as `tenant_id`."),
    Field::tenant_key(
        "The partner tenant's ID (a GUID). Graph's `tenantId`, the key of the partner \
         configuration.",
    ),
    Field::graph(
        "is_service_provider",
        "isServiceProvider",
        Kind::Bool,
        Presence::Optional,
        "Graph's `isServiceProvider`: whether the partner is a Cloud Solution Provider for this \
         tenant.",
    )
    .with_modifiers(&[PlanModifier::NullWhenRemoved]),
    Field::graph(
        "is_in_multi_tenant_organization",
        "isInMultiTenantOrganization",
        Kind::Bool,
        Presence::Computed,
        "Graph's `isInMultiTenantOrganization` (read-only): whether the partner is in the same \
         multitenant organization as this tenant.",
    ),
    PARTNER_SETTINGS[0],
    PARTNER_SETTINGS[1],
    PARTNER_SETTINGS[2],
    PARTNER_SETTINGS[3],
    PARTNER_SETTINGS[4],
    PARTNER_SETTINGS[5],
    PARTNER_SETTINGS[6],
    Field::TIMEOUTS,
];

pub const PARTNER: ResourceDef = ResourceDef {
    type_name: PARTNER_TYPE,
    noun: "partner configuration",
    short_noun: "partner configuration",
    description: "Manages a partner-specific configuration of the cross-tenant access settings \
(`crossTenantAccessPolicyConfigurationPartner`) in Microsoft Entra: how this tenant works with \
one other tenant. Settings left out inherit the tenant's default settings. The \
`msgraph_cross_tenant_identity_sync` policy of a partner lives under it: give that resource \
`tenant_id = msgraph_cross_tenant_access_partner.<name>.tenant_id` so Terraform creates the \
partner first and destroys it last. Inbound cross-tenant synchronization needs \
`automatic_user_consent_settings { inbound_allowed = true }` here. Needs the Microsoft Graph \
permission `Policy.ReadWrite.CrossTenantAccess`.",
    data_source_description: "Reads a partner-specific configuration of the cross-tenant access \
settings (`crossTenantAccessPolicyConfigurationPartner`). Settings that inherit the default \
settings are null. Needs `Policy.Read.All`.",
    fields: PARTNER_FIELDS,
    singleton_id: "",
};

const DEFAULT_SETTINGS: [Field; 7] = setting_fields(&[PlanModifier::LeftWhenRemoved]);

const DEFAULT_FIELDS: &[Field] = &[
    Field::id("Always `default`."),
    Field::graph(
        "is_service_default",
        "isServiceDefault",
        Kind::Bool,
        Presence::Computed,
        "Graph's `isServiceDefault` (read-only): whether the default settings are still the \
         system defaults.",
    ),
    DEFAULT_SETTINGS[0],
    DEFAULT_SETTINGS[1],
    DEFAULT_SETTINGS[2],
    DEFAULT_SETTINGS[3],
    DEFAULT_SETTINGS[4],
    DEFAULT_SETTINGS[5],
    DEFAULT_SETTINGS[6],
    Field::TIMEOUTS,
];

pub const DEFAULT: ResourceDef = ResourceDef {
    type_name: DEFAULT_TYPE,
    noun: "default settings",
    short_noun: "default settings",
    description: "Manages the tenant's default cross-tenant access settings \
(`crossTenantAccessPolicyConfigurationDefault`), which every partner configuration inherits for \
the settings it leaves out. A singleton that always exists: creating the resource changes only \
the settings the configuration sets, and destroying it resets every setting to the system \
defaults (`resetToSystemDefault`). Import it with the ID `default`. Needs the Microsoft Graph \
permission `Policy.ReadWrite.CrossTenantAccess`.",
    data_source_description: "",
    fields: DEFAULT_FIELDS,
    singleton_id: DEFAULT_ID,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::NestingMode;
    use crate::provider::declarative::schema::{data_source_schema, resource_schema};
    use crate::provider::testutil::schema_names::{attr_names, block_names};

    /// Both resources' attribute and block names, as documented: the default settings are the
    /// partner's minus the key, plus is_service_default.
    #[test]
    fn schemas_have_the_documented_names() {
        const SETTINGS_AND_TIMEOUTS: [&str; 8] = [
            "automatic_user_consent_settings",
            "inbound_trust",
            "b2b_collaboration_inbound",
            "b2b_collaboration_outbound",
            "b2b_direct_connect_inbound",
            "b2b_direct_connect_outbound",
            "tenant_restrictions",
            "timeouts",
        ];
        let cases: [(&ResourceDef, &[&str]); 2] = [
            (
                &PARTNER,
                &[
                    "id",
                    "tenant_id",
                    "is_service_provider",
                    "is_in_multi_tenant_organization",
                ],
            ),
            (&DEFAULT, &["id", "is_service_default"]),
        ];
        for (def, attrs) in cases {
            let s = resource_schema(def);
            assert_eq!(attr_names(&s.block), attrs, "{}", def.type_name);
            let blocks = block_names(&s.block);
            assert_eq!(blocks, SETTINGS_AND_TIMEOUTS, "{}", def.type_name);
        }
    }

    #[test]
    fn partner_settings_nest_and_its_data_source_has_them_as_attributes() {
        let s = resource_schema(&PARTNER);
        let tr = &s.block.blocks[6].block;
        let inner: Vec<&str> = block_names(tr);
        assert_eq!(inner, ["users_and_groups", "applications", "devices"]);
        let targets = &tr.blocks[0].block.blocks[0];
        assert_eq!(targets.nesting, NestingMode::Set);
        assert!(s.block.blocks[1]
            .block
            .attributes
            .iter()
            .any(|a| a.name == "is_hybrid_azure_ad_joined_device_accepted"));
        let ds = data_source_schema(&PARTNER);
        // Only the read timeout is a block; every setting is a computed attribute.
        let ds_blocks: Vec<&str> = block_names(&ds.block);
        assert_eq!(ds_blocks, ["timeouts"]);
        assert_eq!(ds.block.attributes.len(), 11);
    }
}
