//! Retry pacing: Retry-After parsing, exponential backoff with jitter, and deadline-bounded waits.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::GraphError;

/// `Retry-After` as delta-seconds or an HTTP-date; a date in the past means "now".
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // Some services send fractional seconds; accept them rather than fall back to backoff.
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Backoff before retry number `retry` (0 = first retry): `base * 2^retry`, capped at `max`,
/// then scaled by a random factor in [0.8, 1.2] and capped again.
pub(crate) fn backoff(retry: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << retry.min(20));
    let capped = exp.min(max);
    capped.mul_f64(jitter_factor()).min(max)
}

/// A factor in [0.8, 1.2].
fn jitter_factor() -> f64 {
    let mut byte = [0u8; 2];
    let random = if aws_lc_rs::rand::fill(&mut byte).is_ok() {
        u16::from_le_bytes(byte)
    } else {
        u16::MAX / 2
    };
    0.8 + 0.4 * (f64::from(random) / f64::from(u16::MAX))
}

/// Human form of a wait: "60 s", "1.5 s", "250 ms".
pub(crate) fn describe_wait(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        if d.subsec_millis() == 0 {
            format!("{} s", d.as_secs())
        } else {
            format!("{:.1} s", d.as_secs_f64())
        }
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Why the next attempt must wait.
#[derive(Debug, Clone)]
pub(crate) enum Wait {
    /// Graph asked for this long (Retry-After).
    Asked(Duration),
    /// Our own backoff.
    Backoff(Duration),
}

/// Sleeps before a retry, or fails at once when the wait would end past the deadline.
/// `last` describes the answer being retried; it goes into the error.
pub(crate) async fn wait_before_retry(
    operation: &str,
    wait: Wait,
    deadline: Instant,
    last: &str,
) -> Result<(), GraphError> {
    let (duration, asked) = match wait {
        Wait::Asked(d) => (d, true),
        Wait::Backoff(d) => (d, false),
    };
    // checked: a Retry-After of many years must not overflow the clock.
    let ends_in_time = Instant::now()
        .checked_add(duration)
        .is_some_and(|end| end <= deadline);
    if !ends_in_time {
        let operation = if asked {
            format!(
                "{operation} (throttled: Graph asked to wait {} before retrying, longer than the \
                 time left; last answer: {last})",
                describe_wait(duration)
            )
        } else {
            format!("{operation} (last attempt: {last})")
        };
        return Err(GraphError::DeadlineExceeded { operation });
    }
    log::debug!(
        "retrying {operation} in {} ({})",
        describe_wait(duration),
        if asked { "Retry-After" } else { "backoff" }
    );
    tokio::time::sleep(duration).await;
    Ok(())
}

/// The time left before `deadline`, capped at `per_attempt`; `None` when none is left.
pub(crate) fn attempt_budget(deadline: Instant, per_attempt: Duration) -> Option<Duration> {
    let left = deadline.checked_duration_since(Instant::now())?;
    if left.is_zero() {
        return None;
    }
    Some(left.min(per_attempt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after("41", now), Some(Duration::from_secs(41)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[test]
    fn retry_after_http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        // A date already past means retry now.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        let later = now + Duration::from_secs(315);
        assert_eq!(
            parse_retry_after(&httpdate::fmt_http_date(later), now),
            Some(Duration::from_secs(315))
        );
    }

    #[test]
    fn backoff_grows_within_bounds() {
        let base = Duration::from_secs(1);
        let max = Duration::from_secs(60);
        for _ in 0..200 {
            let first = backoff(0, base, max);
            assert!(first >= Duration::from_millis(800) && first <= Duration::from_millis(1200));
            let third = backoff(2, base, max);
            assert!(third >= Duration::from_millis(3200) && third <= Duration::from_millis(4800));
            for retry in [6, 7, 31, 1000] {
                let late = backoff(retry, base, max);
                assert!(late >= Duration::from_secs(48) && late <= max, "{late:?}");
            }
        }
    }

    #[test]
    fn backoff_jitters() {
        let samples: std::collections::HashSet<_> = (0..50)
            .map(|_| backoff(3, Duration::from_secs(1), Duration::from_secs(60)))
            .collect();
        assert!(samples.len() > 1, "backoff should vary between calls");
    }

    /// Waits `wait` before retrying a throttled GET whose deadline is `deadline_in` from now;
    /// returns the outcome and how long it took.
    async fn wait_from_now(
        wait: Wait,
        deadline_in: Duration,
    ) -> (Result<(), GraphError>, Duration) {
        let deadline = Instant::now() + deadline_in;
        let started = std::time::Instant::now();
        let outcome = wait_before_retry(
            "GET identitySynchronization",
            wait,
            deadline,
            "HTTP 429 TooManyRequests",
        )
        .await;
        (outcome, started.elapsed())
    }

    #[tokio::test]
    async fn a_wait_past_the_deadline_fails_at_once_and_names_it() {
        let (outcome, took) =
            wait_from_now(Wait::Asked(Duration::from_secs(60)), Duration::from_secs(2)).await;
        let err = outcome.unwrap_err();
        assert!(took < Duration::from_secs(1));
        let text = err.to_string();
        assert!(matches!(err, GraphError::DeadlineExceeded { .. }));
        assert!(text.contains("asked to wait 60 s"), "{text}");
        assert!(text.contains("HTTP 429"), "{text}");
    }

    #[tokio::test]
    async fn an_absurd_retry_after_is_a_deadline_error_not_a_panic() {
        let asked = parse_retry_after("18446744073709551615", SystemTime::now()).unwrap();
        let (outcome, _) = wait_from_now(Wait::Asked(asked), Duration::from_secs(2)).await;
        assert!(matches!(outcome, Err(GraphError::DeadlineExceeded { .. })));
    }

    #[tokio::test]
    async fn a_wait_inside_the_deadline_sleeps() {
        let (outcome, took) = wait_from_now(
            Wait::Backoff(Duration::from_millis(20)),
            Duration::from_secs(30),
        )
        .await;
        outcome.unwrap();
        assert!(took >= Duration::from_millis(20));
    }

    #[test]
    fn budgets() {
        assert!(attempt_budget(Instant::now(), Duration::from_secs(60)).is_none());
        let b = attempt_budget(
            Instant::now() + Duration::from_secs(5),
            Duration::from_secs(60),
        )
        .unwrap();
        assert!(b <= Duration::from_secs(5) && b > Duration::from_secs(4));
        let b = attempt_budget(
            Instant::now() + Duration::from_secs(500),
            Duration::from_secs(60),
        )
        .unwrap();
        assert_eq!(b, Duration::from_secs(60));
    }

    #[test]
    fn waits_read_well() {
        assert_eq!(describe_wait(Duration::from_secs(60)), "60 s");
        assert_eq!(describe_wait(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(describe_wait(Duration::from_millis(250)), "250 ms");
    }
}
