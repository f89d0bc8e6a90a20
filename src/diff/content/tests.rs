//! Tests of the content comparators on real content: generated fixtures (see
//! tests/fixtures/generated/README.md) and the EIF fixtures' customer ramdisks.

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/", $name)).as_slice()
    };
}

fn check(name: &str, a: &[u8], b: &[u8]) -> ContentDiff {
    let diff = compare_contents(name.as_bytes(), a, b, &Limits::default());
    // the report model survives a JSON round trip unchanged
    let json = serde_json::to_string(&diff).unwrap();
    let back: ContentDiff = serde_json::from_str(&json).unwrap();
    assert_eq!(back, diff);
    diff
}

fn kinds(diff: &ContentDiff) -> Vec<(SignalKind, bool)> {
    diff.signals.iter().map(|s| (s.kind, s.explains_all)).collect()
}

fn text(node: &DiffNode) -> &TextDiff {
    match &node.payload {
        Payload::Text(t) => t,
        other => panic!("expected text payload, got {other:?}"),
    }
}

fn archive(node: &DiffNode) -> &ArchiveDiff {
    match &node.payload {
        Payload::Archive(a) => a,
        other => panic!("expected archive payload, got {other:?}"),
    }
}

fn child<'a>(node: &'a DiffNode, title: &str) -> &'a DiffNode {
    node.children.iter().find(|c| c.title == title).unwrap_or_else(|| panic!("no child {title} in {node:#?}"))
}

fn line(tag: LineTag, old: Option<u64>, new: Option<u64>, text: &str, hl: &[[u64; 2]]) -> DiffLine {
    DiffLine { tag, old_line: old, new_line: new, text: text.to_string(), highlights: hl.to_vec(), no_newline: false }
}

#[test]
fn equal_inputs_return_identical_at_once() {
    let d = check("x", b"same", b"same");
    assert!(d.identical);
    assert_eq!(d.root.kind, ComparatorKind::Identical);
    assert_eq!((d.root.size_a, d.root.children.len(), d.signals.len()), (4, 0, 0));
}

#[test]
fn text_hunk_with_context_and_intraline_highlights() {
    let a = "one\ntwo\nthree\nport=8080 mode=prod\nfive\nsix\nseven\neight\n";
    let b = "one\ntwo\nthree\nport=8080 mode=test\nfive\nsix\nseven\neight\n";
    let d = check("app.conf", a.as_bytes(), b.as_bytes());
    assert_eq!(d.root.kind, ComparatorKind::Text);
    let t = text(&d.root);
    assert_eq!((t.lines_a, t.lines_b, t.added_lines, t.removed_lines), (8, 8, 1, 1));
    assert_eq!(t.hunks.len(), 1);
    let h = &t.hunks[0];
    assert_eq!((h.old_start, h.old_len, h.new_start, h.new_len), (1, 7, 1, 7));
    use LineTag::*;
    assert_eq!(
        h.lines,
        vec![
            line(Context, Some(1), Some(1), "one", &[]),
            line(Context, Some(2), Some(2), "two", &[]),
            line(Context, Some(3), Some(3), "three", &[]),
            line(Removed, Some(4), None, "port=8080 mode=prod", &[[10, 19]]),
            line(Added, None, Some(4), "port=8080 mode=test", &[[10, 19]]),
            line(Context, Some(5), Some(5), "five", &[]),
            line(Context, Some(6), Some(6), "six", &[]),
            line(Context, Some(7), Some(7), "seven", &[]),
        ]
    );
    assert_eq!((t.omitted_hunks, t.omitted_lines), (0, 0));
    assert!(d.signals.is_empty(), "{:?}", d.signals);
}

