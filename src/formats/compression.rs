//! Compression layers of a ramdisk: sniffing the magic, a hand-written gzip member parser with
//! streaming raw inflate (miniz_oxide), and xz / zstd decoders, all pushing their output into a
//! caller's [`Write`] sink in bounded chunks.
//!
//! Architecture invariant: nothing here holds a whole decompressed stream. Output is produced
//! in [`OUT_CHUNK`]-sized pieces and every piece is counted against [`Limits`] before it is
//! handed on, so a bomb is stopped at the offset where it crossed the limit.

use crate::limits::Limits;
use crate::source::ByteSource;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read, Write};

/// Size of the output pieces decoders hand to the sink.
pub const OUT_CHUNK: usize = 64 * 1024;
/// Input window read from the source at a time.
const IN_CHUNK: usize = 64 * 1024;
/// The compression-ratio limit is only applied once a member produced this much.
pub const RATIO_CHECK_AFTER: u64 = 64 << 20;
/// Longest gzip FNAME / FCOMMENT / FEXTRA accepted.
const MAX_GZIP_FIELD: usize = 64 * 1024;

/// What the first bytes of a payload look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sniffed {
    Gzip,
    CpioNewc,
    CpioNewcCrc,
    CpioOdc,
    Xz,
    Zstd,
    Lz4Legacy,
    Bzip2,
    Lzma,
    NulPadding,
    Unknown,
}

impl Sniffed {
    /// Short lower-case name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Sniffed::Gzip => "gzip",
            Sniffed::CpioNewc => "cpio newc",
            Sniffed::CpioNewcCrc => "cpio newc+crc",
            Sniffed::CpioOdc => "cpio odc",
            Sniffed::Xz => "xz",
            Sniffed::Zstd => "zstd",
            Sniffed::Lz4Legacy => "lz4",
            Sniffed::Bzip2 => "bzip2",
            Sniffed::Lzma => "lzma",
            Sniffed::NulPadding => "nul padding",
            Sniffed::Unknown => "unknown",
        }
    }
    /// A compressed stream (supported or not).
    pub fn is_compressed(self) -> bool {
        matches!(
            self,
            Sniffed::Gzip | Sniffed::Xz | Sniffed::Zstd | Sniffed::Lz4Legacy | Sniffed::Bzip2 | Sniffed::Lzma
        )
    }
    /// A raw cpio archive.
    pub fn is_cpio(self) -> bool {
        matches!(self, Sniffed::CpioNewc | Sniffed::CpioNewcCrc | Sniffed::CpioOdc)
    }
}

/// Recognise a payload by its first bytes (8 are enough for every magic).
pub fn sniff(prefix: &[u8]) -> Sniffed {
    match prefix {
        [0x1f, 0x8b, ..] => Sniffed::Gzip,
        [b'0', b'7', b'0', b'7', b'0', b'1', ..] => Sniffed::CpioNewc,
        [b'0', b'7', b'0', b'7', b'0', b'2', ..] => Sniffed::CpioNewcCrc,
        [b'0', b'7', b'0', b'7', b'0', b'7', ..] => Sniffed::CpioOdc,
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Sniffed::Xz,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Sniffed::Zstd,
        [0x02, 0x21, 0x4c, 0x18, ..] => Sniffed::Lz4Legacy,
        [b'B', b'Z', b'h', ..] => Sniffed::Bzip2,
        [0x5d, 0x00, 0x00, ..] => Sniffed::Lzma,
        [0x00, ..] => Sniffed::NulPadding,
        _ => Sniffed::Unknown,
    }
}

/// What went wrong, for callers that need to branch (`is_limit()` etc.).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompressionErrorKind {
    Truncated,
    Corrupt,
    Unsupported,
    Limit,
    /// The sink refused the output (its own error says why).
    Sink,
    Source,
}

/// A decoding failure at an absolute offset of the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompressionError {
    pub offset: u64,
    pub kind: CompressionErrorKind,
    pub message: String,
}

impl CompressionError {
    pub(crate) fn new(offset: u64, kind: CompressionErrorKind, message: impl Into<String>) -> CompressionError {
        CompressionError { offset, kind, message: message.into() }
    }
    pub fn is_limit(&self) -> bool {
        self.kind == CompressionErrorKind::Limit
    }
}

