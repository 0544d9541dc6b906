//! Streaming aggregation over replicates: per arm, moments and histograms of every metric,
//! Kaplan–Meier counts, weekly means, quantile histograms and regime shares; across arms, paired
//! differences against the first arm (the baseline). Fed one replicate at a time, in replicate
//! order, so the result does not depend on how replicates were spread over threads; its size does
//! not depend on the number of replicates.

use crate::analysis::cycle::Spell;
use crate::analysis::km::KmCounts;
use crate::analysis::stats::{
    Histogram, MAX_VALUES, Moments, PairedCounts, possible_sum, to_fixed,
};
use crate::model::Params;

use super::record::{Kind, METRICS, RunStats, WeekPoint};

/// Weekly series with a mean: (column stem, unit).
pub const WEEKLY_SERIES: [&str; 6] = [
    "tariff_us",
    "tariff_cn",
    "controls_us",
    "controls_cn",
    "trust_us",
    "trust_cn",
];

/// How many of [`WEEKLY_SERIES`] (the first ones) also get quantiles.
pub const WEEKLY_QUANTILED: usize = 4;

/// Quantiles reported per week.
pub const QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Resolution of weekly tariff histograms, pp (quantiles within half of it).
pub const TARIFF_RES: f64 = 0.1;

/// Resolution of weekly controls histograms, index units.
pub const CONTROLS_RES: f64 = 0.05;

/// Weekly aggregates of one arm.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Weekly {
    /// Weeks.
    pub weeks: usize,
    /// Exact fixed-point sums of each series per week, `[week * 6 + series]` (see
    /// `analysis::stats::to_fixed`).
    #[serde(with = "i128_vec")]
    pub sums: Vec<i128>,
    /// Replicates per regime per week, `[week * 3 + regime]`.
    pub regimes: Vec<u64>,
    /// Histograms of the quantiled series, `[week * 4 + series]`.
    pub hists: Vec<Histogram>,
    /// Replicates absorbed.
    pub n: u64,
}

/// Aggregates of one arm.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArmAggregate {
    /// Moments of each metric over the replicates where it is defined.
    pub moments: Vec<Moments>,
    /// Histogram of each metric (for medians).
    pub hists: Vec<Histogram>,
    /// Truce durations, strict rule.
    pub km_strict: KmCounts,
    /// Truce durations, tariff rule.
    pub km_tariff: KmCounts,
    /// Truces (strict rule) that started at least the RMST window before the horizon
    /// ([`KmCounts::add_window`]): the RMST's spells.
    pub km_strict_window: KmCounts,
    /// The same, tariff rule.
    pub km_tariff_window: KmCounts,
    /// Weeks to the first durable deal (censored at horizon minus the durable length).
    pub km_durable: KmCounts,
    /// Weekly series.
    pub weekly: Weekly,
}

/// Paired comparison of one arm against the baseline.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Paired {
    /// Moments of the per-replicate difference (arm minus baseline) of each metric.
    pub diffs: Vec<Moments>,
    /// Paired counts of each binary metric (arm, baseline).
    pub binary: Vec<PairedCounts>,
}

/// Everything aggregated for a set of arms. Every accumulator is an integer (counts, exact
/// fixed-point sums), so aggregates of disjoint sets of replicates merge to exactly what one pass
/// over all of them gives.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Aggregate {
    /// Per arm, in arm order (the first is the baseline).
    pub arms: Vec<ArmAggregate>,
    /// Per arm after the first: paired against the first.
    pub paired: Vec<Paired>,
    /// Replicates absorbed.
    pub runs: u64,
    /// Horizon in weeks.
    pub weeks: u32,
    /// Durable length in weeks.
    pub durable: u32,
}

/// What one replicate of one arm yields.
#[derive(Clone, Debug, Default)]
pub struct ReplicateOut {
    /// Statistics.
    pub stats: RunStats,
    /// Truces, strict rule.
    pub strict: Vec<Spell>,
    /// Truces, tariff rule.
    pub tariff: Vec<Spell>,
}

