//! The web worker boundary. The worker runs the engine off the main thread, so a
//! multi-gigabyte image never blocks the page, and reads the images as `Blob` slices, so a big
//! file is never copied whole.
//!
//! Protocol:
//! - once its wasm has loaded and `onmessage` is installed, the worker posts [`READY`]; a
//!   [`PING`] is answered with [`READY`] again. Messages posted before `READY` would be lost,
//!   so the page waits for it.
//! - the page posts a [`Request`] as a plain object `{ job, a, b, pcr_a, pcr_b }` holding the
//!   `File` handles themselves (structured-cloned, not their bytes); `pcr_a` / `pcr_b` may be
//!   `null`.
//! - the worker answers with [`Reply`] objects (serde-wasm-bindgen): any number of
//!   `progress`, then exactly one `report` (the [`crate::report::Report`] as JSON text) or
//!   `failed` (which file, where, what).
//! - anything else is answered with a string starting with `error:`.

use std::cell::RefCell;
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DedicatedWorkerGlobalScope, File, FileReaderSync, MessageEvent};

use crate::analyze::{compare_with_progress, Input, Progress};
use crate::limits::Limits;
use crate::report::Side;
use crate::sniff::MAX_PCR_FILE;
use crate::source::{ByteSource, SourceError};

/// Posted by the worker when it can take messages.
pub const READY: &str = "ready";
/// Asks the worker to repeat [`READY`].
pub const PING: &str = "ping";

/// Bytes read from a `Blob` at once; reads are served from the last few such blocks.
const BLOCK: u64 = 1 << 20;
/// Blocks kept (two ramdisks walked in alternation plus the hasher fit).
const CACHED_BLOCKS: usize = 4;

/// A `Blob` (or `File`) as a [`ByteSource`]: synchronous slice reads with `FileReaderSync`
/// (only available in workers), through a small block cache so the engine's many small reads
/// (cpio headers) do not each cross into the browser.
pub struct BlobSource {
    blob: Blob,
    len: u64,
    reader: FileReaderSync,
    cache: RefCell<VecDeque<(u64, Vec<u8>)>>,
}

impl BlobSource {
    /// Wraps `blob`; fails outside a worker (no `FileReaderSync` there).
    pub fn new(blob: Blob) -> Result<BlobSource, String> {
        let reader = FileReaderSync::new().map_err(|err| format!("FileReaderSync is not available: {}", js_text(&err)))?;
        // `Blob.size` is an integer below 2^53; the cast saturates.
        let len = blob.size() as u64;
        Ok(BlobSource { blob, len, reader, cache: RefCell::new(VecDeque::new()) })
    }

    /// Reads `start..start + out.len()` straight from the blob.
    fn read_direct(&self, start: u64, out: &mut [u8]) -> Result<(), SourceError> {
        let len = out.len() as u64;
        let fail = |what: String| SourceError::new(start, len, what);
        // Offsets are below the blob's size, itself below 2^53: exact as f64.
        let slice = self
            .blob
            .slice_with_f64_and_f64(start as f64, (start + len) as f64)
            .map_err(|err| fail(format!("slicing the file failed: {}", js_text(&err))))?;
        let buffer = self
            .reader
            .read_as_array_buffer(&slice)
            .map_err(|err| fail(format!("the browser could not read the file: {}", js_text(&err))))?;
        let array = js_sys::Uint8Array::new(&buffer);
        if u64::from(array.length()) != len {
            return Err(fail(format!("the browser returned {} bytes", array.length())));
        }
        array.copy_to(out);
        Ok(())
    }

