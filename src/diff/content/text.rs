//! Text comparator: a line diff (similar's Myers, no deadline, so no clock) in hunks with
//! context, intraline highlight ranges for replaced lines, and explicit counts of whatever a
//! cap leaves out. Changed line pairs are classified for signals.

use serde::{Deserialize, Serialize};
use similar::{Algorithm, ChangeTag, DiffOp, TextDiff as SimilarDiff};
use std::collections::HashMap;

use super::signals::Tally;
use super::{
    ComparatorKind, Ctx, DiffNode, Payload, SignalKind, MAX_CLASSIFIED_PAIRS, MAX_INLINE_BLOCK_LINES,
    MAX_INLINE_LINE_BYTES, MAX_TEXT_DIFF_BYTES, MAX_TEXT_DIFF_COST, MAX_TEXT_DIFF_LINES,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDiff {
    pub lines_a: u64,
    pub lines_b: u64,
    /// Lines only in b / only in a, over the whole diff (shown or not).
    pub added_lines: u64,
    pub removed_lines: u64,
    pub hunks: Vec<Hunk>,
    /// Hunks not shown at all.
    pub omitted_hunks: u64,
    /// Added + removed lines not shown (in omitted hunks and cut hunks).
    pub omitted_lines: u64,
}

/// One hunk, as in a unified diff. Starts are 1-based line numbers; a hunk with `old_len` 0
/// inserts after line `old_start - 1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    pub old_start: u64,
    pub old_len: u64,
    pub new_start: u64,
    pub new_len: u64,
    pub lines: Vec<DiffLine>,
    /// Added + removed lines of this hunk cut by the line budget.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub omitted_lines: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineTag {
    Context,
    Removed,
    Added,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub tag: LineTag,
    /// 1-based line numbers in a / b (absent for added / removed lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_line: Option<u64>,
    /// The line without its final "\n".
    pub text: String,
    /// Byte ranges `[start, end)` of `text` that changed within a replaced line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlights: Vec<[u64; 2]>,
    /// The line is the last one and has no final newline.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_newline: bool,
}

/// The content as text if it is valid UTF-8 with few NULs (at most one per 1000 bytes).
pub fn as_text(data: &[u8]) -> Result<&str, String> {
    let text = std::str::from_utf8(data)
        .map_err(|e| format!("is not valid UTF-8 (first invalid byte at offset {:#x})", e.valid_up_to()))?;
    let nuls = data.iter().filter(|&&c| c == 0).count();
    if nuls > 0 && nuls * 1000 > data.len() {
        return Err(format!("has {nuls} NUL bytes in {} bytes", data.len()));
    }
    Ok(text)
}

/// Why a line diff of `a` and `b` would be too costly, if it would.
pub fn too_big_for_line_diff(a: &str, b: &str) -> Option<String> {
    if a.len() > MAX_TEXT_DIFF_BYTES || b.len() > MAX_TEXT_DIFF_BYTES {
        return Some(format!(
            "line diff skipped: {} / {} bytes exceed the {} byte text limit",
            a.len(),
            b.len(),
            MAX_TEXT_DIFF_BYTES
        ));
    }
    let (n_a, n_b) = (a.lines().count(), b.lines().count());
    if n_a > MAX_TEXT_DIFF_LINES || n_b > MAX_TEXT_DIFF_LINES {
        return Some(format!("line diff skipped: {n_a} / {n_b} lines exceed the {MAX_TEXT_DIFF_LINES} line limit"));
    }
    // lower bound of the edit distance: lines whose multiset counts differ
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for line in a.lines() {
        *counts.entry(line).or_default() += 1;
    }
    for line in b.lines() {
        *counts.entry(line).or_default() -= 1;
    }
    let d: u64 = counts.values().map(|c| c.unsigned_abs()).sum();
    let cost = (n_a as u64 + n_b as u64).saturating_mul(d);
    (cost > MAX_TEXT_DIFF_COST).then(|| {
        format!("line diff skipped: estimated cost {cost} ({d} distinct changed lines) exceeds {MAX_TEXT_DIFF_COST}")
    })
}

/// A text node, or why the inputs are too big for a line diff.
pub fn compare_checked(ctx: &mut Ctx<'_>, name: &[u8], title: String, a: &str, b: &str) -> Result<DiffNode, String> {
    if let Some(reason) = too_big_for_line_diff(a, b) {
        return Err(reason);
    }
    let mut node = DiffNode::new(ComparatorKind::Text, name, title, a.as_bytes(), b.as_bytes());
    let diff = diff_lines(ctx, a, b, true);
    node.comments.extend(diff_comments(&diff));
    node.payload = Payload::Text(diff);
    Ok(node)
}

pub(crate) fn diff_comments(diff: &TextDiff) -> Vec<String> {
    let mut out = Vec::new();
    if diff.omitted_lines > 0 {
        out.push(format!(
            "{} more changed lines not shown ({} hunks omitted)",
            diff.omitted_lines, diff.omitted_hunks
        ));
    }
    if diff.hunks.is_empty() && diff.omitted_hunks == 0 {
        out.push("line diff found no changed line".to_string());
    }
    out
}

fn strip_newline(s: &str) -> &str {
    s.strip_suffix('\n').unwrap_or(s)
}

