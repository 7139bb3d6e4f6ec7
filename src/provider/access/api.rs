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
    fn get(
        &self,
        path: &[&str],
        deadline: Instant,
    ) -> impl Future<Output = Result<Option<Json>, GraphError>> + Send {
        self.get_access_policy_object(path, deadline)
    }
    fn post(
        &self,
        path: &[&str],
        body: &Json,
        deadline: Instant,
    ) -> impl Future<Output = Result<Json, GraphError>> + Send {
        self.post_access_policy_object(path, body, deadline)
    }
    fn patch(
        &self,
        path: &[&str],
        body: &Json,
        deadline: Instant,
    ) -> impl Future<Output = Result<(), GraphError>> + Send {
        self.patch_access_policy_object(path, body, deadline)
    }
    fn delete(
        &self,
        path: &[&str],
        deadline: Instant,
    ) -> impl Future<Output = Result<bool, GraphError>> + Send {
        self.delete_access_policy_object(path, deadline)
    }
}
