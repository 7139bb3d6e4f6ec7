//! The signed JWT client assertion of the certificate credential (RS256 + x5t, as the azuread
//! provider sends it).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::certificate::ClientCertificate;
use crate::graph::config::Secret;
use crate::graph::GraphError;

/// How long an assertion is valid.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(600);

/// A signed assertion for `client_id` at `token_url` (the `aud` claim).
pub(crate) fn client_assertion(
    cert: &ClientCertificate,
    client_id: &str,
    token_url: &str,
    now: SystemTime,
) -> Result<Secret, GraphError> {
    let thumbprint = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &cert.cert_der);
    let header = serde_json::json!({
        "alg": "RS256",
        "typ": "JWT",
        "x5t": URL_SAFE_NO_PAD.encode(thumbprint.as_ref()),
    });
    let issued = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let claims = serde_json::json!({
        "aud": token_url,
        "iss": client_id,
        "sub": client_id,
        "jti": uuid::Uuid::new_v4().to_string(),
        "nbf": issued,
        "iat": issued,
        "exp": issued + ASSERTION_LIFETIME.as_secs(),
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0u8; cert.key.public_modulus_len()];
    cert.key
        .sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            signing_input.as_bytes(),
            &mut signature,
        )
        .map_err(|_| GraphError::Config {
            message: "could not sign the client assertion with the certificate's key".into(),
        })?;
    Ok(Secret::new(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::auth::certificate;
    use crate::graph::testutil::{rsa_identity, write_temp};
    use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

    fn decode_part(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn rs256_assertion_has_x5t_and_verifies() {
        let id = rsa_identity();
        let file = write_temp(
            "a.pem",
            format!("{}{}", id.cert_pem, id.key_pem_pkcs8).as_bytes(),
        );
        let cert = certificate::load(Some(file.path()), None, None).unwrap();
        let url = "http://127.0.0.1:1/tenant/oauth2/v2.0/token";
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let jwt = client_assertion(&cert, "client-1", url, now).unwrap();
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);

        let header = decode_part(parts[0]);
        assert_eq!(header["typ"], "JWT");
        assert_eq!(header["alg"], "RS256");
        let want = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &id.cert_der);
        assert_eq!(header["x5t"], URL_SAFE_NO_PAD.encode(want.as_ref()));
        assert_eq!(header["x5t"].as_str().unwrap().len(), 27);

        let claims = decode_part(parts[1]);
        assert_eq!(claims["aud"], url);
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["sub"], "client-1");
        assert_eq!(claims["nbf"], 1_700_000_000u64);
        assert_eq!(claims["iat"], 1_700_000_000u64);
        assert_eq!(claims["exp"], 1_700_000_600u64);
        assert!(uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).is_ok());

        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        let (_, parsed) = x509_parser::parse_x509_certificate(&id.cert_der).unwrap();
        let public = parsed.public_key().subject_public_key.data.to_vec();
        let algorithm = &RSA_PKCS1_2048_8192_SHA256;
        UnparsedPublicKey::new(algorithm, &public)
            .verify(signed.as_bytes(), &signature)
            .expect("signature verifies against the certificate's public key");
        // A tampered payload does not verify.
        let tampered = format!("{}.{}x", parts[0], parts[1]);
        assert!(UnparsedPublicKey::new(algorithm, &public)
            .verify(tampered.as_bytes(), &signature)
            .is_err());

        // Each assertion is unique.
        let again = client_assertion(&cert, "client-1", url, now).unwrap();
        assert_ne!(again.expose(), jwt.expose());
    }
}
