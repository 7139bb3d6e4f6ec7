//! The `msgraph_cross_tenant_identity_sync` data source: one policy, read by partner tenant ID.

use crate::plugin::{AttributePath, Diagnostics, Value};

use super::api::PolicyApi;
use super::declarative::validate::validate;
use super::resource::Ops;
use super::schema::IDENTITY_SYNC;
use super::state::{user_sync_inbound_value, DISPLAY_NAME, ID, TENANT_ID, USER_SYNC_INBOUND};

pub fn validate_config(config: &Value, diags: &mut Diagnostics) {
    validate(IDENTITY_SYNC.fields, config, diags);
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
    match ops.read_for_data_source(tid, diags).await {
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
        ]),
        None => config.clone(),
    }
}
