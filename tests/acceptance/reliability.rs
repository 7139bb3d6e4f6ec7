//! Reliability at the Terraform level: throttling, consistency, failed writes, secrets, load.

use std::time::{Duration, SystemTime};

use msgraph_sim::FaultKind;
use serde_json::json;

use crate::harness::config::{self, Secret};
use crate::harness::scenario::is_graph;
use crate::harness::workdir::Running;
use crate::harness::{
    fault, for_each_terraform, graph_error, graph_policy, policy_path, status, Call, Check,
    Scenario, Step,
};

const T1: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";
const X: &str = "msgraph_cross_tenant_identity_sync.x";

fn one(s: &Scenario, display_name: Option<&str>, allowed: bool) -> String {
    s.file(&[config::resource("x", T1, display_name, allowed)])
}

/// Statuses of the recorded Graph calls with `method` (0: no answer was sent), in order.
pub(crate) fn statuses(s: &Scenario, method: &str) -> Vec<u16> {
    s.graph_calls()
        .iter()
        .filter(|c| c.method == method)
        .map(|c| c.status)
        .collect()
}

/// How many PUTs Graph accepted (204).
fn successful_puts(s: &Scenario) -> usize {
    statuses(s, "PUT")
        .into_iter()
        .filter(|st| *st == 204)
        .count()
}

/// Interrupts `running` as Ctrl-C does and expects Terraform to stop on its own within seconds,
/// report failure and say it cancelled; `during` names what was interrupted.
pub(crate) fn interrupt_expecting_cancel(s: &Scenario, running: Running, during: &str) {
    let interrupted = std::time::Instant::now();
    running.interrupt();
    // far below a 60 s Retry-After or a hung request's deadline, generous for a loaded machine
    let (out, in_time) = s.finish(running, Duration::from_secs(30));
    s.expect(
        in_time,
        "terraform exited after Ctrl-C without being killed",
    );
    s.expect(
        interrupted.elapsed() < Duration::from_secs(20),
        &format!(
            "Ctrl-C {during} returned after {:?}, expected a few seconds",
            interrupted.elapsed()
        ),
    );
    s.expect(!out.success(), "an interrupted apply reports failure");
    s.expect_output_contains(&out, &["cancel"]);
}

/// The bearer token a request carried.
fn bearer(r: &msgraph_sim::RecordedRequest) -> Option<&str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.strip_prefix("Bearer "))
}

/// Text that means the provider crashed instead of answering with a diagnostic.
fn expect_no_crash(s: &Scenario) {
    for out in s.history() {
        let text = out.combined();
        for crash in [
            "panicked at",
            "plugin exited",
            "Plugin did not respond",
            "plugin crashed",
        ] {
            if text.contains(crash) {
                s.fail(&format!(
                    "`terraform {}` shows a provider crash: {crash}",
                    out.args.join(" ")
                ));
            }
        }
    }
}

#[test]
fn throttling_with_retry_after_on_every_verb_lands_each_write_once() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        let throttled = || {
            status(
                429,
                Some("1"),
                Some(graph_error("TooManyRequests", "Too many requests")),
            )
        };
        s.sim.inject(fault("GET", 1, throttled()));
        s.sim.inject(fault("PUT", 1, throttled()));
        s.step(Step::new(one(s, Some("A"), true)).check(Check::present(X)));
        s.expect_eq("PUT statuses", statuses(s, "PUT"), vec![429, 204]);
        s.expect_eq(
            "first GET status",
            statuses(s, "GET").first().copied(),
            Some(429),
        );

        s.sim.inject(fault("PATCH", 1, throttled()));
        s.step(Step::new(one(s, Some("B"), true)).check(Check::attr(
            X,
            "display_name",
            json!("B"),
        )));
        s.expect_eq("PATCH statuses", statuses(s, "PATCH"), vec![429, 204]);

        s.sim.inject(fault("DELETE", 1, throttled()));
        s.destroy_and_check(&[T1]);
        s.expect_eq("DELETE statuses", statuses(s, "DELETE"), vec![429, 204]);
        expect_no_crash(s);
    });
}

#[test]
fn service_unavailable_gateway_timeout_and_http_date_retry_after_are_retried() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.sim.inject(fault("GET", 1, status(503, None, None)));
        s.sim.inject(fault("PUT", 1, status(504, None, None)));
        s.sim.inject(fault("PUT", 1, status(503, Some("1"), None)));
        s.step(Step::new(one(s, Some("A"), true)).check(Check::present(X)));
        s.expect_eq("PUT statuses", statuses(s, "PUT"), vec![504, 503, 204]);

        // several in a row, Retry-After as an HTTP date
        let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
        s.sim
            .inject(fault("PATCH", 2, status(429, Some(&when), None)));
        s.step(Step::new(one(s, Some("A"), false)));
        s.expect_eq("PATCH statuses", statuses(s, "PATCH"), vec![429, 429, 204]);
        s.expect_policy(T1, Some("A"), false);
        expect_no_crash(s);
    });
}

