//! Tests of the resource's operations against an in-memory fake of the Graph calls.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Mutex;

use serde_json::json;

use super::*;
use crate::graph::{IdentitySyncPatch, UserSyncInbound};
use crate::plugin::Severity;
use crate::provider::state::{resource_value, ID};

const TID: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";
const TID_UPPER: &str = "90E29127-71AD-49C7-9CE8-DB3F41EA06F1";

/// One call the fake received: method, tenant, JSON body.
type Call = (&'static str, String, serde_json::Value);

#[derive(Default)]
struct Fake {
    policies: HashMap<String, IdentitySyncPolicy>,
    partners: Vec<String>,
    calls: Vec<Call>,
    /// Scripted GET answers, used before the stored policy.
    gets: VecDeque<Result<Option<IdentitySyncPolicy>, GraphError>>,
    /// Scripted errors for the next write.
    write_errors: VecDeque<GraphError>,
    hang: bool,
}

#[derive(Default)]
struct FakeGraph(Mutex<Fake>);

impl FakeGraph {
    fn with_partner() -> FakeGraph {
        let f = FakeGraph::default();
        f.0.lock().unwrap().partners.push(TID.into());
        f
    }
    fn with_policy(display_name: Option<&str>, allowed: bool) -> FakeGraph {
        let f = FakeGraph::with_partner();
        f.0.lock()
            .unwrap()
            .policies
            .insert(TID.into(), policy(display_name, allowed));
        f
    }
    fn calls(&self) -> Vec<Call> {
        self.0.lock().unwrap().calls.clone()
    }
    fn methods(&self) -> Vec<&'static str> {
        self.calls().into_iter().map(|c| c.0).collect()
    }
    fn stored(&self) -> Option<IdentitySyncPolicy> {
        self.0.lock().unwrap().policies.get(TID).cloned()
    }
    fn script_get(&self, answer: Result<Option<IdentitySyncPolicy>, GraphError>) {
        self.0.lock().unwrap().gets.push_back(answer);
    }
    fn fail_next_write(&self, e: GraphError) {
        self.0.lock().unwrap().write_errors.push_back(e);
    }
    fn hang(&self) {
        self.0.lock().unwrap().hang = true;
    }

    fn answer<T: Send + 'static>(
        &self,
        call: Call,
        f: impl FnOnce(&mut Fake) -> Result<T, GraphError>,
    ) -> impl Future<Output = Result<T, GraphError>> + Send + 'static {
        let mut g = self.0.lock().unwrap();
        g.calls.push(call);
        let hang = g.hang;
        let out = f(&mut g);
        async move {
            if hang {
                std::future::pending::<()>().await;
            }
            out
        }
    }
}

fn policy(display_name: Option<&str>, allowed: bool) -> IdentitySyncPolicy {
    IdentitySyncPolicy {
        tenant_id: TID.into(),
        display_name: display_name.map(str::to_string),
        user_sync_inbound: UserSyncInbound {
            is_sync_allowed: allowed,
        },
    }
}

fn not_found() -> GraphError {
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
            g.policies.insert(key, p);
            Ok(())
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

struct Harness {
    fake: FakeGraph,
    stop: CancellationToken,
}

impl Harness {
    fn new(fake: FakeGraph) -> Harness {
        Harness {
            fake,
            stop: CancellationToken::new(),
        }
    }
    fn ops(&self) -> Ops<'_, FakeGraph> {
        Ops {
            api: &self.fake,
            stop: &self.stop,
            consistency_window: Duration::from_secs(30),
        }
    }
}

fn state(tenant: &str, display_name: Option<&str>, allowed: bool) -> Value {
    resource_value(tenant, tenant, display_name, allowed, Value::Null)
}

fn errors(diags: &Diagnostics) -> Vec<&str> {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.summary.as_str())
        .collect()
}

#[tokio::test]
async fn create_gets_first_then_puts_the_full_body() {
    let h = Harness::new(FakeGraph::with_partner());
    let planned = state(TID, None, true);
    let mut diags = Diagnostics::new();
    let (new_state, private) = h.ops().create(&planned, &mut diags).await;
    assert!(diags.0.is_empty(), "{diags:?}");
    assert_eq!(new_state, planned);
    assert_eq!(h.fake.methods(), ["GET", "PUT"]);
    assert_eq!(
        h.fake.calls()[1].2,
        json!({"tenantId": TID, "displayName": null, "userSyncInbound": {"isSyncAllowed": true}})
    );
    let written = LastWrite::decode(&private).expect("write time in private state");
    assert_eq!(written.display_name, None);
    assert!(written.is_sync_allowed);
}

