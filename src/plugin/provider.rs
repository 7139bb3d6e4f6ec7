//! The small interface a provider implements; the gRPC services call it and convert the answers.

use std::future::Future;

use tokio_util::sync::CancellationToken;

use super::{AttributePath, Diagnostics, Schema, Value};

/// Per-call context, carried by every request: a token cancelled when Terraform calls
/// StopProvider.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// Cancelled when Terraform asks the provider to stop (Ctrl-C); in-flight work should end.
    pub stop: CancellationToken,
}

/// Everything a provider declares.
#[derive(Debug, Clone, Default)]
pub struct ProviderSchema {
    pub provider: Schema,
    /// `(type name, schema)` of each managed resource.
    pub resources: Vec<(String, Schema)>,
    /// `(type name, schema)` of each data source.
    pub data_sources: Vec<(String, Schema)>,
}

#[derive(Debug, Clone)]
pub struct ConfigureRequest {
    pub ctx: RequestContext,
    pub terraform_version: String,
    pub config: Value,
}

#[derive(Debug, Clone)]
pub struct ReadRequest {
    pub ctx: RequestContext,
    pub type_name: String,
    pub current_state: Value,
    pub private: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ReadResponse {
    /// `Value::Null` when the object is gone (Terraform then drops it from state).
    pub new_state: Value,
    pub private: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub ctx: RequestContext,
    pub type_name: String,
    /// `Null` on create.
    pub prior_state: Value,
    /// `Null` on destroy.
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct PlanResponse {
    pub planned_state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ApplyRequest {
    pub ctx: RequestContext,
    pub type_name: String,
    pub prior_state: Value,
    /// `Null` on destroy.
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ApplyResponse {
    /// On error, the state that is really there (often the prior state): nothing is lost.
    pub new_state: Value,
    pub private: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub ctx: RequestContext,
    pub type_name: String,
    /// What the user wrote after the resource address in `terraform import`.
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct ImportedResource {
    pub type_name: String,
    pub state: Value,
    pub private: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ReadDataSourceRequest {
    pub ctx: RequestContext,
    pub type_name: String,
    pub config: Value,
}

/// A Terraform provider, as the plugin layer drives it: each call gets one request (its
/// [`RequestContext`] included); diagnostics are appended to `diags`.
pub trait Provider: Send + Sync + 'static {
    fn schema(&self) -> ProviderSchema;

    /// Checks of the provider configuration beyond its schema's (which Terraform makes); by
    /// default none.
    fn validate_provider_config(&self, _config: &Value, _diags: &mut Diagnostics) {}

    fn configure(
        &self,
        req: ConfigureRequest,
        diags: &mut Diagnostics,
    ) -> impl Future<Output = ()> + Send;

    fn validate_resource_config(&self, type_name: &str, config: &Value, diags: &mut Diagnostics);

    /// Checks of a data source's configuration beyond its schema's; by default none.
    fn validate_data_source_config(
        &self,
        _type_name: &str,
        _config: &Value,
        _diags: &mut Diagnostics,
    ) {
    }

    /// Upgrades a stored state (already decoded against the current schema) from `version`; by
    /// default the state is kept as it is (a provider whose schemas never changed).
    fn upgrade_resource_state(
        &self,
        _type_name: &str,
        _version: i64,
        state: Value,
        _diags: &mut Diagnostics,
    ) -> Value {
        state
    }

    fn read_resource(
        &self,
        req: ReadRequest,
        diags: &mut Diagnostics,
    ) -> impl Future<Output = ReadResponse> + Send;

    fn plan_resource_change(
        &self,
        req: PlanRequest,
        diags: &mut Diagnostics,
    ) -> impl Future<Output = PlanResponse> + Send;

    fn apply_resource_change(
        &self,
        req: ApplyRequest,
        diags: &mut Diagnostics,
    ) -> impl Future<Output = ApplyResponse> + Send;

    fn import_resource_state(
        &self,
        req: ImportRequest,
        diags: &mut Diagnostics,
    ) -> impl Future<Output = Vec<ImportedResource>> + Send;

    fn read_data_source(
        &self,
        req: ReadDataSourceRequest,
        diags: &mut Diagnostics,
    ) -> impl Future<Output = Value> + Send;
}
