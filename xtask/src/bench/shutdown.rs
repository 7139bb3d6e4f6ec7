//! Shutdown to exit: how long after Terraform sends GRPCController.Shutdown the provider
//! process has exited, read from Terraform's own JSON trace log (`TF_LOG=json`).
//!
//! go-plugin's `Client.Kill` sends Shutdown right after Terraform logs "GRPCProvider: Close"
//! ("GRPCProvider.v6: Close" for protocol 6), then waits up to 2 s for the process; its wait on
//! the process logs "plugin process exited" once the process is reaped. Both lines come from
//! Terraform's clock with microsecond timestamps, so the gap is what Terraform waits.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::terraform::Terraform;

/// Logged by Terraform right before go-plugin sends Shutdown (protocol 6, protocol 5).
pub(super) const CLOSE_MESSAGES: [&str; 2] = ["GRPCProvider.v6: Close", "GRPCProvider: Close"];
/// Logged by go-plugin when its wait on the provider process returns.
pub(super) const EXITED_MESSAGE: &str = "plugin process exited";
/// Logged by go-plugin when the provider outlived the 2 s grace period and is killed.
const FORCED_MESSAGE: &str = "plugin failed to exit gracefully";

/// The provider processes of one Terraform command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownTimes {
    /// Close (Shutdown sent) to process reaped, one per provider process.
    pub to_exit: Vec<Duration>,
    /// Processes Terraform had to kill after the grace period.
    pub forced: usize,
}

/// Runs `terraform providers schema -json` in `dir` with `TF_LOG=json` and reads the
/// Shutdown-to-exit times of its provider processes from the log. `expect_in_output` (the
/// provider's address) must appear in the schema output, so a run without the provider fails.
pub fn measure(terraform: &Terraform, dir: &Path, expect_in_output: &str) -> Result<ShutdownTimes> {
    shutdown_times(&traced_schema(terraform, dir, expect_in_output)?)
}

/// Runs `terraform providers schema -json` in `dir` with `TF_LOG=json`; returns the JSON trace
/// log, failing when the command fails or its output lacks `expect_in_output`.
pub(super) fn traced_schema(
    terraform: &Terraform,
    dir: &Path,
    expect_in_output: &str,
) -> Result<String> {
    let output = terraform
        .command(dir)
        .args(["providers", "schema", "-json"])
        .env("TF_LOG", "json")
        .stdin(Stdio::null())
        .output()
        .context("running terraform providers schema")?;
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        let errors: Vec<&str> = log
            .lines()
            .filter(|line| line.contains("\"@level\":\"error\""))
            .collect();
        bail!(
            "terraform providers schema failed ({}): {}",
            output.status,
            errors.join(" ")
        );
    }
    if !String::from_utf8_lossy(&output.stdout).contains(expect_in_output) {
        bail!("schema output does not mention {expect_in_output}");
    }
    Ok(log)
}

/// Pairs every Close in a JSON trace log with the next "plugin process exited" after it.
pub fn shutdown_times(log: &str) -> Result<ShutdownTimes> {
    let mut closes: Vec<i64> = Vec::new();
    let mut to_exit = Vec::new();
    let mut forced = 0;
    for line in log.lines().filter(|l| l.starts_with('{')) {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(message) = entry.get("@message").and_then(|m| m.as_str()) else {
            continue;
        };
        let is_close = CLOSE_MESSAGES.contains(&message);
        if message == FORCED_MESSAGE {
            forced += 1;
        }
        if !is_close && message != EXITED_MESSAGE {
            continue;
        }
        let at = entry
            .get("@timestamp")
            .and_then(|t| t.as_str())
            .and_then(micros_since_epoch)
            .with_context(|| format!("no readable @timestamp in {line}"))?;
        if is_close {
            closes.push(at);
        } else if !closes.is_empty() {
            let close = closes.remove(0);
            let micros = u64::try_from(at - close)
                .with_context(|| format!("exit logged before its Close: {line}"))?;
            to_exit.push(Duration::from_micros(micros));
        }
    }
    if !closes.is_empty() {
        bail!(
            "{} provider Close(s) without a \"{EXITED_MESSAGE}\" after them",
            closes.len()
        );
    }
    if to_exit.is_empty() {
        bail!("the log has no provider Close followed by \"{EXITED_MESSAGE}\" (is TF_LOG=json honoured?)");
    }
    Ok(ShutdownTimes { to_exit, forced })
}

