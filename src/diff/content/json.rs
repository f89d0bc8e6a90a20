//! JSON comparator: both sides pretty-printed (key order kept) and line-diffed, plus the list
//! of changed JSON paths (`$.dependencies.foo`: a -> b), which also feeds the signals.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::signals::Tally;
use super::text::{diff_comments, diff_lines, too_big_for_line_diff, TextDiff};
use super::{cut, ComparatorKind, Ctx, DiffNode, Payload};

/// Longest value text kept per side of a path change.
const MAX_VALUE_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonDiff {
    /// Line diff of the pretty-printed documents.
    pub text: TextDiff,
    pub changed_paths: Vec<JsonPathChange>,
    /// Path changes not listed because of the list cap.
    pub omitted_paths: u64,
}

/// One changed path; `a`/`b` are compact JSON, absent when the path exists on one side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonPathChange {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<String>,
}

/// A `.json` name, or text that starts and ends like an object or array.
pub fn looks_like_json(name: &[u8], text: &str) -> bool {
    if name.len() >= 5 && name[name.len() - 5..].eq_ignore_ascii_case(b".json") {
        return true;
    }
    let t = text.trim();
    (t.starts_with('{') && t.ends_with('}')) || (t.starts_with('[') && t.ends_with(']'))
}

pub fn compare(ctx: &mut Ctx<'_>, name: &[u8], title: &str, a: &str, b: &str) -> Result<DiffNode, String> {
    if let Some(reason) = too_big_for_line_diff(a, b) {
        return Err(reason);
    }
    let va: Value = serde_json::from_str(a).map_err(|e| format!("a is not valid JSON ({e})"))?;
    let vb: Value = serde_json::from_str(b).map_err(|e| format!("b is not valid JSON ({e})"))?;
    let pa = serde_json::to_string_pretty(&va).map_err(|e| e.to_string())? + "\n";
    let pb = serde_json::to_string_pretty(&vb).map_err(|e| e.to_string())? + "\n";
    if let Some(reason) = too_big_for_line_diff(&pa, &pb) {
        return Err(reason);
    }
    let mut node = DiffNode::new(ComparatorKind::Json, name, title.to_string(), a.as_bytes(), b.as_bytes());
    let text = diff_lines(ctx, &pa, &pb, false);
    node.comments.extend(diff_comments(&text));
    let mut walk = Walk { changes: Vec::new(), omitted: 0, max: ctx.opts.max_list_items, tally: Tally::default() };
    walk.value("$".to_string(), &va, &vb);
    if walk.changes.is_empty() && walk.omitted == 0 {
        node.comments.push("documents are equal as JSON; they differ only in formatting".to_string());
        ctx.signal(
            super::SignalKind::OnlyWhitespace,
            "json documents are equal as values; only formatting differs".to_string(),
            true,
        );
    } else {
        walk.tally.emit(ctx, "json values");
    }
    node.payload = Payload::Json(JsonDiff { text, changed_paths: walk.changes, omitted_paths: walk.omitted });
    Ok(node)
}

struct Walk {
    changes: Vec<JsonPathChange>,
    omitted: u64,
    max: usize,
    tally: Tally,
}

fn compact(v: &Value) -> String {
    cut(&serde_json::to_string(v).unwrap_or_default(), MAX_VALUE_CHARS)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn key_path(base: &str, key: &str) -> String {
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-');
    if plain {
        format!("{base}.{key}")
    } else {
        format!("{base}[{}]", serde_json::to_string(key).unwrap_or_default())
    }
}

impl Walk {
    fn push(&mut self, path: String, a: Option<&Value>, b: Option<&Value>) {
        match (a.and_then(scalar_text), b.and_then(scalar_text)) {
            (Some(x), Some(y)) => self.tally.add(&path, &x, &y),
            _ => self.tally.add_unpaired(1),
        }
        if self.changes.len() >= self.max {
            self.omitted += 1;
            return;
        }
        self.changes.push(JsonPathChange { path, a: a.map(compact), b: b.map(compact) });
    }

    fn value(&mut self, path: String, a: &Value, b: &Value) {
        if a == b {
            return;
        }
        match (a, b) {
            (Value::Object(ma), Value::Object(mb)) => {
                for (k, va) in ma {
                    match mb.get(k) {
                        Some(vb) => self.value(key_path(&path, k), va, vb),
                        None => self.push(key_path(&path, k), Some(va), None),
                    }
                }
                for (k, vb) in mb {
                    if !ma.contains_key(k) {
                        self.push(key_path(&path, k), None, Some(vb));
                    }
                }
            }
            (Value::Array(xa), Value::Array(xb)) => {
                for i in 0..xa.len().max(xb.len()) {
                    let p = format!("{path}[{i}]");
                    match (xa.get(i), xb.get(i)) {
                        (Some(va), Some(vb)) => self.value(p, va, vb),
                        (va, vb) => self.push(p, va, vb),
                    }
                }
            }
            _ => self.push(path, Some(a), Some(b)),
        }
    }
}
