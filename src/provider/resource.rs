//! The `msgraph_cross_tenant_identity_sync` resource: validation, create, read (with the
//! eventual-consistency wait), update (one minimal PATCH), delete and import.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::graph::{GraphError, IdentitySyncPolicy};
use crate::plugin::{ApplyRequest, AttributePath, Diagnostics, ReadRequest, Value};

use super::cancellation::{bounded, pause, Interrupted};
use super::confirm::{outcome_unclear, Confirmed, Gone};
use super::consistency_diagnostics::{
    create_cancelled, create_not_confirmed, delete_not_confirmed, read_lagging,
};
use super::consistency_read::{patch_through_window, Next, PatchFailed, WindowWaits};
use super::declarative::validate::validate;
use super::graph_diagnostics::{format_duration, graph_error, interrupted, Action};
use super::guid::{validate_tenant_id, TenantId, EXAMPLE_GUID};
use super::plan::{patch_body, PatchError};
use super::policy_api::PolicyApi;
use super::private_state::LastWrite;
use super::resource_ops::ResourceOps;
use super::schema::{IDENTITY_SYNC, TYPE_NAME};
use super::state::{
    imported_state, is_sync_allowed, policy_from_planned, refreshed_state, DISPLAY_NAME, TENANT_ID,
};
use super::timeouts::{timeout_for, validate_timeouts, Operation};

/// First wait before asking Graph again about a write it doesn't show yet; doubles up to the cap.
pub(super) const FIRST_CONSISTENCY_WAIT: Duration = if cfg!(test) {
    Duration::from_millis(5)
} else {
    Duration::from_millis(500)
};
pub(super) const MAX_CONSISTENCY_WAIT: Duration = Duration::from_secs(5);

/// How long an import may take: longer than a read, so a `Retry-After` beyond 300 s (seen from
/// Graph) is still honoured; import has no `timeouts` block to raise.
const IMPORT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The identity synchronization policy's operations (resource and data source), with what each
/// needs: the Graph calls, Terraform's stop signal and the consistency window.
pub struct IdentitySyncOps<'a, A: PolicyApi> {
    pub api: &'a A,
    pub stop: &'a CancellationToken,
    pub consistency_window: Duration,
}

/// Validates a configuration without any request: GUID, display name, timeouts.
pub fn validate_config(config: &Value, diags: &mut Diagnostics) {
    validate(IDENTITY_SYNC.fields, config, diags);
    if config.attr(DISPLAY_NAME).as_str() == Some("") {
        diags.attribute_error(
            AttributePath::attrs([DISPLAY_NAME]),
            "Invalid display name",
            "display_name is an empty string. Set a name, or remove display_name to leave the \
             name to Microsoft Graph.",
        );
    }
    validate_timeouts(config, diags);
}

/// The tenant ID of a state, checked, or an error pointing at it (hand-written state files).
fn state_tenant_id<'v>(state: &'v Value, diags: &mut Diagnostics) -> Option<&'v str> {
    match state.attr(TENANT_ID).as_str() {
        Some(tid) => match TenantId::parse(tid) {
            Ok(_) => Some(tid),
            Err(e) => {
                diags.attribute_error(
                    AttributePath::attrs([TENANT_ID]),
                    "Invalid tenant ID in state",
                    e.detail,
                );
                None
            }
        },
        None => {
            diags.attribute_error(
                AttributePath::attrs([TENANT_ID]),
                "Missing tenant ID in state",
                "The state of this resource has no tenant_id. Remove it with `terraform state rm` \
                 and import it again.",
            );
            None
        }
    }
}

/// Parses an import ID (the partner tenant GUID); an error showing the right form if not.
pub fn parse_import_id(id: &str, diags: &mut Diagnostics) -> Option<TenantId> {
    let detail = match TenantId::parse(id) {
        Ok(t) => return Some(t),
        Err(e) => e.detail,
    };
    diags.error(
        "Invalid import ID",
        format!(
            "{detail}\n\nImport with the partner tenant's ID:\n  terraform import \
             {TYPE_NAME}.example {EXAMPLE_GUID}"
        ),
    );
    None
}

