//! The `eifscope` command-line binary: a one-line shell over `eifscope::cli`.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(eifscope::cli::main());
}

#[cfg(target_arch = "wasm32")]
fn main() {}