    /// Copies the cached block starting at `block_start` (loading it if needed) into `out`,
    /// from `skip` bytes into the block.
    fn copy_from_block(&self, block_start: u64, skip: usize, out: &mut [u8]) -> Result<(), SourceError> {
        let mut cache = self.cache.borrow_mut();
        let index = match cache.iter().position(|(start, _)| *start == block_start) {
            Some(index) => index,
            None => {
                let block_len = usize::try_from(BLOCK.min(self.len - block_start))
                    .map_err(|_| SourceError::new(block_start, BLOCK, "block does not fit in memory"))?;
                let mut block = vec![0u8; block_len];
                self.read_direct(block_start, &mut block)?;
                if cache.len() >= CACHED_BLOCKS {
                    cache.pop_front();
                }
                cache.push_back((block_start, block));
                cache.len() - 1
            }
        };
        let block = &cache[index].1;
        let end = skip.checked_add(out.len()).filter(|&end| end <= block.len());
        match end {
            Some(end) => {
                out.copy_from_slice(&block[skip..end]);
                Ok(())
            }
            None => Err(SourceError::new(block_start, out.len() as u64, "read crosses a block end")),
        }
    }
}

impl ByteSource for BlobSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        let want = buf.len() as u64;
        let end = offset.checked_add(want).filter(|&end| end <= self.len);
        let Some(end) = end else {
            return Err(SourceError::new(offset, want, "past the end of the input"));
        };
        if want >= BLOCK {
            return self.read_direct(offset, buf);
        }
        let mut pos = offset;
        let mut done = 0usize;
        while pos < end {
            let block_start = pos - pos % BLOCK;
            let block_end = (block_start + BLOCK).min(self.len);
            let take = end.min(block_end) - pos;
            // Both below BLOCK (1 MiB): they fit in usize.
            let (skip, take) = ((pos - block_start) as usize, take as usize);
            self.copy_from_block(block_start, skip, &mut buf[done..done + take])?;
            done += take;
            pos += take as u64;
        }
        Ok(())
    }
}

/// What the page asks for (built from the posted object by [`Request::from_js`]).
pub struct Request {
    pub job: u32,
    pub a: File,
    pub b: File,
    pub pcr_a: Option<File>,
    pub pcr_b: Option<File>,
}

impl Request {
    /// The object to post to the worker.
    pub fn to_js(&self) -> JsValue {
        let object = js_sys::Object::new();
        let pcr = |file: &Option<File>| file.as_ref().map_or(JsValue::NULL, |f| f.clone().into());
        for (key, value) in [
            ("job", JsValue::from(self.job)),
            ("a", self.a.clone().into()),
            ("b", self.b.clone().into()),
            ("pcr_a", pcr(&self.pcr_a)),
            ("pcr_b", pcr(&self.pcr_b)),
        ] {
            let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), &value);
        }
        object.into()
    }

    /// Reads a posted object; `None` when it is not a request.
    pub fn from_js(value: &JsValue) -> Option<Request> {
        let get = |key: &str| js_sys::Reflect::get(value, &JsValue::from_str(key)).ok();
        let file = |key: &str| get(key).and_then(|v| v.dyn_into::<File>().ok());
        let job = get("job")?.as_f64()?;
        // A job id the page made (a u32); anything else is not a request.
        let job = (job >= 0.0 && job <= f64::from(u32::MAX) && job.fract() == 0.0).then_some(job as u32)?;
        Some(Request { job, a: file("a")?, b: file("b")?, pcr_a: file("pcr_a"), pcr_b: file("pcr_b") })
    }
}

/// What the worker posts back (except the [`READY`] handshake string).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The engine entered `phase` ("reading", "comparing", "contents", "diagnosing").
    Progress { job: u32, phase: String, side: Option<Side> },
    /// The finished report as JSON text.
    Report { job: u32, json: String },
    /// A side could not be read: which file, at which byte offset, what was wrong.
    Failed { job: u32, side: Option<Side>, file: String, offset: Option<u64>, message: String },
}

impl Reply {
    /// The job this reply belongs to.
    pub fn job(&self) -> u32 {
        match self {
            Reply::Progress { job, .. } | Reply::Report { job, .. } | Reply::Failed { job, .. } => *job,
        }
    }
}

