//! AutoMTLS: a fresh server certificate per start, and a client verifier that accepts only the
//! certificate Terraform passed in PLUGIN_CLIENT_CERT, with a handshake signature made by its key.

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING};
use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyUsagePurpose};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::aws_lc_rs::kx_group;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::NoServerSessionStorage;
use rustls::sign::{CertifiedKey, Signer, SigningKey, SingleCertAndKey};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme,
};

/// Why TLS could not be set up.
#[derive(Debug)]
pub enum TlsSetupError {
    /// PLUGIN_CLIENT_CERT holds no PEM certificate.
    ClientCert { detail: String },
    /// Generating our own key or certificate failed.
    ServerCert { detail: String },
    /// rustls refused the configuration.
    Config { detail: String },
}

impl std::fmt::Display for TlsSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsSetupError::ClientCert { detail } => {
                write!(f, "PLUGIN_CLIENT_CERT is not a PEM certificate: {detail}")
            }
            TlsSetupError::ServerCert { detail } => {
                write!(f, "could not create the server certificate: {detail}")
            }
            TlsSetupError::Config { detail } => write!(f, "TLS configuration failed: {detail}"),
        }
    }
}

impl std::error::Error for TlsSetupError {}

/// Installs aws-lc-rs (it verifies P-521, which Terraform's client key uses) as the process-wide
/// rustls provider, so every rustls user in the process agrees. Later calls do nothing.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

fn crypto_provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
}

/// Our certificate for this run: DER (for the handshake line) and the rustls config.
pub struct ServerTls {
    pub cert_der: Vec<u8>,
    pub config: Arc<ServerConfig>,
}

/// Builds the server TLS config that only accepts the client certificate in `client_cert_pem`.
pub fn server_tls(client_cert_pem: &str) -> Result<ServerTls, TlsSetupError> {
    let client_cert = CertificateDer::from_pem_slice(client_cert_pem.as_bytes()).map_err(|e| {
        TlsSetupError::ClientCert {
            detail: e.to_string(),
        }
    })?;
    let server_err = |e: rcgen::Error| TlsSetupError::ServerCert {
        detail: e.to_string(),
    };
    let key = ServerKey::generate().ok_or_else(|| TlsSetupError::ServerCert {
        detail: "P-256 key generation failed".to_string(),
    })?;
    let cert_der = self_signed_cert(&key).map_err(server_err)?;

    let provider = crypto_provider();
    let verifier = PinnedClientCert {
        expected: client_cert.into_owned(),
        algorithms: provider.signature_verification_algorithms,
    };
    // rustls takes the client's first group it also supports: Go lists P-384 and P-521 too,
    // which cost far more than X25519 (always offered with a key share) or P-256.
    let provider = Arc::new(CryptoProvider {
        kx_groups: vec![kx_group::X25519, kx_group::SECP256R1],
        ..(*provider).clone()
    });
    // The key we just generated signs directly: no PKCS#8 round trip, which would parse it
    // (trying RSA first) and recompute its public point twice.
    let certified = CertifiedKey::new(vec![CertificateDer::from(cert_der.clone())], Arc::new(key));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError::Config {
            detail: e.to_string(),
        })?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"h2".to_vec()];
    // One connection per process and no resumption: session tickets would only cost writes.
    config.send_tls13_tickets = 0;
    config.session_storage = Arc::new(NoServerSessionStorage {});
    Ok(ServerTls {
        cert_der,
        config: Arc::new(config),
    })
}

/// A self-signed `localhost` server certificate for `key`.
fn self_signed_cert(key: &ServerKey) -> Result<Vec<u8>, rcgen::Error> {
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Terraform provider plugin");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    Ok(params.self_signed(key)?.der().to_vec())
}

/// Our P-256 server key, generated once per start: it signs the certificate (for rcgen) and
/// the TLS handshakes (for rustls).
#[derive(Debug, Clone)]
struct ServerKey(Arc<EcdsaKeyPair>);

