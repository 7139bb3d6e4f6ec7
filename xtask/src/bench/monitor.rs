//! Runs a command while watching the provider processes it starts: peak memory, how many, and
//! their CPU time.
//!
//! CPU time: Terraform reaps every provider process it starts (go-plugin waits for it), so the
//! kernel adds each provider's user+system time to Terraform's `cutime`/`cstime`. We do not reap
//! Terraform until we have read its /proc/PID/stat as a zombie, which holds those final totals:
//! exact, nothing missed between samples. Terraform starts no other children here (no
//! provisioners, no credential helpers), so the total is the providers' alone.
//!
//! Memory: /proc/PID/status of provider processes (matched by /proc/PID/exe) is sampled every
//! `interval`; VmHWM is the kernel's own high-water mark, so only processes that live shorter
//! than one interval can be missed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::procfs;

/// What one monitored run saw.
#[derive(Debug)]
pub struct Monitored {
    pub status: ExitStatus,
    pub wall: Duration,
    /// User + system CPU time of all children Terraform reaped (the provider processes).
    pub children_cpu: Duration,
    /// Highest VmHWM of any provider process seen, in KiB.
    pub peak_hwm_kib: u64,
    /// Distinct provider processes seen.
    pub provider_processes: usize,
}

/// Spawns `command` (stdout/stderr already set by the caller) and samples until it exits.
pub fn run_monitored(
    mut command: Command,
    provider_exe: &Path,
    interval: Duration,
) -> Result<Monitored> {
    let provider_exe = procfs::canonical(provider_exe);
    let ticks = procfs::clock_ticks_per_second();
    let start = Instant::now();
    let mut child = command.spawn().context("starting terraform")?;
    let pid = child.id();
    let parent_exe = procfs::exe(pid);
    let mut watcher = ProviderWatcher::new(provider_exe, parent_exe);
    let mut last = None;
    loop {
        match procfs::read_stat(pid) {
            Some(stat) if stat.state == 'Z' || stat.state == 'X' => {
                last = Some(stat);
                break;
            }
            Some(_) => {}
            None => break,
        }
        watcher.sample();
        std::thread::sleep(interval);
    }
    let wall = start.elapsed();
    let status = child.wait().context("waiting for terraform")?;
    let stat = last.context("terraform's /proc/PID/stat vanished before it was read")?;
    Ok(Monitored {
        status,
        wall,
        children_cpu: procfs::ticks_to_duration(stat.cutime + stat.cstime, ticks),
        peak_hwm_kib: watcher.peak_hwm_kib,
        provider_processes: watcher.seen.len(),
    })
}

/// Finds provider processes by executable and keeps their memory high-water mark.
struct ProviderWatcher {
    provider_exe: PathBuf,
    /// A freshly forked child shows its parent's executable until it execs: never cache those.
    parent_exe: Option<PathBuf>,
    not_provider: HashSet<u32>,
    seen: HashMap<u32, u64>,
    peak_hwm_kib: u64,
}

impl ProviderWatcher {
    fn new(provider_exe: PathBuf, parent_exe: Option<PathBuf>) -> ProviderWatcher {
        ProviderWatcher {
            provider_exe,
            parent_exe,
            not_provider: HashSet::new(),
            seen: HashMap::new(),
            peak_hwm_kib: 0,
        }
    }

    fn sample(&mut self) {
        for pid in procfs::pids() {
            if self.not_provider.contains(&pid) {
                continue;
            }
            if !self.seen.contains_key(&pid) {
                match procfs::exe(pid) {
                    Some(exe) if exe == self.provider_exe => {}
                    Some(exe) if Some(&exe) == self.parent_exe.as_ref() => continue,
                    _ => {
                        self.not_provider.insert(pid);
                        continue;
                    }
                }
            }
            let Some(status) = procfs::read_status(pid) else {
                continue;
            };
            let hwm = procfs::status_kib(&status, "VmHWM").unwrap_or(0);
            let rss = procfs::status_kib(&status, "VmRSS").unwrap_or(0);
            let high = hwm.max(rss);
            let entry = self.seen.entry(pid).or_insert(0);
            *entry = (*entry).max(high);
            self.peak_hwm_kib = self.peak_hwm_kib.max(high);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_children_cpu_and_finds_the_watched_executable() {
        // `sh` runs a busy child (`sh` again), reaps it and exits: its cutime is the child's.
        let sh = procfs::canonical(Path::new("/bin/sh"));
        let mut command = Command::new(&sh);
        command.args([
            "-c",
            "sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'; sleep 0.05",
        ]);
        let seen = run_monitored(command, &sh, Duration::from_millis(2)).expect("runs");
        assert!(seen.status.success());
        assert!(
            seen.children_cpu > Duration::ZERO,
            "child CPU counted: {seen:?}"
        );
        assert!(seen.wall >= seen.children_cpu / 2);
        assert!(
            seen.provider_processes >= 1,
            "the busy child was sampled: {seen:?}"
        );
        assert!(seen.peak_hwm_kib > 0);
    }
}
