//! One scenario on one Terraform version: its simulator, its working dir, and every command run.

use std::cell::{Cell, RefCell};

use msgraph_sim::{RecordedRequest, Sim, SimServer};

use super::config;
use super::state::{Plan, State};
use super::terraform::Terraform;
use super::workdir::{RunOutput, Running, Workdir};

/// What a scenario closure gets: a running simulator and a working dir, both private to it.
/// When the scenario panics, dropping it prints every Terraform command's output and the
/// simulator's request log.
pub struct Scenario {
    pub tf: &'static Terraform,
    pub sim: Sim,
    /// `http://127.0.0.1:PORT`, the simulator's origin.
    pub url: String,
    pub dir: Workdir,
    label: String,
    history: RefCell<Vec<RunOutput>>,
    dumped: Cell<bool>,
    server: Option<SimServer>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Scenario {
    /// Starts a simulator on a free loopback port, on a small runtime of its own.
    pub fn start(tf: &'static Terraform, label: &str) -> Scenario {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot build a tokio runtime: {e}"));
        let server = runtime.block_on(Sim::start());
        let sim = server.sim.clone();
        let url = server.url.clone();
        Scenario {
            tf,
            sim,
            url,
            dir: Workdir::new(tf, label),
            label: label.to_string(),
            history: RefCell::new(Vec::new()),
            dumped: Cell::new(false),
            server: Some(server),
            runtime: Some(runtime),
        }
    }

    /// Runs async code (rarely needed: the simulator's handle is synchronous).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        match &self.runtime {
            Some(rt) => rt.block_on(future),
            None => panic!("the scenario's runtime is gone"),
        }
    }

    /// A whole configuration file: terraform and provider blocks for this simulator + `blocks`.
    pub fn file(&self, blocks: &[String]) -> String {
        config::file(&self.url, blocks)
    }

    /// Runs `terraform ARGS` in the scenario's dir and records the output for failure reports.
    pub fn tf(&self, args: &[&str]) -> RunOutput {
        self.tf_in(&self.dir, args)
    }

    /// Runs `terraform ARGS` in another dir (import checks), also recorded.
    pub fn tf_in(&self, dir: &Workdir, args: &[&str]) -> RunOutput {
        let out = dir.run(args);
        self.history.borrow_mut().push(out.clone());
        out
    }

    /// Starts `terraform ARGS` in the scenario's dir without waiting (to interrupt it).
    pub fn spawn_tf(&self, args: &[&str]) -> Running {
        self.dir.spawn(args)
    }

    /// Waits up to `limit` for a spawned command (killing it after), records its output, and
    /// says whether it exited by itself in time.
    pub fn finish(&self, running: Running, limit: std::time::Duration) -> (RunOutput, bool) {
        let (out, in_time) = running.wait(limit);
        self.history.borrow_mut().push(out.clone());
        (out, in_time)
    }

    /// Polls `condition` every 100 ms until it holds; fails after `limit` (a sanity bound).
    pub fn wait_until(&self, limit: std::time::Duration, what: &str, condition: impl Fn() -> bool) {
        let started = std::time::Instant::now();
        while !condition() {
            if started.elapsed() > limit {
                self.fail(&format!("gave up after {limit:?} waiting until {what}"));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Runs a command that must succeed.
    pub fn tf_ok(&self, args: &[&str]) -> RunOutput {
        let out = self.tf(args);
        if !out.success() {
            self.fail(&format!("`terraform {}` failed", args.join(" ")));
        }
        out
    }

    /// Runs a command that must fail; returns its output for error-text checks.
    pub fn tf_err(&self, args: &[&str]) -> RunOutput {
        let out = self.tf(args);
        if out.success() {
            self.fail(&format!(
                "`terraform {}` succeeded, expected an error",
                args.join(" ")
            ));
        }
        out
    }

    /// `terraform plan -detailed-exitcode ARGS`: 0 no changes, 2 changes; an error fails.
    pub fn plan_exit_code(&self, extra: &[&str]) -> i32 {
        let mut args = vec!["plan", "-detailed-exitcode", "-input=false"];
        args.extend_from_slice(extra);
        let out = self.tf(&args);
        match out.code() {
            0 | 2 => out.code(),
            _ => self.fail(&format!("`terraform {}` errored", args.join(" "))),
        }
    }

    /// The current state, read with `terraform show -json`.
    pub fn state(&self) -> State {
        self.state_in(&self.dir)
    }

    pub fn state_in(&self, dir: &Workdir) -> State {
        let out = self.tf_in(dir, &["show", "-json"]);
        if !out.success() {
            self.fail("`terraform show -json` failed");
        }
        State::parse(&out.stdout).unwrap_or_else(|e| self.fail(&e))
    }

    /// `terraform plan -out=tfplan ARGS` then `terraform show -json tfplan`.
    pub fn saved_plan(&self, extra: &[&str]) -> Plan {
        let mut args = vec!["plan", "-input=false", "-out=tfplan"];
        args.extend_from_slice(extra);
        let out = self.tf(&args);
        if !out.success() {
            self.fail(&format!("`terraform {}` failed", args.join(" ")));
        }
        let show = self.tf(&["show", "-json", "tfplan"]);
        if !show.success() {
            self.fail("`terraform show -json tfplan` failed");
        }
        Plan::parse(&show.stdout).unwrap_or_else(|e| self.fail(&e))
    }

    /// Every request the simulator recorded that went to Graph (not the token endpoint).
    pub fn graph_requests(&self) -> Vec<RecordedRequest> {
        self.sim.requests().into_iter().filter(is_graph).collect()
    }

    /// Graph requests that change something (PUT, PATCH, POST, DELETE).
    pub fn graph_writes(&self) -> Vec<RecordedRequest> {
        self.graph_requests()
            .into_iter()
            .filter(|r| matches!(r.method.as_str(), "PUT" | "PATCH" | "POST" | "DELETE"))
            .collect()
    }

    /// Requests to the token endpoint.
    pub fn token_requests(&self) -> Vec<RecordedRequest> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.path.contains("/oauth2/"))
            .collect()
    }

    /// Fails the scenario unless `actual == expected`, showing both.
    pub fn expect_eq<T: PartialEq + std::fmt::Debug>(&self, what: &str, actual: T, expected: T) {
        if actual != expected {
            self.fail(&format!(
                "{what}:\n  expected: {expected:?}\n    actual: {actual:?}"
            ));
        }
    }

    pub fn expect(&self, condition: bool, what: &str) {
        if !condition {
            self.fail(what);
        }
    }

    /// Fails unless the output contains every needle (case and whitespace insensitive).
    pub fn expect_output_contains(&self, out: &RunOutput, needles: &[&str]) {
        let missing = missing_needles(&out.combined(), needles);
        if !missing.is_empty() {
            self.fail(&format!(
                "`terraform {}` output lacks {missing:?}",
                out.args.join(" ")
            ));
        }
    }

    /// Fails if any recorded command printed `secret` (stdout or stderr).
    pub fn expect_never_printed(&self, secret: &str, what: &str) {
        let leaked: Vec<String> = self
            .history
            .borrow()
            .iter()
            .filter(|o| o.stdout.contains(secret) || o.stderr.contains(secret))
            .map(|o| format!("terraform {}", o.args.join(" ")))
            .collect();
        if !leaked.is_empty() {
            self.fail(&format!("{what} appears in the output of {leaked:?}"));
        }
    }

    /// Every command run so far.
    pub fn history(&self) -> Vec<RunOutput> {
        self.history.borrow().clone()
    }

    /// Panics with `message`; the drop that follows prints the full report.
    pub fn fail(&self, message: &str) -> ! {
        panic!(
            "[{} on Terraform {}] {message}",
            self.label, self.tf.version
        )
    }

    /// Prints every command's output and the simulator's request log to stderr.
    pub fn dump(&self) {
        if self.dumped.replace(true) {
            return;
        }
        let mut report = format!(
            "\n===== {} on Terraform {} ({}) =====\n",
            self.label,
            self.tf.version,
            self.dir.path().display()
        );
        for out in self.history.borrow().iter() {
            report.push_str(&format!("{out}\n\n"));
        }
        report.push_str("===== simulator request log =====\n");
        for r in self.sim.requests() {
            report.push_str(&format_request(&r));
            report.push('\n');
        }
        eprintln!("{report}");
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.dump();
        }
        if let Some(runtime) = self.runtime.take() {
            {
                let _guard = runtime.enter();
                drop(self.server.take());
            }
            // A Hang fault may leave a task waiting forever: don't block on it.
            runtime.shutdown_background();
        }
    }
}

pub fn is_graph(r: &RecordedRequest) -> bool {
    r.path.starts_with("/v1.0/") || r.path.starts_with("/beta/")
}

/// `METHOD /path?query -> status body`, with token request bodies (secrets) left out.
pub fn format_request(r: &RecordedRequest) -> String {
    let query = if r.query.is_empty() {
        String::new()
    } else {
        format!("?{}", r.query)
    };
    let body = if r.path.contains("/oauth2/") {
        "[token request body not shown]".to_string()
    } else {
        r.body.clone()
    };
    format!("{} {}{} -> {} {}", r.method, r.path, query, r.status, body)
}

/// Lower-cases, drops Terraform's box-drawing gutter and collapses whitespace, so error text
/// matches however Terraform wrapped it.
pub fn normalize(text: &str) -> String {
    text.replace(['│', '╷', '╵'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The needles not found in `haystack` (compared normalized).
pub fn missing_needles(haystack: &str, needles: &[&str]) -> Vec<String> {
    let hay = normalize(haystack);
    needles
        .iter()
        .filter(|n| !hay.contains(&normalize(n)))
        .map(|n| n.to_string())
        .collect()
}
