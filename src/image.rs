//! One input fully decoded: an EIF (header, sections, measurements, kernel, metadata,
//! signature, every ramdisk walked) or a bare ramdisk file (rootfs.cpio, rootfs.cpio.gz).
//!
//! Architecture Invariant: the image is read through a `ByteSource`; ramdisks are walked as
//! streams, so the model holds entry headers, digests and small retained files, never a whole
//! decompressed ramdisk. A second pass (`fetch_contents`) reads chosen entries again.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::compare::entries::{normalise_path, EntryView};
use crate::diagnostics::Diagnostic;
use crate::formats::bytes::escape_bytes;
use crate::formats::compression::{sniff, Checkpoints};
use crate::formats::eif::{read_eif_with, EifError, EifModel, SectionKind};
use crate::formats::pcrs::PcrValue;
use crate::formats::ramdisk::{self, Ramdisk};
use crate::limits::Limits;
use crate::source::ByteSource;

/// Bytes hashed per read when streaming a whole file.
const CHUNK: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageKind {
    Eif,
    /// A bare cpio archive or compressed cpio, with no EIF around it.
    Ramdisk,
}

/// One decoded ramdisk and where it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageRamdisk {
    /// Ramdisk number (0 = first ramdisk section).
    pub index: u32,
    /// Offset-table slot of its section (None for a bare ramdisk file).
    pub section_index: Option<usize>,
    pub model: Ramdisk,
    /// Inflate checkpoints from the first pass, for the second ([`ramdisk::fetch_entries_seeking`]).
    /// Not transported ([`Image::to_transport`]): they stay with the worker that decoded the
    /// image, which also reads its contents; without them contents are found by a re-walk.
    #[serde(skip)]
    pub checkpoints: Checkpoints,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Image {
    pub name: String,
    pub size: u64,
    /// BLAKE3 of the whole file, lowercase hex.
    pub blake3: String,
    pub kind: ImageKind,
    pub eif: Option<EifModel>,
    pub ramdisks: Vec<ImageRamdisk>,
    pub diagnostics: Vec<Diagnostic>,
}

/// An input that is neither an EIF nor a ramdisk, or could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageError {
    pub offset: u64,
    pub message: String,
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ImageError {}

impl From<EifError> for ImageError {
    fn from(e: EifError) -> ImageError {
        ImageError { offset: e.offset, message: e.to_string() }
    }
}

