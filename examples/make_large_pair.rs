//! Writes a large, realistic pair of EIFs for the benchmark (bench/run.sh): `A.eif` and `B.eif`
//! plus their customer ramdisks as `A.rootfs.gz` / `B.rootfs.gz` (for the libdeflate floor).
//!
//! Each EIF (version 4) holds the fixture kernel (tests/fixtures/basic-a.eif) padded to 8 MiB
//! with pseudo-random bytes (a bzImage payload is compressed), the fixture cmdline, metadata and
//! bootstrap ramdisk, and a customer ramdisk: a gzip (level 6, miniz_oxide) newc cpio of
//! ~12,000 files (~215 MB decompressed) mixing text, code-like binary and incompressible data.
//! B is A with 37 entries changed: 16 content edits (10 small, 6 larger than the 64 KiB retain
//! limit), 8 mtimes, 5 modes, 4 files added and 4 removed.
//!
//! Deterministic: a seeded PRNG, no clock. Usage:
//! `cargo run --release --example make_large_pair -- [OUT_DIR] [--files N]` (default
//! target/bench, 12000 files).

use std::fs;
use std::path::PathBuf;

const FIXTURE: &[u8] = include_bytes!("../tests/fixtures/basic-a.eif");
const KERNEL_LEN: usize = 8 << 20;
const MTIME: u64 = 1_700_000_000;

/// splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// Log-uniform in [lo, hi].
    fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let (a, b) = ((lo as f64).ln(), (hi as f64).ln());
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (a + (b - a) * u).exp() as u64
    }
    fn fill(&mut self, out: &mut Vec<u8>, n: usize) {
        let end = out.len() + n;
        while out.len() < end {
            let v = self.next().to_le_bytes();
            let take = (end - out.len()).min(8);
            out.extend_from_slice(&v[..take]);
        }
    }
}

const WORDS: &[&str] = &[
    "the", "of", "and", "to", "in", "is", "for", "that", "with", "on", "as", "this", "by", "be", "are", "or", "from",
    "at", "an", "it", "not", "if", "return", "value", "error", "config", "module", "import", "export", "function",
    "const", "let", "self", "struct", "impl", "pub", "use", "match", "None", "Some", "true", "false", "string",
    "buffer", "length", "offset", "python", "def", "class", "package", "version", "license", "copyright", "include",
    "define", "ifdef", "endif", "static", "void", "int", "char", "unsigned", "size_t", "NULL", "while", "break",
    "enclave", "nitro", "kernel", "ramdisk", "init", "service", "systemd", "network", "address", "port", "server",
    "client", "request", "response", "header", "body", "json", "yaml", "key", "certificate", "token", "session",
];

/// Content of one file: text (~3-4x compressible), code-like binary (~2-3x) or random.
fn content(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 16);
    match rng.below(20) {
        0..=10 => {
            while out.len() < size {
                let r = rng.next();
                let w = WORDS[(r % WORDS.len() as u64) as usize];
                out.extend_from_slice(w.as_bytes());
                match (r >> 16) % 16 {
                    0 => out.push(b'\n'),
                    1 => out.extend_from_slice(format!(" {} ", (r >> 24) % 100_000).as_bytes()),
                    2 => out.extend_from_slice(b"(); "),
                    _ => out.push(b' '),
                }
            }
        }
        11..=17 => {
            // Code-like: skewed bytes, and often a copy of a recent sequence (LZ matches).
            const COMMON: &[u8] = &[0x00, 0x48, 0x89, 0x8b, 0xe8, 0xff, 0x0f, 0x85, 0x84, 0xc3, 0x41, 0x24, 0x45, 0x31, 0xc0, 0x83];
            while out.len() < size {
                let r = rng.next();
                if out.len() > 64 && r % 8 < 5 {
                    let len = 8 + ((r >> 8) % 40) as usize;
                    let back = 1 + ((r >> 16) as usize % out.len().min(4096 - len));
                    let start = out.len().saturating_sub(back + len);
                    let snippet = out[start..start + len.min(out.len() - start)].to_vec();
                    out.extend_from_slice(&snippet);
                } else {
                    for k in 1..8 {
                        let b = (r >> (k * 8)) as u8;
                        out.push(if b < 176 { COMMON[usize::from(b & 15)] } else { b });
                    }
                }
            }
        }
        _ => rng.fill(&mut out, size),
    }
    out.truncate(size);
    out
}

