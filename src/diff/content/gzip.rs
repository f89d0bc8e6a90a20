//! gzip comparator: header fields (MTIME, OS, XFL, FNAME, …) and trailer, then the
//! decompressed content compared recursively. Decompression is capped and says so.

use miniz_oxide::inflate::{decompress_to_vec_with_limit, TINFLStatus};
use serde::{Deserialize, Serialize};

use super::{
    compare_node, escaped, fmt_epoch, push_change, raw_bytes_child, ComparatorKind, Ctx, DiffNode, FieldChange,
    Payload, SignalKind,
};
use crate::formats::bytes::{escape_bytes, Cursor};

const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;
/// Longest FNAME/FCOMMENT read.
const MAX_HEADER_STRING: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GzipHeader {
    pub flags: u8,
    /// MTIME: unix seconds, 0 = none.
    pub mtime: u32,
    /// XFL: 2 = best compression, 4 = fastest.
    pub xfl: u8,
    pub os: u8,
    #[serde(with = "escaped::option")]
    pub fname: Option<Vec<u8>>,
    #[serde(with = "escaped::option")]
    pub comment: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_len: Option<u16>,
    /// Trailer CRC32 and ISIZE (the last 8 bytes).
    pub crc32: u32,
    pub isize: u32,
    /// Bytes before the deflate stream.
    pub header_len: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GzipDiff {
    pub header_a: GzipHeader,
    pub header_b: GzipHeader,
    pub header_changes: Vec<FieldChange>,
    pub decompressed_size_a: u64,
    pub decompressed_size_b: u64,
    pub content_differs: bool,
}

pub fn os_name(os: u8) -> &'static str {
    match os {
        0 => "fat",
        3 => "unix",
        7 => "macintosh",
        10 => "tops-20",
        11 => "ntfs",
        255 => "unknown",
        _ => "other",
    }
}

fn cstring(cur: &mut Cursor<'_>, what: &'static str) -> Result<Vec<u8>, String> {
    let rest = cur.rest();
    let len = rest.iter().take(MAX_HEADER_STRING).position(|&c| c == 0).ok_or_else(|| {
        format!("gzip header at {:#x}: {what} has no terminating NUL within {MAX_HEADER_STRING} bytes", cur.offset())
    })?;
    let s = cur.bytes(len + 1, what).map_err(|e| e.to_string())?;
    Ok(s[..len].to_vec())
}

pub fn parse_header(data: &[u8]) -> Result<GzipHeader, String> {
    let mut cur = Cursor::new(data, 0);
    let err = |e: crate::formats::bytes::Truncated| format!("gzip header: {e}");
    let magic = cur.array::<2>("magic").map_err(err)?;
    let method = cur.u8("compression method").map_err(err)?;
    if magic != [0x1f, 0x8b] || method != 8 {
        return Err(format!("gzip header at 0x0: magic {magic:02x?} method {method} is not gzip deflate"));
    }
    let flags = cur.u8("flags").map_err(err)?;
    let mtime = cur.u32_le("mtime").map_err(err)?;
    let xfl = cur.u8("xfl").map_err(err)?;
    let os = cur.u8("os").map_err(err)?;
    let extra_len = if flags & FEXTRA != 0 {
        let n = cur.u16_le("extra length").map_err(err)?;
        cur.skip(usize::from(n), "extra field").map_err(err)?;
        Some(n)
    } else {
        None
    };
    let fname = if flags & FNAME != 0 { Some(cstring(&mut cur, "file name")?) } else { None };
    let comment = if flags & FCOMMENT != 0 { Some(cstring(&mut cur, "comment")?) } else { None };
    if flags & FHCRC != 0 {
        cur.skip(2, "header crc").map_err(err)?;
    }
    let header_len = cur.offset();
    if data.len() < 8 || (data.len() as u64) < header_len + 8 {
        return Err(format!("gzip at {header_len:#x}: no room for deflate data and the 8-byte trailer"));
    }
    let trailer = &data[data.len() - 8..];
    let crc32 = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let isize = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
    Ok(GzipHeader { flags, mtime, xfl, os, fname, comment, extra_len, crc32, isize, header_len })
}

/// Inflates the member's deflate stream up to `limit` bytes; returns the output (maybe
/// partial) and a remark when it is partial.
pub fn inflate(data: &[u8], header_len: u64, limit: u64) -> (Vec<u8>, Option<String>) {
    let start = usize::try_from(header_len).unwrap_or(usize::MAX).min(data.len());
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    match decompress_to_vec_with_limit(&data[start..], limit) {
        Ok(out) => (out, None),
        Err(e) if e.status == TINFLStatus::HasMoreOutput => {
            let n = e.output.len();
            (e.output, Some(format!("decompression stopped at the {n} byte limit; compared the first {n} bytes")))
        }
        Err(e) => {
            let n = e.output.len();
            (e.output, Some(format!("deflate error {:?} after {n} output bytes; compared what was decompressed", e.status)))
        }
    }
}

