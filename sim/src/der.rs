//! A minimal DER walker: pulls the public key out of an X.509 certificate's SubjectPublicKeyInfo.

/// The public key a registered certificate carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertKey {
    /// PKCS#1 `RSAPublicKey` DER, as aws-lc-rs RSA verification takes it.
    Rsa(Vec<u8>),
    /// An elliptic-curve key (Entra refuses these).
    Ec,
    /// Any other algorithm, by its OID bytes.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DerError(pub &'static str);

const TAG_SEQUENCE: u8 = 0x30;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OID: u8 = 0x06;
const TAG_VERSION: u8 = 0xA0;
const OID_RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];

/// Reads one TLV: (tag, contents, rest).
fn read_tlv(input: &[u8]) -> Result<(u8, &[u8], &[u8]), DerError> {
    let (&tag, rest) = input.split_first().ok_or(DerError("truncated tag"))?;
    let (&first, rest) = rest.split_first().ok_or(DerError("truncated length"))?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(DerError("bad length"));
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err(DerError("truncated contents"));
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

fn expect(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), DerError> {
    let (t, contents, rest) = read_tlv(input)?;
    if t != tag {
        return Err(DerError("unexpected tag"));
    }
    Ok((contents, rest))
}

/// The public key of a DER certificate.
pub(crate) fn certificate_key(cert_der: &[u8]) -> Result<CertKey, DerError> {
    let (cert, _) = expect(cert_der, TAG_SEQUENCE)?;
    let (tbs, _) = expect(cert, TAG_SEQUENCE)?;
    let mut rest = tbs;
    if rest.first() == Some(&TAG_VERSION) {
        rest = read_tlv(rest)?.2;
    }
    // serialNumber, signature, issuer, validity, subject
    for _ in 0..5 {
        rest = read_tlv(rest)?.2;
    }
    let (spki, _) = expect(rest, TAG_SEQUENCE)?;
    let (algorithm, rest) = expect(spki, TAG_SEQUENCE)?;
    let (oid, _) = expect(algorithm, TAG_OID)?;
    let (bits, _) = expect(rest, TAG_BIT_STRING)?;
    match oid {
        OID_RSA_ENCRYPTION => match bits.split_first() {
            Some((0, key)) => Ok(CertKey::Rsa(key.to_vec())),
            _ => Err(DerError("bad RSA key bit string")),
        },
        OID_EC_PUBLIC_KEY => Ok(CertKey::Ec),
        _ => Ok(CertKey::Other),
    }
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
}
