//! CALIB.toml: which parameters to calibrate (with priors), against which targets, and how.
//! Read with the scenario reader, so errors name file, line, column and key.

use std::path::{Path, PathBuf};

use crate::analysis::cycle::CycleSummary;
use crate::scenario::date::Date;
use crate::scenario::diag::closest;
use crate::scenario::read::Bounds::{AtLeast, Closed};
use crate::scenario::read::{Bounds, Cx, NumSpec, Obj};
use crate::scenario::template::Template;
use crate::scenario::{LoadError, Text, tree};

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

/// A calibrated parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Dotted path in the scenario.
    pub path: String,
    /// Prior.
    pub prior: Prior,
}

/// A cycle statistic usable as a target, with its accessor.
pub struct Statistic {
    /// Name (as in runs.csv).
    pub name: &'static str,
    /// Value of a series' summary.
    pub get: fn(&CycleSummary) -> f64,
}

/// The cycle statistics that can be targets.
pub const STATISTICS: &[Statistic] = &[
    Statistic {
        name: "share_truce",
        get: |c| c.share_truce,
    },
    Statistic {
        name: "share_escalation",
        get: |c| c.share_escalation,
    },
    Statistic {
        name: "share_neither",
        get: |c| c.share_neither,
    },
    Statistic {
        name: "truces",
        get: |c| f64::from(c.truces),
    },
    Statistic {
        name: "broken_truces",
        get: |c| f64::from(c.broken_truces),
    },
    Statistic {
        name: "broken_truces_per_year",
        get: |c| c.broken_truces_per_year,
    },
    Statistic {
        name: "broken_truces_tariff_rule",
        get: |c| f64::from(c.broken_truces_tariff_rule),
    },
    Statistic {
        name: "longest_truce_weeks",
        get: |c| f64::from(c.longest_truce_weeks),
    },
    Statistic {
        name: "escalation_episodes",
        get: |c| f64::from(c.escalation_episodes),
    },
    Statistic {
        name: "longest_escalation_weeks",
        get: |c| f64::from(c.longest_escalation_weeks),
    },
    Statistic {
        name: "durable_deal",
        get: |c| f64::from(u8::from(c.weeks_to_durable_deal.is_some())),
    },
];

/// What a target compares.
#[derive(Clone, Debug, PartialEq)]
pub enum TargetKind {
    /// A cycle statistic (index into [`STATISTICS`]).
    Statistic(usize),
    /// A side's average tariff at a date.
    Tariff {
        /// Side index.
        side: usize,
        /// Date.
        date: Date,
    },
}

/// A target with its distance scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// What is compared.
    pub kind: TargetKind,
    /// Scale: the difference that counts as one unit of distance.
    pub scale: f64,
}

impl Target {
    /// Name for tables and CSV columns.
    pub fn name(&self) -> String {
        match &self.kind {
            TargetKind::Statistic(k) => STATISTICS[*k].name.to_string(),
            TargetKind::Tariff { side, date } => {
                format!("tariff_{}_{date}", crate::scenario::SIDE_KEYS[*side])
            }
        }
    }
}

/// A whole calibration configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Event file (None: the built-in record).
    pub events: Option<PathBuf>,
    /// Tariff file (None: the built-in series).
    pub tariffs: Option<PathBuf>,
    /// Particles per generation.
    pub particles: usize,
    /// Generations after the prior one.
    pub generations: usize,
    /// Replicates simulated per particle.
    pub replicates: u64,
    /// Fraction of the effective sample size kept each time the tolerance is lowered.
    pub keep: f64,
    /// Metropolis–Hastings moves per particle per generation.
    pub moves: usize,
    /// Stop when fewer than this share of moves is accepted.
    pub min_acceptance: f64,
    /// Seed.
    pub seed: u64,
    /// Calibrated parameters.
    pub parameters: Vec<Parameter>,
    /// Targets.
    pub targets: Vec<Target>,
}

const fn spec(
    key: &'static str,
    default: Option<f64>,
    bounds: Bounds,
    doc: &'static str,
) -> NumSpec {
    NumSpec {
        key,
        default,
        bounds,
        unit: "",
        doc,
    }
}

