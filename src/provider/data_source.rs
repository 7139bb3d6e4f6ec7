//! The `msgraph_cross_tenant_identity_sync` data source: one policy, read by partner tenant ID,
//! bounded by `timeouts { read }`.

use crate::plugin::{AttributePath, Diagnostics, Value};

use super::declarative::convert::data_source_value;
use super::declarative::validate::validate;
use super::policy_api::PolicyApi;
use super::resource::IdentitySyncOps;
use super::schema::IDENTITY_SYNC;
use super::state::{policy_json, TENANT_ID};
use super::timeouts::{timeout_for, validate_timeouts, Operation};

pub fn validate_config(config: &Value, diags: &mut Diagnostics) {
    validate(IDENTITY_SYNC.fields, config, diags);
    validate_timeouts(config, diags);
}

/// Reads the policy; the result keeps the configuration's spelling of the tenant ID.
pub async fn read<A: PolicyApi>(
    ops: &IdentitySyncOps<'_, A>,
    config: &Value,
    diags: &mut Diagnostics,
) -> Value {
    let Some(tid) = config.attr(TENANT_ID).as_str() else {
        diags.attribute_error(
            AttributePath::attrs([TENANT_ID]),
            "Missing tenant ID",
            "Set tenant_id to the partner tenant's ID.",
        );
        return config.clone();
    };
    validate_config(config, diags);
    if diags.has_errors() {
        return config.clone();
    }
    let timeout = timeout_for(config, Operation::Read);
    match ops.read_for_data_source(tid, timeout, diags).await {
        Some(policy) => data_source_value(&IDENTITY_SYNC, tid, &policy_json(&policy), config),
        None => config.clone(),
    }
}
