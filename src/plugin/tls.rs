//! AutoMTLS: a fresh server certificate per start, and a client verifier that accepts only the
//! certificate Terraform passed in PLUGIN_CLIENT_CERT, with a handshake signature made by its key.

use std::sync::Arc;

use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
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
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(server_err)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).map_err(server_err)?;
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
    let cert = params.self_signed(&key).map_err(server_err)?;
    let cert_der = cert.der().to_vec();

    let provider = crypto_provider();
    let verifier = PinnedClientCert {
        expected: client_cert.into_owned(),
        algorithms: provider.signature_verification_algorithms,
    };
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError::Config {
            detail: e.to_string(),
        })?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![CertificateDer::from(cert_der.clone())], key_der)
        .map_err(|e| TlsSetupError::Config {
            detail: e.to_string(),
        })?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ServerTls {
        cert_der,
        config: Arc::new(config),
    })
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

    #[test]
    fn advertises_p521_and_pins_the_cert() {
        install_crypto_provider();
        let client_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let client = CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&client_key)
            .unwrap();
        let other_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let other = CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&other_key)
            .unwrap();
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
}
