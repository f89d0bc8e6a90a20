//! Entry-level comparison: match cpio entries of two images by normalised path in the merged
//! view the kernel sees (all ramdisks unpacked in order, later wins), report which fields of
//! each file changed, and note archive bookkeeping (inode numbers, order) at archive level.
//!
//! Architecture Invariant: raw `ino`/`dev` numbers and a hard link's per-name size are never
//! reported as a change of a file; only as archive-level notes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::formats::bytes::escape_bytes;
use crate::report::{ArchiveNote, ChangedEntry, EntryChanges, EntryRef, FieldChange, MovedEntry};

pub const S_IFMT: u32 = 0o170000;

/// What the comparison needs to know of one cpio entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryView {
    /// Name with leading "./" and "/" stripped (and a lone "." kept as ".").
    pub path: Vec<u8>,
    pub ramdisk: u32,
    /// Index in its ramdisk's archive order.
    pub order: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub mtime: u64,
    pub rdev: (u32, u32),
    pub ino: u64,
    pub dev: (u32, u32),
    /// Content size (for hard links: the group's data size).
    pub size: u64,
    /// BLAKE3 of the content (for hard links: the group's data).
    pub digest: [u8; 32],
    pub symlink_target: Option<Vec<u8>>,
    /// Normalised names of the other members of this entry's hard-link group, sorted.
    pub link_peers: Vec<Vec<u8>>,
}

/// Strips leading "./" and "/" so `./etc/x`, `/etc/x` and `etc/x` match.
pub fn normalise_path(name: &[u8]) -> Vec<u8> {
    let mut rest = name;
    loop {
        if let Some(r) = rest.strip_prefix(b"./") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix(b"/") {
            rest = r;
        } else {
            break;
        }
    }
    if rest.is_empty() {
        b".".to_vec()
    } else {
        rest.strip_suffix(b"/").unwrap_or(rest).to_vec()
    }
}

pub fn kind_name(mode: u32) -> &'static str {
    match mode & S_IFMT {
        0o100000 => "file",
        0o040000 => "dir",
        0o120000 => "symlink",
        0o020000 => "char",
        0o060000 => "block",
        0o010000 => "fifo",
        0o140000 => "socket",
        _ => "unknown",
    }
}

/// PCRs fed by a ramdisk index in an EIF (ramdisk 0 is the bootstrap one).
pub fn ramdisk_pcrs(ramdisk: u32, measured: bool) -> Vec<String> {
    if !measured {
        return Vec::new();
    }
    if ramdisk == 0 {
        vec!["PCR0".into(), "PCR1".into()]
    } else {
        vec!["PCR0".into(), "PCR2".into()]
    }
}

/// One side of the comparison.
pub struct Side<'a> {
    pub entries: &'a [EntryView],
    /// True for EIF ramdisks (entries feed PCRs), false for a bare archive.
    pub measured: bool,
}

/// The merged view: normalised path -> entry (the last occurrence wins, as when the kernel
/// unpacks ramdisks in order).
fn merged(entries: &[EntryView]) -> BTreeMap<&[u8], &EntryView> {
    let mut map = BTreeMap::new();
    for e in entries {
        map.insert(e.path.as_slice(), e);
    }
    map
}

fn octal_mode(mode: u32) -> String {
    format!("0{mode:o}")
}

fn display(bytes: &[u8]) -> String {
    escape_bytes(bytes)
}

fn entry_ref(e: &EntryView, measured: bool) -> EntryRef {
    EntryRef {
        path: display(&e.path),
        ramdisk: e.ramdisk,
        kind: kind_name(e.mode).to_owned(),
        size: e.size,
        measured: ramdisk_pcrs(e.ramdisk, measured),
    }
}

/// Compares two entry lists. Content diffs are filled in later by the engine.
pub fn compare_entries(a: &Side<'_>, b: &Side<'_>) -> EntryChanges {
    let ma = merged(a.entries);
    let mb = merged(b.entries);
    let mut out = EntryChanges::default();
    let paths: BTreeSet<&[u8]> = ma.keys().chain(mb.keys()).copied().collect();
    out.n_compared = paths.len() as u64;
    let mut split_moves = 0u64;
    for path in paths {
        match (ma.get(path), mb.get(path)) {
            (Some(ea), Some(eb)) => {
                let (fields, changes) = field_changes(ea, eb, a.measured && b.measured, &mut split_moves);
                if fields.is_empty() {
                    out.n_equal += 1;
                } else {
                    let mut measured = ramdisk_pcrs(ea.ramdisk, a.measured);
                    for p in ramdisk_pcrs(eb.ramdisk, b.measured) {
                        if !measured.contains(&p) {
                            measured.push(p);
                        }
                    }
                    out.changed.push(ChangedEntry {
                        path: display(path),
                        ramdisk_a: ea.ramdisk,
                        ramdisk_b: eb.ramdisk,
                        kind: kind_name(eb.mode).to_owned(),
                        fields,
                        changes,
                        measured,
                        content: None,
                        signals: Vec::new(),
                    });
                }
            }
            (Some(ea), None) => out.removed.push(entry_ref(ea, a.measured)),
            (None, Some(eb)) => out.added.push(entry_ref(eb, b.measured)),
            (None, None) => {}
        }
    }
    if split_moves > 0 {
        out.notes.push(ArchiveNote {
            id: "split-differs".into(),
            ramdisk: None,
            message: format!(
                "{split_moves} entries sit in a different customer ramdisk; the merged tree is what the kernel sees, so this alone changes no file (PCR0/PCR2 hash the concatenation)"
            ),
        });
    }
    detect_moves(&mut out, &ma, &mb);
    archive_notes(&mut out, a.entries, b.entries);
    out
}

