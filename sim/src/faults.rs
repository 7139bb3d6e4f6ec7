//! Injected faults: queued, matched in order by method and path substring, each firing `times` times.

use std::time::Duration;

/// A fault to inject into matching requests (Graph, token and identity routes alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// HTTP method to match (case-insensitive); `None` matches any.
    pub method: Option<String>,
    /// Substring the request path must contain; `None` matches any path.
    pub path_contains: Option<String>,
    /// How many matching requests it hits before it is removed.
    pub times: usize,
    pub kind: FaultKind,
}

/// What happens to a request a fault matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer `status`, with `Retry-After` (seconds or HTTP date) when given; `body` defaults to a
    /// Graph error body for that status, `content_type` to application/json.
    Status {
        status: u16,
        retry_after: Option<String>,
        body: Option<String>,
        content_type: Option<String>,
    },
    /// Wait, then answer normally.
    Delay(Duration),
    /// Never answer (until the client goes away or the simulator stops).
    Hang,
    /// Close the TCP connection with a reset, without any response.
    Reset,
    /// Write these bytes instead of an HTTP response (not HTTP at all, e.g. a TLS alert), then
    /// close the connection.
    Garbage(Vec<u8>),
    /// Redirect with this status (301/302/307/308) to `location`, which may be another host.
    Redirect { status: u16, location: String },
    /// Answer exactly this (an HTML error page, truncated JSON, ...).
    RawBody {
        status: u16,
        content_type: String,
        body: String,
    },
    /// Apply the request as usual (the write takes effect), then lose its answer: reply with
    /// this fault instead (`Reset`, `Hang`, a gateway `Status` such as 504, ...), as when a
    /// connection drops or a gateway times out after Graph did the work. Not a default: a fault a
    /// test asks for. Source: Microsoft's cross-tenant synchronization troubleshooting page shows
    /// the 409 a retried PUT then meets, and Graph's throttling guidance lists 503/504 as
    /// transient answers a client must retry.
    ApplyThen(Box<FaultKind>),
}

impl Fault {
    /// A fault hitting every request once; narrow it with the builder methods.
    pub fn new(kind: FaultKind) -> Fault {
        Fault {
            method: None,
            path_contains: None,
            times: 1,
            kind,
        }
    }

    /// `status` with a Graph error body and optional Retry-After.
    pub fn status(status: u16, retry_after: Option<&str>) -> Fault {
        Fault::new(FaultKind::Status {
            status,
            retry_after: retry_after.map(str::to_owned),
            body: None,
            content_type: None,
        })
    }

    /// Applies the request, then answers with `answer` instead of the real response.
    pub fn apply_then(answer: FaultKind) -> Fault {
        Fault::new(FaultKind::ApplyThen(Box::new(answer)))
    }

    pub fn method(mut self, method: &str) -> Fault {
        self.method = Some(method.to_owned());
        self
    }

    pub fn path(mut self, path_contains: &str) -> Fault {
        self.path_contains = Some(path_contains.to_owned());
        self
    }

    pub fn times(mut self, times: usize) -> Fault {
        self.times = times;
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
    }
}

/// Takes one firing of the first fault matching the request, removing exhausted faults.
pub(crate) fn take_matching(
    queue: &mut std::collections::VecDeque<Fault>,
    method: &str,
    path: &str,
) -> Option<FaultKind> {
    queue.retain(|f| f.times > 0);
    let index = queue.iter().position(|f| f.matches(method, path))?;
    let fault = queue.get_mut(index)?;
    fault.times -= 1;
    let kind = fault.kind.clone();
    if fault.times == 0 {
        queue.remove(index);
    }
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[test]
    fn matches_in_queue_order_and_expires() {
        let mut q = VecDeque::new();
        q.push_back(Fault::status(429, Some("1")).method("put").times(2));
        q.push_back(Fault::new(FaultKind::Hang).path("/token"));
        assert_eq!(take_matching(&mut q, "GET", "/v1.0/x"), None);
        assert!(matches!(
            take_matching(&mut q, "PUT", "/v1.0/x"),
            Some(FaultKind::Status { status: 429, .. })
        ));
        assert!(matches!(
            take_matching(&mut q, "PUT", "/t/token"),
            Some(FaultKind::Status { status: 429, .. })
        ));
        assert_eq!(
            take_matching(&mut q, "PUT", "/t/token"),
            Some(FaultKind::Hang)
        );
        assert_eq!(take_matching(&mut q, "PUT", "/t/token"), None);
        assert!(q.is_empty());
    }
}
