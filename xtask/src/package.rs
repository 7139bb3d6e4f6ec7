//! Provider release zips: one flat executable, fixed timestamp and mode, byte-identical per binary.

use std::io::{Cursor, Write};
use std::path::Path;

use anyhow::{Context, Result};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::platform::exe_suffix;

/// The provider's binary name, as Terraform derives it from the type name `msgraph`.
pub const PROVIDER_BINARY: &str = "terraform-provider-msgraph";

/// `terraform-provider-msgraph_VERSION_OS_ARCH.zip`.
pub fn zip_file_name(version: &str, os_arch: &str) -> String {
    format!("{PROVIDER_BINARY}_{version}_{os_arch}.zip")
}

/// The single entry in the zip: `terraform-provider-msgraph_vVERSION[.exe]`.
pub fn binary_entry_name(version: &str, os_arch: &str) -> String {
    format!("{PROVIDER_BINARY}_v{version}{}", exe_suffix(os_arch))
}

/// `terraform-provider-msgraph_VERSION_SHA256SUMS`.
pub fn sums_file_name(version: &str) -> String {
    format!("{PROVIDER_BINARY}_{version}_SHA256SUMS")
}

/// `terraform-provider-msgraph_VERSION_SHA256SUMS.sig`: the binary detached signature.
pub fn signature_file_name(version: &str) -> String {
    format!("{}.sig", sums_file_name(version))
}

/// `terraform-provider-msgraph_VERSION_signing_key.asc`: the signing key's armored public half.
pub fn public_key_file_name(version: &str) -> String {
    format!("{PROVIDER_BINARY}_{version}_signing_key.asc")
}

/// `terraform-provider-msgraph_VERSION_signing_key_id`: the signing key's long ID on one line.
pub fn key_id_file_name(version: &str) -> String {
    format!("{PROVIDER_BINARY}_{version}_signing_key_id")
}

/// `terraform-provider-msgraph_VERSION_manifest.json`.
pub fn manifest_file_name(version: &str) -> String {
    format!("{PROVIDER_BINARY}_{version}_manifest.json")
}

/// Parses `terraform-provider-msgraph_VERSION_OS_ARCH.zip` into `(VERSION, OS_ARCH)`.
pub fn parse_zip_file_name(name: &str) -> Option<(String, String)> {
    let rest = name
        .strip_prefix(PROVIDER_BINARY)?
        .strip_prefix('_')?
        .strip_suffix(".zip")?;
    let (version, os_arch) = rest.split_once('_')?;
    if version.is_empty() || !os_arch.contains('_') {
        return None;
    }
    Some((version.to_owned(), os_arch.to_owned()))
}

/// Packs `binary` into a release zip for `version` and `os_arch`.
///
/// Deterministic: the entry's timestamp is 1980-01-01 00:00:00 (the zip epoch), its mode 0755, and
/// nothing about the build machine is recorded, so the same binary always gives the same bytes.
pub fn package_zip(binary: &Path, version: &str, os_arch: &str) -> Result<Vec<u8>> {
    let content = std::fs::read(binary)
        .with_context(|| format!("reading provider binary {}", binary.display()))?;
    package_bytes(&content, version, os_arch)
}

/// [`package_zip`] for a binary already in memory.
pub fn package_bytes(binary: &[u8], version: &str, os_arch: &str) -> Result<Vec<u8>> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o755);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .start_file(binary_entry_name(version, os_arch), options)
        .context("starting the zip entry")?;
    writer
        .write_all(binary)
        .context("compressing the provider binary")?;
    let cursor = writer.finish().context("finishing the zip archive")?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    const FAKE_BINARY: &[u8] = b"\x7fELF not really a provider, but bytes all the same";

    #[test]
    fn packaging_twice_gives_identical_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let binary = dir.path().join("terraform-provider-msgraph");
        std::fs::write(&binary, FAKE_BINARY).expect("write binary");
        let first = package_zip(&binary, "0.1.0", "linux_amd64").expect("first");
        let second = package_zip(&binary, "0.1.0", "linux_amd64").expect("second");
        assert_eq!(first, second);
    }

    #[test]
    fn zip_holds_one_flat_executable_with_fixed_metadata() {
        let bytes = package_bytes(FAKE_BINARY, "0.1.0", "linux_amd64").expect("zip");
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("archive");
        assert_eq!(archive.len(), 1);
        let mut entry = archive.by_index(0).expect("entry");
        assert_eq!(entry.name(), "terraform-provider-msgraph_v0.1.0");
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
        let modified = entry.last_modified().expect("timestamp");
        assert_eq!(
            (modified.year(), modified.month(), modified.day()),
            (1980, 1, 1)
        );
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("read");
        assert_eq!(content, FAKE_BINARY);
    }

    #[test]
    fn windows_entry_has_exe_suffix() {
        let bytes = package_bytes(FAKE_BINARY, "1.2.3", "windows_amd64").expect("zip");
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("archive");
        let entry = archive.by_index(0).expect("entry");
        assert_eq!(entry.name(), "terraform-provider-msgraph_v1.2.3.exe");
    }

    #[test]
    fn file_names_round_trip() {
        let name = zip_file_name("0.2.0", "darwin_arm64");
        assert_eq!(name, "terraform-provider-msgraph_0.2.0_darwin_arm64.zip");
        assert_eq!(
            parse_zip_file_name(&name),
            Some(("0.2.0".to_owned(), "darwin_arm64".to_owned()))
        );
        assert_eq!(
            parse_zip_file_name("terraform-provider-msgraph_0.2.0_SHA256SUMS"),
            None
        );
        assert_eq!(parse_zip_file_name("other_0.2.0_linux_amd64.zip"), None);
    }
}
