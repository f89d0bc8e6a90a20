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
//!   `progress`, at most one `summary` (the report without content diffs, as JSON text: the
//!   verdict and PCRs can be shown while contents are compared), then exactly one `report`
//!   (the [`crate::report::Report`] as JSON text), `failed` (which file, where, what) or
//!   `unreadable` (each image that could not be read, as `failed` says it, and the other side
//!   alone as a [`crate::report::SideSummary`] when it could be read).
//! - anything else is answered with a string starting with `error:`.
//!
//! Two cores: the worker the page talks to (the *coordinator*) starts a nested worker of the
//! same script (the *helper*) and hands it side B as a [`ReadRequest`] `{ read, job, side,
//! file }` while it reads side A itself. The helper answers `progress` and then `image` (the
//! decoded [`Image`] as JSON without the small files' bytes, see [`Image::to_transport_lean`])
//! or `failed`, and keeps the image. The coordinator compares and posts the summary; then it
//! asks the helper for side B's changed contents (`{ fetch, job, skip, paths }`, answered by
//! `{ type: "contents", job, items: [[path, Uint8Array, cut]…] }`) while it reads side A's,
//! and finishes the report. Where nested workers are unavailable it does everything itself.
//! Terminating the coordinator (Cancel) terminates its helper too.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DedicatedWorkerGlobalScope, ErrorEvent, File, FileReaderSync, MessageEvent, MessagePort, Worker};

use crate::analyze::{apply_contents, content_skips, read_side, summarize_images, summarize_side, AnalyzeError, Input, Progress};
use crate::contents::{read_contents, wanted_paths, SideContents};
use crate::image::Image;
use crate::limits::Limits;
use crate::report::Side;
use crate::sniff::MAX_PCR_FILE;
use crate::source::{ByteSource, SourceError};

/// Posted by the worker when it can take messages.
pub const READY: &str = "ready";
/// Asks the worker to repeat [`READY`].
pub const PING: &str = "ping";

/// Bytes read from a `Blob` at once: a read after a seek loads [`MIN_BLOCK`], each block that
/// continues the previous one twice as much, up to [`MAX_BLOCK`] (read-ahead, as a kernel
/// does). The single pass over an image reads it in a few large slices, while a content fetch
/// that seeks to a checkpoint does not pull in 4 MiB for a small file. Reads are served from
/// the last few blocks.
const MIN_BLOCK: u64 = 256 << 10;
const MAX_BLOCK: u64 = 4 << 20;
/// Blocks kept.
const CACHED_BLOCKS: usize = 4;

/// A `Blob` (or `File`) as a [`ByteSource`]: synchronous slice reads with `FileReaderSync`
/// (only available in workers), through a small block cache so the engine's many small reads
/// (cpio headers) do not each cross into the browser.
pub struct BlobSource {
    blob: Blob,
    len: u64,
    reader: FileReaderSync,
    cache: RefCell<VecDeque<(u64, Vec<u8>)>>,
    /// End and length of the last block loaded (a block starting there continues it).
    last: Cell<(u64, u64)>,
    /// Furthest byte read so far, and where it was last reported.
    furthest: Cell<(u64, u64)>,
    /// Told the furthest byte read every [`PROGRESS_STEP`] bytes (reading is mostly in order,
    /// so this is "bytes done of total" for progress bars).
    on_progress: RefCell<Option<Box<dyn Fn(u64, u64)>>>,
}

/// Bytes between two progress reports of one source.
const PROGRESS_STEP: u64 = 8 << 20;

impl BlobSource {
    /// Wraps `blob`; fails outside a worker (no `FileReaderSync` there).
    pub fn new(blob: Blob) -> Result<BlobSource, String> {
        let reader = FileReaderSync::new().map_err(|err| format!("FileReaderSync is not available: {}", js_text(&err)))?;
        // `Blob.size` is an integer below 2^53; the cast saturates.
        let len = blob.size() as u64;
        Ok(BlobSource { blob, len, reader, cache: RefCell::new(VecDeque::new()), last: Cell::new((0, 0)), furthest: Cell::new((0, 0)), on_progress: RefCell::new(None) })
    }

