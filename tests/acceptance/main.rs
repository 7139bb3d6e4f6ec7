//! Acceptance tests: a real Terraform drives the provider against the Graph simulator.
mod protocol;
