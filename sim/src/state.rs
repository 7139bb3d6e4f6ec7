//! The simulator's state: registered apps, partners and their sync policies, issued tokens,
//! injected faults and the request log. Plain data, always behind the `Sim` mutex.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::der::CertKey;
use crate::faults::Fault;
use crate::log::RequestLog;
use crate::read_lag::LaggedRead;
use crate::simulator::IssuedToken;

/// A certificate registered on an app.
#[derive(Debug, Clone)]
pub(crate) struct RegisteredCert {
    /// base64url SHA-1 of the DER (`x5t`).
    pub x5t: String,
    /// base64url SHA-256 of the DER (`x5t#S256`).
    pub x5t_s256: String,
    pub key: CertKey,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct App {
    pub secrets: Vec<String>,
    pub certs: Vec<RegisteredCert>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Partner {
    /// The partner configuration's writable properties that were set (JSON names).
    pub config: serde_json::Map<String, Value>,
    pub policy: Option<Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct LiveToken {
    pub info: IssuedToken,
    pub expires: Instant,
}

/// Random per-simulator secrets.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    pub federation_key: Vec<u8>,
    pub access_key: Vec<u8>,
    pub github_request_token: String,
    pub ado_access_token: String,
    pub identity_header: String,
}

#[derive(Debug)]
pub(crate) struct State {
    /// Keyed by (tenant, client id), both lower-case.
    pub apps: HashMap<(String, String), App>,
    pub managed_identities: HashSet<String>,
    /// Keyed by lower-case tenant ID.
    pub partners: BTreeMap<String, Partner>,
    pub tokens: HashMap<String, LiveToken>,
    pub issued: Vec<IssuedToken>,
    pub federated_minted: Vec<String>,
    pub connections_accepted: usize,
    /// Connections that so far carried only `/_sim/` control requests.
    pub control_only_connections: usize,
    /// The default cross-tenant access settings, as GET returns them.
    pub default_settings: Value,
    /// Any well-formed partner GUID counts as an existing partner configuration.
    pub auto_partners: bool,
    pub token_lifetime: Duration,
    pub latency: Duration,
    /// The read lag: for this long after a write, GETs of that path answer what was there
    /// before.
    pub consistency_delay: Duration,
    /// Open read-lag windows, by path (see `read_lag`).
    pub lagging: HashMap<String, LaggedRead>,
    pub faults: VecDeque<Fault>,
    pub log: RequestLog,
    pub keys: Keys,
    /// `http://127.0.0.1:PORT` once serving.
    pub base_url: Option<String>,
    pub state_file: Option<PathBuf>,
}

pub(crate) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3599);

impl State {
    pub(crate) fn new(keys: Keys) -> State {
        State {
            apps: HashMap::new(),
            managed_identities: HashSet::new(),
            partners: BTreeMap::new(),
            tokens: HashMap::new(),
            issued: Vec::new(),
            federated_minted: Vec::new(),
            connections_accepted: 0,
            control_only_connections: 0,
            default_settings: crate::access_routes::system_default(),
            auto_partners: false,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            latency: Duration::ZERO,
            consistency_delay: Duration::ZERO,
            lagging: HashMap::new(),
            faults: VecDeque::new(),
            log: RequestLog::default(),
            keys,
            base_url: None,
            state_file: None,
        }
    }

    pub(crate) fn app_mut(&mut self, tenant: &str, client_id: &str) -> &mut App {
        self.apps
            .entry((tenant.to_ascii_lowercase(), client_id.to_ascii_lowercase()))
            .or_default()
    }

    pub(crate) fn app(&self, tenant: &str, client_id: &str) -> Option<&App> {
        self.apps
            .get(&(tenant.to_ascii_lowercase(), client_id.to_ascii_lowercase()))
    }

    pub(crate) fn tenant_known(&self, tenant: &str) -> bool {
        let tenant = tenant.to_ascii_lowercase();
        self.apps.keys().any(|(t, _)| *t == tenant)
    }

    /// Whether the partner configuration exists (or is implied by `auto_partners`).
    pub(crate) fn partner_exists(&self, tenant: &str) -> bool {
        self.auto_partners || self.partners.contains_key(tenant)
    }

    pub(crate) fn delete_policy(&mut self, tenant: &str) -> bool {
        let Some(partner) = self.partners.get_mut(tenant) else {
            return false;
        };
        partner.policy.take().is_some()
    }
}
