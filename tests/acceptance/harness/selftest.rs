//! The harness's own checks: Terraform binaries found and verified, dirs and HCL well formed.

use serde_json::json;

use super::config;
use super::scenario::missing_needles;
use super::state::{lookup, Plan, State};
use super::terraform::{sha256_hex, target_dir, terraforms};
use super::workdir::Workdir;
use super::{for_each_terraform, RESOURCE};

#[test]
fn both_terraform_versions_are_found_and_hash_verified() {
    let all = terraforms();
    let versions: Vec<&str> = all.iter().map(|t| t.version.as_str()).collect();
    // The newer slot takes any Terraform 1.5 or later (CI: 1.11.4); the oldest is pinned.
    assert_eq!(versions[1], "1.0.3");
    assert_eq!(versions.len(), 2);
    let cached = target_dir().join("terraform-1.0.3").join("terraform");
    assert_eq!(
        all[1].path, cached,
        "1.0.3 runs from the cache under target/"
    );
    let bytes = std::fs::read(&cached).expect("the cached 1.0.3 binary is readable");
    assert_eq!(
        sha256_hex(&bytes),
        "a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304"
    );
    assert!(all[0].at_least(1, 5) && !all[1].at_least(1, 5));
}

#[test]
fn harness_runs_terraform_version_json_in_a_workdir() {
    for tf in terraforms() {
        let dir = Workdir::new(tf, "version");
        let out = dir.run(&["version", "-json"]);
        assert!(out.success(), "{out}");
        let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("version JSON");
        assert_eq!(json["terraform_version"], json!(tf.version), "{out}");
        // our CLI config replaced the stale one from the environment: no warning about it
        assert!(!out.stderr.contains(".terraformrc"), "{out}");
    }
}

#[test]
fn harness_cli_config_overrides_the_provider_with_the_built_binary() {
    let dir = Workdir::new(&terraforms()[0], "cli-config");
    let text = std::fs::read_to_string(dir.path().join("../cli.tfrc")).expect("cli.tfrc");
    let provider_dir = super::workdir::provider_dir();
    assert!(text.contains("dev_overrides"), "{text}");
    assert!(
        text.contains(&format!(
            "\"registry.terraform.io/entra/msgraph\" = \"{}\"",
            provider_dir.display()
        )),
        "{text}"
    );
    assert!(provider_dir.join("terraform-provider-msgraph").is_file());
}

#[test]
fn harness_environment_is_scrubbed_and_set() {
    let mut dir = Workdir::new(&terraforms()[0], "env");
    dir.set_env("TF_LOG", "trace");
    dir.remove_env("TF_LOG");
    dir.set_env("TF_VAR_probe", "42");
    let env = dir.child_env(std::env::vars());
    let get = |k: &str| {
        env.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("CHECKPOINT_DISABLE"), Some("1"));
    assert_eq!(get("TF_IN_AUTOMATION"), Some("1"));
    assert_eq!(get("TF_INPUT"), Some("0"));
    assert_eq!(get("TF_VAR_probe"), Some("42"));
    assert_eq!(get("TF_LOG"), None);
    let cli = get("TF_CLI_CONFIG_FILE").expect("TF_CLI_CONFIG_FILE is set");
    assert!(cli.ends_with("cli.tfrc"), "{cli}");
    assert!(get("NO_PROXY").is_some_and(|v| v.contains("127.0.0.1")));
    // a leaked credential from the developer's shell never reaches Terraform
    let leaky = vec![
        ("ARM_CLIENT_SECRET".to_string(), "leak".to_string()),
        ("AZURE_CLIENT_ID".to_string(), "leak".to_string()),
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL".to_string(),
            "leak".to_string(),
        ),
        ("TF_LOG".to_string(), "trace".to_string()),
        ("PATH".to_string(), "/usr/bin".to_string()),
    ];
    let env = dir.child_env(leaky.into_iter());
    assert!(env.iter().all(|(_, v)| v != "leak"), "{env:?}");
    assert!(env.iter().any(|(k, v)| k == "PATH" && v == "/usr/bin"));
    assert!(!env.iter().any(|(k, _)| k == "TF_LOG"));
}

/// Every rendered block is valid, canonically formatted HCL for both Terraform versions.
#[test]
fn harness_renders_canonical_hcl() {
    let mut blocks = vec![
        config::resource(
            "a",
            "90e29127-71ad-49c7-9ce8-db3f41ea06f1",
            Some("Contoso"),
            true,
        ),
        config::resource("b", "90e29127-71ad-49c7-9ce8-db3f41ea06f2", None, false),
        config::resource_expr("c", "lower(\"X\")", Some("C"), true),
        config::data_source("d", "90e29127-71ad-49c7-9ce8-db3f41ea06f1"),
        config::output(
            "o",
            &format!("data.{RESOURCE}.d.user_sync_inbound.is_sync_allowed"),
        ),
    ];
    blocks.extend(config::outputs(
        &format!("data.{RESOURCE}.d"),
        &[("name", "display_name"), ("id", "id")],
    ));
    for tf in terraforms() {
        let dir = Workdir::new(tf, "fmt");
        dir.write_config(&config::file("http://127.0.0.1:1", &blocks));
        dir.write_file(
            "secret.tf",
            &config::provider_with("http://127.0.0.1:1", &config::Secret::Variable)
                .replace("provider \"msgraph\"", "provider \"msgraph2\""),
        );
        if tf.at_least(1, 5) {
            dir.write_file(
                "import.tf",
                &config::import_block(&format!("{RESOURCE}.a"), "x"),
            );
        }
        let out = dir.run(&["fmt", "-check", "-diff"]);
        assert!(out.success(), "{out}");
    }
}

