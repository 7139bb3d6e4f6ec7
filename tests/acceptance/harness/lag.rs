//! Graph's read lag (reads trail writes by a consistency window): applies whose next reads land
//! inside the window, and what the state keeps then.

use std::time::Duration;

use msgraph_sim::Fault;

use super::config;
use super::scenario::Scenario;
use super::workdir::RunOutput;

impl Scenario {
    /// Applies `resource` with a 3 s read timeout while Graph's reads lag its writes by ten
    /// minutes: the next refresh's read deadline ends inside the consistency window.
    pub fn apply_with_reads_lagging(&self, resource: &str) {
        let resource = config::with_timeouts(resource, &[("read", "3s")]);
        self.dir.write_config(&self.file(&[resource]));
        self.sim.set_consistency_delay(Duration::from_secs(600));
        self.tf_ok(&["apply", "-auto-approve", "-input=false"]);
    }

    /// With Graph still answering 404 for the object at `address` we just created: a plan
    /// whose read deadline ends inside the consistency window fails, keeps `what` in the
    /// state and plans no create; once Graph catches up, the plan is empty.
    pub fn expect_lagging_read_keeps(&self, address: &str, what: &str) {
        let out = self.tf(&["plan", "-detailed-exitcode", "-input=false"]);
        self.expect_eq("plan exit code inside the window", out.code(), 1);
        self.expect_output_contains(&out, &["still answers 404", "nothing was removed"]);
        self.expect(
            self.state().values(address).is_some(),
            &format!("the {what} stays in the state"),
        );
        self.expect(
            !out.combined().contains("will be created"),
            "no plan to create it again",
        );
        self.sim.catch_up();
        self.expect_eq(
            "plan exit code once Graph caught up",
            self.plan_exit_code(&[]),
            0,
        );
    }

    /// `apply -replace=ADDRESS` while Graph's reads lag its writes by `lag`: the DELETE must be
    /// awaited (GETs until 404) before the create (`create`: its verb), and once Graph catches
    /// up the plan is empty. The simulator's request log then holds the replacement's requests
    /// and the plans'.
    pub fn replace_while_reads_lag(&self, address: &str, lag: Duration, create: &str) {
        self.sim.set_consistency_delay(lag);
        self.sim.clear_requests();
        self.tf_ok(&[
            "apply",
            "-auto-approve",
            "-input=false",
            &format!("-replace={address}"),
        ]);
        self.expect_delete_awaited_before(create);
        self.sim.catch_up();
        self.expect_empty_plan();
    }

    /// A second pipeline step seconds after the create, without refresh: applies `created`,
    /// then `changed` with `-refresh=false` while `fault` answers the PATCHes (the replica
    /// serving them has not seen the create yet). Fails unless the second apply succeeded.
    pub fn change_right_after_create(
        &self,
        created: &str,
        fault: Fault,
        changed: &str,
    ) -> RunOutput {
        self.dir.write_config(&self.file(&[created.to_string()]));
        self.tf_ok(&["apply", "-auto-approve", "-input=false"]);
        self.sim.inject(fault);
        self.dir.write_config(&self.file(&[changed.to_string()]));
        let out = self.tf(&["apply", "-auto-approve", "-input=false", "-refresh=false"]);
        self.expect(out.success(), "the apply succeeded");
        out
    }
}
