//! The entry differences of a [`Report`](super::Report) as one flat, filtered list of rows, the
//! model a viewer scrolls through: a heading per group ("Changed (3)") followed by its entries.
//!
//! Pure data, so a list of 100 000 entries is filtered once per filter change and a virtualised
//! view only renders the rows in its window ([`window`]). Entries are referred to by
//! [`EntryKey`] (group + index in the report's list), never copied.

use super::{anchor_id, ChangedEntry, EntryChanges};

/// Changed-entry fields that are build noise on their own: hidden by "hide noise" when they are
/// all an entry differs in. Content, mode, ownership and type changes are never hidden.
pub const NOISE_FIELDS: [&str; 1] = ["mtime"];
/// Archive notes hidden by "hide noise" (bookkeeping, not a change of any file).
pub const NOISE_NOTES: [&str; 1] = ["inode-numbers"];

/// True when every differing field of `entry` is noise.
pub fn is_noise(entry: &ChangedEntry) -> bool {
    !entry.fields.is_empty() && entry.fields.iter().all(|f| NOISE_FIELDS.contains(&f.as_str()))
}

/// The lists of [`EntryChanges`], in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    Changed,
    Added,
    Removed,
    Moved,
}

impl Group {
    pub const ALL: [Group; 4] = [Group::Changed, Group::Added, Group::Removed, Group::Moved];

    /// Lower-case name, also the tag and CSS class of its rows.
    pub fn name(self) -> &'static str {
        match self {
            Group::Changed => "changed",
            Group::Added => "added",
            Group::Removed => "removed",
            Group::Moved => "moved",
        }
    }

    /// Heading of the group ("Changed").
    pub fn title(self) -> &'static str {
        match self {
            Group::Changed => "Changed",
            Group::Added => "Added",
            Group::Removed => "Removed",
            Group::Moved => "Moved",
        }
    }

    /// Entries of this group in `e`.
    pub fn len(self, e: &EntryChanges) -> usize {
        match self {
            Group::Changed => e.changed.len(),
            Group::Added => e.added.len(),
            Group::Removed => e.removed.len(),
            Group::Moved => e.moved.len(),
        }
    }
}

/// One entry of the report: its group and its index in that group's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntryKey {
    pub group: Group,
    pub index: usize,
}

impl EntryKey {
    /// The path the entry is known by (for a moved entry, where it went).
    pub fn path(self, e: &EntryChanges) -> Option<&str> {
        match self.group {
            Group::Changed => e.changed.get(self.index).map(|c| c.path.as_str()),
            Group::Added => e.added.get(self.index).map(|r| r.path.as_str()),
            Group::Removed => e.removed.get(self.index).map(|r| r.path.as_str()),
            Group::Moved => e.moved.get(self.index).map(|m| m.to.as_str()),
        }
    }

    /// The element id of the entry, the same the HTML export gives it (`entry-…`).
    pub fn anchor(self, e: &EntryChanges) -> Option<String> {
        self.path(e).map(|p| anchor_id(&format!("entry:{p}")))
    }
}

/// One row of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// A group heading with the number of its entries that pass the filter.
    Heading(Group, usize),
    Entry(EntryKey),
}

/// What is shown: one group or all, a case-insensitive path substring, and "hide noise".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// `None`: every group.
    pub group: Option<Group>,
    pub query: String,
    pub hide_noise: bool,
}

/// The rows that pass a [`Filter`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rows {
    pub rows: Vec<Row>,
    /// Row index of each entry row, in order (entry `i` of the list is `rows[entries[i]]`).
    pub entries: Vec<usize>,
}

impl Rows {
    /// Filters `e`: groups in [`Group::ALL`] order, each with its heading when not empty.
    pub fn new(e: &EntryChanges, filter: &Filter) -> Rows {
        let needle = filter.query.to_lowercase();
        let matches = |path: &str| needle.is_empty() || path.to_lowercase().contains(&needle);
        let mut out = Rows::default();
        for group in Group::ALL {
            if filter.group.is_some_and(|g| g != group) {
                continue;
            }
            let keep = |index: usize| match group {
                Group::Changed => e.changed.get(index).is_some_and(|c| matches(&c.path) && !(filter.hide_noise && is_noise(c))),
                Group::Added => e.added.get(index).is_some_and(|r| matches(&r.path)),
                Group::Removed => e.removed.get(index).is_some_and(|r| matches(&r.path)),
                Group::Moved => e.moved.get(index).is_some_and(|m| matches(&m.from) || matches(&m.to)),
            };
            let heading = out.rows.len();
            out.rows.push(Row::Heading(group, 0));
            for index in (0..group.len(e)).filter(|&i| keep(i)) {
                out.entries.push(out.rows.len());
                out.rows.push(Row::Entry(EntryKey { group, index }));
            }
            let n = out.rows.len() - heading - 1;
            if n == 0 {
                out.rows.pop();
            } else {
                out.rows[heading] = Row::Heading(group, n);
            }
        }
        out
    }

    /// The entry at position `i` of the entry rows.
    pub fn entry(&self, i: usize) -> Option<EntryKey> {
        match self.rows.get(*self.entries.get(i)?)? {
            Row::Entry(key) => Some(*key),
            Row::Heading(..) => None,
        }
    }

    /// Position of `key` among the entry rows, if it passes the filter.
    pub fn position(&self, key: EntryKey) -> Option<usize> {
        self.entries.iter().position(|&r| self.rows.get(r) == Some(&Row::Entry(key)))
    }

    /// Entries shown in `group`.
    pub fn count(&self, group: Group) -> usize {
        self.rows
            .iter()
            .find_map(|r| match r {
                Row::Heading(g, n) if *g == group => Some(*n),
                _ => None,
            })
            .unwrap_or(0)
    }
}

