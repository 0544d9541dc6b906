//! negsim: a simulator of negotiation dynamics (truce/escalation cycles) as a Monte Carlo ensemble.
//!
//! Pipeline, one way: [`scenario`] (format, validation, overlays) → [`model`] (state and the
//! weekly step) → [`ensemble`] (replicates in parallel, streaming aggregation) → [`analysis`]
//! (statistics) → [`report`] (CSV, charts, tables) → [`cli`]. See ARCHITECTURE.md.

/// `println!` to stdout that ignores write errors: a closed pipe (`negsim facts | head`) must not
/// panic, and results on disk are already complete when the terminal summary is printed.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `print!` to stdout that ignores write errors (see `outln!`).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
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
