//! Diagnosis: rules over the differences in a report produce ranked likely causes, each with
//! a stable id, evidence that links into the report, and a fix.
//!
//! Every difference becomes an *item*; each rule claims the items it explains. Causes rank by
//! how many items they explain, then confidence. Items no rule claims are listed plainly as
//! unexplained rather than forced onto a cause.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::report::{Cause, Confidence, Evidence, LayerStatus, Report, VerdictKind};

/// One difference, keyed for claiming.
#[derive(Debug, Clone)]
struct Item {
    key: String,
    anchor: String,
    label: String,
}

/// "1 entry differs" / "3 entries differ".
fn n_entries_differ(n: usize) -> String {
    if n == 1 {
        "1 entry differs".to_owned()
    } else {
        format!("{n} entries differ")
    }
}

fn add(rules: &mut Vec<Rule>, id: &'static str, title: String, confidence: Confidence, fix: &'static str, claimed: Vec<Item>) {
    if !claimed.is_empty() {
        rules.push(Rule { id, title, confidence, fix, claimed });
    }
}

struct Rule {
    id: &'static str,
    title: String,
    confidence: Confidence,
    fix: &'static str,
    claimed: Vec<Item>,
}

/// Every cause id, a public contract, in tie-break order (more specific causes first).
pub const PRIORITY: &[&str] = &[
    "different-source",
    "unpinned-dependencies",
    "kernel",
    "cmdline",
    "bootstrap",
    "signature",
    "file-timestamps",
    "embedded-timestamps",
    "build-id",
    "build-environment",
    "file-permissions",
    "file-ownership",
    "compression",
    "ramdisk-layout",
    "entry-order",
    "inode-numbers",
    "case-collision",
    "host-artifacts",
    "unmeasured-metadata",
];

fn items(report: &Report) -> Vec<Item> {
    let mut out = Vec::new();
    for layer in &report.layers {
        if layer.status == LayerStatus::Equal || layer.status == LayerStatus::Absent || layer.consequence_only || layer.id.ends_with("-archive") {
            continue;
        }
        let what = match layer.status {
            LayerStatus::OnlyA => "only in A".to_owned(),
            LayerStatus::OnlyB => "only in B".to_owned(),
            _ => format!("differs ({})", layer.changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>().join(", ")),
        };
        out.push(Item { key: format!("layer:{}", layer.id), anchor: format!("layer:{}", layer.id), label: format!("{} {what}", layer.title) });
    }
    let e = &report.entries;
    for c in &e.changed {
        for f in &c.fields {
            out.push(Item { key: format!("entry:{}#{f}", c.path), anchor: format!("entry:{}", c.path), label: format!("{}: {f}", c.path) });
        }
    }
    for r in &e.added {
        out.push(Item { key: format!("entry:{}#added", r.path), anchor: format!("entry:{}", r.path), label: format!("{} added", r.path) });
    }
    for r in &e.removed {
        out.push(Item { key: format!("entry:{}#removed", r.path), anchor: format!("entry:{}", r.path), label: format!("{} removed", r.path) });
    }
    for m in &e.moved {
        out.push(Item { key: format!("entry:{}#moved", m.to), anchor: format!("entry:{}", m.to), label: format!("{} moved to {}", m.from, m.to) });
    }
    for n in &e.notes {
        if matches!(n.id.as_str(), "inode-numbers" | "entry-order" | "duplicate-names" | "split-differs") {
            let rd = n.ramdisk.map(|r| r.to_string()).unwrap_or_default();
            // A note about one ramdisk links to its archive layer; one about the merged tree
            // (no ramdisk) to the file list.
            let anchor = match n.ramdisk {
                Some(r) => format!("layer:ramdisk-{r}-archive"),
                None => "files".to_owned(),
            };
            out.push(Item { key: format!("note:{}:{rd}", n.id), anchor, label: n.message.clone() });
        }
    }
    out
}

fn is_package_db(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    p.ends_with("var/lib/dpkg/status")
        || p.contains("var/lib/dpkg/info/")
        || p.ends_with("lib/apk/db/installed")
        || p.contains("var/lib/rpm/")
        || p.contains(".dist-info/")
        || p.contains(".egg-info/")
        || p.ends_with(".dist-info")
        || p.ends_with(".egg-info")
        || p.contains("site-packages/")
        || p.contains("dist-packages/")
        || p.contains("node_modules/")
        || p.ends_with("package-lock.json")
        || p.ends_with("requirements.txt")
        || p.ends_with("cargo.lock")
        || p.ends_with("go.sum")
        || (p.contains("/lib/") && (p.ends_with(".so") || p.contains(".so.")))
}

