//! The space explored: numeric scenario parameters with ranges (`KEY=LO..HI[:STEPS]`), and the
//! evaluation of the scenario at one point of it — `runs` replicates on the same streams at every
//! point (common random numbers), summarised exactly as `negsim run` summarises an ensemble
//! (every metric's mean with a 95% interval, Kaplan–Meier durations).

use crate::analysis::km;
use crate::analysis::stats::wilson;
use std::borrow::Cow;

use crate::ensemble::record::{METRICS, RunStats};
use crate::ensemble::summary::{LEVEL, summarize_arm};
use crate::ensemble::{Arm, Plan, aggregate_serial};
use crate::model::Params;
use crate::scenario::names::Names;
use crate::scenario::template::Template;

/// One explored parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Dim {
    /// Dotted path.
    pub path: String,
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// Grid levels (grid designs).
    pub steps: usize,
    /// Claim id of the parameter's provenance in the scenario, if it cites one.
    pub claim: Option<String>,
}

impl Dim {
    /// Natural value of a unit-scale coordinate.
    pub fn at(&self, u: f64) -> f64 {
        self.lo + u * (self.hi - self.lo)
    }
}

/// Most keys an error message lists.
const LISTED_KEYS: usize = 24;

/// The valid keys near a wrong one, for error messages: those under the longest dotted prefix the
/// wrong key shares with any valid key (all keys if it shares none), at most [`LISTED_KEYS`].
fn valid_keys(t: &Template, wrong: &str) -> String {
    let keys: Vec<&str> = t.numeric_params().map(|p| p.path.as_str()).collect();
    let segs: Vec<&str> = wrong.split('.').collect();
    let mut near: Vec<&str> = keys.clone();
    let mut prefix = String::new();
    for n in (1..segs.len()).rev() {
        let p = format!("{}.", segs[..n].join("."));
        let under: Vec<&str> = keys.iter().copied().filter(|k| k.starts_with(&p)).collect();
        if !under.is_empty() {
            near = under;
            prefix = p;
            break;
        }
    }
    if prefix.is_empty() {
        // Nothing in common: list the groups of keys instead.
        let mut groups: Vec<(String, usize)> = Vec::new();
        for k in &keys {
            let segs: Vec<&str> = k.split('.').collect();
            let g = if segs.len() <= 2 {
                k.to_string()
            } else {
                format!("{}.{}.*", segs[0], segs[1])
            };
            match groups.iter_mut().find(|x| x.0 == g) {
                Some(x) => x.1 += 1,
                None => groups.push((g, 1)),
            }
        }
        let lines: Vec<String> = groups
            .iter()
            .map(|(g, n)| {
                if g.ends_with('*') {
                    format!("{g} ({n} keys)")
                } else {
                    g.clone()
                }
            })
            .collect();
        return format!("valid keys by group:\n  {}", lines.join("\n  "));
    }
    let shown: Vec<&str> = near.iter().copied().take(LISTED_KEYS).collect();
    let more = near.len() - shown.len();
    let tail = if more > 0 {
        format!("\n  ... and {more} more")
    } else {
        String::new()
    };
    format!(
        "valid keys under '{prefix}' ({} of {}):\n  {}{tail}",
        near.len(),
        keys.len(),
        shown.join("\n  ")
    )
}

impl Dim {
    /// The parameter `key` of `t` over `lo..hi`, with the claim its provenance cites, if any.
    fn new(t: &Template, key: &str, lo: f64, hi: f64, steps: usize) -> Dim {
        let claim = t
            .numeric_params()
            .find(|p| p.path == key)
            .and_then(|p| p.provenance.as_ref())
            .filter(|p| p.is_claim())
            .map(|p| p.source.clone());
        Dim {
            path: key.to_string(),
            lo,
            hi,
            steps,
            claim,
        }
    }
}

