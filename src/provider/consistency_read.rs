//! Asking again inside the consistency window after our own write: Graph's replicas lag, so a
//! read that does not show our write yet (or a PATCH answered 404) is asked again, waits
//! doubling, until it does, the window is over, or the call's deadline comes. Each resource
//! reports its own way.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::graph::GraphError;

use super::cancellation::{bounded, pause, Interrupted};
use super::resource::{FIRST_CONSISTENCY_WAIT, MAX_CONSISTENCY_WAIT};

/// What to do with one answer inside the consistency window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// It shows our write, or the window is over: state follows the answer.
    Settle,
    /// Still lagging at the deadline (`window_left` of the window was left): keep the state and
    /// say so; never drop (or roll back) what we just wrote because Graph lags behind it.
    TooLate { window_left: Duration },
    /// Still lagging: wait this long, then ask again.
    Pause(Duration),
}

/// The waits between the asks of one read or PATCH.
pub(crate) struct WindowWaits {
    deadline: Instant,
    wait: Duration,
}

impl WindowWaits {
    pub(crate) fn new(deadline: Instant) -> Self {
        WindowWaits {
            deadline,
            wait: FIRST_CONSISTENCY_WAIT,
        }
    }

    /// When the read must be over.
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The next step for an answer that leaves `lag` of the window to wait for it to show our
    /// write (zero when it shows it, or when there is nothing to wait for).
    pub(crate) fn next(&mut self, lag: Duration) -> Next {
        if lag.is_zero() {
            return Next::Settle;
        }
        let pause_for = self.wait.min(lag);
        if Instant::now() + pause_for >= self.deadline {
            return Next::TooLate { window_left: lag };
        }
        self.wait = (self.wait * 2).min(MAX_CONSISTENCY_WAIT);
        Next::Pause(pause_for)
    }

    /// For a GET answered 404 while the consistency window lasts until `window_end`: how long
    /// to wait before asking again, or `None` when the 404 stands (the window or the deadline
    /// is over). An object created moments ago, by another resource of this apply or just
    /// before an import, may not be readable yet.
    pub(crate) fn after_not_found(&mut self, window_end: Instant) -> Option<Duration> {
        match self.next(window_end.saturating_duration_since(Instant::now())) {
            Next::Pause(wait) => Some(wait),
            Next::Settle | Next::TooLate { .. } => None,
        }
    }
}

/// Why a PATCH sent through the consistency window did not go through.
#[derive(Debug)]
pub(crate) enum PatchFailed {
    /// The PATCH itself was stopped (Ctrl-C) or ran past its deadline.
    Call(Interrupted),
    /// Terraform asked to stop while we waited to send it again.
    Pause(Interrupted),
    /// Graph refused it (a 404 only once the window is over, or at the deadline).
    Graph(GraphError),
}

/// Sends a PATCH with `send`, bounded by `deadline` and `stop`, again while it is answered 404
/// and `window_left` (of the consistency window after our own write) is not zero: a 404 right
/// after our write is a read that lags it. `what` names the object in the logs.
pub(crate) async fn patch_through_window<F: Future<Output = Result<(), GraphError>>>(
    stop: &CancellationToken,
    deadline: Instant,
    what: &str,
    window_left: impl Fn() -> Duration,
    mut send: impl FnMut() -> F,
) -> Result<(), PatchFailed> {
    let mut window = WindowWaits::new(deadline);
    loop {
        let err = match bounded(stop, deadline, send()).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e,
            Err(why) => return Err(PatchFailed::Call(why)),
        };
        let lag = match err.status() {
            Some(404) => window_left(),
            _ => Duration::ZERO,
        };
        let Next::Pause(pause_for) = window.next(lag) else {
            log::warn!("PATCH of {what} failed: {err}");
            return Err(PatchFailed::Graph(err));
        };
        log::debug!("PATCH of {what} answered 404 right after our write; again in {pause_for:?}");
        pause(stop, pause_for).await.map_err(PatchFailed::Pause)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_showing_our_write_settles() {
        let mut w = WindowWaits::new(Instant::now() + Duration::from_secs(60));
        assert_eq!(w.next(Duration::ZERO), Next::Settle);
    }

    #[test]
    fn lagging_answers_pause_doubling_within_the_window() {
        let mut w = WindowWaits::new(Instant::now() + Duration::from_secs(60));
        let lag = Duration::from_secs(30);
        assert_eq!(w.next(lag), Next::Pause(FIRST_CONSISTENCY_WAIT));
        assert_eq!(w.next(lag), Next::Pause(FIRST_CONSISTENCY_WAIT * 2));
        // never past what is left of the window
        let short = FIRST_CONSISTENCY_WAIT / 2;
        assert_eq!(w.next(short), Next::Pause(short));
    }

    #[test]
    fn lagging_at_the_deadline_is_too_late() {
        let mut w = WindowWaits::new(Instant::now());
        let lag = Duration::from_secs(30);
        assert_eq!(w.next(lag), Next::TooLate { window_left: lag });
    }

    #[test]
    fn a_404_is_asked_again_only_while_window_and_deadline_last() {
        let later = Instant::now() + Duration::from_secs(60);
        let mut w = WindowWaits::new(later);
        assert_eq!(w.after_not_found(later), Some(FIRST_CONSISTENCY_WAIT));
        assert_eq!(w.after_not_found(later), Some(FIRST_CONSISTENCY_WAIT * 2));
        assert_eq!(w.after_not_found(Instant::now()), None, "window over");
        let mut at_deadline = WindowWaits::new(Instant::now());
        assert_eq!(at_deadline.after_not_found(later), None, "deadline over");
    }
}
