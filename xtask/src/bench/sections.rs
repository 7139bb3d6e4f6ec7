//! Turns measurements into report sections: medians, ratios, targets and verdicts (overhead,
//! handshake, shutdown, memory and size; the apply sections are in apply_sections.rs).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::binary;
use super::handshake::{self, Handshake};
use super::overhead::{self, Subject};
use super::report::{Section, Table};
use super::shutdown;
use super::stats::{alternation, format_mib, format_ms, format_ratio, median, median_ms, Verdict};
use super::terraform::{self, Terraform};
use super::Paths;

const HANDSHAKE_TARGET: Duration = Duration::from_millis(3);
const HANDSHAKE_RSS_TARGET_KIB: u64 = 8 * 1024;
/// Target: the provider exits within 100 ms of Shutdown (Terraform otherwise waits 2 s).
const SHUTDOWN_TARGET: Duration = Duration::from_millis(100);
const PEAK_RSS_TARGET_KIB: u64 = 15 * 1024;
const BINARY_SIZE_TARGET: u64 = 10 * 1024 * 1024;

pub(super) fn verdict(section: &mut Section, pass: bool) -> String {
    let verdict = Verdict::from_pass(pass);
    if verdict == Verdict::Miss {
        section.misses += 1;
    }
    verdict.label().to_owned()
}

/// What an overhead subject is, so rows find each other whatever is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Bare,
    Ours,
    Go,
    OursNoTls,
    GoNoTls,
}

const NO_TLS_ENV: &str = "TF_DISABLE_PLUGIN_TLS";

