//! The content diff of one changed entry, rendered typed from the model (Yew text nodes, so
//! every byte of file content is escaped by construction; no presenter markup is injected).
//!
//! Text and JSON show their hunks with changed ranges highlighted; binary shows the differing
//! hexdump rows; ELF shows header changes, build-ids, a sections table and symbols added /
//! removed; gzip and pyc their decoded header changes; archives (tar, zip, cpio) a member
//! listing (added / removed / changed). Nested nodes (decompressed content, archive members)
//! are rendered recursively, depth- and list-capped like the HTML export, whose summary lines
//! and labels (`report::html`) this reuses.

use yew::prelude::*;

use crate::diff::content::{ArchiveDiff, ArchiveEntry, BinaryDiff, ContentDiff, DiffLine, DiffNode, ElfDiff, FieldChange, LineTag, Payload, TextDiff};
use crate::formats::bytes::escape_bytes;
use crate::report::html::{
    archive_summary, gzip_summary, kind_name, member_changes, pyc_summary, section_summary, MAX_HTML_DEPTH, MAX_HTML_LIST,
};

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

/// Deepest nesting shown (the engine bounds it too): the HTML export's limit.
const MAX_DEPTH: usize = MAX_HTML_DEPTH;
/// Items shown per list (sections, symbols, members): the HTML export's limit.
const MAX_LIST: usize = MAX_HTML_LIST;

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
        Payload::Elf(elf) => elf_view(elf),
        Payload::Gzip(gzip) => html! {
            <div class="typed gzip-view" data-testid="gzip-view">
                { changes_table("gzip header", &gzip.header_changes) }
                <p class="note">{ gzip_summary(gzip) }</p>
            </div>
        },
        Payload::Archive(archive) => archive_view(archive),
        Payload::Pyc(pyc) => html! {
            <div class="typed pyc-view" data-testid="pyc-view">
                <p class="diff-stats">{ format!("python {} → {} (magic {} → {})", pyc.header_a.python, pyc.header_b.python, pyc.header_a.magic, pyc.header_b.magic) }</p>
                { changes_table("pyc header", &pyc.header_changes) }
                <p class="note">{ pyc_summary(pyc) }</p>
            </div>
        },
    };
    html! {
        <div class="diff-node">
            <div class="diff-node-head">
                <span class="kind-tag">{ kind_name(node.kind) }</span>
                <code>{ node.title.clone() }</code>
                <small>{ format!(" {} → {} bytes", node.size_a, node.size_b) }</small>
            </div>
            { for node.comments.iter().map(|c| html! { <p class="note">{ c.clone() }</p> }) }
            { payload }
            if depth < MAX_DEPTH {
                { for node.children.iter().take(MAX_LIST).map(|child| node_child(child, depth + 1)) }
                if node.children.len() > MAX_LIST {
                    <p class="note">{ format!("{} more nested comparisons not shown", node.children.len() - MAX_LIST) }</p>
                }
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

/// Differing header fields, A and B side by side (values already decoded by the comparator).
fn changes_table(what: &str, changes: &[FieldChange]) -> Html {
    if changes.is_empty() {
        return html! { <p class="note">{ format!("{what}: no field differs") }</p> };
    }
    super::report_view::fields_table(what, classes!("fields", "header-fields"), changes.iter().map(|c| (c.field.as_str(), c.a.as_str(), c.b.as_str())))
}

/// A capped list of names with its title and count.
fn name_list(title: &str, names: &[String], testid: &'static str) -> Html {
    if names.is_empty() {
        return Html::default();
    }
    html! {
        <div class="name-list" data-testid={testid}>
            <p class="diff-stats">{ format!("{title} ({})", names.len()) }</p>
            <ul class="names">{ for names.iter().take(MAX_LIST).map(|n| html! { <li><code>{ n.clone() }</code></li> }) }</ul>
            if names.len() > MAX_LIST {
                <p class="note">{ format!("{} more {title} not shown", names.len() - MAX_LIST) }</p>
            }
        </div>
    }
}

fn elf_view(elf: &ElfDiff) -> Html {
    let h = &elf.header_a;
    let build_id = |id: &Option<String>| id.clone().unwrap_or_else(|| "(none)".into());
    html! {
        <div class="typed elf-view" data-testid="elf-view">
            <p class="diff-stats">{ format!("{} {} {} {}, entry {:#x}", h.class, h.endian, h.machine, h.file_type, h.entry) }</p>
            if !elf.header_changes.is_empty() {
                { changes_table("elf header", &elf.header_changes) }
            }
            <table class={classes!("fields", "build-id", (elf.build_id_a != elf.build_id_b).then_some("ne"))} data-testid="build-id">
                <thead><tr><th></th><th>{ "A" }</th><th>{ "B" }</th></tr></thead>
                <tbody>
                    <tr>
                        <th>{ "build-id" }</th>
                        <td class="del"><code>{ build_id(&elf.build_id_a) }</code></td>
                        <td class="ins"><code>{ build_id(&elf.build_id_b) }</code></td>
                    </tr>
                </tbody>
            </table>
            if !elf.sections.is_empty() {
                <table class="fields sections" data-testid="elf-sections">
                    <thead><tr><th>{ "section" }</th><th>{ "A" }</th><th>{ "B" }</th></tr></thead>
                    <tbody>
                        { for elf.sections.iter().take(MAX_LIST).map(|s| html! {
                            <tr data-section={s.name.clone()}>
                                <th><code>{ s.name.clone() }</code></th>
                                <td class="del"><code>{ section_summary(&s.a) }</code></td>
                                <td class="ins"><code>{ section_summary(&s.b) }</code></td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            <p class="note">
                { format!("{} sections changed, {} unchanged", elf.sections.len() as u64 + elf.omitted_sections, elf.unchanged_sections) }
                if elf.sections.len() > MAX_LIST || elf.omitted_sections > 0 {
                    { format!("; {} not listed", (elf.sections.len().saturating_sub(MAX_LIST)) as u64 + elf.omitted_sections) }
                }
            </p>
            { name_list("symbols added", &elf.symbols_added, "symbols-added") }
            { name_list("symbols removed", &elf.symbols_removed, "symbols-removed") }
            if elf.omitted_symbols > 0 {
                <p class="note">{ format!("{} more added or removed symbols not listed", elf.omitted_symbols) }</p>
            }
        </div>
    }
}

fn archive_view(archive: &ArchiveDiff) -> Html {
    let entry_row = |status: &'static str, e: &ArchiveEntry| html! {
        <tr class={status} data-status={status}>
            <td><span class={classes!("tag", status)}>{ status }</span></td>
            <td><code>{ escape_bytes(&e.name) }</code></td>
            <td>{ format!("{} · {} bytes", e.kind, e.size) }</td>
        </tr>
    };
    let listed = archive.added.len() + archive.removed.len() + archive.changed.len();
    let shown = archive.added.len().min(MAX_LIST) + archive.removed.len().min(MAX_LIST) + archive.changed.len().min(MAX_LIST);
    let not_listed = (listed - shown) as u64 + archive.omitted_entries;
    html! {
        <div class="typed archive-view" data-testid="archive-view">
            <p class="diff-stats">{ archive_summary(archive) }</p>
            if listed > 0 {
                <table class="fields members" data-testid="member-list">
                    <thead><tr><th>{ "" }</th><th>{ "member" }</th><th>{ "what differs" }</th></tr></thead>
                    <tbody>
                        { for archive.added.iter().take(MAX_LIST).map(|e| entry_row("added", e)) }
                        { for archive.removed.iter().take(MAX_LIST).map(|e| entry_row("removed", e)) }
                        { for archive.changed.iter().take(MAX_LIST).map(|c| html! {
                            <tr class="changed" data-status="changed">
                                <td><span class="tag changed">{ "changed" }</span></td>
                                <td><code>{ escape_bytes(&c.name) }</code></td>
                                <td>{ member_changes(c) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            if not_listed > 0 {
                <p class="note">{ format!("{not_listed} more added, removed or changed members not listed") }</p>
            }
        </div>
    }
}
