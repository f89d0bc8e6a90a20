//! The comparison engine: two decoded images in, one [`crate::report::Report`] out.

pub mod entries;
