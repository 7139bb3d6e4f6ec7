//! An in-memory fake of the four Graph calls, recording each request, for operation tests.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Mutex;

use serde_json::json;
use tokio::time::Instant;

use crate::graph::{GraphError, IdentitySyncPatch, IdentitySyncPolicy, UserSyncInbound};

use crate::provider::policy_api::PolicyApi;

pub const TID: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";

/// One call the fake received: method, tenant, JSON body.
pub type Call = (&'static str, String, serde_json::Value);

#[derive(Default)]
struct Fake {
    policies: HashMap<String, IdentitySyncPolicy>,
    partners: Vec<String>,
    calls: Vec<Call>,
    /// Scripted GET answers, used before the stored policy.
    gets: VecDeque<Result<Option<IdentitySyncPolicy>, GraphError>>,
    /// Scripted errors for the next write.
    write_errors: VecDeque<GraphError>,
    /// Scripted errors answered after the next write took effect (a lost answer).
    lost_answers: VecDeque<GraphError>,
    hang: bool,
    /// Writes never answer (reads do).
    hang_writes: bool,
}

#[derive(Default)]
pub struct FakeGraph(Mutex<Fake>);

impl FakeGraph {
    pub fn with_partner() -> FakeGraph {
        let f = FakeGraph::default();
        f.0.lock().unwrap().partners.push(TID.into());
        f
    }
    pub fn with_policy(display_name: Option<&str>, allowed: bool) -> FakeGraph {
        let f = FakeGraph::with_partner();
        f.0.lock()
            .unwrap()
            .policies
            .insert(TID.into(), policy(display_name, allowed));
        f
    }
    pub fn calls(&self) -> Vec<Call> {
        self.0.lock().unwrap().calls.clone()
    }
    pub fn methods(&self) -> Vec<&'static str> {
        self.calls().into_iter().map(|c| c.0).collect()
    }
    pub fn stored(&self) -> Option<IdentitySyncPolicy> {
        self.0.lock().unwrap().policies.get(TID).cloned()
    }
    pub fn script_get(&self, answer: Result<Option<IdentitySyncPolicy>, GraphError>) {
        self.0.lock().unwrap().gets.push_back(answer);
    }
    pub fn fail_next_write(&self, e: GraphError) {
        self.0.lock().unwrap().write_errors.push_back(e);
    }
    /// The next write takes effect, then answers `e` (the answer was lost).
    pub fn lose_next_answer(&self, e: GraphError) {
        self.0.lock().unwrap().lost_answers.push_back(e);
    }
    pub fn hang(&self) {
        self.0.lock().unwrap().hang = true;
    }
    pub fn hang_writes(&self) {
        self.0.lock().unwrap().hang_writes = true;
    }

    fn answer<T: Send + 'static>(
        &self,
        call: Call,
        f: impl FnOnce(&mut Fake) -> Result<T, GraphError>,
    ) -> impl Future<Output = Result<T, GraphError>> + Send + 'static {
        let mut g = self.0.lock().unwrap();
        let hang = g.hang || (g.hang_writes && call.0 != "GET");
        g.calls.push(call);
        let out = f(&mut g);
        async move {
            if hang {
                std::future::pending::<()>().await;
            }
            out
        }
    }
}

pub fn policy(display_name: Option<&str>, allowed: bool) -> IdentitySyncPolicy {
    IdentitySyncPolicy {
        tenant_id: TID.into(),
        display_name: display_name.map(str::to_string),
        user_sync_inbound: UserSyncInbound {
            is_sync_allowed: allowed,
        },
    }
}

/// Graph's answer to a PUT on an existing policy.
pub fn conflict() -> GraphError {
    GraphError::Api {
        status: 409,
        code: "Request_MultipleObjectsWithSameKeyValue".into(),
        message: "A conflicting object with one or more of the specified property values is \
                  present in the directory."
            .into(),
        request_id: Some("req-409".into()),
    }
}

pub fn not_found() -> GraphError {
    GraphError::Api {
        status: 404,
        code: "Request_ResourceNotFound".into(),
        message: "Resource not found.".into(),
        request_id: Some("req-404".into()),
    }
}

impl PolicyApi for FakeGraph {
    fn get(
        &self,
        tenant_id: &str,
        _deadline: Instant,
    ) -> impl Future<Output = Result<Option<IdentitySyncPolicy>, GraphError>> + Send {
        let key = tenant_id.to_ascii_lowercase();
        self.answer(("GET", tenant_id.into(), json!(null)), move |g| {
            g.gets
                .pop_front()
                .unwrap_or_else(|| Ok(g.policies.get(&key).cloned()))
        })
    }
    fn put(
        &self,
        p: &IdentitySyncPolicy,
        _deadline: Instant,
    ) -> impl Future<Output = Result<(), GraphError>> + Send {
        let p = p.clone();
        let body = serde_json::to_value(&p).unwrap();
        self.answer(("PUT", p.tenant_id.clone(), body), move |g| {
            if let Some(e) = g.write_errors.pop_front() {
                return Err(e);
            }
            let key = p.tenant_id.to_ascii_lowercase();
            if !g.partners.contains(&key) {
                return Err(not_found());
            }
            if g.policies.contains_key(&key) {
                return Err(conflict());
            }
            g.policies.insert(key, p);
            g.lost_answers.pop_front().map_or(Ok(()), Err)
        })
    }
    fn patch(
        &self,
        tenant_id: &str,
        patch: &IdentitySyncPatch,
        _deadline: Instant,
    ) -> impl Future<Output = Result<(), GraphError>> + Send {
        let key = tenant_id.to_ascii_lowercase();
        let patch = patch.clone();
        let body = serde_json::to_value(&patch).unwrap();
        self.answer(("PATCH", tenant_id.into(), body), move |g| {
            if let Some(e) = g.write_errors.pop_front() {
                return Err(e);
            }
            let p = g.policies.get_mut(&key).ok_or_else(not_found)?;
            if let Some(name) = patch.display_name {
                p.display_name = name;
            }
            if let Some(s) = patch.user_sync_inbound {
                p.user_sync_inbound = s;
            }
            Ok(())
        })
    }
    fn delete(
        &self,
        tenant_id: &str,
        _deadline: Instant,
    ) -> impl Future<Output = Result<bool, GraphError>> + Send {
        let key = tenant_id.to_ascii_lowercase();
        self.answer(("DELETE", tenant_id.into(), json!(null)), move |g| {
            if let Some(e) = g.write_errors.pop_front() {
                return Err(e);
            }
            Ok(g.policies.remove(&key).is_some())
        })
    }
}
