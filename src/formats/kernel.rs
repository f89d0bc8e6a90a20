//! The Kernel section: recognise an x86 bzImage, an arm64 `Image` or an ELF vmlinux and pull out
//! what identifies it (version string, boot protocol, payload compression).
//!
//! bzImage (Linux `Documentation/arch/x86/boot.rst`): `HdrS` at 0x202, protocol version at
//! 0x206, `kernel_version` pointer at 0x20e (string at pointer + 0x200), `setup_sects` at 0x1f1,
//! and from protocol 2.08 `payload_offset`/`payload_length` at 0x248/0x24c, relative to the
//! protected-mode code at `(setup_sects + 1) * 512`. arm64 `Image` (`arm64/booting.rst`): magic
//! `ARM\x64` at 0x38, `text_offset` at 8, `image_size` at 16, `flags` at 24 (little-endian).
//! Never fails: an unrecognised or truncated kernel is described with diagnostics.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha384};

use super::bytes::{escape_bytes, to_hex};
use crate::diagnostics::Diagnostic;
use crate::source::ByteSource;

/// Bytes of the kernel head read for recognition.
const HEAD_LEN: u64 = 0x1000;
/// Longest kernel version string kept.
const MAX_VERSION_LEN: usize = 512;
const CONTEXT: &str = "kernel";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelFormat {
    BzImage,
    Arm64Image,
    Elf,
    Unknown,
}

/// bzImage setup-header facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BzImageInfo {
    /// "2.15" etc.
    pub boot_protocol: String,
    pub setup_sects: u8,
    /// Offset of the protected-mode code inside the kernel ((setup_sects + 1) * 512).
    pub protected_mode_offset: u64,
    /// Offset of the compressed payload inside the kernel (protocol >= 2.08).
    pub payload_offset: Option<u64>,
    pub payload_length: Option<u32>,
    /// "gzip", "xz", "zstd", "lz4", "bzip2", "lzma", "lzo", "elf (uncompressed)" or "unknown".
    pub payload_compression: Option<String>,
}

/// arm64 `Image` header facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arm64ImageInfo {
    pub text_offset: u64,
    pub image_size: u64,
    pub flags: u64,
}

/// ELF vmlinux facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElfKernelInfo {
    /// 32 or 64.
    pub class: u8,
    pub little_endian: bool,
    /// `e_machine`, and its name when known ("x86_64", "aarch64").
    pub machine: u16,
    pub machine_name: Option<String>,
}

/// What the Kernel section is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelInfo {
    pub format: KernelFormat,
    pub size: u64,
    /// Lowercase hex SHA-384 of the kernel bytes.
    pub sha384: String,
    /// The embedded version string (escaped), e.g. "6.1.0-56-amd64 (debian-kernel@…) #1 SMP …".
    pub version: Option<String>,
    pub bzimage: Option<BzImageInfo>,
    pub arm64: Option<Arm64ImageInfo>,
    pub elf: Option<ElfKernelInfo>,
    /// Findings with absolute offsets (truncated payload, bad pointers, unknown format).
    pub diagnostics: Vec<Diagnostic>,
}

/// Describes the kernel at `offset..offset + size` of `src`, hashing it.
pub fn parse_kernel(src: &dyn ByteSource, offset: u64, size: u64) -> KernelInfo {
    let mut hasher = Sha384::new();
    let mut buf = vec![0u8; usize::try_from(size).unwrap_or(1 << 20).min(1 << 20)];
    let mut at = 0u64;
    let mut read_ok = true;
    while at < size {
        let n = usize::try_from(size - at).unwrap_or(buf.len()).min(buf.len());
        if src.read_at(offset.saturating_add(at), &mut buf[..n]).is_err() {
            read_ok = false;
            break;
        }
        hasher.update(&buf[..n]);
        at += n as u64;
    }
    let mut info = parse_kernel_with_digest(src, offset, size, to_hex(&hasher.finalize()));
    if !read_ok {
        info.diagnostics.push(Diagnostic::error(CONTEXT, Some(offset.saturating_add(at)), "kernel bytes could not be read: sha384 covers only the bytes before this offset"));
    }
    info
}

