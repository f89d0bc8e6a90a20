//! The comparison engine over the fixture pairs: planted differences from
//! `expected-diffs.json`, verdicts, PCR lists, sections that differ and sensible top causes.
//! Inputs are embedded with `include_bytes!` so the same checks run on wasm32.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod support;

use eifscope::analyze::{compare, sections_differ, Input};
use eifscope::source::SliceSource;
use eifscope::limits::Limits;
use eifscope::report::{Report, VerdictKind};
use serde_json::Value;
use support::fixture;

pub fn diff_with(a: &str, b: &str, pcrs_a: Option<&str>) -> Report {
    let (sa, sb) = (SliceSource(fixture(a)), SliceSource(fixture(b)));
    let ia = Input { name: a.into(), source: &sa, pcr_file: pcrs_a.map(|p| (p.to_owned(), fixture(p).to_vec())) };
    let ib = Input { name: b.into(), source: &sb, pcr_file: None };
    compare(&ia, &ib, &Limits::default()).expect("fixtures compare")
}

pub fn diff(a: &str, b: &str) -> Report {
    diff_with(a, b, None)
}

fn expected() -> Value {
    serde_json::from_slice(include_bytes!("fixtures/expected-diffs.json")).unwrap()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(v: &Value) -> Vec<String> {
    sorted(v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect())
}

/// Checks one pair of `expected-diffs.json` against the report.
pub fn check_pair(pair: &str) {
    let exp = &expected()["pairs"][pair];
    let files = exp["files"].as_array().unwrap();
    let r = diff(files[0].as_str().unwrap(), files[1].as_str().unwrap());
    assert_eq!(sorted(r.verdict.pcrs_differ.clone()), strings(&exp["pcrs_differ"]), "{pair}: pcrs");
    let kind = if exp["pcrs_differ"].as_array().unwrap().is_empty() { VerdictKind::MeasurementsEqual } else { VerdictKind::MeasurementsDiffer };
    assert_eq!(r.verdict.kind, kind, "{pair}: verdict");
    assert_eq!(sorted(sections_differ(&r)), strings(&exp["sections_differ"]), "{pair}: sections");
    let e = &r.entries;
    assert_eq!(sorted(e.changed.iter().map(|c| c.path.clone()).collect()), strings(&exp["changed_paths"]), "{pair}: changed");
    assert_eq!(sorted(e.added.iter().map(|c| c.path.clone()).collect()), strings(&exp["added_paths"]), "{pair}: added");
    assert_eq!(sorted(e.removed.iter().map(|c| c.path.clone()).collect()), strings(&exp["removed_paths"]), "{pair}: removed");
    assert!(e.moved.is_empty(), "{pair}: nothing moved");
    assert_eq!(e.notes.iter().any(|n| n.id == "entry-order"), exp["order_changed"].as_bool().unwrap(), "{pair}: order");
    for (path, fields) in exp["changed_fields"].as_object().unwrap() {
        let c = e.changed.iter().find(|c| &c.path == path).unwrap();
        let names: Vec<&String> = fields.as_object().unwrap().keys().collect();
        assert_eq!(c.fields.iter().collect::<Vec<_>>(), names, "{pair}: {path} fields");
        for (field, values) in fields.as_object().unwrap() {
            let (va, vb) = (&values[0], &values[1]);
            match field.as_str() {
                "content" => {
                    // Values are JSON-quoted file contents: the text diff must carry them.
                    let (ta, tb): (String, String) = (serde_json::from_str(va.as_str().unwrap()).unwrap(), serde_json::from_str(vb.as_str().unwrap()).unwrap());
                    let hunks = &c.content.as_ref().expect("content diff")["root"]["payload"]["text"]["hunks"];
                    let lines = hunks.as_array().unwrap().iter().flat_map(|h| h["lines"].as_array().unwrap().iter());
                    let (mut old, mut new) = (String::new(), String::new());
                    for l in lines {
                        let text = l["text"].as_str().unwrap();
                        match l["tag"].as_str().unwrap() {
                            "context" => {
                                old += text;
                                old += "\n";
                                new += text;
                                new += "\n";
                            }
                            "removed" => {
                                old += text;
                                old += "\n";
                            }
                            "added" => {
                                new += text;
                                new += "\n";
                            }
                            t => panic!("tag {t}"),
                        }
                    }
                    assert_eq!((old, new), (ta, tb), "{pair}: {path} content");
                }
                _ => {
                    let ch = c.changes.iter().find(|x| &x.field == field).unwrap();
                    let show = |v: &Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
                    assert_eq!((ch.a.clone(), ch.b.clone()), (show(va), show(vb)), "{pair}: {path} {field}");
                }
            }
        }
    }
}

#[test]
fn basic_pair_reproduces_planted_differences() {
    check_pair("basic");
    let r = diff("basic-a.eif", "basic-b.eif");
    assert_eq!(r.first_divergence.as_deref(), Some("ramdisk-1-archive"));
    let ids: Vec<&str> = r.causes.iter().map(|c| c.id.as_str()).collect();
    for id in ["different-source", "file-permissions", "file-timestamps"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert_eq!(ids[0], "different-source");
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn nogz_pair_reproduces_planted_differences() {
    check_pair("nogz");
}

#[test]
fn single_pair_reproduces_planted_differences() {
    check_pair("single");
    let r = diff("single-a.eif", "single-b.eif");
    assert_eq!(r.causes[0].id, "different-source");
    let pcr2 = r.measurements.iter().find(|m| m.pcr == "PCR2").unwrap();
    assert!(pcr2.note.as_deref().unwrap().contains("single-ramdisk"));
}

#[test]
fn meta_pair_has_same_measurements() {
    check_pair("meta");
    let r = diff("meta-a.eif", "meta-b.eif");
    assert_eq!(r.verdict.headline, "Same measurements, different bytes: every PCR matches");
    assert_eq!(r.causes[0].id, "unmeasured-metadata");
    let meta = r.layers.iter().find(|l| l.id == "metadata").unwrap();
    assert_eq!(meta.changes.len(), 1);
    assert_eq!(meta.changes[0].field, "BuildMetadata.BuildTime");
    assert_eq!(meta.changes[0].a, "\"2024-03-01T09:00:00+00:00\"");
    let header = r.layers.iter().find(|l| l.id == "header").unwrap();
    let crc = header.changes.iter().find(|c| c.field == "crc32").unwrap();
    assert_eq!((crc.a.as_str(), crc.b.as_str()), ("0x93028cb7", "0xca8e1a9a"));
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn identical_inputs() {
    let r = diff("basic-a.eif", "basic-a.eif");
    assert_eq!(r.verdict.kind, VerdictKind::Identical);
    assert!(r.causes.is_empty());
    assert!(r.first_divergence.is_none());
}

#[test]
fn multi_split_is_not_everything_changed() {
    let r = diff("basic-a.eif", "multi.eif");
    assert_eq!(r.verdict.pcrs_differ, ["PCR0", "PCR2"]);
    assert!(r.entries.changed.is_empty(), "{:?}", r.entries.changed);
    assert!(r.entries.added.is_empty() && r.entries.removed.is_empty());
    assert!(r.entries.notes.iter().any(|n| n.id == "split-differs"));
    assert_eq!(r.first_divergence.as_deref(), Some("header"), "num_sections differs");
    // The one cause: the same tree packed into 2 vs 3 ramdisks explains the header, the
    // section list and the extra ramdisk; nothing is left unexplained.
    assert_eq!(r.causes.len(), 1, "{:?}", r.causes);
    assert_eq!(r.causes[0].id, "ramdisk-layout");
    assert_eq!(r.causes[0].title, "The same files are packed into ramdisks differently (2 ramdisks in A, 3 in B)");
    assert_eq!(r.causes[0].confidence, eifscope::report::Confidence::High);
    let anchors: Vec<&str> = r.causes[0].evidence.iter().map(|e| e.anchor.as_str()).collect();
    for want in ["layer:header", "layer:sections", "layer:ramdisk-2-compression", "files"] {
        assert!(anchors.contains(&want), "{want} not in {anchors:?}");
    }
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn signed_vs_unsigned_moves_pcr8_only() {
    let r = diff("basic-a.eif", "signed.eif");
    assert_eq!(r.verdict.pcrs_differ, ["PCR8"]);
    let pcr8 = r.measurements.iter().find(|row| row.pcr == "PCR8").unwrap();
    assert_eq!((pcr8.a.is_none(), pcr8.equal, pcr8.state_label()), (true, false, "only in B"));
    assert_eq!(r.causes[0].id, "signature");
    let sig = r.layers.iter().find(|l| l.id == "signature").unwrap();
    assert_eq!(sig.status, eifscope::report::LayerStatus::OnlyB);
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn compression_only_difference() {
    let r = diff("basic-a.eif", "nogz-a.eif");
    assert_eq!(r.verdict.pcrs_differ, ["PCR0", "PCR1", "PCR2"]);
    assert!(r.entries.changed.is_empty() && r.entries.added.is_empty() && r.entries.removed.is_empty());
    assert_eq!(r.causes[0].id, "compression");
    let comp = r.layers.iter().find(|l| l.id == "ramdisk-1-compression").unwrap();
    assert_eq!(comp.changes[0].field, "format");
    assert!(comp.notes.iter().any(|n| n == "cpio identical, compressed bytes differ"));
}

#[test]
fn eif_against_its_own_rootfs_archive() {
    let r = diff("basic-a.eif", "basic-customer-a.cpio.gz");
    assert_eq!(r.verdict.kind, VerdictKind::ContentsDiffer);
    assert!(r.entries.changed.is_empty() && r.entries.added.is_empty() && r.entries.removed.is_empty(), "{:?}", r.entries);
    assert!(r.entries.notes.iter().any(|n| n.id == "bare-ramdisk"));
    let comp = r.layers.iter().find(|l| l.id == "ramdisk-1-compression").unwrap();
    assert_eq!(comp.status, eifscope::report::LayerStatus::Equal);
    // The archive is the exact customer ramdisk AWS's builder was given (fixtures README).
    assert_eq!(r.verdict.headline, "Same ramdisk: B is byte for byte A's customer ramdisk");
    // Ramdisk numbers of a bare archive and an EIF are not comparable: no "split" note, no cause.
    assert!(!r.entries.notes.iter().any(|n| n.id == "split-differs"), "{:?}", r.entries.notes);
    assert!(r.causes.is_empty(), "{:?}", r.causes);
    // A bare ramdisk has no PCRs: the rows say whose value is shown, not "differs".
    assert!(r.measurements.iter().all(|row| row.state_label() == "only in A"), "{:?}", r.measurements);
    let r = diff("basic-a.eif", "basic-customer-b.cpio.gz");
    assert_eq!(r.verdict.headline, "Contents differ");
    let mut changed: Vec<&str> = r.entries.changed.iter().map(|c| c.path.as_str()).collect();
    changed.sort();
    assert_eq!(changed, ["rootfs/etc/app.conf", "rootfs/usr/bin/hello", "rootfs/usr/local/bin/start.sh"]);
    assert_eq!(r.entries.added[0].path, "rootfs/etc/added.txt");
}

#[test]
fn pcr_file_is_checked() {
    let r = diff_with("single-a.eif", "single-b.eif", Some("single-a.pcrs"));
    assert_eq!(r.pcr_files.len(), 1);
    assert!(r.pcr_files[0].matches);
    assert_eq!(r.pcr_files[0].format, "stagex_text");
    let r = diff_with("single-b.eif", "single-a.eif", Some("single-a.pcrs"));
    assert!(!r.pcr_files[0].matches);
}

/// The browser reads A and B in two workers and hands one decoded image to the other as JSON:
/// the report built from transported images must be the very same.
#[test]
fn transported_images_give_the_same_report() {
    use eifscope::analyze::compare_images;
    use eifscope::image::{read_image, Image};
    let pairs = [
        ("basic-a.eif", "basic-b.eif"),
        ("nogz-a.eif", "nogz-b.eif"),
        ("single-a.eif", "single-b.eif"),
        ("meta-a.eif", "meta-b.eif"),
        ("basic-a.eif", "multi.eif"),
        ("basic-a.eif", "signed.eif"),
        ("basic-a.eif", "basic-customer-b.cpio.gz"),
    ];
    let limits = Limits::default();
    for (a, b) in pairs {
        let (sa, sb) = (SliceSource(fixture(a)), SliceSource(fixture(b)));
        let ia = read_image(a, &sa, &limits).unwrap();
        let ib = read_image(b, &sb, &limits).unwrap();
        let input_a = Input { name: a.into(), source: &sa, pcr_file: None };
        let input_b = Input { name: b.into(), source: &sb, pcr_file: None };
        let direct = compare_images(&input_a, &ia, &input_b, &ib, &limits, &mut |_| {});
        let moved = |image: &Image| Image::from_transport(&image.to_transport().unwrap()).unwrap();
        let (ta, tb) = (moved(&ia), moved(&ib));
        let transported = compare_images(&input_a, &ta, &input_b, &tb, &limits, &mut |_| {});
        assert_eq!(direct, transported, "{a} vs {b}");
        assert_eq!(ta.pcr_values(), ia.pcr_values(), "{a}: raw PCRs restored");
        assert!(!direct.entries.changed.is_empty() || a != "basic-a.eif" || b != "basic-b.eif");
    }
    // Damage is an error, not a panic or a half image.
    let text = read_image("basic-a.eif", &SliceSource(fixture("basic-a.eif")), &limits).unwrap().to_transport().unwrap();
    assert!(Image::from_transport(&text[..text.len() / 2]).is_err());
    assert!(Image::from_transport(&text.replacen("\"pcr0\":{\"name\":\"PCR0\",\"hex\":\"", "\"pcr0\":{\"name\":\"PCR0\",\"hex\":\"zz", 1)).is_err());
}

/// One side alone (shown when the other side cannot be read): its PCRs are AWS's describe-eif
/// values, its sections are the EIF's in table order with each ramdisk's contents, and a PCR
/// file next to it is checked; a bare ramdisk has no PCRs and one ramdisk row.
#[test]
fn one_side_alone_has_describe_eif_pcrs_sections_and_pcr_file_check() {
    use eifscope::analyze::{read_side, summarize_side};
    use eifscope::report::Side;
    let limits = Limits::default();
    let source = SliceSource(fixture("single-a.eif"));
    let input = Input { name: "single-a.eif".into(), source: &source, pcr_file: Some(("single-a.pcrs".into(), fixture("single-a.pcrs").to_vec())) };
    let image = read_side(&input, Side::B, &limits).unwrap();
    let side = summarize_side(&input, &image, Side::B);
    assert_eq!(side.side, Side::B);
    assert_eq!(side.kind, "EIF");
    assert_eq!(side.input.name, "single-a.eif");
    let describe: Value = serde_json::from_slice(include_bytes!("fixtures/single-a.describe.json")).unwrap();
    let shown: Vec<(String, String)> = side.pcrs.iter().map(|p| (p.pcr.clone(), p.value.clone())).collect();
    let want: Vec<(String, String)> =
        ["PCR0", "PCR1", "PCR2"].iter().map(|k| (k.to_string(), describe["Measurements"][k].as_str().unwrap().to_owned())).collect();
    assert_eq!(shown, want);
    let names: Vec<&str> = side.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names[0], "Kernel");
    assert!(names.contains(&"Ramdisk[0]"), "{names:?}");
    let ramdisk = side.sections.iter().find(|s| s.name == "Ramdisk[0]").unwrap();
    assert!(ramdisk.detail.as_deref().is_some_and(|d| d.contains("entries")), "{ramdisk:?}");
    let check = side.pcr_file.as_ref().expect("pcr file checked");
    assert!(check.matches, "{check:?}");
    assert_eq!(check.side, Side::B);

    let bare = SliceSource(fixture("basic-customer-a.cpio.gz"));
    let input = Input { name: "c.cpio.gz".into(), source: &bare, pcr_file: None };
    let image = read_side(&input, Side::A, &limits).unwrap();
    let side = summarize_side(&input, &image, Side::A);
    assert!(side.kind.starts_with("ramdisk (gzip"), "{}", side.kind);
    assert!(side.pcrs.is_empty());
    assert_eq!(side.sections.len(), 1);
    assert_eq!(side.sections[0].size, fixture("basic-customer-a.cpio.gz").len() as u64);
}

/// A source that records every read, to check how often each byte is read.
struct CountingSource<'a> {
    bytes: &'a [u8],
    reads: std::cell::RefCell<Vec<(u64, u64)>>,
}

impl eifscope::source::ByteSource for CountingSource<'_> {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), eifscope::source::SourceError> {
        self.reads.borrow_mut().push((offset, buf.len() as u64));
        SliceSource(self.bytes).read_at(offset, buf)
    }
}

/// The single pass parses each ramdisk while hashing the file: a ramdisk's bytes are read from
/// the source exactly once (in the browser every read crosses from the `File` into wasm), and
/// the model equals the one of the plain streaming pass (`read_eif`, which the describe JSON
/// checks in eif_fixtures.rs hold to AWS's values).
#[test]
fn an_eif_is_read_once_and_measured_the_same() {
    use eifscope::formats::eif::read_eif;
    use eifscope::image::read_image;
    for name in ["basic-a.eif", "multi.eif", "signed.eif", "nogz-a.eif", "meta-b.eif"] {
        let bytes = fixture(name);
        let counting = CountingSource { bytes, reads: Default::default() };
        let image = read_image(name, &counting, &Limits::default()).unwrap();
        let eif = image.eif.as_ref().unwrap();
        let plain = read_eif(&SliceSource(bytes)).unwrap();
        assert_eq!(serde_json::to_value(eif).unwrap(), serde_json::to_value(&plain).unwrap(), "{name}: same model as the plain pass");
        let reads = counting.reads.borrow();
        let ramdisks: Vec<_> = eif.sections.iter().filter(|s| s.kind == eifscope::formats::eif::SectionKind::Ramdisk).collect();
        assert!(!ramdisks.is_empty(), "{name} has ramdisks");
        assert_eq!(image.ramdisks.len(), ramdisks.len(), "{name}: every ramdisk parsed");
        for section in ramdisks {
            let (start, end) = (section.data_offset, section.data_end());
            let read: u64 = reads.iter().map(|&(o, n)| (o + n).min(end).saturating_sub(o.max(start))).sum();
            assert_eq!(read, section.present_len, "{name}: ramdisk section {} read once", section.index);
        }
        let total: u64 = reads.iter().map(|&(_, n)| n).sum();
        assert!(total < bytes.len() as u64 * 3 / 2, "{name}: {total} bytes read for a {}-byte file", bytes.len());
    }
}

/// The lean transport (what the helper worker posts) drops exactly the retained file bytes and
/// leaves the worker's own image as it was.
#[test]
fn lean_transport_drops_only_file_bytes_and_keeps_the_image() {
    use eifscope::image::{read_image, Image};
    let mut image = read_image("basic-b.eif", &SliceSource(fixture("basic-b.eif")), &Limits::default()).unwrap();
    let before = image.to_transport().unwrap();
    let retained = image.ramdisks.iter().flat_map(|rd| &rd.model.entries).filter(|e| e.data.is_some()).count();
    assert!(retained > 0, "the fixture has small files whose bytes the first pass keeps");
    let lean = Image::from_transport(&image.to_transport_lean().unwrap()).unwrap();
    assert_eq!(image.to_transport().unwrap(), before, "the worker's image is unchanged");
    assert!(lean.ramdisks.iter().flat_map(|rd| &rd.model.entries).all(|e| e.data.is_none()));
    let mut stripped = Image::from_transport(&before).unwrap();
    for rd in &mut stripped.ramdisks {
        for entry in &mut rd.model.entries {
            entry.data = None;
        }
    }
    assert_eq!(lean.to_transport().unwrap(), stripped.to_transport().unwrap(), "nothing else is lost");
}
