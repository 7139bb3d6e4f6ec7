//! The Terraform plugin protocol layer (tfplugin6 over gRPC), generic over any [`Provider`].
//!
//! It knows nothing of the service the provider manages. Generated protobuf types never leave this module: the
//! provider sees only [`Value`], [`Type`], [`Schema`], [`Diagnostics`] and the [`Provider`] trait.

pub mod diagnostics;
pub mod provider;
pub mod schema;
pub mod value;

mod aux_services;
mod codec_error;
mod convert;
mod decimal;
mod handshake;
mod json;
mod listener;
mod logger;
mod msgpack;
mod process;
mod provider_service;
mod reply_watch;
mod schema_cache;
mod schema_json;
mod serve;
mod stop_signal;
mod tls;
mod type_json;

#[cfg(test)]
mod alloc_probe;

/// Generated protobuf types; public only for the protocol acceptance tests' client.
#[doc(hidden)]
pub mod proto;

pub use diagnostics::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
pub use handshake::LaunchError;
pub use listener::Listener;
pub use logger::{init_logging, level_from_env};
pub use process::{serve_process, ServeOptions};
pub use provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ImportRequest, ImportedResource, PlanRequest,
    PlanResponse, Provider, ProviderSchema, ReadDataSourceRequest, ReadRequest, ReadResponse,
    RequestContext,
};
pub use schema::{Attribute, Block, DescriptionKind, NestedBlock, NestingMode, Schema};
pub use schema_json::schema_json;
pub use serve::{serve, ServeError, Shutdown};
pub use tls::{install_crypto_provider, server_tls, ServerTls, TlsSetupError};
pub use value::{CodecError, Number, Type, Value};
