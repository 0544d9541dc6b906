//! Kaplan–Meier survival for right-censored durations in whole weeks, with cluster-robust
//! uncertainty by a grouped (delete-a-group) jackknife.
//!
//! Truce durations within one replicate are not independent, so Greenwood's formula would
//! understate the variance. Replicates are assigned to G groups by index (replicate mod G); the
//! jackknife over groups is valid for clustered data and for paired arms on common random numbers
//! (the same groups in both arms). Counts by duration are integers, so they merge exactly in any
//! order and memory does not grow with the replicate count.

use super::stats::t_quantile;

/// Number of jackknife groups.
pub const GROUPS: usize = 20;

/// Event and censoring counts by duration, per jackknife group.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(into = "SparseKm", try_from = "SparseKm")]
pub struct KmCounts {
    len: usize,
    events: Vec<u64>,
    censored: Vec<u64>,
}

impl KmCounts {
    /// Empty counts for durations 0..=max_duration.
    pub fn new(max_duration: u32) -> KmCounts {
        let len = max_duration as usize + 1;
        KmCounts {
            len,
            events: vec![0; GROUPS * len],
            censored: vec![0; GROUPS * len],
        }
    }

    /// Adds one duration for the replicate with index `replicate`.
    pub fn add(&mut self, replicate: u64, duration: u32, censored: bool) {
        let g = (replicate % GROUPS as u64) as usize;
        let d = (duration as usize).min(self.len - 1);
        let v = if censored {
            &mut self.censored
        } else {
            &mut self.events
        };
        v[g * self.len + d] += 1;
    }

    /// Adds one spell to window counts for an RMST up to `tau` over a horizon of `horizon` weeks:
    /// only a spell that started at least `tau` weeks before the horizon counts, as observed at
    /// min(length, tau). Such a spell is never censored before `tau` (a censored one has run for
    /// `horizon - start >= tau` weeks), so the window's curve below `tau` has no censoring at all
    /// and its RMST is exactly the mean of min(T, tau) over those spells. Spells that start late
    /// are the only censored ones and are shorter-lived by construction of the horizon; leaving
    /// them out bounds the bias of the restricted mean at zero for the window's population.
    pub fn add_window(&mut self, replicate: u64, start: u32, length: u32, horizon: u32, tau: u32) {
        if start.saturating_add(tau) <= horizon {
            self.add(replicate, length.min(tau), false);
        }
    }

    /// Adds all counts of `other` (same length).
    pub fn merge(&mut self, other: &KmCounts) {
        for (a, b) in self.events.iter_mut().zip(&other.events) {
            *a += b;
        }
        for (a, b) in self.censored.iter_mut().zip(&other.censored) {
            *a += b;
        }
    }

    /// Censored spells of duration `d`, all groups together.
    pub fn censored_at(&self, d: usize) -> u64 {
        if d >= self.len {
            return 0;
        }
        (0..GROUPS).map(|g| self.censored[g * self.len + d]).sum()
    }

    /// Checks the shape (`len` durations per group) and that there are at most `max_spells`
    /// spells (an edited partial result otherwise wraps a merge around).
    pub fn check(&self, max_spells: u64) -> Result<(), String> {
        let total = self
            .events
            .iter()
            .chain(&self.censored)
            .try_fold(0u64, |a, &c| a.checked_add(c));
        let shape =
            self.events.len() == GROUPS * self.len && self.censored.len() == GROUPS * self.len;
        if shape && total.is_some_and(|t| t <= max_spells) {
            Ok(())
        } else {
            Err(format!(
                "duration counts of another shape, or more than {max_spells} spells"
            ))
        }
    }

    /// Number of spells and of observed (uncensored) ends.
    pub fn totals(&self) -> (u64, u64) {
        let e: u64 = self.events.iter().sum();
        (e + self.censored.iter().sum::<u64>(), e)
    }

