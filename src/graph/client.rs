//! The Graph client: one connection pool and one token per process.

use tokio::time::Instant;

use super::{ClientConfig, GraphError, IdentitySyncPatch, IdentitySyncPolicy};

/// A Graph client. Cheap to clone; clones share the pool and the token cache.
#[derive(Debug, Clone)]
pub struct GraphClient {
    config: std::sync::Arc<ClientConfig>,
}

impl GraphClient {
    pub fn new(config: ClientConfig) -> Result<GraphClient, GraphError> {
        Ok(GraphClient {
            config: std::sync::Arc::new(config),
        })
    }

    /// GET; `Ok(None)` on 404.
    pub async fn get_identity_sync(
        &self,
        partner_tenant_id: &str,
        deadline: Instant,
    ) -> Result<Option<IdentitySyncPolicy>, GraphError> {
        let _ = (partner_tenant_id, deadline, &self.config);
        Err(GraphError::Config {
            message: "not implemented".into(),
        })
    }

    /// PUT the full body (create or replace).
    pub async fn put_identity_sync(
        &self,
        policy: &IdentitySyncPolicy,
        deadline: Instant,
    ) -> Result<(), GraphError> {
        let _ = (policy, deadline);
        Err(GraphError::Config {
            message: "not implemented".into(),
        })
    }

    /// PATCH only the given properties.
    pub async fn patch_identity_sync(
        &self,
        partner_tenant_id: &str,
        patch: &IdentitySyncPatch,
        deadline: Instant,
    ) -> Result<(), GraphError> {
        let _ = (partner_tenant_id, patch, deadline);
        Err(GraphError::Config {
            message: "not implemented".into(),
        })
    }

    /// DELETE; `Ok(false)` when it was already gone (404).
    pub async fn delete_identity_sync(
        &self,
        partner_tenant_id: &str,
        deadline: Instant,
    ) -> Result<bool, GraphError> {
        let _ = (partner_tenant_id, deadline);
        Err(GraphError::Config {
            message: "not implemented".into(),
        })
    }
}