    /// Reports progress through `report(done, total)` from now on.
    pub fn report_progress(&self, report: impl Fn(u64, u64) + 'static) {
        *self.on_progress.borrow_mut() = Some(Box::new(report));
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
        count_bytes_read(len);
        let (furthest, reported) = self.furthest.get();
        let furthest = furthest.max(start + len);
        let due = furthest >= reported.saturating_add(PROGRESS_STEP) || furthest == self.len;
        self.furthest.set((furthest, if due { furthest } else { reported }));
        if due && furthest != reported {
            if let Some(report) = &*self.on_progress.borrow() {
                report(furthest, self.len);
            }
        }
        Ok(())
    }

    /// Copies into `out` what a cached block holds from `pos` on (loading a block that starts
    /// at `pos` when none holds it); returns how many bytes it copied (at least one).
    fn copy_cached(&self, pos: u64, out: &mut [u8]) -> Result<usize, SourceError> {
        let mut cache = self.cache.borrow_mut();
        let index = match cache.iter().position(|(start, block)| *start <= pos && pos - *start < block.len() as u64) {
            Some(index) => index,
            None => {
                let (last_end, last_len) = self.last.get();
                let len = if pos == last_end { last_len.saturating_mul(2).clamp(MIN_BLOCK, MAX_BLOCK) } else { MIN_BLOCK };
                let len = len.min(self.len - pos);
                // At most MAX_BLOCK (4 MiB): fits in usize.
                let mut block = vec![0u8; len as usize];
                self.read_direct(pos, &mut block)?;
                self.last.set((pos + len, len));
                if cache.len() >= CACHED_BLOCKS {
                    cache.pop_front();
                }
                cache.push_back((pos, block));
                cache.len() - 1
            }
        };
        let (start, block) = &cache[index];
        // Below the block's length (checked above): fits in usize.
        let skip = (pos - start) as usize;
        let n = out.len().min(block.len() - skip);
        out[..n].copy_from_slice(&block[skip..skip + n]);
        Ok(n)
    }
}

impl ByteSource for BlobSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        let want = buf.len() as u64;
        if offset.checked_add(want).is_none_or(|end| end > self.len) {
            return Err(SourceError::new(offset, want, "past the end of the input"));
        }
        if want >= MAX_BLOCK {
            return self.read_direct(offset, buf);
        }
        let mut done = 0usize;
        while done < buf.len() {
            done += self.copy_cached(offset + done as u64, &mut buf[done..])?;
        }
        Ok(())
    }
}

/// Adds `n` to the worker's `self.eifscopeBytesRead`: the bytes this worker has read from
/// files so far, for measuring (bench/browser.mjs prints it).
fn count_bytes_read(n: u64) {
    let scope = js_sys::global();
    let key = JsValue::from_str("eifscopeBytesRead");
    let before = js_sys::Reflect::get(&scope, &key).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let _ = js_sys::Reflect::set(&scope, &key, &JsValue::from_f64(before + n as f64));
}

/// What the page asks for (built from the posted object by [`Request::from_js`]).
pub struct Request {
    pub job: u32,
    pub a: File,
    pub b: File,
    pub pcr_a: Option<File>,
    pub pcr_b: Option<File>,
    /// Where progress in bytes may also be posted (the page adds it when posting, transferred).
    pub progress_port: Option<MessagePort>,
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
        // A job id the page made (a u32); anything else is not a request.
        let job = u32_field(value, "job")?;
        let progress_port = get("progress_port").and_then(|v| v.dyn_into::<MessagePort>().ok());
        Some(Request { job, a: file("a")?, b: file("b")?, pcr_a: file("pcr_a"), pcr_b: file("pcr_b"), progress_port })
    }
}

/// What the worker posts back (except the [`READY`] handshake string).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The engine entered `phase` ("reading", "comparing", "contents", "diagnosing"); while
    /// reading, `done` of `total` bytes of `side`'s file.
    Progress {
        job: u32,
        phase: String,
        side: Option<Side>,
        #[serde(default)]
        done: Option<u64>,
        #[serde(default)]
        total: Option<u64>,
    },
    /// The report without content diffs (JSON text), sent before the content pass.
    Summary { job: u32, json: String },
    /// The finished report as JSON text.
    Report { job: u32, json: String },
    /// From a helper: its side decoded ([`Image::to_transport_lean`]).
    Image { job: u32, json: String },
    /// A side could not be read: which file, at which byte offset, what was wrong.
    Failed { job: u32, side: Option<Side>, file: String, offset: Option<u64>, message: String },
    /// One or both images could not be read: each [`Failure`], and the other side on its own
    /// (a [`crate::report::SideSummary`] as JSON text) when it could be read.
    Unreadable { job: u32, failures: Vec<Failure>, readable: Option<String> },
}

