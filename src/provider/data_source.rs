//! The `msgraph_cross_tenant_identity_sync` data source: one policy, read by partner tenant ID,
//! bounded by `timeouts { read }`.

use crate::plugin::{AttributePath, Diagnostics, Value};

use super::api::PolicyApi;
use super::guid::validate_tenant_id;
use super::resource::Ops;
use super::state::{
    user_sync_inbound_value, DISPLAY_NAME, ID, TENANT_ID, TIMEOUTS, USER_SYNC_INBOUND,
};
use super::timeouts::{timeout_for, validate_timeouts, Operation};

pub fn validate_config(config: &Value, diags: &mut Diagnostics) {
    if let Some(tid) = config.attr(TENANT_ID).as_str() {
        validate_tenant_id(tid, AttributePath::attrs([TENANT_ID]), diags);
    }
    validate_timeouts(config, diags);
}

/// Reads the policy; the result keeps the configuration's spelling of the tenant ID.
pub async fn read<A: PolicyApi>(
    ops: &Ops<'_, A>,
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
        Some(policy) => Value::object([
            (ID, Value::string(tid)),
            (TENANT_ID, Value::string(tid)),
            (
                DISPLAY_NAME,
                policy
                    .display_name
                    .map(Value::String)
                    .unwrap_or(Value::Null),
            ),
            (
                USER_SYNC_INBOUND,
                user_sync_inbound_value(policy.user_sync_inbound.is_sync_allowed),
            ),
            (TIMEOUTS, config.attr(TIMEOUTS).clone()),
        ]),
        None => config.clone(),
    }
}