#[test]
fn long_diff_reports_exact_omitted_counts() {
    // 1000 lines, every 10th changed: 100 separate hunks (gaps of 9 > 2 × 3 context lines)
    let a: String = (0..1000).map(|i| format!("line {i}\n")).collect();
    let b: String = (0..1000).map(|i| if i % 10 == 5 { format!("LINE {i}\n") } else { format!("line {i}\n") }).collect();
    let d = check("big.txt", a.as_bytes(), b.as_bytes());
    let t = text(&d.root);
    assert_eq!((t.added_lines, t.removed_lines), (100, 100));
    assert_eq!(t.hunks.len(), 50);
    assert_eq!((t.omitted_hunks, t.omitted_lines), (50, 100));
    assert_eq!(t.hunks[49].old_start, 10 * 49 + 5 - 3 + 1);
    assert!(d.root.comments.contains(&"100 more changed lines not shown (50 hunks omitted)".to_string()));

    // a line budget cuts inside a hunk and says how many changed lines it cut
    let mut opts = ContentOptions::from_limits(&Limits::default());
    opts.max_hunk_lines = 10; // hunk 1 has 8 lines, hunk 2 gets 2 (context only)
    let d = compare_contents_with(b"big.txt", a.as_bytes(), b.as_bytes(), &opts);
    let t = text(&d.root);
    assert_eq!(t.hunks.len(), 2);
    assert_eq!(t.hunks[0].lines.len(), 8);
    assert_eq!((t.hunks[1].lines.len(), t.hunks[1].omitted_lines), (2, 2));
    assert_eq!((t.omitted_hunks, t.omitted_lines), (98, 2 + 98 * 2));
    let shown: u64 = t.hunks.iter().flat_map(|h| &h.lines).filter(|l| l.tag != LineTag::Context).count() as u64;
    assert_eq!(shown + t.omitted_lines, t.added_lines + t.removed_lines);
}

#[test]
fn text_signals_timestamp_version_environment() {
    let a = "Built: Mon Jan  2 15:04:05 2006\nVersion: 1.2.3\nsrc=/home/alice/x.c\nsame\n";
    let b = "Built: Tue Jan  3 16:05:06 2007\nVersion: 1.2.4\nsrc=/home/bob/x.c\nsame\n";
    let d = check("info.txt", a.as_bytes(), b.as_bytes());
    assert_eq!(
        kinds(&d),
        vec![
            (SignalKind::EmbeddedTimestamp, false),
            (SignalKind::VersionChange, false),
            (SignalKind::BuildEnvironment, false)
        ]
    );
    assert_eq!(
        d.signals[0].evidence,
        "1 of 3 changed line pairs differ only in date/time tokens; e.g. line 1 -> 1: `Built: Mon Jan  2 15:04:05 2006` -> `Built: Tue Jan  3 16:05:06 2007`"
    );
    assert_eq!(d.signals[0].location, vec!["info.txt".to_string()]);

    let d = check("dpkg/status", b"Package: libc6\nVersion: 2.36-9\n", b"Package: libc6\nVersion: 2.36-9+deb12u4\n");
    assert_eq!(kinds(&d), vec![(SignalKind::VersionChange, true)]);

    let d = check("a.txt", b"x  y\nz\n", b"x y\nz\n\n");
    assert_eq!(kinds(&d), vec![(SignalKind::OnlyWhitespace, true)]);
}

#[test]
fn json_paths_and_version_signal() {
    let a = br#"{"name":"app","version":"1.0.0","dependencies":{"foo":"^1.2.3","gone":"1.0.0"}}"#;
    let b = br#"{"name":"app","version":"1.0.1","dependencies":{"foo":"^1.3.0","@scope/bar":"2.0.0"}}"#;
    let d = check("package.json", a, b);
    assert_eq!(d.root.kind, ComparatorKind::Json);
    let Payload::Json(j) = &d.root.payload else { panic!() };
    let paths: Vec<(&str, Option<&str>, Option<&str>)> =
        j.changed_paths.iter().map(|c| (c.path.as_str(), c.a.as_deref(), c.b.as_deref())).collect();
    assert_eq!(
        paths,
        vec![
            ("$.version", Some("\"1.0.0\""), Some("\"1.0.1\"")),
            ("$.dependencies.foo", Some("\"^1.2.3\""), Some("\"^1.3.0\"")),
            ("$.dependencies.gone", Some("\"1.0.0\""), None),
            ("$.dependencies[\"@scope/bar\"]", None, Some("\"2.0.0\"")),
        ]
    );
    // pretty-printed line diff: "version" is line 3
    let removed: Vec<&str> = j.text.hunks[0].lines.iter().filter(|l| l.tag == LineTag::Removed).map(|l| l.text.as_str()).collect();
    assert_eq!(removed, vec!["  \"version\": \"1.0.0\",", "    \"foo\": \"^1.2.3\",", "    \"gone\": \"1.0.0\""]);
    assert_eq!(kinds(&d), vec![(SignalKind::VersionChange, false)]);
    assert!(d.signals[0].evidence.starts_with("2 of 4 changed json values differ only in version numbers; e.g. $.version"));

    // equal as values, different formatting
    let d = check("x.json", b"{\"a\": [1, 2]}", b"{\n  \"a\": [1,2]\n}\n");
    assert_eq!(kinds(&d), vec![(SignalKind::OnlyWhitespace, true)]);
}

