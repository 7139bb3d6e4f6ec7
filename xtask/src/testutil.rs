//! Test fixtures shared by several xtask modules' tests.

use std::path::Path;
use std::process::Command;

/// A throwaway keyring holding fresh RSA signing keys for `names`; gpg's agent for it is
/// stopped when dropped.
pub(crate) struct TestKeyring {
    pub home: tempfile::TempDir,
}

impl TestKeyring {
    pub(crate) fn new(names: &[&str]) -> TestKeyring {
        let home = tempfile::tempdir().expect("gnupg home");
        {
            use std::os::unix::fs::PermissionsExt;
            let private = std::fs::Permissions::from_mode(0o700);
            std::fs::set_permissions(home.path(), private).expect("chmod gnupg home");
        }
        for name in names {
            crate::gpg::generate_rsa_signing_key(name, Some(home.path())).expect("generate a key");
        }
        TestKeyring { home }
    }

    pub(crate) fn path(&self) -> &Path {
        self.home.path()
    }
}

impl Drop for TestKeyring {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}
