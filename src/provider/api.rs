//! The four Graph calls the resource makes, as a trait (the Graph client in production, a fake
//! in tests), and running one bounded by its deadline and Terraform's stop signal.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

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
    fn get(
        &self,
        tenant_id: &str,
        deadline: Instant,
    ) -> impl Future<Output = Result<Option<IdentitySyncPolicy>, GraphError>> + Send {
        self.get_identity_sync(tenant_id, deadline)
    }
    fn put(
        &self,
        policy: &IdentitySyncPolicy,
        deadline: Instant,
    ) -> impl Future<Output = Result<(), GraphError>> + Send {
        self.put_identity_sync(policy, deadline)
    }
    fn patch(
        &self,
        tenant_id: &str,
        patch: &IdentitySyncPatch,
        deadline: Instant,
    ) -> impl Future<Output = Result<(), GraphError>> + Send {
        self.patch_identity_sync(tenant_id, patch, deadline)
    }
    fn delete(
        &self,
        tenant_id: &str,
        deadline: Instant,
    ) -> impl Future<Output = Result<bool, GraphError>> + Send {
        self.delete_identity_sync(tenant_id, deadline)
    }
}

/// Why a bounded call did not finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupted {
    /// Terraform called StopProvider (Ctrl-C).
    Cancelled,
    /// The operation's timeout passed (the Graph client normally reports this itself first).
    TimedOut,
}

impl Interrupted {
    /// For messages: "cancelled (Ctrl-C)" or "timed out".
    pub fn describe(self) -> &'static str {
        match self {
            Interrupted::Cancelled => "cancelled (Ctrl-C)",
            Interrupted::TimedOut => "timed out",
        }
    }
}

/// Slack after the deadline so the Graph client's own, more precise deadline error wins.
const DEADLINE_GRACE: Duration = Duration::from_secs(2);

/// Runs `call`, dropping it (which aborts the request) when `stop` is cancelled or shortly
/// after `deadline`.
pub async fn bounded<F: Future>(
    stop: &CancellationToken,
    deadline: Instant,
    call: F,
) -> Result<F::Output, Interrupted> {
    tokio::select! {
        biased;
        _ = stop.cancelled() => Err(Interrupted::Cancelled),
        _ = tokio::time::sleep_until(deadline + DEADLINE_GRACE) => Err(Interrupted::TimedOut),
        out = call => Ok(out),
    }
}

/// Sleeps for `wait`, unless stopped first.
pub async fn pause(stop: &CancellationToken, wait: Duration) -> Result<(), Interrupted> {
    tokio::select! {
        biased;
        _ = stop.cancelled() => Err(Interrupted::Cancelled),
        _ = tokio::time::sleep(wait) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_aborts_a_call_that_never_ends() {
        let stop = CancellationToken::new();
        let canceller = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            canceller.cancel();
        });
        let far = Instant::now() + Duration::from_secs(3600);
        let out = bounded(&stop, far, std::future::pending::<()>()).await;
        assert_eq!(out, Err(Interrupted::Cancelled));
    }

    #[tokio::test]
    async fn a_call_past_its_deadline_is_dropped() {
        let stop = CancellationToken::new();
        // Already past, grace included.
        let deadline = Instant::now() - DEADLINE_GRACE;
        let out = bounded(&stop, deadline, std::future::pending::<()>()).await;
        assert_eq!(out, Err(Interrupted::TimedOut));
    }

    #[tokio::test]
    async fn a_finished_call_returns_its_value() {
        let stop = CancellationToken::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        assert_eq!(bounded(&stop, deadline, async { 7 }).await, Ok(7));
    }
}
