//! Running Terraform for the bench: its environment, the CLI config with dev_overrides and the
//! configurations measured.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

/// Our provider's source address (CONTRACTS.md).
pub const OUR_SOURCE: &str = "registry.terraform.io/entra/msgraph";
pub const RESOURCE_TYPE: &str = "msgraph_cross_tenant_identity_sync";

/// Terraform with its own CLI config and no checkpoint calls, whatever the caller's environment.
#[derive(Debug, Clone)]
pub struct Terraform {
    pub cli_config: PathBuf,
}

impl Terraform {
    /// Writes a CLI config with `overrides` (source address, directory of the binary).
    pub fn new(work: &Path, overrides: &[(&str, &Path)]) -> Result<Terraform> {
        std::fs::create_dir_all(work)?;
        let cli_config = work.join("bench.tfrc");
        std::fs::write(&cli_config, cli_config_text(overrides))
            .with_context(|| format!("writing {}", cli_config.display()))?;
        Ok(Terraform { cli_config })
    }

    pub fn command(&self, dir: &Path) -> Command {
        let mut command = Command::new("terraform");
        for noise in [
            "TF_LOG",
            "TF_LOG_PROVIDER",
            "TF_LOG_CORE",
            "TF_LOG_PATH",
            "TF_PLUGIN_CACHE_DIR",
            "TF_REATTACH_PROVIDERS",
            "TF_DATA_DIR",
            "TF_WORKSPACE",
            "TF_CLI_ARGS",
            "TF_DISABLE_PLUGIN_TLS",
        ] {
            command.env_remove(noise);
        }
        command
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1");
        command
    }
}

pub fn cli_config_text(overrides: &[(&str, &Path)]) -> String {
    let mut text = String::from("provider_installation {\n  dev_overrides {\n");
    for (source, dir) in overrides {
        text.push_str(&format!("    \"{source}\" = \"{}\"\n", dir.display()));
    }
    text.push_str("  }\n  direct {}\n}\n");
    text
}

/// A configuration requiring nothing: Terraform's own cost.
pub const BARE_CONFIG: &str = "terraform {}\n";

/// A configuration requiring one provider, so `providers schema` starts it.
pub fn requiring(local_name: &str, source: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    {local_name} = {{\n      source = \"{source}\"\n    }}\n  }}\n}}\n"
    )
}

/// The partner tenant ID of resource `count.index`: a valid GUID, distinct per index (the
/// simulator runs with `--auto-partners`, so every one exists).
const BENCH_TENANT_HCL: &str = "format(\"00000000-0000-4000-8000-%012d\", count.index)";

/// What the provider block needs to reach the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCredentials {
    pub url: String,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
}

/// `count = resources` policies; `display_name` comes from a variable so an update is one
/// `-var` away.
pub fn apply_config(resources: usize, sim: &SimCredentials) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    msgraph = {{
      source = "entra/msgraph"
    }}
  }}
}}

variable "display_name" {{
  type = string
}}

provider "msgraph" {{
  tenant_id      = "{tenant}"
  client_id      = "{client}"
  client_secret  = "{secret}"
  graph_endpoint = "{url}"
  authority_host = "{url}"
  use_cli        = false
}}

resource "{RESOURCE_TYPE}" "bench" {{
  count        = {resources}
  tenant_id    = {BENCH_TENANT_HCL}
  display_name = var.display_name

  user_sync_inbound {{
    is_sync_allowed = true
  }}
}}
"#,
        tenant = sim.tenant_id,
        client = sim.client_id,
        secret = sim.client_secret,
        url = sim.url,
    )
}

/// The same resource graph with Terraform's built-in `terraform_data`: no provider process, no
/// network, so its wall time is what Terraform itself costs for N resources.
pub fn reference_config(resources: usize) -> String {
    format!(
        r#"variable "display_name" {{
  type = string
}}

resource "terraform_data" "bench" {{
  count = {resources}
  input = {{
    tenant_id    = {BENCH_TENANT_HCL}
    display_name = var.display_name
  }}
}}
"#
    )
}

/// `terraform version -json`'s version, or the first line of `terraform version`.
pub fn version() -> String {
    let Ok(output) = Command::new("terraform")
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .output()
    else {
        return "terraform not found".to_owned();
    };
    serde_json::from_slice::<serde_json::Value>(&output.stdout)
        .ok()
        .and_then(|v| v.get("terraform_version")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .next()
                .unwrap_or("unknown")
                .to_owned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_config_lists_every_override() {
        let text = cli_config_text(&[
            (OUR_SOURCE, Path::new("/repo/target/release")),
            (
                "registry.terraform.io/hashicorp/vsphere",
                Path::new("/cache/bin"),
            ),
        ]);
        assert!(text.contains("\"registry.terraform.io/entra/msgraph\" = \"/repo/target/release\""));
        assert!(text.contains("\"registry.terraform.io/hashicorp/vsphere\" = \"/cache/bin\""));
        assert!(text.contains("direct {}"));
    }

    /// What `BENCH_TENANT_HCL` gives for `index`.
    fn bench_tenant_id(index: usize) -> String {
        format!("00000000-0000-4000-8000-{index:012}")
    }

    #[test]
    fn tenant_ids_are_distinct_guids_matching_the_hcl_formula() {
        assert_eq!(bench_tenant_id(0), "00000000-0000-4000-8000-000000000000");
        assert_eq!(bench_tenant_id(999), "00000000-0000-4000-8000-000000000999");
        assert_ne!(bench_tenant_id(1), bench_tenant_id(10));
        assert!(BENCH_TENANT_HCL.contains("00000000-0000-4000-8000-%012d"));
    }

    #[test]
    fn apply_config_has_count_and_sim_endpoints() {
        let sim = SimCredentials {
            url: "http://127.0.0.1:4000".into(),
            tenant_id: "t".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
        };
        let text = apply_config(1000, &sim);
        assert!(text.contains("count        = 1000"));
        assert!(text.contains("graph_endpoint = \"http://127.0.0.1:4000\""));
        assert!(text.contains("authority_host = \"http://127.0.0.1:4000\""));
        assert!(text.contains("use_cli        = false"));
        assert!(text.contains("source = \"entra/msgraph\""));
        assert!(
            requiring("vsphere", "hashicorp/vsphere").contains("source = \"hashicorp/vsphere\"")
        );
    }
}
