//! The Graph calls the cross-tenant access resources make, on objects below
//! `/policies/crossTenantAccessPolicy/` (the Graph client in production).

use std::future::Future;

use serde_json::Value as Json;
use tokio::time::Instant;

use crate::graph::{GraphClient, GraphError};

/// JSON calls by path below `/policies/crossTenantAccessPolicy/`.
pub trait AccessApi: Send + Sync {
    /// `Ok(None)` on 404.
    fn get(
        &self,
        path: &[&str],
        deadline: Instant,
    ) -> impl Future<Output = Result<Option<Json>, GraphError>> + Send;
    /// Graph's answer body (null when empty).
    fn post(
        &self,
        path: &[&str],
        body: &Json,
        deadline: Instant,
    ) -> impl Future<Output = Result<Json, GraphError>> + Send;
    fn patch(
        &self,
        path: &[&str],
        body: &Json,
        deadline: Instant,
    ) -> impl Future<Output = Result<(), GraphError>> + Send;
    /// `Ok(false)` when it was already gone.
    fn delete(
        &self,
        path: &[&str],
        deadline: Instant,
    ) -> impl Future<Output = Result<bool, GraphError>> + Send;
}

impl AccessApi for GraphClient {
    async fn get(&self, path: &[&str], deadline: Instant) -> Result<Option<Json>, GraphError> {
        self.get_access_policy_object(path, deadline).await
    }
    async fn post(
        &self,
        path: &[&str],
        body: &Json,
        deadline: Instant,
    ) -> Result<Json, GraphError> {
        self.post_access_policy_object(path, body, deadline).await
    }
    async fn patch(&self, path: &[&str], body: &Json, deadline: Instant) -> Result<(), GraphError> {
        self.patch_access_policy_object(path, body, deadline).await
    }
    async fn delete(&self, path: &[&str], deadline: Instant) -> Result<bool, GraphError> {
        self.delete_access_policy_object(path, deadline).await
    }
}
