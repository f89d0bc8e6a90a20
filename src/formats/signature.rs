//! The Signature section (type 4): signing certificate, COSE_Sign1 over PCR0, verification, PCR8.
//!
//! Layout (EIF-FORMAT.md section 3): a CBOR array of maps `{"signing_certificate": [u8…],
//! "signature": [u8…]}` (byte vectors serde-encoded as arrays of unsigned integers; byte strings
//! are accepted too); only element 0 is used. `signing_certificate` is PEM; PCR8 is E(DER of its
//! first certificate). `signature` is a COSE_Sign1 (untagged or tag 18): `[protected bstr,
//! unprotected map, payload bstr, signature bstr]`, payload `{"register_index": 0,
//! "register_value": [48 uints]}`. ES384 is verified with ECDSA P-384 over
//! `["Signature1", protected, h'', payload]` using the certificate's public key.
//! Garbage gives a [`SignatureError`] (never a panic); a bad signature gives `verified: false`.

use std::fmt;

use ciborium::value::Value;
use der::Decode;
use p384::ecdsa::signature::Verifier as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha384};
use x509_cert::Certificate;

use super::bytes::to_hex;
use super::measure::pcr_of_bytes;

/// COSE tag for COSE_Sign1.
const COSE_SIGN1_TAG: u64 = 18;

/// A signature section that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureError {
    /// Absolute offset of the item (the section start when no finer offset is known).
    pub offset: u64,
    /// What was being read ("signature cbor", "signing certificate", …).
    pub what: String,
    pub message: String,
}

impl SignatureError {
    fn new(offset: u64, what: &str, message: impl Into<String>) -> SignatureError {
        SignatureError { offset, what: what.to_string(), message: message.into() }
    }
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {:#x}: {}", self.what, self.offset, self.message)
    }
}

impl std::error::Error for SignatureError {}

/// One attribute of an X.509 name, e.g. `commonName = eif fixture signer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameAttribute {
    /// Long name ("commonName", "countryName", …) or the dotted OID when unknown.
    pub name: String,
    pub value: String,
}

/// The signing certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// RFC 4514 string.
    pub subject: String,
    pub issuer: String,
    pub subject_attributes: Vec<NameAttribute>,
    pub issuer_attributes: Vec<NameAttribute>,
    /// Lowercase hex of the serial number's bytes.
    pub serial: String,
    /// RFC 3339 (UTC), e.g. "2024-01-01T00:00:00Z".
    pub not_before: String,
    pub not_after: String,
    /// Public key, e.g. "ecdsa p-384".
    pub key_algorithm: String,
    /// Certificate signature algorithm, e.g. "ecdsa-with-SHA384".
    pub signature_algorithm: String,
    /// Lowercase hex of the certificate's own signature value.
    pub signature: String,
    /// Lowercase hex SHA-384 of the DER.
    pub sha384_fingerprint: String,
}

/// The COSE_Sign1 structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoseInfo {
    /// Wrapped in CBOR tag 18.
    pub tagged: bool,
    /// Protected header label 1 (alg), e.g. -35.
    pub alg: Option<i64>,
    /// "ES384", "ES256", "ES512" or "unknown".
    pub alg_name: String,
    pub register_index: Option<u64>,
    /// Lowercase hex of `register_value` (48 bytes = the signed PCR).
    pub register_value: Option<String>,
    /// Bytes in the raw signature (96 for P-384 r‖s).
    pub signature_len: usize,
}

/// Outcome of checking the COSE signature against the certificate's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub verified: bool,
    /// Lower-case reason ("ecdsa p-384 signature verified with the certificate key", …).
    pub reason: String,
}

/// The decoded Signature section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureInfo {
    /// Offset-table index of the section (set by the EIF reader; 0 when parsed alone).
    pub section_index: usize,
    /// Elements in the CBOR array (only the first is used).
    pub n_entries: usize,
    pub certificate: CertificateInfo,
    /// DER of the first certificate (PCR8's input).
    #[serde(skip)]
    pub certificate_der: Vec<u8>,
    /// E(certificate DER), lowercase hex.
    pub pcr8: String,
    pub cose: CoseInfo,
    pub verification: Verification,
    /// Whether `register_value` equals the computed PCR0 (None when no PCR0 was given or the
    /// payload has no register_value).
    pub signed_pcr0_matches: Option<bool>,
}