#[tokio::test]
async fn create_of_an_existing_policy_shows_the_import_command() {
    let h = Harness::new(FakeGraph::with_policy(Some("Contoso"), true));
    let mut diags = Diagnostics::new();
    let (new_state, _) = h.ops().create(&state(TID, None, false), &mut diags).await;
    assert_eq!(new_state, Value::Null);
    assert_eq!(h.fake.methods(), ["GET"]);
    let d = &diags.0[0];
    assert_eq!(d.summary, "Identity synchronization policy already exists");
    assert!(d
        .detail
        .contains(&format!("terraform import <resource address> {TID}")));
    assert!(d.detail.contains(&format!(
        "terraform import msgraph_cross_tenant_identity_sync.example {TID}"
    )));
    assert!(d.detail.contains("import {"));
    assert_eq!(h.fake.stored(), Some(policy(Some("Contoso"), true)));
}

#[tokio::test]
async fn create_without_partner_explains_how_to_add_it() {
    let h = Harness::new(FakeGraph::default());
    let mut diags = Diagnostics::new();
    let (new_state, private) = h
        .ops()
        .create(&state(TID, Some("Contoso"), true), &mut diags)
        .await;
    assert_eq!(new_state, Value::Null);
    assert!(private.is_empty());
    let d = &diags.0[0];
    assert_eq!(d.summary, "Partner configuration not found");
    assert!(d
        .detail
        .contains("POST /policies/crossTenantAccessPolicy/partners"));
    assert!(d.detail.contains("request-id: req-404"));
    assert_eq!(d.attribute, Some(AttributePath::attrs(["tenant_id"])));
}

#[tokio::test]
async fn failed_create_tracks_nothing() {
    let h = Harness::new(FakeGraph::with_partner());
    h.fake.fail_next_write(GraphError::Transport {
        message: "connection reset".into(),
    });
    let mut diags = Diagnostics::new();
    let (new_state, _) = h.ops().create(&state(TID, None, true), &mut diags).await;
    assert_eq!(new_state, Value::Null);
    assert_eq!(
        errors(&diags),
        ["Could not create identity synchronization policy"]
    );
    assert!(diags.0[0].detail.contains("connection reset"));
}

#[tokio::test]
async fn update_sends_one_minimal_patch() {
    let cases = [
        (
            state(TID, Some("Fabrikam"), true),
            json!({"displayName": "Fabrikam"}),
        ),
        (
            state(TID, Some("Contoso"), false),
            json!({"userSyncInbound": {"isSyncAllowed": false}}),
        ),
        (
            state(TID, Some("Fabrikam"), false),
            json!({"displayName": "Fabrikam", "userSyncInbound": {"isSyncAllowed": false}}),
        ),
    ];
    for (planned, want) in cases {
        let h = Harness::new(FakeGraph::with_policy(Some("Contoso"), true));
        let prior = state(TID, Some("Contoso"), true);
        let mut diags = Diagnostics::new();
        let (new_state, private) = h.ops().update(&prior, &planned, &[], &mut diags).await;
        assert!(diags.0.is_empty(), "{diags:?}");
        assert_eq!(new_state, planned);
        let calls = h.fake.calls();
        assert_eq!(calls.len(), 1);
        assert_eq!((calls[0].0, calls[0].2.clone()), ("PATCH", want));
        assert!(LastWrite::decode(&private).is_some());
    }
}

#[tokio::test]
async fn update_without_change_sends_nothing() {
    let h = Harness::new(FakeGraph::with_policy(Some("Contoso"), true));
    let prior = state(TID, Some("Contoso"), true);
    // Only the GUID's case and the timeouts differ.
    let planned = resource_value(TID, TID_UPPER, Some("Contoso"), true, Value::Null);
    let mut diags = Diagnostics::new();
    let (new_state, private) = h.ops().update(&prior, &planned, b"keep", &mut diags).await;
    assert!(diags.0.is_empty());
    assert_eq!(new_state, planned);
    assert_eq!(private, b"keep");
    assert!(h.fake.calls().is_empty());
}

#[tokio::test]
async fn failed_update_keeps_the_prior_state() {
    let h = Harness::new(FakeGraph::with_policy(Some("Contoso"), true));
    h.fake.fail_next_write(GraphError::Api {
        status: 403,
        code: "Authorization_RequestDenied".into(),
        message: "Insufficient privileges to complete the operation.".into(),
        request_id: Some("req-403".into()),
    });
    let prior = state(TID, Some("Contoso"), true);
    let mut diags = Diagnostics::new();
    let (new_state, private) = h
        .ops()
        .update(
            &prior,
            &state(TID, Some("Contoso"), false),
            b"p",
            &mut diags,
        )
        .await;
    assert_eq!(new_state, prior);
    assert_eq!(private, b"p");
    assert_eq!(
        errors(&diags),
        ["Could not update identity synchronization policy"]
    );
    assert!(diags.0[0]
        .detail
        .contains("Policy.ReadWrite.CrossTenantAccess"));
    assert!(diags.0[0].detail.contains("req-403"));
}