    /// Survival curve S(d) = P(T > d) for d = 0..=max, leaving out group `exclude` if given.
    pub fn curve(&self, exclude: Option<usize>) -> Vec<f64> {
        let mut ev = vec![0u64; self.len];
        let mut ce = vec![0u64; self.len];
        for g in 0..GROUPS {
            if Some(g) == exclude {
                continue;
            }
            for d in 0..self.len {
                ev[d] += self.events[g * self.len + d];
                ce[d] += self.censored[g * self.len + d];
            }
        }
        let mut at_risk: u64 = ev.iter().sum::<u64>() + ce.iter().sum::<u64>();
        let mut s = 1.0;
        let mut out = Vec::with_capacity(self.len);
        for d in 0..self.len {
            if at_risk > 0 && ev[d] > 0 {
                s *= 1.0 - ev[d] as f64 / at_risk as f64;
            }
            out.push(s);
            at_risk -= ev[d] + ce[d];
        }
        out
    }
}

/// Serialised form of [`KmCounts`]: non-zero cells only.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SparseKm {
    len: usize,
    events: Vec<(usize, u64)>,
    censored: Vec<(usize, u64)>,
}

impl From<KmCounts> for SparseKm {
    fn from(k: KmCounts) -> Self {
        let nz = |v: &[u64]| {
            v.iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, c)| (i, *c))
                .collect()
        };
        SparseKm {
            len: k.len,
            events: nz(&k.events),
            censored: nz(&k.censored),
        }
    }
}

impl TryFrom<SparseKm> for KmCounts {
    type Error = String;
    fn try_from(s: SparseKm) -> Result<Self, String> {
        if s.len == 0 || s.len > 1_000_000 {
            return Err(format!("survival counts of length {}", s.len));
        }
        let mut k = KmCounts {
            len: s.len,
            events: vec![0; GROUPS * s.len],
            censored: vec![0; GROUPS * s.len],
        };
        for (v, cells) in [(&mut k.events, s.events), (&mut k.censored, s.censored)] {
            for (i, c) in cells {
                *v.get_mut(i)
                    .ok_or_else(|| format!("survival cell {i} out of range"))? += c;
            }
        }
        Ok(k)
    }
}

/// The KM median: the first crossing of 1/2 by `curve`, interpolated linearly between the two
/// weeks on either side of it (S(d - 1) > 1/2 >= S(d)), so that it moves smoothly with the data.
/// A whole-week median (the first d with S(d) <= 1/2) would sit on the 13-week renewal cliff in
/// almost every arm and hide differences smaller than a week; this is the one median negsim
/// reports, and the one its intervals and differences are computed for.
pub fn median(curve: &[f64]) -> Option<f64> {
    crossing(curve, 0.5)
}

/// First crossing of level `q` by a non-increasing sequence `s` (s(-1) = 1), interpolated
/// linearly between weeks; `None` if `s` stays above `q`.
fn crossing(s: &[f64], q: f64) -> Option<f64> {
    let d = s.iter().position(|&v| v <= q)?;
    let prev = if d == 0 { 1.0 } else { s[d - 1] };
    let drop = prev - s[d];
    let frac = if drop > 0.0 {
        ((prev - q) / drop).clamp(0.0, 1.0)
    } else {
        1.0
    };
    Some(d as f64 - 1.0 + frac)
}

/// Restricted mean survival time up to `tau` weeks: sum of S(d) for d < tau = E[min(T, tau)].
pub fn rmst(curve: &[f64], tau: u32) -> f64 {
    curve.iter().take(tau as usize).sum()
}

/// A point estimate with a confidence interval and a p-value against zero where meaningful.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Point estimate (`None` if not estimable, e.g. a median never reached).
    pub value: Option<f64>,
    /// Lower limit (`None` if not estimable or not reached).
    pub lo: Option<f64>,
    /// Upper limit (`None` if not estimable or not reached within the horizon).
    pub hi: Option<f64>,
    /// Two-sided p-value against zero, for differences.
    pub p: Option<f64>,
}

impl Estimate {
    /// Not estimable: no value, no limits, no p-value.
    pub const NONE: Estimate = Estimate {
        value: None,
        lo: None,
        hi: None,
        p: None,
    };

    /// Whether its interval lies wholly on one side of zero (the difference is resolved).
    pub fn excludes_zero(&self) -> bool {
        matches!((self.lo, self.hi), (Some(l), Some(h)) if l > 0.0 || h < 0.0)
    }
}

