//! Loading the client certificate and its RSA key from PEM or PKCS#12 (file or base64).

use std::path::Path;

use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use base64::Engine;
use rustls_pki_types::pem::{PemObject, SectionKind};

use crate::graph::config::Secret;
use crate::graph::error::Setting;
use crate::graph::GraphError;

/// The certificate that signs client assertions: an RSA key and its certificate's DER.
pub(crate) struct ClientCertificate {
    pub key: RsaKeyPair,
    pub cert_der: Vec<u8>,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientCertificate(<redacted key>)")
    }
}

/// DER prefix of the id-ecPublicKey OID (1.2.840.10045.2.1).
const EC_PUBLIC_KEY_OID: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// DER of the Ed25519 / Ed448 OIDs (1.3.101.112 / 113).
const ED25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
const ED448_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x71];

/// Where the certificate came from: the setting, and how to name it in a message.
#[derive(Clone)]
struct Source {
    setting: Setting,
    /// The file's path, or "it" for the base64 value.
    name: String,
}

impl Source {
    fn error(&self, problem: String) -> GraphError {
        GraphError::InvalidSetting {
            setting: self.setting,
            problem,
        }
    }
}

fn rsa_only(source: &Source, kind: &str) -> GraphError {
    source.error(format!(
        "{} holds an {kind} private key, but Microsoft Entra accepts only RSA keys for \
         certificate credentials: create an RSA certificate (2048 bits or more) and upload it to \
         the app registration",
        source.name
    ))
}

/// Loads from `client_certificate_path` (PEM or PKCS#12) or `client_certificate` (base64
/// PKCS#12); the path wins when both are set.
pub(crate) fn load(
    path: Option<&Path>,
    base64_pkcs12: Option<&Secret>,
    password: Option<&Secret>,
) -> Result<ClientCertificate, GraphError> {
    let password = password.map(Secret::expose).unwrap_or("");
    if let Some(path) = path {
        let source = Source {
            setting: Setting::ClientCertificatePath,
            name: path.display().to_string(),
        };
        let bytes = std::fs::read(path)
            .map_err(|e| source.error(format!("could not read {}: {e}", source.name)))?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let pkcs12_ext = matches!(ext.as_deref(), Some("pfx" | "p12"));
        if !pkcs12_ext && looks_like_pem(&bytes) {
            return from_pem(&bytes, &source);
        }
        return from_pkcs12(&bytes, password, &source);
    }
    if let Some(encoded) = base64_pkcs12 {
        let source = Source {
            setting: Setting::ClientCertificate,
            name: "the value".into(),
        };
        let compact: String = encoded
            .expose()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&compact)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&compact))
            .map_err(|_| {
                source.error(
                    "not valid base64 (expected a base64-encoded PKCS#12 / .pfx file)".into(),
                )
            })?;
        return from_pkcs12(&bytes, password, &source);
    }
    Err(GraphError::InvalidSetting {
        setting: Setting::ClientCertificatePath,
        problem: "no client certificate configured".into(),
    })
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).contains("-----BEGIN ")
}

fn from_pem(bytes: &[u8], source: &Source) -> Result<ClientCertificate, GraphError> {
    let mut certs = Vec::new();
    let mut key: Option<RsaKeyPair> = None;
    for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes) {
        let (kind, der) =
            section.map_err(|e| source.error(format!("{} is not valid PEM: {e}", source.name)))?;
        match kind {
            SectionKind::Certificate => certs.push(der),
            SectionKind::PrivateKey if key.is_none() => key = Some(rsa_from_pkcs8(&der, source)?),
            SectionKind::RsaPrivateKey if key.is_none() => {
                key = Some(RsaKeyPair::from_der(&der).map_err(|e| {
                    source.error(format!(
                        "{}: the RSA private key is not usable: {e}",
                        source.name
                    ))
                })?)
            }
            SectionKind::EcPrivateKey => return Err(rsa_only(source, "EC")),
            _ => {}
        }
    }
    let Some(key) = key else {
        let text = String::from_utf8_lossy(bytes);
        if text.contains("ENCRYPTED PRIVATE KEY") {
            return Err(source.error(format!(
                "{} holds an encrypted PEM private key, which is not supported: use an \
                 unencrypted PEM key, or a password-protected PKCS#12 (.pfx) file",
                source.name
            )));
        }
        return Err(source.error(format!(
            "{} holds no private key: the PEM file needs the certificate and its private \
             key (\"PRIVATE KEY\" or \"RSA PRIVATE KEY\")",
            source.name
        )));
    };
    pair_with_certificate(key, certs, source)
}

