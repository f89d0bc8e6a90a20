//! Tidy checks on the source tree itself, run by `cargo test`:
//!
//! - the core (everything under `src/` except the UI/worker/CLI shells) stays pure: it never
//!   mentions browser crates, the file system or the clock;
//! - every `.rs` file under `src/` and `tests/*.rs` starts with a `//!` module doc.

use std::path::{Path, PathBuf};

/// Words the core must not contain. Built with `concat!` so this file does not contain them
/// literally (it is not core, but grepping the tree for them should only find real uses).
const FORBIDDEN_IN_CORE: [&str; 6] = [
    concat!("y", "ew"),
    concat!("web", "_sys"),
    concat!("gl", "oo"),
    concat!("wasm", "_bindgen"),
    concat!("std::", "fs"),
    concat!("Instant::", "now"),
];

/// Paths (relative to the crate root, `/`-separated) allowed to talk to the outside world.
fn is_shell(rel: &str) -> bool {
    rel.starts_with("src/app/")
        || rel == "src/worker.rs"
        || rel.starts_with("src/bin/")
        || rel.starts_with("src/cli")
}

/// The forbidden words `text` mentions, in [`FORBIDDEN_IN_CORE`] order.
fn impurities(text: &str) -> Vec<&'static str> {
    FORBIDDEN_IN_CORE
        .iter()
        .copied()
        .filter(|needle| text.contains(needle))
        .collect()
}

/// True when the first non-blank line is a `//!` inner doc comment.
fn has_module_doc(text: &str) -> bool {
    text.lines()
        .map(str::trim_start)
        .find(|line| !line.is_empty())
        .is_some_and(|line| line.starts_with("//!"))
}

fn rust_files(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if recursive {
                rust_files(&path, recursive, out);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).expect("path under the crate root");
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn core_is_pure_and_every_file_has_a_module_doc() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), true, &mut files);
    let n_src = files.len();
    rust_files(&root.join("tests"), false, &mut files);
    assert!(n_src >= 5, "found only {n_src} source files under src/");
    assert!(files.len() > n_src, "found no tests/*.rs");

    let mut problems = Vec::new();
    for path in &files {
        let rel = relative(root, path);
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|err| panic!("reading {rel}: {err}"));
        if !has_module_doc(&text) {
            problems.push(format!("{rel}: does not start with a `//!` module doc"));
        }
        if rel.starts_with("src/") && !is_shell(&rel) {
            for needle in impurities(&text) {
                problems.push(format!("{rel}: core code mentions `{needle}`"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "tidy found problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn checker_catches_violations() {
    let impure = format!(
        "//! doc\nuse {}::File;\nlet t = {}();\n",
        FORBIDDEN_IN_CORE[4], FORBIDDEN_IN_CORE[5]
    );
    assert_eq!(
        impurities(&impure),
        vec![FORBIDDEN_IN_CORE[4], FORBIDDEN_IN_CORE[5]]
    );
    let browser = format!("use {}::prelude::*;", FORBIDDEN_IN_CORE[0]);
    assert_eq!(impurities(&browser), vec![FORBIDDEN_IN_CORE[0]]);
    assert!(impurities("//! pure\npub fn parse(bytes: &[u8]) {}\n").is_empty());

    assert!(has_module_doc("\n//! a module\nfn f() {}"));
    assert!(!has_module_doc("/// item doc\nfn f() {}"));
    assert!(!has_module_doc("use std::fmt;\n//! late doc"));
    assert!(!has_module_doc(""));

    assert!(is_shell("src/app/state.rs"));
    assert!(is_shell("src/worker.rs"));
    assert!(is_shell("src/bin/app.rs"));
    assert!(is_shell("src/cli.rs"));
    assert!(!is_shell("src/formats/eif.rs"));
    assert!(!is_shell("src/workers.rs"));
}
