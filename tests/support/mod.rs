//! Test-support fixture builder: writes real cpio newc archives, gzip members and EIF files so
//! tests can plant one kind of difference in an otherwise realistic image pair.
//!
//! - [`cpio`]: GNU cpio newc (110-byte ASCII headers, name and data padded to 4, `TRAILER!!!`,
//!   optional padding to 512 like linuxkit/`cpio -o`), hard links the GNU way (data only with
//!   the last name of a group, earlier names size 0);
//! - [`gzip`]: a real gzip member (header with mtime/xfl/os and optional FNAME, raw deflate by
//!   miniz_oxide, CRC-32 and ISIZE trailer);
//! - [`Eif`]: an EIF v4 file as AWS's builder writes it (Kernel, Cmdline, Metadata, Ramdisk…,
//!   optional Signature; header CRC over bytes 0..544 and 548..) with sections reused from the
//!   published fixtures where realism matters (the kernel, the bootstrap ramdisk, the signature);
//! - [`Rootfs`]: a couple dozen realistic entries of a nitro-cli style customer ramdisk
//!   (`cmd`, `env`, `rootfs/…` with /etc files, an ELF, a Python app, package databases).
//!
//! Everything is `include_bytes!`-based so the same builders work on wasm32.
#![allow(dead_code)]

use eifscope::analyze::{compare, Input};
use eifscope::source::SliceSource;
use eifscope::limits::Limits;
use eifscope::report::Report;

pub const BASIC_A: &[u8] = include_bytes!("../fixtures/basic-a.eif");
pub const SIGNED: &[u8] = include_bytes!("../fixtures/signed.eif");
pub const HELLO_ID1: &[u8] = include_bytes!("../fixtures/generated/hello-id1.elf");
pub const HELLO_ID2: &[u8] = include_bytes!("../fixtures/generated/hello-id2.elf");
pub const HELLO_V2: &[u8] = include_bytes!("../fixtures/generated/hello-v2.elf");
pub const MOD_A_PYC: &[u8] = include_bytes!("../fixtures/generated/mod-a.pyc");
pub const MOD_B_PYC: &[u8] = include_bytes!("../fixtures/generated/mod-b.pyc");
pub const MTIME_A_GZ: &[u8] = include_bytes!("../fixtures/generated/mtime-a.txt.gz");
pub const MTIME_B_GZ: &[u8] = include_bytes!("../fixtures/generated/mtime-b.txt.gz");

pub const S_IFREG: u32 = 0o100000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;

/// linuxkit's default mtime for entries it creates (2017-04-18T16:30:00Z).
pub const LINUXKIT_MTIME: u64 = 1_492_533_000;
/// The fixtures' rootfs mtime (2023-11-14T22:13:20Z).
pub const ROOTFS_MTIME: u64 = 1_700_000_000;

/// One cpio entry as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: Vec<u8>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub mtime: u64,
    /// `None`: numbered by the writer in archive order (like `cpio --reproducible`).
    pub ino: Option<u64>,
    /// Hard-link group: auto-numbered entries of one group share the first one's number.
    pub link_group: Option<u32>,
    pub dev: (u32, u32),
    pub rdev: (u32, u32),
    pub data: Vec<u8>,
}

