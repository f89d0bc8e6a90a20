//! A small zip reader (end-of-central-directory, central directory, local headers; stored and
//! deflated members inflated with miniz_oxide) and the zip/jar/whl comparator. Zip64 and
//! multi-disk archives are reported as unsupported and fall back to a byte diff.

use super::archive::{compare_listings, kind_from_mode, ArchiveEntry, ArchiveFormat, Listing, Member, MemberData};
use super::{ComparatorKind, Ctx, DiffNode};
use crate::formats::bytes::{escape_bytes, Cursor, Truncated};

const EOCD_SIG: u32 = 0x0605_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;
const EOCD_LEN: usize = 22;
/// Longest extra field bytes shown as hex in a field change.
const MAX_EXTRA_HEX: usize = 64;

/// DOS date and time as "YYYY-MM-DD hh:mm:ss".
pub fn dos_time(date: u16, time: u16) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        1980 + (date >> 9),
        (date >> 5) & 0xf,
        date & 0x1f,
        time >> 11,
        (time >> 5) & 0x3f,
        (time & 0x1f) * 2
    )
}

fn find_eocd(data: &[u8]) -> Option<usize> {
    if data.len() < EOCD_LEN {
        return None;
    }
    let lowest = data.len().saturating_sub(EOCD_LEN + 0xffff);
    (lowest..=data.len() - EOCD_LEN).rev().find(|&i| data[i..i + 4] == EOCD_SIG.to_le_bytes())
}

fn method_name(m: u16) -> String {
    match m {
        0 => "stored".to_string(),
        8 => "deflate".to_string(),
        12 => "bzip2".to_string(),
        14 => "lzma".to_string(),
        93 => "zstd".to_string(),
        other => format!("method {other}"),
    }
}

/// Extended timestamp (0x5455) mtime from an extra field, if present.
fn extended_mtime(mut extra: &[u8]) -> Option<i64> {
    while extra.len() >= 4 {
        let id = u16::from_le_bytes([extra[0], extra[1]]);
        let len = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        let body = extra.get(4..4 + len)?;
        if id == 0x5455 && body.len() >= 5 && body[0] & 1 != 0 {
            return Some(i64::from(i32::from_le_bytes([body[1], body[2], body[3], body[4]])));
        }
        extra = &extra[4 + len..];
    }
    None
}

