//! Shared comparison of archive listings (tar, zip, cpio): entries matched by name, metadata
//! field changes, added/removed entries, order changes, and member contents compared
//! recursively (bounded by `max_children`).

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{
    compare_node, escaped, fmt_epoch, raw_bytes_child, ComparatorKind, Ctx, DiffNode, FieldChange, Payload,
    SignalKind,
};
use crate::formats::bytes::escape_bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveFormat {
    Tar,
    Zip,
    CpioNewc,
}

/// One entry's metadata; fields a format does not have are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ArchiveEntry {
    #[serde(with = "escaped")]
    pub name: Vec<u8>,
    /// "file", "dir", "symlink", "hardlink", "char", "block", "fifo", "socket" or "other".
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime: Option<i64>,
    /// Zip's DOS date and time, "YYYY-MM-DD hh:mm:ss".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dos_time: Option<String>,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "escaped::option")]
    pub link: Option<Vec<u8>>,
    /// Other format-specific fields worth comparing (nlink, devices, zip extra field…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryChange {
    #[serde(with = "escaped")]
    pub name: Vec<u8>,
    pub fields: Vec<FieldChange>,
    pub content_differs: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveDiff {
    pub format: ArchiveFormat,
    pub entries_a: u64,
    pub entries_b: u64,
    pub added: Vec<ArchiveEntry>,
    pub removed: Vec<ArchiveEntry>,
    pub changed: Vec<EntryChange>,
    pub unchanged: u64,
    /// Added + removed + changed entries not listed because of the list cap.
    pub omitted_entries: u64,
    /// The entries both sides share come in a different order.
    pub order_differs: bool,
}

/// A member's bytes, possibly still compressed.
pub enum MemberData<'a> {
    Plain(&'a [u8]),
    /// Raw deflate data and its expected size.
    Deflated(&'a [u8], u64),
    /// Not comparable (encrypted, unknown method): raw bytes only.
    Opaque(&'a [u8]),
}

pub struct Member<'a> {
    pub meta: ArchiveEntry,
    pub data: MemberData<'a>,
}

/// A parsed archive: members plus remarks about what could not be read.
pub struct Listing<'a> {
    pub members: Vec<Member<'a>>,
    pub notes: Vec<String>,
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_else(|| "none".to_string())
}

fn field_changes(a: &ArchiveEntry, b: &ArchiveEntry) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut push = |field: &str, x: String, y: String| {
        if x != y {
            out.push(FieldChange::new(field, x, y));
        }
    };
    push("kind", a.kind.clone(), b.kind.clone());
    let mode = |m: &Option<u32>| m.map(|m| format!("{m:o}")).unwrap_or_else(|| "none".to_string());
    push("mode", mode(&a.mode), mode(&b.mode));
    push("uid", opt(&a.uid), opt(&b.uid));
    push("gid", opt(&a.gid), opt(&b.gid));
    push("user", opt(&a.user), opt(&b.user));
    push("group", opt(&a.group), opt(&b.group));
    let time = |t: &Option<i64>| t.map(fmt_epoch).unwrap_or_else(|| "none".to_string());
    push("mtime", time(&a.mtime), time(&b.mtime));
    push("dos_time", opt(&a.dos_time), opt(&b.dos_time));
    push("size", a.size.to_string(), b.size.to_string());
    push("compressed_size", opt(&a.compressed_size), opt(&b.compressed_size));
    push("method", opt(&a.method), opt(&b.method));
    let crc = |c: &Option<u32>| c.map(|c| format!("{c:#010x}")).unwrap_or_else(|| "none".to_string());
    push("crc32", crc(&a.crc32), crc(&b.crc32));
    let link = |l: &Option<Vec<u8>>| l.as_deref().map(escape_bytes).unwrap_or_else(|| "none".to_string());
    push("link", link(&a.link), link(&b.link));
    let get = |e: &ArchiveEntry, k: &str| e.other.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
    let mut keys: Vec<&String> = a.other.iter().chain(&b.other).map(|(k, _)| k).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        push(k, opt(&get(a, k)), opt(&get(b, k)));
    }
    out
}