impl Entry {
    fn new(name: impl Into<Vec<u8>>, mode: u32, data: Vec<u8>) -> Entry {
        Entry { name: name.into(), mode, uid: 0, gid: 0, nlink: 1, mtime: ROOTFS_MTIME, ino: None, link_group: None, dev: (0, 0), rdev: (0, 0), data }
    }
    pub fn file(name: impl Into<Vec<u8>>, perm: u32, data: impl Into<Vec<u8>>) -> Entry {
        Entry::new(name, S_IFREG | perm, data.into())
    }
    pub fn dir(name: impl Into<Vec<u8>>, perm: u32) -> Entry {
        let mut e = Entry::new(name, S_IFDIR | perm, Vec::new());
        e.nlink = 2;
        e
    }
    pub fn symlink(name: impl Into<Vec<u8>>, target: &str) -> Entry {
        Entry::new(name, S_IFLNK | 0o777, target.as_bytes().to_vec())
    }
    pub fn chardev(name: impl Into<Vec<u8>>, perm: u32, major: u32, minor: u32) -> Entry {
        let mut e = Entry::new(name, S_IFCHR | perm, Vec::new());
        e.rdev = (major, minor);
        e
    }
    pub fn fifo(name: impl Into<Vec<u8>>, perm: u32) -> Entry {
        Entry::new(name, S_IFIFO | perm, Vec::new())
    }
    pub fn mtime(mut self, mtime: u64) -> Entry {
        self.mtime = mtime;
        self
    }
    pub fn owner(mut self, uid: u32, gid: u32) -> Entry {
        self.uid = uid;
        self.gid = gid;
        self
    }
    pub fn ino(mut self, ino: u64) -> Entry {
        self.ino = Some(ino);
        self
    }
    /// Makes this file one name of hard-link group `group` (nlink set by the caller).
    pub fn link(mut self, group: u32) -> Entry {
        self.link_group = Some(group);
        self
    }
    pub fn nlink(mut self, nlink: u32) -> Entry {
        self.nlink = nlink;
        self
    }
    pub fn is_dir(&self) -> bool {
        self.mode & 0o170000 == S_IFDIR
    }
    pub fn is_file(&self) -> bool {
        self.mode & 0o170000 == S_IFREG
    }
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// Writes a cpio newc archive. Entries with `ino: None` get numbers in archive order from
/// `first_ino`; regular files with nlink > 1 sharing (dev, ino) form a hard-link group whose
/// data is written only with the last name (GNU cpio). `pad512` pads after the trailer.
pub fn cpio_from(entries: &[Entry], first_ino: u64, pad512: bool) -> Vec<u8> {
    let mut next = first_ino;
    let mut groups: Vec<(u32, u64)> = Vec::new();
    let inos: Vec<u64> = entries
        .iter()
        .map(|e| {
            if let Some(ino) = e.ino {
                return ino;
            }
            if let Some(g) = e.link_group {
                if let Some((_, ino)) = groups.iter().find(|(k, _)| *k == g) {
                    return *ino;
                }
                groups.push((g, next));
            }
            next += 1;
            next - 1
        })
        .collect();
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let linked_later = e.is_file()
            && e.nlink > 1
            && entries.iter().enumerate().skip(i + 1).any(|(j, o)| o.is_file() && o.dev == e.dev && inos[j] == inos[i]);
        let data: &[u8] = if linked_later { &[] } else { &e.data };
        header(&mut out, inos[i], e, data.len() as u32, &e.name);
        out.extend_from_slice(data);
        pad4(&mut out);
    }
    let trailer = Entry { nlink: 1, mtime: 0, ..Entry::new("TRAILER!!!", 0, Vec::new()) };
    header(&mut out, 0, &trailer, 0, b"TRAILER!!!");
    if pad512 {
        while out.len() % 512 != 0 {
            out.push(0);
        }
    }
    out
}

/// [`cpio_from`] numbering inodes from 0 and padding to 512, like
/// `cpio -o -H newc -R 0:0 --reproducible` in the fixtures.
pub fn cpio(entries: &[Entry]) -> Vec<u8> {
    cpio_from(entries, 0, true)
}

fn header(out: &mut Vec<u8>, ino: u64, e: &Entry, size: u32, name: &[u8]) {
    let fields = [
        ino as u32,
        e.mode,
        e.uid,
        e.gid,
        e.nlink,
        e.mtime as u32,
        size,
        e.dev.0,
        e.dev.1,
        e.rdev.0,
        e.rdev.1,
        name.len() as u32 + 1,
        0,
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08X}").as_bytes());
    }
    out.extend_from_slice(name);
    out.push(0);
    pad4(out);
}

/// Reads a newc archive back (for reusing a fixture's bootstrap entries).
pub fn read_cpio(raw: &[u8]) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut i = 0usize;
    let align = |x: usize| (x + 3) & !3;
    loop {
        let h = &raw[i..i + 110];
        let f = |k: usize| u32::from_str_radix(std::str::from_utf8(&h[6 + 8 * k..14 + 8 * k]).unwrap(), 16).unwrap();
        let (namesize, filesize) = (f(11) as usize, f(6) as usize);
        let name = raw[i + 110..i + 110 + namesize - 1].to_vec();
        let data_at = align(i + 110 + namesize);
        if name == b"TRAILER!!!" {
            return out;
        }
        out.push(Entry {
            name,
            mode: f(1),
            uid: f(2),
            gid: f(3),
            nlink: f(4),
            mtime: u64::from(f(5)),
            ino: Some(u64::from(f(0))),
            link_group: None,
            dev: (f(7), f(8)),
            rdev: (f(9), f(10)),
            data: raw[data_at..data_at + filesize].to_vec(),
        });
        i = align(data_at + filesize);
    }
}