#[test]
fn hostile_bytes_stay_data_and_names_are_escaped() {
    let name = b"<script>\xff.txt";
    let d = check(std::str::from_utf8(b"x").unwrap(), b"<script>alert(1)</script>\n", b"<script>alert(2)</script>\n");
    assert_eq!(text(&d.root).hunks[0].lines[0].text, "<script>alert(1)</script>");
    let d = compare_contents(name, b"a\xff\x00\x01", b"a\xfe\x00\x01", &Limits::default());
    assert_eq!(d.root.title, "<script>\\xff.txt");
    assert_eq!(d.root.name, name.to_vec());
    assert_eq!(d.root.kind, ComparatorKind::Binary);
    assert_eq!(d.root.comments[0], "fell back to binary: a is not valid UTF-8 (first invalid byte at offset 0x1)");
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains(r#""name":"<script>\\xff.txt""#), "{json}");
    let back: ContentDiff = serde_json::from_str(&json).unwrap();
    assert_eq!(back.root.name, name.to_vec());
}

#[test]
fn binary_diff_offsets_from_real_elf_bytes_when_text_limit_hit() {
    // over MAX_TEXT_DIFF_BYTES: no line diff, a bounded byte diff instead, and it says so
    let a = vec![b'a'; MAX_TEXT_DIFF_BYTES + 1];
    let mut b = a.clone();
    b[4096 + 7] = b'b';
    let d = check("huge.txt", &a, &b);
    assert_eq!(d.root.kind, ComparatorKind::Binary);
    assert!(d.root.comments[0].starts_with("fell back to binary: line diff skipped:"), "{:?}", d.root.comments);
    let Payload::Binary(bin) = &d.root.payload else { panic!() };
    assert_eq!((bin.differing_bytes, bin.differing_rows, bin.common_prefix), (1, 1, 4103));
    assert_eq!(bin.regions[0].offset, 4096 - 32);
    assert_eq!(bin.regions[0].rows[2].offset, 4096);
    assert_eq!(bin.regions[0].rows[2].changed, vec![7]);
}

#[test]
fn elf_build_id_only() {
    let d = check("hello", fixture!("generated/hello-id1.elf"), fixture!("generated/hello-id2.elf"));
    assert_eq!(d.root.kind, ComparatorKind::Elf, "{:?}", d.root.comments);
    let Payload::Elf(e) = &d.root.payload else { panic!() };
    assert_eq!(e.build_id_a.as_deref(), Some("1111111111111111111111111111111111111111"));
    assert_eq!(e.build_id_b.as_deref(), Some("2222222222222222222222222222222222222222"));
    assert_eq!(e.sections.len(), 1);
    assert_eq!(e.sections[0].name, ".note.gnu.build-id");
    assert_eq!(e.sections[0].a.as_ref().map(|s| s.size), Some(0x24));
    assert_eq!(e.unchanged_sections, 6); // object skips the null section
    assert!(e.header_changes.is_empty());
    assert_eq!((e.header_a.class.as_str(), e.header_a.machine.as_str(), e.header_a.file_type.as_str()), ("elf64", "x86_64", "executable"));
    assert_eq!(kinds(&d), vec![(SignalKind::BuildIdOnly, true)]);
    assert_eq!(
        d.signals[0].evidence,
        "all sections equal except .note.gnu.build-id: 1111111111111111111111111111111111111111 -> 2222222222222222222222222222222222222222"
    );
}

#[test]
fn elf_symbols_and_sections() {
    let d = check("hello", fixture!("generated/hello-id1.elf"), fixture!("generated/hello-v2.elf"));
    let Payload::Elf(e) = &d.root.payload else { panic!() };
    assert_eq!(e.symbols_added, vec!["extra_counter", "extra_helper", "hello2.c"]);
    assert_eq!(e.symbols_removed, vec!["hello.c"]);
    let names: Vec<&str> = e.sections.iter().map(|s| s.name.as_str()).collect();
    // a's order, then sections only in b; the build-id note moved but its data is equal
    assert_eq!(names, vec![".text", ".rodata", ".symtab", ".strtab", ".shstrtab", ".bss"]);
    let bss = &e.sections[5];
    assert_eq!((bss.a.is_none(), bss.b.as_ref().map(|s| s.size)), (true, Some(4)));
    assert_eq!(e.sections[0].b.as_ref().map(|s| s.size), Some(0x2c));
    assert_eq!(e.header_changes, vec![FieldChange::new("entry", "0x401000", "0x401007")]);
    assert!(!d.has_signal(SignalKind::BuildIdOnly));
}

#[test]
fn gzip_header_mtime_only() {
    let d = check("build.txt.gz", fixture!("generated/mtime-a.txt.gz"), fixture!("generated/mtime-b.txt.gz"));
    assert_eq!(d.root.kind, ComparatorKind::Gzip);
    let Payload::Gzip(g) = &d.root.payload else { panic!() };
    assert_eq!(g.header_a.fname.as_deref(), Some(&b"build.txt"[..]));
    assert_eq!((g.header_a.os, g.header_a.xfl, g.header_a.isize), (255, 2, 26));
    assert_eq!(
        g.header_changes,
        vec![FieldChange::new("mtime", "1700000000 (2023-11-14T22:13:20Z)", "1700003600 (2023-11-14T23:13:20Z)")]
    );
    assert!(!g.content_differs);
    assert!(d.root.children.is_empty());
    assert_eq!(kinds(&d), vec![(SignalKind::EmbeddedTimestamp, true)]);
    assert_eq!(d.signals[0].evidence, "gzip header mtime 1700000000 (2023-11-14T22:13:20Z) -> 1700003600 (2023-11-14T23:13:20Z)");
}

#[test]
fn tar_listing_and_member_diff() {
    let d = check("app.tar", fixture!("generated/app-a.tar"), fixture!("generated/app-b.tar"));
    assert_eq!(d.root.kind, ComparatorKind::Tar);
    let t = archive(&d.root);
    assert_eq!((t.entries_a, t.entries_b, t.unchanged), (3, 3, 0));
    assert_eq!(t.removed.iter().map(|e| e.name.as_slice()).collect::<Vec<_>>(), vec![b"only-a.txt"]);
    assert_eq!(t.added.iter().map(|e| e.name.as_slice()).collect::<Vec<_>>(), vec![b"only-b.txt"]);
    assert_eq!(t.added[0].mode, Some(0o644));
    assert_eq!(t.changed.len(), 2);
    assert_eq!((t.changed[0].name.as_slice(), t.changed[0].content_differs), (&b"etc/app.conf"[..], true));
    assert!(t.changed[0].fields.is_empty());
    assert_eq!(
        t.changed[1].fields,
        vec![
            FieldChange::new("uid", "0", "1000"),
            FieldChange::new("mtime", "1700000000 (2023-11-14T22:13:20Z)", "1700086400 (2023-11-15T22:13:20Z)"),
        ]
    );
    let conf = child(&d.root, "etc/app.conf");
    let removed: Vec<_> = text(conf).hunks[0].lines.iter().filter(|l| l.tag == LineTag::Removed).collect();
    assert_eq!((removed[0].text.as_str(), removed[0].highlights.clone()), ("port=8080", vec![[0, 9]]));
    assert_eq!(d.root.children.len(), 1);
    assert_eq!(kinds(&d), vec![(SignalKind::EmbeddedTimestamp, false), (SignalKind::BuildEnvironment, false)]);
    assert_eq!(
        d.signals[0].evidence,
        "entry times differ on 1 of 4 changed entries; e.g. usr/VERSION: mtime 1700000000 (2023-11-14T22:13:20Z) -> 1700086400 (2023-11-15T22:13:20Z)"
    );
}

#[test]
fn zip_dos_times_and_nested_version() {
    let d = check("demo.whl", fixture!("generated/demo-a.zip"), fixture!("generated/demo-b.zip"));
    assert_eq!(d.root.kind, ComparatorKind::Zip);
    let z = archive(&d.root);
    assert_eq!(z.changed.len(), 2);
    let data = &z.changed[1];
    assert_eq!((data.name.as_slice(), data.content_differs), (&b"lib/data.bin"[..], false));
    assert_eq!(data.fields, vec![FieldChange::new("dos_time", "2024-01-02 03:04:06", "2024-05-06 07:08:10")]);
    let meta = &z.changed[0];
    assert!(meta.content_differs);
    assert!(meta.fields.iter().any(|f| f.field == "crc32"));
    let m = child(&d.root, "lib/METADATA");
    let lines: Vec<_> = text(m).hunks[0].lines.iter().filter(|l| l.tag != LineTag::Context).map(|l| l.text.as_str()).collect();
    assert_eq!(lines, vec!["Version: 1.2.3", "Version: 1.2.4"]);
    assert_eq!(
        kinds(&d),
        vec![(SignalKind::VersionChange, true), (SignalKind::EmbeddedTimestamp, false)]
    );
    assert_eq!(d.signals[0].location, vec!["demo.whl".to_string(), "lib/METADATA".to_string()]);
}

#[test]
fn pyc_source_mtime_only() {
    let d = check("mod.pyc", fixture!("generated/mod-a.pyc"), fixture!("generated/mod-b.pyc"));
    assert_eq!(d.root.kind, ComparatorKind::Pyc);
    let Payload::Pyc(p) = &d.root.payload else { panic!() };
    assert_eq!((p.header_a.magic, p.header_a.python.as_str(), p.header_a.flags), (3495, "3.11", 0));
    assert_eq!(p.header_a.source_size, Some(19));
    assert_eq!(
        p.header_changes,
        vec![FieldChange::new("source_mtime", "1700000000 (2023-11-14T22:13:20Z)", "1700003600 (2023-11-14T23:13:20Z)")]
    );
    assert!(!p.code_differs && d.root.children.is_empty());
    assert_eq!(kinds(&d), vec![(SignalKind::EmbeddedTimestamp, true)]);
}

/// A gzip member around `data` with a hand-written header (mtime 0, OS unix, no name).
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3];
    out.extend(miniz_oxide::deflate::compress_to_vec(data, 9));
    out.extend(crc32fast::hash(data).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}