/// Reads CALIB.toml; parameter paths are checked against the scenario `template`.
pub fn load(path: &Path, template: &Template) -> Result<Config, LoadError> {
    let text = Text::read(path, "calibration config")?;
    let mut sources = tree::Sources::default();
    let mut cx = Cx::default();
    let id = sources.add(&text.path, &text.text);
    let root = tree::parse(&text.text, id, &mut cx.diags);
    if !cx.diags.is_empty() {
        return Err(LoadError::render(&sources, cx.diags));
    }
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut top = Obj::new(&mut cx, &root, "");
    let mut data = top.table(&mut cx, "data");
    let file = |s: Option<String>| {
        s.map(|p| {
            if Path::new(&p).is_absolute() {
                PathBuf::from(p)
            } else {
                base_dir.join(p)
            }
        })
    };
    let events = file(data.string(&mut cx, "events", false));
    let tariffs = file(data.string(&mut cx, "tariffs", false));
    data.finish(&mut cx);
    let mut abc = top.table(&mut cx, "abc");
    let particles = abc.int(
        &mut cx,
        "particles",
        Some(200),
        10,
        100_000,
        "Particles per generation",
    ) as usize;
    let generations = abc.int(
        &mut cx,
        "generations",
        Some(15),
        1,
        1000,
        "Generations after the prior",
    ) as usize;
    let replicates = abc.int(
        &mut cx,
        "replicates",
        Some(20),
        1,
        100_000,
        "Replicates per particle",
    ) as u64;
    let keep = abc.num(
        &mut cx,
        &spec(
            "keep",
            Some(0.7),
            Closed(0.05, 0.99),
            "Fraction of the effective sample size kept when the tolerance is lowered",
        ),
    );
    let moves = abc.int(
        &mut cx,
        "moves",
        Some(2),
        1,
        100,
        "Metropolis-Hastings moves per particle per generation",
    ) as usize;
    let min_acceptance = abc.num(
        &mut cx,
        &spec(
            "min_acceptance",
            Some(0.03),
            Closed(0.0, 1.0),
            "Stop when fewer moves than this share are accepted",
        ),
    );
    let seed = abc.int(&mut cx, "seed", Some(1), 0, i64::MAX, "Seed") as u64;
    abc.finish(&mut cx);
    let mut parameters = Vec::new();
    for mut p in top.tables(&mut cx, "parameters") {
        let ppath = p.string(&mut cx, "path", true).unwrap_or_default();
        let kind = p.choice(
            &mut cx,
            "prior",
            &["uniform", "log-uniform", "beta"],
            None,
            "Prior family",
        );
        let lo = p.num(
            &mut cx,
            &spec("low", None, Closed(-1e6, 1e6), "Lower bound"),
        );
        let hi = p.num(
            &mut cx,
            &spec("high", None, Closed(-1e6, 1e6), "Upper bound"),
        );
        let (alpha, beta) = if kind == 2 {
            (
                p.num(
                    &mut cx,
                    &spec("alpha", None, AtLeast(1e-3), "Beta shape alpha"),
                ),
                p.num(
                    &mut cx,
                    &spec("beta", None, AtLeast(1e-3), "Beta shape beta"),
                ),
            )
        } else {
            (1.0, 1.0)
        };
        let origin = p.origin();
        let item = p.path().to_string();
        p.finish(&mut cx);
        if lo >= hi {
            cx.error(
                origin,
                &item,
                format!("prior bounds reversed or empty: low = {lo} must be below high = {hi}"),
            );
            continue;
        }
        if kind == 1 && lo <= 0.0 {
            cx.error(
                origin,
                &item,
                format!("a log-uniform prior needs low > 0, found {lo}"),
            );
            continue;
        }
        if let Err(m) = template.check_path(&ppath) {
            cx.error(origin, &format!("{item}.path"), m);
            continue;
        }
        if let Err(e) = template
            .instantiate(&[(&ppath, lo), (&ppath, hi)])
            .and_then(|_| template.instantiate(&[(&ppath, lo)]))
        {
            cx.error(
                origin,
                &item,
                format!(
                    "the prior's range [{lo}, {hi}] leaves the parameter's allowed range: {}",
                    e.lines.join("; ")
                ),
            );
            continue;
        }
        if parameters.iter().any(|q: &Parameter| q.path == ppath) {
            cx.error(origin, &item, format!("'{ppath}' is listed twice"));
            continue;
        }
        let prior = match kind {
            0 => Prior::Uniform { lo, hi },
            1 => Prior::LogUniform { lo, hi },
            _ => Prior::Beta {
                alpha,
                beta,
                lo,
                hi,
            },
        };
        parameters.push(Parameter { path: ppath, prior });
    }
    if parameters.is_empty() {
        cx.error(top.origin(), "parameters", "name at least one parameter to calibrate ([[parameters]] path = ..., prior = ..., low = ..., high = ...)");
    }
    let mut targets = Vec::new();
    for mut t in top.tables(&mut cx, "targets") {
        let origin = t.origin();
        let item = t.path().to_string();
        let statistic = t.string(&mut cx, "statistic", false);
        let side = if t.has("tariff") {
            Some(t.choice(
                &mut cx,
                "tariff",
                &crate::scenario::SIDE_KEYS,
                None,
                "Side whose tariff is a target",
            ))
        } else {
            None
        };
        let date = t.date(&mut cx, "date", side.is_some());
        let scale = t.num(
            &mut cx,
            &spec(
                "scale",
                None,
                Closed(1e-9, 1e9),
                "Difference that counts as one unit of distance",
            ),
        );
        t.finish(&mut cx);
        let kind = match (statistic, side, date) {
            (Some(name), None, None) => match STATISTICS.iter().position(|s| s.name == name) {
                Some(k) => TargetKind::Statistic(k),
                None => {
                    let hint = closest(&name, STATISTICS.iter().map(|s| s.name))
                        .map(|c| format!(" (did you mean '{c}'?)"))
                        .unwrap_or_default();
                    cx.error(
                        origin,
                        &format!("{item}.statistic"),
                        format!(
                            "unknown statistic '{name}'{hint}; expected one of: {}",
                            STATISTICS
                                .iter()
                                .map(|s| s.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    continue;
                }
            },
            (None, Some(side), Some((date, _))) => TargetKind::Tariff { side, date },
            _ => {
                cx.error(
                    origin,
                    &item,
                    "a target is either statistic = \"...\" or tariff = \"us\"|\"cn\" with a date",
                );
                continue;
            }
        };
        targets.push(Target { kind, scale });
    }
    if targets.is_empty() {
        cx.error(
            top.origin(),
            "targets",
            "name at least one target ([[targets]] statistic = \"share_truce\", scale = 0.1)",
        );
    }
    top.finish(&mut cx);
    if !cx.diags.is_empty() {
        return Err(LoadError::render(&sources, cx.diags));
    }
    Ok(Config {
        events,
        tariffs,
        particles,
        generations,
        replicates,
        keep,
        moves,
        min_acceptance,
        seed,
        parameters,
        targets,
    })
}
