//! Compiles proto/ (tfplugin6 and go-plugin's services) with protox and tonic-prost-build.

fn main() {
    let files = [
        "proto/tfplugin6.proto",
        "proto/plugin/grpc_controller.proto",
        "proto/plugin/grpc_stdio.proto",
        "proto/plugin/grpc_broker.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = match protox::compile(files, ["proto"]) {
        Ok(set) => set,
        Err(err) => panic!("proto/ does not compile: {err:?}"),
    };
    // Clients are generated too: the acceptance tests speak the protocol like Terraform does.
    if let Err(err) = tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .build_transport(false)
        .compile_fds(descriptors)
    {
        panic!("generating Rust from proto/ failed: {err}");
    }
}
