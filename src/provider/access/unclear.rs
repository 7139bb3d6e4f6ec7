//! Diagnostics for a partner create whose answer did not say whether Graph applied it, after
//! reading back what Graph holds: never "run again" while Graph may hold the partner.

use crate::plugin::{AttributePath, Diagnostics};
use crate::provider::confirm::Confirmed;
use crate::provider::graph_diagnostics::{format_duration, join};

use super::defs::PARTNER_TYPE;
use super::ops::import_hint;

/// Graph holds a partner configuration for `key` with other settings than we sent.
pub fn other_partner_exists(key: &str, diags: &mut Diagnostics) {
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
pub fn create_unclear<T>(
    key: &str,
    unclear: &str,
    outcome: &Confirmed<T>,
    diags: &mut Diagnostics,
) {
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
