//! Each credential flow signs the real Graph client in against the simulator, then PUTs and
//! GETs a policy with the token it got.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use msgraph_sim::{Sim, CLIENT_ID, CLIENT_SECRET, TENANT_ID, USER_ASSIGNED_CLIENT_ID};
use terraform_provider_msgraph::graph::{AuthConfig, GraphError, Secret, Setting};

use super::*;

/// Our app fetching its federated token from the CI endpoint `url` with `request_token`.
fn oidc_request_app(url: String, request_token: String) -> AuthConfig {
    app(
        TENANT_ID,
        CLIENT_ID,
        AuthConfig {
            use_oidc: true,
            oidc_request_url: Some(url),
            oidc_request_token: Some(Secret::new(request_token)),
            ..AuthConfig::default()
        },
    )
}

/// `client_id` signing in with the certificate (and key) in the PEM file at `pem`.
fn certificate_file_app(client_id: &str, pem: std::path::PathBuf) -> AuthConfig {
    app(
        TENANT_ID,
        client_id,
        AuthConfig {
            client_certificate_path: Some(pem),
            ..AuthConfig::default()
        },
    )
}

/// The request the simulator recorded to `path`, asserting there was exactly one.
fn the_one_request_to(sim: &SimServer, path: &str) -> RecordedRequest {
    let mut requests: Vec<RecordedRequest> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect();
    assert_eq!(requests.len(), 1, "requests to {path}");
    requests.remove(0)
}

