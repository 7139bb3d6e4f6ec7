//! The Microsoft Graph client: authentication, requests, retries, errors and models.
//!
//! It knows nothing of Terraform and reads no environment variables (the provider resolves them
//! into [`AuthConfig`] and [`ClientConfig`]). Every operation takes a deadline
//! (`tokio::time::Instant`): retries and Retry-After waits never run past it. Dropping an
//! operation's future cancels it.

pub mod config;
pub mod error;
pub mod model;

mod auth;
mod client;
mod endpoint;
mod http;
mod retry_loop;
mod retry_pacing;

#[cfg(test)]
mod testutil;

pub use client::GraphClient;
pub use config::{AuthConfig, ClientConfig, Cloud, ProxyConfig, Secret, Tuning};
pub use endpoint::{check_root, is_loopback_host, url_host};
pub use error::{CredentialKind, GraphError, Setting, Skipped, Tried};
pub use model::{IdentitySyncPatch, IdentitySyncPolicy, UserSyncInbound};
