//! A static private provider registry (Terraform's Provider Registry Protocol): service
//! discovery, the versions list and per-platform download documents next to the signed release
//! files, merged with what is already published there.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::gpg::PublicKey;
use crate::hashes::sha256_hex;
use crate::mirror::{
    read_json_or_default, release_zips_to_publish, write_file, write_json, PublishOptions,
    PROVIDER_TYPE,
};
use crate::package::{
    key_id_file_name, public_key_file_name, signature_file_name, sums_file_name, zip_file_name,
};
use crate::release::sign_release;
use crate::workspace::Workspace;

/// The plugin protocol versions this provider speaks, as the registry announces them.
const PROTOCOLS: &[&str] = &["6.0"];

/// Where the provider API lives under the host, announced by service discovery.
const PROVIDERS_V1: &str = "/v1/providers/";

/// One version of the provider ready to publish: its zips and the signed checksums.
#[derive(Debug, Clone)]
pub struct SignedRelease {
    pub version: String,
    /// `(OS_ARCH, zip bytes)` per platform.
    pub archives: Vec<(String, Vec<u8>)>,
    /// The SHA256SUMS file covering the zips.
    pub sums: Vec<u8>,
    /// Its binary detached signature.
    pub signature: Vec<u8>,
    pub key: PublicKey,
}

