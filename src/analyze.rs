//! The one entry point of the engine: two inputs (+ optional PCR files) and limits in, one
//! [`Report`] out. Used by the CLI, the web worker and the tests alike.
//!
//! Passes: (1) read both images (headers, measurements, every ramdisk walked as a stream);
//! (2) compare layers and entries; (3) re-read the contents of changed entries only, bounded by
//! [`CONTENT_BYTES_EACH`] / [`CONTENT_BYTES_TOTAL`], and compare them; (4) diagnose.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fmt::Write as _;

use crate::compare::entries::{compare_entries, ramdisk_pcrs, Side as EntrySide};
use crate::diagnose::diagnose;
use crate::formats::eif::{EifModel, Section, SectionKind};
use crate::formats::pcrs;
use crate::image::{compression_name, read_image, section_label, Image, ImageKind};
use crate::limits::Limits;
use crate::report::{
    ArchiveNote, FieldChange, InputSide, Layer, LayerStatus, PcrFileCheck, PcrFileRow, PcrRow, Report, Side, SideDiagnostic, SidePcr, SideSection, SideSummary,
    Verdict, VerdictKind, REPORT_VERSION,
};
use crate::source::ByteSource;

/// Most bytes of one file read for a content diff.
pub const CONTENT_BYTES_EACH: u64 = 4 << 20;
/// Most bytes read for content diffs per side in one report.
pub const CONTENT_BYTES_TOTAL: u64 = 64 << 20;
/// Longest cmdline compared token by token.
const MAX_CMDLINE: u64 = 1 << 20;

/// One side of a comparison.
pub struct Input<'a> {
    pub name: String,
    pub source: &'a dyn ByteSource,
    /// A PCR file dropped next to the image: (file name, bytes).
    pub pcr_file: Option<(String, Vec<u8>)>,
}

/// A side that could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzeError {
    pub side: Side,
    pub name: String,
    pub offset: u64,
    pub message: String,
}

impl fmt::Display for AnalyzeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl std::error::Error for AnalyzeError {}

/// Where the engine is, for progress bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub phase: &'static str,
    pub side: Option<Side>,
}

/// Compares two inputs.
pub fn compare(a: &Input<'_>, b: &Input<'_>, limits: &Limits) -> Result<Report, AnalyzeError> {
    compare_with_progress(a, b, limits, &mut |_| {})
}

/// Pass 1 for one side: decodes `input` into an [`Image`]. The two sides are independent, so a
/// shell may read them at the same time (the CLI on two threads) and then hand both to
/// [`compare_images`]; [`compare`] is exactly that, one side after the other.
pub fn read_side(input: &Input<'_>, side: Side, limits: &Limits) -> Result<Image, AnalyzeError> {
    read_image(&input.name, input.source, limits).map_err(|e| AnalyzeError { side, name: input.name.clone(), offset: e.offset, message: e.message })
}

pub fn compare_with_progress(a: &Input<'_>, b: &Input<'_>, limits: &Limits, progress: &mut dyn FnMut(Progress)) -> Result<Report, AnalyzeError> {
    progress(Progress { phase: "reading", side: Some(Side::A) });
    let image_a = read_side(a, Side::A, limits)?;
    progress(Progress { phase: "reading", side: Some(Side::B) });
    let image_b = read_side(b, Side::B, limits)?;
    progress(Progress { phase: "comparing", side: None });
    Ok(compare_images(a, &image_a, b, &image_b, limits, progress))
}

/// Compares two already decoded images (their sources are needed again for contents).
pub fn compare_images(a: &Input<'_>, ia: &Image, b: &Input<'_>, ib: &Image, limits: &Limits, progress: &mut dyn FnMut(Progress)) -> Report {
    let mut report = summarize_images(a, ia, b, ib, progress);
    fill_contents(&mut report, a, ia, b, ib, limits, progress);
    report
}

