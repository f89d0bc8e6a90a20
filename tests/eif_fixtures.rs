//! The EIF container layer against AWS's own reader: every `tests/fixtures/*.eif` is read with
//! [`read_eif`] and compared field by field with its `*.describe.json` (printed by
//! aws-nitro-enclaves-image-format 0.8.1's `EifReader`). Then hand-modified copies of the
//! fixtures check the diagnostics (gaps, overlaps, walk disagreement, truncation, bad CRC,
//! bad signature).
//!
//! Fixtures are embedded with `include_bytes!` and the checking logic lives in plain functions
//! ([`check_against_describe`]), so a wasm32 harness can call the same code.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use eifscope::diagnostics::{Diagnostic, Severity};
use eifscope::formats::eif::{read_eif, Arch, EifErrorKind, EifModel, SectionKind, HEADER_LEN};
use eifscope::formats::kernel::KernelFormat;
use eifscope::formats::measure::PCR_OF_EMPTY;
use serde_json::Value;

/// One fixture: its name, the EIF bytes and AWS's describe JSON.
pub struct Fixture {
    pub name: &'static str,
    pub eif: &'static [u8],
    pub describe: &'static str,
}

macro_rules! fixture {
    ($name:literal) => {
        Fixture {
            name: $name,
            eif: include_bytes!(concat!("fixtures/", $name, ".eif")),
            describe: include_str!(concat!("fixtures/", $name, ".describe.json")),
        }
    };
}

/// Every EIF fixture with its describe JSON.
pub fn fixtures() -> Vec<Fixture> {
    vec![
        fixture!("basic-a"),
        fixture!("basic-b"),
        fixture!("nogz-a"),
        fixture!("nogz-b"),
        fixture!("single-a"),
        fixture!("single-b"),
        fixture!("multi"),
        fixture!("signed"),
        fixture!("meta-a"),
        fixture!("meta-b"),
    ]
}

fn fixture(name: &str) -> Fixture {
    fixtures().into_iter().find(|f| f.name == name).expect("fixture exists")
}

fn read(bytes: &[u8]) -> EifModel {
    read_eif(&bytes.to_vec()).expect("eif reads")
}

fn u64_of(v: &Value, what: &str) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("{what} is not a u64: {v}"))
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str().unwrap_or_else(|| panic!("{what} is not a string: {v}"))
}

/// "Jan  1 00:00:00 2024 GMT" (openssl) -> "2024-01-01T00:00:00Z".
fn openssl_date_to_rfc3339(s: &str) -> String {
    let parts: Vec<&str> = s.split_whitespace().collect();
    assert_eq!(parts.len(), 5, "openssl date {s:?}");
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = months.iter().position(|m| *m == parts[0]).expect("month") + 1;
    let day: u32 = parts[1].parse().expect("day");
    format!("{}-{month:02}-{day:02}T{}Z", parts[3], parts[2])
}

