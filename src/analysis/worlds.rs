//! Effects across plausible worlds (issue 15): a two-level (nested) design in which each of W
//! worlds draws its uncertain parameters, and R paired replicates of every arm run in each world.
//!
//! For one metric and one intervention, world i yields a per-world effect `d_i` (the mean of its R
//! paired differences) with Monte-Carlo variance `v_i = s_i^2 / R`. Then:
//! - **The mean effect over worlds** is `m = mean(d_i)`, with the interval
//!   `m ± t(0.975, W-1) · sd(d) / sqrt(W)`. With the same R in every world and independent
//!   replicates, `Var(d_i) = τ² + σ²_w / R` already holds both the between-world variance τ² and the
//!   within-world noise, so this one interval covers both (the standard estimator of a balanced
//!   two-stage design: the mean of cluster means).
//! - **The spread of per-world effects** is reported after removing the Monte-Carlo noise that each
//!   `d_i` carries. τ² is estimated by moments, `τ̂² = max(0, var(d) - mean(v_i))`, and each `d_i` is
//!   shrunk towards `m` by `sqrt(τ̂² / var(d))`. The shrunk values have the ensemble's mean and
//!   variance τ̂², the "constrained Bayes" estimator of a normal-means problem (Louis 1984; Ghosh
//!   1992). Their 5% and 95% quantiles are the spread. When τ̂² is 0 (no spread beyond the noise)
//!   every world is shrunk to `m` and the spread is a single point.
//! - **P(effect > 0)** is the mean over worlds of each world's posterior probability that its
//!   effect is positive under the same normal-normal model: θ_i | d_i ~ N(m + B_i (d_i - m),
//!   B_i v_i + (1 - B_i)² var(d) / W), with B_i = τ̂² / (τ̂² + v_i). Averaged over worlds it
//!   estimates the share of worlds with a positive effect (the law of total probability), and it
//!   also carries the uncertainty of `m`: with no detectable spread it is Φ(m / se(m)), not 0 or 1.
//! - The noise share is `mean(v_i) / var(d)`: the part of the raw spread that is simulation noise.

use super::stats::{normal_cdf, t_quantile};

/// One world's effect: the mean paired difference and its Monte-Carlo variance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorldEffect {
    /// Mean paired difference (arm minus baseline) over the world's replicates.
    pub d: f64,
    /// Its Monte-Carlo variance (variance of the differences / replicates).
    pub noise: f64,
}

/// The effect of one intervention on one metric across worlds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AcrossWorlds {
    /// Worlds.
    pub worlds: usize,
    /// Mean effect over worlds.
    pub mean: f64,
    /// 95% interval of the mean effect, covering between-world and within-world variance.
    pub ci: Option<(f64, f64)>,
    /// 5% and 95% quantiles of the per-world effects, Monte-Carlo noise removed.
    pub spread: Option<(f64, f64)>,
    /// Share of worlds where the effect is above zero, noise removed (mean posterior probability).
    pub p_positive: Option<f64>,
    /// Share of worlds where the effect is below zero, noise removed (mean posterior probability).
    pub p_negative: Option<f64>,
    /// The same share from the raw per-world effects (noise not removed), for comparison.
    pub p_positive_raw: Option<f64>,
    /// Share of the raw variance of per-world effects that is Monte-Carlo noise, in [0, 1].
    pub noise_share: Option<f64>,
    /// Estimated between-world standard deviation of the effect (τ̂).
    pub tau: Option<f64>,
}