/// As [`parse_kernel`], with the SHA-384 already known (the EIF pass computes it).
pub fn parse_kernel_with_digest(src: &dyn ByteSource, offset: u64, size: u64, sha384: String) -> KernelInfo {
    let mut info = KernelInfo {
        format: KernelFormat::Unknown,
        size,
        sha384,
        version: None,
        bzimage: None,
        arm64: None,
        elf: None,
        diagnostics: Vec::new(),
    };
    let head_len = usize::try_from(size.min(HEAD_LEN)).unwrap_or(0);
    let mut head = vec![0u8; head_len];
    if src.read_at(offset, &mut head).is_err() {
        info.diagnostics.push(Diagnostic::error(CONTEXT, Some(offset), "kernel head could not be read"));
        return info;
    }
    let reader = KernelBytes { src, offset, size };
    if head.get(0x202..0x206) == Some(b"HdrS") {
        info.format = KernelFormat::BzImage;
        parse_bzimage(&reader, &head, &mut info);
    } else if head.get(0x38..0x3c) == Some(b"ARM\x64") {
        info.format = KernelFormat::Arm64Image;
        let (Some(text_offset), Some(image_size), Some(flags)) = (le64(&head, 8), le64(&head, 16), le64(&head, 24)) else {
            return info;
        };
        info.arm64 = Some(Arm64ImageInfo { text_offset, image_size, flags });
        if image_size > size {
            info.diagnostics.push(Diagnostic::info(
                CONTEXT,
                Some(offset + 16),
                format!("arm64 image_size {image_size} exceeds the section's {size} bytes (includes bss)"),
            ));
        }
    } else if head.starts_with(b"\x7fELF") {
        info.format = KernelFormat::Elf;
        let little_endian = head.get(5) == Some(&1);
        let machine = head.get(18..20).map(|b| if little_endian { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) });
        let machine = machine.unwrap_or(0);
        let machine_name = match machine {
            62 => Some("x86_64".to_string()),
            183 => Some("aarch64".to_string()),
            3 => Some("i386".to_string()),
            _ => None,
        };
        info.elf = Some(ElfKernelInfo { class: if head.get(4) == Some(&2) { 64 } else { 32 }, little_endian, machine, machine_name });
    } else {
        info.diagnostics.push(Diagnostic::warning(
            CONTEXT,
            Some(offset),
            format!("unknown kernel format (first bytes {})", to_hex(&head[..head.len().min(8)])),
        ));
    }
    info
}

/// Random access into the kernel section, bounded by its size.
struct KernelBytes<'a> {
    src: &'a dyn ByteSource,
    offset: u64,
    size: u64,
}

