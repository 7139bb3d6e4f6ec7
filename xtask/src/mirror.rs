//! The packed provider network mirror tree (`HOST/NS/msgraph/{index.json,VERSION.json,zips}`),
//! merged with what is already published there. The same tree serves as a packed filesystem mirror.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::hashes::{h1_hash, zh_hash};
use crate::package::{parse_zip_file_name, zip_file_name};
use crate::release::{release, ReleaseOptions};
use crate::workspace::Workspace;

/// The provider type name in the mirror path.
pub const PROVIDER_TYPE: &str = "msgraph";

/// `index.json`: the versions the mirror offers.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct MirrorIndex {
    pub versions: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
}

/// `VERSION.json`: one archive per platform.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct MirrorVersion {
    pub archives: BTreeMap<String, MirrorArchive>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MirrorArchive {
    /// Relative to the JSON document, so the tree can be hosted under any base URL.
    pub url: String,
    pub hashes: Vec<String>,
}

/// The directory `out/HOST/NS/msgraph` that a mirror for `host/namespace` lives in.
pub fn provider_dir(out: &Path, host: &str, namespace: &str) -> PathBuf {
    out.join(host).join(namespace).join(PROVIDER_TYPE)
}

/// Writes `version`'s zips into the mirror at `out` for `host/namespace/msgraph`, keeping every
/// version and platform already there. Returns the provider directory.
pub fn write_mirror(
    out: &Path,
    host: &str,
    namespace: &str,
    version: &str,
    archives: &[(String, Vec<u8>)],
) -> Result<PathBuf> {
    for part in [host, namespace, version] {
        if part.is_empty() || part.contains(['/', '\\']) || part == "." || part == ".." {
            bail!("{part:?} is not usable as a mirror path segment");
        }
    }
    if archives.is_empty() {
        bail!("no archives to publish for version {version}");
    }
    let dir = provider_dir(out, host, namespace);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;

    let version_path = dir.join(format!("{version}.json"));
    let mut version_doc: MirrorVersion = read_json_or_default(&version_path)?;
    for (os_arch, zip_bytes) in archives {
        let file_name = zip_file_name(version, os_arch);
        let hashes = vec![h1_hash(zip_bytes)?, zh_hash(zip_bytes)];
        write_file(&dir.join(&file_name), zip_bytes)?;
        version_doc.archives.insert(
            os_arch.clone(),
            MirrorArchive {
                url: file_name,
                hashes,
            },
        );
    }
    write_json(&version_path, &version_doc)?;

    let index_path = dir.join("index.json");
    let mut index: MirrorIndex = read_json_or_default(&index_path)?;
    index.versions.entry(version.to_owned()).or_default();
    write_json(&index_path, &index)?;
    Ok(dir)
}

/// Flags of `cargo xtask mirror`, which `cargo xtask registry` takes too: where to publish, and
/// what.
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    pub out: PathBuf,
    pub hostname: String,
    pub namespace: String,
    /// A directory of release zips to publish; without it, this version is built for `target`.
    pub from: Option<PathBuf>,
    pub target: Option<String>,
}

/// `cargo xtask mirror`: publishes release zips (given or freshly built) into the mirror.
pub fn publish_mirror(workspace: &Workspace, options: &PublishOptions) -> Result<PathBuf> {
    let (_, by_version) = release_zips_to_publish(workspace, options)?;
    let mut dir = provider_dir(&options.out, &options.hostname, &options.namespace);
    for (version, archives) in by_version {
        dir = write_mirror(
            &options.out,
            &options.hostname,
            &options.namespace,
            &version,
            &archives,
        )?;
    }
    Ok(dir)
}

/// The release zips to publish, by version, and the directory they are in: those in `from`, or
/// this version freshly built for `target` (default: the host).
pub(crate) fn release_zips_to_publish(
    workspace: &Workspace,
    options: &PublishOptions,
) -> Result<(PathBuf, BTreeMap<String, PlatformZips>)> {
    let (source, only_version) = match &options.from {
        Some(dir) => (dir.clone(), None),
        None => {
            let dir = workspace.target_dir.join("xtask").join("release");
            release(
                workspace,
                &ReleaseOptions {
                    out: dir.clone(),
                    target: options.target.clone(),
                    gpg_key: None,
                },
            )?;
            (dir, Some(workspace.version.clone()))
        }
    };
    let by_version = release_zips(&source, only_version.as_deref())?;
    if by_version.is_empty() {
        bail!(
            "no terraform-provider-msgraph_VERSION_OS_ARCH.zip files in {}",
            source.display()
        );
    }
    Ok((source, by_version))
}

/// `(OS_ARCH, zip bytes)` for each platform of one version.
pub(crate) type PlatformZips = Vec<(String, Vec<u8>)>;