impl fmt::Display for CompressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompressionError {}

/// A point inside a gzip member's deflate stream from which inflating can resume: the
/// decompressor's state (window and bit buffer included) after the first pass had consumed the
/// source up to `source_pos` and produced the ramdisk's stream up to `stream_offset`.
#[derive(Clone)]
pub struct InflateCheckpoint {
    /// Layer (compressed member) of the ramdisk the checkpoint belongs to.
    pub layer: u32,
    /// Absolute source offset of the next compressed byte to feed.
    pub source_pos: u64,
    /// Offset in the ramdisk's decompressed stream of the next output byte.
    pub stream_offset: u64,
    state: Box<miniz_oxide::inflate::stream::InflateState>,
}

impl fmt::Debug for InflateCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InflateCheckpoint")
            .field("layer", &self.layer)
            .field("source_pos", &self.source_pos)
            .field("stream_offset", &self.stream_offset)
            .finish_non_exhaustive()
    }
}

/// Bytes one checkpoint holds (the inflate state: 32 KiB window plus Huffman tables).
pub fn checkpoint_size() -> usize {
    std::mem::size_of::<miniz_oxide::inflate::stream::InflateState>()
}

/// Collects [`InflateCheckpoint`]s while gzip members are decoded, within
/// [`Limits::checkpoint_every_bytes`] and [`Limits::max_checkpoints`].
#[derive(Debug, Clone, Default)]
pub struct Checkpoints {
    every: u64,
    max: usize,
    next_at: u64,
    layer: u32,
    points: Vec<InflateCheckpoint>,
}

impl Checkpoints {
    pub fn new(limits: &Limits) -> Checkpoints {
        let every = limits.checkpoint_every_bytes;
        let max = usize::try_from(limits.max_checkpoints).unwrap_or(usize::MAX);
        Checkpoints { every, max, next_at: every, layer: 0, points: Vec::new() }
    }
    /// Layer number recorded in checkpoints taken from now on.
    pub(crate) fn set_layer(&mut self, layer: u32) {
        self.layer = layer;
    }
    /// The checkpoints, in stream order.
    pub fn points(&self) -> &[InflateCheckpoint] {
        &self.points
    }
    fn enabled(&self) -> bool {
        self.every > 0 && self.max > 0
    }
    fn offer(&mut self, source_pos: u64, stream_offset: u64, state: &miniz_oxide::inflate::stream::InflateState) {
        if !self.enabled() || stream_offset < self.next_at {
            return;
        }
        if self.points.len() >= self.max {
            // Keep every other checkpoint and double the spacing: memory stays bounded and the
            // points stay evenly spread.
            let mut i = 0;
            self.points.retain(|_| {
                i += 1;
                i % 2 == 0
            });
            self.every = self.every.saturating_mul(2);
            let last = self.points.last().map_or(0, |p| p.stream_offset);
            self.next_at = last.saturating_add(self.every);
            if stream_offset < self.next_at {
                return;
            }
        }
        self.points.push(InflateCheckpoint {
            layer: self.layer,
            source_pos,
            stream_offset,
            state: Box::new(state.clone()),
        });
        self.next_at = stream_offset.saturating_add(self.every);
    }
}

/// Buffered sequential access to `start..end` of a source.
pub(crate) struct Window<'a> {
    src: &'a dyn ByteSource,
    end: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

