//! The `eifscope` command line: a thin shell that reads files and calls the core.
//!
//! `inspect FILE [--json] [--entries]` and `diff A B [...]`. Exit codes: 0 success / identical,
//! 1 the inputs differ (diff only), 2 error (one line on stderr). `diff` reads its two inputs
//! on two threads ([`analyze::read_side`] each), then compares them on one.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::analyze::{self, Input};
use crate::report::Side;
use crate::image::{self, Image};
use crate::limits::Limits;
use crate::report::{self, VerdictKind};
use crate::source::{ByteSource, SourceError};

#[derive(Parser)]
#[command(name = "eifscope", version, about = "Compare AWS Nitro Enclave Image Files and explain why their measurements differ")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode one EIF (or rootfs.cpio[.gz]) and print what it holds.
    Inspect {
        file: PathBuf,
        /// Print the inspect model as JSON.
        #[arg(long)]
        json: bool,
        /// List every cpio entry, like `cpio -itv` but lossless.
        #[arg(long)]
        entries: bool,
    },
    /// Compare two images; exit 0 when identical, 1 when they differ, 2 on error.
    Diff {
        a: PathBuf,
        b: PathBuf,
        /// PCR file for A (enclave.pcrs, measurements JSON, describe-eif JSON…).
        #[arg(long)]
        pcrs_a: Option<PathBuf>,
        #[arg(long)]
        pcrs_b: Option<PathBuf>,
        /// Write the JSON report to this file ("-" for stdout).
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the self-contained HTML report to this file.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Write the Markdown summary to this file ("-" for stdout).
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
}

/// A file read with positioned reads: nothing is loaded whole.
pub struct FileSource {
    file: File,
    len: u64,
}

impl FileSource {
    pub fn open(path: &Path) -> Result<FileSource, String> {
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let len = file.metadata().map_err(|e| format!("{}: {e}", path.display()))?.len();
        Ok(FileSource { file, len })
    }
}

impl ByteSource for FileSource {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        self.file.read_exact_at(buf, offset).map_err(|e| SourceError::new(offset, buf.len() as u64, e.to_string()))
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { file, json, entries } => inspect(&file, json, entries),
        Command::Diff { a, b, pcrs_a, pcrs_b, json, html, markdown } => diff(&a, &b, pcrs_a.as_deref(), pcrs_b.as_deref(), json.as_deref(), html.as_deref(), markdown.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("eifscope: {message}");
            2
        }
    }
}

fn read_image(path: &Path, limits: &Limits) -> Result<(FileSource, Image), String> {
    let source = FileSource::open(path)?;
    let image = image::read_image(&file_name(path), &source, limits).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((source, image))
}

fn inspect(path: &Path, json: bool, entries: bool) -> Result<i32, String> {
    let limits = Limits::default();
    let (_source, image) = read_image(path, &limits)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let text = if entries {
        image::entries_listing(&image)
    } else if json {
        let mut s = serde_json::to_string_pretty(&image.summary()).map_err(|e| e.to_string())?;
        s.push('\n');
        s
    } else {
        image::human_summary(&image)
    };
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(0)
}

fn write_output(target: &Path, text: &str) -> Result<(), String> {
    if target == Path::new("-") {
        std::io::stdout().write_all(text.as_bytes()).map_err(|e| e.to_string())
    } else {
        std::fs::write(target, text).map_err(|e| format!("{}: {e}", target.display()))
    }
}

#[allow(clippy::too_many_arguments)]
fn diff(
    a: &Path,
    b: &Path,
    pcrs_a: Option<&Path>,
    pcrs_b: Option<&Path>,
    json: Option<&Path>,
    html: Option<&Path>,
    markdown: Option<&Path>,
) -> Result<i32, String> {
    let limits = Limits::default();
    let source_a = FileSource::open(a)?;
    let source_b = FileSource::open(b)?;
    let read_pcrs = |p: Option<&Path>| -> Result<Option<(String, Vec<u8>)>, String> {
        p.map(|p| std::fs::read(p).map(|bytes| (file_name(p), bytes)).map_err(|e| format!("{}: {e}", p.display()))).transpose()
    };
    let input_a = Input { name: file_name(a), source: &source_a, pcr_file: read_pcrs(pcrs_a)? };
    let input_b = Input { name: file_name(b), source: &source_b, pcr_file: read_pcrs(pcrs_b)? };
    // Pass 1 on two threads: A on a helper thread, B on this one (`&dyn ByteSource` is not
    // Sync, so the helper gets its own `Input` over the same file).
    let (image_a, image_b) = std::thread::scope(|scope| {
        let name_a = input_a.name.clone();
        let source_a = &source_a;
        let limits = &limits;
        let helper = scope.spawn(move || analyze::read_side(&Input { name: name_a, source: source_a, pcr_file: None }, Side::A, limits));
        let image_b = analyze::read_side(&input_b, Side::B, limits);
        (helper.join(), image_b)
    });
    let image_a = image_a.map_err(|_| "reading the first input failed unexpectedly".to_owned())?.map_err(|e| e.to_string())?;
    let image_b = image_b.map_err(|e| e.to_string())?;
    let report = analyze::compare_images(&input_a, &image_a, &input_b, &image_b, &limits, &mut |_| {});
    let to_stdout = [json, markdown].iter().any(|t| *t == Some(Path::new("-")));
    if let Some(target) = json {
        let mut s = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        s.push('\n');
        write_output(target, &s)?;
    }
    if let Some(target) = html {
        write_output(target, &report::html::render(&report))?;
    }
    if let Some(target) = markdown {
        write_output(target, &report::markdown::render(&report))?;
    }
    if !to_stdout {
        print!("{}", analyze::terminal_summary(&report));
    }
    Ok(if report.verdict.kind == VerdictKind::Identical { 0 } else { 1 })
}
