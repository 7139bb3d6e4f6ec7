//! GnuPG for releases: detached signatures of SHA256SUMS and the signing key's public half and ID,
//! as Terraform's registry protocol (`signing_keys`) and HCP Terraform's private registry want them.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// A signing key's public half, as a registry publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The primary key's long ID: 16 upper-case hex digits.
    pub key_id: String,
    /// `gpg --armor --export` output.
    pub ascii_armor: String,
}

/// `gpg` with `GNUPGHOME` set when `gnupg_home` is given (tests use a throwaway keyring).
fn gpg(gnupg_home: Option<&Path>) -> Command {
    let mut command = Command::new("gpg");
    if let Some(home) = gnupg_home {
        command.env("GNUPGHOME", home);
    }
    command.arg("--batch");
    command
}

/// Runs gpg with `args`; returns its stdout, or fails with its stderr.
fn run_gpg<I, S>(gnupg_home: Option<&Path>, args: I, what: &str) -> Result<Vec<u8>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = gpg(gnupg_home)
        .args(args)
        .output()
        .context("running gpg (is GnuPG installed?)")?;
    if !output.status.success() {
        bail!(
            "gpg {what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout)
}

/// Signs `file` with the gpg key `key_id`: a binary detached signature at `file.sig`.
pub fn sign_detached(file: &Path, key_id: &str, gnupg_home: Option<&Path>) -> Result<PathBuf> {
    let mut signature = file.as_os_str().to_owned();
    signature.push(".sig");
    let signature = PathBuf::from(signature);
    let args: Vec<&OsStr> = vec![
        "--yes".as_ref(),
        "--local-user".as_ref(),
        key_id.as_ref(),
        "--output".as_ref(),
        signature.as_os_str(),
        "--detach-sign".as_ref(),
        file.as_os_str(),
    ];
    run_gpg(
        gnupg_home,
        args,
        &format!("--detach-sign with key {key_id:?}"),
    )?;
    Ok(signature)
}

/// The public half and long ID of `key` (an ID, fingerprint or user ID gpg can resolve).
pub fn export_public_key(key: &str, gnupg_home: Option<&Path>) -> Result<PublicKey> {
    let listing = run_gpg(
        gnupg_home,
        ["--with-colons", "--list-keys", key],
        &format!("--list-keys {key:?}"),
    )?;
    let listing = String::from_utf8_lossy(&listing);
    let key_id =
        primary_key_id(&listing).with_context(|| format!("gpg lists no public key for {key:?}"))?;
    let armor = run_gpg(
        gnupg_home,
        ["--armor", "--export", &key_id],
        &format!("--export {key_id}"),
    )?;
    let ascii_armor = String::from_utf8(armor).context("gpg --armor printed non-UTF-8")?;
    if !ascii_armor.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
        bail!("gpg --armor --export {key_id} printed no public key block");
    }
    Ok(PublicKey {
        key_id,
        ascii_armor,
    })
}

/// Generates an RSA signing key without a passphrase for `user_id` (RSA: Terraform 1.0's OpenPGP
/// library verifies RSA signatures). For throwaway keyrings in tests and trials.
pub fn generate_rsa_signing_key(user_id: &str, gnupg_home: Option<&Path>) -> Result<()> {
    run_gpg(
        gnupg_home,
        [
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            user_id,
            "rsa2048",
            "sign",
            "never",
        ],
        &format!("--quick-gen-key {user_id:?}"),
    )
    .map(drop)
}

/// A throwaway GnuPG home (mode 0700) holding fresh RSA signing keys for `names`; gpg-agent stopped
/// on drop. For tests and trials.
pub struct ScratchKeyring {
    home: tempfile::TempDir,
}

impl ScratchKeyring {
    pub fn new(names: &[&str]) -> Result<ScratchKeyring> {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().context("creating a GnuPG home")?;
        std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700))
            .context("chmod 0700 on the GnuPG home")?;
        let keyring = ScratchKeyring { home };
        for name in names {
            generate_rsa_signing_key(name, Some(keyring.path()))?;
        }
        Ok(keyring)
    }

    /// The GnuPG home, for `GNUPGHOME` or the `gnupg_home` arguments.
    pub fn path(&self) -> &Path {
        self.home.path()
    }
}

impl Drop for ScratchKeyring {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}

/// The long key ID on the first `pub` record of `gpg --with-colons` output.
fn primary_key_id(listing: &str) -> Option<String> {
    let mut pubs = listing.lines().filter(|line| line.starts_with("pub:"));
    let id = pubs.next()?.split(':').nth(4)?.to_ascii_uppercase();
    if pubs.next().is_some() {
        // Ambiguous: the name matched several keys; the caller must pick one.
        return None;
    }
    (id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit())).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_primary_key_id() {
        let listing = "tru::1:1700000000:0:3:1:5\npub:u:2048:1:0123456789ABCDEF:1700000000:::u:::scSC::::::23::0:\nfpr:::::::::AAAA0123456789ABCDEF:\nuid:u::::1700000000::HASH::release@example.test::::::::::0:\n";
        assert_eq!(primary_key_id(listing).as_deref(), Some("0123456789ABCDEF"));
        let two = format!("{listing}{listing}");
        assert_eq!(primary_key_id(&two), None, "several keys are ambiguous");
        assert_eq!(primary_key_id("uid:nothing"), None);
    }

    #[test]
    fn exports_the_public_key_and_signs() {
        let keyring = ScratchKeyring::new(&["release@example.test"]).expect("keyring");
        let key = export_public_key("release@example.test", Some(keyring.path())).expect("export");
        assert_eq!(key.key_id.len(), 16);
        assert!(key.ascii_armor.contains("END PGP PUBLIC KEY BLOCK"));

        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("SUMS");
        std::fs::write(&file, "abc  file\n").expect("write");
        let signature = sign_detached(&file, &key.key_id, Some(keyring.path())).expect("sign");
        assert_eq!(signature, dir.path().join("SUMS.sig"));
        let bytes = std::fs::read(&signature).expect("signature");
        assert!(
            !bytes.starts_with(b"-----BEGIN"),
            "signature must be binary, not armored"
        );
        run_gpg(
            Some(keyring.path()),
            [
                OsStr::new("--verify"),
                signature.as_os_str(),
                file.as_os_str(),
            ],
            "--verify",
        )
        .expect("the signature verifies");
    }
}
