//! Random-access byte sources: the core reads images through [`ByteSource`], never from files.
//!
//! A slice is a source ([`SliceSource`] borrows one); the CLI wraps a file, the web worker wraps
//! a `Blob`. Keeping this a trait lets a 2 GB image be walked in chunks without ever holding it
//! in one `Vec`.

use std::fmt;
use std::io;

/// Something that can hand out bytes at any offset.
pub trait ByteSource {
    /// Total length in bytes.
    fn len(&self) -> u64;
    /// Fill `buf` with the bytes at `offset..offset + buf.len()`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError>;
    /// True when the source holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A read the source could not satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub offset: u64,
    pub len: u64,
    pub message: String,
}

impl SourceError {
    pub fn new(offset: u64, len: u64, message: impl Into<String>) -> SourceError {
        SourceError { offset, len, message: message.into() }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reading {} bytes at {:#x}: {}", self.len, self.offset, self.message)
    }
}

impl std::error::Error for SourceError {}

impl ByteSource for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        let range = usize::try_from(offset)
            .ok()
            .and_then(|start| start.checked_add(buf.len()).map(|end| start..end))
            .filter(|range| range.end <= <[u8]>::len(self));
        match range {
            Some(range) => {
                buf.copy_from_slice(&self[range]);
                Ok(())
            }
            None => Err(SourceError::new(offset, buf.len() as u64, "past the end of the input")),
        }
    }
}

impl ByteSource for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        self.as_slice().read_at(offset, buf)
    }
}

/// A borrowed slice as a [`ByteSource`] (`[u8]` itself is unsized, so `&[u8]` cannot coerce
/// to `&dyn ByteSource`).
pub struct SliceSource<'a>(pub &'a [u8]);

impl ByteSource for SliceSource<'_> {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        self.0.read_at(offset, buf)
    }
}

/// Reads `range` of a source sequentially, as [`io::Read`], for streaming decoders.
pub struct RangeReader<'a> {
    source: &'a dyn ByteSource,
    pos: u64,
    end: u64,
}

impl<'a> RangeReader<'a> {
    /// A reader over `offset..offset + len`, clamped to the source's length.
    pub fn new(source: &'a dyn ByteSource, offset: u64, len: u64) -> RangeReader<'a> {
        let end = offset.saturating_add(len).min(source.len());
        RangeReader { source, pos: offset.min(end), end }
    }
    /// Absolute offset of the next byte to be read.
    pub fn position(&self) -> u64 {
        self.pos
    }
    /// Bytes left in the range.
    pub fn remaining(&self) -> u64 {
        self.end - self.pos
    }
}

impl io::Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = usize::try_from(self.remaining()).unwrap_or(usize::MAX).min(buf.len());
        if n == 0 {
            return Ok(0);
        }
        self.source
            .read_at(self.pos, &mut buf[..n])
            .map_err(|e| io::Error::new(io::ErrorKind::UnexpectedEof, e))?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn slice_reads_and_refuses_past_end() {
        let data = b"hello world".to_vec();
        let mut buf = [0u8; 5];
        data.read_at(6, &mut buf).unwrap();
        assert_eq!(&buf, b"world");
        let err = data.read_at(7, &mut buf).unwrap_err();
        assert_eq!(err.to_string(), "reading 5 bytes at 0x7: past the end of the input");
        assert!(data.read_at(u64::MAX, &mut buf).is_err());
    }

    #[test]
    fn range_reader_is_clamped() {
        let data = b"0123456789".to_vec();
        let mut out = Vec::new();
        RangeReader::new(&data, 4, 100).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"456789");
    }
}
