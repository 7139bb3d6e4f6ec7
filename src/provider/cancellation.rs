//! Running one Graph call bounded by its deadline and Terraform's stop signal (Ctrl-C), and
//! pausing between attempts the same way.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

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
