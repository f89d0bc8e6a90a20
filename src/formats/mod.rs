//! Pure parsers over bytes, one module per format. None does I/O; each has its own error type
//! carrying the byte offset and what was being read.

pub mod bytes;
pub mod compression;
pub mod cpio;
pub mod encoding;
pub mod pcrs;
pub mod ramdisk;