/// Options of one gzip member.
#[derive(Debug, Clone)]
pub struct Gzip {
    /// Deflate level 0..=10 (miniz_oxide's scale).
    pub level: u8,
    pub mtime: u32,
    /// `None`: derived from the level as gzip does (2 for 9, 4 for 1, else 0).
    pub xfl: Option<u8>,
    pub os: u8,
    pub fname: Option<Vec<u8>>,
}

impl Default for Gzip {
    /// `gzip -9 -n` on Unix, as in the fixtures.
    fn default() -> Gzip {
        Gzip { level: 9, mtime: 0, xfl: None, os: 3, fname: None }
    }
}

/// Compresses `data` into one gzip member.
pub fn gzip(data: &[u8], opts: &Gzip) -> Vec<u8> {
    let xfl = opts.xfl.unwrap_or(match opts.level {
        9.. => 2,
        1 => 4,
        _ => 0,
    });
    let mut out = vec![0x1f, 0x8b, 8, if opts.fname.is_some() { 0x08 } else { 0 }];
    out.extend_from_slice(&opts.mtime.to_le_bytes());
    out.push(xfl);
    out.push(opts.os);
    if let Some(name) = &opts.fname {
        out.extend_from_slice(name);
        out.push(0);
    }
    out.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(data, opts.level));
    out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// Decompresses a fixture's gzip member with no optional header fields (`gzip -n`).
pub fn gunzip(member: &[u8]) -> Vec<u8> {
    assert_eq!(&member[..4], &[0x1f, 0x8b, 8, 0], "plain gzip -n member");
    miniz_oxide::inflate::decompress_to_vec(&member[10..member.len() - 8]).expect("fixture inflates")
}

/// The payloads of an EIF's sections in file order: (type code, bytes), read by the table.
pub fn eif_sections(eif: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let n = u16::from_be_bytes([eif[26], eif[27]]) as usize;
    (0..n)
        .map(|i| {
            let off = u64::from_be_bytes(eif[28 + 8 * i..36 + 8 * i].try_into().unwrap()) as usize;
            let ty = u16::from_be_bytes([eif[off], eif[off + 1]]);
            let size = u64::from_be_bytes(eif[off + 4..off + 12].try_into().unwrap()) as usize;
            (ty, eif[off + 12..off + 12 + size].to_vec())
        })
        .collect()
}

fn section_of(eif: &[u8], ty: u16, nth: usize) -> Vec<u8> {
    eif_sections(eif).into_iter().filter(|(t, _)| *t == ty).nth(nth).map(|(_, d)| d).expect("fixture section")
}

/// basic-a.eif's kernel section (the real 32 KiB head of Debian's 6.1 bzImage).
pub fn fixture_kernel() -> Vec<u8> {
    section_of(BASIC_A, 1, 0)
}
pub fn fixture_cmdline() -> Vec<u8> {
    section_of(BASIC_A, 2, 0)
}
pub fn fixture_metadata() -> serde_json::Value {
    serde_json::from_slice(&section_of(BASIC_A, 5, 0)).unwrap()
}
/// basic-a.eif's bootstrap ramdisk section, byte for byte (gzip'd `dev/`, `init`, `nsm.ko`).
pub fn fixture_bootstrap_section() -> Vec<u8> {
    section_of(BASIC_A, 3, 0)
}
/// The bootstrap ramdisk's entries.
pub fn fixture_bootstrap_entries() -> Vec<Entry> {
    read_cpio(&gunzip(&fixture_bootstrap_section()))
}
/// signed.eif's signature section (CBOR, COSE_Sign1 by the fixture's P-384 certificate).
pub fn fixture_signature() -> Vec<u8> {
    section_of(SIGNED, 4, 0)
}

/// An EIF v4 image as AWS's `EifBuilder` lays it out.
#[derive(Debug, Clone)]
pub struct Eif {
    pub version: u16,
    pub flags: u16,
    pub default_mem: u64,
    pub default_cpus: u64,
    pub kernel: Vec<u8>,
    pub cmdline: Vec<u8>,
    pub metadata: serde_json::Value,
    pub ramdisks: Vec<Vec<u8>>,
    pub signature: Option<Vec<u8>>,
}