/// The report without content diffs: verdict, PCRs, layers, entries with the fields that
/// differ, and causes as far as they follow from those. Shown first while
/// [`fill_contents`] runs; only the content pass re-reads the sources.
pub fn summarize_images(a: &Input<'_>, ia: &Image, b: &Input<'_>, ib: &Image, progress: &mut dyn FnMut(Progress)) -> Report {
    let measurements = pcr_rows(ia, ib);
    // A PCR present on one side only (PCR8 of a signed image against an unsigned one) differs:
    // the unsigned enclave attests zeros there.
    let pcrs_differ: Vec<String> = measurements.iter().filter(|r| !r.equal).map(|r| r.pcr.clone()).collect();
    let identical = ia.size == ib.size && ia.blake3 == ib.blake3;
    let both_eif = ia.eif.is_some() && ib.eif.is_some();

    let mut layers = Vec::new();
    if let (Some(ea), Some(eb)) = (&ia.eif, &ib.eif) {
        layers.push(header_layer(ea, eb));
        layers.push(sections_layer(ea, eb));
        layers.push(kernel_layer(ea, eb));
        layers.push(cmdline_layer(a.source, ea, b.source, eb));
        layers.push(metadata_layer(ea, eb));
        layers.push(signature_layer(ea, eb));
    }
    // Bare ramdisk against an EIF: compare with the EIF's customer ramdisks only.
    let (skip_a, skip_b) = bare_vs_eif_skip(ia, ib);
    layers.extend(ramdisk_layers(ia, ib, skip_a, skip_b));

    let views_a: Vec<_> = ia.entry_views().into_iter().filter(|e| e.ramdisk >= skip_a).collect();
    let views_b: Vec<_> = ib.entry_views().into_iter().filter(|e| e.ramdisk >= skip_b).collect();
    let mut entries = compare_entries(
        &EntrySide { entries: &views_a, measured: ia.kind == ImageKind::Eif },
        &EntrySide { entries: &views_b, measured: ib.kind == ImageKind::Eif },
    );
    if skip_a > 0 || skip_b > 0 {
        let (eif_side, n) = if skip_a > 0 { ("A", skip_a) } else { ("B", skip_b) };
        entries.notes.push(ArchiveNote {
            id: "bare-ramdisk".into(),
            ramdisk: None,
            message: format!("one input is a bare ramdisk: it is compared with {eif_side}'s customer ramdisks (skipping its first {n}, the bootstrap)"),
        });
    }
    case_collisions(&mut entries, &views_a, &views_b);

    let mut pcr_files = Vec::new();
    for (input, image, side) in [(a, ia, Side::A), (b, ib, Side::B)] {
        if let Some((name, bytes)) = &input.pcr_file {
            pcr_files.push(check_pcr_file(name, bytes, image, side));
        }
    }

    let kind = if identical {
        VerdictKind::Identical
    } else if !both_eif {
        VerdictKind::ContentsDiffer
    } else if pcrs_differ.is_empty() {
        VerdictKind::MeasurementsEqual
    } else {
        VerdictKind::MeasurementsDiffer
    };
    let headline = match kind {
        VerdictKind::Identical => "Identical: the two files are byte for byte the same".to_owned(),
        VerdictKind::MeasurementsEqual => "Same measurements, different bytes: every PCR matches".to_owned(),
        VerdictKind::MeasurementsDiffer => format!("Measurements differ: {}", pcrs_differ.join(", ")),
        VerdictKind::ContentsDiffer => {
            let same_files = entries.changed.is_empty() && entries.added.is_empty() && entries.removed.is_empty() && entries.moved.is_empty();
            let ramdisk_layers_equal = layers.iter().filter(|l| l.id.starts_with("ramdisk-")).all(|l| l.status == LayerStatus::Equal);
            if same_files && ramdisk_layers_equal && (skip_a > 0 || skip_b > 0) {
                let (eif, bare) = if skip_a > 0 { ("A", "B") } else { ("B", "A") };
                format!("Same ramdisk: {bare} is byte for byte {eif}'s customer ramdisk")
            } else if same_files {
                "Same files, different archive bytes".to_owned()
            } else {
                "Contents differ".to_owned()
            }
        }
    };
    let first_divergence = layers
        .iter()
        .find(|l| l.status != LayerStatus::Equal && l.status != LayerStatus::Absent && !l.consequence_only)
        .map(|l| l.id.clone());
    let mut diagnostics = Vec::new();
    for (image, side) in [(ia, Side::A), (ib, Side::B)] {
        diagnostics.extend(image.diagnostics.iter().map(|d| SideDiagnostic { side, diagnostic: d.clone() }));
    }
    let mut report = Report {
        version: REPORT_VERSION,
        tool: format!("eifscope {}", env!("CARGO_PKG_VERSION")),
        a: InputSide { name: ia.name.clone(), size: ia.size, blake3: ia.blake3.clone(), summary: ia.summary() },
        b: InputSide { name: ib.name.clone(), size: ib.size, blake3: ib.blake3.clone(), summary: ib.summary() },
        verdict: Verdict { kind, pcrs_differ, headline },
        measurements,
        pcr_files,
        layers,
        first_divergence,
        entries,
        causes: Vec::new(),
        unexplained: Vec::new(),
        diagnostics,
        trimmed: None,
    };
    progress(Progress { phase: "diagnosing", side: None });
    let (causes, unexplained) = diagnose(&report);
    report.causes = causes;
    report.unexplained = unexplained;
    report
}

