//! The tfplugin6.Provider gRPC service: one thin shim per RPC (decode, call the [`Provider`],
//! encode). Every RPC answers; none panics on input.

use tonic::{Request, Response, Status};

use super::convert::{decode_dynamic, diagnostics_to_proto, encode_dynamic};
use super::logger::in_rpc;
use super::proto::tfplugin6 as pb;
use super::schema_cache::{server_capabilities, SchemaCache, TypeKind, TypeKind::*};
use super::stop_signal::StopSignal;
use super::value::decode_json;
use super::{
    ApplyRequest, ConfigureRequest, Diagnostics, ImportRequest, PlanRequest, Provider,
    ReadDataSourceRequest, ReadRequest, RequestContext, Type, Value,
};

type Reply<T> = Result<Response<T>, Status>;

/// The provider, its schema converted once, and the StopProvider signal its calls share.
pub(crate) struct ProviderService<P> {
    provider: P,
    schema: SchemaCache,
    stop: StopSignal,
}

impl<P: Provider> ProviderService<P> {
    pub(crate) fn new(provider: P) -> ProviderService<P> {
        ProviderService {
            schema: SchemaCache::new(provider.schema()),
            provider,
            stop: StopSignal::default(),
        }
    }

    /// What each provider call gets: the current StopProvider token.
    fn request(&self) -> RequestContext {
        self.stop.context()
    }

    /// The frame of an RPC on one resource or data source type: logged under its name and the
    /// type name, the type looked up (unknown: an error diagnostic, `body` does not run), then
    /// `body` (given the request, its context and the type) fills the response and adds its
    /// diagnostics.
    async fn typed_rpc<Q: TypedRequest>(
        &self,
        req: Request<Q>,
        body: impl AsyncFnOnce(Q, RequestContext, &Type, &mut Q::Response, &mut Diagnostics),
    ) -> Reply<Q::Response> {
        let req = req.into_inner();
        in_rpc(Q::RPC, Some(req.type_name().to_owned()), async move {
            let mut d = Diagnostics::new();
            let mut out = Q::Response::default();
            if let Some(ty) = self.schema.value_type(Q::KIND, req.type_name(), &mut d) {
                body(req, self.request(), ty, &mut out, &mut d).await;
            }
            out.answer(&d)
        })
        .await
    }
}

/// A response that carries diagnostics: every shim ends by handing its own over.
trait Answer: Sized {
    fn set_diagnostics(&mut self, diagnostics: Vec<pb::Diagnostic>);

    fn answer(mut self, diags: &Diagnostics) -> Reply<Self> {
        self.set_diagnostics(diagnostics_to_proto(diags));
        Ok(Response::new(self))
    }
}

macro_rules! answers {
    ($($response:ty),* $(,)?) => {
        $(impl Answer for $response {
            fn set_diagnostics(&mut self, diagnostics: Vec<pb::Diagnostic>) {
                self.diagnostics = diagnostics;
            }
        })*
    };
}

answers!(
    pb::validate_provider_config::Response,
    pb::validate_resource_config::Response,
    pb::validate_data_resource_config::Response,
    pb::upgrade_resource_state::Response,
    pb::upgrade_resource_identity::Response,
    pb::configure_provider::Response,
    pb::read_resource::Response,
    pb::plan_resource_change::Response,
    pb::apply_resource_change::Response,
    pb::import_resource_state::Response,
    pb::move_resource_state::Response,
    pb::read_data_source::Response,
    pb::validate_ephemeral_resource_config::Response,
    pb::open_ephemeral_resource::Response,
    pb::renew_ephemeral_resource::Response,
    pb::close_ephemeral_resource::Response,
);

/// A request on one resource or data source type: the RPC's name (for the log), the kind of
/// type it names, and the response it gets.
trait TypedRequest: Send {
    const RPC: &'static str;
    const KIND: TypeKind;
    type Response: Answer + Default + Send;
    fn type_name(&self) -> &str;
}

macro_rules! typed_requests {
    ($($module:ident: $rpc:literal, $kind:ident;)*) => {
        $(impl TypedRequest for pb::$module::Request {
            const RPC: &'static str = $rpc;
            const KIND: TypeKind = TypeKind::$kind;
            type Response = pb::$module::Response;
            fn type_name(&self) -> &str {
                &self.type_name
            }
        })*
    };
}

typed_requests! {
    validate_resource_config: "ValidateResourceConfig", Resource;
    validate_data_resource_config: "ValidateDataResourceConfig", DataSource;
    upgrade_resource_state: "UpgradeResourceState", Resource;
    read_resource: "ReadResource", Resource;
    plan_resource_change: "PlanResourceChange", Resource;
    apply_resource_change: "ApplyResourceChange", Resource;
    import_resource_state: "ImportResourceState", Resource;
    read_data_source: "ReadDataSource", DataSource;
}

