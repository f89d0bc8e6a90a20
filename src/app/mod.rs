//! The browser UI (Yew, client-side rendering): the user drops two images (and optional PCR
//! files), the worker runs the engine, and the page shows the report. It holds no format
//! knowledge.
//!
//! - [`state`]: plain data + reducer (files per side, phase, worker status).
//! - [`hooks`]: services — worker bridge, `<html data-*>` mirroring, page drops.
//! - [`files`]: sniffing dropped files, fetching the built-in sample.
//! - [`components`]: drop zone, file list, and the report view (typed from the `Report`).
//!
//! `document.documentElement.dataset.state` follows [`state::Phase`]: `idle` once mounted,
//! `working` while analysing, `done` when results are shown, `error` on failure.
//! `dataset.worker` is `starting`, `ready` or `error`; `dataset.job` is the id of the current
//! comparison (bumped each time one starts).
//!
//! A page opened at (or navigated to) `#r=…` shows that share link's report read-only
//! ([`crate::report::share`]): a "Shared report" banner instead of the drop zones, `data-state`
//! `done`, or `error` with the link's problem in the status area.

pub mod components;
pub mod files;
pub mod hooks;
pub mod state;

use yew::prelude::*;

use components::drop_zone::DropZone;
use components::report_view::{side_only, ReportView};
use hooks::{location_fragment, use_fragment_share_links, use_page_drop, use_root_dataset, use_worker};
use state::{Action, Phase, Side, State};

use crate::worker::Request;

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

/// Sniffs `files` off the main path, then dispatches `make(files)`.
fn sniff_then(dispatch: UseReducerDispatcher<State>, files: Vec<web_sys::File>, make: impl FnOnce(Vec<state::SelectedFile>) -> Action + 'static) {
    wasm_bindgen_futures::spawn_local(async move {
        let files = files::sniff_files(files).await;
        dispatch.dispatch(make(files));
    });
}