/// hclog's JSON `@timestamp` ("2026-11-29T23:36:41.831950Z") as microseconds since the epoch.
pub fn micros_since_epoch(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (
        date_parts.next()??,
        date_parts.next()??,
        date_parts.next()??,
    );
    let (clock, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let mut clock_parts = clock.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hour, minute, second) = (
        clock_parts.next()??,
        clock_parts.next()??,
        clock_parts.next()??,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || fraction.len() > 9 {
        return None;
    }
    let digits: i64 = fraction.parse().ok()?;
    let micros = digits * 10_i64.pow(9 - fraction.len() as u32) / 1000;
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
    Some(seconds * 1_000_000 + micros)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_to_microseconds() {
        assert_eq!(micros_since_epoch("1970-01-01T00:00:00.000000Z"), Some(0));
        assert_eq!(
            micros_since_epoch("1970-01-02T00:00:01.000002Z"),
            Some(86_401_000_002)
        );
        assert_eq!(
            micros_since_epoch("2000-03-01T00:00:00.5Z"),
            Some(951_868_800_500_000)
        );
        // Across midnight the difference stays right.
        let before = micros_since_epoch("2026-12-31T23:59:59.999900Z").expect("before");
        let after = micros_since_epoch("2027-01-01T00:00:00.000100Z").expect("after");
        assert_eq!(after - before, 200);
        assert_eq!(micros_since_epoch("2026-11-29 23:36:41Z"), None);
        assert_eq!(micros_since_epoch("2026-13-29T23:36:41.0Z"), None);
        assert_eq!(micros_since_epoch("2026-11-29T23:36:41.0"), None);
    }

    /// Lines as Terraform 1.11.4 writes them for `providers schema -json` (trimmed).
    const OURS: &str = r#"2026-11-29T23:36:41.800Z [INFO]  Terraform version: 1.11.4
{"@level":"trace","@message":"GRPCProvider.v6: GetProviderSchema","@timestamp":"2026-11-29T23:36:41.830636Z"}
{"@level":"trace","@message":"GRPCProvider.v6: Close","@timestamp":"2026-11-29T23:36:41.831950Z"}
{"@level":"debug","@message":"Terraform asked the provider to shut down","@module":"provider","@timestamp":"2026-11-29T23:36:41.832188Z"}
{"@level":"info","@message":"plugin process exited","@module":"provider","@timestamp":"2026-11-29T23:36:41.833065Z","id":"14833"}
{"@level":"debug","@message":"plugin exited","@module":"provider","@timestamp":"2026-11-29T23:36:41.833362Z"}
"#;

    #[test]
    fn close_to_exit_from_a_protocol_6_log() {
        let times = shutdown_times(OURS).expect("times");
        assert_eq!(times.to_exit, vec![Duration::from_micros(1_115)]);
        assert_eq!(times.forced, 0);
    }

    #[test]
    fn protocol_5_closes_and_forced_kills_count() {
        let log = r#"{"@level":"trace","@message":"GRPCProvider: Close","@timestamp":"2026-11-29T23:36:42.048715Z"}
{"@level":"warn","@message":"plugin failed to exit gracefully","@module":"provider","@timestamp":"2026-11-29T23:36:44.049000Z"}
{"@level":"info","@message":"plugin process exited","@module":"provider","@timestamp":"2026-11-29T23:36:44.053247Z"}
{"@level":"trace","@message":"GRPCProvider: Close","@timestamp":"2026-11-29T23:36:45.000000Z"}
{"@level":"info","@message":"plugin process exited","@module":"provider","@timestamp":"2026-11-29T23:36:45.004000Z"}
"#;
        let times = shutdown_times(log).expect("times");
        assert_eq!(
            times.to_exit,
            vec![
                Duration::from_micros(2_004_532),
                Duration::from_micros(4_000)
            ]
        );
        assert_eq!(times.forced, 1);
    }

    #[test]
    fn a_log_without_a_complete_pair_is_an_error() {
        let close_only = r#"{"@level":"trace","@message":"GRPCProvider.v6: Close","@timestamp":"2026-11-29T23:36:41.831950Z"}"#;
        let err = shutdown_times(close_only).expect_err("no exit");
        assert!(err.to_string().contains("without"), "{err:#}");
        let plain = "2026-11-29T23:36:22.639Z [TRACE] GRPCProvider.v6: Close\n";
        let err = shutdown_times(plain).expect_err("not json");
        assert!(err.to_string().contains("TF_LOG=json"), "{err:#}");
        let bad_time = r#"{"@message":"GRPCProvider.v6: Close","@timestamp":"yesterday"}"#;
        assert!(shutdown_times(bad_time).is_err());
    }
}
