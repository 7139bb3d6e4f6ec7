//! Requests per operation for the cross-tenant access resources (BENCHMARKS.md): N partner
//! configurations and the default settings, counted in the simulator's request log per
//! Terraform command, on every Terraform version.

use crate::access_partner::partner_hcl;
use crate::harness::config::hcl_string;
use crate::harness::{for_each_terraform, Scenario};

const N: usize = 10;

fn tenant(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

fn config(s: &Scenario, mfa: bool) -> String {
    let trust = format!("  inbound_trust {{\n    is_mfa_accepted = {mfa}\n  }}");
    let mut blocks: Vec<String> = (0..N)
        .map(|i| partner_hcl(&format!("p{i}"), &hcl_string(&tenant(i)), &[&trust]))
        .collect();
    blocks.push(format!(
        "resource \"msgraph_cross_tenant_access_default\" \"d\" {{\n{trust}\n}}\n"
    ));
    s.file(&blocks)
}

/// (partner requests by method, default requests by method) of one command.
fn count(s: &Scenario, args: &[&str]) -> (Vec<String>, Vec<String>) {
    s.sim.clear_requests();
    s.tf_ok(args);
    let calls = s.graph_calls();
    let methods = |default: bool| -> Vec<String> {
        let mut m: Vec<String> = calls
            .iter()
            .filter(|c| c.path.contains("/default") == default)
            .map(|c| c.method.clone())
            .collect();
        m.sort();
        m
    };
    (methods(false), methods(true))
}

/// `methods` each `n` times, sorted as [`count`] sorts.
fn times(methods: &[&str], n: usize) -> Vec<String> {
    let mut all: Vec<String> = methods
        .iter()
        .flat_map(|m| vec![m.to_string(); n])
        .collect();
    all.sort();
    all
}

/// One command and the requests it must send: per partner, and for the default settings.
struct Expected {
    name: &'static str,
    args: &'static [&'static str],
    per_partner: &'static [&'static str],
    default: &'static [&'static str],
}

const OPERATIONS: [Expected; 4] = [
    Expected {
        name: "create",
        args: &["apply", "-auto-approve", "-input=false"],
        per_partner: &["POST"],
        default: &["GET", "PATCH"],
    },
    Expected {
        name: "refresh",
        args: &["plan", "-input=false"],
        per_partner: &["GET"],
        default: &["GET"],
    },
    Expected {
        name: "update",
        args: &["apply", "-auto-approve", "-input=false", "-refresh=false"],
        per_partner: &["PATCH"],
        default: &["PATCH"],
    },
    Expected {
        name: "delete",
        args: &["destroy", "-auto-approve", "-input=false", "-refresh=false"],
        // the DELETE, and the GET confirming it (404) before Terraform moves on
        per_partner: &["DELETE", "GET"],
        default: &["POST"],
    },
];

#[test]
fn one_request_per_operation_for_partners_and_get_patch_for_default_create() {
    for_each_terraform(|s| {
        s.dir.write_config(&config(s, true));
        for Expected {
            name,
            args,
            per_partner: partner_method,
            default: default_methods,
        } in OPERATIONS
        {
            if name == "update" {
                s.dir.write_config(&config(s, false));
            }
            let (partner, default) = count(s, args);
            s.expect_eq(
                &format!("partner requests of {name} for {N} partners"),
                partner,
                times(partner_method, N),
            );
            s.expect_eq(
                &format!("default settings requests of {name}"),
                default,
                default_methods.iter().map(|m| m.to_string()).collect(),
            );
            println!(
                "Terraform {}: {name}: {partner_method:?} per partner, default {default_methods:?}",
                s.tf.version
            );
        }
    });
}