const TIME_FIELDS: [&str; 2] = ["mtime", "dos_time"];
const OWNER_FIELDS: [&str; 4] = ["uid", "gid", "user", "group"];

/// Materialises a member's bytes (inflating when needed) within the context's allowance;
/// the flag is false when the output was cut or the stream was bad.
fn content<'a>(
    ctx: &mut Ctx<'_>,
    data: &MemberData<'a>,
    notes: &mut Vec<String>,
    side: &str,
    name: &[u8],
) -> (Cow<'a, [u8]>, bool) {
    match data {
        MemberData::Plain(d) | MemberData::Opaque(d) => (Cow::Borrowed(d), true),
        MemberData::Deflated(raw, expected) => {
            // never more than the declared size (+1 to notice a lie) or the allowance
            let limit = ctx.decompress_allowance().min(expected.saturating_add(1));
            let (out, note) = super::gzip::inflate(raw, 0, limit);
            ctx.decompressed_total += out.len() as u64;
            let complete = note.is_none() && out.len() as u64 == *expected;
            if let Some(n) = note {
                notes.push(format!("{side}: {}: {n}", escape_bytes(name)));
            } else if out.len() as u64 != *expected {
                notes.push(format!(
                    "{side}: {}: inflated to {} bytes, the directory says {expected}",
                    escape_bytes(name),
                    out.len()
                ));
            }
            (Cow::Owned(out), complete)
        }
    }
}

fn same_raw(a: &MemberData<'_>, b: &MemberData<'_>) -> Option<bool> {
    match (a, b) {
        (MemberData::Plain(x), MemberData::Plain(y)) => Some(x == y),
        (MemberData::Deflated(x, _), MemberData::Deflated(y, _)) if x == y => Some(true),
        (MemberData::Opaque(x), MemberData::Opaque(y)) => Some(x == y),
        _ => None,
    }
}

