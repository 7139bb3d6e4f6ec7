//! Typed views of `terraform show -json` output: the state and a saved plan.

use serde_json::Value;

/// The state as `terraform show -json` prints it (root module only; scenarios use no modules).
#[derive(Debug, Clone)]
pub struct State {
    pub raw: Value,
}

impl State {
    pub fn parse(json: &str) -> Result<State, String> {
        let raw: Value = serde_json::from_str(json)
            .map_err(|e| format!("`terraform show -json` printed invalid JSON: {e}"))?;
        Ok(State { raw })
    }

    /// Every managed and data resource instance of the root module.
    pub fn resources(&self) -> Vec<&Value> {
        self.raw
            .pointer("/values/root_module/resources")
            .and_then(Value::as_array)
            .map(|r| r.iter().collect())
            .unwrap_or_default()
    }

    /// Resource addresses, e.g. `msgraph_cross_tenant_identity_sync.x`, `data.msgraph_...`.
    pub fn addresses(&self) -> Vec<String> {
        self.resources()
            .iter()
            .filter_map(|r| r.get("address").and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    }

    /// The attribute values of one resource instance, if it is in the state.
    pub fn values(&self, address: &str) -> Option<&Value> {
        self.resources()
            .into_iter()
            .find(|r| r.get("address").and_then(Value::as_str) == Some(address))
            .and_then(|r| r.get("values"))
    }

    /// One attribute by dotted path (`user_sync_inbound.is_sync_allowed`, `list.0.x`).
    /// Outer None: no such resource; inner: the value (JSON null when unset).
    pub fn attr(&self, address: &str, path: &str) -> Option<Value> {
        self.values(address).map(|v| lookup(v, path))
    }

    /// An output value, if the output is in the state.
    pub fn output(&self, name: &str) -> Option<&Value> {
        self.raw.pointer(&format!("/values/outputs/{name}/value"))
    }
}

/// A saved plan as `terraform show -json tfplan` prints it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub raw: Value,
}

impl Plan {
    pub fn parse(json: &str) -> Result<Plan, String> {
        let raw: Value = serde_json::from_str(json)
            .map_err(|e| format!("`terraform show -json tfplan` printed invalid JSON: {e}"))?;
        Ok(Plan { raw })
    }

    pub fn change(&self, address: &str) -> Option<&Value> {
        self.raw
            .get("resource_changes")
            .and_then(Value::as_array)?
            .iter()
            .find(|c| c.get("address").and_then(Value::as_str) == Some(address))
            .and_then(|c| c.get("change"))
    }

    /// The planned actions for a resource: `["create"]`, `["update"]`, `["delete","create"]`,
    /// `["no-op"]`, `["read"]`; empty when the resource is not in the plan.
    pub fn actions(&self, address: &str) -> Vec<String> {
        self.change(address)
            .and_then(|c| c.get("actions"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every address whose actions are something other than no-op or read.
    pub fn changed_addresses(&self) -> Vec<String> {
        self.raw
            .get("resource_changes")
            .and_then(Value::as_array)
            .map(|changes| {
                changes
                    .iter()
                    .filter(|c| {
                        let actions = c.pointer("/change/actions").and_then(Value::as_array);
                        actions.is_some_and(|a| {
                            a.iter()
                                .any(|x| x.as_str() != Some("no-op") && x.as_str() != Some("read"))
                        })
                    })
                    .filter_map(|c| c.get("address").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn before(&self, address: &str, path: &str) -> Value {
        self.change(address)
            .and_then(|c| c.get("before"))
            .map(|v| lookup(v, path))
            .unwrap_or(Value::Null)
    }

    pub fn after(&self, address: &str, path: &str) -> Value {
        self.change(address)
            .and_then(|c| c.get("after"))
            .map(|v| lookup(v, path))
            .unwrap_or(Value::Null)
    }

    /// True when `path` of the planned value is unknown until apply.
    pub fn after_unknown(&self, address: &str, path: &str) -> bool {
        self.change(address)
            .and_then(|c| c.get("after_unknown"))
            .map(|v| lookup(v, path) == Value::Bool(true))
            .unwrap_or(false)
    }

    /// `replace_paths` (attribute paths forcing replacement), when this Terraform reports them.
    pub fn replace_paths(&self, address: &str) -> Option<Vec<Value>> {
        self.change(address)
            .and_then(|c| c.get("replace_paths"))
            .and_then(Value::as_array)
            .cloned()
    }
}

/// Follows a dotted path through objects and arrays; a missing step is JSON null.
pub fn lookup(value: &Value, path: &str) -> Value {
    let mut current = value;
    for step in path.split('.').filter(|s| !s.is_empty()) {
        let next = match current {
            Value::Object(map) => map.get(step),
            Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(v) => current = v,
            None => return Value::Null,
        }
    }
    current.clone()
}

/// Drops the named top-level attributes (e.g. `timeouts`) before comparing two states.
pub fn without(values: &Value, ignored: &[&str]) -> Value {
    match values {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !ignored.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}
