//! The data source's scenarios: values read from Graph usable in expressions on every version.

use serde_json::json;

use crate::harness::config;
use crate::harness::{for_each_terraform, graph_policy, Step, RESOURCE};

const T1: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";

#[test]
fn data_source_reads_the_policy_into_outputs() {
    for_each_terraform(|s| {
        s.sim
            .set_policy(T1, graph_policy(T1, Some("Contoso"), true));
        let outputs = config::outputs(
            &format!("data.{RESOURCE}.x"),
            &[
                ("allowed", "user_sync_inbound.is_sync_allowed"),
                ("name", "display_name"),
                ("id", "id"),
            ],
        );
        let cfg = s.file(&[vec![config::data_source("x", T1)], outputs].concat());
        s.step(Step::new(cfg.clone()).check_outputs(&[
            ("allowed", json!(true)),
            ("name", json!("Contoso")),
            ("id", json!(T1)),
        ]));
        s.expect_eq("Graph writes of a data source", s.write_calls(), vec![]);

        // a later run sees Graph's new values
        s.sim
            .set_policy(T1, graph_policy(T1, Some("Contoso Ltd"), false));
        s.step(
            Step::new(cfg)
                .check_outputs(&[("allowed", json!(false)), ("name", json!("Contoso Ltd"))]),
        );
        s.expect_eq("Graph writes of a data source", s.write_calls(), vec![]);
    });
}