pub fn compare_listings(
    ctx: &mut Ctx<'_>,
    kind: ComparatorKind,
    format: ArchiveFormat,
    (name, title, a, b): (&[u8], &str, &[u8], &[u8]),
    la: Listing<'_>,
    lb: Listing<'_>,
    depth: u32,
) -> DiffNode {
    let mut node = DiffNode::new(kind, name, title.to_string(), a, b);
    node.comments.extend(la.notes.iter().map(|n| format!("a: {n}")));
    node.comments.extend(lb.notes.iter().map(|n| format!("b: {n}")));
    let max = ctx.opts.max_list_items;
    let mut diff = ArchiveDiff {
        format,
        entries_a: la.members.len() as u64,
        entries_b: lb.members.len() as u64,
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
        omitted_entries: 0,
        order_differs: false,
    };
    // key = (name, occurrence of that name)
    let keys = |l: &Listing<'_>| -> Vec<(Vec<u8>, u32)> {
        let mut seen: HashMap<&[u8], u32> = HashMap::new();
        l.members
            .iter()
            .map(|m| {
                let n = seen.entry(&m.meta.name).or_insert(0);
                *n += 1;
                (m.meta.name.clone(), *n - 1)
            })
            .collect()
    };
    let (ka, kb) = (keys(&la), keys(&lb));
    let index_b: HashMap<&(Vec<u8>, u32), usize> = kb.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let index_a: HashMap<&(Vec<u8>, u32), usize> = ka.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let shared_a: Vec<usize> = ka.iter().filter_map(|k| index_b.get(k).copied()).collect();
    diff.order_differs = shared_a.windows(2).any(|w| w[0] > w[1]);
    if diff.order_differs {
        node.comments.push("entries shared by both sides come in a different order".to_string());
    }

    let mut time_changes = (0u64, String::new());
    let mut owner_changes = (0u64, String::new());
    let mut other_changes = 0u64;
    let mut notes = Vec::new();
    for (ia, key) in ka.iter().enumerate() {
        let ma = &la.members[ia];
        let Some(&ib) = index_b.get(key) else {
            other_changes += 1;
            if diff.removed.len() < max {
                diff.removed.push(ma.meta.clone());
            } else {
                diff.omitted_entries += 1;
            }
            continue;
        };
        let mb = &lb.members[ib];
        let fields = field_changes(&ma.meta, &mb.meta);
        let (content_differs, mut contents) = match same_raw(&ma.data, &mb.data) {
            Some(same) => (!same, None),
            None => {
                let (ca, ok_a) = content(ctx, &ma.data, &mut notes, "a", &ma.meta.name);
                let (cb, ok_b) = content(ctx, &mb.data, &mut notes, "b", &mb.meta.name);
                if ok_a && ok_b {
                    (ca != cb, Some((ca, cb)))
                } else {
                    // cut or broken streams: equal prefixes prove nothing, so trust the raw bytes
                    notes.push(format!("{}: contents not fully decompressed; counted as differing", escape_bytes(&ma.meta.name)));
                    (true, Some((ca, cb)))
                }
            }
        };
        if fields.is_empty() && !content_differs {
            diff.unchanged += 1;
            continue;
        }
        let label = escape_bytes(&ma.meta.name);
        if let Some(f) = fields.iter().find(|f| TIME_FIELDS.contains(&f.field.as_str())) {
            if time_changes.0 == 0 {
                time_changes.1 = format!("{label}: {} {} -> {}", f.field, f.a, f.b);
            }
            time_changes.0 += 1;
        }
        if let Some(f) = fields.iter().find(|f| OWNER_FIELDS.contains(&f.field.as_str())) {
            if owner_changes.0 == 0 {
                owner_changes.1 = format!("{label}: {} {} -> {}", f.field, f.a, f.b);
            }
            owner_changes.0 += 1;
        }
        let explained = |f: &FieldChange| {
            TIME_FIELDS.contains(&f.field.as_str()) || OWNER_FIELDS.contains(&f.field.as_str())
        };
        if content_differs || !fields.iter().all(explained) {
            other_changes += 1;
        }
        if content_differs {
            if node.children.len() < ctx.opts.max_children {
                let (ca, cb) = match contents.take() {
                    Some(pair) => pair,
                    None => (
                        content(ctx, &ma.data, &mut notes, "a", &ma.meta.name).0,
                        content(ctx, &mb.data, &mut notes, "b", &mb.meta.name).0,
                    ),
                };
                let child = compare_node(ctx, &ma.meta.name, label.clone(), &ca, &cb, depth + 1);
                node.children.push(child);
            } else {
                node.omitted_children += 1;
            }
        }
        let fields_for_list = fields;
        if diff.changed.len() < max {
            diff.changed.push(EntryChange { name: ma.meta.name.clone(), fields: fields_for_list, content_differs });
        } else {
            diff.omitted_entries += 1;
        }
    }
    for (ib, key) in kb.iter().enumerate() {
        if index_a.contains_key(key) {
            continue;
        }
        other_changes += 1;
        if diff.added.len() < max {
            diff.added.push(lb.members[ib].meta.clone());
        } else {
            diff.omitted_entries += 1;
        }
    }
    node.comments.extend(notes);
    let total_changed = diff.changed.len() as u64 + diff.removed.len() as u64 + diff.added.len() as u64
        + diff.omitted_entries;
    let only = |n: u64| other_changes == 0 && !diff.order_differs && n > 0;
    if time_changes.0 > 0 {
        let explains = only(time_changes.0) && owner_changes.0 == 0;
        ctx.signal(
            SignalKind::EmbeddedTimestamp,
            format!("entry times differ on {} of {total_changed} changed entries; e.g. {}", time_changes.0, time_changes.1),
            explains,
        );
    }
    if owner_changes.0 > 0 {
        let explains = only(owner_changes.0) && time_changes.0 == 0;
        ctx.signal(
            SignalKind::BuildEnvironment,
            format!("entry owners differ on {} of {total_changed} changed entries; e.g. {}", owner_changes.0, owner_changes.1),
            explains,
        );
    }
    if total_changed == 0 && !diff.order_differs {
        node.children.push(raw_bytes_child(ctx, name, "archive listing comparison", a, b));
    }
    node.payload = Payload::Archive(diff);
    node
}

/// The kind name for a unix `st_mode` file type (one naming for the whole report).
pub use crate::compare::entries::kind_name as kind_from_mode;