impl KernelBytes<'_> {
    /// Up to `len` bytes at kernel-relative `at`, clipped to the section.
    fn read(&self, at: u64, len: usize) -> Option<Vec<u8>> {
        let avail = self.size.checked_sub(at)?;
        let n = usize::try_from(avail).unwrap_or(len).min(len);
        let mut buf = vec![0u8; n];
        self.src.read_at(self.offset.checked_add(at)?, &mut buf).ok()?;
        Some(buf)
    }
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn parse_bzimage(reader: &KernelBytes<'_>, head: &[u8], info: &mut KernelInfo) {
    let base = reader.offset;
    let protocol = le16(head, 0x206).unwrap_or(0);
    let raw_setup_sects = head.get(0x1f1).copied().unwrap_or(0);
    let setup_sects = if raw_setup_sects == 0 { 4 } else { raw_setup_sects };
    let protected_mode_offset = (u64::from(setup_sects) + 1) * 512;
    let mut bz = BzImageInfo {
        boot_protocol: format!("{}.{:02}", protocol >> 8, protocol & 0xff),
        setup_sects: raw_setup_sects,
        protected_mode_offset,
        payload_offset: None,
        payload_length: None,
        payload_compression: None,
    };
    // kernel_version pointer (protocol >= 2.00).
    match le16(head, 0x20e) {
        Some(0) | None => {}
        Some(ptr) => {
            let at = u64::from(ptr) + 0x200;
            match reader.read(at, MAX_VERSION_LEN) {
                Some(bytes) if !bytes.is_empty() => {
                    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                    info.version = Some(escape_bytes(&bytes[..end]));
                }
                _ => info.diagnostics.push(Diagnostic::warning(
                    CONTEXT,
                    Some(base + 0x20e),
                    format!("kernel_version pointer {ptr:#x} points past the kernel's {} bytes", reader.size),
                )),
            }
        }
    }
    if protected_mode_offset > reader.size {
        info.diagnostics.push(Diagnostic::error(
            CONTEXT,
            Some(base + 0x1f1),
            format!("setup code of {protected_mode_offset} bytes exceeds the kernel's {} bytes", reader.size),
        ));
    }
    if protocol >= 0x0208 {
        if let (Some(payload_offset), Some(payload_length)) = (le32(head, 0x248), le32(head, 0x24c)) {
            let start = protected_mode_offset + u64::from(payload_offset);
            let end = start + u64::from(payload_length);
            bz.payload_offset = Some(start);
            bz.payload_length = Some(payload_length);
            bz.payload_compression = reader.read(start, 8).filter(|m| !m.is_empty()).map(|m| sniff_compression(&m).to_string());
            if end > reader.size {
                info.diagnostics.push(Diagnostic::warning(
                    CONTEXT,
                    Some(base.saturating_add(start)),
                    format!(
                        "compressed payload at kernel offset {start:#x} is {payload_length} bytes but the kernel has only {} bytes: the kernel is truncated and would not boot",
                        reader.size
                    ),
                ));
            }
        }
    }
    info.bzimage = Some(bz);
}

/// Names the compression of a kernel payload from its first bytes.
pub fn sniff_compression(magic: &[u8]) -> &'static str {
    match magic {
        [0x1f, 0x8b, ..] => "gzip",
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => "xz",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "zstd",
        [0x02, 0x21, 0x4c, 0x18, ..] => "lz4",
        [b'B', b'Z', b'h', ..] => "bzip2",
        [0x5d, 0x00, 0x00, ..] => "lzma",
        [0x89, b'L', b'Z', b'O', ..] => "lzo",
        [0x7f, b'E', b'L', b'F', ..] => "elf (uncompressed)",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_unknown_not_a_panic() {
        for data in [&b""[..], b"\x00", b"MZ", &[0xffu8; 0x300][..]] {
            let info = parse_kernel(&data.to_vec(), 0, data.len() as u64);
            assert_eq!(info.format, KernelFormat::Unknown);
            assert_eq!(info.size, data.len() as u64);
        }
    }

    #[test]
    fn bzimage_with_wild_pointers_does_not_panic() {
        let mut k = vec![0u8; 0x260];
        k[0x202..0x206].copy_from_slice(b"HdrS");
        k[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
        k[0x20e..0x210].copy_from_slice(&0xffffu16.to_le_bytes());
        k[0x248..0x24c].copy_from_slice(&u32::MAX.to_le_bytes());
        k[0x24c..0x250].copy_from_slice(&u32::MAX.to_le_bytes());
        let info = parse_kernel(&k, 0, k.len() as u64);
        assert_eq!(info.format, KernelFormat::BzImage);
        assert_eq!(info.version, None);
        assert!(info.diagnostics.len() >= 2, "{:?}", info.diagnostics);
    }

    #[test]
    fn arm64_image_header() {
        let mut k = vec![0u8; 0x40];
        k[8..16].copy_from_slice(&0x80000u64.to_le_bytes());
        k[16..24].copy_from_slice(&0x20u64.to_le_bytes());
        k[24..32].copy_from_slice(&0xau64.to_le_bytes());
        k[0x38..0x3c].copy_from_slice(b"ARM\x64");
        let info = parse_kernel(&k, 0, k.len() as u64);
        assert_eq!(info.arm64, Some(Arm64ImageInfo { text_offset: 0x80000, image_size: 0x20, flags: 0xa }));
    }
}