/// Release zips in `dir`, grouped by version (optionally only `version`).
pub(crate) fn release_zips(
    dir: &Path,
    version: Option<&str>,
) -> Result<BTreeMap<String, PlatformZips>> {
    let mut found: BTreeMap<String, PlatformZips> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((zip_version, os_arch)) = parse_zip_file_name(&name) else {
            continue;
        };
        if version.is_some_and(|v| v != zip_version) {
            continue;
        }
        let bytes = std::fs::read(entry.path()).with_context(|| format!("reading {name}"))?;
        found.entry(zip_version).or_default().push((os_arch, bytes));
    }
    for archives in found.values_mut() {
        archives.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Ok(found)
}

pub(crate) fn read_json_or_default<T: Default + for<'de> Deserialize<'de>>(
    path: &Path,
) -> Result<T> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a valid JSON document", path.display())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value).context("serializing mirror document")?;
    text.push('\n');
    write_file(path, text.as_bytes())
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::package_bytes;

    fn zip(version: &str, os_arch: &str) -> Vec<u8> {
        package_bytes(format!("binary {version}").as_bytes(), version, os_arch).expect("zip")
    }

    fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
        serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
    }

    #[test]
    fn writes_index_version_document_and_zip() {
        let out = tempfile::tempdir().expect("tempdir");
        let bytes = zip("0.1.0", "linux_amd64");
        let dir = write_mirror(
            out.path(),
            "example.test",
            "acme",
            "0.1.0",
            &[("linux_amd64".to_owned(), bytes.clone())],
        )
        .expect("mirror");
        assert_eq!(dir, out.path().join("example.test/acme/msgraph"));

        let index: serde_json::Value = read(&dir.join("index.json"));
        assert_eq!(index, serde_json::json!({"versions": {"0.1.0": {}}}));

        let version: serde_json::Value = read(&dir.join("0.1.0.json"));
        let expected = serde_json::json!({"archives": {"linux_amd64": {
            "url": "terraform-provider-msgraph_0.1.0_linux_amd64.zip",
            "hashes": [h1_hash(&bytes).expect("h1"), zh_hash(&bytes)],
        }}});
        assert_eq!(version, expected);
        let zip_path = dir.join("terraform-provider-msgraph_0.1.0_linux_amd64.zip");
        assert_eq!(std::fs::read(zip_path).expect("zip"), bytes);
    }

    #[test]
    fn publishing_a_new_version_keeps_older_ones() {
        let out = tempfile::tempdir().expect("tempdir");
        let publish = |version: &str, os_arch: &str| {
            write_mirror(
                out.path(),
                "example.test",
                "acme",
                version,
                &[(os_arch.to_owned(), zip(version, os_arch))],
            )
            .expect("mirror")
        };
        publish("0.1.0", "linux_amd64");
        let dir = publish("0.2.0", "linux_amd64");
        // A second platform for an existing version merges into its document.
        publish("0.2.0", "darwin_arm64");

        let index: MirrorIndex = read(&dir.join("index.json"));
        assert_eq!(
            index.versions.keys().collect::<Vec<_>>(),
            vec!["0.1.0", "0.2.0"]
        );
        let old: MirrorVersion = read(&dir.join("0.1.0.json"));
        assert_eq!(old.archives.keys().collect::<Vec<_>>(), vec!["linux_amd64"]);
        let new: MirrorVersion = read(&dir.join("0.2.0.json"));
        assert_eq!(
            new.archives.keys().collect::<Vec<_>>(),
            vec!["darwin_arm64", "linux_amd64"]
        );
        assert!(dir
            .join("terraform-provider-msgraph_0.1.0_linux_amd64.zip")
            .is_file());
    }

    #[test]
    fn finds_release_zips_by_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (version, os_arch) in [("0.1.0", "linux_amd64"), ("0.2.0", "linux_amd64")] {
            let path = dir.path().join(zip_file_name(version, os_arch));
            std::fs::write(path, zip(version, os_arch)).expect("write");
        }
        std::fs::write(
            dir.path()
                .join("terraform-provider-msgraph_0.2.0_SHA256SUMS"),
            "",
        )
        .expect("sums");
        let all = release_zips(dir.path(), None).expect("scan");
        assert_eq!(all.keys().collect::<Vec<_>>(), vec!["0.1.0", "0.2.0"]);
        let only = release_zips(dir.path(), Some("0.2.0")).expect("scan");
        assert_eq!(only.keys().collect::<Vec<_>>(), vec!["0.2.0"]);
        assert_eq!(only["0.2.0"][0].0, "linux_amd64");
    }

    #[test]
    fn rejects_path_traversal_in_names() {
        let out = tempfile::tempdir().expect("tempdir");
        let archives = [("linux_amd64".to_owned(), zip("0.1.0", "linux_amd64"))];
        assert!(write_mirror(out.path(), "..", "acme", "0.1.0", &archives).is_err());
        assert!(write_mirror(out.path(), "h", "a/b", "0.1.0", &archives).is_err());
    }
}
