//! The `Report`: the one contract between the comparison engine, the browser app, the exports
//! and the CLI. Plain serde data; presenters (`html`, `markdown`, JSON via serde) are pure
//! functions of it.
//!
//! Architecture Invariant: nothing in a `Report` refers back to the images. A report can be
//! serialised, shared in a URL and rendered again without the inputs.

pub mod html;
pub mod markdown;
pub mod share;
pub mod rows;

use serde::{Deserialize, Serialize};

use crate::diagnostics::Diagnostic;

// One field-change type for layers, entries and the decoded headers inside content diffs.
pub use crate::diff::content::FieldChange;

/// Bumped whenever a field changes meaning or disappears.
pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    /// "eifscope <crate version>".
    pub tool: String,
    pub a: InputSide,
    pub b: InputSide,
    pub verdict: Verdict,
    /// One row per PCR present on either side, PCR0, PCR1, PCR2, PCR8.
    pub measurements: Vec<PcrRow>,
    /// PCR files dropped next to an image, checked against the measured values.
    #[serde(default)]
    pub pcr_files: Vec<PcrFileCheck>,
    /// Layers in order: header, sections, kernel, cmdline, metadata, signature, then per ramdisk
    /// compression and archive.
    pub layers: Vec<Layer>,
    /// Id of the first layer that differs, in layer order.
    pub first_divergence: Option<String>,
    pub entries: EntryChanges,
    /// Ranked likely causes, best explanation first.
    pub causes: Vec<Cause>,
    /// Differences no cause explains, said plainly.
    #[serde(default)]
    pub unexplained: Vec<String>,
    pub diagnostics: Vec<SideDiagnostic>,
    /// Set when a share link dropped parts of the report to fit its budget (see
    /// [`share::Trimmed`]; the lists above then hold fewer items than were found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trimmed: Option<share::Trimmed>,
}

/// Entry counts of a report as found, including entries a share link left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryTotals {
    pub changed: u64,
    pub added: u64,
    pub removed: u64,
    pub moved: u64,
}

impl Report {
    /// How many entries changed, were added, removed and moved, counting those trimmed away.
    pub fn entry_totals(&self) -> EntryTotals {
        let t = self.trimmed.clone().unwrap_or_default();
        let n = |list: usize, omitted: u64| u64::try_from(list).unwrap_or(u64::MAX).saturating_add(omitted);
        let e = &self.entries;
        EntryTotals {
            changed: n(e.changed.len(), t.changed),
            added: n(e.added.len(), t.added),
            removed: n(e.removed.len(), t.removed),
            moved: n(e.moved.len(), t.moved),
        }
    }
}

/// Which input a value belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    A,
    B,
}

/// What the report says about one input (the inspect model, without the entry list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSide {
    /// File name as given by the user (display only).
    pub name: String,
    pub size: u64,
    /// BLAKE3 of the whole file.
    pub blake3: String,
    /// The inspect summary of this input (see `crate::image::Summary`).
    pub summary: serde_json::Value,
}

