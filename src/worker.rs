//! The web worker boundary. The worker runs the same wasm core off the main thread, so a
//! multi-gigabyte image never blocks the page.
//!
//! Protocol (so far): once its wasm has loaded and `onmessage` is installed, the worker posts
//! [`READY`]. A [`PING`] is answered with [`READY`] again. Anything else is answered with a
//! string starting with `error:`. Messages posted before `READY` would be lost, so the page
//! waits for it.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// Posted by the worker when it can take messages.
pub const READY: &str = "ready";
/// Asks the worker to repeat [`READY`].
pub const PING: &str = "ping";

/// Installs the message handler and announces readiness; called by the `worker` binary.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let answer = match event.data().as_string().as_deref() {
            Some(PING) => READY.to_string(),
            Some(other) => format!("error: unknown message {other:?}"),
            None => "error: expected a string message".to_string(),
        };
        let _ = reply_to.post_message(&JsValue::from_str(&answer));
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str(READY));
}
