//! The generated protobuf and gRPC types (tfplugin6 and go-plugin's `plugin` package).
//!
//! Hidden from the docs: only the plugin layer and the protocol acceptance tests use them.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

pub mod plugin {
    tonic::include_proto!("plugin");
}