/// One input on its own, with no verdict: what is shown of the side that could be read when
/// the other could not (see `crate::analyze::summarize_side`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideSummary {
    pub side: Side,
    pub input: InputSide,
    /// "EIF", or "ramdisk (gzip+cpio newc)" for a bare ramdisk file.
    pub kind: String,
    /// Its measurements ("PCR0" …), as in [`PcrRow`] with only this side's value.
    pub pcrs: Vec<SidePcr>,
    /// Its EIF sections in table order, or the one bare ramdisk.
    pub sections: Vec<SideSection>,
    /// The PCR file dropped next to it, checked against its measurements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pcr_file: Option<PcrFileCheck>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SidePcr {
    pub pcr: String,
    pub value: String,
    /// Sections that feed it, e.g. ["Kernel", "Cmdline", "Ramdisk[0]"].
    pub fed_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideSection {
    /// "Kernel", "Ramdisk[1]", or "ramdisk" for a bare ramdisk file.
    pub name: String,
    /// Absolute offset of its header (of the file, for a bare ramdisk).
    pub offset: u64,
    pub size: u64,
    /// What was found inside a ramdisk: "gzip+cpio newc · 36 entries · 6656 bytes decompressed".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictKind {
    /// Same bytes.
    Identical,
    /// Bytes differ, every PCR both sides have is equal.
    MeasurementsEqual,
    /// At least one PCR differs (listed in `pcrs_differ`).
    MeasurementsDiffer,
    /// Inputs without EIF measurements (bare ramdisks) whose contents differ.
    ContentsDiffer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub kind: VerdictKind,
    pub pcrs_differ: Vec<String>,
    /// One sentence for people.
    pub headline: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcrRow {
    pub pcr: String,
    pub a: Option<String>,
    pub b: Option<String>,
    pub equal: bool,
    /// Sections that feed this PCR, e.g. ["Kernel", "Cmdline", "Ramdisk[0]"].
    pub fed_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl PcrRow {
    /// How the row reads in every presenter: "equal", "differs", or "only in A" / "only in B"
    /// when one side has no value (a PCR8 of one signed image, or a bare ramdisk, which has no
    /// PCRs at all, against an EIF).
    pub fn state_label(&self) -> &'static str {
        match (&self.a, &self.b) {
            (Some(_), None) => "only in A",
            (None, Some(_)) => "only in B",
            _ if self.equal => "equal",
            _ => "differs",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcrFileCheck {
    pub side: Side,
    pub file_name: String,
    pub format: String,
    pub matches: bool,
    /// (pcr, value in file, measured value or None, equal)
    pub rows: Vec<PcrFileRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcrFileRow {
    pub pcr: String,
    pub file: String,
    pub measured: Option<String>,
    pub equal: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LayerStatus {
    Equal,
    Differ,
    OnlyA,
    OnlyB,
    /// Neither input has this layer.
    Absent,
}

impl LayerStatus {
    /// How reports (HTML export and the app) name the status.
    pub fn label(self) -> &'static str {
        match self {
            LayerStatus::Equal => "equal",
            LayerStatus::Differ => "differs",
            LayerStatus::OnlyA => "only in A",
            LayerStatus::OnlyB => "only in B",
            LayerStatus::Absent => "absent",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// Stable id, also the HTML anchor: "header", "sections", "kernel", "cmdline", "metadata",
    /// "signature", "ramdisk-1-compression", "ramdisk-1-archive"…
    pub id: String,
    pub title: String,
    pub status: LayerStatus,
    /// PCRs this layer feeds (empty: not measured).
    pub measured: Vec<String>,
    pub changes: Vec<FieldChange>,
    pub notes: Vec<String>,
    /// True when the layer differs only as a consequence of differences elsewhere (the CRC and
    /// file size; section hashes whose contents are compared in their own layers).
    #[serde(default)]
    pub consequence_only: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EntryChanges {
    /// Normalised paths only in B.
    pub added: Vec<EntryRef>,
    /// Normalised paths only in A.
    pub removed: Vec<EntryRef>,
    pub changed: Vec<ChangedEntry>,
    /// Removed + added entries with the same content.
    pub moved: Vec<MovedEntry>,
    /// Archive-level findings: "inode numbering differs", "entry order differs", duplicates.
    pub notes: Vec<ArchiveNote>,
    /// Paths present on one side only that differ from another name only by letter case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub case_collisions: Vec<String>,
    /// Entries compared in total (union of both sides).
    pub n_compared: u64,
    /// Entries equal on both sides.
    pub n_equal: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRef {
    /// Normalised path (escaped when not UTF-8).
    pub path: String,
    pub ramdisk: u32,
    /// "file", "dir", "symlink", "char", "block", "fifo", "socket", "unknown".
    pub kind: String,
    pub size: u64,
    /// Which PCRs this entry's ramdisk feeds.
    pub measured: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedEntry {
    pub path: String,
    pub ramdisk_a: u32,
    pub ramdisk_b: u32,
    pub kind: String,
    /// Names of the fields that differ: "type", "mode", "uid", "gid", "nlink", "mtime", "rdev",
    /// "content", "symlink_target", "hardlink_group", "ramdisk".
    pub fields: Vec<String>,
    pub changes: Vec<FieldChange>,
    pub measured: Vec<String>,
    /// The content comparison, when content differs and both contents could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<serde_json::Value>,
    /// Signals found in the content diff (embedded-timestamp, build-id-only, …).
    #[serde(default)]
    pub signals: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedEntry {
    pub from: String,
    pub to: String,
    pub ramdisk_a: u32,
    pub ramdisk_b: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveNote {
    /// Stable id: "inode-numbers", "inode-shift" (numbering in archive order moved along with
    /// added/removed/reordered entries), "entry-order", "duplicate-names", "trailer",
    /// "split-differs".
    pub id: String,
    pub ramdisk: Option<u32>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cause {
    /// Stable public id, e.g. "file-timestamps".
    pub id: String,
    pub title: String,
    pub confidence: Confidence,
    /// How many differences this cause explains (the ranking key).
    pub explains: u64,
    pub evidence: Vec<Evidence>,
    pub fix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub label: String,
    /// Anchor in the report: "entry:<path>", "layer:<id>", "pcr:PCR0".
    pub anchor: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideDiagnostic {
    pub side: Side,
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
}

/// The HTML anchor (fragment) for an anchor string: a stable, URL-safe id.
pub fn anchor_id(anchor: &str) -> String {
    let mut out = String::with_capacity(anchor.len() + 2);
    for b in anchor.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            b':' => out.push('-'),
            _ => out.push_str(&format!("_{b:02x}")),
        }
    }
    out
}
