//! Apply and refresh-plan of N resources against the simulator, with and without latency:
//! wall time vs the latency bound, provider CPU per resource, peak memory, requests per op.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::monitor::{run_monitored, Monitored};
use super::sim::{RecordedRequest, SimProcess, SimStats};
use super::terraform::{apply_config, reference_config, Terraform};

pub const PARALLELISM: usize = 10;
const SAMPLE_INTERVAL: Duration = Duration::from_millis(3);

/// The Terraform commands of one scenario run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `apply` creating N policies.
    Create,
    /// `plan -detailed-exitcode` with N in state and nothing changed: N reads.
    Refresh,
    /// `apply -refresh=false` changing display_name on all N.
    Update,
    /// `destroy -refresh=false`.
    Delete,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Create, Step::Refresh, Step::Update, Step::Delete];

    pub fn name(self) -> &'static str {
        match self {
            Step::Create => "create (apply)",
            Step::Refresh => "refresh (plan)",
            Step::Update => "update (apply -refresh=false)",
            Step::Delete => "delete (destroy -refresh=false)",
        }
    }

    /// Graph requests per resource the provider should make.
    pub fn target_requests(self) -> u32 {
        match self {
            // GET + PUT.
            Step::Create => 2,
            Step::Refresh | Step::Update => 1,
            // DELETE, then a GET until Graph's reads agree the policy is gone (they lag writes).
            Step::Delete => 2,
        }
    }

    fn args(self) -> Vec<String> {
        let parallelism = format!("-parallelism={PARALLELISM}");
        let words: &[&str] = match self {
            Step::Create => &["apply", "-auto-approve", "-var", "display_name=bench-a"],
            Step::Refresh => &["plan", "-detailed-exitcode", "-var", "display_name=bench-a"],
            Step::Update => &[
                "apply",
                "-auto-approve",
                "-refresh=false",
                "-var",
                "display_name=bench-b",
            ],
            Step::Delete => &[
                "destroy",
                "-auto-approve",
                "-refresh=false",
                "-var",
                "display_name=bench-b",
            ],
        };
        let mut args: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        args.push("-input=false".to_owned());
        args.push("-no-color".to_owned());
        args.push(parallelism);
        args
    }
}

/// Graph requests one step made, from the simulator's log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestCount {
    pub graph_total: usize,
    /// (method, count) of Graph requests, sorted by method.
    pub by_method: Vec<(String, usize)>,
    pub tokens: u64,
    /// Graph connections the simulator accepted during the command.
    pub connections: u64,
}

impl RequestCount {
    pub fn describe_per_resource(&self, resources: usize) -> String {
        let n = resources.max(1) as f64;
        let methods: Vec<String> = self
            .by_method
            .iter()
            .map(|(m, c)| format!("{m} {:.2}", *c as f64 / n))
            .collect();
        format!(
            "{:.2} ({})",
            self.graph_total as f64 / n,
            methods.join(", ")
        )
    }
}

/// Counts Graph API requests (not token, identity or `/_sim` ones) in a log slice.
pub fn count_requests(requests: &[RecordedRequest], tokens: u64, connections: u64) -> RequestCount {
    let mut by_method: Vec<(String, usize)> = Vec::new();
    let mut graph_total = 0;
    for request in requests.iter().filter(|r| is_graph_path(&r.path)) {
        graph_total += 1;
        match by_method.iter_mut().find(|(m, _)| *m == request.method) {
            Some((_, count)) => *count += 1,
            None => by_method.push((request.method.clone(), 1)),
        }
    }
    by_method.sort();
    RequestCount {
        graph_total,
        by_method,
        tokens,
        connections,
    }
}

pub fn is_graph_path(path: &str) -> bool {
    path.starts_with("/v1.0/") || path.starts_with("/beta/")
}

/// One step of one run.
#[derive(Debug)]
pub struct StepResult {
    pub step: Step,
    pub run: Monitored,
    /// Err when the simulator's request log could not be read: timings stay valid.
    pub requests: Result<RequestCount, String>,
}