/// Parses `KEY=LO..HI[:STEPS]` (given with `--flag`) and checks it against the scenario.
pub fn parse_vary(
    spec: &str,
    t: &Template,
    default_steps: usize,
    flag: &str,
) -> Result<Dim, String> {
    let form = || {
        format!(
            "--{flag} '{spec}': expected KEY=LO..HI or KEY=LO..HI:STEPS, e.g. behaviour.negotiation.logit_base=-3..0:7"
        )
    };
    let (key, range) = spec.split_once('=').ok_or_else(form)?;
    let key = key.trim();
    let (range, steps) = match range.split_once(':') {
        Some((r, s)) => (r, s.trim().parse::<usize>().map_err(|_| form())?),
        None => (range, default_steps),
    };
    let (lo, hi) = range.split_once("..").ok_or_else(form)?;
    let (lo, hi): (f64, f64) = (
        lo.trim().parse().map_err(|_| form())?,
        hi.trim().parse().map_err(|_| form())?,
    );
    if let Err(m) = t.check_path(key) {
        return Err(format!("--{flag}: {m}\n{}", valid_keys(t, key)));
    }
    if !(lo.is_finite() && hi.is_finite()) || lo >= hi {
        return Err(format!(
            "--{flag} '{spec}': the range {lo}..{hi} is empty or reversed; give LO < HI"
        ));
    }
    if !(1..=1000).contains(&steps) {
        return Err(format!("--{flag} '{spec}': {steps} steps; give 1 to 1000"));
    }
    for v in [lo, hi] {
        if let Err(e) = t.instantiate(&[(key, v)]) {
            return Err(format!(
                "--{flag} '{spec}': {v} is not an allowed value of {key}: {}",
                e.lines
                    .iter()
                    // The value came from the command line: drop the file location.
                    .map(|l| l
                        .split_once(&format!("{key}: "))
                        .map_or(l.as_str(), |x| x.1))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
    }
    Ok(Dim::new(t, key, lo, hi, steps))
}

/// Bisection steps when narrowing a default range to the allowed values.
const NARROW_STEPS: usize = 60;

/// The allowed value closest to `target` on the segment from `base` (allowed) to `target`,
/// rounded to 6 decimals when that is still allowed. Scenario checks are interval constraints,
/// so the allowed part of the segment is one piece starting at `base`.
fn narrow(t: &Template, key: &str, base: f64, target: f64) -> f64 {
    let ok = |v: f64| t.instantiate(&[(key, v)]).is_ok();
    if ok(target) {
        return target;
    }
    let (mut good, mut bad) = (base, target);
    for _ in 0..NARROW_STEPS {
        let mid = 0.5 * (good + bad);
        if ok(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    let rounded = (bad * 1e6).round() / 1e6;
    if ok(rounded) { rounded } else { good }
}

/// `KEY`, `KEY=LO..HI` or `KEY=LO..HI:STEPS`: a parameter with an explicit range, or its base
/// value ± `share` of its magnitude narrowed to the values the scenario allows; `steps` grid
/// levels unless given.
pub fn param_dim(
    spec: &str,
    t: &Template,
    share: f64,
    steps: usize,
    flag: &str,
) -> Result<Dim, String> {
    if spec.contains('=') {
        return parse_vary(spec, t, steps, flag);
    }
    let key = spec.trim();
    if let Err(m) = t.check_path(key) {
        return Err(format!("--{flag}: {m}\n{}", valid_keys(t, key)));
    }
    let rec = t
        .numeric_params()
        .find(|p| p.path == key)
        .ok_or_else(|| format!("--{flag}: '{key}' has no numeric value"))?;
    let base = rec.number.unwrap_or(0.0);
    if base == 0.0 {
        return Err(format!(
            "--{flag} {key}: its value is 0, so ±{:.0}% is no range; give one, e.g. {key}=0..1",
            share * 100.0
        ));
    }
    let half = share * base.abs();
    let (lo, hi) = (
        narrow(t, key, base, base - half),
        narrow(t, key, base, base + half),
    );
    if lo >= hi {
        return Err(format!(
            "--{flag} {key}: no allowed values around {base}; give a range KEY=LO..HI"
        ));
    }
    Ok(Dim::new(t, key, lo, hi, steps))
}

/// The numeric parameters that cite a claim (P1..P14) and have a non-zero value: the default
/// space of `sensitivity` and `discover`.
pub fn claim_keys(t: &Template) -> Vec<String> {
    t.numeric_params()
        .filter(|p| {
            p.provenance.as_ref().is_some_and(|pr| pr.is_claim())
                && p.number.is_some_and(|v| v != 0.0)
        })
        .map(|p| p.path.clone())
        .collect()
}

/// A per-replicate condition: `METRIC<=VALUE` (or `<`, `>=`, `>`).
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Metric index.
    pub metric: usize,
    /// Comparison.
    pub op: &'static str,
    /// Threshold.
    pub value: f64,
    /// The text given.
    pub text: String,
}

impl Outcome {
    /// Parses `weeks_to_durable_deal<=104` and the like.
    /// Metric names are in the scenario's words (`peak_tariff_eu`).
    pub fn parse(s: &str, words: &Names) -> Result<Outcome, String> {
        for op in ["<=", ">=", "<", ">"] {
            if let Some((m, v)) = s.split_once(op) {
                let names: Vec<String> = METRICS
                    .iter()
                    .map(|x| words.column(x.name).into_owned())
                    .collect();
                let metric = names.iter().position(|n| n == m.trim()).ok_or_else(|| {
                    let hint =
                        crate::scenario::diag::closest(m.trim(), names.iter().map(String::as_str))
                            .map(|c| format!(" (did you mean '{c}'?)"))
                            .unwrap_or_default();
                    format!(
                        "--outcome '{s}': unknown metric '{}'{hint}; metrics: {}",
                        m.trim(),
                        names.join(", ")
                    )
                })?;
                let value: f64 = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("--outcome '{s}': '{}' is not a number", v.trim()))?;
                return Ok(Outcome {
                    metric,
                    op,
                    value,
                    text: s.to_string(),
                });
            }
        }
        Err(format!(
            "--outcome '{s}': expected METRIC<=VALUE, METRIC>=VALUE, METRIC<VALUE or METRIC>VALUE"
        ))
    }

    /// Whether a replicate meets the condition (a metric that does not apply never does).
    pub fn holds(&self, r: &RunStats) -> bool {
        let Some(x) = (METRICS[self.metric].get)(r) else {
            return false;
        };
        match self.op {
            "<=" => x <= self.value,
            ">=" => x >= self.value,
            "<" => x < self.value,
            _ => x > self.value,
        }
    }
}

/// An estimate with its 95% interval; `None` where not estimable (e.g. a median never reached).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Est {
    /// Point estimate.
    pub value: Option<f64>,
    /// Lower limit.
    pub lo: Option<f64>,
    /// Upper limit.
    pub hi: Option<f64>,
}

/// Kaplan–Meier outputs a point offers besides the metrics' means.
pub const KM_OUTPUTS: [(&str, &str); 3] = [
    (
        crate::ensemble::summary::TRUCE_MEDIAN,
        "median truce length in weeks (Kaplan-Meier, strict rule)",
    ),
    (
        crate::ensemble::summary::TRUCE_RMST,
        "restricted mean truce length, weeks (Kaplan-Meier, up to the durable length)",
    ),
    (
        crate::ensemble::summary::DURABLE_MEDIAN,
        "median weeks to the first durable deal (Kaplan-Meier; empty if not reached)",
    ),
];

/// Canonical names of the scalar outputs of a point, in column order: every metric's mean (as in
/// summary.csv), then [`KM_OUTPUTS`]. Side metrics are spelt for side 0 and side 1
/// (`peak_tariff_us`, `peak_tariff_cn`); outputs use [`output_names`].
fn canonical_outputs() -> Vec<&'static str> {
    METRICS
        .iter()
        .map(|m| m.name)
        .chain(KM_OUTPUTS.iter().map(|k| k.0))
        .collect()
}

/// Names of the scalar outputs of a point, in column order, in the scenario's words
/// (`peak_tariff_eu`).
pub fn output_names(names: &Names) -> Vec<String> {
    canonical_outputs()
        .into_iter()
        .map(|n| names.column(n).into_owned())
        .collect()
}

/// One line on what output `k` (in [`output_names`] order) measures, in the scenario's words.
pub fn output_description(names: &Names, k: usize) -> Cow<'static, str> {
    match METRICS.get(k) {
        Some(m) => names.describe(m.name, m.description),
        None => Cow::Borrowed(KM_OUTPUTS[k - METRICS.len()].1),
    }
}