/// A JS exception or value as text for messages.
fn js_text(value: &JsValue) -> String {
    if let Some(text) = value.as_string() {
        return text;
    }
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    format!("{value:?}")
}

/// Reads a PCR file whole (they are small; bigger ones are refused).
fn read_pcr_file(file: &File, side: Side, job: u32) -> Result<(String, Vec<u8>), Reply> {
    let name = file.name();
    let failed = |offset: Option<u64>, message: String| Reply::Failed { job, side: Some(side), file: name.clone(), offset, message };
    let source = BlobSource::new(file.clone().into()).map_err(|message| failed(None, message))?;
    if source.len() > MAX_PCR_FILE {
        return Err(failed(None, format!("a PCR file of {} bytes is too big (at most {MAX_PCR_FILE})", source.len())));
    }
    let mut bytes = vec![0u8; source.len() as usize];
    source.read_at(0, &mut bytes).map_err(|err| failed(Some(err.offset), err.message))?;
    Ok((name, bytes))
}

/// Runs one comparison, posting progress through `post`; returns the final reply.
pub fn run(request: &Request, post: &dyn Fn(&Reply)) -> Reply {
    let job = request.job;
    let source = |file: &File, side: Side| {
        BlobSource::new(file.clone().into())
            .map_err(|message| Reply::Failed { job, side: Some(side), file: file.name(), offset: None, message })
    };
    let (source_a, source_b) = match (source(&request.a, Side::A), source(&request.b, Side::B)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(reply), _) | (_, Err(reply)) => return reply,
    };
    let pcr = |file: &Option<File>, side: Side| file.as_ref().map(|f| read_pcr_file(f, side, job)).transpose();
    let (pcr_a, pcr_b) = match (pcr(&request.pcr_a, Side::A), pcr(&request.pcr_b, Side::B)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(reply), _) | (_, Err(reply)) => return reply,
    };
    let input_a = Input { name: request.a.name(), source: &source_a, pcr_file: pcr_a };
    let input_b = Input { name: request.b.name(), source: &source_b, pcr_file: pcr_b };
    let mut progress = |p: Progress| post(&Reply::Progress { job, phase: p.phase.to_owned(), side: p.side });
    match compare_with_progress(&input_a, &input_b, &Limits::default(), &mut progress) {
        Ok(report) => match serde_json::to_string(&report) {
            Ok(json) => Reply::Report { job, json },
            Err(err) => Reply::Failed { job, side: None, file: String::new(), offset: None, message: format!("the report could not be serialised: {err}") },
        },
        Err(err) => Reply::Failed { job, side: Some(err.side), file: err.name, offset: Some(err.offset), message: err.message },
    }
}

/// Installs the message handler and announces readiness; called by the `worker` binary.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    // The worker's wasm memory, for measuring (bench/browser.mjs reads
    // `self.eifscopeWasmMemory.buffer.byteLength`: wasm memory only grows, so this is the peak).
    let _ = js_sys::Reflect::set(&scope, &JsValue::from_str("eifscopeWasmMemory"), &wasm_bindgen::memory());
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let post_reply = |reply: &Reply| match serde_wasm_bindgen::to_value(reply) {
            Ok(value) => {
                let _ = reply_to.post_message(&value);
            }
            Err(err) => {
                let _ = reply_to.post_message(&JsValue::from_str(&format!("error: reply not serialisable: {err}")));
            }
        };
        if let Some(text) = data.as_string() {
            let answer = match text.as_str() {
                PING => READY.to_string(),
                other => format!("error: unknown message {other:?}"),
            };
            let _ = reply_to.post_message(&JsValue::from_str(&answer));
            return;
        }
        match Request::from_js(&data) {
            Some(request) => {
                let last = run(&request, &post_reply);
                post_reply(&last);
            }
            None => {
                let _ = reply_to.post_message(&JsValue::from_str("error: expected a compare request"));
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str(READY));
}