#[test]
fn dropped_connection_is_retried_and_garbage_fails_cleanly() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.sim.inject(fault("GET", 1, FaultKind::Reset));
        s.step(Step::new(one(s, Some("A"), true)).check(Check::present(X)));
        s.expect_eq("successful PUTs", successful_puts(s), 1);

        // an HTML error page and truncated JSON where Graph's JSON belongs: a diagnostic, no crash
        for (content_type, body) in [
            (
                "text/html",
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
            ),
            ("application/json", "{\"displayName\": \"A\", \"userSyncIn"),
        ] {
            s.sim.inject(fault(
                "GET",
                1,
                FaultKind::RawBody {
                    status: 200,
                    content_type: content_type.to_string(),
                    body: body.to_string(),
                },
            ));
            let out = s.tf(&["plan", "-input=false"]);
            s.expect(!out.success(), "a plan reading garbage from Graph fails");
            s.expect_output_contains(&out, &["Error"]);
        }
        expect_no_crash(s);
    });
}

#[test]
fn eventual_consistency_does_not_drop_or_break_the_apply() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.sim.set_consistency_delay(Duration::from_secs(3));
        // the step's refresh plan right after apply runs inside the 3 s window
        s.step(Step::new(one(s, Some("A"), true)).check(Check::present(X)));
        s.step(
            Step::new(one(s, Some("B"), false))
                .check(Check::attr(X, "display_name", json!("B")))
                .check(Check::attr(
                    X,
                    "user_sync_inbound.is_sync_allowed",
                    json!(false),
                )),
        );
        for out in s.history() {
            if out.combined().contains("inconsistent result after apply") {
                s.fail("Terraform reported an inconsistent result after apply");
            }
        }
        s.expect_eq("successful PUTs", successful_puts(s), 1);
        s.expect_policy(T1, Some("B"), false);
    });
}

#[test]
fn failed_update_keeps_the_prior_state_and_plans_the_change_again() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.step(Step::new(one(s, Some("A"), true)));
        let bad = graph_error(
            "Request_BadRequest",
            "Invalid value specified for property 'displayName'.",
        );
        s.sim
            .inject(fault("PATCH", 1, status(400, None, Some(bad))));
        s.step(
            Step::new(one(s, Some("B"), true))
                .expect_error(&["Request_BadRequest"])
                .check(Check::attr(X, "display_name", json!("A"))),
        );
        s.expect_policy(T1, Some("A"), true);
        s.expect_eq(
            "plan exit code after the failed update",
            s.plan_exit_code(&[]),
            2,
        );

        s.sim.clear_requests();
        s.step(Step::new(one(s, Some("B"), true)).check(Check::attr(
            X,
            "display_name",
            json!("B"),
        )));
        s.expect_eq(
            "writes of the retried update",
            s.write_calls(),
            vec![Call::new(
                "PATCH",
                &policy_path(T1),
                204,
                Some(json!({"displayName": "B"})),
            )],
        );
    });
}

#[test]
fn create_timeout_bounds_a_hung_request() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.sim.inject(fault("PUT", 10, FaultKind::Hang));
        let resource = config::with_timeouts(
            &config::resource("x", T1, Some("A"), true),
            &[("create", "5s")],
        );
        let started = std::time::Instant::now();
        s.step(
            Step::new(s.file(&[resource]))
                .expect_error(&[])
                .check(Check::absent(X)),
        );
        let text = s
            .history()
            .into_iter()
            .rev()
            .find(|o| !o.success())
            .map(|o| o.combined().to_lowercase())
            .unwrap_or_default();
        s.expect(
            ["timeout", "timed out", "deadline"]
                .iter()
                .any(|w| text.contains(w)),
            "the error says the operation timed out",
        );
        // generous sanity bound: far below a hang, far above the 5 s timeout
        s.expect(
            started.elapsed() < Duration::from_secs(90),
            "the timeout bounded the apply",
        );
        expect_no_crash(s);
    });
}

