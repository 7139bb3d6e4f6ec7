//! Process entry for the plugin server: handshake, listener, TLS and the gRPC services.

use std::process::ExitCode;

use super::Provider;

/// How the binary was started.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// `--debug`: serve without Terraform starting us and print TF_REATTACH_PROVIDERS.
    pub debug: bool,
}

/// Serves `provider` until Terraform shuts it down.
pub fn serve<P: Provider>(provider: P, options: ServeOptions) -> ExitCode {
    let _ = (provider, options);
    eprintln!("terraform-provider-msgraph: plugin server not built yet");
    ExitCode::FAILURE
}
