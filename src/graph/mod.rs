//! The Microsoft Graph client: authentication, requests, retries, errors and models.
//!
//! It knows nothing of Terraform. Every operation takes a deadline (`tokio::time::Instant`):
//! retries and Retry-After waits never run past it. Dropping an operation's future cancels it.

pub mod config;
pub mod error;
pub mod model;

mod client;

pub use client::GraphClient;
pub use config::{AuthConfig, ClientConfig, Cloud, Secret};
pub use error::GraphError;
pub use model::{IdentitySyncPatch, IdentitySyncPolicy, UserSyncInbound};