fn file_blake3(src: &dyn ByteSource) -> Result<String, ImageError> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0u64;
    let len = src.len();
    while offset < len {
        let n = usize::try_from((len - offset).min(CHUNK as u64)).unwrap_or(CHUNK);
        src.read_at(offset, &mut buf[..n]).map_err(|e| ImageError { offset, message: e.to_string() })?;
        hasher.update(&buf[..n]);
        offset += n as u64;
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// Decodes `src` (named `name` for display) into an [`Image`].
pub fn read_image(name: &str, src: &dyn ByteSource, limits: &Limits) -> Result<Image, ImageError> {
    let mut head = [0u8; 8];
    let n = usize::try_from(src.len().min(8)).unwrap_or(0);
    src.read_at(0, &mut head[..n]).map_err(|e| ImageError { offset: 0, message: e.to_string() })?;
    if n >= 4 && head[..4] == *b".eif" {
        // The EIF's single streaming pass hashes the whole file and parses each ramdisk as
        // its bytes go by.
        let mut ramdisks = Vec::new();
        let eif = read_eif_with(src, &mut |section, source| {
            let (model, checkpoints) = ramdisk::parse_ramdisk_indexed(source, section.data_offset, section.present_len, limits);
            // At most MAX_SECTIONS ramdisks: fits in u32.
            ramdisks.push(ImageRamdisk { index: ramdisks.len() as u32, section_index: Some(section.index), model, checkpoints });
        })?;
        let blake3 = eif.blake3.clone();
        let mut diagnostics = eif.diagnostics.clone();
        for rd in &ramdisks {
            let context = format!("ramdisk {}", rd.index);
            diagnostics.extend(rd.model.diagnostics.iter().map(|d| Diagnostic { context: format!("{context} {}", d.context), ..d.clone() }));
            if let Some(err) = &rd.model.error {
                diagnostics.push(Diagnostic::error(context, Some(err.offset), err.to_string()));
            }
        }
        return Ok(Image { name: name.to_owned(), size: src.len(), blake3, kind: ImageKind::Eif, eif: Some(eif), ramdisks, diagnostics });
    }
    let sniffed = sniff(&head[..n]);
    if sniffed.is_compressed() || sniffed.is_cpio() {
        let blake3 = file_blake3(src)?;
        let (model, checkpoints) = ramdisk::parse_ramdisk_indexed(src, 0, src.len(), limits);
        if model.entries.is_empty() {
            if let Some(err) = &model.error {
                return Err(ImageError { offset: err.offset, message: format!("{} ramdisk: {err}", sniffed.name()) });
            }
        }
        let mut diagnostics = model.diagnostics.clone();
        if let Some(err) = &model.error {
            diagnostics.push(Diagnostic::error("ramdisk", Some(err.offset), err.to_string()));
        }
        return Ok(Image {
            name: name.to_owned(),
            size: src.len(),
            blake3,
            kind: ImageKind::Ramdisk,
            eif: None,
            ramdisks: vec![ImageRamdisk { index: 0, section_index: None, model, checkpoints }],
            diagnostics,
        });
    }
    Err(ImageError {
        offset: 0,
        message: format!(
            "not an eif (magic {}, expected 2e656966) nor a cpio, gzip, xz or zstd ramdisk",
            hex::encode(&head[..n.min(4)])
        ),
    })
}

impl Image {
    /// The whole decoded image as JSON text, to hand it to another worker (the browser reads
    /// A and B in two workers and compares in one). [`Image::from_transport`] reads it back.
    pub fn to_transport(&self) -> Result<String, String> {
        serde_json::to_string(self).map_err(|err| format!("the decoded image could not be serialised: {err}"))
    }

    /// [`Image::to_transport`] without the small files' contents the first pass kept: for a
    /// worker that keeps the image and answers content reads itself. The contents are moved
    /// aside while serialising and put back, not copied (they are up to
    /// `Limits::retain_total_bytes`).
    pub fn to_transport_lean(&mut self) -> Result<String, String> {
        let mut kept: Vec<Option<Vec<u8>>> = Vec::new();
        for rd in &mut self.ramdisks {
            kept.extend(rd.model.entries.iter_mut().map(|entry| entry.data.take()));
        }
        let json = self.to_transport();
        let mut kept = kept.into_iter();
        for rd in &mut self.ramdisks {
            for entry in &mut rd.model.entries {
                entry.data = kept.next().flatten();
            }
        }
        json
    }

    /// Reads what [`Image::to_transport`] wrote. Section kinds are restored from their type
    /// codes (an unknown code is written only as "Unknown").
    pub fn from_transport(text: &str) -> Result<Image, String> {
        let mut image: Image = serde_json::from_str(text).map_err(|err| format!("a decoded image from the other worker could not be read: {err}"))?;
        if let Some(eif) = &mut image.eif {
            for section in &mut eif.sections {
                section.kind = SectionKind::from_code(section.type_code);
            }
        }
        Ok(image)
    }

    /// Measured PCRs by index (empty for a bare ramdisk).
    pub fn pcr_values(&self) -> BTreeMap<u8, PcrValue> {
        let mut out = BTreeMap::new();
        if let Some(eif) = &self.eif {
            let m = &eif.measurements;
            out.insert(0, m.pcr0.raw);
            out.insert(1, m.pcr1.raw);
            out.insert(2, m.pcr2.raw);
            if let Some(p8) = &m.pcr8 {
                out.insert(8, p8.raw);
            }
        }
        out
    }

    /// The content size of entry `ei` of ramdisk position `ri` (a hard link's group data size).
    pub fn entry_content_size(&self, ri: usize, ei: usize) -> u64 {
        let Some(rd) = self.ramdisks.get(ri) else { return 0 };
        let Some(e) = rd.model.entries.get(ei) else { return 0 };
        match e.link_group {
            Some(g) => rd.model.entries.iter().filter(|x| x.link_group == Some(g)).map(|x| x.filesize).max().unwrap_or(0),
            None => e.filesize,
        }
    }

    /// Every entry of every ramdisk, in ramdisk then archive order, as the comparison sees it.
    pub fn entry_views(&self) -> Vec<EntryView> {
        let mut out = Vec::new();
        for rd in &self.ramdisks {
            let entries = &rd.model.entries;
            // Per link group: the members' names and the data size stored with the holder.
            let mut groups: BTreeMap<u32, (Vec<Vec<u8>>, u64)> = BTreeMap::new();
            for e in entries {
                if let Some(g) = e.link_group {
                    let slot = groups.entry(g).or_default();
                    slot.0.push(normalise_path(&e.name));
                    slot.1 = slot.1.max(e.filesize);
                }
            }
            for e in entries {
                let path = normalise_path(&e.name);
                let (link_peers, size) = match e.link_group.and_then(|g| groups.get(&g)) {
                    Some((names, size)) => {
                        let mut peers: Vec<Vec<u8>> = names.iter().filter(|n| **n != path).cloned().collect();
                        peers.sort();
                        (peers, *size)
                    }
                    None => (Vec::new(), e.filesize),
                };
                out.push(EntryView {
                    path,
                    ramdisk: rd.index,
                    order: u32::try_from(e.index).unwrap_or(u32::MAX),
                    mode: e.mode,
                    uid: e.uid,
                    gid: e.gid,
                    nlink: e.nlink,
                    mtime: e.mtime,
                    rdev: (e.rdev_major, e.rdev_minor),
                    ino: e.ino,
                    dev: (e.dev_major, e.dev_minor),
                    size,
                    digest: e.content_blake3,
                    symlink_target: e.symlink_target.clone(),
                    link_peers,
                });
            }
        }
        out
    }

    /// The inspect model: what `eifscope inspect --json` prints and a report embeds per side.
    pub fn summary(&self) -> Value {
        let ramdisks: Vec<Value> = self.ramdisks.iter().map(ramdisk_summary).collect();
        let mut v = json!({
            "name": self.name,
            "kind": self.kind,
            "size": self.size,
            "blake3": self.blake3,
        });
        let obj = v.as_object_mut().expect("json! object");
        if let Some(eif) = &self.eif {
            let h = &eif.header;
            obj.insert("version".into(), json!(h.version));
            obj.insert("flags".into(), json!(h.flags));
            obj.insert("arch".into(), json!(h.arch));
            obj.insert("unknown_flag_bits".into(), json!(h.unknown_flag_bits));
            obj.insert("default_mem".into(), json!(h.default_mem));
            obj.insert("default_cpus".into(), json!(h.default_cpus));
            obj.insert(
                "crc".into(),
                json!({"stored": format!("{:#010x}", eif.crc.stored), "computed": format!("{:#010x}", eif.crc.computed), "ok": eif.crc.ok}),
            );
            let sections: Vec<Value> = eif
                .sections
                .iter()
                .map(|s| {
                    json!({"index": s.index, "type": s.kind.name(), "type_code": s.type_code, "offset": s.header_offset,
                           "data_offset": s.data_offset, "size": s.size, "sha384": s.sha384})
                })
                .collect();
            obj.insert("sections".into(), Value::Array(sections));
            obj.insert("section_walk_agrees".into(), json!(eif.walk.agrees_with_table));
            let mut m = serde_json::Map::new();
            for pcr in eif.measurements.all() {
                m.insert(pcr.name.clone(), json!(pcr.hex));
            }
            obj.insert("measurements".into(), Value::Object(m));
            let fed: serde_json::Map<String, Value> = eif
                .measurements
                .all()
                .iter()
                .map(|p| (p.name.clone(), json!(p.fed_by.iter().map(|i| section_label(eif, *i)).collect::<Vec<_>>())))
                .collect();
            obj.insert("fed_by".into(), Value::Object(fed));
            obj.insert("single_ramdisk".into(), json!(eif.measurements.single_ramdisk));
            obj.insert("measurement_notes".into(), json!(eif.measurements.notes));
            obj.insert("metadata".into(), eif.metadata.as_ref().map(|m| m.value.clone()).unwrap_or(Value::Null));
            obj.insert("signature".into(), match &eif.signature {
                Some(sig) => json!({
                    "certificate": sig.certificate,
                    "cose": sig.cose,
                    "verified": sig.verification.verified,
                    "verification": sig.verification.reason,
                    "signed_pcr0_matches": sig.signed_pcr0_matches,
                    "pcr8": sig.pcr8,
                }),
                None => Value::Null,
            });
            obj.insert("kernel".into(), serde_json::to_value(&eif.kernel).unwrap_or(Value::Null));
        }
        obj.insert("ramdisks".into(), Value::Array(ramdisks));
        obj.insert("diagnostics".into(), serde_json::to_value(&self.diagnostics).unwrap_or(Value::Null));
        v
    }
}

/// "Kernel", "Cmdline", "Ramdisk[1]", "Signature": how a report names a section.
pub fn section_label(eif: &EifModel, slot: usize) -> String {
    let Some(section) = eif.sections.iter().find(|s| s.index == slot) else { return format!("section {slot}") };
    match section.kind {
        SectionKind::Ramdisk => {
            let n = eif.sections.iter().filter(|s| s.kind == SectionKind::Ramdisk && s.index < slot).count();
            format!("Ramdisk[{n}]")
        }
        kind => kind.name().to_owned(),
    }
}

/// "gzip", "cpio newc", "gzip+gzip": the formats of a ramdisk's layers.
pub fn compression_name(rd: &Ramdisk) -> String {
    let mut names: Vec<&str> = rd.layers.iter().map(|l| l.format.name()).collect();
    names.dedup();
    if names.is_empty() {
        "empty".to_owned()
    } else {
        names.join("+")
    }
}

fn ramdisk_summary(rd: &ImageRamdisk) -> Value {
    let m = &rd.model;
    json!({
        "index": rd.index,
        "section_index": rd.section_index,
        "compression": compression_name(m),
        "entries": m.entries.len(),
        "archives": m.archives.len(),
        "compressed_size": m.len,
        "decompressed_size": m.decompressed_len,
        "decompressed_digest": hex::encode(m.decompressed_digest),
        "layers": m.layers,
        "error": m.error.as_ref().map(|e| e.to_string()),
    })
}

fn kind_char(mode: u32) -> char {
    match mode & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o020000 => 'c',
        0o060000 => 'b',
        0o010000 => 'p',
        0o140000 => 's',
        _ => '-',
    }
}

