//! Each sign-in flow's requests, tokens and errors.

use super::*;

/// Checks the assertion in a token request: header, claims and signature.
fn verify_assertion(request: &Recorded, token_url: &str) {
    use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
    assert_eq!(
        form_field(request, "client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(form_field(request, "client_secret"), None);
    let jwt = form_field(request, "client_assertion").unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["aud"], token_url);
    assert_eq!(claims["iss"], "client-1");
    assert_eq!(claims["sub"], "client-1");
    let (_, cert) = x509_parser::parse_x509_certificate(&rsa_identity().cert_der).unwrap();
    let public = cert.public_key().subject_public_key.data.to_vec();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &public)
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
        )
        .expect("assertion signature verifies");
}

/// A login server whose OIDC endpoint at `oidc_path` answers `oidc_body`; it also issues tokens
/// and serves the policy.
async fn oidc_server(oidc_path: &'static str, oidc_body: &'static str) -> CannedServer {
    CannedServer::start(move |r| {
        if r.path() == oidc_path {
            Reply::json(200, oidc_body)
        } else if is_token(r) {
            Reply::token("tok", 3599)
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await
}

/// Our app getting its federated token from the Azure DevOps endpoint on `server_url`.
fn azure_devops_app(server_url: &str) -> AuthConfig {
    app(AuthConfig {
        use_oidc: true,
        oidc_request_url: Some(format!("{server_url}/ado/oidc")),
        oidc_request_token: Some(Secret::new("ado-access-token")),
        ado_service_connection_id: Some("sc-123".into()),
        ..AuthConfig::default()
    })
}

/// The first request fetched the federated token as expected; the second (the token request)
/// presented it as the assertion.
fn assert_oidc_exchange(
    requests: &[Recorded],
    method: &str,
    target: &str,
    authorization: &str,
    federated: &str,
) {
    assert_eq!(requests[0].method, method);
    assert_eq!(requests[0].target, target);
    assert_eq!(requests[0].header("authorization"), Some(authorization));
    assert_eq!(
        form_field(&requests[1], "client_assertion").as_deref(),
        Some(federated)
    );
}

#[tokio::test]
async fn certificate_sign_in_sends_a_verifiable_assertion() {
    let id = rsa_identity();
    let server = login_server(3599).await;
    let token_url = format!("{}/tenant-1/oauth2/v2.0/token", server.url);

    let pem = write_temp(
        "c.pem",
        format!("{}{}", id.cert_pem, id.key_pem_pkcs1).as_bytes(),
    );
    let c = client(
        &server.url,
        app(AuthConfig {
            client_certificate_path: Some(pem.path().to_path_buf()),
            ..AuthConfig::default()
        }),
    );
    assert_eq!(c.credential_kind(), "client certificate");
    c.sign_in(soon()).await.unwrap();
    verify_assertion(&token_requests(&server)[0], &token_url);

    let server = login_server(3599).await;
    let token_url = format!("{}/tenant-1/oauth2/v2.0/token", server.url);
    let c = client(
        &server.url,
        app(AuthConfig {
            client_certificate: Some(Secret::new(STANDARD.encode(id.pkcs12("pw")))),
            client_certificate_password: Some(Secret::new("pw")),
            ..AuthConfig::default()
        }),
    );
    c.get_identity_sync("p", soon()).await.unwrap();
    verify_assertion(&token_requests(&server)[0], &token_url);
}

#[tokio::test]
async fn oidc_token_and_token_file_become_the_assertion() {
    let server = login_server(3599).await;
    let c = client(
        &server.url,
        app(AuthConfig {
            oidc_token: Some(Secret::new("federated-jwt")),
            ..AuthConfig::default()
        }),
    );
    c.sign_in(soon()).await.unwrap();
    let request = &token_requests(&server)[0];
    assert_eq!(
        form_field(request, "client_assertion").as_deref(),
        Some("federated-jwt")
    );
    assert_eq!(
        form_field(request, "client_id").as_deref(),
        Some("client-1")
    );
    assert_eq!(
        form_field(request, "grant_type").as_deref(),
        Some("client_credentials")
    );

    // Tokens that expire at once force a new token request per call: the file is re-read each
    // time.
    let server = login_server(0).await;
    let file = write_temp("token", b"first-token\n");
    let c = client(
        &server.url,
        app(AuthConfig {
            oidc_token_file_path: Some(file.path().to_path_buf()),
            ..AuthConfig::default()
        }),
    );
    c.sign_in(soon()).await.unwrap();
    std::fs::write(file.path(), "second-token").unwrap();
    c.sign_in(soon()).await.unwrap();
    let assertions: Vec<Option<String>> = token_requests(&server)
        .iter()
        .map(|r| form_field(r, "client_assertion"))
        .collect();
    assert_eq!(
        assertions,
        vec![Some("first-token".into()), Some("second-token".into())]
    );

    std::fs::remove_file(file.path()).unwrap();
    let err = c.sign_in(soon()).await.unwrap_err();
    assert!(
        matches!(&err, GraphError::InvalidSetting { setting: crate::graph::Setting::OidcTokenFile, problem } if problem.contains("could not read")),
        "{err}"
    );
}

#[tokio::test]
async fn github_actions_oidc_request_shape() {
    let server = oidc_server("/github/oidc", r#"{"count":1,"value":"gh-federated"}"#).await;
    let c = client(
        &server.url,
        app(AuthConfig {
            use_oidc: true,
            oidc_request_url: Some(format!("{}/github/oidc?x=1", server.url)),
            oidc_request_token: Some(Secret::new("gh-request-token")),
            ..AuthConfig::default()
        }),
    );
    assert_eq!(c.credential_kind(), "GitHub Actions OIDC");
    c.sign_in(soon()).await.unwrap();
    assert_oidc_exchange(
        &server.requests(),
        "GET",
        "/github/oidc?x=1&audience=api://AzureADTokenExchange",
        "Bearer gh-request-token",
        "gh-federated",
    );
}

#[tokio::test]
async fn azure_devops_oidc_request_shape() {
    let server = oidc_server("/ado/oidc", r#"{"oidcToken":"ado-federated"}"#).await;
    let c = client(&server.url, azure_devops_app(&server.url));
    assert_eq!(c.credential_kind(), "Azure DevOps OIDC");
    c.sign_in(soon()).await.unwrap();
    assert_oidc_exchange(
        &server.requests(),
        "POST",
        "/ado/oidc?api-version=7.1&serviceConnectionId=sc-123",
        "Bearer ado-access-token",
        "ado-federated",
    );

    // An endpoint refusal is a token error with advice, not a panic or a leak.
    let refusing = CannedServer::start(|_| Reply::json(401, r#"{"message":"denied"}"#)).await;
    let c = client(&refusing.url, azure_devops_app(&refusing.url));
    let err = c.sign_in(soon()).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("Azure DevOps") && text.contains("401"),
        "{text}"
    );
    assert!(!text.contains("ado-access-token"));
}

#[tokio::test]
async fn imds_request_shape_and_string_expiry() {
    let server = CannedServer::start(|r| {
        if r.path() == "/metadata/identity/oauth2/token" {
            Reply::json(
                200,
                r#"{"access_token":"imds-token","expires_in":"3599","expires_on":"1999999999","resource":"x","token_type":"Bearer"}"#,
            )
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;
    let c = client(
        &server.url,
        AuthConfig {
            use_msi: true,
            msi_endpoint: Some(format!("{}/metadata/identity/oauth2/token", server.url)),
            client_id: Some("user-assigned-id".into()),
            ..AuthConfig::default()
        },
    );
    c.get_identity_sync("p", soon()).await.unwrap();
    c.get_identity_sync("p", soon()).await.unwrap();
    let requests = server.requests();
    let imds: Vec<&Recorded> = requests
        .iter()
        .filter(|r| r.path().starts_with("/metadata"))
        .collect();
    assert_eq!(imds.len(), 1, "token cached");
    assert_eq!(imds[0].method, "GET");
    assert_eq!(imds[0].header("metadata"), Some("true"));
    assert_eq!(
        imds[0].query_pairs(),
        vec![
            ("api-version".to_string(), "2018-02-01".to_string()),
            ("resource".to_string(), server.url.clone()),
            ("client_id".to_string(), "user-assigned-id".to_string()),
        ]
    );
    let graph = requests.last().unwrap();
    assert_eq!(graph.header("authorization"), Some("Bearer imds-token"));
}

#[tokio::test]
async fn app_service_request_shape_and_errors() {
    let server = CannedServer::start(|r| {
        if r.path() == "/msi/token" {
            if r.header("x-identity-header") == Some("identity-header-value") {
                Reply::json(
                    200,
                    r#"{"access_token":"app-service-token","expires_on":"1999999999","resource":"x","token_type":"Bearer"}"#,
                )
            } else {
                Reply::json(400, r#"{"error":"invalid_request","error_description":"Identity not found"}"#)
            }
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;
    let auth = crate::graph::testutil::app_service_auth(&server.url);
    let c = client(&server.url, auth.clone());
    assert_eq!(c.credential_kind(), "managed identity (App Service)");
    c.sign_in(soon()).await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.query_pairs(),
        vec![
            ("api-version".to_string(), "2019-08-01".to_string()),
            ("resource".to_string(), server.url.clone()),
        ]
    );
    assert!(request.header("metadata").is_none());

    let wrong = client(
        &server.url,
        AuthConfig {
            msi_identity_header: Some(Secret::new("wrong")),
            ..auth
        },
    );
    let err = wrong.sign_in(soon()).await.unwrap_err();
    assert!(
        matches!(&err, GraphError::Token { error, description } if error == "invalid_request" && description.contains("Identity not found")),
        "{err:?}"
    );
}

/// Writes an executable `az` stand-in into `dir`.
fn az_script(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("az");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn cli_auth(command: PathBuf) -> AuthConfig {
    AuthConfig {
        tenant_id: Some("tenant-cli".into()),
        use_cli: true,
        az_command: Some(command),
        ..AuthConfig::default()
    }
}

#[tokio::test]
async fn azure_cli_token_is_used_and_cached() {
    capture_logs();
    let dir = tempfile::tempdir().unwrap();
    let args = dir.path().join("args");
    let az = az_script(
        dir.path(),
        &format!(
            "echo \"$@\" >> '{}'\nprintf '{{\"accessToken\":\"cli-token-4af1\",\"expires_on\":%s,\"tokenType\":\"Bearer\"}}' $(( $(date +%s) + 3600 ))",
            args.display()
        ),
    );
    let server = CannedServer::start(|_| Reply::json(200, POLICY_JSON)).await;
    let c = client(&server.url, cli_auth(az));
    assert_eq!(c.credential_kind(), "Azure CLI");
    c.get_identity_sync("p", soon()).await.unwrap();
    c.get_identity_sync("p", soon()).await.unwrap();
    let calls = std::fs::read_to_string(&args).unwrap();
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        vec![format!(
            "account get-access-token --scope {}/.default -o json --tenant tenant-cli",
            server.url
        )],
        "az ran once with the Graph scope and tenant"
    );
    assert!(server
        .requests()
        .iter()
        .all(|r| r.header("authorization") == Some("Bearer cli-token-4af1")));
    assert!(!captured_logs().join("\n").contains("cli-token-4af1"));
}

#[tokio::test]
async fn azure_cli_missing_or_signed_out_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = CannedServer::start(|_| Reply::json(200, POLICY_JSON)).await;

    let missing = client(&server.url, cli_auth(dir.path().join("no-such-az")));
    let text = missing.sign_in(soon()).await.unwrap_err().to_string();
    assert!(text.contains("install Azure CLI"), "{text}");
    assert!(text.contains("or configure another credential"), "{text}");
    assert!(
        text.contains("client secret: not configured"),
        "the other credentials are listed: {text}"
    );

    let az = az_script(
        dir.path(),
        "echo \"WARNING: noise\" >&2\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1",
    );
    let signed_out = client(&server.url, cli_auth(az));
    let err = signed_out.sign_in(soon()).await.unwrap_err();
    assert!(matches!(err, GraphError::NoCredential { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("ERROR: Please run 'az login' to setup account."),
        "{text}"
    );
    assert!(!text.contains("WARNING"), "{text}");
    assert!(
        server.requests().is_empty(),
        "no Graph request without a token"
    );
}
