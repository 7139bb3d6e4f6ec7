//! Credential selection and every sign-in flow against canned loopback servers.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use tokio::time::Instant;

use super::select;
use crate::graph::testutil::{
    capture_logs, captured_logs, rsa_identity, write_temp, CannedServer, Counter, Recorded, Reply,
};
use crate::graph::{AuthConfig, ClientConfig, Cloud, GraphClient, GraphError, Secret, Tuning};

const POLICY_JSON: &str =
    r#"{"tenantId":"p","displayName":null,"userSyncInbound":{"isSyncAllowed":false}}"#;

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(15)
}

fn app(auth: AuthConfig) -> AuthConfig {
    AuthConfig {
        tenant_id: Some("tenant-1".into()),
        client_id: Some("client-1".into()),
        ..auth
    }
}

fn client(url: &str, auth: AuthConfig) -> GraphClient {
    let config = ClientConfig {
        cloud: Cloud {
            graph_endpoint: url.into(),
            authority_host: url.into(),
        },
        auth,
        user_agent: "test".into(),
        extra_ca_file: None,
        tuning: Tuning {
            retry_base_delay: Duration::from_millis(5),
            retry_max_delay: Duration::from_millis(20),
            ..Tuning::default()
        },
    };
    GraphClient::new(config).unwrap()
}

