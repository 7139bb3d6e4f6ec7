//! Planned state from prior state + configuration, by the declarative description. Terraform
//! requires planned values to equal the configuration for every non-computed attribute, so only
//! `id`, computed and optional+computed attributes are decided here.

use crate::plugin::{AttributePath, Value};

use super::{Presence, ResourceDef, Role};
use crate::provider::guid::TenantId;
use crate::provider::plan_modifiers::PlanModifier;

/// The answer to PlanResourceChange.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub planned_state: Value,
    pub requires_replace: Vec<AttributePath>,
}

/// Whether two key values name the same object (GUIDs ignoring case).
fn same_key(prior: &Value, config: &Value) -> bool {
    match (prior.as_str(), config.as_str()) {
        (Some(p), Some(c)) => match (TenantId::parse(p), TenantId::parse(c)) {
            (Ok(p), Ok(c)) => p == c,
            _ => p == c,
        },
        _ => false,
    }
}

/// Plans a change. `prior` is null on create, `config` null on destroy.
pub fn plan(def: &ResourceDef, prior: &Value, config: &Value) -> Plan {
    if config.is_null() {
        return Plan {
            planned_state: Value::Null,
            requires_replace: vec![],
        };
    }
    let key = def.key();
    let replaced_key = key.filter(|k| {
        !prior.is_null()
            && k.has(PlanModifier::RequiresReplace)
            && !same_key(prior.attr(k.name), config.attr(k.name))
    });
    if prior.is_null() || replaced_key.is_some() {
        let replacing = replaced_key.is_some();
        return Plan {
            planned_state: plan_create(def, config, replacing),
            requires_replace: replaced_key
                .map(|k| vec![AttributePath::attrs([k.name])])
                .unwrap_or_default(),
        };
    }
    Plan {
        planned_state: plan_update(def, prior, config),
        requires_replace: vec![],
    }
}

/// Create: `id` is the key when known; computed values come from Graph (unknown); an unset
/// optional+computed value stays null (nothing is read back after create). In a replacement,
/// Terraform re-plans the create half itself: this answer only stays consistent with config.
fn plan_create(def: &ResourceDef, config: &Value, replacing: bool) -> Value {
    Value::object(def.fields.iter().map(|f| {
        let configured = config.attr(f.name).clone();
        let v = match (f.role, f.presence) {
            (Role::Id, _) if replacing => Value::Unknown,
            (Role::Id, _) => match def.key() {
                Some(k) => match config.attr(k.name) {
                    Value::String(s) => Value::string(s.clone()),
                    _ => Value::Unknown,
                },
                None => Value::string(def.singleton_id),
            },
            (_, Presence::Computed) => Value::Unknown,
            (_, Presence::OptionalComputed) if replacing && configured.is_null() => Value::Unknown,
            _ => configured,
        };
        (f.name, v)
    }))
}

/// Update in place: the key takes the configuration's spelling (a case-only change is no
/// change), `id` and computed values stay, an unset optional+computed value keeps Graph's.
fn plan_update(def: &ResourceDef, prior: &Value, config: &Value) -> Value {
    Value::object(def.fields.iter().map(|f| {
        let configured = config.attr(f.name).clone();
        let prior_v = prior.attr(f.name).clone();
        let v = match (f.role, f.presence) {
            (Role::Id, _) => match prior_v {
                Value::String(_) => prior_v,
                _ => def
                    .key()
                    .map(|k| config.attr(k.name).clone())
                    .unwrap_or(Value::string(def.singleton_id)),
            },
            (_, Presence::Computed) => prior_v,
            (_, Presence::OptionalComputed) if configured.is_null() => prior_v,
            _ => configured,
        };
        (f.name, v)
    }))
}
