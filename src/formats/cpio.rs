//! cpio archives (newc `070701`, newc+crc `070702`, odc `070707`) as a push parser.
//!
//! Decoders push decompressed chunks of any size into [`CpioParser::feed`]; headers, names
//! and data may be split anywhere. The parser follows the kernel's initramfs unpacker: one
//! stream may hold several archives separated by NUL padding; hard links are grouped per
//! archive by (dev, ino, file type); a later entry with the same name replaces an earlier one.
//!
//! Architecture invariant: memory is bounded by the entry list, names (<= `max_name_len`),
//! symlink targets (<= `max_name_len`) and retained contents (<= `retain_total_bytes`); file
//! data is hashed as it streams past and otherwise dropped.

use crate::diagnostics::Diagnostic;
use crate::limits::Limits;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::io;

const NEWC_HEADER_LEN: usize = 110;
const ODC_HEADER_LEN: usize = 76;
const TRAILER: &[u8] = b"TRAILER!!!";
const MAX_DIAGNOSTICS: usize = 256;

/// Header flavour of an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CpioFormat {
    /// `070701`, SVR4 "new ASCII", what the kernel and `cpio -H newc` use.
    Newc,
    /// `070702`, newc with a data checksum (sum of data bytes).
    NewcCrc,
    /// `070707`, POSIX octal "old character"; the kernel does not accept it.
    Odc,
}

impl CpioFormat {
    pub fn magic(self) -> &'static [u8; 6] {
        match self {
            CpioFormat::Newc => b"070701",
            CpioFormat::NewcCrc => b"070702",
            CpioFormat::Odc => b"070707",
        }
    }
    fn from_magic(magic: &[u8]) -> Option<CpioFormat> {
        match magic {
            b"070701" => Some(CpioFormat::Newc),
            b"070702" => Some(CpioFormat::NewcCrc),
            b"070707" => Some(CpioFormat::Odc),
            _ => None,
        }
    }
    fn header_len(self) -> usize {
        match self {
            CpioFormat::Odc => ODC_HEADER_LEN,
            _ => NEWC_HEADER_LEN,
        }
    }
}

/// File type from the `S_IFMT` bits of `c_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    File,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Unknown,
}

impl EntryKind {
    pub fn from_mode(mode: u32) -> EntryKind {
        match mode & 0o170000 {
            0o100000 => EntryKind::File,
            0o040000 => EntryKind::Directory,
            0o120000 => EntryKind::Symlink,
            0o020000 => EntryKind::CharDevice,
            0o060000 => EntryKind::BlockDevice,
            0o010000 => EntryKind::Fifo,
            0o140000 => EntryKind::Socket,
            _ => EntryKind::Unknown,
        }
    }
}

/// One archive member with every header field as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpioEntry {
    /// Position in the whole stream (all archives), 0-based.
    pub index: u64,
    /// Which concatenated archive ([`CpioArchive::index`]) it belongs to.
    pub archive: u32,
    pub format: CpioFormat,
    /// Absolute offset of the header in the decompressed stream.
    pub header_offset: u64,
    /// Name as stored, without the terminating NUL; serialized as an escaped string.
    #[serde(with = "super::encoding::escaped")]
    pub name: Vec<u8>,
    pub kind: EntryKind,
    pub ino: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub mtime: u64,
    pub filesize: u64,
    pub dev_major: u32,
    pub dev_minor: u32,
    pub rdev_major: u32,
    pub rdev_minor: u32,
    /// namesize field, including the NUL.
    pub namesize: u32,
    /// c_check: the data checksum for newc+crc, 0 otherwise.
    pub check: u32,
    /// Absolute offset of the data in the decompressed stream.
    pub data_offset: u64,
    /// BLAKE3 of the data stored with this header.
    #[serde(with = "super::encoding::hex_array")]
    pub data_blake3: [u8; 32],
    /// BLAKE3 of the file's content: for hard links the data of the link group, else the same
    /// as `data_blake3`.
    #[serde(with = "super::encoding::hex_array")]
    pub content_blake3: [u8; 32],
    /// newc+crc only: whether the sum of the data bytes equals `check`.
    pub checksum_ok: Option<bool>,
    /// The content (for hard links: the group's) when small enough to retain.
    #[serde(with = "super::encoding::base64_opt", default)]
    pub data: Option<Vec<u8>>,
    /// Symlinks: the target (the data), kept up to `max_name_len` bytes.
    #[serde(with = "super::encoding::escaped_opt", default)]
    pub symlink_target: Option<Vec<u8>>,
    /// Hard-link group id (shared by every name of one inode within one archive).
    pub link_group: Option<u32>,
    /// Index of an earlier entry with the same name that this one replaces.
    pub overrides: Option<u64>,
    /// Index of a later entry with the same name that replaces this one.
    pub overridden_by: Option<u64>,
}

