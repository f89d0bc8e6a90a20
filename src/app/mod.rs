//! The browser UI (Yew, client-side rendering): a thin shell that lets the user pick two
//! images and shows what the core reports. It holds no format knowledge.
//!
//! - [`state`]: plain data + reducer (files per side, phase, worker status).
//! - [`hooks`]: services — worker bridge, `<html data-*>` mirroring, stray-drop guard.
//! - [`components`]: small dumb components (drop zone, file list).
//!
//! `document.documentElement.dataset.state` follows [`state::Phase`]: `idle` once mounted,
//! `working` while analysing, `done` when results are shown, `error` on failure.
//! `dataset.worker` is `starting`, `ready` or `error`.

pub mod components;
pub mod hooks;
pub mod state;

use yew::prelude::*;

use components::drop_zone::DropZone;
use hooks::{use_root_dataset, use_swallow_stray_drops, use_worker};
use state::{Action, Phase, Side, State};

/// Where Trunk puts the worker loader, relative to the page (works at a sub-path too).
pub const WORKER_URL: &str = "./worker-loader.js";

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// URL of the worker script; `None` runs without a worker (component tests).
    #[prop_or(Some(AttrValue::Static(WORKER_URL)))]
    pub worker_url: Option<AttrValue>,
}

impl Default for AppProps {
    fn default() -> AppProps {
        AppProps {
            worker_url: Some(AttrValue::Static(WORKER_URL)),
        }
    }
}

/// The whole page.
#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let state = use_reducer(State::default);
    use_worker(props.worker_url.clone(), state.dispatcher());
    use_root_dataset("state", state.phase.as_str());
    use_root_dataset("worker", state.worker.as_str());
    use_swallow_stray_drops();

    let on_files = |side: Side| {
        let dispatch = state.dispatcher();
        Callback::from(move |files| dispatch.dispatch(Action::Pick(side, files)))
    };
    let on_swap = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Swap))
    };
    let nothing_to_swap = state.a.is_empty() && state.b.is_empty();

    html! {
        <main>
            <header>
                <h1>{ "eifscope" }</h1>
                <p class="tagline">{ "Compare two AWS Nitro Enclave images and see why their PCRs differ." }</p>
                <p class="privacy">
                    <strong>{ "Files never leave your browser:" }</strong>
                    { " everything is read and compared locally, on this device." }
                </p>
            </header>
            <div class="zones">
                <DropZone side={Side::A} files={state.a.clone()} on_files={on_files(Side::A)} />
                <button type="button" class="swap" data-testid="swap" onclick={on_swap}
                    disabled={nothing_to_swap} title="Swap local build and deployed"
                    aria-label="Swap local build and deployed">
                    <span aria-hidden="true">{ "⇄" }</span>
                    <span class="swap-text">{ "Swap" }</span>
                </button>
                <DropZone side={Side::B} files={state.b.clone()} on_files={on_files(Side::B)} />
            </div>
            <section class="status" data-testid="status" role="status" aria-live="polite">
                { status_text(&state) }
            </section>
        </main>
    }
}

/// The one-line summary in the status area.
fn status_text(state: &State) -> String {
    match &state.phase {
        Phase::Idle => "Drop or choose an image for each side to compare them.".to_string(),
        Phase::Working => "Reading files…".to_string(),
        Phase::Error(message) => format!("Error: {message}"),
        Phase::Done => match (state.a.is_empty(), state.b.is_empty()) {
            (false, false) => {
                "Both sides selected. Comparison is not implemented in this build yet.".to_string()
            }
            (false, true) => "Now add the deployed image.".to_string(),
            (true, false) => "Now add your local build.".to_string(),
            (true, true) => "Drop or choose an image for each side to compare them.".to_string(),
        },
    }
}

/// Mounts the app on `<body>`; called by the `app` binary.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
