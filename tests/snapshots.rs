//! Snapshots of the JSON report model and the HTML export over the published fixture pairs
//! (insta), so any change to what users see is reviewed as a diff of the `.snap` files.
//! Reports hold no clock or host data; only the tool version is normalised so a version bump
//! alone does not churn every snapshot.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use eifscope::report::{html, Report};
use support::{diff_named, fixture};

fn report(a: &str, b: &str) -> Report {
    let mut r = diff_named(a, fixture(a), b, fixture(b));
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
