//! The app's state as plain data plus a reducer: which files sit on each side, the analysis
//! phase shown in `<html data-state>`, and whether the worker has said it is ready.
//!
//! Nothing here touches the DOM; components dispatch [`Action`]s and render [`State`].

use std::rc::Rc;

use yew::Reducible;

use crate::report::{share, Report, SideSummary};
use crate::worker::Failure;
use crate::sniff::FileRole;

/// Which input a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// "Local build": the image the user built themselves.
    A,
    /// "Deployed": the image whose measurements they are checking against.
    B,
}

impl Side {
    /// Lower-case letter used in ids and `data-testid`s ("a" / "b").
    pub fn letter(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
        }
    }

    /// Human label of the zone.
    pub fn label(self) -> &'static str {
        match self {
            Side::A => "Local build",
            Side::B => "Deployed",
        }
    }
}

/// A file the user dropped or picked. The handle stays a browser `File`: its bytes are read
/// later, by the worker, in slices.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectedFile {
    pub name: String,
    pub size: u64,
    pub handle: web_sys::File,
    /// What its first bytes say it is (see [`crate::sniff::classify`]).
    pub role: FileRole,
}

impl SelectedFile {
    /// Wraps a browser `File` whose role is already known.
    pub fn new(handle: web_sys::File, role: FileRole) -> SelectedFile {
        // `File.size` is a double holding an integer byte count below 2^53; the float-to-int
        // cast saturates, so even a nonsensical value cannot wrap.
        let size = handle.size() as u64;
        SelectedFile { name: handle.name(), size, handle, role }
    }
}

/// What one side holds: the image to compare and, optionally, a PCR file to check it against.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SideFiles {
    pub image: Option<SelectedFile>,
    pub pcr: Option<SelectedFile>,
}

impl SideFiles {
    pub fn is_empty(&self) -> bool {
        self.image.is_none() && self.pcr.is_none()
    }
    /// The files in display order.
    pub fn list(&self) -> Vec<SelectedFile> {
        self.image.iter().chain(self.pcr.iter()).cloned().collect()
    }
    /// Adds dropped files: the first image replaces the image, the first PCR file the PCR file.
    fn add(&mut self, files: &[SelectedFile]) {
        if let Some(image) = files.iter().find(|f| f.role == FileRole::Image) {
            self.image = Some(image.clone());
        }
        if let Some(pcr) = files.iter().find(|f| f.role == FileRole::PcrFile) {
            self.pcr = Some(pcr.clone());
        }
    }
}

/// Where the page is in its work; mirrored into `document.documentElement.dataset.state`.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Nothing to compare yet (or the last run was cancelled).
    Idle,
    /// The worker is reading or analysing; the text says which phase.
    Working(String),
    /// The report is shown.
    Done,
    /// Something failed; the message is shown in the status area.
    Error(String),
}

impl Phase {
    /// The value written to `data-state`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Working(_) => "working",
            Phase::Done => "done",
            Phase::Error(_) => "error",
        }
    }
}

/// Whether the background worker answered its ready handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerStatus {
    Starting,
    Ready,
    Failed,
}

impl WorkerStatus {
    /// The value written to `data-worker`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerStatus::Starting => "starting",
            WorkerStatus::Ready => "ready",
            WorkerStatus::Failed => "error",
        }
    }
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub a: SideFiles,
    pub b: SideFiles,
    pub phase: Phase,
    pub worker: WorkerStatus,
    /// Id of the current comparison; replies for other ids are stale and ignored.
    pub job: u32,
    /// Bytes read of each side's image in the current job: (done, total), A then B.
    pub read: [Option<(u64, u64)>; 2],
    /// Bumped to terminate and restart the worker (cancel, or new inputs while busy).
    pub worker_generation: u32,
    /// The last finished report (for the current job).
    pub report: Option<Rc<Report>>,
    /// A one-off note for the status line ("Cancelled.").
    pub note: Option<String>,
    /// True while `report` came from a share link (read-only: no images behind it).
    pub shared: bool,
    /// Why the current job's images could not be read (one per failed side), shown with
    /// [`Phase::Error`].
    pub failures: Vec<Failure>,
    /// The side that could be read when the other could not, on its own (no verdict).
    pub readable: Option<Rc<SideSummary>>,
}

impl Default for State {
    fn default() -> State {
        State {
            a: SideFiles::default(),
            b: SideFiles::default(),
            phase: Phase::Idle,
            worker: WorkerStatus::Starting,
            job: 0,
            read: [None, None],
            worker_generation: 0,
            report: None,
            note: None,
            shared: false,
            failures: Vec::new(),
            readable: None,
        }
    }
}