/// The `q`-quantile of sorted values (linear interpolation between order statistics, the
/// "type 7" rule of R and NumPy's default).
pub fn quantile_sorted(v: &[f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let h = (v.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    let hi = (lo + 1).min(v.len() - 1);
    Some(v[lo] + frac * (v[hi] - v[lo]))
}

/// The moments of a set of per-world effects and their constrained-Bayes shrinkage.
struct Deconvolved {
    /// Mean effect `m`.
    mean: f64,
    /// Raw variance of the per-world effects (W - 1 denominator).
    var: f64,
    /// Mean Monte-Carlo variance of a per-world effect.
    noise: f64,
    /// Between-world variance, `max(0, var - noise)`.
    tau2: f64,
    /// The effects shrunk towards `m` by `sqrt(tau2 / var)`: mean `m`, variance `tau2`.
    shrunk: Vec<f64>,
}

/// See [`Deconvolved`]; `None` with fewer than 2 worlds.
fn deconvolve(effects: &[WorldEffect]) -> Option<Deconvolved> {
    let w = effects.len();
    if w < 2 {
        return None;
    }
    let mean = effects.iter().map(|e| e.d).sum::<f64>() / w as f64;
    let var = effects.iter().map(|e| (e.d - mean).powi(2)).sum::<f64>() / (w - 1) as f64;
    let noise = effects.iter().map(|e| e.noise).sum::<f64>() / w as f64;
    let tau2 = (var - noise).max(0.0);
    let a = if var > 0.0 { (tau2 / var).sqrt() } else { 0.0 };
    let shrunk = effects.iter().map(|e| mean + a * (e.d - mean)).collect();
    Some(Deconvolved {
        mean,
        var,
        noise,
        tau2,
        shrunk,
    })
}

/// A world's empirical-Bayes weight `B = τ̂² / (τ̂² + v)` and posterior mean `m + B (d - m)`.
fn posterior(e: &WorldEffect, mean: f64, tau2: f64) -> (f64, f64) {
    let b = if tau2 + e.noise > 0.0 {
        tau2 / (tau2 + e.noise)
    } else {
        1.0
    };
    (b, mean + b * (e.d - mean))
}

/// Summarises per-world effects (see the module documentation for the estimators).
pub fn across(effects: &[WorldEffect]) -> AcrossWorlds {
    let w = effects.len();
    let share_positive = |v: &[f64]| v.iter().filter(|&&x| x > 0.0).count() as f64 / v.len() as f64;
    let raw: Vec<f64> = effects.iter().map(|e| e.d).collect();
    let Some(Deconvolved {
        mean,
        var,
        noise,
        tau2,
        mut shrunk,
    }) = deconvolve(effects)
    else {
        return AcrossWorlds {
            worlds: w,
            mean: if w == 0 { f64::NAN } else { raw[0] },
            ci: None,
            spread: None,
            p_positive: None,
            p_negative: None,
            p_positive_raw: (w > 0).then(|| share_positive(&raw)),
            noise_share: None,
            tau: None,
        };
    };
    let se_m2 = var / w as f64;
    let half = t_quantile(0.975, (w - 1) as f64) * se_m2.sqrt();
    let (mut pos, mut neg) = (0.0, 0.0);
    for e in effects {
        let (b, mu) = posterior(e, mean, tau2);
        let sd = (b * e.noise + (1.0 - b) * (1.0 - b) * se_m2).sqrt();
        if sd > 0.0 {
            pos += normal_cdf(mu / sd);
            neg += normal_cdf(-mu / sd);
        } else {
            pos += f64::from(u8::from(mu > 0.0));
            neg += f64::from(u8::from(mu < 0.0));
        }
    }
    shrunk.sort_by(f64::total_cmp);
    AcrossWorlds {
        worlds: w,
        mean,
        ci: Some((mean - half, mean + half)),
        spread: quantile_sorted(&shrunk, 0.05).zip(quantile_sorted(&shrunk, 0.95)),
        p_positive: Some(pos / w as f64),
        p_negative: Some(neg / w as f64),
        p_positive_raw: Some(share_positive(&raw)),
        noise_share: Some(if var > 0.0 {
            (noise / var).min(1.0)
        } else {
            0.0
        }),
        tau: Some(tau2.sqrt()),
    }
}

/// Each world's empirical-Bayes posterior mean effect, `m + B_i (d_i - m)` with
/// `B_i = τ̂² / (τ̂² + v_i)` (the per-world effects with their own noise shrunk away); the raw
/// effects when there are fewer than two worlds.
pub fn posterior_means(effects: &[WorldEffect]) -> Vec<f64> {
    let Some(d) = deconvolve(effects) else {
        return effects.iter().map(|e| e.d).collect();
    };
    effects
        .iter()
        .map(|e| posterior(e, d.mean, d.tau2).1)
        .collect()
}

/// Per option, how often it is the best over worlds and the expected regret of choosing it:
/// `values[option][world]` is an effect where higher is better (negate one where lower is
/// better). A tie for the best splits the world between the tied options.
pub fn ranks(values: &[Vec<f64>]) -> Vec<(f64, f64)> {
    let worlds = values.iter().map(Vec::len).min().unwrap_or(0);
    let mut best = vec![0.0; values.len()];
    let mut regret = vec![0.0; values.len()];
    for w in 0..worlds {
        let top = values
            .iter()
            .map(|v| v[w])
            .fold(f64::NEG_INFINITY, f64::max);
        let tied = values.iter().filter(|v| v[w] == top).count() as f64;
        for (k, v) in values.iter().enumerate() {
            if v[w] == top {
                best[k] += 1.0 / tied;
            }
            regret[k] += top - v[w];
        }
    }
    let n = worlds.max(1) as f64;
    best.iter()
        .zip(&regret)
        .map(|(b, r)| (b / n, r / n))
        .collect()
}

/// How much of the spread of per-world effects one group of inputs (a claim, or one parameter)
/// accounts for.
#[derive(Clone, Debug, PartialEq)]
pub struct Driver {
    /// The group: a claim id or tag, or a parameter path.
    pub group: String,
    /// Share of the variance of per-world effects explained: the sum over the group's inputs of
    /// their squared correlation with the effect (first-order, for the nearly uncorrelated inputs
    /// of a Latin hypercube).
    pub share: f64,
    /// 95% bootstrap interval of the share (worlds resampled).
    pub ci: (f64, f64),
}

fn correlation2(x: &[f64], y: &[f64], idx: &[usize]) -> f64 {
    let n = idx.len() as f64;
    let (mx, my) = (
        idx.iter().map(|&i| x[i]).sum::<f64>() / n,
        idx.iter().map(|&i| y[i]).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &i in idx {
        let (a, b) = (x[i] - mx, y[i] - my);
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if sxx > 0.0 && syy > 0.0 {
        sxy * sxy / (sxx * syy)
    } else {
        0.0
    }
}

/// The drivers of per-world effects `d` (one per world) among inputs whose design positions are
/// `u[k][world]`, grouped by `groups[k]`, sorted by share, largest first. Squared correlations
/// summed per group, with 95% percentile intervals from `boot` bootstrap resamples of the worlds
/// (seeded, so the result is reproducible). A share below the noise floor is expected even for an
/// input with no effect: about one over the number of worlds per input.
pub fn drivers(
    d: &[f64],
    u: &[Vec<f64>],
    groups: &[String],
    boot: usize,
    seed: u64,
) -> Vec<Driver> {
    let w = d.len();
    let mut names: Vec<&str> = groups.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let shares = |idx: &[usize]| -> Vec<f64> {
        let mut by = vec![0.0; names.len()];
        for (k, g) in groups.iter().enumerate() {
            if let Ok(j) = names.binary_search(&g.as_str()) {
                by[j] += correlation2(&u[k], d, idx);
            }
        }
        by
    };
    let all: Vec<usize> = (0..w).collect();
    let point = shares(&all);
    let mut rng = crate::model::rng::Sequence::new(crate::model::rng::mix64(seed ^ 0xD21E));
    let mut reps: Vec<Vec<f64>> = vec![Vec::with_capacity(boot); names.len()];
    for _ in 0..boot {
        let idx: Vec<usize> = (0..w)
            .map(|_| ((rng.uniform() * w as f64) as usize).min(w.saturating_sub(1)))
            .collect();
        for (j, x) in shares(&idx).into_iter().enumerate() {
            reps[j].push(x);
        }
    }
    let mut out: Vec<Driver> = names
        .iter()
        .enumerate()
        .map(|(j, g)| {
            let r = &mut reps[j];
            r.sort_by(f64::total_cmp);
            Driver {
                group: (*g).to_string(),
                share: point[j],
                ci: (
                    quantile_sorted(r, 0.025).unwrap_or(f64::NAN),
                    quantile_sorted(r, 0.975).unwrap_or(f64::NAN),
                ),
            }
        })
        .collect();
    // A sum of squared correlations can exceed 1 by chance with few worlds per input; a share of
    // a variance cannot.
    for d in &mut out {
        d.share = d.share.min(1.0);
        d.ci = (d.ci.0.min(1.0), d.ci.1.min(1.0));
    }
    out.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.group.cmp(&b.group)));
    out
}

/// Fewest worlds for which drivers are attributed at all.
pub const MIN_DRIVER_WORLDS: usize = 100;

/// The leading driver, named only when its interval separates from every other: its lower bound
/// above the next one's upper bound.
pub fn leading(ds: &[Driver]) -> Option<&Driver> {
    match ds {
        [first, second, ..] if first.ci.0 > second.ci.1 => Some(first),
        [only] => Some(only),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::stats::normal_cdf;
    use crate::model::rng::{Sequence, normal_quantile, open_unit};

    fn normal(s: &mut Sequence) -> f64 {
        normal_quantile(open_unit(s.uniform()))
    }

    /// Worlds with true effects θ_i ~ N(mu, tau²) observed through R replicates of noise sd sigma.
    fn simulate(w: usize, r: f64, mu: f64, tau: f64, sigma: f64, seed: u64) -> Vec<WorldEffect> {
        let mut s = Sequence::new(seed);
        (0..w)
            .map(|_| {
                let theta = mu + tau * normal(&mut s);
                let noise = sigma * sigma / r;
                WorldEffect {
                    d: theta + noise.sqrt() * normal(&mut s),
                    noise,
                }
            })
            .collect()
    }

    /// The noise correction recovers P(effect > 0) and the 5-95% spread of the true effects at
    /// R = 20 (noise sd 2.2 times tau) and at R = 200, where the raw shares are visibly wrong.
    /// Tolerances: with W = 20,000 the sampling sd of a share near 0.95 is 0.0015, and of τ̂ about
    /// 3% (sd of a variance estimate, sqrt(2 / W) of it, over τ² = 1/6 of the raw variance at
    /// R = 20), which moves P by about 0.005 and the quantiles by about 0.001; four times both.
    #[test]
    fn the_noise_correction_recovers_p_and_spread_at_small_and_large_r() {
        let (mu, tau, sigma) = (0.05, 0.03, 0.3);
        let truth_p = normal_cdf(mu / tau);
        let truth_q = (mu - 1.644_853_6 * tau, mu + 1.644_853_6 * tau);
        for (r, seed) in [(20.0, 1), (200.0, 2)] {
            let a = across(&simulate(20_000, r, mu, tau, sigma, seed));
            let p = a.p_positive.expect("p");
            assert!((p - truth_p).abs() < 0.026, "R = {r}: P {p} vs {truth_p}");
            let (lo, hi) = a.spread.expect("spread");
            assert!(
                (lo - truth_q.0).abs() < 0.006,
                "R = {r}: 5% {lo} vs {}",
                truth_q.0
            );
            assert!(
                (hi - truth_q.1).abs() < 0.006,
                "R = {r}: 95% {hi} vs {}",
                truth_q.1
            );
            let raw = a.p_positive_raw.expect("raw");
            let raw_truth = normal_cdf(mu / (tau * tau + sigma * sigma / r).sqrt());
            assert!(
                (raw - raw_truth).abs() < 0.01,
                "the raw share is biased as predicted"
            );
            if r == 20.0 {
                assert!(
                    truth_p - raw > 0.15,
                    "at R = 20 the raw share is far off: {raw}"
                );
            }
            let share = a.noise_share.expect("share");
            let want = sigma * sigma / r / (tau * tau + sigma * sigma / r);
            assert!((share - want).abs() < 0.03, "noise share {share} vs {want}");
        }
    }

    /// The interval of the mean effect covers the true mean at its nominal 95% rate: 2,000 small
    /// studies (W = 30, R = 50) at fixed seeds. The count of misses is binomial(2000, 0.05): mean
    /// 100, sd 9.7; the bounds are 4 sd.
    #[test]
    fn the_mean_effect_interval_covers_at_its_nominal_rate() {
        let (mu, tau, sigma) = (0.1, 0.05, 0.4);
        let misses = (0..2_000u64)
            .filter(|&k| {
                let a = across(&simulate(30, 50.0, mu, tau, sigma, 1_000 + k));
                let (lo, hi) = a.ci.expect("ci");
                !(lo <= mu && mu <= hi)
            })
            .count();
        assert!((61..=139).contains(&misses), "{misses} misses of 2000");
    }

    #[test]
    fn pure_noise_has_no_spread_and_one_world_has_no_interval() {
        let e: Vec<WorldEffect> = simulate(5_000, 10.0, 0.0, 0.0, 0.3, 9);
        let a = across(&e);
        let (lo, hi) = a.spread.expect("spread");
        assert!(hi - lo < 0.01, "{lo} {hi}");
        assert!(a.noise_share.expect("share") > 0.9);
        // No spread beyond the noise: P(effect > 0) is the probability that the mean is positive,
        // about one half for a zero effect, never a certain 0 or 1.
        let p = a.p_positive.expect("p");
        assert!(p > 0.02 && p < 0.98, "{p}");
        let one = across(&e[..1]);
        assert!(one.ci.is_none() && one.spread.is_none());
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0], 0.5), Some(2.0));
        assert_eq!(quantile_sorted(&[1.0, 3.0], 0.25), Some(1.5));
    }

    /// A known answer: the effect depends strongly on input 0 (claim "A"), weakly on input 1
    /// ("B") and not at all on inputs 2-3 ("C"); the drivers rank A first and name it, and C's
    /// share stays near its noise floor of about 2 / W.
    #[test]
    fn drivers_find_the_input_that_moves_the_effect() {
        let w = 400;
        let mut s = Sequence::new(5);
        let u: Vec<Vec<f64>> = (0..4)
            .map(|_| (0..w).map(|_| s.uniform()).collect())
            .collect();
        let d: Vec<f64> = (0..w)
            .map(|i| 1.0 * u[0][i] + 0.3 * u[1][i] + 0.1 * normal(&mut s))
            .collect();
        let groups = ["A", "B", "C", "C"].map(String::from);
        let ds = drivers(&d, &u, &groups, 200, 1);
        assert_eq!(ds[0].group, "A");
        // Var(u) = 1/12: A explains 1/(1 + 0.09 + 0.12) of the variance, about 0.83.
        assert!((ds[0].share - 0.83).abs() < 0.06, "{:?}", ds[0]);
        assert_eq!(leading(&ds).map(|d| d.group.as_str()), Some("A"));
        let c = ds.iter().find(|d| d.group == "C").expect("C");
        assert!(c.share < 0.03, "{c:?}");
        // With two equal drivers none is named.
        let d2: Vec<f64> = (0..w).map(|i| u[0][i] + u[1][i]).collect();
        assert!(leading(&drivers(&d2, &u, &groups, 200, 2)).is_none());
    }

    #[test]
    fn ranks_count_best_worlds_and_regret() {
        let values = vec![vec![1.0, 0.0, 2.0, 1.0], vec![0.0, 1.0, 1.0, 1.0]];
        let r = ranks(&values);
        // Option 0 is best in worlds 0 and 2, ties in world 3; option 1 in world 1.
        assert_eq!(r[0], (2.5 / 4.0, 1.0 / 4.0));
        assert_eq!(r[1], (1.5 / 4.0, 2.0 / 4.0));
        let e = [
            WorldEffect { d: 1.0, noise: 0.0 },
            WorldEffect { d: 3.0, noise: 0.0 },
        ];
        assert_eq!(
            posterior_means(&e),
            vec![1.0, 3.0],
            "no noise: nothing to shrink"
        );
    }
}
