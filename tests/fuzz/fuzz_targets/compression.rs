//! Fuzz ramdisk decoding: sniffing, gzip/xz/zstd members, padding, concatenated archives.
#![no_main]
use eifscope::formats::ramdisk::parse_ramdisk_bytes;
use eifscope::limits::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_decompressed_bytes: 16 << 20, ..Limits::default() };
    let _ = parse_ramdisk_bytes(data, &limits);
});