/// Line-diffs `a` and `b` (callers check [`too_big_for_line_diff`] first); with `classify`,
/// records signals from the changed line pairs.
pub fn diff_lines(ctx: &mut Ctx<'_>, a: &str, b: &str, classify: bool) -> TextDiff {
    let diff = SimilarDiff::configure().algorithm(Algorithm::Myers).diff_lines(a, b);
    let old = diff.old_slices();
    let new = diff.new_slices();
    let mut out = TextDiff {
        lines_a: old.len() as u64,
        lines_b: new.len() as u64,
        added_lines: 0,
        removed_lines: 0,
        hunks: Vec::new(),
        omitted_hunks: 0,
        omitted_lines: 0,
    };

    // signals over every change, shown or not
    let mut tally = Tally::default();
    let mut classified = 0usize;
    for op in diff.ops() {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        out.removed_lines += old_range.len() as u64 * u64::from(tag != similar::DiffTag::Equal);
        out.added_lines += new_range.len() as u64 * u64::from(tag != similar::DiffTag::Equal);
        match tag {
            similar::DiffTag::Equal => {}
            similar::DiffTag::Replace => {
                let pairs = old_range.len().min(new_range.len());
                for k in 0..pairs {
                    if classified >= MAX_CLASSIFIED_PAIRS {
                        tally.add_unpaired(1);
                        continue;
                    }
                    classified += 1;
                    let (i, j) = (old_range.start + k, new_range.start + k);
                    let label = format!("line {} -> {}", i + 1, j + 1);
                    tally.add(&label, strip_newline(old[i]), strip_newline(new[j]));
                }
                tally.add_unpaired((old_range.len() + new_range.len() - 2 * pairs) as u64);
            }
            _ => tally.add_unpaired((old_range.len() + new_range.len()) as u64),
        }
    }
    if classify {
        if a.split_whitespace().eq(b.split_whitespace()) {
            ctx.signal(SignalKind::OnlyWhitespace, "texts differ only in whitespace".to_string(), true);
        } else {
            tally.emit(ctx, "line pairs");
        }
    }

    let mut budget = ctx.opts.max_hunk_lines;
    for group in diff.grouped_ops(ctx.opts.context_lines) {
        let changed_in_group: u64 = group
            .iter()
            .filter(|op| op.tag() != similar::DiffTag::Equal)
            .map(|op| (op.old_range().len() + op.new_range().len()) as u64)
            .sum();
        if out.hunks.len() >= ctx.opts.max_hunks || budget == 0 {
            out.omitted_hunks += 1;
            out.omitted_lines += changed_in_group;
            continue;
        }
        let (Some(first), Some(last)) = (group.first(), group.last()) else { continue };
        let mut hunk = Hunk {
            old_start: first.old_range().start as u64 + 1,
            old_len: (last.old_range().end - first.old_range().start) as u64,
            new_start: first.new_range().start as u64 + 1,
            new_len: (last.new_range().end - first.new_range().start) as u64,
            lines: Vec::new(),
            omitted_lines: 0,
        };
        for op in &group {
            for line in op_lines(&diff, op) {
                if budget == 0 {
                    if line.tag != LineTag::Context {
                        hunk.omitted_lines += 1;
                    }
                    continue;
                }
                budget -= 1;
                hunk.lines.push(line);
            }
        }
        out.omitted_lines += hunk.omitted_lines;
        out.hunks.push(hunk);
    }
    out
}

fn tag_of(tag: ChangeTag) -> LineTag {
    match tag {
        ChangeTag::Equal => LineTag::Context,
        ChangeTag::Delete => LineTag::Removed,
        ChangeTag::Insert => LineTag::Added,
    }
}

fn line_no(idx: Option<usize>) -> Option<u64> {
    idx.map(|i| i as u64 + 1)
}

/// The diff lines of one op, with highlights for small replaced blocks.
fn op_lines<'a>(diff: &'a SimilarDiff<'a, 'a, 'a, str>, op: &DiffOp) -> Vec<DiffLine> {
    let (tag, old_range, new_range) = op.as_tag_tuple();
    let inline_ok = tag == similar::DiffTag::Replace
        && old_range.len() <= MAX_INLINE_BLOCK_LINES
        && new_range.len() <= MAX_INLINE_BLOCK_LINES
        && diff.old_slices()[old_range.clone()].iter().all(|l| l.len() <= MAX_INLINE_LINE_BYTES)
        && diff.new_slices()[new_range.clone()].iter().all(|l| l.len() <= MAX_INLINE_LINE_BYTES);
    if !inline_ok {
        return diff
            .iter_changes(op)
            .map(|change| {
                let value = change.value();
                DiffLine {
                    tag: tag_of(change.tag()),
                    old_line: if change.tag() == ChangeTag::Insert { None } else { line_no(change.old_index()) },
                    new_line: if change.tag() == ChangeTag::Delete { None } else { line_no(change.new_index()) },
                    text: strip_newline(value).to_string(),
                    highlights: Vec::new(),
                    no_newline: !value.ends_with('\n'),
                }
            })
            .collect();
    }
    // no deadline: the block is small, and a deadline would read a clock
    diff.iter_inline_changes_deadline(op, None)
        .map(|change| {
            let mut text = String::new();
            let mut highlights: Vec<[u64; 2]> = Vec::new();
            for (emphasized, part) in change.iter_strings_lossy() {
                let start = text.len() as u64;
                text.push_str(&part);
                let end = text.trim_end_matches('\n').len() as u64;
                if emphasized && end > start {
                    match highlights.last_mut() {
                        Some(last) if last[1] == start => last[1] = end,
                        _ => highlights.push([start, end]),
                    }
                }
            }
            let no_newline = !text.ends_with('\n');
            let text = strip_newline(&text).to_string();
            DiffLine {
                tag: tag_of(change.tag()),
                old_line: if change.tag() == ChangeTag::Insert { None } else { line_no(change.old_index()) },
                new_line: if change.tag() == ChangeTag::Delete { None } else { line_no(change.new_index()) },
                text,
                highlights,
                no_newline,
            }
        })
        .collect()
}
