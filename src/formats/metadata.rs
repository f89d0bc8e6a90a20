//! The Metadata section (type 5, EIF v4): compact JSON written by the builder, never measured.
//!
//! Shape (EIF-FORMAT.md section 4): `{"ImageName", "ImageVersion", "BuildMetadata": {"BuildTime",
//! "BuildTool", "BuildToolVersion", "OperatingSystem", "KernelVersion"}, "DockerInfo",
//! "CustomMetadata"}`. The whole value is kept (key order preserved); the well-known fields are
//! lifted when they are strings. nitro-cli's `describe-eif` flattens BuildMetadata, DockerInfo and
//! CustomMetadata's keys into one "Metadata" object; this model does not.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The decoded Metadata section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub image_name: Option<String>,
    pub image_version: Option<String>,
    pub build_time: Option<String>,
    pub build_tool: Option<String>,
    pub build_tool_version: Option<String>,
    pub operating_system: Option<String>,
    pub kernel_version: Option<String>,
    /// `DockerInfo` as stored (an object, or null).
    pub docker_info: Option<Value>,
    /// `CustomMetadata` as stored (an object, or null).
    pub custom_metadata: Option<Value>,
    /// The whole document, key order preserved.
    pub value: Value,
}

/// Metadata that is not valid JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataError {
    /// Absolute offset of the offending byte (best effort from line/column).
    pub offset: u64,
    /// 1-based line and column as reported by the JSON parser (0 when unknown).
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "metadata json at {:#x} (line {}, column {}): {}", self.offset, self.line, self.column, self.message)
    }
}

impl std::error::Error for MetadataError {}

/// Parses a Metadata payload that starts at absolute `base_offset`.
pub fn parse_metadata(data: &[u8], base_offset: u64) -> Result<Metadata, MetadataError> {
    let value: Value = serde_json::from_slice(data).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        let offset = base_offset.saturating_add(byte_index(data, line, column) as u64);
        let mut message = e.to_string();
        // serde_json appends " at line L column C"; we report those separately.
        if let Some(cut) = message.rfind(" at line ") {
            message.truncate(cut);
        }
        MetadataError { offset, line, column, message: message.to_lowercase() }
    })?;
    let string = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let build = value.get("BuildMetadata");
    let field = |name: &str| string(build.and_then(|b| b.get(name)));
    Ok(Metadata {
        image_name: string(value.get("ImageName")),
        image_version: string(value.get("ImageVersion")),
        build_time: field("BuildTime"),
        build_tool: field("BuildTool"),
        build_tool_version: field("BuildToolVersion"),
        operating_system: field("OperatingSystem"),
        kernel_version: field("KernelVersion"),
        docker_info: value.get("DockerInfo").cloned(),
        custom_metadata: value.get("CustomMetadata").cloned(),
        value,
    })
}

/// Byte index of 1-based (line, column) as serde_json counts them (column = bytes into the line).
fn byte_index(data: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0usize;
    for _ in 1..line.max(1) {
        match data.get(start..).and_then(|rest| rest.iter().position(|&b| b == b'\n')) {
            Some(nl) => start += nl + 1,
            None => break,
        }
    }
    start.saturating_add(column.saturating_sub(1)).min(data.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifts_known_fields() {
        let json = br#"{"ImageName":"x","ImageVersion":"1","BuildMetadata":{"BuildTime":"t","KernelVersion":"6.1"},"DockerInfo":null,"CustomMetadata":{"b":1,"a":2}}"#;
        let m = parse_metadata(json, 0).unwrap();
        assert_eq!(m.image_name.as_deref(), Some("x"));
        assert_eq!(m.kernel_version.as_deref(), Some("6.1"));
        assert_eq!(m.build_tool, None);
        assert_eq!(m.docker_info, Some(Value::Null));
        let keys: Vec<&String> = m.custom_metadata.as_ref().unwrap().as_object().unwrap().keys().collect();
        assert_eq!(keys, ["b", "a"], "key order preserved");
    }

    #[test]
    fn invalid_json_reports_line_column_and_offset() {
        let err = parse_metadata(b"{\"a\": 1,\n  \"b\": }", 0x1000).unwrap_err();
        assert_eq!((err.line, err.column), (2, 8));
        assert_eq!(err.offset, 0x1000 + 9 + 7);
        assert!(err.to_string().starts_with("metadata json at 0x1010 (line 2, column 8): expected value"), "{err}");
    }
}