impl ServerKey {
    fn generate() -> Option<ServerKey> {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).ok()?;
        Some(ServerKey(Arc::new(key)))
    }

    /// An ASN.1 ECDSA P-256 SHA-256 signature, as both X.509 and TLS 1.2/1.3 want it.
    fn sign_message(&self, message: &[u8]) -> Option<Vec<u8>> {
        let signature = self.0.sign(&SystemRandom::new(), message).ok()?;
        Some(signature.as_ref().to_vec())
    }
}

impl rcgen::PublicKeyData for ServerKey {
    fn der_bytes(&self) -> &[u8] {
        self.0.public_key().as_ref()
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for ServerKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.sign_message(msg).ok_or(rcgen::Error::RemoteKeyError)
    }
}

impl SigningKey for ServerKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&SignatureScheme::ECDSA_NISTP256_SHA256)
            .then(|| Box::new(self.clone()) as Box<dyn Signer>)
    }
    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        rustls::SignatureAlgorithm::ECDSA
    }
}

impl Signer for ServerKey {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        self.sign_message(message)
            .ok_or_else(|| rustls::Error::General("ECDSA signing failed".to_string()))
    }
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ECDSA_NISTP256_SHA256
    }
}

/// Accepts exactly one client certificate, and only with a valid handshake signature from its
/// key: the certificate is public, the signature proves the client holds Terraform's key.
#[derive(Debug)]
pub(crate) struct PinnedClientCert {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCert {
    fn check_pinned(&self, cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        if cert.as_ref() == self.expected.as_ref() {
            Ok(())
        } else {
            log::warn!("Refused a TLS client whose certificate is not Terraform's");
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        true
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check_pinned(end_entity)?;
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_pinned(cert)?;
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_pinned(cert)?;
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // aws-lc-rs includes ECDSA_NISTP521_SHA512: without it Go sends no client cert at all.
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::KeyPair;

    /// A self-signed certificate for localhost with a fresh key of `alg`, as go-plugin's client
    /// makes.
    fn localhost_cert(alg: &'static rcgen::SignatureAlgorithm) -> rcgen::Certificate {
        let key = KeyPair::generate_for(alg).unwrap();
        CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap()
    }

    #[test]
    fn advertises_p521_and_pins_the_cert() {
        install_crypto_provider();
        let client = localhost_cert(&rcgen::PKCS_ECDSA_P521_SHA512);
        let other = localhost_cert(&rcgen::PKCS_ECDSA_P521_SHA512);
        let verifier = PinnedClientCert {
            expected: client.der().clone(),
            algorithms: crypto_provider().signature_verification_algorithms,
        };
        assert!(verifier
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
        assert!(verifier.client_auth_mandatory());
        assert!(verifier
            .verify_client_cert(client.der(), &[], UnixTime::now())
            .is_ok());
        assert!(verifier
            .verify_client_cert(other.der(), &[], UnixTime::now())
            .is_err());
        let tls = server_tls(&client.pem()).unwrap();
        assert_eq!(tls.config.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(server_tls("not a cert").is_err());
    }

    #[test]
    fn our_key_signs_handshakes_that_verify_against_our_certificate() {
        use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
        let key = ServerKey::generate().unwrap();
        let der = self_signed_cert(&key).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        let spki = cert.public_key().subject_public_key.data.to_vec();
        let signer = key
            .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
            .unwrap();
        let message = b"TLS 1.3, server CertificateVerify";
        let signature = signer.sign(message).unwrap();
        let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &spki);
        assert!(public.verify(message, &signature).is_ok());
        assert!(public.verify(b"other", &signature).is_err());
        assert!(key
            .choose_scheme(&[SignatureScheme::ECDSA_NISTP384_SHA384])
            .is_none());
    }

    #[test]
    fn key_exchange_is_cheap_and_no_tickets_are_sent() {
        install_crypto_provider();
        let client = localhost_cert(&rcgen::PKCS_ECDSA_P256_SHA256);
        let tls = server_tls(&client.pem()).unwrap();
        let groups: Vec<_> = tls
            .config
            .crypto_provider()
            .kx_groups
            .iter()
            .map(|g| g.name())
            .collect();
        assert_eq!(
            groups,
            vec![rustls::NamedGroup::X25519, rustls::NamedGroup::secp256r1]
        );
        assert_eq!(tls.config.send_tls13_tickets, 0);
    }
}
