//! Summaries of an ensemble: each metric's estimate with a 95% interval, Kaplan–Meier durations,
//! and paired comparisons against the baseline arm. Reads the ensemble's aggregate; formats
//! nothing (report/ does).

use crate::ensemble::aggregate::{Aggregate, ArmAggregate};
use crate::ensemble::record::{Kind, METRICS, Metric, MetricId};

use crate::analysis::km::{self, Estimate, KmCounts, KmSummary};
use crate::analysis::stats::{Moments, wilson};

/// Confidence level of every interval negsim reports.
pub const LEVEL: f64 = 0.95;

/// The metric whose paired difference is the headline (ranking, `--target-ci`).
pub const HEADLINE: MetricId = MetricId::ShareTruce;

/// One metric of one arm.
#[derive(Clone, Debug)]
pub struct MetricSummary {
    /// The metric.
    pub metric: &'static Metric,
    /// Replicates where it is defined.
    pub n: u64,
    /// Mean (a proportion for yes/no metrics).
    pub mean: f64,
    /// 95% interval: Student t for means, Wilson for proportions.
    pub ci: Option<(f64, f64)>,
    /// Standard deviation over replicates.
    pub sd: f64,
    /// Median over replicates (from a fixed-resolution histogram).
    pub median: Option<f64>,
    /// "t" or "wilson".
    pub method: &'static str,
}

/// Everything summarised for one arm.
#[derive(Clone, Debug)]
pub struct ArmSummary {
    /// Replicates.
    pub runs: u64,
    /// Per metric, in [`METRICS`] order.
    pub metrics: Vec<MetricSummary>,
    /// Truce durations, strict rule.
    pub truce_strict: KmSummary,
    /// Truce durations, tariff rule.
    pub truce_tariff: KmSummary,
    /// Weeks to the first durable deal.
    pub durable: KmSummary,
}

fn metric_summary(m: &'static Metric, mo: &Moments, median: Option<f64>) -> MetricSummary {
    let (ci, method) = if m.kind == Kind::Binary {
        let k = mo.sum().round() as u64;
        (wilson(k, mo.n, LEVEL), "wilson")
    } else {
        (mo.ci(LEVEL), "t")
    };
    MetricSummary {
        metric: m,
        n: mo.n,
        mean: mo.mean(),
        ci,
        sd: mo.sd(),
        median,
        method,
    }
}

/// Restriction time for RMST: the durable length, capped by the horizon.
pub fn rmst_tau(agg: &Aggregate) -> u32 {
    agg.durable.min(agg.weeks)
}

/// Restriction time of the weeks-to-durable-deal RMST: the last week a durable deal can start
/// within the horizon. Replicates without one are censored exactly there, so the RMST is the
/// mean of min(weeks to a durable deal, this window) over every replicate, with no censoring
/// before it.
pub fn durable_tau(agg: &Aggregate) -> u32 {
    agg.weeks.saturating_sub(agg.durable)
}

/// Summarises arm `a` of an aggregate.
pub fn summarize_arm(agg: &Aggregate, a: usize) -> ArmSummary {
    let arm: &ArmAggregate = &agg.arms[a];
    let tau = rmst_tau(agg);
    ArmSummary {
        runs: agg.runs,
        metrics: METRICS
            .iter()
            .enumerate()
            .map(|(k, m)| metric_summary(m, &arm.moments[k], arm.hists[k].quantile(0.5)))
            .collect(),
        truce_strict: km::summarize(&arm.km_strict, &arm.km_strict_window, tau, LEVEL),
        truce_tariff: km::summarize(&arm.km_tariff, &arm.km_tariff_window, tau, LEVEL),
        durable: km::summarize(&arm.km_durable, &arm.km_durable, durable_tau(agg), LEVEL),
    }
}

/// A paired difference (arm minus baseline) with its interval and p-value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Difference {
    /// Estimate, interval, p-value.
    pub est: Estimate,
    /// "paired t", "newcombe/mcnemar" or "jackknife".
    pub method: &'static str,
}

