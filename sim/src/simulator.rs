//! The `Sim` handle tests and the binary use: app registration, object inspection and drift,
//! the request log, fault injection, and starting a server.

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use serde_json::Value;

use crate::faults::Fault;
use crate::jwt::B64URL;
use crate::log::RecordedRequest;
use crate::persistence::{self, PersistError};
use crate::state::{Keys, Partner, RegisteredCert, State};

/// A cheap, cloneable handle to one simulator's shared state.
#[derive(Debug, Clone)]
pub struct Sim {
    inner: Arc<Mutex<State>>,
}

/// An access token the simulator issued (token endpoint, IMDS or App Service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The token itself (for scanning logs for leaks).
    pub access_token: String,
    pub tenant_id: String,
    pub client_id: String,
    /// The scope (token endpoint) or resource (managed identity) it was issued for; it tells
    /// which cloud the client asked for.
    pub scope: String,
    /// `client_secret`, `client_certificate`, `federated`, `imds` or `app_service`.
    pub flow: String,
    pub expires_at: SystemTime,
}

impl Default for Sim {
    fn default() -> Self {
        Sim::new()
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if SystemRandom::new().fill(&mut buf).is_err() {
        // No system randomness: fall back to a v4 UUID's bytes.
        buf = uuid::Uuid::new_v4().as_bytes().to_vec();
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sim {
    /// A simulator with the default app (`TENANT_ID`, `CLIENT_ID`, `CLIENT_SECRET`) and the
    /// managed identities `MSI_CLIENT_ID` and `USER_ASSIGNED_CLIENT_ID` registered.
    pub fn new() -> Sim {
        let keys = Keys {
            federation_key: random_hex(32).into_bytes(),
            access_key: random_hex(32).into_bytes(),
            github_request_token: format!("ghrt_{}", random_hex(20)),
            ado_access_token: format!("ado_{}", random_hex(20)),
            identity_header: random_hex(16),
        };
        let sim = Sim {
            inner: Arc::new(Mutex::new(State::new(keys))),
        };
        sim.add_app_secret(crate::TENANT_ID, crate::CLIENT_ID, crate::CLIENT_SECRET);
        sim.add_managed_identity(crate::MSI_CLIENT_ID);
        sim.add_managed_identity(crate::USER_ASSIGNED_CLIENT_ID);
        sim
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Serves this simulator on `listener` until `shutdown` completes.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        crate::server::serve(self.clone(), listener, shutdown).await
    }

    /// A fresh simulator served on 127.0.0.1 at a free port; stops when dropped.
    pub async fn start() -> SimServer {
        Sim::new().spawn().await
    }

    /// Serves this simulator on 127.0.0.1 at a free port; stops when dropped.
    ///
    /// # Panics
    /// When no loopback port can be bound (a broken test machine).
    pub async fn spawn(&self) -> SimServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0 for the simulator");
        let addr = listener
            .local_addr()
            .expect("local address of a bound listener");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let sim = self.clone();
        let task = tokio::spawn(async move {
            let _ = sim
                .serve(listener, async move {
                    let _ = stopped.await;
                })
                .await;
        });
        SimServer {
            sim: self.clone(),
            url: format!("http://{addr}"),
            stop: Some(stop),
            task: Some(task),
        }
    }

    // ----- apps and credentials -----

    /// Registers (or extends) an app with a client secret.
    pub fn add_app_secret(&self, tenant: &str, client_id: &str, secret: &str) {
        self.lock()
            .app_mut(tenant, client_id)
            .secrets
            .push(secret.to_owned());
    }

    /// Registers (or extends) an app with a certificate: DER, or PEM (its first CERTIFICATE
    /// block; a private key beside it is ignored). A certificate whose key cannot be read
    /// refuses every assertion that names it.
    pub fn add_app_certificate(&self, tenant: &str, client_id: &str, cert_der: &[u8]) {
        let pem_der = pem_certificate(cert_der);
        let cert_der = pem_der.as_deref().unwrap_or(cert_der);
        let x5t = B64URL.encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, cert_der));
        let x5t_s256 = B64URL.encode(digest::digest(&digest::SHA256, cert_der));
        let key = crate::der::certificate_key(cert_der).unwrap_or(crate::der::CertKey::Other);
        self.lock()
            .app_mut(tenant, client_id)
            .certs
            .push(RegisteredCert { x5t, x5t_s256, key });
    }

    /// Registers an app with no credential (federated assertions still work for it).
    pub fn add_app(&self, tenant: &str, client_id: &str) {
        self.lock().app_mut(tenant, client_id);
    }

    /// Lets the IMDS / App Service endpoints answer for this user-assigned identity.
    pub fn add_managed_identity(&self, client_id: &str) {
        self.lock()
            .managed_identities
            .insert(client_id.to_ascii_lowercase());
    }

    /// A federated token (workload identity) the token endpoint accepts as a client assertion
    /// for `client_id`, valid for an hour.
    pub fn mint_federated_token(&self, client_id: &str) -> String {
        self.mint_federated(&workload_subject(client_id), crate::FEDERATION_AUDIENCE)
    }