/// One side on its own, for when the other side could not be read: its inspect summary,
/// measurements, sections (with what each ramdisk holds) and PCR-file check; no verdict.
pub fn summarize_side(input: &Input<'_>, image: &Image, side: Side) -> SideSummary {
    let ramdisk_detail = |rd: &crate::image::ImageRamdisk| {
        let m = &rd.model;
        format!("{} · {} entries · {} bytes decompressed", compression_name(m), m.entries.len(), m.decompressed_len)
    };
    let (kind, pcrs, sections) = match &image.eif {
        Some(eif) => {
            let pcrs = eif
                .measurements
                .all()
                .iter()
                .map(|p| SidePcr { pcr: p.name.clone(), value: p.hex.clone(), fed_by: p.fed_by.iter().map(|i| section_label(eif, *i)).collect() })
                .collect();
            let sections = eif
                .sections
                .iter()
                .map(|s| SideSection {
                    name: section_label(eif, s.index),
                    offset: s.header_offset,
                    size: s.size,
                    detail: image.ramdisks.iter().find(|rd| rd.section_index == Some(s.index)).map(ramdisk_detail),
                })
                .collect();
            ("EIF".to_owned(), pcrs, sections)
        }
        None => {
            let rd = image.ramdisks.first();
            let kind = format!("ramdisk ({})", rd.map_or_else(|| "empty".to_owned(), |rd| compression_name(&rd.model)));
            let sections = rd.map(|rd| SideSection { name: "ramdisk".into(), offset: 0, size: image.size, detail: Some(ramdisk_detail(rd)) });
            (kind, Vec::new(), sections.into_iter().collect())
        }
    };
    SideSummary {
        side,
        input: InputSide { name: image.name.clone(), size: image.size, blake3: image.blake3.clone(), summary: image.summary() },
        kind,
        pcrs,
        sections,
        pcr_file: input.pcr_file.as_ref().map(|(name, bytes)| check_pcr_file(name, bytes, image, side)),
    }
}

/// Where [`fill_contents`]'s reads start on each side: a bare ramdisk against an EIF is
/// compared with the EIF's customer ramdisks only (the ramdisk numbers to skip).
pub fn content_skips(ia: &Image, ib: &Image) -> (u32, u32) {
    bare_vs_eif_skip(ia, ib)
}

/// [`fill_contents`] for a caller that read each side's contents itself
/// ([`crate::contents::read_contents`] on [`crate::contents::wanted_paths`], e.g. in two workers):
/// compares them and diagnoses again.
pub fn apply_contents(report: &mut Report, data_a: &crate::contents::SideContents, data_b: &crate::contents::SideContents, limits: &Limits, progress: &mut dyn FnMut(Progress)) {
    crate::contents::diff_contents(&mut report.entries, data_a, data_b, limits);
    progress(Progress { phase: "diagnosing", side: None });
    let (causes, unexplained) = diagnose(report);
    report.causes = causes;
    report.unexplained = unexplained;
}

/// Second pass over a [`summarize_images`] report: re-reads the changed entries' contents
/// (bounded by [`CONTENT_BYTES_EACH`] / [`CONTENT_BYTES_TOTAL`]), compares them, and
/// diagnoses again with what the contents show (embedded dates, build ids, versions…).
pub fn fill_contents(report: &mut Report, a: &Input<'_>, ia: &Image, b: &Input<'_>, ib: &Image, limits: &Limits, progress: &mut dyn FnMut(Progress)) {
    let (skip_a, skip_b) = bare_vs_eif_skip(ia, ib);
    progress(Progress { phase: "contents", side: None });
    crate::contents::fill_content_diffs(&mut report.entries, a.source, ia, skip_a, b.source, ib, skip_b, limits);
    progress(Progress { phase: "diagnosing", side: None });
    let (causes, unexplained) = diagnose(report);
    report.causes = causes;
    report.unexplained = unexplained;
}

