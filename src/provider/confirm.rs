//! Finding out what Graph did when its answer does not say: a create whose answer was lost or
//! refused as a conflict, and a delete that reads still show. Graph's reads lag its writes, so
//! a 404 right after our PUT, or the policy right after our DELETE, is asked again.

use std::future::Future;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::graph::{GraphError, IdentitySyncPolicy};

use super::cancellation::{bounded, pause};
use super::consistency_read::{Next, WindowWaits};
use super::policy_api::PolicyApi;
use super::private_state::LastWrite;
use super::resource::{IdentitySyncOps, FIRST_CONSISTENCY_WAIT, MAX_CONSISTENCY_WAIT};

/// Time a create's confirmation may take beyond the create's own deadline: knowing whether the
/// policy exists is worth a bounded overrun (never more than the consistency window).
const CONFIRM_BUDGET: Duration = Duration::from_secs(60);

/// What reads showed after a PUT whose answer did not say whether it applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed<T = IdentitySyncPolicy> {
    /// Graph holds what we sent: the create succeeded.
    Ours(T),
    /// Graph holds another object (someone else's).
    Other(T),
    /// Reads said 404 until the consistency window (or the time for asking) was over.
    NotVisible { asked_for: Duration },
    /// Graph could not be asked (error, timeout or Ctrl-C).
    Unknown { why: String },
}

/// What reads showed after our DELETE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gone {
    Confirmed,
    /// Still read after the delete timeout or the consistency window.
    StillVisible {
        waited: Duration,
    },
    /// Graph could not be asked.
    Unknown {
        why: String,
    },
}

/// A write error after which Graph may hold the object: a conflict (it exists) or a lost answer.
pub fn outcome_unclear(e: &GraphError) -> bool {
    match e {
        GraphError::Api { status, code, .. } => {
            *status >= 500 || (*status == 409 && code == "Request_MultipleObjectsWithSameKeyValue")
        }
        GraphError::Transport { .. } | GraphError::DeadlineExceeded { .. } => true,
        _ => false,
    }
}

/// Why a check could not ask Graph (a Graph error, the deadline, or Terraform's stop), in words
/// for the diagnostic.
#[derive(Debug)]
pub struct NotAsked {
    pub why: String,
}

/// One GET for a check, bounded by `deadline` and Terraform's stop; `Err` says why Graph
/// could not be asked.
pub async fn ask<T>(
    stop: &CancellationToken,
    deadline: Instant,
    get: impl Future<Output = Result<Option<T>, GraphError>>,
) -> Result<Option<T>, NotAsked> {
    match bounded(stop, deadline, get).await {
        Ok(answer) => answer.map_err(|e| NotAsked { why: e.to_string() }),
        Err(why) => Err(NotAsked {
            why: why.describe().into(),
        }),
    }
}

/// A pause between checks; `Err` when Terraform asked to stop.
async fn pause_checking(stop: &CancellationToken, wait: Duration) -> Result<(), NotAsked> {
    pause(stop, wait).await.map_err(|why| NotAsked {
        why: why.describe().into(),
    })
}

/// GETs (`get`) until the object shows what we wrote (`shows`), shows something else, or the
/// consistency window since the write (`window_left`) is over; bounded by `deadline` and the
/// stop signal. `what` names the object in logs.
pub async fn confirm_object<T, Fut>(
    stop: &CancellationToken,
    what: &str,
    get: impl Fn(Instant) -> Fut,
    shows: impl Fn(&T) -> bool,
    window_left: impl Fn() -> Duration,
    deadline: Instant,
) -> Confirmed<T>
where
    Fut: Future<Output = Result<Option<T>, GraphError>>,
{
    let started = std::time::Instant::now();
    let mut waits = WindowWaits::new(deadline);
    loop {
        match ask(stop, deadline, get(deadline)).await {
            Ok(Some(found)) if shows(&found) => return Confirmed::Ours(found),
            Ok(Some(found)) => return Confirmed::Other(found),
            Ok(None) => {}
            Err(NotAsked { why }) => return Confirmed::Unknown { why },
        }
        let pause_for = match waits.next(window_left()) {
            Next::Pause(pause_for) => pause_for,
            Next::Settle | Next::TooLate { .. } => {
                return Confirmed::NotVisible {
                    asked_for: started.elapsed(),
                }
            }
        };
        log::debug!("{what} not visible yet after our write");
        if let Err(NotAsked { why }) = pause_checking(stop, pause_for).await {
            return Confirmed::Unknown { why };
        }
    }
}

/// After our DELETE: GETs (`get`) until Graph says 404, so a replacement's create does not meet
/// the deleted object. An object read right after our delete is a lagging read; one still read
/// after the consistency window (or at `deadline`) is reported.
pub async fn wait_until_gone<T, Fut>(
    stop: &CancellationToken,
    what: &str,
    get: impl Fn(Instant) -> Fut,
    window: Duration,
    deadline: Instant,
) -> Gone
where
    Fut: Future<Output = Result<Option<T>, GraphError>>,
{
    let started = std::time::Instant::now();
    let window_end = Instant::now() + window;
    let mut wait = FIRST_CONSISTENCY_WAIT;
    loop {
        match ask(stop, deadline, get(deadline)).await {
            Ok(None) => return Gone::Confirmed,
            Ok(Some(_)) => {}
            Err(NotAsked { why }) => return Gone::Unknown { why },
        }
        let next = Instant::now() + wait;
        if next >= deadline || next >= window_end {
            return Gone::StillVisible {
                waited: started.elapsed(),
            };
        }
        log::debug!("{what} still read after our DELETE");
        if let Err(NotAsked { why }) = pause_checking(stop, wait).await {
            return Gone::Unknown { why };
        }
        wait = (wait * 2).min(MAX_CONSISTENCY_WAIT);
    }
}

/// The deadline for confirming a create whose own deadline is `deadline`: knowing whether the
/// object exists is worth a bounded overrun (never more than the consistency window).
pub fn confirm_deadline(deadline: Instant, window: Duration) -> Instant {
    deadline.max(Instant::now() + CONFIRM_BUDGET.min(window))
}

impl<A: PolicyApi> IdentitySyncOps<'_, A> {
    /// The deadline for confirming a create whose own deadline is `deadline`.
    pub fn confirm_deadline(&self, deadline: Instant) -> Instant {
        confirm_deadline(deadline, self.consistency_window)
    }

    /// GETs the policy until it shows `written`, shows something else, or the consistency window
    /// since `written` is over; bounded by `deadline` and the stop signal.
    pub async fn confirm_write(
        &self,
        tenant_id: &str,
        written: &LastWrite,
        deadline: Instant,
    ) -> Confirmed {
        confirm_object(
            self.stop,
            &format!("identity synchronization for {tenant_id}"),
            |d| self.api.get(tenant_id, d),
            |p: &IdentitySyncPolicy| {
                written.matches(
                    p.display_name.as_deref(),
                    p.user_sync_inbound.is_sync_allowed,
                )
            },
            || written.window_left(SystemTime::now(), self.consistency_window),
            deadline,
        )
        .await
    }

    /// After our DELETE: GETs until Graph says 404 (see [`wait_until_gone`]).
    pub async fn wait_until_gone(&self, tenant_id: &str, deadline: Instant) -> Gone {
        wait_until_gone(
            self.stop,
            &format!("identity synchronization for {tenant_id}"),
            |d| self.api.get(tenant_id, d),
            self.consistency_window,
            deadline,
        )
        .await
    }
}