/// The entry whose element id is `anchor` (`entry-…`), searched in the whole report.
pub fn find_anchor(e: &EntryChanges, anchor: &str) -> Option<EntryKey> {
    if !anchor.starts_with("entry-") {
        return None;
    }
    Group::ALL.into_iter().find_map(|group| {
        (0..group.len(e)).map(|index| EntryKey { group, index }).find(|key| key.anchor(e).as_deref() == Some(anchor))
    })
}

/// The rows `[start, end)` a virtualised list renders for a viewport of `viewport_px` scrolled
/// to `scroll_px`, with rows of `row_px` and `overscan` extra rows on each side.
pub fn window(scroll_px: f64, viewport_px: f64, row_px: f64, total: usize, overscan: usize) -> (usize, usize) {
    if total == 0 || row_px.is_nan() || row_px <= 0.0 {
        return (0, 0);
    }
    // Float-to-int casts saturate (NaN becomes 0), so odd scroll values cannot wrap.
    let first = (scroll_px.max(0.0) / row_px).floor() as usize;
    let visible = (viewport_px.max(0.0) / row_px).ceil() as usize + 1;
    let start = first.saturating_sub(overscan).min(total);
    let end = first.saturating_add(visible).saturating_add(overscan).min(total);
    (start.min(end), end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{EntryRef, FieldChange, MovedEntry};

    fn entry_ref(path: &str) -> EntryRef {
        EntryRef { path: path.into(), ramdisk: 1, kind: "file".into(), size: 3, measured: vec!["PCR0".into()] }
    }

    fn changed(path: &str, fields: &[&str]) -> ChangedEntry {
        ChangedEntry {
            path: path.into(),
            ramdisk_a: 1,
            ramdisk_b: 1,
            kind: "file".into(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
            changes: fields.iter().map(|f| FieldChange { field: f.to_string(), a: "1".into(), b: "2".into() }).collect(),
            measured: vec![],
            content: None,
            signals: vec![],
        }
    }

    fn sample() -> EntryChanges {
        EntryChanges {
            changed: vec![changed("etc/app.conf", &["content"]), changed("usr/bin/hello", &["mtime"]), changed("bin/run", &["mode", "mtime"])],
            added: (0..1000).map(|i| entry_ref(&format!("data/f{i:04}"))).collect(),
            removed: vec![entry_ref("etc/Old.conf")],
            moved: vec![MovedEntry { from: "a/x".into(), to: "b/x".into(), ramdisk_a: 1, ramdisk_b: 1 }],
            ..EntryChanges::default()
        }
    }

    #[test]
    fn rows_group_entries_under_headings_with_filtered_counts() {
        let e = sample();
        let all = Rows::new(&e, &Filter::default());
        assert_eq!(all.rows.len(), 4 + 3 + 1000 + 1 + 1);
        assert_eq!(all.entries.len(), 1005);
        assert_eq!(all.rows[0], Row::Heading(Group::Changed, 3));
        assert_eq!(all.rows[4], Row::Heading(Group::Added, 1000));
        assert_eq!(all.entry(3), Some(EntryKey { group: Group::Added, index: 0 }));
        assert_eq!(all.position(EntryKey { group: Group::Moved, index: 0 }), Some(1004));

        let search = Rows::new(&e, &Filter { query: "F099".into(), ..Filter::default() });
        // f0990..f0999: a case-insensitive substring.
        assert_eq!(search.count(Group::Added), 10);
        assert_eq!(search.rows.len(), 11);
        assert_eq!(search.count(Group::Changed), 0);

        let old = Rows::new(&e, &Filter { query: "old".into(), ..Filter::default() });
        assert_eq!(old.rows, vec![Row::Heading(Group::Removed, 1), Row::Entry(EntryKey { group: Group::Removed, index: 0 })]);
    }

    #[test]
    fn hide_noise_hides_mtime_only_entries_never_mode_or_content() {
        let e = sample();
        let quiet = Rows::new(&e, &Filter { hide_noise: true, group: Some(Group::Changed), ..Filter::default() });
        let paths: Vec<_> = quiet.entries.iter().filter_map(|&r| match quiet.rows[r] {
            Row::Entry(k) => k.path(&e),
            Row::Heading(..) => None,
        }).collect();
        assert_eq!(paths, ["etc/app.conf", "bin/run"]);
    }

    #[test]
    fn anchors_are_the_html_export_ids() {
        let e = sample();
        let key = find_anchor(&e, "entry-data_2ff0999").unwrap();
        assert_eq!(key, EntryKey { group: Group::Added, index: 999 });
        assert_eq!(find_anchor(&e, "entry-b_2fx"), Some(EntryKey { group: Group::Moved, index: 0 }));
        assert_eq!(find_anchor(&e, "layer-header"), None);
        assert_eq!(find_anchor(&e, "entry-nope"), None);
    }

    #[test]
    fn window_covers_the_viewport_plus_overscan() {
        assert_eq!(window(0.0, 280.0, 28.0, 100_000, 5), (0, 16));
        assert_eq!(window(28.0 * 1000.0, 280.0, 28.0, 100_000, 5), (995, 1016));
        assert_eq!(window(28.0 * 99_995.0, 280.0, 28.0, 100_000, 5), (99_990, 100_000));
        assert_eq!(window(1e12, 280.0, 28.0, 10, 5), (10, 10));
        assert_eq!(window(f64::NAN, f64::NAN, 28.0, 10, 5), (0, 6));
        assert_eq!(window(0.0, 280.0, 28.0, 0, 5), (0, 0));
    }
}
