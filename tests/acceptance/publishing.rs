//! Publishing: a real Terraform installs the provider from the mirror tree xtask writes, as a
//! filesystem mirror and as a network mirror served over HTTPS on loopback.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::https_server::HttpsFileServer;

/// The mirror address these tests publish under (not the real registry address, on purpose).
const HOST: &str = "example.test";
const NAMESPACE: &str = "acme";
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every Terraform the harness provides (1.11.4 and 1.0.3); it fails the test when one is missing.
pub(crate) fn terraform_binaries() -> Vec<PathBuf> {
    crate::harness::terraform::terraforms()
        .iter()
        .map(|tf| tf.path.clone())
        .collect()
}

/// Packs the freshly built provider into a mirror tree under `root`; returns the mirror's h1.
fn publish_provider(root: &Path) -> String {
    let binary = Path::new(env!("CARGO_BIN_EXE_terraform-provider-msgraph"));
    let os_arch = xtask::platform::host_os_arch().expect("host platform");
    let zip = xtask::package_zip(binary, VERSION, &os_arch).expect("package the provider");
    let dir = xtask::write_mirror(root, HOST, NAMESPACE, VERSION, &[(os_arch.clone(), zip)])
        .expect("write the mirror");
    let document: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{VERSION}.json"))).expect("version document"),
    )
    .expect("version document is JSON");
    let hashes = document["archives"][&os_arch]["hashes"]
        .as_array()
        .expect("hashes list");
    hashes
        .iter()
        .filter_map(|h| h.as_str())
        .find(|h| h.starts_with("h1:"))
        .expect("the mirror lists an h1 hash")
        .to_owned()
}

/// A configuration requiring this version of the provider from `source`.
pub(crate) fn write_config(dir: &Path, source: &str) {
    std::fs::create_dir_all(dir).expect("config dir");
    let config = format!(
        "terraform {{\n  required_providers {{\n    msgraph = {{\n      source  = \"{source}\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n"
    );
    std::fs::write(dir.join("main.tf"), config).expect("main.tf");
}

/// `terraform init` in `dir` with only `cli_config` and `extra_env` from outside.
pub(crate) fn terraform_init(
    terraform: &Path,
    dir: &Path,
    cli_config: &Path,
    extra_env: &[(&str, &Path)],
) -> Output {
    let mut command = Command::new(terraform);
    command
        .args(["init", "-input=false", "-no-color"])
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .env_remove("TF_CLI_ARGS")
        .env_remove("TF_CLI_ARGS_init");
    for (key, value) in extra_env {
        command.env(key, value);
    }
    command.output().expect("terraform init runs")
}

/// Asserts init succeeded, recorded the mirror's h1 in the lock file, and installed an
/// executable provider.
fn assert_installed(terraform: &Path, dir: &Path, output: &Output, mirror_h1: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} init failed\nstdout:\n{stdout}\nstderr:\n{stderr}",
        terraform.display()
    );
    let lock = std::fs::read_to_string(dir.join(".terraform.lock.hcl")).expect("lock file");
    assert!(
        lock.contains(&format!(
            "provider \"registry.terraform.io/{HOST}/{NAMESPACE}/msgraph\""
        )) || lock.contains(&format!("provider \"{HOST}/{NAMESPACE}/msgraph\"")),
        "lock file names no {HOST}/{NAMESPACE}/msgraph provider:\n{lock}"
    );
    assert!(
        lock.lines().any(|line| {
            let line = line.trim();
            line.starts_with("version ") && line.ends_with(&format!("\"{VERSION}\""))
        }),
        "lock file records another version:\n{lock}"
    );
    let recorded: Vec<&str> = lock
        .split('"')
        .filter(|token| token.starts_with("h1:"))
        .collect();
    assert_eq!(
        recorded,
        vec![mirror_h1],
        "the lock file's h1 differs from the mirror's\n{lock}"
    );
    let os_arch = xtask::platform::host_os_arch().expect("host platform");
    let installed = dir
        .join(".terraform/providers")
        .join(HOST)
        .join(NAMESPACE)
        .join("msgraph")
        .join(VERSION)
        .join(&os_arch)
        .join(format!("terraform-provider-msgraph_v{VERSION}"));
    let metadata = std::fs::metadata(&installed)
        .unwrap_or_else(|e| panic!("{} not installed: {e}", installed.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            metadata.permissions().mode() & 0o777,
            0o755,
            "installed provider is not mode 0755"
        );
    }
    #[cfg(not(unix))]
    let _ = metadata;
}