/// An RPC this provider answers with an error diagnostic only: logged under `rpc` and `type_name`.
async fn refused<R: Answer + Default>(
    rpc: &'static str,
    type_name: String,
    summary: &str,
    detail: String,
) -> Reply<R> {
    in_rpc(rpc, Some(type_name), async move {
        let mut d = Diagnostics::new();
        d.error(summary, detail);
        R::default().answer(&d)
    })
    .await
}

async fn no_ephemeral<R: Answer + Default>(rpc: &'static str, type_name: String) -> Reply<R> {
    let detail = format!("This provider has no ephemeral resource {type_name:?}.");
    refused(rpc, type_name, "Unknown ephemeral resource type", detail).await
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _req: Request<pb::get_metadata::Request>,
    ) -> Reply<pb::get_metadata::Response> {
        in_rpc("GetMetadata", None, async move {
            let s = &self.schema.schema;
            Ok(Response::new(pb::get_metadata::Response {
                server_capabilities: Some(server_capabilities()),
                resources: s
                    .resources
                    .iter()
                    .map(|(n, _)| pb::get_metadata::ResourceMetadata {
                        type_name: n.clone(),
                    })
                    .collect(),
                data_sources: s
                    .data_sources
                    .iter()
                    .map(|(n, _)| pb::get_metadata::DataSourceMetadata {
                        type_name: n.clone(),
                    })
                    .collect(),
                ..Default::default()
            }))
        })
        .await
    }

    async fn get_provider_schema(
        &self,
        _req: Request<pb::get_provider_schema::Request>,
    ) -> Reply<pb::get_provider_schema::Response> {
        in_rpc("GetProviderSchema", None, async move {
            Ok(Response::new(self.schema.proto.clone()))
        })
        .await
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Reply<pb::validate_provider_config::Response> {
        let req = req.into_inner();
        in_rpc("ValidateProviderConfig", None, async move {
            let mut d = Diagnostics::new();
            let ty = &self.schema.provider_type;
            let what = "provider configuration";
            if let Some(config) = decode_dynamic(req.config.as_ref(), ty, what, &mut d) {
                self.provider.validate_provider_config(&config, &mut d);
            }
            pb::validate_provider_config::Response::default().answer(&d)
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Reply<pb::validate_resource_config::Response> {
        self.typed_rpc(req, async |req, _, ty, _, d| {
            if let Some(config) = decode_dynamic(req.config.as_ref(), ty, "configuration", d) {
                self.provider
                    .validate_resource_config(&req.type_name, &config, d);
            }
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Reply<pb::validate_data_resource_config::Response> {
        self.typed_rpc(req, async |req, _, ty, _, d| {
            if let Some(config) = decode_dynamic(req.config.as_ref(), ty, "configuration", d) {
                self.provider
                    .validate_data_source_config(&req.type_name, &config, d);
            }
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Reply<pb::upgrade_resource_state::Response> {
        self.typed_rpc(req, async |req, _, ty, out, d| {
            let raw = req.raw_state.unwrap_or_default();
            if let Some(state) = stored_state(&raw, ty, &req.type_name, d) {
                let new =
                    self.provider
                        .upgrade_resource_state(&req.type_name, req.version, state, d);
                out.upgraded_state = encode_dynamic(&new, ty, "upgraded state", d);
            }
        })
        .await
    }

    async fn get_resource_identity_schemas(
        &self,
        _req: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Reply<pb::get_resource_identity_schemas::Response> {
        in_rpc("GetResourceIdentitySchemas", None, async move {
            Ok(Response::new(
                pb::get_resource_identity_schemas::Response::default(),
            ))
        })
        .await
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Reply<pb::upgrade_resource_identity::Response> {
        let name = req.into_inner().type_name;
        let detail = format!("The {name} resource has no resource identity to upgrade.");
        refused(
            "UpgradeResourceIdentity",
            name,
            "Resource identity not supported",
            detail,
        )
        .await
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Reply<pb::configure_provider::Response> {
        let req = req.into_inner();
        in_rpc("ConfigureProvider", None, async move {
            let mut d = Diagnostics::new();
            let ty = &self.schema.provider_type;
            if let Some(creq) = ConfigureRequest::from_proto(&req, self.request(), ty, &mut d) {
                self.provider.configure(creq, &mut d).await;
            }
            pb::configure_provider::Response::default().answer(&d)
        })
        .await
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Reply<pb::read_resource::Response> {
        self.typed_rpc(req, async |req, ctx, ty, out, d| {
            if let Some(rreq) = ReadRequest::from_proto(&req, ctx, ty, d) {
                let resp = self.provider.read_resource(rreq, d).await;
                out.new_state = encode_dynamic(&resp.new_state, ty, "new state", d);
                out.private = resp.private;
            }
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Reply<pb::plan_resource_change::Response> {
        self.typed_rpc(req, async |req, ctx, ty, out, d| {
            if let Some(preq) = PlanRequest::from_proto(&req, ctx, ty, d) {
                let resp = self.provider.plan_resource_change(preq, d).await;
                *out = resp.to_proto(ty, d);
            }
        })
        .await
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Reply<pb::apply_resource_change::Response> {
        self.typed_rpc(req, async |req, ctx, ty, out, d| {
            if let Some(areq) = ApplyRequest::from_proto(&req, ctx, ty, d) {
                let resp = self.provider.apply_resource_change(areq, d).await;
                out.new_state = encode_dynamic(&resp.new_state, ty, "new state", d);
                out.private = resp.private;
            } else {
                // Nothing was changed: hand the prior state back so nothing is lost.
                out.new_state = req.prior_state;
            }
        })
        .await
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Reply<pb::import_resource_state::Response> {
        self.typed_rpc(req, async |req, ctx, _, out, d| {
            let ireq = ImportRequest {
                ctx,
                type_name: req.type_name,
                id: req.id,
            };
            let imported = self.provider.import_resource_state(ireq, d).await;
            for res in imported {
                let Some(ty) = self.schema.value_type(Resource, &res.type_name, d) else {
                    continue;
                };
                let state = encode_dynamic(&res.state, ty, "imported state", d);
                out.imported_resources
                    .push(pb::import_resource_state::ImportedResource {
                        type_name: res.type_name,
                        state,
                        private: res.private,
                        identity: None,
                    });
            }
        })
        .await
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Reply<pb::move_resource_state::Response> {
        let req = req.into_inner();
        let detail = format!(
            "The provider cannot move a {} into a {}. Remove the `moved` block and import the object instead.",
            req.source_type_name, req.target_type_name
        );
        let summary = "Moving resources is not supported";
        refused("MoveResourceState", req.target_type_name, summary, detail).await
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Reply<pb::read_data_source::Response> {
        self.typed_rpc(req, async |req, ctx, ty, out, d| {
            if let Some(config) = decode_dynamic(req.config.as_ref(), ty, "configuration", d) {
                let dreq = ReadDataSourceRequest {
                    ctx,
                    type_name: req.type_name,
                    config,
                };
                let state = self.provider.read_data_source(dreq, d).await;
                out.state = encode_dynamic(&state, ty, "data source result", d);
            }
        })
        .await
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Reply<pb::validate_ephemeral_resource_config::Response> {
        no_ephemeral(
            "ValidateEphemeralResourceConfig",
            req.into_inner().type_name,
        )
        .await
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> Reply<pb::open_ephemeral_resource::Response> {
        no_ephemeral("OpenEphemeralResource", req.into_inner().type_name).await
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Reply<pb::renew_ephemeral_resource::Response> {
        no_ephemeral("RenewEphemeralResource", req.into_inner().type_name).await
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> Reply<pb::close_ephemeral_resource::Response> {
        no_ephemeral("CloseEphemeralResource", req.into_inner().type_name).await
    }

    async fn get_functions(
        &self,
        _req: Request<pb::get_functions::Request>,
    ) -> Reply<pb::get_functions::Response> {
        in_rpc("GetFunctions", None, async move {
            Ok(Response::new(pb::get_functions::Response::default()))
        })
        .await
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> Reply<pb::call_function::Response> {
        let req = req.into_inner();
        in_rpc("CallFunction", None, async move {
            Ok(Response::new(pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text: format!("This provider has no function named {:?}.", req.name),
                    function_argument: None,
                }),
            }))
        })
        .await
    }

    async fn stop_provider(
        &self,
        _req: Request<pb::stop_provider::Request>,
    ) -> Reply<pb::stop_provider::Response> {
        in_rpc("StopProvider", None, async move {
            self.stop.stop();
            Ok(Response::new(pb::stop_provider::Response {
                error: String::new(),
            }))
        })
        .await
    }
}

/// The state Terraform stored (JSON, or the pre-0.12 flatmap we cannot read); none is null.
fn stored_state(
    raw: &pb::RawState,
    ty: &Type,
    type_name: &str,
    d: &mut Diagnostics,
) -> Option<Value> {
    if !raw.json.is_empty() {
        match decode_json(&raw.json, ty) {
            Ok(v) => Some(v),
            Err(err) => {
                d.error(
                    "Unreadable stored state",
                    format!(
                        "The state stored for this {type_name} does not match the provider's schema: {err}. \
                         Remove the object from state (terraform state rm) and import it again."
                    ),
                );
                None
            }
        }
    } else if !raw.flatmap.is_empty() {
        d.error(
            "Legacy state format",
            "This state was written in the flatmap format of Terraform 0.11 and older, which this \
             provider cannot read. Remove the object from state and import it again.",
        );
        None
    } else {
        Some(Value::Null)
    }
}

#[cfg(test)]
mod tests;
