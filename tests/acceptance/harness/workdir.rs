//! A throw-away Terraform working directory with its own CLI config and a clean environment.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use super::terraform::Terraform;

/// Environment prefixes that must never leak from the developer's shell into a test run:
/// they would change which credentials the provider picks or how Terraform behaves.
const SCRUBBED_PREFIXES: &[&str] = &[
    "TF_",
    "ARM_",
    "AZURE_",
    "ACTIONS_",
    "SYSTEM_",
    "IDENTITY_",
    "MSI_",
    "IMDS_",
];

/// This process's environment (the entries that are UTF-8).
fn process_env() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
}

/// `env` without the [`SCRUBBED_PREFIXES`] variables.
fn scrub(env: impl Iterator<Item = (String, String)>) -> impl Iterator<Item = (String, String)> {
    env.filter(|(k, _)| !SCRUBBED_PREFIXES.iter().any(|p| k.starts_with(p)))
}

/// This process's environment without anything that could leak credentials or change how
/// Terraform behaves: what a Terraform command run outside a [`Workdir`] starts from.
pub fn scrubbed_env() -> impl Iterator<Item = (String, String)> {
    scrub(process_env())
}

/// What one Terraform command did.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub args: Vec<String>,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl RunOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// The exit code, or -1 when killed by a signal.
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// stdout and stderr together, for searching error text.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Display for RunOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "$ terraform {}  => {}", self.args.join(" "), self.status)?;
        writeln!(f, "--- stdout ---\n{}", truncate(&self.stdout))?;
        write!(f, "--- stderr ---\n{}", truncate(&self.stderr))
    }
}

/// Long trace logs would drown the failure: keep head and tail.
fn truncate(text: &str) -> String {
    const KEEP: usize = 12_000;
    if text.len() <= 2 * KEEP {
        return text.to_string();
    }
    let head_end = floor_char_boundary(text, KEEP);
    let tail_start = floor_char_boundary(text, text.len() - KEEP);
    format!(
        "{}\n[... {} bytes elided ...]\n{}",
        &text[..head_end],
        tail_start - head_end,
        &text[tail_start..]
    )
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A temp dir holding `work/` (the configuration, Terraform's cwd) and `cli.tfrc`.
pub struct Workdir {
    pub tf: &'static Terraform,
    root: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Workdir {
    /// A fresh dir whose CLI config points `registry.terraform.io/entra/msgraph` at the
    /// freshly built provider binary (dev_overrides: no `terraform init` needed).
    pub fn new(tf: &'static Terraform, label: &str) -> Workdir {
        let prefix = format!("tfacc-{}-{label}-", tf.version);
        let root = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
        std::fs::create_dir(root.path().join("work"))
            .unwrap_or_else(|e| panic!("cannot create the work dir: {e}"));
        let cli_config = root.path().join("cli.tfrc");
        std::fs::write(&cli_config, cli_config_text(&provider_dir()))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", cli_config.display()));
        let env = vec![
            (
                "TF_CLI_CONFIG_FILE".into(),
                cli_config.display().to_string(),
            ),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
            ("TF_IN_AUTOMATION".into(), "1".into()),
            ("TF_INPUT".into(), "0".into()),
            ("NO_PROXY".into(), no_proxy()),
            ("no_proxy".into(), no_proxy()),
        ];
        Workdir { tf, root, env }
    }

    /// Terraform's working directory.
    pub fn path(&self) -> PathBuf {
        self.root.path().join("work")
    }

    /// Sets an environment variable for every later command (e.g. TF_LOG, TF_VAR_x).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    pub fn remove_env(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    /// Replaces the configuration with a single `main.tf`.
    pub fn write_config(&self, hcl: &str) {
        self.write_file("main.tf", hcl);
    }

    pub fn write_file(&self, name: &str, contents: &str) {
        let path = self.path().join(name);
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    pub fn read_file(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.path().join(name)).ok()
    }

    /// The environment a command gets: `parent` minus anything that could leak credentials or
    /// change Terraform's behaviour, plus this dir's settings.
    pub fn child_env(
        &self,
        parent: impl Iterator<Item = (String, String)>,
    ) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = scrub(parent)
            .filter(|(k, _)| !self.env.iter().any(|(ours, _)| ours == k))
            .collect();
        env.extend(self.env.iter().cloned());
        env
    }

    /// Runs `terraform ARGS` with `-no-color` added after the subcommand.
    pub fn run(&self, args: &[&str]) -> RunOutput {
        let (mut cmd, full) = self.command(args);
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.tf.path.display()));
        RunOutput {
            args: full,
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Starts `terraform ARGS` without waiting (to interrupt it); output goes to files so a
    /// chatty command never blocks on a full pipe.
    pub fn spawn(&self, args: &[&str]) -> Running {
        let (mut cmd, full) = self.command(args);
        let stdout_path = self.root.path().join("spawned.stdout");
        let stderr_path = self.root.path().join("spawned.stderr");
        let file = |p: &Path| {
            std::fs::File::create(p)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", p.display()))
        };
        cmd.stdout(file(&stdout_path)).stderr(file(&stderr_path));
        // its own process group, like a terminal's foreground job: Ctrl-C reaches the whole
        // group (Terraform and its provider processes)
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.tf.path.display()));
        Running {
            child,
            args: full,
            stdout_path,
            stderr_path,
        }
    }

    /// The command for `terraform ARGS` (with `-no-color`) in this dir's environment.
    fn command(&self, args: &[&str]) -> (Command, Vec<String>) {
        let mut full: Vec<String> = Vec::with_capacity(args.len() + 1);
        if let Some((sub, rest)) = args.split_first() {
            full.push(sub.to_string());
            if takes_no_color(sub) {
                full.push("-no-color".into());
            }
            full.extend(rest.iter().map(|a| a.to_string()));
        }
        let mut cmd = Command::new(&self.tf.path);
        cmd.args(&full)
            .current_dir(self.path())
            .env_clear()
            .envs(self.child_env(process_env()));
        (cmd, full)
    }
}

