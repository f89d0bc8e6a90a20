//! A small tar reader (ustar, GNU long names, pax `path`/`mtime`/… records) for nested tar
//! members, and the tar comparator built on the shared archive listing comparison.

use super::archive::{compare_listings, ArchiveEntry, ArchiveFormat, Listing, Member, MemberData};
use super::{ComparatorKind, Ctx, DiffNode};

const BLOCK: usize = 512;
/// Longest GNU long-name or pax header data accepted.
const MAX_META_DATA: u64 = 1 << 20;

/// A 512-byte header with "ustar" magic at 257 and a valid checksum.
pub fn looks_like_tar(data: &[u8]) -> bool {
    data.len() >= BLOCK && &data[257..262] == b"ustar" && checksum_ok(&data[..BLOCK])
}

fn checksum_ok(block: &[u8]) -> bool {
    let Some(stored) = number(&block[148..156]) else { return false };
    let sum: u64 = block.iter().enumerate().map(|(i, &c)| if (148..156).contains(&i) { 32 } else { u64::from(c) }).sum();
    sum == stored
}

/// Octal ASCII (space/NUL padded) or GNU base-256 (high bit set).
fn number(field: &[u8]) -> Option<u64> {
    if let Some((&first, rest)) = field.split_first() {
        if first & 0x80 != 0 {
            if first & 0x40 != 0 {
                return None; // negative
            }
            let mut v = u64::from(first & 0x3f);
            for &c in rest {
                v = v.checked_mul(256)?.checked_add(u64::from(c))?;
            }
            return Some(v);
        }
    }
    let digits: &[u8] = {
        let t = field.iter().position(|&c| c != b' ').map_or(&field[field.len()..], |s| &field[s..]);
        let end = t.iter().position(|&c| c == 0 || c == b' ').unwrap_or(t.len());
        &t[..end]
    };
    if digits.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !(b'0'..=b'7').contains(&c) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

fn cstr(field: &[u8]) -> &[u8] {
    &field[..field.iter().position(|&c| c == 0).unwrap_or(field.len())]
}

/// Pax extended header records: "<len> <key>=<value>\n".
fn pax_records(mut data: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let Some(space) = data.iter().position(|&c| c == b' ') else { break };
        let Some(len) = std::str::from_utf8(&data[..space]).ok().and_then(|s| s.parse::<usize>().ok()) else { break };
        if len <= space + 1 || len > data.len() {
            break;
        }
        let record = &data[space + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&c| c == b'=') {
            out.push((record[..eq].to_vec(), record[eq + 1..].to_vec()));
        }
        data = &data[len..];
    }
    out
}

fn kind(typeflag: u8) -> &'static str {
    match typeflag {
        b'0' | 0 | b'7' => "file",
        b'1' => "hardlink",
        b'2' => "symlink",
        b'3' => "char",
        b'4' => "block",
        b'5' => "dir",
        b'6' => "fifo",
        _ => "other",
    }
}

pub fn parse(data: &[u8], max_entries: u64) -> Result<Listing<'_>, String> {
    let mut members = Vec::new();
    let mut notes = Vec::new();
    let mut pos = 0usize;
    let mut long_name: Option<Vec<u8>> = None;
    let mut long_link: Option<Vec<u8>> = None;
    let mut pax: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    loop {
        let Some(block) = data.get(pos..pos.saturating_add(BLOCK)).filter(|b| b.len() == BLOCK) else {
            notes.push(format!("tar ends at {pos:#x} without the two zero end blocks"));
            break;
        };
        if block.iter().all(|&c| c == 0) {
            break;
        }
        if !checksum_ok(block) {
            if members.is_empty() {
                return Err(format!("tar header at {pos:#x}: bad checksum"));
            }
            notes.push(format!("tar header at {pos:#x}: bad checksum; listing stops here"));
            break;
        }
        if members.len() as u64 >= max_entries {
            notes.push(format!("stopped after {max_entries} entries (entry limit)"));
            break;
        }
        let size = number(&block[124..136]).ok_or_else(|| format!("tar header at {pos:#x}: bad size field"))?;
        let data_start = pos + BLOCK;
        let available = (data.len() - data_start) as u64;
        if size > available {
            notes.push(format!("tar header at {pos:#x}: size {size} exceeds remaining {available} bytes; listing stops here"));
            break;
        }
        let Ok(size_usize) = usize::try_from(size) else { break };
        let body = &data[data_start..data_start + size_usize];
        let padded = size_usize.div_ceil(BLOCK) * BLOCK;
        let next = data_start.saturating_add(padded);
        let typeflag = block[156];
        match typeflag {
            b'L' | b'K' | b'x' if size > MAX_META_DATA => {
                return Err(format!("tar header at {pos:#x}: {size}-byte extended header exceeds {MAX_META_DATA}"));
            }
            b'L' => long_name = Some(cstr(body).to_vec()),
            b'K' => long_link = Some(cstr(body).to_vec()),
            b'x' => pax = pax_records(body),
            b'g' => {}
            _ => {
                let ustar = &block[257..263] == b"ustar\0";
                let mut name = cstr(&block[..100]).to_vec();
                if ustar {
                    let prefix = cstr(&block[345..500]);
                    if !prefix.is_empty() {
                        name = [prefix, b"/", &name].concat();
                    }
                }
                let mut meta = ArchiveEntry {
                    name: long_name.take().unwrap_or(name),
                    kind: kind(typeflag).to_string(),
                    mode: number(&block[100..108]).and_then(|m| u32::try_from(m).ok()),
                    uid: number(&block[108..116]),
                    gid: number(&block[116..124]),
                    user: Some(String::from_utf8_lossy(cstr(&block[265..297])).into_owned()),
                    group: Some(String::from_utf8_lossy(cstr(&block[297..329])).into_owned()),
                    mtime: number(&block[136..148]).and_then(|t| i64::try_from(t).ok()),
                    size,
                    ..ArchiveEntry::default()
                };
                let link = long_link.take().unwrap_or_else(|| cstr(&block[157..257]).to_vec());
                if !link.is_empty() {
                    meta.link = Some(link);
                }
                for (k, v) in pax.drain(..) {
                    let text = String::from_utf8_lossy(&v).into_owned();
                    match k.as_slice() {
                        b"path" => meta.name = v,
                        b"linkpath" => meta.link = Some(v),
                        b"mtime" => {
                            meta.mtime = text.split('.').next().and_then(|s| s.parse().ok()).or(meta.mtime);
                            meta.other.push(("pax_mtime".to_string(), text));
                        }
                        b"uid" => meta.uid = text.parse().ok().or(meta.uid),
                        b"gid" => meta.gid = text.parse().ok().or(meta.gid),
                        b"uname" => meta.user = Some(text),
                        b"gname" => meta.group = Some(text),
                        _ => meta.other.push((format!("pax {}", String::from_utf8_lossy(&k)), text)),
                    }
                }
                members.push(Member { meta, data: MemberData::Plain(body) });
            }
        }
        pos = next;
    }
    Ok(Listing { members, notes })
}

pub fn compare(ctx: &mut Ctx<'_>, name: &[u8], title: &str, a: &[u8], b: &[u8], depth: u32) -> Result<DiffNode, String> {
    let la = parse(a, ctx.opts.max_entries).map_err(|e| format!("a: {e}"))?;
    let lb = parse(b, ctx.opts.max_entries).map_err(|e| format!("b: {e}"))?;
    Ok(compare_listings(ctx, ComparatorKind::Tar, ArchiveFormat::Tar, (name, title, a, b), la, lb, depth))
}