impl Eif {
    /// basic-a's kernel, cmdline, metadata and bootstrap ramdisk, plus `customer` as ramdisk 1.
    pub fn nitro(customer: Vec<u8>) -> Eif {
        Eif {
            version: 4,
            flags: 0,
            default_mem: 1 << 30,
            default_cpus: 2,
            kernel: fixture_kernel(),
            cmdline: fixture_cmdline(),
            metadata: fixture_metadata(),
            ramdisks: vec![fixture_bootstrap_section(), customer],
            signature: None,
        }
    }

    pub fn build(&self) -> Vec<u8> {
        let mut sections: Vec<(u16, Vec<u8>)> = vec![
            (1, self.kernel.clone()),
            (2, self.cmdline.clone()),
            (5, serde_json::to_vec(&self.metadata).unwrap()),
        ];
        sections.extend(self.ramdisks.iter().map(|r| (3, r.clone())));
        sections.extend(self.signature.iter().map(|s| (4, s.clone())));
        let mut out = vec![0u8; 548];
        out[0..4].copy_from_slice(b".eif");
        out[4..6].copy_from_slice(&self.version.to_be_bytes());
        out[6..8].copy_from_slice(&self.flags.to_be_bytes());
        out[8..16].copy_from_slice(&self.default_mem.to_be_bytes());
        out[16..24].copy_from_slice(&self.default_cpus.to_be_bytes());
        out[26..28].copy_from_slice(&(sections.len() as u16).to_be_bytes());
        for (i, (ty, data)) in sections.iter().enumerate() {
            let offset = out.len() as u64;
            out[28 + 8 * i..36 + 8 * i].copy_from_slice(&offset.to_be_bytes());
            out[284 + 8 * i..292 + 8 * i].copy_from_slice(&(data.len() as u64).to_be_bytes());
            out.extend_from_slice(&ty.to_be_bytes());
            out.extend_from_slice(&0u16.to_be_bytes());
            out.extend_from_slice(&(data.len() as u64).to_be_bytes());
            out.extend_from_slice(data);
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&out[..544]);
        crc.update(&out[548..]);
        let sum = crc.finalize();
        out[544..548].copy_from_slice(&sum.to_be_bytes());
        out
    }
}

/// A nitro-cli style customer tree (`cmd`, `env`, `rootfs/…`), kept sorted by name when built.
#[derive(Debug, Clone)]
pub struct Rootfs {
    pub entries: Vec<Entry>,
    /// Archive in this order instead of sorting by name.
    pub keep_order: bool,
    pub first_ino: u64,
    pub gzip: Option<Gzip>,
}

const DPKG_STATUS: &str = "Package: libc6\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 12986\nMaintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\nArchitecture: amd64\nMulti-Arch: same\nSource: glibc\nVersion: 2.36-9+deb12u4\nDepends: libgcc-s1\nDescription: GNU C Library: Shared libraries\n\nPackage: libssl3\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 6224\nMaintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>\nArchitecture: amd64\nMulti-Arch: same\nSource: openssl\nVersion: 3.0.11-1~deb12u2\nDepends: libc6 (>= 2.34)\nDescription: Secure Sockets Layer toolkit - shared libraries\n\nPackage: python3-requests\nStatus: install ok installed\nPriority: optional\nSection: python\nInstalled-Size: 260\nMaintainer: Debian Python Team <team+python@tracker.debian.org>\nArchitecture: all\nSource: requests\nVersion: 2.28.1+dfsg-1\nDepends: python3-certifi, python3-idna, python3-urllib3\nDescription: elegant and simple HTTP library for Python3, built for human beings\n";

const MAIN_PY: &str = "import json\nimport os\n\nfrom app import mod\n\n\ndef main():\n    with open(\"/app/config.json\") as f:\n        config = json.load(f)\n    port = int(os.environ.get(\"PORT\", config[\"port\"]))\n    mod.serve(port, workers=config[\"workers\"])\n\n\nif __name__ == \"__main__\":\n    main()\n";

const REQUESTS_METADATA: &str = "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nSummary: Python HTTP for Humans.\nHome-page: https://requests.readthedocs.io\nAuthor: Kenneth Reitz\nLicense: Apache 2.0\nRequires-Python: >=3.7\nRequires-Dist: charset-normalizer (<4,>=2)\nRequires-Dist: idna (<4,>=2.5)\nRequires-Dist: urllib3 (<3,>=1.21.1)\nRequires-Dist: certifi (>=2017.4.17)\n";

