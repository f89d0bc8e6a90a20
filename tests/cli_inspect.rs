//! `eifscope inspect --json` against AWS's own reader output (`*.describe.json`) for every
//! fixture EIF, plus the CLI's exit codes and the lossless `--entries` listing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_eifscope")).args(args).output().expect("run eifscope");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn inspect_json(name: &str) -> Value {
    let path = fixtures_dir().join(name);
    let (code, stdout, stderr) = run(&["inspect", "--json", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{name}: {stderr}");
    serde_json::from_str(&stdout).expect("inspect --json prints JSON")
}

fn describe(name: &str) -> Value {
    let path = fixtures_dir().join(name.replace(".eif", ".describe.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

const EIFS: &[&str] = &[
    "basic-a.eif", "basic-b.eif", "nogz-a.eif", "nogz-b.eif", "single-a.eif", "single-b.eif", "multi.eif", "signed.eif", "meta-a.eif", "meta-b.eif",
];

#[test]
fn inspect_json_agrees_with_aws_describe_for_every_fixture() {
    for name in EIFS {
        let ours = inspect_json(name);
        let theirs = describe(name);
        let layout = &theirs["_Layout"];
        assert_eq!(ours["version"], theirs["EifVersion"], "{name} version");
        assert_eq!(ours["flags"], layout["Flags"], "{name} flags");
        assert_eq!(ours["arch"], "x86_64", "{name} arch");
        assert_eq!(ours["crc"]["ok"], theirs["CheckCRC"], "{name} crc check");
        assert_eq!(ours["crc"]["stored"], layout["Crc32"], "{name} stored crc");
        assert_eq!(ours["crc"]["computed"], layout["Crc32"], "{name} computed crc");
        let sections = ours["sections"].as_array().unwrap();
        let expected = layout["Sections"].as_array().unwrap();
        assert_eq!(sections.len(), expected.len(), "{name} section count");
        for (s, e) in sections.iter().zip(expected) {
            assert_eq!(s["index"], e["index"], "{name}");
            assert_eq!(s["type"], e["type"], "{name}");
            assert_eq!(s["offset"], e["header_offset"], "{name}");
            assert_eq!(s["size"], e["size"], "{name}");
            assert_eq!(s["sha384"], e["sha384"], "{name}");
        }
        let m = &theirs["Measurements"];
        for pcr in ["PCR0", "PCR1", "PCR2", "PCR8"] {
            assert_eq!(ours["measurements"].get(pcr), m.get(pcr), "{name} {pcr}");
        }
        // describe-eif flattens BuildMetadata and CustomMetadata into "Metadata".
        let meta = &ours["metadata"];
        let their_meta = &theirs["Metadata"];
        assert_eq!(meta["ImageName"], theirs["ImageName"], "{name}");
        assert_eq!(meta["ImageVersion"], theirs["ImageVersion"], "{name}");
        for field in ["BuildTime", "BuildTool", "BuildToolVersion", "OperatingSystem", "KernelVersion"] {
            assert_eq!(meta["BuildMetadata"][field], their_meta[field], "{name} {field}");
        }
        assert_eq!(meta["DockerInfo"], their_meta["DockerInfo"], "{name} DockerInfo");
        for (k, v) in meta["CustomMetadata"].as_object().unwrap() {
            assert_eq!(&their_meta[k], v, "{name} custom {k}");
        }
        assert_eq!(ours["signature"].is_null(), !theirs["IsSigned"].as_bool().unwrap(), "{name} signed");
        let ramdisks = ours["ramdisks"].as_array().unwrap();
        let n_ramdisks = expected.iter().filter(|s| s["type"] == "Ramdisk").count();
        assert_eq!(ramdisks.len(), n_ramdisks, "{name} ramdisks");
        for rd in ramdisks {
            assert!(rd["entries"].as_u64().unwrap() > 0, "{name} ramdisk has entries");
            let expected_compression = if name.starts_with("nogz") { "cpio newc" } else { "gzip" };
            assert_eq!(rd["compression"], expected_compression, "{name}");
        }
        assert!(ours["kernel"]["version"].as_str().unwrap().starts_with("6.1.0-56-amd64 (debian-kernel@lists.debian.org)"));
    }
}

#[test]
fn signed_fixture_certificate_and_verification() {
    let ours = inspect_json("signed.eif");
    let sig = &ours["signature"];
    assert_eq!(sig["verified"], true);
    assert_eq!(sig["signed_pcr0_matches"], true);
    assert_eq!(sig["pcr8"], describe("signed.eif")["Measurements"]["PCR8"]);
    let cert = &sig["certificate"];
    assert!(cert["subject"].as_str().unwrap().contains("CN=eif fixture signer"));
    assert_eq!(cert["subject"], cert["issuer"], "self-signed");
    assert_eq!(cert["not_before"], "2024-01-01T00:00:00Z");
    assert_eq!(cert["not_after"], "2049-12-31T00:00:00Z".replace("T00:00:00Z", &cert["not_after"].as_str().unwrap()[10..]));
    assert_eq!(cert["key_algorithm"], "ecdsa p-384");
    assert_eq!(sig["cose"]["alg_name"], "ES384");
    assert_eq!(sig["cose"]["register_index"], 0);
    assert_eq!(sig["cose"]["register_value"], describe("signed.eif")["Measurements"]["PCR0"]);
}

#[test]
fn single_ramdisk_layout_is_named() {
    let ours = inspect_json("single-a.eif");
    assert_eq!(ours["single_ramdisk"], true);
    assert_eq!(ours["measurements"]["PCR0"], ours["measurements"]["PCR1"]);
    assert_eq!(ours["measurements"]["PCR2"], "21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec7c10edb30948c90ba67310f7b964fc500a");
    assert!(ours["measurement_notes"][0].as_str().unwrap().contains("pcr2 is the hash of nothing"));
}

#[test]
fn bare_ramdisk_is_an_image() {
    let ours = inspect_json("basic-customer-a.cpio.gz");
    assert_eq!(ours["kind"], "ramdisk");
    assert_eq!(ours["ramdisks"][0]["compression"], "gzip");
    assert_eq!(ours["ramdisks"][0]["entries"], 36);
    assert!(ours.get("measurements").is_none());
}

#[test]
fn entries_listing_is_lossless() {
    let path = fixtures_dir().join("basic-a.eif");
    let (code, stdout, _) = run(&["inspect", "--entries", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1 + 3 + 36, "header + every entry");
    let find = |name: &str| lines.iter().find(|l| l.split_whitespace().nth(8) == Some(name)).unwrap_or_else(|| panic!("{name} listed"));
    let cols = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(cols(find("init"))[..8], ["0", "-0100755", "0", "0", "1", "1492533000", "896", "0:0"]);
    assert_eq!(cols(find("rootfs/dev/null"))[..8], ["1", "c0020666", "0", "0", "1", "1700000000", "0", "1:3"]);
    assert_eq!(cols(find("rootfs/run/ctl.fifo"))[1], "p0010600");
    assert_eq!(cols(find("rootfs/tmp"))[1], "d0041777");
    assert_eq!(cols(find("rootfs/app/data/greeting-hardlink.txt"))[4..7], ["2", "1700000000", "0"]);
    assert_eq!(cols(find("rootfs/app/data/greeting.txt"))[4..7], ["2", "1700000000", "23"]);
    assert!(find("rootfs/app/data/app.conf").ends_with("rootfs/app/data/app.conf -> ../../etc/app.conf"));
    assert!(find("rootfs/usr/local/bin/hello").ends_with("-> /usr/bin/hello"));
}

#[test]
fn unreadable_input_exits_2_with_one_line() {
    let path = fixtures_dir().join("README.md");
    let (code, stdout, stderr) = run(&["inspect", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not an eif"), "{stderr}");
    let (code, _, stderr) = run(&["inspect", "/nonexistent/x.eif"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("x.eif"));
}
