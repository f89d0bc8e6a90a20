//! Python `.pyc` comparator: the header (magic -> Python version, flags, then source mtime +
//! size or source hash, PEP 552) with named differences; the marshalled code object after it
//! is compared as bytes.

use serde::{Deserialize, Serialize};

use super::{binary_node, fmt_epoch, push_change, ComparatorKind, Ctx, DiffNode, FieldChange, Payload, SignalKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PycHeader {
    pub magic: u16,
    /// "3.11" etc., or "unknown".
    pub python: String,
    pub flags: u32,
    /// Set for timestamp-based pycs (flags bit 0 clear).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_mtime: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_size: Option<u32>,
    /// Hex SipHash of the source, for hash-based pycs (flags bit 0 set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_hash: Option<String>,
    pub header_len: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PycDiff {
    pub header_a: PycHeader,
    pub header_b: PycHeader,
    pub header_changes: Vec<FieldChange>,
    pub code_differs: bool,
}

/// Magic number ranges of CPython releases (Lib/importlib/_bootstrap_external.py).
const VERSIONS: [(u16, u16, &str); 12] = [
    (3000, 3131, "3.0"),
    (3141, 3151, "3.1"),
    (3160, 3180, "3.2"),
    (3190, 3230, "3.3"),
    (3250, 3310, "3.4"),
    (3320, 3351, "3.5"),
    (3360, 3379, "3.6"),
    (3390, 3394, "3.7"),
    (3400, 3413, "3.8"),
    (3420, 3439, "3.9/3.10"),
    (3450, 3495, "3.11"),
    (3500, 3531, "3.12"),
];
const LATER: [(u16, u16, &str); 2] = [(3550, 3571, "3.13"), (3600, 3699, "3.14")];

pub fn python_version(magic: u16) -> &'static str {
    if (3420..=3425).contains(&magic) {
        return "3.9";
    }
    if (3430..=3439).contains(&magic) {
        return "3.10";
    }
    VERSIONS.iter().chain(LATER.iter()).find(|(lo, hi, _)| (*lo..=*hi).contains(&magic)).map_or("unknown", |v| v.2)
}

/// A `.pyc` name, or a known CPython 3 magic followed by "\r\n".
pub fn looks_like_pyc(name: &[u8], data: &[u8]) -> bool {
    let Some(head) = data.get(..16) else { return false };
    if &head[2..4] != b"\r\n" {
        return false;
    }
    let magic = u16::from_le_bytes([head[0], head[1]]);
    name.ends_with(b".pyc") || python_version(magic) != "unknown"
}

fn le32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

pub fn parse_header(data: &[u8]) -> Result<PycHeader, String> {
    let magic = data.get(..4).ok_or("pyc header at 0x0: needs 4 bytes for the magic")?;
    let magic = u16::from_le_bytes([magic[0], magic[1]]);
    let short = |n: usize| format!("pyc header at 0x0: needs {n} bytes, only {} present", data.len());
    let python = python_version(magic).to_string();
    if magic >= 3390 {
        let flags = le32(data, 4).ok_or_else(|| short(16))?;
        let tail = data.get(8..16).ok_or_else(|| short(16))?;
        let hashed = flags & 1 != 0;
        Ok(PycHeader {
            magic,
            python,
            flags,
            source_mtime: (!hashed).then(|| le32(tail, 0)).flatten(),
            source_size: (!hashed).then(|| le32(tail, 4)).flatten(),
            source_hash: hashed.then(|| hex::encode(tail)),
            header_len: 16,
        })
    } else {
        let with_size = magic >= 3190;
        let len = if with_size { 12 } else { 8 };
        let source_mtime = le32(data, 4).ok_or_else(|| short(len))?;
        let source_size = if with_size { Some(le32(data, 8).ok_or_else(|| short(len))?) } else { None };
        Ok(PycHeader {
            magic,
            python,
            flags: 0,
            source_mtime: Some(source_mtime),
            source_size,
            source_hash: None,
            header_len: len as u64,
        })
    }
}

pub fn compare(ctx: &mut Ctx<'_>, name: &[u8], title: &str, a: &[u8], b: &[u8]) -> Result<DiffNode, String> {
    let ha = parse_header(a).map_err(|e| format!("a: {e}"))?;
    let hb = parse_header(b).map_err(|e| format!("b: {e}"))?;
    let mut node = DiffNode::new(ComparatorKind::Pyc, name, title.to_string(), a, b);
    let mut changes = Vec::new();
    push_change(&mut changes, "magic", &ha.magic, &hb.magic, |m| format!("{m} (python {})", python_version(*m)));
    push_change(&mut changes, "flags", &ha.flags, &hb.flags, |f| format!("{f:#x}"));
    let time = |t: &Option<u32>| t.map(|t| fmt_epoch(i64::from(t))).unwrap_or_else(|| "none".to_string());
    push_change(&mut changes, "source_mtime", &ha.source_mtime, &hb.source_mtime, time);
    let opt = |s: &Option<u32>| s.map(|s| s.to_string()).unwrap_or_else(|| "none".to_string());
    push_change(&mut changes, "source_size", &ha.source_size, &hb.source_size, opt);
    let hash = |h: &Option<String>| h.clone().unwrap_or_else(|| "none".to_string());
    push_change(&mut changes, "source_hash", &ha.source_hash, &hb.source_hash, hash);

    let start = |h: &PycHeader, d: &[u8]| usize::try_from(h.header_len).unwrap_or(usize::MAX).min(d.len());
    let (code_a, code_b) = (&a[start(&ha, a)..], &b[start(&hb, b)..]);
    let code_differs = code_a != code_b;
    if ha.source_mtime != hb.source_mtime {
        let explains = !code_differs && changes.len() == 1;
        ctx.signal(
            SignalKind::EmbeddedTimestamp,
            format!("pyc source mtime {} -> {}", time(&ha.source_mtime), time(&hb.source_mtime)),
            explains,
        );
    }
    if ha.magic != hb.magic {
        ctx.signal(
            SignalKind::VersionChange,
            format!("pyc magic {} (python {}) -> {} (python {})", ha.magic, ha.python, hb.magic, hb.python),
            false,
        );
    }
    if code_differs {
        ctx.location.push("code object".to_string());
        let mut child = binary_node(ctx, b"code object", "code object".to_string(), code_a, code_b);
        ctx.location.pop();
        child.comments.insert(0, "marshalled code object after the header, compared as bytes".to_string());
        node.children.push(child);
    }
    node.payload = Payload::Pyc(PycDiff { header_a: ha, header_b: hb, header_changes: changes, code_differs });
    Ok(node)
}
