//! The EIF container: header, section table, sections, CRC-32, layout diagnostics.
//!
//! Layout (docs: EIF-FORMAT.md section 1): a 548-byte big-endian header with a 32-slot table of
//! section offsets/sizes, then sections, each a 12-byte header (`type u16`, `flags u16`,
//! `size u64`) followed by its payload. Sections are taken from the **offset table**, as the
//! Nitro hypervisor does; AWS's `EifReader` instead walks section headers back to back from
//! offset 548, so [`read_eif`] computes that walk too and reports where the two disagree.
//!
//! [`read_eif`] reads the file once, in 1 MiB chunks, feeding the CRC, the whole file's BLAKE3,
//! every section's SHA-384 and the PCR accumulators from the same chunk (see [`super::measure`]);
//! a section that alone feeds a PCR register (the customer ramdisk into PCR2) takes its SHA-384
//! from that register's hasher instead of hashing its bytes twice. Only the Signature and
//! Metadata payloads (capped by [`MAX_SIGNATURE_LEN`], [`MAX_METADATA_LEN`]) and a few KiB of the
//! kernel head are read a second time to be decoded.
//!
//! Hard failures ([`EifError`]): too short for the header, bad magic, unsupported version,
//! `num_sections` > 32, a source read failure. Everything else (out-of-range offsets, gaps,
//! overlaps, truncated payloads, odd section types…) becomes a [`Diagnostic`] next to the
//! partial model.

use std::cell::RefCell;
use std::fmt;

use serde::{Deserialize, Serialize, Serializer};
use sha2::{Digest, Sha384};

use super::bytes::{to_hex, Cursor};
use super::kernel::{self, KernelInfo};
use super::measure::{self, Measurements, PcrAccumulator};
use super::metadata::{self, Metadata};
use super::signature::{self, SignatureInfo};
use crate::diagnostics::Diagnostic;
use crate::source::{ByteSource, SourceError};

/// Bytes in the EIF header.
pub const HEADER_LEN: u64 = 548;
/// Offset of the stored CRC-32 (big-endian) inside the header; its 4 bytes are not checksummed.
pub const CRC_OFFSET: u64 = 544;
/// Bytes in one section header (`type u16`, `flags u16`, `size u64`).
pub const SECTION_HEADER_LEN: u64 = 12;
/// Slots in the header's offset/size table, and the most sections an EIF may declare.
pub const MAX_SECTIONS: usize = 32;
/// `.eif`
pub const MAGIC: [u8; 4] = *b".eif";
/// Largest Signature payload decoded (AWS caps it at 32 KiB; we allow more and say so).
pub const MAX_SIGNATURE_LEN: u64 = 1 << 20;
/// Largest Metadata payload decoded.
pub const MAX_METADATA_LEN: u64 = 16 << 20;
/// Bytes read per chunk in the single streaming pass.
pub const CHUNK_LEN: usize = 1 << 20;
/// How many payload bytes [`Section::first_bytes`] shows.
pub const FIRST_BYTES_LEN: usize = 8;
/// The back-to-back walk gives up after this many section headers.
pub const MAX_WALK_SECTIONS: usize = 256;

const CONTEXT: &str = "eif";

/// CPU architecture from header flag bit 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    X86_64,
    Aarch64,
}

/// The 548-byte EIF header, every field as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EifHeader {
    /// Lowercase hex of the first 4 bytes (`2e656966`).
    pub magic: String,
    pub version: u16,
    pub flags: u16,
    /// From flag bit 0.
    pub arch: Arch,
    /// Bit numbers (1..=15) set in `flags` that have no meaning in AWS's format (Bottlerocket
    /// sets 6 and 9). Shown, never rejected.
    pub unknown_flag_bits: Vec<u8>,
    pub default_mem: u64,
    pub default_cpus: u64,
    pub reserved: u16,
    pub num_sections: u16,
    /// All 32 offset slots (absolute offsets of section headers; unused slots are 0).
    pub section_offsets: Vec<u64>,
    /// All 32 size slots (payload sizes, without the 12-byte section header).
    pub section_sizes: Vec<u64>,
    pub unused: u32,
    /// The stored CRC-32.
    pub crc32: u32,
}

/// One used slot of the header's section table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSlot {
    pub offset: u64,
    pub size: u64,
}

impl EifHeader {
    /// The first `num_sections` slots of the offset/size table.
    pub fn section_table(&self) -> Vec<TableSlot> {
        let n = usize::from(self.num_sections).min(MAX_SECTIONS);
        self.section_offsets
            .iter()
            .zip(&self.section_sizes)
            .take(n)
            .map(|(&offset, &size)| TableSlot { offset, size })
            .collect()
    }
}

