//! The handshake and AutoMTLS: Terraform's client is answered, anyone else refused; plaintext
//! mode; running by hand; `--schema-json`.

use super::client::*;
use terraform_provider_msgraph::plugin::proto::tfplugin6 as pb;

#[tokio::test]
async fn terraform_style_mtls_client_gets_answers_and_shutdown_ends_the_process() {
    let cert = client_cert();
    let mut plugin = start(Some(&cert.pem), &[]);
    assert_eq!(plugin.network, "unix");
    assert!(
        plugin.server_cert.is_some(),
        "AutoMTLS must send a server certificate"
    );
    let ch = channel(&plugin, Some(&cert))
        .await
        .expect("TLS connection with Terraform's cert");
    let schema = get_schema(ch.clone())
        .await
        .expect("GetProviderSchema answered");
    assert_schema_answer(&schema);

    // StopProvider cancels in-flight work but the server keeps answering.
    let mut client = provider_client(ch.clone());
    let stop = client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider");
    assert_eq!(stop.into_inner().error, "");
    let meta = client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata")
        .into_inner();
    assert!(meta.server_capabilities.expect("capabilities").plan_destroy);
    let identity = client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .expect("GetResourceIdentitySchemas")
        .into_inner();
    assert!(identity.identity_schemas.is_empty() && identity.diagnostics.is_empty());
    let functions = client
        .get_functions(pb::get_functions::Request {})
        .await
        .expect("GetFunctions")
        .into_inner();
    assert!(functions.functions.is_empty());
    // An unknown resource type is an error diagnostic, not a gRPC failure.
    let validate = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "msgraph_nope".into(),
            // msgpack nil; no client capabilities
            config: Some(pb::DynamicValue {
                msgpack: vec![0xc0],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("ValidateResourceConfig answered")
        .into_inner();
    let severities: Vec<i32> = validate.diagnostics.iter().map(|d| d.severity).collect();
    assert_eq!(severities, [pb::diagnostic::Severity::Error as i32]);

    shutdown_and_wait(&mut plugin, ch).await;
}

#[tokio::test]
async fn clients_without_terraforms_certificate_are_refused() {
    let cert = client_cert();
    let plugin = start(Some(&cert.pem), &["--tcp"]);
    assert_eq!(plugin.network, "tcp");
    let port: u16 = plugin
        .address
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    assert!(
        plugin.address.starts_with("127.0.0.1:") && (10000..=25000).contains(&port),
        "{}",
        plugin.address
    );

    // No client certificate at all: no RPC is answered.
    let refused = match channel(&plugin, None).await {
        Ok(ch) => get_schema(ch).await.is_err(),
        Err(_) => true,
    };
    assert!(refused, "a client without a certificate got an answer");

    // Another P-521 certificate (same shape as Terraform's, different key): refused.
    let impostor = client_cert();
    let refused = match channel(&plugin, Some(&impostor)).await {
        Ok(ch) => get_schema(ch).await.is_err(),
        Err(_) => true,
    };
    assert!(refused, "a client with another certificate got an answer");

    // Terraform's certificate without Terraform's key: the handshake signature does not verify.
    let server_cert = plugin.server_cert.clone().expect("server cert");
    let refused =
        match channel_with(&plugin, Some(stolen_cert_connector(&server_cert, &cert))).await {
            Ok(ch) => get_schema(ch).await.is_err(),
            Err(_) => true,
        };
    assert!(
        refused,
        "a client with Terraform's certificate but another key got an answer"
    );

    // Terraform itself still gets through afterwards.
    let ch = channel(&plugin, Some(&cert))
        .await
        .expect("connect with Terraform's cert");
    assert_schema_answer(&get_schema(ch).await.expect("GetProviderSchema answered"));
}

#[test]
fn running_by_hand_prints_one_sentence_and_exits_1() {
    let out = base_command(&[]).output().expect("run the binary");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "stdout must stay empty: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "one line on stderr: {stderr:?}"
    );
    assert!(stderr.contains("Terraform"), "{stderr:?}");
}

#[test]
fn protocol_5_only_is_refused_clearly() {
    let out = base_command(&[])
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .output()
        .expect("run the binary");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}

#[tokio::test]
async fn tls_can_be_disabled() {
    let mut plugin = start(None, &[]);
    assert_eq!(
        plugin.server_cert, None,
        "plaintext mode sends an empty cert field"
    );
    let ch = channel(&plugin, None).await.expect("plaintext connection");
    assert_schema_answer(
        &get_schema(ch.clone())
            .await
            .expect("GetProviderSchema answered"),
    );
    shutdown_and_wait(&mut plugin, ch).await;
}

#[test]
fn schema_json_flag_prints_terraforms_shape() {
    let out = base_command(&["--schema-json"])
        .output()
        .expect("run the binary");
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["format_version"], "1.0");
    assert!(
        json["provider_schemas"]["registry.terraform.io/entra/msgraph"]["provider"].is_object()
    );
}