/// Compares everything AWS's reader printed for `f` with our model; panics on the first mismatch.
pub fn check_against_describe(f: &Fixture) {
    let name = f.name;
    let d: Value = serde_json::from_str(f.describe).expect("describe json parses");
    let m = read(f.eif);
    let layout = &d["_Layout"];

    // Header.
    assert_eq!(u64::from(m.header.version), u64_of(&d["EifVersion"], "EifVersion"), "{name}: version");
    assert_eq!(u64::from(m.header.version), u64_of(&layout["Version"], "Version"), "{name}: version");
    assert_eq!(m.header.magic, str_of(&layout["Magic"], "Magic"), "{name}: magic");
    assert_eq!(u64::from(m.header.flags), u64_of(&layout["Flags"], "Flags"), "{name}: flags");
    assert_eq!(m.header.arch, Arch::X86_64, "{name}: arch");
    assert!(m.header.unknown_flag_bits.is_empty(), "{name}: unknown flag bits");
    assert_eq!(m.header.default_mem, u64_of(&layout["DefaultMem"], "DefaultMem"), "{name}: default_mem");
    assert_eq!(m.header.default_cpus, u64_of(&layout["DefaultCpus"], "DefaultCpus"), "{name}: default_cpus");
    assert_eq!(u64::from(m.header.reserved), u64_of(&layout["Reserved"], "Reserved"), "{name}: reserved");
    assert_eq!(u64::from(m.header.unused), u64_of(&layout["Unused"], "Unused"), "{name}: unused");
    assert_eq!(u64::from(m.header.num_sections), u64_of(&layout["NumSections"], "NumSections"), "{name}: num_sections");
    assert_eq!(m.file_size, u64_of(&layout["FileSize"], "FileSize"), "{name}: file size");
    assert_eq!(m.blake3, blake3::hash(f.eif).to_hex().as_str(), "{name}: whole-file blake3");
    let table = layout["SectionTable"].as_array().expect("SectionTable");
    let ours = m.header.section_table();
    assert_eq!(ours.len(), table.len(), "{name}: section table length");
    for (slot, theirs) in ours.iter().zip(table) {
        assert_eq!(slot.offset, u64_of(&theirs["offset"], "offset"), "{name}: table offset");
        assert_eq!(slot.size, u64_of(&theirs["size"], "size"), "{name}: table size");
    }

    // Sections.
    let sections = layout["Sections"].as_array().expect("Sections");
    assert_eq!(m.sections.len(), sections.len(), "{name}: section count");
    for (s, theirs) in m.sections.iter().zip(sections) {
        let ctx = format!("{name}: section {}", s.index);
        assert_eq!(s.index as u64, u64_of(&theirs["index"], "index"), "{ctx}: index");
        assert_eq!(s.kind.name(), str_of(&theirs["type"], "type"), "{ctx}: type");
        assert_eq!(u64::from(s.type_code), u64_of(&theirs["type_code"], "type_code"), "{ctx}: type_code");
        assert_eq!(u64::from(s.flags), u64_of(&theirs["flags"], "flags"), "{ctx}: flags");
        assert_eq!(s.header_offset, u64_of(&theirs["header_offset"], "header_offset"), "{ctx}: header_offset");
        assert_eq!(s.data_offset, u64_of(&theirs["data_offset"], "data_offset"), "{ctx}: data_offset");
        assert_eq!(s.size, u64_of(&theirs["size"], "size"), "{ctx}: size");
        assert_eq!(s.present_len, s.size, "{ctx}: complete");
        assert_eq!(s.sha384, str_of(&theirs["sha384"], "sha384"), "{ctx}: sha384");
        assert_eq!(s.first_bytes, str_of(&theirs["first_bytes"], "first_bytes"), "{ctx}: first_bytes");
    }

    // CRC.
    let crc_hex = format!("{:#010x}", m.crc.computed);
    assert_eq!(crc_hex, str_of(&layout["Crc32"], "Crc32"), "{name}: crc32");
    assert_eq!(m.crc.stored, m.crc.computed, "{name}: stored crc");
    assert_eq!(Some(m.crc.ok), d["CheckCRC"].as_bool(), "{name}: CheckCRC");

    // Measurements.
    let meas = &d["Measurements"];
    for pcr in ["PCR0", "PCR1", "PCR2", "PCR8"] {
        let ours = m.measurements.get(pcr).map(|p| p.hex.as_str());
        assert_eq!(ours, meas[pcr].as_str(), "{name}: {pcr}");
        if let Some(p) = m.measurements.get(pcr) {
            assert_eq!(p.hex, hex::encode(p.raw), "{name}: {pcr} raw");
        }
    }
    assert!(m.measurements.complete, "{name}: measurements complete");
    let n_ramdisks = m.sections_of(SectionKind::Ramdisk).count();
    assert_eq!(m.measurements.single_ramdisk, n_ramdisks == 1, "{name}: single_ramdisk");
    if m.measurements.single_ramdisk {
        assert_eq!(m.measurements.pcr1.hex, m.measurements.pcr0.hex, "{name}: single ramdisk pcr1 == pcr0");
        assert_eq!(m.measurements.pcr2.hex, PCR_OF_EMPTY, "{name}: single ramdisk pcr2");
        assert!(m.measurements.notes.iter().any(|n| n.contains("pcr2 says nothing")), "{name}: single ramdisk note");
    }

    // Metadata (describe-eif flattens BuildMetadata, DockerInfo and CustomMetadata's keys).
    let meta = m.metadata.as_ref().expect("metadata decoded");
    assert_eq!(meta.image_name.as_deref(), d["ImageName"].as_str(), "{name}: ImageName");
    assert_eq!(meta.image_version.as_deref(), d["ImageVersion"].as_str(), "{name}: ImageVersion");
    let dm = &d["Metadata"];
    for (field, ours) in [
        ("BuildTime", &meta.build_time),
        ("BuildTool", &meta.build_tool),
        ("BuildToolVersion", &meta.build_tool_version),
        ("OperatingSystem", &meta.operating_system),
        ("KernelVersion", &meta.kernel_version),
    ] {
        assert_eq!(ours.as_deref(), dm[field].as_str(), "{name}: Metadata.{field}");
    }
    assert_eq!(meta.docker_info.as_ref(), dm.get("DockerInfo"), "{name}: DockerInfo");
    let custom = meta.custom_metadata.as_ref().and_then(Value::as_object).expect("CustomMetadata object");
    assert!(!custom.is_empty(), "{name}: CustomMetadata not empty");
    for (key, value) in custom {
        assert_eq!(Some(value), dm.get(key), "{name}: CustomMetadata.{key}");
    }

    // Signature.
    assert_eq!(Some(m.is_signed()), d["IsSigned"].as_bool(), "{name}: IsSigned");
    match &m.signature {
        None => assert!(!m.is_signed(), "{name}: signature section present but not decoded"),
        Some(sig) => {
            assert_eq!(Some(sig.verification.verified), d["SignatureCheck"].as_bool(), "{name}: SignatureCheck ({})", sig.verification.reason);
            assert_eq!(sig.signed_pcr0_matches, Some(true), "{name}: signed pcr0");
            assert_eq!(Some(sig.pcr8.as_str()), meas["PCR8"].as_str(), "{name}: pcr8");
            let cert = &d["SigningCertificate"];
            let c = &sig.certificate;
            assert_eq!(c.signature_algorithm, str_of(&cert["Algorithm"], "Algorithm"), "{name}: cert algorithm");
            assert_eq!(c.not_before, openssl_date_to_rfc3339(str_of(&cert["NotBefore"], "NotBefore")), "{name}: not_before");
            assert_eq!(c.not_after, openssl_date_to_rfc3339(str_of(&cert["NotAfter"], "NotAfter")), "{name}: not_after");
            let their_sig = str_of(&cert["Signature"], "Signature").replace(':', "").to_lowercase();
            assert_eq!(c.signature, their_sig, "{name}: certificate signature");
            let issuer = cert["IssuerName"].as_object().expect("IssuerName");
            assert_eq!(c.issuer_attributes.len(), issuer.len(), "{name}: issuer attribute count");
            for attr in &c.issuer_attributes {
                assert_eq!(issuer.get(&attr.name).and_then(Value::as_str), Some(attr.value.as_str()), "{name}: issuer {}", attr.name);
            }
        }
    }

    // Kernel (the same 32 KiB bzImage head in every fixture).
    let k = m.kernel.as_ref().expect("kernel decoded");
    assert_eq!(k.format, KernelFormat::BzImage, "{name}: kernel format");
    assert_eq!(k.sha384, m.sections[0].sha384, "{name}: kernel sha384");
    assert!(
        k.version.as_deref().unwrap_or("").starts_with("6.1.0-56-amd64 (debian-kernel@lists.debian.org)"),
        "{name}: kernel version {:?}",
        k.version
    );

    // AWS's walk agrees with the table on every fixture; nothing worse than the kernel note.
    assert!(m.walk.agrees_with_table, "{name}: walk {:?}", m.walk);
    let serious: Vec<&Diagnostic> =
        m.diagnostics.iter().filter(|d| d.severity >= Severity::Warning && d.context != "kernel").collect();
    assert!(serious.is_empty(), "{name}: unexpected diagnostics {serious:#?}");
}

