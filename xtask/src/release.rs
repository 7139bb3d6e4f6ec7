//! `cargo xtask release`: builds the provider and writes the release zip, SHA256SUMS, manifest and
//! (with a GPG key) the SHA256SUMS signature with the key's public half and ID.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

use crate::gpg::{export_public_key, sign_detached};
use crate::hashes::sha256_hex;
use crate::package::{
    key_id_file_name, manifest_file_name, package_zip, parse_zip_file_name, public_key_file_name,
    sums_file_name, zip_file_name, PROVIDER_BINARY,
};
use crate::platform::{host_target, platform_for_target};
use crate::workspace::{Workspace, PROVIDER_PACKAGE};

/// The registry manifest: this provider speaks plugin protocol 6 only.
pub const MANIFEST_JSON: &str = "{\"version\":1,\"metadata\":{\"protocol_versions\":[\"6.0\"]}}\n";

/// Flags of `cargo xtask release`.
#[derive(Debug, Clone, Default)]
pub struct ReleaseOptions {
    pub out: PathBuf,
    pub target: Option<String>,
    pub gpg_key: Option<String>,
}

/// What a release run wrote.
#[derive(Debug, Clone)]
pub struct ReleaseOutput {
    pub version: String,
    pub os_arch: String,
    pub zip_path: PathBuf,
    pub sums_path: PathBuf,
    /// With a GPG key: the signature, the armored public key and the file holding its ID.
    pub signing: Option<SigningOutput>,
}

/// What signing a release wrote next to its SHA256SUMS.
#[derive(Debug, Clone)]
pub struct SigningOutput {
    pub signature_path: PathBuf,
    pub public_key_path: PathBuf,
    pub key_id_path: PathBuf,
    pub key_id: String,
}

/// Builds the release binary for `options.target` (default: the host) and writes the artifacts.
pub fn release(workspace: &Workspace, options: &ReleaseOptions) -> Result<ReleaseOutput> {
    let triple = match &options.target {
        Some(triple) => triple.clone(),
        None => host_target()?,
    };
    let platform = platform_for_target(&triple)?;
    let mut args = vec![
        "--release",
        "--package",
        PROVIDER_PACKAGE,
        "--bin",
        PROVIDER_BINARY,
    ];
    if let Some(target) = &options.target {
        args.extend(["--target", target.as_str()]);
    }
    workspace.cargo_build(&args)?;
    let binary = workspace.binary_path(PROVIDER_BINARY, "release", options.target.as_deref());
    let os_arch = platform.os_arch();
    let zip = package_zip(&binary, &workspace.version, &os_arch)?;
    let zip_path = write_release_files(&options.out, &workspace.version, &os_arch, &zip)?;
    let sums_path = options.out.join(sums_file_name(&workspace.version));
    let signing = match &options.gpg_key {
        Some(key) => Some(sign_release(&options.out, &workspace.version, key, None)?),
        None => None,
    };
    Ok(ReleaseOutput {
        version: workspace.version.clone(),
        os_arch,
        zip_path,
        sums_path,
        signing,
    })
}

/// Writes the zip for one platform into `out`, then the manifest and a SHA256SUMS covering
/// every zip of `version` there (releases for several targets can share one directory).
pub fn write_release_files(
    out: &Path,
    version: &str,
    os_arch: &str,
    zip: &[u8],
) -> Result<PathBuf> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let zip_path = out.join(zip_file_name(version, os_arch));
    std::fs::write(&zip_path, zip).with_context(|| format!("writing {}", zip_path.display()))?;
    write_checksums(out, version)?;
    Ok(zip_path)
}

/// Writes the manifest and SHA256SUMS for the zips of `version` in `dir`; returns the sums path.
/// CI runs this (as `cargo xtask sums`) after collecting every platform's zip in one directory.
pub fn write_checksums(dir: &Path, version: &str) -> Result<PathBuf> {
    let manifest_path = dir.join(manifest_file_name(version));
    std::fs::write(&manifest_path, MANIFEST_JSON)
        .with_context(|| format!("writing {}", manifest_path.display()))?;
    let sums = sha256sums(dir, version)?;
    if !sums.contains(".zip") {
        bail!(
            "no {PROVIDER_BINARY}_{version}_OS_ARCH.zip in {}",
            dir.display()
        );
    }
    let sums_path = dir.join(sums_file_name(version));
    std::fs::write(&sums_path, sums).with_context(|| format!("writing {}", sums_path.display()))?;
    Ok(sums_path)
}

/// Signs `version`'s SHA256SUMS in `dir` with `key` and writes the key's armored public half
/// and its ID next to the signature: what a registry serves as `signing_keys` and what HCP
/// Terraform's private registry asks for. `gnupg_home` overrides GNUPGHOME.
pub fn sign_release(
    dir: &Path,
    version: &str,
    key: &str,
    gnupg_home: Option<&Path>,
) -> Result<SigningOutput> {
    let public = export_public_key(key, gnupg_home)?;
    // Sign with the resolved ID, so the signature and the exported key cannot disagree.
    let signature_path = sign_detached(
        &dir.join(sums_file_name(version)),
        &public.key_id,
        gnupg_home,
    )?;
    let public_key_path = dir.join(public_key_file_name(version));
    std::fs::write(&public_key_path, &public.ascii_armor)
        .with_context(|| format!("writing {}", public_key_path.display()))?;
    let key_id_path = dir.join(key_id_file_name(version));
    std::fs::write(&key_id_path, format!("{}\n", public.key_id))
        .with_context(|| format!("writing {}", key_id_path.display()))?;
    Ok(SigningOutput {
        signature_path,
        public_key_path,
        key_id_path,
        key_id: public.key_id,
    })
}

