//! Exports of the shown report: the self-contained HTML report and the JSON report as
//! downloads (a `Blob` object URL, revoked after the click), the Markdown summary copied to
//! the clipboard, and a share link (the report packed into the URL fragment by
//! [`crate::report::share`]) copied and shown in a read-only field, for browsers that refuse
//! clipboard access.
//!
//! The link's budget is [`share::DEFAULT_BUDGET`] characters unless `<html data-share-budget>`
//! holds a number (a hook for tests and experiments; nothing in the page sets it).

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};
use yew::prelude::*;

use crate::app::hooks::location_without_fragment;
use crate::report::{html, markdown, share, Report};

#[derive(Properties, PartialEq)]
pub struct ExportProps {
    pub report: Rc<Report>,
}

/// A file name stem from the two input names: "basic-a-vs-basic-b".
fn stem(report: &Report) -> String {
    let clean = |name: &str| {
        let base = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        let cleaned: String = base.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).take(40).collect();
        if cleaned.is_empty() { "input".to_owned() } else { cleaned }
    };
    format!("eifscope-{}-vs-{}", clean(&report.a.name), clean(&report.b.name))
}

/// Offers `text` as a download named `file_name`.
fn download(text: &str, mime: &str, file_name: &str) -> Result<(), String> {
    let fail = |what: &str| format!("the download could not be prepared: {what}");
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|_| fail("blob"))?;
    let url = Url::create_object_url_with_blob(&blob).map_err(|_| fail("object URL"))?;
    let document = gloo::utils::document();
    let anchor: HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| fail("link"))?
        .dyn_into()
        .map_err(|_| fail("link"))?;
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    // The click has started the download; the URL is no longer needed.
    let _ = Url::revoke_object_url(&url);
    Ok(())
}

/// Copies `text` to the clipboard; `Err` when the browser refuses.
async fn copy(text: &str) -> Result<(), ()> {
    let clipboard = gloo::utils::window().navigator().clipboard();
    JsFuture::from(clipboard.write_text(text)).await.map(|_| ()).map_err(|_| ())
}

/// The share link budget: `<html data-share-budget>` when it is a number, else the default.
fn share_budget() -> usize {
    gloo::utils::document()
        .document_element()
        .and_then(|root| root.get_attribute("data-share-budget"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(share::DEFAULT_BUDGET)
}

/// The export buttons, the share link field and a line saying what happened.
#[function_component(Export)]
pub fn export(props: &ExportProps) -> Html {
    let message = use_state(|| None::<String>);
    let on_html = {
        let (report, message) = (props.report.clone(), message.clone());
        Callback::from(move |_: MouseEvent| {
            let result = download(&html::render(&report), "text/html;charset=utf-8", &format!("{}.html", stem(&report)));
            message.set(Some(result.map_or_else(|e| e, |()| "HTML report downloaded.".into())));
        })
    };
    let on_json = {
        let (report, message) = (props.report.clone(), message.clone());
        Callback::from(move |_: MouseEvent| {
            let result = serde_json::to_string_pretty(&*report)
                .map_err(|e| format!("the report could not be serialised: {e}"))
                .and_then(|json| download(&json, "application/json", &format!("{}.json", stem(&report))));
            message.set(Some(result.map_or_else(|e| e, |()| "JSON report downloaded.".into())));
        })
    };
    let on_markdown = {
        let (report, message) = (props.report.clone(), message.clone());
        Callback::from(move |_: MouseEvent| {
            let text = markdown::render(&report);
            let message = message.clone();
            wasm_bindgen_futures::spawn_local(async move {
                message.set(Some(match copy(&text).await {
                    Ok(()) => "Markdown summary copied to the clipboard.".into(),
                    Err(()) => "The browser refused clipboard access; use Download JSON or HTML instead.".into(),
                }));
            });
        })
    };
    let link = use_state(|| None::<String>);
    // Another report (a share link opened over this one): what was said about the last is stale.
    {
        let (message, link) = (message.clone(), link.clone());
        use_effect_with(Rc::as_ptr(&props.report) as usize, move |_| {
            message.set(None);
            link.set(None);
        });
    }
    let on_share = {
        let (report, message, link) = (props.report.clone(), message.clone(), link.clone());
        Callback::from(move |_: MouseEvent| {
            let encoded = match share::encode(&report, share_budget()) {
                Ok(encoded) => encoded,
                Err(err) => {
                    link.set(None);
                    message.set(Some(err.to_string()));
                    return;
                }
            };
            let url = format!("{}{}", location_without_fragment(), share::fragment(&encoded.payload));
            let trimmed = encoded.trimmed.map(|t| format!(" {}", t.message())).unwrap_or_default();
            link.set(Some(url.clone()));
            let message = message.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let length = url.len();
                message.set(Some(match copy(&url).await {
                    Ok(()) => format!("Share link copied to the clipboard ({length} characters).{trimmed}"),
                    Err(()) => format!("Share link ready below ({length} characters); the browser refused clipboard access, copy it from the field.{trimmed}"),
                }));
            });
        })
    };
    let on_focus_link = Callback::from(|event: FocusEvent| {
        if let Some(input) = event.target_dyn_into::<web_sys::HtmlInputElement>() {
            input.select();
        }
    });
    html! {
        <div class="export" data-testid="export">
            <button type="button" class="button" data-testid="download-html" onclick={on_html}>{ "Download HTML" }</button>
            <button type="button" class="button secondary" data-testid="download-json" onclick={on_json}>{ "Download JSON" }</button>
            <button type="button" class="button secondary" data-testid="copy-markdown" onclick={on_markdown}>{ "Copy Markdown" }</button>
            <button type="button" class="button secondary" data-testid="copy-share-link" onclick={on_share}>{ "Copy share link" }</button>
            if let Some(text) = &*message {
                <p class="export-message" role="status" data-testid="export-message">{ text.clone() }</p>
            }
            if let Some(url) = &*link {
                <div class="share-link">
                    <input type="text" readonly=true data-testid="share-link" aria-label="Share link"
                        value={url.clone()} onfocus={on_focus_link} />
                    <small class="muted">
                        { "The report travels in the part after #, which browsers never send to a server. Anyone with the link can read it: file names, paths, hashes and the diffs it holds." }
                    </small>
                </div>
            }
        </div>
    }
}
