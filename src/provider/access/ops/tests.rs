//! Unit tests of the partner create's unclear outcomes, against a fake Graph whose POST answer
//! is lost: what the read-back shows decides the result and the diagnostic; and of import and
//! the data source asking again while Graph's reads lag a create.

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

fn ops<'a>(api: &'a LostAnswer, stop: &'a CancellationToken) -> AccessOps<'a, LostAnswer> {
    AccessOps {
        api,
        stop,
        def: &PARTNER,
        consistency_window: Duration::from_millis(50),
    }
}

async fn create(api: &LostAnswer) -> (Value, Vec<u8>, Diagnostics) {
    let stop = CancellationToken::new();
    let mut diags = Diagnostics::new();
    let (state, private) = ops(api, &stop).create(&planned(), &mut diags).await;
    (state, private, diags)
}

/// Import, then the data source, each against GETs answering `reads` in turn.
async fn import_and_data_source(reads: &[Option<Json>]) -> [(Value, Diagnostics); 2] {
    let stop = CancellationToken::new();
    let scripted = || LostAnswer::new(reads.iter().cloned().map(Ok).collect());
    let mut import_diags = Diagnostics::new();
    let imported = ops(&scripted(), &stop)
        .import(TID, &mut import_diags)
        .await
        .unwrap_or(Value::Null);
    let mut read_diags = Diagnostics::new();
    let config = Value::object([("tenant_id", Value::string(TID))]);
    let read = ops(&scripted(), &stop)
        .read_data_source(&TenantId::parse(TID).unwrap(), &config, &mut read_diags)
        .await;
    [(imported, import_diags), (read, read_diags)]
}

#[tokio::test]
async fn import_and_the_data_source_ask_again_after_a_lagging_404() {
    let created = json!({"tenantId": TID, "isServiceProvider": true});
    for (value, diags) in import_and_data_source(&[None, Some(created)]).await {
        assert!(diags.0.is_empty(), "{diags:?}");
        assert_eq!(value.attr("tenant_id").as_str(), Some(TID));
        assert_eq!(value.attr("is_service_provider"), &Value::Bool(true));
    }
}

#[tokio::test]
async fn import_and_the_data_source_accept_a_404_once_the_window_is_over() {
    let [(imported, import_diags), (read, read_diags)] = import_and_data_source(&[None]).await;
    assert!(imported.is_null() && read.is_null());
    assert_eq!(
        import_diags.0[0].summary,
        "Cannot import non-existent partner configuration"
    );
    assert_eq!(read_diags.0[0].summary, "Partner configuration not found");
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
