//! The Entra token endpoint (`POST /{tenant}/oauth2/v2.0/token`, client credentials grant) and
//! access token issuance for every flow.

use std::time::Instant;

use hyper::Method;
use serde_json::json;

use crate::assertion::{self, Expected};
use crate::jwt::{now_unix, sign_hs256};
use crate::reply::{self, Req, Resp};
use crate::simulator::{IssuedToken, Sim};
use crate::state::{LiveToken, State};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Issues an access token; returns it with its `expires_in` seconds.
pub(crate) fn issue(
    state: &mut State,
    tenant: &str,
    client_id: &str,
    scope: &str,
    flow: &str,
) -> (String, u64) {
    let lifetime = state.token_lifetime;
    let now = now_unix();
    let exp = now.saturating_add(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX));
    let audience = scope.strip_suffix("/.default").unwrap_or(scope);
    let claims = json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{tenant}/"),
        "iat": now,
        "nbf": now,
        "exp": exp,
        "appid": client_id,
        "idtyp": "app",
        "oid": uuid::Uuid::new_v4().to_string(),
        "roles": ["Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess"],
        "sub": client_id,
        "tid": tenant,
        "ver": "1.0",
        "uti": uuid::Uuid::new_v4().to_string(),
    });
    let token = sign_hs256(&state.keys.access_key, "sim-access", &claims);
    let info = IssuedToken {
        access_token: token.clone(),
        tenant_id: tenant.to_owned(),
        client_id: client_id.to_owned(),
        scope: scope.to_owned(),
        flow: flow.to_owned(),
        expires_at: std::time::SystemTime::now() + lifetime,
    };
    state.tokens.insert(
        token.clone(),
        LiveToken {
            info: info.clone(),
            expires: Instant::now() + lifetime,
        },
    );
    state.issued.push(info);
    (token, lifetime.as_secs())
}

fn missing(name: &str) -> Resp {
    reply::entra_error(
        400,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{name}'."),
    )
}

pub(crate) fn handle(sim: &Sim, req: &Req, tenant: &str) -> Resp {
    if req.method != Method::POST {
        return reply::entra_error(
            400,
            "invalid_request",
            900561,
            &format!(
                "The endpoint only accepts POST requests. Received a {} request.",
                req.method
            ),
        );
    }
    let Some(grant_type) = req.form_field("grant_type") else {
        return missing("grant_type");
    };
    if grant_type != "client_credentials" {
        return reply::entra_error(
            400,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{grant_type}'."),
        );
    }
    let Some(client_id) = req.form_field("client_id") else {
        return missing("client_id");
    };
    let Some(scope) = req.form_field("scope") else {
        return missing("scope");
    };
    if !scope.ends_with("/.default") || scope.contains(' ') {
        return reply::entra_error(
            400,
            "invalid_scope",
            1002012,
            &format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
        );
    }
    let secret = req.form_field("client_secret");
    let assertion = req.form_field("client_assertion");
    let (app, federation_key, base_url) = {
        let state = sim.lock();
        if !state.tenant_known(tenant) {
            drop(state);
            return reply::entra_error(
                400,
                "invalid_request",
                90002,
                &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."),
            );
        }
        (
            state.app(tenant, &client_id).cloned(),
            state.keys.federation_key.clone(),
            state.base_url.clone(),
        )
    };
    let Some(app) = app else {
        return reply::entra_error(
            400,
            "unauthorized_client",
            700016,
            &format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."),
        );
    };
    let flow = match (secret, assertion) {
        (Some(_), Some(_)) => {
            return reply::entra_error(
                400,
                "invalid_request",
                90023,
                "Only one client credential may be presented: 'client_secret' or 'client_assertion'.",
            )
        }
        (None, None) => {
            return reply::entra_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        }
        (Some(secret), None) => {
            if !app.secrets.contains(&secret) {
                return reply::entra_error(
                    401,
                    "invalid_client",
                    7000215,
                    &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."),
                );
            }
            "client_secret"
        }
        (None, Some(assertion)) => {
            let assertion_type = req.form_field("client_assertion_type").unwrap_or_default();
            if assertion_type != JWT_BEARER {
                return reply::entra_error(
                    400,
                    "invalid_request",
                    50027,
                    &format!("Invalid client_assertion_type '{assertion_type}'. Expected '{JWT_BEARER}'."),
                );
            }
            let mut token_urls = vec![format!("{}/{tenant}/oauth2/v2.0/token", req.origin())];
            if let Some(base) = base_url {
                token_urls.push(format!("{base}/{tenant}/oauth2/v2.0/token"));
            }
            let token_urls: Vec<String> = token_urls
                .into_iter()
                .map(|u| u.to_ascii_lowercase())
                .collect();
            let expected = Expected {
                client_id: &client_id,
                app: &app,
                federation_key: &federation_key,
                token_urls: &token_urls,
            };
            match assertion::verify(&assertion, &expected) {
                Ok(flow) => flow,
                Err(r) => {
                    let status = if r.error == "invalid_client" { 401 } else { 400 };
                    return reply::entra_error(status, r.error, r.code, &r.description);
                }
            }
        }
    };
    let (token, expires_in) = issue(&mut sim.lock(), tenant, &client_id, &scope, flow);
    reply::json(
        200,
        &json!({
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": token,
        }),
    )
}
