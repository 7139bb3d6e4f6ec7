//! `cargo xtask bench`: measures the provider against bare Terraform and a Go provider and
//! writes BENCHMARKS.md.

mod apply;
mod apply_sections;
mod binary;
mod go_provider;
mod handshake;
mod monitor;
mod options;
mod overhead;
mod phases;
mod procfs;
mod report;
mod sections;
mod shutdown;
mod sim;
mod split_section;
mod stats;
mod terraform;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use options::{Options, Part};
use report::{Machine, Section};

pub use options::USAGE;

/// Where the bench finds binaries and keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub root: PathBuf,
    /// Where the built terraform-provider-msgraph is (target/release unless told).
    pub built: PathBuf,
    /// target/release, where msgraph-sim is built.
    pub release: PathBuf,
    /// A directory holding only a copy of the provider: what dev_overrides points at.
    pub staged: PathBuf,
    /// Downloads kept between runs (the Go provider).
    pub cache: PathBuf,
    /// Scratch Terraform directories and partial reports.
    pub work: PathBuf,
}

impl Paths {
    fn discover(provider_dir: Option<&Path>) -> Result<Paths> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask has no parent directory")?
            .to_owned();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map(|t| if t.is_absolute() { t } else { root.join(t) })
            .unwrap_or_else(|| root.join("target"));
        let release = target.join("release");
        let built = match provider_dir {
            Some(dir) => dir
                .canonicalize()
                .with_context(|| format!("--provider-dir {}", dir.display()))?,
            None => release.clone(),
        };
        let work = target.join("bench");
        Ok(Paths {
            built,
            release,
            staged: work.join("provider"),
            cache: target.join("bench-cache"),
            work,
            root,
        })
    }

    /// The provider binary as built (for its size).
    pub fn built_provider(&self) -> PathBuf {
        self.built.join(PROVIDER_BINARY)
    }

    /// The copy Terraform runs.
    pub fn provider(&self) -> PathBuf {
        self.staged.join(PROVIDER_BINARY)
    }

    /// msgraph-sim next to the provider when there is one, else target/release's.
    pub fn sim(&self) -> PathBuf {
        let beside = self.built.join("msgraph-sim");
        if beside.exists() {
            beside
        } else {
            self.release.join("msgraph-sim")
        }
    }

    /// Copies the built provider into its own directory, so dev_overrides sees nothing else
    /// (target/release also holds `terraform-provider-msgraph.d`).
    fn stage_provider(&self) -> Result<()> {
        if self.staged.exists() {
            std::fs::remove_dir_all(&self.staged)?;
        }
        std::fs::create_dir_all(&self.staged)?;
        if self.built_provider().exists() {
            std::fs::copy(self.built_provider(), self.provider())
                .with_context(|| format!("copying {}", self.built_provider().display()))?;
        }
        Ok(())
    }
}

const PROVIDER_BINARY: &str = "terraform-provider-msgraph";

/// Runs `cargo xtask bench` with the arguments after `bench`.
pub fn run(args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let paths = Paths::discover(options.provider_dir.as_deref())?;
    if options.build {
        build(&paths, &options)?;
    }
    paths.stage_provider()?;
    let scratch = paths.work.join("runs");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)?;
    }
    std::fs::create_dir_all(&scratch)?;

    let go_dir = if [Part::Overhead, Part::Handshake, Part::Shutdown]
        .into_iter()
        .any(|part| options.wants(part))
    {
        go_provider::ensure(&paths.cache).map_err(|e| format!("{e:#}"))
    } else {
        Err("not needed".to_owned())
    };
    let mut overrides: Vec<(&str, &Path)> = vec![(terraform::OUR_SOURCE, paths.staged.as_path())];
    if let Ok(dir) = &go_dir {
        overrides.push((go_provider::SOURCE, dir.as_path()));
    }
    let tf = terraform::Terraform::new(&scratch, &overrides)?;
    let mut machine = Machine::describe(terraform::version());
    machine.note = options.note.clone();

    let mut out: Vec<Section> = Vec::new();
    if options.wants(Part::Overhead) {
        eprintln!("bench: provider overhead (terraform providers schema -json)");
        out.push(sections::overhead(
            &tf,
            &scratch,
            &paths,
            &go_dir,
            options.runs,
        ));
        eprintln!("bench: the provider's part of it (TF_LOG=json trace timestamps)");
        out.push(split_section::split(&tf, &scratch, &go_dir, options.runs));
    }
    if options.wants(Part::Handshake) {
        eprintln!("bench: handshake latency and memory");
        out.push(sections::handshake(
            &paths,
            &go_dir,
            options.handshake_runs(),
        ));
    }
    if options.wants(Part::Shutdown) {
        eprintln!("bench: Shutdown to exit (terraform providers schema -json, TF_LOG=json)");
        out.push(sections::shutdown(&tf, &scratch, &go_dir, options.runs));
    }
    let mut peak = None;
    if options.wants(Part::Apply) {
        eprintln!("bench: apply and refresh against the simulator");
        let (apply, requests, measured_peak) =
            apply_sections::apply(&tf, &scratch, &paths, &options);
        out.push(apply);
        out.push(requests);
        peak = measured_peak;
    }
    if options.wants(Part::Size) || options.wants(Part::Apply) {
        out.push(sections::memory_and_size(
            &paths,
            peak,
            options.wants(Part::Size),
        ));
    }

    machine.finish();
    let invocation = std::iter::once("cargo xtask bench".to_owned())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let text = report::render(&machine, &invocation, &report::now_utc(), &out);
    let report_path = options.out.clone().unwrap_or_else(|| {
        if options.is_full() {
            paths.root.join("BENCHMARKS.md")
        } else {
            paths.work.join("BENCHMARKS.md")
        }
    });
    if let Some(parent) = report_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&report_path, &text)
        .with_context(|| format!("writing {}", report_path.display()))?;
    println!("{text}");
    println!("wrote {}", report_path.display());
    let errors: Vec<&String> = out.iter().flat_map(|s| &s.errors).collect();
    if !errors.is_empty() {
        bail!(
            "{} measurement(s) could not be taken (see the report)",
            errors.len()
        );
    }
    Ok(())
}

fn build(paths: &Paths, options: &Options) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut builds: Vec<&[&str]> =
        vec![&["build", "--release", "--bin", "terraform-provider-msgraph"]];
    if options.wants(Part::Apply) {
        builds.push(&["build", "--release", "-p", "msgraph-sim"]);
    }
    for args in builds {
        eprintln!("bench: cargo {}", args.join(" "));
        let status = std::process::Command::new(&cargo)
            .args(args)
            .current_dir(&paths.root)
            .status()
            .context("running cargo")?;
        if !status.success() {
            bail!("cargo {} failed ({status})", args.join(" "));
        }
    }
    Ok(())
}
