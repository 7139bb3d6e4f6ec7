//! The go-plugin handshake: the environment Terraform starts us with, the listener, and the one
//! line we print on stdout.

use std::io::Write;
use std::path::PathBuf;

use base64::Engine;
use tokio::net::{TcpListener, UnixListener};

/// go-plugin's magic cookie for Terraform providers.
const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The only plugin protocol we speak.
pub(crate) const PROTOCOL_VERSION: u32 = 6;
/// go-plugin's core protocol version (the first field of the handshake line).
const CORE_PROTOCOL_VERSION: u32 = 1;

/// Why the process cannot serve Terraform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchError {
    /// No (or a wrong) magic cookie: a human ran the binary.
    RunByHand,
    /// Terraform offered only protocol versions we do not speak.
    ProtocolMismatch { offered: String },
}

impl std::fmt::Display for LaunchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaunchError::RunByHand => write!(
                f,
                "This binary is a Terraform provider plugin: Terraform starts it by itself, so run \
                 `terraform init` and `terraform plan` in your configuration instead of running it directly."
            ),
            LaunchError::ProtocolMismatch { offered } => write!(
                f,
                "Terraform offered plugin protocol version(s) {offered:?}, but this provider speaks only \
                 protocol {PROTOCOL_VERSION} (Terraform 1.0 or newer): upgrade Terraform."
            ),
        }
    }
}

impl std::error::Error for LaunchError {}

/// What Terraform asked for when it started us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Launch {
    /// Terraform's client certificate (PEM); `None` when TF_DISABLE_PLUGIN_TLS asks for plaintext.
    pub client_cert_pem: Option<String>,
}

/// Reads the launch environment through `env` (a lookup, so tests need not touch the process env).
pub(crate) fn launch_from(env: impl Fn(&str) -> Option<String>) -> Result<Launch, LaunchError> {
    if env(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(LaunchError::RunByHand);
    }
    // go-plugin: no list offered means the application's default version.
    if let Some(offered) = env("PLUGIN_PROTOCOL_VERSIONS").filter(|v| !v.trim().is_empty()) {
        let speaks = offered
            .split(',')
            .any(|v| v.trim().parse::<u32>() == Ok(PROTOCOL_VERSION));
        if !speaks {
            return Err(LaunchError::ProtocolMismatch { offered });
        }
    }
    let tls_disabled = env("TF_DISABLE_PLUGIN_TLS").is_some_and(|v| !v.is_empty());
    let client_cert_pem = if tls_disabled {
        None
    } else {
        env("PLUGIN_CLIENT_CERT").filter(|c| !c.trim().is_empty())
    };
    Ok(Launch { client_cert_pem })
}

/// A bound listener. A unix socket lives in a fresh private directory removed on exit.
pub(crate) enum Listener {
    Unix {
        listener: UnixListener,
        dir: PathBuf,
        path: PathBuf,
    },
    Tcp {
        listener: TcpListener,
        addr: std::net::SocketAddr,
    },
}

impl Listener {
    /// `("unix", path)` or `("tcp", "127.0.0.1:PORT")`.
    pub(crate) fn network_and_address(&self) -> (&'static str, String) {
        match self {
            Listener::Unix { path, .. } => ("unix", path.display().to_string()),
            Listener::Tcp { addr, .. } => ("tcp", addr.to_string()),
        }
    }
    /// The socket directory to remove when the process exits.
    pub(crate) fn cleanup_dir(&self) -> Option<PathBuf> {
        match self {
            Listener::Unix { dir, .. } => Some(dir.clone()),
            Listener::Tcp { .. } => None,
        }
    }
}

/// Binds a unix socket in a fresh 0700 directory (under PLUGIN_UNIX_SOCKET_DIR or the temp dir).
pub(crate) fn bind_unix() -> std::io::Result<Listener> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("plugin{}", uuid::Uuid::new_v4().simple()));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    let path = dir.join("plugin.sock");
    match UnixListener::bind(&path) {
        Ok(listener) => Ok(Listener::Unix {
            listener,
            dir,
            path,
        }),
        Err(err) => {
            let _ = std::fs::remove_dir_all(&dir);
            Err(err)
        }
    }
}

