//! Handshake latency: exec of a provider binary, with the environment Terraform gives it, to
//! its go-plugin handshake line on stdout; plus its resident memory at that moment.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::procfs;

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A self-signed ECDSA P-521 certificate like the one Terraform passes in PLUGIN_CLIENT_CERT
/// (CN=localhost, SAN DNS:localhost, CA:TRUE, ecdsa-with-SHA512). Generated once with
/// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-521 -sha512 ...`; the key was
/// thrown away: the provider only has to parse it, nobody connects.
pub const CLIENT_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIICHTCCAX6gAwIBAgIUIpbaNXHuZHzW/aASrpPCn2aX+z4wCgYIKoZIzj0EAwQw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyOTIyMjM1N1oYDzIxMjYxMTA1
MjIyMzU3WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwgZswEAYHKoZIzj0CAQYFK4EE
ACMDgYYABAHhNYLIIZgwI7B8JIjYckmr1s2ii3hrzrhc6t6+CnKuYDzG5ZFAoHam
ByW8Bh/hWF77jJgr56fBsrFeC47qjT0aKQBWVGb7ndUzCa87FBMElyS3nKs/Fw29
KDbqesxJbK/9qRWHthqxWtvFZSRRcU0FJj400i6UmynMjy9sGZas6CaEQaNpMGcw
HQYDVR0OBBYEFCnIrydQ3lecIBDOyFo42/mg5xEaMB8GA1UdIwQYMBaAFCnIrydQ
3lecIBDOyFo42/mg5xEaMA8GA1UdEwEB/wQFMAMBAf8wFAYDVR0RBA0wC4IJbG9j
YWxob3N0MAoGCCqGSM49BAMEA4GMADCBiAJCAX25WHWohYwnMeCkpvAOyhDKUTEI
Zl57EoQdiWqSSlbsefRKbFzB5jLotIcR9ApTNTOUxp6GKQM0qaOTM2FSh5fGAkIB
0l5GHaM1RK+/f3bZ93rk2XrxVyt76RuSUm8U5vshQdAQLovWRjIAOkFF+kt9istw
WPi+3JJYOB3tJLXDwiLBC8U=
-----END CERTIFICATE-----
";

/// How long a provider may take before we call it hung (Terraform waits a minute).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// One handshake measurement.
#[derive(Debug, Clone)]
pub struct Handshake {
    pub latency: Duration,
    pub rss_kib: u64,
    pub line: HandshakeLine,
}

/// The parsed `CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeLine {
    pub core_version: String,
    pub protocol_version: String,
    pub network: String,
    pub address: String,
    pub protocol: String,
    pub has_cert: bool,
}

pub fn parse_handshake_line(line: &str) -> Option<HandshakeLine> {
    let fields: Vec<&str> = line.trim_end_matches(['\r', '\n']).split('|').collect();
    let [core, app, network, address, protocol, cert] = fields.as_slice() else {
        return None;
    };
    if *core != "1" || !matches!(*app, "5" | "6") || !matches!(*network, "tcp" | "unix") {
        return None;
    }
    Some(HandshakeLine {
        core_version: (*core).to_owned(),
        protocol_version: (*app).to_owned(),
        network: (*network).to_owned(),
        address: (*address).to_owned(),
        protocol: (*protocol).to_owned(),
        has_cert: !cert.is_empty(),
    })
}

/// The environment Terraform sets for a provider (added to the inherited one, as Terraform does).
pub fn plugin_command(exe: &Path) -> Command {
    let mut command = Command::new(exe);
    for noise in [
        "TF_LOG",
        "TF_LOG_PROVIDER",
        "TF_DISABLE_PLUGIN_TLS",
        "TF_REATTACH_PROVIDERS",
    ] {
        command.env_remove(noise);
    }
    command
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", CLIENT_CERT_PEM);
    command
}

/// Starts `exe` as Terraform would, times the handshake line, reads VmRSS, then kills it.
pub fn measure(exe: &Path) -> Result<Handshake> {
    let mut command = plugin_command(exe);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let start = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let stdout = child.stdout.take().context("provider stdout")?;
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        let _ = sender.send((read, Instant::now()));
    });
    let received = receiver.recv_timeout(HANDSHAKE_TIMEOUT);
    let rss_kib = procfs::read_status(child.id())
        .and_then(|status| procfs::status_kib(&status, "VmRSS"))
        .unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    let (read, at) = received.map_err(|_| {
        anyhow::anyhow!(
            "{} printed no handshake line within {HANDSHAKE_TIMEOUT:?}",
            exe.display()
        )
    })?;
    let text = read.with_context(|| format!("reading {} stdout", exe.display()))?;
    let Some(line) = parse_handshake_line(&text) else {
        bail!("{} printed {text:?}, not a handshake line", exe.display());
    };
    if line.network == "unix" {
        remove_socket(Path::new(&line.address));
    }
    if rss_kib == 0 {
        bail!("{} exited before its memory could be read", exe.display());
    }
    Ok(Handshake {
        latency: at.duration_since(start),
        rss_kib,
        line,
    })
}

/// A killed provider leaves its unix socket behind (ours inside a `/tmp/plugin*` directory of
/// its own): remove both, the directory only if it is then empty.
fn remove_socket(socket: &Path) {
    let _ = std::fs::remove_file(socket);
    if let Some(dir) = socket.parent() {
        let own_dir = dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("plugin"));
        if own_dir {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tcp_and_unix_handshake_lines() {
        let tcp = parse_handshake_line("1|6|tcp|127.0.0.1:10001|grpc|MIIB\n").expect("tcp");
        assert_eq!(tcp.protocol_version, "6");
        assert_eq!(tcp.address, "127.0.0.1:10001");
        assert!(tcp.has_cert);
        let unix = parse_handshake_line("1|5|unix|/tmp/plugin1|grpc|").expect("unix");
        assert_eq!(unix.network, "unix");
        assert!(!unix.has_cert);
        assert_eq!(parse_handshake_line("This binary is a plugin."), None);
        assert_eq!(parse_handshake_line("2|6|tcp|x|grpc|"), None);
        assert_eq!(parse_handshake_line("1|6|tcp|x|grpc"), None);
    }

    #[test]
    fn measures_a_binary_that_prints_a_handshake_line() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-hs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let script = dir.join("fake-provider");
        // Checks the cookie and the client certificate like a provider, then answers.
        std::fs::write(
            &script,
            "#!/bin/sh\n[ \"$TF_PLUGIN_MAGIC_COOKIE\" = d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2 ] || exit 1\n\
             case \"$PLUGIN_CLIENT_CERT\" in *'BEGIN CERTIFICATE'*) ;; *) exit 1;; esac\n\
             echo '1|6|tcp|127.0.0.1:10000|grpc|MIIB'\nexec sleep 30\n",
        )
        .expect("script");
        std::process::Command::new("chmod")
            .args(["755"])
            .arg(&script)
            .status()
            .expect("chmod");
        let handshake = measure(&script).expect("handshake");
        assert_eq!(handshake.line.network, "tcp");
        assert!(handshake.rss_kib > 0);
        assert!(handshake.latency < HANDSHAKE_TIMEOUT);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_binary_without_a_handshake_line_is_an_error() {
        let err = measure(Path::new("/bin/true")).expect_err("no line");
        assert!(err.to_string().contains("handshake line"), "{err:#}");
    }
}
