//! Provider overhead per Terraform command: `terraform providers schema -json` with no
//! provider (Terraform's own cost), with ours and with the Go provider, runs interleaved.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::stats::alternation;
use super::terraform::Terraform;

/// One configuration measured.
#[derive(Debug, Clone)]
pub struct Subject {
    pub label: String,
    pub config: String,
    /// A string the schema output must contain (the provider's address), if any.
    pub expect_in_output: Option<String>,
}

/// Wall times per subject, or why a subject could not be measured.
#[derive(Debug)]
pub struct SubjectTimes {
    pub label: String,
    pub times: Result<Vec<Duration>>,
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
        })
        .collect();
    for index in alternation(subjects.len(), runs) {
        let Ok(times) = &mut results[index].times else {
            continue;
        };
        match time_once(terraform, &dirs[index]) {
            Ok(elapsed) => times.push(elapsed),
            Err(err) => results[index].times = Err(err),
        }
    }
    Ok(results)
}

fn warm_up(terraform: &Terraform, dir: &Path, subject: &Subject) -> Result<()> {
    let output = terraform
        .command(dir)
        .args(["providers", "schema", "-json"])
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

fn time_once(terraform: &Terraform, dir: &Path) -> Result<Duration> {
    let mut command = terraform.command(dir);
    command
        .args(["providers", "schema", "-json"])
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
