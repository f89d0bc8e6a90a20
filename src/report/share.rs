//! Share links: a [`Report`] packed into a URL fragment (`#r=…`), which browsers never send to
//! a server, and unpacked again on the other side without the images.
//!
//! Payload: `"1." + base64url(sha256(deflated) ‖ deflated)` where `deflated` is the report's
//! compact JSON compressed with raw deflate (miniz_oxide, level 9). The leading `1` is the
//! link format ([`FORMAT_VERSION`]); the SHA-256 lets a damaged, cut or edited link be named
//! as such before anything is decompressed. It is an integrity check, not a signature: whoever
//! edits a link can recompute it, so a decoded report is still untrusted text.
//!
//! [`encode`] keeps the payload within a budget of characters: when the whole report does not
//! fit it drops content diffs first (from the last changed entry backwards), then shortens the
//! long lists (entries, cause evidence, unexplained differences, diagnostics) to a common cap,
//! and last drops the two inputs' inspect summaries. What was dropped is counted in
//! [`Trimmed`], stored in the shared report itself, so the page can say so.
//!
//! [`decode`] never trusts the link: its length, base64, checksum, decompressed size
//! ([`MAX_JSON_BYTES`]), JSON and report version are each checked, and each failure is its own
//! [`ShareError`] with a specific message.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::{DecodeError, Engine};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Cause, ChangedEntry, EntryChanges, InputSide, Report, REPORT_VERSION};

/// What follows `#` in a share link: `#r=<payload>`. Report anchors ([`super::anchor_id`])
/// never contain `=`, so a share link is never mistaken for a permalink to an entry.
pub const FRAGMENT_PREFIX: &str = "r=";
/// Version of the link format (the digits before the first `.` of the payload).
pub const FORMAT_VERSION: u32 = 1;
/// Default budget of a payload, in characters: 32 KiB. Far below what Chromium (2 MiB URLs) and
/// Firefox (1 MiB) accept, and short enough to paste into a chat message or an issue comment.
pub const DEFAULT_BUDGET: usize = 32 * 1024;
/// Longest payload [`decode`] looks at (2 MiB, Chromium's URL limit).
pub const MAX_PAYLOAD_CHARS: usize = 2 << 20;
/// Most bytes a payload may decompress to (the report JSON). A hostile link cannot make
/// [`decode`] allocate more than this; [`encode`] never produces a link that needs more.
pub const MAX_JSON_BYTES: usize = 8 << 20;
/// Bytes of the checksum in front of the compressed report.
const CHECKSUM_LEN: usize = 32;
/// Compression level for miniz_oxide (0–10; 9 is zlib's best).
const LEVEL: u8 = 9;

/// What a share link left out to fit its budget (stored in [`Report::trimmed`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Trimmed {
    /// The payload budget the link was made for, in characters.
    pub budget: u64,
    /// Changed entries whose content diff was dropped (the entry itself is kept).
    pub content_diffs: u64,
    /// Entries left out of each list.
    pub changed: u64,
    pub added: u64,
    pub removed: u64,
    pub moved: u64,
    /// Evidence links left out of the causes (each cause keeps its `explains` count).
    pub evidence: u64,
    /// Unexplained differences, diagnostics and case-collision names left out.
    pub other: u64,
    /// True when the inputs' inspect summaries (`a.summary`, `b.summary`) were dropped.
    #[serde(default)]
    pub input_summaries: bool,
}

impl Trimmed {
    /// Entries left out, over all four lists.
    pub fn entries(&self) -> u64 {
        self.changed + self.added + self.removed + self.moved
    }

    /// One sentence for people: "Trimmed to fit a 32768-character link: 2 content diffs, 0
    /// entries omitted."
    pub fn message(&self) -> String {
        let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = vec![
            plural(self.content_diffs, "content diff", "content diffs"),
            plural(self.entries(), "entry", "entries"),
        ];
        if self.evidence > 0 {
            parts.push(plural(self.evidence, "evidence link", "evidence links"));
        }
        if self.other > 0 {
            parts.push(plural(self.other, "other item", "other items"));
        }
        if self.input_summaries {
            parts.push("the input summaries".to_owned());
        }
        format!("Trimmed to fit a {}-character link: {} omitted.", self.budget, parts.join(", "))
    }
}

