//! Ramdisk, compression and cpio decoding against the published fixtures (README tables,
//! describe-eif layouts, expected-diffs.json) and hand-built archives.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use eifscope::formats::compression::{self, LevelHint, Sniffed};
use eifscope::formats::cpio::{CpioFormat, CpioModel, CpioParser, EntryKind};
use eifscope::formats::compression::Checkpoints;
use eifscope::formats::ramdisk::{
    fetch_entries, fetch_entries_seeking, parse_ramdisk, parse_ramdisk_bytes, parse_ramdisk_indexed, Ramdisk, RamdiskErrorKind,
};
use eifscope::source::SliceSource;
use eifscope::limits::Limits;

const CUSTOMER_A: &[u8] = include_bytes!("fixtures/basic-customer-a.cpio.gz");
const CUSTOMER_B: &[u8] = include_bytes!("fixtures/basic-customer-b.cpio.gz");
const README: &str = include_str!("fixtures/README.md");
const DIFFS: &str = include_str!("fixtures/expected-diffs.json");
const CUSTOMER_A_XZ: &[u8] = include_bytes!("fixtures/generated/basic-customer-a.cpio.xz");
const CUSTOMER_A_XZ64: &[u8] = include_bytes!("fixtures/generated/basic-customer-a.crc64.cpio.xz");
const CUSTOMER_A_ZST: &[u8] = include_bytes!("fixtures/generated/basic-customer-a.cpio.zst");
const ZEROS_GZ: &[u8] = include_bytes!("fixtures/generated/zeros-100m.gz");

const EIFS: &[(&str, &[u8], &str)] = &[
    ("basic-a", include_bytes!("fixtures/basic-a.eif"), include_str!("fixtures/basic-a.describe.json")),
    ("basic-b", include_bytes!("fixtures/basic-b.eif"), include_str!("fixtures/basic-b.describe.json")),
    ("nogz-a", include_bytes!("fixtures/nogz-a.eif"), include_str!("fixtures/nogz-a.describe.json")),
    ("nogz-b", include_bytes!("fixtures/nogz-b.eif"), include_str!("fixtures/nogz-b.describe.json")),
    ("single-a", include_bytes!("fixtures/single-a.eif"), include_str!("fixtures/single-a.describe.json")),
    ("single-b", include_bytes!("fixtures/single-b.eif"), include_str!("fixtures/single-b.describe.json")),
    ("multi", include_bytes!("fixtures/multi.eif"), include_str!("fixtures/multi.describe.json")),
    ("signed", include_bytes!("fixtures/signed.eif"), include_str!("fixtures/signed.describe.json")),
];

#[derive(Debug)]
struct Row {
    rd: u32,
    name: String,
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    mtime: u64,
    filesize: u64,
    rdev: (u32, u32),
    ino: u64,
}

/// The "Ramdisk entries of basic-a.eif" table of the fixtures README.
fn readme_rows() -> Vec<Row> {
    let section = README.split("## Ramdisk entries of basic-a.eif").nth(1).expect("section");
    let section = section.split("\n## ").next().unwrap();
    let mut rows = Vec::new();
    for line in section.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 11 || !cells[1].chars().all(|c| c.is_ascii_digit()) || cells[1].is_empty() {
            continue;
        }
        let pair = |s: &str| {
            let (a, b) = s.split_once(':').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        };
        let (uid, gid) = pair(cells[4]);
        rows.push(Row {
            rd: cells[1].parse().unwrap(),
            name: cells[2].trim_matches('`').to_string(),
            mode: u32::from_str_radix(cells[3], 8).unwrap(),
            uid,
            gid,
            nlink: cells[5].parse().unwrap(),
            mtime: cells[6].parse().unwrap(),
            filesize: cells[7].parse().unwrap(),
            rdev: pair(cells[8]),
            ino: cells[9].parse().unwrap(),
        });
    }
    assert_eq!(rows.len(), 39, "README table rows");
    rows
}

fn assert_matches_rows(rd: &Ramdisk, rows: &[&Row]) {
    assert_eq!(rd.entries.len(), rows.len(), "entry count");
    for (e, r) in rd.entries.iter().zip(rows) {
        let what = &r.name;
        assert_eq!(e.name_escaped(), r.name);
        assert_eq!(e.mode, r.mode, "{what} mode");
        assert_eq!((e.uid, e.gid), (r.uid, r.gid), "{what} uid:gid");
        assert_eq!(e.nlink, r.nlink, "{what} nlink");
        assert_eq!(e.mtime, r.mtime, "{what} mtime");
        assert_eq!(e.filesize, r.filesize, "{what} filesize");
        assert_eq!((e.rdev_major, e.rdev_minor), r.rdev, "{what} rdev");
        assert_eq!(e.ino, r.ino, "{what} ino");
        assert_eq!((e.dev_major, e.dev_minor), (0, 0), "{what} dev");
        assert_eq!(e.format, CpioFormat::Newc);
    }
}