fn from_pkcs12(
    bytes: &[u8],
    password: &str,
    source: &Source,
) -> Result<ClientCertificate, GraphError> {
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(bytes, password).map_err(|e| {
        let (setting, why) = match e {
            p12_keystore::error::Error::MacError(_) => (
                Setting::ClientCertificatePassword,
                "wrong password (or a corrupt file)".to_string(),
            ),
            other => (source.setting, other.to_string()),
        };
        GraphError::InvalidSetting {
            setting,
            problem: format!("{} could not be read as PKCS#12 (.pfx): {why}", source.name),
        }
    })?;
    let Some(bag) = archive.keys.first() else {
        return Err(source.error(format!(
            "{} holds no private key: export the certificate with its private key",
            source.name
        )));
    };
    let key = rsa_from_pkcs8(bag.key.as_der(), source)?;
    // The certificate linked to the key by localKeyId first, then the rest.
    let linked_id = bag.local_key_id.as_ref().map(|id| id.0.clone());
    let mut certs: Vec<Vec<u8>> = Vec::new();
    for cert in &archive.certs {
        let is_linked = linked_id.is_some() && cert.local_key_id == linked_id;
        if is_linked {
            certs.insert(0, cert.cert.as_der().to_vec());
        } else {
            certs.push(cert.cert.as_der().to_vec());
        }
    }
    pair_with_certificate(key, certs, source)
}