fn is_host_artifact(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base == ".DS_Store"
        || base.starts_with("._")
        || base == "Thumbs.db"
        || base == "desktop.ini"
        || path.contains(".cache/rosetta")
        || path.contains("__MACOSX")
        || path.contains("/.Spotlight-V100")
}

fn is_provenance(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    matches!(base.as_str(), "manifest.json" | "version" | "build-info.json" | "git-commit" | "revision" | "commit")
}

/// Runs every rule and returns causes ranked best first, plus unexplained item labels.
pub fn diagnose(report: &Report) -> (Vec<Cause>, Vec<String>) {
    let items = items(report);
    let index: HashMap<&str, &Item> = items.iter().rev().map(|i| (i.key.as_str(), i)).collect();
    let by_key = |key: &str| index.get(key).map(|i| (*i).clone());
    let mut rules: Vec<Rule> = Vec::new();
    let layer_items = |prefix: &str| -> Vec<Item> { items.iter().filter(|i| i.key.starts_with(prefix)).cloned().collect() };
    let e = &report.entries;
    let n_changed = e.changed.len();

    // EIF layers.
    // The header counts as metadata when only unmeasured bookkeeping fields moved.
    let header_bookkeeping = report.layers.iter().any(|l| {
        l.id == "header" && l.changes.iter().all(|c| matches!(c.field.as_str(), "crc32" | "crc ok" | "file size" | "default_mem" | "default_cpus"))
    });
    let mut meta: Vec<Item> = by_key("layer:metadata").into_iter().collect();
    if header_bookkeeping {
        meta.extend(by_key("layer:header"));
    }
    if !meta.is_empty() {
        let only = report.verdict.kind == VerdictKind::MeasurementsEqual;
        add(&mut rules, 
            "unmeasured-metadata",
            if only { "Only unmeasured metadata differs (build time, tool versions, CRC)".into() } else { "Unmeasured metadata differs too".into() },
            if only { Confidence::High } else { Confidence::Medium },
            "Harmless for attestation: PCRs do not cover metadata. For byte-identical files pin the build time (e.g. eif_build --build-time) and tool versions.",
            meta,
        );
    }
    let mut signature = layer_items("layer:signature");
    let signed_on_one_side = report.layers.iter().any(|l| l.id == "signature" && matches!(l.status, LayerStatus::OnlyA | LayerStatus::OnlyB));
    if signed_on_one_side {
        // The extra section also changes the section count and layout.
        signature.extend(by_key("layer:sections"));
        if !header_bookkeeping {
            signature.extend(by_key("layer:header"));
        }
    }
    add(&mut rules, "signature", if signed_on_one_side { "Only one image is signed (PCR8 differs)".into() } else { "The signature section or signing certificate differs (PCR8)".into() }, Confidence::High,
        "Sign both builds with the same certificate (PCR8 is the certificate's hash); signature bytes themselves are randomised and not measured.", signature);
    add(&mut rules, "kernel", "The kernel differs".into(), Confidence::High,
        "Pin the kernel / base image (StageX digests, nitro-cli blob versions); commit the generated Containerfile.", layer_items("layer:kernel"));
    add(&mut rules, "cmdline", "The kernel command line differs".into(), Confidence::High, "Pin the kernel command line.", layer_items("layer:cmdline"));

    // Entries in the bootstrap ramdisk of a two-ramdisk layout.
    let two_ramdisk = |side: &crate::report::InputSide| side.summary.get("ramdisks").and_then(|r| r.as_array()).map(|r| r.len() >= 2).unwrap_or(false);
    if two_ramdisk(&report.a) && two_ramdisk(&report.b) {
        let mut claimed: Vec<Item> = items.iter().filter(|i| i.key.starts_with("layer:ramdisk-0-")).cloned().collect();
        for c in e.changed.iter().filter(|c| c.ramdisk_a == 0 || c.ramdisk_b == 0) {
            claimed.extend(c.fields.iter().filter_map(|f| by_key(&format!("entry:{}#{f}", c.path))));
        }
        for r in e.added.iter().filter(|r| r.ramdisk == 0) {
            claimed.extend(by_key(&format!("entry:{}#added", r.path)));
        }
        for r in e.removed.iter().filter(|r| r.ramdisk == 0) {
            claimed.extend(by_key(&format!("entry:{}#removed", r.path)));
        }
        add(&mut rules, "bootstrap", "The bootstrap ramdisk (init, nsm.ko) differs".into(), Confidence::High,
            "Use the same nitro-cli version / blobs (init, nsm.ko) on both sides.", claimed);
    }

    // Field-level patterns over changed entries.
    let field_items = |pred: &dyn Fn(&crate::report::ChangedEntry) -> bool, field: &str| -> Vec<Item> {
        e.changed.iter().filter(|c| pred(c)).filter_map(|c| by_key(&format!("entry:{}#{field}", c.path))).collect()
    };
    let mtime_only = field_items(&|c| c.fields == ["mtime"], "mtime");
    // A file whose content changed has a new mtime for that reason; its mtime goes with the
    // cause of the content change (see below), not here.
    let mtime_any = field_items(&|c| c.fields.iter().any(|f| f == "mtime") && !c.fields.iter().any(|f| f == "content"), "mtime");
    if !mtime_any.is_empty() {
        let conf = if mtime_only.len() >= 3 || (n_changed > 0 && mtime_only.len() * 2 >= n_changed) { Confidence::High } else { Confidence::Medium };
        add(&mut rules, "file-timestamps", format!("{} in modification time ({} only in mtime)", n_entries_differ(mtime_any.len()), mtime_only.len()), conf,
            "Clamp mtimes: set SOURCE_DATE_EPOCH, `touch -d @0` (or a fixed date) before archiving, or use a reproducible archive tool.", mtime_any);
    }
    let signal_items = |signal: &str| -> Vec<Item> {
        e.changed.iter().filter(|c| c.signals.iter().any(|s| s == signal)).filter_map(|c| by_key(&format!("entry:{}#content", c.path))).collect()
    };
    let embedded = signal_items("embedded-timestamp");
    add(&mut rules, "embedded-timestamps", "File contents embed build dates or times".into(), Confidence::High,
        "Set SOURCE_DATE_EPOCH, use `gzip -n`, and strip or fix build dates in generated files (.pyc: --invalidation-mode checked-hash).", embedded);
    add(&mut rules, "build-id", "ELF files differ only in their GNU build-id".into(), Confidence::High,
        "Make inputs deterministic (-ffile-prefix-map, fixed paths), or link with --build-id=none.", signal_items("build-id-only"));
    add(&mut rules, "build-environment", "Host names, user names or build paths are embedded in files".into(), Confidence::Medium,
        "Build in a fixed path, use -ffile-prefix-map, keep host and user names out of outputs.", signal_items("build-environment"));

    let modes: Vec<&crate::report::ChangedEntry> = e.changed.iter().filter(|c| c.fields.iter().any(|f| f == "mode")).collect();
    if !modes.is_empty() {
        let umask_like = modes.iter().all(|c| {
            c.changes.iter().find(|f| f.field == "mode").map(|f| {
                let pa = u32::from_str_radix(f.a.trim_start_matches('0'), 8).unwrap_or(0);
                let pb = u32::from_str_radix(f.b.trim_start_matches('0'), 8).unwrap_or(0);
                (pa ^ pb) & 0o7777 & !0o077 == 0
            }).unwrap_or(false)
        });
        let claimed: Vec<Item> = modes.iter().filter_map(|c| by_key(&format!("entry:{}#mode", c.path))).collect();
        add(&mut rules, "file-permissions", format!("{} in permission bits{}", n_entries_differ(claimed.len()), if umask_like { " (group/other bits: a umask pattern)" } else { "" }),
            if umask_like { Confidence::High } else { Confidence::Medium },
            "Normalise modes before archiving (umask 022 in the build, or an explicit chmod).", claimed);
    }
    let mut owners = field_items(&|c| c.fields.iter().any(|f| f == "uid"), "uid");
    owners.extend(field_items(&|c| c.fields.iter().any(|f| f == "gid"), "gid"));
    add(&mut rules, "file-ownership", format!("{} (uid/gid)", if owners.len() == 1 { "1 ownership difference".to_owned() } else { format!("{} ownership differences", owners.len()) }), Confidence::High,
        "Archive with fixed ownership: `cpio -R 0:0`, `tar --owner=0 --group=0`.", owners);

    // Archive-level bookkeeping and compression.
    let entries_equal = e.changed.is_empty() && e.added.is_empty() && e.removed.is_empty() && e.moved.is_empty();
    let inode = layer_items("note:inode-numbers");
    if !inode.is_empty() {
        add(&mut rules, "inode-numbers", "Inode/device numbering in the archive differs".into(),
            if entries_equal { Confidence::High } else { Confidence::Low },
            "Use `cpio --reproducible` (renumbers inodes, zeroes dev), or a reproducible archive writer.", inode);
    }
    add(&mut rules, "entry-order", "The same entries are archived in a different order".into(), Confidence::High,
        "Sort the file list before archiving (`find . | LC_ALL=C sort | cpio -o -H newc`).", layer_items("note:entry-order"));
    let mut compression = Vec::new();
    for l in &report.layers {
        if let Some(rd) = l.id.strip_suffix("-compression") {
            let archive_equal = report.layers.iter().any(|x| x.id == format!("{rd}-archive") && x.status == LayerStatus::Equal);
            if l.status == LayerStatus::Differ && archive_equal {
                compression.extend(by_key(&format!("layer:{}", l.id)));
            }
        }
    }
    add(&mut rules, "compression", "Decompressed archives are identical; only the compressed bytes differ".into(), Confidence::High,
        "Pin the compressor, its level and `-n` (no name/time in the gzip header).", compression);

    // The same tree packed into a different number (or split) of customer ramdisks: the kernel
    // unpacks the same files, but PCR0/PCR2 hash the ramdisk bytes, and the section count,
    // layout, CRC and file size follow.
    let ramdisk_count = |side: &crate::report::InputSide| side.summary.get("ramdisks").and_then(|r| r.as_array()).map(|r| r.len());
    let (count_a, count_b) = (ramdisk_count(&report.a), ramdisk_count(&report.b));
    let split = layer_items("note:split-differs");
    let is_eif = |side: &crate::report::InputSide| side.summary.get("kind").and_then(|k| k.as_str()) == Some("eif");
    if is_eif(&report.a) && is_eif(&report.b) && (count_a != count_b || !split.is_empty()) {
        let mut layout = split;
        for l in report.layers.iter().filter(|l| l.id.starts_with("ramdisk-") && matches!(l.status, LayerStatus::OnlyA | LayerStatus::OnlyB)) {
            layout.extend(by_key(&format!("layer:{}", l.id)));
        }
        let section_layout_only = report.layers.iter().any(|l| {
            l.id == "sections" && l.changes.iter().all(|c| c.field == "layout" || c.field.starts_with("Ramdisk["))
        });
        if !layout.is_empty() && section_layout_only {
            layout.extend(by_key("layer:sections"));
            let header_layout_only = report.layers.iter().any(|l| {
                l.id == "header" && l.changes.iter().all(|c| matches!(c.field.as_str(), "num_sections" | "crc32" | "crc ok" | "file size" | "section_offsets" | "section_sizes"))
            });
            if header_layout_only {
                layout.extend(by_key("layer:header"));
            }
        }
        let counts = match (count_a, count_b) {
            (Some(a), Some(b)) if a != b => format!(" ({a} ramdisks in A, {b} in B)"),
            _ => String::new(),
        };
        add(&mut rules, "ramdisk-layout", format!("The same files are packed into ramdisks differently{counts}"),
            if entries_equal { Confidence::High } else { Confidence::Medium },
            "Build both images with the same packaging tool and ramdisk arguments (e.g. the same eif_build --ramdisk list, nitro-cli version or StageX/monzo recipe): the kernel sees the same tree, but PCR0/PCR2 hash each ramdisk's bytes.",
            layout);
    }

    // Path patterns.
    let path_items = |pred: &dyn Fn(&str) -> bool| -> Vec<Item> {
        let mut v: Vec<Item> = Vec::new();
        for c in e.changed.iter().filter(|c| pred(&c.path)) {
            v.extend(c.fields.iter().filter(|f| f.as_str() == "content").filter_map(|f| by_key(&format!("entry:{}#{f}", c.path))));
        }
        for r in e.added.iter().filter(|r| pred(&r.path)) {
            v.extend(by_key(&format!("entry:{}#added", r.path)));
        }
        for r in e.removed.iter().filter(|r| pred(&r.path)) {
            v.extend(by_key(&format!("entry:{}#removed", r.path)));
        }
        v
    };
    let mut deps = path_items(&is_package_db);
    deps.extend(signal_items("version-change").into_iter().filter(|i| !is_provenance(i.anchor.trim_start_matches("entry:"))));
    deps.sort_by(|x, y| x.key.cmp(&y.key));
    deps.dedup_by(|x, y| x.key == y.key);
    add(&mut rules, "unpinned-dependencies", "Installed package versions or libraries differ".into(), Confidence::High,
        "Pin versions: lockfiles, exact package versions, base images by digest.", deps);
    // Directories added only to hold host artifacts (`root/.cache` for `.cache/rosetta/…`)
    // belong to them too.
    // Sorted, so the added paths below a directory are one range (found by binary search):
    // linear in the entries, not quadratic, for 100 000 added files.
    let mut added_paths: Vec<&str> = e.added.iter().map(|r| r.path.as_str()).collect();
    added_paths.sort_unstable();
    let below = |prefix: String| {
        let start = added_paths.partition_point(|p| *p < prefix.as_str());
        added_paths[start..].iter().take_while(move |p| p.starts_with(&prefix))
    };
    let artifact_dir = |path: &str| -> bool {
        let mut under = below(format!("{path}/")).peekable();
        under.peek().is_some() && under.all(|p| is_host_artifact(p) || below(format!("{p}/")).next().is_some())
    };
    let added_dirs: HashSet<&str> = e.added.iter().filter(|r| r.kind == "dir").map(|r| r.path.as_str()).collect();
    let is_added_dir = |path: &str| added_dirs.contains(path);
    add(&mut rules, "host-artifacts", "Files only the build host explains (.DS_Store, Rosetta caches…)".into(), Confidence::High,
        "Build on native Linux and exclude host files (.dockerignore).",
        path_items(&|p: &str| is_host_artifact(p) || (is_added_dir(p) && artifact_dir(p))));

    // Case collisions: a name present on one side only, whose case-folded form exists on both.
    // The surviving name of a colliding group changed too: it holds whichever content was
    // written last, with that file's metadata.
    let mut collisions = Vec::new();
    for path in &e.case_collisions {
        collisions.extend(by_key(&format!("entry:{path}#removed")));
        collisions.extend(by_key(&format!("entry:{path}#added")));
    }
    let folded: BTreeSet<String> = e.case_collisions.iter().map(|p| p.to_ascii_lowercase()).collect();
    for c in e.changed.iter().filter(|c| folded.contains(&c.path.to_ascii_lowercase())) {
        collisions.extend(c.fields.iter().filter_map(|f| by_key(&format!("entry:{}#{f}", c.path))));
    }
    add(&mut rules, "case-collision", "Names that differ only by case are missing on one side".into(), Confidence::High,
        "Never unpack the rootfs on a case-insensitive filesystem (macOS/Windows hosts); build inside Linux.", collisions);

    // Whatever content change is left in application files: a different source revision.
    let claimed_so_far: BTreeSet<String> = rules.iter().flat_map(|r| r.claimed.iter().map(|i| i.key.clone())).collect();
    let mut source: Vec<Item> = Vec::new();
    for c in &e.changed {
        for f in c.fields.iter().filter(|f| matches!(f.as_str(), "content" | "symlink_target" | "type")) {
            let key = format!("entry:{}#{f}", c.path);
            if !claimed_so_far.contains(&key) {
                source.extend(by_key(&key));
            }
        }
    }
    for key_suffix in ["added", "removed", "moved"] {
        for i in items.iter().filter(|i| i.key.ends_with(&format!("#{key_suffix}"))) {
            if !claimed_so_far.contains(&i.key) {
                source.push(i.clone());
            }
        }
    }
    let provenance = e.changed.iter().any(|c| is_provenance(&c.path));
    add(&mut rules, "different-source", "Application files differ in substance (a different source revision?)".into(),
        if provenance { Confidence::High } else { Confidence::Medium },
        "You are probably comparing different source revisions: check the commit / provenance file both builds came from.", source);

    // The mtime of a file whose content changed follows from that change: it joins the cause
    // that explains the content.
    for rule in rules.iter_mut() {
        let extra: Vec<Item> = rule
            .claimed
            .iter()
            .filter_map(|i| i.key.strip_suffix("#content"))
            .filter_map(|entry| by_key(&format!("{entry}#mtime")))
            .collect();
        rule.claimed.extend(extra);
    }

    let claimed: BTreeSet<String> = rules.iter().flat_map(|r| r.claimed.iter().map(|i| i.key.clone())).collect();
    let unexplained: Vec<String> = items.iter().filter(|i| !claimed.contains(&i.key)).map(|i| i.label.clone()).collect();

    let rank = |id: &str| PRIORITY.iter().position(|p| *p == id).unwrap_or(PRIORITY.len());
    rules.sort_by(|x, y| {
        y.claimed.len().cmp(&x.claimed.len()).then(y.confidence.cmp(&x.confidence)).then(rank(x.id).cmp(&rank(y.id)))
    });
    let causes = rules
        .into_iter()
        .map(|r| {
            let mut seen = BTreeSet::new();
            let evidence = r
                .claimed
                .iter()
                .filter(|i| seen.insert(i.key.clone()))
                .map(|i| Evidence { label: i.label.clone(), anchor: i.anchor.clone() })
                .collect::<Vec<_>>();
            Cause { id: r.id.to_owned(), title: r.title, confidence: r.confidence, explains: evidence.len() as u64, evidence, fix: r.fix.to_owned() }
        })
        .collect();
    (causes, unexplained)
}
