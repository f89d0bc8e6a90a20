//! Web worker entry point (`data-bin="worker"`, loaded by www/worker-loader.js). On native
//! targets it is an empty program.

#[cfg(target_arch = "wasm32")]
fn main() {
    eifscope::worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
