//! Markdown summary of a [`Report`] for a pull-request comment: verdict, causes, PCRs and the
//! changed entries, bounded in length with explicit "and N more" lines.

use std::fmt::Write;

use super::Report;
use crate::formats::bytes::is_bidi_or_invisible;

/// Entries listed per category before "and N more".
pub const MAX_LISTED: usize = 50;

/// Escape text for a Markdown table cell or inline context.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() || is_bidi_or_invisible(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A user-supplied name as an inline code span: backticks become `'` (a code span cannot hold
/// them safely), control and invisible characters become `\u{..}`. Inside a code span `<` and
/// other Markdown syntax are literal text.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('`');
    for c in text.chars() {
        match c {
            '`' => out.push('\''),
            c if c.is_control() || is_bidi_or_invisible(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('`');
    out
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### eifscope: {}\n", md(&report.verdict.headline));
    let _ = writeln!(out, "A: {} ({} bytes) · B: {} ({} bytes)\n", code(&report.a.name), report.a.size, code(&report.b.name), report.b.size);
    if !report.measurements.is_empty() {
        out.push_str("| PCR | A | B | |\n|---|---|---|---|\n");
        for row in &report.measurements {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                md(&row.pcr),
                code(row.a.as_deref().unwrap_or("-")),
                code(row.b.as_deref().unwrap_or("-")),
                if row.equal { "equal".to_owned() } else { format!("**{}**", row.state_label()) }
            );
        }
        out.push('\n');
    }
    if !report.causes.is_empty() {
        out.push_str("**Likely causes**\n\n");
        for (i, cause) in report.causes.iter().enumerate() {
            let _ = writeln!(out, "{}. **{}** ({}, {:?} confidence). Fix: {}", i + 1, md(&cause.title), code(&cause.id), cause.confidence, md(&cause.fix));
        }
        out.push('\n');
    }
    let e = &report.entries;
    let n = report.entry_totals();
    let _ = writeln!(out, "**Entries**: {} changed, {} added, {} removed, {} moved\n", n.changed, n.added, n.removed, n.moved);
    if let Some(trimmed) = &report.trimmed {
        let _ = writeln!(out, "{}\n", md(&trimmed.message()));
    }
    let mut lines: Vec<String> = Vec::new();
    lines.extend(e.changed.iter().map(|c| format!("- changed {}: {}", code(&c.path), md(&c.fields.join(", ")))));
    lines.extend(e.added.iter().map(|r| format!("- added {}", code(&r.path))));
    lines.extend(e.removed.iter().map(|r| format!("- removed {}", code(&r.path))));
    lines.extend(e.moved.iter().map(|m| format!("- moved {} → {}", code(&m.from), code(&m.to))));
    let n = lines.len();
    for line in lines.into_iter().take(MAX_LISTED) {
        let _ = writeln!(out, "{line}");
    }
    if n > MAX_LISTED {
        let _ = writeln!(out, "- … and {} more", n - MAX_LISTED);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::bytes::HOSTILE;

    #[test]
    fn text_and_code_spans_escape_markdown_and_bidi() {
        let want = [
            ("evil\\u{202e}txt.exe", "`evil\\u{202e}txt.exe`"),
            ("zero\\u{200b}width\\u{feff}", "`zero\\u{200b}width\\u{feff}`"),
            ("iso\\u{2066}late\\u{2069}", "`iso\\u{2066}late\\u{2069}`"),
            ("nul\\u{0000}tab\\u{0009}", "`nul\\u{0000}tab\\u{0009}`"),
            ("\\<script\\>alert('x')\\</script\\>", "`<script>alert('x')</script>`"),
            ("a\"b&c\\|\\`\\*", "`a\"b&c|'*`"),
            ("back\\\\slash", "`back\\slash`"),
        ];
        assert_eq!(want.len(), HOSTILE.len());
        for ((input, _), (text, span)) in HOSTILE.iter().zip(want) {
            assert_eq!(md(input), text, "{input:?}");
            assert_eq!(code(input), span, "{input:?}");
        }
    }
}