/// The whole page.
#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let state = use_reducer(|| State::from_fragment(&location_fragment()));
    let worker = use_worker(props.worker_url.clone(), state.worker_generation, state.dispatcher());
    // `job` is set in the same commit as `state`, so a script that saw job N never reads a
    // stale `done`/`error` of job N-1 (see tests/e2e/helpers.mjs `waitForResult`).
    use_root_dataset("state", state.phase.as_str().to_owned());
    use_root_dataset("worker", state.worker.as_str().to_owned());
    use_root_dataset("job", state.job.to_string());
    use_page_drop({
        let dispatch = state.dispatcher();
        Callback::from(move |files| sniff_then(dispatch.clone(), files, Action::DropOnPage))
    });
    use_fragment_share_links({
        let dispatch = state.dispatcher();
        Callback::from(move |payload| dispatch.dispatch(Action::OpenShareLink(payload)))
    });

    // Hand the current job to the worker once it is ready (at most once per job and worker).
    let posted = use_mut_ref(|| None::<(u32, u32)>);
    {
        let dispatch = state.dispatcher();
        let key = (state.job, state.worker_generation, state.worker, matches!(state.phase, Phase::Working(_)));
        let state = state.clone();
        use_effect_with(key, move |&(job, generation, status, working)| {
            let due = working && status == state::WorkerStatus::Ready && *posted.borrow() != Some((job, generation));
            if let (true, Some(a), Some(b)) = (due, &state.a.image, &state.b.image) {
                let request = Request {
                    job,
                    a: a.handle.clone(),
                    b: b.handle.clone(),
                    pcr_a: state.a.pcr.as_ref().map(|f| f.handle.clone()),
                    pcr_b: state.b.pcr.as_ref().map(|f| f.handle.clone()),
                    // Added by `RunningWorker::post`.
                    progress_port: None,
                };
                let sent = worker.borrow().as_ref().map(|running| running.post(&request));
                match sent {
                    Some(Ok(())) => {
                        *posted.borrow_mut() = Some((job, generation));
                        dispatch.dispatch(Action::Progress(job, "Starting…".into()));
                    }
                    Some(Err(message)) => dispatch.dispatch(Action::Failed(job, message)),
                    None => {}
                }
            }
        });
    }

    let on_files = |side: Side| {
        let dispatch = state.dispatcher();
        Callback::from(move |files| sniff_then(dispatch.clone(), files, move |files| Action::Pick(side, files)))
    };
    let on_swap = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Swap))
    };
    let on_cancel = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Cancel))
    };
    let on_rerun = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Rerun))
    };
    let on_sample = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match files::fetch_samples().await {
                    Ok(samples) => {
                        let files = files::sniff_files(samples).await;
                        dispatch.dispatch(Action::Pick(Side::A, files));
                    }
                    Err(message) => dispatch.dispatch(Action::WorkerFailed(message)),
                }
            });
        })
    };
    let on_new = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            hooks::clear_fragment();
            dispatch.dispatch(Action::LeaveShared);
        })
    };
    let nothing_to_swap = state.a.is_empty() && state.b.is_empty();
    let working = matches!(state.phase, Phase::Working(_));

    html! {
        <main class={classes!((state.report.is_some() || state.readable.is_some()).then_some("with-report"))}>
            <header class="top">
                <div>
                    <h1>{ "eifscope" }</h1>
                    <p class="tagline">{ "Compare two AWS Nitro Enclave images and see why their PCRs differ." }</p>
                </div>
                <p class="privacy">
                    <strong>{ "Files never leave your browser:" }</strong>
                    { " everything is read and compared locally, on this device." }
                </p>
            </header>
            if state.shared {
                <section class="shared-banner" data-testid="shared-banner">
                    <p>
                        <strong>{ "Shared report — the images are not included." }</strong>
                        { " This report was opened from a link; it is read-only. Comparing again needs both images." }
                    </p>
                    <button type="button" class="button" data-testid="new-comparison" onclick={on_new}>{ "Start a new comparison" }</button>
                </section>
            } else {
                <div class="zones">
                    <DropZone side={Side::A} files={state.a.list()} on_files={on_files(Side::A)} />
                    <button type="button" class="swap" data-testid="swap" onclick={on_swap}
                        disabled={nothing_to_swap} title="Swap local build and deployed"
                        aria-label="Swap local build and deployed">
                        <span aria-hidden="true">{ "⇄" }</span>
                        <span class="swap-text">{ "Swap" }</span>
                    </button>
                    <DropZone side={Side::B} files={state.b.list()} on_files={on_files(Side::B)} />
                </div>
                <div class="actions">
                    <button type="button" class="button secondary" data-testid="sample" onclick={on_sample} disabled={working}>
                        { "Try a sample" }
                    </button>
                    if working {
                        <button type="button" class="button danger" data-testid="cancel" onclick={on_cancel}>{ "Cancel" }</button>
                    } else if state.ready_to_compare() {
                        <button type="button" class="button" data-testid="compare" onclick={on_rerun}>{ "Compare again" }</button>
                    }
                </div>
            }
            <section class="status" data-testid="status" role="status" aria-live="polite">
                if working { <span class="spinner" aria-hidden="true"></span> }
                if matches!(state.phase, Phase::Error(_)) && !state.failures.is_empty() {
                    { "Error: " }
                    { for state.failures.iter().enumerate().map(|(i, failure)| html! {
                        <>
                            if i > 0 { <br /> }
                            <span data-testid={format!("failure-{}", failure.side.map_or("x", |s| if s == crate::report::Side::A { "a" } else { "b" }))}
                                data-offset={failure.offset.map(|o| o.to_string())}>{ state::failure_text(failure) }</span>
                        </>
                    }) }
                } else {
                    { status_text(&state) }
                }
            </section>
            if working && state.read.iter().any(Option::is_some) {
                <div class="read-progress" data-testid="read-progress">
                    { for [Side::A, Side::B].into_iter().zip(state.read).filter_map(|(side, read)| read.map(|r| (side, r))).map(|(side, (done, total))| html! {
                        <label data-testid={format!("read-{}", side.letter())}>
                            <span>{ format!("{}: {} of {}", side.label(), state::human_size(done), state::human_size(total)) }</span>
                            <progress max={total.to_string()} value={done.to_string()}></progress>
                        </label>
                    }) }
                </div>
            }
            if let Some(report) = &state.report {
                <ReportView report={report.clone()} />
            }
            if let Some(readable) = &state.readable {
                { side_only(readable) }
            }
        </main>
    }
}

/// The one-line summary in the status area.
fn status_text(state: &State) -> String {
    match &state.phase {
        Phase::Working(text) => text.clone(),
        Phase::Error(message) => format!("Error: {message}"),
        Phase::Done if state.shared => "Shared report opened from the link. Press j / k to step through the differences.".to_string(),
        Phase::Done => "Done. Press j / k to step through the differences.".to_string(),
        Phase::Idle => {
            if let Some(note) = &state.note {
                return note.clone();
            }
            match (state.a.image.is_some(), state.b.image.is_some()) {
                (false, false) => "Drop or choose an image for each side to compare them (or try the sample).".to_string(),
                (true, false) => "Now add the deployed image.".to_string(),
                (false, true) => "Now add your local build.".to_string(),
                (true, true) => "Ready to compare.".to_string(),
            }
        }
    }
}

/// Mounts the app on `<body>`; called by the `app` binary.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