impl<'a> Window<'a> {
    pub(crate) fn new(src: &'a dyn ByteSource, offset: u64, len: u64) -> Window<'a> {
        let end = offset.saturating_add(len).min(src.len());
        Window { src, end, buf: Vec::new(), buf_start: 0 }
    }
    pub(crate) fn end(&self) -> u64 {
        self.end
    }
    /// Up to `want` (<= 64 KiB) bytes at `pos`; fewer only at the end of the range.
    pub(crate) fn bytes_at(&mut self, pos: u64, want: usize) -> Result<&[u8], CompressionError> {
        let want = want.min(IN_CHUNK);
        let avail = usize::try_from(self.end.saturating_sub(pos)).unwrap_or(usize::MAX).min(want);
        let buf_end = self.buf_start + self.buf.len() as u64;
        if !(pos >= self.buf_start && pos + avail as u64 <= buf_end) {
            let n = usize::try_from(self.end.saturating_sub(pos)).unwrap_or(usize::MAX).min(IN_CHUNK);
            self.buf.resize(n, 0);
            self.src
                .read_at(pos, &mut self.buf)
                .map_err(|e| CompressionError::new(pos, CompressionErrorKind::Source, e.to_string()))?;
            self.buf_start = pos;
        }
        let start = usize::try_from(pos - self.buf_start).unwrap_or(0);
        Ok(&self.buf[start..start + avail])
    }
    fn byte_at(&mut self, pos: u64, what: &str) -> Result<u8, CompressionError> {
        match self.bytes_at(pos, 1)?.first() {
            Some(b) => Ok(*b),
            None => Err(CompressionError::new(
                pos,
                CompressionErrorKind::Truncated,
                format!("{what} at {pos:#x}: input ends"),
            )),
        }
    }
}

/// Compression-level hint from the gzip XFL byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelHint {
    /// XFL 0: no hint (gzip -2..-8, pgzip, most libraries).
    Unspecified,
    /// XFL 2: maximum compression (gzip -9 / --best).
    Best,
    /// XFL 4: fastest algorithm (gzip -1 / --fast).
    Fastest,
    Other,
}

/// Every field of a gzip member header (RFC 1952).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GzipHeader {
    /// CM: 8 = deflate.
    pub method: u8,
    /// FLG bits (FTEXT 1, FHCRC 2, FEXTRA 4, FNAME 8, FCOMMENT 16).
    pub flags: u8,
    /// MTIME, seconds since the epoch; 0 = not set (`gzip -n`).
    pub mtime: u32,
    pub xfl: u8,
    pub level_hint: LevelHint,
    /// OS: 3 = unix, 0 = fat, 255 = unknown, ...
    pub os: u8,
    #[serde(with = "super::encoding::hex_opt", default)]
    pub extra: Option<Vec<u8>>,
    #[serde(with = "super::encoding::escaped_opt", default)]
    pub name: Option<Vec<u8>>,
    #[serde(with = "super::encoding::escaped_opt", default)]
    pub comment: Option<Vec<u8>>,
    pub header_crc16: Option<u16>,
    pub header_crc_ok: Option<bool>,
    /// Bytes of header before the deflate data.
    pub header_len: u64,
}

impl GzipHeader {
    /// Human name of the OS byte.
    pub fn os_name(&self) -> &'static str {
        match self.os {
            0 => "fat",
            3 => "unix",
            7 => "macintosh",
            11 => "ntfs",
            255 => "unknown",
            _ => "other",
        }
    }
}