/// Section type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SectionKind {
    Kernel,
    Cmdline,
    Ramdisk,
    Signature,
    Metadata,
    /// 0 or >= 6: invalid in every EIF version.
    Unknown(u16),
}

impl SectionKind {
    pub fn from_code(code: u16) -> SectionKind {
        match code {
            1 => SectionKind::Kernel,
            2 => SectionKind::Cmdline,
            3 => SectionKind::Ramdisk,
            4 => SectionKind::Signature,
            5 => SectionKind::Metadata,
            other => SectionKind::Unknown(other),
        }
    }
    /// AWS's name for the type ("Kernel", …), "Unknown" otherwise.
    pub fn name(&self) -> &'static str {
        match self {
            SectionKind::Kernel => "Kernel",
            SectionKind::Cmdline => "Cmdline",
            SectionKind::Ramdisk => "Ramdisk",
            SectionKind::Signature => "Signature",
            SectionKind::Metadata => "Metadata",
            SectionKind::Unknown(_) => "Unknown",
        }
    }
}

impl fmt::Display for SectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SectionKind::Unknown(code) => write!(f, "unknown type {code}"),
            kind => f.write_str(kind.name()),
        }
    }
}

impl Serialize for SectionKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Reads a name written by `Serialize`. "Unknown" loses its code: readers restore the kind
/// from [`Section::type_code`] (see `Image::from_transport`).
impl<'de> Deserialize<'de> for SectionKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(match name.as_str() {
            "Kernel" => SectionKind::Kernel,
            "Cmdline" => SectionKind::Cmdline,
            "Ramdisk" => SectionKind::Ramdisk,
            "Signature" => SectionKind::Signature,
            "Metadata" => SectionKind::Metadata,
            _ => SectionKind::Unknown(0),
        })
    }
}

/// One section, found through the offset table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Slot index in the offset table.
    pub index: usize,
    #[serde(rename = "type")]
    pub kind: SectionKind,
    pub type_code: u16,
    pub flags: u16,
    /// Absolute offset of the 12-byte section header (`section_offsets[index]`).
    pub header_offset: u64,
    /// Absolute offset of the payload (`header_offset + 12`).
    pub data_offset: u64,
    /// Payload size from the section header (what the readers use).
    pub size: u64,
    /// Payload size from the header's table (`section_sizes[index]`); normally equal to `size`.
    pub table_size: u64,
    /// Payload bytes actually present in the file (less than `size` when truncated).
    pub present_len: u64,
    /// Lowercase hex SHA-384 of the present payload bytes.
    pub sha384: String,
    /// Lowercase hex of the first (up to) 8 payload bytes.
    pub first_bytes: String,
}

impl Section {
    /// True when the whole payload is in the file.
    pub fn is_complete(&self) -> bool {
        self.present_len == self.size
    }
    /// Absolute end of the present payload.
    pub fn data_end(&self) -> u64 {
        self.data_offset.saturating_add(self.present_len)
    }
}

/// One section header as AWS's `EifReader` would see it walking back to back from offset 548.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkEntry {
    pub header_offset: u64,
    pub type_code: u16,
    pub size: u64,
}

/// The back-to-back walk and whether it matches the offset table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionWalk {
    pub entries: Vec<WalkEntry>,
    /// Why the walk stopped, when not cleanly at end of file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// True when the walk sees exactly the table's sections (offset, type, size, in order).
    pub agrees_with_table: bool,
}

/// The stored CRC-32 against the one computed over `file[0..544] ++ file[548..]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrcCheck {
    pub stored: u32,
    pub computed: u32,
    pub ok: bool,
}

/// Everything [`read_eif`] learns about one EIF.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EifModel {
    pub file_size: u64,
    /// Lowercase hex BLAKE3 of the whole file (from the same streaming pass).
    pub blake3: String,
    pub header: EifHeader,
    /// Sections in offset-table order (those whose header lies inside the file).
    pub sections: Vec<Section>,
    pub walk: SectionWalk,
    pub crc: CrcCheck,
    pub measurements: Measurements,
    /// The first Kernel section, decoded.
    pub kernel: Option<KernelInfo>,
    /// The first Metadata section, when it parsed.
    pub metadata: Option<Metadata>,
    /// The first Signature section, when it decoded.
    pub signature: Option<SignatureInfo>,
    pub diagnostics: Vec<Diagnostic>,
}

impl EifModel {
    /// Sections of one kind, in table order.
    pub fn sections_of(&self, kind: SectionKind) -> impl Iterator<Item = &Section> {
        self.sections.iter().filter(move |s| s.kind == kind)
    }
    /// True when the EIF has a Signature section.
    pub fn is_signed(&self) -> bool {
        self.sections_of(SectionKind::Signature).next().is_some()
    }
}