/// Paired difference of metric `k` for arm `a` (>= 1) against the baseline.
pub fn metric_difference(agg: &Aggregate, a: usize, k: usize) -> Difference {
    let pa = &agg.paired[a - 1];
    if METRICS[k].kind == Kind::Binary {
        let pc = &pa.binary[k];
        let ci = pc.newcombe_ci(LEVEL);
        Difference {
            est: Estimate {
                value: (pc.n() > 0).then(|| pc.difference()),
                lo: ci.map(|c| c.0),
                hi: ci.map(|c| c.1),
                p: (pc.n() > 0).then(|| pc.mcnemar_p()),
            },
            method: "newcombe/mcnemar",
        }
    } else {
        let mo = &pa.diffs[k];
        let ci = mo.ci(LEVEL);
        Difference {
            est: Estimate {
                value: (mo.n > 0).then(|| mo.mean()),
                lo: ci.map(|c| c.0),
                hi: ci.map(|c| c.1),
                p: mo.p_value_zero(),
            },
            method: "paired t",
        }
    }
}

/// The counts of the model's mechanisms (events per replicate) that [`mechanism_changes`]
/// compares: what happens inside the cycle (deals, disputes, misreadings, rounds, threats,
/// expiries), not its outcomes.
pub const MECHANISMS: [MetricId; 19] = [
    MetricId::TransactionalDeals,
    MetricId::BroadDeals,
    MetricId::BroadDealsUnravelled,
    MetricId::RecordDisputes,
    MetricId::PerceivedViolations,
    MetricId::Misperceptions,
    MetricId::Rounds,
    MetricId::Summits,
    MetricId::SummitsSucceeded,
    MetricId::ThreatsExecuted,
    MetricId::ThreatsPostponed,
    MetricId::ThreatsConceded,
    MetricId::ThreatsWithdrawnInDeal,
    MetricId::ThreatsHanging,
    MetricId::ScheduledTalks,
    MetricId::ScheduledTalksDeal,
    MetricId::ExpiriesRenewed,
    MetricId::ExpiriesExtended,
    MetricId::ExpiriesLapsed,
];

/// A count rarer than this per replicate in both arms is left out of [`mechanism_changes`]: a
/// relative change of something that almost never happens says nothing about the mechanism.
pub const MIN_MECHANISM_COUNT: f64 = 0.05;

/// How one mechanism count differs between an arm and the baseline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Change {
    /// The count.
    pub metric: MetricId,
    /// Paired difference per replicate (arm minus baseline).
    pub diff: Estimate,
    /// The baseline's mean per replicate.
    pub base: f64,
    /// |difference| / sqrt(max(baseline mean, [`MIN_MECHANISM_COUNT`])): the ranking key, the
    /// change against the scale of a count's own (Poisson-like) noise.
    pub relative: f64,
}

/// The `top` mechanism counts of arm `a` (>= 1) whose paired difference from the baseline is
/// resolved (its 95% interval excludes zero) and largest against the square root of the
/// baseline's count; ties in registry order.
pub fn mechanism_changes(agg: &Aggregate, a: usize, top: usize) -> Vec<Change> {
    let mut out: Vec<Change> = MECHANISMS
        .iter()
        .filter_map(|&id| {
            let k = id.index();
            let diff = metric_difference(agg, a, k).est;
            let base = agg.arms[0].moments[k].mean();
            let arm = agg.arms[a].moments[k].mean();
            let v = diff.value?;
            (diff.excludes_zero() && base.max(arm) >= MIN_MECHANISM_COUNT).then(|| Change {
                metric: id,
                diff,
                base,
                relative: v.abs() / base.max(MIN_MECHANISM_COUNT).sqrt(),
            })
        })
        .collect();
    out.sort_by(|x, y| y.relative.total_cmp(&x.relative));
    out.truncate(top);
    out
}

/// Which Kaplan–Meier series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durations {
    /// Truces, strict rule.
    TruceStrict,
    /// Truces, tariff rule.
    TruceTariff,
    /// Weeks to the first durable deal (censored where none is reached).
    DurableDeal,
}

