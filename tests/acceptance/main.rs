//! Acceptance tests: a real Terraform drives the provider against the Graph simulator.

mod harness;

mod access_default;
mod access_partner;
mod access_real_graph;
mod access_requests;
mod auth;
mod data_source;
mod demo;
mod docs;
mod https_server;
mod protocol;
mod publishing;
mod readme;
mod real_graph;
mod registry;
mod reliability;
mod reliability_cleanup;
mod resource;
mod state_upgrade;
mod tidy;
