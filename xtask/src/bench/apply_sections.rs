//! Report sections for the apply runs against the simulator: wall time vs the latency bound,
//! provider CPU per resource, Terraform-alone reference, requests per operation.

use std::path::Path;
use std::time::Duration;

use super::apply::{self, RequestCount, Step, StepResult, PARALLELISM};
use super::options::Options;
use super::report::{Section, Table};
use super::sections::verdict;
use super::stats::{format_ms, latency_bound, median, median_ms};
use super::terraform::Terraform;
use super::Paths;

const LATENCY: Duration = Duration::from_millis(20);
const BOUND_FACTOR: f64 = 1.25;

/// One scenario run: N resources at one latency.
struct ScenarioRun {
    resources: usize,
    latency: Duration,
    steps: Vec<StepResult>,
}

/// Returns the apply section, the requests section and the peak provider RSS (KiB) seen while
/// applying the largest N.
pub fn apply(
    tf: &Terraform,
    work: &Path,
    paths: &Paths,
    options: &Options,
) -> (Section, Section, Option<u64>) {
    let counts = options.resource_counts();
    let mut section = Section {
        title: "Apply and refresh against the simulator".into(),
        method: format!(
            "`count = N` policies with distinct partner tenant IDs against `msgraph-sim` on \
             loopback, `-parallelism={PARALLELISM}`, {} run(s) per N, alternating 0 ms and \
             {} ms of latency injected on every Graph request (`msgraph-sim --latency-ms`). \
             Each run: apply (create N), plan with refresh and no changes (N reads), apply \
             `-refresh=false` with a changed display_name (N updates), destroy \
             `-refresh=false` (N deletes). T0 = median wall time at 0 ms; W = median at {} ms; \
             bound B = T0 + ceil(N/{PARALLELISM}) × requests per op × {} ms with the target \
             requests per op (create 2, refresh 1). Target: W ≤ 1.25 × B. Provider CPU = user + \
             system time of all provider processes of the command (from Terraform's \
             cutime/cstime, read while Terraform is a zombie, so nothing is missed between \
             samples; it includes start-up, schema and shutdown of every provider process) \
             divided by N, median of the 0 ms runs. Terraform alone: the same four commands on as \
             many built-in `terraform_data` resources (no provider, no network), run in the \
             same alternation: roughly what Terraform itself costs for N resources (not a strict \
             bound: `terraform_data` carries more state per resource, so it can be slower \
             than the provider's runs).",
            options.apply_runs(),
            LATENCY.as_millis(),
            LATENCY.as_millis(),
            LATENCY.as_millis()
        ),
        ..Section::default()
    };
    let mut requests_section = Section {
        title: "Requests per operation".into(),
        method: "Graph requests (paths under /v1.0/ or /beta/) counted by the simulator's \
                 request log (`GET /_sim/stats`) per command of a 0 ms run, divided by N; \
                 the largest count over runs. Tokens: tokens issued during a command vs the \
                 provider processes seen during it (a process needs at most one token). \
                 Connections: TCP connections the simulator accepted for Graph and token \
                 requests during the command (reuse keeps this near the provider processes × \
                 parallelism, not the requests)."
            .into(),
        ..Section::default()
    };
    let mut runs: Vec<ScenarioRun> = Vec::new();
    let mut references: Vec<ScenarioRun> = Vec::new();
    let mut latency_broken = false;
    'all: for &resources in &counts {
        for round in 0..options.apply_runs() {
            eprintln!(
                "bench: N = {resources}, Terraform alone (terraform_data), run {}/{}",
                round + 1,
                options.apply_runs()
            );
            match apply::run_reference(tf, work, resources) {
                Ok(steps) => references.push(ScenarioRun {
                    resources,
                    latency: Duration::ZERO,
                    steps,
                }),
                Err(err) => section
                    .errors
                    .push(format!("N = {resources}, Terraform alone: {err:#}")),
            }
            for latency in [Duration::ZERO, LATENCY] {
                if latency_broken && !latency.is_zero() {
                    continue;
                }
                eprintln!(
                    "bench: N = {resources}, {} ms latency, run {}/{}",
                    latency.as_millis(),
                    round + 1,
                    options.apply_runs()
                );
                match apply::run_scenario(
                    tf,
                    &paths.sim(),
                    &paths.provider(),
                    work,
                    resources,
                    latency,
                ) {
                    Ok(steps) => runs.push(ScenarioRun {
                        resources,
                        latency,
                        steps,
                    }),
                    Err(err) => {
                        section.errors.push(format!(
                            "N = {resources}, {} ms: {err:#}",
                            latency.as_millis()
                        ));
                        if latency.is_zero() {
                            break 'all; // the provider or Terraform is broken
                        }
                        // Latency injection failed: keep the 0 ms runs (T0, CPU, requests).
                        latency_broken = true;
                    }
                }
            }
        }
    }
    if !runs.is_empty() || !references.is_empty() {
        section.table = Some(apply_table(&mut section, &runs, &references, &counts));
    }
    if !runs.is_empty() {
        requests_section.table = Some(requests_table(&mut requests_section, &runs, &counts));
    } else {
        requests_section
            .errors
            .push("no apply run completed".into());
    }
    let largest = counts.iter().copied().max().unwrap_or(0);
    let peak = runs
        .iter()
        .filter(|r| r.resources == largest)
        .flat_map(|r| r.steps.iter().map(|s| s.run.peak_hwm_kib))
        .max();
    (section, requests_section, peak)
}