/// What [`Reply::Failed`] says: which file, at which byte offset, what was wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub side: Option<Side>,
    pub file: String,
    pub offset: Option<u64>,
    pub message: String,
}

impl Failure {
    fn into_reply(self, job: u32) -> Reply {
        Reply::Failed { job, side: self.side, file: self.file, offset: self.offset, message: self.message }
    }
}

impl From<AnalyzeError> for Failure {
    fn from(err: AnalyzeError) -> Failure {
        Failure { side: Some(err.side), file: err.name, offset: Some(err.offset), message: err.message }
    }
}

impl Reply {
    /// The job this reply belongs to.
    pub fn job(&self) -> u32 {
        match self {
            Reply::Progress { job, .. }
            | Reply::Summary { job, .. }
            | Reply::Report { job, .. }
            | Reply::Image { job, .. }
            | Reply::Failed { job, .. }
            | Reply::Unreadable { job, .. } => *job,
        }
    }
}

/// Field `key` of a posted object as a u32 (numbers arrive as f64); `None` when it is missing
/// or not a whole number in range.
fn u32_field(value: &JsValue, key: &str) -> Option<u32> {
    let n = js_sys::Reflect::get(value, &JsValue::from_str(key)).ok()?.as_f64()?;
    // In range and whole: the cast is exact.
    (n >= 0.0 && n <= f64::from(u32::MAX) && n.fract() == 0.0).then_some(n as u32)
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

/// The opened inputs of a request: both images as sources, PCR files read whole.
struct Opened {
    a: BlobSource,
    b: BlobSource,
    pcr_a: Option<(String, Vec<u8>)>,
    pcr_b: Option<(String, Vec<u8>)>,
}

/// Posts "`done` of `total` bytes of `side` read" for `job` from wherever this worker posts
/// (a helper's go to its coordinator, which passes progress on to the page).
fn byte_progress(job: u32, side: Side, port: Option<MessagePort>) -> impl Fn(u64, u64) + 'static {
    move |done, total| {
        let reply = Reply::Progress { job, phase: "reading".into(), side: Some(side), done: Some(done), total: Some(total) };
        let Ok(value) = serde_wasm_bindgen::to_value(&reply) else { return };
        match &port {
            // Straight to the page: the coordinator may be busy and not pass messages on.
            Some(port) => {
                let _ = port.post_message(&value);
            }
            None => {
                let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
                let _ = scope.post_message(&value);
            }
        }
    }
}

impl Opened {
    fn new(request: &Request) -> Result<Opened, Reply> {
        let job = request.job;
        let source = |file: &File, side: Side| {
            BlobSource::new(file.clone().into())
                .map_err(|message| Reply::Failed { job, side: Some(side), file: file.name(), offset: None, message })
        };
        let pcr = |file: &Option<File>, side: Side| file.as_ref().map(|f| read_pcr_file(f, side, job)).transpose();
        let opened = Opened { a: source(&request.a, Side::A)?, b: source(&request.b, Side::B)?, pcr_a: pcr(&request.pcr_a, Side::A)?, pcr_b: pcr(&request.pcr_b, Side::B)? };
        opened.a.report_progress(byte_progress(job, Side::A, None));
        opened.b.report_progress(byte_progress(job, Side::B, None));
        Ok(opened)
    }

    fn inputs(&self, request: &Request) -> (Input<'_>, Input<'_>) {
        (
            Input { name: request.a.name(), source: &self.a, pcr_file: self.pcr_a.clone() },
            Input { name: request.b.name(), source: &self.b, pcr_file: self.pcr_b.clone() },
        )
    }
}

fn failed(job: u32, err: AnalyzeError) -> Reply {
    Failure::from(err).into_reply(job)
}

fn report_json(job: u32, report: &crate::report::Report) -> Result<String, Reply> {
    serde_json::to_string(report).map_err(|err| Reply::Failed {
        job,
        side: None,
        file: String::new(),
        offset: None,
        message: format!("the report could not be serialised: {err}"),
    })
}