/// Decodes a Signature payload that starts at absolute `base_offset`; `computed_pcr0` is
/// compared with the signed register value.
pub fn parse_signature(data: &[u8], base_offset: u64, computed_pcr0: Option<&[u8; 48]>) -> Result<SignatureInfo, SignatureError> {
    let top = decode_cbor(data, base_offset, "signature section cbor")?;
    let Value::Array(entries) = top else {
        return Err(SignatureError::new(base_offset, "signature section cbor", format!("expected an array, found {}", kind_of(&top))));
    };
    let n_entries = entries.len();
    let Some(Value::Map(first)) = entries.into_iter().next() else {
        return Err(SignatureError::new(base_offset, "signature section cbor", "expected a non-empty array of maps"));
    };
    let field = |name: &str| -> Result<Vec<u8>, SignatureError> {
        let value = first
            .iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .map(|(_, v)| v)
            .ok_or_else(|| SignatureError::new(base_offset, "signature section cbor", format!("entry 0 has no \"{name}\"")))?;
        byte_vector(value).ok_or_else(|| {
            SignatureError::new(base_offset, "signature section cbor", format!("\"{name}\" is neither a byte string nor an array of integers 0..=255"))
        })
    };
    let pem = field("signing_certificate")?;
    let cose_bytes = field("signature")?;

    let certificate_der = first_certificate_der(&pem).map_err(|m| SignatureError::new(base_offset, "signing certificate", m))?;
    let certificate = Certificate::from_der(&certificate_der)
        .map_err(|e| SignatureError::new(base_offset, "signing certificate", format!("invalid x.509 der: {e}")))?;
    let certificate_info = describe_certificate(&certificate, &certificate_der);

    let cose = decode_cose(&cose_bytes, base_offset)?;
    let verification = verify(&cose, &certificate);
    let signed_pcr0_matches = match (computed_pcr0, &cose.register_value) {
        (Some(pcr0), Some(value)) => Some(value.as_slice() == pcr0.as_slice()),
        _ => None,
    };
    Ok(SignatureInfo {
        section_index: 0,
        n_entries,
        pcr8: to_hex(&pcr_of_bytes(&certificate_der)),
        certificate: certificate_info,
        certificate_der,
        cose: CoseInfo {
            tagged: cose.tagged,
            alg: cose.alg,
            alg_name: alg_name(cose.alg).to_string(),
            register_index: cose.register_index,
            register_value: cose.register_value.as_deref().map(to_hex),
            signature_len: cose.signature.len(),
        },
        verification,
        signed_pcr0_matches,
    })
}

fn decode_cbor(data: &[u8], base_offset: u64, what: &str) -> Result<Value, SignatureError> {
    ciborium::de::from_reader::<Value, _>(data).map_err(|e| {
        let (at, message) = match e {
            ciborium::de::Error::Io(_) => (data.len(), "cbor ends early".to_string()),
            ciborium::de::Error::Syntax(at) => (at, "invalid cbor".to_string()),
            ciborium::de::Error::Semantic(at, m) => (at.unwrap_or(0), m.to_lowercase()),
            ciborium::de::Error::RecursionLimitExceeded => (0, "cbor nested too deeply".to_string()),
        };
        SignatureError::new(base_offset.saturating_add(at as u64), what, message)
    })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Integer(_) => "an integer",
        Value::Bytes(_) => "a byte string",
        Value::Float(_) => "a float",
        Value::Text(_) => "a text string",
        Value::Bool(_) => "a bool",
        Value::Null => "null",
        Value::Tag(..) => "a tag",
        Value::Array(_) => "an array",
        Value::Map(_) => "a map",
        _ => "an unknown item",
    }
}

/// A byte string, or an array of integers 0..=255 (serde's `Vec<u8>` in CBOR).
fn byte_vector(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::Bytes(b) => Some(b.clone()),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_integer().and_then(|i| u8::try_from(i).ok()))
            .collect(),
        _ => None,
    }
}

