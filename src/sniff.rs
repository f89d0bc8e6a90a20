//! What a dropped file is, decided from its first bytes (and, only as a tie-breaker, its
//! name): an image to compare (EIF, or a bare cpio / gzip / xz / zstd ramdisk) or a PCR file
//! (`enclave.pcrs`, measurements or describe-eif JSON) that goes with an image.
//!
//! The app reads [`SNIFF_LEN`] bytes of each file and calls [`classify`]; the engine later says
//! precisely what is wrong with a file that is not a valid image.

use crate::formats::compression::sniff;

/// Bytes of a file's start that [`classify`] looks at.
pub const SNIFF_LEN: usize = 64;
/// Largest file taken as a PCR file; PCR files are a few hundred bytes to a few KiB.
pub const MAX_PCR_FILE: u64 = 1 << 20;

/// The role of a dropped file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// An image to compare (or something that claims to be one: the engine reports errors).
    Image,
    /// A small text/JSON file with expected PCR values.
    PcrFile,
}

/// File name endings that say "this is meant to be an image", even when the bytes disagree.
const IMAGE_NAMES: [&str; 7] = [".eif", ".cpio", ".gz", ".xz", ".zst", ".img", ".cpio.gz"];
/// File name endings of PCR files.
const PCR_NAMES: [&str; 3] = [".pcrs", ".json", ".txt"];

/// Decides a file's role from its `head` (its first bytes, at most [`SNIFF_LEN`] needed), its
/// total `size` and its `name`.
///
/// Image magic wins. Otherwise a small text file is a PCR file unless its name ends like an
/// image (then the engine will explain why it is not one); anything else is an image.
pub fn classify(name: &str, size: u64, head: &[u8]) -> FileRole {
    if head.starts_with(b".eif") {
        return FileRole::Image;
    }
    let magic = sniff(head);
    if magic.is_compressed() || magic.is_cpio() {
        return FileRole::Image;
    }
    let lower = name.to_ascii_lowercase();
    if IMAGE_NAMES.iter().any(|end| lower.ends_with(end)) {
        return FileRole::Image;
    }
    let small = size <= MAX_PCR_FILE;
    if small && PCR_NAMES.iter().any(|end| lower.ends_with(end)) {
        return FileRole::PcrFile;
    }
    if small && looks_like_text(head) {
        return FileRole::PcrFile;
    }
    FileRole::Image
}

/// No NUL and no control bytes other than whitespace; a cut UTF-8 sequence at the end is fine.
fn looks_like_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(err) => err.error_len().is_none(),
    };
    valid && head.iter().all(|&b| b >= 0x20 || matches!(b, b'\n' | b'\r' | b'\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(bytes: &[u8]) -> &[u8] {
        &bytes[..bytes.len().min(SNIFF_LEN)]
    }

    #[test]
    fn fixtures_are_classified_by_content() {
        let eif = include_bytes!("../tests/fixtures/basic-a.eif");
        // Renamed, an EIF is still an image.
        assert_eq!(classify("deployed.bin", eif.len() as u64, head(eif)), FileRole::Image);
        let cpio_gz = include_bytes!("../tests/fixtures/basic-customer-a.cpio.gz");
        assert_eq!(classify("x", cpio_gz.len() as u64, head(cpio_gz)), FileRole::Image);
        let pcrs = include_bytes!("../tests/fixtures/single-a.pcrs");
        assert_eq!(classify("enclave.pcrs", pcrs.len() as u64, head(pcrs)), FileRole::PcrFile);
        // Content decides even without a telling name.
        assert_eq!(classify("expected", pcrs.len() as u64, head(pcrs)), FileRole::PcrFile);
        let describe = include_bytes!("../tests/fixtures/basic-a.describe.json");
        assert_eq!(classify("describe.json", describe.len() as u64, head(describe)), FileRole::PcrFile);
    }

    #[test]
    fn text_named_like_an_image_stays_an_image_so_the_engine_can_explain() {
        let readme = include_bytes!("../tests/fixtures/README.md");
        assert_eq!(classify("x.eif", readme.len() as u64, head(readme)), FileRole::Image);
        assert_eq!(classify("README.md", readme.len() as u64, head(readme)), FileRole::PcrFile);
        // Binary junk or a big text file is never a PCR file.
        assert_eq!(classify("junk", 10, &[0, 1, 2, 3]), FileRole::Image);
        assert_eq!(classify("big.json", MAX_PCR_FILE + 1, b"{}"), FileRole::Image);
        // A multi-byte character cut at the sniff boundary is still text.
        assert_eq!(classify("notes", 100, "ab\u{e9}".as_bytes().split_last().unwrap().1), FileRole::PcrFile);
    }
}
