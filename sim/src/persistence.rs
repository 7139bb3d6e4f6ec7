//! The optional state file: partners (their access settings and sync policies) and the default
//! access settings as JSON, written atomically (write then rename) after every change, so a demo
//! survives restarts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{json, Map, Value};

use crate::state::{Partner, State};

/// Reading or writing the state file failed.
#[derive(Debug)]
pub enum PersistError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    Format {
        path: PathBuf,
        message: String,
    },
}

impl std::fmt::Display for PersistError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PersistError::Io { path, source } => {
                write!(f, "state file {}: {source}", path.display())
            }
            PersistError::Format { path, message } => {
                write!(f, "state file {} is not valid: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for PersistError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PersistError::Io { source, .. } => Some(source),
            PersistError::Format { .. } => None,
        }
    }
}

/// The JSON written to the state file.
pub(crate) fn snapshot(state: &State) -> Value {
    let partners: Vec<Value> = state
        .partners
        .iter()
        .map(|(tenant, p)| {
            json!({
                "tenantId": tenant,
                "settings": p.config,
                "identitySynchronization": p.policy,
            })
        })
        .collect();
    json!({ "partners": partners, "defaultSettings": state.default_settings })
}

/// What a state file holds.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// Partners by lower-case tenant ID.
    pub partners: Vec<(String, Partner)>,
    /// `None` in files written before the default settings were saved.
    pub default_settings: Option<Value>,
}

/// Partners, their settings and policies, and the default settings; an absent file is an
/// empty state. Files without `settings` or `defaultSettings` (older ones) still load.
pub(crate) fn load(path: &Path) -> Result<Loaded, PersistError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(source) => {
            return Err(PersistError::Io {
                path: path.to_owned(),
                source,
            })
        }
    };
    let format_error = |message: String| PersistError::Format {
        path: path.to_owned(),
        message,
    };
    let doc: Value = serde_json::from_slice(&bytes).map_err(|e| format_error(e.to_string()))?;
    let partners = doc
        .get("partners")
        .and_then(Value::as_array)
        .ok_or_else(|| format_error("missing \"partners\" array".into()))?;
    let partners = partners
        .iter()
        .map(|p| {
            let tenant = p
                .get("tenantId")
                .and_then(Value::as_str)
                .ok_or_else(|| format_error("a partner has no \"tenantId\"".into()))?;
            let policy = match p.get("identitySynchronization") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.clone()),
            };
            let config = match p.get("settings") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(m)) => m.clone(),
                Some(_) => {
                    return Err(format_error(format!(
                        "the settings of partner {tenant} are not an object"
                    )))
                }
            };
            Ok((tenant.to_ascii_lowercase(), Partner { config, policy }))
        })
        .collect::<Result<_, _>>()?;
    let default_settings = match doc.get("defaultSettings") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => return Err(format_error("\"defaultSettings\" is not an object".into())),
    };
    Ok(Loaded {
        partners,
        default_settings,
    })
}

/// Snapshot order across every simulator in the process.
static VERSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The next snapshot version; take it while holding the state lock.
pub(crate) fn next_version() -> u64 {
    VERSION.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
}

/// Last version written per file, so an older snapshot never overwrites a newer one.
static WRITTEN: Mutex<Option<HashMap<PathBuf, u64>>> = Mutex::new(None);

/// Writes `snapshot` (taken at `version`) unless a newer one was already written.
pub(crate) fn write(path: &Path, version: u64, snapshot: &Value) -> Result<(), PersistError> {
    let mut written = WRITTEN.lock().unwrap_or_else(|e| e.into_inner());
    let map = written.get_or_insert_with(HashMap::new);
    if map.get(path).is_some_and(|&v| v > version) {
        return Ok(());
    }
    let io_error = |source| PersistError::Io {
        path: path.to_owned(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let text = serde_json::to_string_pretty(snapshot).unwrap_or_default();
    std::fs::write(&tmp, text + "\n").map_err(io_error)?;
    std::fs::rename(&tmp, path).map_err(io_error)?;
    map.insert(path.to_owned(), version);
    Ok(())
}