/// Kinds of [`EifError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EifErrorKind {
    TooShort,
    BadMagic,
    UnsupportedVersion,
    TooManySections,
    Read,
}

/// A failure that leaves no useful model: the header itself is unusable or the source failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EifError {
    pub kind: EifErrorKind,
    /// Absolute byte offset of the field or read.
    pub offset: u64,
    /// What was being read ("eif header", "magic", …).
    pub what: String,
    /// Lower-case message, starting with `what` and the offset.
    pub message: String,
}

impl EifError {
    fn new(kind: EifErrorKind, offset: u64, what: &str, detail: impl fmt::Display) -> EifError {
        EifError { kind, offset, what: what.to_string(), message: format!("{what} at {offset:#x}: {detail}") }
    }
    fn read(what: &str, err: SourceError) -> EifError {
        EifError::new(EifErrorKind::Read, err.offset, what, format!("read failed: {}", err.message))
    }
}

impl fmt::Display for EifError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EifError {}

/// Parses only the 548-byte header from its bytes (`data` may be longer).
pub fn parse_header(data: &[u8]) -> Result<EifHeader, EifError> {
    if data.len() >= 4 && data[..4] != MAGIC {
        return Err(EifError::new(
            EifErrorKind::BadMagic,
            0,
            "magic",
            format!("expected 2e656966 (\".eif\"), found {}", to_hex(&data[..4])),
        ));
    }
    if (data.len() as u64) < HEADER_LEN {
        return Err(EifError::new(
            EifErrorKind::TooShort,
            0,
            "eif header",
            format!("needs {HEADER_LEN} bytes, the input has {}", data.len()),
        ));
    }
    let mut c = Cursor::new(data, 0);
    let too_short = |t: super::bytes::Truncated| {
        EifError::new(EifErrorKind::TooShort, t.offset, t.what, format!("needs {} bytes, only {} remain", t.needed, t.available))
    };
    let magic = c.array::<4>("magic").map_err(too_short)?;
    let version = c.u16_be("version").map_err(too_short)?;
    if !(2..=4).contains(&version) {
        return Err(EifError::new(
            EifErrorKind::UnsupportedVersion,
            4,
            "version",
            format!("unsupported eif version {version} (expected 2, 3 or 4)"),
        ));
    }
    let flags = c.u16_be("flags").map_err(too_short)?;
    let default_mem = c.u64_be("default_mem").map_err(too_short)?;
    let default_cpus = c.u64_be("default_cpus").map_err(too_short)?;
    let reserved = c.u16_be("reserved").map_err(too_short)?;
    let num_sections = c.u16_be("num_sections").map_err(too_short)?;
    if usize::from(num_sections) > MAX_SECTIONS {
        return Err(EifError::new(
            EifErrorKind::TooManySections,
            26,
            "num_sections",
            format!("{num_sections} exceeds the maximum of {MAX_SECTIONS}"),
        ));
    }
    let mut section_offsets = Vec::with_capacity(MAX_SECTIONS);
    for _ in 0..MAX_SECTIONS {
        section_offsets.push(c.u64_be("section offset").map_err(too_short)?);
    }
    let mut section_sizes = Vec::with_capacity(MAX_SECTIONS);
    for _ in 0..MAX_SECTIONS {
        section_sizes.push(c.u64_be("section size").map_err(too_short)?);
    }
    let unused = c.u32_be("unused").map_err(too_short)?;
    let crc32 = c.u32_be("eif_crc32").map_err(too_short)?;
    let unknown_flag_bits = (1u8..16).filter(|bit| flags & (1u16 << bit) != 0).collect();
    Ok(EifHeader {
        magic: to_hex(&magic),
        version,
        flags,
        arch: if flags & 1 == 1 { Arch::Aarch64 } else { Arch::X86_64 },
        unknown_flag_bits,
        default_mem,
        default_cpus,
        reserved,
        num_sections,
        section_offsets,
        section_sizes,
        unused,
        crc32,
    })
}

/// Reads and checks a whole EIF: see the module doc.
pub fn read_eif(src: &dyn ByteSource) -> Result<EifModel, EifError> {
    read_eif_with(src, &mut |_, _| {})
}

