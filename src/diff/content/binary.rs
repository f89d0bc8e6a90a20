//! Byte diff: a hexdump of the differing 16-byte rows only, merged into regions with two rows of
//! context, capped by a row budget with explicit omitted counts.
//!
//! The comparison is positional (row `k` of a against row `k` of b). An insertion therefore
//! shifts every later row; the common prefix and suffix lengths say where such a shift is.

use serde::{Deserialize, Serialize};

/// Bytes per hexdump row.
pub const ROW_BYTES: usize = 16;
/// Rows of context shown around differing rows.
pub const CONTEXT_ROWS: u64 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinaryDiff {
    pub size_a: u64,
    pub size_b: u64,
    /// Length of the longest common prefix.
    pub common_prefix: u64,
    /// Length of the longest common suffix (not overlapping the prefix).
    pub common_suffix: u64,
    /// Byte positions that differ, counting bytes present on one side only.
    pub differing_bytes: u64,
    /// Rows with at least one differing byte.
    pub differing_rows: u64,
    pub regions: Vec<HexRegion>,
    /// Regions not shown at all because of the row budget.
    pub omitted_regions: u64,
    /// Differing rows not shown (in omitted regions and in a cut last region).
    pub omitted_rows: u64,
}

/// A run of rows: differing rows plus their context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HexRegion {
    pub offset: u64,
    pub rows: Vec<HexRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HexRow {
    pub offset: u64,
    /// Lowercase hex of a's bytes in this row (empty past a's end).
    pub hex_a: String,
    pub hex_b: String,
    /// Printable ASCII with '.' for other bytes.
    pub ascii_a: String,
    pub ascii_b: String,
    /// Columns (0..16) whose bytes differ.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<u8>,
}

impl BinaryDiff {
    /// Remarks a presenter shows above the hexdump.
    pub fn comments(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.size_a != self.size_b {
            let delta = i128::from(self.size_b) - i128::from(self.size_a);
            out.push(format!(
                "sizes differ: a {} bytes, b {} bytes ({delta:+}); positional comparison, common prefix {} bytes, common suffix {} bytes",
                self.size_a, self.size_b, self.common_prefix, self.common_suffix
            ));
        }
        if self.omitted_rows > 0 {
            out.push(format!(
                "showing {} of {} differing rows; {} more rows in {} more regions not shown",
                self.differing_rows - self.omitted_rows,
                self.differing_rows,
                self.omitted_rows,
                self.omitted_regions
            ));
        }
        out
    }
}

fn row(data: &[u8], r: u64) -> &[u8] {
    let start = usize::try_from(r).ok().and_then(|r| r.checked_mul(ROW_BYTES)).unwrap_or(usize::MAX);
    if start >= data.len() {
        return &[];
    }
    &data[start..data.len().min(start + ROW_BYTES)]
}

fn ascii(bytes: &[u8]) -> String {
    bytes.iter().map(|&c| if (0x20..0x7f).contains(&c) { c as char } else { '.' }).collect()
}

fn render(a: &[u8], b: &[u8], r: u64) -> HexRow {
    let (ra, rb) = (row(a, r), row(b, r));
    let changed = (0..ROW_BYTES).filter(|&i| ra.get(i) != rb.get(i)).map(|i| i as u8).collect();
    HexRow {
        offset: r * ROW_BYTES as u64,
        hex_a: hex::encode(ra),
        hex_b: hex::encode(rb),
        ascii_a: ascii(ra),
        ascii_b: ascii(rb),
        changed,
    }
}

