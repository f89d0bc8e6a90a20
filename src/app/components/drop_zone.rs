//! One drop zone: a labelled area that accepts dropped files and has its own file picker.
//!
//! Drag highlight uses an enter/leave depth counter, because `dragleave` also fires when the
//! pointer moves onto a child element of the zone.

use std::rc::Rc;

use web_sys::{DragEvent, Event, File, FileList as DomFileList, HtmlInputElement};
use yew::prelude::*;

use crate::app::components::file_list::FileList;
use crate::app::state::{SelectedFile, Side};

#[derive(Properties, PartialEq)]
pub struct DropZoneProps {
    pub side: Side,
    pub files: Vec<SelectedFile>,
    /// Called with the dropped or picked files (never with an empty list).
    pub on_files: Callback<Vec<File>>,
}

/// Collects a DOM `FileList` into owned `File` handles.
fn collect(list: Option<DomFileList>) -> Vec<File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|idx| list.item(idx)).collect()
}

#[derive(Default, PartialEq)]
struct DragDepth(u32);

enum DragStep {
    Enter,
    Leave,
    Reset,
}

impl Reducible for DragDepth {
    type Action = DragStep;
    fn reduce(self: Rc<DragDepth>, step: DragStep) -> Rc<DragDepth> {
        Rc::new(DragDepth(match step {
            DragStep::Enter => self.0.saturating_add(1),
            DragStep::Leave => self.0.saturating_sub(1),
            DragStep::Reset => 0,
        }))
    }
}

/// A drop target plus file picker for one side.
#[function_component(DropZone)]
pub fn drop_zone(props: &DropZoneProps) -> Html {
    let depth = use_reducer(DragDepth::default);
    let letter = props.side.letter();
    let input_id = format!("input-{letter}");

    let ondragenter = {
        let depth = depth.dispatcher();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            depth.dispatch(DragStep::Enter);
        })
    };
    let ondragover = Callback::from(|event: DragEvent| {
        // Cancelling dragover is what makes the zone a valid drop target.
        event.prevent_default();
        if let Some(transfer) = event.data_transfer() {
            transfer.set_drop_effect("copy");
        }
    });
    let ondragleave = {
        let depth = depth.dispatcher();
        Callback::from(move |_: DragEvent| depth.dispatch(DragStep::Leave))
    };
    let ondrop = {
        let depth = depth.dispatcher();
        let on_files = props.on_files.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            depth.dispatch(DragStep::Reset);
            let files = collect(event.data_transfer().and_then(|transfer| transfer.files()));
            if !files.is_empty() {
                on_files.emit(files);
            }
        })
    };
    let onchange = {
        let on_files = props.on_files.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let files = collect(input.files());
            // Clear the picker so choosing the same file again still fires `change`.
            input.set_value("");
            if !files.is_empty() {
                on_files.emit(files);
            }
        })
    };

    let class = classes!(
        "zone",
        format!("zone-{letter}"),
        (depth.0 > 0).then_some("dragging")
    );
    html! {
        <section {class} data-testid={format!("zone-{letter}")} aria-labelledby={format!("zone-{letter}-title")}
            {ondragenter} {ondragover} {ondragleave} {ondrop}>
            <h2 id={format!("zone-{letter}-title")}>
                <span class="badge" aria-hidden="true">{ letter.to_uppercase() }</span>
                { props.side.label() }
            </h2>
            <p class="hint">{ "Drop an .eif (or a rootfs.cpio.gz) here, with its PCR file if you have one, or" }</p>
            <input type="file" id={input_id.clone()} class="visually-hidden" multiple=true
                data-testid={input_id.clone()} {onchange} />
            <label for={input_id} class="button">{ "Choose files…" }</label>
            <FileList files={props.files.clone()} testid={format!("file-{letter}")} />
        </section>
    }
}
