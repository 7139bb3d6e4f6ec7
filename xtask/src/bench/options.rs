//! Command-line options of `cargo xtask bench`.

use anyhow::{bail, Context, Result};

pub const USAGE: &str = "\
usage: cargo xtask bench [--quick] [--runs N] [--only PARTS] [--no-build] [--out FILE]
                         [--provider-dir DIR] [--note TEXT]

  --quick        fewer runs and N = 100 only: a smoke run of a few minutes
  --runs N       timed runs per subject (default 10, quick 3); handshakes run 3N times,
                 each apply scenario ceil(N/4) times
  --only PARTS   comma-separated subset of: overhead, handshake, shutdown, apply, size
  --no-build     reuse target/release binaries instead of building them
  --provider-dir DIR  measure the terraform-provider-msgraph in DIR (and msgraph-sim there, if
                 present) instead of target/release; implies --no-build
  --note TEXT    a sentence about the run's conditions for the report's machine section
  --out FILE     where to write the report (default: BENCHMARKS.md at the repository root for
                 a full run, target/bench/BENCHMARKS.md for --quick or --only runs)";

/// The measurements that can be selected with --only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Overhead,
    Handshake,
    Shutdown,
    Apply,
    Size,
}

impl Part {
    pub const ALL: [Part; 5] = [
        Part::Overhead,
        Part::Handshake,
        Part::Shutdown,
        Part::Apply,
        Part::Size,
    ];

    fn parse(name: &str) -> Option<Part> {
        Part::ALL.into_iter().find(|p| p.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Part::Overhead => "overhead",
            Part::Handshake => "handshake",
            Part::Shutdown => "shutdown",
            Part::Apply => "apply",
            Part::Size => "size",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub quick: bool,
    pub runs: usize,
    pub parts: Vec<Part>,
    pub build: bool,
    pub out: Option<std::path::PathBuf>,
    pub provider_dir: Option<std::path::PathBuf>,
    /// Written under the machine description (e.g. what else ran on it).
    pub note: Option<String>,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut quick = false;
        let mut runs = None;
        let mut parts = Part::ALL.to_vec();
        let mut build = true;
        let mut out = None;
        let mut provider_dir = None;
        let mut note = None;
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v.to_owned())),
                None => (arg.as_str(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| iter.next().cloned())
                    .with_context(|| format!("{flag} needs a value\n\n{USAGE}"))
            };
            match flag {
                "--quick" => quick = true,
                "--no-build" => build = false,
                "--out" => out = Some(std::path::PathBuf::from(value()?)),
                "--provider-dir" => provider_dir = Some(std::path::PathBuf::from(value()?)),
                "--note" => note = Some(value()?),
                "--runs" => {
                    let text = value()?;
                    let n: usize =
                        text.parse().ok().filter(|&n| n > 0).with_context(|| {
                            format!("--runs wants a positive number, not {text:?}")
                        })?;
                    runs = Some(n);
                }
                "--only" => {
                    parts = value()?
                        .split(',')
                        .map(|name| {
                            Part::parse(name.trim()).with_context(|| {
                                format!("unknown part {name:?} for --only\n\n{USAGE}")
                            })
                        })
                        .collect::<Result<_>>()?;
                }
                "--help" | "-h" => bail!("{USAGE}"),
                other => bail!("unknown argument {other:?}\n\n{USAGE}"),
            }
        }
        Ok(Options {
            quick,
            runs: runs.unwrap_or(if quick { 3 } else { 10 }),
            parts,
            build: build && provider_dir.is_none(),
            out,
            provider_dir,
            note,
        })
    }

    /// A full run: every part, full run counts; only that may replace BENCHMARKS.md.
    pub fn is_full(&self) -> bool {
        !self.quick && self.parts.len() == Part::ALL.len() && self.provider_dir.is_none()
    }

    pub fn wants(&self, part: Part) -> bool {
        self.parts.contains(&part)
    }

    pub fn handshake_runs(&self) -> usize {
        self.runs * 3
    }

    pub fn apply_runs(&self) -> usize {
        self.runs.div_ceil(4)
    }

    pub fn resource_counts(&self) -> Vec<usize> {
        if self.quick {
            vec![100]
        } else {
            vec![100, 1000]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options> {
        Options::parse(&args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn defaults_and_quick() {
        let full = parse(&[]).expect("defaults");
        assert_eq!(full.runs, 10);
        assert_eq!(full.apply_runs(), 3);
        assert_eq!(full.handshake_runs(), 30);
        assert_eq!(full.resource_counts(), vec![100, 1000]);
        assert!(full.build);
        assert!(full.is_full());
        assert!(!parse(&["--only", "apply"]).expect("only").is_full());
        let quick = parse(&["--quick"]).expect("quick");
        assert_eq!(quick.runs, 3);
        assert_eq!(quick.apply_runs(), 1);
        assert_eq!(quick.resource_counts(), vec![100]);
    }

    #[test]
    fn runs_only_and_no_build() {
        let options =
            parse(&["--runs", "5", "--only=overhead,handshake", "--no-build"]).expect("ok");
        assert_eq!(options.runs, 5);
        assert_eq!(options.parts, vec![Part::Overhead, Part::Handshake]);
        assert!(options.wants(Part::Handshake));
        assert!(!options.wants(Part::Apply));
        assert!(!options.build);
        assert!(!options.is_full());
        let dir = parse(&["--provider-dir", "/x"]).expect("dir");
        assert!(!dir.build);
        let noted = parse(&["--note", "shared with two test runs"]).expect("note");
        assert_eq!(noted.note.as_deref(), Some("shared with two test runs"));
        assert!(noted.is_full());
        let out = parse(&["--out", "x.md"]).expect("out");
        assert_eq!(out.out.as_deref(), Some(std::path::Path::new("x.md")));
        assert!(parse(&["--runs", "0"]).is_err());
        assert!(parse(&["--runs"]).is_err());
        assert!(parse(&["--only", "everything"]).is_err());
        let shutdown = parse(&["--only", "shutdown"]).expect("shutdown");
        assert_eq!(shutdown.parts, vec![Part::Shutdown]);
        assert!(!shutdown.is_full());
        assert!(parse(&["--fast"]).is_err());
    }
}