fn rsa_from_pkcs8(der: &[u8], source: &Source) -> Result<RsaKeyPair, GraphError> {
    RsaKeyPair::from_pkcs8(der).map_err(|e| {
        let head = &der[..der.len().min(64)];
        if contains(head, EC_PUBLIC_KEY_OID) {
            rsa_only(source, "EC")
        } else if contains(head, ED25519_OID) || contains(head, ED448_OID) {
            rsa_only(source, "EdDSA")
        } else {
            source.error(format!(
                "{}: the private key is not a usable RSA key: {e}",
                source.name
            ))
        }
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Picks the certificate whose public key is the key's.
fn pair_with_certificate(
    key: RsaKeyPair,
    certs: Vec<Vec<u8>>,
    source: &Source,
) -> Result<ClientCertificate, GraphError> {
    if certs.is_empty() {
        return Err(source.error(format!(
            "{} holds a private key but no certificate: include the certificate as well",
            source.name
        )));
    }
    let public = key.public_key().as_ref().to_vec();
    for der in certs {
        let Ok((_, parsed)) = x509_parser::parse_x509_certificate(&der) else {
            continue;
        };
        if parsed.public_key().subject_public_key.data.as_ref() == public.as_slice() {
            return Ok(ClientCertificate { key, cert_der: der });
        }
    }
    Err(source.error(format!(
        "{}: no certificate in it matches its private key",
        source.name
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::testutil::{ec_identity, rsa_identity, write_temp};

    fn expect_config(result: Result<ClientCertificate, GraphError>) -> String {
        match result {
            Err(GraphError::InvalidSetting { problem, .. }) => problem,
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }

    #[test]
    fn pem_with_pkcs8_key_loads() {
        let id = rsa_identity();
        let file = write_temp(
            "client.pem",
            format!("{}{}", id.cert_pem, id.key_pem_pkcs8).as_bytes(),
        );
        let cert = load(Some(file.path()), None, None).unwrap();
        assert_eq!(cert.cert_der, id.cert_der);
    }

    #[test]
    fn pem_with_pkcs1_key_and_chain_picks_the_matching_certificate() {
        let id = rsa_identity();
        let other = ec_identity();
        // Another certificate first, as in a chain file written in the wrong order.
        let pem = format!("{}{}{}", other.cert_pem, id.key_pem_pkcs1, id.cert_pem);
        let file = write_temp("chain.crt", pem.as_bytes());
        let cert = load(Some(file.path()), None, None).unwrap();
        assert_eq!(cert.cert_der, id.cert_der);
    }

    #[test]
    fn pkcs12_file_and_base64_load_with_password() {
        let id = rsa_identity();
        let pfx = id.pkcs12("s3cret-pass");
        let file = write_temp("client.pfx", &pfx);
        let password = Secret::new("s3cret-pass");
        let cert = load(Some(file.path()), None, Some(&password)).unwrap();
        assert_eq!(cert.cert_der, id.cert_der);

        let b64 = Secret::new(base64::engine::general_purpose::STANDARD.encode(&pfx));
        let cert = load(None, Some(&b64), Some(&password)).unwrap();
        assert_eq!(cert.cert_der, id.cert_der);
    }

    #[test]
    fn pkcs12_detected_by_content_without_extension() {
        let id = rsa_identity();
        let file = write_temp("client.bin", &id.pkcs12(""));
        assert!(load(Some(file.path()), None, None).is_ok());
    }

    #[test]
    fn wrong_pkcs12_password_is_named_without_echoing_it() {
        let id = rsa_identity();
        let b64 = Secret::new(base64::engine::general_purpose::STANDARD.encode(id.pkcs12("right")));
        let wrong = Secret::new("wrong-password-value");
        let err = load(None, Some(&b64), Some(&wrong)).unwrap_err();
        assert!(
            matches!(&err, GraphError::InvalidSetting { setting: Setting::ClientCertificatePassword, problem } if problem.contains("wrong password")),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(!message.contains("wrong-password-value"));
    }

    #[test]
    fn ec_keys_are_refused_as_rsa_only() {
        let id = ec_identity();
        let file = write_temp(
            "ec.pem",
            format!("{}{}", id.cert_pem, id.key_pem_pkcs8).as_bytes(),
        );
        let message = expect_config(load(Some(file.path()), None, None));
        assert!(message.contains("RSA"), "{message}");
        assert!(message.contains("EC"), "{message}");

        let sec1 = write_temp(
            "ec1.pem",
            format!(
                "{}-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n",
                id.cert_pem
            )
            .as_bytes(),
        );
        let message = expect_config(load(Some(sec1.path()), None, None));
        assert!(message.contains("only RSA"), "{message}");
    }

    #[test]
    fn bad_inputs_are_clear_configuration_errors() {
        let id = rsa_identity();
        let only_cert = write_temp("only.pem", id.cert_pem.as_bytes());
        assert!(expect_config(load(Some(only_cert.path()), None, None)).contains("no private key"));

        let only_key = write_temp("key.pem", id.key_pem_pkcs8.as_bytes());
        assert!(expect_config(load(Some(only_key.path()), None, None)).contains("no certificate"));

        let other = rsa_identity_other();
        let mismatched = write_temp(
            "mismatch.pem",
            format!("{}{}", other.cert_pem, id.key_pem_pkcs8).as_bytes(),
        );
        assert!(expect_config(load(Some(mismatched.path()), None, None)).contains("matches"));

        let garbage = write_temp("garbage.pfx", b"not a certificate");
        assert!(expect_config(load(Some(garbage.path()), None, None)).contains("PKCS#12"));

        let missing = Path::new("/nonexistent/dir/cert.pem");
        assert!(expect_config(load(Some(missing), None, None)).contains("could not read"));

        let not_b64 = Secret::new("%%% not base64 %%%");
        assert!(expect_config(load(None, Some(&not_b64), None)).contains("base64"));

        let encrypted = write_temp(
            "enc.pem",
            format!("{}-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n", id.cert_pem).as_bytes(),
        );
        assert!(expect_config(load(Some(encrypted.path()), None, None)).contains("encrypted"));
    }

    fn rsa_identity_other() -> crate::graph::testutil::TestIdentity {
        crate::graph::testutil::new_rsa_identity()
    }
}