/// `v1/providers/NS/msgraph/versions`.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct VersionsDocument {
    pub versions: Vec<VersionEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VersionEntry {
    pub version: String,
    pub protocols: Vec<String>,
    pub platforms: Vec<PlatformEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct PlatformEntry {
    pub os: String,
    pub arch: String,
}

/// `v1/providers/NS/msgraph/VERSION/download/OS/ARCH`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DownloadDocument {
    pub protocols: Vec<String>,
    pub os: String,
    pub arch: String,
    pub filename: String,
    pub download_url: String,
    pub shasums_url: String,
    pub shasums_signature_url: String,
    pub shasum: String,
    pub signing_keys: SigningKeys,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SigningKeys {
    pub gpg_public_keys: Vec<GpgPublicKey>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GpgPublicKey {
    pub key_id: String,
    pub ascii_armor: String,
    pub trust_signature: String,
    pub source: String,
    pub source_url: Option<String>,
}

/// Checks `host` is a registry hostname Terraform can resolve by service discovery: a DNS name
/// with a dot, or any name with a port (`localhost:8443`), no scheme and no path.
pub fn check_hostname(host: &str) -> Result<()> {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !name.starts_with(['.', '-'])
        && !name.ends_with(['.', '-']);
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    if !name_ok || !port_ok {
        bail!("{host:?} is not a registry hostname: give a name such as registry.example.com or localhost:8443, without https:// or a path");
    }
    if port.is_none() && !name.contains('.') {
        bail!("{host:?} has no dot and no port; Terraform reads a single-word first part of a source address as a namespace, not a host");
    }
    Ok(())
}

/// The `source` address configurations use for the provider in this registry.
pub fn source_address(host: &str, namespace: &str) -> String {
    format!("{host}/{namespace}/{PROVIDER_TYPE}")
}

/// The directory `out/v1/providers/NS/msgraph`.
pub fn provider_dir(out: &Path, namespace: &str) -> PathBuf {
    out.join("v1/providers").join(namespace).join(PROVIDER_TYPE)
}

/// Writes `release` into the registry tree rooted at `out` (the site root of `https://host/`),
/// keeping every version already published. Returns the provider directory.
pub fn write_registry(
    out: &Path,
    host: &str,
    namespace: &str,
    release: &SignedRelease,
) -> Result<PathBuf> {
    check_hostname(host)?;
    let version = release.version.as_str();
    for part in [namespace, version] {
        if part.is_empty() || part.contains(['/', '\\', '?', '#']) || part == "." || part == ".." {
            bail!("{part:?} is not usable in a registry path");
        }
    }
    if release.archives.is_empty() {
        bail!("no archives to publish for version {version}");
    }
    let sums = String::from_utf8_lossy(&release.sums);
    let dir = provider_dir(out, namespace);
    let version_dir = dir.join(version);
    std::fs::create_dir_all(&version_dir)
        .with_context(|| format!("creating {}", version_dir.display()))?;

    // The release files, beside the download documents that point at them.
    let base_url = format!("https://{host}{PROVIDERS_V1}{namespace}/{PROVIDER_TYPE}/{version}");
    write_file(&version_dir.join(sums_file_name(version)), &release.sums)?;
    write_file(
        &version_dir.join(signature_file_name(version)),
        &release.signature,
    )?;
    let mut platforms = Vec::new();
    for (os_arch, zip) in &release.archives {
        let (os, arch) = os_arch
            .split_once('_')
            .with_context(|| format!("{os_arch:?} is not OS_ARCH"))?;
        let filename = zip_file_name(version, os_arch);
        let shasum = sha256_hex(zip);
        if !sums.lines().any(|line| {
            line.split_whitespace()
                .eq([shasum.as_str(), filename.as_str()])
        }) {
            bail!("the SHA256SUMS of {version} has no line `{shasum}  {filename}`: Terraform would refuse the package");
        }
        write_file(&version_dir.join(&filename), zip)?;
        let document = DownloadDocument {
            protocols: PROTOCOLS.iter().map(|p| (*p).to_owned()).collect(),
            os: os.to_owned(),
            arch: arch.to_owned(),
            download_url: format!("{base_url}/{filename}"),
            filename,
            shasums_url: format!("{base_url}/{}", sums_file_name(version)),
            shasums_signature_url: format!("{base_url}/{}", signature_file_name(version)),
            shasum,
            signing_keys: SigningKeys {
                gpg_public_keys: vec![GpgPublicKey {
                    key_id: release.key.key_id.clone(),
                    ascii_armor: release.key.ascii_armor.clone(),
                    trust_signature: String::new(),
                    source: String::new(),
                    source_url: None,
                }],
            },
        };
        let download_dir = version_dir.join("download").join(os);
        std::fs::create_dir_all(&download_dir)
            .with_context(|| format!("creating {}", download_dir.display()))?;
        write_json(&download_dir.join(arch), &document)?;
        platforms.push(PlatformEntry {
            os: os.to_owned(),
            arch: arch.to_owned(),
        });
    }

    let versions_path = dir.join("versions");
    let mut versions: VersionsDocument = read_json_or_default(&versions_path)?;
    let entry = match versions.versions.iter_mut().find(|v| v.version == version) {
        Some(entry) => entry,
        None => {
            versions.versions.push(VersionEntry {
                version: version.to_owned(),
                protocols: Vec::new(),
                platforms: Vec::new(),
            });
            versions.versions.last_mut().context("just pushed")?
        }
    };
    entry.protocols = PROTOCOLS.iter().map(|p| (*p).to_owned()).collect();
    entry.platforms.extend(platforms);
    entry.platforms.sort();
    entry.platforms.dedup();
    versions.versions.sort_by_key(|v| version_key(&v.version));
    write_json(&versions_path, &versions)?;

    write_discovery(out)?;
    Ok(dir)
}

/// `/.well-known/terraform.json`: where Terraform finds the provider API on this host.
fn write_discovery(out: &Path) -> Result<()> {
    let well_known = out.join(".well-known");
    std::fs::create_dir_all(&well_known)
        .with_context(|| format!("creating {}", well_known.display()))?;
    let mut services: serde_json::Map<String, serde_json::Value> =
        read_json_or_default(&well_known.join("terraform.json"))?;
    services.insert("providers.v1".to_owned(), PROVIDERS_V1.into());
    write_json(&well_known.join("terraform.json"), &services)
}

/// Numeric parts first, so 0.10.0 sorts after 0.9.0.
fn version_key(version: &str) -> (Vec<u64>, String) {
    let core = version.split(['-', '+']).next().unwrap_or(version);
    let numbers = core.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    (numbers, version.to_owned())
}

/// Reads `version`'s signed release from a `cargo xtask release --gpg-key` output directory.
pub fn read_signed_release(
    dir: &Path,
    version: &str,
    archives: Vec<(String, Vec<u8>)>,
) -> Result<SignedRelease> {
    let read = |name: String| -> Result<Vec<u8>> {
        let path = dir.join(&name);
        std::fs::read(&path).with_context(|| {
            format!(
                "reading {} (a registry needs a signed release: run `cargo xtask release --gpg-key KEYID`, or pass --gpg-key)",
                path.display()
            )
        })
    };
    let key_id = String::from_utf8(read(key_id_file_name(version))?)
        .context("the key ID file is not UTF-8")?
        .trim()
        .to_owned();
    let ascii_armor = String::from_utf8(read(public_key_file_name(version))?)
        .context("the public key file is not UTF-8")?;
    Ok(SignedRelease {
        version: version.to_owned(),
        archives,
        sums: read(sums_file_name(version))?,
        signature: read(signature_file_name(version))?,
        key: PublicKey {
            key_id,
            ascii_armor,
        },
    })
}

/// Flags of `cargo xtask registry`.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    pub publish: PublishOptions,
    /// Sign (or re-sign) SHA256SUMS with this key; without it the release must already be signed.
    pub gpg_key: Option<String>,
}

/// `cargo xtask registry`: publishes release zips (given or freshly built) into the registry.
pub fn publish_registry(workspace: &Workspace, options: &RegistryOptions) -> Result<PathBuf> {
    let PublishOptions {
        out,
        hostname,
        namespace,
        from,
        ..
    } = &options.publish;
    check_hostname(hostname)?;
    if from.is_none() && options.gpg_key.is_none() {
        bail!("a registry serves signed releases: pass --gpg-key KEYID, or --from a directory `cargo xtask release --gpg-key` wrote");
    }
    let (source, by_version) = release_zips_to_publish(workspace, &options.publish)?;
    let mut dir = provider_dir(out, namespace);
    for (version, archives) in by_version {
        if let Some(key) = &options.gpg_key {
            sign_release(&source, &version, key, None)?;
        }
        let signed = read_signed_release(&source, &version, archives)?;
        dir = write_registry(out, hostname, namespace, &signed)?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::package_bytes;

    fn signed(version: &str, platforms: &[&str]) -> SignedRelease {
        let archives: Vec<(String, Vec<u8>)> = platforms
            .iter()
            .map(|p| {
                let zip =
                    package_bytes(format!("{version} {p}").as_bytes(), version, p).expect("zip");
                ((*p).to_owned(), zip)
            })
            .collect();
        let sums: String = archives
            .iter()
            .map(|(p, zip)| format!("{}  {}\n", sha256_hex(zip), zip_file_name(version, p)))
            .collect();
        SignedRelease {
            version: version.to_owned(),
            archives,
            sums: sums.into_bytes(),
            signature: b"sig".to_vec(),
            key: PublicKey {
                key_id: "0123456789ABCDEF".to_owned(),
                ascii_armor: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n...\n".to_owned(),
            },
        }
    }

    fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
        serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
    }

    /// Asserts each of `files` is in the tree under `dir/version`.
    fn assert_published(dir: &Path, version: &str, files: &[&str]) {
        for file in files {
            let path = dir.join(version).join(file);
            assert!(path.is_file(), "{} missing", path.display());
        }
    }

    #[test]
    fn writes_discovery_versions_and_download_documents() {
        let out = tempfile::tempdir().expect("tempdir");
        let release = signed("0.1.0", &["linux_amd64"]);
        let dir =
            write_registry(out.path(), "registry.example.com", "acme", &release).expect("registry");
        assert_eq!(dir, out.path().join("v1/providers/acme/msgraph"));

        let discovery: serde_json::Value = read(&out.path().join(".well-known/terraform.json"));
        assert_eq!(
            discovery,
            serde_json::json!({"providers.v1": "/v1/providers/"})
        );
        let versions: serde_json::Value = read(&dir.join("versions"));
        assert_eq!(
            versions,
            serde_json::json!({"versions": [{"version": "0.1.0", "protocols": ["6.0"],
                "platforms": [{"os": "linux", "arch": "amd64"}]}]})
        );
        let download: serde_json::Value = read(&dir.join("0.1.0/download/linux/amd64"));
        let base = "https://registry.example.com/v1/providers/acme/msgraph/0.1.0";
        let zip = &release.archives[0].1;
        assert_eq!(
            download,
            serde_json::json!({
                "protocols": ["6.0"], "os": "linux", "arch": "amd64",
                "filename": "terraform-provider-msgraph_0.1.0_linux_amd64.zip",
                "download_url": format!("{base}/terraform-provider-msgraph_0.1.0_linux_amd64.zip"),
                "shasums_url": format!("{base}/terraform-provider-msgraph_0.1.0_SHA256SUMS"),
                "shasums_signature_url": format!("{base}/terraform-provider-msgraph_0.1.0_SHA256SUMS.sig"),
                "shasum": sha256_hex(zip),
                "signing_keys": {"gpg_public_keys": [{
                    "key_id": "0123456789ABCDEF",
                    "ascii_armor": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n...\n",
                    "trust_signature": "", "source": "", "source_url": null}]}
            })
        );
        // Every URL in the document names a file in the tree.
        assert_published(
            &dir,
            "0.1.0",
            &[
                "terraform-provider-msgraph_0.1.0_linux_amd64.zip",
                "terraform-provider-msgraph_0.1.0_SHA256SUMS",
                "terraform-provider-msgraph_0.1.0_SHA256SUMS.sig",
            ],
        );
    }

    #[test]
    fn publishing_a_new_version_keeps_older_ones() {
        let out = tempfile::tempdir().expect("tempdir");
        let host = "localhost:8443";
        write_registry(out.path(), host, "acme", &signed("0.9.0", &["linux_amd64"])).expect("0.9");
        write_registry(
            out.path(),
            host,
            "acme",
            &signed("0.10.0", &["linux_amd64"]),
        )
        .expect("0.10");
        // A second platform for an existing version joins its entry.
        let dir = write_registry(
            out.path(),
            host,
            "acme",
            &signed("0.10.0", &["darwin_arm64"]),
        )
        .expect("0.10 darwin");
        let versions: VersionsDocument = read(&dir.join("versions"));
        let listed: Vec<(&str, Vec<String>)> = versions
            .versions
            .iter()
            .map(|v| {
                let platforms = v.platforms.iter().map(|p| format!("{}_{}", p.os, p.arch));
                (v.version.as_str(), platforms.collect())
            })
            .collect();
        assert_eq!(
            listed,
            vec![
                ("0.9.0", vec!["linux_amd64".to_owned()]),
                (
                    "0.10.0",
                    vec!["darwin_arm64".to_owned(), "linux_amd64".to_owned()]
                ),
            ]
        );
        let zip = "terraform-provider-msgraph_0.9.0_linux_amd64.zip";
        assert_published(&dir, "0.9.0", &["download/linux/amd64", zip]);
    }

    #[test]
    fn refuses_sums_that_do_not_cover_the_zip() {
        let out = tempfile::tempdir().expect("tempdir");
        let mut release = signed("0.1.0", &["linux_amd64"]);
        release.sums = b"0000  terraform-provider-msgraph_0.1.0_linux_amd64.zip\n".to_vec();
        let err = write_registry(out.path(), "registry.example.com", "acme", &release)
            .expect_err("mismatching sums");
        assert!(err.to_string().contains("SHA256SUMS"), "{err}");
    }

    #[test]
    fn accepts_only_hostnames_terraform_can_discover() {
        for good in ["registry.example.com", "localhost:8443", "127.0.0.1:8443"] {
            check_hostname(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in [
            "localhost",
            "https://registry.example.com",
            "registry.example.com/x",
            "",
            "host:0",
            "host:http",
        ] {
            assert!(check_hostname(bad).is_err(), "{bad:?} accepted");
        }
    }
}