#[test]
fn nested_tar_gz_and_depth_cap() {
    let (a, b) = (gzip(fixture!("generated/app-a.tar")), gzip(fixture!("generated/app-b.tar")));
    let d = check("app.tar.gz", &a, &b);
    assert_eq!(d.root.kind, ComparatorKind::Gzip);
    assert!(d.root.comments.is_empty(), "{:?}", d.root.comments);
    let tar = child(&d.root, "app.tar");
    assert_eq!(tar.kind, ComparatorKind::Tar);
    assert_eq!(child(tar, "etc/app.conf").kind, ComparatorKind::Text);
    assert_eq!(d.signals[0].location, vec!["app.tar.gz".to_string(), "app.tar".to_string()]);

    let limits = Limits { max_nesting_depth: 1, ..Limits::default() };
    let d = compare_contents(b"app.tar.gz", &a, &b, &limits);
    let tar = child(&d.root, "app.tar");
    assert_eq!(tar.kind, ComparatorKind::Binary);
    assert_eq!(tar.comments[0], "tar not opened: nesting depth limit 1 reached; compared as bytes");
}

#[test]
fn cpio_gz_customer_ramdisks_match_expected_diffs() {
    let d = check("ramdisk1.cpio.gz", fixture!("basic-customer-a.cpio.gz"), fixture!("basic-customer-b.cpio.gz"));
    let cpio = &d.root.children[0];
    assert_eq!(cpio.kind, ComparatorKind::Cpio);
    let c = archive(cpio);
    let names = |v: &[ArchiveEntry]| v.iter().map(|e| escape_bytes(&e.name)).collect::<Vec<_>>();
    assert_eq!(names(&c.added), vec!["rootfs/etc/added.txt"]);
    assert_eq!(names(&c.removed), vec!["rootfs/etc/removed.txt"]);
    // expected-diffs.json "raw_changed_paths" (inode renumbering touches a few headers)
    let changed: Vec<String> = c.changed.iter().map(|e| escape_bytes(&e.name)).collect();
    assert_eq!(
        changed,
        vec![
            "rootfs/etc/app.conf",
            "rootfs/etc/group",
            "rootfs/etc/hostname",
            "rootfs/etc/hosts",
            "rootfs/etc/os-release",
            "rootfs/etc/passwd",
            "rootfs/usr/bin/hello",
            "rootfs/usr/local/bin/start.sh"
        ]
    );
    let field = |name: &str, f: &str| {
        c.changed.iter().find(|e| e.name == name.as_bytes()).unwrap().fields.iter().find(|x| x.field == f).cloned()
    };
    assert_eq!(field("rootfs/usr/local/bin/start.sh", "mode"), Some(FieldChange::new("mode", "755", "700")));
    assert_eq!(field("rootfs/usr/bin/hello", "mtime").unwrap().b, "1700086400 (2023-11-15T22:13:20Z)");
    assert!(!c.order_differs);
    let conf = child(cpio, "rootfs/etc/app.conf");
    let lines: Vec<_> = text(conf).hunks[0].lines.iter().map(|l| (l.tag, l.text.as_str())).collect();
    assert_eq!(
        lines,
        vec![(LineTag::Context, "listen=0.0.0.0:8080"), (LineTag::Removed, "mode=prod"), (LineTag::Added, "mode=test")]
    );
    assert_eq!(cpio.children.len(), 1, "only app.conf's content differs");
}