#[test]
fn hand_written_state_with_wrong_types_is_a_clear_error() {
    for_each_terraform(|s| {
        s.sim.set_policy(T1, graph_policy(T1, Some("A"), true));
        s.dir.write_config(&one(s, Some("A"), true));
        let state = json!({
            "version": 4, "terraform_version": "1.0.3", "serial": 1,
            "lineage": "6c1d3b8e-2f4a-4d9b-8e7f-0a1b2c3d4e5f", "outputs": {},
            "resources": [{
                "mode": "managed", "type": "msgraph_cross_tenant_identity_sync", "name": "x",
                "provider": "provider[\"registry.terraform.io/entra/msgraph\"]",
                "instances": [{"schema_version": 0, "attributes": {
                    "id": T1, "tenant_id": T1, "display_name": "A",
                    "user_sync_inbound": {"is_sync_allowed": "maybe"}, "timeouts": null
                }}]
            }]
        });
        s.dir.write_file("terraform.tfstate", &state.to_string());
        let out = s.tf_err(&["plan", "-input=false"]);
        s.expect_output_contains(&out, &["is_sync_allowed"]);
        s.expect_eq("Graph writes", s.write_calls(), vec![]);
        expect_no_crash(s);
    });
}

#[test]
fn trace_logs_and_state_hold_no_secret_or_token() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.dir
            .set_env("TF_VAR_client_secret", msgraph_sim::CLIENT_SECRET);
        s.dir.set_env("TF_LOG", "trace");
        let cfg = |name: &str| {
            config::file_with(
                &s.url,
                &Secret::Variable,
                &[config::resource("x", T1, Some(name), true)],
            )
        };
        s.step(Step::new(cfg("A")));
        s.step(Step::new(cfg("B")));
        let state_text = s.dir.read_file("terraform.tfstate").unwrap_or_default();
        s.destroy_and_check(&[T1]);

        let tokens: Vec<String> = s
            .sim
            .requests()
            .iter()
            .flat_map(|r| r.headers.iter())
            .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .filter_map(|(_, v)| v.strip_prefix("Bearer ").map(str::to_string))
            .collect();
        s.expect(!tokens.is_empty(), "Graph saw bearer tokens to look for");
        s.expect(
            s.history()
                .iter()
                .any(|o| o.stderr.contains("terraform-provider-msgraph")),
            "the trace log holds the provider's own lines (the scan is not vacuous)",
        );
        s.expect_never_printed(msgraph_sim::CLIENT_SECRET, "the client secret");
        for token in &tokens {
            s.expect_never_printed(token, "an access token");
            s.expect(
                !state_text.contains(token.as_str()),
                "no access token in the state",
            );
        }
        s.expect(
            !state_text.contains(msgraph_sim::CLIENT_SECRET),
            "no client secret in the state",
        );
    });
}

#[test]
fn two_hundred_resources_at_parallelism_fifty() {
    const COUNT: usize = 200;
    let tenant = |i: usize| format!("00000000-0000-4000-8000-{i:012}");
    for_each_terraform(|s| {
        for i in 0..COUNT {
            s.sim.add_partner(&tenant(i));
        }
        s.sim.set_latency(Duration::from_millis(100));
        s.dir.write_config(&s.file(&[format!(
            "resource \"msgraph_cross_tenant_identity_sync\" \"many\" {{\n  count     = {COUNT}\n  tenant_id = format(\"00000000-0000-4000-8000-%012d\", count.index)\n\n  user_sync_inbound {{\n    is_sync_allowed = true\n  }}\n}}\n"
        )]));
        // Terraform runs one provider process per graph walk: `plan` of new resources makes no
        // Graph call, `apply` and a refreshing `plan` one walk each, `destroy` a refresh walk and
        // an apply walk. One token per process that calls Graph is then exactly `walks` tokens;
        // each token fetched must also be the bearer of that command's Graph requests.
        let tokens_per_command = |args: &[&str], walks: usize| {
            let (tokens_before, requests_before) = (s.sim.tokens_issued(), s.sim.requests().len());
            let out = s.tf(args);
            if !out.success() {
                s.fail(&format!(
                    "`terraform {}` exited {}",
                    args.join(" "),
                    out.code()
                ));
            }
            let issued: Vec<String> = s.sim.issued_tokens()[tokens_before..]
                .iter()
                .map(|t| t.access_token.clone())
                .collect();
            let mut bearers: Vec<String> = s.sim.requests()[requests_before..]
                .iter()
                .filter(|r| is_graph(r))
                .filter_map(|r| bearer(r).map(str::to_string))
                .collect();
            bearers.sort();
            bearers.dedup();
            let mut issued_sorted = issued.clone();
            issued_sorted.sort();
            s.expect_eq(
                &format!("tokens fetched by `terraform {}`", args.join(" ")),
                issued.len(),
                walks,
            );
            s.expect_eq(
                &format!(
                    "bearers used by `terraform {}` = tokens it fetched",
                    args.join(" ")
                ),
                bearers,
                issued_sorted,
            );
        };
        tokens_per_command(
            &["plan", "-input=false", "-parallelism=50", "-out=tfplan"],
            0,
        );
        tokens_per_command(&["apply", "-input=false", "-parallelism=50", "tfplan"], 1);
        tokens_per_command(
            &[
                "plan",
                "-input=false",
                "-parallelism=50",
                "-detailed-exitcode",
            ],
            1,
        );
        for i in 0..COUNT {
            if s.sim.policy(&tenant(i)).is_none() {
                s.fail(&format!("policy {} was not created", tenant(i)));
            }
        }
        tokens_per_command(
            &[
                "destroy",
                "-auto-approve",
                "-input=false",
                "-parallelism=50",
            ],
            2,
        );
        let calls = s.graph_calls();
        let bad: Vec<&Call> = calls
            .iter()
            .filter(|c| c.status >= 400 && !(c.method == "GET" && c.status == 404))
            .collect();
        s.expect(bad.is_empty(), &format!("failed Graph calls: {bad:?}"));
        let count = |m: &str| {
            calls
                .iter()
                .filter(|c| c.method == m && c.status == 204)
                .count()
        };
        s.expect_eq("successful PUTs", count("PUT"), COUNT);
        s.expect_eq("successful DELETEs", count("DELETE"), COUNT);
        // connections reused: far fewer connections than requests (at most one per request
        // in flight: -parallelism=50 per provider process)
        let requests = s.sim.requests().len();
        let connections = s.sim.connections_accepted();
        s.expect(
            connections * 4 <= requests,
            &format!(
                "{connections} connections for {requests} requests: connections are not reused"
            ),
        );
        expect_no_crash(s);
    });
}

