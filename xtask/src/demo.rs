//! `cargo xtask demo`: builds the provider, serves the Graph simulator in-process, and walks
//! examples/demo through init, plan, apply, an empty plan, an update and destroy, printing after
//! each Terraform step the Graph requests the simulator received.

use std::io::{IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use msgraph_sim::{RecordedRequest, Sim};

use crate::hashes::h1_hash;
use crate::mirror::write_mirror;
use crate::package::package_zip;
use crate::platform::host_os_arch;
use crate::workspace::{Workspace, PROVIDER_PACKAGE};

/// The partner tenant the demo configures (made up).
pub const DEMO_PARTNER_TENANT_ID: &str = "3f1c2b7a-9d4e-4c1a-8b2f-6e5d4c3b2a10";

/// The address examples/demo requires, served here from a local filesystem mirror.
const PROVIDER_HOST: &str = "registry.example.com";
const PROVIDER_NAMESPACE: &str = "platform";

/// What a step expects of Terraform's exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Success,
    /// `plan -detailed-exitcode` answering 0: nothing to change.
    NoChanges,
}

/// One Terraform command of the walk-through and what the reader should see in the requests.
struct Step {
    title: &'static str,
    args: &'static [&'static str],
    expect: Expect,
    /// Printed before the requests: what they show.
    explains: &'static str,
}

/// The walk-through. A new resource in examples/demo needs no new step: its requests appear
/// under the same ones.
const STEPS: &[Step] = &[
    Step {
        title: "init",
        args: &["init", "-input=false"],
        expect: Expect::Success,
        explains: "installs the provider from a local mirror; Graph sees nothing",
    },
    Step {
        title: "plan",
        args: &["plan", "-input=false"],
        expect: Expect::Success,
        explains: "nothing is in state yet, so planning a create needs no Graph request",
    },
    Step {
        title: "apply",
        args: &["apply", "-input=false", "-auto-approve"],
        expect: Expect::Success,
        explains: "sign-in, one POST creating the partner configuration, then for the policy a \
                   GET that finds none yet (404) and one PUT creating it",
    },
    Step {
        title: "plan (expecting no changes)",
        args: &["plan", "-input=false", "-detailed-exitcode"],
        expect: Expect::NoChanges,
        explains: "the refresh is one GET per resource (in any order); what Graph holds matches \
                   the configuration",
    },
    Step {
        title: "apply (update: stop synchronizing users from the partner)",
        args: &[
            "apply",
            "-input=false",
            "-auto-approve",
            "-var",
            "is_sync_allowed=false",
        ],
        expect: Expect::Success,
        explains: "refreshing GETs (one per resource), then one PATCH holding only the property that changed \
                   (plan and apply each start the provider, which signs in once)",
    },
    Step {
        title: "destroy",
        args: &[
            "destroy",
            "-input=false",
            "-auto-approve",
            "-var",
            "is_sync_allowed=false",
        ],
        expect: Expect::Success,
        explains: "refreshing GETs; the policy's DELETE and a GET until Graph says it is gone, \
                   then the partner configuration's DELETE (and its own check)",
    },
];

pub fn demo(workspace: &Workspace) -> Result<()> {
    println!(
        "==> Building the provider (cargo build --package {PROVIDER_PACKAGE}).\n    \
         A first build compiles about 250 crates and takes several minutes (5 to 10 on two\n    \
         cores); later runs take seconds."
    );
    let started = Instant::now();
    workspace.cargo_build(&["--package", PROVIDER_PACKAGE, "--bin", PROVIDER_PACKAGE])?;
    println!("==> built in {:.0?}", started.elapsed());
    let options = DemoOptions {
        provider: workspace.binary_path(PROVIDER_PACKAGE, "debug", None),
        version: workspace.version.clone(),
        terraform: terraform_binary(),
        config: workspace.root.join("examples/demo"),
        // Terraform colours its output only for a terminal, like every other tool.
        color: std::io::stdout().is_terminal(),
    };
    run_demo(&options, &mut std::io::stdout().lock())
}

/// What the walk-through runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The provider binary and its version.
    pub provider: PathBuf,
    pub version: String,
    pub terraform: PathBuf,
    /// The configuration directory (examples/demo).
    pub config: PathBuf,
    /// Let Terraform colour its output.
    pub color: bool,
}

