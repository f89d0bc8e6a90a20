//! Fuzz PCR file parsing (every text and JSON shape) and the comparison with a measured set.
#![no_main]
use eifscope::formats::pcrs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = pcrs::parse(data) {
        let measured = std::collections::BTreeMap::from([(0u8, [0u8; 48])]);
        let _ = pcrs::compare(&file, &measured);
    }
});