fn walls(runs: &[ScenarioRun], resources: usize, latency: Duration, step: Step) -> Vec<Duration> {
    runs.iter()
        .filter(|r| r.resources == resources && r.latency == latency)
        .filter_map(|r| apply::step_of(&r.steps, step).ok())
        .map(|s| s.run.wall)
        .collect()
}

fn apply_table(
    section: &mut Section,
    runs: &[ScenarioRun],
    references: &[ScenarioRun],
    counts: &[usize],
) -> Table {
    let mut table = Table::new(&[
        "N",
        "Command",
        "T0 (0 ms)",
        "W (20 ms)",
        "Bound B",
        "W / B",
        "Target",
        "Result",
        "Provider CPU / resource",
        "Terraform alone",
        "T0 − Terraform alone",
    ]);
    for &n in counts {
        for step in Step::ALL {
            let t0 = median_ms(&walls(runs, n, Duration::ZERO, step));
            let w = median_ms(&walls(runs, n, LATENCY, step));
            let alone = median_ms(&walls(references, n, Duration::ZERO, step));
            let cpu: Vec<f64> = runs
                .iter()
                .filter(|r| r.resources == n && r.latency.is_zero())
                .filter_map(|r| apply::step_of(&r.steps, step).ok())
                .map(|s| s.run.children_cpu.as_secs_f64() * 1000.0 / n as f64)
                .collect();
            let cpu_cell = median(&cpu)
                .map(|ms| format!("{ms:.3} ms"))
                .unwrap_or_else(|| "n/a".into());
            let bounded = matches!(step, Step::Create | Step::Refresh);
            let (bound_cell, ratio_cell, target_cell, result_cell) = match (t0, w) {
                (Some(t0), Some(w)) => {
                    let bound = latency_bound(
                        Duration::from_secs_f64(t0 / 1000.0),
                        n,
                        PARALLELISM,
                        step.target_requests(),
                        LATENCY,
                    )
                    .as_secs_f64()
                        * 1000.0;
                    let ratio = w / bound;
                    if bounded {
                        (
                            format_ms(bound),
                            format!("{ratio:.2}"),
                            "≤ 1.25".to_owned(),
                            verdict(section, ratio <= BOUND_FACTOR),
                        )
                    } else {
                        (
                            format_ms(bound),
                            format!("{ratio:.2}"),
                            "(info)".into(),
                            String::new(),
                        )
                    }
                }
                _ => (
                    "n/a".into(),
                    "n/a".into(),
                    String::new(),
                    "not measured".into(),
                ),
            };
            table.row(vec![
                n.to_string(),
                step.name().into(),
                t0.map(format_ms).unwrap_or_else(|| "n/a".into()),
                w.map(format_ms).unwrap_or_else(|| "n/a".into()),
                bound_cell,
                ratio_cell,
                target_cell,
                result_cell,
                cpu_cell,
                alone.map(format_ms).unwrap_or_else(|| "n/a".into()),
                match (t0, alone) {
                    (Some(t0), Some(alone)) => format_ms(t0 - alone),
                    _ => "n/a".into(),
                },
            ]);
        }
    }
    table
}

