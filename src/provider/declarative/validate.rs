//! Plan-time checks derived from the declarative description: tenant GUIDs and enumerations,
//! each error pointing at its attribute, no request sent.

use crate::plugin::{AttributePath, Diagnostics, Value};

use super::{Field, Kind};
use crate::provider::guid::validate_tenant_id;

/// Checks every known value of `config` against `fields`.
pub fn validate(fields: &[Field], config: &Value, diags: &mut Diagnostics) {
    check_fields(fields, config, &AttributePath::root(), diags);
}

fn check_fields(fields: &[Field], value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    for f in fields {
        check(f, value.attr(f.name), path.clone().attr(f.name), diags);
    }
}

fn check(f: &Field, value: &Value, path: AttributePath, diags: &mut Diagnostics) {
    match (f.kind, value) {
        (Kind::TenantId, Value::String(s)) => {
            validate_tenant_id(s, path, diags);
        }
        (Kind::Enum(allowed), Value::String(s)) if !allowed.contains(&s.as_str()) => {
            diags.attribute_error(
                path,
                "Invalid value",
                format!(
                    "{s:?} is not a valid {}. Use one of: {}.",
                    f.name,
                    allowed
                        .iter()
                        .map(|a| format!("\"{a}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        (Kind::Block(fields), Value::Object(_)) => check_fields(fields, value, &path, diags),
        (Kind::BlockSet(fields), Value::Set(items) | Value::List(items)) => {
            // Set elements have no stable index: errors point at the set.
            for item in items {
                check_fields(fields, item, &path, diags);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::testutil::sample_resource::DEF;

    #[test]
    fn enumerations_and_guids_are_checked_with_their_path() {
        let config = Value::object([
            ("tenant_id", Value::string("contoso.com")),
            (
                "access",
                Value::object([
                    ("access_type", Value::string("maybe")),
                    (
                        "targets",
                        Value::Set(vec![Value::object([
                            ("target", Value::string("AllUsers")),
                            ("target_type", Value::string("robot")),
                        ])]),
                    ),
                ]),
            ),
        ]);
        let mut diags = Diagnostics::new();
        validate(DEF.fields, &config, &mut diags);
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.attribute.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "tenant_id",
                "access.access_type",
                "access.targets.target_type"
            ]
        );
        assert!(diags.0[1].detail.contains("\"allowed\", \"blocked\""));
    }

    #[test]
    fn unknown_and_valid_values_pass() {
        let config = Value::object([
            ("tenant_id", Value::Unknown),
            (
                "access",
                Value::object([("access_type", Value::string("allowed"))]),
            ),
        ]);
        let mut diags = Diagnostics::new();
        validate(DEF.fields, &config, &mut diags);
        assert!(diags.0.is_empty());
    }
}