fn bare_vs_eif_skip(ia: &Image, ib: &Image) -> (u32, u32) {
    let customer_start = |i: &Image| if i.ramdisks.len() >= 2 { 1 } else { 0 };
    match (ia.kind, ib.kind) {
        (ImageKind::Eif, ImageKind::Ramdisk) => (customer_start(ia), 0),
        (ImageKind::Ramdisk, ImageKind::Eif) => (0, customer_start(ib)),
        _ => (0, 0),
    }
}

fn pcr_rows(ia: &Image, ib: &Image) -> Vec<PcrRow> {
    let (Some(ea), Some(eb)) = (&ia.eif, &ib.eif) else {
        // A bare ramdisk has no PCRs; show the EIF side's values alone.
        let only = ia.eif.as_ref().map(|e| (e, true)).or(ib.eif.as_ref().map(|e| (e, false)));
        return match only {
            Some((eif, is_a)) => eif
                .measurements
                .all()
                .iter()
                .map(|p| PcrRow {
                    pcr: p.name.clone(),
                    a: is_a.then(|| p.hex.clone()),
                    b: (!is_a).then(|| p.hex.clone()),
                    equal: false,
                    fed_by: p.fed_by.iter().map(|i| section_label(eif, *i)).collect(),
                    note: Some("the other input is a bare ramdisk and has no measurements".into()),
                })
                .collect(),
            None => Vec::new(),
        };
    };
    let mut rows = Vec::new();
    for name in ["PCR0", "PCR1", "PCR2", "PCR8"] {
        let pa = ea.measurements.get(name);
        let pb = eb.measurements.get(name);
        if pa.is_none() && pb.is_none() {
            continue;
        }
        let mut fed_by: Vec<String> = Vec::new();
        for (eif, p) in [(ea, pa), (eb, pb)] {
            if let Some(p) = p {
                for label in p.fed_by.iter().map(|i| section_label(eif, *i)) {
                    if !fed_by.contains(&label) {
                        fed_by.push(label);
                    }
                }
            }
        }
        let note = match name {
            "PCR2" if ea.measurements.single_ramdisk || eb.measurements.single_ramdisk => {
                Some("single-ramdisk layout: PCR2 is the hash of nothing and says nothing about the application; PCR1 == PCR0".to_owned())
            }
            "PCR8" if pa.is_none() || pb.is_none() => Some("only one input is signed".to_owned()),
            _ => None,
        };
        rows.push(PcrRow {
            pcr: name.to_owned(),
            a: pa.map(|p| p.hex.clone()),
            b: pb.map(|p| p.hex.clone()),
            equal: matches!((pa, pb), (Some(x), Some(y)) if x.hex == y.hex),
            fed_by,
            note,
        });
    }
    rows
}

fn layer(id: &str, title: &str, measured: &[&str], changes: Vec<FieldChange>, notes: Vec<String>) -> Layer {
    Layer {
        id: id.to_owned(),
        title: title.to_owned(),
        status: if changes.is_empty() { LayerStatus::Equal } else { LayerStatus::Differ },
        measured: measured.iter().map(|s| (*s).to_owned()).collect(),
        changes,
        notes,
        consequence_only: false,
    }
}

fn header_layer(a: &EifModel, b: &EifModel) -> Layer {
    let (ha, hb) = (&a.header, &b.header);
    let mut c = Vec::new();
    let mut cmp = |field: &str, x: String, y: String| {
        if x != y {
            c.push(FieldChange::new(field, x, y));
        }
    };
    cmp("version", ha.version.to_string(), hb.version.to_string());
    cmp("flags", format!("{:#06x}", ha.flags), format!("{:#06x}", hb.flags));
    cmp("arch", format!("{:?}", ha.arch), format!("{:?}", hb.arch));
    cmp("default_mem", ha.default_mem.to_string(), hb.default_mem.to_string());
    cmp("default_cpus", ha.default_cpus.to_string(), hb.default_cpus.to_string());
    cmp("num_sections", ha.num_sections.to_string(), hb.num_sections.to_string());
    cmp("crc32", format!("{:#010x}", a.crc.stored), format!("{:#010x}", b.crc.stored));
    cmp("crc ok", a.crc.ok.to_string(), b.crc.ok.to_string());
    cmp("file size", a.file_size.to_string(), b.file_size.to_string());
    let mut l = layer("header", "EIF header", &[], c, vec!["the header and CRC are not measured".into()]);
    l.consequence_only = !l.changes.is_empty() && l.changes.iter().all(|c| c.field == "crc32" || c.field == "file size");
    l
}

