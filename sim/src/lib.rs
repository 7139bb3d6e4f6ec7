//! A Microsoft Graph simulator for cross-tenant identity synchronization: Graph routes, an Entra
//! token endpoint, managed identity and OIDC endpoints, fault injection and a request log.
//!
//! One plain-http loopback origin serves everything:
//! - Graph: `/{v1.0|beta}/policies/crossTenantAccessPolicy/partners[/{tid}[/identitySynchronization]]`
//!   (bearer token issued by this simulator required);
//! - Entra: `POST /{tenant}/oauth2/v2.0/token` (client secret, certificate or federated assertion);
//! - IMDS `GET /metadata/identity/oauth2/token`, App Service `GET /msi/token`;
//! - GitHub Actions OIDC `GET /github/oidc`, Azure DevOps OIDC `POST /ado/oidc`;
//! - control API for out-of-process drivers (not Graph, no token, not logged):
//!   `GET /_sim/stats`, `POST /_sim/reset-log`, `POST /_sim/latency?ms=N`,
//!   `POST /_sim/consistency-delay?ms=N`.
//!
//! Graph answers as Microsoft documents it: PUT on an existing policy is `409
//! Request_MultipleObjectsWithSameKeyValue`, a missing policy `404 Directory_ObjectNotFound`. The
//! read lag ([`Sim::set_consistency_delay`]) and "apply, then lose the answer"
//! ([`FaultKind::ApplyThen`]) work on any Graph path.
//!
//! Tests start one with [`Sim::start`], drive it through the [`Sim`] handle (drift, faults,
//! request log) and point the client at [`SimServer::url`].

mod access_routes;
mod assertion;
mod control;
mod der;
mod dispatch;
mod faults;
mod graph_routes;
mod identity;
mod jwt;
mod log;
mod persistence;
mod read_lag;
mod reply;
mod server;
mod simulator;
mod state;
mod token;

pub use faults::{Fault, FaultKind};
pub use log::RecordedRequest;
pub use persistence::PersistError;
pub use simulator::{IssuedToken, Sim, SimServer};

/// Tenant of the pre-registered default app (the tenant being managed).
pub const TENANT_ID: &str = "4a7c2d1e-9b3f-4e6a-8c5d-1f2e3a4b5c6d";
/// Client ID of the pre-registered default app.
pub const CLIENT_ID: &str = "b1d6e0a4-3c2f-4f8e-9a7b-6c5d4e3f2a1b";
/// Client secret of the pre-registered default app.
pub const CLIENT_SECRET: &str = "sim~Secret.0123456789abcdefghijklmnopqrstu";
/// Client ID the IMDS / App Service endpoints answer for when no `client_id` is given.
pub const MSI_CLIENT_ID: &str = "5e8f1a2b-6c3d-4e9f-a0b1-c2d3e4f5a6b7";
/// A user-assigned managed identity known to the simulator.
pub const USER_ASSIGNED_CLIENT_ID: &str = "7f0a2b3c-4d5e-4f60-8172-93a4b5c6d7e8";
/// Subject of the federated tokens the GitHub OIDC endpoint mints (trusted by every app).
pub const GITHUB_SUBJECT: &str = "repo:contoso/infrastructure:environment:production";
/// Prefix of the subjects the Azure DevOps OIDC endpoint mints (trusted by every app).
pub const ADO_SUBJECT_PREFIX: &str = "sc://contoso/infrastructure/";
/// Audience Entra requires in federated assertions.
pub const FEDERATION_AUDIENCE: &str = "api://AzureADTokenExchange";
/// Issuer of the federated tokens the simulator mints.
pub const FEDERATION_ISSUER: &str = "https://oidc.msgraph-sim.invalid";

/// Serves a default [`Sim`] on `listener` until `shutdown` completes.
pub async fn run(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    Sim::new().serve(listener, shutdown).await
}
