//! Diagnostics for writes whose outcome Graph's answer left unclear, and for reads that lag
//! behind the provider's own writes: what Graph may hold, what the state kept, what to run.

use std::time::Duration;

use crate::plugin::{AttributePath, Diagnostics};

use super::confirm::{Confirmed, Gone};
use super::graph_diagnostics::{format_duration, join, Action};
use super::state::TENANT_ID;

/// Ctrl-C while our PUT was in flight: Graph may have applied it.
pub fn create_cancelled(tenant_id: &str, import_hint: &str, diags: &mut Diagnostics) {
    diags.error(
        "Operation cancelled",
        join(&[
            &format!(
                "Terraform asked the provider to stop while the request creating the identity \
                 synchronization policy for partner tenant {tenant_id} was on its way, so the \
                 policy may exist in Microsoft Graph although nothing was recorded in the \
                 Terraform state."
            ),
            "Run apply again: it checks first. If it reports that the policy already exists, it \
             is the one this apply created; import it:",
            import_hint,
        ]),
    );
}

/// A PUT whose answer did not say whether it applied, and reads that did not settle it.
pub fn create_not_confirmed<T>(
    tenant_id: &str,
    unclear: &str,
    outcome: &Confirmed<T>,
    import_hint: &str,
    diags: &mut Diagnostics,
) {
    let lost = format!(
        "The request creating the identity synchronization policy for partner tenant {tenant_id} \
         got no clear answer: {unclear}."
    );
    let (summary, what, advice) = match outcome {
        Confirmed::NotVisible { asked_for }
            if unclear.contains("Request_MultipleObjectsWithSameKeyValue") =>
        {
            (
                "Identity synchronization policy conflicts with a hidden object",
                format!(
                    "Graph refused the create as a conflict, yet its reads show no policy for the \
                 partner (asked for {}). The policy may have been deleted recently and still be \
                 kept as a deleted item (Graph keeps deleted cross-tenant sync policies for 30 \
                 days, beta API: GET /policies/deletedItems/crossTenantSyncPolicyPartners).",
                    format_duration(*asked_for)
                ),
                format!(
                    "Restore it with POST /policies/deletedItems/crossTenantSyncPolicyPartners/\
                 {tenant_id}/restore and import it, or wait and run apply again. Nothing was \
                 recorded in the Terraform state."
                ),
            )
        }
        Confirmed::NotVisible { asked_for } => (
            "Could not confirm the identity synchronization policy was created",
            format!(
                "Graph's reads do not show the policy (asked for {}), so it was probably not \
                 created. Nothing was recorded in the Terraform state.",
                format_duration(*asked_for)
            ),
            "Run apply again: it checks first. If it then reports that the policy already \
             exists, it is the one this apply created; import it:"
                .to_string(),
        ),
        Confirmed::Unknown { why } => (
            "Outcome of the identity synchronization policy create is unknown",
            format!(
                "Graph could not be asked whether it applied the request ({why}). The policy may \
                 exist in Microsoft Graph although nothing was recorded in the Terraform state."
            ),
            "Run apply again once Graph is reachable: it checks first. If it reports that the \
             policy already exists, it is the one this apply created; import it:"
                .to_string(),
        ),
        // Settled outcomes are not reported here.
        Confirmed::Ours(_) | Confirmed::Other(_) => return,
    };
    diags.attribute_error(
        AttributePath::attrs([TENANT_ID]),
        summary,
        join(&[&lost, &what, &advice, import_hint]),
    );
}

/// A read whose deadline came while Graph still lagged behind our own write: state kept.
pub fn read_lagging(
    tenant_id: &str,
    not_found: bool,
    window_left: Duration,
    timeout: Duration,
    diags: &mut Diagnostics,
) {
    let subject = format!("the identity synchronization policy for partner tenant {tenant_id}");
    read_lagging_of(&subject, not_found, window_left, timeout, diags);
}

/// [`read_lagging`] for any object; `subject` names it ("the ... for partner tenant ...").
pub fn read_lagging_of(
    subject: &str,
    not_found: bool,
    window_left: Duration,
    timeout: Duration,
    diags: &mut Diagnostics,
) {
    let shows = if not_found {
        "still answers 404 (not found)"
    } else {
        "still shows the values from before"
    };
    diags.error(
        Action::Read.summary(),
        join(&[
            &format!(
                "This provider changed {subject} moments ago, and Microsoft Graph {shows}: its \
                 reads lag behind writes. The read timeout ({}) ended before Graph caught up (at \
                 most {} more).",
                format_duration(timeout),
                format_duration(window_left)
            ),
            "The Terraform state keeps what was written; nothing was removed. Run the command \
             again in a moment, or raise the read timeout, e.g. timeouts { read = \"5m\" }.",
        ]),
    );
}

/// Graph accepted our DELETE but its reads did not confirm it.
pub fn delete_not_confirmed(tenant_id: &str, outcome: &Gone, diags: &mut Diagnostics) {
    delete_not_confirmed_of(
        "identity synchronization policy",
        "policy",
        tenant_id,
        outcome,
        diags,
    );
}

/// [`delete_not_confirmed`] for any object under a partner: `noun` in full, `short` for "it".
pub fn delete_not_confirmed_of(
    noun: &str,
    short: &str,
    tenant_id: &str,
    outcome: &Gone,
    diags: &mut Diagnostics,
) {
    match outcome {
        Gone::Confirmed => {}
        Gone::StillVisible { waited } => diags.error(
            format!("Deleted {noun} is still read"),
            format!(
                "Microsoft Graph accepted the delete of the {noun} for partner tenant \
                 {tenant_id}, but its reads still show the {short} after {}. It was removed from \
                 the Terraform state. If this apply replaces the {short}, the new one was not \
                 created yet: run apply again in a minute. If the {short} is still read then, \
                 someone re-created it; import it to manage it.",
                format_duration(*waited)
            ),
        ),
        Gone::Unknown { why } => diags.warning(
            "Delete not confirmed",
            format!(
                "Microsoft Graph accepted the delete of the {noun} for partner tenant \
                 {tenant_id}; reading it back to confirm failed ({why}). It was removed from the \
                 Terraform state."
            ),
        ),
    }
}