pub fn parse(data: &[u8], max_entries: u64) -> Result<Listing<'_>, String> {
    let t = |e: Truncated| format!("zip {e}");
    let eocd = find_eocd(data).ok_or("no end of central directory record found")?;
    let mut cur = Cursor::new(&data[eocd..], eocd as u64);
    cur.skip(4, "eocd signature").map_err(t)?;
    let disk = cur.u16_le("disk number").map_err(t)?;
    let cd_disk = cur.u16_le("central directory disk").map_err(t)?;
    let _entries_here = cur.u16_le("entries on this disk").map_err(t)?;
    let entries = cur.u16_le("total entries").map_err(t)?;
    let cd_size = cur.u32_le("central directory size").map_err(t)?;
    let cd_offset = cur.u32_le("central directory offset").map_err(t)?;
    if disk != 0 || cd_disk != 0 {
        return Err(format!("eocd at {eocd:#x}: multi-disk archives are not supported"));
    }
    if entries == 0xffff || cd_size == 0xffff_ffff || cd_offset == 0xffff_ffff {
        return Err(format!("eocd at {eocd:#x}: zip64 archives are not supported"));
    }
    let cd_start = usize::try_from(cd_offset).map_err(|_| "central directory offset too large".to_string())?;
    if cd_start > eocd {
        return Err(format!("eocd at {eocd:#x}: central directory offset {cd_start:#x} is past the eocd"));
    }
    let mut cur = Cursor::new(&data[cd_start..eocd], cd_start as u64);
    let mut members = Vec::new();
    let mut notes = Vec::new();
    for idx in 0..entries {
        if u64::from(idx) >= max_entries {
            notes.push(format!("stopped after {max_entries} entries (entry limit)"));
            break;
        }
        let at = cur.offset();
        if cur.u32_le("central header signature").map_err(t)? != CENTRAL_SIG {
            return Err(format!("central directory entry {idx} at {at:#x}: bad signature"));
        }
        let made_by = cur.u16_le("version made by").map_err(t)?;
        let _needed = cur.u16_le("version needed").map_err(t)?;
        let flags = cur.u16_le("flags").map_err(t)?;
        let method = cur.u16_le("method").map_err(t)?;
        let time = cur.u16_le("mod time").map_err(t)?;
        let date = cur.u16_le("mod date").map_err(t)?;
        let crc = cur.u32_le("crc32").map_err(t)?;
        let csize = cur.u32_le("compressed size").map_err(t)?;
        let usize_ = cur.u32_le("uncompressed size").map_err(t)?;
        let name_len = cur.u16_le("name length").map_err(t)?;
        let extra_len = cur.u16_le("extra length").map_err(t)?;
        let comment_len = cur.u16_le("comment length").map_err(t)?;
        cur.skip(4, "disk and internal attributes").map_err(t)?;
        let ext_attr = cur.u32_le("external attributes").map_err(t)?;
        let local = cur.u32_le("local header offset").map_err(t)?;
        let name = cur.bytes(usize::from(name_len), "entry name").map_err(t)?;
        let extra = cur.bytes(usize::from(extra_len), "extra field").map_err(t)?;
        let comment = cur.bytes(usize::from(comment_len), "entry comment").map_err(t)?;

        let body = local_data(data, local, csize).map_err(|e| format!("entry {}: {e}", escape_bytes(name)))?;
        let unix_mode = (made_by >> 8 == 3).then_some(ext_attr >> 16).filter(|&m| m != 0);
        let kind = match unix_mode {
            Some(m) => kind_from_mode(m).to_string(),
            None if name.ends_with(b"/") => "dir".to_string(),
            None => "file".to_string(),
        };
        let mut other = vec![("external_attr".to_string(), format!("{ext_attr:#010x}"))];
        if !extra.is_empty() {
            other.push(("extra".to_string(), hex::encode(&extra[..extra.len().min(MAX_EXTRA_HEX)])));
        }
        if !comment.is_empty() {
            other.push(("comment".to_string(), escape_bytes(comment)));
        }
        if flags & 1 != 0 {
            other.push(("encrypted".to_string(), "yes".to_string()));
        }
        let meta = ArchiveEntry {
            name: name.to_vec(),
            kind,
            mode: unix_mode.map(|m| m & 0o7777),
            mtime: extended_mtime(extra),
            dos_time: Some(dos_time(date, time)),
            size: u64::from(usize_),
            compressed_size: Some(u64::from(csize)),
            method: Some(method_name(method)),
            crc32: Some(crc),
            other,
            ..ArchiveEntry::default()
        };
        let data = match method {
            _ if flags & 1 != 0 => MemberData::Opaque(body),
            0 => MemberData::Plain(body),
            8 => MemberData::Deflated(body, u64::from(usize_)),
            _ => MemberData::Opaque(body),
        };
        members.push(Member { meta, data });
    }
    Ok(Listing { members, notes })
}

/// The member data that follows the local header at `offset`.
fn local_data(data: &[u8], offset: u32, csize: u32) -> Result<&[u8], String> {
    let start = usize::try_from(offset).map_err(|_| "local header offset too large".to_string())?;
    let rest = data.get(start..).ok_or_else(|| format!("local header offset {start:#x} is past the end"))?;
    let mut cur = Cursor::new(rest, start as u64);
    let t = |e: Truncated| format!("zip {e}");
    if cur.u32_le("local header signature").map_err(t)? != LOCAL_SIG {
        return Err(format!("local header at {start:#x}: bad signature"));
    }
    cur.skip(22, "local header fields").map_err(t)?;
    let n = cur.u16_le("local name length").map_err(t)?;
    let e = cur.u16_le("local extra length").map_err(t)?;
    cur.skip(usize::from(n) + usize::from(e), "local name and extra").map_err(t)?;
    let len = usize::try_from(csize).map_err(|_| "compressed size too large".to_string())?;
    cur.bytes(len, "member data").map_err(t)
}

pub fn compare(ctx: &mut Ctx<'_>, name: &[u8], title: &str, a: &[u8], b: &[u8], depth: u32) -> Result<DiffNode, String> {
    let la = parse(a, ctx.opts.max_entries).map_err(|e| format!("a: {e}"))?;
    let lb = parse(b, ctx.opts.max_entries).map_err(|e| format!("b: {e}"))?;
    Ok(compare_listings(ctx, ComparatorKind::Zip, ArchiveFormat::Zip, (name, title, a, b), la, lb, depth))
}
