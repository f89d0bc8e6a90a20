//! PCR files users drop next to an EIF (EIF-FORMAT.md section 5): StageX text
//! (`<96 hex> PCRn` lines), `PCRn:<hex>` lines, nitro-cli `{"Measurements": {...}}`,
//! describe-eif output, bare `{"HashAlgorithm", "PCR0", ...}` maps and `nitro-cli pcr`
//! `{"PCR": hex}` / `{"PCR8": hex}`. Values are hex (any case) or base64 of 48 bytes.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Largest PCR file accepted; real ones are a few hundred bytes (describe-eif a few KiB).
pub const MAX_PCR_FILE: usize = 1 << 20;
/// A SHA-384 PCR value.
pub type PcrValue = [u8; 48];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PcrFormat {
    /// `<96 hex> PCR0` lines (StageX `eif_build --pcrs_output`, Caution `enclave.pcrs`).
    StagexText,
    /// `PCR0:<hex>` lines.
    ColonLines,
    /// `{"Measurements": {...}}` from `nitro-cli build-enclave` / `sign-eif`.
    NitroCliMeasurements,
    /// `nitro-cli describe-eif` output (Measurements plus EifVersion, IsSigned, ...).
    DescribeEif,
    /// A bare `{"HashAlgorithm": ..., "PCR0": ...}` map (AWS eif_build >= 0.3, monzo).
    BareMap,
    /// `nitro-cli pcr`: `{"PCR": hex}` or `{"PCR8": hex}`.
    NitroCliPcr,
}

mod hex_map {
    use super::PcrValue;
    use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;
    pub fn serialize<S: Serializer>(v: &BTreeMap<u8, PcrValue>, s: S) -> Result<S::Ok, S::Error> {
        let m: BTreeMap<u8, String> = v.iter().map(|(k, v)| (*k, hex::encode(v))).collect();
        m.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<u8, PcrValue>, D::Error> {
        let m = BTreeMap::<u8, String>::deserialize(d)?;
        m.into_iter()
            .map(|(k, v)| {
                let mut out = [0u8; 48];
                hex::decode_to_slice(v, &mut out).map_err(D::Error::custom)?;
                Ok((k, out))
            })
            .collect()
    }
}

mod hex_opt48 {
    use super::PcrValue;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &Option<PcrValue>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&hex::encode(v)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PcrValue>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(t) => {
                let mut out = [0u8; 48];
                hex::decode_to_slice(t, &mut out).map_err(D::Error::custom)?;
                Ok(Some(out))
            }
            None => Ok(None),
        }
    }
}

/// A parsed PCR file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PcrFile {
    pub format: PcrFormat,
    /// As written in the file, e.g. "Sha384 { ... }" or "Sha512_48 { .. }".
    pub hash_algorithm: Option<String>,
    #[serde(with = "hex_map")]
    pub values: BTreeMap<u8, PcrValue>,
    /// `nitro-cli pcr`'s `{"PCR": hex}`: a value without an index.
    #[serde(with = "hex_opt48", default)]
    pub unindexed: Option<PcrValue>,
}

/// A PCR file that could not be read; `line` is 1-based for text formats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PcrsError {
    pub line: Option<usize>,
    pub message: String,
}

impl PcrsError {
    fn new(line: Option<usize>, message: impl Into<String>) -> PcrsError {
        PcrsError { line, message: message.into() }
    }
}

impl fmt::Display for PcrsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "pcr file line {line}: {}", self.message),
            None => write!(f, "pcr file: {}", self.message),
        }
    }
}

impl std::error::Error for PcrsError {}