fn form_field(r: &Recorded, name: &str) -> Option<String> {
    r.form()
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn is_token(r: &Recorded) -> bool {
    r.path().ends_with("/oauth2/v2.0/token")
}

/// Token endpoint (expires_in as given) plus a Graph that answers a policy.
async fn login_server(expires_in: u64) -> CannedServer {
    let n = Counter::default();
    CannedServer::start(move |r| {
        if is_token(r) {
            Reply::token(&format!("tok-{}", n.next() + 1), expires_in)
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await
}

fn token_requests(server: &CannedServer) -> Vec<Recorded> {
    server.requests().into_iter().filter(is_token).collect()
}

fn kind(auth: &AuthConfig) -> &'static str {
    match select(auth) {
        Ok(c) => c.describe(),
        Err(e) => panic!("expected a credential, got {e}"),
    }
}

fn no_credential(auth: &AuthConfig) -> Vec<String> {
    match select(auth) {
        Err(GraphError::NoCredential { tried }) => tried,
        Err(other) => panic!("expected NoCredential, got {other}"),
        Ok(c) => panic!("expected NoCredential, got {}", c.describe()),
    }
}

#[test]
fn the_first_configured_credential_wins() {
    let id = rsa_identity();
    let pem = write_temp(
        "c.pem",
        format!("{}{}", id.cert_pem, id.key_pem_pkcs8).as_bytes(),
    );
    let everything = app(AuthConfig {
        client_certificate_path: Some(pem.path().to_path_buf()),
        client_secret: Some(Secret::new("s")),
        oidc_token: Some(Secret::new("o")),
        use_oidc: true,
        use_msi: true,
        use_cli: true,
        ..AuthConfig::default()
    });
    assert_eq!(kind(&everything), "client certificate");
    let no_cert = AuthConfig {
        client_certificate_path: None,
        ..everything.clone()
    };
    assert_eq!(kind(&no_cert), "client secret");
    let no_secret = AuthConfig {
        client_secret: None,
        ..no_cert.clone()
    };
    assert_eq!(kind(&no_secret), "OIDC token");
    let no_oidc = AuthConfig {
        oidc_token: None,
        use_oidc: false,
        ..no_secret.clone()
    };
    assert_eq!(kind(&no_oidc), "managed identity");
    let no_msi = AuthConfig {
        use_msi: false,
        ..no_oidc.clone()
    };
    assert_eq!(kind(&no_msi), "Azure CLI");
    // Empty strings count as unset.
    let empty = AuthConfig {
        client_secret: Some(Secret::new("")),
        oidc_token: Some(Secret::new("  ")),
        client_certificate_path: Some(PathBuf::new()),
        ..no_msi
    };
    assert_eq!(kind(&empty), "Azure CLI");
    // AKS workload identity: a token file alone is enough.
    let aks = app(AuthConfig {
        oidc_token_file_path: Some("/var/run/secrets/azure/tokens/azure-identity-token".into()),
        ..AuthConfig::default()
    });
    assert_eq!(kind(&aks), "OIDC token file");
}

#[test]
fn nothing_usable_lists_what_each_credential_needs() {
    let tried = no_credential(&AuthConfig::default());
    assert_eq!(tried.len(), 5, "{tried:?}");
    for (line, needs) in tried.iter().zip([
        "client_certificate_path",
        "client_secret",
        "oidc_token",
        "use_msi",
        "use_cli",
    ]) {
        assert!(line.contains(needs), "{line}");
    }
    let text = GraphError::NoCredential { tried }.to_string();
    assert!(text.starts_with("no usable credential"), "{text}");
}

#[test]
fn half_configured_credentials_stop_with_what_is_missing() {
    let tried = no_credential(&AuthConfig {
        client_id: Some("c".into()),
        client_secret: Some(Secret::new("s")),
        use_cli: true,
        ..AuthConfig::default()
    });
    assert!(tried.last().unwrap().contains("tenant_id"), "{tried:?}");

    let tried = no_credential(&app(AuthConfig {
        use_oidc: true,
        ..AuthConfig::default()
    }));
    assert!(
        tried.last().unwrap().contains("oidc_request_url"),
        "{tried:?}"
    );

    let tried = no_credential(&app(AuthConfig {
        use_oidc: true,
        ado_service_connection_id: Some("sc".into()),
        ..AuthConfig::default()
    }));
    assert!(
        tried.last().unwrap().contains("SYSTEM_OIDCREQUESTURI"),
        "{tried:?}"
    );

    let tried = no_credential(&AuthConfig {
        use_msi: true,
        msi_identity_header: Some(Secret::new("h")),
        ..AuthConfig::default()
    });
    assert!(tried.last().unwrap().contains("msi_endpoint"), "{tried:?}");
}

#[test]
fn credential_endpoints_follow_the_https_rule() {
    let err = select(&AuthConfig {
        use_msi: true,
        msi_endpoint: Some("http://metadata.example.com/token".into()),
        ..AuthConfig::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("msi_endpoint"), "{err}");
    // The IMDS default is link-local http, allowed for managed identity only.
    assert_eq!(
        kind(&AuthConfig {
            use_msi: true,
            ..AuthConfig::default()
        }),
        "managed identity"
    );
    let err = select(&app(AuthConfig {
        use_oidc: true,
        oidc_request_url: Some("http://token.actions.example.com/x?y=1".into()),
        oidc_request_token: Some(Secret::new("t")),
        ..AuthConfig::default()
    }))
    .unwrap_err();
    assert!(err.to_string().contains("oidc_request_url"), "{err}");
}

#[test]
fn debug_output_hides_every_secret() {
    let auth = AuthConfig {
        client_secret: Some(Secret::new("secret-AAA")),
        client_certificate: Some(Secret::new("cert-BBB")),
        client_certificate_password: Some(Secret::new("password-CCC")),
        oidc_token: Some(Secret::new("oidc-DDD")),
        oidc_request_token: Some(Secret::new("request-EEE")),
        msi_identity_header: Some(Secret::new("header-FFF")),
        ..AuthConfig::default()
    };
    let shown = format!("{auth:?}");
    for secret in ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    assert!(shown.contains("redacted"));
}

/// Checks the assertion in a token request: header, claims and signature.
fn verify_assertion(request: &Recorded, token_url: &str, pss: bool) {
    use aws_lc_rs::signature::{
        UnparsedPublicKey, VerificationAlgorithm, RSA_PKCS1_2048_8192_SHA256,
        RSA_PSS_2048_8192_SHA256,
    };
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
    assert_eq!(header["alg"], if pss { "PS256" } else { "RS256" });
    assert_eq!(claims["aud"], token_url);
    assert_eq!(claims["iss"], "client-1");
    assert_eq!(claims["sub"], "client-1");
    let (_, cert) = x509_parser::parse_x509_certificate(&rsa_identity().cert_der).unwrap();
    let public = cert.public_key().subject_public_key.data.to_vec();
    let algorithm: &'static dyn VerificationAlgorithm = if pss {
        &RSA_PSS_2048_8192_SHA256
    } else {
        &RSA_PKCS1_2048_8192_SHA256
    };
    UnparsedPublicKey::new(algorithm, &public)
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
        )
        .expect("assertion signature verifies");
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
    verify_assertion(&token_requests(&server)[0], &token_url, false);

    let server = login_server(3599).await;
    let token_url = format!("{}/tenant-1/oauth2/v2.0/token", server.url);
    let c = client(
        &server.url,
        app(AuthConfig {
            client_certificate: Some(Secret::new(STANDARD.encode(id.pkcs12("pw")))),
            client_certificate_password: Some(Secret::new("pw")),
            client_certificate_pss: true,
            ..AuthConfig::default()
        }),
    );
    c.get_identity_sync("p", soon()).await.unwrap();
    verify_assertion(&token_requests(&server)[0], &token_url, true);
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
    assert!(err.to_string().contains("oidc_token_file_path"), "{err}");
}

#[tokio::test]
async fn github_actions_oidc_request_shape() {
    let server = CannedServer::start(|r| {
        if r.path() == "/github/oidc" {
            Reply::json(200, r#"{"count":1,"value":"gh-federated"}"#)
        } else if is_token(r) {
            Reply::token("tok", 3599)
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;
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
    let requests = server.requests();
    assert_eq!(requests[0].method, "GET");
    assert_eq!(
        requests[0].target,
        "/github/oidc?x=1&audience=api://AzureADTokenExchange"
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer gh-request-token")
    );
    assert_eq!(
        form_field(&requests[1], "client_assertion").as_deref(),
        Some("gh-federated")
    );
}

#[tokio::test]
async fn azure_devops_oidc_request_shape() {
    let server = CannedServer::start(|r| {
        if r.path() == "/ado/oidc" {
            Reply::json(200, r#"{"oidcToken":"ado-federated"}"#)
        } else if is_token(r) {
            Reply::token("tok", 3599)
        } else {
            Reply::json(200, POLICY_JSON)
        }
    })
    .await;
    let c = client(
        &server.url,
        app(AuthConfig {
            use_oidc: true,
            oidc_request_url: Some(format!("{}/ado/oidc", server.url)),
            oidc_request_token: Some(Secret::new("ado-access-token")),
            ado_service_connection_id: Some("sc-123".into()),
            ..AuthConfig::default()
        }),
    );
    assert_eq!(c.credential_kind(), "Azure DevOps OIDC");
    c.sign_in(soon()).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].method, "POST");
    assert_eq!(
        requests[0].target,
        "/ado/oidc?api-version=7.1&serviceConnectionId=sc-123"
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer ado-access-token")
    );
    assert_eq!(
        form_field(&requests[1], "client_assertion").as_deref(),
        Some("ado-federated")
    );

    // An endpoint refusal is a token error with advice, not a panic or a leak.
    let refusing = CannedServer::start(|_| Reply::json(401, r#"{"message":"denied"}"#)).await;
    let c = client(
        &refusing.url,
        app(AuthConfig {
            use_oidc: true,
            oidc_request_url: Some(format!("{}/ado/oidc", refusing.url)),
            oidc_request_token: Some(Secret::new("ado-access-token")),
            ado_service_connection_id: Some("sc-123".into()),
            ..AuthConfig::default()
        }),
    );
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
    let auth = AuthConfig {
        use_msi: true,
        msi_endpoint: Some(format!("{}/msi/token", server.url)),
        msi_identity_header: Some(Secret::new("identity-header-value")),
        ..AuthConfig::default()
    };
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
        text.contains("client_secret"),
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
