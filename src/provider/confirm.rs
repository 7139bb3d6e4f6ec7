//! Finding out what Graph did when its answer does not say: a create whose answer was lost or
//! refused as a conflict, and a delete that reads still show. Graph's reads lag its writes, so
//! a 404 right after our PUT, or the policy right after our DELETE, is asked again.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::graph::IdentitySyncPolicy;

use super::api::{bounded, pause, PolicyApi};
use super::private_state::LastWrite;
use super::resource::{Ops, FIRST_CONSISTENCY_WAIT, MAX_CONSISTENCY_WAIT};

/// Time a create's confirmation may take beyond the create's own deadline: knowing whether the
/// policy exists is worth a bounded overrun (never more than the consistency window).
const CONFIRM_BUDGET: Duration = Duration::from_secs(60);

/// What reads showed after a PUT whose answer did not say whether it applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// Graph holds what we sent: the create succeeded.
    Ours,
    /// Graph holds another policy (someone else's).
    Other(IdentitySyncPolicy),
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

/// Why a check could not ask Graph (a Graph error, the deadline, or Terraform's stop), in words
/// for the diagnostic.
#[derive(Debug)]
struct NotAsked {
    why: String,
}

impl<A: PolicyApi> Ops<'_, A> {
    /// One GET for a check; `Err` says why Graph could not be asked.
    async fn ask(
        &self,
        tenant_id: &str,
        deadline: Instant,
    ) -> Result<Option<IdentitySyncPolicy>, NotAsked> {
        match bounded(self.stop, deadline, self.api.get(tenant_id, deadline)).await {
            Ok(answer) => answer.map_err(|e| NotAsked { why: e.to_string() }),
            Err(why) => Err(NotAsked {
                why: why.describe().into(),
            }),
        }
    }

    /// A pause between checks; `Err` when Terraform asked to stop.
    async fn pause_checking(&self, wait: Duration) -> Result<(), NotAsked> {
        pause(self.stop, wait).await.map_err(|why| NotAsked {
            why: why.describe().into(),
        })
    }

    /// The deadline for confirming a create whose own deadline is `deadline`.
    pub fn confirm_deadline(&self, deadline: Instant) -> Instant {
        deadline.max(Instant::now() + CONFIRM_BUDGET.min(self.consistency_window))
    }

    /// GETs the policy until it shows `written`, shows something else, or the consistency window
    /// since `written` is over; bounded by `deadline` and the stop signal.
    pub async fn confirm_write(
        &self,
        tenant_id: &str,
        written: &LastWrite,
        deadline: Instant,
    ) -> Confirmed {
        let started = std::time::Instant::now();
        let mut wait = FIRST_CONSISTENCY_WAIT;
        loop {
            let answer = match self.ask(tenant_id, deadline).await {
                Ok(answer) => answer,
                Err(NotAsked { why }) => return Confirmed::Unknown { why },
            };
            match answer {
                Some(p)
                    if written.matches(
                        p.display_name.as_deref(),
                        p.user_sync_inbound.is_sync_allowed,
                    ) =>
                {
                    return Confirmed::Ours
                }
                Some(p) => return Confirmed::Other(p),
                None => {}
            }
            let left = written.window_left(SystemTime::now(), self.consistency_window);
            let pause_for = wait.min(left);
            if left.is_zero() || Instant::now() + pause_for >= deadline {
                return Confirmed::NotVisible {
                    asked_for: started.elapsed(),
                };
            }
            log::debug!("identity synchronization for {tenant_id} not visible yet after our PUT");
            if let Err(NotAsked { why }) = self.pause_checking(pause_for).await {
                return Confirmed::Unknown { why };
            }
            wait = (wait * 2).min(MAX_CONSISTENCY_WAIT);
        }
    }

    /// After our DELETE: GETs until Graph says 404, so a replacement's create does not meet the
    /// deleted policy. A policy read right after our delete is a lagging read; one still read
    /// after the consistency window (or at `deadline`) is reported.
    pub async fn wait_until_gone(&self, tenant_id: &str, deadline: Instant) -> Gone {
        let started = std::time::Instant::now();
        let window_end = Instant::now() + self.consistency_window;
        let mut wait = FIRST_CONSISTENCY_WAIT;
        loop {
            match self.ask(tenant_id, deadline).await {
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
            log::debug!("identity synchronization for {tenant_id} still read after our DELETE");
            if let Err(NotAsked { why }) = self.pause_checking(wait).await {
                return Gone::Unknown { why };
            }
            wait = (wait * 2).min(MAX_CONSISTENCY_WAIT);
        }
    }
}
