//! Reading what the user gives the page: the first bytes of each dropped file (to tell
//! images from PCR files) and the built-in sample images fetched from this origin.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File, Response};

use crate::app::state::SelectedFile;
use crate::sniff::{classify, SNIFF_LEN};

/// The first [`SNIFF_LEN`] bytes of a file (fewer when it is shorter or unreadable; an
/// unreadable file is then classified by name and the worker reports the read error).
async fn head(file: &File) -> Vec<u8> {
    let end = file.size().min(SNIFF_LEN as f64);
    let Ok(slice) = file.slice_with_f64_and_f64(0.0, end) else { return Vec::new() };
    match JsFuture::from(slice.array_buffer()).await {
        Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
        Err(_) => Vec::new(),
    }
}

/// Classifies each file by its content, keeping the order.
pub async fn sniff_files(files: Vec<File>) -> Vec<SelectedFile> {
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let head = head(&file).await;
        // Saturating cast of an integer-valued double.
        let role = classify(&file.name(), file.size() as u64, &head);
        out.push(SelectedFile::new(file, role));
    }
    out
}

/// Where the sample images are, relative to the page (works under a sub-path).
pub const SAMPLES: [&str; 2] = ["basic-a.eif", "basic-b.eif"];

/// Fetches one file of this origin's `samples/` directory as a `File`.
async fn fetch_sample(name: &str) -> Result<File, String> {
    let fail = |what: &str| format!("the sample {name} could not be loaded: {what}");
    let window = gloo::utils::window();
    let response = JsFuture::from(window.fetch_with_str(&format!("./samples/{name}")))
        .await
        .map_err(|_| fail("network error"))?;
    let response: Response = response.dyn_into().map_err(|_| fail("not a response"))?;
    if !response.ok() {
        return Err(fail(&format!("HTTP {}", response.status())));
    }
    let blob = JsFuture::from(response.blob().map_err(|_| fail("no body"))?)
        .await
        .map_err(|_| fail("reading the body failed"))?;
    let blob: Blob = blob.dyn_into().map_err(|_| fail("not a blob"))?;
    File::new_with_blob_sequence(&js_sys::Array::of1(&blob), name).map_err(|_| fail("could not make a file"))
}

/// Fetches both samples (A then B).
pub async fn fetch_samples() -> Result<Vec<File>, String> {
    let mut files = Vec::new();
    for name in SAMPLES {
        files.push(fetch_sample(name).await?);
    }
    Ok(files)
}