/// Why a share link could not be read (or made). Displayed as "share link: …".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareError {
    /// The payload is longer than [`MAX_PAYLOAD_CHARS`].
    TooLong { chars: usize },
    /// No `<digits>.` at the start.
    NoVersion,
    UnsupportedVersion(String),
    /// A character outside base64url at this position of the payload.
    InvalidBase64 { position: usize, found: char },
    /// The base64 part has an impossible length (a cut link).
    InvalidLength { symbols: usize },
    /// Too few bytes for the checksum.
    Truncated { bytes: usize },
    ChecksumMismatch,
    DecompressedTooLarge { limit: usize },
    Corrupt(String),
    /// The JSON inside does not hold a report.
    NotAReport(String),
    UnsupportedReport(u32),
    /// [`encode`]: even the most trimmed report does not fit the budget.
    TooLarge { chars: usize, budget: usize },
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("share link: ")?;
        match self {
            ShareError::TooLong { chars } => write!(f, "payload of {chars} characters exceeds the limit of {MAX_PAYLOAD_CHARS}"),
            ShareError::NoVersion => write!(f, "no format version (expected \"{FORMAT_VERSION}.\" after \"#{FRAGMENT_PREFIX}\")"),
            ShareError::UnsupportedVersion(v) => write!(f, "unsupported version {v} (this eifscope reads version {FORMAT_VERSION})"),
            ShareError::InvalidBase64 { position, found } => write!(f, "not valid base64 at position {position} ({found:?})"),
            ShareError::InvalidLength { symbols } => write!(f, "base64 length {symbols} is impossible; the link was cut short"),
            ShareError::Truncated { bytes } => write!(f, "truncated: {bytes} bytes, fewer than the {CHECKSUM_LEN}-byte checksum"),
            ShareError::ChecksumMismatch => f.write_str("checksum mismatch; the link was changed or cut short"),
            ShareError::DecompressedTooLarge { limit } => write!(f, "decompressed size exceeds limit of {limit} bytes"),
            ShareError::Corrupt(what) => write!(f, "compressed data is corrupt ({what})"),
            ShareError::NotAReport(what) => write!(f, "the data is not a report: {what}"),
            ShareError::UnsupportedReport(v) => write!(f, "report format {v} is not supported (this eifscope reads format {REPORT_VERSION})"),
            ShareError::TooLarge { chars, budget } => {
                write!(f, "the report needs {chars} characters even trimmed, more than the budget of {budget}")
            }
        }
    }
}

impl std::error::Error for ShareError {}

/// A made link payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// What goes after `#r=`.
    pub payload: String,
    /// What was left out (also inside the payload's report); `None` when nothing was.
    pub trimmed: Option<Trimmed>,
    /// Size of the report JSON inside.
    pub json_bytes: usize,
}

/// The payload of a fragment (with or without its `#`), when it is a share link.
pub fn payload_of_fragment(fragment: &str) -> Option<&str> {
    fragment.strip_prefix('#').unwrap_or(fragment).strip_prefix(FRAGMENT_PREFIX)
}

/// `#r=<payload>`.
pub fn fragment(payload: &str) -> String {
    format!("#{FRAGMENT_PREFIX}{payload}")
}