/// Index of an output by its name in the scenario's words; the error lists the valid names.
pub fn output_index(names: &Names, name: &str) -> Result<usize, String> {
    let all = output_names(names);
    all.iter().position(|n| n == name).ok_or_else(|| {
        let hint = crate::scenario::diag::closest(name, all.iter().map(String::as_str))
            .map(|c| format!(" (did you mean '{c}'?)"))
            .unwrap_or_default();
        format!(
            "--metric '{name}': unknown output{hint}; outputs: {}",
            all.join(", ")
        )
    })
}

/// Index of a canonical output name (the defaults of the study kinds).
pub fn canonical_output_index(name: &str) -> Option<usize> {
    canonical_outputs().iter().position(|n| *n == name)
}

/// The summary of one point: every output with its interval (same definitions as summary.csv of
/// `negsim run`), and the share of replicates meeting the outcome condition, if one was given.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    /// In [`output_names`] order.
    pub outputs: Vec<Est>,
    /// Per output, its estimate leaving out each replicate group in turn (replicate mod
    /// [`km::GROUPS`]; NaN where not estimable). Every point of a study runs on the same seed, so
    /// group g holds the same random streams at every point: recomputing a study's statistic
    /// without group g, at every point at once, is a delete-a-group jackknife over the noise the
    /// points share (see `indices::with_noise`).
    #[serde(default, with = "nan_as_null")]
    pub loo: Vec<Vec<f64>>,
    /// The share of replicates meeting the outcome with each replicate group left out (empty
    /// without an outcome).
    #[serde(default, with = "nan_as_null::flat")]
    pub outcome_loo: Vec<f64>,
    /// Replicates meeting the outcome condition, of `runs`.
    pub hits: Option<u64>,
    /// Replicates.
    pub runs: u64,
}

