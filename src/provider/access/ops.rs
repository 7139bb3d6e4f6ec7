//! Create, read, update, delete and import of the partner configuration and the default
//! settings: one request per operation (default create: GET + PATCH; partner delete: DELETE +
//! a GET confirming it), state from the declarative description. Reads lag writes: what we
//! wrote is kept in private state and a lagging answer inside the consistency window is asked
//! again, as for the identity synchronization policy.

use std::time::{Duration, SystemTime};

use serde_json::Value as Json;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::graph::GraphError;
use crate::plugin::{ApplyRequest, AttributePath, Diagnostics, ReadRequest, Value};
use crate::provider::cancellation::{bounded, pause, Interrupted};
use crate::provider::confirm::{wait_until_gone, Gone};
use crate::provider::consistency_diagnostics::{delete_not_confirmed_of, read_lagging_of};
use crate::provider::consistency_read::{patch_through_window, Next, PatchFailed, WindowWaits};
use crate::provider::declarative::convert::{
    create_body, data_source_value, fill_computed, state_from_graph,
};
use crate::provider::declarative::diff::patch_body;
use crate::provider::declarative::ResourceDef;
use crate::provider::graph_diagnostics::format_duration;
use crate::provider::graph_diagnostics::{api_answer, join};
use crate::provider::guid::TenantId;
use crate::provider::private_state::SentBody;
use crate::provider::resource_ops::ResourceOps;
use crate::provider::schema::TYPE_NAME as IDENTITY_SYNC_TYPE;
use crate::provider::timeouts::{timeout_for, Operation};

use super::api::AccessApi;
use super::defs::{DEFAULT_ID, PARTNER_TYPE};

/// What every operation needs.
pub struct AccessOps<'a, A: AccessApi> {
    pub api: &'a A,
    pub stop: &'a CancellationToken,
    pub def: &'static ResourceDef,
    /// How long after our own write a 404 or stale answer is asked again.
    pub consistency_window: Duration,
}

/// The object's path below `/policies/crossTenantAccessPolicy/`.
pub(super) fn object_path(def: &ResourceDef, key: &str) -> Vec<String> {
    match def.key() {
        Some(_) => vec!["partners".into(), key.into()],
        None => vec![DEFAULT_ID.into()],
    }
}

pub(super) fn refs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

/// The key of a resource value: the partner tenant ID, or `default`.
fn key_of<'v>(def: &ResourceDef, value: &'v Value) -> Option<&'v str> {
    match def.key() {
        Some(k) => value.attr(k.name).as_str(),
        None => Some(DEFAULT_ID),
    }
}

pub(super) fn import_hint(type_name: &str, key: &str) -> String {
    format!(
        "To manage it with Terraform, import it instead of creating it:\n  terraform import \
         {type_name}.example {key}\nor, on Terraform 1.5 and later, an import block:\n  \
         import {{\n    to = {type_name}.example\n    id = \"{key}\"\n  }}"
    )
}

/// Adds the diagnostic for a failed call: Graph's code, message and request-id, the client's
/// hint, and what state kept.
pub(super) fn failure(
    summary: &str,
    subject: &str,
    err: &GraphError,
    note: &str,
    diags: &mut Diagnostics,
) {
    let (what, request) =
        api_answer(err, subject).unwrap_or_else(|| (format!("{err}"), String::new()));
    let hint = err.summary_hint().unwrap_or_default();
    let detail = join(&[&what, &request, &hint, note]);
    diags.error(summary, detail);
}

/// The diagnostic for a stop (Ctrl-C) while waiting to ask Graph again.
fn stopped_pausing(diags: &mut Diagnostics) {
    diags.error(
        "Operation cancelled",
        "Terraform asked the provider to stop; the state was kept.",
    );
}

