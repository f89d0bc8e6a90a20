//! Comparators: how two versions of a thing differ, as data for the diagnosis and presenters.

pub mod content;
