//! terraform-plugin-testing style steps: apply a config, demand empty plans, verify import and destroy.

use serde_json::Value;

use super::config;
use super::scenario::{missing_needles, Scenario};
use super::state::{lookup, without, State};
use super::workdir::Workdir;

/// One step: a configuration to apply, optionally expected to fail, plus checks on the state.
pub struct Step {
    pub config: String,
    /// Every one of these must appear in the error output (case and whitespace insensitive).
    pub expect_error: Option<Vec<String>>,
    pub checks: Vec<Check>,
}

impl Step {
    pub fn new(config: String) -> Step {
        Step {
            config,
            expect_error: None,
            checks: Vec::new(),
        }
    }

    pub fn expect_error(mut self, needles: &[&str]) -> Step {
        self.expect_error = Some(needles.iter().map(|n| n.to_string()).collect());
        self
    }

    pub fn check(mut self, check: Check) -> Step {
        self.checks.push(check);
        self
    }

    /// [`Check::output`] for each `(name, expected)`.
    pub fn check_outputs(self, expected: &[(&str, Value)]) -> Step {
        expected.iter().fold(self, |step, (name, value)| {
            step.check(Check::output(name, value.clone()))
        })
    }
}

type CheckFn = dyn Fn(&State) -> Result<(), String> + Send + Sync;

/// An assertion on the state after a step.
pub struct Check {
    pub what: String,
    test: Box<CheckFn>,
}

impl Check {
    pub fn custom(
        what: &str,
        test: impl Fn(&State) -> Result<(), String> + Send + Sync + 'static,
    ) -> Check {
        Check {
            what: what.to_string(),
            test: Box::new(test),
        }
    }

    /// `address`'s attribute at dotted `path` equals `expected` (JSON null = unset).
    pub fn attr(address: &str, path: &str, expected: Value) -> Check {
        let (address, path) = (address.to_string(), path.to_string());
        Check::custom(
            &format!("{address}.{path} == {expected}"),
            move |state| match state.attr(&address, &path) {
                None => Err(format!("{address} is not in the state")),
                Some(actual) if actual == expected => Ok(()),
                Some(actual) => Err(format!("{address}.{path} is {actual}, expected {expected}")),
            },
        )
    }

    /// `address` is in the state.
    pub fn present(address: &str) -> Check {
        let address = address.to_string();
        Check::custom(&format!("{address} in state"), move |state| {
            state.values(&address).map(|_| ()).ok_or_else(|| {
                format!(
                    "{address} is not in the state (have {:?})",
                    state.addresses()
                )
            })
        })
    }

    /// `address` is not in the state.
    pub fn absent(address: &str) -> Check {
        let address = address.to_string();
        Check::custom(
            &format!("{address} not in state"),
            move |state| match state.values(&address) {
                None => Ok(()),
                Some(v) => Err(format!("{address} is in the state: {v}")),
            },
        )
    }

    /// Output `name` equals `expected`.
    pub fn output(name: &str, expected: Value) -> Check {
        let name = name.to_string();
        Check::custom(
            &format!("output {name} == {expected}"),
            move |state| match state.output(&name) {
                Some(actual) if *actual == expected => Ok(()),
                other => Err(format!("output {name} is {other:?}, expected {expected}")),
            },
        )
    }
}

impl Scenario {
    /// Runs one step: write config, `plan -out`, `apply` the saved plan, then demand an empty
    /// `plan -detailed-exitcode` without and with refresh, then run the checks on
    /// `terraform show -json`. With `expect_error`, plan or apply must fail with that text;
    /// the state after the failure is checked and returned.
    pub fn step(&self, step: Step) -> State {
        self.dir.write_config(&step.config);
        match &step.expect_error {
            None => {
                self.tf_ok(&["plan", "-input=false", "-out=tfplan"]);
                self.tf_ok(&["apply", "-input=false", "tfplan"]);
                self.expect_empty_plan();
            }
            Some(needles) => self.expect_step_error(needles),
        }
        let state = self.state();
        self.expect_checks(&state, &step.checks);
        state
    }

    /// Fails the scenario at the first of `checks` that `state` does not pass.
    pub fn expect_checks(&self, state: &State, checks: &[Check]) {
        for check in checks {
            if let Err(e) = (check.test)(state) {
                self.fail(&format!("check `{}` failed: {e}", check.what));
            }
        }
    }

    fn expect_step_error(&self, needles: &[String]) {
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        let plan = self.tf(&["plan", "-input=false", "-out=tfplan"]);
        let failed = if plan.success() {
            let apply = self.tf(&["apply", "-input=false", "tfplan"]);
            if apply.success() {
                self.fail(&format!(
                    "the step succeeded, expected an error containing {needles:?}"
                ));
            }
            apply
        } else {
            plan
        };
        let missing = missing_needles(&failed.combined(), &needles);
        if !missing.is_empty() {
            self.fail(&format!("the step's error lacks {missing:?}"));
        }
    }

