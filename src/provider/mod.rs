//! The msgraph provider: configuration, the `msgraph_cross_tenant_identity_sync` resource and
//! data source, and the plan/diff logic. The only module that knows both Terraform and Graph.
//! This file only dispatches by type name; each concern lives in its own file.

pub mod access;
pub mod auth_errors;
pub mod cancellation;
pub mod confirm;
pub mod consistency_diagnostics;
mod consistency_read;
pub mod data_source;
pub mod declarative;
pub mod graph_diagnostics;
pub mod guid;
pub mod plan;
pub mod plan_modifiers;
pub mod policy_api;
pub mod private_state;
pub mod provider_config;
pub mod resource;
mod resource_ops;
pub mod schema;
pub mod state;
pub mod timeouts;

#[cfg(test)]
mod testutil;

use std::sync::{Arc, RwLock};

use std::time::Duration;

use crate::graph::GraphClient;
use crate::plugin::{
    ApplyRequest, ApplyResponse, AttributePath, ConfigureRequest, Diagnostics, ImportRequest,
    ImportedResource, PlanRequest, PlanResponse, Provider, ProviderSchema, ReadDataSourceRequest,
    ReadRequest, ReadResponse, RequestContext, Value,
};

use access::ops::AccessOps;
use declarative::schema::{
    data_source_schema as derived_data_source_schema, resource_schema as derived_resource_schema,
};
use declarative::ResourceDef;
use provider_config::{process_env, Resolution};
use resource::IdentitySyncOps;
use resource_ops::ResourceOps;
use schema::TYPE_NAME;

/// The address `--debug` mode announces in TF_REATTACH_PROVIDERS: the configuration being debugged
/// names `source = "entra/msgraph"`, which Terraform expands to this.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/entra/msgraph";

/// What ConfigureProvider left behind.
#[derive(Debug, Default, Clone)]
enum Configured {
    #[default]
    NotYet,
    /// The provider block had values unknown until apply (from other resources).
    Deferred,
    Ready(Arc<Ready>),
}

#[derive(Debug)]
struct Ready {
    client: GraphClient,
    consistency_window: Duration,
    secrets: Vec<crate::graph::Secret>,
}

/// The provider.
#[derive(Debug, Default)]
pub struct MsGraphProvider {
    configured: RwLock<Configured>,
}

impl MsGraphProvider {
    pub fn new() -> MsGraphProvider {
        MsGraphProvider::default()
    }

    /// A snapshot of the configuration (cheap: the client is behind an `Arc`).
    fn configured(&self) -> Configured {
        self.configured
            .read()
            .map(|guard| guard.clone())
            .unwrap_or_default()
    }

    fn set(&self, c: Configured) {
        if let Ok(mut guard) = self.configured.write() {
            *guard = c;
        }
    }

    /// The configured client, or an error saying why there is none.
    fn ready_or_error(&self, diags: &mut Diagnostics) -> Option<Arc<Ready>> {
        ready_or_error(self.configured(), diags)
    }
}

/// The client of `configured`, or an error saying why there is none.
fn ready_or_error(configured: Configured, diags: &mut Diagnostics) -> Option<Arc<Ready>> {
    match configured {
        Configured::Ready(r) => Some(r),
        Configured::Deferred => {
            diags.error(
                "Provider configuration not known yet",
                "The msgraph provider block uses values that are only known after other \
                 resources are applied. Apply those first (e.g. with -target), or configure \
                 the provider with known values.",
            );
            None
        }
        Configured::NotYet => {
            diags.error(
                "Provider not configured",
                "The msgraph provider was used before it was configured. This is a bug in \
                 Terraform or the provider; please report it.",
            );
            None
        }
    }
}

fn unknown_type(kind: &str, type_name: &str, diags: &mut Diagnostics) {
    let known: Vec<String> = std::iter::once(TYPE_NAME)
        .chain(
            [&access::defs::PARTNER, &access::defs::DEFAULT]
                .iter()
                .filter(|d| kind == "resource" || access::data_source_def(d.type_name).is_some())
                .map(|d| d.type_name),
        )
        .map(|n| format!("{n:?}"))
        .collect();
    diags.error(
        format!("Unknown {kind} type"),
        format!(
            "The msgraph provider has no {kind} {type_name:?}; it has only {}.",
            known.join(", ")
        ),
    );
}

fn access_ops<'a>(
    ready: &'a Ready,
    ctx: &'a RequestContext,
    def: &'static ResourceDef,
) -> AccessOps<'a, GraphClient> {
    AccessOps {
        api: &ready.client,
        stop: &ctx.stop,
        def,
        consistency_window: ready.consistency_window,
    }
}

fn identity_sync_ops<'a>(
    ready: &'a Ready,
    ctx: &'a RequestContext,
) -> IdentitySyncOps<'a, GraphClient> {
    IdentitySyncOps {
        api: &ready.client,
        stop: &ctx.stop,
        consistency_window: ready.consistency_window,
    }
}

