//! `cargo xtask demo`: builds provider and simulator, starts the simulator, and walks
//! examples/demo through init, plan, apply, an empty plan, an update and destroy.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::package::binary_entry_name;
use crate::platform::host_os_arch;
use crate::workspace::{Workspace, PROVIDER_PACKAGE};

/// The simulator's package and binary name.
const SIM_BINARY: &str = "msgraph-sim";

/// The partner tenant the demo configures (made up; the simulator pre-creates it).
pub const DEMO_PARTNER_TENANT_ID: &str = "3f1c2b7a-9d4e-4c1a-8b2f-6e5d4c3b2a10";

/// Where Terraform must find the provider: the address examples/demo requires.
const PROVIDER_HOST: &str = "registry.example.com";
const PROVIDER_NAMESPACE: &str = "platform";

/// How long the simulator may take to print its listening line.
const SIM_START_TIMEOUT: Duration = Duration::from_secs(30);

/// The simulator's default app, as it prints it on stderr.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimCredentials {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
}

pub fn demo(workspace: &Workspace) -> Result<()> {
    workspace.cargo_build(&[
        "--package",
        PROVIDER_PACKAGE,
        "--bin",
        PROVIDER_PACKAGE,
        "--package",
        SIM_BINARY,
        "--bin",
        SIM_BINARY,
    ])?;
    let provider = workspace.binary_path(PROVIDER_PACKAGE, "debug", None);
    let sim_binary = workspace.binary_path(SIM_BINARY, "debug", None);
    let terraform = terraform_binary();

    let work = tempfile::Builder::new()
        .prefix("msgraph-demo-")
        .tempdir()
        .context("creating a temporary directory")?;
    let config_dir = work.path().join("demo");
    copy_tf_files(&workspace.root.join("examples/demo"), &config_dir)?;
    let mirror = work.path().join("providers");
    install_unpacked(&provider, &mirror, &workspace.version)?;
    let cli_config = work.path().join("terraform.tfrc");
    std::fs::write(&cli_config, cli_config_text(&mirror))
        .context("writing the Terraform CLI configuration")?;

    let sim = SimProcess::start(&sim_binary, DEMO_PARTNER_TENANT_ID)?;
    println!("==> simulator listening on {}", sim.url);

    let run = |title: &str, args: &[&str]| -> Result<ExitStatus> {
        println!("\n==> terraform {title}");
        let mut command = Command::new(&terraform);
        command
            .args(args)
            .current_dir(&config_dir)
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_VAR_sim_url", &sim.url)
            .env("TF_VAR_tenant_id", &sim.credentials.tenant_id)
            .env("TF_VAR_client_id", &sim.credentials.client_id)
            .env("TF_VAR_client_secret", &sim.credentials.client_secret)
            .env("TF_VAR_partner_tenant_id", DEMO_PARTNER_TENANT_ID);
        // Credentials from the caller's environment would win over the simulator's app.
        for (key, _) in std::env::vars_os() {
            if is_credential_variable(&key.to_string_lossy()) {
                command.env_remove(key);
            }
        }
        command
            .status()
            .with_context(|| format!("running {} (is Terraform installed?)", terraform.display()))
    };
    let expect_success = |title: &str, args: &[&str]| -> Result<()> {
        let status = run(title, args)?;
        if !status.success() {
            bail!("terraform {title} failed ({status})");
        }
        Ok(())
    };

    expect_success("init", &["init", "-input=false"])?;
    expect_success("plan", &["plan", "-input=false"])?;
    expect_success("apply", &["apply", "-input=false", "-auto-approve"])?;
    let status = run(
        "plan (expecting no changes)",
        &["plan", "-input=false", "-detailed-exitcode"],
    )?;
    match status.code() {
        Some(0) => println!("==> no changes after apply, as expected"),
        Some(2) => bail!("the plan after apply wants changes; the provider is not converging"),
        _ => bail!("terraform plan failed ({status})"),
    }
    expect_success(
        "apply (update: stop synchronizing users from the partner)",
        &[
            "apply",
            "-input=false",
            "-auto-approve",
            "-var",
            "is_sync_allowed=false",
        ],
    )?;
    expect_success(
        "destroy",
        &[
            "destroy",
            "-input=false",
            "-auto-approve",
            "-var",
            "is_sync_allowed=false",
        ],
    )?;
    drop(sim);
    println!("\n==> demo finished; simulator stopped");
    Ok(())
}

