//! Sensitivity estimators: Sobol first-order and total indices (Saltelli 2010; Jansen 1999) and
//! Morris elementary effects (Morris 1991; mu* of Campolongo et al. 2007), with bootstrap
//! intervals over the design's rows, and PRIM boxes (Friedman & Fisher 1999).

use crate::model::rng::{Sequence, mix64};

/// Bootstrap resamples for every interval here.
pub const BOOTSTRAP: usize = 500;

/// An estimate with a 95% interval that covers both the design's rows (a percentile bootstrap)
/// and the simulation noise the rows share ([`with_noise`]), and the standard errors of both.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Boot {
    /// Estimate on the full sample.
    pub value: f64,
    /// Lower limit: the 2.5% bootstrap percentile, widened by the shared noise.
    pub lo: f64,
    /// Upper limit: the 97.5% percentile, widened likewise.
    pub hi: f64,
    /// Standard error: bootstrap and shared noise combined.
    pub se: f64,
    /// The shared-noise part of `se` (0 when no noise estimate was given).
    pub noise_se: f64,
}

fn percentile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// Bootstraps `stat` over `n` rows (`stat` gets the row indices of a resample).
pub fn bootstrap(n: usize, seed: u64, stat: impl Fn(&[usize]) -> Vec<f64>) -> Vec<Boot> {
    let all: Vec<usize> = (0..n).collect();
    let full = stat(&all);
    let mut rng = Sequence::new(mix64(seed ^ 0xB007));
    let mut draws: Vec<Vec<f64>> = vec![Vec::with_capacity(BOOTSTRAP); full.len()];
    let mut idx = vec![0usize; n];
    for _ in 0..BOOTSTRAP {
        for x in idx.iter_mut() {
            *x = ((rng.uniform() * n as f64) as usize).min(n - 1);
        }
        for (k, v) in stat(&idx).into_iter().enumerate() {
            draws[k].push(v);
        }
    }
    full.iter()
        .zip(draws.iter_mut())
        .map(|(&value, d)| {
            let m = d.iter().sum::<f64>() / d.len() as f64;
            let se = (d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (d.len() - 1) as f64).sqrt();
            Boot {
                value,
                lo: percentile(d, 0.025),
                hi: percentile(d, 0.975),
                se,
                noise_se: 0.0,
            }
        })
        .collect()
}

/// Widens bootstrap intervals over a design's rows by the simulation noise the rows share.
///
/// A row bootstrap holds every point's noise fixed, but every point of a study runs on the same
/// seed: replicate r uses the same random streams at every point, so their noise is correlated
/// and moves the whole study's estimate together. A row bootstrap cannot see that part, and
/// was 1.6–2.3 times too narrow against repeated studies under other seeds. `loo[g]` is the
/// statistic recomputed on every row with replicate group g left out at every point at once
/// (`Point::loo`); their delete-a-group jackknife variance, `(G - 1)/G Σ (θ_g - θ̄)²`, estimates
/// the shared-noise variance, and is added to the bootstrap's in quadrature: half-widths
/// `sqrt(h_boot² + (t_{0.975, G-1} se_noise)²)` on each side. Statistics not finite under some
/// group use the groups where they are.
pub fn with_noise(boot: Vec<Boot>, loo: &[Vec<f64>]) -> Vec<Boot> {
    if loo.len() < 2 {
        return boot;
    }
    let t = crate::analysis::stats::t_quantile(0.975, loo.len() as f64 - 1.0);
    boot.into_iter()
        .enumerate()
        .map(|(j, b)| {
            let v: Vec<f64> = loo
                .iter()
                .filter_map(|l| l.get(j).copied())
                .filter(|x| x.is_finite())
                .collect();
            if v.len() < 2 {
                return b;
            }
            let g = v.len() as f64;
            let m = v.iter().sum::<f64>() / g;
            let noise = ((g - 1.0) / g * v.iter().map(|x| (x - m).powi(2)).sum::<f64>()).sqrt();
            let h = t * noise;
            Boot {
                value: b.value,
                lo: b.value - (b.value - b.lo).hypot(h),
                hi: b.value + (b.hi - b.value).hypot(h),
                se: b.se.hypot(noise),
                noise_se: noise,
            }
        })
        .collect()
}