impl Provider for MsGraphProvider {
    fn schema(&self) -> ProviderSchema {
        ProviderSchema {
            provider: provider_config::provider_schema(),
            resources: vec![
                (TYPE_NAME.to_string(), schema::resource_schema()),
                (
                    access::defs::PARTNER_TYPE.to_string(),
                    derived_resource_schema(&access::defs::PARTNER),
                ),
                (
                    access::defs::DEFAULT_TYPE.to_string(),
                    derived_resource_schema(&access::defs::DEFAULT),
                ),
            ],
            data_sources: vec![
                (TYPE_NAME.to_string(), schema::data_source_schema()),
                (
                    access::defs::PARTNER_TYPE.to_string(),
                    derived_data_source_schema(&access::defs::PARTNER),
                ),
            ],
        }
    }

    fn validate_provider_config(&self, config: &Value, diags: &mut Diagnostics) {
        provider_config::validate(config, diags);
    }

    async fn configure(&self, req: ConfigureRequest, diags: &mut Diagnostics) {
        match provider_config::resolve(&req.config, &process_env, &req.terraform_version, diags) {
            Resolution::Deferred => {
                log::debug!("provider configuration has unknown values; deferring");
                self.set(Configured::Deferred);
            }
            Resolution::Invalid => self.set(Configured::NotYet),
            Resolution::Ready(resolved) => {
                let provider_config::ResolvedConfig {
                    client,
                    consistency_window,
                    secrets,
                } = *resolved;
                match GraphClient::new(client) {
                    Ok(client) => self.set(Configured::Ready(Arc::new(Ready {
                        client,
                        consistency_window,
                        secrets,
                    }))),
                    Err(e) => {
                        self.set(Configured::NotYet);
                        let mut own = Diagnostics::new();
                        own.error(
                            "Invalid provider configuration",
                            format!(
                                "The Microsoft Graph client could not be set up: {}",
                                auth_errors::describe(&e)
                            ),
                        );
                        graph_diagnostics::redact(&mut own, &secrets);
                        diags.extend(own);
                    }
                }
            }
        }
    }

    fn validate_resource_config(&self, type_name: &str, config: &Value, diags: &mut Diagnostics) {
        if let Some(def) = access::resource_def(type_name) {
            return access::validate_config(def, config, diags);
        }
        if type_name != TYPE_NAME {
            return unknown_type("resource", type_name, diags);
        }
        resource::validate_config(config, diags);
    }

    fn validate_data_source_config(
        &self,
        type_name: &str,
        config: &Value,
        diags: &mut Diagnostics,
    ) {
        if let Some(def) = access::data_source_def(type_name) {
            return access::validate_config(def, config, diags);
        }
        if type_name != TYPE_NAME {
            return unknown_type("data source", type_name, diags);
        }
        data_source::validate_config(config, diags);
    }

    fn upgrade_resource_state(
        &self,
        type_name: &str,
        version: i64,
        state: Value,
        diags: &mut Diagnostics,
    ) -> Value {
        if type_name != TYPE_NAME && access::resource_def(type_name).is_none() {
            unknown_type("resource", type_name, diags);
        } else if version > schema::RESOURCE_SCHEMA_VERSION {
            diags.error(
                "State from a newer provider",
                format!(
                    "This state was written by a newer msgraph provider (schema version \
                     {version}). Use that provider version or newer."
                ),
            );
        }
        state
    }

    async fn read_resource(&self, req: ReadRequest, diags: &mut Diagnostics) -> ReadResponse {
        let unchanged = ReadResponse {
            new_state: req.current_state.clone(),
            private: req.private.clone(),
        };
        let access_def = access::resource_def(&req.type_name);
        if req.type_name != TYPE_NAME && access_def.is_none() {
            unknown_type("resource", &req.type_name, diags);
            return unchanged;
        }
        let configured = self.configured();
        // Provider values from other resources: keep state until they are known.
        if matches!(configured, Configured::Deferred) {
            return unchanged;
        }
        let Some(ready) = ready_or_error(configured, diags) else {
            return unchanged;
        };
        let mut own = Diagnostics::new();
        let (new_state, private) = match access_def {
            Some(def) => access_ops(&ready, &req.ctx, def).read(&req, &mut own).await,
            None => {
                identity_sync_ops(&ready, &req.ctx)
                    .read(&req, &mut own)
                    .await
            }
        };
        graph_diagnostics::redact(&mut own, &ready.secrets);
        diags.extend(own);
        ReadResponse { new_state, private }
    }

