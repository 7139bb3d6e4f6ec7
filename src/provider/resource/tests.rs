//! Tests of the resource's operations against an in-memory fake of the Graph calls.

use serde_json::json;

use super::*;
use crate::plugin::{ApplyRequest, ReadRequest, RequestContext, Severity};
use crate::provider::state::{resource_value, ID};
use crate::provider::testutil::fake_graph::{self, policy, FakeGraph, TID};
const TID_UPPER: &str = "90E29127-71AD-49C7-9CE8-DB3F41EA06F1";

struct Harness {
    fake: FakeGraph,
    stop: CancellationToken,
    window: Duration,
}

impl Harness {
    fn new(fake: FakeGraph) -> Harness {
        Harness {
            fake,
            stop: CancellationToken::new(),
            window: Duration::from_secs(30),
        }
    }
    /// A short consistency window, for flows that wait it out.
    fn with_window(fake: FakeGraph, window: Duration) -> Harness {
        Harness {
            window,
            ..Harness::new(fake)
        }
    }
    /// Creates `planned`: the new state, private state and diagnostics.
    async fn create(&self, planned: &Value) -> (Value, Vec<u8>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let (new_state, private) = self.ops().create(planned, &mut diags).await;
        (new_state, private, diags)
    }
    /// Deletes `prior` (no private state): the new state, private state and diagnostics.
    async fn delete(&self, prior: &Value) -> (Value, Vec<u8>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let (new_state, private) = self.ops().delete(prior, &[], &mut diags).await;
        (new_state, private, diags)
    }
    fn ops(&self) -> IdentitySyncOps<'_, FakeGraph> {
        IdentitySyncOps {
            api: &self.fake,
            stop: &self.stop,
            consistency_window: self.window,
        }
    }
}

/// A read of `current` with its private state.
fn reading(current: &Value, private: &[u8]) -> ReadRequest {
    ReadRequest {
        ctx: RequestContext::default(),
        type_name: TYPE_NAME.into(),
        current_state: current.clone(),
        private: private.to_vec(),
    }
}

