//! Tests of the gRPC shims against a small in-memory provider: decoding into diagnostics,
//! state upgrade rules, destroy plans, imports and StopProvider.

use std::future::Future;
use std::sync::Arc;

use tonic::Request;

use super::ProviderService;
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::proto::tfplugin6::provider_server::Provider as _;
use crate::plugin::value::{decode_msgpack, encode_msgpack};
use crate::plugin::*;

struct TestProvider;

fn thing_schema() -> Schema {
    Schema {
        version: 1,
        block: Block {
            attributes: vec![
                Attribute {
                    name: "id".into(),
                    ty: Type::String,
                    computed: true,
                    ..Default::default()
                },
                Attribute {
                    name: "name".into(),
                    ty: Type::String,
                    required: true,
                    ..Default::default()
                },
                Attribute {
                    name: "size".into(),
                    ty: Type::Number,
                    optional: true,
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    }
}

impl Provider for TestProvider {
    fn schema(&self) -> ProviderSchema {
        ProviderSchema {
            provider: Schema::default(),
            resources: vec![("test_thing".into(), thing_schema())],
            data_sources: vec![("test_thing".into(), thing_schema())],
        }
    }
    async fn configure(&self, req: ConfigureRequest, diags: &mut Diagnostics) {
        if req.ctx.stop.is_cancelled() {
            diags.error("stale stop token", "configure saw a cancelled token");
        }
    }
    fn validate_resource_config(&self, _t: &str, config: &Value, diags: &mut Diagnostics) {
        if config.attr("name").as_str() == Some("bad") {
            diags.attribute_error(
                AttributePath::attrs(["name"]),
                "Bad name",
                "Pick another name.",
            );
        }
    }
    async fn read_resource(&self, req: ReadRequest, diags: &mut Diagnostics) -> ReadResponse {
        if req.current_state.attr("name").as_str() == Some("wait") {
            req.ctx.stop.cancelled().await;
            diags.error("Stopped", "Terraform asked the provider to stop.");
        }
        ReadResponse {
            new_state: req.current_state,
            private: req.private,
        }
    }
    async fn plan_resource_change(&self, req: PlanRequest, _d: &mut Diagnostics) -> PlanResponse {
        let planned_state = if req.proposed_new_state.is_null() {
            Value::Null
        } else {
            req.proposed_new_state.with_attr("id", Value::Unknown)
        };
        PlanResponse {
            planned_state,
            requires_replace: vec![AttributePath::attrs(["name"])],
            planned_private: req.prior_private,
        }
    }
    async fn apply_resource_change(
        &self,
        req: ApplyRequest,
        _d: &mut Diagnostics,
    ) -> ApplyResponse {
        ApplyResponse {
            new_state: req.planned_state,
            private: req.planned_private,
        }
    }
    async fn import_resource_state(
        &self,
        req: ImportRequest,
        _d: &mut Diagnostics,
    ) -> Vec<ImportedResource> {
        vec![ImportedResource {
            type_name: req.type_name,
            state: Value::object([
                ("id", Value::string(req.id)),
                ("name", Value::Null),
                ("size", Value::Null),
            ]),
            private: b"p".to_vec(),
        }]
    }
    async fn read_data_source(&self, req: ReadDataSourceRequest, _d: &mut Diagnostics) -> Value {
        req.config.with_attr("id", Value::string("ds"))
    }
}

fn service() -> Arc<ProviderService<TestProvider>> {
    Arc::new(ProviderService::new(TestProvider))
}

fn thing_type() -> Type {
    thing_schema().block.value_type()
}

fn dv(value: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: encode_msgpack(value, &thing_type()).unwrap(),
        json: vec![],
    })
}

fn thing(name: &str) -> Value {
    Value::object([
        ("id", Value::Null),
        ("name", Value::string(name)),
        ("size", Value::Null),
    ])
}

fn decoded(v: &Option<pb::DynamicValue>) -> Value {
    decode_msgpack(&v.as_ref().unwrap().msgpack, &thing_type()).unwrap()
}

/// What a shim answered; a gRPC error fails the test (every shim answers, with diagnostics).
async fn answer<T>(reply: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>) -> T {
    reply
        .await
        .expect("a diagnostic, not a gRPC error")
        .into_inner()
}

/// The diagnostics ValidateResourceConfig answers for `config`.
async fn validate(config: Option<pb::DynamicValue>) -> Vec<pb::Diagnostic> {
    let req = pb::validate_resource_config::Request {
        type_name: "test_thing".into(),
        config,
        client_capabilities: None,
    };
    answer(service().validate_resource_config(Request::new(req)))
        .await
        .diagnostics
}

fn at_name() -> Option<pb::AttributePath> {
    Some(crate::plugin::convert::path_to_proto(
        &AttributePath::attrs(["name"]),
    ))
}

#[tokio::test]
async fn validate_passes_provider_diagnostics_with_paths() {
    let diagnostics = validate(dv(&thing("bad"))).await;
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].summary, "Bad name");
    assert_eq!(diagnostics[0].attribute, at_name());
}