fn short(hex: &str) -> &str {
    hex.get(..16).unwrap_or(hex)
}

fn sections_layer(a: &EifModel, b: &EifModel) -> Layer {
    let mut c = Vec::new();
    let kinds = |e: &EifModel| e.sections.iter().map(|s| section_label(e, s.index)).collect::<Vec<_>>().join(", ");
    let (ka, kb) = (kinds(a), kinds(b));
    let structural = ka != kb;
    if structural {
        c.push(FieldChange::new("layout", &ka, &kb));
    }
    // Sections by label: which payloads differ (their contents are compared in later layers).
    for s in &a.sections {
        let label = section_label(a, s.index);
        if let Some(t) = b.sections.iter().find(|t| section_label(b, t.index) == label) {
            if s.sha384 != t.sha384 {
                c.push(FieldChange::new(&label, format!("{} bytes, sha384 {}", s.size, short(&s.sha384)), format!("{} bytes, sha384 {}", t.size, short(&t.sha384))));
            }
        }
    }
    let mut notes = vec![format!("A: {ka}"), format!("B: {kb}")];
    for (eif, side) in [(a, "A"), (b, "B")] {
        if !eif.walk.agrees_with_table {
            notes.push(format!("{side}: AWS's back-to-back section walk disagrees with the offset table (see diagnostics)"));
        }
    }
    let mut l = layer("sections", "Section list", &[], c, notes);
    l.consequence_only = !structural && !l.changes.is_empty();
    l
}

/// Labels of the sections whose payloads differ ("Ramdisk[1]", "Metadata"), from the layer.
pub fn sections_differ(report: &Report) -> Vec<String> {
    report.layers.iter().filter(|l| l.id == "sections").flat_map(|l| l.changes.iter().filter(|c| c.field != "layout").map(|c| c.field.clone())).collect()
}

fn kernel_layer(a: &EifModel, b: &EifModel) -> Layer {
    let mut c = Vec::new();
    match (&a.kernel, &b.kernel) {
        (Some(ka), Some(kb)) => {
            if ka.sha384 != kb.sha384 {
                c.push(FieldChange::new("sha384", &ka.sha384, &kb.sha384));
            }
            if ka.size != kb.size {
                c.push(FieldChange::new("size", ka.size, kb.size));
            }
            if ka.version != kb.version {
                c.push(FieldChange::new("version", ka.version.as_deref().unwrap_or("-"), kb.version.as_deref().unwrap_or("-")));
            }
            if ka.format != kb.format {
                c.push(FieldChange::new("format", format!("{:?}", ka.format), format!("{:?}", kb.format)));
            }
        }
        (ka, kb) => {
            if ka.is_some() != kb.is_some() {
                c.push(FieldChange::new("kernel", ka.is_some(), kb.is_some()));
            }
        }
    }
    let notes = a.kernel.as_ref().and_then(|k| k.version.clone()).map(|v| vec![format!("A: {v}")]).unwrap_or_default();
    layer("kernel", "Kernel", &["PCR0", "PCR1"], c, notes)
}

fn read_section(src: &dyn ByteSource, s: &Section) -> Option<Vec<u8>> {
    let len = usize::try_from(s.present_len.min(MAX_CMDLINE)).ok()?;
    let mut buf = vec![0u8; len];
    src.read_at(s.data_offset, &mut buf).ok()?;
    Some(buf)
}

fn cmdline_layer(src_a: &dyn ByteSource, a: &EifModel, src_b: &dyn ByteSource, b: &EifModel) -> Layer {
    let get = |src: &dyn ByteSource, e: &EifModel| e.sections_of(SectionKind::Cmdline).next().and_then(|s| read_section(src, s)).unwrap_or_default();
    let (ca, cb) = (get(src_a, a), get(src_b, b));
    let mut c = Vec::new();
    let mut notes = Vec::new();
    if ca != cb {
        let ta: Vec<String> = String::from_utf8_lossy(&ca).split_whitespace().map(str::to_owned).collect();
        let tb: Vec<String> = String::from_utf8_lossy(&cb).split_whitespace().map(str::to_owned).collect();
        let removed: Vec<&String> = ta.iter().filter(|t| !tb.contains(t)).collect();
        let added: Vec<&String> = tb.iter().filter(|t| !ta.contains(t)).collect();
        for t in &removed {
            c.push(FieldChange::new("token removed", t.as_str(), ""));
        }
        for t in &added {
            c.push(FieldChange::new("token added", "", t.as_str()));
        }
        if removed.is_empty() && added.is_empty() {
            c.push(FieldChange::new("cmdline", crate::formats::bytes::escape_bytes(&ca), crate::formats::bytes::escape_bytes(&cb)));
            notes.push("same tokens, different order or whitespace".into());
        }
    }
    notes.push(format!("A: {}", crate::formats::bytes::escape_bytes(&ca)));
    layer("cmdline", "Kernel command line", &["PCR0", "PCR1"], c, notes)
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        other => {
            out.insert(prefix.trim_start_matches('.').to_owned(), other.to_string());
        }
    }
}

