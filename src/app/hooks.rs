//! Services used by the app component: the worker bridge, mirroring state into the
//! document, stopping stray drops from navigating away, and share links in the fragment.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, HtmlElement, MessageChannel, MessageEvent, MessagePort, Worker};
use yew::prelude::*;

use crate::app::components::entries::NavCell;
use crate::app::state::{Action, State};
use crate::report::{share, Report, Side as ReportSide, SideSummary};
use crate::worker::{Failure, Reply, Request, READY};

/// A started worker with the handlers it calls; dropping it stops the worker.
pub struct RunningWorker {
    worker: Worker,
    dispatch: UseReducerDispatcher<State>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
    /// The current job's progress channel (see [`RunningWorker::post`]) and its handler.
    progress: RefCell<Option<(MessagePort, Closure<dyn FnMut(MessageEvent)>)>>,
}

impl RunningWorker {
    /// Posts a compare request (the `File` handles are cloned, not their bytes) with a fresh
    /// `MessagePort` for byte progress: the worker hands it to its helper, which reports side
    /// B's progress through it while the coordinator is busy with side A.
    pub fn post(&self, request: &Request) -> Result<(), String> {
        let channel = MessageChannel::new().map_err(|err| format!("no message channel: {err:?}"))?;
        let dispatch = self.dispatch.clone();
        let on_progress = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(action) = action_for(event.data()) {
                dispatch.dispatch(action);
            }
        });
        let ours = channel.port2();
        ours.set_onmessage(Some(on_progress.as_ref().unchecked_ref()));
        if let Some((old, _)) = self.progress.replace(Some((ours, on_progress))) {
            old.set_onmessage(None);
            old.close();
        }
        let theirs = channel.port1();
        let message = request.to_js();
        let _ = js_sys::Reflect::set(&message, &JsValue::from_str("progress_port"), &theirs);
        self.worker
            .post_message_with_transfer(&message, &js_sys::Array::of1(&theirs))
            .map_err(|err| format!("the files could not be handed to the worker: {err:?}"))
    }
}