impl Point {
    /// The estimate of output `k`, NaN where not estimable.
    pub fn value(&self, k: usize) -> f64 {
        self.outputs[k].value.unwrap_or(f64::NAN)
    }

    /// Share of replicates meeting the outcome, with its Wilson interval.
    pub fn outcome_share(&self) -> Option<Est> {
        let k = self.hits?;
        let ci = wilson(k, self.runs, LEVEL);
        Some(Est {
            value: Some(k as f64 / self.runs.max(1) as f64),
            lo: ci.map(|c| c.0),
            hi: ci.map(|c| c.1),
        })
    }
}

/// JSON has no NaN: shards write a not-estimable leave-one-out value as `null` and read it back
/// as NaN.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[Vec<f64>], s: S) -> Result<S::Ok, S::Error> {
        let o: Vec<Vec<Option<f64>>> = v
            .iter()
            .map(|r| r.iter().map(|x| x.is_finite().then_some(*x)).collect())
            .collect();
        o.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f64>>, D::Error> {
        let o = Vec::<Vec<Option<f64>>>::deserialize(d)?;
        Ok(o.into_iter()
            .map(|r| r.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
            .collect())
    }

    /// The same for one list.
    pub mod flat {
        use serde::{Deserializer, Serializer};

        pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
            super::serialize(std::slice::from_ref(&v.to_vec()), s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
            Ok(super::deserialize(d)?
                .into_iter()
                .next()
                .unwrap_or_default())
        }
    }
}

/// Per-group sums of one metric over the replicates where it is defined.
#[derive(Clone, Debug, Default)]
struct GroupSums {
    sum: [f64; km::GROUPS],
    n: [u64; km::GROUPS],
}

