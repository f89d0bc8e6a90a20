//! app binary (placeholder)
fn main() {}