fn metadata_layer(a: &EifModel, b: &EifModel) -> Layer {
    let mut fa = BTreeMap::new();
    let mut fb = BTreeMap::new();
    if let Some(m) = &a.metadata {
        flatten("", &m.value, &mut fa);
    }
    if let Some(m) = &b.metadata {
        flatten("", &m.value, &mut fb);
    }
    let keys: BTreeSet<&String> = fa.keys().chain(fb.keys()).collect();
    let c: Vec<FieldChange> = keys
        .into_iter()
        .filter(|k| fa.get(*k) != fb.get(*k))
        .map(|k| FieldChange::new(k, fa.get(k).map(String::as_str).unwrap_or("(absent)"), fb.get(k).map(String::as_str).unwrap_or("(absent)")))
        .collect();
    let mut l = layer("metadata", "Metadata", &[], c, vec!["metadata is NOT measured: it changes the file and its CRC, never a PCR".into()]);
    if a.metadata.is_none() && b.metadata.is_none() {
        l.status = LayerStatus::Absent;
    }
    l
}

fn signature_layer(a: &EifModel, b: &EifModel) -> Layer {
    let mut c = Vec::new();
    let mut notes = Vec::new();
    let status = match (&a.signature, &b.signature) {
        (None, None) => LayerStatus::Absent,
        (Some(_), None) => LayerStatus::OnlyA,
        (None, Some(_)) => LayerStatus::OnlyB,
        (Some(sa), Some(sb)) => {
            let (ca, cb) = (&sa.certificate, &sb.certificate);
            for (f, x, y) in [
                ("subject", &ca.subject, &cb.subject),
                ("issuer", &ca.issuer, &cb.issuer),
                ("serial", &ca.serial, &cb.serial),
                ("not_before", &ca.not_before, &cb.not_before),
                ("not_after", &ca.not_after, &cb.not_after),
                ("key_algorithm", &ca.key_algorithm, &cb.key_algorithm),
                ("fingerprint", &ca.sha384_fingerprint, &cb.sha384_fingerprint),
                ("PCR8", &sa.pcr8, &sb.pcr8),
            ] {
                if x != y {
                    c.push(FieldChange::new(f, x, y));
                }
            }
            if sa.verification.verified != sb.verification.verified {
                c.push(FieldChange::new("verified", sa.verification.verified, sb.verification.verified));
            }
            if c.is_empty() {
                notes.push("same certificate; signature bytes may still differ (ECDSA is randomised) and are not measured".into());
                LayerStatus::Equal
            } else {
                LayerStatus::Differ
            }
        }
    };
    if let Some(s) = &a.signature {
        notes.push(format!("A signed by {} ({})", s.certificate.subject, s.verification.reason));
    }
    if let Some(s) = &b.signature {
        notes.push(format!("B signed by {} ({})", s.certificate.subject, s.verification.reason));
    }
    Layer { id: "signature".into(), title: "Signature".into(), status, measured: vec!["PCR8".into()], changes: c, notes, consequence_only: false }
}