/// Binds 127.0.0.1 on the first free port in PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT (any port when
/// they are unset).
pub(crate) async fn bind_tcp(env: impl Fn(&str) -> Option<String>) -> std::io::Result<Listener> {
    let port = |k: &str| env(k).and_then(|v| v.trim().parse::<u16>().ok());
    let ports: Vec<u16> = match (port("PLUGIN_MIN_PORT"), port("PLUGIN_MAX_PORT")) {
        (Some(min), Some(max)) if min <= max => (min..=max).collect(),
        _ => vec![0],
    };
    let mut last_err = None;
    for p in ports {
        match TcpListener::bind(("127.0.0.1", p)).await {
            Ok(listener) => {
                let addr = listener.local_addr()?;
                return Ok(Listener::Tcp { listener, addr });
            }
            Err(err) => last_err = Some(err),
        }
    }
    Err(last_err.unwrap_or_else(|| std::io::Error::other("no port to bind")))
}

/// `1|6|NETWORK|ADDRESS|grpc|CERT` with CERT = unpadded standard base64 of the DER cert.
pub(crate) fn handshake_line(
    network: &str,
    address: &str,
    server_cert_der: Option<&[u8]>,
) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|{network}|{address}|grpc|{cert}\n")
}

/// Prints the handshake line: the only thing this process ever writes on stdout.
pub(crate) fn print_line(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())?;
    out.flush()
}

/// The TF_REATTACH_PROVIDERS value for debug mode.
pub(crate) fn reattach_json(provider_address: &str, network: &str, address: &str) -> String {
    serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": network, "String": address },
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn cookie_and_versions() {
        assert_eq!(launch_from(env(&[])), Err(LaunchError::RunByHand));
        assert_eq!(
            launch_from(env(&[(MAGIC_COOKIE_KEY, "nope")])),
            Err(LaunchError::RunByHand)
        );
        let ok = launch_from(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "5, 6"),
            ("PLUGIN_CLIENT_CERT", "PEM"),
        ]));
        assert_eq!(
            ok,
            Ok(Launch {
                client_cert_pem: Some("PEM".into())
            })
        );
        assert_eq!(
            launch_from(env(&[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("PLUGIN_PROTOCOL_VERSIONS", "4,5")
            ])),
            Err(LaunchError::ProtocolMismatch {
                offered: "4,5".into()
            })
        );
        let plain = launch_from(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("TF_DISABLE_PLUGIN_TLS", "1"),
            ("PLUGIN_CLIENT_CERT", "PEM"),
        ]));
        assert_eq!(
            plain,
            Ok(Launch {
                client_cert_pem: None
            })
        );
    }

    #[test]
    fn line_format() {
        assert_eq!(
            handshake_line("tcp", "127.0.0.1:1234", Some(&[0xff, 0x00])),
            "1|6|tcp|127.0.0.1:1234|grpc|/wA\n"
        );
        assert_eq!(
            handshake_line("unix", "/tmp/x.sock", None),
            "1|6|unix|/tmp/x.sock|grpc|\n"
        );
    }

    #[tokio::test]
    async fn tcp_honours_port_range() {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let l = bind_tcp(env(&[
            ("PLUGIN_MIN_PORT", &port.to_string()),
            ("PLUGIN_MAX_PORT", &port.to_string()),
        ]))
        .await
        .unwrap();
        assert_eq!(
            l.network_and_address(),
            ("tcp", format!("127.0.0.1:{port}"))
        );
    }

    #[tokio::test]
    async fn unix_socket_lives_in_a_directory_only_we_can_enter() {
        use std::os::unix::fs::PermissionsExt;
        let listener = bind_unix().unwrap();
        let dir = listener.cleanup_dir().unwrap();
        let (network, address) = listener.network_and_address();
        assert_eq!(network, "unix");
        assert!(
            std::path::Path::new(&address).starts_with(&dir),
            "{address}"
        );
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "socket directory mode {mode:o}");
        drop(listener);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