#[test]
fn basic_a_matches_describe() {
    check_against_describe(&fixture("basic-a"));
}
#[test]
fn basic_b_matches_describe() {
    check_against_describe(&fixture("basic-b"));
}
#[test]
fn nogz_a_matches_describe() {
    check_against_describe(&fixture("nogz-a"));
}
#[test]
fn nogz_b_matches_describe() {
    check_against_describe(&fixture("nogz-b"));
}
#[test]
fn single_a_matches_describe() {
    check_against_describe(&fixture("single-a"));
}
#[test]
fn single_b_matches_describe() {
    check_against_describe(&fixture("single-b"));
}
#[test]
fn multi_matches_describe() {
    check_against_describe(&fixture("multi"));
}
#[test]
fn signed_matches_describe() {
    check_against_describe(&fixture("signed"));
}
#[test]
fn meta_a_matches_describe() {
    check_against_describe(&fixture("meta-a"));
}
#[test]
fn meta_b_matches_describe() {
    check_against_describe(&fixture("meta-b"));
}

#[test]
fn pcrs_files_and_measurements_json_agree() {
    // StageX text format: "<hex> PCRn" lines.
    for (eif, pcrs) in [
        (fixture("single-a").eif, include_str!("fixtures/single-a.pcrs")),
        (fixture("single-b").eif, include_str!("fixtures/single-b.pcrs")),
    ] {
        let m = read(eif);
        let lines: Vec<&str> = pcrs.lines().collect();
        assert_eq!(lines.len(), 3);
        for line in lines {
            let (hex, name) = line.split_once(' ').expect("'<hex> PCRn'");
            assert_eq!(m.measurements.get(name).map(|p| p.hex.as_str()), Some(hex), "{name}");
        }
    }
    let j: Value = serde_json::from_str(include_str!("fixtures/basic-a.measurements.json")).unwrap();
    let m = read(fixture("basic-a").eif);
    for pcr in ["PCR0", "PCR1", "PCR2"] {
        assert_eq!(j["Measurements"][pcr].as_str(), Some(m.measurements.get(pcr).unwrap().hex.as_str()));
    }
}

