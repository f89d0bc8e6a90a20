//! Serde helper: byte-string names serialise as the lossless escaped text of
//! [`escape_bytes`](crate::formats::bytes::escape_bytes) and deserialise back to the same bytes.

use serde::{Deserialize, Deserializer, Serializer};

use crate::formats::bytes::escape_bytes;

pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&escape_bytes(bytes))
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(deserializer)?;
    unescape(&text).map_err(serde::de::Error::custom)
}

/// Inverse of `escape_bytes`: `\\`, `\xNN` and `\u{…}` escapes back to bytes.
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((idx, c)) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some((_, '\\')) => out.push(b'\\'),
            Some((_, 'x')) => {
                let hex: String = chars.by_ref().take(2).map(|(_, c)| c).collect();
                let byte = u8::from_str_radix(&hex, 16).map_err(|_| format!("bad \\x escape at {idx}"))?;
                if hex.len() != 2 {
                    return Err(format!("bad \\x escape at {idx}"));
                }
                out.push(byte);
            }
            Some((_, 'u')) => {
                if chars.next().map(|(_, c)| c) != Some('{') {
                    return Err(format!("bad \\u escape at {idx}"));
                }
                let hex: String = chars.by_ref().map(|(_, c)| c).take_while(|&c| c != '}').take(8).collect();
                let c = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("bad \\u escape at {idx}"))?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            _ => return Err(format!("bad escape at {idx}")),
        }
    }
    Ok(out)
}

/// The same for `Option<Vec<u8>>` (`null` when absent).
pub mod option {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, serializer: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => super::serialize(b, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|t| super::unescape(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_inverts_escape_bytes() {
        for input in [&b"etc/passwd"[..], b"a\xffb\\xff", "x\u{202e}y\ttab".as_bytes(), b"<script>\x00"] {
            assert_eq!(unescape(&escape_bytes(input)).unwrap(), input);
        }
        assert!(unescape("\\q").is_err());
        assert!(unescape("\\x4").is_err());
    }
}
