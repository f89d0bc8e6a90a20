//! Services used by the app component: the worker bridge, mirroring state into the
//! document, and stopping stray drops from navigating away.

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Event, HtmlElement, MessageEvent, Worker};
use yew::prelude::*;

use crate::app::state::{Action, State};
use crate::worker::READY;

/// A started worker with the handlers it calls; dropping it stops the worker.
struct RunningWorker {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Drop for RunningWorker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// Creates the worker and wires its messages and errors to `dispatch`.
fn start_worker(url: &str, dispatch: UseReducerDispatcher<State>) -> Result<RunningWorker, String> {
    let worker = Worker::new(url).map_err(|err| {
        format!(
            "the background worker could not be created: {}",
            err.as_string().unwrap_or_else(|| format!("{err:?}"))
        )
    })?;
    let on_message = {
        let dispatch = dispatch.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match event.data().as_string() {
                Some(text) if text == READY => dispatch.dispatch(Action::WorkerReady),
                Some(text) if text.starts_with("error:") => {
                    dispatch.dispatch(Action::WorkerFailed(text))
                }
                _ => {}
            }
        })
    };
    let on_error = {
        let url = url.to_string();
        Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            dispatch.dispatch(Action::WorkerFailed(format!(
                "the background worker ({url}) failed to load"
            )));
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(RunningWorker {
        worker,
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// Starts the worker at `url` (when given) and reports its handshake as [`Action`]s.
///
/// The worker posts [`READY`] once its wasm has set `onmessage`; messages sent before that
/// would be lost, so nothing is posted to it until then. The worker is terminated on unmount.
#[hook]
pub fn use_worker(url: Option<AttrValue>, dispatch: UseReducerDispatcher<State>) {
    use_effect_with(url, move |url| {
        let running = url
            .as_deref()
            .and_then(|url| match start_worker(url, dispatch.clone()) {
                Ok(running) => Some(running),
                Err(message) => {
                    dispatch.dispatch(Action::WorkerFailed(message));
                    None
                }
            });
        move || drop(running)
    });
}

/// Mirrors `key=value` into `document.documentElement.dataset` whenever `value` changes.
/// Tests and scripts wait on these (`data-state`, `data-worker`).
#[hook]
pub fn use_root_dataset(key: &'static str, value: &'static str) {
    use_effect_with(value, move |value| {
        let root = gloo::utils::document()
            .document_element()
            .and_then(|el| el.dyn_into::<HtmlElement>().ok());
        if let Some(root) = root {
            let _ = root.dataset().set(key, value);
        }
    });
}

/// Keeps a file dropped outside the zones from replacing the page with the file itself.
#[hook]
pub fn use_swallow_stray_drops() {
    use_effect_with((), |_| {
        let window = gloo::utils::window();
        let options = EventListenerOptions::enable_prevent_default();
        let listeners = ["dragover", "drop"].map(|kind| {
            EventListener::new_with_options(&window, kind, options, |event| event.prevent_default())
        });
        move || drop(listeners)
    });
}
