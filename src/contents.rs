//! Second pass: read the contents of changed entries again (only those), within explicit
//! budgets, and attach a content comparison and its signals to each changed entry.

use std::collections::BTreeMap;

use crate::analyze::{CONTENT_BYTES_EACH, CONTENT_BYTES_TOTAL};
use crate::compare::entries::normalise_path;
use crate::diff::content::{compare_contents, SignalKind};
use crate::formats::bytes::escape_bytes;
use crate::formats::ramdisk::{fetch_entries, fetch_entries_seeking};
use crate::image::Image;
use crate::limits::Limits;
use crate::report::EntryChanges;
use crate::source::ByteSource;

/// The kebab-case id a report uses for a content signal.
pub fn signal_id(kind: SignalKind) -> &'static str {
    match kind {
        SignalKind::EmbeddedTimestamp => "embedded-timestamp",
        SignalKind::BuildIdOnly => "build-id-only",
        SignalKind::BuildEnvironment => "build-environment",
        SignalKind::VersionChange => "version-change",
        SignalKind::OnlyWhitespace => "only-whitespace",
    }
}

/// Where each displayed path lives in the merged view: (ramdisk position in `image.ramdisks`,
/// entry index within it).
fn locate(image: &Image, skip: u32) -> BTreeMap<String, (usize, usize)> {
    let mut out = BTreeMap::new();
    for (ri, rd) in image.ramdisks.iter().enumerate() {
        if rd.index < skip {
            continue;
        }
        for (ei, e) in rd.model.entries.iter().enumerate() {
            out.insert(escape_bytes(&normalise_path(&e.name)), (ri, ei));
        }
    }
    out
}

/// One side's contents of the wanted entries: path -> (bytes, cut at [`CONTENT_BYTES_EACH`]).
pub type SideContents = BTreeMap<String, (Vec<u8>, bool)>;

/// The changed entries whose contents differ: the ones the second pass reads.
pub fn wanted_paths(entries: &EntryChanges) -> Vec<String> {
    entries.changed.iter().filter(|c| c.fields.iter().any(|f| f == "content")).map(|c| c.path.clone()).collect()
}

/// Reads the wanted entries' contents from one side: retained bytes where the first pass kept
/// them, otherwise read at their stream offsets from the first pass's inflate checkpoints, or
/// (xz / zstd, or a ramdisk the first pass did not finish) one re-walk per ramdisk. Skips
/// ramdisks numbered below `skip`.
pub fn read_contents(src: &dyn ByteSource, image: &Image, skip: u32, paths: &[String], limits: &Limits) -> SideContents {
    let where_ = locate(image, skip);
    let mut out = BTreeMap::new();
    let mut budget = CONTENT_BYTES_TOTAL;
    let mut wanted: BTreeMap<usize, Vec<(u64, String, u64)>> = BTreeMap::new();
    for path in paths {
        let Some(&(ri, ei)) = where_.get(path) else { continue };
        let entry = &image.ramdisks[ri].model.entries[ei];
        if let Some(data) = &entry.data {
            out.insert(path.clone(), (data.clone(), false));
            continue;
        }
        let size = image.entry_content_size(ri, ei);
        let take = size.min(CONTENT_BYTES_EACH).min(budget);
        if take == 0 {
            continue;
        }
        budget -= take;
        wanted.entry(ri).or_default().push((entry.index, path.clone(), size));
    }
    for (ri, list) in wanted {
        let rd = &image.ramdisks[ri];
        let model = &rd.model;
        let indices: Vec<u64> = list.iter().map(|(i, _, _)| *i).collect();
        let found = fetch_entries_seeking(src, model, &rd.checkpoints, &indices, CONTENT_BYTES_EACH)
            .or_else(|_| fetch_entries(src, model.offset, model.len, limits, &indices, CONTENT_BYTES_EACH));
        if let Ok(found) = found {
            for (index, data) in found {
                if let Some((_, path, size)) = list.iter().find(|(i, _, _)| *i == index) {
                    let cut = (data.len() as u64) < *size;
                    out.insert(path.clone(), (data, cut));
                }
            }
        }
    }
    out
}

/// Fills `content` and `signals` of every changed entry whose content differs.
#[allow(clippy::too_many_arguments)]
pub fn fill_content_diffs(
    entries: &mut EntryChanges,
    src_a: &dyn ByteSource,
    ia: &Image,
    skip_a: u32,
    src_b: &dyn ByteSource,
    ib: &Image,
    skip_b: u32,
    limits: &Limits,
) {
    let paths = wanted_paths(entries);
    if paths.is_empty() {
        return;
    }
    let data_a = read_contents(src_a, ia, skip_a, &paths, limits);
    let data_b = read_contents(src_b, ib, skip_b, &paths, limits);
    diff_contents(entries, &data_a, &data_b, limits);
}

/// Compares the contents read for each side ([`read_contents`]) and attaches the diffs and their
/// signals to the changed entries.
pub fn diff_contents(entries: &mut EntryChanges, data_a: &SideContents, data_b: &SideContents, limits: &Limits) {
    for changed in entries.changed.iter_mut() {
        let (Some((a, cut_a)), Some((b, cut_b))) = (data_a.get(&changed.path), data_b.get(&changed.path)) else { continue };
        let diff = compare_contents(changed.path.as_bytes(), a, b, limits);
        let mut signals: Vec<String> = Vec::new();
        for s in diff.signals() {
            if s.explains_all || s.kind == SignalKind::VersionChange || s.kind == SignalKind::BuildEnvironment {
                let id = signal_id(s.kind).to_owned();
                if !signals.contains(&id) {
                    signals.push(id);
                }
            }
        }
        let mut value = serde_json::to_value(&diff).unwrap_or(serde_json::Value::Null);
        if *cut_a || *cut_b {
            if let Some(obj) = value.as_object_mut() {
                obj.insert(
                    "cut".into(),
                    serde_json::json!(format!("contents were read up to {CONTENT_BYTES_EACH} bytes per file for this diff; the digests above cover the whole files")),
                );
            }
        }
        changed.content = Some(value);
        changed.signals = signals;
    }
}
