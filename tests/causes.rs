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

#[test]
fn unmeasured_metadata_only_build_time() {
    let fs = Rootfs::realistic();
    let a = fs.eif();
    let mut b = fs.eif();
    b.metadata["BuildMetadata"]["BuildTime"] = "2024-06-30T17:45:12+00:00".into();
    let r = diff_bytes(&a.build(), &b.build());
    assert_eq!(r.verdict.kind, VerdictKind::MeasurementsEqual);
    assert_top(&r, "unmeasured-metadata");
    assert_eq!(r.causes[0].confidence, Confidence::High);
    assert_eq!(top_anchors(&r), ["layer:metadata"]);
    assert_eq!(r.causes.len(), 1);
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn signature_one_side_signed() {
    let a = Rootfs::realistic().eif();
    let mut b = a.clone();
    b.signature = Some(fixture_signature());
    let r = diff_bytes(&a.build(), &b.build());
    assert_eq!(r.verdict.pcrs_differ, ["PCR8"]);
    assert_top(&r, "signature");
    let anchors = top_anchors(&r);
    assert!(anchors.contains(&"layer:signature".to_owned()), "{anchors:?}");
    assert!(anchors.contains(&"layer:sections".to_owned()), "{anchors:?}");
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn kernel_upgrade() {
    // A newer kernel build: the version string and code bytes change, and nitro-cli records the
    // new KernelVersion in the (unmeasured) metadata.
    let a = Rootfs::realistic().eif();
    let mut b = a.clone();
    let at = b.kernel.windows(9).position(|w| w == b"6.1.0-56-").expect("version string");
    b.kernel[at..at + 9].copy_from_slice(b"6.1.0-57-");
    for i in (4096..b.kernel.len()).step_by(97) {
        b.kernel[i] ^= 0x5a;
    }
    b.metadata["BuildMetadata"]["KernelVersion"] = "6.1.193".into();
    let r = diff_bytes(&a.build(), &b.build());
    assert_eq!(r.verdict.pcrs_differ, ["PCR0", "PCR1"]);
    assert_top(&r, "kernel");
    assert_eq!(top_anchors(&r), ["layer:kernel"]);
    assert_eq!(r.first_divergence.as_deref(), Some("kernel"));
    assert_eq!(cause(&r, "unmeasured-metadata").confidence, Confidence::Medium, "metadata moved along, not the cause");
}

#[test]
fn cmdline_token_changed() {
    let a = Rootfs::realistic().eif();
    let mut b = a.clone();
    b.cmdline = String::from_utf8(b.cmdline).unwrap().replace("panic=30", "panic=30 quiet loglevel=3").replace("console=ttyS0 ", "").into_bytes();
    let r = diff_bytes(&a.build(), &b.build());
    assert_eq!(r.verdict.pcrs_differ, ["PCR0", "PCR1"]);
    assert_top(&r, "cmdline");
    assert_eq!(top_anchors(&r), ["layer:cmdline"]);
    let layer = r.layers.iter().find(|l| l.id == "cmdline").unwrap();
    let tokens: Vec<(&str, &str, &str)> = layer.changes.iter().map(|c| (c.field.as_str(), c.a.as_str(), c.b.as_str())).collect();
    assert_eq!(tokens, [("token removed", "console=ttyS0", ""), ("token added", "", "quiet"), ("token added", "", "loglevel=3")]);
}

#[test]
fn bootstrap_from_another_nitro_cli() {
    // Another nitro-cli release ships a different init and nsm.ko in ramdisk 0.
    let fs = Rootfs::realistic();
    let a = fs.eif();
    let mut b = a.clone();
    let mut boot = fixture_bootstrap_entries();
    for e in boot.iter_mut() {
        match e.name.as_slice() {
            b"init" => e.data = HELLO_V2.to_vec(),
            b"nsm.ko" => {
                let at = e.data.windows(5).position(|w| w == b"name=").expect(".modinfo");
                e.data[at - 1] ^= 0x01;
                e.data.extend_from_slice(b"\0version=1.2.4\0");
            }
            _ => {}
        }
    }
    b.ramdisks[0] = gzip(&cpio(&boot), &Gzip::default());
    let r = diff_bytes(&a.build(), &b.build());
    assert_eq!(r.verdict.pcrs_differ, ["PCR0", "PCR1"]);
    assert_top(&r, "bootstrap");
    assert_eq!(top_anchors(&r), ["entry:init", "entry:nsm.ko"]);
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn file_timestamps_many_mtimes() {
    // Built an hour later without SOURCE_DATE_EPOCH: every file from the build context and every
    // directory created by the build carries the new time.
    let a = Rootfs::realistic();
    let mut b = a.clone();
    for e in b.entries.iter_mut().filter(|e| e.name.starts_with(b"rootfs/app") || e.name == b"cmd" || e.name == b"env") {
        e.mtime = 1_700_003_600;
    }
    let r = pair(&a, &b);
    assert_top(&r, "file-timestamps");
    assert_eq!(r.causes[0].confidence, Confidence::High);
    let anchors = top_anchors(&r);
    assert!(anchors.len() >= 10, "{anchors:?}");
    assert!(anchors.contains(&"entry:rootfs/app/main.py".to_owned()));
    assert!(anchors.contains(&"entry:cmd".to_owned()));
    assert!(r.causes[0].evidence.iter().all(|e| e.label.ends_with(": mtime")));
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn embedded_timestamps_in_contents() {
    let mut a = Rootfs::realistic();
    a.add(Entry::file("rootfs/app/BUILD_INFO", 0o644, "name: enclave-app\nbuilt: 2024-03-01T09:00:00Z\nby: make image\n"));
    a.add(Entry::file("rootfs/usr/share/doc/libssl3/copyright", 0o644, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nGenerated: Fri Mar  1 09:00:00 UTC 2024\n"));
    let mut b = a.clone();
    b.edit("rootfs/app/BUILD_INFO", "2024-03-01T09:00:00Z", "2024-03-02T17:45:12Z");
    b.edit("rootfs/usr/share/doc/libssl3/copyright", "Fri Mar  1 09:00:00 UTC 2024", "Sat Mar  2 17:45:12 UTC 2024");
    b.set("rootfs/app/__pycache__/mod.cpython-311.pyc", MOD_B_PYC);
    b.set("rootfs/usr/share/doc/libssl3/changelog.Debian.gz", MTIME_B_GZ);
    let r = pair(&a, &b);
    assert_top(&r, "embedded-timestamps");
    assert_eq!(
        top_anchors(&r),
        [
            "entry:rootfs/app/BUILD_INFO",
            "entry:rootfs/app/__pycache__/mod.cpython-311.pyc",
            "entry:rootfs/usr/share/doc/libssl3/changelog.Debian.gz",
            "entry:rootfs/usr/share/doc/libssl3/copyright",
        ]
    );
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn build_id_only() {
    let a = Rootfs::realistic();
    let mut b = a.clone();
    b.set("rootfs/usr/bin/hello", HELLO_ID2);
    let r = pair(&a, &b);
    assert_top(&r, "build-id");
    assert_eq!(top_anchors(&r), ["entry:rootfs/usr/bin/hello"]);
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
    assert!(!cause_ids(&r).contains(&"different-source"), "{:?}", cause_ids(&r));
}

#[test]
fn build_environment_paths_and_hosts() {
    let sysconfig = |user: &str, host: &str| {
        format!("# system configuration generated and used by the sysconfig module\nbuild_time_vars = {{'ABIFLAGS': '',\n 'abs_builddir': '/home/{user}/build/cpython',\n 'abs_srcdir': '/home/{user}/build/cpython',\n 'BUILD_HOST': '{host}',\n 'CC': 'gcc -pthread',\n 'VERSION': '3.11'}}\n")
    };
    let mut a = Rootfs::realistic();
    a.add(Entry::dir("rootfs/usr/lib/python3.11", 0o755));
    a.add(Entry::file("rootfs/usr/lib/python3.11/_sysconfigdata__linux_x86_64-linux-gnu.py", 0o644, sysconfig("alice", "alice-laptop")));
    a.add(Entry::file("rootfs/app/build.env", 0o644, "BUILD_USER=alice\nBUILD_HOST=alice-laptop\nBUILD_PATH=/home/alice/build/enclave-app\n"));
    let mut b = a.clone();
    b.set("rootfs/usr/lib/python3.11/_sysconfigdata__linux_x86_64-linux-gnu.py", sysconfig("bob", "ci-runner-7"));
    b.set("rootfs/app/build.env", "BUILD_USER=bob\nBUILD_HOST=ci-runner-7\nBUILD_PATH=/home/bob/build/enclave-app\n");
    let r = pair(&a, &b);
    assert_top(&r, "build-environment");
    assert_eq!(top_anchors(&r), ["entry:rootfs/app/build.env", "entry:rootfs/usr/lib/python3.11/_sysconfigdata__linux_x86_64-linux-gnu.py"]);
}

#[test]
fn file_permissions_umask() {
    // Built under umask 002 (group-writable) instead of 022.
    let a = Rootfs::realistic();
    let mut b = a.clone();
    for e in b.entries.iter_mut().filter(|e| e.name.starts_with(b"rootfs/app")) {
        e.mode |= 0o020;
    }
    let r = pair(&a, &b);
    assert_top(&r, "file-permissions");
    assert_eq!(r.causes[0].confidence, Confidence::High);
    assert!(r.causes[0].title.contains("umask"), "{}", r.causes[0].title);
    let anchors = top_anchors(&r);
    assert!(anchors.contains(&"entry:rootfs/app/main.py".to_owned()) && anchors.contains(&"entry:rootfs/app".to_owned()), "{anchors:?}");
    let main = r.entries.changed.iter().find(|c| c.path == "rootfs/app/main.py").unwrap();
    assert_eq!((main.changes[0].a.as_str(), main.changes[0].b.as_str()), ("0100644", "0100664"));
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn file_ownership_build_user() {
    // COPY without --chown=0:0 under a rootless builder: the app files belong to 1000:1000.
    let a = Rootfs::realistic();
    let mut b = a.clone();
    for e in b.entries.iter_mut().filter(|e| e.name.starts_with(b"rootfs/app")) {
        e.uid = 1000;
        e.gid = 1000;
    }
    let r = pair(&a, &b);
    assert_top(&r, "file-ownership");
    let labels: Vec<&str> = r.causes[0].evidence.iter().map(|e| e.label.as_str()).collect();
    assert!(labels.contains(&"rootfs/app/main.py: uid") && labels.contains(&"rootfs/app/main.py: gid"), "{labels:?}");
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn inode_numbers_only() {
    // Same tree archived by linuxkit's writer (inodes from 721) instead of `cpio --reproducible`.
    let a = Rootfs::realistic();
    let mut b = a.clone();
    b.first_ino = 721;
    let r = pair(&a, &b);
    assert!(r.entries.changed.is_empty(), "{:?}", r.entries.changed);
    assert_top(&r, "inode-numbers");
    assert_eq!(r.causes[0].confidence, Confidence::High);
    assert_eq!(top_anchors(&r), ["layer:ramdisk-1-archive"]);
    assert_eq!(r.causes.len(), 1);
}

#[test]
fn entry_order_docker_stream() {
    // The same entries in docker's layer order instead of sorted; --reproducible numbering
    // follows the archive order, so inode numbers shift along.
    let a = Rootfs::realistic();
    let mut b = a.clone();
    b.entries.sort_by(|x, y| x.name.cmp(&y.name));
    b.entries.reverse();
    b.keep_order = true;
    let r = pair(&a, &b);
    assert!(r.entries.changed.is_empty() && r.entries.added.is_empty(), "{:?}", r.entries);
    assert_top(&r, "entry-order");
    assert_eq!(top_anchors(&r), ["layer:ramdisk-1-archive"]);
    // The shifted inode numbers follow from the order and are no cause of their own.
    assert_eq!(cause_ids(&r), ["entry-order"]);
    assert!(r.entries.notes.iter().any(|n| n.id == "inode-shift"), "{:?}", r.entries.notes);
}

#[test]
fn compression_settings_only() {
    // Same cpio; `gzip -6` with a header timestamp instead of `gzip -9 -n`.
    let a = Rootfs::realistic();
    let mut b = a.clone();
    b.gzip = Some(Gzip { level: 6, mtime: 1_700_003_600, xfl: None, os: 3, fname: None });
    let r = pair(&a, &b);
    assert_top(&r, "compression");
    assert_eq!(top_anchors(&r), ["layer:ramdisk-1-compression"]);
    let layer = r.layers.iter().find(|l| l.id == "ramdisk-1-compression").unwrap();
    let fields: Vec<&str> = layer.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["gzip mtime", "gzip xfl (level hint)"]);
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn unpinned_dependencies_upgrade() {
    // `apt-get install` / `pip install` without pins picked up newer packages.
    let a = Rootfs::realistic();
    let mut b = a.clone();
    b.edit("rootfs/var/lib/dpkg/status", "Version: 3.0.11-1~deb12u2", "Version: 3.0.13-1~deb12u1");
    b.edit("rootfs/var/lib/dpkg/status", "Version: 2.36-9+deb12u4", "Version: 2.36-9+deb12u7");
    b.set("rootfs/usr/lib/x86_64-linux-gnu/libssl.so.3", HELLO_V2);
    let old = "rootfs/usr/lib/python3/dist-packages/requests-2.31.0.dist-info";
    let new = "rootfs/usr/lib/python3/dist-packages/requests-2.32.3.dist-info";
    for e in b.entries.iter_mut().filter(|e| e.name.starts_with(old.as_bytes())) {
        e.name = [new.as_bytes(), &e.name[old.len()..]].concat();
    }
    b.edit(&format!("{new}/METADATA"), "Version: 2.31.0", "Version: 2.32.3");
    b.edit(&format!("{new}/RECORD"), "4947", "5072");
    let r = pair(&a, &b);
    assert_top(&r, "unpinned-dependencies");
    let anchors = top_anchors(&r);
    for want in ["entry:rootfs/var/lib/dpkg/status", "entry:rootfs/usr/lib/x86_64-linux-gnu/libssl.so.3", &format!("entry:{new}/METADATA"), &format!("entry:{old}")] {
        assert!(anchors.iter().any(|a| a == want), "{want} not in {anchors:?}");
    }
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
    assert!(!cause_ids(&r).contains(&"different-source"), "{:?}", cause_ids(&r));
}

#[test]
fn case_collision_on_a_case_insensitive_host() {
    // B's tree went through a case-insensitive filesystem: of each pair only the first name
    // survived, holding the content written last.
    let mut a = Rootfs::realistic();
    a.add(Entry::file("rootfs/app/Readme", 0o644, "see README\n"));
    a.add(Entry::dir("rootfs/usr/include", 0o755));
    a.add(Entry::dir("rootfs/usr/include/linux", 0o755));
    a.add(Entry::dir("rootfs/usr/include/linux/netfilter", 0o755));
    a.add(Entry::file("rootfs/usr/include/linux/netfilter/xt_CONNMARK.h", 0o644, "#ifndef _XT_CONNMARK_H_target\n#include <linux/netfilter/xt_connmark.h>\n#endif\n"));
    a.add(Entry::file("rootfs/usr/include/linux/netfilter/xt_connmark.h", 0o644, "#ifndef _XT_CONNMARK_H\n#define _XT_CONNMARK_H\nstruct xt_connmark_info { __u32 mark, mask; __u8 invert; };\n#endif\n"));
    a.add(Entry::file("rootfs/usr/include/linux/netfilter/xt_DSCP.h", 0o644, "#ifndef _XT_DSCP_TARGET_H\n#include <linux/netfilter/xt_dscp.h>\n#endif\n"));
    a.add(Entry::file("rootfs/usr/include/linux/netfilter/xt_dscp.h", 0o644, "#ifndef _XT_DSCP_H\n#define _XT_DSCP_H\nstruct xt_dscp_info { __u8 dscp; __u8 tos; __u8 invert; };\n#endif\n"));
    let mut b = a.clone();
    for (kept, lost) in [("rootfs/app/README", "rootfs/app/Readme"), ("rootfs/usr/include/linux/netfilter/xt_CONNMARK.h", "rootfs/usr/include/linux/netfilter/xt_connmark.h"), ("rootfs/usr/include/linux/netfilter/xt_DSCP.h", "rootfs/usr/include/linux/netfilter/xt_dscp.h")] {
        let data = b.get_mut(lost).data.clone();
        b.set(kept, data);
        b.remove(lost);
    }
    let r = pair(&a, &b);
    assert_top(&r, "case-collision");
    let anchors = top_anchors(&r);
    for want in ["entry:rootfs/app/Readme", "entry:rootfs/app/README", "entry:rootfs/usr/include/linux/netfilter/xt_connmark.h", "entry:rootfs/usr/include/linux/netfilter/xt_CONNMARK.h"] {
        assert!(anchors.iter().any(|a| a == want), "{want} not in {anchors:?}");
    }
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
    assert!(!cause_ids(&r).contains(&"different-source"), "{:?}", cause_ids(&r));
}

#[test]
fn host_artifacts_from_a_mac() {
    let a = Rootfs::realistic();
    let mut b = a.clone();
    b.add(Entry::file("rootfs/app/.DS_Store", 0o644, [0u8, 0, 0, 1, b'B', b'u', b'd', b'1'].repeat(8)));
    b.add(Entry::file("rootfs/app/._main.py", 0o644, b"\0\x05\x16\x07\0\x02\0\0Mac OS X        ".to_vec()));
    b.add(Entry::dir("rootfs/root", 0o700));
    b.add(Entry::dir("rootfs/root/.cache", 0o755));
    b.add(Entry::dir("rootfs/root/.cache/rosetta", 0o755));
    b.add(Entry::file("rootfs/root/.cache/rosetta/python3.11.aotcache", 0o644, vec![0xaa; 300]));
    let r = pair(&a, &b);
    assert_top(&r, "host-artifacts");
    let anchors = top_anchors(&r);
    for want in ["entry:rootfs/app/.DS_Store", "entry:rootfs/app/._main.py", "entry:rootfs/root/.cache/rosetta/python3.11.aotcache", "entry:rootfs/root/.cache"] {
        assert!(anchors.iter().any(|a| a == want), "{want} not in {anchors:?}");
    }
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
    assert_eq!(cause_ids(&r), ["host-artifacts"], "the added files shift inode numbers; that is no cause");
}

#[test]
fn different_source_revision() {
    let a = Rootfs::realistic();
    let mut b = a.clone();
    b.edit("rootfs/manifest.json", "3f9c2e1a7b4d", "8d01b7c6e2fa");
    b.edit("rootfs/app/main.py", "    mod.serve(port, workers=config[\"workers\"])\n", "    if config.get(\"tls\"):\n        mod.serve_tls(port, workers=config[\"workers\"])\n    else:\n        mod.serve(port, workers=config[\"workers\"])\n");
    b.edit("rootfs/app/mod.py", "    print(f\"serving on {port} with {workers} workers\")\n", "    print(f\"serving on {port} with {workers} workers\")\n\n\ndef serve_tls(port, workers):\n    raise NotImplementedError\n");
    b.edit("rootfs/app/config.json", "\"log_level\": \"info\"", "\"log_level\": \"info\",\n  \"tls\": false");
    let r = pair(&a, &b);
    assert_top(&r, "different-source");
    assert_eq!(r.causes[0].confidence, Confidence::High, "a provenance file changed");
    assert_eq!(top_anchors(&r), ["entry:rootfs/app/config.json", "entry:rootfs/app/main.py", "entry:rootfs/app/mod.py", "entry:rootfs/manifest.json"]);
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn lost_hard_links_are_unexplained() {
    // The hard-link pair was copied as two files: nlink and link groups change, content does
    // not. No known cause covers that; the report must say so instead of guessing.
    let a = Rootfs::realistic();
    let mut b = a.clone();
    for name in ["rootfs/app/data/greeting-hardlink.txt", "rootfs/app/data/greeting.txt"] {
        let e = b.get_mut(name);
        e.nlink = 1;
        e.link_group = None;
    }
    let r = pair(&a, &b);
    assert_eq!(r.entries.changed.len(), 2, "{:?}", r.entries.changed);
    for label in ["rootfs/app/data/greeting.txt: nlink", "rootfs/app/data/greeting.txt: hardlink_group", "rootfs/app/data/greeting-hardlink.txt: hardlink_group"] {
        assert!(r.unexplained.iter().any(|u| u == label), "{label} not in {:?}", r.unexplained);
    }
    for c in &r.causes {
        assert!(c.evidence.iter().all(|e| !e.anchor.contains("greeting")), "{} claims {:?}", c.id, c.evidence);
    }
}

#[test]
fn realistic_layers_report_which_ramdisk() {
    // Sanity for the builder: the customer tree is ramdisk 1 and feeds PCR0/PCR2.
    let a = Rootfs::realistic();
    let mut b = a.clone();
    b.edit("rootfs/etc/hosts", "localhost ip6-localhost", "localhost ip6-localhost enclave");
    let r = pair(&a, &b);
    assert_eq!(r.verdict.pcrs_differ, ["PCR0", "PCR2"]);
    let arch = r.layers.iter().find(|l| l.id == "ramdisk-1-archive").unwrap();
    assert_eq!(arch.status, LayerStatus::Differ);
    assert_eq!(r.entries.changed[0].measured, ["PCR0", "PCR2"]);
}

#[test]
fn different_source_with_touched_files() {
    // `git pull` in the same working copy: the changed files (and their directory) get a new
    // mtime, nothing else does. Those mtimes follow from the edit; the cause is the source.
    let a = Rootfs::realistic();
    let mut b = a.clone();
    b.edit("rootfs/manifest.json", "3f9c2e1a7b4d", "8d01b7c6e2fa");
    b.edit("rootfs/app/main.py", "int(os.environ.get(\"PORT\", config[\"port\"]))", "int(os.environ.get(\"APP_PORT\", config[\"port\"]))");
    b.edit("rootfs/app/config.json", "\"workers\": 4", "\"workers\": 8");
    for name in ["rootfs/manifest.json", "rootfs/app/main.py", "rootfs/app/config.json", "rootfs/app", "rootfs"] {
        b.get_mut(name).mtime = 1_700_090_000;
    }
    let r = pair(&a, &b);
    assert_top(&r, "different-source");
    let anchors = top_anchors(&r);
    assert!(anchors.contains(&"entry:rootfs/app/main.py".to_owned()), "{anchors:?}");
    // The directories' mtimes alone remain a (weaker) timestamp finding.
    let ts = cause(&r, "file-timestamps");
    let mut ts_anchors: Vec<&str> = ts.evidence.iter().map(|e| e.anchor.as_str()).collect();
    ts_anchors.sort();
    assert_eq!(ts_anchors, ["entry:rootfs", "entry:rootfs/app"]);
    assert!(r.unexplained.is_empty(), "{:?}", r.unexplained);
}

#[test]
fn every_cause_id_is_documented_and_distinct() {
    let doc = include_str!("../ARCHITECTURE.md");
    let mut seen = std::collections::BTreeSet::new();
    for id in eifscope::diagnose::PRIORITY {
        assert!(seen.insert(id), "{id} listed twice");
        assert!(doc.contains(id), "cause id {id} is not documented in ARCHITECTURE.md");
    }
    assert_eq!(seen.len(), 19);
}