pub fn overhead(
    tf: &Terraform,
    work: &Path,
    paths: &Paths,
    go_dir: &Result<PathBuf, String>,
    runs: usize,
) -> Section {
    let mut section = Section {
        title: "Provider overhead per Terraform command".into(),
        method: format!(
            "Wall time of `terraform providers schema -json`, {runs} runs each, alternating: \
             (a) a configuration requiring no provider (Terraform's own cost, the limit), \
             (b) this provider, (c) the vsphere Go provider 2.0.2 (SDKv2, protocol 5). Both \
             providers are installed through `dev_overrides` in the same CLI config. Overhead = \
             median(b or c) − median(a): what a provider adds to every Terraform command \
             (start-up, handshake, schema, shutdown), Terraform's AutoMTLS setup for it \
             included. The 1/10-of-Go target applies to the provider's own part, split out from \
             Terraform's trace in the next section; here the ratio is information. For information, (b) and (c) also run with `{NO_TLS_ENV}=1`: \
             Terraform then skips go-plugin's AutoMTLS, which otherwise generates a P-521 key \
             and certificate in Terraform for every provider process and adds a mutual TLS \
             handshake; the difference is what TLS costs, mostly on Terraform's side and \
             the same for any provider. Provider CPU (user + system of the provider processes, \
             from Terraform's cutime/cstime, in 10 ms clock ticks) and peak RSS (VmHWM \
             sampled every 2 ms) come from 3 further runs each, kept apart from the timed ones."
        ),
        ..Section::default()
    };
    let no_tls = || vec![(NO_TLS_ENV.to_owned(), "1".to_owned())];
    let ours = |label: &str, env| Subject {
        label: label.into(),
        config: terraform::requiring("msgraph", "entra/msgraph"),
        expect_in_output: Some(terraform::OUR_SOURCE.into()),
        provider_exe: Some(paths.provider()),
        env,
    };
    let mut subjects = vec![
        (
            Role::Bare,
            Subject {
                label: "no provider (Terraform alone)".into(),
                config: terraform::BARE_CONFIG.into(),
                expect_in_output: None,
                provider_exe: None,
                env: Vec::new(),
            },
        ),
        (Role::Ours, ours("this provider", Vec::new())),
    ];
    let go = |label: &str, dir: &Path, env| Subject {
        label: label.into(),
        config: terraform::requiring("vsphere", "hashicorp/vsphere"),
        expect_in_output: Some(super::go_provider::SOURCE.into()),
        provider_exe: Some(dir.join(super::go_provider::BINARY_NAME)),
        env,
    };
    match go_dir {
        Ok(dir) => subjects.push((Role::Go, go("vsphere Go provider", dir, Vec::new()))),
        Err(err) => section.errors.push(format!("vsphere Go provider: {err}")),
    }
    subjects.push((
        Role::OursNoTls,
        ours(&format!("this provider, {NO_TLS_ENV}=1 (info)"), no_tls()),
    ));
    if let Ok(dir) = go_dir {
        subjects.push((
            Role::GoNoTls,
            go(
                &format!("vsphere Go provider, {NO_TLS_ENV}=1 (info)"),
                dir,
                no_tls(),
            ),
        ));
    }
    let (roles, subjects): (Vec<Role>, Vec<Subject>) = subjects.into_iter().unzip();
    let measured = match overhead::measure(tf, work, &subjects, runs) {
        Ok(measured) => measured,
        Err(err) => {
            section.errors.push(format!("{err:#}"));
            return section;
        }
    };
    let medians: Vec<Option<f64>> = measured
        .iter()
        .map(|m| m.times.as_ref().ok().and_then(|t| median_ms(t)))
        .collect();
    for m in &measured {
        if let Err(err) = &m.times {
            section.errors.push(format!("{}: {err:#}", m.label));
        }
    }
    let median_of = |role: Role| {
        let index = roles.iter().position(|r| *r == role)?;
        medians.get(index).copied().flatten()
    };
    let bare = median_of(Role::Bare);
    let overhead_of = |role: Role| Some(median_of(role)? - bare?);
    let mut table = Table::new(&[
        "Configuration",
        "Median wall",
        "Overhead vs no provider",
        "Target",
        "Result",
        "Provider CPU / command",
        "Provider peak RSS",
    ]);
    for (m, &role) in measured.iter().zip(&roles) {
        let median_cell = median_of(role)
            .map(format_ms)
            .unwrap_or_else(|| "failed".into());
        let overhead_cell = if role == Role::Bare {
            "— (the limit)".to_owned()
        } else {
            overhead_of(role)
                .map(format_ms)
                .unwrap_or_else(|| "n/a".into())
        };
        let compare = |ours: Role, go: Role| match (overhead_of(ours), overhead_of(go)) {
            (Some(ours), Some(go)) => Some((ours, go)),
            _ => None,
        };
        let (target, result) = match role {
            Role::Ours => match compare(Role::Ours, Role::Go) {
                Some((ours, go)) => (
                    "(info; target on the provider's part, below)".into(),
                    format!("{} of Go's", format_ratio(ours, go)),
                ),
                None => ("(info)".into(), String::new()),
            },
            Role::OursNoTls => match compare(Role::OursNoTls, Role::GoNoTls) {
                Some((ours, go)) => (
                    "(info)".into(),
                    format!("{} of Go's without TLS", format_ratio(ours, go)),
                ),
                None => ("(info)".into(), String::new()),
            },
            Role::Bare | Role::Go | Role::GoNoTls => (String::new(), String::new()),
        };
        let cpu_cell = match median_ms(&m.provider_cpu) {
            Some(ms) if ms <= 0.0 => "< 10 ms (under one clock tick)".into(),
            Some(ms) => format_ms(ms),
            None => "—".into(),
        };
        let peak_cell = if m.provider_peak_kib > 0 {
            format_mib(m.provider_peak_kib)
        } else {
            "—".into()
        };
        table.row(vec![
            m.label.clone(),
            median_cell,
            overhead_cell,
            target,
            result,
            cpu_cell,
            peak_cell,
        ]);
    }
    if let (Some(with), Some(without)) = (overhead_of(Role::Ours), overhead_of(Role::OursNoTls)) {
        section.method.push_str(&format!(
            " Here AutoMTLS accounts for {} of this provider's {} overhead.",
            format_ms(with - without),
            format_ms(with)
        ));
    }
    section.table = Some(table);
    section
}

