//! One realistic planted case per public cause id, built with the fixture builder in
//! `tests/support`: each pair differs the way that cause describes and the cause must rank
//! first, with evidence pointing at the right entries and layers. Plus a difference no rule
//! explains, which must be listed as unexplained rather than forced onto a cause.

mod support;

use eifscope::report::{Confidence, LayerStatus, Report, VerdictKind};
use support::*;

fn pair(a: &Rootfs, b: &Rootfs) -> Report {
    diff_bytes(&a.eif().build(), &b.eif().build())
}

fn assert_top(r: &Report, id: &str) {
    assert!(!r.causes.is_empty(), "no causes; unexplained {:?}", r.unexplained);
    assert_eq!(r.causes[0].id, id, "ranking {:?}\nevidence of first: {:?}", cause_ids(r), r.causes[0].evidence);
}

fn cause<'r>(r: &'r Report, id: &str) -> &'r eifscope::report::Cause {
    r.causes.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("{id} not in {:?}", cause_ids(r)))
}

#[test]
fn builder_reproduces_the_published_fixture() {
    // The EIF writer lays out basic-a's own sections byte for byte (header, table, CRC).
    let sections = eif_sections(BASIC_A);
    let customer = sections.iter().filter(|(t, _)| *t == 3).nth(1).unwrap().1.clone();
    assert_eq!(Eif::nitro(customer.clone()).build(), BASIC_A);
    // The cpio writer reproduces GNU cpio's archive (hard links, padding, trailer).
    let raw = gunzip(&customer);
    let entries = read_cpio(&raw);
    assert_eq!(entries.len(), 36);
    assert_eq!(cpio(&entries), raw);
    // The gzip writer's member is read back by the engine's decoder with its header fields.
    let gz = gzip(&raw, &Gzip { level: 6, mtime: 1_700_000_000, xfl: None, os: 3, fname: Some(b"rootfs.cpio".to_vec()) });
    let model = eifscope::formats::ramdisk::parse_ramdisk_bytes(&gz, &eifscope::limits::Limits::default());
    assert_eq!(model.entries.len(), 36);
    let h = model.layers[0].gzip.as_ref().unwrap();
    assert_eq!((h.mtime, h.os, h.name.as_deref()), (1_700_000_000, 3, Some(&b"rootfs.cpio"[..])));
    // A realistic tree against itself is identical.
    let fs = Rootfs::realistic();
    let r = pair(&fs, &fs);
    assert_eq!(r.verdict.kind, VerdictKind::Identical);
    assert!(fs.entries.len() >= 24);
}
