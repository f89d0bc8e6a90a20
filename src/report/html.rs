//! Self-contained HTML export of a [`Report`]: inline CSS, no scripts, no external requests,
//! readable without JavaScript. Every byte of user data goes through [`esc`].
//!
//! Architecture Invariant: user data reaches markup only through `esc`/`attr` (text and
//! attribute contexts). Nothing from a report is ever emitted raw.

use std::fmt::Write;

use super::{anchor_id, Cause, ChangedEntry, Confidence, Layer, LayerStatus, Report, VerdictKind};
use crate::diff::content::{
    ArchiveDiff, ArchiveFormat, BinaryDiff, ComparatorKind, ContentDiff, DiffNode, EntryChange, GzipDiff, LineTag, Payload, PycDiff,
    SectionInfo, TextDiff,
};
use crate::formats::bytes::{escape_bytes, is_bidi_or_invisible};

const CSS: &str = include_str!("report.css");

/// Escape text for an HTML text or double-quoted attribute context.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Bidi overrides and isolates would reorder what a reviewer sees.
            c if is_bidi_or_invisible(c) || (c.is_control() && c != '\n' && c != '\t') => {
                let _ = write!(out, "&lt;U+{:04X}&gt;", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A complete standalone HTML document.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(out, "<title>eifscope: {} vs {}</title>", esc(&report.a.name), esc(&report.b.name));
    let _ = write!(out, "<style>{CSS}</style></head><body><main class=\"report\">");
    out.push_str(&render_body(report));
    out.push_str("</main></body></html>\n");
    out
}

/// The report body (no `<html>` wrapper): also what the browser app shows for exports.
pub fn render_body(report: &Report) -> String {
    let mut out = String::new();
    summary(&mut out, report);
    causes(&mut out, &report.causes, &report.unexplained);
    pcrs(&mut out, report);
    layers(&mut out, &report.layers);
    files(&mut out, report);
    diagnostics(&mut out, report);
    let _ = write!(out, "<footer>{} · report format {}</footer>", esc(&report.tool), report.version);
    out
}

pub fn verdict_class(kind: VerdictKind) -> &'static str {
    match kind {
        VerdictKind::Identical => "ok",
        VerdictKind::MeasurementsEqual => "warn",
        VerdictKind::MeasurementsDiffer | VerdictKind::ContentsDiffer => "bad",
    }
}

fn summary(out: &mut String, report: &Report) {
    let v = &report.verdict;
    let _ = write!(
        out,
        "<header><h1>eifscope report</h1><p class=\"inputs\"><b>A</b> {} ({} bytes) · <b>B</b> {} ({} bytes)</p></header>",
        esc(&report.a.name),
        report.a.size,
        esc(&report.b.name),
        report.b.size
    );
    let _ = write!(
        out,
        "<section id=\"verdict\" class=\"verdict {}\" data-verdict=\"{}\"><h2>{}</h2>",
        verdict_class(v.kind),
        esc(&serde_json::to_value(v.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()),
        esc(&v.headline)
    );
    if let Some(first) = &report.first_divergence {
        let _ = write!(out, "<p>First divergence: <a href=\"#layer-{}\">{}</a></p>", anchor_id(first), esc(first));
    }
    if let Some(trimmed) = &report.trimmed {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(&trimmed.message()));
    }
    let n = report.entry_totals();
    let _ = write!(
        out,
        "<p class=\"counts\">{} changed · {} added · {} removed · {} moved · {} equal entries</p></section>",
        n.changed, n.added, n.removed, n.moved, report.entries.n_equal
    );
}

