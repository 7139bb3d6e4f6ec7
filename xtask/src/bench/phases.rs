//! Where a provider process's time goes, from Terraform's own JSON trace (`TF_LOG=json`):
//! Terraform's AutoMTLS setup before it starts the provider, then what the provider costs from
//! exec to exit, split at the handshake and at Shutdown.
//!
//! go-plugin logs "configuring client automatic mTLS" before generating Terraform's P-521 client
//! key and certificate, "starting plugin" right before exec, "using plugin" once the handshake
//! line is read (it dials lazily: TLS happens with the first RPC), and "plugin process exited"
//! when its wait on the process returns; Terraform logs "GRPCProvider[.v6]: Close" right before
//! Shutdown. All carry microsecond `@timestamp`s from Terraform's clock.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::shutdown::{micros_since_epoch, traced_schema, CLOSE_MESSAGES, EXITED_MESSAGE};
use super::terraform::Terraform;

const MTLS_MESSAGE: &str = "configuring client automatic mTLS";
const STARTING_MESSAGE: &str = "starting plugin";
const CONNECTED_MESSAGE: &str = "using plugin";

/// One provider process of a command, phase by phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessPhases {
    /// Terraform's AutoMTLS setup (key and certificate), before the provider exists.
    pub mtls: Duration,
    /// Exec and the handshake line.
    pub start_to_connected: Duration,
    /// Handshake read to Close: the TLS connection, the RPCs and Terraform's work between them.
    pub rpcs: Duration,
    /// Close (Shutdown sent) to the process reaped.
    pub close_to_exit: Duration,
}

impl ProcessPhases {
    /// What the provider costs: "starting plugin" to "plugin process exited".
    pub fn provider(&self) -> Duration {
        self.start_to_connected + self.rpcs + self.close_to_exit
    }

    fn add(&mut self, other: &ProcessPhases) {
        self.mtls += other.mtls;
        self.start_to_connected += other.start_to_connected;
        self.rpcs += other.rpcs;
        self.close_to_exit += other.close_to_exit;
    }
}

/// Sums the processes of one command: what the command paid for each phase.
pub fn per_command(processes: &[ProcessPhases]) -> ProcessPhases {
    let mut total = ProcessPhases::default();
    for process in processes {
        total.add(process);
    }
    total
}

/// Runs `terraform providers schema -json` in `dir` with `TF_LOG=json` and returns the phases
/// of its provider processes. `expect_in_output` must appear in the schema output.
pub fn measure(
    terraform: &Terraform,
    dir: &Path,
    expect_in_output: &str,
) -> Result<Vec<ProcessPhases>> {
    phases(&traced_schema(terraform, dir, expect_in_output)?)
}

/// Reads the phases of every provider process from a JSON trace log. Processes of a
/// `providers schema` command run one after another, so the marks are taken in order.
pub fn phases(log: &str) -> Result<Vec<ProcessPhases>> {
    let mut found = Vec::new();
    let mut marks: [Option<i64>; 4] = [None; 4];
    for line in log.lines().filter(|l| l.starts_with('{')) {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(message) = entry.get("@message").and_then(|m| m.as_str()) else {
            continue;
        };
        let slot = match message {
            MTLS_MESSAGE => 0,
            STARTING_MESSAGE => 1,
            CONNECTED_MESSAGE => 2,
            m if CLOSE_MESSAGES.contains(&m) => 3,
            EXITED_MESSAGE => 4,
            _ => continue,
        };
        let at = entry
            .get("@timestamp")
            .and_then(|t| t.as_str())
            .and_then(micros_since_epoch)
            .with_context(|| format!("no readable @timestamp in {line}"))?;
        if slot < 4 {
            if slot == 0 {
                marks = [None; 4];
            }
            marks[slot] = Some(at);
            continue;
        }
        let [mtls, start, connected, close] = marks;
        let (Some(start), Some(connected), Some(close)) = (start, connected, close) else {
            bail!("a provider process exited without \"{STARTING_MESSAGE}\", \"{CONNECTED_MESSAGE}\" and Close before it");
        };
        let gap = |from: i64, to: i64| -> Result<Duration> {
            let micros = u64::try_from(to - from)
                .with_context(|| format!("trace marks out of order near {line}"))?;
            Ok(Duration::from_micros(micros))
        };
        found.push(ProcessPhases {
            mtls: match mtls {
                Some(mtls) => gap(mtls, start)?,
                None => Duration::ZERO,
            },
            start_to_connected: gap(start, connected)?,
            rpcs: gap(connected, close)?,
            close_to_exit: gap(close, at)?,
        });
        marks = [None; 4];
    }
    if found.is_empty() {
        bail!("the log shows no provider process from \"{STARTING_MESSAGE}\" to \"{EXITED_MESSAGE}\" (is TF_LOG=json honoured?)");
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as Terraform 1.11.4 writes them for `providers schema -json` (trimmed).
    const OURS: &str = r#"{"@level":"info","@message":"configuring client automatic mTLS","@module":"provider","@timestamp":"2026-12-03T15:24:07.864060Z"}
{"@level":"debug","@message":"starting plugin","@module":"provider","@timestamp":"2026-12-03T15:24:07.912057Z","path":"/x/terraform-provider-msgraph"}
{"@level":"debug","@message":"plugin started","@module":"provider","@timestamp":"2026-12-03T15:24:07.913144Z","pid":23538}
{"@level":"debug","@message":"using plugin","@module":"provider","@timestamp":"2026-12-03T15:24:07.939418Z","version":6}
{"@level":"trace","@message":"GRPCProvider.v6: GetProviderSchema","@timestamp":"2026-12-03T15:24:07.949442Z"}
{"@level":"trace","@message":"GRPCProvider.v6: Close","@timestamp":"2026-12-03T15:24:07.956439Z"}
{"@level":"info","@message":"plugin process exited","@module":"provider","@timestamp":"2026-12-03T15:24:07.993901Z","id":"23538"}
"#;

    #[test]
    fn splits_a_protocol_6_process_at_start_connect_close_and_exit() {
        let found = phases(OURS).expect("phases");
        let expected = ProcessPhases {
            mtls: Duration::from_micros(47_997),
            start_to_connected: Duration::from_micros(27_361),
            rpcs: Duration::from_micros(17_021),
            close_to_exit: Duration::from_micros(37_462),
        };
        assert_eq!(found, vec![expected]);
        assert_eq!(expected.provider(), Duration::from_micros(81_844));
    }

    #[test]
    fn sums_the_processes_of_a_command_and_reads_protocol_5() {
        let second = OURS
            .replace("GRPCProvider.v6: Close", "GRPCProvider: Close")
            .replace("2026-12-03T15:24:07", "2026-12-03T15:24:08");
        let found = phases(&format!("{OURS}{second}")).expect("phases");
        assert_eq!(found.len(), 2);
        let total = per_command(&found);
        assert_eq!(total.provider(), Duration::from_micros(2 * 81_844));
        assert_eq!(total.mtls, Duration::from_micros(2 * 47_997));
    }

    #[test]
    fn incomplete_logs_are_errors() {
        let no_start: String = OURS
            .lines()
            .filter(|l| !l.contains("starting plugin"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(phases(&no_start).is_err());
        assert!(phases("2026-12-03T15:24:07.912Z [DEBUG] starting plugin\n").is_err());
    }
}