impl<A: AccessApi> AccessOps<'_, A> {
    pub(super) fn summary(&self, verb: &str) -> String {
        format!("Could not {verb} {}", self.def.noun)
    }

    pub(super) fn subject(&self, key: &str) -> String {
        match self.def.key() {
            Some(_) => format!("the {} of partner tenant {key}", self.def.noun),
            None => format!("the {}", self.def.noun),
        }
    }

    /// Runs one call bounded by its deadline and Terraform's stop; `Err` after a diagnostic,
    /// except Graph errors, handed back for the caller to explain.
    async fn call<T>(
        &self,
        verb: &str,
        deadline: Instant,
        timeout: Duration,
        fut: impl std::future::Future<Output = Result<T, GraphError>>,
        diags: &mut Diagnostics,
    ) -> Option<Result<T, GraphError>> {
        match bounded(self.stop, deadline, fut).await {
            Ok(out) => Some(out),
            Err(why) => {
                self.interrupted(verb, why, timeout, diags);
                None
            }
        }
    }

    /// The diagnostic for a call stopped by Terraform or by its timeout.
    fn interrupted(
        &self,
        verb: &str,
        why: Interrupted,
        timeout: Duration,
        diags: &mut Diagnostics,
    ) {
        match why {
            Interrupted::Cancelled => diags.error(
                "Operation cancelled",
                "Terraform asked the provider to stop, so the request to Microsoft Graph was \
                 abandoned.",
            ),
            Interrupted::TimedOut => diags.error(
                self.summary(verb),
                format!(
                    "The operation did not finish within its timeout ({}). Raise it in the \
                     timeouts block and run again.",
                    format_duration(timeout)
                ),
            ),
        }
    }

    /// Like [`Self::call`], Graph errors reported with `note` too.
    async fn checked<T>(
        &self,
        verb: &str,
        key: &str,
        timeout: Duration,
        note: &str,
        fut: impl std::future::Future<Output = Result<T, GraphError>>,
        diags: &mut Diagnostics,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let answer = self.call(verb, deadline, timeout, fut, diags).await?;
        self.reported(verb, key, note, answer, diags)
    }

    /// Graph's answer; an error is reported (with `note`) and becomes `None`.
    fn reported<T>(
        &self,
        verb: &str,
        key: &str,
        note: &str,
        answer: Result<T, GraphError>,
        diags: &mut Diagnostics,
    ) -> Option<T> {
        answer
            .map_err(|e| {
                log::warn!("{verb} {} {key} failed: {e}", self.def.noun);
                failure(&self.summary(verb), &self.subject(key), &e, note, diags);
            })
            .ok()
    }

    /// GET of the object `key`, bounded by `timeout`; `None` after a diagnostic.
    async fn get(
        &self,
        verb: &str,
        key: &str,
        timeout: Duration,
        note: &str,
        diags: &mut Diagnostics,
    ) -> Option<Option<Json>> {
        self.get_by(verb, key, Instant::now() + timeout, timeout, note, diags)
            .await
    }

    /// GET of the object `key`, bounded by `deadline` (of an operation lasting `timeout`).
    async fn get_by(
        &self,
        verb: &str,
        key: &str,
        deadline: Instant,
        timeout: Duration,
        note: &str,
        diags: &mut Diagnostics,
    ) -> Option<Option<Json>> {
        let path = object_path(self.def, key);
        let parts = refs(&path);
        let get = self.api.get(&parts, deadline);
        let answer = self.call(verb, deadline, timeout, get, diags).await?;
        self.reported(verb, key, note, answer, diags)
    }

    /// GET of the object `key`; while it says 404, asked again for up to the consistency
    /// window, as for the identity synchronization policy: a partner configuration created
    /// moments ago (by another resource of this apply, or just before an import) may not be
    /// readable yet. `None` after a diagnostic.
    async fn get_settled(
        &self,
        verb: &str,
        key: &str,
        timeout: Duration,
        diags: &mut Diagnostics,
    ) -> Option<Option<Json>> {
        let deadline = Instant::now() + timeout;
        let window_end = Instant::now() + self.consistency_window;
        let mut waits = WindowWaits::new(deadline);
        loop {
            let found = self.get_by(verb, key, deadline, timeout, "", diags).await?;
            let again = match found {
                Some(_) => None,
                None => waits.after_not_found(window_end),
            };
            let Some(wait) = again else {
                return Some(found);
            };
            log::debug!("{} {key}: 404, asking again in {wait:?}", self.def.noun);
            if !self.paused(wait, diags).await {
                return None;
            }
        }
    }

    /// Waits `wait` before asking Graph again; false (after a diagnostic) when Terraform asked
    /// to stop.
    async fn paused(&self, wait: Duration, diags: &mut Diagnostics) -> bool {
        let stopped = pause(self.stop, wait).await.is_err();
        if stopped {
            stopped_pausing(diags);
        }
        !stopped
    }

    /// Time left of the consistency window after `written`; zero without a write.
    pub(super) fn window_left(&self, written: Option<&SentBody>) -> Duration {
        written
            .map(|w| w.window_left(SystemTime::now(), self.consistency_window))
            .unwrap_or_default()
    }

    fn unknown_at_apply(&self, verb: &str, attribute: &str, diags: &mut Diagnostics) {
        diags.error(
            self.summary(verb),
            format!(
                "{attribute} is still unknown at apply time; this is a bug in the provider, \
                 please report it."
            ),
        );
    }
}

