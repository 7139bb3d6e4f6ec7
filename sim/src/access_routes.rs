//! Graph routes of the cross-tenant access settings objects: partner configurations
//! (`/policies/crossTenantAccessPolicy/partners[/{tenantId}]`) and the default settings
//! (`/policies/crossTenantAccessPolicy/default[/resetToSystemDefault]`).
//!
//! Sources: Microsoft Graph v1.0 API reference pages "Create crossTenantAccessPolicy
//! ConfigurationPartner" (POST, 201 + the object), "Get / Update / Delete
//! crossTenantAccessPolicyConfigurationPartner" (PATCH and DELETE 204; "If a configuration
//! includes a user synchronization policy, you must first delete the user synchronization
//! policy"), the crossTenantAccessPolicyConfigurationPartner and ...Default resource types
//! (null settings inherit the defaults; read-only isInMultiTenantOrganization and
//! isServiceDefault), "crossTenantAccessPolicyConfigurationDefault: resetToSystemDefault"
//! (204), and Microsoft's cross-tenant synchronization troubleshooting page (POST for an
//! existing partner: 409 Request_MultipleObjectsWithSameKeyValue, "Another object with the
//! same value for property tenantId already exists.").

use hyper::Method;
use serde_json::{json, Map, Value};

use crate::graph_routes::not_found;
use crate::reply::{self, Req, Resp};
use crate::simulator::Sim;

/// Writable properties of both objects, with their JSON shape.
const SETTINGS: [&str; 7] = [
    "automaticUserConsentSettings",
    "inboundTrust",
    "b2bCollaborationInbound",
    "b2bCollaborationOutbound",
    "b2bDirectConnectInbound",
    "b2bDirectConnectOutbound",
    "tenantRestrictions",
];

/// The partner object as GET returns it: every property, null where the default applies.
pub(crate) fn partner_json(tenant: &str, config: &Map<String, Value>) -> Value {
    let mut obj = Map::new();
    obj.insert("tenantId".into(), json!(tenant));
    obj.insert("isServiceProvider".into(), Value::Null);
    obj.insert("isInMultiTenantOrganization".into(), json!(false));
    for s in SETTINGS {
        obj.insert(s.into(), Value::Null);
    }
    for (k, v) in config {
        obj.insert(k.clone(), v.clone());
    }
    Value::Object(obj)
}

fn b2b(access: &str, users: &str, apps: &str) -> Value {
    json!({
        "usersAndGroups": {"accessType": access, "targets": [{"target": users, "targetType": "user"}]},
        "applications": {"accessType": access, "targets": [{"target": apps, "targetType": "application"}]},
    })
}

/// The system defaults, as the default settings' API page shows them (B2B collaboration
/// allowed for all, B2B direct connect blocked, no inbound trust, no automatic consent).
/// Assumption: tenantRestrictions blocks all users and applications, devices unset.
pub(crate) fn system_default() -> Value {
    json!({
        "isServiceDefault": true,
        "automaticUserConsentSettings": {"inboundAllowed": false, "outboundAllowed": false},
        "inboundTrust": {
            "isMfaAccepted": false,
            "isCompliantDeviceAccepted": false,
            "isHybridAzureADJoinedDeviceAccepted": false
        },
        "b2bCollaborationInbound": b2b("allowed", "AllUsers", "AllApplications"),
        "b2bCollaborationOutbound": b2b("allowed", "AllUsers", "AllApplications"),
        "b2bDirectConnectInbound": b2b("blocked", "AllUsers", "AllApplications"),
        "b2bDirectConnectOutbound": b2b("blocked", "AllUsers", "AllApplications"),
        "tenantRestrictions": {
            "usersAndGroups": {"accessType": "blocked", "targets": [{"target": "AllUsers", "targetType": "user"}]},
            "applications": {"accessType": "blocked", "targets": [{"target": "AllApplications", "targetType": "application"}]},
            "devices": null
        },
    })
}