/// The two decoded images, or the reply of a job where one or both could not be read: every
/// failure, and the side that could be read on its own ([`summarize_side`]: no verdict).
fn both_or_unreadable(job: u32, a: &Input<'_>, image_a: Result<Image, Failure>, b: &Input<'_>, image_b: Result<Image, Failure>) -> Result<(Image, Image), Reply> {
    let (image_a, image_b) = match (image_a, image_b) {
        (Ok(ia), Ok(ib)) => return Ok((ia, ib)),
        other => other,
    };
    let mut failures = Vec::new();
    let mut readable = None;
    for (input, image, side) in [(a, image_a, Side::A), (b, image_b, Side::B)] {
        match image {
            Ok(image) => readable = Some(summarize_side(input, &image, side)),
            Err(failure) => failures.push(failure),
        }
    }
    let readable = match readable.map(|side| serde_json::to_string(&side)).transpose() {
        Ok(json) => json,
        Err(err) => {
            failures.push(Failure { side: None, file: String::new(), offset: None, message: format!("the readable side could not be serialised: {err}") });
            None
        }
    };
    Err(Reply::Unreadable { job, failures, readable })
}

/// Compares two decoded images: posts the summary (verdict, PCRs, entries without content
/// diffs) first, then has `contents` read the changed entries' contents of both sides (given
/// their paths and each side's ramdisks to skip) and returns the full report.
async fn finish<F, Fut>(job: u32, a: &Input<'_>, ia: &Image, b: &Input<'_>, ib: &Image, post: &dyn Fn(&Reply), contents: F) -> Reply
where
    F: FnOnce(Vec<String>, (u32, u32)) -> Fut,
    Fut: std::future::Future<Output = Result<(SideContents, SideContents), Reply>>,
{
    let mut progress = |p: Progress| post(&Reply::Progress { job, phase: p.phase.to_owned(), side: p.side, done: None, total: None });
    progress(Progress { phase: "comparing", side: None });
    let mut report = summarize_images(a, ia, b, ib, &mut progress);
    match report_json(job, &report) {
        Ok(json) => post(&Reply::Summary { job, json }),
        Err(reply) => return reply,
    }
    let paths = wanted_paths(&report.entries);
    if !paths.is_empty() {
        progress(Progress { phase: "contents", side: None });
        let (data_a, data_b) = match contents(paths, content_skips(ia, ib)).await {
            Ok(data) => data,
            Err(reply) => return reply,
        };
        apply_contents(&mut report, &data_a, &data_b, &Limits::default(), &mut progress);
    }
    match report_json(job, &report) {
        Ok(json) => Reply::Report { job, json },
        Err(reply) => reply,
    }
}

/// Runs one comparison in this worker alone, posting progress through `post`; returns the
/// final reply.
pub async fn run(request: &Request, post: &dyn Fn(&Reply)) -> Reply {
    let job = request.job;
    let opened = match Opened::new(request) {
        Ok(opened) => opened,
        Err(reply) => return reply,
    };
    let (input_a, input_b) = opened.inputs(request);
    let limits = Limits::default();
    let read = |input: &Input<'_>, side: Side| {
        post(&Reply::Progress { job, phase: "reading".into(), side: Some(side), done: None, total: None });
        read_side(input, side, &limits).map_err(Failure::from)
    };
    let (image_a, image_b) = match both_or_unreadable(job, &input_a, read(&input_a, Side::A), &input_b, read(&input_b, Side::B)) {
        Ok(images) => images,
        Err(reply) => return reply,
    };
    let (opened, image_a, image_b, limits) = (&opened, &image_a, &image_b, &limits);
    let contents = |paths: Vec<String>, (skip_a, skip_b): (u32, u32)| {
        let data_a = read_contents(&opened.a, image_a, skip_a, &paths, limits);
        let data_b = read_contents(&opened.b, image_b, skip_b, &paths, limits);
        std::future::ready(Ok((data_a, data_b)))
    };
    finish(job, &input_a, image_a, &input_b, image_b, post, contents).await
}

