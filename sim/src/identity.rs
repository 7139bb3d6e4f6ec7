//! Workload identity endpoints: Azure IMDS and App Service managed identity, and the GitHub
//! Actions and Azure DevOps OIDC token endpoints that mint federated assertions.

use hyper::Method;
use serde_json::json;

use crate::jwt::now_unix;
use crate::reply::{self, Req, Resp};
use crate::simulator::Sim;

fn msi_error(status: u16, error: &str, description: &str) -> Resp {
    reply::json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

/// The managed identity a request names (`client_id`), or the system-assigned one.
fn managed_identity(sim: &Sim, req: &Req) -> Result<String, Box<Resp>> {
    match req.query_param("client_id") {
        None => Ok(crate::MSI_CLIENT_ID.to_owned()),
        Some(id)
            if sim
                .lock()
                .managed_identities
                .contains(&id.to_ascii_lowercase()) =>
        {
            Ok(id)
        }
        Some(_) => Err(Box::new(msi_error(
            400,
            "invalid_request",
            "Identity not found",
        ))),
    }
}

fn msi_token(sim: &Sim, req: &Req, flow: &str, api_version: &str) -> Resp {
    if req.method != Method::GET {
        return msi_error(405, "invalid_request", "Only GET is supported.");
    }
    if req.query_param("api-version").as_deref() != Some(api_version) {
        return msi_error(
            400,
            "invalid_request",
            "Required query variable 'api-version' is missing or unsupported",
        );
    }
    let Some(resource) = req.query_param("resource").filter(|r| !r.is_empty()) else {
        return msi_error(
            400,
            "invalid_request",
            "Required audience parameter not specified",
        );
    };
    let client_id = match managed_identity(sim, req) {
        Ok(id) => id,
        Err(resp) => return *resp,
    };
    let (token, expires_in) = crate::token::issue(
        &mut sim.lock(),
        crate::TENANT_ID,
        &client_id,
        &resource,
        flow,
    );
    let now = now_unix();
    let expires_on = now.saturating_add(i64::try_from(expires_in).unwrap_or(i64::MAX));
    reply::json(
        200,
        &json!({
            "access_token": token,
            "client_id": client_id,
            "expires_in": expires_in.to_string(),
            "expires_on": expires_on.to_string(),
            "ext_expires_in": expires_in.to_string(),
            "not_before": now.to_string(),
            "resource": resource,
            "token_type": "Bearer",
        }),
    )
}

/// `GET /metadata/identity/oauth2/token`: needs `Metadata: true`, as IMDS does.
pub(crate) fn imds(sim: &Sim, req: &Req) -> Resp {
    if !req
        .header("metadata")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return msi_error(
            400,
            "invalid_request",
            "Required metadata header not specified",
        );
    }
    msi_token(sim, req, "imds", "2018-02-01")
}

/// `GET /msi/token`: needs `X-IDENTITY-HEADER`, as App Service does.
pub(crate) fn app_service(sim: &Sim, req: &Req) -> Resp {
    let expected = sim.identity_header();
    if req.header("x-identity-header") != Some(expected.as_str()) {
        return reply::json(
            401,
            &json!({"statusCode": 401, "message": "Unauthorized: the X-IDENTITY-HEADER header is missing or wrong."}),
        );
    }
    msi_token(sim, req, "app_service", "2019-08-01")
}

fn bearer_matches(req: &Req, expected: &str) -> bool {
    req.bearer() == Some(expected)
}

/// `GET /github/oidc?audience=...` with the request token: `{"value": jwt}`.
pub(crate) fn github(sim: &Sim, req: &Req) -> Resp {
    if req.method != Method::GET {
        return reply::json(405, &json!({"message": "Method not allowed"}));
    }
    if !bearer_matches(req, &sim.github_request_token()) {
        return reply::json(401, &json!({"message": "Bad credentials"}));
    }
    // Without an audience GitHub uses the repository owner's URL, which Entra then refuses.
    let audience = req
        .query_param("audience")
        .unwrap_or_else(|| "https://github.com/contoso".to_owned());
    let token = sim.mint_federated(crate::GITHUB_SUBJECT, &audience);
    reply::json(200, &json!({"count": 1, "value": token}))
}

/// `POST /ado/oidc?api-version=7.1&serviceConnectionId=ID` with the job token: `{"oidcToken": jwt}`.
pub(crate) fn ado(sim: &Sim, req: &Req) -> Resp {
    if req.method != Method::POST {
        return reply::json(405, &json!({"message": "Method not allowed"}));
    }
    if !bearer_matches(req, &sim.ado_access_token()) {
        return reply::json(
            401,
            &json!({"message": "TF400813: The user is not authorized to access this resource."}),
        );
    }
    let Some(connection) = req
        .query_param("serviceConnectionId")
        .filter(|c| !c.is_empty())
    else {
        return reply::json(
            400,
            &json!({"message": "The serviceConnectionId query parameter is required."}),
        );
    };
    let subject = format!("{}{connection}", crate::ADO_SUBJECT_PREFIX);
    let token = sim.mint_federated(&subject, crate::FEDERATION_AUDIENCE);
    reply::json(200, &json!({"oidcToken": token}))
}
