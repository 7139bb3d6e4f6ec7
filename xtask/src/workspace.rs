//! The repository as cargo sees it: root, target directory, provider version, and cargo builds.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The root package's name (and its binary's).
pub const PROVIDER_PACKAGE: &str = "terraform-provider-msgraph";

/// What xtask needs to know about the workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    /// The provider's version, from the root Cargo.toml.
    pub version: String,
}

#[derive(Deserialize)]
struct Metadata {
    workspace_root: PathBuf,
    target_directory: PathBuf,
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
}

/// The cargo that runs us (so `cargo +toolchain xtask` stays on that toolchain).
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

impl Workspace {
    /// Asks `cargo metadata` about the workspace this xtask belongs to.
    pub fn discover() -> Result<Workspace> {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask has no parent directory")?
            .join("Cargo.toml");
        let output = cargo()
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--manifest-path",
            ])
            .arg(&manifest)
            .output()
            .context("running cargo metadata")?;
        if !output.status.success() {
            bail!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let metadata: Metadata =
            serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;
        let version = metadata
            .packages
            .iter()
            .find(|p| p.name == PROVIDER_PACKAGE)
            .map(|p| p.version.clone())
            .with_context(|| format!("package {PROVIDER_PACKAGE} not in the workspace"))?;
        Ok(Workspace {
            root: metadata.workspace_root,
            target_dir: metadata.target_directory,
            version,
        })
    }

    /// Runs `cargo build` with `args` in the workspace, failing when the build fails.
    pub fn cargo_build(&self, args: &[&str]) -> Result<()> {
        let status = cargo()
            .arg("build")
            .args(args)
            .current_dir(&self.root)
            .status()
            .context("running cargo build")?;
        if !status.success() {
            bail!("cargo build {} failed ({status})", args.join(" "));
        }
        Ok(())
    }

    /// Path of a binary cargo built for `profile` (`debug`/`release`) and optional `target`.
    pub fn binary_path(&self, name: &str, profile: &str, target: Option<&str>) -> PathBuf {
        let mut dir = self.target_dir.clone();
        if let Some(triple) = target {
            dir.push(triple);
        }
        dir.push(profile);
        let suffix = if target.map_or(cfg!(windows), |t| t.contains("-windows")) {
            ".exe"
        } else {
            ""
        };
        dir.join(format!("{name}{suffix}"))
    }
}