#[test]
fn harness_hcl_strings_are_escaped() {
    assert_eq!(config::hcl_string(r#"a"b\c"#), r#""a\"b\\c""#);
    assert_eq!(config::hcl_string("${x}%{y}$z"), r#""$${x}%%{y}$z""#);
    assert_eq!(config::hcl_string("l1\nl2"), r#""l1\nl2""#);
}

#[test]
fn harness_reads_show_json() {
    let state = State::parse(
        &json!({
            "format_version": "1.0",
            "values": {
                "outputs": {"allowed": {"sensitive": false, "value": true}},
                "root_module": {"resources": [{
                    "address": "msgraph_cross_tenant_identity_sync.x",
                    "mode": "managed",
                    "values": {"id": "t", "display_name": null,
                               "user_sync_inbound": {"is_sync_allowed": true}}
                }]}
            }
        })
        .to_string(),
    )
    .expect("state parses");
    let x = "msgraph_cross_tenant_identity_sync.x";
    assert_eq!(
        state.attr(x, "user_sync_inbound.is_sync_allowed"),
        Some(json!(true))
    );
    assert_eq!(state.attr(x, "display_name"), Some(json!(null)));
    assert_eq!(state.attr("nope.x", "id"), None);
    assert_eq!(state.output("allowed"), Some(&json!(true)));
    assert_eq!(lookup(&json!({"l": [{"a": 1}]}), "l.0.a"), json!(1));
    // an empty state has no "values" at all
    assert!(State::parse(r#"{"format_version":"1.0"}"#)
        .expect("parses")
        .resources()
        .is_empty());

    let plan = Plan::parse(
        &json!({"resource_changes": [{
            "address": x,
            "change": {"actions": ["delete", "create"], "before": {"tenant_id": "a"},
                       "after": {"tenant_id": "b"}, "after_unknown": {"id": true},
                       "replace_paths": [["tenant_id"]]}
        }]})
        .to_string(),
    )
    .expect("plan parses");
    assert_eq!(plan.actions(x), ["delete", "create"]);
    assert_eq!(plan.changed_addresses(), [x]);
    assert_eq!(plan.before(x, "tenant_id"), json!("a"));
    assert!(plan.after_unknown(x, "id") && !plan.after_unknown(x, "tenant_id"));
    assert_eq!(plan.replace_paths(x), Some(vec![json!(["tenant_id"])]));
}

#[test]
fn harness_error_matching_ignores_wrapping_and_case() {
    let output = "Error: Partner configuration\n│ missing: create it with\n│   POST /partners";
    assert!(missing_needles(output, &["partner configuration missing", "with post"]).is_empty());
    assert_eq!(missing_needles(output, &["AADSTS"]), ["AADSTS"]);
}

/// The runner gives each version its own simulator and dir, and runs them all.
#[test]
fn harness_runner_runs_every_version_with_its_own_simulator() {
    let seen = std::sync::Mutex::new(Vec::new());
    for_each_terraform(|s| {
        let out = s.tf_ok(&["version", "-json"]);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("version JSON");
        s.expect_eq(
            "version",
            json["terraform_version"].clone(),
            json!(s.tf.version),
        );
        s.expect(
            s.url.starts_with("http://127.0.0.1:"),
            "the simulator listens on loopback",
        );
        seen.lock()
            .expect("lock")
            .push((s.tf.version.clone(), s.url.clone()));
    });
    let mut seen = seen.into_inner().expect("lock");
    seen.sort();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, "1.0.3");
    assert_eq!(seen[1].0, terraforms()[0].version);
    assert_ne!(seen[0].1, seen[1].1, "each version has its own simulator");
}

/// The step machinery (plan -out, apply, empty plans, show -json, expected errors, destroy) on
/// a configuration that needs no provider, so it checks the harness alone.
#[test]
fn harness_steps_apply_check_and_expect_errors() {
    use super::{Check, Step};
    let good = "output \"greeting\" {\n  value = \"hello\"\n}\n";
    for_each_terraform(|s| {
        let state =
            s.step(Step::new(good.to_string()).check(Check::output("greeting", json!("hello"))));
        s.expect_eq(
            "output",
            state.output("greeting").cloned(),
            Some(json!("hello")),
        );
        s.step(
            Step::new("output \"greeting\" {\n  value = file(\"missing.txt\")\n}\n".to_string())
                .expect_error(&["missing.txt"])
                .check(Check::output("greeting", json!("hello"))),
        );
        s.dir.write_config(good);
        s.destroy_and_check(&[]);
        // the failing step's error was printed by Terraform, not invented by the harness
        let last_error = s.history().into_iter().rev().find(|o| !o.success());
        s.expect(last_error.is_some(), "a failed command was recorded");
    });
}
