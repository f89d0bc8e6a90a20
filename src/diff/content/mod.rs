//! In-process content comparators: given one file's name and its two contents, explain how they
//! differ as a [`ContentDiff`] tree, the way diffoscope's `Difference` tree does, in pure Rust.
//!
//! Recognisers run in a fixed order (ELF, gzip, zip, cpio, tar, pyc, JSON, text, binary) on the
//! first bytes of both sides. Containers recurse into their members up to
//! [`ContentOptions::max_nesting_depth`]. When a specific comparator cannot parse a side or finds
//! no difference although the bytes differ, the node falls back to a byte diff and *says so* in a
//! comment. Alongside the tree, [`ContentSignal`]s record patterns the diagnosis rules use
//! (embedded timestamps, build-id-only ELF changes, build paths, version bumps, whitespace).
//!
//! Architecture invariants:
//! - nothing here panics, allocates unboundedly or reads a clock: every list is capped by an
//!   option and every cap reports what it left out (`omitted_*` counts, comments);
//! - equal inputs return at once with an [`ComparatorKind::Identical`] root;
//! - presenting (escaping, HTML) is not done here: texts are data, names are kept as bytes and
//!   serialised as lossless escaped strings.

mod archive;
mod binary;
mod cpio;
mod elf;
mod escaped;
mod gzip;
mod json;
mod pyc;
mod signals;
mod tar;
mod text;
mod zip;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::formats::bytes::escape_bytes;
use crate::limits::Limits;

pub use archive::{ArchiveDiff, ArchiveEntry, ArchiveFormat, EntryChange};
pub use binary::{BinaryDiff, HexRegion, HexRow};
pub use elf::{ElfDiff, ElfHeader, SectionChange, SectionInfo};
pub use gzip::{GzipDiff, GzipHeader};
pub use json::{JsonDiff, JsonPathChange};
pub use pyc::{PycDiff, PycHeader};
pub use text::{DiffLine, Hunk, LineTag, TextDiff};

/// Inputs larger than this (either side) get no line diff: they are summarised as binary regions.
pub const MAX_TEXT_DIFF_BYTES: usize = 4 << 20;
/// Inputs with more lines than this (either side) get no line diff.
pub const MAX_TEXT_DIFF_LINES: usize = 100_000;
/// Estimated line-diff work (lines × lines not shared) above which the line diff is skipped,
/// because Myers' algorithm is O((N+M)·D) and no deadline (clock) is used.
pub const MAX_TEXT_DIFF_COST: u64 = 200_000_000;
/// A replaced block gets intraline highlights only when each side has at most this many lines…
pub const MAX_INLINE_BLOCK_LINES: usize = 64;
/// …and every line in it is at most this many bytes long.
pub const MAX_INLINE_LINE_BYTES: usize = 2048;
/// Default cap on bytes decompressed from one nested gzip member or zip entry.
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 64 << 20;
/// At most this many changed line pairs are classified for signals per text.
pub const MAX_CLASSIFIED_PAIRS: usize = 10_000;
/// Evidence strings are cut to this many characters (with an explicit "…").
pub const MAX_EVIDENCE_CHARS: usize = 200;

/// Caps for one comparison. Every count a cap hides is reported back in the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentOptions {
    /// Context lines around each text hunk.
    pub context_lines: usize,
    /// Hunks shown in full; later hunks are counted in `omitted_hunks`/`omitted_lines`.
    pub max_hunks: usize,
    /// Diff lines shown over all hunks of one text.
    pub max_hunk_lines: usize,
    /// Hexdump rows shown over all regions of one binary diff.
    pub max_hex_rows: usize,
    /// Items listed per list (sections, symbols, archive entries, JSON paths).
    pub max_list_items: usize,
    /// Members of one container compared recursively (as child nodes).
    pub max_children: usize,
    /// Bytes decompressed from one gzip member or zip entry.
    pub max_decompressed_bytes: u64,
    /// Bytes decompressed over the whole comparison (all nested members together).
    pub max_total_decompressed_bytes: u64,
    /// How many containers deep members are opened (from [`Limits::max_nesting_depth`]).
    pub max_nesting_depth: u32,
    /// Most entries read from one nested archive.
    pub max_entries: u64,
}

