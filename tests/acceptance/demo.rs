//! `cargo xtask demo` walks examples/demo with real Terraform and shows, after each step, the
//! Graph requests it caused: nothing for init and plan, GET + PUT for the create, one GET for the
//! empty plan, a one-property PATCH for the update, the DELETE; no lock-file warning.

use std::path::Path;

/// The lines of `output` between the request heading of `command` number `nth` (0-based among
/// the headings) and the next blank line.
fn requests_after(output: &str, nth: usize) -> Vec<String> {
    let heading = output
        .match_indices("\n--- Graph requests during `terraform ")
        .nth(nth)
        .unwrap_or_else(|| panic!("no request heading number {nth} in:\n{output}"))
        .0;
    output[heading + 1..]
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with("    "))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn the_demo_shows_the_graph_requests_of_each_step() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for tf in crate::harness::terraform::terraforms() {
        let options = xtask::demo::DemoOptions {
            provider: env!("CARGO_BIN_EXE_terraform-provider-msgraph").into(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            terraform: tf.path.clone(),
            config: root.join("examples/demo"),
            color: false,
        };
        let mut out = Vec::new();
        let result = xtask::demo::run_demo(&options, &mut out);
        let output = String::from_utf8_lossy(&out).into_owned();
        assert!(
            result.is_ok(),
            "the demo failed on {}: {:?}\n{output}",
            tf.version,
            result.err()
        );
        assert!(
            !output.contains("Warning"),
            "a warning on {}:\n{output}",
            tf.version
        );
        assert!(
            !output.contains('\u{1b}'),
            "colours in piped output:\n{output}"
        );

        let partner = xtask::demo::DEMO_PARTNER_TENANT_ID;
        let path = format!(
            "/v1.0/policies/crossTenantAccessPolicy/partners/{partner}/identitySynchronization"
        );
        let token = format!("POST /{}/oauth2/v2.0/token -> 200 (sign-in; the form carries the client secret, not shown)", msgraph_sim::TENANT_ID);
        let none = vec!["(none)".to_owned()];
        // init, plan, apply, empty plan, update, destroy.
        assert_eq!(requests_after(&output, 0), none, "init\n{output}");
        assert_eq!(requests_after(&output, 1), none, "plan\n{output}");
        assert_eq!(
            requests_after(&output, 2),
            vec![
                token.clone(),
                format!("GET {path} -> 404"),
                format!("PUT {path} -> 204 {{\"displayName\":\"Fabrikam (demo partner)\",\"userSyncInbound\":{{\"isSyncAllowed\":true}}}}"),
            ],
            "apply\n{output}"
        );
        assert_eq!(
            requests_after(&output, 3),
            vec![token.clone(), format!("GET {path} -> 200")],
            "empty plan\n{output}"
        );
        let update = requests_after(&output, 4);
        assert_eq!(
            update.last(),
            Some(&format!(
                "PATCH {path} -> 204 {{\"userSyncInbound\":{{\"isSyncAllowed\":false}}}}"
            )),
            "update\n{output}"
        );
        assert_eq!(
            requests_after(&output, 5).last(),
            Some(&format!("DELETE {path} -> 204")),
            "destroy\n{output}"
        );
        assert!(output.contains("==> no changes after apply, as expected"));
    }
}
