//! Renders the HCL the scenarios use: provider block for a simulator URL, resources, data sources.

/// The resource type and data source name under test.
pub const RESOURCE: &str = "msgraph_cross_tenant_identity_sync";

/// `terraform { required_providers { msgraph = { source = "entra/msgraph" } } }`.
pub fn terraform_block() -> String {
    "terraform {\n  required_providers {\n    msgraph = {\n      source = \"entra/msgraph\"\n    }\n  }\n}\n"
        .to_string()
}

/// How the provider block gets its client secret.
#[derive(Debug, Clone)]
pub enum Secret {
    /// Written into the provider block (the CONTRACTS.md configuration).
    Inline(String),
    /// `client_secret = var.client_secret` with a sensitive variable, fed by TF_VAR_client_secret
    /// so the secret never appears in a source snippet Terraform prints.
    Variable,
}

/// The provider block pointing graph_endpoint and authority_host at the simulator, with the
/// simulator's default app and its secret given as `secret` says.
pub fn provider_with(sim_url: &str, secret: &Secret) -> String {
    let (variable, secret_expr) = match secret {
        Secret::Inline(s) => (String::new(), hcl_string(s)),
        Secret::Variable => (
            "variable \"client_secret\" {\n  type      = string\n  sensitive = true\n}\n\n"
                .to_string(),
            "var.client_secret".to_string(),
        ),
    };
    format!(
        "{variable}provider \"msgraph\" {{\n  tenant_id      = {tenant}\n  client_id      = {client}\n  client_secret  = {secret_expr}\n  graph_endpoint = {url}\n  authority_host = {url}\n  use_cli        = false\n}}\n",
        tenant = hcl_string(msgraph_sim::TENANT_ID),
        client = hcl_string(msgraph_sim::CLIENT_ID),
        url = hcl_string(sim_url),
    )
}

/// A `msgraph_cross_tenant_identity_sync` resource with a literal tenant_id.
pub fn resource(name: &str, tenant_id: &str, display_name: Option<&str>, allowed: bool) -> String {
    resource_expr(name, &hcl_string(tenant_id), display_name, allowed)
}

/// Same, but tenant_id is a raw HCL expression (a reference, a function call ...).
pub fn resource_expr(
    name: &str,
    tenant_id_expr: &str,
    display_name: Option<&str>,
    allowed: bool,
) -> String {
    // aligned the way `terraform fmt` aligns consecutive attributes
    let (tenant_key, display) = match display_name {
        Some(d) => (
            "tenant_id   ",
            format!("  display_name = {}\n", hcl_string(d)),
        ),
        None => ("tenant_id", String::new()),
    };
    format!(
        "resource \"{RESOURCE}\" \"{name}\" {{\n  {tenant_key} = {tenant_id_expr}\n{display}\n  user_sync_inbound {{\n    is_sync_allowed = {allowed}\n  }}\n}}\n"
    )
}

/// A data source reading one partner's policy.
pub fn data_source(name: &str, tenant_id: &str) -> String {
    format!(
        "data \"{RESOURCE}\" \"{name}\" {{\n  tenant_id = {}\n}}\n",
        hcl_string(tenant_id)
    )
}

/// `output "name" { value = EXPR }`.
pub fn output(name: &str, expr: &str) -> String {
    format!("output \"{name}\" {{\n  value = {expr}\n}}\n")
}

/// One `output "NAME" { value = ADDRESS.PATH }` per `(NAME, PATH)` of `paths`.
pub fn outputs(address: &str, paths: &[(&str, &str)]) -> Vec<String> {
    paths
        .iter()
        .map(|(name, path)| output(name, &format!("{address}.{path}")))
        .collect()
}

/// `import { to = ADDR  id = "ID" }` (Terraform 1.5+).
pub fn import_block(address: &str, id: &str) -> String {
    format!(
        "import {{\n  to = {address}\n  id = {}\n}}\n",
        hcl_string(id)
    )
}

/// Joins blocks into one file, provider and terraform blocks first.
pub fn file(sim_url: &str, blocks: &[String]) -> String {
    file_with(
        sim_url,
        &Secret::Inline(msgraph_sim::CLIENT_SECRET.to_string()),
        blocks,
    )
}

pub fn file_with(sim_url: &str, secret: &Secret, blocks: &[String]) -> String {
    let mut out = terraform_block();
    out.push('\n');
    out.push_str(&provider_with(sim_url, secret));
    for block in blocks {
        out.push('\n');
        out.push_str(block);
    }
    out
}

/// A quoted HCL string literal; `${` and `%{` are escaped so nothing is interpolated.
pub fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// Adds a `timeouts { KEY = "VALUE" ... }` block to a rendered resource.
pub fn with_timeouts(resource_hcl: &str, timeouts: &[(&str, &str)]) -> String {
    let body: String = timeouts
        .iter()
        .map(|(k, v)| format!("    {k} = {}\n", hcl_string(v)))
        .collect();
    let trimmed = resource_hcl.trim_end().trim_end_matches('}');
    format!("{trimmed}\n  timeouts {{\n{body}  }}\n}}\n")
}
