//! The acceptance test library: real Terraform binaries, working dirs, steps and scenarios.
// A shared library for every test module: not each module uses each helper.
#![allow(dead_code)]

pub mod config;
pub mod runner;
pub mod scenario;
pub mod state;
pub mod steps;
pub mod terraform;
pub mod workdir;

mod selftest;

pub use config::RESOURCE;
pub use runner::for_each_terraform;
pub use scenario::Scenario;
pub use state::{Plan, State};
pub use steps::{Check, Step};
pub use terraform::{terraforms, Terraform};
pub use workdir::{RunOutput, Workdir};
