//! One resource change applied: create, update or delete, chosen from the prior and planned
//! states, the same way for every managed resource.

use crate::plugin::{ApplyRequest, Diagnostics, Value};

use super::access::api::AccessApi;
use super::access::ops::AccessOps;
use super::policy_api::PolicyApi;
use super::resource::IdentitySyncOps;

/// The writes a managed resource offers; each returns the new state and its private state.
pub(crate) trait ApplyOps {
    async fn create(&self, planned: &Value, diags: &mut Diagnostics) -> (Value, Vec<u8>);
    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        planned_private: &[u8],
        diags: &mut Diagnostics,
    ) -> (Value, Vec<u8>);
    async fn delete(
        &self,
        prior: &Value,
        planned_private: &[u8],
        diags: &mut Diagnostics,
    ) -> (Value, Vec<u8>);
}

/// Applies `req` with `ops`: no prior state creates, no planned state deletes, else updates.
pub(crate) async fn apply<O: ApplyOps>(
    ops: &O,
    req: &ApplyRequest,
    diags: &mut Diagnostics,
) -> (Value, Vec<u8>) {
    if req.prior_state.is_null() {
        ops.create(&req.planned_state, diags).await
    } else if req.planned_state.is_null() {
        ops.delete(&req.prior_state, &req.planned_private, diags)
            .await
    } else {
        ops.update(
            &req.prior_state,
            &req.planned_state,
            &req.planned_private,
            diags,
        )
        .await
    }
}

impl<A: AccessApi> ApplyOps for AccessOps<'_, A> {
    async fn create(&self, planned: &Value, diags: &mut Diagnostics) -> (Value, Vec<u8>) {
        AccessOps::create(self, planned, diags).await
    }

    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        planned_private: &[u8],
        diags: &mut Diagnostics,
    ) -> (Value, Vec<u8>) {
        AccessOps::update(self, prior, planned, planned_private, diags).await
    }

    /// A delete that left the object keeps the private state it had.
    async fn delete(
        &self,
        prior: &Value,
        planned_private: &[u8],
        diags: &mut Diagnostics,
    ) -> (Value, Vec<u8>) {
        let state = AccessOps::delete(self, prior, diags).await;
        let kept = if state.is_null() {
            Vec::new()
        } else {
            planned_private.to_vec()
        };
        (state, kept)
    }
}

impl<A: PolicyApi> ApplyOps for IdentitySyncOps<'_, A> {
    async fn create(&self, planned: &Value, diags: &mut Diagnostics) -> (Value, Vec<u8>) {
        IdentitySyncOps::create(self, planned, diags).await
    }

    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        planned_private: &[u8],
        diags: &mut Diagnostics,
    ) -> (Value, Vec<u8>) {
        IdentitySyncOps::update(self, prior, planned, planned_private, diags).await
    }

    async fn delete(
        &self,
        prior: &Value,
        planned_private: &[u8],
        diags: &mut Diagnostics,
    ) -> (Value, Vec<u8>) {
        IdentitySyncOps::delete(self, prior, planned_private, diags).await
    }
}
