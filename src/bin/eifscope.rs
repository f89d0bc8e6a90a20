//! eifscope binary (placeholder)
fn main() {}
