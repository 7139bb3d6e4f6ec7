//! A small resource definition exercising every kind, for the declarative layer's tests.

use crate::provider::declarative::{Field, Kind, Presence, ResourceDef};
use crate::provider::plan_modifiers::PlanModifier;

pub const TARGET: &[Field] = &[
    Field::graph(
        "target",
        "target",
        Kind::String,
        Presence::Required,
        "The target.",
    ),
    Field::graph(
        "target_type",
        "targetType",
        Kind::Enum(&["user", "group"]),
        Presence::Required,
        "The kind.",
    ),
];
pub const ACCESS: &[Field] = &[
    Field::graph(
        "access_type",
        "accessType",
        Kind::Enum(&["allowed", "blocked"]),
        Presence::Optional,
        "Allowed or blocked.",
    ),
    Field::graph(
        "targets",
        "targets",
        Kind::BlockSet(TARGET),
        Presence::Optional,
        "Targets.",
    ),
];
pub const TRUST: &[Field] = &[
    Field::graph(
        "mfa",
        "isMfaAccepted",
        Kind::Bool,
        Presence::Optional,
        "MFA.",
    ),
    Field::graph(
        "device",
        "isDeviceAccepted",
        Kind::Bool,
        Presence::Optional,
        "Device.",
    ),
];
pub const FIELDS: &[Field] = &[
    Field::id("The ID."),
    Field::tenant_key("The key."),
    Field::graph("flag", "isFlag", Kind::Bool, Presence::Optional, "A flag.")
        .with_modifiers(&[PlanModifier::NullWhenRemoved]),
    Field::graph(
        "computed",
        "isComputed",
        Kind::Bool,
        Presence::Computed,
        "Computed.",
    ),
    Field::graph(
        "trust",
        "trust",
        Kind::Block(TRUST),
        Presence::Optional,
        "Trust.",
    )
    .with_modifiers(&[PlanModifier::NullWhenRemoved]),
    Field::graph(
        "access",
        "access",
        Kind::Block(ACCESS),
        Presence::Optional,
        "Access.",
    )
    .with_modifiers(&[PlanModifier::NullWhenRemoved]),
    Field::TIMEOUTS,
];
pub const DEF: ResourceDef = ResourceDef {
    type_name: "msgraph_test",
    noun: "test object",
    short_noun: "object",
    description: "A test object.",
    data_source_description: "Reads a test object.",
    fields: FIELDS,
    singleton_id: "",
};
