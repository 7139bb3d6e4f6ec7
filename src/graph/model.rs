//! Graph's crossTenantIdentitySyncPolicyPartner and the partial update body.

use serde::{Deserialize, Serialize};

/// `crossTenantUserSyncInbound`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSyncInbound {
    pub is_sync_allowed: bool,
}

/// `crossTenantIdentitySyncPolicyPartner`, as GET returns it and PUT sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySyncPolicy {
    /// Read-only in Graph: taken from the URL, never sent in a body. Empty when Graph's answer
    /// has none (the client then fills in the tenant of the URL).
    #[serde(default, skip_serializing, deserialize_with = "null_as_empty")]
    pub tenant_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub user_sync_inbound: UserSyncInbound,
}

/// A PATCH body: only the properties that change are present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySyncPatch {
    /// `Some(None)` sends `"displayName": null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_sync_inbound: Option<UserSyncInbound>,
}

impl IdentitySyncPatch {
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none() && self.user_sync_inbound.is_none()
    }
}

/// A string that may be null or absent in Graph's answer.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}
