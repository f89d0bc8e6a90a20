//! A minimal cpio "newc" (070701/070702) listing for nested cpio members. The full cpio parser
//! lives in `formats`; this one only lists names, modes, owners, times, sizes and data.

use super::archive::{compare_listings, kind_from_mode, ArchiveEntry, ArchiveFormat, Listing, Member, MemberData};
use super::{ComparatorKind, Ctx, DiffNode};

const HEADER: usize = 110;
const TRAILER: &[u8] = b"TRAILER!!!";
/// Longest name accepted.
const MAX_NAME: usize = 64 * 1024;

fn hex_field(header: &[u8], idx: usize) -> Option<u32> {
    let field = header.get(6 + idx * 8..6 + idx * 8 + 8)?;
    u32::from_str_radix(std::str::from_utf8(field).ok()?, 16).ok()
}

fn align4(n: usize) -> Option<usize> {
    n.checked_add(3).map(|n| n & !3)
}

pub fn parse(data: &[u8], max_entries: u64) -> Result<Listing<'_>, String> {
    let mut members = Vec::new();
    let mut notes = Vec::new();
    let mut pos = 0usize;
    loop {
        let Some(header) = data.get(pos..pos.saturating_add(HEADER)).filter(|h| h.len() == HEADER) else {
            let msg = format!("cpio ends at {pos:#x} without a TRAILER!!! entry");
            if members.is_empty() {
                return Err(msg);
            }
            notes.push(msg);
            break;
        };
        if !header.starts_with(b"07070") || !matches!(header[5], b'1' | b'2') {
            let msg = format!("cpio header at {pos:#x}: bad magic");
            if members.is_empty() {
                return Err(msg);
            }
            notes.push(msg + "; listing stops here");
            break;
        }
        let field = |i: usize| hex_field(header, i).ok_or_else(|| format!("cpio header at {pos:#x}: field {i} is not hex"));
        let (mode, uid, gid, nlink, mtime, filesize) = (field(1)?, field(2)?, field(3)?, field(4)?, field(5)?, field(6)?);
        let (devmajor, devminor, rdevmajor, rdevminor, namesize) = (field(7)?, field(8)?, field(9)?, field(10)?, field(11)?);
        let namesize = usize::try_from(namesize).unwrap_or(usize::MAX);
        let name_start = pos + HEADER;
        if namesize == 0 || namesize > MAX_NAME || namesize > data.len() - name_start {
            let msg = format!(
                "cpio header at {pos:#x}: namesize {namesize} is 0 or exceeds remaining {} bytes",
                data.len() - name_start
            );
            if members.is_empty() {
                return Err(msg);
            }
            notes.push(msg + "; listing stops here");
            break;
        }
        let name = &data[name_start..name_start + namesize - 1];
        let Some(data_start) = align4(name_start + namesize) else { break };
        let filesize = usize::try_from(filesize).unwrap_or(usize::MAX);
        let Some(body) = data.get(data_start..data_start.saturating_add(filesize)).filter(|b| b.len() == filesize) else {
            notes.push(format!("cpio entry at {pos:#x}: file size {filesize} exceeds the remaining bytes; listing stops here"));
            break;
        };
        if name == TRAILER {
            break;
        }
        if members.len() as u64 >= max_entries {
            notes.push(format!("stopped after {max_entries} entries (entry limit)"));
            break;
        }
        let meta = ArchiveEntry {
            name: name.to_vec(),
            kind: kind_from_mode(mode).to_string(),
            mode: Some(mode & 0o7777),
            uid: Some(u64::from(uid)),
            gid: Some(u64::from(gid)),
            mtime: Some(i64::from(mtime)),
            size: filesize as u64,
            other: vec![
                ("ino".to_string(), field(0)?.to_string()),
                ("nlink".to_string(), nlink.to_string()),
                ("dev".to_string(), format!("{devmajor}:{devminor}")),
                ("rdev".to_string(), format!("{rdevmajor}:{rdevminor}")),
            ],
            ..ArchiveEntry::default()
        };
        members.push(Member { meta, data: MemberData::Plain(body) });
        let Some(next) = align4(data_start + filesize) else { break };
        pos = next;
    }
    Ok(Listing { members, notes })
}

pub fn compare(ctx: &mut Ctx<'_>, name: &[u8], title: &str, a: &[u8], b: &[u8], depth: u32) -> Result<DiffNode, String> {
    let la = parse(a, ctx.opts.max_entries).map_err(|e| format!("a: {e}"))?;
    let lb = parse(b, ctx.opts.max_entries).map_err(|e| format!("b: {e}"))?;
    Ok(compare_listings(ctx, ComparatorKind::Cpio, ArchiveFormat::CpioNewc, (name, title, a, b), la, lb, depth))
}
