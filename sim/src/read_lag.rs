//! The read lag, for any Graph path: for a while after a successful PUT, PATCH or DELETE, GETs of
//! that path answer what a GET answered before the write (a 404 or the old values); after a POST
//! creating a partner configuration, GETs of the new partner's path do. Graph's
//! writes are eventually consistent (Microsoft Graph's best-practices page; the azuread provider
//! waits after every delete until a GET says 404 for this reason).

use std::time::Instant;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::CONTENT_TYPE;
use hyper::Method;

use crate::reply::{self, Req, Resp};
use crate::simulator::Sim;

/// What GETs of one path answer until `until`.
#[derive(Debug, Clone)]
pub(crate) struct LaggedRead {
    pub until: Instant,
    answer: Snapshot,
}

/// A GET's answer, kept to be served again.
#[derive(Debug, Clone)]
struct Snapshot {
    status: u16,
    content_type: String,
    body: Bytes,
    /// The request-id inside a cached error body, swapped for the new request's own.
    request_id: String,
}

/// The key of a Graph path: no version prefix, lower-case, no trailing slash.
pub(crate) fn key(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    let rest = ["/v1.0", "/beta"]
        .iter()
        .find_map(|v| lower.strip_prefix(v))
        .unwrap_or(&lower);
    rest.trim_end_matches('/').to_owned()
}

/// Drops the windows of every path containing `fragment` (lower-case), e.g. after a test changed
/// the object behind the client's back.
pub(crate) fn forget(sim: &Sim, fragment: &str) {
    sim.lock().lagging.retain(|k, _| !k.contains(fragment));
}

/// Routes a Graph request with the read lag applied: a GET inside a window answers the old
/// answer; a successful write opens (or extends) its path's window.
pub(crate) async fn route(sim: &Sim, req: &Req, route: fn(&Sim, &Req) -> Resp) -> Resp {
    // A create's window is on the object it creates, not on the collection it was sent to.
    let created = crate::access_routes::created_path(req);
    let target = created.as_deref().unwrap_or(&req.path);
    let key = key(target);
    let is_write =
        matches!(req.method, Method::PUT | Method::PATCH | Method::DELETE) || created.is_some();
    let (lag, open) = {
        let mut state = sim.lock();
        let now = Instant::now();
        state.lagging.retain(|_, w| now < w.until);
        (state.consistency_delay, state.lagging.get(&key).cloned())
    };
    if req.method == Method::GET {
        return match open {
            Some(window) => window.answer.serve(req),
            None => route(sim, req),
        };
    }
    if !is_write || lag.is_zero() {
        return route(sim, req);
    }
    // The oldest answer wins while a window is open: a second write does not make the first visible.
    let before = match open {
        Some(window) => window.answer,
        None => snapshot(sim, req, target, route).await,
    };
    let resp = route(sim, req);
    if resp.status().is_success() {
        sim.lock().lagging.insert(
            key,
            LaggedRead {
                until: Instant::now() + lag,
                answer: before,
            },
        );
    }
    resp
}

/// What a GET of `path` answers now (`req`'s credentials; not logged, no faults).
async fn snapshot(sim: &Sim, req: &Req, path: &str, route: fn(&Sim, &Req) -> Resp) -> Snapshot {
    let get = Req {
        method: Method::GET,
        path: path.to_owned(),
        query: String::new(),
        headers: req.headers.clone(),
        body: Bytes::new(),
        request_id: uuid::Uuid::new_v4().to_string(),
        client_request_id: req.client_request_id.clone(),
    };
    let resp = route(sim, &get);
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let body = match resp.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    Snapshot {
        status,
        content_type,
        body,
        request_id: get.request_id,
    }
}

impl Snapshot {
    fn serve(&self, req: &Req) -> Resp {
        let text = String::from_utf8_lossy(&self.body).replace(&self.request_id, &req.request_id);
        reply::raw(self.status, &self.content_type, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_version_case_and_trailing_slash() {
        assert_eq!(
            key("/v1.0/policies/crossTenantAccessPolicy/partners/AB/identitySynchronization/"),
            "/policies/crosstenantaccesspolicy/partners/ab/identitysynchronization"
        );
        assert_eq!(key("/beta/policies/x"), key("/v1.0/Policies/X"));
    }
}