#[test]
fn ctrl_c_during_a_long_retry_after_returns_promptly_with_cancelled() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.sim.inject(fault("PUT", 1, status(429, Some("60"), None)));
        s.dir.write_config(&one(s, Some("A"), true));
        let running = s.spawn_tf(&["apply", "-auto-approve", "-input=false"]);
        s.wait_until(Duration::from_secs(60), "the PUT was throttled", || {
            s.graph_calls()
                .iter()
                .any(|c| c.method == "PUT" && c.status == 429)
        });
        interrupt_expecting_cancel(s, running, "during a long Retry-After");
        s.expect_eq("PUT statuses", statuses(s, "PUT"), vec![429]);
        s.expect(
            s.sim.policy(T1).is_none(),
            "nothing was written after the cancel",
        );
        expect_no_crash(s);
    });
}

#[test]
fn redirect_to_another_host_is_refused_without_sending_the_bearer() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        let elsewhere = s.block_on(msgraph_sim::Sim::start());
        let location = format!("{}{}", elsewhere.url, policy_path(T1));
        let redirect = |status| FaultKind::Redirect {
            status,
            location: location.clone(),
        };
        s.dir.write_config(&one(s, Some("A"), true));
        // the create's first GET, then (GET answered) its PUT
        s.sim.inject(fault("GET", 10, redirect(302)));
        let out = s.tf_err(&["apply", "-auto-approve", "-input=false"]);
        s.expect_output_contains(&out, &["redirect"]);
        s.sim.clear_faults();
        s.sim.inject(fault("PUT", 10, redirect(307)));
        let out = s.tf_err(&["apply", "-auto-approve", "-input=false"]);
        s.expect_output_contains(&out, &["redirect"]);

        s.expect(
            s.graph_calls()
                .iter()
                .any(|c| c.method == "PUT" && c.status == 307),
            "the PUT was redirected",
        );
        let seen = elsewhere.requests();
        s.expect(
            seen.iter().all(|r| bearer(r).is_none()),
            &format!("the other host saw a bearer token: {:?}", seen.len()),
        );
        s.expect_eq("requests that reached the other host", seen.len(), 0);
        s.expect(s.sim.policy(T1).is_none(), "nothing was written");
        s.block_on(async move { drop(elsewhere) });
        expect_no_crash(s);
    });
}

#[test]
fn protocol_garbage_instead_of_http_is_a_diagnostic_naming_the_operation() {
    for_each_terraform(|s| {
        s.sim.add_partner(T1);
        s.dir.write_config(&one(s, Some("A"), true));
        // a TLS alert record where an HTTP response belongs, on every attempt
        let tls_alert = vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];
        s.sim
            .inject(fault("GET", 10, FaultKind::Garbage(tls_alert)));
        let out = s.tf_err(&["apply", "-auto-approve", "-input=false"]);
        s.expect_output_contains(&out, &["GET identitySynchronization"]);
        s.expect_eq("Graph writes", s.write_calls(), vec![]);
        s.expect(s.state().values(X).is_none(), "nothing is tracked");

        // once only: the retry gets a real answer and the apply succeeds
        s.sim.clear_faults();
        s.sim.inject(fault(
            "GET",
            1,
            FaultKind::Garbage(b"HTTP/9.9 ???\r\n\r\n".to_vec()),
        ));
        s.step(Step::new(one(s, Some("A"), true)).check(Check::present(X)));
        expect_no_crash(s);
    });
}
