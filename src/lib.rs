//! eifscope: compare two AWS Nitro Enclave Image Files and explain why they differ.
//!
//! The library is the pure core (see ARCHITECTURE.md): it sees bytes through [`source::ByteSource`]
//! and returns data. The app, worker and CLI binaries are thin shells over it.

pub mod analyze;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod compare;
pub mod contents;
pub mod diagnose;
pub mod diagnostics;
pub mod diff;
pub mod formats;
pub mod image;
pub mod limits;
pub mod report;
pub mod sniff;
pub mod source;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod worker;
