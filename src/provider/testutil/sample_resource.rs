//! A small resource definition exercising every kind, for the declarative layer's tests.

use crate::plugin::Value;
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
/// An optional block named as in Graph, sent as null when removed from the configuration.
const fn removable_block(name: &'static str, fields: &'static [Field], doc: &'static str) -> Field {
    Field::graph(name, name, Kind::Block(fields), Presence::Optional, doc)
        .with_modifiers(&[PlanModifier::NullWhenRemoved])
}

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
    removable_block("trust", TRUST, "Trust."),
    removable_block("access", ACCESS, "Access."),
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

/// A value of [`DEF`] for the object `key`, with no timeouts.
pub fn value(key: &str, flag: Value, computed: bool, trust: Value, access: Value) -> Value {
    Value::object([
        ("id", Value::string(key)),
        ("tenant_id", Value::string(key)),
        ("flag", flag),
        ("computed", Value::Bool(computed)),
        ("trust", trust),
        ("access", access),
        ("timeouts", Value::Null),
    ])
}
