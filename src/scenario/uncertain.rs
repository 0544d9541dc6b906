//! Uncertain values: a numeric value may carry its plausible range or prior beside its provenance,
//! `key = { value = 0.85, range = [0.6, 0.95], prior = "beta", shape = [4, 2], source = "P2",
//! note = "…", range_note = "why the range is what it is" }`. `range` alone means uniform on it;
//! `prior` is `"uniform"`, `"log-uniform"` (range above 0) or `"beta"` (with `shape = [a, b]`,
//! scaled to the range). A range without `range_note` is listed as "assumed" by `explain`.
//!
//! The reader (`read::Obj::num`) checks every range against the key's allowed bounds, so a value
//! drawn from it is always a valid scenario value. The written value may lie outside its range: a
//! sweep or `--set` moves values on purpose, and the range still says what is plausible.

use super::read::{Bounds, Cx};
use super::tree::{Node, Origin, Value};

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

    /// Prior probability of [a, b] (clipped to the support).
    pub fn mass(&self, a: f64, b: f64) -> f64 {
        let (lo, hi) = self.bounds();
        let (a, b) = (a.clamp(lo, hi), b.clamp(lo, hi));
        match *self {
            Prior::Uniform { .. } => (b - a) / (hi - lo),
            Prior::LogUniform { .. } => (b.ln() - a.ln()) / (hi.ln() - lo.ln()),
            Prior::Beta { alpha, beta, .. } => {
                let cdf =
                    |x: f64| crate::analysis::stats::inc_beta(alpha, beta, (x - lo) / (hi - lo));
                cdf(b) - cdf(a)
            }
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

/// The uncertainty keys of a value table, as written (not yet checked).
#[derive(Clone, Copy, Debug, Default)]
pub struct Written<'a> {
    /// `range = [lo, hi]`.
    pub range: Option<&'a Node>,
    /// `prior = "uniform" | "log-uniform" | "beta"`.
    pub prior: Option<&'a Node>,
    /// `shape = [alpha, beta]` of a beta prior.
    pub shape: Option<&'a Node>,
    /// `range_note = "..."`.
    pub note: Option<&'a Node>,
}

impl<'a> Written<'a> {
    /// True when any uncertainty key was written.
    pub fn any(&self) -> bool {
        self.range.is_some() || self.prior.is_some() || self.shape.is_some() || self.note.is_some()
    }

    /// The first uncertainty key written, for errors on keys that cannot be uncertain.
    pub fn first(&self) -> Option<(&'static str, &'a Node)> {
        [
            ("range", self.range),
            ("prior", self.prior),
            ("shape", self.shape),
            ("range_note", self.note),
        ]
        .into_iter()
        .find_map(|(k, n)| n.map(|n| (k, n)))
    }

    /// Checks the keys against the key's `bounds`; problems go to `cx` under
    /// `path` (the value's dotted path). `None` when nothing was written or it was invalid.
    // long: one error per way a range, prior or shape can be wrong, in the order a reader meets them.
    pub fn check(&self, cx: &mut Cx, path: &str, bounds: Bounds) -> Option<Uncertain> {
        if !self.any() {
            return None;
        }
        let key = |k: &str| format!("{path}.{k}");
        let Some(range) = self.range else {
            let (k, n) = self.first()?;
            cx.error(
                Some(n.origin),
                &key(k),
                "a prior, shape or range_note needs a range: write range = [low, high] beside value",
            );
            return None;
        };
        let pair = |cx: &mut Cx, n: &Node, k: &str, what: &str| -> Option<(f64, f64)> {
            let nums: Option<Vec<f64>> = match &n.value {
                Value::Array(items) if items.len() == 2 => items
                    .iter()
                    .map(|i| match i.value {
                        Value::Float(f) if f.is_finite() => Some(f),
                        Value::Int(v) => Some(v as f64),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            };
            match nums.as_deref() {
                Some(&[a, b]) => Some((a, b)),
                _ => {
                    cx.error(
                        Some(n.origin),
                        &key(k),
                        format!("expected {what}, found {}", n.value.display()),
                    );
                    None
                }
            }
        };
        let (lo, hi) = pair(cx, range, "range", "two finite numbers [low, high]")?;
        let mut ok = true;
        let mut fail = |cx: &mut Cx, msg: String| {
            cx.error(Some(range.origin), &key("range"), msg);
            ok = false;
        };
        if lo >= hi {
            fail(
                cx,
                format!("the range [{lo}, {hi}] is empty: expected low < high"),
            );
        } else if !bounds.contains(lo) || !bounds.contains(hi) {
            fail(
                cx,
                format!(
                    "the range [{lo}, {hi}] leaves the key's allowed values: expected both ends to be {}",
                    bounds.describe()
                ),
            );
        }
        let kind = match self.prior.map(|n| (n, &n.value)) {
            None => "uniform",
            Some((_, Value::Str(s)))
                if ["uniform", "log-uniform", "beta"].contains(&s.as_str()) =>
            {
                s.as_str()
            }
            Some((n, v)) => {
                cx.error(
                    Some(n.origin),
                    &key("prior"),
                    format!(
                        "expected \"uniform\", \"log-uniform\" or \"beta\", found {}",
                        v.display()
                    ),
                );
                return None;
            }
        };
        let prior = match kind {
            "log-uniform" if lo <= 0.0 => {
                fail(
                    cx,
                    format!("a log-uniform prior needs a range above 0, found [{lo}, {hi}]"),
                );
                None
            }
            "log-uniform" => Some(Prior::LogUniform { lo, hi }),
            "beta" => match self.shape {
                None => {
                    fail(
                        cx,
                        "a beta prior needs its shape: write shape = [alpha, beta]".into(),
                    );
                    None
                }
                Some(n) => match pair(cx, n, "shape", "two positive numbers [alpha, beta]") {
                    Some((alpha, beta))
                        if alpha > 0.0 && beta > 0.0 && alpha <= 1e3 && beta <= 1e3 =>
                    {
                        Some(Prior::Beta {
                            alpha,
                            beta,
                            lo,
                            hi,
                        })
                    }
                    Some((alpha, beta)) => {
                        cx.error(
                            Some(n.origin),
                            &key("shape"),
                            format!("expected two numbers in (0, 1000], found [{alpha}, {beta}]"),
                        );
                        None
                    }
                    None => None,
                },
            },
            _ => Some(Prior::Uniform { lo, hi }),
        };
        if kind != "beta"
            && let Some(n) = self.shape
        {
            cx.error(
                Some(n.origin),
                &key("shape"),
                "shape is for a beta prior only: add prior = \"beta\" or remove shape",
            );
            return None;
        }
        let note = match self.note.map(|n| (n, &n.value)) {
            None => String::new(),
            Some((_, Value::Str(s))) => s.clone(),
            Some((n, v)) => {
                cx.error(
                    Some(n.origin),
                    &key("range_note"),
                    format!("expected a string, found {}", v.type_name()),
                );
                return None;
            }
        };
        let prior = prior?;
        ok.then_some(Uncertain {
            prior,
            note,
            origin: range.origin,
        })
    }
}
