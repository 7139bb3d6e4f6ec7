//! Managed identity (IMDS, App Service) and OIDC (GitHub Actions, Azure DevOps) endpoints.

mod common;

use common::*;
use msgraph_sim::{
    Sim, CLIENT_ID, FEDERATION_AUDIENCE, MSI_CLIENT_ID, TENANT_ID, USER_ASSIGNED_CLIENT_ID,
};

const RESOURCE: &str = "https%3A%2F%2Fgraph.microsoft.com";

#[tokio::test]
async fn imds_requires_metadata_header() {
    let server = Sim::start().await;
    let path =
        format!("/metadata/identity/oauth2/token?api-version=2018-02-01&resource={RESOURCE}");
    let refused = request(&server.url, "GET", &path, &[], None).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["error"], "invalid_request");
    assert_eq!(server.tokens_issued(), 0);

    let ok = request(&server.url, "GET", &path, &[("Metadata", "true")], None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let body = ok.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["resource"], "https://graph.microsoft.com");
    assert_eq!(body["client_id"], MSI_CLIENT_ID);
    assert_eq!(body["expires_in"], "3599");
    assert!(body["expires_on"]
        .as_str()
        .is_some_and(|s| s.parse::<u64>().is_ok()));
    let access = body["access_token"].as_str().expect("token");
    server.add_partner(PARTNER);
    assert_eq!(
        graph(&server, access, "GET", SYNC_PATH, None).await.status,
        404
    );

    let user = request(
        &server.url,
        "GET",
        &format!("{path}&client_id={USER_ASSIGNED_CLIENT_ID}"),
        &[("Metadata", "true")],
        None,
    )
    .await;
    assert_eq!(user.json()["client_id"], USER_ASSIGNED_CLIENT_ID);
    let unknown = request(
        &server.url,
        "GET",
        &format!("{path}&client_id=00000000-0000-0000-0000-000000000001"),
        &[("Metadata", "true")],
        None,
    )
    .await;
    assert_eq!(unknown.status, 400);
    let no_resource = request(
        &server.url,
        "GET",
        "/metadata/identity/oauth2/token?api-version=2018-02-01",
        &[("Metadata", "true")],
        None,
    )
    .await;
    assert_eq!(no_resource.status, 400);
    assert_eq!(server.tokens_issued(), 2);
    assert_eq!(server.issued_tokens()[0].flow, "imds");
}

#[tokio::test]
async fn app_service_requires_identity_header() {
    let server = Sim::start().await;
    let path = format!("/msi/token?api-version=2019-08-01&resource={RESOURCE}");
    let refused = request(
        &server.url,
        "GET",
        &path,
        &[("X-IDENTITY-HEADER", "wrong")],
        None,
    )
    .await;
    assert_eq!(refused.status, 401);
    let header = server.identity_header();
    let ok = request(
        &server.url,
        "GET",
        &path,
        &[("X-IDENTITY-HEADER", &header)],
        None,
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["resource"], "https://graph.microsoft.com");
    assert_eq!(server.issued_tokens()[0].flow, "app_service");
}

#[tokio::test]
async fn github_oidc_token_signs_in() {
    let server = Sim::start().await;
    let url = format!(
        "{}&audience={FEDERATION_AUDIENCE}",
        server.github_oidc_url()
    );
    let path = url.trim_start_matches(&server.url).to_owned();
    let refused = request(
        &server.url,
        "GET",
        &path,
        &[("Authorization", "Bearer nope")],
        None,
    )
    .await;
    assert_eq!(refused.status, 401);
    let auth = format!("Bearer {}", server.github_request_token());
    let resp = request(&server.url, "GET", &path, &[("Authorization", &auth)], None).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let assertion = resp.json()["value"].as_str().expect("value").to_owned();
    let token = federated_token_request(&server, &assertion).await;
    assert_eq!(token.status, 200, "{}", token.body);

    // Without the Entra audience GitHub mints a token Entra refuses.
    let no_audience = server
        .github_oidc_url()
        .trim_start_matches(&server.url)
        .to_owned();
    let resp = request(
        &server.url,
        "GET",
        &no_audience,
        &[("Authorization", &auth)],
        None,
    )
    .await;
    let assertion = resp.json()["value"].as_str().expect("value").to_owned();
    let token = federated_token_request(&server, &assertion).await;
    assert_eq!(token.status, 401, "{}", token.body);
    assert_eq!(token.json()["error_codes"][0], 700212);
}

#[tokio::test]
async fn ado_oidc_token_signs_in() {
    let server = Sim::start().await;
    let path = "/ado/oidc?api-version=7.1&serviceConnectionId=3f2e1d0c-0000-4000-8000-000000000001";
    let refused = request(
        &server.url,
        "POST",
        path,
        &[("Authorization", "Bearer nope")],
        None,
    )
    .await;
    assert_eq!(refused.status, 401);
    let auth = format!("Bearer {}", server.ado_access_token());
    let resp = request(&server.url, "POST", path, &[("Authorization", &auth)], None).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let assertion = resp.json()["oidcToken"]
        .as_str()
        .expect("oidcToken")
        .to_owned();
    let token = federated_token_request(&server, &assertion).await;
    assert_eq!(token.status, 200, "{}", token.body);
    let missing = request(
        &server.url,
        "POST",
        "/ado/oidc?api-version=7.1",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(missing.status, 400);
}

async fn federated_token_request(server: &msgraph_sim::SimServer, assertion: &str) -> HttpResponse {
    token_request(
        server,
        TENANT_ID,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("scope", "https://graph.microsoft.com/.default"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ],
    )
    .await
}
