//! Client assertion verification as Entra does it: certificate-signed JWTs (RS256 + x5t,
//! PS256 + x5t#S256) checked against the app's registered certificate, and federated tokens
//! minted by the simulator's own OIDC issuer.

use aws_lc_rs::signature::{self, UnparsedPublicKey};

use crate::der::CertKey;
// The JWT code stays hand-written: it is a few dozen lines over aws-lc-rs, and a simulator that
// shared a JWT library with the provider's client could hide the same bug in both.
use crate::jwt::{now_unix, Jwt};
use crate::state::App;

/// Entra's clock-skew allowance.
const SKEW_SECS: i64 = 300;

/// A rejection, shaped as an Entra token error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub error: &'static str,
    pub code: u32,
    pub description: String,
}

fn reject(error: &'static str, code: u32, description: impl Into<String>) -> Rejection {
    Rejection {
        error,
        code,
        description: description.into(),
    }
}

/// What the assertion is checked against.
pub(crate) struct Expected<'a> {
    pub client_id: &'a str,
    pub app: &'a App,
    pub federation_key: &'a [u8],
    /// Token URLs accepted as `aud` (lower-case, no trailing slash).
    pub token_urls: &'a [String],
}

/// Verifies `assertion`; returns the flow name for the issued token.
pub(crate) fn verify(assertion: &str, expected: &Expected<'_>) -> Result<&'static str, Rejection> {
    let Some(jwt) = Jwt::parse(assertion) else {
        return Err(reject(
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.",
        ));
    };
    let issuer = jwt.claim_str("iss").unwrap_or("");
    if issuer.eq_ignore_ascii_case(expected.client_id) {
        verify_certificate(&jwt, expected)?;
        Ok("client_certificate")
    } else {
        verify_federated(&jwt, expected)?;
        Ok("federated")
    }
}

fn check_time(jwt: &Jwt) -> Result<(), Rejection> {
    let now = now_unix();
    let exp = jwt.claim_i64("exp");
    let nbf = jwt.claim_i64("nbf").unwrap_or(i64::MIN);
    match exp {
        Some(exp) if exp + SKEW_SECS > now && nbf - SKEW_SECS <= now => Ok(()),
        _ => Err(reject(
            "invalid_client",
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {now}, assertion valid from {nbf}, expiry time of assertion {}.",
                exp.map_or_else(|| "(none)".to_owned(), |e| e.to_string())
            ),
        )),
    }
}

fn verify_certificate(jwt: &Jwt, expected: &Expected<'_>) -> Result<(), Rejection> {
    let alg = jwt.header_str("alg").unwrap_or("");
    let algorithm: &'static signature::RsaParameters = match alg {
        "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
        "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
        _ => {
            return Err(reject(
                "invalid_request",
                5002738,
                format!("Invalid JWT token. '{alg}' is not a supported signature algorithm."),
            ))
        }
    };
    let (thumbprint, cert) = if let Some(t) = jwt.header_str("x5t#S256") {
        (t, expected.app.certs.iter().find(|c| c.x5t_s256 == t))
    } else if let Some(t) = jwt.header_str("x5t") {
        (t, expected.app.certs.iter().find(|c| c.x5t == t))
    } else {
        ("", None)
    };
    let Some(cert) = cert else {
        return Err(reject(
            "invalid_client",
            700027,
            format!("Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '{thumbprint}']"),
        ));
    };
    let public_key = match &cert.key {
        CertKey::Rsa(k) => k,
        CertKey::Ec | CertKey::Other => {
            return Err(reject(
                "invalid_request",
                5002730,
                "Invalid JWT token. Unsupported key for the signing algorithm.",
            ))
        }
    };
    UnparsedPublicKey::new(algorithm, public_key)
        .verify(jwt.signing_input.as_bytes(), &jwt.signature)
        .map_err(|_| {
            reject(
                "invalid_client",
                700027,
                format!("Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '{thumbprint}']"),
            )
        })?;
    let sub = jwt.claim_str("sub").unwrap_or("");
    if !sub.eq_ignore_ascii_case(expected.client_id) {
        return Err(reject(
            "invalid_client",
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        ));
    }
    let audience_ok = jwt.audiences().iter().any(|aud| {
        let aud = aud.trim_end_matches('/').to_ascii_lowercase();
        expected.token_urls.contains(&aud)
    });
    if !audience_ok {
        return Err(reject(
            "invalid_client",
            50012,
            "Client assertion audience claim does not match Realm issuer.",
        ));
    }
    check_time(jwt)
}

fn verify_federated(jwt: &Jwt, expected: &Expected<'_>) -> Result<(), Rejection> {
    let issuer = jwt.claim_str("iss").unwrap_or("");
    let alg = jwt.header_str("alg").unwrap_or("");
    if !alg.starts_with("RS") && !alg.starts_with("PS") && alg != "HS256" {
        return Err(reject(
            "invalid_request",
            5002738,
            format!("Invalid JWT token. '{alg}' is not a supported signature algorithm."),
        ));
    }
    if issuer != crate::FEDERATION_ISSUER
        || alg != "HS256"
        || !jwt.verify_hs256(expected.federation_key)
    {
        return Err(reject(
            "invalid_client",
            700211,
            format!("No matching federated identity record found for presented assertion issuer '{issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."),
        ));
    }
    check_time(jwt)?;
    let audiences = jwt.audiences();
    if !audiences.iter().any(|a| a == crate::FEDERATION_AUDIENCE) {
        return Err(reject(
            "invalid_client",
            700212,
            format!("No matching federated identity record found for presented assertion audience '{}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", audiences.join(",")),
        ));
    }
    let sub = jwt.claim_str("sub").unwrap_or("");
    let trusted = sub == crate::GITHUB_SUBJECT
        || sub.starts_with(crate::ADO_SUBJECT_PREFIX)
        || sub == crate::simulator::workload_subject(expected.client_id);
    if !trusted {
        return Err(reject(
            "invalid_client",
            700213,
            format!("No matching federated identity record found for presented assertion subject '{sub}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."),
        ));
    }
    Ok(())
}
