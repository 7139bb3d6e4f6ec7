//! StopProvider: one cancellation token shared by every call in flight, replaced once used.

use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use super::RequestContext;

/// The StopProvider token: cancelled on StopProvider, then replaced for later calls.
#[derive(Default)]
pub(crate) struct StopSignal(Mutex<CancellationToken>);

impl StopSignal {
    pub(crate) fn context(&self) -> RequestContext {
        let token = match self.0.lock() {
            Ok(t) => t.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        RequestContext { stop: token }
    }
    pub(crate) fn stop(&self) {
        let mut guard = match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.cancel();
        *guard = CancellationToken::new();
    }
}
