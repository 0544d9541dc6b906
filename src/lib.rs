//! negsim: a simulator of negotiation dynamics (truce/escalation cycles) as a Monte Carlo ensemble.
//!
//! Pipeline, one way: [`scenario`] (format, validation, overlays) → [`model`] (state and the
//! weekly step) → [`ensemble`] (replicates in parallel, streaming aggregation) → [`analysis`]
//! (statistics) → [`report`] (CSV, charts, tables) → [`cli`]. See ARCHITECTURE.md.

/// `println!` to stdout that never panics: a closed pipe (`negsim facts | head`) is a quiet
/// success, since results on disk are complete when the terminal summary is printed; any other
/// write error (a full disk behind `> file`) is kept by [`note_stdout`] and ends the command with
/// exit 1. Strings pass through `fmt::printable`.
macro_rules! outln {
    () => {
        outln!("")
    };
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if !$crate::json_mode() {
            let text = format!($($t)*);
            $crate::note_stdout(writeln!(std::io::stdout(), "{}", $crate::fmt::printable(&text)));
        }
    }};
}

/// `print!` to stdout, with `outln!`'s handling of write errors.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if !$crate::json_mode() {
            let text = format!($($t)*);
            $crate::note_stdout(write!(std::io::stdout(), "{}", $crate::fmt::printable(&text)));
        }
    }};
}

/// `--json`: stdout holds one JSON document (the headline table) and nothing else; the human
/// lines of `out!`/`outln!` are dropped (errors and progress go to stderr as always).
static JSON_MODE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Switches stdout to `--json` mode for the rest of the process.
pub fn set_json_mode() {
    JSON_MODE.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The first failure to write stdout other than a closed pipe (a full disk behind `> file`,
/// `/dev/full`), kept so that the command ends with exit 1 instead of losing its output quietly.
static STDOUT_ERROR: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Records the outcome of a write to stdout. A closed pipe (`negsim … | head -1`) is a quiet
/// success: the reader asked for no more, and the results on disk are complete. Any other error is
/// kept for [`stdout_error`].
pub fn note_stdout(r: std::io::Result<()>) {
    if let Err(e) = r
        && e.kind() != std::io::ErrorKind::BrokenPipe
        && let Ok(mut slot) = STDOUT_ERROR.lock()
        && slot.is_none()
    {
        *slot = Some(crate::scenario::io_reason(&e));
    }
}

/// Flushes stdout and returns the first write error that was not a closed pipe, if any.
pub fn stdout_error() -> Option<String> {
    use std::io::Write as _;
    note_stdout(std::io::stdout().flush());
    STDOUT_ERROR.lock().ok().and_then(|s| s.clone())
}

/// Whether stdout is in `--json` mode.
pub fn json_mode() -> bool {
    JSON_MODE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Prints the `--json` document (only in `--json` mode).
pub fn print_json(v: &serde_json::Value) {
    use std::io::Write as _;
    if json_mode() {
        note_stdout(writeln!(std::io::stdout(), "{v:#}"));
    }
}

pub mod analysis;
pub mod calibration;
pub mod cli;
pub mod data;
pub mod ensemble;
pub mod error;
pub mod explore;
pub mod fmt;
pub mod job;
pub mod model;
pub mod report;
pub mod scenario;
pub mod serve;
