//! The partner create: one POST, and when its answer does not say whether Graph applied it,
//! reading back what Graph holds and saying so: never "run again" while Graph may hold it.

use std::time::Duration;

use serde_json::Value as Json;
use tokio::time::Instant;

use crate::plugin::{AttributePath, Diagnostics, Value};
use crate::provider::cancellation::{bounded, Interrupted};
use crate::provider::confirm::{confirm_deadline, confirm_object, outcome_unclear, Confirmed};
use crate::provider::declarative::convert::fill_computed;
use crate::provider::graph_diagnostics::{format_duration, join};
use crate::provider::private_state::SentBody;

use super::api::AccessApi;
use super::defs::PARTNER_TYPE;
use super::ops::{failure, import_hint, object_path, refs, AccessOps};

impl<A: AccessApi> AccessOps<'_, A> {
    /// The partner's POST, and the check of what Graph holds when its answer is unclear.
    pub(super) async fn create_partner(
        &self,
        planned: &Value,
        key: &str,
        body: Json,
        timeout: Duration,
        diags: &mut Diagnostics,
    ) -> (Value, Vec<u8>) {
        let written = SentBody::now(body.clone());
        let deadline = Instant::now() + timeout;
        let posted = bounded(
            self.stop,
            deadline,
            self.api.post(&["partners"], &body, deadline),
        );
        let unclear = match posted.await {
            Ok(Ok(created)) => {
                log::info!("created partner configuration for {key}");
                return (fill_computed(self.def, planned, &created), written.encode());
            }
            Ok(Err(e)) if outcome_unclear(&e) => e.to_string(),
            Ok(Err(e)) => {
                failure(
                    &self.summary("create"),
                    &self.subject(key),
                    &e,
                    "Nothing was recorded in the Terraform state; run apply again once the \
                     cause is fixed.",
                    diags,
                );
                return (Value::Null, Vec::new());
            }
            Err(Interrupted::Cancelled) => {
                "Terraform asked the provider to stop while it was on its way".to_string()
            }
            Err(Interrupted::TimedOut) => format!(
                "the create did not finish within its timeout ({})",
                format_duration(timeout)
            ),
        };
        // Graph may hold the partner: ask it (reads lag writes) before saying anything.
        log::warn!("POST of partner configuration for {key}: {unclear}; checking what Graph holds");
        let path = object_path(self.def, key);
        let path = refs(&path);
        let outcome = confirm_object(
            self.stop,
            &format!("partner configuration for {key}"),
            |d| self.api.get(&path, d),
            |found: &Json| written.matches(found),
            || self.window_left(Some(&written)),
            confirm_deadline(deadline, self.consistency_window),
        )
        .await;
        match outcome {
            Confirmed::Ours(found) => {
                log::info!("partner configuration for {key} holds what we sent: created");
                (fill_computed(self.def, planned, &found), written.encode())
            }
            Confirmed::Other(_) => {
                other_partner_exists(key, diags);
                (Value::Null, Vec::new())
            }
            outcome => {
                create_unclear(key, &unclear, &outcome, diags);
                (Value::Null, Vec::new())
            }
        }
    }
}

/// Graph holds a partner configuration for `key` with other settings than we sent.
fn other_partner_exists(key: &str, diags: &mut Diagnostics) {
    diags.attribute_error(
        AttributePath::attrs(["tenant_id"]),
        "Partner configuration already exists",
        format!(
            "Microsoft Graph already holds a partner configuration for tenant {key}, with other \
             settings than this configuration. {}",
            import_hint(PARTNER_TYPE, key)
        ),
    );
}

/// The POST's answer (`unclear`) and the reads after it (`outcome`) did not settle the create.
fn create_unclear<T>(key: &str, unclear: &str, outcome: &Confirmed<T>, diags: &mut Diagnostics) {
    let lost = format!(
        "The request creating the partner configuration for tenant {key} got no clear answer: \
         {unclear}."
    );
    let (summary, what) = match outcome {
        Confirmed::NotVisible { asked_for } => (
            "Could not confirm the partner configuration was created",
            format!(
                "Microsoft Graph's reads do not show it (asked for {}); its reads lag behind \
                 writes, so it may still appear. Nothing was recorded in the Terraform state. \
                 Run terraform plan in a minute: if Graph then reports that the partner \
                 configuration already exists, it is the one this apply created; import it \
                 rather than creating it again.",
                format_duration(*asked_for)
            ),
        ),
        Confirmed::Unknown { why } => (
            "Outcome of the partner configuration create is unknown",
            format!(
                "Graph could not be asked whether it applied the request ({why}). The partner \
                 configuration may exist in Microsoft Graph although nothing was recorded in \
                 the Terraform state. Once Graph is reachable, check it (terraform plan with \
                 the data source, or the Microsoft Entra admin center) and import it if it \
                 exists."
            ),
        ),
        // Settled outcomes are reported by the caller.
        Confirmed::Ours(_) | Confirmed::Other(_) => return,
    };
    diags.attribute_error(
        AttributePath::attrs(["tenant_id"]),
        summary,
        join(&[&lost, &what, &import_hint(PARTNER_TYPE, key)]),
    );
}
