//! The `terraform-provider-msgraph` binary: parses flags and hands over to [`run`].

use std::process::ExitCode;

use terraform_provider_msgraph::{plugin::ServeOptions, print_schema_json, run};

fn main() -> ExitCode {
    let mut options = ServeOptions::default();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--debug" | "-debug" => options.debug = true,
            "--tcp" => options.tcp = true,
            "--allow-plaintext-tcp" => options.allow_plaintext_tcp = true,
            "--schema-json" => return print_schema_json(),
            "--version" | "-version" => {
                println!("terraform-provider-msgraph {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("terraform-provider-msgraph: unknown flag {other:?} (flags: --debug, --tcp, --allow-plaintext-tcp, --schema-json, --version)");
                return ExitCode::from(2);
            }
        }
    }
    run(options)
}