/// Packs `report` into a payload of at most `budget` characters, trimming it when needed.
///
/// Cost: a failing attempt stops compressing once the budget is certainly exceeded, and the
/// search starts from the most trimmed (smallest) report and gallops toward less trimming, so
/// most attempts serialise and compress little more than what finally fits.
pub fn encode(report: &Report, budget: usize) -> Result<Encoded, ShareError> {
    let plan = Plan::new(report);
    let attempt = |level: usize| -> Result<Option<Encoded>, ShareError> {
        let trimmed = plan.apply(level, budget);
        let report = trimmed.as_ref().unwrap_or(report);
        Ok(match pack(report, budget)? {
            Packed::Fits(payload, json_bytes) => Some(Encoded { payload, trimmed: report.trimmed.clone(), json_bytes }),
            Packed::Over => None,
        })
    };
    if let Some(whole) = attempt(0)? {
        return Ok(whole);
    }
    let (mut fits, mut best) = match attempt(plan.max_level())? {
        Some(found) => (plan.max_level(), found),
        None => {
            let smallest = plan.apply(plan.max_level(), budget);
            let chars = match pack(smallest.as_ref().unwrap_or(report), MAX_PAYLOAD_CHARS)? {
                Packed::Fits(payload, _) => payload.len(),
                Packed::Over => usize::MAX,
            };
            return Err(ShareError::TooLarge { chars, budget });
        }
    };
    // Gallop toward less trimming (steps 1, 2, 4, …) until an attempt does not fit, then
    // bisect. Sizes shrink as the level rises, give or take compression noise; every answer is
    // the checked result of a real attempt.
    let mut fails = 0;
    let mut step = 1;
    while fits - fails > 1 {
        let level = if step < fits - fails { fits - step } else { fails + (fits - fails) / 2 };
        match attempt(level)? {
            Some(found) => {
                fits = level;
                best = found;
                step = step.saturating_mul(2);
            }
            None => {
                fails = level;
                step = usize::MAX;
            }
        }
    }
    Ok(best)
}

/// Unpacks a payload (what follows `#r=`), checking every step.
pub fn decode(payload: &str) -> Result<Report, ShareError> {
    if payload.len() > MAX_PAYLOAD_CHARS {
        return Err(ShareError::TooLong { chars: payload.len() });
    }
    let (version, data) = payload.split_once('.').ok_or(ShareError::NoVersion)?;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ShareError::NoVersion);
    }
    if version != FORMAT_VERSION.to_string() {
        return Err(ShareError::UnsupportedVersion(version.chars().take(12).collect()));
    }
    let start = version.len() + 1;
    let bytes = URL_SAFE_NO_PAD.decode(data).map_err(|err| base64_error(err, data, start))?;
    if bytes.len() < CHECKSUM_LEN {
        return Err(ShareError::Truncated { bytes: bytes.len() });
    }
    let (sum, deflated) = bytes.split_at(CHECKSUM_LEN);
    if Sha256::digest(deflated)[..] != *sum {
        return Err(ShareError::ChecksumMismatch);
    }
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(deflated, MAX_JSON_BYTES).map_err(|err| match err.status {
        miniz_oxide::inflate::TINFLStatus::HasMoreOutput => ShareError::DecompressedTooLarge { limit: MAX_JSON_BYTES },
        status => ShareError::Corrupt(format!("{status:?}").to_lowercase()),
    })?;
    #[derive(Deserialize)]
    struct VersionOnly {
        version: u32,
    }
    let version = serde_json::from_slice::<VersionOnly>(&json).map_err(|e| ShareError::NotAReport(e.to_string()))?.version;
    if version != REPORT_VERSION {
        return Err(ShareError::UnsupportedReport(version));
    }
    serde_json::from_slice::<Report>(&json).map_err(|e| ShareError::NotAReport(e.to_string()))
}

/// A base64 error with its position counted from the start of the payload.
fn base64_error(err: DecodeError, data: &str, start: usize) -> ShareError {
    let at = |offset: usize| ShareError::InvalidBase64 {
        position: start + offset,
        found: data.get(offset..).and_then(|rest| rest.chars().next()).unwrap_or('?'),
    };
    match err {
        DecodeError::InvalidByte(offset, _) | DecodeError::InvalidLastSymbol(offset, _) => at(offset),
        DecodeError::InvalidLength(symbols) => ShareError::InvalidLength { symbols },
        DecodeError::InvalidPadding => at(data.find('=').unwrap_or(0)),
    }
}

/// The outcome of packing one report within a budget.
enum Packed {
    /// The payload and the size of the JSON inside.
    Fits(String, usize),
    /// Over the budget (or the JSON over [`MAX_JSON_BYTES`], a link [`decode`] would refuse).
    Over,
}