/// Parse any of the supported PCR file shapes.
pub fn parse(bytes: &[u8]) -> Result<PcrFile, PcrsError> {
    if bytes.len() > MAX_PCR_FILE {
        return Err(PcrsError::new(
            None,
            format!("{} bytes is too large for a pcr file (limit {MAX_PCR_FILE})", bytes.len()),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        PcrsError::new(None, format!("not text: invalid utf-8 at byte {}", e.valid_up_to()))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim();
    if text.is_empty() {
        return Err(PcrsError::new(None, "empty"));
    }
    if text.starts_with('{') {
        parse_json(text)
    } else {
        parse_lines(text)
    }
}

fn pcr_index(name: &str) -> Option<u8> {
    let digits = name.strip_prefix("PCR").or_else(|| name.strip_prefix("pcr"))?;
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u8>().ok().filter(|n| *n < 32)
}

/// 96 hex digits (optionally `0x`-prefixed) or base64 of 48 bytes.
fn decode_value(text: &str) -> Option<PcrValue> {
    let text = text.trim();
    let hex_text = text.strip_prefix("0x").unwrap_or(text);
    let mut out = [0u8; 48];
    if hex_text.len() == 96 && hex::decode_to_slice(hex_text, &mut out).is_ok() {
        return Some(out);
    }
    for engine in [&base64::engine::general_purpose::STANDARD, &base64::engine::general_purpose::URL_SAFE] {
        if let Ok(v) = engine.decode(text) {
            if let Ok(arr) = <[u8; 48]>::try_from(v.as_slice()) {
                return Some(arr);
            }
        }
    }
    None
}

fn bad_value(line: Option<usize>, name: &str, value: &str) -> PcrsError {
    PcrsError::new(line, format!("{name} value \"{}\" is not 48 bytes of hex or base64", shorten(value)))
}

fn shorten(text: &str) -> String {
    let escaped = super::bytes::escape_bytes(text.as_bytes());
    if escaped.chars().count() > 60 {
        let head: String = escaped.chars().take(57).collect();
        format!("{head}...")
    } else {
        escaped
    }
}

fn parse_json(text: &str) -> Result<PcrFile, PcrsError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| PcrsError::new(Some(e.line()), format!("invalid json: {}", e)))?;
    let root = value.as_object().ok_or_else(|| PcrsError::new(None, "json is not an object"))?;
    let (format, map) = match root.get("Measurements") {
        Some(m) => {
            let m = m.as_object().ok_or_else(|| PcrsError::new(None, "\"Measurements\" is not an object"))?;
            let describe = ["EifVersion", "IsSigned", "CheckCRC", "SignatureCheck"].iter().any(|k| root.contains_key(*k));
            (if describe { PcrFormat::DescribeEif } else { PcrFormat::NitroCliMeasurements }, m)
        }
        None => {
            let pcr_keys: Vec<&String> = root.keys().filter(|k| *k == "PCR" || pcr_index(k).is_some()).collect();
            let single = pcr_keys.len() == 1 && !root.contains_key("HashAlgorithm") && root.len() == 1;
            (if single { PcrFormat::NitroCliPcr } else { PcrFormat::BareMap }, root)
        }
    };
    let mut file = PcrFile { format, hash_algorithm: None, values: BTreeMap::new(), unindexed: None };
    for (key, v) in map {
        if key == "HashAlgorithm" {
            file.hash_algorithm = v.as_str().map(str::to_string);
            continue;
        }
        let index = pcr_index(key);
        if index.is_none() && key != "PCR" {
            continue;
        }
        let s = v.as_str().ok_or_else(|| PcrsError::new(None, format!("{key} is not a string")))?;
        let value = decode_value(s).ok_or_else(|| bad_value(None, key, s))?;
        match index {
            Some(i) => {
                file.values.insert(i, value);
            }
            None => file.unindexed = Some(value),
        }
    }
    if file.values.is_empty() && file.unindexed.is_none() {
        return Err(PcrsError::new(None, "json holds no PCRn values"));
    }
    Ok(file)
}

fn parse_lines(text: &str) -> Result<PcrFile, PcrsError> {
    let mut format = None;
    let mut values = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (this_format, name, value) = if let Some((name, value)) = line.split_once(':').filter(|(n, _)| pcr_index(n.trim()).is_some()) {
            (PcrFormat::ColonLines, name.trim(), value.trim())
        } else {
            let mut parts = line.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(value), Some(name), None) if pcr_index(name).is_some() => (PcrFormat::StagexText, name, value),
                _ => {
                    return Err(PcrsError::new(
                        Some(line_no),
                        format!("expected \"<96 hex digits> PCRn\" or \"PCRn:<hex>\", found \"{}\"", shorten(line)),
                    ))
                }
            }
        };
        if *format.get_or_insert(this_format) != this_format {
            return Err(PcrsError::new(Some(line_no), "mixes \"<hex> PCRn\" and \"PCRn:<hex>\" lines"));
        }
        let index = pcr_index(name).unwrap_or(0);
        let value = decode_value(value).ok_or_else(|| bad_value(Some(line_no), name, value))?;
        if values.insert(index, value).is_some() {
            return Err(PcrsError::new(Some(line_no), format!("{name} appears twice")));
        }
    }
    match format {
        Some(format) => Ok(PcrFile { format, hash_algorithm: None, values, unindexed: None }),
        None => Err(PcrsError::new(None, "no pcr lines")),
    }
}