#[tokio::test]
async fn client_secret() {
    let sim = Sim::start().await;
    let auth = secret_app(CLIENT_SECRET);
    let client = sim_client(&sim, auth).unwrap();
    assert_eq!(client.credential_kind(), "client secret");
    put_and_get(&client, &sim, "a client secret").await;

    let tokens = token_requests(&sim);
    assert_eq!(tokens.len(), 1, "one token for both calls (cached)");
    let form = |name| form_field(&tokens[0], name);
    assert_eq!(form("grant_type").as_deref(), Some("client_credentials"));
    assert_eq!(form("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(form("client_secret").as_deref(), Some(CLIENT_SECRET));
    assert_eq!(form("scope"), Some(format!("{}/.default", sim.url)));
    assert_eq!(form("client_assertion"), None);
    assert_eq!(issued_flows(&sim), ["client_secret"]);
}

#[tokio::test]
async fn a_wrong_client_secret_shows_the_aadsts_error_but_not_the_secret() {
    let sim = Sim::start().await;
    let wrong = "wrong~Secret.do-not-print-me-0123456789";
    let auth = secret_app(wrong);
    let client = sim_client(&sim, auth).unwrap();
    let err = client.sign_in(soon()).await.unwrap_err().to_string();
    assert!(err.contains("AADSTS7000215"), "{err}");
    assert!(!err.contains(wrong), "{err}");
    assert_eq!(sim.tokens_issued(), 0);
}

/// The JOSE header of the assertion in a recorded token request.
fn assertion_header(r: &RecordedRequest) -> serde_json::Value {
    let jwt = form_field(r, "client_assertion").expect("a client_assertion");
    let header = jwt.split('.').next().unwrap_or_default();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64url header"))
        .expect("JSON header")
}

#[tokio::test]
async fn certificate_from_pem_pkcs12_file_and_base64() {
    let id = rsa_identity();
    let dir = tempfile::tempdir().unwrap();
    let pem = write_temp(&dir, "client.pem", id.pem_bundle.as_bytes());
    let pfx = write_temp(&dir, "client.pfx", &id.pkcs12("pfx-Pa55word"));
    let b64 = STANDARD.encode(id.pkcs12("b64-Pa55word"));

    let cases: Vec<(&str, AuthConfig)> = vec![
        (
            "PEM file",
            AuthConfig {
                client_certificate_path: Some(pem),
                ..AuthConfig::default()
            },
        ),
        (
            "PKCS#12 file with password",
            AuthConfig {
                client_certificate_path: Some(pfx),
                client_certificate_password: Some(Secret::new("pfx-Pa55word")),
                ..AuthConfig::default()
            },
        ),
        (
            "base64 PKCS#12 with password",
            AuthConfig {
                client_certificate: Some(Secret::new(b64)),
                client_certificate_password: Some(Secret::new("b64-Pa55word")),
                ..AuthConfig::default()
            },
        ),
    ];
    for (what, auth) in cases {
        let sim = Sim::start().await;
        sim.add_app_certificate(TENANT_ID, CERT_APP, &id.cert_der);
        let client = sim_client(&sim, app(TENANT_ID, CERT_APP, auth)).unwrap();
        assert_eq!(client.credential_kind(), "client certificate", "{what}");
        put_and_get(&client, &sim, what).await;

        assert_eq!(issued_flows(&sim), ["client_certificate"], "{what}");
        let request = &token_requests(&sim)[0];
        assert_eq!(form_field(request, "client_secret"), None, "{what}");
        let header = assertion_header(request);
        assert_eq!(header["alg"], "RS256", "{what}");
        assert!(header["x5t"].is_string(), "{what}: {header}");
    }
}

#[tokio::test]
async fn a_certificate_the_app_does_not_hold_is_refused_by_entra() {
    let sim = Sim::start().await;
    // The app exists with a secret only: the signature cannot match any registered certificate.
    let dir = tempfile::tempdir().unwrap();
    let pem = write_temp(&dir, "client.pem", rsa_identity().pem_bundle.as_bytes());
    let auth = certificate_file_app(CLIENT_ID, pem);
    let client = sim_client(&sim, auth).unwrap();
    let err = client.sign_in(soon()).await.unwrap_err().to_string();
    assert!(err.contains("AADSTS"), "{err}");
    assert_eq!(sim.tokens_issued(), 0);
}

#[tokio::test]
async fn an_ec_key_is_a_configuration_error_before_any_request() {
    let sim = Sim::start().await;
    let id = ec_identity();
    sim.add_app_certificate(TENANT_ID, CERT_APP, &id.cert_der);
    let dir = tempfile::tempdir().unwrap();
    let pem = write_temp(&dir, "ec.pem", id.pem_bundle.as_bytes());
    let auth = certificate_file_app(CERT_APP, pem);
    match sim_client(&sim, auth) {
        Err(GraphError::InvalidSetting { setting, problem }) => {
            assert!(problem.contains("only RSA"), "{problem}");
            assert!(problem.contains("ec.pem"), "{problem}");
            assert_eq!(setting, Setting::ClientCertificatePath);
        }
        Err(other) => panic!("expected a configuration error, got {other}"),
        Ok(c) => panic!("an EC key was accepted: {c:?}"),
    }
    assert!(sim.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn oidc_token() {
    let sim = Sim::start().await;
    let federated = sim.mint_federated_token(CLIENT_ID);
    let auth = app(
        TENANT_ID,
        CLIENT_ID,
        AuthConfig {
            use_oidc: true,
            oidc_token: Some(Secret::new(federated.clone())),
            ..AuthConfig::default()
        },
    );
    let client = sim_client(&sim, auth).unwrap();
    put_and_get(&client, &sim, "an OIDC token").await;
    let request = &token_requests(&sim)[0];
    assert_eq!(form_field(request, "client_assertion"), Some(federated));
    assert_eq!(
        form_field(request, "client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(issued_flows(&sim), ["federated"]);
}

#[tokio::test]
async fn oidc_token_file_is_read_again_for_every_token() {
    let sim = Sim::start().await;
    let dir = tempfile::tempdir().unwrap();
    let first = sim.mint_federated_token(CLIENT_ID);
    let file = write_temp(&dir, "token", format!("{first}\n").as_bytes());
    let auth = app(
        TENANT_ID,
        CLIENT_ID,
        AuthConfig {
            oidc_token_file_path: Some(file.clone()),
            ..AuthConfig::default()
        },
    );
    let client = sim_client(&sim, auth).unwrap();
    put_and_get(&client, &sim, "an OIDC token file").await;

    // The kubelet rotates the file; the cached access token then stops working.
    let second = sim.mint_federated_token(CLIENT_ID);
    std::fs::write(&file, &second).unwrap();
    sim.expire_tokens();
    let read = client.get_identity_sync(PARTNER, soon()).await.unwrap();
    assert!(read.is_some(), "GET after the token rotated");

    let assertions: Vec<Option<String>> = token_requests(&sim)
        .iter()
        .map(|r| form_field(r, "client_assertion"))
        .collect();
    assert_eq!(assertions, [Some(first), Some(second)]);
    assert_eq!(issued_flows(&sim), ["federated", "federated"]);
}

#[tokio::test]
async fn tokens_are_refreshed_ahead_of_expiry() {
    let sim = Sim::start().await;
    // Refreshed at half-life for short-lived tokens: after 2 s of a 4 s token.
    sim.set_token_lifetime(std::time::Duration::from_secs(4));
    let auth = secret_app(CLIENT_SECRET);
    let client = sim_client(&sim, auth).unwrap();
    client.sign_in(soon()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    sim.add_partner(PARTNER);
    client.get_identity_sync(PARTNER, soon()).await.unwrap();

    assert_eq!(
        sim.tokens_issued(),
        2,
        "a new token before the old one expired"
    );
    let statuses: Vec<u16> = sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1.0/"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [404], "Graph never saw an expired token (no 401)");
}

#[tokio::test]
async fn github_actions_request_url() {
    let sim = Sim::start().await;
    let auth = oidc_request_app(sim.github_oidc_url(), sim.github_request_token());
    let client = sim_client(&sim, auth).unwrap();
    put_and_get(&client, &sim, "GitHub Actions OIDC").await;

    let github = the_one_request_to(&sim, "/github/oidc");
    assert_eq!(github.method, "GET");
    assert_eq!(github.status, 200);
    assert_eq!(
        query_param(&github, "audience").as_deref(),
        Some("api://AzureADTokenExchange")
    );
    assert_eq!(
        header(&github, "authorization"),
        Some(format!("Bearer {}", sim.github_request_token()).as_str())
    );
    let minted = sim.federated_tokens_minted();
    assert_eq!(
        form_field(&token_requests(&sim)[0], "client_assertion"),
        minted.last().cloned()
    );
    assert_eq!(issued_flows(&sim), ["federated"]);
}

#[tokio::test]
async fn azure_devops_service_connection() {
    let sim = Sim::start().await;
    let auth = AuthConfig {
        ado_service_connection_id: Some("3f2e1d0c-sc-prod".into()),
        ..oidc_request_app(sim.ado_oidc_url(), sim.ado_access_token())
    };
    let client = sim_client(&sim, auth).unwrap();
    put_and_get(&client, &sim, "Azure DevOps OIDC").await;

    let ado = the_one_request_to(&sim, "/ado/oidc");
    assert_eq!(ado.method, "POST");
    assert_eq!(ado.status, 200);
    assert_eq!(query_param(&ado, "api-version").as_deref(), Some("7.1"));
    assert_eq!(
        query_param(&ado, "serviceConnectionId").as_deref(),
        Some("3f2e1d0c-sc-prod")
    );
    assert_eq!(
        header(&ado, "authorization"),
        Some(format!("Bearer {}", sim.ado_access_token()).as_str())
    );
    assert_eq!(issued_flows(&sim), ["federated"]);
}

#[tokio::test]
async fn managed_identity_system_and_user_assigned_via_imds() {
    for user_assigned in [None, Some(USER_ASSIGNED_CLIENT_ID)] {
        let sim = Sim::start().await;
        let auth = AuthConfig {
            use_msi: true,
            msi_endpoint: Some(sim.imds_url()),
            client_id: user_assigned.map(str::to_string),
            ..AuthConfig::default()
        };
        let client = sim_client(&sim, auth).unwrap();
        assert_eq!(client.credential_kind(), "managed identity");
        put_and_get(&client, &sim, "managed identity (IMDS)").await;

        let imds = the_one_request_to(&sim, "/metadata/identity/oauth2/token");
        assert_eq!(header(&imds, "metadata"), Some("true"));
        assert_eq!(
            query_param(&imds, "api-version").as_deref(),
            Some("2018-02-01")
        );
        assert_eq!(query_param(&imds, "resource"), Some(sim.url.clone()));
        assert_eq!(query_param(&imds, "client_id").as_deref(), user_assigned);
        let issued = sim.issued_tokens();
        assert_eq!(issued.len(), 1);
        assert_eq!(issued[0].flow, "imds");
        assert_eq!(
            issued[0].client_id,
            user_assigned.unwrap_or(msgraph_sim::MSI_CLIENT_ID)
        );
    }
}

#[tokio::test]
async fn managed_identity_via_app_service() {
    let sim = Sim::start().await;
    let auth = AuthConfig {
        use_msi: true,
        msi_endpoint: Some(sim.app_service_url()),
        msi_identity_header: Some(Secret::new(sim.identity_header())),
        ..AuthConfig::default()
    };
    let client = sim_client(&sim, auth).unwrap();
    assert_eq!(client.credential_kind(), "managed identity (App Service)");
    put_and_get(&client, &sim, "managed identity (App Service)").await;

    let msi = the_one_request_to(&sim, "/msi/token");
    assert_eq!(
        header(&msi, "x-identity-header"),
        Some(sim.identity_header().as_str())
    );
    assert_eq!(
        query_param(&msi, "api-version").as_deref(),
        Some("2019-08-01")
    );
    assert_eq!(issued_flows(&sim), ["app_service"]);

    // A wrong identity header is refused, and the error does not echo it.
    let wrong = AuthConfig {
        use_msi: true,
        msi_endpoint: Some(sim.app_service_url()),
        msi_identity_header: Some(Secret::new("wrong-identity-header-value")),
        ..AuthConfig::default()
    };
    let err = sim_client(&sim, wrong)
        .unwrap()
        .sign_in(soon())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("401"), "{err}");
    assert!(!err.contains("wrong-identity-header-value"), "{err}");
}

/// An access token the simulator issued (a secret sign-in done here), for the stand-in `az`.
async fn token_from_sim(sim: &SimServer) -> String {
    terraform_provider_msgraph::plugin::install_crypto_provider();
    let response: serde_json::Value = reqwest::Client::new()
        .post(sim.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("scope", &format!("{}/.default", sim.url)),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn azure_cli_stand_in() {
    let sim = Sim::start().await;
    let token = token_from_sim(&sim).await;
    let dir = tempfile::tempdir().unwrap();
    let args_file = dir.path().join("args");
    let expires_on = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3000;
    let az = az_script(
        dir.path(),
        &format!(
            "printf '%s\\n' \"$@\" > '{}'\nprintf '{{\"accessToken\":\"{token}\",\"expires_on\":{expires_on},\"tokenType\":\"Bearer\"}}'",
            args_file.display()
        ),
    );
    let auth = AuthConfig {
        tenant_id: Some(TENANT_ID.into()),
        use_cli: true,
        az_command: Some(az),
        ..AuthConfig::default()
    };
    let client = sim_client(&sim, auth).unwrap();
    assert_eq!(client.credential_kind(), "Azure CLI");
    put_and_get(&client, &sim, "the Azure CLI").await;

    let args: Vec<String> = std::fs::read_to_string(&args_file)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let scope = format!("{}/.default", sim.url);
    assert_eq!(
        args,
        [
            "account",
            "get-access-token",
            "--scope",
            scope.as_str(),
            "-o",
            "json",
            "--tenant",
            TENANT_ID
        ]
    );
    // The Graph calls carried az's token, and az was the only sign-in.
    assert_eq!(sim.tokens_issued(), 1, "only the token handed to az");
    let bearers: Vec<&str> = sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1.0/"))
        .filter_map(|r| header(r, "authorization"))
        .map(|v| v.trim_start_matches("Bearer "))
        .map(|v| if v == token { "az token" } else { "other" })
        .collect();
    assert_eq!(bearers, ["az token", "az token"]);
}

#[tokio::test]
async fn azure_cli_signed_out_or_missing_is_a_clear_error() {
    let sim = Sim::start().await;
    let dir = tempfile::tempdir().unwrap();
    let signed_out = az_script(
        dir.path(),
        "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1",
    );
    let missing = dir.path().join("no-such-dir").join("az");
    for (az, needle) in [
        (signed_out, "Please run 'az login'"),
        (missing, "was not found"),
    ] {
        let auth = AuthConfig {
            use_cli: true,
            az_command: Some(az),
            ..AuthConfig::default()
        };
        let client = sim_client(&sim, auth).unwrap();
        match client.sign_in(soon()).await {
            Err(GraphError::NoCredential { tried }) => {
                let last = tried.last().map(|t| t.to_string()).unwrap_or_default();
                assert!(last.starts_with("Azure CLI: "), "{tried:?}");
                assert!(last.contains(needle), "{tried:?}");
                assert_eq!(tried.len(), 5, "every credential is listed: {tried:?}");
            }
            other => panic!("expected NoCredential, got {other:?}"),
        }
    }
    assert!(sim.requests().is_empty(), "az failing sends nothing");
}