/// Parse the gzip member header at `offset`.
pub(crate) fn parse_gzip_header(win: &mut Window<'_>, offset: u64) -> Result<GzipHeader, CompressionError> {
    let ctx = format!("gzip header at {offset:#x}");
    let fixed: Vec<u8> = win.bytes_at(offset, 10)?.to_vec();
    if fixed.len() < 10 {
        return Err(CompressionError::new(
            offset,
            CompressionErrorKind::Truncated,
            format!("{ctx}: needs 10 bytes, only {} remain", fixed.len()),
        ));
    }
    if fixed[0..2] != [0x1f, 0x8b] {
        return Err(CompressionError::new(offset, CompressionErrorKind::Corrupt, format!("{ctx}: bad magic")));
    }
    let method = fixed[2];
    let flags = fixed[3];
    if method != 8 {
        return Err(CompressionError::new(
            offset,
            CompressionErrorKind::Unsupported,
            format!("{ctx}: compression method {method} is not deflate (8)"),
        ));
    }
    if flags & 0xe0 != 0 {
        return Err(CompressionError::new(
            offset,
            CompressionErrorKind::Corrupt,
            format!("{ctx}: reserved flag bits set ({flags:#04x})"),
        ));
    }
    let mtime = u32::from_le_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
    let xfl = fixed[8];
    let os = fixed[9];
    let mut hcrc = crc32fast::Hasher::new();
    hcrc.update(&fixed);
    let mut pos = offset + 10;
    let mut extra = None;
    if flags & 4 != 0 {
        let lo = win.byte_at(pos, "gzip fextra length")?;
        let hi = win.byte_at(pos + 1, "gzip fextra length")?;
        hcrc.update(&[lo, hi]);
        pos += 2;
        let xlen = usize::from(u16::from_le_bytes([lo, hi]));
        let bytes = win.bytes_at(pos, xlen)?.to_vec();
        if bytes.len() < xlen {
            return Err(CompressionError::new(
                pos,
                CompressionErrorKind::Truncated,
                format!("{ctx}: fextra at {pos:#x} needs {xlen} bytes, only {} remain", bytes.len()),
            ));
        }
        hcrc.update(&bytes);
        pos += xlen as u64;
        extra = Some(bytes);
    }
    let mut zstring = |win: &mut Window<'_>, pos: &mut u64, what: &str| -> Result<Vec<u8>, CompressionError> {
        let start = *pos;
        let mut out = Vec::new();
        loop {
            let b = win.byte_at(*pos, what)?;
            *pos += 1;
            if b == 0 {
                break;
            }
            if out.len() >= MAX_GZIP_FIELD {
                return Err(CompressionError::new(
                    start,
                    CompressionErrorKind::Limit,
                    format!("{ctx}: {what} at {start:#x} is longer than {MAX_GZIP_FIELD} bytes"),
                ));
            }
            out.push(b);
        }
        hcrc.update(&out);
        hcrc.update(&[0]);
        Ok(out)
    };
    let name = if flags & 8 != 0 { Some(zstring(win, &mut pos, "gzip fname")?) } else { None };
    let comment = if flags & 16 != 0 { Some(zstring(win, &mut pos, "gzip fcomment")?) } else { None };
    let (header_crc16, header_crc_ok) = if flags & 2 != 0 {
        let lo = win.byte_at(pos, "gzip fhcrc")?;
        let hi = win.byte_at(pos + 1, "gzip fhcrc")?;
        pos += 2;
        let stored = u16::from_le_bytes([lo, hi]);
        let computed = (hcrc.finalize() & 0xffff) as u16;
        (Some(stored), Some(stored == computed))
    } else {
        (None, None)
    };
    let level_hint = match xfl {
        0 => LevelHint::Unspecified,
        2 => LevelHint::Best,
        4 => LevelHint::Fastest,
        _ => LevelHint::Other,
    };
    Ok(GzipHeader {
        method,
        flags,
        mtime,
        xfl,
        level_hint,
        os,
        extra,
        name,
        comment,
        header_crc16,
        header_crc_ok,
        header_len: pos - offset,
    })
}

/// One decoded compressed member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub format: Sniffed,
    pub offset: u64,
    /// Source bytes the member occupies (header, data, trailer).
    pub compressed_len: u64,
    pub decompressed_len: u64,
    pub gzip: Option<GzipHeader>,
    pub crc32_stored: Option<u32>,
    pub crc32_computed: Option<u32>,
    pub crc_ok: Option<bool>,
    pub isize_stored: Option<u32>,
    pub isize_ok: Option<bool>,
}

/// Counts output against the limits before passing it to the sink.
struct Meter<'s> {
    sink: &'s mut dyn Write,
    limits: &'s Limits,
    format: Sniffed,
    offset: u64,
    total_before: u64,
    produced: u64,
    /// Source bytes consumed by the member so far (shared with the reader).
    consumed: &'s Cell<u64>,
    error: Option<CompressionError>,
}

impl Meter<'_> {
    fn push(&mut self, data: &[u8]) -> Result<(), CompressionError> {
        let produced = self.produced + data.len() as u64;
        let total = self.total_before.saturating_add(produced);
        let what = self.format.name();
        let offset = self.offset;
        if total > self.limits.max_decompressed_bytes {
            return Err(CompressionError::new(
                offset,
                CompressionErrorKind::Limit,
                format!(
                    "{what} stream at {offset:#x}: decompressed size exceeds the limit of {} bytes (possible decompression bomb)",
                    self.limits.max_decompressed_bytes
                ),
            ));
        }
        let consumed = self.consumed.get().max(1);
        if produced > RATIO_CHECK_AFTER && produced / consumed > self.limits.max_compression_ratio {
            return Err(CompressionError::new(
                offset,
                CompressionErrorKind::Limit,
                format!(
                    "{what} stream at {offset:#x}: {produced} bytes from {consumed} compressed bytes exceeds the ratio limit of {} (possible decompression bomb)",
                    self.limits.max_compression_ratio
                ),
            ));
        }
        self.sink.write_all(data).map_err(|e| {
            CompressionError::new(offset, CompressionErrorKind::Sink, format!("{what} stream at {offset:#x}: {e}"))
        })?;
        self.produced = produced;
        Ok(())
    }
}

