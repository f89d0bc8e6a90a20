//! Self-contained HTML export of a [`Report`]: inline CSS, no scripts, no external requests,
//! readable without JavaScript. Every byte of user data goes through [`esc`].
//!
//! Architecture Invariant: user data reaches markup only through `esc`/`attr` (text and
//! attribute contexts). Nothing from a report is ever emitted raw.

use std::fmt::Write;

use super::{anchor_id, Cause, ChangedEntry, Confidence, Layer, LayerStatus, Report, VerdictKind};

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
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => {
                let _ = write!(out, "&lt;U+{:04X}&gt;", c as u32);
            }
            c if c.is_control() && c != '\n' && c != '\t' => {
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
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(trimmed));
    }
    let e = &report.entries;
    let _ = write!(
        out,
        "<p class=\"counts\">{} changed · {} added · {} removed · {} moved · {} equal entries</p></section>",
        e.changed.len(),
        e.added.len(),
        e.removed.len(),
        e.moved.len(),
        e.n_equal
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
            if row.equal { "equal" } else { "<b>differs</b>" },
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

fn status(s: LayerStatus) -> &'static str {
    match s {
        LayerStatus::Equal => "equal",
        LayerStatus::Differ => "differs",
        LayerStatus::OnlyA => "only in A",
        LayerStatus::OnlyB => "only in B",
        LayerStatus::Absent => "absent",
    }
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
            status(layer.status),
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

/// Renders a content diff value generically: text hunks and hexdump rows when present, the
/// rest as pretty JSON. The concrete shapes come from `crate::diff::content`.
fn content_diff(out: &mut String, content: &serde_json::Value) {
    let pretty = serde_json::to_string_pretty(content).unwrap_or_default();
    let _ = write!(out, "<details class=\"content\"><summary>content diff</summary><pre>{}</pre></details>", esc(&pretty));
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

    #[test]
    fn esc_neutralises_markup_quotes_and_bidi() {
        assert_eq!(esc("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assert_eq!(esc("a\"b&c"), "a&quot;b&amp;c");
        assert_eq!(esc("evil\u{202e}txt.exe"), "evil&lt;U+202E&gt;txt.exe");
        assert_eq!(esc("nul\u{0}"), "nul&lt;U+0000&gt;");
    }
}
