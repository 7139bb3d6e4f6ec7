//! The public key of a registered certificate, read from its SubjectPublicKeyInfo with
//! x509-parser.

use x509_parser::oid_registry::{OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION};
use x509_parser::prelude::{FromDer, X509Certificate};

/// The public key a registered certificate carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertKey {
    /// PKCS#1 `RSAPublicKey` DER, as aws-lc-rs RSA verification takes it.
    Rsa(Vec<u8>),
    /// An elliptic-curve key (Entra refuses these).
    Ec,
    /// Any other algorithm.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DerError(pub &'static str);

/// The public key of a DER certificate.
pub(crate) fn certificate_key(cert_der: &[u8]) -> Result<CertKey, DerError> {
    let (_, cert) =
        X509Certificate::from_der(cert_der).map_err(|_| DerError("not a DER X.509 certificate"))?;
    let spki = cert.public_key();
    let algorithm = &spki.algorithm.algorithm;
    Ok(if *algorithm == OID_PKCS1_RSAENCRYPTION {
        // The BIT STRING's contents (after its unused-bits byte) are the PKCS#1 key.
        CertKey::Rsa(spki.subject_public_key.data.to_vec())
    } else if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        CertKey::Ec
    } else {
        CertKey::Other
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for input in [
            &[][..],
            &[0x30],
            &[0x30, 0x85, 1, 2, 3, 4, 5],
            &[0x30, 0x02, 0x30, 0x10],
        ] {
            assert!(certificate_key(input).is_err());
        }
    }

    #[test]
    fn rsa_and_ec_keys_are_told_apart() {
        let ec = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["x".into()])
            .unwrap()
            .self_signed(&ec)
            .unwrap();
        assert_eq!(certificate_key(cert.der()), Ok(CertKey::Ec));
    }
}
