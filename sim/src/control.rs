//! The `/_sim/` control API for out-of-process drivers (benchmark, demo): stats, log reset and
//! latency knobs. Not Graph: no bearer token, never logged, no faults or latency applied.

use std::time::Duration;

use hyper::Method;
use serde_json::{json, Value};

use crate::reply::{self, Req, Resp};
use crate::simulator::Sim;

const PREFIX: &str = "/_sim";

/// Whether `path` belongs to the control API.
pub(crate) fn is_control_path(path: &str) -> bool {
    path == PREFIX
        || path
            .strip_prefix(PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

pub(crate) fn handle(sim: &Sim, req: &Req) -> Resp {
    let route = req
        .path
        .strip_prefix(PREFIX)
        .unwrap_or_default()
        .trim_end_matches('/');
    match (route, &req.method) {
        ("/stats", &Method::GET) => reply::json(200, &stats(sim)),
        ("/reset-log", &Method::POST) => {
            sim.clear_requests();
            reply::empty(204)
        }
        ("/latency", &Method::POST) => match millis(req) {
            Ok(d) => {
                sim.set_latency(d);
                reply::empty(204)
            }
            Err(resp) => *resp,
        },
        ("/consistency-delay", &Method::POST) => match millis(req) {
            Ok(d) => {
                sim.set_consistency_delay(d);
                reply::empty(204)
            }
            Err(resp) => *resp,
        },
        ("/stats" | "/reset-log" | "/latency" | "/consistency-delay", _) => error(
            405,
            &format!("{} is not allowed on {}.", req.method, req.path),
        ),
        _ => error(
            404,
            &format!(
                "No control route {}; known: GET /_sim/stats, POST /_sim/reset-log, POST /_sim/latency?ms=N, POST /_sim/consistency-delay?ms=N.",
                req.path
            ),
        ),
    }
}

fn stats(sim: &Sim) -> Value {
    let requests: Vec<Value> = sim
        .requests()
        .into_iter()
        .map(|r| json!({"method": r.method, "path": r.path, "status": r.status}))
        .collect();
    json!({
        "requests": requests,
        "tokens_issued": sim.tokens_issued(),
        "connections_accepted": sim.connections_accepted(),
        "latency_ms": duration_ms(sim.latency()),
        "consistency_delay_ms": duration_ms(sim.consistency_delay()),
        "auto_partners": sim.auto_partners(),
    })
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The `ms` query parameter as a duration.
fn millis(req: &Req) -> Result<Duration, Box<Resp>> {
    let raw = req.query_param("ms").unwrap_or_default();
    raw.trim()
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| {
            Box::new(error(
                400,
                &format!("Query parameter ms must be a whole number of milliseconds, got '{raw}'."),
            ))
        })
}

fn error(status: u16, message: &str) -> Resp {
    reply::json(
        status,
        &json!({"error": {"code": "SimControl", "message": message}}),
    )
}