/// `TF_ACC_TERRAFORM_PATH` when set (as the tests use it), else `terraform` from PATH.
fn terraform_binary() -> PathBuf {
    std::env::var_os("TF_ACC_TERRAFORM_PATH")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("terraform"), PathBuf::from)
}

/// Environment variables the provider reads credentials from.
fn is_credential_variable(key: &str) -> bool {
    [
        "ARM_",
        "AZURE_",
        "ACTIONS_ID_TOKEN_REQUEST_",
        "IDENTITY_",
        "MSI_",
        "SYSTEM_OIDC",
    ]
    .iter()
    .any(|prefix| key.starts_with(prefix))
}

/// Lays the provider out as an unpacked filesystem mirror, so that `terraform init` works
/// offline (dev_overrides would make init query registry.terraform.io and fail).
fn install_unpacked(provider: &Path, mirror: &Path, version: &str) -> Result<()> {
    let os_arch = host_os_arch()?;
    let dir = mirror
        .join(PROVIDER_HOST)
        .join(PROVIDER_NAMESPACE)
        .join("msgraph")
        .join(version)
        .join(&os_arch);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let target = dir.join(binary_entry_name(version, &os_arch));
    std::fs::copy(provider, &target)
        .with_context(|| format!("copying {} into the mirror", provider.display()))?;
    Ok(())
}

fn cli_config_text(mirror: &Path) -> String {
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = {}\n    include = [\"{PROVIDER_HOST}/{PROVIDER_NAMESPACE}/msgraph\"]\n  }}\n}}\n",
        hcl_string(&mirror.to_string_lossy())
    )
}

