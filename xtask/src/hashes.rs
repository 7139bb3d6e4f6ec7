//! Provider package hashes as Terraform records them: `h1:` (dirhash Hash1) and `zh:` (zip SHA-256).

use std::io::{Cursor, Read};

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// `zh:` hash: hex SHA-256 of the zip archive itself.
pub fn zh_hash(zip_bytes: &[u8]) -> String {
    format!("zh:{}", sha256_hex(zip_bytes))
}

/// `h1:` hash: Go's dirhash Hash1 over the files inside the zip archive.
///
/// For every file entry, sorted bytewise by name, a line `hex(sha256(content)) + "  " + name + "\n"`;
/// the hash is `"h1:" + base64(sha256(lines))`. Directory entries are not files and are skipped,
/// as Terraform does when it hashes an extracted package.
pub fn h1_hash(zip_bytes: &[u8]) -> Result<String> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(zip_bytes)).context("reading the zip archive")?;
    let mut files: Vec<(String, String)> = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .with_context(|| format!("reading zip entry {index}"))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_owned();
        if name.contains('\n') {
            bail!("zip entry name {name:?} contains a newline, which dirhash cannot represent");
        }
        let mut content = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        entry
            .read_to_end(&mut content)
            .with_context(|| format!("decompressing zip entry {name:?}"))?;
        files.push((name, sha256_hex(&content)));
    }
    Ok(h1_of_files(files))
}

/// Hash1 over `(name, hex sha256 of content)` pairs.
fn h1_of_files(mut files: Vec<(String, String)>) -> String {
    files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut summary = String::new();
    for (name, content_hash) in &files {
        summary.push_str(content_hash);
        summary.push_str("  ");
        summary.push_str(name);
        summary.push('\n');
    }
    let digest = Sha256::digest(summary.as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, content) in entries {
            writer.start_file(*name, options).expect("start entry");
            writer.write_all(content).expect("write entry");
        }
        writer.finish().expect("finish zip").into_inner()
    }

    #[test]
    fn h1_follows_the_dirhash_definition() {
        // Entries written out of order: Hash1 sorts names bytewise ("B" < "a").
        let zip = zip_with(&[("a.txt", b"hello\n"), ("B.txt", b"world")]);
        let lines = format!(
            "{}  B.txt\n{}  a.txt\n",
            sha256_hex(b"world"),
            sha256_hex(b"hello\n")
        );
        let expected = format!(
            "h1:{}",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(lines.as_bytes()))
        );
        assert_eq!(h1_hash(&zip).expect("h1"), expected);
    }

    #[test]
    fn h1_matches_a_known_value() {
        // Worked out independently with coreutils:
        //   printf '5891...be03  a\n' | sha256sum | xxd -r -p | base64
        // where 5891...be03 = sha256("hello\n").
        assert_eq!(
            sha256_hex(b"hello\n"),
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
        let zip = zip_with(&[("a", b"hello\n")]);
        assert_eq!(
            h1_hash(&zip).expect("h1"),
            "h1:5Fn9UlLDraC1wY/JAI5JBHb+Ice9ZdUmjUVTW+ldYmc="
        );
    }

    #[test]
    fn h1_ignores_directory_entries() {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        writer.add_directory("dir/", options).expect("dir");
        writer.start_file("a", options).expect("start");
        writer.write_all(b"hello\n").expect("write");
        let with_dir = writer.finish().expect("finish").into_inner();
        let without_dir = zip_with(&[("a", b"hello\n")]);
        assert_eq!(
            h1_hash(&with_dir).expect("h1"),
            h1_hash(&without_dir).expect("h1")
        );
    }

    #[test]
    fn zh_is_hex_sha256_of_the_archive() {
        let zip = zip_with(&[("a", b"x")]);
        let hash = zh_hash(&zip);
        assert_eq!(hash, format!("zh:{}", sha256_hex(&zip)));
        assert_eq!(hash.len(), 3 + 64);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(h1_hash(b"not a zip").is_err());
    }
}