impl State {
    /// The files on one side.
    pub fn side(&self, side: Side) -> &SideFiles {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    /// Both images, when both sides have one.
    pub fn ready_to_compare(&self) -> bool {
        self.a.image.is_some() && self.b.image.is_some()
    }

    /// The state for a page opened at `fragment` (`location.hash`): a shared report when it
    /// holds a share link, its error when the link is damaged, the empty page otherwise.
    pub fn from_fragment(fragment: &str) -> State {
        let state = State::default();
        match share::payload_of_fragment(fragment) {
            Some(payload) => state.open_share_link(payload),
            None => state,
        }
    }

    /// Shows the report of a share link payload, or says what is wrong with the link.
    fn open_share_link(mut self, payload: &str) -> State {
        if matches!(self.phase, Phase::Working(_)) {
            self.restart_worker();
            self.job = self.job.wrapping_add(1);
        }
        self.note = None;
        self.clear_failures();
        match share::decode(payload) {
            Ok(report) => {
                self.report = Some(Rc::new(report));
                self.shared = true;
                self.phase = Phase::Done;
            }
            Err(err) => {
                self.report = None;
                self.shared = false;
                self.phase = Phase::Error(err.to_string());
            }
        }
        self
    }

    /// Starts a new comparison if both images are there (restarting a busy worker).
    fn restart_job(&mut self) {
        self.report = None;
        self.note = None;
        self.clear_failures();
        self.shared = false;
        if !self.ready_to_compare() {
            self.phase = Phase::Idle;
            return;
        }
        if matches!(self.phase, Phase::Working(_)) {
            self.restart_worker();
        }
        self.job = self.job.wrapping_add(1);
        self.read = [None, None];
        self.phase = Phase::Working("Waiting for the worker…".into());
    }

    fn clear_failures(&mut self) {
        self.failures.clear();
        self.readable = None;
    }

    fn restart_worker(&mut self) {
        self.worker_generation = self.worker_generation.wrapping_add(1);
        self.worker = WorkerStatus::Starting;
    }
}

/// What can happen to the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Files were dropped on or picked for a side. Two or more images at once fill A and B in
    /// order (as do PCR files with them); otherwise they go to `side`.
    Pick(Side, Vec<SelectedFile>),
    /// Files were dropped on the page outside the zones: two images fill A and B, one image
    /// goes to the first empty side (A when both are full).
    DropOnPage(Vec<SelectedFile>),
    /// Exchange the two sides.
    Swap,
    /// The worker posted its ready message.
    WorkerReady,
    /// The worker could not be started or crashed.
    WorkerFailed(String),
    /// The worker entered a phase of job `.0`.
    Progress(u32, String),
    /// Job `.0` has read `.2` of `.3` bytes of side `.1`'s image.
    Bytes(u32, crate::report::Side, u64, u64),
    /// Job `.0` has its summary (no content diffs yet): shown while contents are compared.
    Summary(u32, Rc<Report>),
    /// Job `.0` finished with a report.
    Finished(u32, Rc<Report>),
    /// Job `.0` failed (the message names file, offset and problem).
    Failed(u32, String),
    /// Job `.0` could not read one or both images: why (per side), and the other side on its
    /// own when it could be read.
    Unreadable(u32, Vec<Failure>, Option<Rc<SideSummary>>),
    /// Stop the running comparison: the worker is terminated and restarted.
    Cancel,
    /// Compare the current files again.
    Rerun,
    /// The page's fragment changed to a share link: show its report (the payload after `#r=`).
    OpenShareLink(String),
    /// Leave a shared report (or a broken link's error) for an empty page.
    LeaveShared,
}