impl CpioEntry {
    /// The name as a lossless, display-safe string.
    pub fn name_escaped(&self) -> String {
        super::bytes::escape_bytes(&self.name)
    }
    /// Permission bits (the low 12 bits of the mode).
    pub fn permissions(&self) -> u32 {
        self.mode & 0o7777
    }
}

/// One concatenated archive in the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpioArchive {
    pub index: u32,
    pub format: CpioFormat,
    /// Offset of the first header in the decompressed stream.
    pub offset: u64,
    /// Layer (compressed member / raw segment) that holds the start of this archive.
    pub layer: u32,
    pub first_entry: u64,
    pub n_entries: u64,
    /// Offset of the `TRAILER!!!` header; `None` when the stream ended first.
    pub trailer_offset: Option<u64>,
    /// Offset just after the trailer and its alignment padding.
    pub end_offset: Option<u64>,
    /// NUL bytes after the trailer (e.g. GNU cpio's padding to 512).
    pub padding_after: u64,
    /// Offset of non-NUL, non-cpio bytes after the trailer, if any.
    pub junk_offset: Option<u64>,
}

/// Everything parsed from a stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpioModel {
    /// NUL bytes before the first archive.
    pub leading_padding: u64,
    pub archives: Vec<CpioArchive>,
    pub entries: Vec<CpioEntry>,
    pub n_link_groups: u32,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CpioErrorKind {
    Truncated,
    Corrupt,
    Limit,
}

/// A failure at an absolute offset of the decompressed stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpioError {
    pub offset: u64,
    pub kind: CpioErrorKind,
    pub message: String,
}

impl CpioError {
    fn new(offset: u64, kind: CpioErrorKind, message: String) -> CpioError {
        CpioError { offset, kind, message }
    }
    pub fn is_limit(&self) -> bool {
        self.kind == CpioErrorKind::Limit
    }
}

impl fmt::Display for CpioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CpioError {}

/// What to do with bytes after a trailer that do not start another archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedMode {
    /// Inside a compressed member: they are junk (the kernel rejects them); report and skip.
    Embedded,
    /// Raw cpio in a ramdisk: stop there so the caller can sniff what follows.
    StopAtNonCpio,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct LinkKey {
    dev_major: u32,
    dev_minor: u32,
    ino: u64,
    file_type: u32,
}

enum State {
    /// Before an archive or after a trailer: NULs are padding, `0` starts an archive.
    Between,
    Header { buf: [u8; NEWC_HEADER_LEN], have: usize, format: Option<CpioFormat> },
    Name,
    Pad { remaining: usize, then_data: bool },
    Data { remaining: u64 },
    Junk,
}

/// The entry being read.
struct Pending {
    entry: CpioEntry,
    name_buf: Vec<u8>,
    hasher: blake3::Hasher,
    sum: u32,
    retain: Option<Vec<u8>>,
    target: Option<Vec<u8>>,
    capture: Option<Vec<u8>>,
    is_trailer: bool,
}

/// Second-pass capture of selected entries' data.
struct Capture {
    wanted: HashSet<u64>,
    max_each: usize,
    wanted_keys: HashSet<LinkKey>,
    taken: HashMap<u64, Vec<u8>>,
    results: BTreeMap<u64, Vec<u8>>,
    /// (wanted entry, entry holding its link group's data) pairs whose data streamed past
    /// before we knew it was needed.
    missing: Vec<(u64, u64)>,
}

/// What a capture parser collected (see [`CpioParser::finish_capture`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// Data per wanted entry index.
    pub data: BTreeMap<u64, Vec<u8>>,
    /// (wanted entry, entry holding its link group's data) pairs whose data streamed past
    /// before it was known to be needed: fetch the holders in another pass.
    pub missing: Vec<(u64, u64)>,
    pub error: Option<CpioError>,
}

/// Push parser over a decompressed cpio stream.
pub struct CpioParser {
    limits: Limits,
    mode: FeedMode,
    pos: u64,
    state: State,
    layer: u32,
    model: CpioModel,
    retained_total: u64,
    pending: Option<Pending>,
    links: HashMap<LinkKey, Vec<usize>>,
    names: HashMap<u64, u64>,
    failed: Option<CpioError>,
    input_end: Option<u64>,
    capture: Option<Capture>,
    suppressed: u64,
    /// The stream digest: every byte that is not entry data, and in place of each entry's data
    /// its BLAKE3 (see [`CpioParser::stream_digest`]). Not kept by capture parsers.
    frame: blake3::Hasher,
    /// The digest of the entry that just ended, added to `frame` after the bytes of the step
    /// that ended it, so the digest does not depend on how the stream was chunked.
    frame_digest: Option<[u8; 32]>,
}

