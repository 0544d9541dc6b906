//! Uncertain values: a numeric value may carry its plausible range or prior beside its provenance,
//! `key = { value = 0.85, range = [0.6, 0.95], prior = "beta", shape = [4, 2], source = "P2",
//! note = "…", range_note = "why the range is what it is" }`. `range` alone means uniform on it;
//! `prior` is `"uniform"`, `"log-uniform"` (range above 0) or `"beta"` (with `shape = [a, b]`,
//! scaled to the range). A range without `range_note` is listed as "assumed" by `explain`.
//!
//! This file holds the types; the reader (`read::Obj::num`, with `read::Written`) checks every range against the key's allowed bounds, so a value
//! drawn from it is always a valid scenario value. The written value may lie outside its range: a
//! sweep or `--set` moves values on purpose, and the range still says what is plausible.

use super::tree::Origin;

/// A prior distribution of one parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prior {
    /// Uniform on [lo, hi].
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Uniform in log on [lo, hi] (both > 0).
    LogUniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Beta(alpha, beta) scaled to [lo, hi].
    Beta {
        /// Shape alpha.
        alpha: f64,
        /// Shape beta.
        beta: f64,
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
}

impl Prior {
    /// Support in natural units.
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            Prior::Uniform { lo, hi }
            | Prior::LogUniform { lo, hi }
            | Prior::Beta { lo, hi, .. } => (lo, hi),
        }
    }

    /// Short description.
    pub fn describe(&self) -> String {
        match *self {
            Prior::Uniform { lo, hi } => format!("uniform({lo}, {hi})"),
            Prior::LogUniform { lo, hi } => format!("log-uniform({lo}, {hi})"),
            Prior::Beta {
                alpha,
                beta,
                lo,
                hi,
            } => format!("beta({alpha}, {beta}) on [{lo}, {hi}]"),
        }
    }
}

/// A value's declared uncertainty.
#[derive(Clone, Debug, PartialEq)]
pub struct Uncertain {
    /// Its prior over plausible values.
    pub prior: Prior,
    /// Why the range is what it is; empty when the file gives no reason ("assumed").
    pub note: String,
    /// Where the range was written.
    pub origin: Origin,
}

impl Uncertain {
    /// True when the file states no reason for the range.
    pub fn assumed(&self) -> bool {
        self.note.trim().is_empty()
    }
}