/// The error "a policy exists already" at `tenant_id`, with the import hint.
fn already_exists(tenant_id: &str, other: Option<&IdentitySyncPolicy>, diags: &mut Diagnostics) {
    let holds = other.map(|p| {
        format!(
            "Microsoft Graph holds a policy with display name {} and isSyncAllowed = {}, not the \
             values of this configuration.\n\n",
            p.display_name
                .as_deref()
                .map_or("(none)".to_string(), |n| format!("{n:?}")),
            p.user_sync_inbound.is_sync_allowed
        )
    });
    diags.attribute_error(
        AttributePath::attrs([TENANT_ID]),
        "Identity synchronization policy already exists",
        format!("{}{}", holds.unwrap_or_default(), import_hint(tenant_id)),
    );
}

fn deadline_for(resource: &Value, op: Operation) -> (Instant, Duration) {
    let timeout = timeout_for(resource, op);
    (Instant::now() + timeout, timeout)
}

pub(super) fn import_hint(tenant_id: &str) -> String {
    format!(
        "An identity synchronization policy for partner tenant {tenant_id} already exists in \
         Microsoft Graph. To manage it with Terraform, import it instead of creating it:\n  \
         terraform import <resource address> {tenant_id}\nfor example\n  terraform import \
         {TYPE_NAME}.example {tenant_id}\nor, on Terraform 1.5 and later, an import block:\n  \
         import {{\n    to = {TYPE_NAME}.example\n    id = \"{tenant_id}\"\n  }}"
    )
}

impl<A: PolicyApi> IdentitySyncOps<'_, A> {
    async fn call<T>(
        &self,
        action: Action,
        deadline: Instant,
        timeout: Duration,
        tenant_id: &str,
        fut: impl std::future::Future<Output = Result<T, GraphError>>,
        diags: &mut Diagnostics,
    ) -> Option<T> {
        match bounded(self.stop, deadline, fut).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                log::warn!("{action:?} of identity synchronization for {tenant_id} failed: {e}");
                graph_error(action, tenant_id, &e, diags);
                None
            }
            Err(why) => {
                log::warn!("{action:?} of identity synchronization for {tenant_id}: {why:?}");
                interrupted(action, why, timeout, diags);
                None
            }
        }
    }
}