impl Rootfs {
    /// About thirty entries: a Debian-based Python enclave app as nitro-cli packs it.
    pub fn realistic() -> Rootfs {
        let dist = "rootfs/usr/lib/python3/dist-packages/requests-2.31.0.dist-info";
        let entries = vec![
            Entry::file("cmd", 0o644, "/usr/bin/python3\n/app/main.py\n"),
            Entry::file("env", 0o644, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nPORT=8443\n"),
            Entry::dir("rootfs", 0o755),
            Entry::dir("rootfs/app", 0o755),
            Entry::file("rootfs/app/README", 0o644, "# enclave app\n\nServes attestation-bound requests on vsock port 8443.\n"),
            Entry::dir("rootfs/app/__pycache__", 0o755),
            Entry::file("rootfs/app/__pycache__/mod.cpython-311.pyc", 0o644, MOD_A_PYC),
            Entry::file("rootfs/app/config.json", 0o644, "{\n  \"port\": 8443,\n  \"workers\": 4,\n  \"log_level\": \"info\"\n}\n"),
            Entry::dir("rootfs/app/data", 0o755),
            Entry::file("rootfs/app/data/greeting-hardlink.txt", 0o644, "hello from the enclave\n").nlink(2).link(1),
            Entry::file("rootfs/app/data/greeting.txt", 0o644, "hello from the enclave\n").nlink(2).link(1),
            Entry::file("rootfs/app/main.py", 0o644, MAIN_PY),
            Entry::file("rootfs/app/mod.py", 0o644, "def serve(port, workers):\n    print(f\"serving on {port} with {workers} workers\")\n"),
            Entry::symlink("rootfs/bin", "usr/bin"),
            Entry::dir("rootfs/dev", 0o755),
            Entry::chardev("rootfs/dev/null", 0o666, 1, 3),
            Entry::dir("rootfs/etc", 0o755),
            Entry::file("rootfs/etc/group", 0o644, "root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\napp:x:1000:\n"),
            Entry::file("rootfs/etc/hosts", 0o644, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
            Entry::file("rootfs/etc/os-release", 0o644, "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n"),
            Entry::file("rootfs/etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\napp:x:1000:1000::/app:/usr/sbin/nologin\n"),
            Entry::file("rootfs/manifest.json", 0o644, "{\n  \"name\": \"enclave-app\",\n  \"commit\": \"3f9c2e1a7b4d\",\n  \"source\": \"https://git.example.com/team/enclave-app\"\n}\n"),
            Entry::dir("rootfs/proc", 0o555),
            Entry::dir("rootfs/run", 0o755),
            Entry::fifo("rootfs/run/ctl.fifo", 0o600),
            Entry::dir("rootfs/sys", 0o555),
            Entry::dir("rootfs/tmp", 0o1777),
            Entry::dir("rootfs/usr", 0o755),
            Entry::dir("rootfs/usr/bin", 0o755),
            Entry::file("rootfs/usr/bin/hello", 0o755, HELLO_ID1),
            Entry::dir("rootfs/usr/lib", 0o755),
            Entry::dir("rootfs/usr/lib/python3", 0o755),
            Entry::dir("rootfs/usr/lib/python3/dist-packages", 0o755),
            Entry::dir(dist, 0o755),
            Entry::file(format!("{dist}/METADATA"), 0o644, REQUESTS_METADATA),
            Entry::file(format!("{dist}/RECORD"), 0o644, "requests/__init__.py,sha256=mJu1Zmc4W1yuU8JQKy1L-H6fUvmoYv9ef7mBKt7wqOg,4947\nrequests/api.py,sha256=q61xcXq4tmiImrvcSVLTbFyCiD2F-L_-RHAB3D7sMW0,6449\n"),
            Entry::dir("rootfs/usr/lib/x86_64-linux-gnu", 0o755),
            Entry::file("rootfs/usr/lib/x86_64-linux-gnu/libssl.so.3", 0o644, HELLO_ID1),
            Entry::dir("rootfs/usr/share", 0o755),
            Entry::dir("rootfs/usr/share/doc", 0o755),
            Entry::dir("rootfs/usr/share/doc/libssl3", 0o755),
            Entry::file("rootfs/usr/share/doc/libssl3/changelog.Debian.gz", 0o644, MTIME_A_GZ),
            Entry::dir("rootfs/var", 0o755),
            Entry::dir("rootfs/var/lib", 0o755),
            Entry::dir("rootfs/var/lib/dpkg", 0o755),
            Entry::file("rootfs/var/lib/dpkg/status", 0o644, DPKG_STATUS),
        ];
        Rootfs { entries, keep_order: false, first_ino: 0, gzip: Some(Gzip::default()) }
    }

    pub fn get_mut(&mut self, name: &str) -> &mut Entry {
        self.entries.iter_mut().find(|e| e.name == name.as_bytes()).unwrap_or_else(|| panic!("no entry {name}"))
    }
    pub fn set(&mut self, name: &str, data: impl Into<Vec<u8>>) {
        self.get_mut(name).data = data.into();
    }
    /// Replaces `from` with `to` in a text file.
    pub fn edit(&mut self, name: &str, from: &str, to: &str) {
        let e = self.get_mut(name);
        let text = String::from_utf8(e.data.clone()).unwrap();
        assert!(text.contains(from), "{name} does not contain {from:?}");
        e.data = text.replace(from, to).into_bytes();
    }
    pub fn add(&mut self, e: Entry) {
        self.entries.push(e);
    }
    pub fn remove(&mut self, name: &str) {
        self.entries.retain(|e| e.name != name.as_bytes());
    }
    /// Names of the regular files under `prefix`.
    pub fn files_under(&self, prefix: &str) -> Vec<String> {
        self.entries.iter().filter(|e| e.is_file() && e.name.starts_with(prefix.as_bytes())).map(|e| String::from_utf8_lossy(&e.name).into_owned()).collect()
    }

    /// The uncompressed archive.
    pub fn archive(&self) -> Vec<u8> {
        let mut entries = self.entries.clone();
        if !self.keep_order {
            entries.sort_by(|a, b| a.name.cmp(&b.name));
        }
        cpio_from(&entries, self.first_ino, true)
    }

    /// The ramdisk section bytes (gzip'd unless `gzip` is None).
    pub fn ramdisk(&self) -> Vec<u8> {
        let raw = self.archive();
        match &self.gzip {
            Some(opts) => gzip(&raw, opts),
            None => raw,
        }
    }

    /// A nitro-cli style EIF of this tree.
    pub fn eif(&self) -> Eif {
        Eif::nitro(self.ramdisk())
    }
}

/// Runs the engine on two built files.
pub fn diff_bytes(a: &[u8], b: &[u8]) -> Report {
    diff_named("a.eif", a, "b.eif", b)
}

pub fn diff_named(name_a: &str, a: &[u8], name_b: &str, b: &[u8]) -> Report {
    let (sa, sb) = (SliceSource(a), SliceSource(b));
    let ia = Input { name: name_a.into(), source: &sa, pcr_file: None };
    let ib = Input { name: name_b.into(), source: &sb, pcr_file: None };
    compare(&ia, &ib, &Limits::default()).expect("built images compare")
}

/// A published fixture (tests/fixtures/) by file name, embedded.
pub fn fixture(name: &str) -> &'static [u8] {
    match name {
        "basic-a.eif" => include_bytes!("../fixtures/basic-a.eif"),
        "basic-b.eif" => include_bytes!("../fixtures/basic-b.eif"),
        "nogz-a.eif" => include_bytes!("../fixtures/nogz-a.eif"),
        "nogz-b.eif" => include_bytes!("../fixtures/nogz-b.eif"),
        "single-a.eif" => include_bytes!("../fixtures/single-a.eif"),
        "single-b.eif" => include_bytes!("../fixtures/single-b.eif"),
        "multi.eif" => include_bytes!("../fixtures/multi.eif"),
        "signed.eif" => include_bytes!("../fixtures/signed.eif"),
        "meta-a.eif" => include_bytes!("../fixtures/meta-a.eif"),
        "meta-b.eif" => include_bytes!("../fixtures/meta-b.eif"),
        "basic-customer-a.cpio.gz" => include_bytes!("../fixtures/basic-customer-a.cpio.gz"),
        "basic-customer-b.cpio.gz" => include_bytes!("../fixtures/basic-customer-b.cpio.gz"),
        "single-a.pcrs" => include_bytes!("../fixtures/single-a.pcrs"),
        "single-b.pcrs" => include_bytes!("../fixtures/single-b.pcrs"),
        other => panic!("unknown fixture {other}"),
    }
}

/// Ids of the causes, best first.
pub fn cause_ids(r: &Report) -> Vec<&str> {
    r.causes.iter().map(|c| c.id.as_str()).collect()
}

/// Anchors of the first cause's evidence, sorted.
pub fn top_anchors(r: &Report) -> Vec<String> {
    let mut v: Vec<String> = r.causes[0].evidence.iter().map(|e| e.anchor.clone()).collect();
    v.sort();
    v
}