/// One PCR in a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PcrRow {
    pub index: u8,
    #[serde(with = "hex_opt48")]
    pub file: Option<PcrValue>,
    #[serde(with = "hex_opt48")]
    pub measured: Option<PcrValue>,
    /// `None` when one side lacks the PCR.
    pub equal: Option<bool>,
}

/// A PCR file against the PCRs measured from an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PcrComparison {
    pub rows: Vec<PcrRow>,
    /// Every PCR in the file is measured and equal (and an unindexed value matches something).
    pub matches: bool,
    /// PCRs the file lists but the image does not have (e.g. PCR8 of an unsigned image).
    pub missing_in_image: Vec<u8>,
    /// Measured PCRs the file does not list.
    pub not_in_file: Vec<u8>,
    /// For an unindexed `{"PCR": ..}` value: the measured PCRs it equals.
    pub unindexed_matches: Vec<u8>,
}

pub fn compare(file: &PcrFile, measured: &BTreeMap<u8, PcrValue>) -> PcrComparison {
    let mut indices: Vec<u8> = file.values.keys().chain(measured.keys()).copied().collect();
    indices.sort_unstable();
    indices.dedup();
    let rows: Vec<PcrRow> = indices
        .into_iter()
        .map(|index| {
            let f = file.values.get(&index).copied();
            let m = measured.get(&index).copied();
            let equal = match (f, m) {
                (Some(a), Some(b)) => Some(a == b),
                _ => None,
            };
            PcrRow { index, file: f, measured: m, equal }
        })
        .collect();
    let missing_in_image: Vec<u8> = rows.iter().filter(|r| r.file.is_some() && r.measured.is_none()).map(|r| r.index).collect();
    let not_in_file: Vec<u8> = rows.iter().filter(|r| r.file.is_none()).map(|r| r.index).collect();
    let unindexed_matches: Vec<u8> = match file.unindexed {
        Some(v) => measured.iter().filter(|(_, m)| **m == v).map(|(i, _)| *i).collect(),
        None => Vec::new(),
    };
    let matches = missing_in_image.is_empty()
        && rows.iter().all(|r| r.equal != Some(false))
        && (file.unindexed.is_none() || !unindexed_matches.is_empty());
    PcrComparison { rows, matches, missing_in_image, not_in_file, unindexed_matches }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V0: &str = "c18c1a35060fd74cbcd8686e7f18efd0c1d220bb965b299ffd66bff749ddf50234b673ead501d7d3f1e20f9c3524b6ed";

    #[test]
    fn colon_lines_base64_and_errors() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(hex::decode(V0).unwrap());
        let text = format!("PCR0:{}\nPCR3: {b64}\r\npcr4:{V0}\n", V0.to_uppercase());
        let f = parse(text.as_bytes()).unwrap();
        assert_eq!(f.format, PcrFormat::ColonLines);
        assert_eq!(f.values.keys().copied().collect::<Vec<_>>(), [0, 3, 4]);
        assert!(f.values.values().all(|v| hex::encode(v) == V0));
        let json = format!("{{\"PCR0\": \"{b64}\"}}");
        assert_eq!(parse(json.as_bytes()).unwrap().format, PcrFormat::NitroCliPcr);
        let f = parse(format!("{{\"PCR\": \"{V0}\"}}").as_bytes()).unwrap();
        assert_eq!((f.values.len(), f.unindexed.is_some()), (0, true));

        let err = parse(b"hello world\n").unwrap_err();
        assert_eq!(err.to_string(), "pcr file line 1: expected \"<96 hex digits> PCRn\" or \"PCRn:<hex>\", found \"hello world\"");
        let err = parse(b"PCR0:abcd").unwrap_err();
        assert_eq!(err.to_string(), "pcr file line 1: PCR0 value \"abcd\" is not 48 bytes of hex or base64");
        assert_eq!(parse(b"\xff\xfe").unwrap_err().to_string(), "pcr file: not text: invalid utf-8 at byte 0");
        assert_eq!(parse(b"{\"a\": 1}").unwrap_err().to_string(), "pcr file: json holds no PCRn values");
        assert!(parse(b"{\"Measurements\": ").unwrap_err().message.starts_with("invalid json"));
        assert_eq!(parse(format!("PCR0:{V0}\nPCR0:{V0}").as_bytes()).unwrap_err().line, Some(2));
    }
}