/// `eifscope inspect --entries`: every cpio entry, like `cpio -itv` but lossless (numeric
/// ids, full mode, raw mtime, rdev, escaped names).
pub fn entries_listing(image: &Image) -> String {
    let mut out = String::from("ramdisk  mode     uid   gid   nlink  mtime       size        rdev    name\n");
    for rd in &image.ramdisks {
        for e in &rd.model.entries {
            let _ = write!(
                out,
                "{:<8} {}{:07o} {:<5} {:<5} {:<6} {:<11} {:<11} {:<7} {}",
                rd.index,
                kind_char(e.mode),
                e.mode,
                e.uid,
                e.gid,
                e.nlink,
                e.mtime,
                e.filesize,
                format!("{}:{}", e.rdev_major, e.rdev_minor),
                escape_bytes(&e.name)
            );
            if let Some(target) = &e.symlink_target {
                let _ = write!(out, " -> {}", escape_bytes(target));
            }
            out.push('\n');
        }
    }
    out
}

/// A short human summary for `eifscope inspect`.
pub fn human_summary(image: &Image) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({} bytes)", image.name, image.size);
    let _ = writeln!(out, "  blake3  {}", image.blake3);
    if let Some(eif) = &image.eif {
        let h = &eif.header;
        let _ = writeln!(out, "  eif version {} · {:?} · flags {:#06x} · {} sections", h.version, h.arch, h.flags, h.num_sections);
        let _ = writeln!(out, "  crc32   stored {:#010x} computed {:#010x} ({})", eif.crc.stored, eif.crc.computed, if eif.crc.ok { "ok" } else { "MISMATCH" });
        for s in &eif.sections {
            let _ = writeln!(out, "  section {} {:<10} at {:#x}, {} bytes", s.index, section_label(eif, s.index), s.header_offset, s.size);
        }
        for p in eif.measurements.all() {
            let _ = writeln!(out, "  {}    {}", p.name, p.hex);
        }
        for note in &eif.measurements.notes {
            let _ = writeln!(out, "  note    {note}");
        }
        if let Some(k) = &eif.kernel {
            let _ = writeln!(out, "  kernel  {:?} {}", k.format, k.version.as_deref().unwrap_or("(no version string)"));
        }
        if let Some(m) = &eif.metadata {
            let _ = writeln!(
                out,
                "  image   {} {} built {} by {} {}",
                m.image_name.as_deref().unwrap_or("?"),
                m.image_version.as_deref().unwrap_or("?"),
                m.build_time.as_deref().unwrap_or("?"),
                m.build_tool.as_deref().unwrap_or("?"),
                m.build_tool_version.as_deref().unwrap_or("")
            );
        }
        if let Some(sig) = &eif.signature {
            let _ = writeln!(out, "  signer  {} ({})", sig.certificate.subject, if sig.verification.verified { "signature verified" } else { "signature NOT verified" });
        }
    }
    for rd in &image.ramdisks {
        let _ = writeln!(out, "  ramdisk {} {} · {} entries · {} bytes decompressed", rd.index, compression_name(&rd.model), rd.model.entries.len(), rd.model.decompressed_len);
    }
    for d in &image.diagnostics {
        let _ = writeln!(out, "  {d}");
    }
    out
}
