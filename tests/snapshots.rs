//! Snapshots of the JSON report model and the HTML export over the published fixture pairs
//! (insta), so any change to what users see is reviewed as a diff of the `.snap` files.
//! Reports hold no clock or host data; only the tool version is normalised so a version bump
//! alone does not churn every snapshot.
#![cfg(not(target_arch = "wasm32"))]

use eifscope::analyze::{compare, Input};
use eifscope::source::SliceSource;
use eifscope::limits::Limits;
use eifscope::report::{html, Report};

fn fixture(name: &str) -> &'static [u8] {
    match name {
        "basic-a.eif" => include_bytes!("fixtures/basic-a.eif"),
        "basic-b.eif" => include_bytes!("fixtures/basic-b.eif"),
        "single-a.eif" => include_bytes!("fixtures/single-a.eif"),
        "single-b.eif" => include_bytes!("fixtures/single-b.eif"),
        "multi.eif" => include_bytes!("fixtures/multi.eif"),
        "signed.eif" => include_bytes!("fixtures/signed.eif"),
        "meta-a.eif" => include_bytes!("fixtures/meta-a.eif"),
        "meta-b.eif" => include_bytes!("fixtures/meta-b.eif"),
        other => panic!("unknown fixture {other}"),
    }
}

fn report(a: &str, b: &str) -> Report {
    let (sa, sb) = (SliceSource(fixture(a)), SliceSource(fixture(b)));
    let ia = Input { name: a.into(), source: &sa, pcr_file: None };
    let ib = Input { name: b.into(), source: &sb, pcr_file: None };
    let mut r = compare(&ia, &ib, &Limits::default()).expect("fixtures compare");
    assert!(r.tool.starts_with("eifscope "));
    r.tool = "eifscope [version]".into();
    r
}

#[test]
fn basic_report_json() {
    insta::assert_json_snapshot!("basic", report("basic-a.eif", "basic-b.eif"));
}

#[test]
fn meta_report_json() {
    insta::assert_json_snapshot!("meta", report("meta-a.eif", "meta-b.eif"));
}

#[test]
fn single_report_json() {
    insta::assert_json_snapshot!("single", report("single-a.eif", "single-b.eif"));
}

#[test]
fn signed_vs_basic_report_json() {
    insta::assert_json_snapshot!("signed_vs_basic", report("basic-a.eif", "signed.eif"));
}

#[test]
fn multi_vs_basic_report_json() {
    insta::assert_json_snapshot!("multi_vs_basic", report("basic-a.eif", "multi.eif"));
}

#[test]
fn basic_report_html() {
    // One tag per line so a change shows as a readable diff (the CSS block is one line).
    let page = html::render(&report("basic-a.eif", "basic-b.eif"));
    insta::assert_snapshot!("basic_html", page.replace("><", ">\n<"));
}
