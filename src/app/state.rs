//! The app's state as plain data plus a reducer: which files sit on each side, the analysis
//! phase shown in `<html data-state>`, and whether the worker has said it is ready.
//!
//! Nothing here touches the DOM; components dispatch [`Action`]s and render [`State`].

use std::rc::Rc;

use yew::Reducible;

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
}

impl SelectedFile {
    /// Wraps a browser `File`, reading its name and size.
    pub fn from_file(handle: web_sys::File) -> SelectedFile {
        // `File.size` is a double holding an integer byte count below 2^53; the float-to-int
        // cast saturates, so even a nonsensical value cannot wrap.
        let size = handle.size() as u64;
        SelectedFile {
            name: handle.name(),
            size,
            handle,
        }
    }
}

/// Where the page is in its work; mirrored into `document.documentElement.dataset.state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Nothing selected yet, or waiting for the user.
    Idle,
    /// Reading or analysing files.
    Working,
    /// The current selection has been fully handled.
    Done,
    /// Something failed; the message is shown in the status area.
    Error(String),
}

impl Phase {
    /// The value written to `data-state`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Working => "working",
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
    pub a: Vec<SelectedFile>,
    pub b: Vec<SelectedFile>,
    pub phase: Phase,
    pub worker: WorkerStatus,
}

impl Default for State {
    fn default() -> State {
        State {
            a: Vec::new(),
            b: Vec::new(),
            phase: Phase::Idle,
            worker: WorkerStatus::Starting,
        }
    }
}

impl State {
    /// The files on one side.
    pub fn files(&self, side: Side) -> &[SelectedFile] {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }
}

/// What can happen to the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Files were dropped on or picked for a side; they replace that side's files.
    Pick(Side, Vec<SelectedFile>),
    /// Exchange the two sides.
    Swap,
    /// The worker posted its ready message.
    WorkerReady,
    /// The worker could not be started or crashed.
    WorkerFailed(String),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<State>, action: Action) -> Rc<State> {
        let mut next = (*self).clone();
        match action {
            // A cancelled file dialog reports an empty selection: keep what was there.
            Action::Pick(_, files) if files.is_empty() => return self,
            Action::Pick(side, files) => {
                match side {
                    Side::A => next.a = files,
                    Side::B => next.b = files,
                }
                // No analysis exists yet: showing the names is all the work there is.
                next.phase = Phase::Done;
            }
            Action::Swap => std::mem::swap(&mut next.a, &mut next.b),
            Action::WorkerReady => next.worker = WorkerStatus::Ready,
            Action::WorkerFailed(message) => {
                next.worker = WorkerStatus::Failed;
                next.phase = Phase::Error(message);
            }
        }
        Rc::new(next)
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