/// A body Graph refuses: values outside the enumerations the resource type pages list
/// (crossTenantAccessPolicyTargetConfiguration: accessType, targetType; devicesFilter: mode) or
/// of the wrong JSON type. The 400 `Request_BadRequest` is Graph's general answer to an invalid
/// request body (Graph's error-codes page); the message wording is an assumption.
fn bad(req: &Req, message: String) -> Resp {
    reply::graph_error(req, 400, "Request_BadRequest", &message)
}

fn check_enum(path: &str, v: &Value, allowed: &[&str]) -> Result<(), String> {
    match v {
        Value::Null => Ok(()),
        Value::String(s) if allowed.contains(&s.as_str()) => Ok(()),
        other => Err(format!(
            "Invalid value specified for property '{path}': {other}."
        )),
    }
}

fn check_object(
    path: &str,
    v: &Value,
    check: impl Fn(&str, &Value) -> Result<(), String>,
) -> Result<(), String> {
    match v {
        Value::Null => Ok(()),
        Value::Object(obj) => obj
            .iter()
            .try_for_each(|(k, v)| check(&format!("{path}.{k}"), v)),
        other => Err(format!(
            "Invalid value specified for property '{path}': {other}."
        )),
    }
}

fn check_bool(path: &str, v: &Value) -> Result<(), String> {
    match v {
        Value::Null | Value::Bool(_) => Ok(()),
        other => Err(format!(
            "Invalid value specified for property '{path}': {other}. Expected a Boolean."
        )),
    }
}

