//! Browser entry point: mounts the Yew app. Built by Trunk (`data-bin="app"`); on native
//! targets it is an empty program so `cargo build` of the whole crate still works.

#[cfg(target_arch = "wasm32")]
fn main() {
    eifscope::app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