/// [`read_eif`], handing each ramdisk section to `on_ramdisk` once, in table order, with a
/// source to read it from. When the payloads are in ascending order (every known producer)
/// this happens inside the single streaming pass: the bytes the callback reads in order are
/// hashed as they go by, so a ramdisk parsed there is read from the file once, not twice
/// (in the browser every byte read crosses from the `File` into wasm memory).
pub fn read_eif_with(src: &dyn ByteSource, on_ramdisk: &mut dyn FnMut(&Section, &dyn ByteSource)) -> Result<EifModel, EifError> {
    let file_size = src.len();
    let head_len = usize::try_from(file_size.min(HEADER_LEN)).unwrap_or(0);
    let mut head = vec![0u8; head_len];
    src.read_at(0, &mut head).map_err(|e| EifError::read("eif header", e))?;
    let header = parse_header(&head)?;
    let mut diagnostics = Vec::new();
    header_diagnostics(&header, &mut diagnostics);

    let sections = read_section_headers(src, &header, &mut diagnostics)?;
    layout_diagnostics(&header, &sections, file_size, &mut diagnostics);
    let walk = walk_sections(src, &sections, &mut diagnostics)?;

    // One chunked pass: CRC, per-section SHA-384 and (when the layout allows) the PCRs.
    let roles = measure::assign_roles(&sections);
    let stream_pcrs = payloads_ascending(&sections);
    let pcrs = PcrAccumulator::new(&roles);
    // A section whose bytes are exactly one PCR register's input gets that register's digest.
    let shared = if stream_pcrs { pcrs.sole_pcr2_section() } else { None };
    let section_hashers: Vec<Option<Sha384>> = (0..sections.len()).map(|i| (Some(i) != shared).then(Sha384::new)).collect();
    let mut pass = StreamPass {
        sections: &sections,
        stream_pcrs,
        pos: 0,
        crc: crc32fast::Hasher::new(),
        whole: blake3::Hasher::new(),
        section_hashers,
        first_bytes: sections.iter().map(|_| Vec::new()).collect(),
        pcrs,
    };
    let mut buf = vec![0u8; usize::try_from(file_size).unwrap_or(CHUNK_LEN).min(CHUNK_LEN)];
    // Ramdisks, in table order. Where one pass sees the payloads in that order, each is handed
    // over when the pass reaches its payload; the rest after the pass.
    let mut ramdisks: std::collections::VecDeque<&Section> = sections.iter().filter(|s| s.kind == SectionKind::Ramdisk).collect();
    while pass.pos < file_size {
        let next = if stream_pcrs { ramdisks.front().copied() } else { None };
        if let Some(section) = next.filter(|s| pass.pos >= s.data_offset) {
            ramdisks.pop_front();
            if pass.pos == section.data_offset {
                let tap = Tap { src, pass: RefCell::new(&mut pass) };
                on_ramdisk(section, &tap);
            } else {
                on_ramdisk(section, src);
            }
            continue;
        }
        // Up to the next ramdisk's payload at most, so the pass stops exactly there.
        let stop = next.map_or(file_size, |s| s.data_offset.min(file_size));
        let n = usize::try_from(stop - pass.pos).unwrap_or(CHUNK_LEN).min(CHUNK_LEN);
        let chunk = &mut buf[..n];
        src.read_at(pass.pos, chunk).map_err(|e| EifError::read("eif data", e))?;
        pass.feed(&buf[..n]);
    }
    for section in ramdisks {
        on_ramdisk(section, src);
    }
    let StreamPass { crc, whole, section_hashers, first_bytes, mut pcrs, .. } = pass;
    if !stream_pcrs {
        diagnostics.push(Diagnostic::info(
            CONTEXT,
            None,
            "section payloads are not in ascending non-overlapping order: pcrs computed in a second pass in table order",
        ));
        for (i, section) in sections.iter().enumerate() {
            let mut at = section.data_offset;
            while at < section.data_end() {
                let n = usize::try_from(section.data_end() - at).unwrap_or(CHUNK_LEN).min(CHUNK_LEN);
                src.read_at(at, &mut buf[..n]).map_err(|e| EifError::read("section payload", e))?;
                pcrs.feed(i, &buf[..n]);
                at += n as u64;
            }
        }
    }
    let mut sections = sections;
    let shared_digest = pcrs.pcr2_input_digest();
    for ((section, hasher), first) in sections.iter_mut().zip(section_hashers).zip(first_bytes) {
        section.sha384 = match hasher {
            Some(h) => to_hex(&h.finalize()),
            None => to_hex(&shared_digest),
        };
        section.first_bytes = to_hex(&first);
    }
    let blake3 = whole.finalize().to_hex().to_string();
    let computed = crc.finalize();
    let crc = CrcCheck { stored: header.crc32, computed, ok: computed == header.crc32 };
    if !crc.ok {
        diagnostics.push(Diagnostic::warning(
            CONTEXT,
            Some(CRC_OFFSET),
            format!("stored crc32 {:#010x} does not match computed {:#010x}", crc.stored, crc.computed),
        ));
    }

    let kernel = sections
        .iter()
        .find(|s| s.kind == SectionKind::Kernel)
        .map(|s| kernel::parse_kernel_with_digest(src, s.data_offset, s.present_len, s.sha384.clone()));
    if let Some(k) = &kernel {
        diagnostics.extend(k.diagnostics.iter().cloned());
    }
    let metadata = decode_metadata(src, &sections, &mut diagnostics)?;
    let mut measurements = pcrs.finish(&sections, &roles);
    let signature = decode_signature(src, &sections, &measurements, &mut diagnostics)?;
    if let Some(sig) = &signature {
        measurements.set_pcr8(&sig.certificate_der, sig.section_index);
    }
    diagnostics.extend(measurements.diagnostics());

    Ok(EifModel { file_size, blake3, header, sections, walk, crc, measurements, kernel, metadata, signature, diagnostics })
}

