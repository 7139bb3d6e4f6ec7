//! Docs and examples: docs/ matches what `cargo xtask docs` generates from the provider's own
//! schema, and every example configuration is formatted and valid for real Terraform.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The address the examples require (a private registry's; dev_overrides stands in for it).
const PROVIDER_ADDRESS: &str = "registry.example.com/platform/msgraph";

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn provider_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-msgraph"))
}

/// The newest Terraform the harness provides (fails the test when it is missing).
fn terraform() -> PathBuf {
    crate::harness::terraform::terraforms()[0].path.clone()
}

#[test]
fn docs_match_the_provider_schema() {
    let schema = xtask::schema_from_binary(provider_binary())
        .unwrap_or_else(|e| panic!("could not get the provider schema for the docs: {e:#}"));
    let rendered = xtask::render_docs(&schema, &repo_root().join("examples"))
        .unwrap_or_else(|e| panic!("could not render the docs: {e:#}"));
    let problems = xtask::stale_docs(&repo_root().join("docs"), &rendered)
        .unwrap_or_else(|e| panic!("could not compare docs/: {e:#}"));
    assert!(
        problems.is_empty(),
        "docs/ is stale:\n  {}\nRun `{}` to regenerate it.",
        problems.join("\n  "),
        xtask::FIX_COMMAND
    );
}

/// Every directory under examples/ holding .tf files.
fn example_dirs() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let mut has_tf = false;
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            found.push(dir.to_path_buf());
        }
    }
    let mut found = Vec::new();
    walk(&repo_root().join("examples"), &mut found);
    found
}

#[test]
fn examples_cover_the_documented_layout() {
    let dirs = example_dirs();
    for expected in [
        "provider",
        "resources/msgraph_cross_tenant_identity_sync",
        "data-sources/msgraph_cross_tenant_identity_sync",
        "resources/msgraph_cross_tenant_access_partner",
        "resources/msgraph_cross_tenant_access_default",
        "data-sources/msgraph_cross_tenant_access_partner",
        "cross-tenant-sync",
        "multi-partner",
        "demo",
    ] {
        let dir = repo_root().join("examples").join(expected);
        assert!(dirs.contains(&dir), "examples/{expected} has no .tf files");
    }
    // Every resource documents both ways to import: the block and the command.
    for entry in std::fs::read_dir(repo_root().join("examples/resources")).expect("resources") {
        let dir = entry.expect("entry").path();
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let import = std::fs::read_to_string(dir.join("import.sh"))
            .unwrap_or_else(|e| panic!("examples/resources/{name}/import.sh: {e}"));
        assert!(
            import.contains(&format!("terraform import {name}.")),
            "{name}/import.sh"
        );
        let block = std::fs::read_to_string(dir.join("import-by-string-id.tf"))
            .unwrap_or_else(|e| panic!("examples/resources/{name}/import-by-string-id.tf: {e}"));
        assert!(
            block.contains(&format!("to = {name}.")),
            "{name}/import-by-string-id.tf"
        );
    }
    // Examples name an address that a private registry can serve, not a public namespace
    // nobody publishes to.
    for dir in &dirs {
        for entry in std::fs::read_dir(dir).expect("example files") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "tf") {
                let text = std::fs::read_to_string(&path).expect("example file");
                for line in text
                    .lines()
                    .filter(|l| l.trim_start().starts_with("source "))
                {
                    assert!(
                        line.contains(PROVIDER_ADDRESS),
                        "{} requires another source: {line}",
                        path.display()
                    );
                }
            }
        }
    }
}

#[test]
fn examples_are_formatted() {
    let output = Command::new(terraform())
        .args(["fmt", "-check", "-diff", "-recursive", "-no-color"])
        .arg(repo_root().join("examples"))
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("terraform fmt runs");
    assert!(
        output.status.success(),
        "examples/ is not `terraform fmt` formatted (run `terraform fmt -recursive examples`):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn examples_are_valid() {
    let work = tempfile::tempdir().expect("tempdir");
    let plugin_dir = provider_binary().parent().expect("binary directory");
    let cli_config = work.path().join("terraform.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_ADDRESS}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            plugin_dir.display()
        ),
    )
    .expect("cli config");
    let mut failures = Vec::new();
    for tf in crate::harness::terraform::terraforms() {
        let terraform = &tf.path;
        for (index, example) in example_dirs().into_iter().enumerate() {
            let dir = work.path().join(format!("example-{}-{index}", tf.version));
            std::fs::create_dir_all(&dir).expect("example dir");
            let mut declares_provider = false;
            for entry in std::fs::read_dir(&example).expect("example files") {
                let path = entry.expect("entry").path();
                if path.extension().is_some_and(|e| e == "tf") {
                    // `import {}` blocks need Terraform 1.5; the docs say so next to them.
                    let import_block = path
                        .file_name()
                        .is_some_and(|n| n == "import-by-string-id.tf");
                    if import_block && !tf.at_least(1, 5) {
                        continue;
                    }
                    let text = std::fs::read_to_string(&path).expect("example file");
                    declares_provider |= text.contains("required_providers");
                    std::fs::write(dir.join(path.file_name().expect("name")), text).expect("copy");
                }
            }
            if !declares_provider {
                // Snippets for the docs leave out the terraform block; without it Terraform
                // would look for hashicorp/msgraph.
                std::fs::write(
                    dir.join("zz_required_providers.tf"),
                    format!("terraform {{\n  required_providers {{\n    msgraph = {{\n      source = \"{PROVIDER_ADDRESS}\"\n    }}\n  }}\n}}\n"),
                )
                .expect("required_providers shim");
            }
            let output = Command::new(terraform)
                .args(["validate", "-no-color"])
                .current_dir(&dir)
                .env("TF_CLI_CONFIG_FILE", &cli_config)
                .env("CHECKPOINT_DISABLE", "1")
                .env("TF_IN_AUTOMATION", "1")
                .output()
                .expect("terraform validate runs");
            if !output.status.success() {
                failures.push(format!(
                    "{}:\n{}{}",
                    example.display(),
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "terraform validate failed for:\n{}",
        failures.join("\n")
    );
}