impl<A: PolicyApi> ResourceOps for IdentitySyncOps<'_, A> {
    /// Create: GET first (an existing policy is an error naming the import command), then PUT
    /// the full body. When the PUT's answer is lost or is a 409 conflict, GET again (through the
    /// consistency window): what we sent means created. On any failure the new state is null,
    /// and the error says so whenever Graph may hold the policy.
    async fn create(&self, planned: &Value, diags: &mut Diagnostics) -> (Value, Vec<u8>) {
        let failed = (Value::Null, Vec::new());
        let Some(policy) = policy_from_planned(planned) else {
            diags.error(
                Action::Create.summary(),
                "Some planned values are still unknown at apply time; this is a bug in the \
                 provider, please report it.",
            );
            return failed;
        };
        if validate_tenant_id(&policy.tenant_id, AttributePath::attrs([TENANT_ID]), diags).is_none()
        {
            return failed;
        }
        let tid = policy.tenant_id.clone();
        let (deadline, timeout) = deadline_for(planned, Operation::Create);
        let existing = self
            .call(
                Action::Create,
                deadline,
                timeout,
                &tid,
                self.api.get(&tid, deadline),
                diags,
            )
            .await;
        match existing {
            None => return failed,
            Some(Some(_)) => {
                already_exists(&tid, None, diags);
                return failed;
            }
            Some(None) => {}
        }
        let written = LastWrite::now(
            policy.display_name.clone(),
            policy.user_sync_inbound.is_sync_allowed,
        );
        let done = (planned.clone(), written.encode());
        let unclear = match bounded(self.stop, deadline, self.api.put(&policy, deadline)).await {
            Ok(Ok(())) => {
                log::info!("created identity synchronization policy for partner {tid}");
                return done;
            }
            Ok(Err(e)) if outcome_unclear(&e) => e.to_string(),
            Ok(Err(e)) => {
                log::warn!("PUT of identity synchronization for {tid} failed: {e}");
                graph_error(Action::Create, &tid, &e, diags);
                return failed;
            }
            Err(Interrupted::Cancelled) => {
                create_cancelled(&tid, &import_hint(&tid), diags);
                return failed;
            }
            Err(Interrupted::TimedOut) => format!(
                "the create did not finish within its timeout ({})",
                format_duration(timeout)
            ),
        };
        // Graph may hold the policy: ask it (reads lag writes) before saying anything.
        log::warn!(
            "PUT of identity synchronization for {tid}: {unclear}; checking what Graph holds"
        );
        let confirm_by = self.confirm_deadline(deadline);
        match self.confirm_write(&tid, &written, confirm_by).await {
            Confirmed::Ours(_) => {
                log::info!(
                    "identity synchronization policy for partner {tid} holds what we sent: created"
                );
                done
            }
            Confirmed::Other(other) => {
                already_exists(&tid, Some(&other), diags);
                failed
            }
            outcome => {
                create_not_confirmed(&tid, &unclear, &outcome, &import_hint(&tid), diags);
                failed
            }
        }
    }

    /// Read: Graph's values become state (drift shows in the plan); 404 removes it. Within the
    /// consistency window after our own write, a 404 or stale answer is asked again first.
    async fn refresh(&self, req: &ReadRequest, diags: &mut Diagnostics) -> (Value, Vec<u8>) {
        let (current, private) = (&req.current_state, &req.private[..]);
        let Some(tid) = state_tenant_id(current, diags) else {
            return (current.clone(), private.to_vec());
        };
        let last_write = LastWrite::decode(private);
        let (deadline, timeout) = deadline_for(current, Operation::Read);
        let mut window = WindowWaits::new(deadline);
        loop {
            let Some(answer) = self
                .call(
                    Action::Read,
                    deadline,
                    timeout,
                    tid,
                    self.api.get(tid, deadline),
                    diags,
                )
                .await
            else {
                return (current.clone(), private.to_vec());
            };
            let lag = match (&last_write, &answer) {
                (Some(w), Some(p))
                    if w.matches(
                        p.display_name.as_deref(),
                        p.user_sync_inbound.is_sync_allowed,
                    ) =>
                {
                    Duration::ZERO
                }
                (Some(w), _) => w.window_left(SystemTime::now(), self.consistency_window),
                (None, _) => Duration::ZERO,
            };
            match window.next(lag) {
                Next::Settle => {}
                Next::TooLate { window_left } => {
                    read_lagging(tid, answer.is_none(), window_left, timeout, diags);
                    return (current.clone(), private.to_vec());
                }
                Next::Pause(pause_for) => {
                    log::debug!(
                        "identity synchronization for {tid} does not show our write yet; asking \
                         again in {pause_for:?}"
                    );
                    if let Err(why) = pause(self.stop, pause_for).await {
                        interrupted(Action::Read, why, timeout, diags);
                        return (current.clone(), private.to_vec());
                    }
                    continue;
                }
            }
            return match answer {
                Some(policy) => (refreshed_state(current, &policy), Vec::new()),
                None => {
                    log::info!(
                        "identity synchronization policy for {tid} is gone; removing it from state"
                    );
                    (Value::Null, Vec::new())
                }
            };
        }
    }

    /// Update: one PATCH with only the changed properties; none changed, no request. On failure
    /// the prior state stays, so the next plan shows the change again.
    async fn update(&self, req: &ApplyRequest, diags: &mut Diagnostics) -> (Value, Vec<u8>) {
        let (prior, planned) = (&req.prior_state, &req.planned_state);
        let planned_private = &req.planned_private[..];
        let kept = (prior.clone(), planned_private.to_vec());
        let Some(tid) = state_tenant_id(prior, diags) else {
            return kept;
        };
        let patch = match patch_body(prior, planned) {
            Ok(p) => p,
            Err(PatchError::Unknown { attribute }) => {
                diags.error(
                    Action::Update.summary(),
                    format!(
                        "{attribute} is still unknown at apply time; this is a bug in the \
                         provider, please report it."
                    ),
                );
                return kept;
            }
        };
        if patch.is_empty() {
            log::debug!("identity synchronization for {tid}: nothing to send");
            return (planned.clone(), planned_private.to_vec());
        }
        let (deadline, timeout) = deadline_for(planned, Operation::Update);
        let last_write = LastWrite::decode(planned_private);
        let what = format!("identity synchronization for {tid}");
        let window_left = || {
            last_write
                .as_ref()
                .map(|w| w.window_left(SystemTime::now(), self.consistency_window))
                .unwrap_or_default()
        };
        let sent = patch_through_window(self.stop, deadline, &what, window_left, || {
            self.api.patch(tid, &patch, deadline)
        })
        .await;
        match sent {
            Ok(()) => {
                let display_name = planned.attr(DISPLAY_NAME).as_str().map(str::to_string);
                let allowed = is_sync_allowed(planned).unwrap_or_default();
                return (
                    planned.clone(),
                    LastWrite::now(display_name, allowed).encode(),
                );
            }
            Err(PatchFailed::Graph(e)) => graph_error(Action::Update, tid, &e, diags),
            Err(PatchFailed::Call(why) | PatchFailed::Pause(why)) => {
                interrupted(Action::Update, why, timeout, diags)
            }
        }
        kept
    }

    /// Delete: 204 or 404 both mean gone; after a 204, wait until reads say 404 too. On failure
    /// the object stays in state.
    async fn remove(&self, prior: &Value, diags: &mut Diagnostics) -> Value {
        let Some(tid) = state_tenant_id(prior, diags) else {
            return prior.clone();
        };
        let (deadline, timeout) = deadline_for(prior, Operation::Delete);
        let deleted = self
            .call(
                Action::Delete,
                deadline,
                timeout,
                tid,
                self.api.delete(tid, deadline),
                diags,
            )
            .await;
        match deleted {
            Some(false) => {
                log::info!("identity synchronization policy for {tid} was already gone");
                Value::Null
            }
            Some(true) => {
                // Graph accepted the delete; wait until its reads agree, so a replacement's
                // create (next in the same apply) does not meet the deleted policy.
                match self.wait_until_gone(tid, deadline).await {
                    Gone::Confirmed => {}
                    outcome => delete_not_confirmed(tid, &outcome, diags),
                }
                Value::Null
            }
            None => prior.clone(),
        }
    }
}