/// DER of the first `CERTIFICATE` PEM block; raw DER (starting 0x30) is accepted as is.
pub fn first_certificate_der(pem: &[u8]) -> Result<Vec<u8>, String> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let Some(start) = find(pem, BEGIN) else {
        if pem.first() == Some(&0x30) {
            return Ok(pem.to_vec());
        }
        return Err("no pem certificate block".to_string());
    };
    let Some(end) = find(&pem[start..], END).map(|e| start + e + END.len()) else {
        return Err("pem certificate block has no end line".to_string());
    };
    let (label, der) = der::pem::decode_vec(&pem[start..end]).map_err(|e| format!("invalid pem: {e}"))?;
    if label != "CERTIFICATE" {
        return Err(format!("unexpected pem label {label:?}"));
    }
    Ok(der)
}

fn attribute_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "commonName",
        "2.5.4.4" => "surname",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "countryName",
        "2.5.4.7" => "localityName",
        "2.5.4.8" => "stateOrProvinceName",
        "2.5.4.9" => "streetAddress",
        "2.5.4.10" => "organizationName",
        "2.5.4.11" => "organizationalUnitName",
        "2.5.4.12" => "title",
        "0.9.2342.19200300.100.1.25" => "domainComponent",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => return None,
    })
}

fn name_attributes(name: &x509_cert::name::Name) -> Vec<NameAttribute> {
    let mut out = Vec::new();
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            let oid = atv.oid.to_string();
            let bytes = atv.value.value();
            let value = if der::Tagged::tag(&atv.value) == der::Tag::BmpString {
                let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
                String::from_utf16_lossy(&units)
            } else {
                String::from_utf8_lossy(bytes).into_owned()
            };
            out.push(NameAttribute { name: attribute_name(&oid).map_or(oid, str::to_string), value });
        }
    }
    out
}

fn describe_certificate(cert: &Certificate, der_bytes: &[u8]) -> CertificateInfo {
    let tbs = &cert.tbs_certificate;
    let spki = &tbs.subject_public_key_info;
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok())
        .map(|oid| oid.to_string());
    let key_algorithm = match (spki.algorithm.oid.to_string().as_str(), curve.as_deref()) {
        ("1.2.840.10045.2.1", Some("1.3.132.0.34")) => "ecdsa p-384".to_string(),
        ("1.2.840.10045.2.1", Some("1.2.840.10045.3.1.7")) => "ecdsa p-256".to_string(),
        ("1.2.840.10045.2.1", Some("1.3.132.0.35")) => "ecdsa p-521".to_string(),
        ("1.2.840.10045.2.1", other) => format!("ecdsa curve {}", other.unwrap_or("unknown")),
        ("1.2.840.113549.1.1.1", _) => "rsa".to_string(),
        ("1.3.101.112", _) => "ed25519".to_string(),
        (oid, _) => oid.to_string(),
    };
    let signature_algorithm = match cert.signature_algorithm.oid.to_string().as_str() {
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256".to_string(),
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384".to_string(),
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512".to_string(),
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption".to_string(),
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption".to_string(),
        oid => oid.to_string(),
    };
    CertificateInfo {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        subject_attributes: name_attributes(&tbs.subject),
        issuer_attributes: name_attributes(&tbs.issuer),
        serial: to_hex(tbs.serial_number.as_bytes()),
        not_before: tbs.validity.not_before.to_date_time().to_string(),
        not_after: tbs.validity.not_after.to_date_time().to_string(),
        key_algorithm,
        signature_algorithm,
        signature: to_hex(cert.signature.raw_bytes()),
        sha384_fingerprint: to_hex(&Sha384::digest(der_bytes)),
    }
}

/// The parts of a COSE_Sign1 we need.
struct Cose {
    tagged: bool,
    protected: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
    alg: Option<i64>,
    register_index: Option<u64>,
    register_value: Option<Vec<u8>>,
}

fn alg_name(alg: Option<i64>) -> &'static str {
    match alg {
        Some(-35) => "ES384",
        Some(-7) => "ES256",
        Some(-36) => "ES512",
        _ => "unknown",
    }
}