fn field_changes(a: &EntryView, b: &EntryView, both_measured: bool, split_moves: &mut u64) -> (Vec<String>, Vec<FieldChange>) {
    let mut fields = Vec::new();
    let mut changes = Vec::new();
    let mut push = |field: &str, va: String, vb: String| {
        fields.push(field.to_owned());
        changes.push(FieldChange { field: field.to_owned(), a: va, b: vb });
    };
    let type_differs = a.mode & S_IFMT != b.mode & S_IFMT;
    if type_differs {
        push("type", kind_name(a.mode).to_owned(), kind_name(b.mode).to_owned());
    }
    if a.mode & 0o7777 != b.mode & 0o7777 {
        push("mode", octal_mode(a.mode), octal_mode(b.mode));
    }
    if a.uid != b.uid {
        push("uid", a.uid.to_string(), b.uid.to_string());
    }
    if a.gid != b.gid {
        push("gid", a.gid.to_string(), b.gid.to_string());
    }
    // A directory's link count is derived from its subdirectories by the filesystem that
    // unpacks it; the kernel does not store it. Only regular files' nlink (hard links) counts.
    let is_dir = |m: u32| m & S_IFMT == 0o040000;
    if a.nlink != b.nlink && !(is_dir(a.mode) && is_dir(b.mode)) {
        push("nlink", a.nlink.to_string(), b.nlink.to_string());
    }
    if a.mtime != b.mtime {
        push("mtime", a.mtime.to_string(), b.mtime.to_string());
    }
    let is_dev = |m: u32| matches!(m & S_IFMT, 0o020000 | 0o060000);
    if (is_dev(a.mode) || is_dev(b.mode)) && a.rdev != b.rdev {
        push("rdev", format!("{}:{}", a.rdev.0, a.rdev.1), format!("{}:{}", b.rdev.0, b.rdev.1));
    }
    if !type_differs {
        match a.mode & S_IFMT {
            0o120000 if a.symlink_target != b.symlink_target => {
                push(
                    "symlink_target",
                    a.symlink_target.as_deref().map(display).unwrap_or_default(),
                    b.symlink_target.as_deref().map(display).unwrap_or_default(),
                );
            }
            0o100000 if a.digest != b.digest => {
                push("content", format!("{} bytes, blake3 {}", a.size, hex::encode(a.digest)), format!("{} bytes, blake3 {}", b.size, hex::encode(b.digest)));
            }
            _ => {}
        }
    }
    if a.link_peers != b.link_peers {
        let show = |peers: &[Vec<u8>]| if peers.is_empty() { "(none)".to_owned() } else { peers.iter().map(|p| display(p)).collect::<Vec<_>>().join(", ") };
        push("hardlink_group", show(&a.link_peers), show(&b.link_peers));
    }
    // Ramdisk numbers only mean the same thing when both sides are EIFs: a bare ramdisk is
    // number 0 of its own, compared with an EIF's customer ramdisks.
    if both_measured && a.ramdisk != b.ramdisk {
        // Moving between customer ramdisks changes no PCR boundary; bootstrap <-> customer does.
        let group = |r: u32| r == 0;
        if group(a.ramdisk) != group(b.ramdisk) {
            push("ramdisk", a.ramdisk.to_string(), b.ramdisk.to_string());
        } else {
            *split_moves += 1;
        }
    }
    (fields, changes)
}

