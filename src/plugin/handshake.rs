//! The go-plugin handshake: the environment Terraform starts us with and the one line we print
//! on stdout.

use std::io::Write;

use base64::Engine;

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
    /// `--tcp` without TLS: anyone on the machine could connect, so it takes an explicit flag.
    PlaintextTcp,
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
            LaunchError::PlaintextTcp => write!(
                f,
                "Refusing to serve plaintext gRPC on a TCP port (PLUGIN_CLIENT_CERT is absent or \
                 TF_DISABLE_PLUGIN_TLS is set): any local user could call the provider with its \
                 credentials. Enable TLS, drop --tcp, or pass --allow-plaintext-tcp to accept the risk."
            ),
        }
    }
}

impl std::error::Error for LaunchError {}

/// What Terraform asked for when it started us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Launch {
    /// Terraform's client certificate (PEM); `None` means plaintext.
    pub client_cert_pem: Option<String>,
    /// TF_DISABLE_PLUGIN_TLS holds a true value (`1`, `true` ...; `0` and `false` do not count).
    pub tls_disabled: bool,
}

impl Launch {
    /// Why the channel is plaintext, or `None` under mutual TLS.
    pub(crate) fn plaintext_reason(&self) -> Option<&'static str> {
        match (&self.client_cert_pem, self.tls_disabled) {
            (Some(_), _) => None,
            (None, true) => Some("TF_DISABLE_PLUGIN_TLS is set"),
            (None, false) => Some("PLUGIN_CLIENT_CERT is absent"),
        }
    }
}

/// Go's `strconv.ParseBool` true values, as Terraform's own boolean environment variables use.
fn env_true(value: &str) -> bool {
    matches!(value.trim(), "1" | "t" | "T" | "true" | "TRUE" | "True")
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
    let tls_disabled = env("TF_DISABLE_PLUGIN_TLS").is_some_and(|v| env_true(&v));
    let client_cert_pem = if tls_disabled {
        None
    } else {
        env("PLUGIN_CLIENT_CERT").filter(|c| !c.trim().is_empty())
    };
    Ok(Launch {
        client_cert_pem,
        tls_disabled,
    })
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
                client_cert_pem: Some("PEM".into()),
                tls_disabled: false,
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
                client_cert_pem: None,
                tls_disabled: true,
            })
        );
        assert_eq!(
            plain.unwrap().plaintext_reason(),
            Some("TF_DISABLE_PLUGIN_TLS is set")
        );
    }

    #[test]
    fn tls_disabled_only_by_a_true_value() {
        for (value, disabled) in [
            ("1", true),
            ("true", true),
            ("0", false),
            ("false", false),
            ("", false),
        ] {
            let launch = launch_from(env(&[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("TF_DISABLE_PLUGIN_TLS", value),
                ("PLUGIN_CLIENT_CERT", "PEM"),
            ]))
            .unwrap();
            assert_eq!(
                launch.client_cert_pem.is_none(),
                disabled,
                "TF_DISABLE_PLUGIN_TLS={value:?}"
            );
        }
        let no_cert = launch_from(env(&[(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)])).unwrap();
        assert_eq!(
            no_cert.plaintext_reason(),
            Some("PLUGIN_CLIENT_CERT is absent")
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
}