impl Drop for RunningWorker {
    fn drop(&mut self) {
        if let Some((port, _)) = self.progress.take() {
            port.set_onmessage(None);
            port.close();
        }
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// The running worker, shared between the effect that owns it and the callbacks that post.
pub type WorkerHandle = Rc<RefCell<Option<RunningWorker>>>;

/// Human words for an engine phase.
fn phase_text(phase: &str, side: Option<ReportSide>) -> String {
    let side = match side {
        Some(ReportSide::A) => " A",
        Some(ReportSide::B) => " B",
        None => "",
    };
    match phase {
        "reading" => format!("Reading{side}…"),
        "waiting" => format!("Waiting for{side}…"),
        "comparing" => "Comparing layers and files…".to_string(),
        "contents" => "Comparing file contents…".to_string(),
        "diagnosing" => "Finding likely causes…".to_string(),
        other => format!("{other}{side}…"),
    }
}

/// Turns one worker message into an [`Action`].
fn action_for(data: JsValue) -> Option<Action> {
    if let Some(text) = data.as_string() {
        return match text.as_str() {
            READY => Some(Action::WorkerReady),
            _ if text.starts_with("error:") => Some(Action::WorkerFailed(text)),
            _ => None,
        };
    }
    let reply: Reply = match serde_wasm_bindgen::from_value(data) {
        Ok(reply) => reply,
        Err(err) => return Some(Action::WorkerFailed(format!("the worker sent an unreadable message: {err}"))),
    };
    Some(match reply {
        Reply::Progress { job, side: Some(side), done: Some(done), total: Some(total), .. } => Action::Bytes(job, side, done, total),
        Reply::Progress { job, phase, side, .. } => Action::Progress(job, phase_text(&phase, side)),
        Reply::Summary { job, json } => match serde_json::from_str::<Report>(&json) {
            Ok(report) => Action::Summary(job, Rc::new(report)),
            Err(err) => Action::Failed(job, format!("the worker's summary could not be read: {err}")),
        },
        Reply::Report { job, json } => match serde_json::from_str::<Report>(&json) {
            Ok(report) => Action::Finished(job, Rc::new(report)),
            Err(err) => Action::Failed(job, format!("the worker's report could not be read: {err}")),
        },
        // Meant for a coordinating worker, never for the page.
        Reply::Image { .. } => return None,
        Reply::Failed { job, side, file, offset, message } => Action::Unreadable(job, vec![Failure { side, file, offset, message }], None),
        Reply::Unreadable { job, failures, readable } => match readable.map(|json| serde_json::from_str::<SideSummary>(&json)).transpose() {
            Ok(readable) => Action::Unreadable(job, failures, readable.map(Rc::new)),
            Err(err) => Action::Failed(job, format!("the worker's summary of the readable side could not be read: {err}")),
        },
    })
}

/// Creates the worker and wires its messages and errors to `dispatch`.
fn start_worker(url: &str, dispatch: UseReducerDispatcher<State>) -> Result<RunningWorker, String> {
    let worker = Worker::new(url).map_err(|err| {
        format!(
            "the background worker could not be created: {}",
            err.as_string().unwrap_or_else(|| format!("{err:?}"))
        )
    })?;
    let progress_dispatch = dispatch.clone();
    let on_message = {
        let dispatch = dispatch.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(action) = action_for(event.data()) {
                dispatch.dispatch(action);
            }
        })
    };
    let on_error = {
        let url = url.to_string();
        Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            // Handled here: keep the browser from also logging it as uncaught.
            event.prevent_default();
            let detail = event.message();
            dispatch.dispatch(Action::WorkerFailed(if detail.is_empty() {
                format!("the background worker ({url}) failed to load")
            } else {
                format!("the background worker stopped: {detail}")
            }));
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(RunningWorker {
        worker,
        dispatch: progress_dispatch,
        _on_message: on_message,
        _on_error: on_error,
        progress: RefCell::new(None),
    })
}

/// Starts the worker at `url` (when given) and reports its handshake and replies as
/// [`Action`]s. A new `generation` terminates the old worker and starts a fresh one.
///
/// The worker posts [`READY`] once its wasm has set `onmessage`; messages sent before that
/// would be lost, so nothing is posted to it until then. The worker is terminated on unmount.
#[hook]
pub fn use_worker(url: Option<AttrValue>, generation: u32, dispatch: UseReducerDispatcher<State>) -> WorkerHandle {
    let handle: WorkerHandle = use_mut_ref(|| None::<RunningWorker>);
    {
        let handle = handle.clone();
        use_effect_with((url, generation), move |(url, _)| {
            let running = url
                .as_deref()
                .and_then(|url| match start_worker(url, dispatch.clone()) {
                    Ok(running) => Some(running),
                    Err(message) => {
                        dispatch.dispatch(Action::WorkerFailed(message));
                        None
                    }
                });
            *handle.borrow_mut() = running;
            move || drop(handle.borrow_mut().take())
        });
    }
    handle
}

/// Mirrors `key=value` into `document.documentElement.dataset` whenever `value` changes.
/// Tests and scripts wait on these (`data-state`, `data-worker`, `data-job`).
#[hook]
pub fn use_root_dataset(key: &'static str, value: String) {
    use_effect_with(value, move |value| {
        let root = gloo::utils::document()
            .document_element()
            .and_then(|el| el.dyn_into::<HtmlElement>().ok());
        if let Some(root) = root {
            let _ = root.dataset().set(key, value);
        }
    });
}

/// Handles files dropped on the page outside the zones (a zone's own drop handler cancels the
/// event first, so it is not handled twice) and keeps the browser from replacing the page with
/// the dropped file.
#[hook]
pub fn use_page_drop(on_files: Callback<Vec<web_sys::File>>) {
    use_effect_with((), move |_| {
        let window = gloo::utils::window();
        let options = EventListenerOptions::enable_prevent_default();
        let over = EventListener::new_with_options(&window, "dragover", options, |event| event.prevent_default());
        let on_drop = EventListener::new_with_options(&window, "drop", options, move |event| {
            if event.default_prevented() {
                return;
            }
            event.prevent_default();
            let files = event
                .dyn_ref::<web_sys::DragEvent>()
                .and_then(|drag| drag.data_transfer())
                .and_then(|transfer| transfer.files())
                .map(|list| (0..list.length()).filter_map(|i| list.item(i)).collect::<Vec<_>>())
                .unwrap_or_default();
            if !files.is_empty() {
                on_files.emit(files);
            }
        });
        move || drop((over, on_drop))
    });
}

/// j / k move to the next / previous difference: first the elements with `data-diff` (the
/// differing layers, in page order; the stop is scrolled into view, focused and marked
/// `.current`), then the entries of the virtualised file list through `nav` (the entry is
/// selected and scrolled into view even when its row was not rendered). Keys typed into inputs
/// are left alone.
#[hook]
pub fn use_jk_navigation(nav: NavCell) {
    use_effect_with(nav, |nav| {
        let (nav, listener_nav) = (nav.clone(), nav.clone());
        let current = Rc::new(std::cell::Cell::new(None::<u32>));
        let options = EventListenerOptions::enable_prevent_default();
        let listener = EventListener::new_with_options(&gloo::utils::window(), "keydown", options, move |event| {
            let Some(key) = event.dyn_ref::<web_sys::KeyboardEvent>() else { return };
            if key.ctrl_key() || key.meta_key() || key.alt_key() {
                return;
            }
            let step: i64 = match key.key().as_str() {
                "j" => 1,
                "k" => -1,
                _ => return,
            };
            let typing = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
            if typing {
                return;
            }
            let Ok(stops) = gloo::utils::document().query_selector_all("[data-diff]") else { return };
            let n = i64::from(stops.length());
            let unmark = || {
                if let Some(el) = current.get().and_then(|at| stops.item(at)).and_then(|node| node.dyn_into::<web_sys::Element>().ok()) {
                    let _ = el.class_list().remove_1("current");
                }
            };
            let nav = &listener_nav;
            let (count, selected, active, select) = {
                let nav = nav.0.borrow();
                (nav.count, nav.selected, nav.active, nav.select.clone())
            };
            let to_entry = |i: usize| {
                if let Some(select) = &select {
                    unmark();
                    current.set(None);
                    select.emit(i);
                }
            };
            // In the list: step through its entries; k from the first goes back to the layers.
            if active && count > 0 {
                let next = match (selected, step > 0) {
                    (Some(at), true) => Some((at + 1).min(count - 1)),
                    (None, true) => Some(0),
                    (Some(at), false) => at.checked_sub(1),
                    (None, false) => None,
                };
                if let Some(next) = next {
                    to_entry(next);
                    event.prevent_default();
                    return;
                }
                nav.0.borrow_mut().active = false;
                current.set(None);
                if n == 0 {
                    return;
                }
            } else if step > 0 && count > 0 && (n == 0 || current.get().is_some_and(|at| i64::from(at) >= n - 1)) {
                to_entry(0);
                event.prevent_default();
                return;
            }
            if n == 0 {
                return;
            }
            let next = match current.get() {
                None if step > 0 => 0,
                None => n - 1,
                Some(at) => (i64::from(at) + step).clamp(0, n - 1),
            };
            unmark();
            // `next` is within 0..n, and n came from a u32.
            let next = next as u32;
            current.set(Some(next));
            nav.0.borrow_mut().active = false;
            if let Some(el) = stops.item(next).and_then(|node| node.dyn_into::<HtmlElement>().ok()) {
                let _ = el.class_list().add_1("current");
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Center);
                el.scroll_into_view_with_scroll_into_view_options(&options);
                let _ = el.focus();
                event.prevent_default();
            }
        });
        // A click outside the list leaves it: the next j starts again from the layers.
        let on_click = {
            let nav = nav.clone();
            EventListener::new(&gloo::utils::window(), "click", move |event| {
                let in_list = event
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| el.closest(".vlist").ok().flatten().is_some());
                if !in_list {
                    nav.0.borrow_mut().active = false;
                }
            })
        };
        move || drop((listener, on_click))
    });
}

/// The page's fragment (`location.hash`, with its `#`; empty when there is none).
pub fn location_fragment() -> String {
    gloo::utils::window().location().hash().unwrap_or_default()
}

/// The page's address without its fragment: where a share link points.
pub fn location_without_fragment() -> String {
    let href = gloo::utils::window().location().href().unwrap_or_default();
    match href.split_once('#') {
        Some((base, _)) => base.to_owned(),
        None => href,
    }
}

/// Drops the fragment from the address (no new history entry, no reload), so a reload after
/// leaving a shared report does not open it again.
pub fn clear_fragment() {
    let window = gloo::utils::window();
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&location_without_fragment()));
    }
}

/// Calls `on_link` with the payload whenever the fragment changes to a share link (`#r=…`),
/// e.g. when a link is pasted into the address bar of an open page. Other fragments (entry
/// permalinks, evidence links) are left to the browser.
#[hook]
pub fn use_fragment_share_links(on_link: Callback<String>) {
    use_effect_with((), move |_| {
        let listener = EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
            if let Some(payload) = share::payload_of_fragment(&location_fragment()) {
                on_link.emit(payload.to_owned());
            }
        });
        move || drop(listener)
    });
}
