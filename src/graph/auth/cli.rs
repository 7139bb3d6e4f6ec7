//! Azure CLI: `az account get-access-token --scope {graph}/.default [--tenant T] -o json`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use super::cache::AccessToken;
use super::token_endpoint::number_or_string;
use crate::graph::config::Secret;

/// Lifetime assumed when az gives only `expiresOn` (a local time without zone).
const LOCAL_TIME_LIFETIME: Duration = Duration::from_secs(300);

/// Why az gave no token: a message for the user (never the token: az's stdout is not echoed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AzCliError {
    pub message: String,
}

impl From<String> for AzCliError {
    fn from(message: String) -> Self {
        AzCliError { message }
    }
}

impl std::fmt::Display for AzCliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The Azure CLI credential.
#[derive(Debug, Clone)]
pub(crate) struct AzureCli {
    pub command: PathBuf,
    pub tenant_id: Option<String>,
}

impl AzureCli {
    /// A token from az, or why az could not give one (a message for the user; no token in it).
    pub async fn token(
        &self,
        scope: &str,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<AccessToken, AzCliError> {
        let mut command = tokio::process::Command::new(&self.command);
        command
            .args([
                "account",
                "get-access-token",
                "--scope",
                scope,
                "-o",
                "json",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(tenant) = &self.tenant_id {
            command.args(["--tenant", tenant]);
        }
        log::debug!(
            "running {} account get-access-token --scope {scope}{}",
            self.command.display(),
            self.tenant_id
                .as_deref()
                .map(|t| format!(" --tenant {t}"))
                .unwrap_or_default()
        );
        let child = spawn(&mut command)
            .await
            .map_err(|e| AzCliError::from(spawn_error(&self.command, &e)))?;
        let until = deadline.min(Instant::now() + timeout);
        let output = match tokio::time::timeout_at(until, child.wait_with_output()).await {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => return Err(format!("could not run az: {e}").into()),
            Err(_) => {
                return Err(format!(
                    "`az account get-access-token` did not finish within {} s",
                    timeout.as_secs()
                )
                .into())
            }
        };
        if !output.status.success() {
            return Err(format!(
                "`az account get-access-token` failed: {} (run `az login`{}, or configure \
                 another credential)",
                stderr_message(&output.stderr),
                self.tenant_id
                    .as_deref()
                    .map(|t| format!(" --tenant {t}"))
                    .unwrap_or_default()
            )
            .into());
        }
        parse_output(&output.stdout)
    }
}

/// Spawns, retrying briefly on ETXTBSY (the executable was just written, and a concurrent fork
/// still holds it open).
async fn spawn(command: &mut tokio::process::Command) -> std::io::Result<tokio::process::Child> {
    const ETXTBSY: i32 = 26;
    let mut tries = 0;
    loop {
        match command.spawn() {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) && tries < 5 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => return other,
        }
    }
}

fn spawn_error(command: &Path, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        format!(
            "the Azure CLI ({}) was not found: install Azure CLI and run `az login`, or \
             configure another credential",
            command.display()
        )
    } else {
        format!("could not run the Azure CLI ({}): {e}", command.display())
    }
}

/// The line of az's stderr that says what is wrong ("ERROR: Please run 'az login' ...").
fn stderr_message(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let line = lines
        .iter()
        .find(|l| l.starts_with("ERROR"))
        .or_else(|| lines.first())
        .copied()
        .unwrap_or("no error message");
    let line: String = line.chars().take(300).collect();
    line
}

/// `{"accessToken": "...", "expires_on": 1700000000, "expiresOn": "2023-11-14 22:13:20.000000"}`.
fn parse_output(stdout: &[u8]) -> Result<AccessToken, AzCliError> {
    // Never echo stdout: it holds the token.
    let json: serde_json::Value = serde_json::from_slice(stdout).map_err(|_| {
        AzCliError::from(
            "`az account get-access-token` printed something that is not JSON".to_string(),
        )
    })?;
    let token = json
        .get("accessToken")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AzCliError::from("`az account get-access-token` printed no accessToken".to_string())
        })?;
    let lifetime = match json.get("expires_on").and_then(number_or_string) {
        Some(at) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_secs();
            Duration::from_secs(at.saturating_sub(now))
        }
        // Older az: expiresOn is local time with no zone; assume a short lifetime instead of
        // guessing the zone.
        None => LOCAL_TIME_LIFETIME,
    };
    Ok(AccessToken::new(Secret::new(token), lifetime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_with_expires_on_and_expires_on_local() {
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3000;
        let out = format!(
            r#"{{"accessToken":"tok","expires_on":{at},"expiresOn":"2099-01-01 00:00:00.000000","tokenType":"Bearer"}}"#
        );
        let token = parse_output(out.as_bytes()).unwrap();
        assert_eq!(token.token.expose(), "tok");
        assert!(token.expires_at > Instant::now() + Duration::from_secs(2990));

        let old = r#"{"accessToken":"tok2","expiresOn":"2099-01-01 00:00:00.000000"}"#;
        let token = parse_output(old.as_bytes()).unwrap();
        assert!(token.expires_at <= Instant::now() + LOCAL_TIME_LIFETIME);

        let err = parse_output(b"accessToken: hunter2-token-text").unwrap_err();
        assert!(!err.message.contains("hunter2"), "{err}");
        assert!(parse_output(b"{}")
            .unwrap_err()
            .message
            .contains("accessToken"));
    }

    #[test]
    fn stderr_error_line_is_picked() {
        let stderr = b"WARNING: something\nERROR: Please run 'az login' to setup account.\n";
        assert_eq!(
            stderr_message(stderr),
            "ERROR: Please run 'az login' to setup account."
        );
        assert_eq!(stderr_message(b"\n boom \n"), "boom");
        assert_eq!(stderr_message(b""), "no error message");
    }
}