#[test]
fn fed_by_and_kernel_details_of_basic_a() {
    let m = read(fixture("basic-a").eif);
    // Kernel 0, Cmdline 1, Metadata 2, Ramdisk 3 (bootstrap), Ramdisk 4 (customer).
    assert_eq!(m.measurements.pcr0.fed_by, [0, 1, 3, 4]);
    assert_eq!(m.measurements.pcr1.fed_by, [0, 1, 3]);
    assert_eq!(m.measurements.pcr2.fed_by, [4]);
    assert!(!m.measurements.single_ramdisk);
    let bz = m.kernel.as_ref().unwrap().bzimage.as_ref().unwrap();
    assert_eq!(bz.boot_protocol, "2.15");
    assert_eq!(bz.setup_sects, 39);
    assert_eq!(bz.payload_offset, Some(40 * 512 + 0x2cc));
    assert_eq!(bz.payload_length, Some(0x7bf070));
    assert!(bz.payload_compression.is_some());
    // The fixture kernel is a 32 KiB head: truncation is a diagnostic with the payload offset.
    let trunc = m.diagnostics.iter().find(|d| d.context == "kernel" && d.message.contains("truncated")).expect("kernel truncated diagnostic");
    assert_eq!(trunc.offset, Some(560 + 40 * 512 + 0x2cc));
    let single = read(fixture("single-a").eif);
    assert_eq!(single.measurements.pcr1.fed_by, [0, 1, 3]);
    assert!(single.measurements.pcr2.fed_by.is_empty());
}

