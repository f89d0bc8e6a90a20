//! Pure parsers over bytes, one module per format. None does I/O; each has its own error type
//! carrying the byte offset and what was being read.

pub mod bytes;
pub mod compression;
pub mod cpio;
pub mod eif;
pub mod encoding;
pub mod kernel;
pub mod measure;
pub mod metadata;
pub mod pcrs;
pub mod ramdisk;
pub mod signature;