impl<A: AccessApi> ResourceOps for AccessOps<'_, A> {
    /// Create. Partner: one POST with the configured properties (201). When its answer is lost
    /// or is a 409 conflict, GET the partner (through the consistency window): what we sent
    /// means created; other settings fail on `tenant_id` with the import command. Default: GET,
    /// then one PATCH of the configured properties (the object always exists). On failure
    /// nothing is in state. The private state records what was sent and when.
    async fn create(&self, planned: &Value, diags: &mut Diagnostics) -> (Value, Vec<u8>) {
        const NOTE: &str =
            "Nothing was recorded in the Terraform state; run apply again once the cause is fixed.";
        let failed = (Value::Null, Vec::new());
        let Some(key) = key_of(self.def, planned) else {
            self.unknown_at_apply("create", "tenant_id", diags);
            return failed;
        };
        let timeout = timeout_for(planned, Operation::Create);
        let with_key = self.def.key().is_some();
        let body = match create_body(self.def, planned, with_key) {
            Ok(b) => Json::Object(b),
            Err(u) => {
                self.unknown_at_apply("create", &u.attribute, diags);
                return failed;
            }
        };
        if with_key {
            return self
                .create_partner(planned, key, body, timeout, diags)
                .await;
        }
        let path = object_path(self.def, key);
        let Some(current) = self.get("create", key, timeout, NOTE, diags).await else {
            return failed;
        };
        let current = current.unwrap_or_default();
        let mut state = fill_computed(self.def, planned, &current);
        if body.as_object().is_some_and(|b| b.is_empty()) {
            return (state, Vec::new());
        }
        let written = SentBody::now(body.clone());
        let sent = self
            .checked(
                "create",
                key,
                timeout,
                NOTE,
                self.api
                    .patch(&refs(&path), &body, Instant::now() + timeout),
                diags,
            )
            .await;
        if sent.is_none() {
            return failed;
        }
        // Graph's isServiceDefault is false once the defaults are customized.
        state = state.with_attr("is_service_default", Value::Bool(false));
        (state, written.encode())
    }

    /// Read: GET; 404 removes it from state; Graph's values for what the configuration
    /// manages become state, so drift shows in the plan. Within the consistency window after
    /// our own write, a 404 or an answer without what we sent is asked again; if the read's
    /// deadline comes first, the state is kept with an error.
    async fn refresh(&self, req: &ReadRequest, diags: &mut Diagnostics) -> (Value, Vec<u8>) {
        let (current, private) = (&req.current_state, &req.private[..]);
        let kept = (current.clone(), private.to_vec());
        let Some(key) = key_of(self.def, current) else {
            return kept;
        };
        let written = SentBody::decode(private);
        let timeout = timeout_for(current, Operation::Read);
        let mut window = WindowWaits::new(Instant::now() + timeout);
        loop {
            let deadline = window.deadline();
            let Some(answer) = self.get_by("read", key, deadline, timeout, "", diags).await else {
                return kept;
            };
            let lag = match (&written, &answer) {
                (Some(w), Some(json)) if w.matches(json) => Duration::ZERO,
                (Some(_), _) => self.window_left(written.as_ref()),
                (None, _) => Duration::ZERO,
            };
            match window.next(lag) {
                Next::Settle => {}
                Next::TooLate { window_left } => {
                    let subject = self.subject(key);
                    read_lagging_of(&subject, answer.is_none(), window_left, timeout, diags);
                    return kept;
                }
                Next::Pause(pause_for) => {
                    log::debug!("{} {key} does not show our write yet", self.def.noun);
                    if !self.paused(pause_for, diags).await {
                        return kept;
                    }
                    continue;
                }
            }
            return match answer {
                None => {
                    log::info!("{} {key} is gone; removing it from state", self.def.noun);
                    (Value::Null, Vec::new())
                }
                Some(json) => (state_from_graph(self.def, current, key, &json), Vec::new()),
            };
        }
    }

    /// Update: one PATCH holding only the changed top-level properties; none, no request. A
    /// 404 inside the consistency window after our own write is a lagging replica: sent again.
    async fn update(&self, req: &ApplyRequest, diags: &mut Diagnostics) -> (Value, Vec<u8>) {
        let (prior, planned) = (&req.prior_state, &req.planned_state);
        let planned_private = &req.planned_private[..];
        const NOTE: &str = "The Terraform state keeps the previous values, so the next plan \
                            shows the change again.";
        let kept = (prior.clone(), planned_private.to_vec());
        let Some(key) = key_of(self.def, prior) else {
            return kept;
        };
        let patch = match patch_body(self.def, prior, planned) {
            Ok(p) => Json::Object(p),
            Err(u) => {
                self.unknown_at_apply("update", &u.attribute, diags);
                return kept;
            }
        };
        if patch.as_object().is_some_and(|p| p.is_empty()) {
            return (planned.clone(), planned_private.to_vec());
        }
        let timeout = timeout_for(planned, Operation::Update);
        let deadline = Instant::now() + timeout;
        let path = object_path(self.def, key);
        let path = refs(&path);
        let last_write = SentBody::decode(planned_private);
        let what = format!("{} {key}", self.def.noun);
        let sent = patch_through_window(
            self.stop,
            deadline,
            &what,
            || self.window_left(last_write.as_ref()),
            || self.api.patch(&path, &patch, deadline),
        )
        .await;
        match sent {
            Ok(()) => return (planned.clone(), SentBody::now(patch).encode()),
            Err(PatchFailed::Call(why)) => self.interrupted("update", why, timeout, diags),
            Err(PatchFailed::Pause(_)) => stopped_pausing(diags),
            Err(PatchFailed::Graph(e)) => {
                failure(&self.summary("update"), &self.subject(key), &e, NOTE, diags)
            }
        }
        kept
    }

    /// Delete. Partner: DELETE, 204 or 404 = gone; refused while an identity synchronization
    /// policy exists under it, which the error names. Default: resetToSystemDefault.
    async fn remove(&self, prior: &Value, diags: &mut Diagnostics) -> Value {
        const NOTE: &str =
            "It is still in the Terraform state; run destroy or apply again to retry.";
        let Some(key) = key_of(self.def, prior) else {
            return prior.clone();
        };
        let timeout = timeout_for(prior, Operation::Delete);
        if self.def.key().is_none() {
            let reset = self
                .checked(
                    "reset",
                    key,
                    timeout,
                    NOTE,
                    self.api.post(
                        &[DEFAULT_ID, "resetToSystemDefault"],
                        &Json::Object(Default::default()),
                        Instant::now() + timeout,
                    ),
                    diags,
                )
                .await;
            return match reset {
                Some(_) => Value::Null,
                None => prior.clone(),
            };
        }
        let path = object_path(self.def, key);
        let deadline = Instant::now() + timeout;
        let answer = self
            .call(
                "delete",
                deadline,
                timeout,
                self.api.delete(&refs(&path), deadline),
                diags,
            )
            .await;
        match answer {
            None => prior.clone(),
            Some(Ok(false)) => Value::Null,
            Some(Ok(true)) => {
                // Graph accepted the delete; wait until its reads agree, so a replacement's
                // create (next in the same apply) does not meet the deleted partner.
                let path = refs(&path);
                let gone = wait_until_gone(
                    self.stop,
                    &format!("partner configuration for {key}"),
                    |d| self.api.get(&path, d),
                    self.consistency_window,
                    deadline,
                )
                .await;
                if gone != Gone::Confirmed {
                    let noun = self.def.noun;
                    delete_not_confirmed_of(noun, self.def.short_noun, key, &gone, diags);
                }
                Value::Null
            }
            Some(Err(e)) => {
                // Graph refuses while a sync policy exists under the partner (Microsoft's API
                // page for the partner DELETE); its error code is not documented, so ask.
                let sync_path = [path[0].as_str(), key, "identitySynchronization"];
                let has_sync = matches!(e.status(), Some(400 | 409 | 403))
                    && matches!(
                        self.api.get(&sync_path, Instant::now() + timeout).await,
                        Ok(Some(_))
                    );
                if has_sync {
                    diags.error(
                        self.summary("delete"),
                        format!(
                            "The partner configuration for tenant {key} still has an identity \
                             synchronization policy, and Microsoft Graph deletes a partner \
                             configuration only after its policy. Destroy the \
                             {IDENTITY_SYNC_TYPE} resource for tenant {key} first (give it \
                             tenant_id = {PARTNER_TYPE}.<name>.tenant_id so Terraform orders \
                             the two), or delete the policy in the Microsoft Entra admin \
                             center.\n\n{NOTE}"
                        ),
                    );
                } else {
                    failure(&self.summary("delete"), &self.subject(key), &e, NOTE, diags);
                }
                prior.clone()
            }
        }
    }
}