/// Splits files into (images, PCR files), keeping order.
fn split(files: &[SelectedFile]) -> (Vec<SelectedFile>, Vec<SelectedFile>) {
    files.iter().cloned().partition(|f| f.role == FileRole::Image)
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<State>, action: Action) -> Rc<State> {
        let mut next = (*self).clone();
        match action {
            // A cancelled file dialog reports an empty selection: keep what was there.
            Action::Pick(_, files) | Action::DropOnPage(files) if files.is_empty() => return self,
            Action::Pick(side, files) => {
                let (images, pcrs) = split(&files);
                if images.len() >= 2 {
                    next.a = SideFiles { image: Some(images[0].clone()), pcr: pcrs.first().cloned() };
                    next.b = SideFiles { image: Some(images[1].clone()), pcr: pcrs.get(1).cloned() };
                } else {
                    match side {
                        Side::A => next.a.add(&files),
                        Side::B => next.b.add(&files),
                    }
                }
                next.restart_job();
            }
            Action::DropOnPage(files) => {
                let (images, _) = split(&files);
                let side = if images.len() >= 2 || next.a.image.is_none() || next.b.image.is_some() { Side::A } else { Side::B };
                return Rc::new(next).reduce(Action::Pick(side, files));
            }
            Action::Swap => {
                std::mem::swap(&mut next.a, &mut next.b);
                next.restart_job();
            }
            Action::WorkerReady => next.worker = WorkerStatus::Ready,
            Action::WorkerFailed(message) => {
                next.worker = WorkerStatus::Failed;
                next.phase = Phase::Error(message);
                next.clear_failures();
            }
            Action::Progress(job, text) if job == next.job && matches!(next.phase, Phase::Working(_)) => {
                next.phase = Phase::Working(text);
            }
            Action::Bytes(job, side, done, total) if job == next.job && matches!(next.phase, Phase::Working(_)) => {
                let slot = match side {
                    crate::report::Side::A => 0,
                    crate::report::Side::B => 1,
                };
                next.read[slot] = Some((done.min(total), total));
            }
            Action::Summary(job, report) if job == next.job && matches!(next.phase, Phase::Working(_)) => {
                next.report = Some(report);
            }
            Action::Finished(job, report) if job == next.job && matches!(next.phase, Phase::Working(_)) => {
                next.report = Some(report);
                next.phase = Phase::Done;
            }
            Action::Failed(job, message) if job == next.job && matches!(next.phase, Phase::Working(_)) => {
                next.phase = Phase::Error(message);
            }
            Action::Unreadable(job, failures, readable) if job == next.job && matches!(next.phase, Phase::Working(_)) => {
                next.phase = Phase::Error(failures.iter().map(failure_text).collect::<Vec<_>>().join(" "));
                next.failures = failures;
                next.readable = readable;
            }
            // A stale reply from an earlier job.
            Action::Progress(..) | Action::Bytes(..) | Action::Summary(..) | Action::Finished(..) | Action::Failed(..) | Action::Unreadable(..) => {
                return self
            }
            Action::Rerun => next.restart_job(),
            Action::OpenShareLink(payload) => return Rc::new(next.open_share_link(&payload)),
            Action::LeaveShared => {
                next.shared = false;
                next.report = None;
                next.note = None;
                next.clear_failures();
                if !matches!(next.phase, Phase::Working(_)) {
                    next.phase = Phase::Idle;
                }
            }
            Action::Cancel => {
                if !matches!(next.phase, Phase::Working(_)) {
                    return self;
                }
                next.restart_worker();
                // Replies of the cancelled job are now stale.
                next.job = next.job.wrapping_add(1);
                next.phase = Phase::Idle;
                next.note = Some("Cancelled. Press Compare to start again.".into());
            }
        }
        Rc::new(next)
    }
}

/// A failed side for people: "Local build (A): x.eif, at byte offset 26 (0x1a): num_sections
/// at 0x1a: 65535 exceeds the maximum of 32".
pub fn failure_text(failure: &Failure) -> String {
    let Failure { side, file, offset, message } = failure;
    let who = match side {
        Some(crate::report::Side::A) => format!("{} (A): ", Side::A.label()),
        Some(crate::report::Side::B) => format!("{} (B): ", Side::B.label()),
        None => String::new(),
    };
    match (file.is_empty(), offset) {
        (true, _) => format!("{who}{message}"),
        (false, Some(offset)) => format!("{who}{file}, at byte offset {offset} ({offset:#x}): {message}"),
        (false, None) => format!("{who}{file}: {message}"),
    }
}

/// A byte count for people: "812 bytes", "35.3 KiB", "1.50 GiB" (binary units, three
/// significant digits).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return if bytes == 1 {
            "1 byte".to_string()
        } else {
            format!("{bytes} bytes")
        };
    }
    // Precision loss above 2^53 is irrelevant for a three-digit display.
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    // 1023.6 KiB would print as "1024 KiB": show it as "1.00 MiB" instead.
    if value >= 1023.5 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let digits = if value < 10.0 {
        2
    } else if value < 100.0 {
        1
    } else {
        0
    };
    format!("{value:.digits$} {}", UNITS[unit])
}
