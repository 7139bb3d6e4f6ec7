//! `cargo xtask demo` walks examples/demo with real Terraform and shows, after each step, the
//! Graph requests it caused: nothing for init and plan, the partner configuration's POST then the
//! policy's GET + PUT for the create, one GET per resource for the empty plan, a one-property
//! PATCH for the update, the policy's DELETE before the partner's; no lock-file warning.

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
        let partners = "/v1.0/policies/crossTenantAccessPolicy/partners";
        let partner_path = format!("{partners}/{partner}");
        let path = format!("{partner_path}/identitySynchronization");
        let token = format!("POST /{}/oauth2/v2.0/token -> 200 (sign-in; the form carries the client secret, not shown)", msgraph_sim::TENANT_ID);
        let none = vec!["(none)".to_owned()];
        // init, plan, apply, empty plan, update, destroy.
        assert_eq!(requests_after(&output, 0), none, "init\n{output}");
        assert_eq!(requests_after(&output, 1), none, "plan\n{output}");
        // The partner configuration first (the policy refers to it), then the policy.
        let apply = requests_after(&output, 2);
        assert_eq!(apply.len(), 4, "apply\n{output}");
        assert_eq!(apply[0], token, "apply\n{output}");
        assert!(
            apply[1].starts_with(&format!("POST {partners} -> 201 "))
                && apply[1].contains("\"automaticUserConsentSettings\":{\"inboundAllowed\":true}")
                && apply[1].contains(&format!("\"tenantId\":\"{partner}\"")),
            "apply\n{output}"
        );
        assert_eq!(
            apply[2..],
            [
                format!("GET {path} -> 404"),
                format!("PUT {path} -> 204 {{\"displayName\":\"Fabrikam (demo partner)\",\"userSyncInbound\":{{\"isSyncAllowed\":true}}}}"),
            ],
            "apply\n{output}"
        );
        // Refreshes run in parallel: one GET per resource, in any order.
        let mut refresh = requests_after(&output, 3);
        refresh.sort();
        let mut expected = vec![
            token.clone(),
            format!("GET {partner_path} -> 200"),
            format!("GET {path} -> 200"),
        ];
        expected.sort();
        assert_eq!(refresh, expected, "empty plan\n{output}");
        let update = requests_after(&output, 4);
        let patches: Vec<&String> = update.iter().filter(|r| r.starts_with("PATCH")).collect();
        assert_eq!(
            patches,
            [&format!(
                "PATCH {path} -> 204 {{\"userSyncInbound\":{{\"isSyncAllowed\":false}}}}"
            )],
            "update\n{output}"
        );
        // The policy goes first, and only then its partner configuration.
        let destroy = requests_after(&output, 5);
        let position = |line: &str| {
            destroy
                .iter()
                .position(|r| r == line)
                .unwrap_or_else(|| panic!("no {line:?} in destroy\n{output}"))
        };
        assert!(
            position(&format!("DELETE {path} -> 204"))
                < position(&format!("DELETE {partner_path} -> 204")),
            "destroy order\n{output}"
        );
        assert!(output.contains("==> no changes after apply, as expected"));
    }
}