fn confidence(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

fn causes(out: &mut String, causes: &[Cause], unexplained: &[String]) {
    out.push_str("<section id=\"causes\"><h2>Likely causes</h2>");
    if causes.is_empty() && unexplained.is_empty() {
        out.push_str("<p>Nothing to explain.</p>");
    }
    if !causes.is_empty() {
        out.push_str("<ol class=\"causes\">");
        for cause in causes {
            let _ = write!(
                out,
                "<li id=\"cause-{}\" data-cause=\"{}\"><h3>{} <span class=\"conf {}\">{} confidence</span></h3><p class=\"fix\"><b>Fix:</b> {}</p><details><summary>Evidence ({})</summary><ul>",
                anchor_id(&cause.id),
                esc(&cause.id),
                esc(&cause.title),
                confidence(cause.confidence),
                confidence(cause.confidence),
                esc(&cause.fix),
                cause.evidence.len()
            );
            for ev in &cause.evidence {
                let _ = write!(out, "<li><a href=\"#{}\">{}</a></li>", anchor_id(&ev.anchor), esc(&ev.label));
            }
            out.push_str("</ul></details></li>");
        }
        out.push_str("</ol>");
    }
    if !unexplained.is_empty() {
        out.push_str("<div class=\"unexplained\"><h3>Not explained by any known cause</h3><ul>");
        for u in unexplained {
            let _ = write!(out, "<li>{}</li>", esc(u));
        }
        out.push_str("</ul></div>");
    }
    out.push_str("</section>");
}

fn pcrs(out: &mut String, report: &Report) {
    out.push_str("<section id=\"pcrs\"><h2>Measurements</h2><table class=\"pcrs\"><thead><tr><th>PCR</th><th>A</th><th>B</th><th></th><th>fed by</th></tr></thead><tbody>");
    for row in &report.measurements {
        let _ = write!(
            out,
            "<tr id=\"{}\" class=\"{}\"><th>{}</th><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}{}</td></tr>",
            anchor_id(&format!("pcr:{}", row.pcr)),
            if row.equal { "eq" } else { "ne" },
            esc(&row.pcr),
            esc(row.a.as_deref().unwrap_or("—")),
            esc(row.b.as_deref().unwrap_or("—")),
            if row.equal { "equal".to_owned() } else { format!("<b>{}</b>", row.state_label()) },
            esc(&row.fed_by.join(", ")),
            row.note.as_deref().map(|n| format!("<br><small>{}</small>", esc(n))).unwrap_or_default()
        );
    }
    out.push_str("</tbody></table>");
    for check in &report.pcr_files {
        let side = match check.side {
            super::Side::A => "A",
            super::Side::B => "B",
        };
        let _ = write!(
            out,
            "<p class=\"pcrfile {}\">{} ({}) {} {}</p>",
            if check.matches { "ok" } else { "bad" },
            esc(&check.file_name),
            esc(&check.format),
            if check.matches { "matches" } else { "does not match" },
            side
        );
        if let Some(err) = &check.error {
            let _ = write!(out, "<p class=\"bad\">{}</p>", esc(err));
        }
    }
    out.push_str("</section>");
}


fn layers(out: &mut String, layers: &[Layer]) {
    out.push_str("<section id=\"layers\"><h2>Layers</h2>");
    for layer in layers {
        let measured = if layer.measured.is_empty() { "not measured".to_owned() } else { format!("feeds {}", layer.measured.join(", ")) };
        let _ = write!(
            out,
            "<details id=\"layer-{}\" class=\"layer {}\"{}><summary><b>{}</b> — {} <small>({})</small></summary>",
            anchor_id(&layer.id),
            if layer.status == LayerStatus::Equal { "eq" } else { "ne" },
            if layer.status == LayerStatus::Equal { "" } else { " open" },
            esc(&layer.title),
            layer.status.label(),
            esc(&measured)
        );
        field_table(out, &layer.changes);
        for note in &layer.notes {
            let _ = write!(out, "<p class=\"note\">{}</p>", esc(note));
        }
        out.push_str("</details>");
    }
    out.push_str("</section>");
}

fn field_table(out: &mut String, changes: &[super::FieldChange]) {
    if changes.is_empty() {
        return;
    }
    out.push_str("<table class=\"fields\"><thead><tr><th>field</th><th>A</th><th>B</th></tr></thead><tbody>");
    for c in changes {
        let _ = write!(
            out,
            "<tr><th>{}</th><td><code>{}</code></td><td><code>{}</code></td></tr>",
            esc(&c.field),
            esc(&c.a),
            esc(&c.b)
        );
    }
    out.push_str("</tbody></table>");
}

fn files(out: &mut String, report: &Report) {
    let e = &report.entries;
    out.push_str("<section id=\"files\"><h2>Files</h2>");
    for note in &e.notes {
        let _ = write!(out, "<p class=\"note\" data-note=\"{}\">{}</p>", esc(&note.id), esc(&note.message));
    }
    if !e.changed.is_empty() {
        let _ = write!(out, "<h3>Changed ({})</h3>", e.changed.len());
        for entry in &e.changed {
            changed_entry(out, entry);
        }
    }
    for (title, list, class) in [("Added", &e.added, "added"), ("Removed", &e.removed, "removed")] {
        if list.is_empty() {
            continue;
        }
        let _ = write!(out, "<h3>{title} ({})</h3><ul class=\"{class}\">", list.len());
        for r in list {
            let _ = write!(
                out,
                "<li id=\"{}\"><code>{}</code> <small>{} · {} bytes · ramdisk {}</small></li>",
                anchor_id(&format!("entry:{}", r.path)),
                esc(&r.path),
                esc(&r.kind),
                r.size,
                r.ramdisk
            );
        }
        out.push_str("</ul>");
    }
    if !e.moved.is_empty() {
        let _ = write!(out, "<h3>Moved ({})</h3><ul class=\"moved\">", e.moved.len());
        for m in &e.moved {
            let _ = write!(
                out,
                "<li id=\"{}\"><code>{}</code> → <code>{}</code></li>",
                anchor_id(&format!("entry:{}", m.to)),
                esc(&m.from),
                esc(&m.to)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}

fn changed_entry(out: &mut String, entry: &ChangedEntry) {
    let measured = if entry.measured.is_empty() { String::new() } else { format!(" · feeds {}", entry.measured.join(", ")) };
    let _ = write!(
        out,
        "<details class=\"entry\" id=\"{}\" open><summary><code>{}</code> <small>{} · {}{}</small></summary>",
        anchor_id(&format!("entry:{}", entry.path)),
        esc(&entry.path),
        esc(&entry.kind),
        esc(&entry.fields.join(", ")),
        esc(&measured)
    );
    field_table(out, &entry.changes);
    if let Some(content) = &entry.content {
        content_diff(out, content);
    }
    out.push_str("</details>");
}

/// Text lines rendered per text node of a content diff; the rest are counted.
pub const MAX_HTML_DIFF_LINES: usize = 400;
/// Characters shown of one diff line.
pub const MAX_HTML_LINE_CHARS: usize = 1000;
/// Hexdump rows rendered per binary node.
pub const MAX_HTML_HEX_ROWS: usize = 64;
/// Items rendered per list (sections, symbols, archive members, JSON paths, children).
pub const MAX_HTML_LIST: usize = 50;
/// Nested content nodes rendered below the root.
pub const MAX_HTML_DEPTH: usize = 6;

/// Renders a content diff: text hunks as a diff table with intraline marks, byte diffs as
/// hexdump rows, other comparators as compact summaries, children nested. Every list is
/// bounded with an explicit "N more" note. A value that is not a [`ContentDiff`] (another
/// report version) is shown as escaped, bounded JSON.
fn content_diff(out: &mut String, content: &serde_json::Value) {
    out.push_str("<details class=\"content\" open><summary>content diff</summary>");
    if let Some(cut) = content.get("cut").and_then(|c| c.as_str()) {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(cut));
    }
    match serde_json::from_value::<ContentDiff>(content.clone()) {
        Ok(diff) => {
            if !diff.signals.is_empty() {
                out.push_str("<ul class=\"signals\">");
                for s in diff.signals.iter().take(MAX_HTML_LIST) {
                    let kind = serde_json::to_value(s.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                    let _ = write!(out, "<li><b>{}</b>: {}</li>", esc(&kind), esc(&s.evidence));
                }
                more(out, diff.signals.len().saturating_sub(MAX_HTML_LIST) as u64, "signals");
                out.push_str("</ul>");
            }
            node(out, &diff.root, 0);
        }
        Err(_) => {
            let pretty = serde_json::to_string_pretty(content).unwrap_or_default();
            let shown: String = pretty.chars().take(16 * 1024).collect();
            let _ = write!(out, "<pre>{}</pre>", esc(&shown));
            more(out, pretty.chars().count().saturating_sub(shown.chars().count()) as u64, "characters");
        }
    }
    out.push_str("</details>");
}

/// "N more …" note when `n` > 0.
fn more(out: &mut String, n: u64, what: &str) {
    if n > 0 {
        let _ = write!(out, "<p class=\"more\">{n} more {what} not shown</p>");
    }
}

/// The comparator's name as reports show it ("elf", "gzip", "tar"…).
pub fn kind_name(kind: ComparatorKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The archive format's name ("tar", "zip", "cpio").
pub fn archive_format_name(format: ArchiveFormat) -> String {
    serde_json::to_value(format).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// One side of a changed ELF section: "36 bytes, sha256 1a2b…" or "(absent)".
pub fn section_summary(section: &Option<SectionInfo>) -> String {
    section
        .as_ref()
        .map(|s| format!("{} bytes, sha256 {}", s.size, s.sha256.get(..16).unwrap_or(&s.sha256)))
        .unwrap_or_else(|| "(absent)".into())
}

/// What differs in a changed archive member: "mtime: 1 → 2; content".
pub fn member_changes(change: &EntryChange) -> String {
    let mut what: Vec<String> = change.fields.iter().map(|f| format!("{}: {} → {}", f.field, f.a, f.b)).collect();
    if change.content_differs {
        what.push("content".into());
    }
    what.join("; ")
}

/// The one-line summary of an archive diff.
pub fn archive_summary(a: &ArchiveDiff) -> String {
    format!(
        "{} archive: a {} entries, b {} entries, {} unchanged{}",
        archive_format_name(a.format),
        a.entries_a,
        a.entries_b,
        a.unchanged,
        if a.order_differs { "; shared entries come in a different order" } else { "" }
    )
}

/// The one-line summary of a gzip diff's content.
pub fn gzip_summary(g: &GzipDiff) -> String {
    format!(
        "decompressed: a {} bytes, b {} bytes; content {}",
        g.decompressed_size_a,
        g.decompressed_size_b,
        if g.content_differs { "differs" } else { "identical" }
    )
}

/// The one-line summary of a pyc diff's code object.
pub fn pyc_summary(p: &PycDiff) -> String {
    format!("code object {}", if p.code_differs { "differs" } else { "identical" })
}

fn node(out: &mut String, n: &DiffNode, depth: usize) {
    if n.kind == ComparatorKind::Identical {
        let _ = write!(out, "<p class=\"node same\"><code>{}</code> identical</p>", esc(&n.title));
        return;
    }
    let _ = write!(
        out,
        "<div class=\"node\" data-kind=\"{}\"><p class=\"node-title\"><code>{}</code> <small>{} · a {} bytes · b {} bytes</small></p>",
        esc(&kind_name(n.kind)),
        esc(&n.title),
        esc(&kind_name(n.kind)),
        n.size_a,
        n.size_b
    );
    for c in n.comments.iter().take(MAX_HTML_LIST) {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(c));
    }
    more(out, n.comments.len().saturating_sub(MAX_HTML_LIST) as u64, "remarks");
    match &n.payload {
        Payload::None => {}
        Payload::Text(t) => text_diff(out, t),
        Payload::Json(j) => {
            if !j.changed_paths.is_empty() {
                out.push_str("<table class=\"fields\"><thead><tr><th>JSON path</th><th>A</th><th>B</th></tr></thead><tbody>");
                for c in j.changed_paths.iter().take(MAX_HTML_LIST) {
                    row3(out, &c.path, c.a.as_deref().unwrap_or("(absent)"), c.b.as_deref().unwrap_or("(absent)"));
                }
                out.push_str("</tbody></table>");
            }
            more(out, j.changed_paths.len().saturating_sub(MAX_HTML_LIST) as u64 + j.omitted_paths, "changed JSON paths");
            text_diff(out, &j.text);
        }
        Payload::Binary(b) => hexdump(out, b),
        Payload::Elf(e) => {
            changes3(out, e.header_changes.iter().map(|c| (c.field.as_str(), c.a.as_str(), c.b.as_str())));
            if e.build_id_a != e.build_id_b {
                row_table(out, "build-id", e.build_id_a.as_deref().unwrap_or("(none)"), e.build_id_b.as_deref().unwrap_or("(none)"));
            }
            if !e.sections.is_empty() {
                out.push_str("<table class=\"fields\"><thead><tr><th>section</th><th>A</th><th>B</th></tr></thead><tbody>");
                for s in e.sections.iter().take(MAX_HTML_LIST) {
                    row3(out, &s.name, &section_summary(&s.a), &section_summary(&s.b));
                }
                out.push_str("</tbody></table>");
            }
            more(out, e.sections.len().saturating_sub(MAX_HTML_LIST) as u64 + e.omitted_sections, "changed sections");
            let _ = write!(out, "<p class=\"note\">{} sections unchanged</p>", e.unchanged_sections);
            name_list(out, "symbols added", &e.symbols_added);
            name_list(out, "symbols removed", &e.symbols_removed);
            more(out, e.omitted_symbols, "added or removed symbols");
        }
        Payload::Gzip(g) => {
            changes3(out, g.header_changes.iter().map(|c| (c.field.as_str(), c.a.as_str(), c.b.as_str())));
            let _ = write!(out, "<p class=\"note\">{}</p>", esc(&gzip_summary(g)));
        }
        Payload::Archive(a) => {
            let _ = write!(out, "<p class=\"note\">{}</p>", esc(&archive_summary(a)));
            let names = |list: &[crate::diff::content::ArchiveEntry]| list.iter().map(|e| escape_bytes(&e.name)).collect::<Vec<_>>();
            name_list(out, "added", &names(&a.added));
            name_list(out, "removed", &names(&a.removed));
            if !a.changed.is_empty() {
                out.push_str("<table class=\"fields\"><thead><tr><th>member</th><th>what differs</th></tr></thead><tbody>");
                for c in a.changed.iter().take(MAX_HTML_LIST) {
                    let _ = write!(out, "<tr><th><code>{}</code></th><td>{}</td></tr>", esc(&escape_bytes(&c.name)), esc(&member_changes(c)));
                }
                out.push_str("</tbody></table>");
                more(out, a.changed.len().saturating_sub(MAX_HTML_LIST) as u64, "changed members");
            }
            more(out, a.omitted_entries, "added, removed or changed members");
        }
        Payload::Pyc(p) => {
            changes3(out, p.header_changes.iter().map(|c| (c.field.as_str(), c.a.as_str(), c.b.as_str())));
            let _ = write!(out, "<p class=\"note\">{}</p>", esc(&pyc_summary(p)));
        }
    }
    if depth < MAX_HTML_DEPTH {
        for child in n.children.iter().take(MAX_HTML_LIST) {
            node(out, child, depth + 1);
        }
        more(out, n.children.len().saturating_sub(MAX_HTML_LIST) as u64 + n.omitted_children, "differing members");
    } else {
        more(out, n.children.len() as u64 + n.omitted_children, "nested comparisons (depth limit)");
    }
    out.push_str("</div>");
}

fn row3(out: &mut String, field: &str, a: &str, b: &str) {
    let _ = write!(out, "<tr><th><code>{}</code></th><td><code>{}</code></td><td><code>{}</code></td></tr>", esc(field), esc(a), esc(b));
}

fn row_table(out: &mut String, field: &str, a: &str, b: &str) {
    changes3(out, std::iter::once((field, a, b)));
}

fn changes3<'a>(out: &mut String, rows: impl Iterator<Item = (&'a str, &'a str, &'a str)>) {
    let rows: Vec<_> = rows.collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("<table class=\"fields\"><thead><tr><th>field</th><th>A</th><th>B</th></tr></thead><tbody>");
    for (f, a, b) in rows.iter().take(MAX_HTML_LIST) {
        row3(out, f, a, b);
    }
    out.push_str("</tbody></table>");
    more(out, rows.len().saturating_sub(MAX_HTML_LIST) as u64, "fields");
}

fn name_list(out: &mut String, title: &str, names: &[String]) {
    if names.is_empty() {
        return;
    }
    let _ = write!(out, "<p class=\"note\">{} ({}):</p><ul class=\"names\">", esc(title), names.len());
    for n in names.iter().take(MAX_HTML_LIST) {
        let _ = write!(out, "<li><code>{}</code></li>", esc(n));
    }
    out.push_str("</ul>");
    more(out, names.len().saturating_sub(MAX_HTML_LIST) as u64, title);
}

/// A line with its highlight byte ranges wrapped in `<mark>`, cut to
/// [`MAX_HTML_LINE_CHARS`]. Ranges that are not on character boundaries are dropped.
fn marked_line(text: &str, highlights: &[[u64; 2]]) -> String {
    let cut_at = text.char_indices().nth(MAX_HTML_LINE_CHARS).map(|(i, _)| i).unwrap_or(text.len());
    let shown = &text[..cut_at];
    let mut ranges: Vec<(usize, usize)> = highlights
        .iter()
        .filter_map(|[s, e]| Some((usize::try_from(*s).ok()?, usize::try_from(*e).ok()?.min(cut_at))))
        .filter(|(s, e)| s < e && shown.is_char_boundary(*s) && shown.is_char_boundary(*e))
        .collect();
    ranges.sort_unstable();
    let mut out = String::new();
    let mut at = 0;
    for (s, e) in ranges {
        if s < at {
            continue;
        }
        out.push_str(&esc(&shown[at..s]));
        let _ = write!(out, "<mark>{}</mark>", esc(&shown[s..e]));
        at = e;
    }
    out.push_str(&esc(&shown[at..]));
    if cut_at < text.len() {
        let _ = write!(out, "<span class=\"more\">… {} more bytes</span>", text.len() - cut_at);
    }
    out
}

fn text_diff(out: &mut String, t: &TextDiff) {
    let _ = write!(out, "<p class=\"note\">+{} −{} lines (a {} lines, b {} lines)</p>", t.added_lines, t.removed_lines, t.lines_a, t.lines_b);
    if t.hunks.is_empty() {
        more(out, t.omitted_lines, "changed lines");
        return;
    }
    out.push_str("<table class=\"diff\"><tbody>");
    let mut budget = MAX_HTML_DIFF_LINES;
    let mut cut_lines = 0u64;
    for h in &t.hunks {
        if budget == 0 {
            cut_lines += h.lines.iter().filter(|l| l.tag != LineTag::Context).count() as u64;
            continue;
        }
        let _ = write!(out, "<tr class=\"hunk\"><td colspan=\"4\">@@ -{},{} +{},{} @@</td></tr>", h.old_start, h.old_len, h.new_start, h.new_len);
        for l in &h.lines {
            if budget == 0 {
                if l.tag != LineTag::Context {
                    cut_lines += 1;
                }
                continue;
            }
            budget -= 1;
            let (class, sign) = match l.tag {
                LineTag::Context => ("ctx", " "),
                LineTag::Removed => ("del", "-"),
                LineTag::Added => ("add", "+"),
            };
            let num = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
            let _ = write!(
                out,
                "<tr class=\"{class}\"><td class=\"ln\">{}</td><td class=\"ln\">{}</td><td class=\"sign\">{sign}</td><td class=\"code\">{}{}</td></tr>",
                num(l.old_line),
                num(l.new_line),
                marked_line(&l.text, &l.highlights),
                if l.no_newline { "<span class=\"more\"> (no newline at end)</span>" } else { "" }
            );
        }
        if h.omitted_lines > 0 {
            let _ = write!(out, "<tr class=\"more\"><td colspan=\"4\">{} more changed lines in this hunk not shown</td></tr>", h.omitted_lines);
        }
    }
    out.push_str("</tbody></table>");
    more(out, cut_lines, "changed lines (display limit)");
    if t.omitted_hunks > 0 || t.omitted_lines > 0 {
        let _ = write!(out, "<p class=\"more\">{} more changed lines in {} more hunks not shown</p>", t.omitted_lines, t.omitted_hunks);
    }
}

/// One side of a hexdump row with the differing columns marked.
fn hex_cells(hex: &str, ascii: &str, changed: &[u8]) -> (String, String) {
    let (mut h, mut a) = (String::new(), String::new());
    let bytes: Vec<&str> = (0..hex.len() / 2).filter_map(|i| hex.get(2 * i..2 * i + 2)).collect();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            h.push(' ');
        }
        if changed.contains(&(i as u8)) {
            let _ = write!(h, "<mark>{}</mark>", esc(b));
        } else {
            h.push_str(&esc(b));
        }
    }
    for (i, c) in ascii.chars().enumerate() {
        let s = esc(&c.to_string());
        if changed.contains(&(i as u8)) {
            let _ = write!(a, "<mark>{s}</mark>");
        } else {
            a.push_str(&s);
        }
    }
    (h, a)
}

fn hexdump(out: &mut String, b: &BinaryDiff) {
    let _ = write!(
        out,
        "<p class=\"note\">{} differing bytes in {} rows; common prefix {} bytes, common suffix {} bytes</p>",
        b.differing_bytes, b.differing_rows, b.common_prefix, b.common_suffix
    );
    if b.regions.is_empty() {
        return;
    }
    out.push_str("<table class=\"hex\"><thead><tr><th>offset</th><th>A</th><th></th><th>B</th><th></th></tr></thead><tbody>");
    let mut budget = MAX_HTML_HEX_ROWS;
    let mut cut_rows = 0u64;
    for region in &b.regions {
        for r in &region.rows {
            if budget == 0 {
                cut_rows += u64::from(!r.changed.is_empty());
                continue;
            }
            budget -= 1;
            let (ha, aa) = hex_cells(&r.hex_a, &r.ascii_a, &r.changed);
            let (hb, ab) = hex_cells(&r.hex_b, &r.ascii_b, &r.changed);
            let _ = write!(
                out,
                "<tr class=\"{}\"><td class=\"ln\">{:08x}</td><td><code>{ha}</code></td><td><code>{aa}</code></td><td><code>{hb}</code></td><td><code>{ab}</code></td></tr>",
                if r.changed.is_empty() { "ctx" } else { "chg" },
                r.offset
            );
        }
    }
    out.push_str("</tbody></table>");
    more(out, cut_rows, "differing rows (display limit)");
    if b.omitted_rows > 0 {
        let _ = write!(out, "<p class=\"more\">{} more differing rows in {} more regions not shown</p>", b.omitted_rows, b.omitted_regions);
    }
}

fn diagnostics(out: &mut String, report: &Report) {
    if report.diagnostics.is_empty() {
        return;
    }
    out.push_str("<section id=\"diagnostics\"><h2>Diagnostics</h2><ul>");
    for d in &report.diagnostics {
        let side = match d.side {
            super::Side::A => "A",
            super::Side::B => "B",
        };
        let _ = write!(out, "<li>{side}: {}</li>", esc(&d.diagnostic.to_string()));
    }
    out.push_str("</ul></section>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::bytes::HOSTILE;

    #[test]
    fn esc_neutralises_markup_quotes_and_bidi() {
        let want = [
            "evil&lt;U+202E&gt;txt.exe",
            "zero&lt;U+200B&gt;width&lt;U+FEFF&gt;",
            "iso&lt;U+2066&gt;late&lt;U+2069&gt;",
            "nul&lt;U+0000&gt;tab\t",
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;",
            "a&quot;b&amp;c|`*",
            "back\\slash",
        ];
        assert_eq!(want.len(), HOSTILE.len());
        for ((input, _), want) in HOSTILE.iter().zip(want) {
            assert_eq!(esc(input), want, "{input:?}");
        }
    }

    #[test]
    fn content_diff_is_a_bounded_table() {
        let a: String = (0..1000).map(|i| format!("line {i} <a>\n")).collect();
        let b: String = (0..1000).map(|i| format!("line {i} <b>\n")).collect();
        let diff = crate::diff::content::compare_contents(b"x.txt", a.as_bytes(), b.as_bytes(), &crate::limits::Limits::default());
        let mut out = String::new();
        content_diff(&mut out, &serde_json::to_value(&diff).unwrap());
        let rows = out.matches("<tr class=\"add\">").count() + out.matches("<tr class=\"del\">").count();
        assert!(rows > 0 && rows <= MAX_HTML_DIFF_LINES, "{rows} rows");
        assert!(out.contains("<td class=\"ln\">1</td><td class=\"ln\"></td><td class=\"sign\">-</td><td class=\"code\">line 0 &lt;a&gt;</td>"));
        assert!(out.contains("more changed lines (display limit) not shown"));
        assert!(!out.contains("<a>"));
    }

    #[test]
    fn unknown_content_shape_falls_back_to_escaped_json() {
        let mut out = String::new();
        content_diff(&mut out, &serde_json::json!({"future": "<script>"}));
        assert!(out.contains("<pre>") && out.contains("&lt;script&gt;") && !out.contains("<script"));
    }
}
