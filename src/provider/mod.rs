//! The msgraph provider: configuration, the `msgraph_cross_tenant_identity_sync` resource and
//! data source, and the plan/diff logic. The only module that knows both Terraform and Graph.

use crate::plugin::{
    ApplyRequest, ApplyResponse, ConfigureRequest, Diagnostics, ImportedResource, PlanRequest,
    PlanResponse, Provider, ProviderSchema, ReadRequest, ReadResponse, RequestContext, Value,
};

/// The provider.
#[derive(Debug, Default)]
pub struct MsGraphProvider {}

impl MsGraphProvider {
    pub fn new() -> MsGraphProvider {
        MsGraphProvider::default()
    }
}

impl Provider for MsGraphProvider {
    fn schema(&self) -> ProviderSchema {
        ProviderSchema::default()
    }
    fn validate_provider_config(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn configure(
        &self,
        _ctx: RequestContext,
        _req: ConfigureRequest,
        _diags: &mut Diagnostics,
    ) {
    }
    fn validate_resource_config(&self, _t: &str, _c: &Value, _d: &mut Diagnostics) {}
    fn validate_data_source_config(&self, _t: &str, _c: &Value, _d: &mut Diagnostics) {}
    fn upgrade_resource_state(
        &self,
        _t: &str,
        _v: i64,
        state: Value,
        _d: &mut Diagnostics,
    ) -> Value {
        state
    }
    async fn read_resource(
        &self,
        _ctx: RequestContext,
        req: ReadRequest,
        _d: &mut Diagnostics,
    ) -> ReadResponse {
        ReadResponse {
            new_state: req.current_state,
            private: req.private,
        }
    }
    async fn plan_resource_change(
        &self,
        _ctx: RequestContext,
        req: PlanRequest,
        _d: &mut Diagnostics,
    ) -> PlanResponse {
        PlanResponse {
            planned_state: req.proposed_new_state,
            requires_replace: vec![],
            planned_private: req.prior_private,
        }
    }
    async fn apply_resource_change(
        &self,
        _ctx: RequestContext,
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
        _ctx: RequestContext,
        _t: &str,
        _id: &str,
        _d: &mut Diagnostics,
    ) -> Vec<ImportedResource> {
        vec![]
    }
    async fn read_data_source(
        &self,
        _ctx: RequestContext,
        _t: &str,
        config: Value,
        _d: &mut Diagnostics,
    ) -> Value {
        config
    }
}