// ---- hand-modified copies ----

fn set_be_u64(buf: &mut [u8], at: usize, value: u64) {
    buf[at..at + 8].copy_from_slice(&value.to_be_bytes());
}
fn table_offset_slot(i: usize) -> usize {
    28 + 8 * i
}
fn has(m: &EifModel, severity: Severity, offset: Option<u64>, needle: &str) -> bool {
    m.diagnostics.iter().any(|d| d.severity == severity && d.offset == offset && d.message.contains(needle))
}

#[test]
fn unknown_flag_bits_are_shown_not_rejected() {
    let mut eif = fixture("basic-a").eif.to_vec();
    eif[6..8].copy_from_slice(&((1u16 << 6) | (1 << 9)).to_be_bytes());
    let m = read(&eif);
    assert_eq!(m.header.unknown_flag_bits, [6, 9]);
    assert_eq!(m.header.arch, Arch::X86_64);
    assert!(has(&m, Severity::Info, Some(6), "reserved bit(s) 6, 9"), "{:#?}", m.diagnostics);
    // The header is covered by the CRC, not by any PCR.
    assert!(!m.crc.ok);
    assert_eq!(m.measurements.pcr0.hex, read(fixture("basic-a").eif).measurements.pcr0.hex);
}

#[test]
fn overlap_and_walk_disagreement_when_a_slot_points_at_another_section() {
    // Slot 4 (customer ramdisk at 34885) now points at ramdisk 3's header (34022).
    let mut eif = fixture("basic-a").eif.to_vec();
    set_be_u64(&mut eif, table_offset_slot(4), 34022);
    let m = read(&eif);
    assert_eq!(m.sections[4].header_offset, 34022);
    assert_eq!(m.sections[4].size, 851);
    assert!(has(&m, Severity::Warning, Some(34022 + 4), "section header size 851 differs from table size 1288"), "{:#?}", m.diagnostics);
    assert!(has(&m, Severity::Warning, Some(34022), "section 4 (ramdisk) overlaps section 3 (ramdisk) by 863 bytes"), "{:#?}", m.diagnostics);
    assert!(has(&m, Severity::Warning, Some(34885), "1300 bytes after the last section"), "{:#?}", m.diagnostics);
    assert!(!m.walk.agrees_with_table);
    assert_eq!(m.walk.entries.len(), 5);
    assert_eq!(m.walk.entries[4].header_offset, 34885);
    assert!(has(&m, Severity::Warning, Some(HEADER_LEN), "first difference at entry 4"), "{:#?}", m.diagnostics);
    assert!(!m.crc.ok, "the table is inside the crc");
}

#[test]
fn gap_when_a_slot_skips_the_metadata() {
    // Slot 2 (metadata at 33529) now points at ramdisk 3 (34022): the metadata bytes are a gap.
    let mut eif = fixture("basic-a").eif.to_vec();
    set_be_u64(&mut eif, table_offset_slot(2), 34022);
    let m = read(&eif);
    assert!(has(&m, Severity::Warning, Some(33529), "493 unreferenced bytes between section 1 (cmdline) and section 2 (ramdisk)"), "{:#?}", m.diagnostics);
    assert!(m.metadata.is_none());
    assert!(has(&m, Severity::Warning, Some(4), "no metadata section"));
    assert!(!m.walk.agrees_with_table);
    assert!(has(&m, Severity::Warning, Some(HEADER_LEN), "first difference at entry 2"));
    // The ramdisk is now listed twice, so three ramdisks are measured.
    assert_eq!(m.measurements.n_ramdisks, 3);
    assert_eq!(m.measurements.pcr2.fed_by, [3, 4]);
}

