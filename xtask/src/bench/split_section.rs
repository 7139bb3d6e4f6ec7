//! The report section that splits the overhead per command into Terraform's AutoMTLS setup and
//! what the provider itself costs (exec to exit), phase by phase, with the provider's targets.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::phases::{self, per_command, ProcessPhases};
use super::report::{Section, Table};
use super::sections::{alternate_traced_runs, traced_subjects, verdict};
use super::stats::{format_ms, format_ratio, median_ms};
use super::terraform::Terraform;

/// Target: what the provider costs per command (exec to exit), at most this.
const PROVIDER_PART_TARGET: Duration = Duration::from_millis(8);
/// And at most a tenth of the Go provider's.
const PROVIDER_PART_RATIO: f64 = 0.1;

pub fn split(
    tf: &Terraform,
    work: &Path,
    go_dir: &Result<PathBuf, String>,
    runs: usize,
) -> Section {
    let target_ms = PROVIDER_PART_TARGET.as_secs_f64() * 1000.0;
    let mut section = Section {
        title: "What the provider costs per command, and what Terraform does".into(),
        method: format!(
            "The overhead above includes work Terraform does for every provider alike: before \
             it starts a provider, go-plugin generates Terraform's P-521 client key and \
             certificate for AutoMTLS. This splits each command of `terraform providers schema \
             -json` with `TF_LOG=json` ({runs} runs per provider, alternating, after one untimed \
             run) at Terraform's own trace timestamps: \"configuring client automatic mTLS\" → \
             \"starting plugin\" is Terraform's mTLS setup; \"starting plugin\" → \"plugin process \
             exited\" is what the provider costs: exec and handshake up to \"using plugin\" (the \
             handshake line read), then the TLS connection and the RPCs up to Close (go-plugin \
             connects lazily, on the first RPC, so the TLS handshake falls in this phase with \
             Terraform's own gRPC client set-up), and Shutdown to exit. Sums over the command's provider processes, medians over runs. \
             Trace logging itself slows Terraform a little, so these times sit slightly above \
             the untraced ones. Targets for the provider's part: ≤ {} and ≤ 1/10 of the Go \
             provider's.",
            format_ms(target_ms)
        ),
        ..Section::default()
    };
    let subjects = traced_subjects(&mut section, go_dir);
    let results = alternate_traced_runs(work, "split", &subjects, runs, |dir, source| {
        phases::measure(tf, dir, source)
    });
    // Per subject: the median of each phase over commands, and processes per command.
    let mut medians: Vec<Option<[f64; 5]>> = Vec::new();
    let mut processes = Vec::new();
    for ((label, _, _), result) in subjects.iter().zip(&results) {
        match result {
            Ok(commands) if !commands.is_empty() => {
                let totals: Vec<ProcessPhases> = commands.iter().map(|c| per_command(c)).collect();
                let of = |f: fn(&ProcessPhases) -> Duration| {
                    median_ms(&totals.iter().map(f).collect::<Vec<_>>()).unwrap_or(f64::NAN)
                };
                medians.push(Some([
                    of(|p| p.mtls),
                    of(|p| p.start_to_connected),
                    of(|p| p.rpcs),
                    of(|p| p.close_to_exit),
                    of(ProcessPhases::provider),
                ]));
                processes.push(commands[0].len());
            }
            Ok(_) => {
                medians.push(None);
                processes.push(0);
            }
            Err(err) => {
                section.errors.push(format!("{label}: {err}"));
                medians.push(None);
                processes.push(0);
            }
        }
    }
    let value =
        |subject: usize, phase: usize| medians.get(subject).copied().flatten().map(|m| m[phase]);
    let show = |v: Option<f64>| v.map(format_ms).unwrap_or_else(|| "n/a".into());
    let mut table = Table::new(&[
        "Phase (per command)",
        "This provider",
        "vsphere Go provider",
        "Ours / Go",
        "Target",
        "Result",
    ]);
    let names = [
        "Terraform: AutoMTLS setup (mTLS → starting plugin), not the provider's",
        "exec and handshake line (starting plugin → using plugin)",
        "TLS connect and RPCs (using plugin → Close)",
        "Shutdown to exit (Close → plugin process exited)",
        "**The provider's part** (starting plugin → plugin process exited)",
    ];
    for (phase, name) in names.iter().enumerate() {
        let (ours, go) = (value(0, phase), value(1, phase));
        let ratio = match (ours, go) {
            (Some(o), Some(g)) => format_ratio(o, g),
            _ => "n/a".into(),
        };
        let (target, result) = if phase == 4 {
            let absolute = ours.map(|o| o <= target_ms);
            let relative = match (ours, go) {
                (Some(o), Some(g)) => Some(o <= g * PROVIDER_PART_RATIO),
                _ => None,
            };
            let mut results = Vec::new();
            if let Some(pass) = absolute {
                results.push(format!(
                    "{} (≤ {})",
                    verdict(&mut section, pass),
                    format_ms(target_ms)
                ));
            }
            if let Some(pass) = relative {
                results.push(format!("{} (≤ 1/10 of Go's)", verdict(&mut section, pass)));
            }
            (
                format!("≤ {} and ≤ 1/10 of Go's", format_ms(target_ms)),
                if results.is_empty() {
                    "not measured".into()
                } else {
                    results.join(", ")
                },
            )
        } else {
            (String::new(), String::new())
        };
        table.row(vec![
            name.to_string(),
            show(ours),
            show(go),
            ratio,
            target,
            result,
        ]);
    }
    section.method.push_str(&format!(
        " Provider processes per command: {} for this provider, {} for the Go provider.",
        processes.first().copied().unwrap_or(0),
        processes.get(1).copied().unwrap_or(0)
    ));
    section.table = Some(table);
    section
}