impl ContentOptions {
    pub fn from_limits(limits: &Limits) -> ContentOptions {
        ContentOptions {
            context_lines: 3,
            max_hunks: 50,
            max_hunk_lines: 2000,
            max_hex_rows: 256,
            max_list_items: 200,
            max_children: 200,
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES.min(limits.max_decompressed_bytes),
            max_total_decompressed_bytes: (4 * DEFAULT_MAX_DECOMPRESSED_BYTES).min(limits.max_decompressed_bytes),
            max_nesting_depth: limits.max_nesting_depth,
            max_entries: limits.max_entries.min(100_000),
        }
    }
}

/// Which comparator produced a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparatorKind {
    Identical,
    Text,
    Json,
    Binary,
    Elf,
    Gzip,
    Tar,
    Zip,
    Cpio,
    Pyc,
}

/// The comparator-specific part of a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    None,
    Text(TextDiff),
    Json(JsonDiff),
    Binary(BinaryDiff),
    Elf(ElfDiff),
    Gzip(GzipDiff),
    Archive(ArchiveDiff),
    Pyc(PycDiff),
}

/// One node of the difference tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffNode {
    pub kind: ComparatorKind,
    /// Human title: the escaped member name, or what the node shows ("gzip content").
    pub title: String,
    /// The member name as bytes (serialised as a lossless escaped string).
    #[serde(with = "escaped")]
    pub name: Vec<u8>,
    pub size_a: u64,
    pub size_b: u64,
    /// Lower-case remarks: fallbacks, caps hit, what was not compared.
    pub comments: Vec<String>,
    pub payload: Payload,
    /// Nested comparisons (container members, decompressed content, raw-bytes fallbacks).
    pub children: Vec<DiffNode>,
    /// Differing members not compared because of [`ContentOptions::max_children`].
    pub omitted_children: u64,
}

impl DiffNode {
    pub(crate) fn new(kind: ComparatorKind, name: &[u8], title: String, a: &[u8], b: &[u8]) -> DiffNode {
        DiffNode {
            kind,
            title,
            name: name.to_vec(),
            size_a: a.len() as u64,
            size_b: b.len() as u64,
            comments: Vec::new(),
            payload: Payload::None,
            children: Vec::new(),
            omitted_children: 0,
        }
    }
}

/// What a diagnosis rule can build on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// Date/time tokens, pyc source mtimes, gzip header mtimes, archive entry mtimes differ.
    EmbeddedTimestamp,
    /// Two ELF files are equal except for their `.note.gnu.build-id`.
    BuildIdOnly,
    /// Differing tokens look like build paths, host names, user names or ids.
    BuildEnvironment,
    /// Differing tokens are version numbers.
    VersionChange,
    /// The texts differ only in whitespace.
    OnlyWhitespace,
}

/// A pattern found while comparing, with a short evidence string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentSignal {
    pub kind: SignalKind,
    /// Titles of the nodes from the root to where the signal was found.
    pub location: Vec<String>,
    /// Short, human-readable evidence (cut to [`MAX_EVIDENCE_CHARS`]).
    pub evidence: String,
    /// True when this pattern accounts for every difference of that node.
    pub explains_all: bool,
}

/// The result of [`compare_contents`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentDiff {
    pub identical: bool,
    pub root: DiffNode,
    pub signals: Vec<ContentSignal>,
}

impl ContentDiff {
    pub fn signals(&self) -> &[ContentSignal] {
        &self.signals
    }
    /// True if any signal of `kind` was found.
    pub fn has_signal(&self, kind: SignalKind) -> bool {
        self.signals.iter().any(|s| s.kind == kind)
    }
}

/// Compares two contents of the file `name` with default options derived from `limits`.
pub fn compare_contents(name: &[u8], a: &[u8], b: &[u8], limits: &Limits) -> ContentDiff {
    compare_contents_with(name, a, b, &ContentOptions::from_limits(limits))
}

