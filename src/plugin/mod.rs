//! The Terraform plugin protocol layer (tfplugin6 over gRPC), generic over any [`Provider`].
//!
//! It knows nothing of Microsoft Graph. Generated protobuf types never leave this module: the
//! provider sees only [`Value`], [`Type`], [`Schema`], [`Diagnostics`] and the [`Provider`] trait.

pub mod diagnostics;
pub mod provider;
pub mod schema;
pub mod value;

mod codec_error;
mod decimal;
mod json;
mod json_text;
mod msgpack;
mod type_json;

mod serve;

pub use diagnostics::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
pub use provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ImportedResource, PlanRequest, PlanResponse,
    Provider, ProviderSchema, ReadRequest, ReadResponse, RequestContext,
};
pub use schema::{Attribute, Block, DescriptionKind, NestedBlock, NestingMode, Schema};
pub use serve::{serve, ServeOptions};
pub use value::{CodecError, Number, Type, Value};
