//! Fuzz the cpio push parser, fed in two uneven chunks.
#![no_main]
use eifscope::formats::cpio::CpioParser;
use eifscope::limits::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let mut parser = CpioParser::new(&limits);
    let split = data.first().map(|b| usize::from(*b) % (data.len() + 1)).unwrap_or(0);
    let (x, y) = data.split_at(split);
    if parser.feed(x).is_ok() {
        let _ = parser.feed(y);
    }
    let _ = parser.finish();
});