#[test]
fn hostile_containers_fall_back_without_panicking() {
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        ("x.gz", vec![0x1f, 0x8b, 8, 0xff, 0, 0], vec![0x1f, 0x8b, 8, 8, 1, 2, 3, 4, 5, 6, b'a']),
        ("x.zip", b"PK\x03\x04garbagePK\x05\x06\0\0\0\0\x01\0\x01\0\xff\xff\xff\x00\x10\x00\x00\x00\0\0".to_vec(), b"PK\x05\x06".to_vec()),
        ("x", b"\x7fELF\x02\x01\x01".to_vec(), b"\x7fELF\x01\x02".to_vec()),
        ("x.cpio", b"070701zzzzzzzz".to_vec(), b"07070100000000ffffffff".repeat(8)),
        ("x.pyc", b"\xa7\r\r\n".to_vec(), b"\xa7\r\r\n\0\0\0\0\x01".to_vec()),
    ];
    for (name, a, b) in cases {
        let d = check(name, &a, &b);
        assert_eq!(d.root.kind, ComparatorKind::Binary, "{name}: {:?}", d.root);
        assert!(d.root.comments[0].starts_with("fell back to binary: "), "{name}: {:?}", d.root.comments);
    }
    // a truncated tar (header claims more data than present) keeps its partial listing
    let mut t = fixture!("generated/app-a.tar")[..1024].to_vec();
    t[124..136].copy_from_slice(b"77777777777\0");
    t[148..156].copy_from_slice(b"        ");
    let sum: u32 = t[..512].iter().map(|&c| u32::from(c)).sum();
    t[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let d = check("t.tar", fixture!("generated/app-a.tar"), &t);
    assert!(d.root.comments.iter().any(|c| c.contains("exceeds remaining")), "{:?}", d.root.comments);
}

