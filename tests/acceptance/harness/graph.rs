//! What scenarios expect at the Graph simulator: object paths, bodies, recorded writes, faults.

use msgraph_sim::{Fault, FaultKind, RecordedRequest};
use serde_json::{json, Value};

use super::scenario::{is_graph, Scenario};

/// `/v1.0/policies/crossTenantAccessPolicy/partners/{tenant}/identitySynchronization`.
pub fn policy_path(tenant_id: &str) -> String {
    format!("/v1.0/policies/crossTenantAccessPolicy/partners/{tenant_id}/identitySynchronization")
}

/// The writable properties of an identitySynchronization object (what a PUT sends).
pub fn policy_body(display_name: Option<&str>, allowed: bool) -> Value {
    match display_name {
        Some(name) => json!({"displayName": name, "userSyncInbound": {"isSyncAllowed": allowed}}),
        None => json!({"userSyncInbound": {"isSyncAllowed": allowed}}),
    }
}

/// The object as Graph holds and returns it, key included (what `sim.set_policy` takes to
/// change things behind Terraform's back).
pub fn graph_policy(tenant_id: &str, display_name: Option<&str>, allowed: bool) -> Value {
    let mut body = policy_body(display_name, allowed);
    if let Value::Object(map) = &mut body {
        map.insert("tenantId".to_string(), json!(tenant_id.to_lowercase()));
    }
    body
}

/// A Graph error body: `{"error":{"code","message"}}`.
pub fn graph_error(code: &str, message: &str) -> String {
    json!({"error": {"code": code, "message": message}}).to_string()
}

/// A recorded request reduced to what scenarios compare: method, lower-cased path, status, body.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub body: Option<Value>,
}

impl Call {
    pub fn of(r: &RecordedRequest) -> Call {
        // tenantId is read-only in Graph: a body carrying it stays and fails the comparison.
        let path = r.path.to_lowercase();
        let body = r.json();
        Call {
            method: r.method.clone(),
            path,
            status: r.status,
            body,
        }
    }

    /// The expected form of a call: lower-cased path (GUIDs compare case-insensitively).
    pub fn new(method: &str, path: &str, status: u16, body: Option<Value>) -> Call {
        Call {
            method: method.to_string(),
            path: path.to_lowercase(),
            status,
            body,
        }
    }
}

impl Scenario {
    /// Graph calls (not token requests) recorded so far, reduced for comparison.
    pub fn graph_calls(&self) -> Vec<Call> {
        self.sim
            .requests()
            .iter()
            .filter(|r| is_graph(r))
            .map(Call::of)
            .collect()
    }

    /// Graph writes (PUT/PATCH/POST/DELETE) recorded so far, reduced for comparison.
    pub fn write_calls(&self) -> Vec<Call> {
        self.graph_writes().iter().map(Call::of).collect()
    }

    /// A replacement's DELETE waited for reads to say 404 before its create (`create`: the
    /// create's verb): fails unless the GETs between them were a lagging 200, then a 404.
    pub fn expect_delete_awaited_before(&self, create: &str) {
        let calls = self.graph_calls();
        let delete_at = calls.iter().position(|c| c.method == "DELETE");
        let create_at = calls.iter().position(|c| c.method == create);
        let (Some(delete_at), Some(create_at)) = (delete_at, create_at) else {
            self.fail(&format!("no DELETE and {create} recorded"));
        };
        let between: Vec<u16> = calls[delete_at + 1..create_at]
            .iter()
            .filter(|c| c.method == "GET")
            .map(|c| c.status)
            .collect();
        self.expect(
            between.first() == Some(&200) && between.last() == Some(&404),
            &format!("GETs between DELETE and {create}: {between:?} (a lagging 200, then 404)"),
        );
    }

    /// Fails unless the simulator holds exactly this displayName / isSyncAllowed for `tenant_id`.
    pub fn expect_policy(&self, tenant_id: &str, display_name: Option<&str>, allowed: bool) {
        let Some(stored) = self.sim.policy(tenant_id) else {
            self.fail(&format!("the simulator holds no policy for {tenant_id}"));
        };
        let actual_name = stored.get("displayName").cloned().unwrap_or(Value::Null);
        let expected_name = display_name.map(|n| json!(n)).unwrap_or(Value::Null);
        self.expect_eq(
            &format!("displayName of {tenant_id} in Graph"),
            actual_name,
            expected_name,
        );
        self.expect_eq(
            &format!("userSyncInbound of {tenant_id} in Graph"),
            stored.pointer("/userSyncInbound/isSyncAllowed").cloned(),
            Some(json!(allowed)),
        );
    }
}

/// A fault for one verb on the identitySynchronization object, fired `times` times.
pub fn fault(method: &str, times: usize, kind: FaultKind) -> Fault {
    Fault {
        method: Some(method.to_string()),
        path_contains: Some("identitySynchronization".to_string()),
        times,
        kind,
    }
}

/// An HTTP status answer, optionally with Retry-After and a Graph error body.
pub fn status(status: u16, retry_after: Option<&str>, body: Option<String>) -> FaultKind {
    let content_type = body.as_ref().map(|_| "application/json".to_string());
    FaultKind::Status {
        status,
        retry_after: retry_after.map(str::to_string),
        body,
        content_type,
    }
}
