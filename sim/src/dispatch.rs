//! Every request passes here: read, hand `/_sim/` to the control API, log, apply faults and
//! latency, route, stamp request IDs.

use std::sync::Arc;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::Request;

use crate::faults::{self, FaultKind};
use crate::log::RecordedRequest;
use crate::reply::{self, Req, Resp};
use crate::server::{ConnControl, ControlOnlyChange};
use crate::simulator::Sim;

const MAX_BODY: usize = 1 << 20;

pub(crate) async fn handle(sim: Sim, control: Arc<ConnControl>, req: Request<Incoming>) -> Resp {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return reply::json(
                413,
                &serde_json::json!({"error": {"code": "RequestEntityTooLarge", "message": "Request body too large."}}),
            )
        }
    };
    let client_request_id = parts
        .headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let req = Req {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts.headers,
        body,
        request_id: uuid::Uuid::new_v4().to_string(),
        client_request_id,
    };
    let is_control = crate::control::is_control_path(&req.path);
    match control.note_request(is_control) {
        ControlOnlyChange::Became => sim.lock().control_only_connections += 1,
        ControlOnlyChange::Stopped => {
            let mut state = sim.lock();
            state.control_only_connections = state.control_only_connections.saturating_sub(1);
        }
        ControlOnlyChange::Unchanged => {}
    }
    if is_control {
        return crate::control::handle(&sim, &req);
    }
    let recorded = RecordedRequest {
        method: req.method.as_str().to_owned(),
        path: req.path.clone(),
        query: req.query.clone(),
        status: 0,
        body: String::from_utf8_lossy(&req.body).into_owned(),
        headers: req
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    let is_graph = is_graph_path(&req.path);
    let (seq, fault, latency) = {
        let mut state = sim.lock();
        let seq = state.log.push(recorded);
        let fault = faults::take_matching(&mut state.faults, req.method.as_str(), &req.path);
        (seq, fault, state.latency)
    };
    if is_graph && !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut resp = match fault {
        Some(FaultKind::Delay(d)) => {
            tokio::time::sleep(d).await;
            routed(&sim, &req).await
        }
        Some(FaultKind::ApplyThen(answer)) => {
            let _lost = routed(&sim, &req).await;
            faulty(&req, &control, *answer).await
        }
        Some(kind) => faulty(&req, &control, kind).await,
        None => routed(&sim, &req).await,
    };
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&req.request_id) {
        headers.insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&req.client_request_id) {
        headers.insert("client-request-id", v);
    }
    sim.lock().log.set_status(seq, resp.status().as_u16());
    resp
}

/// The answer a fault gives instead of the real one (never returns for hangs and resets).
async fn faulty(req: &Req, control: &ConnControl, kind: FaultKind) -> Resp {
    match kind {
        FaultKind::Hang => std::future::pending().await,
        FaultKind::Reset => {
            control.reset();
            std::future::pending().await
        }
        FaultKind::Garbage(bytes) => {
            control.send_garbage(bytes);
            std::future::pending().await
        }
        FaultKind::Redirect { status, location } => {
            let mut resp = reply::empty(status);
            if let Ok(value) = HeaderValue::from_str(&location) {
                resp.headers_mut().insert("location", value);
            }
            resp
        }
        FaultKind::Status {
            status,
            retry_after,
            body,
            content_type,
        } => {
            let mut resp = match body {
                Some(body) => reply::raw(
                    status,
                    content_type.as_deref().unwrap_or("application/json"),
                    body,
                ),
                None => {
                    let code = reply::graph_code_for(status);
                    let message = format!("Injected fault: {code}.");
                    reply::graph_error(req, status, code, &message)
                }
            };
            if let Some(value) = retry_after.and_then(|r| HeaderValue::from_str(&r).ok()) {
                resp.headers_mut().insert("retry-after", value);
            }
            resp
        }
        FaultKind::RawBody {
            status,
            content_type,
            body,
        } => reply::raw(status, &content_type, body),
        // Not answers of their own: a delay answers normally, and a lost answer is not lost twice.
        FaultKind::Delay(_) | FaultKind::ApplyThen(_) => reply::graph_error(
            req,
            500,
            "InternalServerError",
            "Injected fault: a Delay or ApplyThen cannot stand in for an answer.",
        ),
    }
}

/// Routes a request, Graph ones through the read lag.
async fn routed(sim: &Sim, req: &Req) -> Resp {
    if is_graph_path(&req.path) {
        crate::read_lag::route(sim, req, route).await
    } else {
        route(sim, req)
    }
}

fn is_graph_path(path: &str) -> bool {
    ["/v1.0", "/beta"]
        .iter()
        .any(|v| path == *v || path.starts_with(&format!("{v}/")))
}

fn route(sim: &Sim, req: &Req) -> Resp {
    let path = req.path.as_str();
    if is_graph_path(path) {
        return crate::graph_routes::handle(sim, req);
    }
    let lower = path.trim_end_matches('/').to_ascii_lowercase();
    match lower.as_str() {
        "/metadata/identity/oauth2/token" => crate::identity::imds(sim, req),
        "/msi/token" => crate::identity::app_service(sim, req),
        "/github/oidc" => crate::identity::github(sim, req),
        "/ado/oidc" => crate::identity::ado(sim, req),
        _ => match token_tenant(&lower) {
            Some(tenant) => crate::token::handle(sim, req, tenant),
            None => reply::json(
                404,
                &serde_json::json!({"error": {"code": "NotFound", "message": format!("No route for {path}.")}}),
            ),
        },
    }
}

/// The tenant of `/{tenant}/oauth2/v2.0/token`.
fn token_tenant(lower_path: &str) -> Option<&str> {
    let rest = lower_path.strip_prefix('/')?;
    let (tenant, tail) = rest.split_once('/')?;
    (tail == "oauth2/v2.0/token" && !tenant.is_empty()).then_some(tenant)
}