/// Indices of every input with bootstrap intervals, and the sums of each group's indices (a
/// group: the inputs that encode one claim) computed within the same resamples, so their
/// intervals account for the inputs' shared rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Indices {
    /// Sobol: first-order index; Morris: mu*.
    pub first: Vec<Boot>,
    /// Sobol: total index; Morris: sigma.
    pub second: Vec<Boot>,
    /// Per group: sum of `first` over its inputs.
    pub group_first: Vec<Boot>,
    /// Per group: sum of `second` over its inputs (Sobol only; for Morris, sums of sigma mean
    /// nothing and are left as the sums of mu* too).
    pub group_second: Vec<Boot>,
}

fn with_groups(per_input: Vec<f64>, d: usize, groups: &[Vec<usize>], morris: bool) -> Vec<f64> {
    let mut out = per_input;
    for second in [false, true] {
        for g in groups {
            let off = if second && !morris { d } else { 0 };
            let v = g.iter().map(|&i| out[off + i]).sum();
            out.push(v);
        }
    }
    out
}

fn split(all: Vec<Boot>, d: usize, groups: usize) -> Indices {
    Indices {
        first: all[..d].to_vec(),
        second: all[d..2 * d].to_vec(),
        group_first: all[2 * d..2 * d + groups].to_vec(),
        group_second: all[2 * d + groups..].to_vec(),
    }
}

/// Sobol indices from the outputs on A, B and each A_B^(i) (rows aligned): first-order by
/// Saltelli (2010), `S_i = mean((f_B - f0) (f_ABi - f_A)) / V` with f_B centred on the mean f0, total by Jansen (1999),
/// `ST_i = mean((f_A - f_ABi)^2) / (2V)`, with V the variance of f over A and B; each with a
/// bootstrap interval over rows widened by the shared noise (`noise[g]`: the outputs with replicate
/// group g left out at every point, [`with_noise`]), and the sums over `groups` of inputs.
pub fn sobol(data: &SobolData, groups: &[Vec<usize>], seed: u64, noise: &[SobolData]) -> Indices {
    let d = data.fab.len();
    let all: Vec<usize> = (0..data.fa.len()).collect();
    let boot = bootstrap(data.fa.len(), seed, |rows| sobol_stat(data, groups, rows));
    let loo: Vec<Vec<f64>> = noise.iter().map(|n| sobol_stat(n, groups, &all)).collect();
    split(with_noise(boot, &loo), d, groups.len())
}

/// The outputs of a Sobol design on A, B and each A_B^(i), rows aligned.
#[derive(Clone, Debug, Default)]
pub struct SobolData {
    /// On A.
    pub fa: Vec<f64>,
    /// On B.
    pub fb: Vec<f64>,
    /// On A_B^(i), per input i.
    pub fab: Vec<Vec<f64>>,
}

fn sobol_stat(data: &SobolData, groups: &[Vec<usize>], rows: &[usize]) -> Vec<f64> {
    let (fa, fb, fab) = (&data.fa, &data.fb, &data.fab);
    let d = fab.len();
    let m = rows.len() as f64;
    let mean = rows.iter().map(|&j| fa[j] + fb[j]).sum::<f64>() / (2.0 * m);
    let var = rows
        .iter()
        .map(|&j| (fa[j] - mean).powi(2) + (fb[j] - mean).powi(2))
        .sum::<f64>()
        / (2.0 * m - 1.0);
    let mut out = Vec::with_capacity(2 * d);
    for f in fab {
        // f_B centred on the resample's mean: the same expectation, far less variance when
        // the output's mean is large against its spread.
        out.push(if var > 0.0 {
            rows.iter()
                .map(|&j| (fb[j] - mean) * (f[j] - fa[j]))
                .sum::<f64>()
                / m
                / var
        } else {
            0.0
        });
    }
    for f in fab {
        out.push(if var > 0.0 {
            rows.iter().map(|&j| (fa[j] - f[j]).powi(2)).sum::<f64>() / (2.0 * m) / var
        } else {
            0.0
        });
    }
    with_groups(out, d, groups, false)
}

/// Variance of the outputs over A and B (the denominator of the Sobol indices).
pub fn sobol_variance(fa: &[f64], fb: &[f64]) -> f64 {
    let m = fa.len() as f64;
    let mean = fa.iter().chain(fb).sum::<f64>() / (2.0 * m);
    fa.iter().chain(fb).map(|x| (x - mean).powi(2)).sum::<f64>() / (2.0 * m - 1.0).max(1.0)
}