impl<A: PolicyApi> IdentitySyncOps<'_, A> {
    /// Import by partner tenant GUID (parsed once, by the caller); a missing policy is an
    /// error.
    pub async fn import(&self, id: &TenantId, diags: &mut Diagnostics) -> Option<Value> {
        let id = id.as_str();
        let timeout = IMPORT_TIMEOUT;
        let deadline = Instant::now() + timeout;
        let found = self
            .get_settled(Action::Import, id, deadline, timeout, diags)
            .await?;
        match found {
            Some(policy) => Some(imported_state(id, &policy)),
            None => {
                diags.error(
                    "Cannot import non-existent identity synchronization policy",
                    format!(
                        "Microsoft Graph has no identity synchronization policy for partner \
                         tenant {id}. Check the tenant ID, or create the policy by adding the \
                         resource to the configuration and running apply."
                    ),
                );
                None
            }
        }
    }

    /// GET; while it says 404, ask again for up to the consistency window: a policy created
    /// moments ago (by another resource of this apply, or just before an import) may not be
    /// readable yet. `None` after adding a diagnostic.
    async fn get_settled(
        &self,
        action: Action,
        tenant_id: &str,
        deadline: Instant,
        timeout: Duration,
        diags: &mut Diagnostics,
    ) -> Option<Option<IdentitySyncPolicy>> {
        let window_end = Instant::now() + self.consistency_window;
        let mut waits = WindowWaits::new(deadline);
        loop {
            let found = self
                .call(
                    action,
                    deadline,
                    timeout,
                    tenant_id,
                    self.api.get(tenant_id, deadline),
                    diags,
                )
                .await?;
            let again = match found {
                Some(_) => None,
                None => waits.after_not_found(window_end),
            };
            let Some(wait) = again else {
                return Some(found);
            };
            log::debug!("identity synchronization for {tenant_id}: 404, asking again in {wait:?}");
            if let Err(why) = pause(self.stop, wait).await {
                interrupted(action, why, timeout, diags);
                return None;
            }
        }
    }

    /// Reads one policy for the data source, bounded by `timeout` (its `timeouts.read`); `None`
    /// after adding a diagnostic.
    pub async fn read_for_data_source(
        &self,
        tenant_id: &str,
        timeout: Duration,
        diags: &mut Diagnostics,
    ) -> Option<IdentitySyncPolicy> {
        let deadline = Instant::now() + timeout;
        let found = self
            .get_settled(Action::ReadDataSource, tenant_id, deadline, timeout, diags)
            .await?;
        if found.is_none() {
            diags.attribute_error(
                AttributePath::attrs([TENANT_ID]),
                "Identity synchronization policy not found",
                format!(
                    "Microsoft Graph has no identity synchronization policy for partner tenant \
                     {tenant_id}. Check the tenant ID and that the partner configuration has a \
                     policy."
                ),
            );
        }
        found
    }
}

#[cfg(test)]
mod tests;
