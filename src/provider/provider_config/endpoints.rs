//! Which endpoint hosts the provider block may name: those of the selected cloud, loopback,
//! the instance metadata service for managed identity, or hosts the environment names too.

use crate::graph::{is_loopback_host, url_host, Cloud};
use crate::plugin::{AttributePath, Diagnostics};

use super::{Resolver, ARGS};

/// The opt-in that lets the provider block name endpoint hosts outside the selected cloud.
pub const ALLOW_CUSTOM_ENDPOINTS_ENV: &str = "ARM_ALLOW_CUSTOM_ENDPOINTS";

/// The managed identity endpoint host of Azure VMs (the instance metadata service).
const IMDS_HOST: &str = "169.254.169.254";

impl Resolver<'_> {
    /// Checks every endpoint argument against the `selected` cloud.
    pub(super) fn check_endpoint_origins(
        &self,
        selected: &Cloud,
        environment: &str,
        diags: &mut Diagnostics,
    ) {
        let allow_custom = self.env_flag(ALLOW_CUSTOM_ENDPOINTS_ENV, diags);
        for (name, cloud_host) in [
            ("graph_endpoint", url_host(&selected.graph_endpoint)),
            ("authority_host", url_host(&selected.authority_host)),
            ("msi_endpoint", Some(IMDS_HOST.to_string())),
            ("oidc_request_url", None),
        ] {
            self.check_endpoint_origin(
                name,
                cloud_host.as_deref(),
                allow_custom,
                environment,
                diags,
            );
        }
    }

    /// An endpoint written in the provider block may point outside the selected cloud only when
    /// the environment names the same host or opts in: otherwise a configuration change (a pull
    /// request's `plan` in CI) could send the environment's secrets to any host.
    fn check_endpoint_origin(
        &self,
        name: &str,
        cloud_host: Option<&str>,
        allow_custom: bool,
        environment: &str,
        diags: &mut Diagnostics,
    ) {
        let Some(value) = self.argument(name) else {
            return;
        };
        let Some(host) = url_host(&value) else {
            return; // Not a URL: the endpoint rules report it.
        };
        if allow_custom || is_loopback_host(&host) || cloud_host == Some(host.as_str()) {
            return;
        }
        let env_vars: Vec<&str> = ARGS
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.env.to_vec())
            .unwrap_or_default()
            .into_iter()
            .chain(match name {
                "oidc_request_url" => vec!["SYSTEM_OIDCREQUESTURI"],
                _ => vec![],
            })
            .collect();
        let named_by_env = env_vars
            .iter()
            .filter_map(|var| self.env_var(var))
            .any(|v| url_host(&v).as_deref() == Some(host.as_str()));
        if named_by_env {
            return;
        }
        diags.attribute_error(
            AttributePath::attrs([name]),
            "Endpoint outside the selected cloud",
            format!(
                "{name} names the host {host}, which is not part of the {environment} cloud. \
                 The provider would send it credentials taken from the environment (such as \
                 ARM_CLIENT_SECRET or a pipeline's OIDC request token), so a host outside the \
                 cloud is accepted from the provider block only when the environment names the \
                 same host ({}) or sets {ALLOW_CUSTOM_ENDPOINTS_ENV}=true.",
                env_vars.join(", ")
            ),
        );
    }
}
