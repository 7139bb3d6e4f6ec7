//! Provider overhead per Terraform command: `terraform providers schema -json` with no
//! provider (Terraform's own cost), with ours and with the Go provider, runs interleaved.
//! Timed runs only time; a few separate monitored runs then measure the provider's CPU time
//! and memory per command, so the sampling cannot disturb the timings.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::monitor::run_monitored;
use super::stats::alternation;
use super::terraform::Terraform;

/// One configuration measured.
#[derive(Debug, Clone)]
pub struct Subject {
    pub label: String,
    pub config: String,
    /// A string the schema output must contain (the provider's address), if any.
    pub expect_in_output: Option<String>,
    /// The provider binary Terraform starts, to watch its processes.
    pub provider_exe: Option<PathBuf>,
    /// Extra environment for Terraform (e.g. TF_DISABLE_PLUGIN_TLS=1).
    pub env: Vec<(String, String)>,
}

/// Monitored runs per subject for CPU and memory.
const MONITORED_RUNS: usize = 3;

/// Wall times per subject, or why a subject could not be measured.
#[derive(Debug)]
pub struct SubjectTimes {
    pub label: String,
    pub times: Result<Vec<Duration>>,
    /// Provider CPU time (user + system, all its processes) per command, monitored runs.
    pub provider_cpu: Vec<Duration>,
    /// Highest provider VmHWM over the monitored runs, KiB.
    pub provider_peak_kib: u64,
}

/// Runs every subject once untimed (checking its output), then `runs` timed rounds in
/// alternation; a subject that fails is dropped from later rounds and reported as failed.
pub fn measure(
    terraform: &Terraform,
    work: &Path,
    subjects: &[Subject],
    runs: usize,
) -> Result<Vec<SubjectTimes>> {
    let mut dirs = Vec::new();
    for (i, subject) in subjects.iter().enumerate() {
        let dir = work.join(format!("schema-{i}"));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("main.tf"), &subject.config)?;
        dirs.push(dir);
    }
    let mut results: Vec<SubjectTimes> = subjects
        .iter()
        .zip(&dirs)
        .map(|(subject, dir)| SubjectTimes {
            label: subject.label.clone(),
            times: warm_up(terraform, dir, subject).map(|()| Vec::new()),
            provider_cpu: Vec::new(),
            provider_peak_kib: 0,
        })
        .collect();
    for index in alternation(subjects.len(), runs) {
        let Ok(times) = &mut results[index].times else {
            continue;
        };
        match time_once(terraform, &dirs[index], &subjects[index].env) {
            Ok(elapsed) => times.push(elapsed),
            Err(err) => results[index].times = Err(err),
        }
    }
    for index in alternation(subjects.len(), MONITORED_RUNS) {
        let Some(exe) = &subjects[index].provider_exe else {
            continue;
        };
        if results[index].times.is_err() {
            continue;
        }
        let mut command = terraform.command(&dirs[index]);
        command
            .args(["providers", "schema", "-json"])
            .envs(subjects[index].env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match run_monitored(command, exe, Duration::from_millis(2)) {
            Ok(seen) if seen.status.success() => {
                let result = &mut results[index];
                result.provider_cpu.push(seen.children_cpu);
                result.provider_peak_kib = result.provider_peak_kib.max(seen.peak_hwm_kib);
            }
            Ok(seen) => {
                results[index].times =
                    Err(anyhow::anyhow!("monitored run failed ({})", seen.status))
            }
            Err(err) => results[index].times = Err(err),
        }
    }
    Ok(results)
}

fn warm_up(terraform: &Terraform, dir: &Path, subject: &Subject) -> Result<()> {
    let output = terraform
        .command(dir)
        .args(["providers", "schema", "-json"])
        .envs(subject.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .context("running terraform providers schema")?;
    if !output.status.success() {
        bail!(
            "terraform providers schema failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    if let Some(expected) = &subject.expect_in_output {
        if !String::from_utf8_lossy(&output.stdout).contains(expected.as_str()) {
            bail!(
                "{}: schema output does not mention {expected}",
                subject.label
            );
        }
    }
    Ok(())
}

fn time_once(terraform: &Terraform, dir: &Path, env: &[(String, String)]) -> Result<Duration> {
    let mut command = terraform.command(dir);
    command
        .args(["providers", "schema", "-json"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let output = command.output().context("running terraform")?;
    let elapsed = start.elapsed();
    if !output.status.success() {
        bail!(
            "terraform providers schema failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(elapsed)
}