impl<A: AccessApi> AccessOps<'_, A> {
    /// Import: the partner tenant GUID (parsed once by the caller) or `default`.
    pub async fn import(&self, key: &str, diags: &mut Diagnostics) -> Option<Value> {
        let timeout = Operation::Read.default_timeout();
        let found = self.get_settled("import", key, timeout, diags).await?;
        match found {
            Some(json) => Some(state_from_graph(self.def, &Value::Null, key, &json)),
            None => {
                diags.error(
                    format!("Cannot import non-existent {}", self.def.noun),
                    format!(
                        "Microsoft Graph has no {} for partner tenant {key}. Check the tenant \
                         ID, or create it by adding the resource to the configuration and \
                         running apply.",
                        self.def.noun
                    ),
                );
                None
            }
        }
    }

    /// The data source: every property of one partner configuration.
    pub async fn read_data_source(
        &self,
        tenant: &TenantId,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Value {
        let key = tenant.as_str();
        let timeout = timeout_for(config, Operation::Read);
        match self.get_settled("read", key, timeout, diags).await {
            Some(Some(json)) => data_source_value(self.def, key, &json, config),
            Some(None) => {
                diags.attribute_error(
                    AttributePath::attrs(["tenant_id"]),
                    format!("{} not found", capitalized(self.def.noun)),
                    format!(
                        "Microsoft Graph has no {} for partner tenant {key}.",
                        self.def.noun
                    ),
                );
                Value::Null
            }
            None => Value::Null,
        }
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