#[derive(Clone)]
struct Entry {
    name: String,
    mode: u32,
    mtime: u64,
    nlink: u32,
    data: Vec<u8>,
}

fn newc_header(out: &mut Vec<u8>, ino: u64, e: &Entry) {
    let fields = [ino, u64::from(e.mode), 0, 0, u64::from(e.nlink), e.mtime, e.data.len() as u64, 0, 0, 0, 0, e.name.len() as u64 + 1, 0];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08x}").as_bytes());
    }
    out.extend_from_slice(e.name.as_bytes());
    out.push(0);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

fn cpio(entries: &[Entry]) -> Vec<u8> {
    let total: usize = entries.iter().map(|e| e.data.len() + e.name.len() + 120).sum();
    let mut out = Vec::with_capacity(total + 512);
    for (i, e) in entries.iter().enumerate() {
        newc_header(&mut out, 1000 + i as u64, e);
        out.extend_from_slice(&e.data);
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
    }
    let trailer = Entry { name: "TRAILER!!!".into(), mode: 0, mtime: 0, nlink: 1, data: Vec::new() };
    newc_header(&mut out, 0, &trailer);
    while !out.len().is_multiple_of(512) {
        out.push(0);
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    out.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(data, 6));
    out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}
fn be64(d: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[at..at + 8]);
    u64::from_be_bytes(b)
}

/// The fixture's sections as (type, payload).
fn fixture_sections() -> Vec<(u16, Vec<u8>)> {
    let n = usize::from(be16(FIXTURE, 26));
    (0..n)
        .map(|i| {
            let off = be64(FIXTURE, 28 + 8 * i) as usize;
            let size = be64(FIXTURE, 28 + 256 + 8 * i) as usize;
            (be16(FIXTURE, off), FIXTURE[off + 12..off + 12 + size].to_vec())
        })
        .collect()
}

