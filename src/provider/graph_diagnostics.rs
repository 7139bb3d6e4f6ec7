//! Turning Graph errors, timeouts and cancellation into diagnostics users can act on.

use std::time::Duration;

use crate::graph::{GraphError, Secret};
use crate::plugin::{AttributePath, Diagnostics};

use super::auth_errors;
use super::cancellation::Interrupted;
use super::state::TENANT_ID;
use super::timeouts::Operation;

/// What the provider was doing when something failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    Import,
    ReadDataSource,
}

impl Action {
    pub fn summary(self) -> &'static str {
        match self {
            Action::Create => "Could not create identity synchronization policy",
            Action::Read => "Could not read identity synchronization policy",
            Action::Update => "Could not update identity synchronization policy",
            Action::Delete => "Could not delete identity synchronization policy",
            Action::Import => "Could not import identity synchronization policy",
            Action::ReadDataSource => "Could not read identity synchronization policy",
        }
    }

    /// The `timeouts` operation bounding this action, if the user can set one.
    fn timeout_operation(self) -> Option<Operation> {
        match self {
            Action::Create => Some(Operation::Create),
            Action::Read => Some(Operation::Read),
            Action::Update => Some(Operation::Update),
            Action::Delete => Some(Operation::Delete),
            Action::ReadDataSource => Some(Operation::Read),
            Action::Import => None,
        }
    }

    /// What is in state after this action failed, so users know nothing was lost.
    fn state_note(self) -> &'static str {
        match self {
            Action::Create => {
                "Nothing was recorded in the Terraform state; run apply again once the cause is fixed."
            }
            Action::Update => {
                "The Terraform state keeps the previous values, so the next plan shows the change again."
            }
            Action::Delete => {
                "The policy is still in the Terraform state; run destroy or apply again to retry."
            }
            Action::Read | Action::Import | Action::ReadDataSource => "",
        }
    }
}

/// What Graph answered to a failed call on `subject`, and the request-id line (empty without
/// one): the part of a Graph error's detail in Graph's own words. `None` for other errors.
pub(crate) fn api_answer(err: &GraphError, subject: &str) -> Option<(String, String)> {
    let GraphError::Api {
        status,
        code,
        message,
        request_id,
    } = err
    else {
        return None;
    };
    let what = format!("Microsoft Graph answered HTTP {status} ({code}) for {subject}: {message}");
    let request = match request_id {
        Some(id) => format!("request-id: {id} (quote it when opening a support case)"),
        None => String::new(),
    };
    Some((what, request))
}