/// Runs one comparison with `helper` reading side B while this worker reads side A.
async fn run_with_helper(request: &Request, helper: &Helper, post: &dyn Fn(&Reply)) -> Reply {
    let job = request.job;
    let opened = match Opened::new(request) {
        Ok(opened) => opened,
        Err(reply) => return reply,
    };
    let (input_a, input_b) = opened.inputs(request);
    let pending = match helper.start_read(job, Side::B, &request.b, request.progress_port.clone()).await {
        Ok(pending) => pending,
        // No helper after all: read B here too.
        Err(_) => return run(request, post).await,
    };
    post(&Reply::Progress { job, phase: "reading".into(), side: Some(Side::A), done: None, total: None });
    let image_a = read_side(&input_a, Side::A, &Limits::default()).map_err(Failure::from);
    post(&Reply::Progress { job, phase: "waiting".into(), side: Some(Side::B), done: None, total: None });
    let failure_b = |message: String| Failure { side: Some(Side::B), file: request.b.name(), offset: None, message };
    let image_b = match pending.await {
        Ok(Reply::Image { json, .. }) => Image::from_transport(&json).map_err(failure_b),
        Ok(Reply::Failed { side, file, offset, message, .. }) => Err(Failure { side, file, offset, message }),
        Ok(other) => Err(failure_b(format!("the helper worker answered {other:?}"))),
        Err(message) => Err(failure_b(message)),
    };
    let (image_a, image_b) = match both_or_unreadable(job, &input_a, image_a, &input_b, image_b) {
        Ok(images) => images,
        Err(reply) => return reply,
    };
    // Summary first; then each worker reads its own side's changed contents (the helper kept
    // its image, with the small files' bytes and its inflate state, for this).
    let (opened, image_ref, limits) = (&opened, &image_a, &Limits::default());
    let failed_b = |message: String| failure_b(message).into_reply(job);
    let contents = |paths: Vec<String>, (skip_a, skip_b): (u32, u32)| async move {
        let pending = helper.start_fetch(job, &paths, skip_b).await.map_err(failed_b)?;
        let data_a = read_contents(&opened.a, image_ref, skip_a, &paths, limits);
        let data_b = pending.await.and_then(|value| contents_from_js(&value)).map_err(failed_b)?;
        Ok((data_a, data_b))
    };
    finish(job, &input_a, &image_a, &input_b, &image_b, post, contents).await
}

/// What a coordinator asks its helper after the summary: the contents of `paths` from the
/// image the helper decoded for `job`.
fn fetch_request_js(job: u32, paths: &[String], skip: u32) -> JsValue {
    let object = js_sys::Object::new();
    let list: js_sys::Array = paths.iter().map(|p| JsValue::from_str(p)).collect();
    for (key, value) in [("fetch", JsValue::TRUE), ("job", JsValue::from(job)), ("skip", JsValue::from(skip)), ("paths", list.into())] {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), &value);
    }
    object.into()
}

/// A fetch request's (job, paths, skip); `None` when `value` is not one.
fn fetch_request_from_js(value: &JsValue) -> Option<(u32, Vec<String>, u32)> {
    let get = |key: &str| js_sys::Reflect::get(value, &JsValue::from_str(key)).ok();
    if get("fetch")?.as_bool() != Some(true) {
        return None;
    }
    let job = u32_field(value, "job")?;
    let skip = u32_field(value, "skip")?;
    let paths = get("paths")?.dyn_into::<js_sys::Array>().ok()?.iter().map(|p| p.as_string()).collect::<Option<Vec<_>>>()?;
    Some((job, paths, skip))
}

/// The helper's answer to a fetch: `{ type: "contents", job, items: [[path, bytes, cut]…] }`
/// (bytes as `Uint8Array`s; built by hand, as serde would turn bytes into number arrays).
fn contents_to_js(job: u32, data: &SideContents) -> JsValue {
    let object = js_sys::Object::new();
    let items: js_sys::Array = data
        .iter()
        .map(|(path, (bytes, cut))| {
            let item = js_sys::Array::new();
            item.push(&JsValue::from_str(path));
            item.push(&js_sys::Uint8Array::from(bytes.as_slice()));
            item.push(&JsValue::from_bool(*cut));
            JsValue::from(item)
        })
        .collect();
    for (key, value) in [("type", JsValue::from_str("contents")), ("job", JsValue::from(job)), ("items", items.into())] {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), &value);
    }
    object.into()
}