fn header_diagnostics(header: &EifHeader, out: &mut Vec<Diagnostic>) {
    if !header.unknown_flag_bits.is_empty() {
        let bits: Vec<String> = header.unknown_flag_bits.iter().map(|b| b.to_string()).collect();
        out.push(Diagnostic::info(
            "eif header",
            Some(6),
            format!("flags {:#06x} set reserved bit(s) {} (bottlerocket sets 6 and 9)", header.flags, bits.join(", ")),
        ));
    }
    let n = usize::from(header.num_sections);
    for i in n..MAX_SECTIONS {
        let (offset, size) = (header.section_offsets[i], header.section_sizes[i]);
        if offset != 0 || size != 0 {
            out.push(Diagnostic::warning(
                "eif header",
                Some(28 + 8 * i as u64),
                format!("unused table slot {i} is not zero (offset {offset:#x}, size {size})"),
            ));
        }
    }
}

fn read_section_headers(
    src: &dyn ByteSource,
    header: &EifHeader,
    out: &mut Vec<Diagnostic>,
) -> Result<Vec<Section>, EifError> {
    let file_size = src.len();
    let mut sections = Vec::new();
    for (index, slot) in header.section_table().into_iter().enumerate() {
        let context = format!("eif section {index}");
        let header_end = slot.offset.checked_add(SECTION_HEADER_LEN);
        if header_end.is_none_or(|end| end > file_size) {
            out.push(Diagnostic::error(
                context,
                Some(slot.offset),
                format!("section header at {:#x} lies past the end of the file ({file_size} bytes)", slot.offset),
            ));
            continue;
        }
        if slot.offset < HEADER_LEN {
            out.push(Diagnostic::warning(
                context.clone(),
                Some(slot.offset),
                format!("section header at {:#x} lies inside the {HEADER_LEN}-byte eif header", slot.offset),
            ));
        }
        let mut raw = [0u8; 12];
        src.read_at(slot.offset, &mut raw).map_err(|e| EifError::read("section header", e))?;
        let mut c = Cursor::new(&raw, slot.offset);
        let (Ok(type_code), Ok(flags), Ok(size)) = (c.u16_be("type"), c.u16_be("flags"), c.u64_be("size")) else {
            continue; // unreachable: 12 bytes are present
        };
        let kind = SectionKind::from_code(type_code);
        let data_offset = slot.offset + SECTION_HEADER_LEN;
        let present_len = size.min(file_size.saturating_sub(data_offset));
        if size != slot.size {
            out.push(Diagnostic::warning(
                context.clone(),
                Some(slot.offset + 4),
                format!("section header size {size} differs from table size {}: the section header's size is used", slot.size),
            ));
        }
        if present_len < size {
            out.push(Diagnostic::error(
                context.clone(),
                Some(data_offset),
                format!("{} payload truncated: size {size} but only {present_len} bytes remain", kind.name().to_lowercase()),
            ));
        }
        if flags != 0 {
            out.push(Diagnostic::info(context.clone(), Some(slot.offset + 2), format!("section flags {flags:#06x} are not zero")));
        }
        if let SectionKind::Unknown(code) = kind {
            out.push(Diagnostic::warning(
                context.clone(),
                Some(slot.offset),
                format!("unknown section type {code} (valid types are 1..=5)"),
            ));
        }
        sections.push(Section {
            index,
            kind,
            type_code,
            flags,
            header_offset: slot.offset,
            data_offset,
            size,
            table_size: slot.size,
            present_len,
            sha384: String::new(),
            first_bytes: String::new(),
        });
    }
    Ok(sections)
}