/// `sha256sum`-format lines for `version`'s zips and manifest in `dir`, sorted by file name.
pub fn sha256sums(dir: &Path, version: &str) -> Result<String> {
    let manifest = manifest_file_name(version);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let is_zip = parse_zip_file_name(&name).is_some_and(|(v, _)| v == version);
        if is_zip || name == manifest {
            names.push(name);
        }
    }
    names.sort();
    let mut sums = String::new();
    for name in names {
        let bytes = std::fs::read(dir.join(&name)).with_context(|| format!("reading {name}"))?;
        sums.push_str(&format!("{}  {name}\n", sha256_hex(&bytes)));
    }
    Ok(sums)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::package_bytes;

    #[test]
    fn sums_cover_every_platform_and_the_manifest() {
        let out = tempfile::tempdir().expect("tempdir");
        let linux = package_bytes(b"linux", "0.3.0", "linux_amd64").expect("zip");
        let darwin = package_bytes(b"darwin", "0.3.0", "darwin_arm64").expect("zip");
        write_release_files(out.path(), "0.3.0", "linux_amd64", &linux).expect("linux");
        write_release_files(out.path(), "0.3.0", "darwin_arm64", &darwin).expect("darwin");
        // Another version's zip in the same directory stays out of this version's sums.
        let other = package_bytes(b"old", "0.2.0", "linux_amd64").expect("zip");
        std::fs::write(
            out.path().join(zip_file_name("0.2.0", "linux_amd64")),
            other,
        )
        .expect("old zip");
        let sums = sha256sums(out.path(), "0.3.0").expect("sums");
        let expected = format!(
            "{}  terraform-provider-msgraph_0.3.0_darwin_arm64.zip\n{}  terraform-provider-msgraph_0.3.0_linux_amd64.zip\n{}  terraform-provider-msgraph_0.3.0_manifest.json\n",
            sha256_hex(&darwin),
            sha256_hex(&linux),
            sha256_hex(MANIFEST_JSON.as_bytes()),
        );
        assert_eq!(sums, expected);
        let written =
            std::fs::read_to_string(out.path().join(sums_file_name("0.3.0"))).expect("read sums");
        assert_eq!(written, expected);
    }

    #[test]
    fn signing_writes_signature_public_key_and_key_id() {
        let keyring = crate::gpg::ScratchKeyring::new(&["release@example.test"]).expect("keyring");
        let out = tempfile::tempdir().expect("out");
        let zip = package_bytes(b"bin", "0.1.0", "linux_amd64").expect("zip");
        write_release_files(out.path(), "0.1.0", "linux_amd64", &zip).expect("write");
        let signed = sign_release(
            out.path(),
            "0.1.0",
            "release@example.test",
            Some(keyring.path()),
        )
        .expect("sign");
        let name = |suffix: &str| {
            out.path()
                .join(format!("terraform-provider-msgraph_0.1.0_{suffix}"))
        };
        assert_eq!(signed.signature_path, name("SHA256SUMS.sig"));
        assert_eq!(signed.public_key_path, name("signing_key.asc"));
        assert_eq!(signed.key_id_path, name("signing_key_id"));
        let key_id = std::fs::read_to_string(&signed.key_id_path).expect("key id");
        assert_eq!(key_id, format!("{}\n", signed.key_id));
        let armor = std::fs::read_to_string(&signed.public_key_path).expect("public key");
        assert!(armor.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        // The signature verifies with nothing but the exported public key.
        let verifier = crate::gpg::ScratchKeyring::new(&[]).expect("verifier home");
        let gpgv = |args: &[&std::ffi::OsStr]| {
            std::process::Command::new("gpg")
                .env("GNUPGHOME", verifier.path())
                .arg("--batch")
                .args(args)
                .output()
                .expect("gpg runs")
        };
        assert!(
            gpgv(&["--import".as_ref(), signed.public_key_path.as_os_str()])
                .status
                .success()
        );
        let verify = gpgv(&[
            "--verify".as_ref(),
            signed.signature_path.as_os_str(),
            name("SHA256SUMS").as_os_str(),
        ]);
        assert!(
            verify.status.success(),
            "{}",
            String::from_utf8_lossy(&verify.stderr)
        );
    }

    #[test]
    fn sums_file_is_accepted_by_sha256sum() {
        let out = tempfile::tempdir().expect("tempdir");
        let zip = package_bytes(b"bin", "0.1.0", "linux_amd64").expect("zip");
        write_release_files(out.path(), "0.1.0", "linux_amd64", &zip).expect("write");
        let status = std::process::Command::new("sha256sum")
            .args(["--check", "--strict", &sums_file_name("0.1.0")])
            .current_dir(out.path())
            .status()
            .expect("sha256sum runs");
        assert!(status.success());
    }

    #[test]
    fn manifest_declares_protocol_six() {
        let manifest: serde_json::Value = serde_json::from_str(MANIFEST_JSON).expect("json");
        assert_eq!(
            manifest,
            serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
        );
    }
}