#[test]
fn swapped_table_order_keeps_pcrs_but_walk_differs() {
    // Swap slots 2 (metadata) and 3 (bootstrap ramdisk), offsets and sizes.
    let orig = fixture("basic-a");
    let mut eif = orig.eif.to_vec();
    let (o2, o3) = (table_offset_slot(2), table_offset_slot(3));
    let (s2, s3) = (o2 + 256, o3 + 256);
    let a: Vec<u8> = eif[o2..o2 + 8].to_vec();
    let b: Vec<u8> = eif[s2..s2 + 8].to_vec();
    eif.copy_within(o3..o3 + 8, o2);
    eif.copy_within(s3..s3 + 8, s2);
    eif[o3..o3 + 8].copy_from_slice(&a);
    eif[s3..s3 + 8].copy_from_slice(&b);
    let m = read(&eif);
    let before = read(orig.eif);
    assert_eq!(m.sections[2].kind, SectionKind::Ramdisk);
    assert_eq!(m.sections[3].kind, SectionKind::Metadata);
    for (ours, theirs) in m.measurements.all().iter().zip(before.measurements.all()) {
        assert_eq!(ours.hex, theirs.hex, "{}", ours.name);
    }
    assert!(has(&m, Severity::Info, None, "not list sections in file order"));
    assert!(!m.walk.agrees_with_table);
    assert!(m.diagnostics.iter().all(|d| !d.message.contains("overlaps") && !d.message.contains("unreferenced")));
}

#[test]
fn unknown_section_type_and_missing_cmdline() {
    let mut eif = fixture("basic-a").eif.to_vec();
    eif[33328..33330].copy_from_slice(&7u16.to_be_bytes());
    let m = read(&eif);
    assert_eq!(m.sections[1].kind, SectionKind::Unknown(7));
    assert!(has(&m, Severity::Warning, Some(33328), "unknown section type 7"));
    assert!(has(&m, Severity::Error, None, "no cmdline section"));
    assert_eq!(m.walk.stopped.as_deref(), Some("invalid section type 7 at 0x8230"));
}

#[test]
fn version_rules_for_signature_and_metadata() {
    let mut eif = fixture("signed").eif.to_vec();
    eif[4..6].copy_from_slice(&2u16.to_be_bytes());
    let m = read(&eif);
    assert!(has(&m, Severity::Warning, Some(4), "signature section in a version 2 eif"));
    assert!(has(&m, Severity::Warning, Some(4), "metadata section in a version 2 eif"));
    eif[4..6].copy_from_slice(&5u16.to_be_bytes());
    let err = read_eif(&eif).unwrap_err();
    assert_eq!(err.kind, EifErrorKind::UnsupportedVersion);
}

#[test]
fn truncated_files_give_errors_and_diagnostics_never_panics() {
    let full = fixture("signed").eif;
    let mut len = 0;
    while len < full.len() {
        let cut = &full[..len];
        match read_eif(&cut.to_vec()) {
            Err(e) => {
                assert!((len as u64) < HEADER_LEN, "len {len}: {e}");
                assert_eq!(e.kind, EifErrorKind::TooShort);
            }
            Ok(m) => {
                assert!(len as u64 >= HEADER_LEN);
                assert!(m.diagnostics.iter().any(|d| d.severity == Severity::Error), "len {len}: no error diagnostic");
                assert!(m.diagnostics.iter().filter(|d| d.severity == Severity::Error).all(|d| d.offset.is_some() || d.message.starts_with("no ")));
            }
        }
        len += if len < 600 { 1 } else { 97 };
    }
    // Cut inside the customer ramdisk (data at 34897, 1288 bytes).
    let m = read(&full[..35000]);
    assert!(has(&m, Severity::Error, Some(34897), "ramdisk payload truncated: size 1288 but only 103 bytes remain"), "{:#?}", m.diagnostics);
    assert!(!m.measurements.complete);
    assert!(m.measurements.notes.iter().any(|n| n.contains("section 4 (ramdisk) is truncated")));
    assert!(has(&m, Severity::Error, Some(36185), "past the end of the file"), "{:#?}", m.diagnostics);
    assert!(m.signature.is_none());
    // Too short for the header.
    let err = read_eif(&full[..100].to_vec()).unwrap_err();
    assert_eq!((err.kind, err.offset), (EifErrorKind::TooShort, 0));
}

