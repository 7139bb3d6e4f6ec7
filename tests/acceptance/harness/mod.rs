//! The acceptance test library: real Terraform binaries, working dirs, steps and scenarios.
//!
//! ```ignore
//! for_each_terraform(|s| {                       // 1.11.4 and 1.0.3, own simulator + dir each
//!     s.sim.add_partner(T);
//!     s.step(Step::new(s.file(&[config::resource("x", T, Some("A"), true)]))
//!         .check(Check::attr("msgraph_cross_tenant_identity_sync.x", "display_name", json!("A"))));
//!     s.expect_eq("writes", s.write_calls(), vec![/* Call::new("PUT", ..) */]);
//!     s.destroy_and_check(&[T]);
//! });
//! ```
//! TF_ACC_TERRAFORM_PATH picks the 1.11.4 binary; TF_ACC_SERIAL=1 runs versions one by one.

pub mod config;
pub mod graph;
pub mod lag;
pub mod runner;
pub mod scenario;
pub mod state;
pub mod steps;
pub mod terraform;
pub mod workdir;

mod selftest;

pub use config::RESOURCE;
pub use graph::{fault, graph_error, graph_policy, policy_body, policy_path, status, Call};
pub use runner::for_each_terraform;
pub use scenario::Scenario;
pub use steps::{Check, Step};
