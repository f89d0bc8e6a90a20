//! Browser tests of the Yew shell (headless Chromium via wasm-bindgen-test-runner and
//! chromedriver): mount the real app into a div, find its inputs, drop a real `File` on a
//! zone and swap. Native builds compile this file to nothing.
//!
//! Run with `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --test web`.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use eifscope::app::state::human_size;
use eifscope::app::{App, AppProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{DataTransfer, DragEvent, DragEventInit, Element, File, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts a fresh app (without a worker: the test server does not serve one).
fn mount() -> Element {
    let document = gloo::utils::document();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    yew::Renderer::<App>::with_root_and_props(host.clone(), AppProps { worker_url: None }).render();
    host
}

/// Lets Yew's scheduler run until `ready` holds (or gives up after ~2 s).
async fn settle(ready: impl Fn() -> bool) {
    for _ in 0..200 {
        if ready() {
            return;
        }
        yew::platform::time::sleep(Duration::from_millis(10)).await;
    }
}

fn find(host: &Element, testid: &str) -> Element {
    host.query_selector(&format!("[data-testid={testid}]"))
        .unwrap()
        .unwrap_or_else(|| panic!("no element with data-testid={testid}"))
}

fn text(host: &Element, testid: &str) -> String {
    find(host, testid).text_content().unwrap_or_default()
}

fn root_state() -> Option<String> {
    gloo::utils::document_element().get_attribute("data-state")
}

fn dispatch_drag(target: &Element, kind: &str, transfer: &DataTransfer) {
    let init = DragEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_data_transfer(Some(transfer));
    let event = DragEvent::new_with_event_init_dict(kind, &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn app_mounts_with_two_file_inputs_and_goes_idle() {
    let host = mount();
    settle(|| {
        host.query_selector("[data-testid=input-b]")
            .unwrap()
            .is_some()
    })
    .await;
    for side in ["a", "b"] {
        let input = find(&host, &format!("input-{side}"));
        assert_eq!(input.tag_name(), "INPUT");
        assert_eq!(input.get_attribute("type").as_deref(), Some("file"));
        assert!(input.has_attribute("multiple"));
        assert_eq!(text(&host, &format!("file-{side}")), "No file selected");
    }
    let page = host.text_content().unwrap().to_lowercase();
    assert!(
        page.contains("files never leave your browser"),
        "no privacy note in {page:?}"
    );
    settle(|| root_state().as_deref() == Some("idle")).await;
    assert_eq!(root_state().as_deref(), Some("idle"));
    host.remove();
}

#[wasm_bindgen_test]
async fn dropping_a_file_shows_it_and_swap_moves_it() {
    let host = mount();
    settle(|| {
        host.query_selector("[data-testid=zone-b]")
            .unwrap()
            .is_some()
    })
    .await;
    let zone_b = find(&host, "zone-b");

    let bytes = js_sys::Uint8Array::from(&b"<script>alert(1)</script>"[..]);
    let file =
        File::new_with_u8_array_sequence(&js_sys::Array::of1(&bytes), "<b>odd</b>.eif").unwrap();
    let transfer = DataTransfer::new().unwrap();
    transfer.items().add_with_file(&file).unwrap();

    dispatch_drag(&zone_b, "dragenter", &transfer);
    settle(|| zone_b.class_list().contains("dragging")).await;
    assert!(
        zone_b.class_list().contains("dragging"),
        "dragenter does not highlight the zone"
    );
    dispatch_drag(&zone_b, "dragover", &transfer);
    dispatch_drag(&zone_b, "drop", &transfer);
    settle(|| text(&host, "file-b").contains("odd")).await;

    // The name is shown as text, never parsed as markup.
    let shown = find(&host, "file-b");
    assert!(shown.query_selector("b").unwrap().is_none());
    assert_eq!(text(&host, "file-b"), "<b>odd</b>.eif25 bytes");
    assert!(
        !zone_b.class_list().contains("dragging"),
        "drop leaves the highlight on"
    );
    // One image is not a comparison yet: the page waits for the other side.
    settle(|| text(&host, "status").contains("local build")).await;
    assert_eq!(root_state().as_deref(), Some("idle"));

    find(&host, "swap").unchecked_into::<HtmlElement>().click();
    settle(|| text(&host, "file-a").contains("odd")).await;
    assert!(text(&host, "file-a").contains("<b>odd</b>.eif"));
    assert_eq!(text(&host, "file-b"), "No file selected");
    host.remove();
}

#[wasm_bindgen_test]
fn human_sizes_use_binary_units_and_three_digits() {
    assert_eq!(human_size(0), "0 bytes");
    assert_eq!(human_size(1), "1 byte");
    assert_eq!(human_size(1023), "1023 bytes");
    assert_eq!(human_size(1024), "1.00 KiB");
    assert_eq!(human_size(36185), "35.3 KiB");
    assert_eq!(human_size(1024 * 1024 - 1), "1.00 MiB");
    assert_eq!(human_size(94 * 1024 * 1024), "94.0 MiB");
    assert_eq!(human_size(3 * 1024 * 1024 * 1024 / 2), "1.50 GiB");
    assert_eq!(human_size(u64::MAX), "16.0 EiB");
}

/// The reducer shows a job's summary while it keeps working, replaces it with the report,
/// and ignores a summary of an older job.
#[wasm_bindgen_test]
fn summary_is_shown_while_contents_are_compared() {
    use std::rc::Rc;
    use eifscope::app::state::{Action, Phase, SelectedFile, Side, State};
    use eifscope::sniff::FileRole;
    use yew::Reducible;

    let image = |name: &str| {
        let bytes = js_sys::Uint8Array::from(&b".eif"[..]);
        SelectedFile::new(File::new_with_u8_array_sequence(&js_sys::Array::of1(&bytes), name).unwrap(), FileRole::Image)
    };
    let report = |headline: &str| {
        // The reviewed snapshot of meta-a vs meta-b: YAML-ish header, then the report JSON.
        let snap = include_str!("snapshots/snapshots__meta.snap");
        let json = snap.splitn(3, "---\n").nth(2).unwrap();
        let mut r: eifscope::report::Report = serde_json::from_str(json).unwrap();
        r.verdict.headline = headline.to_owned();
        Rc::new(r)
    };
    let state = Rc::new(State::default()).reduce(Action::Pick(Side::A, vec![image("a.eif"), image("b.eif")]));
    let job = state.job;
    assert!(matches!(state.phase, Phase::Working(_)));
    let state = state.reduce(Action::Summary(job.wrapping_sub(1), report("stale")));
    assert!(state.report.is_none(), "a summary of an older job is ignored");
    let state = state.reduce(Action::Summary(job, report("summary")));
    assert_eq!(state.report.as_ref().unwrap().verdict.headline, "summary");
    assert!(matches!(state.phase, Phase::Working(_)), "still working on contents");
    let state = state.reduce(Action::Finished(job, report("final")));
    assert_eq!(state.report.as_ref().unwrap().verdict.headline, "final");
    assert_eq!(state.phase, Phase::Done);
}

/// A job whose side A cannot be read ends in an error that keeps both the failure (file,
/// offset) and side B on its own; a stale one is ignored, and a new comparison clears both.
#[wasm_bindgen_test]
fn unreadable_side_keeps_the_failure_and_the_other_side() {
    use std::rc::Rc;
    use eifscope::app::state::{failure_text, Action, Phase, SelectedFile, Side, State};
    use eifscope::report::{InputSide, Side as ReportSide, SidePcr, SideSummary};
    use eifscope::sniff::FileRole;
    use eifscope::worker::Failure;
    use yew::Reducible;

    let image = |name: &str| {
        let bytes = js_sys::Uint8Array::from(&b".eif"[..]);
        SelectedFile::new(File::new_with_u8_array_sequence(&js_sys::Array::of1(&bytes), name).unwrap(), FileRole::Image)
    };
    let failure = Failure { side: Some(ReportSide::A), file: "a.eif".into(), offset: Some(26), message: "num_sections at 0x1a: 65535 exceeds the maximum of 32".into() };
    let readable = Rc::new(SideSummary {
        side: ReportSide::B,
        input: InputSide { name: "b.eif".into(), size: 4, blake3: String::new(), summary: serde_json::Value::Null },
        kind: "EIF".into(),
        pcrs: vec![SidePcr { pcr: "PCR0".into(), value: "00".into(), fed_by: Vec::new() }],
        sections: Vec::new(),
        pcr_file: None,
    });
    assert_eq!(failure_text(&failure), "Local build (A): a.eif, at byte offset 26 (0x1a): num_sections at 0x1a: 65535 exceeds the maximum of 32");
    let state = Rc::new(State::default()).reduce(Action::Pick(Side::A, vec![image("a.eif"), image("b.eif")]));
    let job = state.job;
    let state = state.reduce(Action::Unreadable(job.wrapping_sub(1), vec![failure.clone()], Some(readable.clone())));
    assert!(matches!(state.phase, Phase::Working(_)) && state.failures.is_empty(), "a stale failure is ignored");
    let state = state.reduce(Action::Unreadable(job, vec![failure.clone()], Some(readable.clone())));
    assert_eq!(state.phase, Phase::Error(failure_text(&failure)));
    assert_eq!(state.failures, vec![failure]);
    assert_eq!(state.readable.as_deref(), Some(&*readable));
    assert!(state.report.is_none());
    let state = state.reduce(Action::Rerun);
    assert!(state.failures.is_empty() && state.readable.is_none(), "a new comparison starts clean");
}