/// Packs `report`, giving up as soon as the payload cannot fit `budget` characters.
fn pack(report: &Report, budget: usize) -> Result<Packed, ShareError> {
    let mut json = CappedWriter { bytes: Vec::new(), over: false };
    if let Err(err) = serde_json::to_writer(&mut json, report) {
        return if json.over { Ok(Packed::Over) } else { Err(ShareError::NotAReport(err.to_string())) };
    }
    // base64 turns 3 bytes into 4 characters: the most bytes `budget` characters can hold.
    let prefix = format!("{FORMAT_VERSION}.");
    let room = budget.saturating_sub(prefix.len()) / 4 * 3 + 2;
    let Some(deflated) = deflate_within(&json.bytes, room.saturating_sub(CHECKSUM_LEN)) else {
        return Ok(Packed::Over);
    };
    let mut bytes = Vec::with_capacity(CHECKSUM_LEN + deflated.len());
    bytes.extend_from_slice(&Sha256::digest(&deflated));
    bytes.extend_from_slice(&deflated);
    let payload = prefix + &URL_SAFE_NO_PAD.encode(&bytes);
    Ok(if payload.len() <= budget { Packed::Fits(payload, json.bytes.len()) } else { Packed::Over })
}

/// A `Vec` that refuses to grow past [`MAX_JSON_BYTES`].
struct CappedWriter {
    bytes: Vec<u8>,
    over: bool,
}

