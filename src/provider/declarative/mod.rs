//! One declarative description per resource: for each attribute its Terraform name, Graph JSON
//! property, type, presence, plan behaviour and description. Schema, docs, state from a GET
//! body, planned state, validation and the PATCH diff are all derived from it (sibling files).

pub mod convert;
pub mod diff;
pub mod plan;
pub mod schema;
pub mod validate;

use super::plan_modifiers::PlanModifier;

/// What the configuration may do with an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Set by Graph only.
    Computed,
    /// Set by the configuration or, when unset, by Graph.
    OptionalComputed,
}

/// An attribute's type.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    String,
    Bool,
    /// One of these strings, checked at plan time.
    Enum(&'static [&'static str]),
    /// A tenant GUID, checked at plan time and compared ignoring case.
    TenantId,
    /// A single nested block (a JSON object).
    Block(&'static [Field]),
    /// A set of nested blocks (a JSON array of objects): order never causes a diff.
    BlockSet(&'static [Field]),
}

/// Where an attribute's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A Graph property with this JSON name.
    Graph(&'static str),
    /// The object's key, Graph property with this JSON name: read-only after create.
    Key(&'static str),
    /// Terraform's `id`: the key, or the singleton's fixed ID.
    Id,
    /// The `timeouts` block.
    Timeouts,
}

/// One attribute or block.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub role: Role,
    pub kind: Kind,
    pub presence: Presence,
    pub modifiers: &'static [PlanModifier],
    pub description: &'static str,
    /// The data source's description, when it differs; empty means `description`.
    pub data_source_description: &'static str,
}

impl Field {
    /// A Graph property with no plan behaviour (the common case in nested blocks).
    pub const fn graph(
        name: &'static str,
        json: &'static str,
        kind: Kind,
        presence: Presence,
        description: &'static str,
    ) -> Field {
        Field {
            name,
            role: Role::Graph(json),
            kind,
            presence,
            modifiers: &[],
            description,
            data_source_description: "",
        }
    }

    /// Terraform's `id`, known at plan time.
    pub const fn id(description: &'static str) -> Field {
        Field {
            name: "id",
            role: Role::Id,
            kind: Kind::String,
            presence: Presence::Computed,
            modifiers: &[PlanModifier::UseStateForUnknown],
            description,
            data_source_description: "",
        }
    }

    /// The required partner tenant GUID `tenant_id` (Graph's `tenantId`), the object's key.
    pub const fn tenant_key(description: &'static str) -> Field {
        Field {
            name: "tenant_id",
            role: Role::Key("tenantId"),
            kind: Kind::TenantId,
            presence: Presence::Required,
            modifiers: &[
                PlanModifier::RequiresReplace,
                PlanModifier::CaseInsensitiveGuid,
            ],
            description,
            data_source_description: "",
        }
    }

    /// The `timeouts` block.
    pub const TIMEOUTS: Field = Field {
        name: "timeouts",
        role: Role::Timeouts,
        kind: Kind::String,
        presence: Presence::Optional,
        modifiers: &[],
        description: "",
        data_source_description: "",
    };

    pub const fn with_modifiers(self, modifiers: &'static [PlanModifier]) -> Field {
        Field { modifiers, ..self }
    }

    /// The Graph JSON name of a Graph property or the key.
    pub fn json(&self) -> Option<&'static str> {
        match self.role {
            Role::Graph(j) | Role::Key(j) => Some(j),
            Role::Id | Role::Timeouts => None,
        }
    }

    /// A Graph property the configuration writes (PATCH/POST bodies).
    pub fn writable(&self) -> bool {
        matches!(self.role, Role::Graph(_)) && self.presence != Presence::Computed
    }

    pub fn has(&self, modifier: PlanModifier) -> bool {
        self.modifiers.contains(&modifier)
    }
}

/// One resource (and, when it has a key, its data source).
#[derive(Debug, Clone, Copy)]
pub struct ResourceDef {
    pub type_name: &'static str,
    /// What the object is called in messages: "identity synchronization policy".
    pub noun: &'static str,
    /// Short noun for plan sentences: "policy".
    pub short_noun: &'static str,
    pub description: &'static str,
    pub data_source_description: &'static str,
    pub fields: &'static [Field],
    /// The `id` of a singleton (no key field).
    pub singleton_id: &'static str,
}

impl ResourceDef {
    pub fn key(&self) -> Option<&'static Field> {
        self.fields.iter().find(|f| matches!(f.role, Role::Key(_)))
    }

    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}