pub(crate) fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Adds the diagnostic for `err` hit while doing `action` on partner tenant `tenant_id`.
///
/// The detail is what happened, the Graph client's one hint ([`GraphError::summary_hint`]), then
/// the advice only Terraform can give (timeouts, -parallelism, ARM_* variables, what state kept).
pub fn graph_error(action: Action, tenant_id: &str, err: &GraphError, diags: &mut Diagnostics) {
    let hint = err.summary_hint().unwrap_or_default();
    let detail = match err {
        GraphError::Api { status, code, .. } => {
            let subject = format!("partner tenant {tenant_id}");
            let (what, request) = api_answer(err, &subject).unwrap_or_default();
            let advice = api_advice(action, *status, code, tenant_id);
            join(&[&what, &request, &hint, &advice, action.state_note()])
        }
        GraphError::Token { error, description } => {
            let code = err
                .aadsts_code()
                .map(|c| format!("Microsoft Entra error {c}. "))
                .unwrap_or_default();
            join(&[
                &format!("The sign-in to Microsoft Entra failed: {error}: {description}"),
                &format!("{code}{hint}"),
                SETTINGS_ADVICE,
                action.state_note(),
            ])
        }
        GraphError::NoCredential { tried } => {
            let list = tried
                .iter()
                .map(|t| format!("  - {}", auth_errors::tried_line(t)))
                .collect::<Vec<_>>()
                .join("\n");
            join(&[
                &format!("No credential could be used to sign in. Tried:\n{list}"),
                &hint,
                SETTINGS_ADVICE,
                action.state_note(),
            ])
        }
        GraphError::Config { .. } | GraphError::InvalidSetting { .. } => join(&[
            &format!(
                "The provider configuration cannot be used: {}",
                auth_errors::describe(err)
            ),
            &hint,
            action.state_note(),
        ]),
        GraphError::Transport { message } => join(&[
            &format!(
                "Microsoft Graph could not be reached: {message}. The request was retried until \
                 its timeout."
            ),
            &hint,
            "Proxies are taken from HTTPS_PROXY / NO_PROXY, extra trusted CA certificates from \
             SSL_CERT_FILE. Run again once it is reachable.",
            action.state_note(),
        ]),
        GraphError::Decode { message } => join(&[
            &format!("Microsoft Graph's answer could not be understood: {message}"),
            &hint,
            "If it persists, report it with a TF_LOG=debug log.",
            action.state_note(),
        ]),
        GraphError::Incomplete { field, message } => join(&[
            &format!("Microsoft Graph's answer lacks a value: {message}."),
            &hint,
            &format!(
                "Give the policy a value for {field} (in the Microsoft Entra admin center, or \
                 with PATCH /policies/crossTenantAccessPolicy/partners/{tenant_id}/\
                 identitySynchronization and a body such as {{\"userSyncInbound\": \
                 {{\"isSyncAllowed\": false}}}}), or stop managing it with Terraform: remove \
                 the resource from the configuration and run `terraform state rm` on it."
            ),
            action.state_note(),
        ]),
        GraphError::DeadlineExceeded { .. } => deadline_detail(action, err),
    };
    if action == Action::Create && matches!(err, GraphError::Api { status: 404, .. }) {
        // A PUT answering 404: the partner configuration named by tenant_id is missing.
        diags.attribute_error(
            AttributePath::attrs([TENANT_ID]),
            "Partner configuration not found",
            detail,
        );
    } else {
        diags.error(action.summary(), detail);
    }
}

/// Where the sign-in settings the Graph client's hints name are set.
const SETTINGS_ADVICE: &str =
    "Set them in the provider block or through the matching ARM_* environment variables.";

/// Advice for an HTTP status that depends on what the provider was doing; the generic advice is
/// the Graph client's hint.
fn api_advice(action: Action, status: u16, code: &str, tenant_id: &str) -> String {
    match status {
        404 => match action {
            Action::Create => partner_missing_advice(tenant_id),
            Action::Update => format!(
                "The identity synchronization policy for partner tenant {tenant_id} no longer \
                 exists; it was probably deleted outside Terraform. Run plan again: the refresh \
                 removes it from state and plans to create it."
            ),
            _ => format!(
                "There is no identity synchronization policy for partner tenant {tenant_id}."
            ),
        },
        400 => "Graph refused the request. Check the values in the configuration.".into(),
        409 if code == "Request_MultipleObjectsWithSameKeyValue" => format!(
            "Graph holds a conflicting object for partner tenant {tenant_id}: the identity \
             synchronization policy exists already."
        ),
        409 => {
            "Another change to the cross-tenant access policy was in progress; run again.".into()
        }
        // Retried until the timeout.
        429 | 503 | 504 => format!(
            "{} Lowering -parallelism eases throttling too.",
            raise_timeout(action)
        ),
        _ => String::new(),
    }
}

/// Detail for a PUT answering 404: the partner configuration the policy lives under is missing.
fn partner_missing_advice(tenant_id: &str) -> String {
    format!(
        "The partner configuration for tenant {tenant_id} does not exist, and the identity \
         synchronization policy lives under it. Create the partner first: in the Microsoft Entra \
         admin center under External Identities > Cross-tenant access settings > Add \
         organization, or with\n  POST /policies/crossTenantAccessPolicy/partners\n  \
         {{\"tenantId\": \"{tenant_id}\"}}\nthen run apply again."
    )
}

/// How to give `action` more time: its `timeouts` attribute, when the user can set one.
fn raise_timeout(action: Action) -> String {
    match action.timeout_operation().map(Operation::attribute) {
        Some(attr) => {
            format!("Raise the timeout, e.g. timeouts {{ {attr} = \"20m\" }}, and run again.")
        }
        None => "Run again.".into(),
    }
}