fn requests_table(section: &mut Section, runs: &[ScenarioRun], counts: &[usize]) -> Table {
    let mut table = Table::new(&[
        "N",
        "Command",
        "Graph requests per resource",
        "Target",
        "Result",
        "Tokens / provider processes",
        "Connections",
    ]);
    for &n in counts {
        let zero: Vec<&ScenarioRun> = runs
            .iter()
            .filter(|r| r.resources == n && r.latency.is_zero())
            .collect();
        for step in Step::ALL {
            let mut counted: Vec<(&StepResult, &RequestCount)> = Vec::new();
            for result in zero
                .iter()
                .filter_map(|r| apply::step_of(&r.steps, step).ok())
            {
                match &result.requests {
                    Ok(count) => counted.push((result, count)),
                    Err(err) => {
                        let err = format!("simulator request log: {err}");
                        if !section.errors.contains(&err) {
                            section.errors.push(err);
                        }
                    }
                }
            }
            let Some(&(worst_run, worst)) = counted.iter().max_by_key(|(_, c)| c.graph_total)
            else {
                continue;
            };
            let per_resource = worst.graph_total as f64 / n as f64;
            let target = step.target_requests();
            let pass = per_resource <= f64::from(target);
            let result = verdict(section, pass);
            let tokens_ok = counted
                .iter()
                .all(|(run, count)| count.tokens <= run.run.provider_processes as u64);
            let tokens_result = verdict(section, tokens_ok);
            let tokens_cell = format!(
                "{} / {} {}",
                worst.tokens, worst_run.run.provider_processes, tokens_result
            );
            let target_cell = match step {
                Step::Create => "2 (GET, PUT)".to_owned(),
                _ => target.to_string(),
            };
            table.row(vec![
                n.to_string(),
                step.name().into(),
                worst.describe_per_resource(n),
                target_cell,
                result,
                tokens_cell,
                worst.connections.to_string(),
            ]);
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    use super::*;
    use crate::bench::monitor::Monitored;

    fn step(step: Step, wall_ms: u64, graph: usize, tokens: u64) -> StepResult {
        StepResult {
            step,
            run: Monitored {
                status: ExitStatus::from_raw(0),
                wall: Duration::from_millis(wall_ms),
                children_cpu: Duration::from_millis(50),
                peak_hwm_kib: 9000,
                provider_processes: 2,
            },
            requests: Ok(RequestCount {
                graph_total: graph,
                by_method: vec![("GET".into(), graph / 2), ("PUT".into(), graph - graph / 2)],
                tokens,
                connections: 3,
            }),
        }
    }

    fn scenario(latency_ms: u64, create_ms: u64, refresh_ms: u64) -> ScenarioRun {
        ScenarioRun {
            resources: 100,
            latency: Duration::from_millis(latency_ms),
            steps: vec![
                step(Step::Create, create_ms, 200, 1),
                step(Step::Refresh, refresh_ms, 100, 1),
                step(Step::Update, 900, 100, 1),
                step(Step::Delete, 900, 100, 1),
            ],
        }
    }

    #[test]
    fn apply_table_compares_w_with_the_bound() {
        let runs = vec![scenario(0, 1000, 1000), scenario(20, 1500, 2000)];
        let mut section = Section::default();
        let references = vec![scenario(0, 700, 600)];
        let table = apply_table(&mut section, &runs, &references, &[100]);
        let create = &table.rows[0];
        // B = 1000 + ceil(100/10) x 2 x 20 = 1400 ms; W = 1500 ms.
        assert_eq!(create[4], "1400 ms");
        assert_eq!(create[5], "1.07");
        assert_eq!(create[7], "PASS");
        // Provider CPU 50 ms over 100 resources.
        assert_eq!(create[8], "0.500 ms");
        // Terraform alone 700 ms: the provider adds 300 ms at 0 ms latency.
        assert_eq!(create[9], "700 ms");
        assert_eq!(create[10], "300 ms");
        let refresh = &table.rows[1];
        // B = 1000 + 10 x 1 x 20 = 1200 ms; W = 2000 ms.
        assert_eq!(refresh[4], "1200 ms");
        assert_eq!(refresh[7], "MISS");
        assert_eq!(section.misses, 1);
        assert_eq!(table.rows.len(), 4);
    }

    #[test]
    fn requests_table_checks_requests_and_tokens() {
        let runs = vec![scenario(0, 1000, 1000), scenario(20, 1500, 2000)];
        let mut section = Section::default();
        let table = requests_table(&mut section, &runs, &[100]);
        assert_eq!(table.rows[0][2], "2.00 (GET 1.00, PUT 1.00)");
        assert_eq!(table.rows[0][4], "PASS");
        assert_eq!(table.rows[0][5], "1 / 2 PASS");
        assert_eq!(table.rows[0][6], "3");
        assert_eq!(section.misses, 0);
        assert!(section.errors.is_empty());
    }

    #[test]
    fn an_unreadable_request_log_is_an_error_not_a_pass() {
        let mut run = scenario(0, 1000, 1000);
        for s in &mut run.steps {
            s.requests = Err("GET /_sim/stats answered 404".into());
        }
        let mut section = Section::default();
        let table = requests_table(&mut section, &[run], &[100]);
        assert!(table.rows.is_empty());
        assert_eq!(section.errors.len(), 1, "{:?}", section.errors);
    }
}
