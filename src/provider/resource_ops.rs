//! The operations every managed resource has (the identity synchronization policy, the access
//! settings), and what they share: a null state is not read, a delete keeps the private state
//! while the object stays in state, and an apply is a create, update or delete by which of the
//! prior and planned states is null.

use crate::plugin::{ApplyRequest, Diagnostics, ReadRequest, Value};

/// A managed resource's operations; each returns the new state and private state.
pub(crate) trait ResourceOps {
    /// Creates the object `planned` describes; a null state on failure.
    async fn create(&self, planned: &Value, diags: &mut Diagnostics) -> (Value, Vec<u8>);

    /// Reads the object of a non-null current state from Graph.
    async fn refresh(&self, req: &ReadRequest, diags: &mut Diagnostics) -> (Value, Vec<u8>);

    /// Changes the object from the prior state to the planned one (neither null); the prior
    /// state kept on failure.
    async fn update(&self, req: &ApplyRequest, diags: &mut Diagnostics) -> (Value, Vec<u8>);

    /// Deletes the object; the state afterwards: null once it is gone, else `prior`.
    async fn remove(&self, prior: &Value, diags: &mut Diagnostics) -> Value;

    /// Read: nothing to ask about a null state.
    async fn read(&self, req: &ReadRequest, diags: &mut Diagnostics) -> (Value, Vec<u8>) {
        if req.current_state.is_null() {
            return (Value::Null, Vec::new());
        }
        self.refresh(req, diags).await
    }

    /// Delete: on failure the object stays in state, and with it what we last wrote.
    async fn delete(
        &self,
        prior: &Value,
        private: &[u8],
        diags: &mut Diagnostics,
    ) -> (Value, Vec<u8>) {
        let state = self.remove(prior, diags).await;
        let kept = if state.is_null() {
            Vec::new()
        } else {
            private.to_vec()
        };
        (state, kept)
    }

    /// Creates, deletes or updates by which of the prior and planned states is null.
    async fn apply(&self, req: &ApplyRequest, diags: &mut Diagnostics) -> (Value, Vec<u8>) {
        if req.prior_state.is_null() {
            self.create(&req.planned_state, diags).await
        } else if req.planned_state.is_null() {
            self.delete(&req.prior_state, &req.planned_private, diags)
                .await
        } else {
            self.update(req, diags).await
        }
    }
}