    /// Both `plan -detailed-exitcode -refresh=false` and `plan -detailed-exitcode` exit 0.
    pub fn expect_empty_plan(&self) {
        if self.plan_exit_code(&["-refresh=false"]) != 0 {
            self.fail("the plan after apply is not empty (-refresh=false)");
        }
        if self.plan_exit_code(&[]) != 0 {
            self.fail("the plan after apply is not empty (with refresh)");
        }
    }

    /// Imports `id` into `address` in fresh dirs (`terraform import`, and an `import {}` block
    /// on Terraform 1.5+) with the current config and compares every attribute but `timeouts`
    /// with this scenario's state. `config` is the configuration the object was created with.
    pub fn import_verify(&self, address: &str, id: &str, config: &str) {
        let original = self.state();
        let Some(expected) = original.values(address) else {
            self.fail(&format!(
                "{address} is not in the state, nothing to compare an import with"
            ));
        };
        let expected = without(expected, &["timeouts"]);

        let cli = self.import_cli(address, id, config);
        self.compare_import(address, "terraform import", &expected, &cli);
        let after = self.tf_in(&cli, &["plan", "-detailed-exitcode", "-input=false"]);
        if after.code() != 0 {
            self.fail(&format!(
                "the plan after `terraform import {address} {id}` is not empty"
            ));
        }

        if self.tf.at_least(1, 5) {
            let blocks = self.import_block(address, id, config);
            self.compare_import(address, "import block", &expected, &blocks);
        }
    }

    /// A fresh dir with `config` where `terraform import ADDRESS ID` succeeded.
    pub fn import_cli(&self, address: &str, id: &str, config: &str) -> Workdir {
        let dir = Workdir::new(self.tf, "import");
        dir.write_config(config);
        let out = self.tf_in(&dir, &["import", "-input=false", address, id]);
        if !out.success() {
            self.fail(&format!("`terraform import {address} {id}` failed"));
        }
        dir
    }

    /// A fresh dir with `config` + `import { to = ADDRESS, id = ID }` planned (as a no-op import,
    /// no changes) and applied. Terraform 1.5+.
    pub fn import_block(&self, address: &str, id: &str, config: &str) -> Workdir {
        let dir = Workdir::new(self.tf, "import-block");
        dir.write_config(config);
        dir.write_file("import.tf", &config::import_block(address, id));
        let plan = self.tf_in(&dir, &["plan", "-input=false", "-out=tfplan"]);
        if !plan.success() {
            self.fail(&format!("planning the import block for {address} failed"));
        }
        let show = self.tf_in(&dir, &["show", "-json", "tfplan"]);
        let actions = super::state::Plan::parse(&show.stdout)
            .map(|p| p.actions(address))
            .unwrap_or_else(|e| self.fail(&e));
        if actions != ["no-op"] {
            self.fail(&format!(
                "importing {address} with an import block plans {actions:?}, expected a no-op import"
            ));
        }
        let apply = self.tf_in(&dir, &["apply", "-input=false", "tfplan"]);
        if !apply.success() {
            self.fail(&format!("applying the import block for {address} failed"));
        }
        dir
    }

    fn compare_import(&self, address: &str, how: &str, expected: &Value, dir: &Workdir) {
        let imported = self.state_in(dir);
        let Some(actual) = imported.values(address) else {
            self.fail(&format!("after {how}, {address} is not in the state"));
        };
        let actual = without(actual, &["timeouts"]);
        if actual != *expected {
            self.fail(&format!(
                "{how} of {address} differs from the created state:\n  created:  {expected}\n  imported: {actual}"
            ));
        }
    }

    /// `terraform destroy -auto-approve`, then: the state holds no resources and the simulator
    /// holds no policy for any of `tenant_ids`.
    pub fn destroy_and_check(&self, tenant_ids: &[&str]) {
        self.tf_ok(&["destroy", "-auto-approve", "-input=false"]);
        let state = self.state();
        let managed: Vec<String> = state
            .resources()
            .iter()
            .filter(|r| lookup(r, "mode") == Value::String("managed".into()))
            .filter_map(|r| r.get("address").and_then(Value::as_str).map(str::to_string))
            .collect();
        if !managed.is_empty() {
            self.fail(&format!("after destroy the state still holds {managed:?}"));
        }
        for tenant in tenant_ids {
            if let Some(policy) = self.sim.policy(tenant) {
                self.fail(&format!(
                    "after destroy the simulator still holds {tenant}: {policy}"
                ));
            }
        }
    }
}
