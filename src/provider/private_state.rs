//! Private state: when this provider last wrote the policy and what it wrote, as JSON bytes, so
//! a read inside Graph's eventual-consistency window can tell a lagging answer from a real one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// How long after our own write a 404 or stale answer is retried instead of believed.
pub const DEFAULT_CONSISTENCY_WINDOW: Duration = Duration::from_secs(30);

/// What this provider wrote and when. Empty private state means "nothing to wait for".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastWrite {
    /// Wall-clock time of the write, milliseconds since the Unix epoch (private state crosses
    /// processes, so a monotonic clock would not do).
    pub written_at_unix_ms: u64,
    /// The displayName we sent; `None` when we sent none (Graph may fill one in).
    pub display_name: Option<String>,
    pub is_sync_allowed: bool,
}

impl LastWrite {
    pub fn now(display_name: Option<String>, is_sync_allowed: bool) -> LastWrite {
        LastWrite {
            written_at_unix_ms: unix_ms(SystemTime::now()),
            display_name,
            is_sync_allowed,
        }
    }

    /// Time left of the window at `now`; zero once it is over.
    pub fn window_left(&self, now: SystemTime, window: Duration) -> Duration {
        window_left(self.written_at_unix_ms, now, window)
    }

    /// True when Graph's answer shows what we wrote. A display name we did not send is not
    /// compared: Graph may fill one in.
    pub fn matches(&self, display_name: Option<&str>, is_sync_allowed: bool) -> bool {
        let name_ok = match &self.display_name {
            Some(written) => display_name == Some(written.as_str()),
            None => true,
        };
        name_ok && is_sync_allowed == self.is_sync_allowed
    }

    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// `None` for empty, foreign or corrupt bytes: we then simply don't wait.
    pub fn decode(bytes: &[u8]) -> Option<LastWrite> {
        decode(bytes)
    }
}

/// What this provider sent to a cross-tenant access object and when: the JSON body, so a read
/// can tell whether Graph shows it yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentBody {
    pub written_at_unix_ms: u64,
    pub sent: serde_json::Value,
}

impl SentBody {
    pub fn now(sent: serde_json::Value) -> SentBody {
        SentBody {
            written_at_unix_ms: unix_ms(SystemTime::now()),
            sent,
        }
    }

    pub fn window_left(&self, now: SystemTime, window: Duration) -> Duration {
        window_left(self.written_at_unix_ms, now, window)
    }

    /// True when Graph's object holds every property we sent (Graph adds the others).
    pub fn matches(&self, graph: &serde_json::Value) -> bool {
        holds(graph, &self.sent)
    }

    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// `None` for empty, foreign or corrupt bytes.
    pub fn decode(bytes: &[u8]) -> Option<SentBody> {
        decode(bytes)
    }
}

/// `graph` holds `sent`: objects by subset, arrays in any order, strings ignoring ASCII case (GUIDs and enumerations
/// come back as Graph spells them), everything else equal.
fn holds(graph: &serde_json::Value, sent: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (graph, sent) {
        (J::Object(g), J::Object(s)) => s
            .iter()
            .all(|(k, v)| holds(g.get(k).unwrap_or(&J::Null), v)),
        // Sets (targets) may come back in another order.
        (J::Array(g), J::Array(s)) => {
            g.len() == s.len() && s.iter().all(|s| g.iter().any(|g| holds(g, s)))
        }
        (J::String(g), J::String(s)) => g.eq_ignore_ascii_case(s),
        (g, s) => g == s,
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// `None` for empty, foreign or corrupt bytes.
fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    if bytes.is_empty() {
        return None;
    }
    serde_json::from_slice(bytes).ok()
}

/// Time left at `now` of a window opened at `written_at_unix_ms`; zero once it is over.
fn window_left(written_at_unix_ms: u64, now: SystemTime, window: Duration) -> Duration {
    let end = written_at_unix_ms.saturating_add(window.as_millis() as u64);
    Duration::from_millis(end.saturating_sub(unix_ms(now)))
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_json() {
        let w = LastWrite {
            written_at_unix_ms: 1_700_000_000_123,
            display_name: Some("Contoso".into()),
            is_sync_allowed: true,
        };
        let bytes = w.encode();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json["written_at_unix_ms"], 1_700_000_000_123u64);
        assert_eq!(json["display_name"], "Contoso");
        assert_eq!(LastWrite::decode(&bytes), Some(w));
    }

    #[test]
    fn empty_or_corrupt_bytes_mean_nothing_to_wait_for() {
        assert_eq!(LastWrite::decode(b""), None);
        assert_eq!(LastWrite::decode(b"{not json"), None);
        assert_eq!(LastWrite::decode(&[0xff, 0x00]), None);
    }

    #[test]
    fn window_is_measured_from_the_write() {
        let w = LastWrite::now(None, true);
        let window = Duration::from_secs(30);
        let now = SystemTime::now();
        let left = w.window_left(now, window);
        assert!(!left.is_zero() && left <= window, "{left:?}");
        assert_eq!(
            w.window_left(now + Duration::from_secs(31), window),
            Duration::ZERO
        );
    }

    #[test]
    fn a_sent_body_matches_what_holds_it() {
        let sent = SentBody::now(serde_json::json!({
            "tenantId": "AB", "inboundTrust": {"isMfaAccepted": true}
        }));
        let graph = serde_json::json!({
            "tenantId": "ab", "isServiceProvider": null,
            "inboundTrust": {"isMfaAccepted": true, "isCompliantDeviceAccepted": false}
        });
        assert!(sent.matches(&graph));
        let other = serde_json::json!({"tenantId": "ab", "inboundTrust": {"isMfaAccepted": false}});
        assert!(!sent.matches(&other));
        assert!(!sent.matches(&serde_json::json!({"tenantId": "ab"})));
        let set = SentBody::now(serde_json::json!({"targets": [{"target": "a"}, {"target": "b"}]}));
        assert!(set.matches(&serde_json::json!({"targets": [{"target": "B"}, {"target": "a"}]})));
        assert!(!set.matches(&serde_json::json!({"targets": [{"target": "a"}]})));
        assert_eq!(SentBody::decode(&sent.encode()), Some(sent));
        assert_eq!(SentBody::decode(b""), None);
    }

    #[test]
    fn matching_ignores_a_name_we_did_not_send() {
        let unnamed = LastWrite::now(None, false);
        assert!(unnamed.matches(Some("Filled in by Graph"), false));
        assert!(!unnamed.matches(None, true));
        let named = LastWrite::now(Some("A".into()), true);
        assert!(named.matches(Some("A"), true));
        assert!(!named.matches(Some("B"), true));
        assert!(!named.matches(None, true));
    }
}