fn layout_diagnostics(header: &EifHeader, sections: &[Section], file_size: u64, out: &mut Vec<Diagnostic>) {
    // Extents in file order: [header_offset, data_offset + present_len).
    let mut order: Vec<&Section> = sections.iter().collect();
    order.sort_by_key(|s| (s.header_offset, s.index));
    if order.iter().map(|s| s.index).ne(sections.iter().map(|s| s.index)) {
        out.push(Diagnostic::info(CONTEXT, None, "the offset table does not list sections in file order"));
    }
    let mut prev_end = HEADER_LEN;
    let mut prev: Option<&Section> = None;
    for s in &order {
        let start = s.header_offset;
        let name = |s: &Section| format!("section {} ({})", s.index, s.kind.name().to_lowercase());
        if start > prev_end {
            let after = prev.map_or("the eif header".to_string(), name);
            out.push(Diagnostic::warning(
                CONTEXT,
                Some(prev_end),
                format!("{} unreferenced bytes between {after} and {}", start - prev_end, name(s)),
            ));
        } else if start < prev_end {
            if let Some(p) = prev {
                out.push(Diagnostic::warning(
                    CONTEXT,
                    Some(start),
                    format!("{} overlaps {} by {} bytes", name(s), name(p), prev_end - start),
                ));
            }
        }
        let end = s.data_end();
        if end >= prev_end {
            prev_end = end;
            prev = Some(s);
        }
    }
    if file_size > prev_end && !sections.is_empty() {
        out.push(Diagnostic::warning(
            CONTEXT,
            Some(prev_end),
            format!("{} bytes after the last section", file_size - prev_end),
        ));
    }

    let count = |kind: SectionKind| sections.iter().filter(|s| s.kind == kind).count();
    for kind in [SectionKind::Kernel, SectionKind::Cmdline] {
        match count(kind) {
            0 => out.push(Diagnostic::error(CONTEXT, None, format!("no {} section", kind.name().to_lowercase()))),
            1 => {}
            n => out.push(Diagnostic::error(CONTEXT, None, format!("{n} {} sections (expected exactly one)", kind.name().to_lowercase()))),
        }
    }
    if count(SectionKind::Ramdisk) == 0 {
        out.push(Diagnostic::error(CONTEXT, None, "no ramdisk section"));
    }
    for kind in [SectionKind::Signature, SectionKind::Metadata] {
        let n = count(kind);
        if n > 1 {
            out.push(Diagnostic::warning(
                CONTEXT,
                None,
                format!("{n} {} sections: only the first is used", kind.name().to_lowercase()),
            ));
        }
    }
    let version = header.version;
    if version < 3 && count(SectionKind::Signature) > 0 {
        out.push(Diagnostic::warning(CONTEXT, Some(4), format!("signature section in a version {version} eif (signatures need version 3+)")));
    }
    if version < 4 && count(SectionKind::Metadata) > 0 {
        out.push(Diagnostic::warning(CONTEXT, Some(4), format!("metadata section in a version {version} eif (metadata needs version 4)")));
    }
    if version >= 4 && count(SectionKind::Metadata) == 0 {
        out.push(Diagnostic::warning(CONTEXT, Some(4), "no metadata section, mandatory in version 4"));
    }
}

/// AWS `EifReader`'s view: section headers back to back from offset 548 until end of file.
fn walk_sections(src: &dyn ByteSource, sections: &[Section], out: &mut Vec<Diagnostic>) -> Result<SectionWalk, EifError> {
    let file_size = src.len();
    let mut entries = Vec::new();
    let mut pos = HEADER_LEN;
    let mut stopped = None;
    while pos < file_size {
        if entries.len() >= MAX_WALK_SECTIONS {
            stopped = Some(format!("gave up after {MAX_WALK_SECTIONS} section headers at {pos:#x}"));
            break;
        }
        if file_size - pos < SECTION_HEADER_LEN {
            stopped = Some(format!("{} trailing bytes at {pos:#x} are too few for a section header", file_size - pos));
            break;
        }
        let mut raw = [0u8; 12];
        src.read_at(pos, &mut raw).map_err(|e| EifError::read("section header", e))?;
        let type_code = u16::from_be_bytes([raw[0], raw[1]]);
        let mut size_bytes = [0u8; 8];
        size_bytes.copy_from_slice(&raw[4..12]);
        let size = u64::from_be_bytes(size_bytes);
        if matches!(SectionKind::from_code(type_code), SectionKind::Unknown(_)) {
            stopped = Some(format!("invalid section type {type_code} at {pos:#x}"));
            break;
        }
        entries.push(WalkEntry { header_offset: pos, type_code, size });
        match (pos + SECTION_HEADER_LEN).checked_add(size).filter(|&end| end <= file_size) {
            Some(end) => pos = end,
            None => {
                stopped = Some(format!("section at {pos:#x} of size {size} runs past the end of the file"));
                break;
            }
        }
    }
    let table: Vec<WalkEntry> = sections
        .iter()
        .map(|s| WalkEntry { header_offset: s.header_offset, type_code: s.type_code, size: s.size })
        .collect();
    let agrees_with_table = table == entries && stopped.is_none();
    if !agrees_with_table {
        let describe = |list: &[WalkEntry]| {
            list.iter()
                .map(|e| format!("{}@{:#x}+{}", SectionKind::from_code(e.type_code).name().to_lowercase(), e.header_offset, e.size))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let first_diff = table.iter().zip(&entries).position(|(a, b)| a != b).unwrap_or(table.len().min(entries.len()));
        let mut message = format!(
            "aws eif reader, walking section headers back to back from {HEADER_LEN:#x}, would see {} section(s) [{}] where the offset table lists {} [{}]; first difference at entry {first_diff}",
            entries.len(),
            describe(&entries),
            table.len(),
            describe(&table)
        );
        if let Some(why) = &stopped {
            message.push_str(&format!("; the walk stopped: {why}"));
        }
        out.push(Diagnostic::warning(CONTEXT, Some(HEADER_LEN), message));
    }
    Ok(SectionWalk { entries, stopped, agrees_with_table })
}

/// The state of [`read_eif_with`]'s single pass over the file: every byte is fed once, in
/// file order, from `pos` on.
struct StreamPass<'s> {
    sections: &'s [Section],
    stream_pcrs: bool,
    /// The next byte the pass expects.
    pos: u64,
    crc: crc32fast::Hasher,
    whole: blake3::Hasher,
    section_hashers: Vec<Option<Sha384>>,
    first_bytes: Vec<Vec<u8>>,
    pcrs: PcrAccumulator,
}