fn metric_histogram(kind: Kind, weeks: u32, tariff_max: f64) -> Histogram {
    match kind {
        Kind::Share => Histogram::new(1.0, 1e-4),
        Kind::Binary => Histogram::new(1.0, 1.0),
        Kind::Rate => Histogram::new(60.0, 1e-3),
        Kind::Tariff => Histogram::new(tariff_max, 0.01),
        Kind::Weeks => Histogram::new(f64::from(weeks), 1.0),
        Kind::Count => Histogram::new(4.0 * f64::from(weeks) + 10.0, 1.0),
    }
}

impl ArmAggregate {
    fn new(p: &Params, weekly: bool) -> ArmAggregate {
        let weeks = if weekly { p.weeks as usize } else { 0 };
        let tariff_max = p.sides[0].tariff_max.max(p.sides[1].tariff_max);
        let cmax = p.b.implementation.controls_max;
        let mut hists = Vec::with_capacity(weeks * WEEKLY_QUANTILED);
        for _ in 0..weeks {
            hists.push(Histogram::new(p.sides[0].tariff_max, TARIFF_RES));
            hists.push(Histogram::new(p.sides[1].tariff_max, TARIFF_RES));
            hists.push(Histogram::new(cmax, CONTROLS_RES));
            hists.push(Histogram::new(cmax, CONTROLS_RES));
        }
        ArmAggregate {
            moments: vec![Moments::default(); METRICS.len()],
            hists: METRICS
                .iter()
                .map(|m| metric_histogram(m.kind, p.weeks, tariff_max))
                .collect(),
            km_strict: KmCounts::new(p.weeks),
            km_tariff: KmCounts::new(p.weeks),
            km_strict_window: KmCounts::new(p.weeks),
            km_tariff_window: KmCounts::new(p.weeks),
            km_durable: KmCounts::new(p.weeks),
            weekly: Weekly {
                weeks,
                sums: vec![0; weeks * WEEKLY_SERIES.len()],
                regimes: vec![0; weeks * 3],
                hists,
                n: 0,
            },
        }
    }

    fn absorb(&mut self, r: &ReplicateOut, weeks: u32, durable: u32) {
        for (k, m) in METRICS.iter().enumerate() {
            if let Some(x) = (m.get)(&r.stats) {
                self.moments[k].push(x);
                self.hists[k].push(x);
            }
        }
        let rep = r.stats.replicate;
        let tau = durable.min(weeks);
        for t in &r.strict {
            self.km_strict.add(rep, t.length, t.censored);
            self.km_strict_window
                .add_window(rep, t.start, t.length, weeks, tau);
        }
        for t in &r.tariff {
            self.km_tariff.add(rep, t.length, t.censored);
            self.km_tariff_window
                .add_window(rep, t.start, t.length, weeks, tau);
        }
        match r.stats.cycle.weeks_to_durable_deal {
            Some(w) => self.km_durable.add(rep, w, false),
            None => self
                .km_durable
                .add(rep, weeks.saturating_sub(durable), true),
        }
    }

    /// Absorbs the weekly trajectories of a batch of `reps` replicates, `points[t * reps + r]`
    /// (week-major), week by week: each week's sums and histograms stay in cache while the whole
    /// batch is added to them, where one replicate at a time would visit every week's histograms
    /// in turn (10 MB for the baseline's). Integer accumulators, so the order changes nothing.
    fn absorb_weekly(&mut self, points: &[WeekPoint], reps: usize) {
        let wk = &mut self.weekly;
        if wk.weeks == 0 || reps == 0 {
            return;
        }
        for (t, week) in points.chunks_exact(reps).take(wk.weeks).enumerate() {
            let s = &mut wk.sums[t * 6..t * 6 + 6];
            let g = &mut wk.regimes[t * 3..t * 3 + 3];
            for pt in week {
                s[0] += to_fixed(pt.tariff[0]);
                s[1] += to_fixed(pt.tariff[1]);
                s[2] += to_fixed(pt.controls[0]);
                s[3] += to_fixed(pt.controls[1]);
                s[4] += to_fixed(pt.trust[0]);
                s[5] += to_fixed(pt.trust[1]);
                g[pt.regime as usize] += 1;
            }
            let h = &mut wk.hists[t * 4..t * 4 + 4];
            h[0].extend(week.iter().map(|pt| pt.tariff[0]));
            h[1].extend(week.iter().map(|pt| pt.tariff[1]));
            h[2].extend(week.iter().map(|pt| pt.controls[0]));
            h[3].extend(week.iter().map(|pt| pt.controls[1]));
        }
        wk.n += reps as u64;
    }
}

