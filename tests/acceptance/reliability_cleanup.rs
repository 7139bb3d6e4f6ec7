//! Cancellation: after Ctrl-C or a killed Terraform no provider process and no plugin
//! socket is left behind.
//!
//! Each scenario gives Terraform a private TMPDIR: the provider creates its socket directory under
//! `std::env::temp_dir()` and keeps that TMPDIR in its environment, so both can be counted exactly.

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use msgraph_sim::FaultKind;

use crate::harness::config;
use crate::harness::{fault, for_each_terraform, Check, Scenario, Step};
use crate::reliability::interrupt_expecting_cancel;

const T1: &str = "3f0c9a52-6d1e-4b7a-9c2d-8e5f1a0b4c7d";
const X: &str = "msgraph_cross_tenant_identity_sync.x";
const PROVIDER_EXE: &str = "terraform-provider-msgraph";

/// A private TMPDIR for every Terraform command of the scenario (and so for its providers).
fn private_tmp(s: &mut Scenario) -> tempfile::TempDir {
    let tmp = tempfile::Builder::new()
        .prefix("tfacc-tmpdir-")
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
    s.dir.set_env("TMPDIR", &tmp.path().display().to_string());
    tmp
}

/// Live processes started with `TMPDIR=tmp`, as (pid, executable file name).
fn processes_in(tmp: &Path) -> Vec<(u32, String)> {
    let marker = format!("TMPDIR={}", tmp.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        panic!("cannot list /proc");
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            // zombies and vanished processes have no exe link and no environment
            let exe = std::fs::read_link(entry.path().join("exe")).ok()?;
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            let has_marker = environ
                .split(|b| *b == 0)
                .any(|var| var == marker.as_bytes());
            let name = exe.file_name()?.to_string_lossy().into_owned();
            has_marker.then_some((pid, name))
        })
        .collect()
}

fn provider_pids(tmp: &Path) -> Vec<u32> {
    processes_in(tmp)
        .into_iter()
        .filter(|(_, name)| name.starts_with(PROVIDER_EXE))
        .map(|(pid, _)| pid)
        .collect()
}

/// The parent of a process (from /proc/PID/status).
fn parent_of(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("PPid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Unix sockets and `plugin*` directories anywhere under `dir`.
fn plugin_leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_socket() {
            found.push(path);
        } else if kind.is_dir() {
            if entry.file_name().to_string_lossy().starts_with("plugin") {
                found.push(path.clone());
            }
            found.extend(plugin_leftovers(&path));
        }
    }
    found
}

/// Waits (a sanity bound, polled) until no provider process and no plugin socket remain.
fn expect_nothing_left(s: &Scenario, tmp: &Path, after: &str) {
    let limit = Duration::from_secs(15);
    let started = Instant::now();
    loop {
        let pids = provider_pids(tmp);
        let files = plugin_leftovers(tmp);
        if pids.is_empty() && files.is_empty() {
            return;
        }
        if started.elapsed() > limit {
            s.fail(&format!(
                "{limit:?} after {after}: provider processes {pids:?} and plugin files {files:?} remain"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts an apply whose PUT never gets an answer and waits until the provider is inside it,
/// checking that the scan sees the running provider and its socket (so it is not vacuous).
fn apply_hanging_in_put(s: &Scenario, tmp: &Path) -> crate::harness::workdir::Running {
    s.sim.inject(fault("PUT", 1, FaultKind::Hang));
    s.dir
        .write_config(&s.file(&[config::resource("x", T1, Some("A"), true)]));
    let running = s.spawn_tf(&["apply", "-auto-approve", "-input=false"]);
    s.wait_until(Duration::from_secs(60), "the PUT hangs", || {
        s.sim.requests().iter().any(|r| r.method == "PUT")
    });
    s.expect(
        !provider_pids(tmp).is_empty(),
        "the scan finds the provider serving the hung PUT",
    );
    s.expect(
        plugin_leftovers(tmp)
            .iter()
            .any(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_socket())),
        "the scan finds the provider's socket under the private TMPDIR",
    );
    running
}

#[test]
fn commands_and_ctrl_c_in_a_hung_request_leave_no_process_or_socket() {
    for_each_terraform(|s| {
        let tmp = private_tmp(s);
        s.sim.add_partner(T1);
        s.step(
            Step::new(s.file(&[config::resource("x", T1, Some("B"), true)]))
                .check(Check::present(X)),
        );
        expect_nothing_left(s, tmp.path(), "plan, apply and show");
        s.destroy_and_check(&[T1]);
        expect_nothing_left(s, tmp.path(), "destroy");

        s.sim.clear_requests();
        let running = apply_hanging_in_put(s, tmp.path());
        interrupt_expecting_cancel(s, running, "during a hung request");
        expect_nothing_left(s, tmp.path(), "Ctrl-C");
        s.expect(
            s.sim.policy(T1).is_none(),
            "nothing was written after the cancel",
        );
    });
}

#[test]
fn a_killed_terraform_leaves_no_provider_process_or_socket() {
    for_each_terraform(|s| {
        let tmp = private_tmp(s);
        s.sim.add_partner(T1);
        let running = apply_hanging_in_put(s, tmp.path());
        let providers = provider_pids(tmp.path());
        s.expect_eq("provider processes", providers.len(), 1);
        // the Terraform that started the provider (1.0's panicwrap runs it as a child of the
        // command we spawned); SIGKILL leaves it no chance to ask the provider to shut down
        let Some(terraform) = parent_of(providers[0]) else {
            s.fail("the provider has no parent process")
        };
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &terraform.to_string()])
            .status()
            .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
        s.expect(killed.success(), "kill -KILL terraform");
        let (out, _) = s.finish(running, Duration::from_secs(30));
        s.expect(!out.success(), "a killed terraform reports failure");
        expect_nothing_left(s, tmp.path(), "terraform was killed");
    });
}