impl std::io::Write for CappedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > MAX_JSON_BYTES {
            self.over = true;
            return Err(std::io::Error::other("report json exceeds the share limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Raw deflate of `input`, or `None` as soon as the output would exceed `max` bytes.
fn deflate_within(mut input: &[u8], max: usize) -> Option<Vec<u8>> {
    use miniz_oxide::deflate::core::{compress, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush, TDEFLStatus};
    // Window bits 0: raw deflate, as `miniz_oxide::deflate::compress_to_vec`.
    let mut compressor = CompressorOxide::new(create_comp_flags_from_zip_params(LEVEL.into(), 0, 0));
    // One spare byte: output that fills the buffer is over the limit.
    let mut out = vec![0; max.checked_add(1)?];
    let mut at = 0;
    loop {
        let (status, used, wrote) = compress(&mut compressor, input, out.get_mut(at..)?, TDEFLFlush::Finish);
        at += wrote;
        match status {
            TDEFLStatus::Done if at <= max => {
                out.truncate(at);
                return Some(out);
            }
            TDEFLStatus::Okay if at < out.len() && (used > 0 || wrote > 0) => input = input.get(used..)?,
            _ => return None,
        }
    }
}

/// The trimming levels of one report, least first: level `0` is the whole report; levels
/// `1..=diffs` drop that many content diffs from the end; the next `longest` levels lower the
/// cap on every long list from `longest - 1` to `0`; the last also drops the input summaries.
struct Plan<'a> {
    report: &'a Report,
    /// Indices of changed entries with a content diff, in report order.
    diffs: Vec<usize>,
    /// Length of the longest list the cap applies to.
    longest: usize,
}

impl<'a> Plan<'a> {
    fn new(report: &'a Report) -> Plan<'a> {
        let diffs = report.entries.changed.iter().enumerate().filter(|(_, c)| c.content.is_some()).map(|(i, _)| i).collect();
        let e = &report.entries;
        let longest = [
            e.changed.len(),
            e.added.len(),
            e.removed.len(),
            e.moved.len(),
            e.case_collisions.len(),
            report.unexplained.len(),
            report.diagnostics.len(),
        ]
        .into_iter()
        .chain(report.causes.iter().map(|c| c.evidence.len()))
        .max()
        .unwrap_or(0);
        Plan { report, diffs, longest }
    }

    fn max_level(&self) -> usize {
        self.diffs.len() + self.longest + 1
    }

    /// The report trimmed to `level`, with what was dropped added to its `trimmed` counts
    /// (`None` at level 0: the report as it is). Built from slices of the original, so a deep
    /// cut never clones what it drops.
    fn apply(&self, level: usize, budget: usize) -> Option<Report> {
        if level == 0 {
            return None;
        }
        let r = self.report;
        let mut t = r.trimmed.clone().unwrap_or_default();
        t.budget = u64::try_from(budget).unwrap_or(u64::MAX);
        let drop_diffs = level.min(self.diffs.len());
        // Changed entries from this index on lose their content diff.
        let first_dropped = self.diffs.len().checked_sub(drop_diffs).and_then(|i| self.diffs.get(i)).copied().unwrap_or(usize::MAX);
        t.content_diffs += u64::try_from(drop_diffs).unwrap_or(u64::MAX);
        let beyond = level - drop_diffs;
        let cap = if beyond == 0 { usize::MAX } else { self.longest.saturating_sub(beyond) };
        let head = |list_len: usize| -> (usize, u64) {
            let keep = list_len.min(cap);
            (keep, u64::try_from(list_len - keep).unwrap_or(u64::MAX))
        };
        let e = &r.entries;
        let (n_changed, gone) = head(e.changed.len());
        t.changed += gone;
        let changed = e.changed[..n_changed]
            .iter()
            .enumerate()
            .map(|(i, c)| ChangedEntry {
                path: c.path.clone(),
                ramdisk_a: c.ramdisk_a,
                ramdisk_b: c.ramdisk_b,
                kind: c.kind.clone(),
                fields: c.fields.clone(),
                changes: c.changes.clone(),
                measured: c.measured.clone(),
                content: if i < first_dropped { c.content.clone() } else { None },
                signals: c.signals.clone(),
            })
            .collect();
        let (n_added, gone) = head(e.added.len());
        t.added += gone;
        let (n_removed, gone) = head(e.removed.len());
        t.removed += gone;
        let (n_moved, gone) = head(e.moved.len());
        t.moved += gone;
        let (n_collisions, gone_collisions) = head(e.case_collisions.len());
        let (n_unexplained, gone_unexplained) = head(r.unexplained.len());
        let (n_diagnostics, gone_diagnostics) = head(r.diagnostics.len());
        t.other += gone_collisions + gone_unexplained + gone_diagnostics;
        let causes = r
            .causes
            .iter()
            .map(|c| {
                let (keep, gone) = head(c.evidence.len());
                t.evidence += gone;
                Cause {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    confidence: c.confidence,
                    explains: c.explains,
                    evidence: c.evidence[..keep].to_vec(),
                    fix: c.fix.clone(),
                }
            })
            .collect();
        let summaries = level <= self.diffs.len() + self.longest;
        t.input_summaries |= !summaries;
        let side = |s: &InputSide| InputSide {
            name: s.name.clone(),
            size: s.size,
            blake3: s.blake3.clone(),
            summary: if summaries { s.summary.clone() } else { serde_json::Value::Null },
        };
        Some(Report {
            version: r.version,
            tool: r.tool.clone(),
            a: side(&r.a),
            b: side(&r.b),
            verdict: r.verdict.clone(),
            measurements: r.measurements.clone(),
            pcr_files: r.pcr_files.clone(),
            layers: r.layers.clone(),
            first_divergence: r.first_divergence.clone(),
            entries: EntryChanges {
                added: e.added[..n_added].to_vec(),
                removed: e.removed[..n_removed].to_vec(),
                changed,
                moved: e.moved[..n_moved].to_vec(),
                notes: e.notes.clone(),
                case_collisions: e.case_collisions[..n_collisions].to_vec(),
                n_compared: e.n_compared,
                n_equal: e.n_equal,
            },
            causes,
            unexplained: r.unexplained[..n_unexplained].to_vec(),
            diagnostics: r.diagnostics[..n_diagnostics].to_vec(),
            trimmed: Some(t),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{compare, Input};
    use crate::source::SliceSource;
    use crate::limits::Limits;
    use crate::report::{EntryRef, Evidence};

    const BASIC_A: &[u8] = include_bytes!("../../tests/fixtures/basic-a.eif");
    const BASIC_B: &[u8] = include_bytes!("../../tests/fixtures/basic-b.eif");
    const META_A: &[u8] = include_bytes!("../../tests/fixtures/meta-a.eif");
    const META_B: &[u8] = include_bytes!("../../tests/fixtures/meta-b.eif");
    const SINGLE_A: &[u8] = include_bytes!("../../tests/fixtures/single-a.eif");
    const SINGLE_B: &[u8] = include_bytes!("../../tests/fixtures/single-b.eif");
    const NOGZ_A: &[u8] = include_bytes!("../../tests/fixtures/nogz-a.eif");
    const NOGZ_B: &[u8] = include_bytes!("../../tests/fixtures/nogz-b.eif");
    const MULTI: &[u8] = include_bytes!("../../tests/fixtures/multi.eif");
    const SIGNED: &[u8] = include_bytes!("../../tests/fixtures/signed.eif");

    fn report(a: &[u8], b: &[u8]) -> Report {
        let a = Input { name: "a.eif".into(), source: &SliceSource(a), pcr_file: None };
        let b = Input { name: "b.eif".into(), source: &SliceSource(b), pcr_file: None };
        compare(&a, &b, &Limits::default()).expect("fixtures compare")
    }

    fn basic() -> Report {
        report(BASIC_A, BASIC_B)
    }

    /// A payload whose checksum is right for whatever `deflated` holds.
    fn forge(deflated: &[u8]) -> String {
        let mut bytes = Sha256::digest(deflated).to_vec();
        bytes.extend_from_slice(deflated);
        format!("1.{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    fn err(payload: &str) -> ShareError {
        decode(payload).expect_err("a damaged link must not decode")
    }

    #[test]
    fn fixture_reports_round_trip_untrimmed() {
        let pairs: [(&[u8], &[u8]); 6] =
            [(BASIC_A, BASIC_B), (META_A, META_B), (SINGLE_A, SINGLE_B), (NOGZ_A, NOGZ_B), (BASIC_A, MULTI), (BASIC_A, SIGNED)];
        for (a, b) in pairs {
            let original = report(a, b);
            let link = encode(&original, DEFAULT_BUDGET).unwrap();
            assert_eq!(link.trimmed, None, "{}", original.verdict.headline);
            assert!(link.payload.starts_with("1."));
            assert!(link.payload[2..].bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
            assert!(link.payload.len() <= DEFAULT_BUDGET);
            assert_eq!(decode(&link.payload).unwrap(), original);
        }
        // The planted pair: fixtures/README.md's verdict and three causes survive the trip.
        let shared = decode(&encode(&basic(), DEFAULT_BUDGET).unwrap().payload).unwrap();
        assert_eq!(shared.verdict.headline, "Measurements differ: PCR0, PCR2");
        assert_eq!(shared.verdict.pcrs_differ, ["PCR0", "PCR2"]);
        let ids: Vec<&str> = shared.causes.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["different-source", "file-permissions", "file-timestamps"]);
        assert!(shared.entries.changed.iter().any(|c| c.path == "rootfs/etc/app.conf" && c.content.is_some()));
    }

    #[test]
    fn fragments_are_told_apart_from_anchors() {
        assert_eq!(payload_of_fragment("#r=1.abc"), Some("1.abc"));
        assert_eq!(payload_of_fragment("r=1.abc"), Some("1.abc"));
        assert_eq!(payload_of_fragment("#entry-rootfs_2fetc_2fapp.conf"), None);
        assert_eq!(payload_of_fragment(""), None);
        assert_eq!(fragment("1.abc"), "#r=1.abc");
        // An anchor never holds '=', whatever the path.
        assert!(!crate::report::anchor_id("entry:r=1.x/ä").contains('='));
    }

    #[test]
    fn a_tight_budget_drops_content_diffs_first() {
        let original = basic();
        let whole = encode(&original, DEFAULT_BUDGET).unwrap().payload.len();
        let link = encode(&original, whole - 1).unwrap();
        assert!(link.payload.len() < whole);
        let t = link.trimmed.clone().expect("trimmed");
        assert_eq!(t.budget, u64::try_from(whole - 1).unwrap());
        assert_eq!((t.entries(), t.evidence, t.other, t.input_summaries), (0, 0, 0, false));
        let shared = decode(&link.payload).unwrap();
        assert_eq!(shared.trimmed, Some(t.clone()));
        let diffs = |r: &Report| r.entries.changed.iter().filter(|c| c.content.is_some()).count() as u64;
        assert_eq!(diffs(&shared) + t.content_diffs, diffs(&original));
        assert_eq!(shared.entry_totals(), original.entry_totals());
        assert_eq!(shared.causes, original.causes);
        assert_eq!(shared.measurements, original.measurements);
        // Only rootfs/etc/app.conf has a content diff in the planted pair.
        assert_eq!(t.content_diffs, 1);
        assert_eq!(t.message(), format!("Trimmed to fit a {}-character link: 1 content diff, 0 entries omitted.", whole - 1));
    }

    /// The basic report with `n` extra changed (with a content diff) and added entries whose
    /// names do not compress, plus as many evidence links.
    fn large(n: usize) -> Report {
        let mut big = basic();
        let template: ChangedEntry = big.entries.changed.iter().find(|c| c.content.is_some()).unwrap().clone();
        let added: EntryRef = big.entries.added[0].clone();
        for i in 0..n {
            let name = hex::encode(Sha256::digest(i.to_le_bytes()));
            big.entries.changed.push(ChangedEntry { path: format!("rootfs/gen/{name}"), ..template.clone() });
            big.entries.added.push(EntryRef { path: format!("rootfs/new/{name}"), ..added.clone() });
            big.causes[0].evidence.push(Evidence { label: name.clone(), anchor: format!("entry:rootfs/gen/{name}") });
        }
        big
    }

    #[test]
    fn a_large_report_fits_the_budget_and_counts_what_it_left_out() {
        let original = large(3000);
        let link = encode(&original, DEFAULT_BUDGET).unwrap();
        assert!(link.payload.len() <= DEFAULT_BUDGET, "{} > {DEFAULT_BUDGET}", link.payload.len());
        // Not much of the budget is wasted: at least 3/4 of it is used.
        assert!(link.payload.len() >= DEFAULT_BUDGET * 3 / 4, "only {} used", link.payload.len());
        let t = link.trimmed.clone().expect("trimmed");
        let shared = decode(&link.payload).unwrap();
        let e = (&shared.entries, &original.entries);
        // Every content diff went before any entry did.
        assert!(shared.entries.changed.iter().all(|c| c.content.is_none()));
        assert_eq!(t.content_diffs, original.entries.changed.iter().filter(|c| c.content.is_some()).count() as u64);
        assert!(t.changed > 0 && t.added > 0 && t.evidence > 0);
        assert_eq!(e.0.changed.len() as u64 + t.changed, e.1.changed.len() as u64);
        assert_eq!(e.0.added.len() as u64 + t.added, e.1.added.len() as u64);
        assert_eq!(shared.causes[0].evidence.len() as u64 + t.evidence, original.causes[0].evidence.len() as u64);
        assert_eq!(shared.entry_totals(), original.entry_totals());
        // What stays is the head of each list, unchanged.
        assert_eq!(e.0.changed[0].path, e.1.changed[0].path);
        assert_eq!(shared.verdict, original.verdict);
        assert_eq!(shared.measurements, original.measurements);
        assert_eq!(shared.causes.len(), original.causes.len());
        assert!(!t.input_summaries);
        assert!(t.message().contains(&format!("{} entries", t.entries())), "{}", t.message());
    }

    #[test]
    fn a_budget_below_the_bare_report_is_an_error() {
        let e = encode(&basic(), 200).unwrap_err();
        assert!(matches!(e, ShareError::TooLarge { budget: 200, chars } if chars > 200), "{e:?}");
        assert!(e.to_string().starts_with("share link: the report needs "), "{e}");
    }

    #[test]
    fn each_damaged_part_is_named() {
        let good = encode(&basic(), DEFAULT_BUDGET).unwrap().payload;
        // A flipped character in the checksum or in the compressed data.
        for at in [5, good.len() / 2] {
            let mut flipped = good.clone().into_bytes();
            flipped[at] = if flipped[at] == b'A' { b'B' } else { b'A' };
            let e = err(std::str::from_utf8(&flipped).unwrap());
            assert_eq!(e, ShareError::ChecksumMismatch);
            assert_eq!(e.to_string(), "share link: checksum mismatch; the link was changed or cut short");
        }
        // Cut short: an impossible base64 length, or a checksum that no longer matches.
        for cut in 1..=8 {
            let short = &good[..good.len() - cut];
            let e = err(short);
            if (short.len() - 2) % 4 == 1 {
                assert_eq!(e, ShareError::InvalidLength { symbols: short.len() - 2 });
                assert!(e.to_string().contains("cut short"));
            } else {
                assert!(matches!(e, ShareError::ChecksumMismatch | ShareError::InvalidBase64 { .. }), "{e:?}");
            }
        }
        assert_eq!(err(&good[..10]), ShareError::Truncated { bytes: 6 });
        // A character outside base64url, named with its position in the payload.
        let bad = format!("{}!{}", &good[..123], &good[124..]);
        assert_eq!(err(&bad).to_string(), "share link: not valid base64 at position 123 ('!')");
        assert_eq!(err(&format!("{}%20", &good[..40])), ShareError::InvalidBase64 { position: 40, found: '%' });
        // The version.
        assert_eq!(err(&format!("7{}", &good[1..])).to_string(), "share link: unsupported version 7 (this eifscope reads version 1)");
        assert_eq!(err(&good[2..]), ShareError::NoVersion);
        assert_eq!(err(&format!("x{}", &good[1..])), ShareError::NoVersion);
        assert_eq!(err(""), ShareError::NoVersion);
        // Right checksum, wrong contents.
        assert!(matches!(err(&forge(b"\xff\xff\xff not deflate")), ShareError::Corrupt(_)));
        let not_json = miniz_oxide::deflate::compress_to_vec(b"<html>", 9);
        assert!(err(&forge(&not_json)).to_string().starts_with("share link: the data is not a report: "));
        let not_report = miniz_oxide::deflate::compress_to_vec(b"{\"version\":1,\"tool\":3}", 9);
        assert!(matches!(err(&forge(&not_report)), ShareError::NotAReport(_)));
        let mut future = basic();
        future.version = 2;
        let Packed::Fits(payload, _) = pack(&future, DEFAULT_BUDGET).unwrap() else { panic!("fits") };
        assert_eq!(err(&payload).to_string(), "share link: report format 2 is not supported (this eifscope reads format 1)");
        // Too long to even look at.
        let long = format!("1.{}", "A".repeat(MAX_PAYLOAD_CHARS));
        assert_eq!(err(&long), ShareError::TooLong { chars: MAX_PAYLOAD_CHARS + 2 });
    }

    #[test]
    fn a_decompression_bomb_is_refused_at_the_limit() {
        // 64 MiB of zeros deflate to ~64 KiB; the checksum is right, so only the limit stops it.
        let zeros = vec![0u8; 64 << 20];
        let bomb = forge(&miniz_oxide::deflate::compress_to_vec(&zeros, 9));
        assert!(bomb.len() < MAX_PAYLOAD_CHARS);
        let e = err(&bomb);
        assert_eq!(e, ShareError::DecompressedTooLarge { limit: MAX_JSON_BYTES });
        assert_eq!(e.to_string(), format!("share link: decompressed size exceeds limit of {MAX_JSON_BYTES} bytes"));
        // A JSON just over the limit is never produced by `encode` either.
        let mut huge = basic();
        huge.unexplained = vec!["x".repeat(1 << 20); 9];
        let link = encode(&huge, MAX_PAYLOAD_CHARS).unwrap();
        assert!(link.json_bytes <= MAX_JSON_BYTES);
        assert!(link.trimmed.unwrap().other > 0);
    }
}