/// Compares two contents of the file `name` with explicit options.
pub fn compare_contents_with(name: &[u8], a: &[u8], b: &[u8], options: &ContentOptions) -> ContentDiff {
    let mut ctx = Ctx {
        opts: options,
        signals: Vec::new(),
        location: Vec::new(),
        decompressed_total: 0,
    };
    let root = compare_node(&mut ctx, name, escape_bytes(name), a, b, 0);
    ContentDiff { identical: a == b, root, signals: ctx.signals }
}

/// State threaded through one comparison.
pub(crate) struct Ctx<'o> {
    pub opts: &'o ContentOptions,
    pub signals: Vec<ContentSignal>,
    pub location: Vec<String>,
    /// Bytes decompressed so far over the whole comparison.
    pub decompressed_total: u64,
}

impl Ctx<'_> {
    pub fn signal(&mut self, kind: SignalKind, evidence: String, explains_all: bool) {
        self.signals.push(ContentSignal {
            kind,
            location: self.location.clone(),
            evidence: cut(&evidence, MAX_EVIDENCE_CHARS),
            explains_all,
        });
    }
    /// How many more bytes one member may decompress to.
    pub fn decompress_allowance(&self) -> u64 {
        let left = self.opts.max_total_decompressed_bytes.saturating_sub(self.decompressed_total);
        left.min(self.opts.max_decompressed_bytes)
    }
}

/// Cuts `s` to at most `max` characters, marking the cut.
pub(crate) fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((idx, _)) => format!("{}…", &s[..idx]),
        None => s.to_string(),
    }
}

/// What the first bytes of a content look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    Elf,
    Gzip,
    Zip,
    Cpio,
    Tar,
    Pyc,
    Other,
}

impl Sniffed {
    fn label(self) -> &'static str {
        match self {
            Sniffed::Elf => "elf",
            Sniffed::Gzip => "gzip",
            Sniffed::Zip => "zip",
            Sniffed::Cpio => "cpio",
            Sniffed::Tar => "tar",
            Sniffed::Pyc => "pyc",
            Sniffed::Other => "other",
        }
    }
    fn is_container(self) -> bool {
        matches!(self, Sniffed::Gzip | Sniffed::Zip | Sniffed::Cpio | Sniffed::Tar)
    }
}

pub(crate) fn sniff(name: &[u8], data: &[u8]) -> Sniffed {
    match data {
        [0x7f, b'E', b'L', b'F', ..] => Sniffed::Elf,
        [0x1f, 0x8b, ..] => Sniffed::Gzip,
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Sniffed::Zip,
        [b'0', b'7', b'0', b'7', b'0', b'1' | b'2', ..] => Sniffed::Cpio,
        _ if tar::looks_like_tar(data) => Sniffed::Tar,
        _ if pyc::looks_like_pyc(name, data) => Sniffed::Pyc,
        _ => Sniffed::Other,
    }
}

/// Compares one pair of contents and returns its node; pushes signals into `ctx`.
pub(crate) fn compare_node(ctx: &mut Ctx<'_>, name: &[u8], title: String, a: &[u8], b: &[u8], depth: u32) -> DiffNode {
    if a == b {
        return DiffNode::new(ComparatorKind::Identical, name, title, a, b);
    }
    ctx.location.push(title.clone());
    let node = compare_differing(ctx, name, title, a, b, depth);
    ctx.location.pop();
    node
}