impl StreamPass<'_> {
    /// Feeds `chunk`, the bytes at `pos..`.
    fn feed(&mut self, chunk: &[u8]) {
        let pos = self.pos;
        feed_crc(&mut self.crc, pos, chunk);
        self.whole.update(chunk);
        for (i, section) in self.sections.iter().enumerate() {
            if let Some(part) = intersect(pos, chunk, section.data_offset, section.present_len) {
                if let Some(h) = &mut self.section_hashers[i] {
                    h.update(part);
                }
                let keep = FIRST_BYTES_LEN.saturating_sub(self.first_bytes[i].len()).min(part.len());
                self.first_bytes[i].extend_from_slice(&part[..keep]);
                if self.stream_pcrs {
                    self.pcrs.feed(i, part);
                }
            }
        }
        self.pos = pos + chunk.len() as u64;
    }
}

/// The file as a ramdisk parser inside the pass sees it: reads go to the file, and the part of
/// each read that continues the pass (starts at or before its position and reaches past it) is
/// fed to it. Reads elsewhere are served as they are; the pass reads what it missed itself.
struct Tap<'a, 's> {
    src: &'a dyn ByteSource,
    pass: RefCell<&'a mut StreamPass<'s>>,
}

impl ByteSource for Tap<'_, '_> {
    fn len(&self) -> u64 {
        self.src.len()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        self.src.read_at(offset, buf)?;
        let mut pass = self.pass.borrow_mut();
        let end = offset.saturating_add(buf.len() as u64);
        if offset <= pass.pos && pass.pos < end {
            // Below buf.len(): fits in usize.
            let from = (pass.pos - offset) as usize;
            pass.feed(&buf[from..]);
        }
        Ok(())
    }
}

/// True when payloads in table order are ascending and disjoint, so one forward pass sees them
/// in table order.
fn payloads_ascending(sections: &[Section]) -> bool {
    sections.windows(2).all(|w| w[1].data_offset >= w[0].data_end())
}

fn feed_crc(crc: &mut crc32fast::Hasher, pos: u64, chunk: &[u8]) {
    if let Some(part) = intersect(pos, chunk, 0, CRC_OFFSET) {
        crc.update(part);
    }
    if let Some(part) = intersect(pos, chunk, CRC_OFFSET + 4, u64::MAX - CRC_OFFSET - 4) {
        crc.update(part);
    }
}

/// The part of `chunk` (which starts at absolute `pos`) inside `start..start + len`.
fn intersect(pos: u64, chunk: &[u8], start: u64, len: u64) -> Option<&[u8]> {
    let chunk_end = pos.saturating_add(chunk.len() as u64);
    let end = start.saturating_add(len);
    let lo = start.max(pos);
    let hi = end.min(chunk_end);
    if lo >= hi {
        return None;
    }
    let a = usize::try_from(lo - pos).ok()?;
    let b = usize::try_from(hi - pos).ok()?;
    chunk.get(a..b)
}

