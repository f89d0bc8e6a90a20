//! One ramdisk payload with the kernel's initramfs semantics: a sequence of NUL padding, raw
//! cpio archives and compressed members (gzip, xz, zstd) whose output is itself one or more
//! cpio archives. All of it is walked as a stream into one [`CpioParser`].
//!
//! Architecture invariant: a ramdisk is never decompressed into memory as a whole; the walk
//! reads the source in 64 KiB windows and decoders push 64 KiB pieces into the parser, so a
//! 2 GB rootfs costs the entry list plus the retained small files. [`fetch_entries`] re-walks
//! the same bytes to hand out the contents of chosen entries on demand;
//! [`fetch_entries_seeking`] instead reads each entry's bytes at its stream offset, resuming
//! gzip members at the nearest inflate checkpoint [`parse_ramdisk_indexed`] kept.

use super::compression::{self, Checkpoints, CompressionError, CompressionErrorKind, GzipHeader, Resume, Sniffed, Window};
use super::cpio::{CpioArchive, CpioEntry, CpioError, CpioErrorKind, CpioParser, FeedMode};
use crate::diagnostics::Diagnostic;
use crate::limits::Limits;
use crate::source::{ByteSource, SliceSource};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::{self, Write};

/// A ramdisk entry (cpio member).
pub type Entry = CpioEntry;

/// One piece of the payload: a compressed member or a raw cpio segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    pub index: u32,
    pub format: Sniffed,
    /// Absolute offset in the source.
    pub offset: u64,
    /// Source bytes the layer occupies (for raw cpio: the bytes the parser consumed).
    pub compressed_len: u64,
    /// Where its output starts in the decompressed stream.
    pub stream_offset: u64,
    pub decompressed_len: u64,
    pub gzip: Option<GzipHeader>,
    pub crc32_stored: Option<u32>,
    pub crc32_computed: Option<u32>,
    pub crc_ok: Option<bool>,
    pub isize_ok: Option<bool>,
    /// NUL bytes between this layer and the next (or the end of the payload).
    pub padding_after: u64,
    /// False when decoding stopped inside this layer.
    pub complete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RamdiskErrorKind {
    Truncated,
    Corrupt,
    Unsupported,
    Limit,
    Source,
}

/// What stopped the walk, at an absolute offset: of the source for compression and source
/// errors, of the decompressed stream for cpio errors (`in_stream`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RamdiskError {
    pub offset: u64,
    pub in_stream: bool,
    pub kind: RamdiskErrorKind,
    pub message: String,
}

impl RamdiskError {
    pub fn is_limit(&self) -> bool {
        self.kind == RamdiskErrorKind::Limit
    }
}

impl fmt::Display for RamdiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RamdiskError {}

impl From<CompressionError> for RamdiskError {
    fn from(e: CompressionError) -> RamdiskError {
        let kind = match e.kind {
            CompressionErrorKind::Truncated => RamdiskErrorKind::Truncated,
            CompressionErrorKind::Corrupt | CompressionErrorKind::Sink => RamdiskErrorKind::Corrupt,
            CompressionErrorKind::Unsupported => RamdiskErrorKind::Unsupported,
            CompressionErrorKind::Limit => RamdiskErrorKind::Limit,
            CompressionErrorKind::Source => RamdiskErrorKind::Source,
        };
        RamdiskError { offset: e.offset, in_stream: false, kind, message: e.message }
    }
}

impl From<CpioError> for RamdiskError {
    fn from(e: CpioError) -> RamdiskError {
        let kind = match e.kind {
            CpioErrorKind::Truncated => RamdiskErrorKind::Truncated,
            CpioErrorKind::Corrupt => RamdiskErrorKind::Corrupt,
            CpioErrorKind::Limit => RamdiskErrorKind::Limit,
        };
        RamdiskError { offset: e.offset, in_stream: true, kind, message: e.message }
    }
}

/// A decoded ramdisk. When `error` is set the model holds everything read before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ramdisk {
    pub offset: u64,
    pub len: u64,
    /// NUL bytes before the first layer.
    pub leading_padding: u64,
    pub layers: Vec<Layer>,
    pub archives: Vec<CpioArchive>,
    pub entries: Vec<Entry>,
    pub n_link_groups: u32,
    /// Length of the decompressed stream: every compressed member's output and every raw cpio
    /// byte (NUL padding between compressed members is not part of it).
    pub decompressed_len: u64,
    /// Digest of that stream ([`CpioParser::stream_digest`]: BLAKE3 over the stream with each
    /// entry's data replaced by its BLAKE3, so file data is hashed once): equal digests with
    /// different layers mean "same cpio bytes, different compression".
    #[serde(with = "super::encoding::hex_array")]
    pub decompressed_digest: [u8; 32],
    /// Offset in the source of bytes that are neither padding, cpio nor a known compression.
    pub garbage_offset: Option<u64>,
    pub diagnostics: Vec<Diagnostic>,
    pub error: Option<RamdiskError>,
}