/// Kaplan–Meier summary of one arm.
#[derive(Clone, Debug, PartialEq)]
pub struct KmSummary {
    /// Spells.
    pub n: u64,
    /// Observed ends.
    pub events: u64,
    /// S(d) for d = 0..=max.
    pub curve: Vec<f64>,
    /// Lower and upper pointwise bands (jackknife standard error, t with G - 1 df).
    pub band: Vec<(f64, f64)>,
    /// Median (interpolated, [`median`]), with limits from inverting the pointwise jackknife band
    /// at 0.5: where the lower and the upper band cross 0.5, interpolated in the same way.
    pub median: Estimate,
    /// Restricted mean survival time up to `tau`, with jackknife interval, from the spells that
    /// started at least `tau` weeks before the horizon (see [`KmCounts::window`]).
    pub rmst: Estimate,
    /// The restriction time.
    pub tau: u32,
    /// Spells the RMST is computed from (those in `window`).
    pub rmst_n: u64,
}

/// The t multiplier of a two-sided interval at `level` over the jackknife's G - 1 degrees of
/// freedom (computed once per summary: it does not depend on the data).
fn t_multiplier(level: f64) -> f64 {
    t_quantile(0.5 + level / 2.0, GROUPS as f64 - 1.0)
}

/// Grouped jackknife over [`GROUPS`] leave-one-group-out estimates: (low, high, standard error)
/// with `tq` from [`t_multiplier`].
fn jackknife(full: f64, leave_out: &[f64], tq: f64) -> (f64, f64, f64) {
    let g = leave_out.len() as f64;
    let mean = leave_out.iter().sum::<f64>() / g;
    let var = (g - 1.0) / g * leave_out.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
    let se = var.sqrt();
    let h = tq * se;
    (full - h, full + h, se)
}

fn two_sided_p(est: f64, se: f64, df: f64) -> f64 {
    if se == 0.0 {
        return if est == 0.0 { 1.0 } else { 0.0 };
    }
    2.0 * (1.0 - super::stats::t_cdf((est / se).abs(), df))
}

/// Summarises one arm's counts at confidence `level`: the curve and median from `c`, the RMST up
/// to `tau` from `window`, the spells that started at least `tau` weeks before the horizon
/// (`window` may be `c` itself when no spell is censored before `tau`).
pub fn summarize(c: &KmCounts, window: &KmCounts, tau: u32, level: f64) -> KmSummary {
    let (n, events) = c.totals();
    let curve = c.curve(None);
    let loo: Vec<Vec<f64>> = (0..GROUPS).map(|g| c.curve(Some(g))).collect();
    let tq = t_multiplier(level);
    let band: Vec<(f64, f64)> = (0..curve.len())
        .map(|d| {
            let vals: Vec<f64> = loo.iter().map(|l| l[d]).collect();
            let (_, _, se) = jackknife(curve[d], &vals, tq);
            ((curve[d] - tq * se).max(0.0), (curve[d] + tq * se).min(1.0))
        })
        .collect();
    let med = median(&curve);
    let lower: Vec<f64> = band.iter().map(|b| b.0).collect();
    let upper: Vec<f64> = band.iter().map(|b| b.1).collect();
    let lo = crossing(&lower, 0.5);
    let hi = crossing(&upper, 0.5);
    let (wn, _) = window.totals();
    let r = rmst(&window.curve(None), tau);
    let r_loo: Vec<f64> = (0..GROUPS)
        .map(|g| rmst(&window.curve(Some(g)), tau))
        .collect();
    let (rlo, rhi, _) = jackknife(r, &r_loo, tq);
    let est = |v: Option<f64>, lo: Option<f64>, hi: Option<f64>| Estimate {
        value: v,
        lo,
        hi,
        p: None,
    };
    KmSummary {
        n,
        events,
        median: est(
            med,
            if n > 0 { lo } else { None },
            if n > 0 { hi } else { None },
        ),
        rmst: est(
            (wn > 0).then_some(r),
            (wn > 0).then_some(rlo.max(0.0)),
            (wn > 0).then_some(rhi),
        ),
        rmst_n: wn,
        curve,
        band,
        tau,
    }
}