/// Morris statistics from elementary effects `ee[t][i]` (trajectory t, input i): mu* (mean of
/// absolute effects) and sigma (their standard deviation), with bootstrap intervals over
/// trajectories widened by the shared noise (`noise[g]`: the effects with replicate group g left
/// out at every point, [`with_noise`]), and the sums of mu* over `groups` of inputs.
pub fn morris(
    ee: &[Vec<f64>],
    groups: &[Vec<usize>],
    seed: u64,
    noise: &[Vec<Vec<f64>>],
) -> Indices {
    let d = ee.first().map_or(0, Vec::len);
    let all: Vec<usize> = (0..ee.len()).collect();
    let boot = bootstrap(ee.len(), seed, |rows| morris_stat(ee, d, groups, rows));
    let loo: Vec<Vec<f64>> = noise
        .iter()
        .map(|n| morris_stat(n, d, groups, &all))
        .collect();
    split(with_noise(boot, &loo), d, groups.len())
}

fn morris_stat(ee: &[Vec<f64>], d: usize, groups: &[Vec<usize>], rows: &[usize]) -> Vec<f64> {
    let m = rows.len() as f64;
    let col = |i: usize| rows.iter().map(move |&t| ee[t][i]);
    let mut out: Vec<f64> = (0..d)
        .map(|i| col(i).map(f64::abs).sum::<f64>() / m)
        .collect();
    out.extend((0..d).map(|i| {
        let mean = col(i).sum::<f64>() / m;
        (col(i).map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0).max(1.0)).sqrt()
    }));
    with_groups(out, d, groups, true)
}

/// A box: per dimension [lo, hi] on the unit scale.
pub type Bounds = Vec<(f64, f64)>;

/// One step of PRIM's peeling trajectory.
#[derive(Clone, Debug, PartialEq)]
pub struct PrimStep {
    /// The box.
    pub bounds: Bounds,
    /// Share of all cases of interest inside the box.
    pub coverage: f64,
    /// Share of points inside the box that are cases of interest.
    pub density: f64,
    /// Points inside the box.
    pub support: usize,
}

/// PRIM peeling (Friedman & Fisher 1999): repeatedly cut off the `alpha` share of points at one
/// end of one dimension, choosing the cut that raises the density most, until fewer than
/// `min_support` points remain. Points are on the unit scale; `y` marks cases of interest.
// Indexing by dimension reads more plainly than zipping columns out of row-major points.
#[allow(clippy::needless_range_loop)]
pub fn prim(points: &[Vec<f64>], y: &[bool], alpha: f64, min_support: usize) -> Vec<PrimStep> {
    let d = points.first().map_or(0, Vec::len);
    let total_cases = y.iter().filter(|&&c| c).count().max(1) as f64;
    let mut inside: Vec<usize> = (0..points.len()).collect();
    let mut bounds: Bounds = vec![(0.0, 1.0); d];
    let step = |inside: &[usize], bounds: &Bounds| {
        let cases = inside.iter().filter(|&&i| y[i]).count() as f64;
        PrimStep {
            bounds: bounds.clone(),
            coverage: cases / total_cases,
            density: cases / inside.len().max(1) as f64,
            support: inside.len(),
        }
    };
    let mut traj = vec![step(&inside, &bounds)];
    loop {
        let n = inside.len();
        let cut = ((alpha * n as f64).ceil() as usize).max(1);
        if n <= min_support || n - cut < min_support {
            break;
        }
        let mut best: Option<(f64, usize, bool, f64)> = None;
        for k in 0..d {
            let mut vals: Vec<f64> = inside.iter().map(|&i| points[i][k]).collect();
            vals.sort_by(f64::total_cmp);
            for low in [true, false] {
                let limit = if low { vals[cut - 1] } else { vals[n - cut] };
                let kept: Vec<usize> = inside
                    .iter()
                    .copied()
                    .filter(|&i| {
                        if low {
                            points[i][k] > limit
                        } else {
                            points[i][k] < limit
                        }
                    })
                    .collect();
                if kept.len() < min_support || kept.len() == n {
                    continue;
                }
                let dens = kept.iter().filter(|&&i| y[i]).count() as f64 / kept.len() as f64;
                if best.is_none_or(|b| dens > b.0) {
                    best = Some((dens, k, low, limit));
                }
            }
        }
        let Some((_, k, low, limit)) = best else {
            break;
        };
        inside.retain(|&i| {
            if low {
                points[i][k] > limit
            } else {
                points[i][k] < limit
            }
        });
        if low {
            bounds[k].0 = limit;
        } else {
            bounds[k].1 = limit;
        }
        traj.push(step(&inside, &bounds));
    }
    traj
}