/// Reads [`contents_to_js`]'s object back.
fn contents_from_js(value: &JsValue) -> Result<SideContents, String> {
    let bad = || "the helper worker sent unreadable contents".to_owned();
    if let Ok(Reply::Failed { message, .. }) = serde_wasm_bindgen::from_value::<Reply>(value.clone()) {
        return Err(message);
    }
    let items = js_sys::Reflect::get(value, &JsValue::from_str("items")).ok().and_then(|v| v.dyn_into::<js_sys::Array>().ok()).ok_or_else(bad)?;
    let mut out = SideContents::new();
    for item in items.iter() {
        let item = item.dyn_into::<js_sys::Array>().map_err(|_| bad())?;
        let path = item.get(0).as_string().ok_or_else(bad)?;
        let bytes = item.get(1).dyn_into::<js_sys::Uint8Array>().map_err(|_| bad())?.to_vec();
        let cut = item.get(2).as_bool().ok_or_else(bad)?;
        out.insert(path, (bytes, cut));
    }
    Ok(out)
}

/// What a coordinator asks its helper: decode one side.
pub struct ReadRequest {
    pub job: u32,
    pub side: Side,
    pub file: File,
    /// The page's progress port, passed on (transferred) from the [`Request`].
    pub port: Option<MessagePort>,
}

impl ReadRequest {
    fn to_js(&self) -> JsValue {
        let object = js_sys::Object::new();
        let side = match self.side {
            Side::A => "a",
            Side::B => "b",
        };
        let port = self.port.as_ref().map_or(JsValue::NULL, |p| p.clone().into());
        for (key, value) in [("read", JsValue::TRUE), ("job", JsValue::from(self.job)), ("side", JsValue::from_str(side)), ("file", self.file.clone().into()), ("port", port)] {
            let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), &value);
        }
        object.into()
    }

    /// Reads a posted object; `None` when it is not a read request.
    fn from_js(value: &JsValue) -> Option<ReadRequest> {
        let get = |key: &str| js_sys::Reflect::get(value, &JsValue::from_str(key)).ok();
        if get("read")?.as_bool() != Some(true) {
            return None;
        }
        let job = u32_field(value, "job")?;
        let side = match get("side")?.as_string()?.as_str() {
            "a" => Side::A,
            "b" => Side::B,
            _ => return None,
        };
        let port = get("port").and_then(|v| v.dyn_into::<MessagePort>().ok());
        Some(ReadRequest { job, side, file: get("file")?.dyn_into::<File>().ok()?, port })
    }
}

/// What a helper keeps of the side it decoded, to answer the coordinator's content fetch.
struct Kept {
    job: u32,
    image: Image,
    source: BlobSource,
}

/// The helper's side of a [`ReadRequest`]: decode the file, answer with the image (without
/// the small files' bytes, which stay here with the image in `kept`).
fn read_for_coordinator(request: &ReadRequest, post: &dyn Fn(&Reply), kept: &RefCell<Option<Kept>>) -> Reply {
    *kept.borrow_mut() = None;
    let job = request.job;
    let name = request.file.name();
    let source = match BlobSource::new(request.file.clone().into()) {
        Ok(source) => source,
        Err(message) => return Reply::Failed { job, side: Some(request.side), file: name, offset: None, message },
    };
    source.report_progress(byte_progress(job, request.side, request.port.clone()));
    post(&Reply::Progress { job, phase: "reading".into(), side: Some(request.side), done: None, total: None });
    let input = Input { name: name.clone(), source: &source, pcr_file: None };
    let mut image = match read_side(&input, request.side, &Limits::default()) {
        Ok(image) => image,
        Err(err) => return failed(job, err),
    };
    let reply = match image.to_transport_lean() {
        Ok(json) => Reply::Image { job, json },
        Err(message) => return Reply::Failed { job, side: Some(request.side), file: name, offset: None, message },
    };
    *kept.borrow_mut() = Some(Kept { job, image, source });
    reply
}

/// The name a coordinator gives its helper (a helper starts no helper of its own).
const HELPER_NAME: &str = "eifscope-helper";

/// What the helper's message handler shares with the coordinator's tasks.
#[derive(Default)]
struct HelperShared {
    ready: Cell<bool>,
    /// Why the helper cannot be used (failed to load, crashed).
    broken: RefCell<Option<String>>,
    /// Resolves the promise of a task waiting for [`READY`].
    on_ready: RefCell<Option<js_sys::Function>>,
    /// The job being read and the resolver of its promise.
    pending: RefCell<Option<(u32, js_sys::Function)>>,
}

