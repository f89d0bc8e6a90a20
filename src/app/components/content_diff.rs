//! The content diff of one changed entry, rendered typed from the model (Yew text nodes, so
//! every byte of file content is escaped by construction; no presenter markup is injected).
//!
//! Text and JSON show their hunks with changed ranges highlighted; binary shows the differing
//! hexdump rows; other comparators (ELF, gzip, archives, pyc) show their fields as JSON text.
//! Nested nodes (decompressed content, archive members) are rendered recursively.

use yew::prelude::*;

use crate::diff::content::{BinaryDiff, ContentDiff, DiffLine, DiffNode, LineTag, Payload, TextDiff};

#[derive(Properties, PartialEq)]
pub struct ContentDiffProps {
    /// `ChangedEntry::content` as stored in the report.
    pub content: serde_json::Value,
}

/// Renders a content diff, or the raw value as JSON text when it has an unknown shape.
#[function_component(ContentDiffView)]
pub fn content_diff_view(props: &ContentDiffProps) -> Html {
    match serde_json::from_value::<ContentDiff>(props.content.clone()) {
        Ok(diff) => html! { <div class="content-diff" data-testid="content-diff">{ node(&diff.root, 0) }</div> },
        Err(_) => html! {
            <pre class="content-diff raw">{ serde_json::to_string_pretty(&props.content).unwrap_or_default() }</pre>
        },
    }
}

/// Deepest nesting shown (the engine bounds it too; this keeps the DOM sane).
const MAX_DEPTH: usize = 8;

fn node(node: &DiffNode, depth: usize) -> Html {
    let payload = match &node.payload {
        Payload::None => Html::default(),
        Payload::Text(text) => text_diff(text),
        Payload::Json(json) => html! {
            <>
                if !json.changed_paths.is_empty() {
                    <table class="fields json-paths">
                        <thead><tr><th>{ "path" }</th><th>{ "A" }</th><th>{ "B" }</th></tr></thead>
                        <tbody>
                            { for json.changed_paths.iter().map(|p| html! {
                                <tr>
                                    <th><code>{ p.path.clone() }</code></th>
                                    <td><code>{ p.a.clone().unwrap_or_else(|| "—".into()) }</code></td>
                                    <td><code>{ p.b.clone().unwrap_or_else(|| "—".into()) }</code></td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                }
                if json.omitted_paths > 0 {
                    <p class="note">{ format!("… and {} more changed paths", json.omitted_paths) }</p>
                }
                { text_diff(&json.text) }
            </>
        },
        Payload::Binary(binary) => binary_diff(binary),
        other => html! {
            <pre class="payload">{ serde_json::to_string_pretty(other).unwrap_or_default() }</pre>
        },
    };
    html! {
        <div class="diff-node">
            <div class="diff-node-head">
                <span class="kind-tag">{ format!("{:?}", node.kind).to_lowercase() }</span>
                <code>{ node.title.clone() }</code>
                <small>{ format!(" {} → {} bytes", node.size_a, node.size_b) }</small>
            </div>
            { for node.comments.iter().map(|c| html! { <p class="note">{ c.clone() }</p> }) }
            { payload }
            if depth < MAX_DEPTH {
                { for node.children.iter().map(|child| node_child(child, depth + 1)) }
            } else if !node.children.is_empty() {
                <p class="note">{ format!("{} nested comparisons not shown", node.children.len()) }</p>
            }
            if node.omitted_children > 0 {
                <p class="note">{ format!("… and {} more differing members not compared", node.omitted_children) }</p>
            }
        </div>
    }
}

fn node_child(child: &DiffNode, depth: usize) -> Html {
    html! { <div class="diff-child">{ node(child, depth) }</div> }
}

fn text_diff(text: &TextDiff) -> Html {
    html! {
        <>
            <p class="diff-stats">
                <span class="added-count">{ format!("+{}", text.added_lines) }</span>
                { " " }
                <span class="removed-count">{ format!("−{}", text.removed_lines) }</span>
                { format!(" lines ({} → {} lines)", text.lines_a, text.lines_b) }
            </p>
            <table class="text-diff" data-testid="text-diff">
                { for text.hunks.iter().map(|hunk| html! {
                    <tbody>
                        <tr class="hunk-head"><td colspan="3">
                            { format!("@@ −{},{} +{},{} @@", hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) }
                        </td></tr>
                        { for hunk.lines.iter().map(diff_line) }
                        if hunk.omitted_lines > 0 {
                            <tr class="omitted"><td colspan="3">{ format!("… {} changed lines cut", hunk.omitted_lines) }</td></tr>
                        }
                    </tbody>
                }) }
            </table>
            if text.omitted_hunks > 0 || text.omitted_lines > 0 {
                <p class="note">{ format!("{} more hunks, {} more changed lines not shown", text.omitted_hunks, text.omitted_lines) }</p>
            }
        </>
    }
}

fn diff_line(line: &DiffLine) -> Html {
    let (class, sign) = match line.tag {
        LineTag::Context => ("ctx", " "),
        LineTag::Removed => ("del", "−"),
        LineTag::Added => ("ins", "+"),
    };
    let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    html! {
        <tr class={class}>
            <td class="ln">{ number(line.old_line) }</td>
            <td class="ln">{ number(line.new_line) }</td>
            <td class="code"><span class="sign" aria-hidden="true">{ sign }</span>{ highlighted(&line.text, &line.highlights) }</td>
        </tr>
    }
}

/// `text` with its changed byte ranges in `<mark>`; ranges that are out of bounds, overlap or
/// do not fall on character boundaries are ignored.
fn highlighted(text: &str, ranges: &[[u64; 2]]) -> Html {
    let mut parts = Vec::new();
    let mut pos = 0usize;
    for &[start, end] in ranges {
        let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else { continue };
        if start < pos || end < start || end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        if start > pos {
            parts.push(html! { { text[pos..start].to_owned() } });
        }
        parts.push(html! { <mark>{ text[start..end].to_owned() }</mark> });
        pos = end;
    }
    if pos < text.len() {
        parts.push(html! { { text[pos..].to_owned() } });
    }
    parts.into_iter().collect::<Html>()
}

fn binary_diff(binary: &BinaryDiff) -> Html {
    html! {
        <>
            <p class="diff-stats">
                { format!("{} differing bytes in {} rows; common prefix {} bytes, common suffix {} bytes",
                    binary.differing_bytes, binary.differing_rows, binary.common_prefix, binary.common_suffix) }
            </p>
            <table class="hexdump">
                <thead><tr><th>{ "offset" }</th><th>{ "A" }</th><th>{ "B" }</th></tr></thead>
                { for binary.regions.iter().map(|region| html! {
                    <tbody>
                        { for region.rows.iter().map(|row| html! {
                            <tr class={classes!((!row.changed.is_empty()).then_some("changed"))}>
                                <td class="ln">{ format!("{:08x}", row.offset) }</td>
                                <td><code>{ row.hex_a.clone() }</code>{ "  " }<code class="ascii">{ row.ascii_a.clone() }</code></td>
                                <td><code>{ row.hex_b.clone() }</code>{ "  " }<code class="ascii">{ row.ascii_b.clone() }</code></td>
                            </tr>
                        }) }
                    </tbody>
                }) }
            </table>
            if binary.omitted_regions > 0 {
                <p class="note">{ format!("{} more regions ({} rows) not shown", binary.omitted_regions, binary.omitted_rows) }</p>
            }
        </>
    }
}