/// An added and a removed regular file with the same non-empty content are a move.
fn detect_moves(out: &mut EntryChanges, ma: &BTreeMap<&[u8], &EntryView>, mb: &BTreeMap<&[u8], &EntryView>) {
    if out.added.is_empty() || out.removed.is_empty() {
        return;
    }
    // Report paths are the displayed (escaped) names: index both sides by them once.
    let shown_a: HashMap<String, &EntryView> = ma.iter().map(|(k, v)| (display(k), *v)).collect();
    let shown_b: HashMap<String, &EntryView> = mb.iter().map(|(k, v)| (display(k), *v)).collect();
    let mut removed_by_digest: HashMap<[u8; 32], Vec<usize>> = HashMap::new();
    for (i, r) in out.removed.iter().enumerate() {
        if let Some(e) = shown_a.get(&r.path) {
            if e.mode & S_IFMT == 0o100000 && e.size > 0 {
                removed_by_digest.entry(e.digest).or_default().push(i);
            }
        }
    }
    let mut moved_removed = BTreeSet::new();
    let mut moved_added = BTreeSet::new();
    for (j, r) in out.added.iter().enumerate() {
        let Some(e) = shown_b.get(&r.path) else { continue };
        if e.mode & S_IFMT != 0o100000 || e.size == 0 {
            continue;
        }
        if let Some(candidates) = removed_by_digest.get_mut(&e.digest) {
            if let Some(i) = candidates.pop() {
                moved_removed.insert(i);
                moved_added.insert(j);
                out.moved.push(MovedEntry {
                    from: out.removed[i].path.clone(),
                    to: r.path.clone(),
                    ramdisk_a: out.removed[i].ramdisk,
                    ramdisk_b: r.ramdisk,
                });
            }
        }
    }
    let mut i = 0;
    out.removed.retain(|_| {
        i += 1;
        !moved_removed.contains(&(i - 1))
    });
    let mut j = 0;
    out.added.retain(|_| {
        j += 1;
        !moved_added.contains(&(j - 1))
    });
}

/// Inode numbering and entry order, per ramdisk index present on both sides.
fn archive_notes(out: &mut EntryChanges, a: &[EntryView], b: &[EntryView]) {
    let ramdisks: BTreeSet<u32> = a.iter().map(|e| e.ramdisk).filter(|r| b.iter().any(|e| e.ramdisk == *r)).collect();
    for rd in ramdisks {
        let ea: Vec<&EntryView> = a.iter().filter(|e| e.ramdisk == rd).collect();
        let eb: Vec<&EntryView> = b.iter().filter(|e| e.ramdisk == rd).collect();
        let pos_b: HashMap<&[u8], usize> = eb.iter().enumerate().map(|(i, e)| (e.path.as_slice(), i)).collect();
        let common: Vec<(&EntryView, &EntryView)> =
            ea.iter().filter_map(|e| pos_b.get(e.path.as_slice()).map(|&i| (*e, eb[i]))).collect();
        let inode_shift = common.iter().filter(|(x, y)| x.ino != y.ino || x.dev != y.dev).count();
        let reshaped = common.len() != ea.len() || common.len() != eb.len() || {
            let order: Vec<usize> = common.iter().map(|(x, _)| pos_b[x.path.as_slice()]).collect();
            order.windows(2).any(|w| w[0] > w[1])
        };
        if inode_shift > 0 && reshaped && numbered_in_order(&ea) && numbered_in_order(&eb) {
            // `cpio --reproducible` / linuxkit number inodes in archive order: an added, removed
            // or moved entry shifts every later number. A consequence, not a finding.
            out.notes.push(ArchiveNote {
                id: "inode-shift".into(),
                ramdisk: Some(rd),
                message: format!(
                    "ramdisk {rd}: both archives number inodes in archive order, so the added, removed or reordered entries shift the numbers of {inode_shift} of {} common entries (a consequence, not a change)",
                    common.len()
                ),
            });
        } else if inode_shift > 0 {
            out.notes.push(ArchiveNote {
                id: "inode-numbers".into(),
                ramdisk: Some(rd),
                message: format!(
                    "ramdisk {rd}: inode/device numbering differs for {inode_shift} of {} common entries (archive bookkeeping, not a change of the files; it changes the archive bytes)",
                    common.len()
                ),
            });
        }
        let order_b: Vec<usize> = common.iter().map(|(x, _)| pos_b[x.path.as_slice()]).collect();
        let out_of_order = order_b.windows(2).filter(|w| w[0] > w[1]).count();
        if out_of_order > 0 {
            out.notes.push(ArchiveNote {
                id: "entry-order".into(),
                ramdisk: Some(rd),
                message: format!("ramdisk {rd}: the same entries appear in a different archive order ({out_of_order} inversions)"),
            });
        }
        let mut seen = BTreeSet::new();
        for e in &eb {
            if !seen.insert(e.path.as_slice()) {
                out.notes.push(ArchiveNote {
                    id: "duplicate-names".into(),
                    ramdisk: Some(rd),
                    message: format!("ramdisk {rd} of B holds {} more than once; the later entry wins", display(&e.path)),
                });
            }
        }
    }
}

