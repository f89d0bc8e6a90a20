//! Classifies one changed pair of lines (or JSON string values): do they differ only in
//! whitespace, date/time tokens, version numbers, or build-environment tokens (paths, hosts,
//! users)? Hand-written scanners, no regex: the patterns are few and must stay cheap.

use super::{cut, Ctx, SignalKind};

/// Unix times accepted as "epoch-ish": 2000-01-01 .. 2100-01-01.
const EPOCH_MIN: u64 = 946_684_800;
const EPOCH_MAX: u64 = 4_102_444_800;
/// Two epoch-ish numbers count as timestamps of the same kind when at most ten years apart.
const EPOCH_NEAR: u64 = 10 * 366 * 24 * 3600;

const MONTHS: [&str; 24] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "January", "February",
    "March", "April", "June", "July", "August", "September", "October", "November", "December", "Sept",
];
const WEEKDAYS: [&str; 14] = [
    "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    "Saturday", "Sunday",
];
const TIMEZONES: [&str; 6] = ["UTC", "GMT", "Z", "T", "CET", "CEST"];

/// Path fragments that name a build machine's private places.
const BUILD_PATH_MARKERS: [&str; 12] = [
    "/home/", "/tmp/", "/build/", "/builds/", "/root/", "/Users/", "/var/tmp/", "/private/", "/runner/",
    "/workspace/", "/buildroot/", "/usr/src/",
];
/// Keys (lower-cased) whose values are build-environment facts.
const BUILD_KEY_MARKERS: [&str; 11] = [
    "hostname", "host=", "build_host", "buildhost", "build-host", "user=", "username", "build_user", "builder",
    "build_path", "builddir",
];

/// Classifies why line `a` became line `b`, if a known pattern explains all of the change.
pub fn classify_pair(a: &str, b: &str) -> Option<SignalKind> {
    if a == b {
        return None;
    }
    if a.split_whitespace().eq(b.split_whitespace()) {
        return Some(SignalKind::OnlyWhitespace);
    }
    if differs_only_in_datetime(a, b) {
        return Some(SignalKind::EmbeddedTimestamp);
    }
    let words_a = words(a);
    let words_b = words(b);
    if words_a.len() == words_b.len() {
        let differing: Vec<(&str, &str)> =
            words_a.iter().zip(&words_b).filter(|(x, y)| x != y).map(|(x, y)| (*x, *y)).collect();
        if !differing.is_empty() && differing.iter().all(|(x, y)| version_at_difference(x, y)) {
            return Some(SignalKind::VersionChange);
        }
        if !differing.is_empty() && differing.iter().all(|(x, y)| is_build_path(x) || is_build_path(y)) {
            return Some(SignalKind::BuildEnvironment);
        }
    }
    if has_build_key(a) && has_build_key(b) {
        return Some(SignalKind::BuildEnvironment);
    }
    None
}

/// Tallies classified pairs for one node and emits at most one signal per kind.
#[derive(Default)]
pub struct Tally {
    pairs: u64,
    unexplained: u64,
    found: Vec<(SignalKind, u64, String)>,
}

impl Tally {
    /// Records one changed pair with the lines' labels (e.g. line numbers or JSON paths).
    pub fn add(&mut self, label: &str, a: &str, b: &str) {
        self.pairs += 1;
        let Some(kind) = classify_pair(a, b) else {
            self.unexplained += 1;
            return;
        };
        match self.found.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(entry) => entry.1 += 1,
            None => {
                let example = format!("{label}: `{}` -> `{}`", cut(a.trim(), 70), cut(b.trim(), 70));
                self.found.push((kind, 1, example));
            }
        }
    }
    /// A change that is not a pair (a line only added or removed) and explains nothing.
    pub fn add_unpaired(&mut self, n: u64) {
        self.unexplained += n;
    }
    pub fn emit(self, ctx: &mut Ctx<'_>, what: &str) {
        let total = self.pairs + self.unexplained;
        let only_one_kind = self.found.len() == 1 && self.unexplained == 0;
        for (kind, n, example) in self.found {
            let pattern = match kind {
                SignalKind::EmbeddedTimestamp => "differ only in date/time tokens",
                SignalKind::VersionChange => "differ only in version numbers",
                SignalKind::BuildEnvironment => "differ in build paths, host or user names",
                SignalKind::OnlyWhitespace => "differ only in whitespace",
                SignalKind::BuildIdOnly => "differ only in the build-id",
            };
            ctx.signal(kind, format!("{n} of {total} changed {what} {pattern}; e.g. {example}"), only_one_kind);
        }
    }
}