#[tokio::test]
async fn read_takes_drift_from_graph_and_keeps_the_users_spelling() {
    let h = Harness::new(FakeGraph::with_policy(Some("Changed in portal"), false));
    let current = state(TID_UPPER, Some("Contoso"), true);
    let mut diags = Diagnostics::new();
    let (new_state, private) = h.ops().read(&current, &[], &mut diags).await;
    assert!(diags.0.is_empty());
    assert_eq!(
        new_state,
        state(TID_UPPER, Some("Changed in portal"), false)
    );
    assert!(private.is_empty());
}

#[tokio::test]
async fn read_of_a_deleted_policy_removes_it() {
    let h = Harness::new(FakeGraph::with_partner());
    let mut diags = Diagnostics::new();
    let (new_state, _) = h.ops().read(&state(TID, None, true), &[], &mut diags).await;
    assert!(diags.0.is_empty());
    assert_eq!(new_state, Value::Null);
    assert_eq!(h.fake.methods(), ["GET"]);
}

#[tokio::test]
async fn read_right_after_our_write_waits_out_404_and_stale_answers() {
    let h = Harness::new(FakeGraph::with_policy(Some("New"), false));
    h.fake.script_get(Ok(None));
    h.fake.script_get(Ok(Some(policy(Some("Old"), true))));
    let private = LastWrite::now(Some("New".into()), false).encode();
    let mut diags = Diagnostics::new();
    let (new_state, next_private) = h
        .ops()
        .read(&state(TID, Some("New"), false), &private, &mut diags)
        .await;
    assert!(diags.0.is_empty(), "{diags:?}");
    assert_eq!(new_state, state(TID, Some("New"), false));
    assert_eq!(h.fake.methods(), ["GET", "GET", "GET"]);
    assert!(
        next_private.is_empty(),
        "confirmed: nothing left to wait for"
    );
}

#[tokio::test]
async fn read_long_after_our_write_believes_a_404() {
    let h = Harness::new(FakeGraph::with_partner());
    let mut old = LastWrite::now(None, true);
    old.written_at_unix_ms -= 10 * 60 * 1000;
    let mut diags = Diagnostics::new();
    let (new_state, _) = h
        .ops()
        .read(&state(TID, None, true), &old.encode(), &mut diags)
        .await;
    assert_eq!(new_state, Value::Null);
    assert_eq!(h.fake.methods(), ["GET"]);
}

#[tokio::test]
async fn read_error_keeps_the_state() {
    let h = Harness::new(FakeGraph::with_partner());
    h.fake.script_get(Err(GraphError::Decode {
        message: "expected value at line 1".into(),
    }));
    let current = state(TID, Some("A"), true);
    let mut diags = Diagnostics::new();
    let (new_state, _) = h.ops().read(&current, b"x", &mut diags).await;
    assert_eq!(new_state, current);
    assert_eq!(
        errors(&diags),
        ["Could not read identity synchronization policy"]
    );
}

#[tokio::test]
async fn hand_written_state_with_a_bad_guid_sends_no_request() {
    let h = Harness::new(FakeGraph::with_partner());
    let mut diags = Diagnostics::new();
    let current = state("not-a-guid", None, true);
    let (new_state, _) = h.ops().read(&current, &[], &mut diags).await;
    assert_eq!(new_state, current);
    assert_eq!(diags.0[0].summary, "Invalid tenant ID in state");
    assert_eq!(
        diags.0[0].attribute,
        Some(AttributePath::attrs(["tenant_id"]))
    );
    assert!(h.fake.calls().is_empty());
}

#[tokio::test]
async fn delete_treats_404_as_gone_and_keeps_state_on_error() {
    let h = Harness::new(FakeGraph::with_partner());
    let prior = state(TID, None, true);
    let mut diags = Diagnostics::new();
    let (new_state, _) = h.ops().delete(&prior, &[], &mut diags).await;
    assert!(diags.0.is_empty());
    assert_eq!(new_state, Value::Null);

    let h = Harness::new(FakeGraph::with_policy(None, true));
    h.fake.fail_next_write(GraphError::Api {
        status: 503,
        code: "ServiceUnavailable".into(),
        message: "try later".into(),
        request_id: None,
    });
    let (new_state, _) = h.ops().delete(&prior, &[], &mut diags).await;
    assert_eq!(new_state, prior);
    assert_eq!(
        errors(&diags),
        ["Could not delete identity synchronization policy"]
    );
}