/// The box PRIM reports: the densest step whose coverage is at least `min_coverage`.
pub fn choose(traj: &[PrimStep], min_coverage: f64) -> usize {
    traj.iter()
        .enumerate()
        .filter(|(_, s)| s.coverage >= min_coverage)
        .max_by(|a, b| a.1.density.total_cmp(&b.1.density).then(b.0.cmp(&a.0)))
        .map_or(0, |(i, _)| i)
}

/// Whether a unit-scale point lies in a box (open at peeled ends, as PRIM peels).
pub fn inside(x: &[f64], b: &Bounds) -> bool {
    x.iter()
        .zip(b)
        .all(|(&v, &(lo, hi))| (lo <= 0.0 || v > lo) && (hi >= 1.0 || v < hi))
}

/// Coverage, density and support of a box.
pub fn box_stats(points: &[Vec<f64>], y: &[bool], b: &Bounds) -> PrimStep {
    let total_cases = y.iter().filter(|&&c| c).count().max(1) as f64;
    let (mut n, mut cases) = (0usize, 0usize);
    for (x, &c) in points.iter().zip(y) {
        if inside(x, b) {
            n += 1;
            cases += usize::from(c);
        }
    }
    PrimStep {
        bounds: b.clone(),
        coverage: cases as f64 / total_cases,
        density: cases as f64 / n.max(1) as f64,
        support: n,
    }
}

/// Binomial upper tail P(X >= k) for X ~ Bin(n, p).
fn binomial_sf(k: usize, n: usize, p: f64) -> f64 {
    if k == 0 {
        1.0
    } else if k > n {
        0.0
    } else {
        crate::analysis::stats::inc_beta(k as f64, (n - k + 1) as f64, p.clamp(0.0, 1.0))
    }
}

/// Quasi-p-values of a box's restrictions (as in the EMA Workbench): for each restricted
/// dimension, the one-sided binomial probability of at least the box's cases among its points
/// if the cases were spread at the density of the box with that restriction removed. A large
/// value: the restriction adds little. Returns (dimension, p) for restricted dimensions.
pub fn quasi_p_values(points: &[Vec<f64>], y: &[bool], b: &Bounds) -> Vec<(usize, f64)> {
    let full = box_stats(points, y, b);
    let cases = (full.density * full.support as f64).round() as usize;
    (0..b.len())
        .filter(|&k| b[k].0 > 0.0 || b[k].1 < 1.0)
        .map(|k| {
            let mut relaxed = b.clone();
            relaxed[k] = (0.0, 1.0);
            let r = box_stats(points, y, &relaxed);
            (k, binomial_sf(cases, full.support, r.density))
        })
        .collect()
}