/// A quoted HCL string literal.
fn hcl_string(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("$$"),
            '%' => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn copy_tf_files(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut copied = 0;
    for entry in std::fs::read_dir(from).with_context(|| format!("listing {}", from.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "tf" || e == "tfvars") {
            let name = path.file_name().context("file without a name")?;
            std::fs::copy(&path, to.join(name))
                .with_context(|| format!("copying {}", path.display()))?;
            copied += 1;
        }
    }
    if copied == 0 {
        bail!("no .tf files in {}", from.display());
    }
    Ok(())
}

/// The running simulator; killed when dropped, so it stops on every exit path.
struct SimProcess {
    child: Child,
    url: String,
    credentials: SimCredentials,
}

impl SimProcess {
    fn start(binary: &Path, partner: &str) -> Result<SimProcess> {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--partner", partner])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let (lines_tx, lines) = mpsc::channel::<(bool, String)>();
        if let Some(stdout) = child.stdout.take() {
            let tx = lines_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let _ = tx.send((true, line));
                }
            });
        }
        if let Some(stderr) = child.stderr.take() {
            let tx = lines_tx;
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let _ = tx.send((false, line));
                }
            });
        }
        // Kill the child if we give up below.
        let mut sim = SimProcess {
            child,
            url: String::new(),
            credentials: SimCredentials::default(),
        };
        let deadline = Instant::now() + SIM_START_TIMEOUT;
        let mut stderr_lines = Vec::new();
        loop {
            if !sim.url.is_empty() {
                if let Some(credentials) = parse_sim_credentials(&stderr_lines) {
                    sim.credentials = credentials;
                    return Ok(sim);
                }
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(remaining) {
                Ok((true, line)) => {
                    if let Some(url) = parse_listening_line(&line) {
                        sim.url = url;
                    }
                }
                Ok((false, line)) => stderr_lines.push(line),
                Err(_) => bail!(
                    "the simulator did not report its address and default credentials within {}s; its stderr:\n{}",
                    SIM_START_TIMEOUT.as_secs(),
                    stderr_lines.join("\n")
                ),
            }
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

enum CredentialField {
    Tenant,
    Client,
    Secret,
}

fn credential_field(key: &str) -> Option<CredentialField> {
    let key: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    match key.as_str() {
        "tenant" | "tenantid" | "armtenantid" => Some(CredentialField::Tenant),
        "client" | "clientid" | "appid" | "armclientid" => Some(CredentialField::Client),
        "secret" | "clientsecret" | "armclientsecret" => Some(CredentialField::Secret),
        _ => None,
    }
}

/// `msgraph-sim listening on http://127.0.0.1:PORT` -> the URL.
pub fn parse_listening_line(line: &str) -> Option<String> {
    let url = line.trim().strip_prefix("msgraph-sim listening on ")?;
    url.starts_with("http://")
        .then(|| url.trim_end_matches('/').to_owned())
}

/// Finds the default app's tenant, client ID and secret in the simulator's stderr, written as
/// `key = value`, `key=value` or `key: value` (keys like `tenant_id`, `client_id`, `client_secret`).
pub fn parse_sim_credentials(lines: &[String]) -> Option<SimCredentials> {
    let mut credentials = SimCredentials::default();
    for line in lines {
        let tokens: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|t| !t.is_empty())
            .collect();
        let mut index = 0;
        while index < tokens.len() {
            let token = tokens[index];
            let next = tokens.get(index + 1).copied();
            let (key, value, used) = match token.split_once(['=', ':']) {
                // `key=value`
                Some((key, value)) if !key.is_empty() && !value.is_empty() => (key, value, 1),
                // `key= value` / `key: value`
                Some((key, "")) if !key.is_empty() => (key, next.unwrap_or_default(), 2),
                // `key = value` / `key : value`
                None if matches!(next, Some("=" | ":")) => {
                    (token, tokens.get(index + 2).copied().unwrap_or_default(), 3)
                }
                _ => (token, "", 1),
            };
            let field = credential_field(key);
            // A label like `app:` is not a key: only known keys consume the following token.
            index += if field.is_some() { used } else { 1 };
            let value = value.trim_matches(|c| c == '"' || c == '\'').to_owned();
            if value.is_empty() {
                continue;
            }
            match field {
                Some(CredentialField::Tenant) => credentials.tenant_id = value,
                Some(CredentialField::Client) => credentials.client_id = value,
                Some(CredentialField::Secret) => credentials.client_secret = value,
                None => {}
            }
        }
    }
    let complete = !credentials.tenant_id.is_empty()
        && !credentials.client_id.is_empty()
        && !credentials.client_secret.is_empty();
    complete.then_some(credentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_listening_line() {
        assert_eq!(
            parse_listening_line("msgraph-sim listening on http://127.0.0.1:41234").as_deref(),
            Some("http://127.0.0.1:41234")
        );
        assert_eq!(parse_listening_line("something else"), None);
    }

    #[test]
    fn reads_credentials_in_either_style() {
        let equals = vec!["default app: tenant_id=t-1 client_id=c-2 client_secret=s-3".to_owned()];
        let colons = vec![
            "tenant_id: t-1".to_owned(),
            "client_id: c-2".to_owned(),
            "client_secret: s-3".to_owned(),
        ];
        let expected = SimCredentials {
            tenant_id: "t-1".to_owned(),
            client_id: "c-2".to_owned(),
            client_secret: "s-3".to_owned(),
        };
        // What msgraph-sim prints today.
        let aligned = vec![
            "tenant_id     = t-1".to_owned(),
            "client_id     = c-2".to_owned(),
            "client_secret = s-3".to_owned(),
        ];
        assert_eq!(parse_sim_credentials(&aligned), Some(expected.clone()));
        assert_eq!(parse_sim_credentials(&equals), Some(expected.clone()));
        assert_eq!(parse_sim_credentials(&colons), Some(expected));
        assert_eq!(parse_sim_credentials(&["tenant_id=t".to_owned()]), None);
    }

    #[test]
    fn cli_config_points_a_filesystem_mirror_at_the_provider() {
        let text = cli_config_text(Path::new("/tmp/x y/providers"));
        assert!(text.contains("path    = \"/tmp/x y/providers\""));
        assert!(text.contains("include = [\"registry.example.com/platform/msgraph\"]"));
    }

    #[test]
    fn drops_credential_variables_only() {
        assert!(is_credential_variable("ARM_CLIENT_SECRET"));
        assert!(is_credential_variable("AZURE_FEDERATED_TOKEN_FILE"));
        assert!(is_credential_variable("ACTIONS_ID_TOKEN_REQUEST_URL"));
        assert!(!is_credential_variable("PATH"));
        assert!(!is_credential_variable("TF_LOG"));
    }
}
