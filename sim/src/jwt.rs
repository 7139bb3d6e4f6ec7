//! Compact JWTs: parsing, and HS256 signing/verification for the tokens the simulator mints.

use aws_lc_rs::hmac;
use base64::engine::{general_purpose::GeneralPurposeConfig, DecodePaddingMode, GeneralPurpose};
use base64::Engine;
use serde_json::{Map, Value};

/// base64url without padding (decoding tolerates padding).
pub(crate) const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A parsed, not yet verified, compact JWT.
#[derive(Debug, Clone)]
pub(crate) struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// `header.payload`, the signed bytes.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

impl Jwt {
    pub(crate) fn parse(token: &str) -> Option<Jwt> {
        let mut parts = token.trim().split('.');
        let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header = decode_object(h)?;
        let claims = decode_object(p)?;
        let signature = B64URL.decode(s).ok()?;
        Some(Jwt {
            header,
            claims,
            signing_input: format!("{h}.{p}"),
            signature,
        })
    }

    pub(crate) fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    pub(crate) fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    pub(crate) fn claim_i64(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }

    /// `aud` as a list (a string or an array of strings).
    pub(crate) fn audiences(&self) -> Vec<String> {
        match self.claims.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn verify_hs256(&self, key: &[u8]) -> bool {
        let key = hmac::Key::new(hmac::HMAC_SHA256, key);
        hmac::verify(&key, self.signing_input.as_bytes(), &self.signature).is_ok()
    }
}

fn decode_object(part: &str) -> Option<Map<String, Value>> {
    let bytes = B64URL.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Signs `claims` as an HS256 JWT with `kid`.
pub(crate) fn sign_hs256(key: &[u8], kid: &str, claims: &Value) -> String {
    let header = serde_json::json!({"typ": "JWT", "alg": "HS256", "kid": kid});
    let signing_input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    );
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&key, signing_input.as_bytes());
    format!("{signing_input}.{}", B64URL.encode(tag.as_ref()))
}

/// Seconds since the Unix epoch.
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs256_round_trip_and_tamper() {
        let t = sign_hs256(
            b"k",
            "id",
            &serde_json::json!({"sub": "x", "aud": ["a", "b"]}),
        );
        let jwt = Jwt::parse(&t).expect("parses");
        assert!(jwt.verify_hs256(b"k"));
        assert!(!jwt.verify_hs256(b"other"));
        assert_eq!(jwt.audiences(), vec!["a", "b"]);
        assert_eq!(jwt.header_str("kid"), Some("id"));
        assert!(Jwt::parse("a.b").is_none());
        assert!(Jwt::parse("!!.??.##").is_none());
    }
}
