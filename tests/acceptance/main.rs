//! Acceptance tests: a real Terraform drives the provider against the Graph simulator.

mod harness;

mod auth;
mod data_source;
mod demo;
mod docs;
mod https_server;
mod protocol;
mod publishing;
mod readme;
mod registry;
mod reliability;
mod reliability_cleanup;
mod resource;