/// The names of one Kaplan–Meier series' outputs, the same in every CSV, JSON document, report
/// table and `--output` flag (the registry of duration names; metrics have `METRICS`).
#[derive(Clone, Copy, Debug)]
pub struct KmNames {
    /// Which series.
    pub which: Durations,
    /// Its interpolated median.
    pub median: &'static str,
    /// Its restricted mean (the restriction time is in the description, not the name).
    pub rmst: &'static str,
}

/// Truce length, strict rule: median.
pub const TRUCE_MEDIAN: &str = "truce_km_median_weeks";
/// Truce length, strict rule: restricted mean.
pub const TRUCE_RMST: &str = "truce_rmst_weeks";
/// Weeks to the first durable deal: median.
pub const DURABLE_MEDIAN: &str = "weeks_to_durable_deal_km_median";

/// Every Kaplan–Meier series and its output names.
pub const KM_NAMES: [KmNames; 3] = [
    KmNames {
        which: Durations::TruceStrict,
        median: TRUCE_MEDIAN,
        rmst: TRUCE_RMST,
    },
    KmNames {
        which: Durations::TruceTariff,
        median: "truce_tariff_rule_km_median_weeks",
        rmst: "truce_tariff_rule_rmst_weeks",
    },
    KmNames {
        which: Durations::DurableDeal,
        median: DURABLE_MEDIAN,
        rmst: "weeks_to_durable_deal_rmst",
    },
];

/// The output names of series `which`.
pub fn km_names(which: Durations) -> KmNames {
    KM_NAMES
        .into_iter()
        .find(|k| k.which == which)
        .unwrap_or(KM_NAMES[0])
}

/// Paired differences of RMST and interpolated KM median for arm `a` against the baseline, over
/// every replicate (a replicate that reached no durable deal counts as censored, not dropped).
pub fn km_difference(agg: &Aggregate, a: usize, which: Durations) -> (Estimate, Estimate) {
    fn pick(arm: &ArmAggregate, which: Durations) -> (&KmCounts, &KmCounts) {
        match which {
            Durations::TruceStrict => (&arm.km_strict, &arm.km_strict_window),
            Durations::TruceTariff => (&arm.km_tariff, &arm.km_tariff_window),
            Durations::DurableDeal => (&arm.km_durable, &arm.km_durable),
        }
    }
    let tau = if which == Durations::DurableDeal {
        durable_tau(agg)
    } else {
        rmst_tau(agg)
    };
    km::paired_difference(
        pick(&agg.arms[a], which),
        pick(&agg.arms[0], which),
        tau,
        LEVEL,
    )
}

/// What common random numbers buy for the headline metric of arm `a`: the variance of the paired
/// difference against the variance a difference of independent arms would have.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VarianceReduction {
    /// Variance of the per-replicate difference as run.
    pub paired: f64,
    /// Var(arm) + Var(baseline): the variance of a difference on independent streams.
    pub independent: f64,
}

impl VarianceReduction {
    /// Independent over paired: how many times fewer replicates the paired design needs for the
    /// same interval width (infinite when the paired variance is zero).
    pub fn ratio(&self) -> f64 {
        if self.paired > 0.0 {
            self.independent / self.paired
        } else {
            f64::INFINITY
        }
    }
}

/// Variance reduction of the headline metric for arm `a` (>= 1).
pub fn variance_reduction(agg: &Aggregate, a: usize) -> Option<VarianceReduction> {
    let k = HEADLINE.index();
    Some(VarianceReduction {
        paired: agg.paired.get(a.checked_sub(1)?)?.diffs[k].variance(),
        independent: agg.arms[a].moments[k].variance() + agg.arms[0].moments[k].variance(),
    })
}

/// Largest 95% half-width of the headline paired difference over the non-baseline arms.
pub fn headline_half_width(agg: &Aggregate) -> Option<f64> {
    let k = HEADLINE.index();
    agg.paired
        .iter()
        .map(|p| p.diffs[k].ci(LEVEL).map(|(lo, hi)| (hi - lo) / 2.0))
        .try_fold(0.0f64, |acc, h| h.map(|h| acc.max(h)))
}
