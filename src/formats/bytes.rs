//! A byte cursor with no method that can panic, and helpers that label what was being read.

use std::fmt;

/// Ran out of bytes reading `what` at absolute `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncated {
    pub offset: u64,
    pub what: &'static str,
    pub needed: u64,
    pub available: u64,
}

impl fmt::Display for Truncated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {:#x}: needs {} bytes, only {} remain",
            self.what, self.offset, self.needed, self.available
        )
    }
}

/// Reads big- or little-endian integers from a slice that starts at absolute offset `base`.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8], base: u64) -> Cursor<'a> {
        Cursor { data, pos: 0, base }
    }
    /// Absolute offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
    pub fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }
    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Truncated> {
        if self.remaining() < n {
            return Err(Truncated {
                offset: self.offset(),
                what,
                needed: n as u64,
                available: self.remaining() as u64,
            });
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Truncated> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N, what)?);
        Ok(out)
    }
    pub fn u8(&mut self, what: &'static str) -> Result<u8, Truncated> {
        Ok(self.array::<1>(what)?[0])
    }
    pub fn u16_be(&mut self, what: &'static str) -> Result<u16, Truncated> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }
    pub fn u32_be(&mut self, what: &'static str) -> Result<u32, Truncated> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }
    pub fn u64_be(&mut self, what: &'static str) -> Result<u64, Truncated> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }
    pub fn u16_le(&mut self, what: &'static str) -> Result<u16, Truncated> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    pub fn u32_le(&mut self, what: &'static str) -> Result<u32, Truncated> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    pub fn u64_le(&mut self, what: &'static str) -> Result<u64, Truncated> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    pub fn skip(&mut self, n: usize, what: &'static str) -> Result<(), Truncated> {
        self.bytes(n, what).map(|_| ())
    }
}

/// Escapes arbitrary bytes for display: valid UTF-8 printable text passes through, everything
/// else (control characters, invalid UTF-8, bidi overrides) becomes `\xNN` / `\u{…}` escapes.
/// Lossless: distinct inputs give distinct outputs.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if c.is_control() || is_bidi_or_invisible(c) => {
                    if (c as u32) < 0x80 {
                        out.push_str(&format!("\\x{:02x}", c as u32));
                    } else {
                        out.push_str(&format!("\\u{{{:x}}}", c as u32));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Bidi embeddings, overrides and isolates, zero-width characters and the BOM: they would
/// reorder or hide what a reviewer reads, so every presenter escapes them.
pub fn is_bidi_or_invisible(c: char) -> bool {
    matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF)
}

/// Hostile display strings and what [`escape_bytes`] makes of them; the presenters' escaping
/// tests (`report::html`, `report::markdown`) run the same inputs through their own escapes.
#[cfg(test)]
pub(crate) const HOSTILE: &[(&str, &str)] = &[
    ("evil\u{202e}txt.exe", "evil\\u{202e}txt.exe"),
    ("zero\u{200b}width\u{feff}", "zero\\u{200b}width\\u{feff}"),
    ("iso\u{2066}late\u{2069}", "iso\\u{2066}late\\u{2069}"),
    ("nul\u{0}tab\t", "nul\\x00tab\\x09"),
    ("<script>alert('x')</script>", "<script>alert('x')</script>"),
    ("a\"b&c|`*", "a\"b&c|`*"),
    ("back\\slash", "back\\\\slash"),
];

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_reports_truncation_with_offset() {
        let mut c = Cursor::new(&[1, 2, 3], 0x100);
        assert_eq!(c.u16_be("version").unwrap(), 0x0102);
        let err = c.u32_be("flags").unwrap_err();
        assert_eq!(err.to_string(), "flags at 0x102: needs 4 bytes, only 1 remain");
    }

    #[test]
    fn escape_is_lossless_and_inert() {
        assert_eq!(escape_bytes(b"etc/passwd"), "etc/passwd");
        assert_eq!(escape_bytes(b"a\xffb"), "a\\xffb");
        assert_eq!(escape_bytes(b"\\xff"), "\\\\xff");
        for (input, want) in HOSTILE {
            assert_eq!(escape_bytes(input.as_bytes()), *want, "{input:?}");
            assert!(!want.chars().any(|c| c.is_control() || is_bidi_or_invisible(c)), "{want:?}");
        }
    }
}