/// Serialises a vector of i128 as decimal strings.
mod i128_vec {
    use serde::{Deserialize, Deserializer, Serializer, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(v: &[i128], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for x in v {
            seq.serialize_element(&x.to_string())?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i128>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| t.parse().map_err(serde::de::Error::custom))
            .collect()
    }
}

impl ArmAggregate {
    fn merge(&mut self, o: &ArmAggregate) -> Result<(), String> {
        if self.moments.len() != o.moments.len()
            || self.weekly.sums.len() != o.weekly.sums.len()
            || self.weekly.hists.len() != o.weekly.hists.len()
        {
            return Err("the partial results describe different metrics or horizons".into());
        }
        for (a, b) in self.moments.iter_mut().zip(&o.moments) {
            a.merge(b);
        }
        for (a, b) in self.hists.iter_mut().zip(&o.hists) {
            if a.counts.len() != b.counts.len() {
                return Err("the partial results bin a metric differently".into());
            }
            a.merge(b);
        }
        for (a, b) in [
            (&mut self.km_strict, &o.km_strict),
            (&mut self.km_tariff, &o.km_tariff),
            (&mut self.km_durable, &o.km_durable),
            (&mut self.km_strict_window, &o.km_strict_window),
            (&mut self.km_tariff_window, &o.km_tariff_window),
        ] {
            a.merge(b);
        }
        let w = &mut self.weekly;
        for (a, b) in w.sums.iter_mut().zip(&o.weekly.sums) {
            *a += b;
        }
        for (a, b) in w.regimes.iter_mut().zip(&o.weekly.regimes) {
            *a += b;
        }
        for (a, b) in w.hists.iter_mut().zip(&o.weekly.hists) {
            if a.counts.len() != b.counts.len() {
                return Err("the partial results bin a weekly series differently".into());
            }
            a.merge(b);
        }
        w.n += o.weekly.n;
        Ok(())
    }
}

impl Aggregate {
    /// Checks that every count and sum is one that `runs` replicates can give, so that merging
    /// checked aggregates of at most [`MAX_VALUES`] replicates in all cannot overflow: a partial
    /// result with an edited moment is refused instead of wrapping to a mean of -1e28.
    pub fn check(&self) -> Result<(), String> {
        let n = self.runs;
        if n > MAX_VALUES {
            return Err(format!(
                "{n} replicates, more than the {MAX_VALUES} whose sums are exact"
            ));
        }
        let spells = n.saturating_mul(u64::from(self.weeks) + 1);
        for (i, a) in self.arms.iter().enumerate() {
            let arm = |e: String| format!("arm {}: {e}", i + 1);
            for x in &a.moments {
                x.check(n).map_err(arm)?;
            }
            for h in a.hists.iter().chain(&a.weekly.hists) {
                h.check(n).map_err(arm)?;
            }
            for k in [
                &a.km_strict,
                &a.km_tariff,
                &a.km_durable,
                &a.km_strict_window,
                &a.km_tariff_window,
            ] {
                k.check(spells).map_err(arm)?;
            }
            let w = &a.weekly;
            let sums_ok = w.sums.iter().all(|&s| possible_sum(s, n));
            let regimes_ok = w
                .regimes
                .chunks(3)
                .all(|c| c.iter().try_fold(0u64, |t, &x| t.checked_add(x)) == Some(w.n));
            if (w.weeks > 0 && w.n != n) || !sums_ok || !regimes_ok {
                return Err(arm("weekly series that these replicates cannot give".into()));
            }
        }
        for (i, p) in self.paired.iter().enumerate() {
            for x in &p.diffs {
                x.check(n)
                    .map_err(|e| format!("arm {} paired: {e}", i + 2))?;
            }
            if p.binary.iter().any(|b| b.total().is_none_or(|t| t > n)) {
                return Err(format!("arm {} paired: more pairs than replicates", i + 2));
            }
        }
        Ok(())
    }