#[test]
fn terraform_init_installs_from_a_filesystem_mirror() {
    let work = tempfile::tempdir().expect("tempdir");
    let mirror = work.path().join("mirror");
    let mirror_h1 = publish_provider(&mirror);
    let cli_config = work.path().join("terraform.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{HOST}/*/*\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("cli config");
    for terraform in terraform_binaries() {
        let dir = work.path().join(format!("fs-{}", sanitize(&terraform)));
        write_config(&dir, &format!("{HOST}/{NAMESPACE}/msgraph"));
        let output = terraform_init(&terraform, &dir, &cli_config, &[]);
        assert_installed(&terraform, &dir, &output, &mirror_h1);
    }
}

#[test]
fn terraform_init_installs_from_an_https_network_mirror() {
    let work = tempfile::tempdir().expect("tempdir");
    let mirror = work.path().join("mirror");
    let mirror_h1 = publish_provider(&mirror);
    let server = HttpsFileServer::start(&mirror);
    let cert = work.path().join("cert.pem");
    std::fs::write(&cert, &server.cert_pem).expect("cert.pem");
    let cli_config = work.path().join("terraform.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  network_mirror {{\n    url = \"https://127.0.0.1:{}/\"\n  }}\n}}\n",
            server.port
        ),
    )
    .expect("cli config");
    for terraform in terraform_binaries() {
        let dir = work.path().join(format!("net-{}", sanitize(&terraform)));
        write_config(&dir, &format!("{HOST}/{NAMESPACE}/msgraph"));
        let output = terraform_init(&terraform, &dir, &cli_config, &[("SSL_CERT_FILE", &cert)]);
        assert_installed(&terraform, &dir, &output, &mirror_h1);
    }
    let requested = server.requested_paths();
    let base = format!("/{HOST}/{NAMESPACE}/msgraph");
    for expected in [
        format!("{base}/index.json"),
        format!("{base}/{VERSION}.json"),
    ] {
        assert!(
            requested.contains(&expected),
            "Terraform never fetched {expected}; it fetched {requested:?}"
        );
    }
    assert!(
        requested.iter().any(|p| p.ends_with(".zip")),
        "Terraform never downloaded the zip; it fetched {requested:?}"
    );
}

pub(crate) fn sanitize(path: &Path) -> String {
    path.to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

#[test]
fn mirror_documents_have_the_network_mirror_shape() {
    let work = tempfile::tempdir().expect("tempdir");
    let h1 = publish_provider(work.path());
    let dir = work.path().join(HOST).join(NAMESPACE).join("msgraph");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index"))
            .expect("json");
    let mut versions = BTreeMap::new();
    versions.insert(VERSION.to_owned(), serde_json::json!({}));
    assert_eq!(index, serde_json::json!({ "versions": versions }));
    let os_arch = xtask::platform::host_os_arch().expect("host platform");
    let zip_name = format!("terraform-provider-msgraph_{VERSION}_{os_arch}.zip");
    let zip = std::fs::read(dir.join(&zip_name)).expect("zip in mirror");
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{VERSION}.json"))).expect("doc"))
            .expect("json");
    assert_eq!(
        document,
        serde_json::json!({"archives": {os_arch: {"url": zip_name, "hashes": [h1, xtask::zh_hash(&zip)]}}})
    );
}
