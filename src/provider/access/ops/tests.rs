//! Unit tests of the partner create's unclear outcomes, against a fake Graph whose POST answer
//! is lost: what the read-back shows decides the result and the diagnostic.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value as Json};

use super::*;
use crate::provider::access::defs::PARTNER;

const TID: &str = "0b5d7c1a-2e4f-4a6b-8c9d-1e2f3a4b5c6d";

/// POST: applied or not, then a transport error; GETs answer from `reads` in turn (the last
/// one repeats); `Err` for a GET that fails.
struct LostAnswer {
    reads: Mutex<Vec<Result<Option<Json>, GraphError>>>,
}

impl LostAnswer {
    fn new(reads: Vec<Result<Option<Json>, GraphError>>) -> LostAnswer {
        LostAnswer {
            reads: Mutex::new(reads),
        }
    }
}

fn transport() -> GraphError {
    GraphError::Transport {
        message: "connection reset".into(),
    }
}

impl AccessApi for LostAnswer {
    async fn get(&self, _path: &[&str], _deadline: Instant) -> Result<Option<Json>, GraphError> {
        let mut reads = self.reads.lock().unwrap();
        if reads.len() > 1 {
            reads.remove(0)
        } else {
            reads[0].clone()
        }
    }
    async fn post(&self, _: &[&str], _: &Json, _: Instant) -> Result<Json, GraphError> {
        Err(transport())
    }
    async fn patch(&self, _: &[&str], _: &Json, _: Instant) -> Result<(), GraphError> {
        Ok(())
    }
    async fn delete(&self, _: &[&str], _: Instant) -> Result<bool, GraphError> {
        Ok(true)
    }
}

fn planned() -> Value {
    Value::object([
        ("tenant_id", Value::string(TID)),
        ("is_service_provider", Value::Bool(true)),
    ])
}

async fn create(api: &LostAnswer) -> (Value, Vec<u8>, Diagnostics) {
    let stop = CancellationToken::new();
    let ops = AccessOps {
        api,
        stop: &stop,
        def: &PARTNER,
        consistency_window: Duration::from_millis(50),
    };
    let mut diags = Diagnostics::new();
    let (state, private) = ops.create(&planned(), &mut diags).await;
    (state, private, diags)
}

#[tokio::test]
async fn a_lost_answer_graph_shows_after_a_lagging_404_is_recorded() {
    let ours = json!({"tenantId": TID, "isServiceProvider": true});
    let (state, private, diags) = create(&LostAnswer::new(vec![Ok(None), Ok(Some(ours))])).await;
    assert!(diags.0.is_empty(), "{diags:?}");
    assert_eq!(state.attr("tenant_id").as_str(), Some(TID));
    assert!(SentBody::decode(&private).is_some());
}

#[tokio::test]
async fn other_settings_fail_on_tenant_id_with_the_import_command() {
    let theirs = json!({"tenantId": TID, "isServiceProvider": false});
    let (state, _, diags) = create(&LostAnswer::new(vec![Ok(Some(theirs))])).await;
    assert!(state.is_null());
    assert_eq!(diags.0[0].summary, "Partner configuration already exists");
    assert!(diags.0[0].detail.contains("terraform import"));
}

#[tokio::test]
async fn never_visible_or_unaskable_says_so_with_the_import_command() {
    for (reads, summary) in [
        (
            vec![Ok(None)],
            "Could not confirm the partner configuration was created",
        ),
        (
            vec![Err(transport())],
            "Outcome of the partner configuration create is unknown",
        ),
    ] {
        let (state, private, diags) = create(&LostAnswer::new(reads)).await;
        assert!(state.is_null() && private.is_empty());
        assert_eq!(diags.0.len(), 1, "{diags:?}");
        assert_eq!(diags.0[0].summary, summary);
        let detail = &diags.0[0].detail;
        assert!(detail.contains("terraform import"), "{detail}");
        assert!(!detail.contains("run apply again"), "{detail}");
    }
}