#[tokio::test]
async fn undecodable_config_is_a_diagnostic_at_the_attribute() {
    // {"name": true}: a bool where a string belongs.
    let diagnostics = validate(Some(pb::DynamicValue {
        msgpack: vec![0x81, 0xa4, b'n', b'a', b'm', b'e', 0xc3],
        json: vec![],
    }))
    .await;
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(
        diagnostics[0].severity,
        pb::diagnostic::Severity::Error as i32
    );
    assert_eq!(diagnostics[0].attribute, at_name());
}

async fn upgrade(json: &str, flatmap: bool) -> pb::upgrade_resource_state::Response {
    let raw_state = if flatmap {
        pb::RawState {
            json: vec![],
            flatmap: [("name".to_string(), "x".to_string())].into(),
        }
    } else {
        pb::RawState {
            json: json.as_bytes().to_vec(),
            flatmap: Default::default(),
        }
    };
    let req = pb::upgrade_resource_state::Request {
        type_name: "test_thing".into(),
        version: 1,
        raw_state: Some(raw_state),
    };
    answer(service().upgrade_resource_state(Request::new(req))).await
}

#[tokio::test]
async fn upgrade_tolerates_missing_attributes_and_names_extra_ones() {
    let ok = upgrade(r#"{"id":"1","name":"n"}"#, false).await;
    assert!(ok.diagnostics.is_empty(), "{:?}", ok.diagnostics);
    assert_eq!(
        decoded(&ok.upgraded_state),
        thing("n").with_attr("id", Value::string("1"))
    );

    let extra = upgrade(r#"{"id":"1","name":"n","legacy_field":3}"#, false).await;
    assert_eq!(extra.diagnostics.len(), 1);
    assert!(
        extra.diagnostics[0].detail.contains("legacy_field"),
        "{}",
        extra.diagnostics[0].detail
    );
    assert!(extra.upgraded_state.is_none());

    let flat = upgrade("", true).await;
    assert_eq!(flat.diagnostics.len(), 1);
    assert_eq!(
        flat.diagnostics[0].severity,
        pb::diagnostic::Severity::Error as i32
    );
}

async fn plan(req: pb::plan_resource_change::Request) -> pb::plan_resource_change::Response {
    let req = pb::plan_resource_change::Request {
        type_name: "test_thing".into(),
        ..req
    };
    answer(service().plan_resource_change(Request::new(req))).await
}

#[tokio::test]
async fn plan_destroy_reaches_the_provider_and_returns_null() {
    let resp = plan(pb::plan_resource_change::Request {
        prior_state: dv(&thing("n")),
        proposed_new_state: dv(&Value::Null),
        config: dv(&Value::Null),
        prior_private: b"keep".to_vec(),
        ..Default::default()
    })
    .await;
    assert!(resp.diagnostics.is_empty());
    assert_eq!(resp.planned_state.unwrap().msgpack, vec![0xc0]);
    assert_eq!(resp.planned_private, b"keep".to_vec());
    assert_eq!(resp.requires_replace.len(), 1);
}

#[tokio::test]
async fn plan_create_encodes_unknowns() {
    let resp = plan(pb::plan_resource_change::Request {
        prior_state: dv(&Value::Null),
        proposed_new_state: dv(&thing("n")),
        config: dv(&thing("n")),
        ..Default::default()
    })
    .await;
    assert_eq!(
        decoded(&resp.planned_state),
        thing("n").with_attr("id", Value::Unknown)
    );
}

#[tokio::test]
async fn import_and_data_source_encode_against_their_schemas() {
    let svc = service();
    let imported = answer(svc.import_resource_state(Request::new(
        pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "abc".into(),
            ..Default::default()
        },
    )))
    .await;
    assert_eq!(imported.imported_resources.len(), 1);
    assert_eq!(
        decoded(&imported.imported_resources[0].state).attr("id"),
        &Value::string("abc")
    );
    let ds = answer(
        svc.read_data_source(Request::new(pb::read_data_source::Request {
            type_name: "test_thing".into(),
            config: dv(&thing("n")),
            ..Default::default()
        })),
    )
    .await;
    assert_eq!(decoded(&ds.state).attr("id"), &Value::string("ds"));
}

#[tokio::test]
async fn unknown_types_and_unsupported_rpcs_answer_with_diagnostics() {
    let svc = service();
    let read = answer(svc.read_resource(Request::new(pb::read_resource::Request {
        type_name: "nope".into(),
        ..Default::default()
    })))
    .await;
    assert_eq!(read.diagnostics.len(), 1);
    assert_eq!(read.diagnostics[0].summary, "Unknown resource type");
    let ds = answer(
        svc.read_data_source(Request::new(pb::read_data_source::Request {
            type_name: "nope".into(),
            ..Default::default()
        })),
    )
    .await;
    assert_eq!(ds.diagnostics.len(), 1);
    assert_eq!(ds.diagnostics[0].summary, "Unknown data source type");
    let moved = answer(svc.move_resource_state(Request::new(Default::default()))).await;
    assert_eq!(moved.diagnostics.len(), 1);
    let eph = answer(svc.open_ephemeral_resource(Request::new(Default::default()))).await;
    assert_eq!(eph.diagnostics.len(), 1);
    let call = answer(svc.call_function(Request::new(Default::default()))).await;
    assert!(call.error.is_some());
}

#[tokio::test]
async fn stop_provider_cancels_in_flight_work_then_serves_fresh_calls() {
    let svc = service();
    let waiting = {
        let svc = svc.clone();
        tokio::spawn(async move {
            let req = pb::read_resource::Request {
                type_name: "test_thing".into(),
                current_state: dv(&thing("wait")),
                ..Default::default()
            };
            answer(svc.read_resource(Request::new(req))).await
        })
    };
    tokio::task::yield_now().await;
    answer(svc.stop_provider(Request::new(pb::stop_provider::Request {}))).await;
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
        .await
        .expect("the read ended after StopProvider")
        .unwrap();
    assert_eq!(read.diagnostics[0].summary, "Stopped");
    // Later calls get a fresh, uncancelled token.
    let configured = answer(svc.configure_provider(Request::new(Default::default()))).await;
    assert!(
        configured.diagnostics.is_empty(),
        "{:?}",
        configured.diagnostics
    );
}

#[tokio::test]
async fn serve_answers_in_process_and_returns_when_shut_down() {
    use tokio_util::sync::CancellationToken;

    let dir = tempfile::tempdir().unwrap();
    let listener = Listener::bind_unix(dir.path()).unwrap();
    let (_, address) = listener.network_and_address();
    let token = CancellationToken::new();
    let served = tokio::spawn(serve(
        TestProvider,
        listener,
        None,
        Shutdown::on_terraform_request(token.clone()),
    ));
    let channel = connect_unix(address).await;
    let mut client = pb::provider_client::ProviderClient::new(channel.clone());
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.resource_schemas.contains_key("test_thing"));
    // Terraform's Shutdown ends serving; serve returns instead of exiting the process.
    let mut controller =
        crate::plugin::proto::plugin::grpc_controller_client::GrpcControllerClient::new(channel);
    controller
        .shutdown(crate::plugin::proto::plugin::Empty {})
        .await
        .unwrap();
    let result = tokio::time::timeout(std::time::Duration::from_secs(20), served).await;
    assert!(matches!(result, Ok(Ok(Ok(())))), "serve did not return Ok");
    assert!(token.is_cancelled());
}