/// Drops a box's restrictions whose quasi-p-value exceeds `alpha`, the least significant first,
/// re-testing the rest after each drop; the box left restricts only dimensions that matter.
pub fn simplify(points: &[Vec<f64>], y: &[bool], b: &Bounds, alpha: f64) -> Bounds {
    let mut b = b.clone();
    loop {
        let ps = quasi_p_values(points, y, &b);
        match ps
            .into_iter()
            .filter(|p| p.1 > alpha)
            .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)))
        {
            Some((k, _)) => b[k] = (0.0, 1.0),
            None => return b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::design;
    use super::*;
    use std::f64::consts::PI;

    fn ishigami(x: &[f64]) -> f64 {
        let (a, b) = (7.0, 0.1);
        let v: Vec<f64> = x.iter().map(|u| -PI + 2.0 * PI * u).collect();
        v[0].sin() + a * v[1].sin().powi(2) + b * v[2].powi(4) * v[0].sin()
    }

    #[test]
    fn sobol_reproduces_the_ishigami_indices() {
        // Analytic values for a = 7, b = 0.1: S1 = 0.3139, S2 = 0.4424, S3 = 0, ST3 = 0.2437.
        // Tolerance: 4 bootstrap standard errors of each estimate, which shrink as 1/sqrt(N).
        let n = 20_000;
        let (a, b, ab) = design::saltelli(n, 3, 11);
        let fa: Vec<f64> = a.iter().map(|x| ishigami(x)).collect();
        let fb: Vec<f64> = b.iter().map(|x| ishigami(x)).collect();
        let fab: Vec<Vec<f64>> = ab
            .iter()
            .map(|m| m.iter().map(|x| ishigami(x)).collect())
            .collect();
        let data = SobolData { fa, fb, fab };
        let ix = sobol(&data, &[vec![0, 2]], 1, &[]);
        let (s1, st) = (&ix.first, &ix.second);
        // The group {x1, x3}: its summed first-order indices are S1 + S3.
        assert!((ix.group_first[0].value - s1[0].value - s1[2].value).abs() < 1e-12);
        for (est, truth, what) in [
            (s1[0], 0.3139, "S1"),
            (s1[1], 0.4424, "S2"),
            (s1[2], 0.0, "S3"),
            (st[2], 0.2437, "ST3"),
        ] {
            assert!(
                est.se < 0.02,
                "{what}: standard error {} too large to test",
                est.se
            );
            assert!(
                (est.value - truth).abs() <= 4.0 * est.se,
                "{what}: {} vs {truth} (se {})",
                est.value,
                est.se
            );
            assert!(est.lo <= truth + 4.0 * est.se && truth - 4.0 * est.se <= est.hi);
        }
    }

    /// One synthetic Sobol study of `y = a1 x1 + 0.5 x2` in which replicate r adds `u_r x1 +
    /// 0.3 e_{r,p}` at every point p: `u_r` is shared by all points (one seed per study, as in
    /// negsim), `e` is the points' own noise. Returns (S1 with noise, S1 rows only).
    fn noisy_study(study: u64, n: usize, reps: u64) -> (Boot, Boot) {
        use crate::analysis::km::GROUPS;
        use crate::model::rng::normal_quantile;
        let (a, b, ab) = design::saltelli(n, 2, study + 1);
        let mut rng = Sequence::new(mix64(study ^ 0x5EED));
        let mut z = || normal_quantile(rng.uniform().clamp(1e-12, 1.0 - 1e-12));
        let u: Vec<f64> = (0..reps).map(|_| 1.5 * z()).collect();
        let points: Vec<&Vec<f64>> = a.iter().chain(&b).chain(ab.iter().flatten()).collect();
        // Per point: the mean over all replicates and leaving out each group.
        let mut full = Vec::new();
        let mut loo = vec![Vec::new(); GROUPS];
        for x in &points {
            let (mut sum, mut gs) = (0.0, [0.0; GROUPS]);
            let mut gn = [0u64; GROUPS];
            for (r, ur) in u.iter().enumerate() {
                let y = x[0] + 0.5 * x[1] + ur * x[0] + 0.3 * z();
                sum += y;
                gs[r % GROUPS] += y;
                gn[r % GROUPS] += 1;
            }
            full.push(sum / reps as f64);
            for g in 0..GROUPS {
                loo[g].push((sum - gs[g]) / (reps - gn[g]) as f64);
            }
        }
        let data = |f: &[f64]| SobolData {
            fa: f[..n].to_vec(),
            fb: f[n..2 * n].to_vec(),
            fab: (0..2)
                .map(|i| f[(2 + i) * n..(3 + i) * n].to_vec())
                .collect(),
        };
        let noise: Vec<SobolData> = loo.iter().map(|l| data(l)).collect();
        let with = sobol(&data(&full), &[], study, &noise);
        let rows = sobol(&data(&full), &[], study, &[]);
        (with.first[0], rows.first[0])
    }

    #[test]
    fn shared_noise_is_in_the_interval_as_it_is_in_repeated_studies() {
        // Repeated studies under independent seeds give the true spread of S1. The interval's
        // standard error must match it; the row bootstrap alone must not (it misses the noise
        // the points share through the seed). Tolerance: the spread over K = 150 studies has a
        // relative standard error of 1/sqrt(2K) = 5.8%; the band [0.75, 1.33] is about four of
        // them either side, leaving room for the jackknife's and the bootstrap's own small bias.
        let k = 150;
        let (mut est, mut se, mut se_rows) = (Vec::new(), 0.0, 0.0);
        for s in 0..k {
            let (w, r) = noisy_study(s, 256, 40);
            assert_eq!(w.value, r.value, "the estimate itself does not change");
            est.push(w.value);
            se += w.se.powi(2);
            se_rows += r.se.powi(2);
        }
        let m = est.iter().sum::<f64>() / k as f64;
        let spread = (est.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (k - 1) as f64).sqrt();
        let (se, se_rows) = ((se / k as f64).sqrt(), (se_rows / k as f64).sqrt());
        let ratio = spread / se;
        assert!(
            (0.75..=1.33).contains(&ratio),
            "spread over studies {spread:.4} vs reported se {se:.4} (ratio {ratio:.2})"
        );
        assert!(
            spread / se_rows > 1.5,
            "the row bootstrap alone should be too narrow here: {spread:.4} vs {se_rows:.4}"
        );
    }

    #[test]
    fn morris_ranks_a_linear_model_by_its_coefficients() {
        let c = [0.5, -4.0, 2.0, 0.0, 1.0];
        let traj = design::morris(40, c.len(), 5);
        let ee: Vec<Vec<f64>> = traj
            .iter()
            .map(|(pts, order)| {
                let f = |x: &Vec<f64>| x.iter().zip(&c).map(|(a, b)| a * b).sum::<f64>();
                let mut e = vec![0.0; c.len()];
                for (s, &k) in order.iter().enumerate() {
                    e[k] = (f(&pts[s + 1]) - f(&pts[s])) / design::morris_delta();
                }
                e
            })
            .collect();
        let ix = morris(&ee, &[vec![1, 2]], 2, &[]);
        let (mu, sigma) = (&ix.first, &ix.second);
        assert!((ix.group_first[0].value - 6.0).abs() < 1e-9, "|-4| + |2|");
        for (i, ci) in c.iter().enumerate() {
            assert!((mu[i].value - ci.abs()).abs() < 1e-9);
            assert!(sigma[i].value < 1e-9, "a linear model has no interactions");
        }
        let mut rank: Vec<usize> = (0..c.len()).collect();
        rank.sort_by(|&x, &y| mu[y].value.total_cmp(&mu[x].value));
        assert_eq!(rank, vec![1, 2, 4, 0, 3]);
    }

    #[test]
    fn prim_recovers_a_planted_box() {
        let pts = design::lhs(3000, 3, 9);
        let mut rng = Sequence::new(4);
        let y: Vec<bool> = pts
            .iter()
            .map(|p| {
                let inside = (0.2..0.5).contains(&p[0]) && (0.6..0.9).contains(&p[1]);
                // 5% label noise.
                inside != (rng.uniform() < 0.05)
            })
            .collect();
        let traj = prim(&pts, &y, 0.05, 30);
        let best = &traj[choose(&traj, 0.5)];
        let b = &best.bounds;
        assert!(
            (b[0].0 - 0.2).abs() < 0.06 && (b[0].1 - 0.5).abs() < 0.06,
            "{b:?}"
        );
        assert!(
            (b[1].0 - 0.6).abs() < 0.06 && (b[1].1 - 0.9).abs() < 0.06,
            "{b:?}"
        );
        assert!(
            b[2].1 - b[2].0 > 0.7,
            "the irrelevant dimension stays mostly unrestricted: {b:?}"
        );
        assert!(best.density > 0.8 && best.coverage >= 0.5, "{best:?}");
        // Simplifying keeps the two real restrictions and drops any on the irrelevant dimension.
        let simple = simplify(&pts, &y, b, 0.05);
        assert_eq!(simple[2], (0.0, 1.0), "{simple:?}");
        assert_eq!((simple[0], simple[1]), (b[0], b[1]));
        let ps = quasi_p_values(&pts, &y, &simple);
        assert!(ps.iter().all(|p| p.1 < 1e-6), "{ps:?}");
        assert_eq!(
            box_stats(&pts, &y, b),
            *best,
            "box_stats agrees with the peeling"
        );
    }
}
