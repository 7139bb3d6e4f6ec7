//! The setting blocks partner configurations and the default settings share (Graph's
//! crossTenantAccessPolicyB2BSetting, inboundTrust, automaticUserConsentSettings,
//! tenantRestrictions), declaratively.

use crate::provider::declarative::{Field, Kind, Presence};
use crate::provider::plan_modifiers::PlanModifier;

const TARGET: &[Field] = &[
    Field::graph(
        "target",
        "target",
        Kind::String,
        Presence::Required,
        "Graph's `target`: a user, group or application ID, or `AllUsers`, `AllApplications`, \
         `Office365`.",
    ),
    Field::graph(
        "target_type",
        "targetType",
        Kind::Enum(&["user", "group", "application"]),
        Presence::Required,
        "Graph's `targetType`: what `target` names.",
    ),
];

/// crossTenantAccessPolicyTargetConfiguration: `usersAndGroups` or `applications`.
const TARGET_CONFIGURATION: &[Field] = &[
    Field::graph(
        "access_type",
        "accessType",
        Kind::Enum(&["allowed", "blocked"]),
        Presence::Optional,
        "Graph's `accessType`: whether the targets are allowed or blocked.",
    ),
    Field::graph(
        "targets",
        "targets",
        Kind::BlockSet(TARGET),
        Presence::Optional,
        "Graph's `targets`: the users, groups or applications this applies to (a set: order \
         never causes a diff).",
    ),
];

const USERS_AND_GROUPS: Field = Field::graph(
    "users_and_groups",
    "usersAndGroups",
    Kind::Block(TARGET_CONFIGURATION),
    Presence::Optional,
    "Graph's `usersAndGroups`: which users and groups the setting applies to.",
);

const APPLICATIONS: Field = Field::graph(
    "applications",
    "applications",
    Kind::Block(TARGET_CONFIGURATION),
    Presence::Optional,
    "Graph's `applications`: which applications the setting applies to.",
);

const B2B_SETTING: &[Field] = &[USERS_AND_GROUPS, APPLICATIONS];

const DEVICES: &[Field] = &[
    Field::graph(
        "mode",
        "mode",
        Kind::Enum(&["include", "exclude"]),
        Presence::Optional,
        "Graph's `mode`: whether devices matching `rule` are included or excluded.",
    ),
    Field::graph(
        "rule",
        "rule",
        Kind::String,
        Presence::Optional,
        "Graph's `rule`: a device filter, e.g. `device.trustType -eq \"AzureAD\"`.",
    ),
];

const TENANT_RESTRICTIONS: &[Field] = &[
    USERS_AND_GROUPS,
    APPLICATIONS,
    Field::graph(
        "devices",
        "devices",
        Kind::Block(DEVICES),
        Presence::Optional,
        "Graph's `devices`: the devices tenant restrictions apply to.",
    ),
];

const INBOUND_TRUST: &[Field] = &[
    Field::graph(
        "is_mfa_accepted",
        "isMfaAccepted",
        Kind::Bool,
        Presence::Optional,
        "Graph's `isMfaAccepted`: trust multifactor authentication done in the partner tenant.",
    ),
    Field::graph(
        "is_compliant_device_accepted",
        "isCompliantDeviceAccepted",
        Kind::Bool,
        Presence::Optional,
        "Graph's `isCompliantDeviceAccepted`: trust compliant device claims from the partner \
         tenant.",
    ),
    Field::graph(
        "is_hybrid_azure_ad_joined_device_accepted",
        "isHybridAzureADJoinedDeviceAccepted",
        Kind::Bool,
        Presence::Optional,
        "Graph's `isHybridAzureADJoinedDeviceAccepted`: trust hybrid Microsoft Entra joined \
         device claims from the partner tenant.",
    ),
];

const AUTOMATIC_USER_CONSENT: &[Field] = &[
    Field::graph(
        "inbound_allowed",
        "inboundAllowed",
        Kind::Bool,
        Presence::Optional,
        "Graph's `inboundAllowed`: users from the other tenant are not asked to consent when \
         they arrive here (needed in the target tenant for inbound cross-tenant \
         synchronization).",
    ),
    Field::graph(
        "outbound_allowed",
        "outboundAllowed",
        Kind::Bool,
        Presence::Optional,
        "Graph's `outboundAllowed`: users of this tenant are not asked to consent when they go \
         to the other tenant (needed in the source tenant for cross-tenant synchronization).",
    ),
];

/// The setting blocks, each removed-behaviour `on_removed`, in schema order.
pub const fn setting_fields(on_removed: &'static [PlanModifier]) -> [Field; 7] {
    [
        Field::graph(
            "automatic_user_consent_settings",
            "automaticUserConsentSettings",
            Kind::Block(AUTOMATIC_USER_CONSENT),
            Presence::Optional,
            "Graph's `automaticUserConsentSettings`: whether users are asked to consent when \
             they move between the tenants.",
        )
        .with_modifiers(on_removed),
        Field::graph(
            "inbound_trust",
            "inboundTrust",
            Kind::Block(INBOUND_TRUST),
            Presence::Optional,
            "Graph's `inboundTrust`: which claims from the other tenant Conditional Access \
             trusts.",
        )
        .with_modifiers(on_removed),
        Field::graph(
            "b2b_collaboration_inbound",
            "b2bCollaborationInbound",
            Kind::Block(B2B_SETTING),
            Presence::Optional,
            "Graph's `b2bCollaborationInbound`: B2B collaboration into this tenant.",
        )
        .with_modifiers(on_removed),
        Field::graph(
            "b2b_collaboration_outbound",
            "b2bCollaborationOutbound",
            Kind::Block(B2B_SETTING),
            Presence::Optional,
            "Graph's `b2bCollaborationOutbound`: B2B collaboration from this tenant.",
        )
        .with_modifiers(on_removed),
        Field::graph(
            "b2b_direct_connect_inbound",
            "b2bDirectConnectInbound",
            Kind::Block(B2B_SETTING),
            Presence::Optional,
            "Graph's `b2bDirectConnectInbound`: B2B direct connect into this tenant.",
        )
        .with_modifiers(on_removed),
        Field::graph(
            "b2b_direct_connect_outbound",
            "b2bDirectConnectOutbound",
            Kind::Block(B2B_SETTING),
            Presence::Optional,
            "Graph's `b2bDirectConnectOutbound`: B2B direct connect from this tenant.",
        )
        .with_modifiers(on_removed),
        Field::graph(
            "tenant_restrictions",
            "tenantRestrictions",
            Kind::Block(TENANT_RESTRICTIONS),
            Presence::Optional,
            "Graph's `tenantRestrictions`: which external accounts users may sign in with on \
             this tenant's networks and devices.",
        )
        .with_modifiers(on_removed),
    ]
}
