//! Terraform platform names (`linux_amd64`) from Rust target triples, and the host's triple.

use std::process::Command;

use anyhow::{bail, Context, Result};

/// A Terraform platform such as `linux_amd64`, as it appears in provider package names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: &'static str,
    pub arch: &'static str,
}

impl Platform {
    /// `OS_ARCH`, e.g. `darwin_arm64`.
    pub fn os_arch(&self) -> String {
        format!("{}_{}", self.os, self.arch)
    }

    /// The file suffix executables carry on this platform.
    pub fn exe_suffix(&self) -> &'static str {
        exe_suffix(&self.os_arch())
    }
}

/// `.exe` for Windows platforms (given as `OS_ARCH`), empty otherwise.
pub fn exe_suffix(os_arch: &str) -> &'static str {
    if os_arch.starts_with("windows_") {
        ".exe"
    } else {
        ""
    }
}

/// Maps a Rust target triple to Terraform's OS and architecture names.
pub fn platform_for_target(triple: &str) -> Result<Platform> {
    let arch_part = triple.split('-').next().unwrap_or_default();
    let arch = match arch_part {
        "x86_64" => "amd64",
        "aarch64" | "arm64" => "arm64",
        "i686" | "i586" | "i386" => "386",
        a if a.starts_with("armv7") || a == "arm" => "arm",
        other => bail!("unsupported target architecture {other:?} in {triple:?}"),
    };
    let os = if triple.contains("-linux") {
        "linux"
    } else if triple.contains("-apple-darwin") {
        "darwin"
    } else if triple.contains("-windows") {
        "windows"
    } else if triple.contains("-freebsd") {
        "freebsd"
    } else {
        bail!("unsupported target operating system in {triple:?}")
    };
    Ok(Platform { os, arch })
}

/// The platform this process runs on, as `OS_ARCH` (e.g. `linux_amd64`).
pub fn host_os_arch() -> Result<String> {
    let os = match std::env::consts::OS {
        "linux" => "linux",
        "macos" => "darwin",
        "windows" => "windows",
        "freebsd" => "freebsd",
        other => bail!("unsupported host operating system {other:?}"),
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "arm",
        other => bail!("unsupported host architecture {other:?}"),
    };
    Ok(format!("{os}_{arch}"))
}

/// The host's target triple, from `rustc -vV`.
pub fn host_target() -> Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(&rustc)
        .arg("-vV")
        .output()
        .with_context(|| format!("running {rustc} -vV"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|host| host.trim().to_owned())
        .context("rustc -vV printed no `host:` line")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os_arch(triple: &str) -> String {
        platform_for_target(triple).expect(triple).os_arch()
    }

    #[test]
    fn maps_release_targets() {
        assert_eq!(os_arch("x86_64-unknown-linux-gnu"), "linux_amd64");
        assert_eq!(os_arch("x86_64-unknown-linux-musl"), "linux_amd64");
        assert_eq!(os_arch("aarch64-unknown-linux-gnu"), "linux_arm64");
        assert_eq!(os_arch("x86_64-apple-darwin"), "darwin_amd64");
        assert_eq!(os_arch("aarch64-apple-darwin"), "darwin_arm64");
        assert_eq!(os_arch("x86_64-pc-windows-msvc"), "windows_amd64");
        assert_eq!(os_arch("aarch64-pc-windows-msvc"), "windows_arm64");
    }

    #[test]
    fn windows_binaries_end_in_exe() {
        let windows = platform_for_target("x86_64-pc-windows-msvc").expect("windows");
        assert_eq!(windows.exe_suffix(), ".exe");
        let linux = platform_for_target("x86_64-unknown-linux-gnu").expect("linux");
        assert_eq!(linux.exe_suffix(), "");
    }

    #[test]
    fn host_platform_agrees_with_rustc() {
        let from_rustc = platform_for_target(&host_target().expect("rustc host"))
            .expect("host platform")
            .os_arch();
        assert_eq!(host_os_arch().expect("host"), from_rustc);
    }

    #[test]
    fn rejects_unknown_targets() {
        assert!(platform_for_target("wasm32-unknown-unknown").is_err());
        assert!(platform_for_target("riscv64gc-unknown-linux-gnu").is_err());
    }
}
