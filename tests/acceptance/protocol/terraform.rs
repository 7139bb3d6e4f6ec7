//! A real `terraform` using the provider: through dev_overrides, and attached to `--debug`.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::client::*;

// ---- with a real Terraform ----

/// A working directory with a dev_overrides CLI config pointing at the built provider.
fn terraform_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let bin_dir = Path::new(BINARY).parent().expect("binary dir");
    std::fs::write(
        dir.path().join("cli.tfrc"),
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/entra/msgraph\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            bin_dir.display()
        ),
    )
    .expect("write CLI config");
    std::fs::write(
        dir.path().join("main.tf"),
        "terraform {\n  required_providers {\n    msgraph = { source = \"entra/msgraph\" }\n  }\n}\n",
    )
    .expect("write main.tf");
    dir
}

fn run_terraform(terraform: &Path, dir: &Path, args: &[&str]) -> (String, String) {
    let mut child = Command::new(terraform)
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", dir.join("cli.tfrc"))
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start terraform");
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = child.wait().expect("wait for terraform");
    assert!(
        status.success(),
        "terraform {args:?} failed: {status}\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

#[test]
fn terraform_reads_the_schema_and_validates() {
    // Our own --schema-json output: Terraform must see the same schemas (format_version differs
    // across Terraform releases: 0.2 on 1.0, 1.0 later).
    let own = base_command(&["--schema-json"])
        .output()
        .expect("run the binary");
    let own: serde_json::Value = serde_json::from_slice(&own.stdout).expect("own schema JSON");
    for tf in crate::harness::terraform::terraforms() {
        let dir = terraform_dir();
        let (stdout, _) = run_terraform(&tf.path, dir.path(), &["providers", "schema", "-json"]);
        let json: serde_json::Value = serde_json::from_str(&stdout).expect("schema JSON");
        let ours = &json["provider_schemas"]["registry.terraform.io/entra/msgraph"];
        assert!(
            ours["provider"].is_object(),
            "Terraform {}: {stdout}",
            tf.version
        );
        assert_eq!(
            json["provider_schemas"], own["provider_schemas"],
            "Terraform {}",
            tf.version
        );

        let (stdout, _) = run_terraform(&tf.path, dir.path(), &["validate", "-no-color"]);
        assert!(
            stdout.contains("The configuration is valid"),
            "Terraform {}: {stdout}",
            tf.version
        );
    }
}

#[tokio::test]
async fn debug_mode_prints_reattach_and_serves_until_interrupted() {
    let mut child = base_command(&["--debug"])
        .spawn()
        .expect("start in debug mode");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(value) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
                let _ = tx.send(value.trim_end_matches('\'').to_string());
                return;
            }
        }
    });
    let value = rx
        .recv_timeout(PATIENCE)
        .expect("a TF_REATTACH_PROVIDERS line");
    let json: serde_json::Value = serde_json::from_str(&value).expect("reattach JSON");
    let ours = &json["registry.terraform.io/entra/msgraph"];
    assert_eq!(ours["Protocol"], "grpc");
    assert_eq!(ours["ProtocolVersion"], 6);
    assert_eq!(
        ours["Test"], true,
        "Terraform 1.0 needs Test=true for protocol 6"
    );
    assert_eq!(ours["Pid"], child.id());
    assert_eq!(ours["Addr"]["Network"], "unix");
    let mut plugin = Plugin {
        child,
        network: "unix".into(),
        address: ours["Addr"]["String"]
            .as_str()
            .expect("socket path")
            .to_string(),
        server_cert: None,
        // --debug keeps stdout (its instructions went there); nothing reads it here.
        stdout_rest: std::sync::mpsc::channel().1,
    };
    let ch = channel(&plugin, None).await.expect("plaintext connection");
    assert_schema_answer(&get_schema(ch).await.expect("GetProviderSchema answered"));

    // Real Terraform attaches to the running provider (no installation, no init), 1.0.3 too.
    for tf in crate::harness::terraform::terraforms() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("main.tf"), REATTACH_CONFIG).expect("write main.tf");
        let output = Command::new(&tf.path)
            .args(["validate", "-no-color"])
            .current_dir(dir.path())
            .env("TF_REATTACH_PROVIDERS", &value)
            .env("TF_CLI_CONFIG_FILE", dir.path().join("none.tfrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .output()
            .expect("run terraform validate");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("The configuration is valid"),
            "Terraform {} with TF_REATTACH_PROVIDERS: {stdout}{}",
            tf.version,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(
        plugin.child.try_wait().expect("wait").is_none(),
        "a debug provider keeps serving after Terraform is done with it"
    );

    let status = Command::new("kill")
        .args(["-INT", &plugin.child.id().to_string()])
        .status()
        .expect("send SIGINT");
    assert!(status.success());
    let deadline = Instant::now() + PATIENCE;
    while plugin.child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "debug provider ignored Ctrl-C");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!Path::new(&plugin.address).exists(), "socket left behind");
}

/// A configuration using the resource, for Terraform attached to a `--debug` provider.
const REATTACH_CONFIG: &str = r#"terraform {
  required_providers {
    msgraph = { source = "entra/msgraph" }
  }
}

resource "msgraph_cross_tenant_identity_sync" "x" {
  tenant_id = "90e29127-71ad-49c7-9ce8-db3f41ea06f1"
  user_sync_inbound {
    is_sync_allowed = true
  }
}
"#;
