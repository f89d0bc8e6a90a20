//! The list of files on one side: name (as text, never markup), human size and exact bytes.

use yew::prelude::*;

use crate::app::state::{human_size, SelectedFile};
use crate::sniff::FileRole;

#[derive(Properties, PartialEq)]
pub struct FileListProps {
    pub files: Vec<SelectedFile>,
    /// `data-testid` of the list container (`file-a` / `file-b`).
    pub testid: AttrValue,
}

/// Renders the selected files, or a placeholder when there are none.
#[function_component(FileList)]
pub fn file_list(props: &FileListProps) -> Html {
    if props.files.is_empty() {
        return html! {
            <div class="files empty" data-testid={props.testid.clone()}>{ "No file selected" }</div>
        };
    }
    html! {
        <ul class="files" data-testid={props.testid.clone()}>
            { for props.files.iter().map(|file| html! {
                <li>
                    <span class="file-name">
                        { file.name.clone() }
                        if file.role == FileRole::PcrFile {
                            <span class="file-role">{ " PCR file" }</span>
                        }
                    </span>
                    <span class="file-size">
                        { human_size(file.size) }
                        if file.size >= 1024 {
                            <span class="exact">{ format!(" ({} bytes)", file.size) }</span>
                        }
                    </span>
                </li>
            }) }
        </ul>
    }
}
