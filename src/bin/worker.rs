//! worker binary (placeholder)
fn main() {}
