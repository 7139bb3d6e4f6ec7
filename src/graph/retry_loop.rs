//! The deadline-bounded retry loop every request goes through: attempt, classify the answer,
//! wait (Retry-After or backoff), try again; never past the deadline.

use std::future::Future;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::config::Tuning;
use super::http::{excerpt, RawResponse, TransportFailure};
use super::retry_pacing::{attempt_budget, backoff, parse_retry_after, wait_before_retry, Wait};
use super::GraphError;

/// What to do with a response.
pub(crate) enum Verdict {
    /// Hand it to the caller.
    Accept,
    /// Transient: wait (Retry-After if given, else backoff) and try again.
    Retry,
    /// Try again at once, only once per operation (e.g. after dropping a rejected token).
    RetryNow,
}

/// How many attempts an operation may make, besides its deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Consecutive transport failures before giving up.
    pub transport_attempts: u32,
    /// Retryable responses before handing the last one to the caller; `None` = deadline only.
    pub status_attempts: Option<u32>,
}

/// Retryable answers (429, 503, 504, ...) one Graph operation takes before handing the last one
/// to the caller: with the backoff floor that is several minutes, and a gateway answering
/// `Retry-After: 0` forever cannot keep an operation spinning until its deadline.
pub(crate) const MAX_GRAPH_STATUS_ATTEMPTS: u32 = 10;

impl Limits {
    pub fn graph(tuning: &Tuning) -> Limits {
        Limits {
            transport_attempts: tuning.max_transport_attempts.max(1),
            status_attempts: Some(MAX_GRAPH_STATUS_ATTEMPTS),
        }
    }

    pub fn token(tuning: &Tuning) -> Limits {
        Limits {
            transport_attempts: tuning.max_token_attempts.max(1),
            status_attempts: Some(tuning.max_token_attempts.max(1)),
        }
    }
}

/// The Retry-After of a response, if it has a usable one.
pub(crate) fn retry_after(response: &RawResponse) -> Option<Duration> {
    parse_retry_after(response.header("retry-after")?, SystemTime::now())
}

/// "HTTP 429 TooManyRequests: message (request-id: ...)" for error messages: what a support
/// case needs survives the retries.
pub(crate) fn describe_response(response: &RawResponse) -> String {
    let json = serde_json::from_slice::<serde_json::Value>(&response.body).ok();
    let (code, message, inner_id) = match json.as_ref().and_then(|v| v.get("error")) {
        Some(serde_json::Value::Object(e)) => {
            let text =
                |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
            let inner = e.get("innerError").or_else(|| e.get("innererror"));
            (
                text(e.get("code")),
                text(e.get("message")).filter(|m| !m.is_empty()),
                text(inner.and_then(|i| i.get("request-id"))),
            )
        }
        Some(serde_json::Value::String(s)) => (Some(s.clone()), None, None),
        _ => (None, None, None),
    };
    let mut out = match code {
        Some(code) => format!("HTTP {} {code}", response.status),
        None if response.body.is_empty() => format!("HTTP {}", response.status),
        None => format!("HTTP {} {}", response.status, excerpt(&response.body)),
    };
    if let Some(message) = message {
        out.push_str(&format!(": {message}"));
    }
    if let Some(id) = inner_id.or_else(|| response.request_id()) {
        out.push_str(&format!(" (request-id: {id})"));
    }
    out
}

/// Runs `attempt` until `classify` accepts its response, a limit is reached, or the deadline
/// passes. `attempt` gets the time it may take; it returns `Err` only for errors that end the
/// operation (e.g. no token), `Ok(Err)` for transport failures worth retrying.
pub(crate) async fn with_retries<A, Fut, C>(
    operation: &str,
    deadline: Instant,
    tuning: &Tuning,
    limits: Limits,
    mut attempt: A,
    mut classify: C,
) -> Result<RawResponse, GraphError>
where
    A: FnMut(Duration) -> Fut,
    Fut: Future<Output = Result<Result<RawResponse, TransportFailure>, GraphError>>,
    C: FnMut(&RawResponse) -> Verdict,
{
    let mut retries: u32 = 0;
    let mut transport_failures: u32 = 0;
    let mut status_retries: u32 = 0;
    let mut retried_now = false;
    let mut last = String::from("no answer yet");
    loop {
        let Some(budget) = attempt_budget(deadline, tuning.request_timeout) else {
            return Err(GraphError::DeadlineExceeded {
                operation: format!("{operation} (last attempt: {last})"),
            });
        };
        match attempt(budget).await? {
            Ok(response) => {
                transport_failures = 0;
                match classify(&response) {
                    Verdict::Accept => return Ok(response),
                    Verdict::RetryNow if !retried_now => {
                        retried_now = true;
                        last = describe_response(&response);
                    }
                    Verdict::RetryNow => return Ok(response),
                    Verdict::Retry => {
                        status_retries += 1;
                        if limits
                            .status_attempts
                            .is_some_and(|max| status_retries >= max)
                        {
                            return Ok(response);
                        }
                        last = describe_response(&response);
                        // The backoff is a floor: `Retry-After: 0` or a date in the past never
                        // means "retry at once".
                        let floor =
                            backoff(retries, tuning.retry_base_delay, tuning.retry_max_delay);
                        let wait = match retry_after(&response) {
                            Some(asked) if asked > floor => Wait::Asked(asked),
                            _ => Wait::Backoff(floor),
                        };
                        retries += 1;
                        wait_before_retry(operation, wait, deadline, &last).await?;
                    }
                }
            }
            Err(failure) => {
                if failure.fatal {
                    return Err(GraphError::Transport {
                        message: format!("{operation}: {}", failure.message),
                    });
                }
                last = failure.message.clone();
                if failure.timed_out && budget < tuning.request_timeout {
                    // The deadline, not the per-request timeout, cut this attempt short.
                    return Err(GraphError::DeadlineExceeded {
                        operation: format!(
                            "{operation} (last attempt: timed out waiting for an answer)"
                        ),
                    });
                }
                transport_failures += 1;
                if transport_failures >= limits.transport_attempts {
                    return Err(GraphError::Transport {
                        message: format!(
                            "{operation} failed after {transport_failures} attempts: {}",
                            failure.message
                        ),
                    });
                }
                let wait = Wait::Backoff(backoff(
                    retries,
                    tuning.retry_base_delay,
                    tuning.retry_max_delay,
                ));
                retries += 1;
                wait_before_retry(operation, wait, deadline, &last).await?;
            }
        }
    }
}