impl Write for Meter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.push(buf) {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                let msg = e.message.clone();
                self.error = Some(e);
                Err(io::Error::other(msg))
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Decode the compressed member at `offset` (which must sniff as `format`) into `sink`.
/// `total_before` is what earlier members of the same ramdisk already produced.
pub fn decode_member(
    src: &dyn ByteSource,
    offset: u64,
    end: u64,
    format: Sniffed,
    limits: &Limits,
    total_before: u64,
    sink: &mut dyn Write,
) -> Result<Member, CompressionError> {
    let len = end.saturating_sub(offset);
    let mut win = Window::new(src, offset, len);
    decode_member_in(&mut win, offset, format, limits, total_before, sink, None)
}

/// [`decode_member`] over a caller's window; gzip members offer checkpoints to `checkpoints`.
pub(crate) fn decode_member_in(
    win: &mut Window<'_>,
    offset: u64,
    format: Sniffed,
    limits: &Limits,
    total_before: u64,
    sink: &mut dyn Write,
    checkpoints: Option<&mut Checkpoints>,
) -> Result<Member, CompressionError> {
    let consumed = Cell::new(0u64);
    let mut meter =
        Meter { sink, limits, format, offset, total_before, produced: 0, consumed: &consumed, error: None };
    match format {
        Sniffed::Gzip => decode_gzip(win, offset, &mut meter, checkpoints),
        Sniffed::Xz => decode_xz(win, offset, &mut meter),
        Sniffed::Zstd => decode_zstd(win, offset, &mut meter),
        Sniffed::Lz4Legacy | Sniffed::Bzip2 | Sniffed::Lzma => Err(CompressionError::new(
            offset,
            CompressionErrorKind::Unsupported,
            format!("{} compression at {offset:#x} is not supported yet", format.name()),
        )),
        other => Err(CompressionError::new(
            offset,
            CompressionErrorKind::Corrupt,
            format!("data at {offset:#x} is not a compressed stream ({})", other.name()),
        )),
    }
}

fn decode_gzip(
    win: &mut Window<'_>,
    offset: u64,
    meter: &mut Meter<'_>,
    mut checkpoints: Option<&mut Checkpoints>,
) -> Result<Member, CompressionError> {
    use miniz_oxide::inflate::stream::{inflate, InflateState};
    use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

    let header = parse_gzip_header(win, offset)?;
    let mut pos = offset + header.header_len;
    let mut state = InflateState::new_boxed(DataFormat::Raw);
    let mut out = vec![0u8; OUT_CHUNK];
    let mut crc = crc32fast::Hasher::new();
    loop {
        let input = win.bytes_at(pos, IN_CHUNK)?;
        let at_end = input.is_empty();
        let flush = if at_end { MZFlush::Finish } else { MZFlush::None };
        let res = inflate(&mut state, input, &mut out, flush);
        pos += res.bytes_consumed as u64;
        meter.consumed.set(pos - offset);
        if res.bytes_written > 0 {
            let piece = &out[..res.bytes_written];
            crc.update(piece);
            meter.push(piece)?;
            if let Some(c) = checkpoints.as_deref_mut() {
                c.offer(pos, meter.total_before.saturating_add(meter.produced), &state);
            }
        }
        let stalled = res.bytes_consumed == 0 && res.bytes_written == 0;
        match res.status {
            Ok(MZStatus::StreamEnd) => break,
            // Out of input at the end: truncated (`Buf` even when this call still wrote).
            Ok(_) | Err(MZError::Buf) => {
                if at_end && (res.bytes_written == 0 || res.status.is_err()) {
                    return Err(truncated_deflate(offset, pos, meter.produced));
                }
                if stalled {
                    return Err(stalled_inflate(offset, pos));
                }
            }
            Err(e) => {
                return Err(CompressionError::new(
                    pos,
                    CompressionErrorKind::Corrupt,
                    format!(
                        "gzip member at {offset:#x}: invalid deflate data near {pos:#x} after {} output bytes ({e:?})",
                        meter.produced
                    ),
                ))
            }
        }
    }
    let trailer = win.bytes_at(pos, 8)?.to_vec();
    if trailer.len() < 8 {
        return Err(CompressionError::new(
            pos,
            CompressionErrorKind::Truncated,
            format!("gzip member at {offset:#x}: trailer at {pos:#x} needs 8 bytes, only {} remain", trailer.len()),
        ));
    }
    let crc_stored = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let isize_stored = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
    let crc_computed = crc.finalize();
    pos += 8;
    Ok(Member {
        format: Sniffed::Gzip,
        offset,
        compressed_len: pos - offset,
        decompressed_len: meter.produced,
        gzip: Some(header),
        crc32_stored: Some(crc_stored),
        crc32_computed: Some(crc_computed),
        crc_ok: Some(crc_stored == crc_computed),
        isize_stored: Some(isize_stored),
        isize_ok: Some(u64::from(isize_stored) == meter.produced & 0xffff_ffff),
    })
}

/// Where [`inflate_range`] starts: a checkpoint, or the start of the member's deflate data.
pub(crate) enum Resume<'c> {
    At(&'c InflateCheckpoint),
    /// Deflate data at this source offset, its output at this stream offset.
    Fresh { source_pos: u64, stream_offset: u64 },
}

/// Second pass: inflates a gzip member's deflate data from `resume` and appends the output
/// that falls in the stream range `from..to` to `out` (output before `from` is dropped, at
/// most the distance from the resume point). Stops at `to` or the end of the member.
pub(crate) fn inflate_range(
    win: &mut Window<'_>,
    member_offset: u64,
    resume: Resume<'_>,
    from: u64,
    to: u64,
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    use miniz_oxide::inflate::stream::{inflate, InflateState};
    use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

    let (mut state, mut pos, mut at) = match resume {
        Resume::At(c) => (c.state.clone(), c.source_pos, c.stream_offset),
        Resume::Fresh { source_pos, stream_offset } => (InflateState::new_boxed(DataFormat::Raw), source_pos, stream_offset),
    };
    let mut buf = vec![0u8; OUT_CHUNK];
    while at < to {
        let input = win.bytes_at(pos, IN_CHUNK)?;
        let at_end = input.is_empty();
        let flush = if at_end { MZFlush::Finish } else { MZFlush::None };
        let res = inflate(&mut state, input, &mut buf, flush);
        pos += res.bytes_consumed as u64;
        let piece_start = at;
        at = at.saturating_add(res.bytes_written as u64);
        if at > from && piece_start < to {
            let lo = usize::try_from(from.saturating_sub(piece_start)).unwrap_or(usize::MAX);
            let hi = usize::try_from(to.min(at) - piece_start).unwrap_or(usize::MAX);
            if let Some(piece) = buf.get(lo..hi.min(res.bytes_written)) {
                out.extend_from_slice(piece);
            }
        }
        let stalled = res.bytes_consumed == 0 && res.bytes_written == 0;
        match res.status {
            Ok(MZStatus::StreamEnd) => return Ok(()),
            Ok(_) | Err(MZError::Buf) if at_end && res.bytes_written == 0 => return Err(truncated_deflate(member_offset, pos, at)),
            Ok(_) | Err(MZError::Buf) if stalled => return Err(stalled_inflate(member_offset, pos)),
            Ok(_) | Err(MZError::Buf) => {}
            Err(e) => {
                return Err(CompressionError::new(
                    pos,
                    CompressionErrorKind::Corrupt,
                    format!("gzip member at {member_offset:#x}: invalid deflate data near {pos:#x} ({e:?})"),
                ))
            }
        }
    }
    Ok(())
}

fn truncated_deflate(offset: u64, pos: u64, produced: u64) -> CompressionError {
    CompressionError::new(
        pos,
        CompressionErrorKind::Truncated,
        format!("gzip member at {offset:#x}: deflate stream truncated at {pos:#x} after {produced} output bytes"),
    )
}

/// Inflate took no input and wrote nothing although input was left: corrupt, not truncated.
fn stalled_inflate(offset: u64, pos: u64) -> CompressionError {
    CompressionError::new(pos, CompressionErrorKind::Corrupt, format!("gzip member at {offset:#x}: inflate made no progress at {pos:#x}"))
}

/// `BufRead` over the window that records how far the decoder has consumed.
struct WindowReader<'w, 'a> {
    win: &'w mut Window<'a>,
    start: u64,
    pos: u64,
    consumed: &'w Cell<u64>,
    error: Option<CompressionError>,
}

impl Read for WindowReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let avail = self.fill_buf()?;
            let n = avail.len().min(buf.len());
            buf[..n].copy_from_slice(&avail[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for WindowReader<'_, '_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self.win.bytes_at(self.pos, IN_CHUNK) {
            Ok(bytes) => Ok(bytes),
            Err(e) => {
                let msg = e.message.clone();
                self.error = Some(e);
                Err(io::Error::other(msg))
            }
        }
    }
    fn consume(&mut self, amt: usize) {
        self.pos += amt as u64;
        self.consumed.set(self.pos - self.start);
    }
}

fn decode_xz(win: &mut Window<'_>, offset: u64, meter: &mut Meter<'_>) -> Result<Member, CompressionError> {
    let consumed = meter.consumed;
    let end = win.end();
    let mut reader = WindowReader { win, start: offset, pos: offset, consumed, error: None };
    let result = lzma_rs::xz_decompress(&mut reader, meter);
    let pos = reader.pos;
    if let Some(e) = meter.error.take().or(reader.error.take()) {
        return Err(e);
    }
    // lzma-rs insists the stream is the last thing in its input; that check runs after the
    // footer was read and verified, so the member itself is complete and ends at `pos`.
    let complete_but_more_follows =
        matches!(&result, Err(lzma_rs::error::Error::XzError(m)) if m == "Unexpected data after last XZ block");
    if let Err(e) = result.or_else(|e| if complete_but_more_follows { Ok(()) } else { Err(e) }) {
        let kind = if pos >= end { CompressionErrorKind::Truncated } else { CompressionErrorKind::Corrupt };
        return Err(CompressionError::new(
            pos,
            kind,
            format!("xz stream at {offset:#x}: {} near {pos:#x} after {} output bytes", lower(&e.to_string()), meter.produced),
        ));
    }
    Ok(plain_member(Sniffed::Xz, offset, pos - offset, meter.produced))
}

fn decode_zstd(win: &mut Window<'_>, offset: u64, meter: &mut Meter<'_>) -> Result<Member, CompressionError> {
    let consumed = meter.consumed;
    let end = win.end();
    let mut reader = WindowReader { win, start: offset, pos: offset, consumed, error: None };
    let fail = |pos: u64, produced: u64, e: String| {
        let kind = if pos >= end { CompressionErrorKind::Truncated } else { CompressionErrorKind::Corrupt };
        CompressionError::new(
            pos,
            kind,
            format!("zstd frame at {offset:#x}: {} near {pos:#x} after {produced} output bytes", lower(&e)),
        )
    };
    let mut decoder = match ruzstd::decoding::StreamingDecoder::new(&mut reader) {
        Ok(d) => d,
        Err(e) => {
            let pos = reader.pos;
            return Err(reader.error.take().unwrap_or_else(|| fail(pos, 0, e.to_string())));
        }
    };
    let mut out = vec![0u8; OUT_CHUNK];
    loop {
        match decoder.read(&mut out) {
            Ok(0) => break,
            Ok(n) => meter.push(&out[..n])?,
            Err(e) => {
                let reader = decoder.get_mut();
                let pos = reader.pos;
                return Err(reader.error.take().unwrap_or_else(|| fail(pos, meter.produced, e.to_string())));
            }
        }
    }
    let pos = decoder.get_ref().pos;
    Ok(plain_member(Sniffed::Zstd, offset, pos - offset, meter.produced))
}

fn plain_member(format: Sniffed, offset: u64, compressed_len: u64, decompressed_len: u64) -> Member {
    Member {
        format,
        offset,
        compressed_len,
        decompressed_len,
        gzip: None,
        crc32_stored: None,
        crc32_computed: None,
        crc_ok: None,
        isize_stored: None,
        isize_ok: None,
    }
}

fn lower(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_every_magic() {
        let cases: &[(&[u8], Sniffed)] = &[
            (b"\x1f\x8b\x08\x00", Sniffed::Gzip),
            (b"070701000", Sniffed::CpioNewc),
            (b"070702000", Sniffed::CpioNewcCrc),
            (b"070707000", Sniffed::CpioOdc),
            (b"\xfd7zXZ\x00\x00", Sniffed::Xz),
            (b"\x28\xb5\x2f\xfd", Sniffed::Zstd),
            (b"\x02\x21\x4c\x18", Sniffed::Lz4Legacy),
            (b"BZh91AY", Sniffed::Bzip2),
            (b"\x5d\x00\x00\x80", Sniffed::Lzma),
            (b"\x00\x00", Sniffed::NulPadding),
            (b"07070", Sniffed::Unknown),
            (b"", Sniffed::Unknown),
            (b"\x7fELF", Sniffed::Unknown),
        ];
        for (bytes, want) in cases {
            assert_eq!(sniff(bytes), *want, "{bytes:?}");
        }
    }

    fn gzip_with_all_fields() -> Vec<u8> {
        let payload = b"hello hello hello\n";
        let mut g = vec![0x1f, 0x8b, 8, 2 | 4 | 8 | 16, 0x78, 0x56, 0x34, 0x12, 4, 3];
        g.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
        g.extend_from_slice(b"file.cpio\0");
        g.extend_from_slice(b"a comment\0");
        let crc16 = (crc32fast::hash(&g) & 0xffff) as u16;
        g.extend_from_slice(&crc16.to_le_bytes());
        g.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(payload, 6));
        g.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        g.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        g
    }

