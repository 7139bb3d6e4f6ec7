//! The four identitySynchronization calls the resource makes, as a trait: the Graph client in
//! production, a fake in tests.

use std::future::Future;

use tokio::time::Instant;

use crate::graph::{GraphClient, GraphError, IdentitySyncPatch, IdentitySyncPolicy};

/// The identitySynchronization calls, keyed by partner tenant ID.
pub trait PolicyApi: Send + Sync {
    fn get(
        &self,
        tenant_id: &str,
        deadline: Instant,
    ) -> impl Future<Output = Result<Option<IdentitySyncPolicy>, GraphError>> + Send;
    fn put(
        &self,
        policy: &IdentitySyncPolicy,
        deadline: Instant,
    ) -> impl Future<Output = Result<(), GraphError>> + Send;
    fn patch(
        &self,
        tenant_id: &str,
        patch: &IdentitySyncPatch,
        deadline: Instant,
    ) -> impl Future<Output = Result<(), GraphError>> + Send;
    /// `Ok(false)` when it was already gone.
    fn delete(
        &self,
        tenant_id: &str,
        deadline: Instant,
    ) -> impl Future<Output = Result<bool, GraphError>> + Send;
}

impl PolicyApi for GraphClient {
    async fn get(
        &self,
        tenant_id: &str,
        deadline: Instant,
    ) -> Result<Option<IdentitySyncPolicy>, GraphError> {
        self.get_identity_sync(tenant_id, deadline).await
    }
    async fn put(&self, policy: &IdentitySyncPolicy, deadline: Instant) -> Result<(), GraphError> {
        self.put_identity_sync(policy, deadline).await
    }
    async fn patch(
        &self,
        tenant_id: &str,
        patch: &IdentitySyncPatch,
        deadline: Instant,
    ) -> Result<(), GraphError> {
        self.patch_identity_sync(tenant_id, patch, deadline).await
    }
    async fn delete(&self, tenant_id: &str, deadline: Instant) -> Result<bool, GraphError> {
        self.delete_identity_sync(tenant_id, deadline).await
    }
}