fn compare_differing(ctx: &mut Ctx<'_>, name: &[u8], title: String, a: &[u8], b: &[u8], depth: u32) -> DiffNode {
    let kind_a = sniff(name, a);
    let kind_b = sniff(name, b);
    if kind_a != kind_b {
        let mut node = text_or_binary(ctx, name, title, a, b);
        node.comments.insert(
            0,
            format!("a looks like {}, b like {}: compared without a format comparator", kind_a.label(), kind_b.label()),
        );
        return node;
    }
    if kind_a.is_container() && depth >= ctx.opts.max_nesting_depth {
        let mut node = binary_node(ctx, name, title, a, b);
        node.comments.insert(
            0,
            format!(
                "{} not opened: nesting depth limit {} reached; compared as bytes",
                kind_a.label(),
                ctx.opts.max_nesting_depth
            ),
        );
        return node;
    }
    let result = match kind_a {
        Sniffed::Elf => elf::compare(ctx, name, &title, a, b),
        Sniffed::Gzip => gzip::compare(ctx, name, &title, a, b, depth),
        Sniffed::Zip => zip::compare(ctx, name, &title, a, b, depth),
        Sniffed::Cpio => cpio::compare(ctx, name, &title, a, b, depth),
        Sniffed::Tar => tar::compare(ctx, name, &title, a, b, depth),
        Sniffed::Pyc => pyc::compare(ctx, name, &title, a, b),
        Sniffed::Other => return text_or_binary(ctx, name, title, a, b),
    };
    match result {
        Ok(node) => node,
        Err(reason) => {
            let mut node = binary_node(ctx, name, title, a, b);
            node.comments.insert(0, format!("fell back to binary: {reason}"));
            node
        }
    }
}

/// Text (or JSON) when both sides are text, otherwise a byte diff that says why.
pub(crate) fn text_or_binary(ctx: &mut Ctx<'_>, name: &[u8], title: String, a: &[u8], b: &[u8]) -> DiffNode {
    let why_not = match (text::as_text(a), text::as_text(b)) {
        (Ok(ta), Ok(tb)) => {
            let mut json_failure = None;
            if json::looks_like_json(name, ta) && json::looks_like_json(name, tb) {
                match json::compare(ctx, name, &title, ta, tb) {
                    Ok(node) => return node,
                    Err(reason) => json_failure = Some(reason),
                }
            }
            match text::compare_checked(ctx, name, title.clone(), ta, tb) {
                Ok(mut node) => {
                    if let Some(reason) = json_failure {
                        node.comments.insert(0, format!("compared as plain text: {reason}"));
                    }
                    return node;
                }
                Err(reason) => reason,
            }
        }
        (Err(reason), _) => format!("a {reason}"),
        (_, Err(reason)) => format!("b {reason}"),
    };
    let mut node = binary_node(ctx, name, title, a, b);
    node.comments.insert(0, format!("fell back to binary: {why_not}"));
    node
}

/// A plain byte diff node.
pub(crate) fn binary_node(ctx: &mut Ctx<'_>, name: &[u8], title: String, a: &[u8], b: &[u8]) -> DiffNode {
    let mut node = DiffNode::new(ComparatorKind::Binary, name, title, a, b);
    let diff = binary::diff_bytes(a, b, ctx.opts.max_hex_rows);
    node.comments.extend(diff.comments());
    node.payload = Payload::Binary(diff);
    node
}

/// The child a format comparator adds when it found nothing although the bytes differ.
pub(crate) fn raw_bytes_child(ctx: &mut Ctx<'_>, name: &[u8], what: &str, a: &[u8], b: &[u8]) -> DiffNode {
    let mut node = binary_node(ctx, name, "raw bytes".to_string(), a, b);
    node.comments.insert(0, format!("{what} found no difference although the bytes differ; showing a byte diff"));
    node
}

/// One named field that differs, both values rendered as text. The report's layers and entries
/// use it too (`report::FieldChange` is this type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub a: String,
    pub b: String,
}

impl FieldChange {
    pub(crate) fn new(field: &str, a: impl ToString, b: impl ToString) -> FieldChange {
        FieldChange { field: field.to_string(), a: a.to_string(), b: b.to_string() }
    }
}

/// Pushes a [`FieldChange`] when `a != b`, rendering both values with `show`.
pub(crate) fn push_change<T: PartialEq>(out: &mut Vec<FieldChange>, field: &str, a: &T, b: &T, show: impl Fn(&T) -> String) {
    if a != b {
        out.push(FieldChange::new(field, show(a), show(b)));
    }
}

/// Unix seconds as `1700000000 (2023-11-14T22:13:20Z)`; no clock involved.
pub fn fmt_epoch(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // civil-from-days (H. Hinnant), valid for the whole i64 day range we can reach here
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{secs} ({year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z)",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