/// Detail for a deadline: what ran out, the Graph client's hint, and which timeout to raise.
fn deadline_detail(action: Action, err: &GraphError) -> String {
    join(&[
        &format!("{err}."),
        &err.summary_hint().unwrap_or_default(),
        &raise_timeout(action),
        action.state_note(),
    ])
}

/// Adds the diagnostic for a call interrupted by Ctrl-C or its timeout.
pub fn interrupted(action: Action, why: Interrupted, timeout: Duration, diags: &mut Diagnostics) {
    match why {
        Interrupted::Cancelled => diags.error(
            "Operation cancelled",
            join(&[
                "Terraform asked the provider to stop, so the request to Microsoft Graph was \
                 abandoned.",
                action.state_note(),
            ]),
        ),
        Interrupted::TimedOut => {
            let err = GraphError::DeadlineExceeded {
                operation: format!("The operation (timeout {})", format_duration(timeout)),
            };
            diags.error(action.summary(), deadline_detail(action, &err));
        }
    }
}

/// A duration as Go prints it ("10m0s" becomes "10m", "1h30m").
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Replaces every occurrence of a secret in diagnostics with a marker: a last line of defence
/// should a lower layer ever echo one.
pub fn redact(diags: &mut Diagnostics, secrets: &[Secret]) {
    for d in diags.0.iter_mut() {
        for secret in secrets
            .iter()
            .map(|s| s.expose().to_string())
            .filter(|s| s.len() >= 4)
        {
            if d.detail.contains(secret.as_str()) {
                d.detail = d.detail.replace(secret.as_str(), "<redacted>");
            }
            if d.summary.contains(secret.as_str()) {
                d.summary = d.summary.replace(secret.as_str(), "<redacted>");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";

    fn one(action: Action, err: GraphError) -> (String, String) {
        let mut diags = Diagnostics::new();
        graph_error(action, TID, &err, &mut diags);
        assert_eq!(diags.0.len(), 1);
        assert!(diags.has_errors());
        (diags.0[0].summary.clone(), diags.0[0].detail.clone())
    }

    #[test]
    fn forbidden_names_the_permission_the_role_and_the_request_id() {
        let (summary, detail) = one(
            Action::Update,
            GraphError::Api {
                status: 403,
                code: "Authorization_RequestDenied".into(),
                message: "Insufficient privileges to complete the operation.".into(),
                request_id: Some("abc-123".into()),
            },
        );
        assert_eq!(summary, "Could not update identity synchronization policy");
        for want in [
            "HTTP 403",
            "Authorization_RequestDenied",
            "Insufficient privileges",
            "request-id: abc-123",
            "Policy.ReadWrite.CrossTenantAccess",
            "Security Administrator",
            "keeps the previous values",
        ] {
            assert!(detail.contains(want), "missing {want:?} in {detail}");
        }
    }

    #[test]
    fn create_404_explains_the_missing_partner() {
        let (summary, detail) = one(
            Action::Create,
            GraphError::Api {
                status: 404,
                code: "Request_ResourceNotFound".into(),
                message: "not found".into(),
                request_id: None,
            },
        );
        assert_eq!(summary, "Partner configuration not found");
        assert!(detail.contains("partner configuration"));
        assert!(detail.contains("POST /policies/crossTenantAccessPolicy/partners"));
        assert!(detail.contains(&format!("{{\"tenantId\": \"{TID}\"}}")));
        assert!(!detail.contains("request-id"));
    }

    #[test]
    fn token_errors_show_the_aadsts_code_and_text() {
        let (summary, detail) = one(
            Action::Read,
            GraphError::Token {
                error: "invalid_client".into(),
                description: "AADSTS7000215: Invalid client secret provided.".into(),
            },
        );
        assert_eq!(summary, "Could not read identity synchronization policy");
        assert!(detail.contains("Microsoft Entra error AADSTS7000215"));
        assert!(detail.contains("Invalid client secret provided."));
        assert!(
            detail.contains("use the secret's value, not its ID"),
            "{detail}"
        );
    }

    #[test]
    fn no_credential_lists_what_was_tried() {
        let (_, detail) = one(
            Action::Create,
            GraphError::NoCredential {
                tried: vec![
                    crate::graph::Tried {
                        credential: crate::graph::CredentialKind::Secret,
                        skipped: crate::graph::Skipped::Missing(vec![
                            crate::graph::Setting::ClientId,
                        ]),
                    },
                    crate::graph::Tried {
                        credential: crate::graph::CredentialKind::AzureCli,
                        skipped: crate::graph::Skipped::Failed("az not found".into()),
                    },
                ],
            },
        );
        assert!(
            detail.contains(
                "  - client secret: configured, but client_id is also needed\n  - Azure CLI: az \
                 not found"
            ),
            "{detail}"
        );
        assert!(detail.contains("Nothing was recorded"));
    }

    #[test]
    fn deadline_points_at_the_timeouts_block() {
        let (_, detail) = one(
            Action::Delete,
            GraphError::DeadlineExceeded {
                operation: "DELETE identitySynchronization".into(),
            },
        );
        assert!(detail.contains("timeouts { delete = \"20m\" }"), "{detail}");
    }

    fn api(status: u16) -> GraphError {
        GraphError::Api {
            status,
            code: "Code".into(),
            message: "Graph's message".into(),
            request_id: Some("rid-1".into()),
        }
    }

    #[test]
    fn the_graph_hint_appears_once_next_to_terraform_advice() {
        for err in [
            api(401),
            api(403),
            api(429),
            api(500),
            GraphError::Transport {
                message: "connection reset".into(),
            },
            GraphError::Decode {
                message: "not JSON".into(),
            },
            GraphError::NoCredential { tried: vec![] },
            GraphError::DeadlineExceeded {
                operation: "PATCH identitySynchronization".into(),
            },
        ] {
            let hint = err.summary_hint().expect("every one of these has a hint");
            let (_, detail) = one(Action::Update, err.clone());
            assert_eq!(detail.matches(&hint).count(), 1, "{err:?}: {detail}");
        }
    }

    #[test]
    fn throttling_adds_the_timeouts_block_and_parallelism() {
        let (_, detail) = one(Action::Create, api(429));
        for want in [
            "HTTP 429",
            "Graph's message",
            "request-id: rid-1",
            "kept throttling",
            "timeouts { create = \"20m\" }",
            "-parallelism",
            "Nothing was recorded",
        ] {
            assert!(detail.contains(want), "missing {want:?} in {detail}");
        }
        // No timeouts block to point at for an import.
        let (_, detail) = one(Action::Import, api(503));
        assert!(detail.contains("-parallelism"), "{detail}");
        assert!(!detail.contains("timeouts {"), "{detail}");
    }

    #[test]
    fn transport_decode_and_credentials_keep_their_terraform_advice() {
        let (_, detail) = one(
            Action::Read,
            GraphError::Transport {
                message: "connection reset".into(),
            },
        );
        assert!(detail.contains("connection reset"), "{detail}");
        assert!(detail.contains("HTTPS_PROXY"), "{detail}");
        let (_, detail) = one(
            Action::Read,
            GraphError::Decode {
                message: "not JSON".into(),
            },
        );
        assert!(detail.contains("TF_LOG=debug"), "{detail}");
        let (_, detail) = one(Action::Read, GraphError::NoCredential { tried: vec![] });
        assert!(detail.contains("az login"), "{detail}");
        assert!(detail.contains("ARM_*"), "{detail}");
    }

    #[test]
    fn cancellation_says_so() {
        let mut diags = Diagnostics::new();
        interrupted(
            Action::Create,
            Interrupted::Cancelled,
            Duration::from_secs(600),
            &mut diags,
        );
        assert_eq!(diags.0[0].summary, "Operation cancelled");
        let mut diags = Diagnostics::new();
        interrupted(
            Action::Read,
            Interrupted::TimedOut,
            Duration::from_secs(300),
            &mut diags,
        );
        assert!(diags.0[0].detail.contains("timeout 5m"));
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(format_duration(Duration::from_secs(600)), "10m");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::from_millis(300)), "300ms");
    }

    #[test]
    fn secrets_are_redacted() {
        let mut diags = Diagnostics::new();
        diags.error("x", "the secret s3cr3t-value leaked");
        redact(&mut diags, &[Secret::new("s3cr3t-value")]);
        assert_eq!(diags.0[0].detail, "the secret <redacted> leaked");
    }
}