impl GroupSums {
    /// The mean leaving out each group in turn (NaN where nothing is left).
    fn leave_one_out(&self) -> Vec<f64> {
        let (s, n): (f64, u64) = (self.sum.iter().sum(), self.n.iter().sum());
        (0..km::GROUPS)
            .map(|g| {
                let m = n - self.n[g];
                if m > 0 {
                    (s - self.sum[g]) / m as f64
                } else {
                    f64::NAN
                }
            })
            .collect()
    }
}

fn est(e: &km::Estimate) -> Est {
    Est {
        value: e.value,
        lo: e.lo,
        hi: e.hi,
    }
}

/// Evaluates a scenario at parameter points.
pub struct Evaluator<'a> {
    /// The scenario.
    pub template: &'a Template,
    /// Horizon.
    pub weeks: u32,
    /// Replicates per point.
    pub runs: u64,
    /// Optional outcome condition.
    pub outcome: Option<&'a Outcome>,
}

impl Evaluator<'_> {
    /// Runs the scenario with `values` set on replicate streams 0..runs of `seed` (the same
    /// streams at every point given the same seed: common random numbers).
    // long: one point in order: instantiate, run with per-group sums, summarise, then the leave-one-group-out outputs.
    pub fn evaluate(&self, values: &[(&str, f64)], seed: u64) -> Result<Point, String> {
        let sc = self
            .template
            .instantiate(values)
            .map_err(|e| e.to_string())?;
        let arm = Arm {
            name: String::new(),
            description: String::new(),
            params: Params::compile(&sc, self.weeks),
        };
        let plan = Plan {
            seed,
            threads: 1,
            trace: 0,
            independent: false,
        };
        let mut hits = 0u64;
        let mut hit_groups = GroupSums::default();
        let mut groups = vec![GroupSums::default(); METRICS.len()];
        let agg = aggregate_serial(
            std::slice::from_ref(&arm),
            &plan,
            0..self.runs,
            &mut |_, r| {
                let g = (r.replicate % km::GROUPS as u64) as usize;
                if let Some(o) = self.outcome {
                    let h = u64::from(o.holds(r));
                    hits += h;
                    hit_groups.sum[g] += h as f64;
                    hit_groups.n[g] += 1;
                }
                for (m, gs) in METRICS.iter().zip(groups.iter_mut()) {
                    if let Some(x) = (m.get)(r) {
                        gs.sum[g] += x;
                        gs.n[g] += 1;
                    }
                }
            },
        );
        let s = summarize_arm(&agg, 0);
        let mut outputs: Vec<Est> = s
            .metrics
            .iter()
            .map(|m| Est {
                value: (m.n > 0).then_some(m.mean),
                lo: m.ci.map(|c| c.0),
                hi: m.ci.map(|c| c.1),
            })
            .collect();
        outputs.push(est(&s.truce_strict.median));
        outputs.push(est(&s.truce_strict.rmst));
        outputs.push(est(&s.durable.median));
        let a = &agg.arms[0];
        let tau = crate::ensemble::summary::rmst_tau(&agg);
        let nan = f64::NAN;
        let mut loo: Vec<Vec<f64>> = groups.iter().map(GroupSums::leave_one_out).collect();
        loo.push(
            (0..km::GROUPS)
                .map(|g| km::median(&a.km_strict.curve(Some(g))).unwrap_or(nan))
                .collect(),
        );
        loo.push(
            (0..km::GROUPS)
                .map(|g| {
                    let w = &a.km_strict_window;
                    if w.totals().0 > 0 {
                        km::rmst(&w.curve(Some(g)), tau)
                    } else {
                        nan
                    }
                })
                .collect(),
        );
        loo.push(
            (0..km::GROUPS)
                .map(|g| km::median(&a.km_durable.curve(Some(g))).unwrap_or(nan))
                .collect(),
        );
        Ok(Point {
            outputs,
            loo,
            outcome_loo: if self.outcome.is_some() {
                hit_groups.leave_one_out()
            } else {
                Vec::new()
            },
            hits: self.outcome.map(|_| hits),
            runs: self.runs,
        })
    }
}