/// Creates, refreshes, updates and destroys `resources` policies against a fresh simulator
/// with `latency` on every Graph request.
pub fn run_scenario(
    terraform: &Terraform,
    sim_exe: &Path,
    provider_exe: &Path,
    work: &Path,
    resources: usize,
    latency: Duration,
) -> Result<Vec<StepResult>> {
    let dir = work.join(format!("apply-{resources}-{}ms", latency.as_millis()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let sim = SimProcess::start(sim_exe, latency)?;
    std::fs::write(
        dir.join("main.tf"),
        apply_config(resources, &sim.credentials),
    )?;
    // The log is cleared after every step; tokens and connections are running totals.
    let stats = || {
        let stats = sim.stats()?;
        sim.reset_log()?;
        Ok::<_, anyhow::Error>(stats)
    };
    let mut before = stats().map_err(|e| format!("{e:#}"));
    let mut results = Vec::new();
    for step in Step::ALL {
        let run = run_step(terraform, &dir, provider_exe, step)?;
        let after = stats().map_err(|e| format!("{e:#}"));
        let requests = match (&before, &after) {
            (Ok(before), Ok(after)) => Ok(requests_since(before, after)),
            (Err(err), _) | (_, Err(err)) => Err(err.clone()),
        };
        before = after;
        results.push(StepResult {
            step,
            run,
            requests,
        });
    }
    Ok(results)
}

/// The same four steps on `terraform_data` resources: Terraform's own cost for N resources.
pub fn run_reference(
    terraform: &Terraform,
    work: &Path,
    resources: usize,
) -> Result<Vec<StepResult>> {
    let dir = work.join(format!("reference-{resources}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("main.tf"), reference_config(resources))?;
    // No provider runs: nothing matches this path, so only wall time is kept.
    let no_provider = dir.join("no-provider");
    Step::ALL
        .into_iter()
        .map(|step| {
            Ok(StepResult {
                step,
                run: run_step(terraform, &dir, &no_provider, step)?,
                requests: Err("no simulator".into()),
            })
        })
        .collect()
}

/// One command's requests: `after`'s log (cleared at `before`) and the growth of the totals.
fn requests_since(before: &SimStats, after: &SimStats) -> RequestCount {
    count_requests(
        &after.requests,
        after.tokens_issued.saturating_sub(before.tokens_issued),
        after
            .connections_accepted
            .saturating_sub(before.connections_accepted),
    )
}

fn run_step(
    terraform: &Terraform,
    dir: &Path,
    provider_exe: &Path,
    step: Step,
) -> Result<Monitored> {
    let log = log_path(dir, step);
    let out = std::fs::File::create(&log)?;
    let mut command: Command = terraform.command(dir);
    command
        .args(step.args())
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out);
    let run = run_monitored(command, provider_exe, SAMPLE_INTERVAL)?;
    // plan -detailed-exitcode: 0 = no changes, which is what a refresh of an unchanged
    // configuration must give.
    if step == Step::Refresh && run.status.code() == Some(2) {
        bail!(
            "plan after apply is not empty (exit 2): the provider plans changes for an \
             unchanged configuration; log {}",
            log.display()
        );
    }
    if !run.status.success() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "terraform {} failed ({}); log {}:\n{}",
            step.name(),
            run.status,
            log.display(),
            tail.join("\n")
        );
    }
    Ok(run)
}

fn log_path(dir: &Path, step: Step) -> PathBuf {
    let name = match step {
        Step::Create => "create",
        Step::Refresh => "refresh",
        Step::Update => "update",
        Step::Delete => "delete",
    };
    dir.join(format!("{name}.log"))
}

/// The Monitored run of `step` in a scenario's results.
pub fn step_of(results: &[StepResult], step: Step) -> Result<&StepResult> {
    results
        .iter()
        .find(|r| r.step == step)
        .with_context(|| format!("no {} result", step.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str) -> RecordedRequest {
        RecordedRequest {
            method: method.into(),
            path: path.into(),
            status: 200,
        }
    }

    #[test]
    fn counts_only_graph_requests_by_method() {
        let log = vec![
            request("POST", "/4a7c/oauth2/v2.0/token"),
            request(
                "GET",
                "/v1.0/policies/crossTenantAccessPolicy/partners/a/identitySynchronization",
            ),
            request(
                "PUT",
                "/v1.0/policies/crossTenantAccessPolicy/partners/a/identitySynchronization",
            ),
            request(
                "GET",
                "/beta/policies/crossTenantAccessPolicy/partners/b/identitySynchronization",
            ),
            request("GET", "/_sim/stats"),
        ];
        let count = count_requests(&log, 1, 2);
        assert_eq!(count.graph_total, 3);
        assert_eq!(count.by_method, vec![("GET".into(), 2), ("PUT".into(), 1)]);
        assert_eq!(count.tokens, 1);
        assert_eq!(count.connections, 2);
        assert_eq!(count.describe_per_resource(2), "1.50 (GET 1.00, PUT 0.50)");
    }

    #[test]
    fn requests_since_a_log_reset() {
        let before = SimStats {
            requests: vec![request("GET", "/v1.0/a")],
            tokens_issued: 1,
            connections_accepted: 4,
        };
        let after = SimStats {
            requests: vec![request("DELETE", "/v1.0/b")],
            tokens_issued: 3,
            connections_accepted: 5,
        };
        let count = requests_since(&before, &after);
        assert_eq!(count.graph_total, 1);
        assert_eq!(count.by_method, vec![("DELETE".into(), 1)]);
        assert_eq!(count.tokens, 2);
        assert_eq!(count.connections, 1);
    }

    #[test]
    fn steps_run_at_parallelism_ten_without_refresh_where_it_would_add_reads() {
        for step in Step::ALL {
            assert!(step.args().contains(&"-parallelism=10".to_owned()));
        }
        assert!(Step::Update.args().contains(&"-refresh=false".to_owned()));
        assert!(Step::Delete.args().contains(&"-refresh=false".to_owned()));
        assert!(Step::Refresh
            .args()
            .contains(&"-detailed-exitcode".to_owned()));
        assert_eq!(Step::Create.target_requests(), 2);
    }
}