/// An EIF v4 with the given sections back to back after the header, CRC as in EIF-FORMAT.md.
fn eif(sections: &[(u16, &[u8])]) -> Vec<u8> {
    let mut out = vec![0u8; 548];
    out[..4].copy_from_slice(b".eif");
    out[4..6].copy_from_slice(&4u16.to_be_bytes());
    out[8..16].copy_from_slice(&(1u64 << 30).to_be_bytes());
    out[16..24].copy_from_slice(&2u64.to_be_bytes());
    out[26..28].copy_from_slice(&(sections.len() as u16).to_be_bytes());
    for (i, (kind, payload)) in sections.iter().enumerate() {
        let off = out.len() as u64;
        out[28 + 8 * i..36 + 8 * i].copy_from_slice(&off.to_be_bytes());
        out[284 + 8 * i..292 + 8 * i].copy_from_slice(&(payload.len() as u64).to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        out.extend_from_slice(payload);
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(&out[..544]);
    crc.update(&out[548..]);
    let sum = crc.finalize();
    out[544..548].copy_from_slice(&sum.to_be_bytes());
    out
}

fn rootfs(rng: &mut Rng, n_files: usize) -> Vec<Entry> {
    let dir = |name: String| Entry { name, mode: 0o040755, mtime: MTIME, nlink: 2, data: Vec::new() };
    let mut entries = vec![dir(".".into())];
    let tops = ["usr", "usr/lib", "usr/share", "usr/bin", "etc", "opt", "opt/app", "var", "var/lib"];
    for t in tops {
        entries.push(dir(t.into()));
    }
    let n_dirs = (n_files / 24).max(1);
    let mut file_no = 0usize;
    let per_dir = n_files.div_ceil(n_dirs);
    for d in 0..n_dirs {
        let parent = tops[1 + d % (tops.len() - 1)];
        let dname = format!("{parent}/pkg{d:04}");
        entries.push(dir(dname.clone()));
        for _ in 0..per_dir.min(n_files - file_no) {
            let size = rng.log_uniform(32, 128 << 10) as usize;
            let ext = ["txt", "so", "py", "json", "bin", "conf"][(rng.below(6)) as usize];
            let mode = if ext == "so" || ext == "bin" { 0o100755 } else { 0o100644 };
            let data = content(rng, size);
            entries.push(Entry { name: format!("{dname}/f{file_no:05}.{ext}"), mode, mtime: MTIME, nlink: 1, data });
            file_no += 1;
        }
    }
    // A few large files (libraries, models) and some symlinks.
    entries.push(dir("opt/app/data".into()));
    for i in 0..6 {
        let size = rng.log_uniform(2 << 20, 8 << 20) as usize;
        let data = content(rng, size);
        entries.push(Entry { name: format!("opt/app/data/blob{i}.bin"), mode: 0o100644, mtime: MTIME, nlink: 1, data });
    }
    for i in 0..20 {
        entries.push(Entry { name: format!("usr/lib/libalias{i}.so"), mode: 0o120777, mtime: MTIME, nlink: 1, data: format!("pkg{i:04}/f{i:05}.so").into_bytes() });
    }
    entries
}

/// B = A with 37 entries changed; returns B's entries.
fn mutate(a: &[Entry], rng: &mut Rng) -> Vec<Entry> {
    let mut b = a.to_vec();
    let files: Vec<usize> = (0..b.len()).filter(|&i| b[i].mode & 0o170000 == 0o100000).collect();
    let mut used = std::collections::BTreeSet::new();
    let mut pick = |rng: &mut Rng, want: &dyn Fn(&Entry) -> bool, b: &[Entry]| loop {
        let i = files[rng.below(files.len() as u64) as usize];
        if want(&b[i]) && used.insert(i) {
            return i;
        }
    };
    let small = |e: &Entry| e.data.len() >= 64 && e.data.len() < 60 << 10;
    let large = |e: &Entry| e.data.len() > 80 << 10;
    let any = |_: &Entry| true;
    for k in 0..16 {
        let i = if k < 10 { pick(rng, &small, &b) } else { pick(rng, &large, &b) };
        let d = &mut b[i].data;
        let at = d.len() / 2;
        let patch = format!("version 2.{k}.1-build{}", rng.below(1000));
        let end = (at + patch.len()).min(d.len());
        d[at..end].copy_from_slice(&patch.as_bytes()[..end - at]);
    }
    for _ in 0..8 {
        let i = pick(rng, &any, &b);
        b[i].mtime += 3600;
    }
    for _ in 0..5 {
        let i = pick(rng, &any, &b);
        b[i].mode ^= 0o111;
    }
    let mut removed: Vec<usize> = (0..4).map(|_| pick(rng, &any, &b)).collect();
    removed.sort_unstable();
    for i in removed.into_iter().rev() {
        b.remove(i);
    }
    for k in 0..4 {
        let size = rng.log_uniform(100, 200 << 10) as usize;
        let data = content(rng, size);
        b.push(Entry { name: format!("opt/app/new{k}.py"), mode: 0o100644, mtime: MTIME + 7200, nlink: 1, data });
    }
    b
}

fn main() {
    let mut out_dir = PathBuf::from("target/bench");
    let mut n_files = 12_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--files" {
            n_files = args.next().and_then(|v| v.parse().ok()).expect("--files N");
        } else {
            out_dir = PathBuf::from(arg);
        }
    }
    fs::create_dir_all(&out_dir).expect("create output directory");
    let mut rng = Rng(0x00e1_f5c0_9e00_0001);
    let fixture = fixture_sections();
    let section = |kind: u16| fixture.iter().find(|(k, _)| *k == kind).map(|(_, p)| p.clone()).expect("fixture section");
    let mut kernel = section(1);
    let pad = KERNEL_LEN.saturating_sub(kernel.len());
    rng.fill(&mut kernel, pad);
    let (cmdline, metadata, bootstrap) = (section(2), section(5), section(3));

    let a = rootfs(&mut rng, n_files);
    let b = mutate(&a, &mut rng);
    for (name, entries) in [("A", &a), ("B", &b)] {
        let archive = cpio(entries);
        let gz = gzip(&archive);
        let image = eif(&[(1, &kernel), (2, &cmdline), (5, &metadata), (3, &bootstrap), (3, &gz)]);
        fs::write(out_dir.join(format!("{name}.rootfs.gz")), &gz).expect("write rootfs");
        fs::write(out_dir.join(format!("{name}.eif")), &image).expect("write eif");
        eprintln!(
            "{name}.eif: {} entries, {} bytes cpio, {} bytes gzip, {} bytes eif",
            entries.len() + 1,
            archive.len(),
            gz.len(),
            image.len()
        );
    }
}