pub fn handshake(paths: &Paths, go_dir: &Result<PathBuf, String>, runs: usize) -> Section {
    let mut section = Section {
        title: "Handshake latency and memory at handshake".into(),
        method: format!(
            "The provider binary is started with the environment Terraform gives it \
             (TF_PLUGIN_MAGIC_COOKIE, PLUGIN_PROTOCOL_VERSIONS=5,6, PLUGIN_MIN_PORT/MAX_PORT, \
             PLUGIN_CLIENT_CERT with a P-521 certificate); latency is exec to the handshake line \
             on stdout, memory is VmRSS from /proc/PID/status right then; the process is then \
             killed. {runs} runs each, alternating. Targets: under 3 ms and under 8 MiB."
        ),
        ..Section::default()
    };
    let mut subjects: Vec<(String, PathBuf)> = vec![("this provider".into(), paths.provider())];
    match go_dir {
        Ok(dir) => subjects.push((
            "vsphere Go provider".into(),
            dir.join(super::go_provider::BINARY_NAME),
        )),
        Err(err) => section.errors.push(format!("vsphere Go provider: {err}")),
    }
    let mut results: Vec<Result<Vec<Handshake>, String>> = vec![Ok(Vec::new()); subjects.len()];
    for index in alternation(subjects.len(), runs) {
        let Ok(done) = &mut results[index] else {
            continue;
        };
        match handshake::measure(&subjects[index].1) {
            Ok(h) => done.push(h),
            Err(err) => results[index] = Err(format!("{err:#}")),
        }
    }
    for ((label, _), result) in subjects.iter().zip(&results) {
        if let Err(err) = result {
            section.errors.push(format!("{label}: {err}"));
        }
    }
    let latency = |i: usize| -> Option<f64> {
        let hs = results.get(i)?.as_ref().ok()?;
        median_ms(&hs.iter().map(|h| h.latency).collect::<Vec<_>>())
    };
    let rss = |i: usize| -> Option<f64> {
        let hs = results.get(i)?.as_ref().ok()?;
        median(&hs.iter().map(|h| h.rss_kib as f64).collect::<Vec<_>>())
    };
    let mut table = Table::new(&[
        "Measure",
        "This provider",
        "vsphere Go provider",
        "Ours / Go",
        "Target",
        "Result",
    ]);
    let show_ms = |v: Option<f64>| v.map(format_ms).unwrap_or_else(|| "n/a".into());
    let show_kib = |v: Option<f64>| {
        v.map(|k| format_mib(k as u64))
            .unwrap_or_else(|| "n/a".into())
    };
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format_ratio(a, b),
        _ => "n/a".into(),
    };
    let latency_result = match latency(0) {
        Some(ms) => verdict(&mut section, ms < HANDSHAKE_TARGET.as_secs_f64() * 1000.0),
        None => "not measured".into(),
    };
    table.row(vec![
        "Handshake (median)".into(),
        show_ms(latency(0)),
        show_ms(latency(1)),
        ratio(latency(0), latency(1)),
        "< 3 ms".into(),
        latency_result,
    ]);
    let rss_result = match rss(0) {
        Some(kib) => verdict(&mut section, kib < HANDSHAKE_RSS_TARGET_KIB as f64),
        None => "not measured".into(),
    };
    table.row(vec![
        "RSS at handshake (median)".into(),
        show_kib(rss(0)),
        show_kib(rss(1)),
        ratio(rss(0), rss(1)),
        "< 8 MiB".into(),
        rss_result,
    ]);
    if let Some(h) = results.first().and_then(|r| r.as_ref().ok()?.first()) {
        section.method.push_str(&format!(
            " This provider answered protocol {} over {}.",
            h.line.protocol_version, h.line.network
        ));
    }
    section.table = Some(table);
    section
}

/// `(label, configuration, address in the schema output)` of the providers whose
/// `providers schema` runs are traced: this one and, when it could be had, the Go provider.
pub(super) fn traced_subjects(
    section: &mut Section,
    go_dir: &Result<PathBuf, String>,
) -> Vec<(String, String, String)> {
    let mut subjects = vec![(
        "this provider".to_owned(),
        terraform::requiring("msgraph", "entra/msgraph"),
        terraform::OUR_SOURCE.to_owned(),
    )];
    match go_dir {
        Ok(_) => subjects.push((
            "vsphere Go provider".into(),
            terraform::requiring("vsphere", "hashicorp/vsphere"),
            super::go_provider::SOURCE.into(),
        )),
        Err(err) => section.errors.push(format!("vsphere Go provider: {err}")),
    }
    subjects
}

/// One untimed `measure` per subject in its own directory under `work`, then `runs` rounds in
/// alternation; a subject that fails keeps its error and drops out.
pub(super) fn alternate_traced_runs<T>(
    work: &Path,
    prefix: &str,
    subjects: &[(String, String, String)],
    runs: usize,
    measure: impl Fn(&Path, &str) -> anyhow::Result<T>,
) -> Vec<Result<Vec<T>, String>> {
    let mut results: Vec<Result<Vec<T>, String>> = Vec::new();
    let mut dirs = Vec::new();
    for (i, (_, config, source)) in subjects.iter().enumerate() {
        let dir = work.join(format!("{prefix}-{i}"));
        let warmed = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join("main.tf"), config))
            .map_err(anyhow::Error::from)
            .and_then(|()| measure(&dir, source));
        results.push(warmed.map(|_| Vec::new()).map_err(|e| format!("{e:#}")));
        dirs.push(dir);
    }
    for index in alternation(subjects.len(), runs) {
        let Ok(done) = &mut results[index] else {
            continue;
        };
        match measure(&dirs[index], &subjects[index].2) {
            Ok(found) => done.push(found),
            Err(err) => results[index] = Err(format!("{err:#}")),
        }
    }
    results
}