/// A Terraform command started with [`Workdir::spawn`].
pub struct Running {
    child: std::process::Child,
    args: Vec<String>,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
}

impl Running {
    /// Sends SIGINT to the command's process group, as Ctrl-C in a terminal does.
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", "--", &format!("-{}", self.child.id())])
            .status()
            .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
        assert!(status.success(), "kill -INT {} failed", self.child.id());
    }

    /// Waits up to `limit`; a command still running then is killed. Returns its output and
    /// whether it exited by itself within the limit.
    pub fn wait(mut self, limit: Duration) -> (RunOutput, bool) {
        let started = Instant::now();
        let mut exited = None;
        while started.elapsed() < limit {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    exited = Some(status);
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => panic!("cannot wait for terraform: {e}"),
            }
        }
        let in_time = exited.is_some();
        let status = match exited {
            Some(status) => status,
            None => {
                let _ = self.child.kill();
                self.child
                    .wait()
                    .unwrap_or_else(|e| panic!("cannot reap terraform: {e}"))
            }
        };
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let out = RunOutput {
            args: self.args.clone(),
            status,
            stdout: read(&self.stdout_path),
            stderr: read(&self.stderr_path),
        };
        (out, in_time)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // never leave a terraform behind when a test fails mid-way
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn takes_no_color(subcommand: &str) -> bool {
    !matches!(
        subcommand,
        "version" | "fmt" | "providers" | "state" | "workspace"
    )
}

/// The directory holding the provider binary cargo built for this test run.
pub fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-msgraph"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| panic!("the provider binary path has no parent"))
}

fn cli_config_text(provider_dir: &Path) -> String {
    let dir = provider_dir
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/entra/msgraph\" = \"{dir}\"\n  }}\n  direct {{}}\n}}\n"
    )
}

/// The simulator is plain http on loopback: a proxy from the environment must not catch it.
fn no_proxy() -> String {
    let existing = std::env::var("NO_PROXY")
        .or_else(|_| std::env::var("no_proxy"))
        .unwrap_or_default();
    let mut hosts: Vec<&str> = existing
        .split(',')
        .filter(|h| !h.trim().is_empty())
        .collect();
    for local in ["127.0.0.1", "localhost", "::1"] {
        if !hosts.contains(&local) {
            hosts.push(local);
        }
    }
    hosts.join(",")
}
