//! Tests of the provider as a whole: its schema, configuration and the parsers of user input.

mod input_fuzz;

use super::*;
use crate::plugin::Provider;

#[test]
fn schema_declares_the_resource_and_data_source() {
    let s = MsGraphProvider::new().schema();
    let names = |list: &[(String, crate::plugin::Schema)]| {
        list.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        names(&s.resources),
        [
            "msgraph_cross_tenant_identity_sync",
            "msgraph_cross_tenant_access_partner",
            "msgraph_cross_tenant_access_default"
        ]
    );
    assert_eq!(
        names(&s.data_sources),
        [
            "msgraph_cross_tenant_identity_sync",
            "msgraph_cross_tenant_access_partner"
        ]
    );
    assert!(!s.provider.block.attributes.is_empty());
}

/// `call` on a provider never configured: its answer and the diagnostics it appended.
async fn unconfigured<T>(
    call: impl AsyncFnOnce(&MsGraphProvider, &mut Diagnostics) -> T,
) -> (T, Diagnostics) {
    let mut diags = Diagnostics::new();
    let out = call(&MsGraphProvider::new(), &mut diags).await;
    (out, diags)
}

#[tokio::test]
async fn use_before_configure_is_a_clear_error() {
    let config = Value::object([("tenant_id", Value::string(guid::EXAMPLE_GUID))]);
    let req = ReadDataSourceRequest {
        ctx: RequestContext::default(),
        type_name: TYPE_NAME.into(),
        config,
    };
    let (out, diags) = unconfigured(async |p, d| p.read_data_source(req, d).await).await;
    assert_eq!(diags.0[0].summary, "Provider not configured");
    assert!(out.attr("tenant_id").as_str().is_some());
}

#[tokio::test]
async fn malformed_import_id_is_refused_without_configuration() {
    let req = ImportRequest {
        ctx: RequestContext::default(),
        type_name: TYPE_NAME.into(),
        id: "contoso".into(),
    };
    let (out, diags) = unconfigured(async |p, d| p.import_resource_state(req, d).await).await;
    assert!(out.is_empty());
    assert_eq!(diags.0.len(), 1);
    assert_eq!(diags.0[0].summary, "Invalid import ID");
    assert!(diags.0[0].detail.contains("terraform import"));
}

#[tokio::test]
async fn plan_validates_values_that_became_known() {
    let p = MsGraphProvider::new();
    let config = Value::object([
        ("id", Value::Null),
        ("tenant_id", Value::string("not-a-guid")),
        ("display_name", Value::Null),
        (
            "user_sync_inbound",
            Value::object([("is_sync_allowed", Value::Bool(true))]),
        ),
        ("timeouts", Value::Null),
    ]);
    let mut diags = Diagnostics::new();
    p.plan_resource_change(
        PlanRequest {
            ctx: RequestContext::default(),
            type_name: TYPE_NAME.into(),
            prior_state: Value::Null,
            proposed_new_state: config.clone(),
            config,
            prior_private: vec![],
        },
        &mut diags,
    )
    .await;
    assert_eq!(diags.0.len(), 1);
    assert_eq!(
        diags.0[0]
            .attribute
            .as_ref()
            .map(|p| p.to_string())
            .as_deref(),
        Some("tenant_id")
    );
}

#[tokio::test]
async fn plan_passes_private_state_through_updates_only() {
    let p = MsGraphProvider::new();
    let state = state::resource_value(
        guid::EXAMPLE_GUID,
        guid::EXAMPLE_GUID,
        Some("A"),
        true,
        Value::Null,
    );
    let plan = |prior: Value| PlanRequest {
        ctx: RequestContext::default(),
        type_name: TYPE_NAME.into(),
        prior_state: prior,
        proposed_new_state: state.clone(),
        config: state.with_attr("id", Value::Null),
        prior_private: b"last-write".to_vec(),
    };
    let mut diags = Diagnostics::new();
    let update = p
        .plan_resource_change(plan(state.clone()), &mut diags)
        .await;
    assert_eq!(update.planned_state, state);
    assert_eq!(update.planned_private, b"last-write");
    let create = p.plan_resource_change(plan(Value::Null), &mut diags).await;
    assert_eq!(create.planned_state, state);
    assert!(create.planned_private.is_empty());
    assert!(diags.0.is_empty());
}

#[test]
fn state_from_a_newer_schema_version_is_refused_and_kept() {
    let p = MsGraphProvider::new();
    let state = Value::object([("id", Value::string(guid::EXAMPLE_GUID))]);
    let mut diags = Diagnostics::new();
    let same = p.upgrade_resource_state(
        TYPE_NAME,
        schema::RESOURCE_SCHEMA_VERSION,
        state.clone(),
        &mut diags,
    );
    assert_eq!(same, state);
    assert!(diags.0.is_empty());
    let newer = p.upgrade_resource_state(
        TYPE_NAME,
        schema::RESOURCE_SCHEMA_VERSION + 1,
        state.clone(),
        &mut diags,
    );
    assert_eq!(newer, state);
    assert_eq!(diags.0.len(), 1);
    assert_eq!(diags.0[0].summary, "State from a newer provider");
}

#[test]
fn unknown_types_are_errors() {
    let p = MsGraphProvider::new();
    let mut diags = Diagnostics::new();
    p.validate_resource_config("msgraph_other", &Value::Null, &mut diags);
    assert!(diags.0[0].summary.contains("Unknown resource type"));
}
