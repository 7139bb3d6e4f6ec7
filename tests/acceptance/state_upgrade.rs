//! Upgrades are invisible: state files written by the provider before the declarative layer
//! (release 0.1.0, and main before the access resources) plan empty with this build, on every Terraform version.
//!
//! The fixtures under `fixtures/state_0_1_0/` were written by the old build with the
//! configuration below. To write them again (only ever with the old build):
//! `MSGRAPH_RECORD_STATE_FIXTURES=1 cargo test --test acceptance -- state_upgrade`.

use std::path::PathBuf;

use crate::harness::config::{self, with_timeouts};
use crate::harness::{for_each_terraform, graph_policy, Scenario, Step};

const WITH_NAME: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";
const WITHOUT_NAME: &str = "3d0f5dba-6a38-4c8e-9d1e-2b8f6e4a7c51";
const WITH_TIMEOUTS: &str = "5b2c4f7e-1d3a-4e8b-9c6f-0a7d2e9b4c13";
const UPPER_CASE: &str = "C0FFEE00-1234-4ABC-8DEF-0123456789AB";

/// Four resources: with and without display_name, with a timeouts block, upper-case tenant ID.
fn configuration(s: &Scenario) -> String {
    s.file(&[
        config::resource("with_name", WITH_NAME, Some("Contoso"), true),
        config::resource("without_name", WITHOUT_NAME, None, false),
        with_timeouts(
            &config::resource("with_timeouts", WITH_TIMEOUTS, Some("Fabrikam"), true),
            &[("create", "10m"), ("delete", "2m")],
        ),
        config::resource("upper_case", UPPER_CASE, None, true),
    ])
}

/// What Graph holds for those four (lower-case keys, as Graph answers).
fn seed_graph(s: &Scenario) {
    s.sim
        .set_policy(WITH_NAME, graph_policy(WITH_NAME, Some("Contoso"), true));
    s.sim
        .set_policy(WITHOUT_NAME, graph_policy(WITHOUT_NAME, None, false));
    s.sim.set_policy(
        WITH_TIMEOUTS,
        graph_policy(WITH_TIMEOUTS, Some("Fabrikam"), true),
    );
    s.sim
        .set_policy(UPPER_CASE, graph_policy(UPPER_CASE, None, true));
}

fn fixture(s: &Scenario) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/acceptance/fixtures/state_0_1_0")
        .join(format!("terraform-{}.tfstate", s.tf.version))
}

#[test]
fn state_from_0_1_0_plans_empty() {
    for_each_terraform(|s| {
        let path = fixture(s);
        if std::env::var_os("MSGRAPH_RECORD_STATE_FIXTURES").is_some() {
            for t in [WITH_NAME, WITHOUT_NAME, WITH_TIMEOUTS, UPPER_CASE] {
                s.sim.add_partner(t);
            }
            s.step(Step::new(configuration(s)));
            let state = s
                .dir
                .read_file("terraform.tfstate")
                .unwrap_or_else(|| s.fail("no terraform.tfstate after apply"));
            std::fs::create_dir_all(path.parent().unwrap_or(&path))
                .unwrap_or_else(|e| s.fail(&format!("cannot create the fixture dir: {e}")));
            std::fs::write(&path, state)
                .unwrap_or_else(|e| s.fail(&format!("cannot write {}: {e}", path.display())));
            return;
        }
        let old_state = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| s.fail(&format!("cannot read {}: {e}", path.display())));
        seed_graph(s);
        s.dir.write_config(&configuration(s));
        s.dir.write_file("terraform.tfstate", &old_state);
        s.expect_empty_plan();
        s.expect_eq(
            "Graph writes of plans over old state",
            s.write_calls(),
            vec![],
        );
    });
}