/// An update from `prior` to `planned`.
fn change(prior: &Value, planned: &Value, planned_private: &[u8]) -> ApplyRequest {
    ApplyRequest {
        ctx: RequestContext::default(),
        type_name: TYPE_NAME.into(),
        prior_state: prior.clone(),
        planned_state: planned.clone(),
        config: planned.clone(),
        planned_private: planned_private.to_vec(),
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
    let (new_state, private, diags) = h.create(&planned).await;
    assert!(diags.0.is_empty(), "{diags:?}");
    assert_eq!(new_state, planned);
    assert_eq!(h.fake.methods(), ["GET", "PUT"]);
    assert_eq!(
        h.fake.calls()[1].2,
        json!({"userSyncInbound": {"isSyncAllowed": true}})
    );
    let written = LastWrite::decode(&private).expect("write time in private state");
    assert_eq!(written.display_name, None);
    assert!(written.is_sync_allowed);
}

#[tokio::test]
async fn create_of_an_existing_policy_shows_the_import_command() {
    let h = Harness::new(FakeGraph::with_policy(Some("Contoso"), true));
    let (new_state, _, diags) = h.create(&state(TID, None, false)).await;
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
    let (new_state, private, diags) = h.create(&state(TID, Some("Contoso"), true)).await;
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
    h.fake.fail_next_write(GraphError::Api {
        status: 400,
        code: "Request_BadRequest".into(),
        message: "Invalid value".into(),
        request_id: None,
    });
    let (new_state, _, diags) = h.create(&state(TID, None, true)).await;
    assert_eq!(new_state, Value::Null);
    assert_eq!(
        errors(&diags),
        ["Could not create identity synchronization policy"]
    );
    assert!(diags.0[0].detail.contains("Invalid value"));
    assert_eq!(
        h.fake.methods(),
        ["GET", "PUT"],
        "a refused PUT needs no check"
    );
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_recorded_when_graph_holds_it() {
    for lost in [
        GraphError::Transport {
            message: "connection reset".into(),
        },
        GraphError::Api {
            status: 504,
            code: "GatewayTimeout".into(),
            message: "gateway".into(),
            request_id: None,
        },
        GraphError::DeadlineExceeded {
            operation: "PUT identitySynchronization".into(),
        },
        // what a retried PUT meets when its first attempt landed
        fake_graph::conflict(),
    ] {
        let h = Harness::new(FakeGraph::with_partner());
        h.fake.lose_next_answer(lost.clone());
        // reads lag: the first check still says 404
        h.fake.script_get(Ok(None));
        h.fake.script_get(Ok(None));
        let planned = state(TID, Some("A"), true);
        let (new_state, private, diags) = h.create(&planned).await;
        assert!(diags.0.is_empty(), "{lost:?}: {diags:?}");
        assert_eq!(new_state, planned, "{lost:?}");
        assert!(LastWrite::decode(&private).is_some());
        assert_eq!(h.fake.methods(), ["GET", "PUT", "GET", "GET"], "{lost:?}");
    }
}

#[tokio::test]
async fn a_conflict_with_someone_elses_policy_shows_the_import_command() {
    let h = Harness::new(FakeGraph::with_partner());
    // our check said 404, then someone else created one with other values
    h.fake.script_get(Ok(None));
    h.fake.fail_next_write(fake_graph::conflict());
    h.fake.script_get(Ok(Some(policy(Some("Theirs"), false))));
    let (new_state, _, diags) = h.create(&state(TID, Some("Ours"), true)).await;
    assert_eq!(new_state, Value::Null);
    let d = &diags.0[0];
    assert_eq!(d.summary, "Identity synchronization policy already exists");
    assert_eq!(d.attribute, Some(AttributePath::attrs(["tenant_id"])));
    assert!(d.detail.contains("\"Theirs\""), "{}", d.detail);
    assert!(d
        .detail
        .contains(&format!("terraform import <resource address> {TID}")));
    assert!(!d.detail.contains("run again"), "{}", d.detail);
}

#[tokio::test]
async fn a_lost_answer_graph_never_shows_says_so_and_shows_the_import_command() {
    let h = Harness::with_window(FakeGraph::with_partner(), Duration::from_millis(200));
    h.fake.fail_next_write(GraphError::Transport {
        message: "connection reset".into(),
    });
    let (new_state, _, diags) = h.create(&state(TID, None, true)).await;
    assert_eq!(new_state, Value::Null);
    let d = &diags.0[0];
    assert_eq!(
        d.summary,
        "Could not confirm the identity synchronization policy was created"
    );
    for want in [
        "connection reset",
        "probably not created",
        "terraform import",
    ] {
        assert!(d.detail.contains(want), "missing {want:?} in {}", d.detail);
    }
    assert!(h.fake.methods().iter().filter(|m| **m == "GET").count() >= 2);

    // Graph cannot be asked at all: the outcome is unknown, and the error says the policy may exist
    let h = Harness::new(FakeGraph::with_partner());
    h.fake.fail_next_write(GraphError::Transport {
        message: "connection reset".into(),
    });
    h.fake.script_get(Ok(None));
    h.fake.script_get(Err(GraphError::Transport {
        message: "network down".into(),
    }));
    let mut diags = Diagnostics::new();
    h.ops().create(&state(TID, None, true), &mut diags).await;
    let d = &diags.0[0];
    assert_eq!(
        d.summary,
        "Outcome of the identity synchronization policy create is unknown"
    );
    for want in ["network down", "may exist", "terraform import"] {
        assert!(d.detail.contains(want), "missing {want:?} in {}", d.detail);
    }
    assert!(!d
        .detail
        .contains("Nothing was recorded in the Terraform state; run apply again"));
}

#[tokio::test]
async fn a_patch_answered_404_right_after_our_write_is_asked_again() {
    let h = Harness::new(FakeGraph::with_policy(Some("A"), true));
    h.fake.fail_next_write(fake_graph::not_found());
    let prior = state(TID, Some("A"), true);
    let planned = state(TID, Some("B"), true);
    let written = LastWrite::now(Some("A".into()), true).encode();
    let mut diags = Diagnostics::new();
    let (new_state, _) = h
        .ops()
        .update(&change(&prior, &planned, &written), &mut diags)
        .await;
    assert!(diags.0.is_empty(), "{diags:?}");
    assert_eq!(new_state, planned);
    assert_eq!(h.fake.methods(), ["PATCH", "PATCH"]);

    // long after our write, a 404 is believed
    let h = Harness::new(FakeGraph::with_partner());
    let mut old = LastWrite::now(Some("A".into()), true);
    old.written_at_unix_ms -= 10 * 60 * 1000;
    let mut diags = Diagnostics::new();
    let (new_state, _) = h
        .ops()
        .update(&change(&prior, &planned, &old.encode()), &mut diags)
        .await;
    assert_eq!(new_state, prior);
    assert!(diags.0[0].detail.contains("deleted outside Terraform"));
    assert_eq!(h.fake.methods(), ["PATCH"]);
}

#[tokio::test]
async fn delete_waits_until_reads_agree() {
    let h = Harness::new(FakeGraph::with_policy(None, true));
    // a lagging read after the delete still shows the policy
    h.fake.script_get(Ok(Some(policy(None, true))));
    let (new_state, _, diags) = h.delete(&state(TID, None, true)).await;
    assert!(diags.0.is_empty(), "{diags:?}");
    assert_eq!(new_state, Value::Null);
    assert_eq!(h.fake.methods(), ["DELETE", "GET", "GET"]);

    // reads that never agree: an error, and the state no longer tracks it
    let h = Harness::with_window(
        FakeGraph::with_policy(None, true),
        Duration::from_millis(100),
    );
    for _ in 0..50 {
        h.fake.script_get(Ok(Some(policy(None, true))));
    }
    let (new_state, _, diags) = h.delete(&state(TID, None, true)).await;
    assert_eq!(new_state, Value::Null);
    assert_eq!(
        errors(&diags),
        ["Deleted identity synchronization policy is still read"]
    );
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
        let (new_state, private) = h
            .ops()
            .update(&change(&prior, &planned, &[]), &mut diags)
            .await;
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
    let (new_state, private) = h
        .ops()
        .update(&change(&prior, &planned, b"keep"), &mut diags)
        .await;
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
            &change(&prior, &state(TID, Some("Contoso"), false), b"p"),
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
    let (new_state, private) = h.ops().read(&reading(&current, &[]), &mut diags).await;
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
    let (new_state, _) = h
        .ops()
        .read(&reading(&state(TID, None, true), &[]), &mut diags)
        .await;
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
        .read(
            &reading(&state(TID, Some("New"), false), &private),
            &mut diags,
        )
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
async fn a_read_deadline_inside_the_window_keeps_the_state() {
    let h = Harness::new(FakeGraph::with_partner());
    for _ in 0..1000 {
        h.fake.script_get(Ok(None));
    }
    let private = LastWrite::now(None, true).encode();
    let current = crate::provider::state::resource_value(
        TID,
        TID,
        None,
        true,
        Value::object([("read", Value::string("300ms"))]),
    );
    let mut diags = Diagnostics::new();
    let (new_state, next_private) = h.ops().read(&reading(&current, &private), &mut diags).await;
    assert_eq!(new_state, current, "never dropped inside the window");
    assert_eq!(next_private, private);
    assert_eq!(
        errors(&diags),
        ["Could not read identity synchronization policy"]
    );
    assert!(
        diags.0[0].detail.contains("still answers 404"),
        "{}",
        diags.0[0].detail
    );
    assert!(h.fake.methods().len() > 1);
}

#[tokio::test]
async fn read_long_after_our_write_believes_a_404() {
    let h = Harness::new(FakeGraph::with_partner());
    let mut old = LastWrite::now(None, true);
    old.written_at_unix_ms -= 10 * 60 * 1000;
    let mut diags = Diagnostics::new();
    let (new_state, _) = h
        .ops()
        .read(&reading(&state(TID, None, true), &old.encode()), &mut diags)
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
    let (new_state, _) = h.ops().read(&reading(&current, b"x"), &mut diags).await;
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
    let (new_state, _) = h.ops().read(&reading(&current, &[]), &mut diags).await;
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
    let (new_state, _, diags) = h.delete(&prior).await;
    assert!(diags.0.is_empty());
    assert_eq!(new_state, Value::Null);

    let h = Harness::new(FakeGraph::with_policy(None, true));
    h.fake.fail_next_write(GraphError::Api {
        status: 503,
        code: "ServiceUnavailable".into(),
        message: "try later".into(),
        request_id: None,
    });
    let (new_state, _, diags) = h.delete(&prior).await;
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
        .import(&TenantId::parse(TID_UPPER).unwrap(), &mut diags)
        .await
        .expect("imported");
    assert_eq!(s, state(TID_UPPER, Some("Contoso"), true));
    assert_eq!(s.attr(ID), &Value::string(TID_UPPER));

    let mut diags = Diagnostics::new();
    assert!(parse_import_id("contoso.onmicrosoft.com", &mut diags).is_none());
    assert_eq!(diags.0[0].summary, "Invalid import ID");
    assert_eq!(h.fake.methods(), ["GET"], "no request for a malformed ID");

    let h = Harness::with_window(FakeGraph::with_partner(), Duration::from_millis(100));
    let mut diags = Diagnostics::new();
    assert!(h
        .ops()
        .import(&TenantId::parse(TID).unwrap(), &mut diags)
        .await
        .is_none());
    assert!(
        h.fake.methods().len() > 1,
        "a 404 is asked again within the window"
    );
    assert_eq!(
        diags.0[0].summary,
        "Cannot import non-existent identity synchronization policy"
    );
}

#[tokio::test]
async fn a_stop_aborts_a_hung_create_and_tracks_nothing() {
    // stopped during the check, then while the PUT is in flight
    for hang_writes_only in [false, true] {
        let h = Harness::new(FakeGraph::with_partner());
        if hang_writes_only {
            h.fake.hang_writes();
        } else {
            h.fake.hang();
        }
        let stop = h.stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            stop.cancel();
        });
        let (new_state, _, diags) = h.create(&state(TID, None, true)).await;
        assert_eq!(new_state, Value::Null);
        assert_eq!(errors(&diags), ["Operation cancelled"]);
        if !hang_writes_only {
            continue;
        }
        // Graph may hold the policy, and the error says so
        assert_eq!(h.fake.methods(), ["GET", "PUT"]);
        for want in ["may exist", "terraform import"] {
            assert!(diags.0[0].detail.contains(want), "{}", diags.0[0].detail);
        }
    }
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
        .update(&change(&prior, &state(TID, None, false), &[]), &mut diags)
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
    let (new_state, kept_private) = h.ops().read(&reading(&current, &private), &mut diags).await;
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
        ("timeouts", Value::Null),
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
            ("timeouts", Value::Null),
        ])
    );
    // a policy created moments ago: 404 first, then readable
    let h = Harness::new(FakeGraph::with_policy(Some("Contoso"), true));
    h.fake.script_get(Ok(None));
    let mut diags = Diagnostics::new();
    crate::provider::data_source::read(&h.ops(), &config, &mut diags).await;
    assert!(diags.0.is_empty(), "{diags:?}");
    assert_eq!(h.fake.methods(), ["GET", "GET"]);

    let h = Harness::with_window(FakeGraph::with_partner(), Duration::from_millis(100));
    let mut diags = Diagnostics::new();
    crate::provider::data_source::read(&h.ops(), &config, &mut diags).await;
    assert_eq!(
        diags.0[0].summary,
        "Identity synchronization policy not found"
    );
}