#[tokio::test]
async fn import_by_guid() {
    let h = Harness::new(FakeGraph::with_policy(Some("Contoso"), true));
    let mut diags = Diagnostics::new();
    let s = h
        .ops()
        .import(TID_UPPER, &mut diags)
        .await
        .expect("imported");
    assert_eq!(s, state(TID_UPPER, Some("Contoso"), true));
    assert_eq!(s.attr(ID), &Value::string(TID_UPPER));

    let mut diags = Diagnostics::new();
    assert!(h
        .ops()
        .import("contoso.onmicrosoft.com", &mut diags)
        .await
        .is_none());
    assert_eq!(diags.0[0].summary, "Invalid import ID");
    assert_eq!(h.fake.methods(), ["GET"], "no request for a malformed ID");

    let h = Harness::new(FakeGraph::with_partner());
    let mut diags = Diagnostics::new();
    assert!(h.ops().import(TID, &mut diags).await.is_none());
    assert_eq!(
        diags.0[0].summary,
        "Cannot import non-existent identity synchronization policy"
    );
}

#[tokio::test]
async fn a_stop_aborts_a_hung_create_and_tracks_nothing() {
    let h = Harness::new(FakeGraph::with_partner());
    h.fake.hang();
    let stop = h.stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        stop.cancel();
    });
    let mut diags = Diagnostics::new();
    let (new_state, _) = h.ops().create(&state(TID, None, true), &mut diags).await;
    assert_eq!(new_state, Value::Null);
    assert_eq!(errors(&diags), ["Operation cancelled"]);
}

#[tokio::test]
async fn a_stop_during_update_keeps_the_prior_state() {
    let h = Harness::new(FakeGraph::with_policy(None, true));
    h.fake.hang();
    h.stop.cancel();
    let prior = state(TID, None, true);
    let mut diags = Diagnostics::new();
    let (new_state, _) = h
        .ops()
        .update(&prior, &state(TID, None, false), &[], &mut diags)
        .await;
    assert_eq!(new_state, prior);
    assert_eq!(errors(&diags), ["Operation cancelled"]);
    assert!(diags.0[0].detail.contains("keeps the previous values"));
}

#[tokio::test]
async fn a_stop_during_the_consistency_wait_returns_promptly() {
    let h = Harness::new(FakeGraph::with_partner());
    for _ in 0..1000 {
        h.fake.script_get(Ok(None));
    }
    let stop = h.stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(30)).await;
        stop.cancel();
    });
    let current = state(TID, None, true);
    let private = LastWrite::now(None, true).encode();
    let mut diags = Diagnostics::new();
    let (new_state, kept_private) = h.ops().read(&current, &private, &mut diags).await;
    assert_eq!(new_state, current);
    assert_eq!(kept_private, private);
    assert_eq!(errors(&diags), ["Operation cancelled"]);
}

#[test]
fn validation_reports_each_problem_at_its_path() {
    let config = Value::object([
        ("id", Value::Null),
        ("tenant_id", Value::string("nope")),
        ("display_name", Value::string("")),
        (
            "user_sync_inbound",
            Value::object([("is_sync_allowed", Value::Bool(true))]),
        ),
        (
            "timeouts",
            Value::object([
                ("create", Value::string("ten minutes")),
                ("read", Value::Null),
                ("update", Value::Null),
                ("delete", Value::Null),
            ]),
        ),
    ]);
    let mut diags = Diagnostics::new();
    validate_config(&config, &mut diags);
    let paths: Vec<String> = diags
        .iter()
        .map(|d| d.attribute.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["tenant_id", "display_name", "timeouts.create"]);
    // Unknown values are not errors.
    let mut diags = Diagnostics::new();
    validate_config(
        &config
            .with_attr("tenant_id", Value::Unknown)
            .with_attr("display_name", Value::Unknown)
            .with_attr("timeouts", Value::Null),
        &mut diags,
    );
    assert!(diags.0.is_empty(), "{diags:?}");
}

#[tokio::test]
async fn data_source_reads_the_policy_as_an_object() {
    let h = Harness::new(FakeGraph::with_policy(Some("Contoso"), true));
    let config = Value::object([
        ("id", Value::Null),
        ("tenant_id", Value::string(TID_UPPER)),
        ("display_name", Value::Null),
        ("user_sync_inbound", Value::Null),
    ]);
    let mut diags = Diagnostics::new();
    let v = crate::provider::data_source::read(&h.ops(), &config, &mut diags).await;
    assert!(diags.0.is_empty());
    assert_eq!(
        v,
        Value::object([
            ("id", Value::string(TID_UPPER)),
            ("tenant_id", Value::string(TID_UPPER)),
            ("display_name", Value::string("Contoso")),
            (
                "user_sync_inbound",
                Value::object([("is_sync_allowed", Value::Bool(true))])
            ),
        ])
    );
    let h = Harness::new(FakeGraph::with_partner());
    let mut diags = Diagnostics::new();
    crate::provider::data_source::read(&h.ops(), &config, &mut diags).await;
    assert_eq!(
        diags.0[0].summary,
        "Identity synchronization policy not found"
    );
}