    #[test]
    fn gzip_header_fields_and_trailer() {
        let g = gzip_with_all_fields();
        let mut out = Vec::new();
        let m = decode_member(&g, 0, g.len() as u64, Sniffed::Gzip, &Limits::default(), 0, &mut out).unwrap();
        assert_eq!(out, b"hello hello hello\n");
        let h = m.gzip.unwrap();
        assert_eq!(h.mtime, 0x12345678);
        assert_eq!(h.level_hint, LevelHint::Fastest);
        assert_eq!(h.os_name(), "unix");
        assert_eq!(h.extra.as_deref(), Some(&b"abc"[..]));
        assert_eq!(h.name.as_deref(), Some(&b"file.cpio"[..]));
        assert_eq!(h.comment.as_deref(), Some(&b"a comment"[..]));
        assert_eq!(h.header_crc_ok, Some(true));
        assert_eq!(m.compressed_len, g.len() as u64);
        assert_eq!((m.crc_ok, m.isize_ok), (Some(true), Some(true)));
    }

    #[test]
    fn gzip_truncations_name_offsets() {
        let g = gzip_with_all_fields();
        for cut in [5, 14, 30, g.len() - 12, g.len() - 3] {
            let mut out = Vec::new();
            let err = decode_member(&g, 0, cut as u64, Sniffed::Gzip, &Limits::default(), 0, &mut out).unwrap_err();
            assert_eq!(err.kind, CompressionErrorKind::Truncated, "cut {cut}: {err}");
            assert!(err.message.contains("0x"), "{err}");
        }
    }

    #[test]
    fn a_checkpoint_is_a_window_plus_tables() {
        // The figure Limits::checkpoint_every_bytes documents (~43 KiB): the 32 KiB window and
        // the decompressor's Huffman tables.
        let size = checkpoint_size();
        assert!((32 * 1024 + 8 * 1024..48 * 1024).contains(&size), "{size}");
    }

    #[test]
    fn unsupported_formats_say_so() {
        let data = b"BZh91AY&SY".to_vec();
        let err = decode_member(&data, 0, 10, Sniffed::Bzip2, &Limits::default(), 0, &mut Vec::new()).unwrap_err();
        assert_eq!(err.message, "bzip2 compression at 0x0 is not supported yet");
        assert_eq!(err.kind, CompressionErrorKind::Unsupported);
    }
}
