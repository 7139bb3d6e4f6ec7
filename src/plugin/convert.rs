//! Conversions between the plugin's Rust model and the generated tfplugin6 messages: schemas,
//! diagnostics, attribute paths, codec errors, DynamicValues and the provider's requests.

use super::proto::tfplugin6 as pb;
use super::type_json::type_to_json_bytes;
use super::value::{decode_json, decode_msgpack, encode_msgpack};
use super::{
    ApplyRequest, Attribute, AttributePath, Block, CodecError, ConfigureRequest, DescriptionKind,
    Diagnostics, NestedBlock, NestingMode, PathStep, PlanRequest, PlanResponse, ReadRequest,
    RequestContext, Schema, Severity, Type, Value,
};

pub(crate) fn schema_to_proto(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block_to_proto(&schema.block, schema.version)),
    }
}

fn string_kind(kind: DescriptionKind) -> i32 {
    match kind {
        DescriptionKind::Plain => pb::StringKind::Plain as i32,
        DescriptionKind::Markdown => pb::StringKind::Markdown as i32,
    }
}

fn block_to_proto(block: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: block.attributes.iter().map(attribute_to_proto).collect(),
        block_types: block.blocks.iter().map(nested_block_to_proto).collect(),
        description: block.description.clone(),
        description_kind: string_kind(block.description_kind),
        deprecated: block.deprecated,
    }
}

fn attribute_to_proto(attr: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: attr.name.clone(),
        r#type: type_to_json_bytes(&attr.ty),
        nested_type: None,
        description: attr.description.clone(),
        required: attr.required,
        optional: attr.optional,
        computed: attr.computed,
        sensitive: attr.sensitive,
        description_kind: string_kind(attr.description_kind),
        deprecated: attr.deprecated,
        write_only: false,
    }
}

fn nested_block_to_proto(nested: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode as Pm;
    let nesting = match nested.nesting {
        NestingMode::Single => Pm::Single,
        NestingMode::List => Pm::List,
        NestingMode::Set => Pm::Set,
        NestingMode::Map => Pm::Map,
        NestingMode::Group => Pm::Group,
    };
    pb::schema::NestedBlock {
        type_name: nested.type_name.clone(),
        block: Some(block_to_proto(&nested.block, 0)),
        nesting: nesting as i32,
        min_items: nested.min_items,
        max_items: nested.max_items,
    }
}

pub(crate) fn path_to_proto(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .0
            .iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(a) => Selector::AttributeName(a.clone()),
                    PathStep::ElementKeyString(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::ElementKeyInt(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

pub(crate) fn diagnostics_to_proto(diags: &Diagnostics) -> Vec<pb::Diagnostic> {
    diags
        .iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error as i32,
                Severity::Warning => pb::diagnostic::Severity::Warning as i32,
            },
            summary: d.summary.clone(),
            detail: d.detail.clone(),
            attribute: d
                .attribute
                .as_ref()
                .filter(|p| !p.0.is_empty())
                .map(path_to_proto),
        })
        .collect()
}

/// A codec failure as an error diagnostic on the attribute it happened at. `what` says which
/// value it was (e.g. "configuration", "prior state").
pub(crate) fn codec_error_diagnostic(diags: &mut Diagnostics, what: &str, err: &CodecError) {
    let summary = format!("Invalid {what}");
    let detail = format!(
        "The provider could not read the {what} Terraform sent: {}. This is a bug in the \
         provider or a mismatch with Terraform; please report it.",
        err
    );
    if err.path.0.is_empty() {
        diags.error(summary, detail);
    } else {
        diags.attribute_error(err.path.clone(), summary, detail);
    }
}

/// Decodes a DynamicValue (msgpack, else JSON; absent = null). Failures become an error
/// diagnostic on the attribute and `None`.
pub(crate) fn decode_dynamic(
    dv: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let result = match dv {
        None => Ok(Value::Null),
        Some(dv) if !dv.msgpack.is_empty() => decode_msgpack(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => decode_json(&dv.json, ty),
        Some(_) => Ok(Value::Null),
    };
    match result {
        Ok(v) => Some(v),
        Err(err) => {
            codec_error_diagnostic(diags, what, &err);
            None
        }
    }
}

/// Encodes a value as a msgpack DynamicValue; failures become an error diagnostic.
pub(crate) fn encode_dynamic(
    value: &Value,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match encode_msgpack(value, ty) {
        Ok(bytes) => Some(pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        }),
        Err(err) => {
            let detail = format!(
                "The provider produced a {what} it cannot encode: {err}. This is a bug in the provider; please report it."
            );
            let summary = format!("Invalid {what} from provider");
            if err.path.0.is_empty() {
                diags.error(summary, detail);
            } else {
                diags.attribute_error(err.path.clone(), summary, detail);
            }
            None
        }
    }
}