/// Runs the walk-through with a built provider, writing Terraform's output and the Graph
/// requests of each step to `out`.
pub fn run_demo(options: &DemoOptions, out: &mut dyn Write) -> Result<()> {
    let work = tempfile::Builder::new()
        .prefix("msgraph-demo-")
        .tempdir()
        .context("creating a temporary directory")?;
    let config_dir = work.path().join("demo");
    copy_tf_files(&options.config, &config_dir)?;
    let mirror = work.path().join("providers");
    let h1 = publish_to_mirror(&options.provider, &mirror, &options.version)?;
    // A lock file naming the package's hash: init verifies against it instead of warning that it
    // could only compute checksums for this platform.
    std::fs::write(
        config_dir.join(".terraform.lock.hcl"),
        lock_file_text(&options.version, &h1),
    )
    .context("writing .terraform.lock.hcl")?;
    let cli_config = work.path().join("terraform.tfrc");
    std::fs::write(&cli_config, cli_config_text(&mirror))
        .context("writing the Terraform CLI configuration")?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the simulator's runtime")?;
    let sim = Sim::new();
    let server = runtime.block_on(sim.spawn());
    writeln!(
        out,
        "==> Graph simulator listening on {} (tenant {}, app {})",
        server.url,
        msgraph_sim::TENANT_ID,
        msgraph_sim::CLIENT_ID
    )?;

    let run = |step: &Step, out: &mut dyn Write| -> Result<ExitStatus> {
        writeln!(out, "\n==> terraform {}", step.title)?;
        out.flush()?;
        let mut command = Command::new(&options.terraform);
        command.args(step.args);
        if !options.color {
            command.arg("-no-color");
        }
        command
            .current_dir(&config_dir)
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_VAR_sim_url", &server.url)
            .env("TF_VAR_tenant_id", msgraph_sim::TENANT_ID)
            .env("TF_VAR_client_id", msgraph_sim::CLIENT_ID)
            .env("TF_VAR_client_secret", msgraph_sim::CLIENT_SECRET)
            .env("TF_VAR_partner_tenant_id", DEMO_PARTNER_TENANT_ID);
        // Credentials from the caller's environment would win over the simulator's app.
        for (key, _) in std::env::vars_os() {
            if is_credential_variable(&key.to_string_lossy()) {
                command.env_remove(key);
            }
        }
        let output = command.output().with_context(|| {
            format!(
                "running {} (is Terraform installed?)",
                options.terraform.display()
            )
        })?;
        out.write_all(&output.stdout)?;
        out.write_all(&output.stderr)?;
        Ok(output.status)
    };

    for step in STEPS {
        server.clear_requests();
        let status = run(step, out)?;
        writeln!(
            out,
            "\n--- Graph requests during `terraform {}`: {}",
            step.args[0], step.explains
        )?;
        write!(out, "{}", format_requests(&server.requests()))?;
        match (step.expect, status.code()) {
            (Expect::Success, Some(0)) => {}
            (Expect::NoChanges, Some(0)) => {
                writeln!(out, "==> no changes after apply, as expected")?
            }
            (Expect::NoChanges, Some(2)) => {
                bail!("the plan after apply wants changes; the provider is not converging")
            }
            _ => bail!("terraform {} failed ({status})", step.title),
        }
    }
    drop(server);
    runtime.shutdown_background();
    writeln!(out, "\n==> demo finished; simulator stopped")?;
    Ok(())
}

/// One line per request: `METHOD path -> status  body`, sign-ins without their secret.
pub fn format_requests(requests: &[RecordedRequest]) -> String {
    if requests.is_empty() {
        return "    (none)\n".to_owned();
    }
    let mut out = String::new();
    for request in requests {
        let body = if request.path.contains("/oauth2/") {
            "(sign-in; the form carries the client secret, not shown)".to_owned()
        } else {
            request.body.replace('\n', " ")
        };
        let status = match request.status {
            0 => "no response".to_owned(),
            code => code.to_string(),
        };
        out.push_str(&format!(
            "    {:<6} {} -> {status}",
            request.method, request.path
        ));
        if !body.trim().is_empty() {
            out.push_str("  ");
            out.push_str(body.trim());
        }
        out.push('\n');
    }
    out
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

/// Packs the provider into a packed filesystem mirror, so that `terraform init` works offline
/// and records a hash; returns the package's `h1:` hash.
fn publish_to_mirror(provider: &Path, mirror: &Path, version: &str) -> Result<String> {
    let os_arch = host_os_arch()?;
    let zip = package_zip(provider, version, &os_arch)?;
    let h1 = h1_hash(&zip)?;
    write_mirror(
        mirror,
        PROVIDER_HOST,
        PROVIDER_NAMESPACE,
        version,
        &[(os_arch, zip)],
    )?;
    Ok(h1)
}

fn lock_file_text(version: &str, h1: &str) -> String {
    format!(
        "# This file is maintained automatically by \"terraform init\".\n# Manual edits may be lost in future updates.\n\nprovider \"{PROVIDER_HOST}/{PROVIDER_NAMESPACE}/msgraph\" {{\n  version = \"{version}\"\n  hashes = [\n    \"{h1}\",\n  ]\n}}\n"
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, status: u16, body: &str) -> RecordedRequest {
        RecordedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: String::new(),
            status,
            body: body.to_owned(),
            headers: Vec::new(),
        }
    }

    #[test]
    fn requests_show_method_path_status_and_body_but_no_secret() {
        let text = format_requests(&[
            request(
                "POST",
                "/t/oauth2/v2.0/token",
                200,
                "client_secret=hunter2&grant_type=client_credentials",
            ),
            request(
                "PATCH",
                "/v1.0/p",
                204,
                "{\"userSyncInbound\":{\"isSyncAllowed\":false}}",
            ),
            request("GET", "/v1.0/p", 0, ""),
        ]);
        assert_eq!(
            text,
            "    POST   /t/oauth2/v2.0/token -> 200  (sign-in; the form carries the client secret, not shown)\n    \
             PATCH  /v1.0/p -> 204  {\"userSyncInbound\":{\"isSyncAllowed\":false}}\n    \
             GET    /v1.0/p -> no response\n"
        );
        assert!(!text.contains("hunter2"));
        assert_eq!(format_requests(&[]), "    (none)\n");
    }

    #[test]
    fn mirror_cli_config_and_lock_file_name_the_examples_address() {
        let text = cli_config_text(Path::new("/tmp/x y/providers"));
        assert!(text.contains("path    = \"/tmp/x y/providers\""));
        assert!(text.contains("include = [\"registry.example.com/platform/msgraph\"]"));
        let lock = lock_file_text("0.1.0", "h1:abc=");
        assert!(lock.contains("provider \"registry.example.com/platform/msgraph\" {\n  version = \"0.1.0\"\n  hashes = [\n    \"h1:abc=\",\n  ]\n}\n"));
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