#[test]
fn plaintext_on_a_tcp_port_is_refused_without_the_explicit_flag() {
    let mut child = base_command(&["--tcp"])
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("TF_DISABLE_PLUGIN_TLS", "1")
        .spawn()
        .expect("run the binary");
    let deadline = std::time::Instant::now() + PATIENCE;
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the provider served plaintext on TCP instead of refusing");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("provider output");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no handshake line may be printed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--allow-plaintext-tcp"), "{stderr:?}");
}

#[tokio::test]
async fn plaintext_is_served_with_a_warning_that_the_channel_is_unauthenticated() {
    // With the explicit flag on TCP, and (like every plaintext start) a warning in the log.
    let mut cmd = base_command(&["--tcp", "--allow-plaintext-tcp"]);
    cmd.env("TF_LOG_PROVIDER", "WARN");
    let mut plugin = start_command(cmd, None);
    assert_eq!(plugin.network, "tcp");
    serves_schema_then_shuts_down(&mut plugin, None).await;
    let mut stderr = String::new();
    std::io::Read::read_to_string(plugin.child.stderr.as_mut().expect("stderr"), &mut stderr)
        .expect("read stderr");
    assert!(
        stderr.contains("\"@level\":\"warn\"") && stderr.contains("unauthenticated"),
        "{stderr}"
    );
}

#[tokio::test]
async fn tls_disabled_set_to_0_keeps_mutual_tls() {
    let cert = client_cert();
    let mut cmd = base_command(&[]);
    cmd.env("TF_DISABLE_PLUGIN_TLS", "0");
    let mut plugin = start_command(cmd, Some(&cert.pem));
    assert!(
        plugin.server_cert.is_some(),
        "TF_DISABLE_PLUGIN_TLS=0 turned TLS off"
    );
    serves_schema_then_shuts_down(&mut plugin, Some(&cert)).await;
}

#[tokio::test]
async fn tls_1_2_clients_are_answered_with_terraforms_key_and_refused_without_it() {
    let cert = client_cert();
    let plugin = start(Some(&cert.pem), &[]);
    let server_cert = plugin.server_cert.clone().expect("server cert");
    let tls12 = &[&rustls::version::TLS12];

    let stolen = stolen_cert_connector_for(tls12, &server_cert, &cert);
    assert!(
        refused(&plugin, stolen).await,
        "a TLS 1.2 client with Terraform's certificate but another key got an answer"
    );

    let impostor = client_cert();
    let other = tls_connector_for(tls12, &server_cert, Some(&impostor));
    assert!(
        refused(&plugin, other).await,
        "a TLS 1.2 client with another certificate got an answer"
    );

    let ours = tls_connector_for(tls12, &server_cert, Some(&cert));
    let ch = channel_with(&plugin, Some(ours))
        .await
        .expect("TLS 1.2 connection with Terraform's cert and key");
    assert_schema_answer(
        &get_schema(ch)
            .await
            .expect("GetProviderSchema answered over TLS 1.2"),
    );
}

/// Terraform 1.11's go-plugin (1.6.0) logs "error encountered while scanning stdout" when the
/// process exits before its stdout reader saw the end: stdout ends right after the handshake
/// line, long before the exit, and carries nothing else.
#[test]
fn stdout_ends_after_the_handshake_line_while_the_provider_serves() {
    let cert = client_cert();
    let mut plugin = start(Some(&cert.pem), &[]);
    let rest = plugin
        .stdout_rest
        .recv_timeout(PATIENCE)
        .expect("stdout still open after the handshake line");
    assert_eq!(rest, "", "stdout carried more than the handshake line");
    assert!(
        plugin.child.try_wait().expect("provider status").is_none(),
        "the provider exited instead of serving"
    );
    assert!(std::path::Path::new(&plugin.address).exists());
}