impl Ramdisk {
    /// The model, or the error with the partial model beside it.
    pub fn into_result(self) -> Result<Ramdisk, Box<(Ramdisk, RamdiskError)>> {
        match self.error.clone() {
            Some(e) => Err(Box::new((self, e))),
            None => Ok(self),
        }
    }
}

/// Counts and forwards the decompressed stream to the parser (which digests it).
struct Pipe<'p> {
    parser: &'p mut CpioParser,
    total: u64,
}

impl Pipe<'_> {
    fn push(&mut self, data: &[u8]) -> Result<usize, CpioError> {
        let n = self.parser.feed(data)?;
        self.total += n as u64;
        Ok(n)
    }
}

impl Write for Pipe<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.push(buf) {
            Ok(n) if n == buf.len() => Ok(n),
            Ok(_) => Err(io::Error::other("cpio parser stopped early")),
            Err(e) => Err(io::Error::other(e.message)),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Walk {
    leading_padding: u64,
    layers: Vec<Layer>,
    decompressed_len: u64,
    decompressed_digest: [u8; 32],
    garbage_offset: Option<u64>,
    error: Option<RamdiskError>,
}

/// Decode the ramdisk at `offset..offset + len` of `src`.
pub fn parse_ramdisk(src: &dyn ByteSource, offset: u64, len: u64, limits: &Limits) -> Ramdisk {
    parse(src, offset, len, limits, None)
}

/// [`parse_ramdisk`], also keeping inflate checkpoints of its gzip members (within
/// [`Limits::checkpoint_every_bytes`] / [`Limits::max_checkpoints`]) for
/// [`fetch_entries_seeking`].
pub fn parse_ramdisk_indexed(src: &dyn ByteSource, offset: u64, len: u64, limits: &Limits) -> (Ramdisk, Checkpoints) {
    let mut checkpoints = Checkpoints::new(limits);
    let model = parse(src, offset, len, limits, Some(&mut checkpoints));
    (model, checkpoints)
}

fn parse(src: &dyn ByteSource, offset: u64, len: u64, limits: &Limits, checkpoints: Option<&mut Checkpoints>) -> Ramdisk {
    let mut parser = CpioParser::new(limits);
    let walk = walk(src, offset, len, limits, &mut parser, checkpoints);
    let (model, cpio_error) = parser.finish();
    let error = walk.error.or(cpio_error.map(RamdiskError::from));
    Ramdisk {
        offset,
        len,
        leading_padding: walk.leading_padding,
        layers: walk.layers,
        archives: model.archives,
        entries: model.entries,
        n_link_groups: model.n_link_groups,
        decompressed_len: walk.decompressed_len,
        decompressed_digest: walk.decompressed_digest,
        garbage_offset: walk.garbage_offset,
        diagnostics: model.diagnostics,
        error,
    }
}

/// A bare `rootfs.cpio` / `rootfs.cpio.gz` file: a ramdisk over the whole input.
pub fn parse_ramdisk_bytes(bytes: &[u8], limits: &Limits) -> Ramdisk {
    parse_ramdisk(&SliceSource(bytes), 0, bytes.len() as u64, limits)
}

/// Second pass: the contents of the entries with the given indices (as in
/// [`Ramdisk::entries`]), each cut at `max_bytes_each`, in the order asked. A hard-link member
/// gets its group's data. Indices that do not exist are left out.
pub fn fetch_entries(
    src: &dyn ByteSource,
    offset: u64,
    len: u64,
    limits: &Limits,
    wanted: &[u64],
    max_bytes_each: u64,
) -> Result<Vec<(u64, Vec<u8>)>, RamdiskError> {
    let mut parser = CpioParser::for_capture(limits, wanted, max_bytes_each);
    let walked = walk(src, offset, len, limits, &mut parser, None);
    let captured = parser.finish_capture();
    let (mut results, missing, cpio_error) = (captured.data, captured.missing, captured.error);
    if let Some(e) = walked.error.or(cpio_error.map(RamdiskError::from)) {
        return Err(e);
    }
    if !missing.is_empty() {
        // Link groups whose data came before the wanted name: fetch the holders directly.
        let holders: Vec<u64> = missing.iter().map(|(_, h)| *h).collect();
        let mut parser = CpioParser::for_capture(limits, &holders, max_bytes_each);
        let walked = walk(src, offset, len, limits, &mut parser, None);
        let captured = parser.finish_capture();
        let (held, cpio_error) = (captured.data, captured.error);
        if let Some(e) = walked.error.or(cpio_error.map(RamdiskError::from)) {
            return Err(e);
        }
        for (w, h) in missing {
            if let Some(data) = held.get(&h) {
                results.insert(w, data.clone());
            }
        }
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for index in wanted {
        if seen.insert(*index) {
            if let Some(data) = results.remove(index) {
                out.push((*index, data));
            }
        }
    }
    Ok(out)
}

/// Second pass without re-walking: the same answer as [`fetch_entries`] for a ramdisk the
/// first pass read completely (`model`, with `checkpoints` from [`parse_ramdisk_indexed`]).
/// Each wanted entry's content (for a hard link: the data stored with its group's last
/// member that has data) is read at its `data_offset` in the decompressed stream: raw cpio
/// layers straight from the source, gzip members by inflating from the nearest checkpoint
/// before it (at most `checkpoint_every_bytes` times the thinning factor of discarded output).
/// Fails with kind `unsupported` when the model has an error or the data lies in an xz / zstd
/// layer; callers then use [`fetch_entries`].
pub fn fetch_entries_seeking(
    src: &dyn ByteSource,
    model: &Ramdisk,
    checkpoints: &Checkpoints,
    wanted: &[u64],
    max_bytes_each: u64,
) -> Result<Vec<(u64, Vec<u8>)>, RamdiskError> {
    if model.error.is_some() {
        return Err(unsupported(model.offset, "ramdisk was not read completely: no seeking".into()));
    }
    let mut win = Window::new(src, model.offset, model.len);
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for &index in wanted {
        if !seen.insert(index) {
            continue;
        }
        let Some(entry) = usize::try_from(index).ok().and_then(|i| model.entries.get(i)).filter(|e| e.index == index) else {
            continue;
        };
        let holder = match entry.link_group {
            Some(g) => model.entries.iter().rev().find(|e| e.link_group == Some(g) && e.filesize > 0),
            None => Some(entry),
        };
        let data = match holder {
            Some(h) => {
                let to = h.data_offset.saturating_add(h.filesize.min(max_bytes_each));
                read_stream(&mut win, model, checkpoints, h.data_offset, to)?
            }
            None => Vec::new(),
        };
        out.push((index, data));
    }
    Ok(out)
}

fn unsupported(offset: u64, message: String) -> RamdiskError {
    RamdiskError { offset, in_stream: true, kind: RamdiskErrorKind::Unsupported, message }
}

/// The bytes `from..to` of the ramdisk's decompressed stream.
fn read_stream(win: &mut Window<'_>, model: &Ramdisk, checkpoints: &Checkpoints, from: u64, to: u64) -> Result<Vec<u8>, RamdiskError> {
    let want = usize::try_from(to.saturating_sub(from)).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::new();
    for layer in &model.layers {
        let at = from.saturating_add(out.len() as u64);
        let layer_end = layer.stream_offset.saturating_add(layer.decompressed_len);
        if at >= to {
            break;
        }
        if layer_end <= at || layer.stream_offset >= to {
            continue;
        }
        if at < layer.stream_offset {
            return Err(unsupported(at, format!("stream offset {at:#x} lies in no layer")));
        }
        let seg_to = to.min(layer_end);
        if out.capacity() == 0 {
            out.reserve_exact(want.min(usize::try_from(layer_end - at).unwrap_or(usize::MAX)));
        }
        if layer.format.is_cpio() {
            let mut pos = layer.offset.saturating_add(at - layer.stream_offset);
            let end = layer.offset.saturating_add(seg_to - layer.stream_offset);
            while pos < end {
                let n = usize::try_from(end - pos).unwrap_or(usize::MAX);
                let bytes = win.bytes_at(pos, n)?;
                if bytes.is_empty() {
                    return Err(RamdiskError {
                        offset: pos,
                        in_stream: false,
                        kind: RamdiskErrorKind::Truncated,
                        message: format!("raw cpio at {:#x}: input ends at {pos:#x}", layer.offset),
                    });
                }
                out.extend_from_slice(bytes);
                pos += bytes.len() as u64;
            }
        } else if let (Sniffed::Gzip, Some(header)) = (layer.format, &layer.gzip) {
            let points = checkpoints.points();
            let before = points.partition_point(|c| c.stream_offset <= at);
            let resume = match points[..before].iter().rev().find(|c| c.layer == layer.index && c.stream_offset >= layer.stream_offset) {
                Some(c) => Resume::At(c),
                None => Resume::Fresh { source_pos: layer.offset.saturating_add(header.header_len), stream_offset: layer.stream_offset },
            };
            let had = out.len();
            compression::inflate_range(win, layer.offset, resume, at, seg_to, &mut out)?;
            let expected = usize::try_from(seg_to - at).unwrap_or(usize::MAX);
            if out.len() - had != expected {
                return Err(RamdiskError {
                    offset: layer.offset,
                    in_stream: false,
                    kind: RamdiskErrorKind::Truncated,
                    message: format!("gzip member at {:#x}: ended before stream offset {seg_to:#x}", layer.offset),
                });
            }
        } else {
            return Err(unsupported(layer.offset, format!("{} layer at {:#x}: no seeking", layer.format.name(), layer.offset)));
        }
    }
    Ok(out)
}

fn walk(
    src: &dyn ByteSource,
    offset: u64,
    len: u64,
    limits: &Limits,
    parser: &mut CpioParser,
    checkpoints: Option<&mut Checkpoints>,
) -> Walk {
    let mut out = Walk {
        leading_padding: 0,
        layers: Vec::new(),
        decompressed_len: 0,
        decompressed_digest: [0; 32],
        garbage_offset: None,
        error: None,
    };
    let mut win = Window::new(src, offset, len);
    let end = win.end();
    if offset.saturating_add(len) > src.len() {
        out.error = Some(RamdiskError {
            offset,
            in_stream: false,
            kind: RamdiskErrorKind::Truncated,
            message: format!(
                "ramdisk at {offset:#x}: {len} bytes declared but the input ends after {}",
                src.len().saturating_sub(offset)
            ),
        });
    }
    let mut pipe = Pipe { parser, total: 0 };
    let mut pos = offset;
    let result = walk_layers(&mut win, &mut pos, end, limits, &mut pipe, &mut out, checkpoints);
    if let Err(e) = result {
        if out.error.is_none() {
            out.error = Some(e);
        }
    }
    out.decompressed_len = pipe.total;
    out.decompressed_digest = pipe.parser.stream_digest();
    out
}

fn walk_layers(
    win: &mut Window<'_>,
    pos: &mut u64,
    end: u64,
    limits: &Limits,
    pipe: &mut Pipe<'_>,
    out: &mut Walk,
    mut checkpoints: Option<&mut Checkpoints>,
) -> Result<(), RamdiskError> {
    loop {
        // NUL padding between layers (after raw cpio the parser eats it itself).
        loop {
            let bytes = win.bytes_at(*pos, 64 * 1024)?;
            let zeros = bytes.iter().take_while(|b| **b == 0).count();
            let all = zeros == bytes.len();
            *pos += zeros as u64;
            match out.layers.last_mut() {
                Some(layer) => layer.padding_after += zeros as u64,
                None => out.leading_padding += zeros as u64,
            }
            if !all || bytes.is_empty() {
                break;
            }
        }
        if *pos >= end {
            return Ok(());
        }
        let prefix = win.bytes_at(*pos, 8)?.to_vec();
        let format = compression::sniff(&prefix);
        let index = u32::try_from(out.layers.len()).unwrap_or(u32::MAX);
        let stream_offset = pipe.total;
        pipe.parser.set_layer(index);
        if format.is_cpio() {
            pipe.parser.set_mode(FeedMode::StopAtNonCpio);
            pipe.parser.set_input_end(Some(stream_offset + (end - *pos)));
            let start = *pos;
            let mut layer = raw_layer(index, format, start, stream_offset);
            out.layers.push(layer.clone());
            let result = (|| -> Result<(), RamdiskError> {
                loop {
                    let chunk = win.bytes_at(*pos, 64 * 1024)?;
                    if chunk.is_empty() {
                        return Ok(());
                    }
                    let chunk_len = chunk.len();
                    let n = pipe.push(chunk)?;
                    *pos += n as u64;
                    if n < chunk_len {
                        return Ok(());
                    }
                }
            })();
            layer.compressed_len = *pos - start;
            layer.decompressed_len = layer.compressed_len;
            layer.complete = result.is_ok();
            if let Some(last) = out.layers.last_mut() {
                *last = layer;
            }
            result?;
            if *pos == start {
                return Err(RamdiskError {
                    offset: start,
                    in_stream: false,
                    kind: RamdiskErrorKind::Corrupt,
                    message: format!("raw cpio at {start:#x}: no progress"),
                });
            }
            continue;
        }
        if format.is_compressed() {
            pipe.parser.set_mode(FeedMode::Embedded);
            pipe.parser.set_input_end(None);
            let total_before = pipe.total;
            if let Some(c) = checkpoints.as_deref_mut() {
                c.set_layer(index);
            }
            match compression::decode_member_in(win, *pos, format, limits, total_before, pipe, checkpoints.as_deref_mut()) {
                Ok(member) => {
                    let mut notes = Vec::new();
                    if member.crc_ok == Some(false) {
                        notes.push(Diagnostic::error(
                            "ramdisk gzip",
                            Some(*pos),
                            format!(
                                "crc32 mismatch: trailer says {:#010x}, data gives {:#010x} (the kernel does not check it)",
                                member.crc32_stored.unwrap_or(0),
                                member.crc32_computed.unwrap_or(0)
                            ),
                        ));
                    }
                    if member.isize_ok == Some(false) {
                        notes.push(Diagnostic::error(
                            "ramdisk gzip",
                            Some(*pos),
                            format!("isize mismatch: {} bytes were decompressed", member.decompressed_len),
                        ));
                    }
                    if member.gzip.as_ref().is_some_and(|g| g.header_crc_ok == Some(false)) {
                        notes.push(Diagnostic::error("ramdisk gzip", Some(*pos), "header crc16 mismatch"));
                    }
                    if !pipe.parser.at_boundary() && !pipe.parser.in_junk() {
                        notes.push(Diagnostic::error(
                            "ramdisk",
                            Some(*pos),
                            format!(
                                "{} member ends inside a cpio entry; the kernel stops with \"junk at the end of compressed archive\"",
                                format.name()
                            ),
                        ));
                    }
                    for d in notes {
                        pipe.parser.diagnose(d);
                    }
                    out.layers.push(Layer {
                        index,
                        format,
                        offset: member.offset,
                        compressed_len: member.compressed_len,
                        stream_offset,
                        decompressed_len: member.decompressed_len,
                        gzip: member.gzip,
                        crc32_stored: member.crc32_stored,
                        crc32_computed: member.crc32_computed,
                        crc_ok: member.crc_ok,
                        isize_ok: member.isize_ok,
                        padding_after: 0,
                        complete: true,
                    });
                    *pos += member.compressed_len.max(1);
                }
                Err(e) => {
                    let mut layer = raw_layer(index, format, *pos, stream_offset);
                    layer.decompressed_len = pipe.total - stream_offset;
                    layer.compressed_len = e.offset.saturating_sub(*pos);
                    layer.complete = false;
                    out.layers.push(layer);
                    if e.kind == CompressionErrorKind::Sink {
                        if let Some(cpio) = pipe.parser.take_error() {
                            return Err(cpio.into());
                        }
                    }
                    return Err(e.into());
                }
            }
            continue;
        }
        // Neither padding, cpio nor compression: the kernel gives up here.
        out.garbage_offset = Some(*pos);
        let shown: Vec<String> = prefix.iter().map(|b| format!("{b:02x}")).collect();
        pipe.parser.diagnose(Diagnostic::error(
            "ramdisk",
            Some(*pos),
            format!(
                "{} unrecognised bytes (starting {}) where nul padding, cpio or a compressed stream should start; the kernel stops with \"invalid magic at start of compressed archive\"",
                end - *pos,
                shown.join(" ")
            ),
        ));
        return Ok(());
    }
}

fn raw_layer(index: u32, format: Sniffed, offset: u64, stream_offset: u64) -> Layer {
    Layer {
        index,
        format,
        offset,
        compressed_len: 0,
        stream_offset,
        decompressed_len: 0,
        gzip: None,
        crc32_stored: None,
        crc32_computed: None,
        crc_ok: None,
        isize_ok: None,
        padding_after: 0,
        complete: true,
    }
}
