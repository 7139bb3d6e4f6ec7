//! The provider's schema as the gRPC service needs it: converted to protobuf once at start,
//! with each resource's and data source's value type ready for decoding.

use std::collections::HashMap;

use super::convert::schema_to_proto;
use super::proto::tfplugin6 as pb;
use super::{Diagnostics, ProviderSchema, Type};

/// The provider's schema, converted once at start.
pub(crate) struct SchemaCache {
    pub schema: ProviderSchema,
    pub provider_type: Type,
    pub resource_types: HashMap<String, Type>,
    pub data_source_types: HashMap<String, Type>,
    pub proto: pb::get_provider_schema::Response,
}

impl SchemaCache {
    pub(crate) fn new(schema: ProviderSchema) -> SchemaCache {
        let convert_all = |items: &[(String, super::Schema)]| {
            items
                .iter()
                .map(|(name, s)| (name.clone(), schema_to_proto(s)))
                .collect()
        };
        let proto = pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(&schema.provider)),
            resource_schemas: convert_all(&schema.resources),
            data_source_schemas: convert_all(&schema.data_sources),
            server_capabilities: Some(server_capabilities()),
            ..Default::default()
        };
        let types = |items: &[(String, super::Schema)]| {
            items
                .iter()
                .map(|(name, s)| (name.clone(), s.block.value_type()))
                .collect()
        };
        SchemaCache {
            provider_type: schema.provider.block.value_type(),
            resource_types: types(&schema.resources),
            data_source_types: types(&schema.data_sources),
            proto,
            schema,
        }
    }

    /// The value type of the resource or data source `name`, or an error diagnostic.
    pub(crate) fn value_type(
        &self,
        kind: TypeKind,
        name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&Type> {
        let (types, summary, noun) = match kind {
            TypeKind::Resource => (
                &self.resource_types,
                "Unknown resource type",
                "resource type",
            ),
            TypeKind::DataSource => (
                &self.data_source_types,
                "Unknown data source type",
                "data source",
            ),
        };
        let ty = types.get(name);
        if ty.is_none() {
            diags.error(
                summary,
                format!("This provider has no {noun} {name:?}. Check the {noun} name in your configuration."),
            );
        }
        ty
    }
}

/// Which of the schema's type names an RPC names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TypeKind {
    Resource,
    DataSource,
}

pub(crate) fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: false,
        move_resource_state: false,
    }
}
