//! The `msgraph_cross_tenant_identity_sync` resource: validation, create, read (with the
//! eventual-consistency wait), update (one minimal PATCH), delete and import.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::graph::{GraphError, IdentitySyncPolicy};
use crate::plugin::{AttributePath, Diagnostics, Value};

use super::api::{bounded, pause, PolicyApi};
use super::declarative::validate::validate;
use super::graph_diagnostics::{graph_error, interrupted, Action};
use super::guid::{validate_tenant_id, TenantId, EXAMPLE_GUID};
use super::plan::{patch_body, PatchError};
use super::private_state::LastWrite;
use super::schema::{IDENTITY_SYNC, TYPE_NAME};
use super::state::{
    imported_state, is_sync_allowed, policy_from_planned, refreshed_state, DISPLAY_NAME, TENANT_ID,
};
use super::timeouts::{timeout_for, validate_timeouts, Operation};

/// First wait before asking Graph again about a write it doesn't show yet; doubles up to the cap.
const FIRST_CONSISTENCY_WAIT: Duration = if cfg!(test) {
    Duration::from_millis(5)
} else {
    Duration::from_millis(500)
};
const MAX_CONSISTENCY_WAIT: Duration = Duration::from_secs(5);

/// What every operation needs.
pub struct Ops<'a, A: PolicyApi> {
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
            Err(detail) => {
                diags.attribute_error(
                    AttributePath::attrs([TENANT_ID]),
                    "Invalid tenant ID in state",
                    detail,
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
        Err(detail) => detail,
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

fn deadline_for(resource: &Value, op: Operation) -> (Instant, Duration) {
    let timeout = timeout_for(resource, op);
    (Instant::now() + timeout, timeout)
}

fn import_hint(tenant_id: &str) -> String {
    format!(
        "An identity synchronization policy for partner tenant {tenant_id} already exists in \
         Microsoft Graph. To manage it with Terraform, import it instead of creating it:\n  \
         terraform import <resource address> {tenant_id}\nfor example\n  terraform import \
         {TYPE_NAME}.example {tenant_id}\nor, on Terraform 1.5 and later, an import block:\n  \
         import {{\n    to = {TYPE_NAME}.example\n    id = \"{tenant_id}\"\n  }}"
    )
}

impl<A: PolicyApi> Ops<'_, A> {
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

    /// Create: GET first (an existing policy is an error naming the import command), then PUT
    /// the full body. On any failure the new state is null: nothing half-tracked.
    pub async fn create(&self, planned: &Value, diags: &mut Diagnostics) -> (Value, Vec<u8>) {
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
                diags.attribute_error(
                    AttributePath::attrs([TENANT_ID]),
                    "Identity synchronization policy already exists",
                    import_hint(&tid),
                );
                return failed;
            }
            Some(None) => {}
        }
        let created = self
            .call(
                Action::Create,
                deadline,
                timeout,
                &tid,
                self.api.put(&policy, deadline),
                diags,
            )
            .await;
        match created {
            Some(()) => {
                log::info!("created identity synchronization policy for partner {tid}");
                let written = LastWrite::now(
                    policy.display_name.clone(),
                    policy.user_sync_inbound.is_sync_allowed,
                );
                (planned.clone(), written.encode())
            }
            None => failed,
        }
    }

    /// Read: Graph's values become state (drift shows in the plan); 404 removes it. Within the
    /// consistency window after our own write, a 404 or stale answer is asked again first.
    pub async fn read(
        &self,
        current: &Value,
        private: &[u8],
        diags: &mut Diagnostics,
    ) -> (Value, Vec<u8>) {
        if current.is_null() {
            return (Value::Null, Vec::new());
        }
        let Some(tid) = state_tenant_id(current, diags) else {
            return (current.clone(), private.to_vec());
        };
        let last_write = LastWrite::decode(private);
        let (deadline, timeout) = deadline_for(current, Operation::Read);
        let mut wait = FIRST_CONSISTENCY_WAIT;
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
            let shows_write = match (&last_write, &answer) {
                (Some(w), Some(p)) => w.matches(
                    p.display_name.as_deref(),
                    p.user_sync_inbound.is_sync_allowed,
                ),
                (Some(_), None) => false,
                (None, _) => true,
            };
            let window_left = last_write
                .as_ref()
                .map(|w| w.window_left(SystemTime::now(), self.consistency_window))
                .unwrap_or_default();
            let lagging = !shows_write && !window_left.is_zero();
            let pause_for = wait.min(window_left);
            if lagging && Instant::now() + pause_for < deadline {
                log::debug!(
                    "identity synchronization for {tid} does not show our write yet; asking \
                     again in {pause_for:?}"
                );
                if let Err(why) = pause(self.stop, pause_for).await {
                    interrupted(Action::Read, why, timeout, diags);
                    return (current.clone(), private.to_vec());
                }
                wait = (wait * 2).min(MAX_CONSISTENCY_WAIT);
                continue;
            }
            // Confirmed, or the window is over: nothing more to wait for next time.
            let next_private = if lagging {
                private.to_vec()
            } else {
                Vec::new()
            };
            return match answer {
                Some(policy) => (refreshed_state(current, &policy), next_private),
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
    pub async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        planned_private: &[u8],
        diags: &mut Diagnostics,
    ) -> (Value, Vec<u8>) {
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
        let sent = self
            .call(
                Action::Update,
                deadline,
                timeout,
                tid,
                self.api.patch(tid, &patch, deadline),
                diags,
            )
            .await;
        match sent {
            Some(()) => {
                let display_name = planned.attr(DISPLAY_NAME).as_str().map(str::to_string);
                let allowed = is_sync_allowed(planned).unwrap_or_default();
                (
                    planned.clone(),
                    LastWrite::now(display_name, allowed).encode(),
                )
            }
            None => kept,
        }
    }

    /// Delete: 204 or 404 both mean gone. On failure the object stays in state.
    pub async fn delete(
        &self,
        prior: &Value,
        private: &[u8],
        diags: &mut Diagnostics,
    ) -> (Value, Vec<u8>) {
        let Some(tid) = state_tenant_id(prior, diags) else {
            return (prior.clone(), private.to_vec());
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
            Some(existed) => {
                if !existed {
                    log::info!("identity synchronization policy for {tid} was already gone");
                }
                (Value::Null, Vec::new())
            }
            None => (prior.clone(), private.to_vec()),
        }
    }

    /// Import by partner tenant GUID (parsed once, by the caller); a missing policy is an
    /// error.
    pub async fn import(&self, id: &TenantId, diags: &mut Diagnostics) -> Option<Value> {
        let id = id.as_str();
        let timeout = Operation::Read.default_timeout();
        let deadline = Instant::now() + timeout;
        let found = self
            .call(
                Action::Import,
                deadline,
                timeout,
                id,
                self.api.get(id, deadline),
                diags,
            )
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

    /// Reads one policy for the data source; `None` after adding a diagnostic.
    pub async fn read_for_data_source(
        &self,
        tenant_id: &str,
        diags: &mut Diagnostics,
    ) -> Option<IdentitySyncPolicy> {
        let timeout = Operation::Read.default_timeout();
        let deadline = Instant::now() + timeout;
        let found = self
            .call(
                Action::ReadDataSource,
                deadline,
                timeout,
                tenant_id,
                self.api.get(tenant_id, deadline),
                diags,
            )
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
#[path = "resource_tests.rs"]
mod tests;