/// The name of the decompressed content: FNAME, else the member name without `.gz`.
fn inner_name(name: &[u8], header: &GzipHeader) -> Vec<u8> {
    if let Some(f) = &header.fname {
        return f.clone();
    }
    if let Some(stem) = name.strip_suffix(b".tgz") {
        return [stem, b".tar"].concat();
    }
    name.strip_suffix(b".gz").unwrap_or(name).to_vec()
}

pub fn compare(ctx: &mut Ctx<'_>, name: &[u8], title: &str, a: &[u8], b: &[u8], depth: u32) -> Result<DiffNode, String> {
    let ha = parse_header(a).map_err(|e| format!("a: {e}"))?;
    let hb = parse_header(b).map_err(|e| format!("b: {e}"))?;
    let mut node = DiffNode::new(ComparatorKind::Gzip, name, title.to_string(), a, b);

    let mut changes = Vec::new();
    push_change(&mut changes, "mtime", &ha.mtime, &hb.mtime, |t| fmt_epoch(i64::from(*t)));
    push_change(&mut changes, "os", &ha.os, &hb.os, |o| format!("{o} ({})", os_name(*o)));
    push_change(&mut changes, "xfl", &ha.xfl, &hb.xfl, u8::to_string);
    push_change(&mut changes, "flags", &ha.flags, &hb.flags, |f| format!("{f:#04x}"));
    let show = |s: &Option<Vec<u8>>| s.as_deref().map(escape_bytes).unwrap_or_else(|| "none".to_string());
    push_change(&mut changes, "fname", &ha.fname, &hb.fname, show);
    push_change(&mut changes, "comment", &ha.comment, &hb.comment, show);
    push_change(&mut changes, "extra_len", &ha.extra_len, &hb.extra_len, |e| format!("{e:?}"));
    push_change(&mut changes, "crc32", &ha.crc32, &hb.crc32, |c| format!("{c:#010x}"));
    push_change(&mut changes, "isize", &ha.isize, &hb.isize, u32::to_string);

    let (da, note_a) = inflate(a, ha.header_len, ctx.decompress_allowance());
    ctx.decompressed_total += da.len() as u64;
    let (db, note_b) = inflate(b, hb.header_len, ctx.decompress_allowance());
    ctx.decompressed_total += db.len() as u64;
    node.comments.extend(note_a.map(|n| format!("a: {n}")));
    node.comments.extend(note_b.map(|n| format!("b: {n}")));
    for (side, d, h) in [("a", &da, &ha), ("b", &db, &hb)] {
        if (d.len() as u64 & 0xffff_ffff) as u32 != h.isize {
            node.comments.push(format!(
                "{side}: trailer isize {} does not match {} decompressed bytes (multi-member gzip or corrupt)",
                h.isize,
                d.len()
            ));
        }
    }
    let content_differs = da != db;
    let header_only = !content_differs;
    if ha.mtime != hb.mtime {
        let explains = header_only && changes.iter().all(|c| c.field == "mtime");
        ctx.signal(
            SignalKind::EmbeddedTimestamp,
            format!("gzip header mtime {} -> {}", fmt_epoch(i64::from(ha.mtime)), fmt_epoch(i64::from(hb.mtime))),
            explains,
        );
    }
    fn stream<'d>(d: &'d [u8], h: &GzipHeader) -> &'d [u8] {
        d.get(usize::try_from(h.header_len).unwrap_or(usize::MAX)..).unwrap_or(&[])
    }
    if header_only && stream(a, &ha) != stream(b, &hb) {
        node.comments
            .push("same decompressed content but different compressed streams (compressor, version or level)".to_string());
        ctx.signal(
            SignalKind::BuildEnvironment,
            format!("gzip streams differ for identical content (xfl {} -> {}, os {} -> {})", ha.xfl, hb.xfl, ha.os, hb.os),
            false,
        );
    } else if header_only && ha.os != hb.os {
        ctx.signal(
            SignalKind::BuildEnvironment,
            format!("gzip header os {} ({}) -> {} ({})", ha.os, os_name(ha.os), hb.os, os_name(hb.os)),
            false,
        );
    }
    if content_differs {
        let inner = inner_name(name, &hb);
        let child = compare_node(ctx, &inner, escape_bytes(&inner), &da, &db, depth + 1);
        node.children.push(child);
    } else if changes.is_empty() && !node.comments.iter().any(|c| c.starts_with("same decompressed")) {
        node.children.push(raw_bytes_child(ctx, name, "gzip comparison", a, b));
    }
    node.payload = Payload::Gzip(GzipDiff {
        header_a: ha,
        header_b: hb,
        header_changes: changes,
        decompressed_size_a: da.len() as u64,
        decompressed_size_b: db.len() as u64,
        content_differs,
    });
    Ok(node)
}