fn entry<'a>(rd: &'a Ramdisk, name: &str) -> &'a eifscope::formats::cpio::CpioEntry {
    rd.entries.iter().find(|e| e.name == name.as_bytes()).unwrap_or_else(|| panic!("no entry {name}"))
}

fn blake3_of(data: &[u8]) -> [u8; 32] {
    blake3::hash(data).into()
}

fn no_error_diagnostics(rd: &Ramdisk) {
    assert_eq!(rd.error, None);
    for d in &rd.diagnostics {
        assert_ne!(d.severity, eifscope::diagnostics::Severity::Error, "{d}");
    }
}

#[test]
fn customer_a_matches_readme_table() {
    let rd = parse_ramdisk_bytes(CUSTOMER_A, &Limits::default());
    no_error_diagnostics(&rd);
    let rows = readme_rows();
    let customer: Vec<&Row> = rows.iter().filter(|r| r.rd == 1).collect();
    assert_matches_rows(&rd, &customer);

    // one gzip -9 -n member, one archive with a trailer
    assert_eq!(rd.layers.len(), 1);
    let layer = &rd.layers[0];
    assert_eq!(layer.format, Sniffed::Gzip);
    assert_eq!(layer.compressed_len, CUSTOMER_A.len() as u64);
    assert_eq!(layer.decompressed_len, 6656);
    assert_eq!((layer.crc_ok, layer.isize_ok), (Some(true), Some(true)));
    let gz = layer.gzip.as_ref().unwrap();
    assert_eq!((gz.mtime, gz.xfl, gz.os, gz.flags), (0, 2, 3, 0));
    assert_eq!(gz.level_hint, LevelHint::Best);
    assert_eq!(gz.name, None);
    assert_eq!(rd.archives.len(), 1);
    assert!(rd.archives[0].trailer_offset.is_some());
    assert_eq!(rd.decompressed_len, 6656);

    // hard-link pair: data only with the last name, both get the group's content
    let hl = entry(&rd, "rootfs/app/data/greeting-hardlink.txt");
    let g = entry(&rd, "rootfs/app/data/greeting.txt");
    assert_eq!(hl.data_blake3, blake3_of(b""));
    // BLAKE3 of nothing, the published test vector.
    assert_eq!(hex::encode(hl.data_blake3), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
    assert_eq!(hl.content_blake3, g.data_blake3);
    assert_eq!(g.content_blake3, blake3_of(g.data.as_deref().unwrap()));
    assert_eq!(hl.data, g.data);
    assert_eq!(g.data.as_ref().unwrap().len(), 23);
    assert!(hl.link_group.is_some() && hl.link_group == g.link_group);
    assert_eq!(rd.n_link_groups, 1);
    assert_eq!(entry(&rd, "rootfs/etc/app.conf").link_group, None);

    // special files
    let null = entry(&rd, "rootfs/dev/null");
    assert_eq!((null.kind, null.rdev_major, null.rdev_minor, null.permissions()), (EntryKind::CharDevice, 1, 3, 0o666));
    assert_eq!(entry(&rd, "rootfs/run/ctl.fifo").kind, EntryKind::Fifo);
    assert_eq!(entry(&rd, "rootfs/tmp").permissions(), 0o1777);
    for (link, target) in [
        ("rootfs/app/data/app.conf", "../../etc/app.conf"),
        ("rootfs/bin", "usr/bin"),
        ("rootfs/usr/local/bin/hello", "/usr/bin/hello"),
    ] {
        let e = entry(&rd, link);
        assert_eq!(e.kind, EntryKind::Symlink);
        assert_eq!(e.symlink_target.as_deref(), Some(target.as_bytes()), "{link}");
    }
    assert_eq!(entry(&rd, "rootfs/etc/app.conf").data.as_deref(), Some(&b"listen=0.0.0.0:8080\nmode=prod\n"[..]));
    assert_eq!(entry(&rd, "rootfs/usr/bin/hello").data.as_ref().map(Vec::len), Some(824));

    // the model serializes with escaped names and hex digests
    let json = serde_json::to_value(&rd).unwrap();
    assert_eq!(json["entries"][0]["name"], "cmd");
    assert_eq!(json["entries"][0]["data_blake3"].as_str().unwrap().len(), 64);
    let back: Ramdisk = serde_json::from_value(json).unwrap();
    assert_eq!(back, rd);
}

/// Ramdisk sections of an EIF as (data_offset, size), from the reference reader's layout.
fn ramdisk_sections(describe: &str) -> Vec<(u64, u64)> {
    let v: serde_json::Value = serde_json::from_str(describe).unwrap();
    v["_Layout"]["Sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["type"] == "Ramdisk")
        .map(|s| (s["data_offset"].as_u64().unwrap(), s["size"].as_u64().unwrap()))
        .collect()
}

fn eif(name: &str) -> (&'static [u8], Vec<(u64, u64)>) {
    let (_, bytes, describe) = EIFS.iter().find(|(n, _, _)| *n == name).unwrap();
    (bytes, ramdisk_sections(describe))
}

#[test]
fn every_eif_ramdisk_decodes_and_bootstrap_matches_table() {
    let limits = Limits::default();
    for (name, bytes, describe) in EIFS {
        let sections = ramdisk_sections(describe);
        assert!(!sections.is_empty(), "{name}");
        for (offset, size) in sections {
            let rd = parse_ramdisk(&SliceSource(bytes), offset, size, &limits);
            no_error_diagnostics(&rd);
            assert!(!rd.entries.is_empty(), "{name} ramdisk at {offset}");
            let consumed: u64 = rd.layers.iter().map(|l| l.compressed_len + l.padding_after).sum();
            assert_eq!(rd.leading_padding + consumed, size, "{name}: every byte accounted for");
        }
    }
    let rows = readme_rows();
    let (bytes, sections) = eif("basic-a");
    let boot = parse_ramdisk(&SliceSource(bytes), sections[0].0, sections[0].1, &limits);
    assert_matches_rows(&boot, &rows.iter().filter(|r| r.rd == 0).collect::<Vec<_>>());
    assert_eq!(entry(&boot, "init").data.as_ref().map(Vec::len), Some(896));
    let customer = parse_ramdisk(&SliceSource(bytes), sections[1].0, sections[1].1, &limits);
    assert_eq!(customer, { let mut r = parse_ramdisk_bytes(CUSTOMER_A, &limits); r.offset = sections[1].0; r.layers[0].offset += sections[1].0; r });

    // nogz: same cpio bytes, no compression
    let (nogz, nsections) = eif("nogz-a");
    let raw = parse_ramdisk(&SliceSource(nogz), nsections[1].0, nsections[1].1, &limits);
    assert_eq!(raw.layers.len(), 1);
    assert_eq!(raw.layers[0].format, Sniffed::CpioNewc);
    assert_eq!(raw.decompressed_digest, customer.decompressed_digest);
    assert_eq!(raw.entries.len(), customer.entries.len());
    for (a, b) in raw.entries.iter().zip(&customer.entries) {
        assert_eq!((&a.name, a.mode, a.content_blake3, a.ino), (&b.name, b.mode, b.content_blake3, b.ino));
    }
    assert!(raw.archives[0].padding_after > 0, "GNU cpio pads the raw archive to 512");

    // multi: 3 ramdisks, 'rootfs' in both customer halves
    let (multi, msections) = eif("multi");
    assert_eq!(msections.len(), 3);
    let halves: Vec<Ramdisk> = msections[1..].iter().map(|(o, s)| parse_ramdisk(&SliceSource(multi), *o, *s, &limits)).collect();
    assert!(halves.iter().all(|h| h.entries.iter().any(|e| e.name == b"rootfs")));
    assert_eq!(halves[0].entries.len() + halves[1].entries.len(), customer.entries.len() + 1);

    // single: merged at /, mtimes 0
    let (single, ssections) = eif("single-a");
    let one = parse_ramdisk(&SliceSource(single), ssections[0].0, ssections[0].1, &limits);
    assert!(one.entries.iter().all(|e| e.mtime == 0));
    assert_eq!(entry(&one, "app/VERSION").data.as_deref(), Some(&b"1.0.0\n"[..]));
}

#[test]
fn customer_b_differs_exactly_as_planted() {
    let limits = Limits::default();
    let a = parse_ramdisk_bytes(CUSTOMER_A, &limits);
    let b = parse_ramdisk_bytes(CUSTOMER_B, &limits);
    no_error_diagnostics(&b);
    let gz = b.layers[0].gzip.as_ref().unwrap();
    assert_eq!((gz.mtime, gz.xfl, gz.os), (0, 2, 3));
    let diffs: serde_json::Value = serde_json::from_str(DIFFS).unwrap();
    let basic = &diffs["pairs"]["basic"];
    let list = |k: &str| -> Vec<String> {
        let mut v: Vec<String> = basic[k].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
        v.sort();
        v
    };
    let names = |rd: &Ramdisk| -> std::collections::BTreeMap<String, eifscope::formats::cpio::CpioEntry> {
        rd.entries.iter().map(|e| (e.name_escaped(), e.clone())).collect()
    };
    let (na, nb) = (names(&a), names(&b));
    let added: Vec<String> = nb.keys().filter(|k| !na.contains_key(*k)).cloned().collect();
    let removed: Vec<String> = na.keys().filter(|k| !nb.contains_key(*k)).cloned().collect();
    let mut changed = Vec::new();
    let mut raw_changed = Vec::new();
    for (name, ea) in &na {
        let Some(eb) = nb.get(name) else { continue };
        let real = (ea.mode, ea.uid, ea.gid, ea.nlink, ea.mtime, ea.rdev_major, ea.rdev_minor, ea.content_blake3)
            != (eb.mode, eb.uid, eb.gid, eb.nlink, eb.mtime, eb.rdev_major, eb.rdev_minor, eb.content_blake3)
            || ea.link_group.is_some() != eb.link_group.is_some();
        if real {
            changed.push(name.clone());
        }
        if real || ea.ino != eb.ino {
            raw_changed.push(name.clone());
        }
    }
    assert_eq!(added, list("added_paths"));
    assert_eq!(removed, list("removed_paths"));
    assert_eq!(changed, list("changed_paths"));
    assert_eq!(raw_changed, list("raw_changed_paths"));
    assert_eq!(nb["rootfs/usr/local/bin/start.sh"].mode, 0o100700);
    assert_eq!(nb["rootfs/usr/bin/hello"].mtime, 1700086400);
    assert_eq!(nb["rootfs/etc/app.conf"].data.as_deref(), Some(&b"listen=0.0.0.0:8080\nmode=test\n"[..]));
    assert_eq!(nb["rootfs/etc/added.txt"].data.as_deref(), Some(&b"this file only exists in b\n"[..]));
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    compression::decode_member(&gz.to_vec(), 0, gz.len() as u64, Sniffed::Gzip, &Limits::default(), 0, &mut out).unwrap();
    out
}

fn parse_chunked(stream: &[u8], chunk: usize) -> CpioModel {
    let mut parser = CpioParser::new(&Limits::default());
    for piece in stream.chunks(chunk) {
        assert_eq!(parser.feed(piece).unwrap(), piece.len());
    }
    let (model, error) = parser.finish();
    assert_eq!(error, None);
    model
}

#[test]
fn feed_chunk_size_does_not_matter() {
    let cpio = gunzip(CUSTOMER_A);
    let whole = parse_chunked(&cpio, cpio.len());
    assert_eq!(whole.entries.len(), 36);
    for chunk in [1, 7, 4096] {
        assert_eq!(parse_chunked(&cpio, chunk), whole, "chunk size {chunk}");
    }
    let rd = parse_ramdisk_bytes(CUSTOMER_A, &Limits::default());
    assert_eq!(rd.entries, whole.entries);
}

/// A hand-written cpio entry for the encoders below.
#[derive(Clone)]
struct Spec {
    name: &'static str,
    ino: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    mtime: u32,
    rdev: (u32, u32),
    data: &'static [u8],
}

fn spec(name: &'static str, ino: u32, mode: u32, nlink: u32, data: &'static [u8]) -> Spec {
    Spec { name, ino, mode, uid: 1000, gid: 100, nlink, mtime: 1_600_000_000 + ino, rdev: (0, 0), data }
}

fn specs() -> Vec<Spec> {
    vec![
        spec("etc", 1, 0o40755, 2, b""),
        spec("etc/motd", 2, 0o100644, 1, b"hello\n"),
        Spec { rdev: (4, 64), ..spec("dev/ttyS0", 3, 0o20620, 1, b"") },
        spec("lib", 4, 0o120777, 1, b"usr/lib"),
        spec("odd-size", 5, 0o100600, 1, b"12345"),
    ]
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

fn newc(entries: &[Spec], crc: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let trailer = Spec { name: "TRAILER!!!", ino: 0, mode: 0, uid: 0, gid: 0, nlink: 1, mtime: 0, rdev: (0, 0), data: b"" };
    for e in entries.iter().chain(std::iter::once(&trailer)) {
        let check: u32 = if crc { e.data.iter().map(|b| u32::from(*b)).sum() } else { 0 };
        out.extend_from_slice(
            format!(
                "{}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
                if crc { "070702" } else { "070701" },
                e.ino, e.mode, e.uid, e.gid, e.nlink, e.mtime, e.data.len(), 0, 0, e.rdev.0, e.rdev.1, e.name.len() + 1, check
            )
            .as_bytes(),
        );
        out.extend_from_slice(e.name.as_bytes());
        out.push(0);
        pad4(&mut out);
        out.extend_from_slice(e.data);
        pad4(&mut out);
    }
    out
}

fn odc(entries: &[Spec]) -> Vec<u8> {
    let mut out = Vec::new();
    let trailer = Spec { name: "TRAILER!!!", ino: 0, mode: 0, uid: 0, gid: 0, nlink: 1, mtime: 0, rdev: (0, 0), data: b"" };
    for e in entries.iter().chain(std::iter::once(&trailer)) {
        out.extend_from_slice(
            format!(
                "070707{:06o}{:06o}{:06o}{:06o}{:06o}{:06o}{:06o}{:011o}{:06o}{:011o}",
                0, e.ino, e.mode, e.uid, e.gid, e.nlink, (e.rdev.0 << 8) | e.rdev.1, e.mtime, e.name.len() + 1, e.data.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(e.name.as_bytes());
        out.push(0);
        out.extend_from_slice(e.data);
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut g = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    g.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(data, 6));
    g.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    g.extend_from_slice(&(data.len() as u32).to_le_bytes());
    g
}

fn check_specs(rd: &Ramdisk, specs: &[Spec], format: CpioFormat) {
    assert_eq!(rd.entries.len(), specs.len());
    for (e, s) in rd.entries.iter().zip(specs) {
        assert_eq!(e.name, s.name.as_bytes());
        assert_eq!(e.format, format);
        assert_eq!(
            (e.ino, e.mode, e.uid, e.gid, e.nlink, e.mtime, e.filesize, e.rdev_major, e.rdev_minor),
            (u64::from(s.ino), s.mode, s.uid, s.gid, s.nlink, u64::from(s.mtime), s.data.len() as u64, s.rdev.0, s.rdev.1),
            "{}",
            s.name
        );
        assert_eq!(e.data_blake3, blake3_of(s.data));
        assert_eq!(e.data.as_deref(), Some(s.data));
    }
}

#[test]
fn newc_crc_and_odc_parse_the_same_fields() {
    let limits = Limits::default();
    let s = specs();
    let rd = parse_ramdisk_bytes(&newc(&s, false), &limits);
    no_error_diagnostics(&rd);
    check_specs(&rd, &s, CpioFormat::Newc);
    assert_eq!(entry(&rd, "lib").symlink_target.as_deref(), Some(&b"usr/lib"[..]));

    let crc = newc(&s, true);
    let rd = parse_ramdisk_bytes(&crc, &limits);
    no_error_diagnostics(&rd);
    check_specs(&rd, &s, CpioFormat::NewcCrc);
    assert!(rd.entries.iter().all(|e| e.checksum_ok == Some(true)));
    assert_eq!(rd.layers[0].format, Sniffed::CpioNewcCrc);

    // a flipped data byte breaks the checksum
    let mut bad = crc.clone();
    let at = bad.windows(6).position(|w| w == b"hello\n").unwrap();
    bad[at] = b'j';
    let rd = parse_ramdisk_bytes(&bad, &limits);
    assert_eq!(entry(&rd, "etc/motd").checksum_ok, Some(false));
    assert!(rd.diagnostics.iter().any(|d| d.message.contains("checksum")));

    let rd = parse_ramdisk_bytes(&odc(&s), &limits);
    assert_eq!(rd.error, None);
    check_specs(&rd, &s, CpioFormat::Odc);
    assert!(rd.diagnostics.iter().any(|d| d.message.contains("only unpacks newc")));
}

#[test]
fn concatenated_archives_padding_and_members() {
    let limits = Limits::default();
    let first = newc(&specs()[..2], false);
    let second_specs = vec![spec("etc/motd", 9, 0o100600, 1, b"replaced\n"), spec("bin", 10, 0o40755, 2, b"")];
    let second = newc(&second_specs, false);
    // gzip member holding two archives separated by NULs
    let mut inner = newc(&[spec("x", 1, 0o100644, 1, b"x")], false);
    inner.extend_from_slice(&[0; 12]);
    inner.extend_from_slice(&newc(&[spec("y", 1, 0o100644, 1, b"y")], false));

    let mut payload = first.clone();
    payload.extend_from_slice(&[0; 20]);
    payload.extend_from_slice(&gzip(&second));
    payload.extend_from_slice(&[0; 3]); // linuxkit-style pad of the compressed stream
    payload.extend_from_slice(&gzip(&inner));
    payload.extend_from_slice(&second); // raw again after compressed
    let rd = parse_ramdisk_bytes(&payload, &limits);
    assert_eq!(rd.error, None, "{:?}", rd.diagnostics);
    let formats: Vec<Sniffed> = rd.layers.iter().map(|l| l.format).collect();
    assert_eq!(formats, [Sniffed::CpioNewc, Sniffed::Gzip, Sniffed::Gzip, Sniffed::CpioNewc]);
    assert_eq!(rd.layers[0].compressed_len, first.len() as u64 + 20, "raw layer eats the nul padding after its trailer");
    assert_eq!(rd.archives[0].padding_after, 20);
    assert_eq!(rd.layers[1].padding_after, 3);
    assert_eq!(rd.archives.len(), 5);
    assert_eq!(rd.archives[2].padding_after, 12);
    assert_eq!(rd.archives.iter().map(|a| a.layer).collect::<Vec<_>>(), [0, 1, 2, 2, 3]);
    let names: Vec<String> = rd.entries.iter().map(|e| e.name_escaped()).collect();
    assert_eq!(names, ["etc", "etc/motd", "etc/motd", "bin", "x", "y", "etc/motd", "bin"]);
    assert_eq!(rd.entries[2].overrides, Some(1));
    assert_eq!(rd.entries[1].overridden_by, Some(2));
    assert_eq!(rd.entries[6].overrides, Some(2));
    assert!(rd.diagnostics.iter().any(|d| d.message.contains("duplicate name etc/motd")));
    let total: u64 = rd.layers.iter().map(|l| l.compressed_len + l.padding_after).sum();
    assert_eq!(total, payload.len() as u64);
}

#[test]
fn xz_and_zstd_give_the_same_entries() {
    let limits = Limits::default();
    let gz = parse_ramdisk_bytes(CUSTOMER_A, &limits);
    for (what, bytes, format) in [
        ("xz crc32", CUSTOMER_A_XZ, Sniffed::Xz),
        ("xz crc64", CUSTOMER_A_XZ64, Sniffed::Xz),
        ("zstd", CUSTOMER_A_ZST, Sniffed::Zstd),
    ] {
        let rd = parse_ramdisk_bytes(bytes, &limits);
        no_error_diagnostics(&rd);
        assert_eq!(rd.layers.len(), 1, "{what}");
        assert_eq!(rd.layers[0].format, format);
        assert_eq!(rd.layers[0].compressed_len, bytes.len() as u64, "{what}: member length");
        assert_eq!(rd.entries, gz.entries, "{what}");
        assert_eq!(rd.decompressed_digest, gz.decompressed_digest, "{what}");
        // two members back to back
        let twice = [bytes, bytes].concat();
        let rd = parse_ramdisk_bytes(&twice, &limits);
        assert_eq!(rd.error, None, "{what}");
        assert_eq!((rd.layers.len(), rd.archives.len(), rd.entries.len()), (2, 2, 72), "{what}");
    }
}

#[test]
fn gzip_bomb_is_stopped_with_a_limit_error() {
    let small = Limits { max_decompressed_bytes: 16 << 20, ..Limits::default() };
    let rd = parse_ramdisk_bytes(ZEROS_GZ, &small);
    let err = rd.error.clone().expect("limit error");
    assert!(err.is_limit(), "{err}");
    assert_eq!(err.kind, RamdiskErrorKind::Limit);
    assert_eq!(
        err.message,
        "gzip stream at 0x0: decompressed size exceeds the limit of 16777216 bytes (possible decompression bomb)"
    );
    assert!(rd.decompressed_len <= 16 << 20);
    // the default ratio limit (1024) catches 100 MB of zeros (ratio ~1030) as well
    let rd = parse_ramdisk_bytes(ZEROS_GZ, &Limits::default());
    let err = rd.error.expect("ratio error");
    assert!(err.is_limit() && err.message.contains("ratio limit of 1024"), "{err}");
}

#[test]
fn truncated_streams_keep_partial_entries() {
    let limits = Limits::default();
    let cut = &CUSTOMER_A[..700];
    let rd = parse_ramdisk_bytes(cut, &limits);
    let err = rd.error.clone().unwrap();
    assert_eq!(err.kind, RamdiskErrorKind::Truncated, "{err}");
    assert!(err.message.starts_with("gzip member at 0x0: deflate stream truncated at 0x2bc"), "{err}");
    assert!(!rd.entries.is_empty() && rd.entries.len() < 36, "{}", rd.entries.len());
    assert!(!rd.layers[0].complete);

    // raw cpio cut inside a file's data: the header says more than remains
    let raw = gunzip(CUSTOMER_A);
    let hello = raw.windows(20).position(|w| w == b"rootfs/usr/bin/hello").unwrap() - 110;
    let rd = parse_ramdisk_bytes(&raw[..hello + 200], &limits);
    let err = rd.error.unwrap();
    assert_eq!(
        err.message,
        format!("cpio header at {hello:#x}: filesize 824 exceeds remaining 69 bytes"),
    );
    assert_eq!(rd.entries.len(), 28);
    assert_eq!(rd.entries.last().unwrap().name, b"rootfs/usr/bin");

    // namesize beyond the input
    let mut evil = newc(&specs()[..1], false);
    evil[94..102].copy_from_slice(b"ffffffff");
    let rd = parse_ramdisk_bytes(&evil[..228], &limits);
    assert_eq!(rd.error.unwrap().message, "cpio header at 0x0: namesize 4294967295 exceeds remaining 118 bytes");
    // and in a decompressed stream (remaining unknown): the name limit applies
    let rd = parse_ramdisk_bytes(&gzip(&evil), &limits);
    let err = rd.error.unwrap();
    assert!(err.is_limit() && err.in_stream, "{err}");
    assert_eq!(err.message, "cpio header at 0x0: namesize 4294967295 exceeds the limit of 65536");

    // a gzip member that ends inside an entry
    let rd = parse_ramdisk_bytes(&gzip(&raw[..3000]), &limits);
    assert!(rd.error.unwrap().message.contains("stream ends at 0xbb8 inside"));
}

#[test]
fn corrupt_crc_and_garbage_are_reported() {
    let limits = Limits::default();
    let mut bad = CUSTOMER_A.to_vec();
    let n = bad.len();
    bad[n - 8] ^= 0xff;
    let rd = parse_ramdisk_bytes(&bad, &limits);
    assert_eq!(rd.error, None);
    assert_eq!(rd.layers[0].crc_ok, Some(false));
    assert_eq!(rd.entries.len(), 36);
    assert!(rd.diagnostics.iter().any(|d| d.message.starts_with("crc32 mismatch")));

    let mut junk = CUSTOMER_A.to_vec();
    junk.extend_from_slice(b"\0\0\0\0JUNKJUNK");
    let rd = parse_ramdisk_bytes(&junk, &limits);
    assert_eq!(rd.garbage_offset, Some(CUSTOMER_A.len() as u64 + 4));
    assert_eq!(rd.entries.len(), 36);
    assert!(rd.diagnostics.iter().any(|d| d.message.contains("invalid magic")));

    let mut inner = newc(&specs()[..1], false);
    inner.extend_from_slice(b"trailing text");
    let rd = parse_ramdisk_bytes(&gzip(&inner), &limits);
    assert!(rd.diagnostics.iter().any(|d| d.message.contains("junk within compressed archive")));
    assert!(rd.archives[0].junk_offset.is_some());

    let lz4 = [0x02, 0x21, 0x4c, 0x18, 0, 0, 0, 0];
    let rd = parse_ramdisk_bytes(&lz4, &limits);
    let err = rd.error.unwrap();
    assert_eq!((err.kind, err.message.as_str()), (RamdiskErrorKind::Unsupported, "lz4 compression at 0x0 is not supported yet"));
}

#[test]
fn fetch_entries_returns_contents_and_link_group_data() {
    let limits = Limits { retain_file_bytes: 0, ..Limits::default() };
    let rd = parse_ramdisk_bytes(CUSTOMER_A, &limits);
    assert!(rd.entries.iter().all(|e| e.data.is_none() || e.filesize == 0));
    let idx = |name: &str| entry(&rd, name).index;
    let hl = idx("rootfs/app/data/greeting-hardlink.txt");
    let conf = idx("rootfs/etc/app.conf");
    let hello = idx("rootfs/usr/bin/hello");
    let src = SliceSource(CUSTOMER_A);
    let got = fetch_entries(&src, 0, CUSTOMER_A.len() as u64, &limits, &[hl, conf, hello, 999], 100).unwrap();
    let full = parse_ramdisk_bytes(CUSTOMER_A, &Limits::default());
    let greeting = entry(&full, "rootfs/app/data/greeting.txt").data.clone().unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], (hl, greeting));
    assert_eq!(got[1], (conf, b"listen=0.0.0.0:8080\nmode=prod\n".to_vec()));
    assert_eq!(got[2].1.len(), 100, "cut at max_bytes_each");
    assert_eq!(&got[2].1[..4], b"\x7fELF");

    // data stored with the FIRST link: found by a second walk
    let s = vec![spec("a", 7, 0o100644, 2, b"shared data"), spec("other", 8, 0o100644, 1, b"o"), spec("b", 7, 0o100644, 2, b"")];
    let archive = newc(&s, false);
    let rd = parse_ramdisk_bytes(&archive, &Limits::default());
    assert_eq!(rd.entries[2].content_blake3, blake3_of(b"shared data"));
    assert_eq!(rd.entries[2].data.as_deref(), Some(&b"shared data"[..]));
    let got = fetch_entries(&SliceSource(&archive), 0, archive.len() as u64, &limits, &[2, 1], 1 << 20).unwrap();
    assert_eq!(got, vec![(2, b"shared data".to_vec()), (1, b"o".to_vec())]);
}

/// The second pass by seeking (inflate checkpoints from the first pass, raw cpio read in
/// place) hands out the same bytes as a full re-walk and as the files that were packed: two
/// gzip members around a raw cpio segment, a hard-link group whose data sits on its first name,
/// checkpoints dense enough to be thinned to the limit.
#[test]
fn seeking_fetch_matches_the_packed_files_and_a_rewalk() {
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut specs = Vec::new();
    for i in 0..40u32 {
        let len = 1000 + (i as usize * 37_000) % 90_000;
        let mut data = Vec::with_capacity(len);
        while data.len() < len {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let w = (state >> 33) as u8;
            data.push(if w < 160 { b'a' + w % 26 } else { w });
        }
        let name: &'static str = Box::leak(format!("f{i:03}").into_boxed_str());
        specs.push(spec(name, 100 + i, 0o100644, 1, Box::leak(data.into_boxed_slice())));
    }
    specs.push(spec("h1", 900, 0o100644, 2, b"linked data"));
    specs.push(spec("h2", 900, 0o100644, 2, b""));
    let mut bytes = gzip(&newc(&specs[..20], false));
    bytes.extend_from_slice(&[0; 8]);
    bytes.extend_from_slice(&newc(&specs[20..30], false));
    bytes.extend_from_slice(&gzip(&newc(&specs[30..], false)));
    let limits = Limits { retain_file_bytes: 0, checkpoint_every_bytes: 1, max_checkpoints: 4, ..Limits::default() };
    let src = SliceSource(&bytes);
    let len = bytes.len() as u64;
    let (rd, checkpoints) = parse_ramdisk_indexed(&src, 0, len, &limits);
    assert_eq!(rd.error, None);
    assert_eq!(rd.layers.iter().map(|l| l.format).collect::<Vec<_>>(), [Sniffed::Gzip, Sniffed::CpioNewc, Sniffed::Gzip]);
    assert_eq!(rd.entries.len(), specs.len());
    let n = checkpoints.points().len();
    assert!((2..=4).contains(&n), "{n} checkpoints");
    assert!(checkpoints.points().windows(2).all(|w| w[0].stream_offset < w[1].stream_offset));

    let all: Vec<u64> = (0..rd.entries.len() as u64).rev().collect();
    let max_each = 50_000;
    let seek = fetch_entries_seeking(&src, &rd, &checkpoints, &all, max_each).unwrap();
    for (index, data) in &seek {
        let spec = &specs[*index as usize];
        let want = if spec.name == "h2" { &b"linked data"[..] } else { spec.data };
        assert_eq!(&data[..], &want[..want.len().min(max_each as usize)], "{}", spec.name);
    }
    assert_eq!(seek, fetch_entries(&src, 0, len, &limits, &all, max_each).unwrap());
    // Without checkpoints every member is inflated from its start: same bytes.
    assert_eq!(seek, fetch_entries_seeking(&src, &rd, &Checkpoints::default(), &all, max_each).unwrap());

    // The source shrank after the first pass: an error, never a panic or short data.
    let cut = SliceSource(&bytes[..bytes.len() / 2]);
    let err = fetch_entries_seeking(&cut, &rd, &checkpoints, &all, max_each).unwrap_err();
    assert!(matches!(err.kind, RamdiskErrorKind::Truncated | RamdiskErrorKind::Source), "{err}");
    assert!(err.message.contains("0x"), "{err}");
    // xz cannot seek: the caller is told to re-walk.
    let (xz, xz_points) = parse_ramdisk_indexed(&SliceSource(CUSTOMER_A_XZ), 0, CUSTOMER_A_XZ.len() as u64, &limits);
    assert!(xz_points.points().is_empty());
    let err = fetch_entries_seeking(&SliceSource(CUSTOMER_A_XZ), &xz, &xz_points, &[entry(&xz, "rootfs/etc/app.conf").index], 10).unwrap_err();
    assert_eq!(err.kind, RamdiskErrorKind::Unsupported);
}

#[test]
fn mutated_and_truncated_inputs_never_panic() {
    let limits = Limits { max_decompressed_bytes: 1 << 20, ..Limits::default() };
    let raw = gunzip(CUSTOMER_A);
    for cut in 0..raw.len() {
        let rd = parse_ramdisk_bytes(&raw[..cut], &limits);
        if cut < raw.len() - 512 {
            assert!(rd.error.is_some() || rd.garbage_offset.is_some() || cut == 0, "cut {cut}");
        }
    }
    for (input, step) in [(&raw[..], 3), (CUSTOMER_A, 1), (CUSTOMER_A_XZ, 5), (CUSTOMER_A_ZST, 5)] {
        for i in (0..input.len()).step_by(step) {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut m = input.to_vec();
                m[i] ^= flip;
                let rd = parse_ramdisk_bytes(&m, &limits);
                assert!(rd.entries.len() <= 80);
            }
        }
    }
}

/// The stream digest: independent of chunking and of compression, changed by any byte of the
/// stream (data, header, padding) and by truncation.
#[test]
fn stream_digest_identifies_the_decompressed_stream() {
    let cpio = gunzip(CUSTOMER_A);
    let digest_of = |bytes: &[u8], chunk: usize| {
        let mut parser = CpioParser::new(&Limits::default());
        for piece in bytes.chunks(chunk) {
            parser.feed(piece).unwrap();
        }
        parser.stream_digest()
    };
    let whole = digest_of(&cpio, cpio.len());
    for chunk in [1, 7, 4096] {
        assert_eq!(digest_of(&cpio, chunk), whole, "chunk size {chunk}");
    }
    assert_eq!(parse_ramdisk_bytes(CUSTOMER_A, &Limits::default()).decompressed_digest, whole);
    assert_eq!(parse_ramdisk_bytes(&cpio, &Limits::default()).decompressed_digest, whole);
    let rd = parse_ramdisk_bytes(&cpio, &Limits::default());
    let data_at = usize::try_from(rd.entries.iter().find(|e| e.filesize > 0).unwrap().data_offset).unwrap();
    let mut seen = vec![whole];
    // A data byte, a header byte (mtime digit of the first entry), the trailer's padding, a cut.
    for at in [data_at, 50, cpio.len() - 1] {
        let mut changed = cpio.clone();
        changed[at] = if changed[at] == b'1' { b'2' } else { b'1' };
        let d = digest_of(&changed, 4096);
        assert!(!seen.contains(&d), "byte {at}");
        seen.push(d);
    }
    let cut = digest_of(&cpio[..data_at + 1], 4096);
    assert!(!seen.contains(&cut));
}