impl CpioParser {
    pub fn new(limits: &Limits) -> CpioParser {
        CpioParser {
            limits: limits.clone(),
            mode: FeedMode::Embedded,
            pos: 0,
            state: State::Between,
            layer: 0,
            model: CpioModel::default(),
            retained_total: 0,
            pending: None,
            links: HashMap::new(),
            names: HashMap::new(),
            failed: None,
            input_end: None,
            capture: None,
            suppressed: 0,
            frame: blake3::Hasher::new(),
            frame_digest: None,
        }
    }

    /// A parser that retains nothing and collects the data of `wanted` entry indices (at most
    /// `max_each` bytes each); hard-link members get their group's data.
    pub fn for_capture(limits: &Limits, wanted: &[u64], max_each: u64) -> CpioParser {
        let mut limits = limits.clone();
        limits.retain_file_bytes = 0;
        limits.retain_total_bytes = 0;
        let mut parser = CpioParser::new(&limits);
        parser.capture = Some(Capture {
            wanted: wanted.iter().copied().collect(),
            max_each: usize::try_from(max_each).unwrap_or(usize::MAX),
            wanted_keys: HashSet::new(),
            taken: HashMap::new(),
            results: BTreeMap::new(),
            missing: Vec::new(),
        });
        parser
    }

    /// How to treat non-cpio bytes after a trailer from now on. A stream left in the junk
    /// state by the previous layer is reset, so the next layer is parsed afresh.
    pub fn set_mode(&mut self, mode: FeedMode) {
        self.mode = mode;
        if matches!(self.state, State::Junk) {
            self.state = State::Between;
        }
    }
    /// Layer number recorded in archives that start from now on.
    pub fn set_layer(&mut self, layer: u32) {
        self.layer = layer;
    }
    /// Stream offset where the input is known to end (raw cpio in a source), for early and
    /// specific "exceeds remaining" errors; `None` when unknown (decompressed streams).
    pub fn set_input_end(&mut self, end: Option<u64>) {
        self.input_end = end;
    }
    /// Offset of the next byte in the stream.
    pub fn position(&self) -> u64 {
        self.pos
    }
    /// Between archives (after a trailer, or before the first archive).
    pub fn at_boundary(&self) -> bool {
        matches!(self.state, State::Between)
    }
    /// Whether bytes after a trailer were junk.
    pub fn in_junk(&self) -> bool {
        matches!(self.state, State::Junk)
    }
    pub fn model(&self) -> &CpioModel {
        &self.model
    }
    /// Add a diagnostic (capped, like the parser's own).
    pub fn diagnose(&mut self, d: Diagnostic) {
        if self.model.diagnostics.len() < MAX_DIAGNOSTICS {
            self.model.diagnostics.push(d);
        } else {
            self.suppressed += 1;
        }
    }

    /// A BLAKE3 that identifies the stream fed so far: over every byte that is not entry data,
    /// with each entry's data replaced by its BLAKE3 (the data of an entry cut short by the end
    /// of the stream by the BLAKE3 of what arrived). Equal streams give equal digests and,
    /// BLAKE3 being collision resistant, different streams different ones; file data is hashed
    /// once, for its entry's digest, not a second time for the stream's. Zero for a capture
    /// parser.
    pub fn stream_digest(&self) -> [u8; 32] {
        if self.capture.is_some() {
            return [0; 32];
        }
        let mut frame = self.frame.clone();
        if let Some(d) = self.frame_digest {
            frame.update(&d);
        }
        if let Some(p) = &self.pending {
            frame.update(p.hasher.finalize().as_bytes());
        }
        frame.finalize().into()
    }

