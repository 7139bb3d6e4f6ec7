//! Create, read, update, delete and import of the partner configuration and the default
//! settings: one request per operation (default create: GET + PATCH), state from the
//! declarative description.

use std::time::Duration;

use serde_json::Value as Json;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::graph::GraphError;
use crate::plugin::{AttributePath, Diagnostics, Value};
use crate::provider::api::{bounded, Interrupted};
use crate::provider::declarative::convert::{
    create_body, data_source_value, fill_computed, state_from_graph,
};
use crate::provider::declarative::diff::patch_body;
use crate::provider::declarative::ResourceDef;
use crate::provider::graph_diagnostics::format_duration;
use crate::provider::guid::TenantId;
use crate::provider::schema::TYPE_NAME as IDENTITY_SYNC_TYPE;
use crate::provider::timeouts::{timeout_for, Operation};

use super::api::AccessApi;
use super::defs::{DEFAULT_ID, PARTNER_TYPE};

/// What every operation needs.
pub struct AccessOps<'a, A: AccessApi> {
    pub api: &'a A,
    pub stop: &'a CancellationToken,
    pub def: &'static ResourceDef,
}

/// The object's path below `/policies/crossTenantAccessPolicy/`.
fn object_path(def: &ResourceDef, key: &str) -> Vec<String> {
    match def.key() {
        Some(_) => vec!["partners".into(), key.into()],
        None => vec![DEFAULT_ID.into()],
    }
}

fn refs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

/// The key of a resource value: the partner tenant ID, or `default`.
fn key_of<'v>(def: &ResourceDef, value: &'v Value) -> Option<&'v str> {
    match def.key() {
        Some(k) => value.attr(k.name).as_str(),
        None => Some(DEFAULT_ID),
    }
}

fn import_hint(type_name: &str, key: &str) -> String {
    format!(
        "To manage it with Terraform, import it instead of creating it:\n  terraform import \
         {type_name}.example {key}\nor, on Terraform 1.5 and later, an import block:\n  \
         import {{\n    to = {type_name}.example\n    id = \"{key}\"\n  }}"
    )
}

/// Adds the diagnostic for a failed call: Graph's code, message and request-id, the client's
/// hint, and what state kept.
fn failure(summary: &str, subject: &str, err: &GraphError, note: &str, diags: &mut Diagnostics) {
    let what = match err {
        GraphError::Api {
            status,
            code,
            message,
            request_id,
        } => {
            let request = request_id
                .as_deref()
                .map(|id| format!("\n\nrequest-id: {id} (quote it when opening a support case)"))
                .unwrap_or_default();
            format!(
                "Microsoft Graph answered HTTP {status} ({code}) for {subject}: {message}{request}"
            )
        }
        other => format!("{other}"),
    };
    let hint = err.summary_hint().unwrap_or_default();
    let detail = [what.as_str(), hint.as_str(), note]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n\n");
    diags.error(summary, detail);
}