/// True when inode numbers count up by one in archive order (hard-link repeats aside) on one
/// device: what `cpio --reproducible` and linuxkit's writer produce.
fn numbered_in_order(entries: &[&EntryView]) -> bool {
    let mut seen = BTreeSet::new();
    let mut last: Option<u64> = None;
    for e in entries {
        if e.dev != entries[0].dev {
            return false;
        }
        if !seen.insert(e.ino) {
            continue;
        }
        if let Some(prev) = last {
            if prev.checked_add(1) != Some(e.ino) {
                return false;
            }
        }
        last = Some(e.ino);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, ramdisk: u32, order: u32, mode: u32, content: &[u8]) -> EntryView {
        EntryView {
            path: normalise_path(path.as_bytes()),
            ramdisk,
            order,
            mode,
            uid: 0,
            gid: 0,
            nlink: 1,
            mtime: 1_700_000_000,
            rdev: (0, 0),
            ino: order as u64,
            dev: (0, 0),
            size: content.len() as u64,
            digest: blake3::hash(content).into(),
            symlink_target: None,
            link_peers: Vec::new(),
        }
    }

    #[test]
    fn normalises_leading_dot_and_slash() {
        assert_eq!(normalise_path(b"./etc/passwd"), b"etc/passwd");
        assert_eq!(normalise_path(b"/etc/"), b"etc");
        assert_eq!(normalise_path(b"."), b".");
        assert_eq!(normalise_path(b"./"), b".");
    }

    #[test]
    fn reports_fields_not_inode_shift() {
        let a = vec![file("etc/a", 1, 0, 0o100644, b"x"), file("etc/removed", 1, 1, 0o100644, b"gone"), file("etc/b", 1, 2, 0o100755, b"y")];
        let mut b = vec![file("./etc/a", 1, 0, 0o100644, b"x"), file("etc/b", 1, 1, 0o100700, b"y")];
        b[1].mtime = 1_700_086_400;
        let r = compare_entries(&Side { entries: &a, measured: true }, &Side { entries: &b, measured: true });
        assert_eq!(r.removed.len(), 1);
        assert_eq!(r.removed[0].path, "etc/removed");
        assert_eq!(r.changed.len(), 1);
        assert_eq!(r.changed[0].fields, vec!["mode", "mtime"]);
        assert_eq!(r.changed[0].changes[0], FieldChange { field: "mode".into(), a: "0100755".into(), b: "0100700".into() });
        assert_eq!(r.changed[0].measured, vec!["PCR0", "PCR2"]);
        // Inodes numbered in archive order: the removed entry shifts etc/b's number.
        assert!(r.notes.iter().any(|n| n.id == "inode-shift"), "{:?}", r.notes);
        assert!(!r.notes.iter().any(|n| n.id == "inode-numbers"));
        assert!(!r.notes.iter().any(|n| n.id == "entry-order"));
        assert_eq!(r.n_equal, 1);
        // Numbers from another scheme (a real file system's inodes) are a finding of their own.
        b[1].ino = 4_718_593;
        let r = compare_entries(&Side { entries: &a, measured: true }, &Side { entries: &b, measured: true });
        assert!(r.notes.iter().any(|n| n.id == "inode-numbers"), "{:?}", r.notes);
    }

    #[test]
    fn detects_moves_and_order() {
        let a = vec![file("a", 1, 0, 0o100644, b"same"), file("b", 1, 1, 0o100644, b"bee"), file("c", 1, 2, 0o100644, b"sea")];
        let b = vec![file("c", 1, 0, 0o100644, b"sea"), file("b", 1, 1, 0o100644, b"bee"), file("z", 1, 2, 0o100644, b"same")];
        let r = compare_entries(&Side { entries: &a, measured: true }, &Side { entries: &b, measured: true });
        assert_eq!(r.moved, vec![MovedEntry { from: "a".into(), to: "z".into(), ramdisk_a: 1, ramdisk_b: 1 }]);
        assert!(r.added.is_empty() && r.removed.is_empty());
        assert!(r.notes.iter().any(|n| n.id == "entry-order"));
    }

    #[test]
    fn split_across_customer_ramdisks_is_not_a_change() {
        let a = vec![file("rootfs", 1, 0, 0o040755, b""), file("rootfs/usr/x", 1, 1, 0o100644, b"x")];
        let b = vec![file("rootfs", 1, 0, 0o040755, b""), file("rootfs", 2, 0, 0o040755, b""), file("rootfs/usr/x", 2, 1, 0o100644, b"x")];
        let r = compare_entries(&Side { entries: &a, measured: true }, &Side { entries: &b, measured: true });
        assert!(r.changed.is_empty(), "{:?}", r.changed);
        assert!(r.notes.iter().any(|n| n.id == "split-differs"));
    }
}
