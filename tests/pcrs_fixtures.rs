//! PCR files against the reference reader's describe-eif JSON.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use eifscope::formats::pcrs::{compare, parse, PcrFormat, PcrValue};
use std::collections::BTreeMap;

const DESCRIBES: &[(&str, &str)] = &[
    ("basic-a", include_str!("fixtures/basic-a.describe.json")),
    ("basic-b", include_str!("fixtures/basic-b.describe.json")),
    ("meta-a", include_str!("fixtures/meta-a.describe.json")),
    ("meta-b", include_str!("fixtures/meta-b.describe.json")),
    ("multi", include_str!("fixtures/multi.describe.json")),
    ("nogz-a", include_str!("fixtures/nogz-a.describe.json")),
    ("nogz-b", include_str!("fixtures/nogz-b.describe.json")),
    ("signed", include_str!("fixtures/signed.describe.json")),
    ("single-a", include_str!("fixtures/single-a.describe.json")),
    ("single-b", include_str!("fixtures/single-b.describe.json")),
];

/// The Measurements of a describe JSON, read independently of the parser under test.
fn measured(describe: &str) -> BTreeMap<u8, PcrValue> {
    let v: serde_json::Value = serde_json::from_str(describe).unwrap();
    v["Measurements"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| {
            let i: u8 = k.strip_prefix("PCR")?.parse().ok()?;
            let mut out = [0u8; 48];
            hex::decode_to_slice(v.as_str().unwrap(), &mut out).unwrap();
            Some((i, out))
        })
        .collect()
}

fn describe(name: &str) -> &'static str {
    DESCRIBES.iter().find(|(n, _)| *n == name).unwrap().1
}

#[test]
fn every_describe_json_parses_to_its_measurements() {
    for (name, text) in DESCRIBES {
        let f = parse(text.as_bytes()).unwrap();
        assert_eq!(f.format, PcrFormat::DescribeEif, "{name}");
        assert_eq!(f.hash_algorithm.as_deref(), Some("Sha512_48 { .. }"));
        let m = measured(text);
        assert_eq!(f.values, m, "{name}");
        let c = compare(&f, &m);
        assert!(c.matches && c.missing_in_image.is_empty() && c.not_in_file.is_empty(), "{name}");
    }
    assert!(parse(describe("signed").as_bytes()).unwrap().values.contains_key(&8));
}

#[test]
fn stagex_text_and_measurements_json() {
    let f = parse(include_bytes!("fixtures/single-a.pcrs")).unwrap();
    assert_eq!(f.format, PcrFormat::StagexText);
    assert_eq!(f.values, measured(describe("single-a")));
    let c = compare(&f, &measured(describe("single-b")));
    let equal: Vec<(u8, Option<bool>)> = c.rows.iter().map(|r| (r.index, r.equal)).collect();
    assert_eq!(equal, [(0, Some(false)), (1, Some(false)), (2, Some(true))]);
    assert!(!c.matches);
    let fb = parse(include_bytes!("fixtures/single-b.pcrs")).unwrap();
    assert!(compare(&fb, &measured(describe("single-b"))).matches);

    let m = parse(include_bytes!("fixtures/basic-a.measurements.json")).unwrap();
    assert_eq!(m.format, PcrFormat::NitroCliMeasurements);
    assert_eq!(m.values, measured(describe("basic-a")));
    // against the signed image: same PCR0-2, PCR8 only in the image
    let c = compare(&m, &measured(describe("signed")));
    assert!(c.matches);
    assert_eq!(c.not_in_file, [8]);
    // the signed image's PCRs against the unsigned image: PCR8 is missing there
    let s = parse(describe("signed").as_bytes()).unwrap();
    let c = compare(&s, &measured(describe("basic-a")));
    assert!(!c.matches);
    assert_eq!(c.missing_in_image, [8]);

    // bare map and {"PCR8": ..}
    let bare = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(include_str!("fixtures/basic-a.measurements.json")).unwrap()["Measurements"]).unwrap();
    let f = parse(bare.as_bytes()).unwrap();
    assert_eq!((f.format, f.values.len()), (PcrFormat::BareMap, 3));
    let pcr8 = hex::encode(measured(describe("signed"))[&8]);
    let f = parse(format!("{{\"PCR8\": \"{pcr8}\"}}").as_bytes()).unwrap();
    assert_eq!((f.format, f.values.keys().copied().collect::<Vec<_>>()), (PcrFormat::NitroCliPcr, vec![8]));
}