    /// Adds the aggregate of a disjoint set of replicates of the same arms (exact: the result does
    /// not depend on how replicates were split or in which order parts are merged).
    pub fn merge(&mut self, o: &Aggregate) -> Result<(), String> {
        if self.arms.len() != o.arms.len() || self.weeks != o.weeks || self.durable != o.durable {
            return Err(format!(
                "cannot merge results of {} arms x {} weeks with {} arms x {} weeks",
                o.arms.len(),
                o.weeks,
                self.arms.len(),
                self.weeks
            ));
        }
        for (a, b) in self.arms.iter_mut().zip(&o.arms) {
            a.merge(b)?;
        }
        for (a, b) in self.paired.iter_mut().zip(&o.paired) {
            for (x, y) in a.diffs.iter_mut().zip(&b.diffs) {
                x.merge(y);
            }
            for (x, y) in a.binary.iter_mut().zip(&b.binary) {
                x.merge(y);
            }
        }
        self.runs += o.runs;
        Ok(())
    }

    /// An empty aggregate for arms with these parameters (all arms share the horizon).
    pub fn new(arms: &[&Params]) -> Aggregate {
        Aggregate::with_weekly(arms, true)
    }

    /// An empty aggregate that keeps no weekly series (`weekly.weeks == 0`): for callers that only
    /// summarise replicates (parameter sweeps), saving the weekly histograms' memory and time.
    pub fn without_weekly(arms: &[&Params]) -> Aggregate {
        Aggregate::with_weekly(arms, false)
    }

    fn with_weekly(arms: &[&Params], weekly: bool) -> Aggregate {
        let weeks = arms.first().map_or(0, |p| p.weeks);
        let durable = arms
            .first()
            .map_or(52, |p| p.b.observation.durable_weeks.ceil() as u32);
        Aggregate {
            arms: arms.iter().map(|p| ArmAggregate::new(p, weekly)).collect(),
            paired: (1..arms.len())
                .map(|_| Paired {
                    diffs: vec![Moments::default(); METRICS.len()],
                    binary: vec![PairedCounts::default(); METRICS.len()],
                })
                .collect(),
            runs: 0,
            weeks,
            durable,
        }
    }

    /// Absorbs one replicate of every arm (`outs[a]`), all but its weekly series (see
    /// [`Aggregate::absorb_weekly`]).
    pub fn absorb(&mut self, outs: &[ReplicateOut]) {
        for (a, o) in outs.iter().enumerate() {
            self.arms[a].absorb(o, self.weeks, self.durable);
        }
        let base = &outs[0].stats;
        for (pa, o) in self.paired.iter_mut().zip(&outs[1..]) {
            for (k, m) in METRICS.iter().enumerate() {
                if let (Some(x), Some(b)) = ((m.get)(&o.stats), (m.get)(base)) {
                    pa.diffs[k].push(x - b);
                    if m.kind == Kind::Binary {
                        pa.binary[k].push(x > 0.5, b > 0.5);
                    }
                }
            }
        }
        self.runs += 1;
    }

    /// Absorbs the weekly series of a batch of `reps` replicates of arm `arm`:
    /// `points[t * reps + r]` is week t of the batch's replicate r (every week of every replicate).
    pub fn absorb_weekly(&mut self, arm: usize, points: &[WeekPoint], reps: usize) {
        self.arms[arm].absorb_weekly(points, reps);
    }
}
