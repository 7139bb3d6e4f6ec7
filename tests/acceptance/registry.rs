//! Private registry: real Terraform installs the provider from the static tree `cargo xtask
//! registry` writes, served over HTTPS on loopback, with no `provider_installation` block at all:
//! service discovery, versions, download document, checksums and a GPG signature it verifies. A
//! signature by another key makes `terraform init` fail.

use std::path::{Path, PathBuf};
use std::process::Output;

use xtask::gpg::ScratchKeyring;

use crate::https_server::HttpsFileServer;
use crate::publishing::{sanitize, terraform_binaries, terraform_init, write_config, VERSION};

const NAMESPACE: &str = "acme";
const RELEASE_KEY: &str = "release@example.test";
const IMPOSTOR_KEY: &str = "impostor@example.test";

/// A registry tree served over HTTPS, with everything a test asserts on.
struct Registry {
    server: HttpsFileServer,
    host: String,
    cert: PathBuf,
    key_id: String,
    zip_sha256: String,
}

/// Releases the freshly built provider into `work/release` as `cargo xtask release --gpg-key`
/// does, then publishes it into a registry served from `work/site`. With `impostor`, the
/// SHA256SUMS signature is then replaced by one from a key the registry does not list.
fn publish(work: &Path, keyring: &ScratchKeyring, impostor: bool) -> Registry {
    let release = work.join("release");
    let binary = Path::new(env!("CARGO_BIN_EXE_terraform-provider-msgraph"));
    let os_arch = xtask::platform::host_os_arch().expect("host platform");
    let zip = xtask::package_zip(binary, VERSION, &os_arch).expect("package the provider");
    xtask::release::write_release_files(&release, VERSION, &os_arch, &zip).expect("release files");
    let signing =
        xtask::release::sign_release(&release, VERSION, RELEASE_KEY, Some(keyring.path()))
            .expect("sign the release");
    if impostor {
        let sums = release.join(format!("terraform-provider-msgraph_{VERSION}_SHA256SUMS"));
        xtask::gpg::sign_detached(&sums, IMPOSTOR_KEY, Some(keyring.path()))
            .expect("sign with the impostor key");
    }

    let site = work.join("site");
    std::fs::create_dir_all(&site).expect("site dir");
    let server = HttpsFileServer::start(&site);
    let host = format!("localhost:{}", server.port);
    let signed =
        xtask::registry::read_signed_release(&release, VERSION, vec![(os_arch, zip.clone())])
            .expect("read the signed release");
    xtask::registry::write_registry(&site, &host, NAMESPACE, &signed).expect("write the registry");
    let cert = work.join("ca.pem");
    std::fs::write(&cert, &server.cert_pem).expect("ca.pem");
    Registry {
        server,
        host,
        cert,
        key_id: signing.key_id,
        zip_sha256: xtask::hashes::sha256_hex(&zip),
    }
}

/// Runs `terraform init` against the registry with an empty CLI configuration: no
/// provider_installation block, so Terraform uses the registry named in `source`.
fn init_from_registry(work: &Path, registry: &Registry, terraform: &Path) -> (PathBuf, Output) {
    let dir = work.join(format!("init-{}", sanitize(terraform)));
    let source = format!("{}/{NAMESPACE}/msgraph", registry.host);
    write_config(&dir, &source);
    let cli_config = work.join("empty.tfrc");
    std::fs::write(
        &cli_config,
        "# no provider_installation: installs come from the registry\n",
    )
    .expect("cli config");
    let output = terraform_init(
        terraform,
        &dir,
        &cli_config,
        &[("SSL_CERT_FILE", &registry.cert)],
    );
    (dir, output)
}

fn text(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Publishes a registry (`impostor`: as [`publish`] says), runs `terraform init` against it with
/// every Terraform binary and checks each run (`check` gets the registry, the binary, the dir
/// init ran in, its output and that output as text); returns the paths Terraform fetched.
fn init_with_each_terraform(
    impostor: bool,
    check: impl Fn(&Registry, &Path, &Path, &Output, &str),
) -> Vec<String> {
    let keyring =
        ScratchKeyring::new(&[RELEASE_KEY, IMPOSTOR_KEY]).unwrap_or_else(|e| panic!("{e:#}"));
    let work = tempfile::tempdir().expect("tempdir");
    let registry = publish(work.path(), &keyring, impostor);
    for terraform in terraform_binaries() {
        let (dir, output) = init_from_registry(work.path(), &registry, &terraform);
        check(&registry, &terraform, &dir, &output, &text(&output));
    }
    registry.server.requested_paths()
}

#[test]
fn terraform_init_installs_from_a_private_registry_and_verifies_its_signature() {
    let requested = init_with_each_terraform(false, |registry, terraform, dir, output, shown| {
        assert!(
            output.status.success(),
            "{} init failed\n{shown}",
            terraform.display()
        );
        // Terraform checked the signature against the key the registry lists.
        assert!(
            shown.contains(&format!("(self-signed, key ID {})", registry.key_id)),
            "{} did not report the signing key {}\n{shown}",
            terraform.display(),
            registry.key_id
        );
        let lock = std::fs::read_to_string(dir.join(".terraform.lock.hcl")).expect("lock file");
        assert!(
            lock.contains(&format!(
                "provider \"{}/{NAMESPACE}/msgraph\"",
                registry.host
            )),
            "lock file names another provider:\n{lock}"
        );
        assert!(
            lock.contains(&format!("\"zh:{}\"", registry.zip_sha256)),
            "lock file lacks the zip's zh: hash from SHA256SUMS:\n{lock}"
        );
        assert!(
            lock.contains("\"h1:"),
            "lock file lacks an h1: hash:\n{lock}"
        );
        let os_arch = xtask::platform::host_os_arch().expect("host platform");
        let installed = dir
            .join(".terraform/providers")
            .join(&registry.host)
            .join(NAMESPACE)
            .join("msgraph")
            .join(VERSION)
            .join(&os_arch)
            .join(format!("terraform-provider-msgraph_v{VERSION}"));
        assert!(installed.is_file(), "{} not installed", installed.display());
    });
    let base = format!("/v1/providers/{NAMESPACE}/msgraph");
    let os_arch = xtask::platform::host_os_arch().expect("host platform");
    let (os, arch) = os_arch.split_once('_').expect("OS_ARCH");
    for expected in [
        "/.well-known/terraform.json".to_owned(),
        format!("{base}/versions"),
        format!("{base}/{VERSION}/download/{os}/{arch}"),
        format!("{base}/{VERSION}/terraform-provider-msgraph_{VERSION}_SHA256SUMS"),
        format!("{base}/{VERSION}/terraform-provider-msgraph_{VERSION}_SHA256SUMS.sig"),
        format!("{base}/{VERSION}/terraform-provider-msgraph_{VERSION}_{os_arch}.zip"),
    ] {
        assert!(
            requested.contains(&expected),
            "Terraform never fetched {expected}; it fetched {requested:?}"
        );
    }
}

#[test]
fn terraform_init_refuses_a_package_signed_by_another_key() {
    init_with_each_terraform(true, |registry, terraform, dir, output, shown| {
        assert!(
            !output.status.success(),
            "{} installed a package whose signature is not by the listed key\n{shown}",
            terraform.display()
        );
        // Terraform wraps its message; compare with whitespace collapsed.
        let words = shown.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.contains("authentication signature from unknown issuer"),
            "{} failed for another reason than the signature\n{shown}",
            terraform.display()
        );
        assert!(
            !dir.join(".terraform/providers")
                .join(&registry.host)
                .exists(),
            "{} left the refused provider installed",
            terraform.display()
        );
    });
}
