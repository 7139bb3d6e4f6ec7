//! Reading /proc: memory lines of `status`, CPU and state fields of `stat`, executables.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A `VmRSS:`-style line of /proc/PID/status, in KiB.
pub fn status_kib(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        let mut words = rest.split_whitespace();
        let value = words.next()?.parse().ok()?;
        (words.next() == Some("kB")).then_some(value)
    })
}

/// The fields of /proc/PID/stat the bench uses; times in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub state: char,
    pub ppid: u32,
    pub utime: u64,
    pub stime: u64,
    /// CPU time of children this process has reaped (waited for).
    pub cutime: u64,
    pub cstime: u64,
}

/// Parses /proc/PID/stat. The command name may hold spaces and parentheses, so fields are
/// counted from the last ')'.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let after = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let number = |i: usize| fields.get(i)?.parse::<u64>().ok();
    Some(Stat {
        state: fields.first()?.chars().next()?,
        ppid: u32::try_from(number(1)?).ok()?,
        utime: number(11)?,
        stime: number(12)?,
        cutime: number(13)?,
        cstime: number(14)?,
    })
}

pub fn read_stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

pub fn read_status(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/status")).ok()
}

pub fn exe(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/exe")).ok()
}

/// Every process ID currently in /proc.
pub fn pids() -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// Clock ticks per second (USER_HZ) from `getconf CLK_TCK`; 100 on every Linux we know.
pub fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

pub fn ticks_to_duration(ticks: u64, per_second: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / per_second.max(1) as f64)
}

/// The canonical path of `path` (what /proc/PID/exe shows), or the path itself.
pub fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tterraform-provi\nUmask:\t0022\nState:\tS (sleeping)\n\
VmPeak:\t   12000 kB\nVmHWM:\t    6144 kB\nVmRSS:\t    5120 kB\nThreads:\t3\n";

    #[test]
    fn status_lines_are_read_in_kib() {
        assert_eq!(status_kib(STATUS, "VmRSS"), Some(5120));
        assert_eq!(status_kib(STATUS, "VmHWM"), Some(6144));
        assert_eq!(status_kib(STATUS, "VmSwap"), None);
        // "Vm" alone must not match "VmPeak".
        assert_eq!(status_kib(STATUS, "Vm"), None);
        // Not a kB line.
        assert_eq!(status_kib(STATUS, "Threads"), None);
    }

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let text = "4242 (odd) name (x)) Z 17 4242 4242 0 -1 4194560 100 0 0 0 \
                    31 7 120 45 20 0 1 0 12345 0 0";
        let stat = parse_stat(text).expect("parses");
        assert_eq!(
            stat,
            Stat {
                state: 'Z',
                ppid: 17,
                utime: 31,
                stime: 7,
                cutime: 120,
                cstime: 45
            }
        );
        assert_eq!(parse_stat("12 (short) S 1 2"), None);
        assert_eq!(parse_stat("no parenthesis"), None);
    }

    #[test]
    fn own_process_is_readable() {
        let pid = std::process::id();
        let stat = read_stat(pid).expect("own stat");
        // The test harness's main thread (whose state this is) waits for the test threads.
        assert!(matches!(stat.state, 'R' | 'S'), "{stat:?}");
        assert!(stat.ppid > 0);
        let status = read_status(pid).expect("own status");
        assert!(status_kib(&status, "VmRSS").is_some_and(|kib| kib > 0));
        assert!(pids().contains(&pid));
        assert_eq!(
            exe(pid),
            std::env::current_exe().ok().map(|p| canonical(&p))
        );
    }

    #[test]
    fn ticks_convert_to_durations() {
        assert_eq!(ticks_to_duration(250, 100), Duration::from_millis(2500));
        assert_eq!(ticks_to_duration(0, 100), Duration::ZERO);
    }
}
