//! What every gRPC shim shares: the cached schema and its value types, the StopProvider token,
//! the per-RPC log context, and DynamicValue decoding/encoding into diagnostics.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use log::Level;
use tokio_util::sync::CancellationToken;

use super::convert::{codec_error_diagnostic, schema_to_proto};
use super::logger::{log_with_fields, RpcContext, RPC_CONTEXT};
use super::proto::tfplugin6 as pb;
use super::value::{decode_json, decode_msgpack, encode_msgpack};
use super::{Diagnostics, ProviderSchema, RequestContext, Type, Value};

/// The provider's schema, converted once at start.
pub(crate) struct SchemaCache {
    pub schema: ProviderSchema,
    pub provider_type: Type,
    pub resource_types: HashMap<String, Type>,
    pub data_source_types: HashMap<String, Type>,
    pub proto: pb::get_provider_schema::Response,
}

impl SchemaCache {
    pub(crate) fn new(schema: ProviderSchema) -> SchemaCache {
        let convert_all = |items: &[(String, super::Schema)]| {
            items
                .iter()
                .map(|(name, s)| (name.clone(), schema_to_proto(s)))
                .collect()
        };
        let proto = pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(&schema.provider)),
            resource_schemas: convert_all(&schema.resources),
            data_source_schemas: convert_all(&schema.data_sources),
            server_capabilities: Some(server_capabilities()),
            ..Default::default()
        };
        let types = |items: &[(String, super::Schema)]| {
            items
                .iter()
                .map(|(name, s)| (name.clone(), s.block.value_type()))
                .collect()
        };
        SchemaCache {
            provider_type: schema.provider.block.value_type(),
            resource_types: types(&schema.resources),
            data_source_types: types(&schema.data_sources),
            proto,
            schema,
        }
    }

    /// The value type of resource `name`, or an error diagnostic.
    pub(crate) fn resource_type(&self, name: &str, diags: &mut Diagnostics) -> Option<&Type> {
        let ty = self.resource_types.get(name);
        if ty.is_none() {
            diags.error(
                "Unknown resource type",
                format!("This provider has no resource type {name:?}. Check the resource type name in your configuration."),
            );
        }
        ty
    }

    /// The value type of data source `name`, or an error diagnostic.
    pub(crate) fn data_source_type(&self, name: &str, diags: &mut Diagnostics) -> Option<&Type> {
        let ty = self.data_source_types.get(name);
        if ty.is_none() {
            diags.error(
                "Unknown data source type",
                format!("This provider has no data source {name:?}. Check the data source name in your configuration."),
            );
        }
        ty
    }
}

pub(crate) fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: false,
        move_resource_state: false,
    }
}

/// The StopProvider token: cancelled on StopProvider, then replaced for later calls.
#[derive(Default)]
pub(crate) struct StopSignal(Mutex<CancellationToken>);

impl StopSignal {
    pub(crate) fn context(&self) -> RequestContext {
        let token = match self.0.lock() {
            Ok(t) => t.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        RequestContext { stop: token }
    }
    pub(crate) fn stop(&self) {
        let mut guard = match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.cancel();
        *guard = CancellationToken::new();
    }
}

/// Runs one RPC body inside its log context, logging start and end with the duration.
pub(crate) async fn in_rpc<T>(
    rpc: &'static str,
    resource_type: Option<String>,
    body: impl Future<Output = T>,
) -> T {
    let ctx = RpcContext {
        rpc,
        req_id: uuid::Uuid::new_v4().to_string(),
        resource_type: resource_type.filter(|t| !t.is_empty()),
    };
    RPC_CONTEXT
        .scope(ctx, async move {
            let started = Instant::now();
            log_with_fields(Level::Trace, "Received request", &[]);
            let out = body.await;
            let ms = started.elapsed().as_millis() as u64;
            log_with_fields(
                Level::Debug,
                "Served request",
                &[("tf_req_duration_ms", ms.into())],
            );
            out
        })
        .await
}

/// Decodes a DynamicValue (msgpack, else JSON; absent = null). Failures become an error
/// diagnostic on the attribute and `None`.
pub(crate) fn decode_dynamic(
    dv: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let result = match dv {
        None => Ok(Value::Null),
        Some(dv) if !dv.msgpack.is_empty() => decode_msgpack(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => decode_json(&dv.json, ty),
        Some(_) => Ok(Value::Null),
    };
    match result {
        Ok(v) => Some(v),
        Err(err) => {
            codec_error_diagnostic(diags, what, &err);
            None
        }
    }
}

/// Encodes a value as a msgpack DynamicValue; failures become an error diagnostic.
pub(crate) fn encode_dynamic(
    value: &Value,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match encode_msgpack(value, ty) {
        Ok(bytes) => Some(pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        }),
        Err(err) => {
            let detail = format!(
                "The provider produced a {what} it cannot encode: {err}. This is a bug in the provider; please report it."
            );
            let summary = format!("Invalid {what} from provider");
            if err.path.0.is_empty() {
                diags.error(summary, detail);
            } else {
                diags.attribute_error(err.path.clone(), summary, detail);
            }
            None
        }
    }
}

/// The shared state of the Provider service.
pub(crate) struct Shared<P> {
    pub provider: Arc<P>,
    pub schema: Arc<SchemaCache>,
    pub stop: Arc<StopSignal>,
}
