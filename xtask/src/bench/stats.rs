//! Pure statistics for the bench: medians, ratios, the latency bound, verdicts, run order.

use std::time::Duration;

/// The median of `values` (mean of the two middle ones for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// The median of durations, in milliseconds.
pub fn median_ms(values: &[Duration]) -> Option<f64> {
    let ms: Vec<f64> = values.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    median(&ms)
}

/// `part / whole` as "0.07× (1/14.3)" for ratios below one, "2.50×" otherwise; "n/a" when
/// `whole` is not positive.
pub fn format_ratio(part: f64, whole: f64) -> String {
    if whole <= 0.0 || !whole.is_finite() || !part.is_finite() {
        return "n/a".to_owned();
    }
    let ratio = part / whole;
    if ratio > 0.0 && ratio < 1.0 {
        format!("{ratio:.2}× (1/{:.1})", 1.0 / ratio)
    } else {
        format!("{ratio:.2}×")
    }
}

/// Milliseconds with a precision that suits their size.
pub fn format_ms(ms: f64) -> String {
    if ms.abs() >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms.abs() >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// KiB as MiB with two decimals.
pub fn format_mib(kib: u64) -> String {
    format!("{:.2} MiB", kib as f64 / 1024.0)
}

/// The wall-time bound the apply benchmark holds the provider to: `t0 + ceil(n / parallelism) × requests_per_op × latency`.
/// Resources are worked on `parallelism` at a time, each paying `requests_per_op` round trips.
pub fn latency_bound(
    t0: Duration,
    resources: usize,
    parallelism: usize,
    requests_per_op: u32,
    latency: Duration,
) -> Duration {
    let batches = resources.div_ceil(parallelism.max(1));
    t0 + latency * requests_per_op * u32::try_from(batches).unwrap_or(u32::MAX)
}

/// How a measurement compares with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Miss,
}

impl Verdict {
    pub fn from_pass(pass: bool) -> Verdict {
        if pass {
            Verdict::Pass
        } else {
            Verdict::Miss
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Miss => "MISS",
        }
    }
}

/// The order to run `subjects` measured `runs` times each, alternating (0 1 2 0 1 2 ...) so
/// that slow drifts of the machine hit every subject alike.
pub fn alternation(subjects: usize, runs: usize) -> Vec<usize> {
    (0..runs).flat_map(|_| 0..subjects).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(median(&[]), None);
        assert_eq!(
            median_ms(&[
                Duration::from_millis(5),
                Duration::from_millis(1),
                Duration::from_millis(9)
            ]),
            Some(5.0)
        );
    }

    #[test]
    fn median_is_robust_to_one_outlier() {
        assert_eq!(median(&[10.0, 11.0, 12.0, 10_000.0, 9.0]), Some(11.0));
    }

    #[test]
    fn ratios_are_formatted_with_their_inverse_below_one() {
        assert_eq!(format_ratio(10.0, 140.0), "0.07× (1/14.0)");
        assert_eq!(format_ratio(5.0, 2.0), "2.50×");
        assert_eq!(format_ratio(1.0, 0.0), "n/a");
        assert_eq!(format_ratio(1.0, -3.0), "n/a");
        assert_eq!(format_ratio(0.0, 3.0), "0.00×");
    }

    #[test]
    fn milliseconds_and_mebibytes_are_formatted() {
        assert_eq!(format_ms(1.234), "1.23 ms");
        assert_eq!(format_ms(44.56), "44.6 ms");
        assert_eq!(format_ms(181.4), "181 ms");
        assert_eq!(format_mib(8 * 1024), "8.00 MiB");
        assert_eq!(format_mib(1536), "1.50 MiB");
    }

    #[test]
    fn bound_follows_the_formula() {
        let t0 = Duration::from_millis(3000);
        let ms20 = Duration::from_millis(20);
        // 100 resources at parallelism 10: 10 batches x 2 requests x 20 ms = 400 ms.
        assert_eq!(
            latency_bound(t0, 100, 10, 2, ms20),
            Duration::from_millis(3400)
        );
        // 1,000 resources, 1 request: 100 batches x 20 ms.
        assert_eq!(
            latency_bound(t0, 1000, 10, 1, ms20),
            Duration::from_millis(5000)
        );
        // A partial batch still costs a full round trip.
        assert_eq!(
            latency_bound(t0, 101, 10, 1, ms20),
            Duration::from_millis(3220)
        );
        // No latency: the bound is T0.
        assert_eq!(latency_bound(t0, 1000, 10, 2, Duration::ZERO), t0);
    }

    #[test]
    fn verdicts() {
        assert_eq!(Verdict::from_pass(true).label(), "PASS");
        assert_eq!(Verdict::from_pass(false).label(), "MISS");
    }

    #[test]
    fn alternation_interleaves_subjects() {
        assert_eq!(alternation(3, 2), vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(alternation(2, 3), vec![0, 1, 0, 1, 0, 1]);
        assert!(alternation(3, 0).is_empty());
    }
}