/// The provider's request from Terraform's and the call's context; the other fields have the
/// same names: `copy` ones are copied, `decode` ones decoded against the type (every failure
/// reported, then no request).
macro_rules! from_proto {
    ($request:ident from $proto:ty {
        copy: $($copy:ident),*;
        decode: $($value:ident: $what:literal),* $(,)?
    }) => {
        impl $request {
            pub(crate) fn from_proto(
                req: &$proto,
                ctx: RequestContext,
                ty: &Type,
                diags: &mut Diagnostics,
            ) -> Option<$request> {
                $(let $value = decode_dynamic(req.$value.as_ref(), ty, $what, diags);)*
                Some($request {
                    ctx,
                    $($copy: req.$copy.clone(),)*
                    $($value: $value?,)*
                })
            }
        }
    };
}

from_proto!(ConfigureRequest from pb::configure_provider::Request {
    copy: terraform_version;
    decode: config: "provider configuration"
});
from_proto!(ReadRequest from pb::read_resource::Request {
    copy: type_name, private;
    decode: current_state: "current state"
});
from_proto!(PlanRequest from pb::plan_resource_change::Request {
    copy: type_name, prior_private;
    decode:
        prior_state: "prior state",
        proposed_new_state: "proposed new state",
        config: "configuration",
});
from_proto!(ApplyRequest from pb::apply_resource_change::Request {
    copy: type_name, planned_private;
    decode:
        prior_state: "prior state",
        planned_state: "planned state",
        config: "configuration",
});

impl PlanResponse {
    /// Encodes the provider's plan as Terraform's PlanResourceChange answer (without diagnostics).
    pub(crate) fn to_proto(
        &self,
        ty: &Type,
        diags: &mut Diagnostics,
    ) -> pb::plan_resource_change::Response {
        pb::plan_resource_change::Response {
            planned_state: encode_dynamic(&self.planned_state, ty, "planned state", diags),
            requires_replace: self.requires_replace.iter().map(path_to_proto).collect(),
            planned_private: self.planned_private.clone(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Type;
    use pb::attribute_path::step::Selector;

    fn sample_schema() -> Schema {
        Schema {
            version: 2,
            block: Block {
                description: "A **thing**.".into(),
                description_kind: DescriptionKind::Markdown,
                attributes: vec![Attribute {
                    name: "secret".into(),
                    ty: Type::List(Box::new(Type::String)),
                    description: "plain".into(),
                    optional: true,
                    sensitive: true,
                    deprecated: true,
                    ..Default::default()
                }],
                blocks: vec![NestedBlock {
                    type_name: "inner".into(),
                    nesting: NestingMode::List,
                    min_items: 1,
                    max_items: 3,
                    block: Block::default(),
                }],
                deprecated: false,
            },
        }
    }

    #[test]
    fn schema_converts_every_field() {
        let p = schema_to_proto(&sample_schema());
        assert_eq!(p.version, 2);
        let block = p.block.unwrap();
        assert_eq!(block.version, 2);
        assert_eq!(block.description_kind, pb::StringKind::Markdown as i32);
        let attr = &block.attributes[0];
        assert_eq!(attr.r#type, br#"["list","string"]"#.to_vec());
        assert!(
            attr.optional && attr.sensitive && attr.deprecated && !attr.required && !attr.computed
        );
        assert_eq!(attr.description_kind, pb::StringKind::Plain as i32);
        let nested = &block.block_types[0];
        assert_eq!(nested.type_name, "inner");
        assert_eq!(
            nested.nesting,
            pb::schema::nested_block::NestingMode::List as i32
        );
        assert_eq!((nested.min_items, nested.max_items), (1, 3));
    }

    #[test]
    fn diagnostics_carry_severity_and_path() {
        let mut diags = Diagnostics::new();
        diags.attribute_error(
            AttributePath::attrs(["a"]).index(2).key("k"),
            "Bad",
            "Fix it.",
        );
        diags.warning("Careful", "Detail.");
        let p = diagnostics_to_proto(&diags);
        assert_eq!(p[0].severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!(p[0].summary, "Bad");
        let steps: Vec<_> = p[0]
            .attribute
            .as_ref()
            .unwrap()
            .steps
            .iter()
            .map(|s| s.selector.clone().unwrap())
            .collect();
        assert_eq!(
            steps,
            vec![
                Selector::AttributeName("a".into()),
                Selector::ElementKeyInt(2),
                Selector::ElementKeyString("k".into())
            ]
        );
        assert_eq!(p[1].severity, pb::diagnostic::Severity::Warning as i32);
        assert!(p[1].attribute.is_none());
    }

    #[test]
    fn codec_errors_become_attribute_diagnostics() {
        let ty = Type::Object([("n".to_string(), Type::Number)].into());
        let err = crate::plugin::value::decode_json(br#"{"n":"x"}"#, &ty).unwrap_err();
        let mut diags = Diagnostics::new();
        codec_error_diagnostic(&mut diags, "configuration", &err);
        assert!(diags.has_errors());
        assert_eq!(diags.0[0].attribute, Some(AttributePath::attrs(["n"])));
    }
}