fn ramdisk_layers(ia: &Image, ib: &Image, skip_a: u32, skip_b: u32) -> Vec<Layer> {
    let ra: Vec<_> = ia.ramdisks.iter().filter(|r| r.index >= skip_a).collect();
    let rb: Vec<_> = ib.ramdisks.iter().filter(|r| r.index >= skip_b).collect();
    let measured_eif = ia.kind == ImageKind::Eif || ib.kind == ImageKind::Eif;
    let mut out = Vec::new();
    for i in 0..ra.len().max(rb.len()) {
        let (x, y) = (ra.get(i), rb.get(i));
        let index = x.or(y).map(|r| r.index).unwrap_or(0);
        let pcrs = ramdisk_pcrs(index, measured_eif);
        let pcrs: Vec<&str> = pcrs.iter().map(String::as_str).collect();
        let label = match (x, y) {
            (Some(x), Some(y)) if x.index != y.index => format!("Ramdisk A[{}] / B[{}]", x.index, y.index),
            _ => format!("Ramdisk {index}"),
        };
        let (Some(x), Some(y)) = (x, y) else {
            let status = if x.is_some() { LayerStatus::OnlyA } else { LayerStatus::OnlyB };
            for suffix in ["compression", "archive"] {
                out.push(Layer { id: format!("ramdisk-{index}-{suffix}"), title: format!("{label} {suffix}"), status, measured: pcrs.iter().map(|s| (*s).to_owned()).collect(), changes: Vec::new(), notes: Vec::new(), consequence_only: false });
            }
            continue;
        };
        let (mx, my) = (&x.model, &y.model);
        let mut c = Vec::new();
        let (fx, fy) = (compression_name(mx), compression_name(my));
        if fx != fy {
            c.push(FieldChange::new("format", &fx, &fy));
        }
        let gx = mx.layers.first().and_then(|l| l.gzip.as_ref());
        let gy = my.layers.first().and_then(|l| l.gzip.as_ref());
        if let (Some(gx), Some(gy)) = (gx, gy) {
            if gx.mtime != gy.mtime {
                c.push(FieldChange::new("gzip mtime", gx.mtime, gy.mtime));
            }
            if gx.xfl != gy.xfl {
                c.push(FieldChange::new("gzip xfl (level hint)", format!("{} ({:?})", gx.xfl, gx.level_hint), format!("{} ({:?})", gy.xfl, gy.level_hint)));
            }
            if gx.os != gy.os {
                c.push(FieldChange::new("gzip os", gx.os_name(), gy.os_name()));
            }
            if gx.name != gy.name {
                let show = |n: &Option<Vec<u8>>| n.as_deref().map(crate::formats::bytes::escape_bytes).unwrap_or_else(|| "(none)".into());
                c.push(FieldChange::new("gzip name", show(&gx.name), show(&gy.name)));
            }
        }
        if mx.layers.len() != my.layers.len() {
            c.push(FieldChange::new("members", mx.layers.len(), my.layers.len()));
        }
        let same_archive = mx.decompressed_digest == my.decompressed_digest && mx.decompressed_len == my.decompressed_len;
        let section_sha = |im: &Image, r: &crate::image::ImageRamdisk| {
            r.section_index.and_then(|s| im.eif.as_ref().and_then(|e| e.sections.iter().find(|x| x.index == s)).map(|x| x.sha384.clone()))
        };
        let (sx, sy) = (section_sha(ia, x), section_sha(ib, y));
        let compressed_differ = match (&sx, &sy) {
            (Some(a), Some(b)) => a != b,
            _ => mx.len != my.len || !same_archive,
        };
        if compressed_differ && same_archive && c.is_empty() && fx == fy && !fx.starts_with("cpio") {
            c.push(FieldChange::new("compressed bytes", format!("{} bytes", mx.len), format!("{} bytes", my.len)));
        }
        let mut notes = Vec::new();
        if same_archive && compressed_differ {
            notes.push("cpio identical, compressed bytes differ".into());
        }
        let mut comp = layer(&format!("ramdisk-{index}-compression"), &format!("{label} compression"), &pcrs, c, notes);
        if fx.starts_with("cpio") && fy.starts_with("cpio") && comp.changes.is_empty() {
            comp.notes.push("not compressed".into());
        }
        out.push(comp);
        let mut ac = Vec::new();
        if !same_archive {
            ac.push(FieldChange::new("decompressed", format!("{} bytes, digest {}", mx.decompressed_len, short(&hex::encode(mx.decompressed_digest))), format!("{} bytes, digest {}", my.decompressed_len, short(&hex::encode(my.decompressed_digest)))));
        }
        if mx.entries.len() != my.entries.len() {
            ac.push(FieldChange::new("entries", mx.entries.len(), my.entries.len()));
        }
        if mx.archives.len() != my.archives.len() {
            ac.push(FieldChange::new("archives", mx.archives.len(), my.archives.len()));
        }
        let trailer_pad = |m: &crate::formats::ramdisk::Ramdisk| m.archives.last().map(|a| a.padding_after).unwrap_or(0);
        if trailer_pad(mx) != trailer_pad(my) {
            ac.push(FieldChange::new("padding after trailer", trailer_pad(mx), trailer_pad(my)));
        }
        out.push(layer(&format!("ramdisk-{index}-archive"), &format!("{label} cpio archive"), &pcrs, ac, Vec::new()));
    }
    out
}