    /// Feed the next bytes of the stream. Returns how many were consumed: all of them, except
    /// in [`FeedMode::StopAtNonCpio`] where it stops before a byte after a trailer that is
    /// neither NUL nor the start of another archive.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<usize, CpioError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let mut i = 0;
        let hashing = self.capture.is_none();
        while i < chunk.len() {
            let in_data = matches!(self.state, State::Data { .. });
            match self.step(&chunk[i..]) {
                Ok(Some(n)) => {
                    if hashing && !in_data {
                        self.frame.update(&chunk[i..i + n]);
                    }
                    if let Some(d) = self.frame_digest.take() {
                        self.frame.update(&d);
                    }
                    i += n;
                    self.pos += n as u64;
                }
                Ok(None) => return Ok(i),
                Err(e) => {
                    self.failed = Some(e.clone());
                    return Err(e);
                }
            }
        }
        Ok(i)
    }

    /// The stream ended: check it ended between archives, and return the model plus the error
    /// (if any) that stopped parsing.
    pub fn finish(mut self) -> (CpioModel, Option<CpioError>) {
        let mut error = self.failed.take();
        if error.is_none() {
            error = self.check_end();
        }
        if error.is_none() && self.pending.as_ref().is_some_and(|p| p.is_trailer) {
            let pos = self.pos;
            self.diagnose(Diagnostic::warning("cpio", Some(pos), "stream ends inside the trailer's padding"));
            self.end_entry(pos);
        }
        if let Some(archive) = self.model.archives.last() {
            if archive.trailer_offset.is_none() {
                self.resolve_links();
            }
        }
        if self.suppressed > 0 {
            let n = self.suppressed;
            self.model.diagnostics.push(Diagnostic::info("cpio", None, format!("{n} further diagnostics suppressed")));
        }
        (self.model, error)
    }

    /// Finish a capture parser: the captured data per wanted index, the (wanted, holder) pairs
    /// whose group data streamed past before it was known to be needed, and the error if any.
    pub fn finish_capture(mut self) -> Captured {
        let mut error = self.failed.take();
        if error.is_none() {
            error = self.check_end();
        }
        if self.model.archives.last().is_some_and(|a| a.trailer_offset.is_none()) {
            self.resolve_links();
        }
        match self.capture.take() {
            Some(c) => Captured { data: c.results, missing: c.missing, error },
            None => Captured { data: BTreeMap::new(), missing: Vec::new(), error },
        }
    }

    fn check_end(&mut self) -> Option<CpioError> {
        let pos = self.pos;
        let what = match &self.state {
            State::Between | State::Junk => return None,
            State::Header { have, .. } => {
                format!("cpio header at {:#x}: stream ends after {have} header bytes", pos - *have as u64)
            }
            State::Name => {
                let p = self.pending.as_ref()?;
                format!(
                    "cpio header at {:#x}: stream ends at {pos:#x} inside the name ({} of {} bytes)",
                    p.entry.header_offset,
                    p.name_buf.len(),
                    p.entry.namesize
                )
            }
            State::Pad { .. } | State::Data { .. } => {
                let p = self.pending.as_ref()?;
                if p.is_trailer {
                    return None;
                }
                format!(
                    "cpio entry {} at {:#x}: stream ends at {pos:#x} inside its data ({} bytes declared)",
                    super::bytes::escape_bytes(&p.entry.name),
                    p.entry.header_offset,
                    p.entry.filesize
                )
            }
        };
        Some(CpioError::new(pos, CpioErrorKind::Truncated, what))
    }

    fn step(&mut self, rest: &[u8]) -> Result<Option<usize>, CpioError> {
        let state = std::mem::replace(&mut self.state, State::Junk);
        let (next, used) = match state {
            State::Between => {
                let zeros = rest.iter().take_while(|b| **b == 0).count();
                if zeros > 0 {
                    match self.model.archives.last_mut() {
                        Some(a) => a.padding_after += zeros as u64,
                        None => self.model.leading_padding += zeros as u64,
                    }
                    (State::Between, zeros)
                } else if rest[0] == b'0' {
                    (State::Header { buf: [0; NEWC_HEADER_LEN], have: 0, format: None }, 0)
                } else if self.mode == FeedMode::StopAtNonCpio {
                    self.state = State::Between;
                    return Ok(None);
                } else {
                    let pos = self.pos;
                    if let Some(a) = self.model.archives.last_mut() {
                        a.junk_offset = Some(pos);
                    }
                    self.diagnose(Diagnostic::error(
                        "cpio",
                        Some(pos),
                        format!(
                            "byte {:#04x} where a cpio header or nul padding should start; the kernel rejects this as junk within compressed archive, the rest of this stream is ignored",
                            rest[0]
                        ),
                    ));
                    (State::Junk, 0)
                }
            }
            State::Junk => (State::Junk, rest.len()),
            State::Header { mut buf, have, mut format } => {
                let need = format.map_or(6, CpioFormat::header_len);
                let take = (need - have).min(rest.len());
                buf[have..have + take].copy_from_slice(&rest[..take]);
                let have = have + take;
                let start = self.pos - (have - take) as u64;
                if have < need {
                    (State::Header { buf, have, format }, take)
                } else if format.is_none() {
                    match CpioFormat::from_magic(&buf[..6]) {
                        Some(f) => {
                            format = Some(f);
                            (State::Header { buf, have, format }, take)
                        }
                        None => {
                            return Err(CpioError::new(
                                start,
                                CpioErrorKind::Corrupt,
                                format!(
                                    "cpio header at {start:#x}: bad magic \"{}\"",
                                    super::bytes::escape_bytes(&buf[..6])
                                ),
                            ))
                        }
                    }
                } else {
                    let format = format.unwrap_or(CpioFormat::Newc);
                    self.begin_entry(format, &buf[..need], start, start + need as u64)?;
                    (State::Name, take)
                }
            }
            State::Name => {
                let pending = self.pending.as_mut().ok_or_else(|| internal(self.pos))?;
                let need = (pending.entry.namesize as usize).saturating_sub(pending.name_buf.len());
                let take = need.min(rest.len());
                pending.name_buf.extend_from_slice(&rest[..take]);
                if take < need {
                    (State::Name, take)
                } else {
                    let after = self.pos + take as u64;
                    self.end_name()?;
                    (State::Pad { remaining: self.pad_at(after), then_data: true }, take)
                }
            }
            State::Pad { remaining, then_data } => {
                let take = remaining.min(rest.len());
                if take < remaining {
                    (State::Pad { remaining: remaining - take, then_data }, take)
                } else if then_data {
                    let filesize = self.pending.as_ref().map_or(0, |p| p.entry.filesize);
                    if let Some(p) = self.pending.as_mut() {
                        p.entry.data_offset = self.pos + take as u64;
                    }
                    (State::Data { remaining: filesize }, take)
                } else {
                    self.end_entry(self.pos + take as u64);
                    (State::Between, take).into_next_entry(self)
                }
            }
            State::Data { remaining } => {
                let take = usize::try_from(remaining).unwrap_or(usize::MAX).min(rest.len());
                let piece = &rest[..take];
                let hashing = self.capture.is_none();
                if let Some(p) = self.pending.as_mut() {
                    if hashing {
                        p.hasher.update(piece);
                    }
                    if p.entry.format == CpioFormat::NewcCrc {
                        p.sum = piece.iter().fold(p.sum, |s, b| s.wrapping_add(u32::from(*b)));
                    }
                    for buf in [&mut p.retain, &mut p.target].into_iter().flatten() {
                        buf.extend_from_slice(piece);
                    }
                    if let (Some(buf), Some(c)) = (p.capture.as_mut(), self.capture.as_ref()) {
                        let room = c.max_each.saturating_sub(buf.len()).min(piece.len());
                        buf.extend_from_slice(&piece[..room]);
                    }
                }
                let remaining = remaining - take as u64;
                if remaining > 0 {
                    (State::Data { remaining }, take)
                } else {
                    let after = self.pos + take as u64;
                    (State::Pad { remaining: self.pad_at(after), then_data: false }, take)
                }
            }
        };
        self.state = next;
        Ok(Some(used))
    }

    fn pad_at(&self, after: u64) -> usize {
        let format = self.pending.as_ref().map_or(CpioFormat::Newc, |p| p.entry.format);
        if format == CpioFormat::Odc {
            return 0;
        }
        let start = self.model.archives.last().map_or(0, |a| a.offset);
        ((4 - (after.wrapping_sub(start) % 4)) % 4) as usize
    }

    fn begin_entry(&mut self, format: CpioFormat, header: &[u8], start: u64, header_end: u64) -> Result<(), CpioError> {
        let open = self.model.archives.last().is_some_and(|a| a.trailer_offset.is_none());
        if !open {
            let index = u32::try_from(self.model.archives.len()).unwrap_or(u32::MAX);
            self.model.archives.push(CpioArchive {
                index,
                format,
                offset: start,
                layer: self.layer,
                first_entry: self.model.entries.len() as u64,
                n_entries: 0,
                trailer_offset: None,
                end_offset: None,
                padding_after: 0,
                junk_offset: None,
            });
            self.links.clear();
            if format == CpioFormat::Odc {
                self.diagnose(Diagnostic::warning(
                    "cpio",
                    Some(start),
                    "odc (070707) archive: the linux kernel only unpacks newc (070701/070702) initramfs archives",
                ));
            }
        }
        let archive = self.model.archives.len().saturating_sub(1) as u32;
        let fields = parse_header(format, header, start)?;
        let [ino, mode, uid, gid, nlink, mtime, filesize, dev_major, dev_minor, rdev_major, rdev_minor, namesize, check] =
            fields;
        let namesize = u32::try_from(namesize).unwrap_or(u32::MAX);
        let remaining = self.input_end.map(|end| end.saturating_sub(header_end));
        if namesize == 0 {
            return Err(CpioError::new(start, CpioErrorKind::Corrupt, format!("cpio header at {start:#x}: namesize is 0")));
        }
        if let Some(rem) = remaining {
            if u64::from(namesize) > rem {
                return Err(CpioError::new(
                    start,
                    CpioErrorKind::Truncated,
                    format!("cpio header at {start:#x}: namesize {namesize} exceeds remaining {rem} bytes"),
                ));
            }
            if filesize > rem - u64::from(namesize) {
                return Err(CpioError::new(
                    start,
                    CpioErrorKind::Truncated,
                    format!(
                        "cpio header at {start:#x}: filesize {filesize} exceeds remaining {} bytes",
                        rem - u64::from(namesize)
                    ),
                ));
            }
        }
        if namesize > self.limits.max_name_len {
            return Err(CpioError::new(
                start,
                CpioErrorKind::Limit,
                format!("cpio header at {start:#x}: namesize {namesize} exceeds the limit of {}", self.limits.max_name_len),
            ));
        }
        let index = self.model.entries.len() as u64;
        let entry = CpioEntry {
            index,
            archive,
            format,
            header_offset: start,
            name: Vec::new(),
            kind: EntryKind::from_mode(mode as u32),
            ino,
            mode: mode as u32,
            uid: uid as u32,
            gid: gid as u32,
            nlink: nlink as u32,
            mtime,
            filesize,
            dev_major: dev_major as u32,
            dev_minor: dev_minor as u32,
            rdev_major: rdev_major as u32,
            rdev_minor: rdev_minor as u32,
            namesize,
            check: check as u32,
            data_offset: 0,
            data_blake3: [0; 32],
            content_blake3: [0; 32],
            checksum_ok: None,
            data: None,
            symlink_target: None,
            link_group: None,
            overrides: None,
            overridden_by: None,
        };
        self.pending = Some(Pending {
            entry,
            name_buf: Vec::with_capacity(namesize as usize),
            hasher: blake3::Hasher::new(),
            sum: 0,
            retain: None,
            target: None,
            capture: None,
            is_trailer: false,
        });
        Ok(())
    }

    /// The name is complete: decide what the data is for.
    fn end_name(&mut self) -> Result<(), CpioError> {
        let limits = &self.limits;
        let Some(p) = self.pending.as_mut() else { return Ok(()) };
        let start = p.entry.header_offset;
        let mut name = std::mem::take(&mut p.name_buf);
        let mut unterminated = false;
        match name.iter().position(|b| *b == 0) {
            Some(nul) if nul + 1 == name.len() => {
                name.truncate(nul);
            }
            Some(nul) => {
                name.truncate(nul);
                unterminated = true;
            }
            None => unterminated = true,
        }
        p.entry.name = name;
        if p.entry.name == TRAILER {
            p.is_trailer = true;
            return Ok(());
        }
        if self.model.entries.len() as u64 >= limits.max_entries {
            return Err(CpioError::new(
                start,
                CpioErrorKind::Limit,
                format!("cpio header at {start:#x}: more than {} entries", limits.max_entries),
            ));
        }
        let filesize = p.entry.filesize;
        if filesize <= limits.retain_file_bytes && self.retained_total.saturating_add(filesize) <= limits.retain_total_bytes {
            self.retained_total += filesize;
            p.retain = Some(Vec::with_capacity(filesize as usize));
        }
        let kind = p.entry.kind;
        if kind == EntryKind::Symlink && filesize <= u64::from(limits.max_name_len) {
            p.target = Some(Vec::with_capacity(filesize as usize));
        }
        if let Some(c) = self.capture.as_mut() {
            let index = p.entry.index;
            let key = link_key(&p.entry);
            let wanted = c.wanted.contains(&index);
            if wanted {
                if let Some(key) = key {
                    c.wanted_keys.insert(key);
                }
            }
            if wanted || key.is_some_and(|k| c.wanted_keys.contains(&k)) {
                p.capture = Some(Vec::new());
            }
        }
        let name_text = super::bytes::escape_bytes(&p.entry.name);
        let mut notes = Vec::new();
        if unterminated {
            notes.push(format!("name {name_text} is not terminated by exactly one nul at the end of namesize; the kernel rejects it"));
        }
        if kind == EntryKind::Symlink && p.target.is_none() {
            notes.push(format!("symlink {name_text} has a {filesize}-byte target, longer than the name limit"));
        }
        if filesize > 0 && !matches!(kind, EntryKind::File | EntryKind::Symlink) {
            notes.push(format!("{kind:?} {name_text} carries {filesize} data bytes").to_lowercase());
        }
        for note in notes {
            self.diagnose(Diagnostic::warning("cpio", Some(start), note));
        }
        Ok(())
    }

    /// Data and padding are done: store the entry, or close the archive at the trailer.
    fn end_entry(&mut self, end: u64) {
        let Some(p) = self.pending.take() else { return };
        let digest: [u8; 32] = p.hasher.finalize().into();
        if self.capture.is_none() {
            self.frame_digest = Some(digest);
        }
        if p.is_trailer {
            if let Some(a) = self.model.archives.last_mut() {
                a.trailer_offset = Some(p.entry.header_offset);
                a.end_offset = Some(end);
            }
            self.resolve_links();
            return;
        }
        let mut entry = p.entry;
        entry.data_blake3 = digest;
        entry.content_blake3 = digest;
        entry.data = p.retain;
        entry.symlink_target = p.target;
        if entry.format == CpioFormat::NewcCrc {
            let ok = p.sum == entry.check;
            entry.checksum_ok = Some(ok);
            if !ok {
                let msg = format!(
                    "entry {}: data checksum {:#010x} does not match the header's {:#010x}; the kernel rejects this",
                    entry.name_escaped(),
                    p.sum,
                    entry.check
                );
                self.diagnose(Diagnostic::error("cpio", Some(entry.header_offset), msg));
            }
        }
        let index = entry.index;
        let slot = self.model.entries.len();
        if let Some(key) = link_key(&entry) {
            self.links.entry(key).or_default().push(slot);
        }
        if let (Some(c), Some(buf)) = (self.capture.as_mut(), p.capture) {
            if c.wanted.contains(&index) && link_key(&entry).is_none() {
                c.results.insert(index, buf);
            } else {
                c.taken.insert(index, buf);
            }
        }
        let hash = name_hash(&entry.name);
        if let Some(&earlier) = self.names.get(&hash) {
            let same = usize::try_from(earlier)
                .ok()
                .and_then(|i| self.model.entries.get(i))
                .is_some_and(|e| normalise(&e.name) == normalise(&entry.name));
            if same {
                entry.overrides = Some(earlier);
                if let Some(e) = usize::try_from(earlier).ok().and_then(|i| self.model.entries.get_mut(i)) {
                    e.overridden_by = Some(index);
                }
                let msg = format!("duplicate name {}: replaces entry {earlier} (the later entry wins)", entry.name_escaped());
                self.diagnose(Diagnostic::warning("cpio", Some(entry.header_offset), msg));
            }
        }
        self.names.insert(hash, index);
        if let Some(a) = self.model.archives.last_mut() {
            a.n_entries += 1;
        }
        self.model.entries.push(entry);
    }

    /// Give every hard-link member of the current archive its group's content.
    fn resolve_links(&mut self) {
        let groups: Vec<Vec<usize>> = self.links.drain().map(|(_, v)| v).collect();
        let mut groups: Vec<Vec<usize>> = groups.into_iter().filter(|g| g.len() > 1 || self.capture.is_some()).collect();
        groups.sort();
        for members in groups {
            let holders: Vec<usize> =
                members.iter().copied().filter(|i| self.model.entries.get(*i).is_some_and(|e| e.filesize > 0)).collect();
            let holder = holders.last().copied();
            if holders.len() > 1 {
                let first = members[0];
                let offset = self.model.entries.get(first).map(|e| e.header_offset);
                let msg = format!(
                    "hard-link group of entry {first} stores data with {} names; the last one is taken as the content",
                    holders.len()
                );
                self.diagnose(Diagnostic::warning("cpio", offset, msg));
            }
            if let Some(c) = self.capture.as_mut() {
                for &m in &members {
                    let index = m as u64;
                    if !c.wanted.contains(&index) {
                        continue;
                    }
                    match holder {
                        None => {
                            c.results.insert(index, Vec::new());
                        }
                        Some(h) => match c.taken.get(&(h as u64)) {
                            Some(data) => {
                                c.results.insert(index, data.clone());
                            }
                            None => c.missing.push((index, h as u64)),
                        },
                    }
                }
            }
            if members.len() < 2 {
                continue;
            }
            let group = self.model.n_link_groups;
            self.model.n_link_groups += 1;
            let (digest, data) = match holder.and_then(|h| self.model.entries.get(h)) {
                Some(e) => (e.data_blake3, e.data.clone()),
                None => (blake3::hash(&[]).into(), Some(Vec::new())),
            };
            for m in members {
                let Some(e) = self.model.entries.get_mut(m) else { continue };
                e.link_group = Some(group);
                e.content_blake3 = digest;
                if Some(m) != holder {
                    let extra = data.as_ref().map_or(0, |d| d.len() as u64);
                    let fits = self.retained_total.saturating_add(extra) <= self.limits.retain_total_bytes;
                    e.data = if fits { data.clone() } else { None };
                    if fits {
                        self.retained_total += extra;
                    }
                }
            }
        }
        if let Some(c) = self.capture.as_mut() {
            c.taken.clear();
            c.wanted_keys.clear();
        }
    }
}

