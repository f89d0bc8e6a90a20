//! Serde helpers for byte fields of report models: names as lossless escaped strings
//! ([`escape_bytes`] / [`unescape_bytes`]), digests as lowercase hex, contents as base64.

use super::bytes::escape_bytes;
use base64::Engine as _;
use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

/// Inverse of [`escape_bytes`]: `\\`, `\xNN` and `\u{…}` escapes back to bytes.
/// Returns `None` for text `escape_bytes` cannot have produced.
pub fn unescape_bytes(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next()? {
            '\\' => out.push(b'\\'),
            'x' => {
                let hi = chars.next()?.to_digit(16)?;
                let lo = chars.next()?.to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
            }
            'u' => {
                if chars.next()? != '{' {
                    return None;
                }
                let mut value: u32 = 0;
                loop {
                    let d = chars.next()?;
                    if d == '}' {
                        break;
                    }
                    value = value.checked_mul(16)?.checked_add(d.to_digit(16)?)?;
                }
                let c = char::from_u32(value)?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            _ => return None,
        }
    }
    Some(out)
}

/// `Vec<u8>` as an escaped string.
pub mod escaped {
    use super::*;
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&escape_bytes(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        unescape_bytes(&text).ok_or_else(|| D::Error::custom("invalid escaped byte string"))
    }
}

/// `Option<Vec<u8>>` as an optional escaped string.
pub mod escaped_opt {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&escape_bytes(v)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => unescape_bytes(&text)
                .map(Some)
                .ok_or_else(|| D::Error::custom("invalid escaped byte string")),
            None => Ok(None),
        }
    }
}

/// `Option<Vec<u8>>` as optional lowercase hex.
pub mod hex_opt {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&hex::encode(v)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => hex::decode(text).map(Some).map_err(D::Error::custom),
            None => Ok(None),
        }
    }
}

/// `Option<Vec<u8>>` as optional standard base64 (file contents).
pub mod base64_opt {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&base64::engine::general_purpose::STANDARD.encode(v)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => base64::engine::general_purpose::STANDARD
                .decode(text)
                .map(Some)
                .map_err(D::Error::custom),
            None => Ok(None),
        }
    }
}

/// `[u8; N]` as lowercase hex.
pub mod hex_array {
    use super::*;
    pub fn serialize<S: Serializer, const N: usize>(v: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(d)?;
        let mut out = [0u8; N];
        hex::decode_to_slice(text, &mut out).map_err(D::Error::custom)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_inverts_escape() {
        for input in [&b"etc/passwd"[..], b"a\xffb", "x\u{202e}y".as_bytes(), b"\\xff", b"tab\there\0"] {
            assert_eq!(unescape_bytes(&escape_bytes(input)).as_deref(), Some(input));
        }
        assert_eq!(unescape_bytes("bad\\q"), None);
        assert_eq!(unescape_bytes("\\u{110000}"), None);
    }
}
