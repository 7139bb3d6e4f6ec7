//! A Terraform provider for Microsoft Entra cross-tenant identity synchronization.
//!
//! # Layout
//!
//! Three layers, each depending only on the one below it:
//!
//! - [`plugin`]: the Terraform plugin protocol (tfplugin6 over gRPC): handshake, AutoMTLS, the
//!   cty value codec, schemas and diagnostics. Generic; it knows nothing of Microsoft Graph.
//! - [`provider`]: the provider itself: configuration, the `msgraph_cross_tenant_identity_sync`
//!   resource and data source, plan/diff logic. The only code that knows both Terraform and Graph.
//! - [`graph`]: the Microsoft Graph client: authentication, requests, retries, errors, models.
//!   It knows nothing of Terraform.

pub mod graph;
pub mod plugin;
pub mod provider;

/// Serves the provider over the plugin protocol until Terraform shuts it down.
pub fn run(mut options: plugin::ServeOptions) -> std::process::ExitCode {
    // Before the provider builds any HTTP client: one rustls crypto provider per process.
    plugin::install_crypto_provider();
    options.provider_address = provider::PROVIDER_ADDRESS.to_string();
    plugin::serve_process(provider::MsGraphProvider::new(), options)
}

/// Prints the provider schema as `terraform providers schema -json` would (for docs tooling).
pub fn print_schema_json() -> std::process::ExitCode {
    use plugin::Provider;
    let schema = provider::MsGraphProvider::new().schema();
    let json = plugin::schema_json(&schema, provider::PROVIDER_ADDRESS);
    println!("{json:#}");
    std::process::ExitCode::SUCCESS
}