impl HelperShared {
    fn wake_all(&self, value: &JsValue) {
        if let Some(resolve) = self.on_ready.borrow_mut().take() {
            let _ = resolve.call1(&JsValue::NULL, value);
        }
        if let Some((_, resolve)) = self.pending.borrow_mut().take() {
            let _ = resolve.call1(&JsValue::NULL, value);
        }
    }
}

/// A nested worker of the same script that decodes one side for the coordinator.
struct Helper {
    worker: Worker,
    shared: Rc<HelperShared>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl Helper {
    /// Starts the helper; `forward` passes its progress replies on to the page.
    fn start(forward: Rc<dyn Fn(&Reply)>) -> Result<Helper, String> {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let url = scope.location().href();
        let options = web_sys::WorkerOptions::new();
        options.set_name(HELPER_NAME);
        let worker = Worker::new_with_options(&url, &options).map_err(|err| js_text(&err))?;
        let shared = Rc::new(HelperShared::default());
        let on_message = {
            let shared = shared.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let data = event.data();
                if let Some(text) = data.as_string() {
                    if text == READY {
                        shared.ready.set(true);
                        if let Some(resolve) = shared.on_ready.borrow_mut().take() {
                            let _ = resolve.call0(&JsValue::NULL);
                        }
                    } else {
                        *shared.broken.borrow_mut() = Some(text.clone());
                        shared.wake_all(&JsValue::from_str(&text));
                    }
                    return;
                }
                let kind = js_sys::Reflect::get(&data, &JsValue::from_str("type")).ok().and_then(|t| t.as_string());
                if kind.as_deref() == Some("contents") {
                    if let Some((_, resolve)) = shared.pending.borrow_mut().take() {
                        let _ = resolve.call1(&JsValue::NULL, &data);
                    }
                    return;
                }
                let Ok(reply) = serde_wasm_bindgen::from_value::<Reply>(data.clone()) else { return };
                match reply {
                    Reply::Progress { .. } => forward(&reply),
                    _ => {
                        let due = matches!(&*shared.pending.borrow(), Some((job, _)) if *job == reply.job());
                        if due {
                            if let Some((_, resolve)) = shared.pending.borrow_mut().take() {
                                let _ = resolve.call1(&JsValue::NULL, &data);
                            }
                        }
                    }
                }
            })
        };
        let on_error = {
            let shared = shared.clone();
            Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
                event.prevent_default();
                let message = format!("error: the helper worker stopped: {}", event.message());
                *shared.broken.borrow_mut() = Some(message.clone());
                shared.wake_all(&JsValue::from_str(&message));
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Helper { worker, shared, _on_message: on_message, _on_error: on_error })
    }

    /// Resolves once the helper has posted [`READY`], or with why it never will.
    async fn wait_ready(&self) -> Result<(), String> {
        if !self.shared.ready.get() && self.shared.broken.borrow().is_none() {
            let shared = self.shared.clone();
            let ready = js_sys::Promise::new(&mut |resolve, _| *shared.on_ready.borrow_mut() = Some(resolve));
            let _ = JsFuture::from(ready).await;
        }
        match self.shared.broken.borrow().clone() {
            Some(message) => Err(message),
            None => Ok(()),
        }
    }

    /// Asks for the contents of `paths` from the side the helper decoded for `job`; the
    /// future resolves to its raw answer ([`contents_from_js`] reads it).
    async fn start_fetch(&self, job: u32, paths: &[String], skip: u32) -> Result<impl std::future::Future<Output = Result<JsValue, String>>, String> {
        if let Some(message) = self.shared.broken.borrow().clone() {
            return Err(message);
        }
        let shared = self.shared.clone();
        let done = js_sys::Promise::new(&mut |resolve, _| *shared.pending.borrow_mut() = Some((job, resolve)));
        self.worker
            .post_message(&fetch_request_js(job, paths, skip))
            .map_err(|err| format!("the content request could not be handed to the helper worker: {}", js_text(&err)))?;
        let future = JsFuture::from(done);
        Ok(async move {
            let value = future.await.map_err(|err| js_text(&err))?;
            match value.as_string() {
                Some(text) => Err(text),
                None => Ok(value),
            }
        })
    }

    /// Waits for the helper's handshake, then hands it `file`; the returned future resolves
    /// to its final reply (`image` or `failed`), or to why the helper is unusable.
    async fn start_read(&self, job: u32, side: Side, file: &File, port: Option<MessagePort>) -> Result<impl std::future::Future<Output = Result<Reply, String>>, String> {
        self.wait_ready().await?;
        let shared = self.shared.clone();
        let done = js_sys::Promise::new(&mut |resolve, _| *shared.pending.borrow_mut() = Some((job, resolve)));
        let transfer = js_sys::Array::new();
        if let Some(port) = &port {
            transfer.push(port);
        }
        self.worker
            .post_message_with_transfer(&ReadRequest { job, side, file: file.clone(), port }.to_js(), &transfer)
            .map_err(|err| format!("the file could not be handed to the helper worker: {}", js_text(&err)))?;
        let future = JsFuture::from(done);
        Ok(async move {
            let value = future.await.map_err(|err| js_text(&err))?;
            if let Some(text) = value.as_string() {
                return Err(text);
            }
            serde_wasm_bindgen::from_value::<Reply>(value).map_err(|err| format!("the helper worker sent an unreadable message: {err}"))
        })
    }
}