/// Paired differences (arm `a` minus arm `b`) of the RMST (from the window counts `wa`, `wb`, see
/// [`summarize`]) and of the interpolated KM median (from `a`, `b`), each with a grouped-jackknife
/// interval over the replicate groups both arms share. The estimate and its interval are the
/// same quantity: the jackknife recomputes exactly the statistic it reports.
pub fn paired_difference(
    (a, wa): (&KmCounts, &KmCounts),
    (b, wb): (&KmCounts, &KmCounts),
    tau: u32,
    level: f64,
) -> (Estimate, Estimate) {
    let df = GROUPS as f64 - 1.0;
    let tq = t_multiplier(level);
    let diff = |stat: &dyn Fn(&[f64]) -> Option<f64>, a: &KmCounts, b: &KmCounts| -> Estimate {
        let Some(full) = stat(&a.curve(None)).zip(stat(&b.curve(None))) else {
            return Estimate::NONE;
        };
        let full = full.0 - full.1;
        let loo: Option<Vec<f64>> = (0..GROUPS)
            .map(|g| Some(stat(&a.curve(Some(g)))? - stat(&b.curve(Some(g)))?))
            .collect();
        match loo {
            Some(v) => {
                let (lo, hi, se) = jackknife(full, &v, tq);
                Estimate {
                    value: Some(full),
                    lo: Some(lo),
                    hi: Some(hi),
                    p: Some(two_sided_p(full, se, df)),
                }
            }
            // A leave-one-group-out curve never reached its median: no interval.
            None => Estimate {
                value: Some(full),
                ..Estimate::NONE
            },
        }
    };
    (
        diff(&|c: &[f64]| Some(rmst(c, tau)), wa, wb),
        diff(&median, a, b),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn censoring_counts_medians_and_bands_on_a_hand_made_sample() {
        // Ten spells, one per replicate (so ten jackknife groups): ends at 1, 2, 2, 3, 5, 5, 6,
        // censored at 3, 4 and 8.
        let mut c = KmCounts::new(8);
        for (r, (d, cens)) in [
            (1, false),
            (2, false),
            (2, false),
            (3, false),
            (5, false),
            (5, false),
            (6, false),
            (3, true),
            (4, true),
            (8, true),
        ]
        .into_iter()
        .enumerate()
        {
            c.add(r as u64, d, cens);
        }
        assert_eq!(c.censored_at(3), 1);
        assert_eq!(c.censored_at(4), 1);
        assert_eq!(c.censored_at(8), 1);
        assert_eq!(c.censored_at(5), 0);
        assert_eq!(c.totals(), (10, 7));
        // S(1) = 0.9, S(2) = 0.9 * 7/9 = 0.7, S(3) = 0.7 * 6/7 = 0.6; the censored spells at 3 and
        // 4 leave 4 at risk at week 5, so S(5) = 0.6 * 2/4 = 0.3.
        let curve = c.curve(None);
        assert!((curve[2] - 0.7).abs() < 1e-12 && (curve[3] - 0.6).abs() < 1e-12);
        assert!((curve[5] - 0.3).abs() < 1e-12, "{curve:?}");
        // Interpolated: from 0.6 at week 4 to 0.3 at week 5, 0.5 is reached 0.1/0.3 of the way.
        let mi = median(&curve).expect("reached");
        assert!((mi - (4.0 + 0.1 / 0.3)).abs() < 1e-12, "{mi}");
        let s = summarize(&c, &c, 8, 0.95);
        assert_eq!(s.median.value, Some(mi));
        let (lo, hi) = (s.median.lo.expect("lower limit"), s.median.hi);
        assert!(lo <= mi, "lower limit {lo} is at or before the median");
        assert!(
            hi.is_none_or(|h| h >= mi),
            "upper limit {hi:?} is at or after it"
        );
        // The lower limit is where the band's lower edge crosses 0.5, interpolated the same way.
        let lower: Vec<f64> = s.band.iter().map(|b| b.0).collect();
        let d = lower.iter().position(|&b| b <= 0.5).expect("crosses");
        let frac = (lower[d - 1] - 0.5) / (lower[d - 1] - lower[d]);
        assert!(
            (lo - (d as f64 - 1.0 + frac)).abs() < 1e-12,
            "{lo} vs {d} {frac}"
        );
    }

    #[test]
    fn hand_computed_curve_with_censoring() {
        // Durations: 2, 3 (censored), 3, 5, 6 (censored).
        // d=2: at risk 5, 1 event -> S = 0.8; d=3: at risk 4, 1 event (censored one stays at
        // risk at 3) -> 0.6; d=5: at risk 2, 1 event -> 0.3.
        let mut c = KmCounts::new(10);
        for (i, (d, cens)) in [(2, false), (3, true), (3, false), (5, false), (6, true)]
            .into_iter()
            .enumerate()
        {
            c.add(i as u64, d, cens);
        }
        let s = c.curve(None);
        assert!((s[1] - 1.0).abs() < 1e-12);
        assert!((s[2] - 0.8).abs() < 1e-12);
        assert!((s[3] - 0.6).abs() < 1e-12);
        assert!((s[4] - 0.6).abs() < 1e-12);
        assert!((s[5] - 0.3).abs() < 1e-12);
        assert!((s[6] - 0.3).abs() < 1e-12);
        // From 0.6 at week 4 to 0.3 at week 5: 0.5 is a third of the way.
        assert!((median(&s).expect("reached") - (4.0 + 1.0 / 3.0)).abs() < 1e-12);
        // RMST to 6: S(0..5) = 1 + 1 + 0.8 + 0.6 + 0.6 + 0.3 = 4.3
        assert!((rmst(&s, 6) - 4.3).abs() < 1e-12);
        assert_eq!(c.totals(), (5, 3));
    }

    #[test]
    fn identical_arms_differ_by_exactly_zero() {
        let mut c = KmCounts::new(20);
        for i in 0..200u64 {
            c.add(i, (i % 17) as u32 + 1, i % 5 == 0);
        }
        let (r, m) = paired_difference((&c, &c), (&c, &c), 10, 0.95);
        assert_eq!(r.value, Some(0.0));
        assert_eq!((r.lo, r.hi), (Some(0.0), Some(0.0)));
        assert_eq!(m.value, Some(0.0));
    }

    #[test]
    fn the_median_difference_and_its_interval_are_one_quantity() {
        // Arm a is arm b with every spell one week longer: its curve is b's shifted by a week, so
        // the interpolated median moves by exactly 1 on the full sample and in every
        // leave-one-group-out sample. A whole-week estimate with an interpolated interval (the
        // old rule) reported 0 or 1 with a band around a different number.
        let (mut a, mut b) = (KmCounts::new(40), KmCounts::new(40));
        for i in 0..400u64 {
            let d = (mix(i) % 23) as u32 + 2;
            b.add(i, d, i % 7 == 0);
            a.add(i, d + 1, i % 7 == 0);
        }
        let (_, m) = paired_difference((&a, &a), (&b, &b), 20, 0.95);
        let v = m.value.expect("estimable");
        assert!((v - 1.0).abs() < 1e-9, "{v}");
        let (lo, hi) = (m.lo.expect("lo"), m.hi.expect("hi"));
        assert!(
            (lo - 1.0).abs() < 1e-9 && (hi - 1.0).abs() < 1e-9,
            "[{lo}, {hi}]"
        );
        assert!(
            (v - (median(&a.curve(None)).expect("a") - median(&b.curve(None)).expect("b"))).abs()
                < 1e-12
        );
    }

    fn mix(i: u64) -> u64 {
        crate::model::rng::mix64(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1CE)
    }

    #[test]
    fn the_window_rmst_is_the_exact_mean_of_truncated_spells_that_start_early() {
        // Horizon 60, tau 20. Spells start anywhere; a late starter is censored at the horizon.
        // Only spells starting by week 40 count, each at min(length, 20), observed: the RMST is
        // their exact mean, whatever happens to the late starters.
        let (horizon, tau) = (60u32, 20u32);
        let mut w = KmCounts::new(horizon);
        let (mut sum, mut n) = (0u64, 0u64);
        for i in 0..2_000u64 {
            let start = (mix(i) % 60) as u32;
            let natural = (mix(i + 7_777) % 45) as u32 + 1;
            let length = natural.min(horizon - start);
            w.add_window(i, start, length, horizon, tau);
            if start + tau <= horizon {
                sum += u64::from(length.min(tau));
                n += 1;
            }
        }
        assert_eq!(w.totals(), (n, n), "every counted spell is observed");
        let exact = sum as f64 / n as f64;
        let s = summarize(&w, &w, tau, 0.95);
        let r = s.rmst.value.expect("rmst");
        assert!((r - exact).abs() < 1e-9, "{r} vs {exact}");
        assert_eq!(s.rmst_n, n);
    }

    #[test]
    fn median_not_reached_is_none() {
        let mut c = KmCounts::new(10);
        c.add(0, 3, false);
        c.add(1, 10, true);
        c.add(2, 10, true);
        assert_eq!(median(&c.curve(None)), None);
    }
}