#[test]
fn flipped_signature_byte_fails_verification() {
    let mut eif = fixture("signed").eif.to_vec();
    // The section is the last one; its last CBOR item is the last uint of the COSE bytes (the
    // end of s). Flipping bit 0 keeps the uint's CBOR encoding valid.
    let last = eif.len() - 1;
    eif[last] ^= 1;
    let m = read(&eif);
    let sig = m.signature.as_ref().expect("signature still decodes");
    assert!(!sig.verification.verified, "{}", sig.verification.reason);
    assert!(sig.verification.reason.contains("does not match"), "{}", sig.verification.reason);
    assert_eq!(sig.signed_pcr0_matches, Some(true));
    assert!(has(&m, Severity::Error, Some(36197), "signature does not verify"));
    assert!(!m.crc.ok);
    // PCR8 depends on the certificate only.
    assert_eq!(m.measurements.pcr8.as_ref().map(|p| p.hex.clone()), read(fixture("signed").eif).measurements.pcr8.map(|p| p.hex));
}

#[test]
fn flipped_metadata_byte_breaks_crc_not_pcrs() {
    let orig = fixture("basic-a");
    let mut eif = orig.eif.to_vec();
    // Metadata payload at 33541 starts {"ImageName":"eif-fixture"; byte 14 is the 'e'.
    assert_eq!(&eif[33541 + 13..33541 + 16], b"\"ei");
    eif[33541 + 14] ^= 0x20;
    let m = read(&eif);
    let before = read(orig.eif);
    assert!(!m.crc.ok);
    assert_eq!(m.crc.stored, before.crc.computed);
    assert!(has(&m, Severity::Warning, Some(544), "does not match computed"));
    assert_eq!(m.metadata.as_ref().unwrap().image_name.as_deref(), Some("Eif-fixture"));
    assert_eq!(m.measurements.pcr0, before.measurements.pcr0);
    assert_ne!(m.sections[2].sha384, before.sections[2].sha384);
}

#[test]
fn broken_metadata_json_is_a_diagnostic_with_offset() {
    let mut eif = fixture("basic-a").eif.to_vec();
    eif[33541] = b'['; // "{" -> "[": invalid JSON at column 13 (the ':')
    let m = read(&eif);
    assert!(m.metadata.is_none());
    let d = m.diagnostics.iter().find(|d| d.context.ends_with("metadata")).expect("metadata diagnostic");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.offset, Some(33541 + 12));
    assert!(d.message.contains("line 1, column 13"), "{}", d.message);
}

#[test]
fn signed_certificate_and_cose_details() {
    let m = read(fixture("signed").eif);
    let sig = m.signature.as_ref().expect("signature");
    let pem_der = eifscope::formats::signature::first_certificate_der(include_bytes!("fixtures/signed-cert.pem")).unwrap();
    assert_eq!(sig.certificate_der, pem_der, "the embedded certificate is signed-cert.pem");
    assert_eq!(sig.section_index, 5);
    assert_eq!(sig.n_entries, 1);
    assert_eq!(sig.certificate.key_algorithm, "ecdsa p-384");
    assert_eq!(sig.certificate.subject, "CN=eif fixture signer,O=EIF Fixtures (test only),C=US");
    assert_eq!(sig.certificate.not_before, "2024-01-01T00:00:00Z");
    assert_eq!(sig.certificate.sha384_fingerprint.len(), 96);
    assert_eq!((sig.cose.tagged, sig.cose.alg, sig.cose.alg_name.as_str()), (false, Some(-35), "ES384"));
    assert_eq!(sig.cose.register_index, Some(0));
    assert_eq!(sig.cose.register_value.as_deref(), Some(m.measurements.pcr0.hex.as_str()));
    assert_eq!(sig.cose.signature_len, 96);
    assert_eq!(m.measurements.pcr8.as_ref().unwrap().fed_by, [5]);
}