/// Installs the message handler and announces readiness; called by the `worker` binary.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    // The worker's wasm memory, for measuring (bench/browser.mjs reads
    // `self.eifscopeWasmMemory.buffer.byteLength`: wasm memory only grows, so this is the peak).
    let _ = js_sys::Reflect::set(&scope, &JsValue::from_str("eifscopeWasmMemory"), &wasm_bindgen::memory());
    let reply_to = scope.clone();
    let post_reply: Rc<dyn Fn(&Reply)> = Rc::new(move |reply: &Reply| match serde_wasm_bindgen::to_value(reply) {
        Ok(value) => {
            let _ = reply_to.post_message(&value);
        }
        Err(err) => {
            let _ = reply_to.post_message(&JsValue::from_str(&format!("error: reply not serialisable: {err}")));
        }
    });
    // The coordinator starts one helper; a helper (or a browser without nested workers) reads
    // both sides itself.
    let helper = if scope.name() == HELPER_NAME { None } else { Helper::start(post_reply.clone()).ok().map(Rc::new) };
    let kept: RefCell<Option<Kept>> = RefCell::new(None);
    // READY waits for the helper (loaded, or known unusable): once the page has seen it, the
    // whole app has loaded and nothing more is fetched.
    let announced = Rc::new(Cell::new(false));
    let reply_to = scope.clone();
    let (helper_for_ready, announced_for_ready) = (helper.clone(), announced.clone());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        if let Some(text) = data.as_string() {
            let answer = match text.as_str() {
                // Not ready before the helper is: the page would post too early.
                PING if !announced.get() => return,
                PING => READY.to_string(),
                other => format!("error: unknown message {other:?}"),
            };
            let _ = reply_to.post_message(&JsValue::from_str(&answer));
            return;
        }
        if let Some(read) = ReadRequest::from_js(&data) {
            let last = read_for_coordinator(&read, &*post_reply, &kept);
            post_reply(&last);
            return;
        }
        if let Some((job, paths, skip)) = fetch_request_from_js(&data) {
            let answer = match &*kept.borrow() {
                Some(k) if k.job == job => contents_to_js(job, &read_contents(&k.source, &k.image, skip, &paths, &Limits::default())),
                _ => match serde_wasm_bindgen::to_value(&Reply::Failed { job, side: None, file: String::new(), offset: None, message: "the helper worker no longer holds this image".into() }) {
                    Ok(value) => value,
                    Err(_) => JsValue::from_str("error: the helper worker no longer holds this image"),
                },
            };
            let _ = reply_to.post_message(&answer);
            return;
        }
        match Request::from_js(&data) {
            Some(request) => match helper.clone() {
                Some(helper) => {
                    let post_reply = post_reply.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let last = run_with_helper(&request, &helper, &*post_reply).await;
                        post_reply(&last);
                    });
                }
                None => {
                    let post_reply = post_reply.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let last = run(&request, &*post_reply).await;
                        post_reply(&last);
                    });
                }
            },
            None => {
                let _ = reply_to.post_message(&JsValue::from_str("error: expected a compare request"));
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(helper) = helper_for_ready {
            // A broken helper only means this worker reads both sides itself.
            let _ = helper.wait_ready().await;
        }
        announced_for_ready.set(true);
        let _ = scope.post_message(&JsValue::from_str(READY));
    });
}