/// Splits on whitespace and on quoting/separator characters, keeping ':' '/' '.' '-' in words.
fn words(s: &str) -> Vec<&str> {
    s.split(|c: char| c.is_whitespace() || "\"'`,;=()[]{}<>|".contains(c)).filter(|w| !w.is_empty()).collect()
}

fn is_build_path(word: &str) -> bool {
    BUILD_PATH_MARKERS.iter().any(|m| word.contains(m))
        || (word.contains('@') && !word.contains("@@") && word.split('@').all(|p| !p.is_empty() && p.len() < 64))
}

fn has_build_key(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    BUILD_KEY_MARKERS.iter().any(|m| lower.contains(m))
}

fn is_version_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'~' | b':' | b'-' | b'_')
}

/// Does the first difference of `a` and `b` fall inside a version number (digits with dots)?
pub fn version_at_difference(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let first = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    // the run of version characters around the first difference, and in it the earliest
    // number that starts at a boundary ("libfoo-1.2.3", "2.36-9+deb12u4", "v1.0")
    let version_span = |s: &[u8]| -> Option<(usize, usize)> {
        let at = first.min(s.len());
        let mut run_start = at;
        while run_start > 0 && is_version_char(s[run_start - 1]) {
            run_start -= 1;
        }
        let mut end = at;
        while end < s.len() && is_version_char(s[end]) {
            end += 1;
        }
        (run_start..=at.min(end.saturating_sub(1)))
            .find(|&p| {
                s[p].is_ascii_digit()
                    && (p == run_start || !s[p - 1].is_ascii_alphanumeric() || s[p - 1] == b'v')
                    && s[p..end].contains(&b'.')
                    && end - p <= 64
            })
            .map(|p| (p, end))
    };
    match (version_span(a), version_span(b)) {
        // the rest after the version must agree, so only the version changed
        (Some((_, end_a)), Some((_, end_b))) => a[end_a..] == b[end_b..] && !looks_like_date(a) && !looks_like_date(b),
        _ => false,
    }
}

fn looks_like_date(s: &[u8]) -> bool {
    let text = String::from_utf8_lossy(s);
    let tokens = tokens(&text);
    let marks = datetime_marks(&tokens);
    marks.iter().zip(&tokens).any(|(m, t)| *m && t.chars().all(|c| c.is_ascii_digit()))
}

/// Tokens: runs of ASCII letters, runs of ASCII digits, single other characters; whitespace
/// runs collapse to one " " token.
fn tokens(s: &str) -> Vec<&str> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let class = |c: u8| {
            if c.is_ascii_alphabetic() {
                1
            } else if c.is_ascii_digit() {
                2
            } else if c.is_ascii_whitespace() {
                3
            } else {
                0
            }
        };
        let k = class(bytes[i]);
        let mut j = i + 1;
        if k != 0 {
            while j < bytes.len() && class(bytes[j]) == k {
                j += 1;
            }
        } else {
            while j < bytes.len() && !s.is_char_boundary(j) {
                j += 1;
            }
        }
        out.push(if k == 3 { " " } else { &s[i..j] });
        i = j;
    }
    out
}

fn all_digits(t: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&t.len()) && t.bytes().all(|c| c.is_ascii_digit())
}

fn epoch_value(t: &str) -> Option<u64> {
    let v: u64 = match t.len() {
        10 if all_digits(t, 10, 10) => t.parse().ok()?,
        13 if all_digits(t, 13, 13) => t.parse::<u64>().ok()? / 1000,
        _ => return None,
    };
    (EPOCH_MIN..EPOCH_MAX).contains(&v).then_some(v)
}

