//! Graph routes: partner configurations and their identitySynchronization object, with Graph's
//! semantics (PUT creates and answers 409 when the policy exists, PATCH merges, 404/400/405
//! where Graph gives them).

use hyper::Method;
use serde_json::{json, Map, Value};

use crate::access_routes;
use crate::reply::{self, Req, Resp};
use crate::simulator::Sim;

const PARTNERS: [&str; 3] = ["policies", "crossTenantAccessPolicy", "partners"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    Beta,
}

impl Version {
    fn as_str(self) -> &'static str {
        match self {
            Version::V1 => "v1.0",
            Version::Beta => "beta",
        }
    }
}

pub(crate) fn handle(sim: &Sim, req: &Req) -> Resp {
    let mut segments = req.path.split('/').filter(|s| !s.is_empty());
    let version = match segments.next() {
        Some("v1.0") => Version::V1,
        _ => Version::Beta,
    };
    let segments: Vec<&str> = segments.collect();
    if let Err(resp) = authenticate(sim, req) {
        return *resp;
    }
    let is_default = segments.len() >= 3
        && segments
            .iter()
            .zip(["policies", "crossTenantAccessPolicy", "default"])
            .all(|(s, p)| s.eq_ignore_ascii_case(p));
    if is_default {
        return access_routes::default_settings(sim, req, version.as_str(), &segments[3..]);
    }
    let is_partners = segments.len() >= 3
        && segments
            .iter()
            .zip(PARTNERS)
            .all(|(s, p)| s.eq_ignore_ascii_case(p));
    if !is_partners {
        let segment = segments.first().copied().unwrap_or("");
        return reply::graph_error(
            req,
            400,
            "BadRequest",
            &format!("Resource not found for the segment '{segment}'."),
        );
    }
    match &segments[3..] {
        [] => access_routes::partners_collection(sim, req, version.as_str()),
        [tenant] => match parse_tenant(req, tenant) {
            Ok(tenant) => access_routes::partner(sim, req, version.as_str(), &tenant),
            Err(resp) => *resp,
        },
        [tenant, leaf] if leaf.eq_ignore_ascii_case("identitySynchronization") => {
            match parse_tenant(req, tenant) {
                Ok(tenant) => identity_sync(sim, req, version, &tenant),
                Err(resp) => *resp,
            }
        }
        [_, leaf, ..] => reply::graph_error(
            req,
            400,
            "BadRequest",
            &format!("Resource not found for the segment '{leaf}'."),
        ),
    }
}

/// Bearer token issued by this simulator and not expired.
fn authenticate(sim: &Sim, req: &Req) -> Result<(), Box<Resp>> {
    let unauthorized = |message: &str| {
        let mut resp = Box::new(reply::graph_error(
            req,
            401,
            "InvalidAuthenticationToken",
            message,
        ));
        resp.headers_mut().insert(
            "www-authenticate",
            hyper::header::HeaderValue::from_static(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\"",
            ),
        );
        resp
    };
    let Some(token) = req.bearer() else {
        return Err(unauthorized("Access token is empty."));
    };
    let state = sim.lock();
    match state.tokens.get(token) {
        None if !token.contains('.') => Err(unauthorized(
            "IDX14100: JWT is not well formed, there are no dots (.).",
        )),
        None => Err(unauthorized("Invalid signature.")),
        Some(t) if std::time::Instant::now() >= t.expires => Err(unauthorized(
            "Lifetime validation failed, the token is expired.",
        )),
        Some(_) => Ok(()),
    }
}