    pub(crate) fn mint_federated(&self, subject: &str, audience: &str) -> String {
        let key = self.lock().keys.federation_key.clone();
        let now = crate::jwt::now_unix();
        let claims = serde_json::json!({
            "iss": crate::FEDERATION_ISSUER,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        let token = crate::jwt::sign_hs256(&key, "sim-federation", &claims);
        self.lock().federated_minted.push(token.clone());
        token
    }

    /// Every federated token minted so far (API and OIDC endpoints), for leak scans.
    pub fn federated_tokens_minted(&self) -> Vec<String> {
        self.lock().federated_minted.clone()
    }

    /// How many TCP connections the server accepted (connection reuse checks), not counting
    /// connections that carried only `/_sim/` control requests.
    pub fn connections_accepted(&self) -> usize {
        let state = self.lock();
        state
            .connections_accepted
            .saturating_sub(state.control_only_connections)
    }

    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN` for the GitHub OIDC endpoint.
    pub fn github_request_token(&self) -> String {
        self.lock().keys.github_request_token.clone()
    }

    /// `SYSTEM_ACCESSTOKEN` for the Azure DevOps OIDC endpoint.
    pub fn ado_access_token(&self) -> String {
        self.lock().keys.ado_access_token.clone()
    }

    /// `IDENTITY_HEADER` for the App Service endpoint.
    pub fn identity_header(&self) -> String {
        self.lock().keys.identity_header.clone()
    }

    /// Lifetime of tokens issued from now on (default 3599 s); short values test refresh.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.lock().token_lifetime = lifetime;
    }

    /// Makes every token issued so far expired.
    pub fn expire_tokens(&self) {
        let now = std::time::Instant::now();
        for t in self.lock().tokens.values_mut() {
            t.expires = now;
        }
    }

    /// How many access tokens were issued (all flows).
    pub fn tokens_issued(&self) -> usize {
        self.lock().issued.len()
    }

    /// What an access token was issued for (`None` if this simulator never issued it).
    pub fn token_info(&self, access_token: &str) -> Option<IssuedToken> {
        self.lock().tokens.get(access_token).map(|t| t.info.clone())
    }

    /// Every access token issued, in order.
    pub fn issued_tokens(&self) -> Vec<IssuedToken> {
        self.lock().issued.clone()
    }

    // ----- objects -----

    /// Creates the partner configuration (no-op when it exists).
    pub fn add_partner(&self, tenant_id: &str) {
        self.edit_partner(tenant_id, |_| {});
    }

    /// Applies `edit` to the partner configuration of `tenant_id`, creating it if missing, and
    /// saves the state.
    fn edit_partner(&self, tenant_id: &str, edit: impl FnOnce(&mut Partner)) {
        let mut state = self.lock();
        edit(
            state
                .partners
                .entry(tenant_id.to_ascii_lowercase())
                .or_default(),
        );
        drop(state);
        self.persist();
    }

    /// When on, any well-formed partner GUID counts as an existing partner configuration, so
    /// identitySynchronization can be written for any tenant without creating partners first.
    pub fn set_auto_partners(&self, on: bool) {
        self.lock().auto_partners = on;
    }

    /// Whether [`Sim::set_auto_partners`] is on.
    pub fn auto_partners(&self) -> bool {
        self.lock().auto_partners
    }

    /// Whether the partner configuration was created (partners implied by auto partners only
    /// count once written to).
    pub fn has_partner(&self, tenant_id: &str) -> bool {
        self.lock()
            .partners
            .contains_key(&tenant_id.to_ascii_lowercase())
    }

    /// The partner configuration as GET returns it (no `@odata.context`), if it exists.
    pub fn partner_config(&self, tenant_id: &str) -> Option<Value> {
        let tenant = tenant_id.to_ascii_lowercase();
        let state = self.lock();
        state
            .partners
            .get(&tenant)
            .map(|p| crate::access_routes::partner_json(&tenant, &p.config))
    }

    /// Sets properties of a partner configuration behind the client's back (drift), creating
    /// it if missing. `properties` is a JSON object merged over the stored ones.
    pub fn set_partner_config(&self, tenant_id: &str, properties: Value) {
        self.edit_partner(tenant_id, |partner| {
            if let Value::Object(map) = properties {
                partner.config.extend(map);
            }
        });
    }

    /// Deletes a partner configuration (and any policy under it) behind the client's back.
    pub fn remove_partner(&self, tenant_id: &str) {
        self.lock().partners.remove(&tenant_id.to_ascii_lowercase());
        self.persist();
    }

    /// The default settings as GET returns them.
    pub fn default_settings(&self) -> Value {
        self.lock().default_settings.clone()
    }

    /// Merges properties into the default settings behind the client's back (drift).
    pub fn set_default_settings(&self, properties: Value) {
        let mut state = self.lock();
        if let (Some(obj), Value::Object(map)) =
            (state.default_settings.as_object_mut(), properties)
        {
            obj.extend(map);
        }
        drop(state);
        self.persist();
    }

    /// The stored identitySynchronization object (what Graph really holds, ignoring any
    /// consistency window).
    pub fn policy(&self, tenant_id: &str) -> Option<Value> {
        self.lock()
            .partners
            .get(&tenant_id.to_ascii_lowercase())
            .and_then(|p| p.policy.clone())
    }

    /// Replaces the stored object behind the client's back (drift), creating the partner if
    /// missing. `body` is stored exactly as given, so tests can serve extra or missing fields.
    pub fn set_policy(&self, tenant_id: &str, body: Value) {
        self.edit_partner(tenant_id, |partner| partner.policy = Some(body));
        crate::read_lag::forget(self, &tenant_id.to_ascii_lowercase());
    }

    /// Deletes the stored object behind the client's back.
    pub fn remove_policy(&self, tenant_id: &str) {
        self.lock().delete_policy(&tenant_id.to_ascii_lowercase());
        crate::read_lag::forget(self, &tenant_id.to_ascii_lowercase());
        self.persist();
    }

    // ----- request log -----

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().log.all()
    }

    /// The request log as text, one request a line, for test failure output.
    pub fn request_log_text(&self) -> String {
        self.requests().iter().map(|r| format!("{r}\n")).collect()
    }

    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    // ----- faults -----

    /// Delay before every Graph request is answered.
    pub fn set_latency(&self, d: Duration) {
        self.lock().latency = d;
    }

    /// The current Graph latency.
    pub fn latency(&self) -> Duration {
        self.lock().latency
    }

    /// The current consistency delay.
    pub fn consistency_delay(&self) -> Duration {
        self.lock().consistency_delay
    }

    /// The read lag: for `d` after a successful PUT, PATCH or DELETE of any Graph path (or a POST
    /// creating a partner configuration, on the new partner's path), GETs of that path answer what they answered before the write (404 after a create, the old values
    /// after an update, the deleted object after a delete). Zero (the default) turns it off.
    pub fn set_consistency_delay(&self, d: Duration) {
        self.lock().consistency_delay = d;
    }

    /// Ends every open read-lag window now: reads show what Graph holds.
    pub fn catch_up(&self) {
        self.lock().lagging.clear();
    }

    /// Queues a fault; faults match in queue order.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    // ----- persistence -----

    /// Loads partners (settings and policies) and the default settings from `path` if it
    /// exists, and writes them back there after every change.
    pub fn use_state_file(&self, path: &Path) -> Result<(), PersistError> {
        let loaded = persistence::load(path)?;
        let mut state = self.lock();
        for (tenant, partner) in loaded.partners {
            state.partners.insert(tenant, partner);
        }
        if let Some(defaults) = loaded.default_settings {
            state.default_settings = defaults;
        }
        state.state_file = Some(path.to_owned());
        drop(state);
        self.persist();
        Ok(())
    }

    /// Writes the state file now (when one is configured). Errors are reported on stderr: a
    /// failed demo save must not take the simulator down.
    pub(crate) fn persist(&self) {
        let snapshot = {
            let state = self.lock();
            state.state_file.as_ref().map(|path| {
                (
                    path.clone(),
                    persistence::next_version(),
                    persistence::snapshot(&state),
                )
            })
        };
        if let Some((path, version, snapshot)) = snapshot {
            if let Err(e) = persistence::write(&path, version, &snapshot) {
                eprintln!("msgraph-sim: {e}");
            }
        }
    }
}

/// The DER inside the first PEM CERTIFICATE block, if `bytes` is PEM.
fn pem_certificate(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let start = text.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = start + text[start..].find("-----END CERTIFICATE-----")?;
    let b64: String = text[start..end].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// The subject `mint_federated_token` puts in a token for `client_id`.
pub(crate) fn workload_subject(client_id: &str) -> String {
    format!(
        "system:serviceaccount:default:{}",
        client_id.to_ascii_lowercase()
    )
}

/// A running simulator on a loopback port; stops when dropped.
#[derive(Debug)]
pub struct SimServer {
    pub sim: Sim,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SimServer {
    /// The token endpoint of the default tenant.
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.url, crate::TENANT_ID)
    }

    /// `ACTIONS_ID_TOKEN_REQUEST_URL` (has a query so `&audience=` can be appended).
    pub fn github_oidc_url(&self) -> String {
        format!("{}/github/oidc?x=1", self.url)
    }

    /// `SYSTEM_OIDCREQUESTURI`.
    pub fn ado_oidc_url(&self) -> String {
        format!("{}/ado/oidc", self.url)
    }

    /// The IMDS token endpoint (`msi_endpoint`).
    pub fn imds_url(&self) -> String {
        format!("{}/metadata/identity/oauth2/token", self.url)
    }

    /// The App Service endpoint (`IDENTITY_ENDPOINT`).
    pub fn app_service_url(&self) -> String {
        format!("{}/msi/token", self.url)
    }

    /// Stops the server and waits until it has stopped (state file written).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl std::ops::Deref for SimServer {
    type Target = Sim;
    fn deref(&self) -> &Sim {
        &self.sim
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
