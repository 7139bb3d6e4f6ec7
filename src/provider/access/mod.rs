//! The cross-tenant access settings resources: `msgraph_cross_tenant_access_partner` (resource
//! and data source) and `msgraph_cross_tenant_access_default`, on the declarative layer.

pub mod api;
pub mod create_partner;
pub mod defs;
pub mod ops;
pub mod settings;

use crate::plugin::{Diagnostics, Value};

use super::declarative::validate::validate;
use super::declarative::ResourceDef;
use super::guid::{TenantId, EXAMPLE_GUID};
use super::timeouts::validate_timeouts;
use defs::{DEFAULT, DEFAULT_ID, PARTNER};

/// The description of resource `type_name`, when it is one of these.
pub fn resource_def(type_name: &str) -> Option<&'static ResourceDef> {
    [&PARTNER, &DEFAULT]
        .into_iter()
        .find(|d| d.type_name == type_name)
}

/// The description of data source `type_name`, when it is one of these.
pub fn data_source_def(type_name: &str) -> Option<&'static ResourceDef> {
    (type_name == PARTNER.type_name).then_some(&PARTNER)
}

/// Plan-time checks, no request: GUIDs, enumerations, timeouts.
pub fn validate_config(def: &ResourceDef, config: &Value, diags: &mut Diagnostics) {
    validate(def.fields, config, diags);
    validate_timeouts(config, diags);
}

/// Checks an import ID once: the partner tenant GUID, or `default`.
pub fn parse_import_id(def: &ResourceDef, id: &str, diags: &mut Diagnostics) -> Option<String> {
    let (problem, example) = match def.key() {
        Some(_) => match TenantId::parse(id) {
            Ok(t) => return Some(t.as_str().to_string()),
            Err(e) => (e.detail, EXAMPLE_GUID),
        },
        None if id == DEFAULT_ID => return Some(id.to_string()),
        None => (
            format!("{id:?} is not an ID of the default settings; there is only one."),
            DEFAULT_ID,
        ),
    };
    diags.error(
        "Invalid import ID",
        format!(
            "{problem}\n\nImport with:\n  terraform import {}.example {example}",
            def.type_name
        ),
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_are_checked_once_with_the_right_form() {
        let mut diags = Diagnostics::new();
        assert_eq!(
            parse_import_id(&PARTNER, EXAMPLE_GUID, &mut diags).as_deref(),
            Some(EXAMPLE_GUID)
        );
        assert_eq!(
            parse_import_id(&DEFAULT, "default", &mut diags).as_deref(),
            Some("default")
        );
        assert!(diags.0.is_empty());
        assert!(parse_import_id(&DEFAULT, EXAMPLE_GUID, &mut diags).is_none());
        assert!(parse_import_id(&PARTNER, "contoso.com", &mut diags).is_none());
        assert!(diags.0[1]
            .detail
            .contains("terraform import msgraph_cross_tenant_access_partner.example"));
    }
}
