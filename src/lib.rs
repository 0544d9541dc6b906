//! negsim: a simulator of negotiation dynamics (truce/escalation cycles) as a Monte Carlo ensemble.
//!
//! Pipeline, one way: [`scenario`] (format, validation, overlays) → [`model`] (state and the
//! weekly step) → [`ensemble`] (replicates in parallel, streaming aggregation) → [`analysis`]
//! (statistics) → [`report`] (CSV, charts, tables) → [`cli`]. See ARCHITECTURE.md.

/// `println!` to stdout that ignores write errors: a closed pipe (`negsim facts | head`) must not
/// panic, and results on disk are already complete when the terminal summary is printed.
macro_rules! outln {
    () => {
        outln!("")
    };
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if !$crate::json_mode() {
            let text = format!($($t)*);
            let _ = writeln!(std::io::stdout(), "{}", $crate::fmt::printable(&text));
        }
    }};
}

/// `print!` to stdout that ignores write errors (see `outln!`).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if !$crate::json_mode() {
            let text = format!($($t)*);
            let _ = write!(std::io::stdout(), "{}", $crate::fmt::printable(&text));
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

/// Whether stdout is in `--json` mode.
pub fn json_mode() -> bool {
    JSON_MODE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Prints the `--json` document (only in `--json` mode).
pub fn print_json(v: &serde_json::Value) {
    use std::io::Write as _;
    if json_mode() {
        let _ = writeln!(std::io::stdout(), "{v:#}");
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
