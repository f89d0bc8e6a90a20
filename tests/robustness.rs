//! Hostile input through the whole pipeline: every fixture truncated at every section
//! boundary and at many pseudo-random points, and bit-flipped at many positions, is read by
//! `read_image` and compared against the original. Nothing may panic or hang; a failure must be
//! an error that names an offset, or a model with diagnostics.
//! Runs natively and on wasm32 (fixtures via `include_bytes!`, a seeded PRNG, no clock).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use eifscope::analyze::{compare, Input};
use eifscope::source::SliceSource;
use eifscope::image::read_image;
use eifscope::limits::Limits;

const FIXTURES: &[(&str, &[u8])] = &[
    ("basic-a.eif", include_bytes!("fixtures/basic-a.eif")),
    ("basic-b.eif", include_bytes!("fixtures/basic-b.eif")),
    ("nogz-a.eif", include_bytes!("fixtures/nogz-a.eif")),
    ("single-a.eif", include_bytes!("fixtures/single-a.eif")),
    ("multi.eif", include_bytes!("fixtures/multi.eif")),
    ("signed.eif", include_bytes!("fixtures/signed.eif")),
    ("meta-a.eif", include_bytes!("fixtures/meta-a.eif")),
    ("basic-customer-a.cpio.gz", include_bytes!("fixtures/basic-customer-a.cpio.gz")),
];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn limits() -> Limits {
    Limits { max_decompressed_bytes: 64 << 20, ..Limits::default() }
}

/// Offsets worth cutting at: every section header start, payload start and end.
fn boundaries(data: &[u8]) -> Vec<usize> {
    let mut out = vec![0, 4, 6, 8, 26, 28, 284, 540, 544, 548];
    if data.len() >= 548 && &data[..4] == b".eif" {
        let n = u16::from_be_bytes([data[26], data[27]]).min(32) as usize;
        for i in 0..n {
            let off = u64::from_be_bytes(data[28 + 8 * i..36 + 8 * i].try_into().unwrap()) as usize;
            let size = u64::from_be_bytes(data[284 + 8 * i..292 + 8 * i].try_into().unwrap()) as usize;
            for b in [off, off + 1, off + 11, off + 12, off + 13, off + 12 + size / 2, off + 12 + size - 1, off + 12 + size] {
                out.push(b);
            }
        }
    }
    out.retain(|b| *b < data.len());
    out
}

/// Reads `data` and, when it decodes, compares it with the original: must not panic.
fn exercise(name: &str, original: &[u8], data: &[u8]) {
    let src = SliceSource(data);
    match read_image(name, &src, &limits()) {
        Ok(image) => {
            let _ = image.summary();
            let orig = SliceSource(original);
            let a = Input { name: "original".into(), source: &orig, pcr_file: None };
            let b = Input { name: name.into(), source: &src, pcr_file: None };
            let report = compare(&a, &b, &limits()).expect("both decode");
            let _ = eifscope::report::html::render(&report);
        }
        Err(e) => {
            assert!(!e.message.is_empty(), "{name}: empty error");
            assert!(e.offset <= data.len() as u64 + 548, "{name}: error offset {} beyond input", e.offset);
        }
    }
}

#[test]
fn truncated_at_every_section_boundary() {
    for (name, data) in FIXTURES {
        for cut in boundaries(data) {
            exercise(name, data, &data[..cut]);
        }
    }
}

#[test]
fn truncated_at_random_points() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for (name, data) in FIXTURES {
        for _ in 0..60 {
            let cut = rng.below(data.len());
            exercise(name, data, &data[..cut]);
        }
    }
}

#[test]
fn bit_flips_anywhere() {
    let mut rng = Rng(0xb17f_11b5_0000_0001);
    for (name, data) in FIXTURES {
        let bounds = boundaries(data);
        for i in 0..120 {
            let mut copy = data.to_vec();
            // Half the flips land near structure (headers, tables), half anywhere.
            let pos = if i % 2 == 0 && !bounds.is_empty() {
                (bounds[rng.below(bounds.len())] + rng.below(16)).min(copy.len() - 1)
            } else {
                rng.below(copy.len())
            };
            copy[pos] ^= 1 << rng.below(8);
            exercise(name, data, &copy);
        }
    }
}

#[test]
fn truncated_eif_error_names_offset() {
    let data = FIXTURES[0].1;
    let err = read_image("x.eif", &SliceSource(&data[..100]), &limits()).unwrap_err();
    assert!(err.message.contains("0x"), "{}", err.message);
    let model = read_image("x.eif", &SliceSource(&data[..34_500]), &limits()).expect("partial model");
    assert!(model.diagnostics.iter().any(|d| d.offset.is_some()), "diagnostics carry offsets");
}