/// `io::Write` for decoders that push into a writer; errors are kept and can be taken back
/// with [`CpioParser::take_error`].
impl io::Write for CpioParser {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.feed(buf) {
            Ok(0) if !buf.is_empty() => Err(io::Error::other("cpio parser stopped before a byte that is not cpio")),
            Ok(n) => Ok(n),
            Err(e) => Err(io::Error::other(e.message)),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl CpioParser {
    /// The error that stopped parsing, if any.
    pub fn take_error(&self) -> Option<CpioError> {
        self.failed.clone()
    }
}

trait IntoNextEntry {
    fn into_next_entry(self, parser: &CpioParser) -> (State, usize);
}

impl IntoNextEntry for (State, usize) {
    /// After an entry, the next header follows directly; after a trailer, padding may.
    fn into_next_entry(self, parser: &CpioParser) -> (State, usize) {
        let open = parser.model.archives.last().is_some_and(|a| a.trailer_offset.is_none());
        if open {
            (State::Header { buf: [0; NEWC_HEADER_LEN], have: 0, format: None }, self.1)
        } else {
            self
        }
    }
}

fn internal(pos: u64) -> CpioError {
    CpioError::new(pos, CpioErrorKind::Corrupt, format!("cpio parser at {pos:#x}: inconsistent state"))
}

fn link_key(e: &CpioEntry) -> Option<LinkKey> {
    (e.nlink > 1 && e.kind != EntryKind::Directory).then_some(LinkKey {
        dev_major: e.dev_major,
        dev_minor: e.dev_minor,
        ino: e.ino,
        file_type: e.mode & 0o170000,
    })
}

/// The path the kernel would create: without leading `./` or `/` and trailing `/`.
fn normalise(name: &[u8]) -> &[u8] {
    let mut n = name;
    loop {
        if let Some(rest) = n.strip_prefix(b"./") {
            n = rest;
        } else if let Some(rest) = n.strip_prefix(b"/") {
            n = rest;
        } else {
            break;
        }
    }
    while let Some(rest) = n.strip_suffix(b"/") {
        n = rest;
    }
    n
}

fn name_hash(name: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    normalise(name).hash(&mut h);
    h.finish()
}

const NEWC_FIELDS: [&str; 13] = [
    "ino", "mode", "uid", "gid", "nlink", "mtime", "filesize", "devmajor", "devminor", "rdevmajor", "rdevminor",
    "namesize", "check",
];

/// Header fields in newc order: ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
/// devminor, rdevmajor, rdevminor, namesize, check.
fn parse_header(format: CpioFormat, header: &[u8], start: u64) -> Result<[u64; 13], CpioError> {
    let bad = |name: &str, text: &[u8]| {
        CpioError::new(
            start,
            CpioErrorKind::Corrupt,
            format!(
                "cpio header at {start:#x}: field {name} \"{}\" is not a valid number",
                super::bytes::escape_bytes(text)
            ),
        )
    };
    let mut out = [0u64; 13];
    match format {
        CpioFormat::Newc | CpioFormat::NewcCrc => {
            for (i, name) in NEWC_FIELDS.iter().enumerate() {
                let text = header.get(6 + i * 8..14 + i * 8).ok_or_else(|| bad(name, b""))?;
                out[i] = parse_radix(text, 16).ok_or_else(|| bad(name, text))?;
            }
        }
        CpioFormat::Odc => {
            // magic dev ino mode uid gid nlink rdev mtime namesize filesize
            let widths: [(&str, usize); 10] = [
                ("dev", 6),
                ("ino", 6),
                ("mode", 6),
                ("uid", 6),
                ("gid", 6),
                ("nlink", 6),
                ("rdev", 6),
                ("mtime", 11),
                ("namesize", 6),
                ("filesize", 11),
            ];
            let mut pos = 6;
            let mut v = [0u64; 10];
            for (i, (name, w)) in widths.iter().enumerate() {
                let text = header.get(pos..pos + w).ok_or_else(|| bad(name, b""))?;
                v[i] = parse_radix(text, 8).ok_or_else(|| bad(name, text))?;
                pos += w;
            }
            let [dev, ino, mode, uid, gid, nlink, rdev, mtime, namesize, filesize] = v;
            out = [ino, mode, uid, gid, nlink, mtime, filesize, dev >> 8, dev & 0xff, rdev >> 8, rdev & 0xff, namesize, 0];
        }
    }
    Ok(out)
}

fn parse_radix(text: &[u8], radix: u32) -> Option<u64> {
    let text = std::str::from_utf8(text).ok()?;
    if text.is_empty() || !text.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(text, radix).ok()
}
