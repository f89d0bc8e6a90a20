//! Core tests that must also pass on wasm32 (run under node by wasm-bindgen-test-runner):
//! 32-bit `usize`, no clock, no file system. Natively they run as ordinary `#[test]`s.
//!
//! Run on wasm32 with
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test --target wasm32-unknown-unknown --test wasm_core`.
//! Fixtures come in through `include_bytes!`, so the wasm test needs no file access.

use std::io::Read;

use eifscope::formats::bytes::{escape_bytes, to_hex, Cursor};
use eifscope::source::{ByteSource, RangeReader};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

static BASIC_A: &[u8] = include_bytes!("fixtures/basic-a.eif");
static BASIC_B: &[u8] = include_bytes!("fixtures/basic-b.eif");

#[test]
fn escape_bytes_is_lossless_and_inert() {
    assert_eq!(escape_bytes(b"usr/bin/app"), "usr/bin/app");
    assert_eq!(escape_bytes(b"a\xffb"), "a\\xffb");
    assert_eq!(escape_bytes(b"tab\there"), "tab\\x09here");
    // A right-to-left override must not reorder what the user sees.
    assert_eq!(
        escape_bytes("evil\u{202e}txt".as_bytes()),
        "evil\\u{202e}txt"
    );
    assert_eq!(escape_bytes(b"back\\slash"), "back\\\\slash");
    assert_ne!(escape_bytes(b"\\xff"), escape_bytes(b"\xff"));
}

#[test]
fn fixtures_are_eifs_of_the_documented_sizes() {
    // tests/fixtures/README.md: basic-a.eif is 36185 bytes, basic-b.eif 36191.
    assert_eq!(BASIC_A.len(), 36185);
    assert_eq!(BASIC_B.len(), 36191);
    for image in [BASIC_A, BASIC_B] {
        let mut cursor = Cursor::new(image, 0);
        assert_eq!(&cursor.array::<4>("magic").unwrap(), b".eif");
        assert_eq!(cursor.u16_be("version").unwrap(), 4);
    }
}

#[test]
fn source_reads_at_offsets_and_refuses_past_the_end() {
    // `[u8]` is unsized, so a `&dyn ByteSource` goes through a Vec.
    let owned = BASIC_A.to_vec();
    let source: &dyn ByteSource = &owned;
    assert_eq!(source.len(), 36185);
    let mut magic = [0u8; 4];
    source.read_at(0, &mut magic).unwrap();
    assert_eq!(to_hex(&magic), "2e656966");

    let mut tail = [0u8; 8];
    source.read_at(36185 - 8, &mut tail).unwrap();
    let err = source.read_at(36185 - 7, &mut tail).unwrap_err();
    assert_eq!(
        err.to_string(),
        "reading 8 bytes at 0x8d52: past the end of the input"
    );
    // Offsets beyond a 32-bit usize must fail cleanly, not wrap.
    assert!(source.read_at(u64::from(u32::MAX) + 1, &mut tail).is_err());
    assert!(source.read_at(u64::MAX, &mut tail).is_err());
}

#[test]
fn range_reader_streams_a_clamped_window() {
    let mut out = Vec::new();
    let owned = BASIC_B.to_vec();
    let mut reader = RangeReader::new(&owned, 36191 - 10, 1 << 40);
    assert_eq!(reader.remaining(), 10);
    reader.read_to_end(&mut out).unwrap();
    assert_eq!(out, &BASIC_B[36191 - 10..]);
    assert_eq!(reader.position(), 36191);
}

#[test]
fn inline_text_diff_does_not_need_a_clock() {
    // similar's inline diff calls Instant::now unless built with `wasm32_web_time`; on
    // wasm32 that panics ("time not implemented on this platform").
    let diff = similar::TextDiff::from_lines("console=ttyS0\nquiet\n", "console=ttyS0\nverbose\n");
    let mut changed = Vec::new();
    let mut n_emphasized = 0;
    for op in diff.ops() {
        for change in diff.iter_inline_changes(op) {
            if change.tag() == similar::ChangeTag::Equal {
                continue;
            }
            let mut text = String::new();
            for (emphasized, part) in change.iter_strings_lossy() {
                n_emphasized += usize::from(emphasized);
                text.push_str(&part);
            }
            changed.push((change.tag(), text));
        }
    }
    use similar::ChangeTag::{Delete, Insert};
    assert_eq!(
        changed,
        vec![
            (Delete, "quiet\n".to_string()),
            (Insert, "verbose\n".to_string())
        ]
    );
    assert!(n_emphasized >= 2, "inline diff marked no changed words");
}

#[test]
fn share_links_round_trip_and_refuse_damage_on_32_bits() {
    use eifscope::analyze::{compare, Input};
    use eifscope::limits::Limits;
    use eifscope::report::share::{decode, encode, ShareError, DEFAULT_BUDGET, MAX_JSON_BYTES};
    let (a, b) = (BASIC_A.to_vec(), BASIC_B.to_vec());
    let input = |name: &str, source| Input { name: name.into(), source, pcr_file: None };
    let report = compare(&input("basic-a.eif", &a), &input("basic-b.eif", &b), &Limits::default()).unwrap();
    let link = encode(&report, DEFAULT_BUDGET).unwrap();
    assert_eq!(link.trimmed, None);
    assert_eq!(decode(&link.payload).unwrap(), report);
    // One character short of the whole report: the one content diff (app.conf) goes.
    let tight = encode(&report, link.payload.len() - 1).unwrap();
    let trimmed = tight.trimmed.unwrap();
    assert_eq!((trimmed.content_diffs, trimmed.entries()), (1, 0));
    // Damage is named, not crashed on.
    let mut flipped = link.payload.clone().into_bytes();
    let at = flipped.len() / 2;
    flipped[at] = if flipped[at] == b'A' { b'B' } else { b'A' };
    assert_eq!(decode(std::str::from_utf8(&flipped).unwrap()), Err(ShareError::ChecksumMismatch));
    // A bomb with a right checksum stops at the limit: 16 MiB of zeros in ~16 KiB.
    let deflated = miniz_oxide::deflate::compress_to_vec(&vec![0u8; 16 << 20], 9);
    let mut bytes = <sha2::Sha256 as sha2::Digest>::digest(&deflated).to_vec();
    bytes.extend_from_slice(&deflated);
    let bomb = format!("1.{}", base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &bytes));
    assert_eq!(decode(&bomb), Err(ShareError::DecompressedTooLarge { limit: MAX_JSON_BYTES }));
}