fn read_payload(src: &dyn ByteSource, section: &Section, cap: u64, out: &mut Vec<Diagnostic>) -> Result<Option<Vec<u8>>, EifError> {
    let context = format!("eif section {}", section.index);
    if section.present_len > cap {
        out.push(Diagnostic::warning(
            context,
            Some(section.data_offset),
            format!("{} payload of {} bytes exceeds the {cap}-byte limit: not decoded", section.kind.name().to_lowercase(), section.present_len),
        ));
        return Ok(None);
    }
    let len = usize::try_from(section.present_len).unwrap_or(0);
    let mut data = vec![0u8; len];
    src.read_at(section.data_offset, &mut data).map_err(|e| EifError::read("section payload", e))?;
    Ok(Some(data))
}

fn decode_metadata(src: &dyn ByteSource, sections: &[Section], out: &mut Vec<Diagnostic>) -> Result<Option<Metadata>, EifError> {
    let Some(section) = sections.iter().find(|s| s.kind == SectionKind::Metadata) else {
        return Ok(None);
    };
    let Some(data) = read_payload(src, section, MAX_METADATA_LEN, out)? else {
        return Ok(None);
    };
    match metadata::parse_metadata(&data, section.data_offset) {
        Ok(meta) => Ok(Some(meta)),
        Err(err) => {
            out.push(Diagnostic::error(format!("eif section {} metadata", section.index), Some(err.offset), err.to_string()));
            Ok(None)
        }
    }
}

fn decode_signature(
    src: &dyn ByteSource,
    sections: &[Section],
    measurements: &Measurements,
    out: &mut Vec<Diagnostic>,
) -> Result<Option<SignatureInfo>, EifError> {
    let Some(section) = sections.iter().find(|s| s.kind == SectionKind::Signature) else {
        return Ok(None);
    };
    let Some(data) = read_payload(src, section, MAX_SIGNATURE_LEN, out)? else {
        return Ok(None);
    };
    let context = format!("eif section {} signature", section.index);
    match signature::parse_signature(&data, section.data_offset, Some(&measurements.pcr0.raw)) {
        Ok(mut sig) => {
            sig.section_index = section.index;
            if !sig.verification.verified {
                out.push(Diagnostic::error(
                    context.clone(),
                    Some(section.data_offset),
                    format!("signature does not verify: {}", sig.verification.reason),
                ));
            }
            if sig.signed_pcr0_matches == Some(false) {
                out.push(Diagnostic::error(context, Some(section.data_offset), "the signed pcr0 differs from the computed pcr0"));
            }
            Ok(Some(sig))
        }
        Err(err) => {
            out.push(Diagnostic::error(context, Some(err.offset), err.to_string()));
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_bytes() -> Vec<u8> {
        let mut h = vec![0u8; HEADER_LEN as usize];
        h[..4].copy_from_slice(&MAGIC);
        h[4..6].copy_from_slice(&4u16.to_be_bytes());
        h
    }

    #[test]
    fn header_errors_name_field_and_offset() {
        let err = parse_header(b"\x7fELF....").unwrap_err();
        assert_eq!(err.kind, EifErrorKind::BadMagic);
        assert_eq!(err.to_string(), "magic at 0x0: expected 2e656966 (\".eif\"), found 7f454c46");

        let err = parse_header(&header_bytes()[..100]).unwrap_err();
        assert_eq!(err.kind, EifErrorKind::TooShort);
        assert!(err.to_string().starts_with("eif header at 0x0: needs 548 bytes, the input has 100"), "{err}");

        let mut h = header_bytes();
        h[5] = 5;
        let err = parse_header(&h).unwrap_err();
        assert_eq!((err.kind, err.offset), (EifErrorKind::UnsupportedVersion, 4));
        assert_eq!(err.to_string(), "version at 0x4: unsupported eif version 5 (expected 2, 3 or 4)");

        let mut h = header_bytes();
        h[26..28].copy_from_slice(&33u16.to_be_bytes());
        let err = parse_header(&h).unwrap_err();
        assert_eq!((err.kind, err.offset), (EifErrorKind::TooManySections, 26));
    }

    #[test]
    fn unknown_flag_bits_are_listed_not_rejected() {
        let mut h = header_bytes();
        h[6..8].copy_from_slice(&((1u16 << 6) | (1 << 9) | 1).to_be_bytes());
        let header = parse_header(&h).unwrap();
        assert_eq!(header.arch, Arch::Aarch64);
        assert_eq!(header.unknown_flag_bits, vec![6, 9]);
    }

    #[test]
    fn intersect_clips() {
        let chunk = [0u8, 1, 2, 3, 4, 5, 6, 7];
        assert_eq!(intersect(100, &chunk, 102, 3), Some(&chunk[2..5]));
        assert_eq!(intersect(100, &chunk, 90, 12), Some(&chunk[..2]));
        assert_eq!(intersect(100, &chunk, 108, 3), None);
        assert_eq!(intersect(100, &chunk, 0, u64::MAX), Some(&chunk[..]));
    }
}
