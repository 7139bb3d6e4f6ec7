//! The acceptance test library: real Terraform binaries, working dirs, steps and scenarios.
// A shared library for every test module: not each module uses each helper.
#![allow(dead_code)]

pub mod config;
pub mod graph;
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