fn leaf(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

fn check_targets(path: &str, v: &Value) -> Result<(), String> {
    match leaf(path) {
        "accessType" => check_enum(path, v, &["allowed", "blocked"]),
        "targets" => match v {
            Value::Null => Ok(()),
            Value::Array(items) => items.iter().try_for_each(|t| {
                let target = t.get("target").and_then(Value::as_str);
                let kind = t.get("targetType").unwrap_or(&Value::Null);
                if target.is_none() {
                    return Err(format!("The property '{path}.target' is required."));
                }
                check_enum(
                    &format!("{path}.targetType"),
                    kind,
                    &["user", "group", "application"],
                )
            }),
            other => Err(format!(
                "Invalid value specified for property '{path}': {other}."
            )),
        },
        _ => Err(format!("Invalid property '{path}'.")),
    }
}

fn check_b2b(path: &str, v: &Value) -> Result<(), String> {
    match leaf(path) {
        "usersAndGroups" | "applications" => check_object(path, v, check_targets),
        "devices" if path.starts_with("tenantRestrictions") => {
            check_object(path, v, |p, v| match leaf(p) {
                "mode" => check_enum(p, v, &["include", "exclude"]),
                "rule" => Ok(()),
                _ => Err(format!("Invalid property '{p}'.")),
            })
        }
        _ => Err(format!("Invalid property '{path}'.")),
    }
}

/// Checks one writable property of a POST/PATCH body.
fn check_setting(key: &str, v: &Value) -> Result<(), String> {
    match key {
        "automaticUserConsentSettings" => check_object(key, v, |p, v| match leaf(p) {
            "inboundAllowed" | "outboundAllowed" => check_bool(p, v),
            _ => Err(format!("Invalid property '{p}'.")),
        }),
        "inboundTrust" => check_object(key, v, |p, v| match leaf(p) {
            "isMfaAccepted"
            | "isCompliantDeviceAccepted"
            | "isHybridAzureADJoinedDeviceAccepted" => check_bool(p, v),
            _ => Err(format!("Invalid property '{p}'.")),
        }),
        k if SETTINGS.contains(&k) => check_object(key, v, check_b2b),
        _ => Err(format!("Invalid property '{key}'.")),
    }
}

/// The writable properties of a body; read-only and unknown ones are Graph's 400.
fn settings_from_body(req: &Req, allow: &[&str]) -> Result<Map<String, Value>, Box<Resp>> {
    let body: Value = serde_json::from_slice(&req.body).map_err(|e| {
        Box::new(bad(
            req,
            format!("Unable to read JSON request payload: {e}"),
        ))
    })?;
    let Value::Object(body) = body else {
        return Err(Box::new(bad(
            req,
            "The request body must be a JSON object.".into(),
        )));
    };
    let mut out = Map::new();
    for (k, v) in body {
        if k.starts_with("@odata.") || allow.contains(&k.as_str()) {
            out.insert(k, v);
            continue;
        }
        check_setting(&k, &v).map_err(|m| Box::new(bad(req, m)))?;
        out.insert(k, v);
    }
    out.retain(|k, _| !k.starts_with("@odata."));
    Ok(out)
}

fn context(req: &Req, version: &str, tail: &str) -> Value {
    Value::String(format!(
        "{}/{version}/$metadata#policies/crossTenantAccessPolicy/{tail}",
        req.origin()
    ))
}

fn with_context(mut body: Value, ctx: Value) -> Value {
    if let Some(obj) = body.as_object_mut() {
        obj.insert("@odata.context".into(), ctx);
    }
    body
}

/// The path of the partner a POST to the partners collection creates (`{collection}/{tenantId}`
/// from its body), so the read lag covers the new object: reads lag creates too (Microsoft
/// Graph's best-practices page on eventual consistency). `None` for any other request.
pub(crate) fn created_path(req: &Req) -> Option<String> {
    if req.method != Method::POST
        || !crate::read_lag::key(&req.path).ends_with("/policies/crosstenantaccesspolicy/partners")
    {
        return None;
    }
    let body: Value = serde_json::from_slice(&req.body).ok()?;
    let tenant = body.get("tenantId")?.as_str()?;
    Some(format!(
        "{}/{}",
        req.path.trim_end_matches('/'),
        tenant.to_ascii_lowercase()
    ))
}

/// `/partners`: list and create.
pub(crate) fn partners_collection(sim: &Sim, req: &Req, version: &str) -> Resp {
    match req.method {
        Method::GET => {
            let value: Vec<Value> = sim
                .lock()
                .partners
                .iter()
                .map(|(t, p)| partner_json(t, &p.config))
                .collect();
            reply::graph_json(
                200,
                &json!({"@odata.context": context(req, version, "partners"), "value": value}),
            )
        }
        Method::POST => {
            let mut fields = match settings_from_body(req, &["tenantId", "isServiceProvider"]) {
                Ok(f) => f,
                Err(resp) => return *resp,
            };
            let Some(tenant) = fields.remove("tenantId") else {
                return bad(req, "The property 'tenantId' is required.".into());
            };
            let tenant = match tenant.as_str() {
                Some(t) if crate::graph_routes::is_guid(t) => t.to_ascii_lowercase(),
                _ => {
                    return bad(
                        req,
                        format!("Invalid value specified for property 'tenantId': '{tenant}'."),
                    )
                }
            };
            if let Some(v) = fields.get("isServiceProvider") {
                if let Err(m) = check_bool("isServiceProvider", v) {
                    return bad(req, m);
                }
            }
            {
                let mut state = sim.lock();
                if state.partners.contains_key(&tenant) {
                    drop(state);
                    return reply::graph_error(
                        req,
                        409,
                        "Request_MultipleObjectsWithSameKeyValue",
                        "Another object with the same value for property tenantId already exists.",
                    );
                }
                state.partners.entry(tenant.clone()).or_default().config = fields.clone();
            }
            sim.persist();
            let body = partner_json(&tenant, &fields);
            reply::graph_json(
                201,
                &with_context(body, context(req, version, "partners/$entity")),
            )
        }
        _ => method_not_allowed(req, "GET, POST"),
    }
}

fn method_not_allowed(req: &Req, allow: &'static str) -> Resp {
    let mut resp = reply::graph_error(
        req,
        405,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    );
    resp.headers_mut()
        .insert("allow", hyper::header::HeaderValue::from_static(allow));
    resp
}

/// `/partners/{tenantId}`: get, update (PATCH merges top-level properties; a complex value is
/// replaced whole; null returns it to the default), delete.
pub(crate) fn partner(sim: &Sim, req: &Req, version: &str, tenant: &str) -> Resp {
    match req.method {
        Method::GET => {
            let config = {
                let state = sim.lock();
                match state.partners.get(tenant) {
                    Some(p) => Some(p.config.clone()),
                    None if state.auto_partners => Some(Map::new()),
                    None => None,
                }
            };
            match config {
                None => not_found(req, tenant),
                Some(config) => reply::graph_json(
                    200,
                    &with_context(
                        partner_json(tenant, &config),
                        context(req, version, "partners/$entity"),
                    ),
                ),
            }
        }
        Method::PATCH => {
            let fields = match settings_from_body(req, &["isServiceProvider"]) {
                Ok(f) => f,
                Err(resp) => return *resp,
            };
            if let Some(v) = fields.get("isServiceProvider") {
                if let Err(m) = check_bool("isServiceProvider", v) {
                    return bad(req, m);
                }
            }
            {
                let mut state = sim.lock();
                let auto = state.auto_partners;
                let partner = match state.partners.get_mut(tenant) {
                    Some(p) => p,
                    None if auto => state.partners.entry(tenant.to_owned()).or_default(),
                    None => {
                        drop(state);
                        return not_found(req, tenant);
                    }
                };
                partner.config.extend(fields);
            }
            sim.persist();
            reply::empty(204)
        }
        Method::DELETE => {
            {
                let mut state = sim.lock();
                match state.partners.get(tenant) {
                    // With auto partners every GUID "exists"; deleting an implied one is a no-op.
                    None if state.auto_partners => {}
                    None => {
                        drop(state);
                        return not_found(req, tenant);
                    }
                    // Documented refusal; its status and code are not documented: an
                    // assumption (400 Request_BadRequest).
                    Some(p) if p.policy.is_some() => {
                        drop(state);
                        return reply::graph_error(
                            req,
                            400,
                            "Request_BadRequest",
                            "The partner configuration cannot be deleted while its identity synchronization policy exists. Delete the identitySynchronization object first.",
                        );
                    }
                    Some(_) => {
                        state.partners.remove(tenant);
                    }
                }
            }
            sim.persist();
            reply::empty(204)
        }
        _ => method_not_allowed(req, "GET, PATCH, DELETE"),
    }
}

/// `/default` and `/default/resetToSystemDefault`.
pub(crate) fn default_settings(sim: &Sim, req: &Req, version: &str, rest: &[&str]) -> Resp {
    match (rest, &req.method) {
        ([], &Method::GET) => {
            let body = sim.lock().default_settings.clone();
            reply::graph_json(
                200,
                &with_context(body, context(req, version, "default/$entity")),
            )
        }
        ([], &Method::PATCH) => {
            let fields = match settings_from_body(req, &[]) {
                Ok(f) => f,
                Err(resp) => return *resp,
            };
            {
                let mut state = sim.lock();
                if let Some(obj) = state.default_settings.as_object_mut() {
                    obj.extend(fields);
                    obj.insert("isServiceDefault".into(), json!(false));
                }
            }
            sim.persist();
            reply::empty(204)
        }
        ([], _) => method_not_allowed(req, "GET, PATCH"),
        ([action], &Method::POST) if action.eq_ignore_ascii_case("resetToSystemDefault") => {
            sim.lock().default_settings = system_default();
            sim.persist();
            reply::empty(204)
        }
        ([action], _) if action.eq_ignore_ascii_case("resetToSystemDefault") => {
            method_not_allowed(req, "POST")
        }
        ([segment, ..], _) => reply::graph_error(
            req,
            400,
            "BadRequest",
            &format!("Resource not found for the segment '{segment}'."),
        ),
    }
}