/// A plaintext gRPC channel to a served unix socket.
async fn connect_unix(address: String) -> tonic::transport::Channel {
    use hyper_util::rt::TokioIo;
    tonic::transport::Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: tonic::transport::Uri| {
            let address = address.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(address).await?;
                Ok::<_, std::io::Error>(TokioIo::new(stream))
            }
        }))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_exit_hook_runs_once_the_shutdown_reply_is_written_and_never_on_a_signal() {
    use crate::plugin::proto::plugin::{grpc_controller_client::GrpcControllerClient, Empty};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio_util::sync::CancellationToken;

    async fn serve_counting_exits(
        dir: &std::path::Path,
    ) -> (
        tonic::transport::Channel,
        CancellationToken,
        Arc<AtomicUsize>,
    ) {
        let listener = Listener::bind_unix(dir).unwrap();
        let (_, address) = listener.network_and_address();
        let token = CancellationToken::new();
        let exits = Arc::new(AtomicUsize::new(0));
        let counted = exits.clone();
        let shutdown = Shutdown::on_terraform_request(token.clone())
            .exit_once_replied(move || _ = counted.fetch_add(1, Ordering::SeqCst));
        tokio::spawn(serve(TestProvider, listener, None, shutdown));
        (connect_unix(address).await, token, exits)
    }

    let dir = tempfile::tempdir().unwrap();
    let (channel, _token, exits) = serve_counting_exits(dir.path()).await;
    pb::provider_client::ProviderClient::new(channel.clone())
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();
    assert_eq!(exits.load(Ordering::SeqCst), 0, "exited before Shutdown");
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while exits.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(
        exits.load(Ordering::SeqCst),
        1,
        "the exit hook did not run once"
    );

    // SIGTERM and the orphan watch cancel the token: serving drains as before, no early exit.
    let (channel, token, exits) = serve_counting_exits(dir.path()).await;
    pb::provider_client::ProviderClient::new(channel)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();
    token.cancel();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        exits.load(Ordering::SeqCst),
        0,
        "a signal ran the exit hook"
    );
}