pub fn shutdown(
    tf: &Terraform,
    work: &Path,
    go_dir: &Result<PathBuf, String>,
    runs: usize,
) -> Section {
    let target_ms = SHUTDOWN_TARGET.as_secs_f64() * 1000.0;
    let mut section = Section {
        title: "Shutdown to exit".into(),
        method: format!(
            "`terraform providers schema -json` with `TF_LOG=json`, {runs} runs per provider \
             after one untimed run, alternating this provider and the vsphere Go provider \
             (same CLI config as the overhead runs). Terraform logs \"GRPCProvider.v6: Close\" \
             (\"GRPCProvider: Close\" for protocol 5) right before go-plugin sends \
             GRPCController.Shutdown, and go-plugin logs \"plugin process exited\" when its \
             wait on the provider process returns; the time is the gap between the two \
             `@timestamp`s (Terraform's clock, microseconds): how long Terraform waits for the \
             provider to be gone. go-plugin kills a provider still alive 2 s after Shutdown \
             (counted as forced kills). Target: every run under {}.",
            format_ms(target_ms)
        ),
        ..Section::default()
    };
    let subjects = traced_subjects(&mut section, go_dir);
    let results = alternate_traced_runs(work, "shutdown", &subjects, runs, |dir, source| {
        shutdown::measure(tf, dir, source)
    });
    let mut table = Table::new(&[
        "Provider",
        "Processes",
        "Median",
        "Max",
        "Forced kills",
        "Target",
        "Result",
    ]);
    let mut medians = Vec::new();
    for (index, ((label, _, _), result)) in subjects.iter().zip(&results).enumerate() {
        let runs = match result {
            Ok(runs) => runs,
            Err(err) => {
                section.errors.push(format!("{label}: {err}"));
                medians.push(None);
                continue;
            }
        };
        let times: Vec<Duration> = runs.iter().flat_map(|r| r.to_exit.clone()).collect();
        let forced: usize = runs.iter().map(|r| r.forced).sum();
        let median = median_ms(&times);
        let max = times.iter().max().map(|d| d.as_secs_f64() * 1000.0);
        medians.push(median);
        let (target, result) = match (index, max) {
            (0, Some(max)) => (
                format!("< {} (max)", format_ms(target_ms)),
                verdict(&mut section, max < target_ms && forced == 0),
            ),
            (0, None) => (format!("< {}", format_ms(target_ms)), "not measured".into()),
            _ => ("(comparison)".into(), String::new()),
        };
        let show = |v: Option<f64>| v.map(format_ms).unwrap_or_else(|| "n/a".into());
        table.row(vec![
            label.clone(),
            times.len().to_string(),
            show(median),
            show(max),
            forced.to_string(),
            target,
            result,
        ]);
    }
    if let [Some(ours), Some(go)] = medians.as_slice() {
        section.method.push_str(&format!(
            " Median, ours / Go: {}.",
            format_ratio(*ours, *go)
        ));
    }
    section.table = Some(table);
    section
}

pub fn memory_and_size(paths: &Paths, peak_kib: Option<u64>, size_wanted: bool) -> Section {
    let mut section = Section {
        title: "Peak memory and binary size".into(),
        method: "Peak RSS: the highest VmHWM (the kernel's resident high-water mark) of any \
                 provider process, sampled from /proc every 3 ms during every command of the \
                 largest-N apply runs. Size: the release binary as built \
                 (`[profile.release]` in Cargo.toml)."
            .into(),
        ..Section::default()
    };
    let mut table = Table::new(&["Measure", "Value", "Target", "Result"]);
    match peak_kib {
        Some(kib) => {
            let result = verdict(&mut section, kib < PEAK_RSS_TARGET_KIB);
            table.row(vec![
                "Peak provider RSS during apply".into(),
                format_mib(kib),
                "< 15 MiB".into(),
                result,
            ]);
        }
        None => table.row(vec![
            "Peak provider RSS during apply".into(),
            "not measured".into(),
            "< 15 MiB".into(),
            String::new(),
        ]),
    }
    if size_wanted {
        match binary::inspect(&paths.built_provider()) {
            Ok((size, stripped)) => {
                let result = verdict(&mut section, size < BINARY_SIZE_TARGET && stripped);
                table.row(vec![
                    "Release binary size".into(),
                    format!(
                        "{} ({size} bytes, {})",
                        format_mib(size / 1024),
                        if stripped { "stripped" } else { "NOT stripped" }
                    ),
                    "< 10 MiB, stripped".into(),
                    result,
                ]);
            }
            Err(err) => section.errors.push(format!("release binary: {err:#}")),
        }
        match std::fs::read_to_string(paths.root.join("Cargo.toml")) {
            Ok(text) => {
                let check = binary::check_release_profile(&text);
                let result = verdict(&mut section, check.all_set());
                table.row(vec![
                    "Release profile".into(),
                    check.describe(),
                    "lto, codegen-units = 1, panic = abort, strip".into(),
                    result,
                ]);
            }
            Err(err) => section.errors.push(format!("Cargo.toml: {err}")),
        }
    }
    section.table = Some(table);
    section
}