/// Names on one side that differ from a name on the other side only by letter case.
fn case_collisions(entries: &mut crate::report::EntryChanges, a: &[crate::compare::entries::EntryView], b: &[crate::compare::entries::EntryView]) {
    use crate::formats::bytes::escape_bytes;
    let lower = |p: &[u8]| p.to_ascii_lowercase();
    let set_a: BTreeSet<Vec<u8>> = a.iter().map(|e| e.path.clone()).collect();
    let set_b: BTreeSet<Vec<u8>> = b.iter().map(|e| e.path.clone()).collect();
    let mut found = Vec::new();
    for (mine, other) in [(&set_a, &set_b), (&set_b, &set_a)] {
        let mut by_lower: BTreeMap<Vec<u8>, Vec<&Vec<u8>>> = BTreeMap::new();
        for p in mine.iter() {
            by_lower.entry(lower(p)).or_default().push(p);
        }
        for (_, group) in by_lower.into_iter().filter(|(_, g)| g.len() > 1) {
            for p in group {
                if !other.contains(p) {
                    found.push(escape_bytes(p));
                }
            }
        }
    }
    if !found.is_empty() {
        found.sort();
        found.dedup();
        entries.notes.push(ArchiveNote {
            id: "case-collision".into(),
            ramdisk: None,
            message: format!("names that differ only by case, present on one side only: {}", found.join(", ")),
        });
        entries.case_collisions = found;
    }
}

fn check_pcr_file(name: &str, bytes: &[u8], image: &Image, side: Side) -> PcrFileCheck {
    match pcrs::parse(bytes) {
        Ok(file) => {
            let cmp = pcrs::compare(&file, &image.pcr_values());
            let rows = cmp
                .rows
                .iter()
                .filter_map(|r| {
                    r.file.map(|f| PcrFileRow { pcr: format!("PCR{}", r.index), file: hex::encode(f), measured: r.measured.map(hex::encode), equal: r.equal == Some(true) })
                })
                .collect();
            PcrFileCheck {
                side,
                file_name: name.to_owned(),
                format: serde_json::to_value(file.format).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
                matches: cmp.matches,
                rows,
                error: None,
            }
        }
        Err(e) => PcrFileCheck { side, file_name: name.to_owned(), format: "unknown".into(), matches: false, rows: Vec::new(), error: Some(e.to_string()) },
    }
}

/// The CLI's terminal summary of a report.
pub fn terminal_summary(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", report.verdict.headline);
    for row in &report.measurements {
        let state = row.state_label();
        let mark = match state {
            "equal" => "=",
            "differs" => "≠",
            _ => "·",
        };
        let side_note = if mark == "·" { format!("  ({state})") } else { String::new() };
        let _ = writeln!(out, "  {} {mark}  A {}  B {}{side_note}", row.pcr, row.a.as_deref().map(short).unwrap_or("-"), row.b.as_deref().map(short).unwrap_or("-"));
    }
    for check in &report.pcr_files {
        let _ = writeln!(out, "  pcr file {} ({:?}): {}", check.file_name, check.side, if check.matches { "matches" } else { "does NOT match" });
    }
    if let Some(first) = &report.first_divergence {
        let _ = writeln!(out, "  first divergence: {first}");
    }
    let e = &report.entries;
    let _ = writeln!(out, "  entries: {} changed, {} added, {} removed, {} moved", e.changed.len(), e.added.len(), e.removed.len(), e.moved.len());
    for c in e.changed.iter().take(20) {
        let _ = writeln!(out, "    ~ {} ({})", c.path, c.fields.join(", "));
    }
    for r in e.added.iter().take(20) {
        let _ = writeln!(out, "    + {}", r.path);
    }
    for r in e.removed.iter().take(20) {
        let _ = writeln!(out, "    - {}", r.path);
    }
    if !report.causes.is_empty() {
        let _ = writeln!(out, "likely causes:");
        for c in &report.causes {
            let _ = writeln!(out, "  [{}] {} ({:?}, explains {})\n      fix: {}", c.id, c.title, c.confidence, c.explains, c.fix);
        }
    }
    for u in &report.unexplained {
        let _ = writeln!(out, "  unexplained: {u}");
    }
    out
}
