//! The README's "Try it with your own configuration" walkthrough, run as written: its shell
//! block writes the dev_overrides CLI configuration, its `main.tf` is applied by real Terraform
//! against a simulator started with the README's flags, and the credentials it shows are the
//! ones the simulator accepts.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::harness::workdir::scrubbed_env;

const SECTION: &str = "## Try it with your own configuration";
/// The simulator address the README uses; the test substitutes the one it really got.
const README_SIM_ADDRESS: &str = "127.0.0.1:8080";

/// The fenced code blocks of the walkthrough section, as `(info string, body)`, with the list
/// indentation removed.
fn walkthrough_blocks() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme
        .find(SECTION)
        .unwrap_or_else(|| panic!("README.md has no {SECTION:?} section"));
    let section = &readme[start + SECTION.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let Some(info) = trimmed.strip_prefix("```") else {
            continue;
        };
        let indent = line.len() - trimmed.len();
        let mut body = String::new();
        for inner in lines.by_ref() {
            if inner.trim_start().starts_with("```") {
                break;
            }
            body.push_str(inner.get(indent..).unwrap_or(inner.trim_start()));
            body.push('\n');
        }
        blocks.push((info.trim().to_owned(), body));
    }
    blocks
}

/// The one block of `info` containing `needle`.
fn block(blocks: &[(String, String)], info: &str, needle: &str) -> String {
    let found: Vec<&String> = blocks
        .iter()
        .filter(|(i, body)| i == info && body.contains(needle))
        .map(|(_, body)| body)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one ```{info} block with {needle:?} in the walkthrough, found {}",
        found.len()
    );
    found[0].clone()
}

/// The value after `flag` in a shell command line.
fn flag_value(command: &str, flag: &str) -> String {
    let mut words = command.split_whitespace();
    words.by_ref().find(|w| *w == flag);
    words
        .next()
        .unwrap_or_else(|| panic!("{command:?} has no {flag} VALUE"))
        .to_owned()
}

/// A stand-in repository root whose `target/debug` is where cargo put the provider.
fn fake_checkout(work: &Path) -> PathBuf {
    let root = work.join("checkout");
    std::fs::create_dir_all(root.join("target")).expect("checkout");
    let debug = Path::new(env!("CARGO_BIN_EXE_terraform-provider-msgraph"))
        .parent()
        .expect("binary dir");
    std::os::unix::fs::symlink(debug, root.join("target/debug")).expect("symlink target/debug");
    root
}

#[test]
fn the_walkthrough_applies() {
    let blocks = walkthrough_blocks();
    let build = block(&blocks, "sh", "cargo build");
    assert!(
        build.contains("--package terraform-provider-msgraph"),
        "the build step builds another package: {build}"
    );
    let sim_command = block(&blocks, "sh", "msgraph-sim");
    assert_eq!(flag_value(&sim_command, "--listen"), README_SIM_ADDRESS);
    let partner = flag_value(&sim_command, "--partner");
    let cli_config_script = block(&blocks, "sh", "TF_CLI_CONFIG_FILE");
    let main_tf = block(&blocks, "hcl", "resource \"msgraph_");
    let apply = block(&blocks, "sh", "terraform apply");

    // The credentials shown are the simulator's default app, which it prints at start.
    for credential in [
        msgraph_sim::TENANT_ID,
        msgraph_sim::CLIENT_ID,
        msgraph_sim::CLIENT_SECRET,
    ] {
        assert!(
            main_tf.contains(&format!("\"{credential}\"")),
            "main.tf does not use the simulator's {credential}"
        );
    }
    assert!(main_tf.contains("use_cli        = false"), "{main_tf}");

    for tf in crate::harness::terraform::terraforms() {
        let work = tempfile::tempdir().expect("tempdir");
        let checkout = fake_checkout(work.path());
        let home = work.path().join("home");
        std::fs::create_dir_all(&home).expect("home");

        // Step 3 as written: the shell block, run from the repository root.
        let output = Command::new("bash")
            .arg("-ec")
            .arg(format!(
                "{cli_config_script}\nprintf %s \"$TF_CLI_CONFIG_FILE\""
            ))
            .current_dir(&checkout)
            .env("HOME", &home)
            .env("PWD", &checkout)
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "the CLI configuration step failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let cli_config = PathBuf::from(String::from_utf8_lossy(&output.stdout).into_owned());
        assert!(cli_config.starts_with(&home), "{}", cli_config.display());

        // Step 2: the simulator with the README's partner, on a free port.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let sim = msgraph_sim::Sim::new();
        sim.add_partner(&partner);
        let server = runtime.block_on(sim.spawn());
        let address = server.url.trim_start_matches("http://").to_owned();

        // Steps 4 and 5: main.tf in an empty directory, `terraform apply` answered with "yes".
        let dir = work.path().join("config");
        std::fs::create_dir_all(&dir).expect("config dir");
        std::fs::write(
            dir.join("main.tf"),
            main_tf.replace(README_SIM_ADDRESS, &address),
        )
        .expect("main.tf");
        let run = |args: &[&str], stdin: &str| {
            // A user's shell: none of the test runner's TF_* (or credential) variables.
            let mut child = Command::new(&tf.path)
                .args(args)
                .current_dir(&dir)
                .env_clear()
                .envs(scrubbed_env())
                .env("HOME", &home)
                .env("TF_CLI_CONFIG_FILE", &cli_config)
                .env("CHECKPOINT_DISABLE", "1")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("terraform runs");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(stdin.as_bytes())
                .expect("answer the prompt");
            let output = child.wait_with_output().expect("terraform finishes");
            let text = format!(
                "terraform {} {args:?}:\nstdout:\n{}\nstderr:\n{}\nsimulator log:\n{}",
                tf.version,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
                server.request_log_text()
            );
            (output.status.code(), text)
        };
        let words: Vec<&str> = apply.split_whitespace().collect();
        assert_eq!(words, ["terraform", "apply"], "step 5 runs another command");
        let (code, text) = run(&["apply"], "yes\n");
        assert_eq!(code, Some(0), "{text}");
        assert!(
            text.contains("Apply complete! Resources: 1 added"),
            "{text}"
        );
        let writes: Vec<String> = server
            .requests()
            .iter()
            .filter(|r| r.method != "GET" && !r.path.contains("/oauth2/"))
            .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
            .collect();
        assert_eq!(
            writes,
            vec![format!(
                "PUT /v1.0/policies/crossTenantAccessPolicy/partners/{partner}/identitySynchronization -> 204"
            )],
            "{text}"
        );
        let policy = server
            .policy(&partner)
            .expect("the policy exists in the simulator");
        assert_eq!(policy["userSyncInbound"]["isSyncAllowed"], true, "{policy}");
        // And it converged: the next plan is empty.
        let (code, text) = run(&["plan", "-detailed-exitcode"], "");
        assert_eq!(code, Some(0), "{text}");
        drop(server);
        runtime.shutdown_background();
    }
}