    async fn plan_resource_change(
        &self,
        req: PlanRequest,
        diags: &mut Diagnostics,
    ) -> PlanResponse {
        if let Some(def) = access::resource_def(&req.type_name) {
            if !req.config.is_null() {
                access::validate_config(def, &req.config, diags);
            }
            let config = if req.proposed_new_state.is_null() {
                &Value::Null
            } else {
                &req.config
            };
            let plan = declarative::plan::plan(def, &req.prior_state, config);
            // A create (including a replacement's) starts with no write history.
            let planned_private = if req.prior_state.is_null() {
                Vec::new()
            } else {
                req.prior_private
            };
            return PlanResponse {
                planned_state: plan.planned_state,
                requires_replace: plan.requires_replace,
                planned_private,
            };
        }
        if req.type_name != TYPE_NAME {
            unknown_type("resource", &req.type_name, diags);
            return PlanResponse {
                planned_state: req.proposed_new_state,
                requires_replace: vec![],
                planned_private: req.prior_private,
            };
        }
        if !req.config.is_null() {
            // Values unknown at validate time may be known now.
            resource::validate_config(&req.config, diags);
        }
        let config = if req.proposed_new_state.is_null() {
            &Value::Null
        } else {
            &req.config
        };
        let plan = plan::plan(&req.prior_state, config);
        // A create (including the create half of a replacement) starts with no write history.
        let planned_private = if req.prior_state.is_null() {
            Vec::new()
        } else {
            req.prior_private
        };
        PlanResponse {
            planned_state: plan.planned_state,
            requires_replace: plan.requires_replace,
            planned_private,
        }
    }

    async fn apply_resource_change(
        &self,
        req: ApplyRequest,
        diags: &mut Diagnostics,
    ) -> ApplyResponse {
        let unchanged = ApplyResponse {
            new_state: req.prior_state.clone(),
            private: req.planned_private.clone(),
        };
        let access_def = access::resource_def(&req.type_name);
        if req.type_name != TYPE_NAME && access_def.is_none() {
            unknown_type("resource", &req.type_name, diags);
            return unchanged;
        }
        let Some(ready) = self.ready_or_error(diags) else {
            return unchanged;
        };
        let mut own = Diagnostics::new();
        let (new_state, private) = match access_def {
            Some(def) => {
                access_ops(&ready, &req.ctx, def)
                    .apply(&req, &mut own)
                    .await
            }
            None => {
                identity_sync_ops(&ready, &req.ctx)
                    .apply(&req, &mut own)
                    .await
            }
        };
        graph_diagnostics::redact(&mut own, &ready.secrets);
        diags.extend(own);
        ApplyResponse { new_state, private }
    }

    async fn import_resource_state(
        &self,
        req: ImportRequest,
        diags: &mut Diagnostics,
    ) -> Vec<ImportedResource> {
        let ImportRequest { ctx, type_name, id } = req;
        if let Some(def) = access::resource_def(&type_name) {
            let Some(key) = access::parse_import_id(def, &id, diags) else {
                return vec![];
            };
            let Some(ready) = self.ready_or_error(diags) else {
                return vec![];
            };
            let mut own = Diagnostics::new();
            let state = access_ops(&ready, &ctx, def).import(&key, &mut own).await;
            graph_diagnostics::redact(&mut own, &ready.secrets);
            diags.extend(own);
            return state
                .map(|state| ImportedResource {
                    type_name: def.type_name.to_string(),
                    state,
                    private: Vec::new(),
                })
                .into_iter()
                .collect();
        }
        if type_name != TYPE_NAME {
            unknown_type("resource", &type_name, diags);
            return vec![];
        }
        // A malformed ID is refused before anything else, configured or not.
        let Some(tenant) = resource::parse_import_id(&id, diags) else {
            return vec![];
        };
        let Some(ready) = self.ready_or_error(diags) else {
            return vec![];
        };
        let mut own = Diagnostics::new();
        let state = identity_sync_ops(&ready, &ctx)
            .import(&tenant, &mut own)
            .await;
        graph_diagnostics::redact(&mut own, &ready.secrets);
        diags.extend(own);
        state
            .map(|state| ImportedResource {
                type_name: TYPE_NAME.to_string(),
                state,
                private: Vec::new(),
            })
            .into_iter()
            .collect()
    }

    async fn read_data_source(&self, req: ReadDataSourceRequest, diags: &mut Diagnostics) -> Value {
        let ReadDataSourceRequest {
            ctx,
            type_name,
            config,
        } = req;
        if let Some(def) = access::data_source_def(&type_name) {
            let tenant = config.attr("tenant_id").as_str().and_then(|t| {
                guid::validate_tenant_id(t, AttributePath::attrs(["tenant_id"]), diags)
            });
            let (Some(tenant), Some(ready)) = (tenant, self.ready_or_error(diags)) else {
                return config;
            };
            let mut own = Diagnostics::new();
            let value = access_ops(&ready, &ctx, def)
                .read_data_source(&tenant, &config, &mut own)
                .await;
            graph_diagnostics::redact(&mut own, &ready.secrets);
            diags.extend(own);
            return if value.is_null() { config } else { value };
        }
        if type_name != TYPE_NAME {
            unknown_type("data source", &type_name, diags);
            return config;
        }
        let Some(ready) = self.ready_or_error(diags) else {
            return config;
        };
        let mut own = Diagnostics::new();
        let value = data_source::read(&identity_sync_ops(&ready, &ctx), &config, &mut own).await;
        graph_diagnostics::redact(&mut own, &ready.secrets);
        diags.extend(own);
        value
    }
}

#[cfg(test)]
mod tests;