/// Diffs `a` and `b` byte by byte, showing at most `max_rows` rows (context included).
pub fn diff_bytes(a: &[u8], b: &[u8], max_rows: usize) -> BinaryDiff {
    let common_prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - common_prefix;
    let common_suffix = a.iter().rev().zip(b.iter().rev()).take(max_suffix).take_while(|(x, y)| x == y).count();
    let longest = a.len().max(b.len());
    let n_rows = longest.div_ceil(ROW_BYTES) as u64;

    let mut diff = BinaryDiff {
        size_a: a.len() as u64,
        size_b: b.len() as u64,
        common_prefix: common_prefix as u64,
        common_suffix: common_suffix as u64,
        differing_bytes: 0,
        differing_rows: 0,
        regions: Vec::new(),
        omitted_regions: 0,
        omitted_rows: 0,
    };
    let mut budget = max_rows as u64;
    // current region: first and last differing row, differing rows in it
    let mut current: Option<(u64, u64, u64)> = None;
    let finish = |diff: &mut BinaryDiff, (first, last, n_diff): (u64, u64, u64), budget: &mut u64| {
        let start = first.saturating_sub(CONTEXT_ROWS);
        let end = (last + CONTEXT_ROWS).min(n_rows.saturating_sub(1));
        if *budget == 0 {
            diff.omitted_regions += 1;
            diff.omitted_rows += n_diff;
            return;
        }
        let mut region = HexRegion { offset: start * ROW_BYTES as u64, rows: Vec::new() };
        let mut shown_diff = 0;
        for r in start..=end {
            if *budget == 0 {
                break;
            }
            let rendered = render(a, b, r);
            if !rendered.changed.is_empty() {
                shown_diff += 1;
            }
            region.rows.push(rendered);
            *budget -= 1;
        }
        diff.omitted_rows += n_diff - shown_diff;
        diff.regions.push(region);
    };
    // skip the common prefix's rows cheaply
    let first_row = (common_prefix / ROW_BYTES) as u64;
    for r in first_row..n_rows {
        let (ra, rb) = (row(a, r), row(b, r));
        if ra == rb {
            continue;
        }
        let n_diff = (0..ROW_BYTES).filter(|&i| ra.get(i) != rb.get(i)).count() as u64;
        diff.differing_bytes += n_diff;
        diff.differing_rows += 1;
        current = match current {
            Some((first, last, n)) if r <= last + 2 * CONTEXT_ROWS + 1 => Some((first, r, n + 1)),
            Some(done) => {
                finish(&mut diff, done, &mut budget);
                Some((r, r, 1))
            }
            None => Some((r, r, 1)),
        };
    }
    if let Some(done) = current {
        finish(&mut diff, done, &mut budget);
    }
    diff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_merge_with_context_and_count_omissions() {
        let a = vec![0u8; 16 * 40];
        let mut b = a.clone();
        b[16 * 5 + 3] = 1; // row 5
        b[16 * 9] = 2; // row 9: gap of 3 rows -> same region (contexts touch)
        b[16 * 30 + 15] = 3; // row 30: new region
        let d = diff_bytes(&a, &b, 100);
        assert_eq!((d.differing_rows, d.differing_bytes), (3, 3));
        assert_eq!(d.regions.len(), 2);
        assert_eq!(d.regions[0].offset, 16 * 3);
        assert_eq!(d.regions[0].rows.len(), 9); // rows 3..=11
        assert_eq!(d.regions[0].rows[2].changed, vec![3]);
        assert_eq!(d.regions[0].rows[2].hex_b, "00000001000000000000000000000000");
        assert_eq!(d.regions[1].offset, 16 * 28);
        assert_eq!(d.regions[1].rows[2].changed, vec![15]);
        assert_eq!((d.omitted_regions, d.omitted_rows), (0, 0));

        // budget of 4 rows: rows 3,4,5,6 shown; rows 9 (same region) and 30 (next region) omitted
        let d = diff_bytes(&a, &b, 4);
        assert_eq!(d.regions.len(), 1);
        assert_eq!(d.regions[0].rows.len(), 4);
        assert_eq!((d.omitted_regions, d.omitted_rows), (1, 2));
        assert_eq!(d.comments(), vec!["showing 1 of 3 differing rows; 2 more rows in 1 more regions not shown"]);
    }

    #[test]
    fn size_difference_is_stated() {
        let a = b"hello world, this is a test of the size".to_vec();
        let mut b = a.clone();
        b.extend_from_slice(b"!!");
        let d = diff_bytes(&a, &b, 10);
        assert_eq!((d.common_prefix, d.common_suffix, d.differing_bytes), (39, 0, 2));
        let last = d.regions[0].rows.last().unwrap();
        assert_eq!((last.offset, last.ascii_a.as_str(), last.ascii_b.as_str()), (32, "he size", "he size!!"));
        assert_eq!(last.hex_b, "68652073697a652121");
        assert_eq!(last.changed, vec![7, 8]);
        assert!(d.comments()[0].starts_with("sizes differ: a 39 bytes, b 41 bytes (+2)"));
    }
}
