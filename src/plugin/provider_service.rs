//! The tfplugin6.Provider gRPC service: one thin shim per RPC (decode, call the [`Provider`],
//! encode, convert diagnostics). Every RPC answers; none panics on input.

use tonic::{Request, Response, Status};

use super::convert::{diagnostics_to_proto, path_to_proto};
use super::proto::tfplugin6 as pb;
use super::rpc_context::{decode_dynamic, encode_dynamic, in_rpc, server_capabilities, Shared};
use super::value::decode_json;
use super::{
    ApplyRequest, ConfigureRequest, Diagnostics, PlanRequest, Provider, ReadRequest, Value,
};

type Reply<T> = Result<Response<T>, Status>;

pub(crate) struct ProviderService<P>(pub Shared<P>);

fn diags(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    diagnostics_to_proto(d)
}

fn no_ephemeral(diags: &mut Diagnostics, type_name: &str) {
    diags.error(
        "Unknown ephemeral resource type",
        format!("This provider has no ephemeral resource {type_name:?}."),
    );
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _req: Request<pb::get_metadata::Request>,
    ) -> Reply<pb::get_metadata::Response> {
        in_rpc("GetMetadata", None, async move {
            let s = &self.0.schema.schema;
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
            Ok(Response::new(self.0.schema.proto.clone()))
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
            let ty = &self.0.schema.provider_type;
            if let Some(config) =
                decode_dynamic(req.config.as_ref(), ty, "provider configuration", &mut d)
            {
                self.0.provider.validate_provider_config(&config, &mut d);
            }
            Ok(Response::new(pb::validate_provider_config::Response {
                diagnostics: diags(&d),
            }))
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Reply<pb::validate_resource_config::Response> {
        let req = req.into_inner();
        in_rpc(
            "ValidateResourceConfig",
            Some(req.type_name.clone()),
            async move {
                let mut d = Diagnostics::new();
                if let Some(ty) = self.0.schema.resource_type(&req.type_name, &mut d) {
                    if let Some(config) =
                        decode_dynamic(req.config.as_ref(), ty, "configuration", &mut d)
                    {
                        self.0
                            .provider
                            .validate_resource_config(&req.type_name, &config, &mut d);
                    }
                }
                Ok(Response::new(pb::validate_resource_config::Response {
                    diagnostics: diags(&d),
                }))
            },
        )
        .await
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Reply<pb::validate_data_resource_config::Response> {
        let req = req.into_inner();
        in_rpc(
            "ValidateDataResourceConfig",
            Some(req.type_name.clone()),
            async move {
                let mut d = Diagnostics::new();
                if let Some(ty) = self.0.schema.data_source_type(&req.type_name, &mut d) {
                    if let Some(config) =
                        decode_dynamic(req.config.as_ref(), ty, "configuration", &mut d)
                    {
                        self.0.provider.validate_data_source_config(
                            &req.type_name,
                            &config,
                            &mut d,
                        );
                    }
                }
                Ok(Response::new(pb::validate_data_resource_config::Response {
                    diagnostics: diags(&d),
                }))
            },
        )
        .await
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Reply<pb::upgrade_resource_state::Response> {
        let req = req.into_inner();
        in_rpc("UpgradeResourceState", Some(req.type_name.clone()), async move {
            let mut d = Diagnostics::new();
            let mut upgraded_state = None;
            if let Some(ty) = self.0.schema.resource_type(&req.type_name, &mut d) {
                let raw = req.raw_state.unwrap_or_default();
                let state = if !raw.json.is_empty() {
                    match decode_json(&raw.json, ty) {
                        Ok(v) => Some(v),
                        Err(err) => {
                            d.error(
                                "Unreadable stored state",
                                format!(
                                    "The state stored for this {} does not match the provider's schema: {err}. \
                                     Remove the object from state (terraform state rm) and import it again.",
                                    req.type_name
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
                };
                if let Some(state) = state {
                    let new = self.0.provider.upgrade_resource_state(&req.type_name, req.version, state, &mut d);
                    upgraded_state = encode_dynamic(&new, ty, "upgraded state", &mut d);
                }
            }
            Ok(Response::new(pb::upgrade_resource_state::Response { upgraded_state, diagnostics: diags(&d) }))
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
        let req = req.into_inner();
        in_rpc(
            "UpgradeResourceIdentity",
            Some(req.type_name.clone()),
            async move {
                let mut d = Diagnostics::new();
                d.error(
                    "Resource identity not supported",
                    format!(
                        "The {} resource has no resource identity to upgrade.",
                        req.type_name
                    ),
                );
                Ok(Response::new(pb::upgrade_resource_identity::Response {
                    upgraded_identity: None,
                    diagnostics: diags(&d),
                }))
            },
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
            let ty = &self.0.schema.provider_type;
            if let Some(config) =
                decode_dynamic(req.config.as_ref(), ty, "provider configuration", &mut d)
            {
                let creq = ConfigureRequest {
                    terraform_version: req.terraform_version,
                    config,
                };
                self.0
                    .provider
                    .configure(self.0.stop.context(), creq, &mut d)
                    .await;
            }
            Ok(Response::new(pb::configure_provider::Response {
                diagnostics: diags(&d),
            }))
        })
        .await
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Reply<pb::read_resource::Response> {
        let req = req.into_inner();
        in_rpc("ReadResource", Some(req.type_name.clone()), async move {
            let mut d = Diagnostics::new();
            let mut out = pb::read_resource::Response::default();
            if let Some(ty) = self.0.schema.resource_type(&req.type_name, &mut d) {
                if let Some(current_state) =
                    decode_dynamic(req.current_state.as_ref(), ty, "current state", &mut d)
                {
                    let rreq = ReadRequest {
                        type_name: req.type_name.clone(),
                        current_state,
                        private: req.private,
                    };
                    let resp = self
                        .0
                        .provider
                        .read_resource(self.0.stop.context(), rreq, &mut d)
                        .await;
                    out.new_state = encode_dynamic(&resp.new_state, ty, "new state", &mut d);
                    out.private = resp.private;
                }
            }
            out.diagnostics = diags(&d);
            Ok(Response::new(out))
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Reply<pb::plan_resource_change::Response> {
        let req = req.into_inner();
        in_rpc(
            "PlanResourceChange",
            Some(req.type_name.clone()),
            async move {
                let mut d = Diagnostics::new();
                let mut out = pb::plan_resource_change::Response::default();
                if let Some(ty) = self.0.schema.resource_type(&req.type_name, &mut d) {
                    let prior = decode_dynamic(req.prior_state.as_ref(), ty, "prior state", &mut d);
                    let proposed = decode_dynamic(
                        req.proposed_new_state.as_ref(),
                        ty,
                        "proposed new state",
                        &mut d,
                    );
                    let config = decode_dynamic(req.config.as_ref(), ty, "configuration", &mut d);
                    if let (Some(prior_state), Some(proposed_new_state), Some(config)) =
                        (prior, proposed, config)
                    {
                        let preq = PlanRequest {
                            type_name: req.type_name.clone(),
                            prior_state,
                            proposed_new_state,
                            config,
                            prior_private: req.prior_private,
                        };
                        let resp = self
                            .0
                            .provider
                            .plan_resource_change(self.0.stop.context(), preq, &mut d)
                            .await;
                        out.planned_state =
                            encode_dynamic(&resp.planned_state, ty, "planned state", &mut d);
                        out.requires_replace =
                            resp.requires_replace.iter().map(path_to_proto).collect();
                        out.planned_private = resp.planned_private;
                    }
                }
                out.diagnostics = diags(&d);
                Ok(Response::new(out))
            },
        )
        .await
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Reply<pb::apply_resource_change::Response> {
        let req = req.into_inner();
        in_rpc(
            "ApplyResourceChange",
            Some(req.type_name.clone()),
            async move {
                let mut d = Diagnostics::new();
                let mut out = pb::apply_resource_change::Response::default();
                if let Some(ty) = self.0.schema.resource_type(&req.type_name, &mut d) {
                    let prior = decode_dynamic(req.prior_state.as_ref(), ty, "prior state", &mut d);
                    let planned =
                        decode_dynamic(req.planned_state.as_ref(), ty, "planned state", &mut d);
                    let config = decode_dynamic(req.config.as_ref(), ty, "configuration", &mut d);
                    if let (Some(prior_state), Some(planned_state), Some(config)) =
                        (prior, planned, config)
                    {
                        let areq = ApplyRequest {
                            type_name: req.type_name.clone(),
                            prior_state,
                            planned_state,
                            config,
                            planned_private: req.planned_private,
                        };
                        let resp = self
                            .0
                            .provider
                            .apply_resource_change(self.0.stop.context(), areq, &mut d)
                            .await;
                        out.new_state = encode_dynamic(&resp.new_state, ty, "new state", &mut d);
                        out.private = resp.private;
                    } else {
                        // Nothing was changed: hand the prior state back so nothing is lost.
                        out.new_state = req.prior_state;
                    }
                }
                out.diagnostics = diags(&d);
                Ok(Response::new(out))
            },
        )
        .await
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Reply<pb::import_resource_state::Response> {
        let req = req.into_inner();
        in_rpc(
            "ImportResourceState",
            Some(req.type_name.clone()),
            async move {
                let mut d = Diagnostics::new();
                let mut out = pb::import_resource_state::Response::default();
                if self
                    .0
                    .schema
                    .resource_type(&req.type_name, &mut d)
                    .is_some()
                {
                    let imported = self
                        .0
                        .provider
                        .import_resource_state(
                            self.0.stop.context(),
                            &req.type_name,
                            &req.id,
                            &mut d,
                        )
                        .await;
                    for res in imported {
                        let Some(ty) = self.0.schema.resource_type(&res.type_name, &mut d) else {
                            continue;
                        };
                        let state = encode_dynamic(&res.state, ty, "imported state", &mut d);
                        out.imported_resources
                            .push(pb::import_resource_state::ImportedResource {
                                type_name: res.type_name,
                                state,
                                private: res.private,
                                identity: None,
                            });
                    }
                }
                out.diagnostics = diags(&d);
                Ok(Response::new(out))
            },
        )
        .await
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Reply<pb::move_resource_state::Response> {
        let req = req.into_inner();
        in_rpc("MoveResourceState", Some(req.target_type_name.clone()), async move {
            let mut d = Diagnostics::new();
            d.error(
                "Moving resources is not supported",
                format!(
                    "The provider cannot move a {} into a {}. Remove the `moved` block and import the object instead.",
                    req.source_type_name, req.target_type_name
                ),
            );
            Ok(Response::new(pb::move_resource_state::Response { diagnostics: diags(&d), ..Default::default() }))
        })
        .await
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Reply<pb::read_data_source::Response> {
        let req = req.into_inner();
        in_rpc("ReadDataSource", Some(req.type_name.clone()), async move {
            let mut d = Diagnostics::new();
            let mut out = pb::read_data_source::Response::default();
            if let Some(ty) = self.0.schema.data_source_type(&req.type_name, &mut d) {
                if let Some(config) =
                    decode_dynamic(req.config.as_ref(), ty, "configuration", &mut d)
                {
                    let state = self
                        .0
                        .provider
                        .read_data_source(self.0.stop.context(), &req.type_name, config, &mut d)
                        .await;
                    out.state = encode_dynamic(&state, ty, "data source result", &mut d);
                }
            }
            out.diagnostics = diags(&d);
            Ok(Response::new(out))
        })
        .await
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Reply<pb::validate_ephemeral_resource_config::Response> {
        let req = req.into_inner();
        in_rpc(
            "ValidateEphemeralResourceConfig",
            Some(req.type_name.clone()),
            async move {
                let mut d = Diagnostics::new();
                no_ephemeral(&mut d, &req.type_name);
                Ok(Response::new(
                    pb::validate_ephemeral_resource_config::Response {
                        diagnostics: diags(&d),
                    },
                ))
            },
        )
        .await
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> Reply<pb::open_ephemeral_resource::Response> {
        let req = req.into_inner();
        in_rpc(
            "OpenEphemeralResource",
            Some(req.type_name.clone()),
            async move {
                let mut d = Diagnostics::new();
                no_ephemeral(&mut d, &req.type_name);
                Ok(Response::new(pb::open_ephemeral_resource::Response {
                    diagnostics: diags(&d),
                    ..Default::default()
                }))
            },
        )
        .await
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Reply<pb::renew_ephemeral_resource::Response> {
        let req = req.into_inner();
        in_rpc(
            "RenewEphemeralResource",
            Some(req.type_name.clone()),
            async move {
                let mut d = Diagnostics::new();
                no_ephemeral(&mut d, &req.type_name);
                Ok(Response::new(pb::renew_ephemeral_resource::Response {
                    diagnostics: diags(&d),
                    ..Default::default()
                }))
            },
        )
        .await
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> Reply<pb::close_ephemeral_resource::Response> {
        let req = req.into_inner();
        in_rpc(
            "CloseEphemeralResource",
            Some(req.type_name.clone()),
            async move {
                let mut d = Diagnostics::new();
                no_ephemeral(&mut d, &req.type_name);
                Ok(Response::new(pb::close_ephemeral_resource::Response {
                    diagnostics: diags(&d),
                }))
            },
        )
        .await
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
            self.0.stop.stop();
            Ok(Response::new(pb::stop_provider::Response {
                error: String::new(),
            }))
        })
        .await
    }
}
