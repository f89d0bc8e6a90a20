//! Fuzz the signature section decoder: CBOR, PEM, X.509, COSE_Sign1, ECDSA verification.
#![no_main]
use eifscope::formats::signature::parse_signature;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_signature(data, 0, Some(&[0u8; 48]));
});