#[test]
fn wrong_kind_pairs_say_so() {
    let d = check("x", fixture!("generated/mtime-a.txt.gz"), b"plain text\n");
    assert_eq!(d.root.comments[0], "a looks like gzip, b like other: compared without a format comparator");
    assert_eq!(d.root.kind, ComparatorKind::Binary);
}

/// The whole report model for a nested tar.gz pair, as a presenter would receive it.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn snapshot_nested_tar_gz_model() {
    let (a, b) = (gzip(fixture!("generated/app-a.tar")), gzip(fixture!("generated/app-b.tar")));
    let d = check("app.tar.gz", &a, &b);
    insta::assert_json_snapshot!("nested_tar_gz", d);
}

#[test]
fn huge_inputs_stay_bounded_with_exact_counts() {
    // 4 MiB where every byte differs: one region, 256 rows shown, the rest counted
    let a = vec![0u8; 4 << 20];
    let b = vec![1u8; 4 << 20];
    let d = check("blob.bin", &a, &b);
    let Payload::Binary(bin) = &d.root.payload else { panic!() };
    assert_eq!((bin.differing_rows, bin.differing_bytes), (1 << 18, 4 << 20));
    assert_eq!(bin.regions.len(), 1);
    assert_eq!(bin.regions[0].rows.len(), 256);
    assert_eq!((bin.omitted_rows, bin.omitted_regions), ((1 << 18) - 256, 0));

    // two unrelated 50 000-line texts: the line diff would be quadratic, so it is skipped
    let a: String = (0..50_000).map(|i| format!("a{i}\n")).collect();
    let b: String = (0..50_000).map(|i| format!("b{i}\n")).collect();
    let d = check("log.txt", a.as_bytes(), b.as_bytes());
    assert_eq!(d.root.kind, ComparatorKind::Binary);
    assert_eq!(
        d.root.comments[0],
        "fell back to binary: line diff skipped: estimated cost 10000000000 (100000 distinct changed lines) exceeds 200000000"
    );
}
