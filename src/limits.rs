//! Explicit resource limits. Every cap the core enforces lives here, so it can be reported.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Most bytes one ramdisk may decompress to before it is reported as a bomb.
    pub max_decompressed_bytes: u64,
    /// Most decompressed bytes per compressed byte (checked once output exceeds 64 MiB).
    pub max_compression_ratio: u64,
    /// Most cpio entries in one ramdisk.
    pub max_entries: u64,
    /// Longest cpio name (namesize) accepted.
    pub max_name_len: u32,
    /// File contents up to this size are kept in the model on the first pass.
    pub retain_file_bytes: u64,
    /// Total retained content per image on the first pass; past it only digests are kept.
    pub retain_total_bytes: u64,
    /// How deep nested containers (gzip in tar in cpio…) are opened.
    pub max_nesting_depth: u32,
    /// First pass: a copy of the inflate state (about 43 KiB) is kept every this many
    /// decompressed bytes of a gzip ramdisk, so the second pass resumes next to a changed
    /// entry instead of inflating the ramdisk from its start. 0 disables checkpoints.
    pub checkpoint_every_bytes: u64,
    /// Most inflate checkpoints kept per ramdisk; past it every other one is dropped and the
    /// spacing doubles, so memory stays below `max_checkpoints` x ~43 KiB.
    pub max_checkpoints: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_decompressed_bytes: 8 << 30,
            max_compression_ratio: 1024,
            max_entries: 2_000_000,
            max_name_len: 64 * 1024,
            retain_file_bytes: 64 * 1024,
            retain_total_bytes: 32 << 20,
            max_nesting_depth: 4,
            checkpoint_every_bytes: 1 << 20,
            max_checkpoints: 128,
        }
    }
}