impl<A: AccessApi> AccessOps<'_, A> {
    fn summary(&self, verb: &str) -> String {
        format!("Could not {verb} {}", self.def.noun)
    }

    fn subject(&self, key: &str) -> String {
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
        timeout: Duration,
        fut: impl std::future::Future<Output = Result<T, GraphError>>,
        diags: &mut Diagnostics,
    ) -> Option<Result<T, GraphError>> {
        let deadline = Instant::now() + timeout;
        match bounded(self.stop, deadline, fut).await {
            Ok(out) => Some(out),
            Err(Interrupted::Cancelled) => {
                diags.error(
                    "Operation cancelled",
                    "Terraform asked the provider to stop, so the request to Microsoft Graph \
                     was abandoned.",
                );
                None
            }
            Err(Interrupted::TimedOut) => {
                diags.error(
                    self.summary(verb),
                    format!(
                        "The operation did not finish within its timeout ({}). Raise it in the \
                         timeouts block and run again.",
                        format_duration(timeout)
                    ),
                );
                None
            }
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
        match self.call(verb, timeout, fut, diags).await? {
            Ok(v) => Some(v),
            Err(e) => {
                log::warn!("{verb} {} {key} failed: {e}", self.def.noun);
                failure(&self.summary(verb), &self.subject(key), &e, note, diags);
                None
            }
        }
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
        let path = object_path(self.def, key);
        let deadline = Instant::now() + timeout;
        self.checked(
            verb,
            key,
            timeout,
            note,
            self.api.get(&refs(&path), deadline),
            diags,
        )
        .await
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

    /// Create. Partner: one POST with the configured properties (201); an existing one (409)
    /// fails on `tenant_id` with the import command. Default: GET, then one PATCH of the
    /// configured properties (the object always exists). On failure nothing is in state.
    pub async fn create(&self, planned: &Value, diags: &mut Diagnostics) -> Value {
        const NOTE: &str =
            "Nothing was recorded in the Terraform state; run apply again once the cause is fixed.";
        let Some(key) = key_of(self.def, planned) else {
            self.unknown_at_apply("create", "tenant_id", diags);
            return Value::Null;
        };
        let timeout = timeout_for(planned, Operation::Create);
        let with_key = self.def.key().is_some();
        let body = match create_body(self.def, planned, with_key) {
            Ok(b) => b,
            Err(u) => {
                self.unknown_at_apply("create", &u.attribute, diags);
                return Value::Null;
            }
        };
        if with_key {
            let answer = self
                .call(
                    "create",
                    timeout,
                    self.api
                        .post(&["partners"], &Json::Object(body), Instant::now() + timeout),
                    diags,
                )
                .await;
            return match answer {
                None => Value::Null,
                Some(Ok(created)) => {
                    log::info!("created partner configuration for {key}");
                    fill_computed(self.def, planned, &created)
                }
                Some(Err(GraphError::Api { status: 409, .. })) => {
                    diags.attribute_error(
                        AttributePath::attrs(["tenant_id"]),
                        "Partner configuration already exists",
                        format!(
                            "Microsoft Graph already holds a partner configuration for tenant \
                             {key}. {}",
                            import_hint(PARTNER_TYPE, key)
                        ),
                    );
                    Value::Null
                }
                Some(Err(e)) => {
                    failure(&self.summary("create"), &self.subject(key), &e, NOTE, diags);
                    Value::Null
                }
            };
        }
        let path = object_path(self.def, key);
        let Some(current) = self.get("create", key, timeout, NOTE, diags).await else {
            return Value::Null;
        };
        let current = current.unwrap_or_default();
        let mut state = fill_computed(self.def, planned, &current);
        if !body.is_empty() {
            let sent = self
                .checked(
                    "create",
                    key,
                    timeout,
                    NOTE,
                    self.api
                        .patch(&refs(&path), &Json::Object(body), Instant::now() + timeout),
                    diags,
                )
                .await;
            if sent.is_none() {
                return Value::Null;
            }
            // Graph's isServiceDefault is false once the defaults are customized.
            state = state.with_attr("is_service_default", Value::Bool(false));
        }
        state
    }

    /// Read: GET; 404 removes it from state; Graph's values for what the configuration
    /// manages become state, so drift shows in the plan.
    pub async fn read(&self, current: &Value, diags: &mut Diagnostics) -> Value {
        if current.is_null() {
            return Value::Null;
        }
        let Some(key) = key_of(self.def, current) else {
            return current.clone();
        };
        let timeout = timeout_for(current, Operation::Read);
        match self.get("read", key, timeout, "", diags).await {
            None => current.clone(),
            Some(None) => {
                log::info!("{} {key} is gone; removing it from state", self.def.noun);
                Value::Null
            }
            Some(Some(json)) => state_from_graph(self.def, current, key, &json),
        }
    }

    /// Update: one PATCH holding only the changed top-level properties; none, no request.
    pub async fn update(&self, prior: &Value, planned: &Value, diags: &mut Diagnostics) -> Value {
        let Some(key) = key_of(self.def, prior) else {
            return prior.clone();
        };
        let patch = match patch_body(self.def, prior, planned) {
            Ok(p) => p,
            Err(u) => {
                self.unknown_at_apply("update", &u.attribute, diags);
                return prior.clone();
            }
        };
        if patch.is_empty() {
            return planned.clone();
        }
        let timeout = timeout_for(planned, Operation::Update);
        let path = object_path(self.def, key);
        let sent = self
            .checked(
                "update",
                key,
                timeout,
                "The Terraform state keeps the previous values, so the next plan shows the \
                 change again.",
                self.api
                    .patch(&refs(&path), &Json::Object(patch), Instant::now() + timeout),
                diags,
            )
            .await;
        match sent {
            Some(()) => planned.clone(),
            None => prior.clone(),
        }
    }

    /// Delete. Partner: DELETE, 204 or 404 = gone; refused while an identity synchronization
    /// policy exists under it, which the error names. Default: resetToSystemDefault.
    pub async fn delete(&self, prior: &Value, diags: &mut Diagnostics) -> Value {
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
        let answer = self
            .call(
                "delete",
                timeout,
                self.api.delete(&refs(&path), Instant::now() + timeout),
                diags,
            )
            .await;
        match answer {
            None => prior.clone(),
            Some(Ok(_)) => Value::Null,
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

    /// Import: the partner tenant GUID (parsed once by the caller) or `default`.
    pub async fn import(&self, key: &str, diags: &mut Diagnostics) -> Option<Value> {
        let timeout = Operation::Read.default_timeout();
        let found = self.get("import", key, timeout, "", diags).await?;
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
        match self.get("read", key, timeout, "", diags).await {
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