/// Marks the tokens that belong to a date, time, month/weekday name, timezone or epoch.
fn datetime_marks(t: &[&str]) -> Vec<bool> {
    let n = t.len();
    let mut marks = vec![false; n];
    let get = |i: usize| t.get(i).copied().unwrap_or("");
    let mut i = 0;
    while i < n {
        // YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD
        if all_digits(get(i), 4, 4)
            && matches!(get(i + 1), "-" | "/" | ".")
            && all_digits(get(i + 2), 1, 2)
            && get(i + 3) == get(i + 1)
            && all_digits(get(i + 4), 1, 2)
        {
            marks[i..i + 5].iter_mut().for_each(|m| *m = true);
            i += 5;
            continue;
        }
        // HH:MM:SS[.frac]
        if all_digits(get(i), 1, 2) && get(i + 1) == ":" && all_digits(get(i + 2), 2, 2) && get(i + 3) == ":" && all_digits(get(i + 4), 2, 2) {
            let mut end = i + 5;
            if get(end) == "." && all_digits(get(end + 1), 1, 9) {
                end += 2;
            }
            // numeric zone: +0000 or +00:00
            if matches!(get(end), "+" | "-") && all_digits(get(end + 1), 2, 4) {
                end += 2;
                if get(end) == ":" && all_digits(get(end + 1), 2, 2) {
                    end += 2;
                }
            } else if get(end) == " " && matches!(get(end + 1), "+" | "-") && all_digits(get(end + 2), 4, 4) {
                end += 3;
            }
            marks[i..end].iter_mut().for_each(|m| *m = true);
            i = end;
            continue;
        }
        if epoch_value(get(i)).is_some() {
            marks[i] = true;
        }
        let word = get(i);
        if MONTHS.contains(&word) || WEEKDAYS.contains(&word) || TIMEZONES.contains(&word) {
            marks[i] = true;
        }
        i += 1;
    }
    // day numbers and years next to a month name or a time ("Jan  2", "02 Jan 2024", "15:04:05 2006")
    let anchors = marks.clone();
    for i in 0..n {
        let is_num = all_digits(t[i], 1, 2) || (all_digits(t[i], 4, 4) && (t[i] >= "1970" && t[i] <= "2099"));
        if !is_num || marks[i] {
            continue;
        }
        let near_mark = |j: Option<usize>| j.is_some_and(|j| j < n && anchors[j]);
        let before = i.checked_sub(1).and_then(|j| if t[j] == " " || t[j] == "," { j.checked_sub(1) } else { Some(j) });
        let after = if get(i + 1) == " " || get(i + 1) == "," { Some(i + 2) } else { Some(i + 1) };
        if near_mark(before) || near_mark(after) {
            marks[i] = true;
        }
    }
    marks
}

/// True when `a` and `b` have the same token structure and every differing token is part of a
/// date/time in both, with epoch-ish numbers close to each other.
pub fn differs_only_in_datetime(a: &str, b: &str) -> bool {
    let ta = tokens(a);
    let tb = tokens(b);
    if ta.len() != tb.len() || ta.len() > 4096 {
        return false;
    }
    let ma = datetime_marks(&ta);
    let mb = datetime_marks(&tb);
    let mut any = false;
    for i in 0..ta.len() {
        if ta[i] == tb[i] {
            continue;
        }
        if !(ma[i] && mb[i]) {
            return false;
        }
        if let (Some(x), Some(y)) = (epoch_value(ta[i]), epoch_value(tb[i])) {
            if x.abs_diff(y) > EPOCH_NEAR {
                return false;
            }
        }
        any = true;
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_common_shapes() {
        let t = Some(SignalKind::EmbeddedTimestamp);
        assert_eq!(classify_pair("built 2024-01-02T03:04:05Z ok", "built 2024-02-03T10:11:12Z ok"), t);
        assert_eq!(classify_pair("Mon Jan  2 15:04:05 2006", "Tue Jan  3 16:05:06 2007"), t);
        assert_eq!(classify_pair("Date: Tue, 02 Jan 2024 15:04:05 +0000", "Date: Wed, 03 Jan 2024 09:00:00 +0000"), t);
        assert_eq!(classify_pair("SOURCE_DATE_EPOCH=1700000000", "SOURCE_DATE_EPOCH=1700003600"), t);
        assert_eq!(classify_pair("at 12:00:00.123+01:00", "at 13:30:59.999+01:00"), t);
        // epochs far apart are not "near each other"
        assert_eq!(classify_pair("id 1000000000", "id 4000000000"), None);
        // a plain number change is not a timestamp
        assert_eq!(classify_pair("port=8080", "port=9090"), None);
    }

    #[test]
    fn versions_paths_and_whitespace() {
        let v = Some(SignalKind::VersionChange);
        assert_eq!(classify_pair("Version: 1.2.3-1ubuntu1", "Version: 1.2.4-1ubuntu1"), v);
        assert_eq!(classify_pair("  \"version\": \"1.0.0\",", "  \"version\": \"1.0.1\","), v);
        assert_eq!(classify_pair("requests==2.31.0", "requests==2.32.1"), v);
        assert_eq!(classify_pair("libfoo-1.2.3.so", "libfoo-1.2.4.so"), v);
        let e = Some(SignalKind::BuildEnvironment);
        assert_eq!(classify_pair("src=/home/alice/proj/main.c", "src=/home/bob/proj/main.c"), e);
        assert_eq!(classify_pair("cwd /tmp/tmp.AbC123/x", "cwd /tmp/tmp.zYx987/x"), e);
        assert_eq!(classify_pair("BUILD_HOST=ci-runner-7", "BUILD_HOST=laptop"), e);
        assert_eq!(classify_pair("a  b\t", "a b"), Some(SignalKind::OnlyWhitespace));
        assert_eq!(classify_pair("hello world", "goodbye world"), None);
    }
}