fn decode_cose(data: &[u8], base_offset: u64) -> Result<Cose, SignatureError> {
    let what = "cose_sign1";
    let err = |m: String| SignatureError::new(base_offset, what, m);
    let mut value = ciborium::de::from_reader::<Value, _>(data).map_err(|e| err(format!("invalid cbor: {e:?}").to_lowercase()))?;
    let mut tagged = false;
    if let Value::Tag(tag, inner) = value {
        if tag != COSE_SIGN1_TAG {
            return Err(err(format!("unexpected cbor tag {tag} (cose_sign1 is 18)")));
        }
        tagged = true;
        value = *inner;
    }
    let Value::Array(items) = value else {
        return Err(err(format!("expected a 4-element array, found {}", kind_of(&value))));
    };
    let [protected, _unprotected, payload, signature] = <[Value; 4]>::try_from(items)
        .map_err(|items| err(format!("expected a 4-element array, found {} elements", items.len())))?;
    let bytes = |v: Value, name: &str| match v {
        Value::Bytes(b) => Ok(b),
        Value::Null if name == "payload" => Ok(Vec::new()),
        other => Err(err(format!("{name} is {}, expected a byte string", kind_of(&other)))),
    };
    let protected = bytes(protected, "protected header")?;
    let payload = bytes(payload, "payload")?;
    let signature = bytes(signature, "signature")?;

    let alg = if protected.is_empty() {
        None
    } else {
        match ciborium::de::from_reader::<Value, _>(protected.as_slice()) {
            Ok(Value::Map(entries)) => entries
                .iter()
                .find(|(k, _)| k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(1))
                .and_then(|(_, v)| v.as_integer())
                .and_then(|i| i64::try_from(i).ok()),
            _ => return Err(err("protected header is not a cbor map".to_string())),
        }
    };
    let (mut register_index, mut register_value) = (None, None);
    if let Ok(Value::Map(entries)) = ciborium::de::from_reader::<Value, _>(payload.as_slice()) {
        for (k, v) in &entries {
            match k.as_text() {
                Some("register_index") => register_index = v.as_integer().and_then(|i| u64::try_from(i).ok()),
                Some("register_value") => register_value = byte_vector(v),
                _ => {}
            }
        }
    }
    Ok(Cose { tagged, protected, payload, signature, alg, register_index, register_value })
}

fn verify(cose: &Cose, cert: &Certificate) -> Verification {
    let fail = |reason: String| Verification { verified: false, reason };
    if cose.alg != Some(-35) {
        return fail(format!("cose alg {} ({}) is not supported, only es384", cose.alg.map_or("none".to_string(), |a| a.to_string()), alg_name(cose.alg)));
    }
    let point = cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
    let Ok(key) = p384::ecdsa::VerifyingKey::from_sec1_bytes(point) else {
        return fail("the certificate's public key is not a p-384 point".to_string());
    };
    let Ok(sig) = p384::ecdsa::Signature::from_slice(&cose.signature) else {
        return fail(format!("signature is {} bytes, not a valid 96-byte p-384 r||s", cose.signature.len()));
    };
    let sig_structure = Value::Array(vec![
        Value::Text("Signature1".to_string()),
        Value::Bytes(cose.protected.clone()),
        Value::Bytes(Vec::new()),
        Value::Bytes(cose.payload.clone()),
    ]);
    let mut tbs = Vec::new();
    if ciborium::ser::into_writer(&sig_structure, &mut tbs).is_err() {
        return fail("could not encode the sig_structure".to_string());
    }
    match key.verify(&tbs, &sig) {
        Ok(()) => Verification { verified: true, reason: "ecdsa p-384 signature verified with the certificate key".to_string() },
        Err(_) => fail("ecdsa p-384 signature does not match the certificate key".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_never_panics() {
        let inputs: [&[u8]; 7] = [b"", b"\x80", b"\x81\xa0", b"\x9f\xff", b"\x81\xa2\x00\x00", b"\xff\xff\xff", b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff"];
        for data in inputs {
            assert!(parse_signature(data, 0x100, None).is_err(), "{data:?}");
        }
        let err = parse_signature(b"\x01", 0x100, None).unwrap_err();
        assert_eq!(err.to_string(), "signature section cbor at 0x100: expected an array, found an integer");
    }

    #[test]
    fn byte_vector_accepts_both_encodings() {
        let ints = Value::Array(vec![Value::Integer(1.into()), Value::Integer(255.into())]);
        assert_eq!(byte_vector(&ints), Some(vec![1, 255]));
        assert_eq!(byte_vector(&Value::Bytes(vec![7])), Some(vec![7]));
        assert_eq!(byte_vector(&Value::Array(vec![Value::Integer(256.into())])), None);
    }
}