/// A GUID in any case, returned lower-case; anything else is Graph's 400.
fn parse_tenant(req: &Req, raw: &str) -> Result<String, Box<Resp>> {
    let decoded: String = form_urlencoded::parse(format!("x={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if is_guid(&decoded) {
        Ok(decoded.to_ascii_lowercase())
    } else {
        Err(Box::new(reply::graph_error(
            req,
            400,
            "Request_BadRequest",
            &format!("Invalid object identifier '{decoded}'."),
        )))
    }
}

pub(crate) fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub(crate) fn not_found(req: &Req, what: &str) -> Resp {
    reply::graph_error(
        req,
        404,
        "Request_ResourceNotFound",
        &format!("Resource '{what}' does not exist or one of its queried reference-property objects are not present."),
    )
}

/// A partner without a sync policy. Microsoft's cross-tenant synchronization troubleshooting page
/// shows this answer for PATCH; for GET and DELETE the documentation names no code, so using the
/// same one there is an assumption (the provider treats every 404 alike).
fn policy_not_found(req: &Req) -> Resp {
    reply::graph_error(
        req,
        404,
        "Directory_ObjectNotFound",
        "Unable to read the company information from the directory.",
    )
}

/// PUT on a partner that already has a policy (Microsoft's cross-tenant synchronization
/// troubleshooting page), with the `ConflictingObjects` detail Graph adds.
fn policy_conflict(req: &Req) -> Resp {
    let message = "A conflicting object with one or more of the specified property values is present in the directory.";
    let mut body = reply::graph_error_body(req, "Request_MultipleObjectsWithSameKeyValue", message);
    if let Some(error) = body.get_mut("error").and_then(Value::as_object_mut) {
        error.insert(
            "details".into(),
            json!([{"code": "ConflictingObjects", "message": message, "target": "crossTenantIdentitySyncPolicyPartner"}]),
        );
    }
    reply::graph_json(409, &body)
}

fn method_not_allowed(req: &Req) -> Resp {
    let mut resp = reply::graph_error(
        req,
        405,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    );
    resp.headers_mut().insert(
        "allow",
        hyper::header::HeaderValue::from_static("GET, PUT, PATCH, DELETE"),
    );
    resp
}

fn identity_sync(sim: &Sim, req: &Req, version: Version, tenant: &str) -> Resp {
    let path_name =
        format!("policies/crossTenantAccessPolicy/partners('{tenant}')/identitySynchronization");
    match req.method {
        Method::GET => {
            let stored = {
                let state = sim.lock();
                if !state.partner_exists(tenant) {
                    None
                } else {
                    Some(state.partners.get(tenant).and_then(|p| p.policy.clone()))
                }
            };
            let policy = match stored {
                None => return not_found(req, tenant),
                Some(None) => return policy_not_found(req),
                Some(Some(policy)) => policy,
            };
            let mut body = Map::new();
            body.insert(
                "@odata.context".into(),
                Value::String(format!(
                    "{}/{}/$metadata#{path_name}/$entity",
                    req.origin(),
                    version.as_str()
                )),
            );
            match policy {
                Value::Object(fields) => {
                    for (k, v) in fields {
                        if version == Version::V1 && k == "groupSyncInbound" {
                            continue;
                        }
                        body.insert(k, v);
                    }
                    if version == Version::Beta && body.contains_key("userSyncInbound") {
                        body.entry("groupSyncInbound").or_insert(Value::Null);
                    }
                }
                other => {
                    body.insert("value".into(), other);
                }
            }
            reply::graph_json(200, &Value::Object(body))
        }
        Method::PUT | Method::PATCH => {
            let is_put = req.method == Method::PUT;
            let fields = match validate_body(req, version, tenant, is_put) {
                Ok(fields) => fields,
                Err(resp) => return *resp,
            };
            {
                let mut state = sim.lock();
                if !state.partner_exists(tenant) {
                    drop(state);
                    return not_found(req, tenant);
                }
                let current = state.partners.get(tenant).and_then(|p| p.policy.clone());
                let new = match (is_put, current) {
                    // Microsoft's cross-tenant synchronization troubleshooting page: a PUT on a
                    // partner that already has a policy answers this 409; PUT never replaces.
                    (true, Some(_)) => {
                        drop(state);
                        return policy_conflict(req);
                    }
                    (true, None) => {
                        let mut obj = Map::new();
                        obj.insert("tenantId".into(), Value::String(tenant.to_owned()));
                        obj.insert("displayName".into(), Value::Null);
                        obj.extend(fields);
                        Value::Object(obj)
                    }
                    (false, Some(Value::Object(mut obj))) => {
                        obj.extend(fields);
                        Value::Object(obj)
                    }
                    (false, _) => {
                        drop(state);
                        return policy_not_found(req);
                    }
                };
                state.partners.entry(tenant.to_owned()).or_default().policy = Some(new);
            }
            sim.persist();
            reply::empty(204)
        }
        Method::DELETE => {
            let outcome = {
                let mut state = sim.lock();
                if !state.partner_exists(tenant) {
                    None
                } else {
                    Some(state.delete_policy(tenant))
                }
            };
            match outcome {
                None => not_found(req, tenant),
                Some(false) => policy_not_found(req),
                Some(true) => {
                    sim.persist();
                    reply::empty(204)
                }
            }
        }
        _ => method_not_allowed(req),
    }
}

fn invalid_json(req: &Req, e: &serde_json::Error) -> Resp {
    reply::graph_error(
        req,
        400,
        "BadRequest",
        &format!("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format. ({e})"),
    )
}

/// Checks a PUT/PATCH body; returns the properties to store (tenantId excluded).
fn validate_body(
    req: &Req,
    version: Version,
    tenant: &str,
    is_put: bool,
) -> Result<Map<String, Value>, Box<Resp>> {
    let bad =
        |message: String| Box::new(reply::graph_error(req, 400, "Request_BadRequest", &message));
    let body: Value =
        serde_json::from_slice(&req.body).map_err(|e| Box::new(invalid_json(req, &e)))?;
    let Value::Object(body) = body else {
        return Err(bad("The request body must be a JSON object.".into()));
    };
    let mut fields = Map::new();
    for (key, value) in body {
        match key.as_str() {
            k if k.starts_with("@odata.") => {}
            "tenantId" => match value.as_str() {
                Some(t) if t.eq_ignore_ascii_case(tenant) => {}
                _ => {
                    return Err(bad(format!(
                        "The tenantId in the request body ({value}) does not match the partner tenant '{tenant}' in the URL."
                    )))
                }
            },
            "displayName" => {
                if !(value.is_string() || value.is_null()) {
                    return Err(bad(format!(
                        "Invalid value specified for property 'displayName': {value}."
                    )));
                }
                fields.insert(key, value);
            }
            "userSyncInbound" => {
                check_sync_inbound(&key, &value).map_err(bad)?;
                fields.insert(key, value);
            }
            "groupSyncInbound" if version == Version::Beta => {
                if !value.is_null() {
                    check_sync_inbound(&key, &value).map_err(bad)?;
                }
                fields.insert(key, value);
            }
            _ => {
                return Err(bad(format!(
                    "Invalid property '{key}'. The property does not exist on type 'microsoft.graph.crossTenantIdentitySyncPolicyPartner'."
                )))
            }
        }
    }
    if is_put && !fields.contains_key("userSyncInbound") {
        return Err(bad("The property 'userSyncInbound' is required.".into()));
    }
    Ok(fields)
}

fn check_sync_inbound(key: &str, value: &Value) -> Result<(), String> {
    let Some(obj) = value.as_object() else {
        return Err(format!(
            "Invalid value specified for property '{key}': {value}. Expected an object with a Boolean 'isSyncAllowed'."
        ));
    };
    for (k, v) in obj {
        match k.as_str() {
            "isSyncAllowed" if v.is_boolean() => {}
            "isSyncAllowed" => {
                return Err(format!(
                    "Invalid value specified for property '{key}.isSyncAllowed': {v}. Expected a Boolean."
                ))
            }
            k if k.starts_with("@odata.") => {}
            _ => {
                return Err(format!(
                    "Invalid property '{k}' in '{key}'."
                ))
            }
        }
    }
    if !obj.contains_key("isSyncAllowed") {
        return Err(format!("The property '{key}.isSyncAllowed' is required."));
    }
    Ok(())
}
