//! The data source's scenarios: values read from Graph usable in expressions on every version.

use serde_json::json;

use crate::harness::config;
use crate::harness::{for_each_terraform, graph_policy, Check, Step, RESOURCE};

const T1: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";

#[test]
fn data_source_reads_the_policy_into_outputs() {
    for_each_terraform(|s| {
        s.sim
            .set_policy(T1, graph_policy(T1, Some("Contoso"), true));
        let cfg = |s: &crate::harness::Scenario| {
            s.file(&[
                config::data_source("x", T1),
                config::output(
                    "allowed",
                    &format!("data.{RESOURCE}.x.user_sync_inbound.is_sync_allowed"),
                ),
                config::output("name", &format!("data.{RESOURCE}.x.display_name")),
                config::output("id", &format!("data.{RESOURCE}.x.id")),
            ])
        };
        s.step(
            Step::new(cfg(s))
                .check(Check::output("allowed", json!(true)))
                .check(Check::output("name", json!("Contoso")))
                .check(Check::output("id", json!(T1))),
        );
        s.expect_eq("Graph writes of a data source", s.write_calls(), vec![]);

        // a later run sees Graph's new values
        s.sim
            .set_policy(T1, graph_policy(T1, Some("Contoso Ltd"), false));
        s.step(
            Step::new(cfg(s))
                .check(Check::output("allowed", json!(false)))
                .check(Check::output("name", json!("Contoso Ltd"))),
        );
        s.expect_eq("Graph writes of a data source", s.write_calls(), vec![]);
    });
}
