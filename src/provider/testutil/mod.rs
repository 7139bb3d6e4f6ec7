//! Test doubles and fixtures shared by the provider layer's tests.

pub mod fake_graph;
pub mod sample_resource;
pub mod schema_names;
