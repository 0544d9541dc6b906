//! Studies over the parameter space: which points to evaluate (a sweep's grid or Latin
//! hypercube, a sensitivity design with its repeated base points, a discovery sample), their
//! evaluation in parallel, and the analysis of the results (indices, claims ranking, PRIM).
//! Everything here is a function of the design's seed and the points' results: no I/O, and the
//! same numbers for any thread count.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::analysis::km;
use crate::model::rng::mix64;
use crate::scenario::claims::Registry;

use super::design;
use super::indices::{self, Boot, Indices, PrimStep};
use super::space::{Dim, Evaluator, Point};

/// One point to evaluate: unit-scale coordinates and the seed of its replicates' streams.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// Coordinates in [0, 1] per dimension.
    pub unit: Vec<f64>,
    /// Stream seed (the study's seed for every design point: common random numbers).
    pub seed: u64,
}

/// The natural values of a point.
pub fn values<'d>(dims: &'d [Dim], unit: &[f64]) -> Vec<(&'d str, f64)> {
    dims.iter()
        .zip(unit)
        .map(|(d, &u)| (d.path.as_str(), d.at(u)))
        .collect()
}

/// Why an evaluation stopped.
#[derive(Debug)]
pub enum EvalError {
    /// Stopped on request.
    Interrupted,
    /// A point could not be evaluated (its values broke a scenario check).
    Failed(String),
}

/// Evaluates `specs` in parallel on `threads` threads; results in `specs` order. `tick` is called
/// once per finished point (from worker threads).
pub fn evaluate(
    ev: &Evaluator<'_>,
    dims: &[Dim],
    specs: &[Spec],
    threads: usize,
    stop: &AtomicBool,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<Point>, EvalError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| EvalError::Failed(format!("cannot start {threads} threads: {e}")))?;
    pool.install(|| {
        specs
            .par_iter()
            .map(|s| {
                if stop.load(Ordering::Relaxed) {
                    return Err(EvalError::Interrupted);
                }
                let vals = values(dims, &s.unit);
                let r = ev.evaluate(&vals, s.seed).map_err(|e| {
                    let shown: Vec<String> =
                        vals.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                    EvalError::Failed(format!("at the point {}:\n{e}", shown.join(", ")))
                });
                tick();
                r
            })
            .collect()
    })
}

/// Sweep designs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepDesign {
    /// Full grid of each dimension's steps.
    Grid,
    /// Latin hypercube of `samples` points.
    Lhs(usize),
}

/// The points of a sweep (all on the study's seed).
pub fn sweep_specs(dims: &[Dim], design: SweepDesign, seed: u64) -> Vec<Spec> {
    let unit = match design {
        SweepDesign::Grid => design::grid(&dims.iter().map(|d| d.steps).collect::<Vec<_>>()),
        SweepDesign::Lhs(n) => design::lhs(n, dims.len(), seed),
    };
    unit.into_iter().map(|u| Spec { unit: u, seed }).collect()
}

/// Number of grid points, or `None` beyond `usize`.
pub fn grid_size(dims: &[Dim]) -> Option<usize> {
    dims.iter()
        .try_fold(1usize, |a, d| a.checked_mul(d.steps.max(1)))
}

/// Sensitivity methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Method {
    /// Morris elementary effects.
    Morris,
    /// Sobol indices (Saltelli design).
    Sobol,
}

/// A sensitivity design: the design points, then `repeats` copies of the centre point on
/// different streams (for the noise floor).
#[derive(Clone, Debug)]
pub struct SensDesign {
    /// Method.
    pub method: Method,
    /// Morris trajectories or Sobol base rows.
    pub samples: usize,
    /// Dimensions.
    pub d: usize,
    /// All points: design points first, repeats last.
    pub specs: Vec<Spec>,
    /// For Morris: the coordinate moved at each step of each trajectory.
    pub orders: Vec<Vec<usize>>,
    /// Repeated centre points.
    pub repeats: usize,
}

/// Seed of the `k`-th repeated centre point.
fn repeat_seed(seed: u64, k: usize) -> u64 {
    mix64(seed ^ 0x4e4f_4953_4500 ^ (k as u64 + 1))
}

/// Builds a sensitivity design.
pub fn sensitivity_design(
    method: Method,
    samples: usize,
    d: usize,
    seed: u64,
    repeats: usize,
) -> SensDesign {
    let mut specs = Vec::new();
    let mut orders = Vec::new();
    let spec = |u: Vec<f64>| Spec { unit: u, seed };
    match method {
        Method::Morris => {
            for (pts, order) in design::morris(samples, d, seed) {
                specs.extend(pts.into_iter().map(spec));
                orders.push(order);
            }
        }
        Method::Sobol => {
            let (a, b, ab) = design::saltelli(samples, d, seed);
            specs.extend(a.into_iter().map(spec));
            specs.extend(b.into_iter().map(spec));
            for m in ab {
                specs.extend(m.into_iter().map(spec));
            }
        }
    }
    for k in 0..repeats {
        specs.push(Spec {
            unit: vec![0.5; d],
            seed: repeat_seed(seed, k),
        });
    }
    SensDesign {
        method,
        samples,
        d,
        specs,
        orders,
        repeats,
    }
}

/// Points a sensitivity design needs, before building it.
pub fn sensitivity_size(method: Method, samples: usize, d: usize, repeats: usize) -> Option<usize> {
    let per = match method {
        Method::Morris => d.checked_add(1)?,
        Method::Sobol => d.checked_add(2)?,
    };
    samples.checked_mul(per)?.checked_add(repeats)
}

/// A claim and the dimensions that encode it.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// Claim id of the scenario's registry, or "none" for parameters citing no claim.
    pub claim: String,
    /// The claim's short title in the registry ("cites no claim" for "none").
    pub title: String,
    /// Dimension indices.
    pub members: Vec<usize>,
}

/// Groups dimensions by claim, in the registry's order (then "none").
pub fn claim_groups(dims: &[Dim], claims: &Registry) -> Vec<Group> {
    let order = |c: &str| claims.index(c).unwrap_or(claims.claims.len());
    let mut groups: Vec<Group> = Vec::new();
    for (i, d) in dims.iter().enumerate() {
        let claim = d.claim.clone().unwrap_or_else(|| "none".into());
        match groups.iter_mut().find(|g| g.claim == claim) {
            Some(g) => g.members.push(i),
            None => groups.push(Group {
                title: claims
                    .title_of(&claim)
                    .unwrap_or("cites no claim")
                    .to_string(),
                claim,
                members: vec![i],
            }),
        }
    }
    groups.sort_by_key(|g| order(&g.claim));
    groups
}

/// One claim's place in an output's ranking ([`Sensitivity::rank_claims`]).
#[derive(Clone, Copy, Debug)]
pub struct ClaimRank {
    /// Index of the claim's group.
    pub group: usize,
    /// Sum of its parameters' ranking index, with its bootstrap interval.
    pub sum: Boot,
    /// Its parameters above the noise floor.
    pub above_noise: usize,
    /// Its strongest parameter (dimension index).
    pub strongest: Option<usize>,
}

/// The sensitivity of one output.
#[derive(Clone, Debug)]
pub struct Sensitivity {
    /// Method.
    pub method: Method,
    /// Output index.
    pub output: usize,
    /// Trajectories (Morris) or rows (Sobol) with the output defined at every point used.
    pub used: usize,
    /// Indices with bootstrap intervals (per input and per claim group).
    pub indices: Indices,
    /// Standard deviation of the output's estimate over the repeated centre points.
    pub noise_sd: f64,
    /// The value of the index that noise of that size alone would give (see `docs/EXPLORE.md`).
    pub floor: f64,
    /// Variance of the output over the design (Sobol: over A and B; Morris: over all points).
    pub variance: f64,
}

impl Sensitivity {
    /// Whether input `i`'s ranking index is resolved: its interval lies above the noise floor.
    pub fn resolved(&self, i: usize) -> bool {
        self.ranking(i).lo > self.floor
    }

    /// The index ranking inputs: mu* (Morris) or the total index (Sobol).
    pub fn ranking(&self, i: usize) -> Boot {
        if self.is_sobol() {
            self.indices.second[i]
        } else {
            self.indices.first[i]
        }
    }

    /// The claim groups' ranking sums: sum of mu* (Morris) or of total indices (Sobol).
    pub fn group_ranking(&self, g: usize) -> Boot {
        if self.is_sobol() {
            self.indices.group_second[g]
        } else {
            self.indices.group_first[g]
        }
    }

    /// The claims ranked by the sum of their parameters' ranking index, largest first (ties keep
    /// the groups' order), each with how many of its parameters are above the noise floor and
    /// its strongest parameter.
    pub fn rank_claims(&self, groups: &[Group]) -> Vec<ClaimRank> {
        let mut order: Vec<usize> = (0..groups.len()).collect();
        order.sort_by(|&a, &b| {
            self.group_ranking(b)
                .value
                .total_cmp(&self.group_ranking(a).value)
        });
        order
            .into_iter()
            .map(|g| {
                let members = &groups[g].members;
                ClaimRank {
                    group: g,
                    sum: self.group_ranking(g),
                    above_noise: members.iter().filter(|&&i| self.resolved(i)).count(),
                    strongest: members
                        .iter()
                        .copied()
                        .max_by(|&a, &b| self.ranking(a).value.total_cmp(&self.ranking(b).value)),
                }
            })
            .collect()
    }

    /// Parameter indices by their ranking index, largest first.
    pub fn parameters_by_rank(&self) -> Vec<usize> {
        let mut by: Vec<usize> = (0..self.indices.first.len()).collect();
        by.sort_by(|&a, &b| self.ranking(b).value.total_cmp(&self.ranking(a).value));
        by
    }

    fn is_sobol(&self) -> bool {
        self.method == Method::Sobol
    }
}

fn sd(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    if xs.len() < 2 {
        return f64::NAN;
    }
    let m = xs.iter().sum::<f64>() / n;
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Analyses output `k` of a sensitivity study. Errors when fewer than two trajectories or rows
/// have the output defined everywhere.
// long: the Morris and Sobol estimators with their bootstrap, side by side so both read the same design.
pub fn sensitivity(
    design: &SensDesign,
    points: &[Point],
    groups: &[Group],
    k: usize,
    seed: u64,
) -> Result<Sensitivity, String> {
    let d = design.d;
    let f: Vec<f64> = points.iter().map(|p| p.value(k)).collect();
    let n_design = design.specs.len() - design.repeats;
    let reps: Vec<f64> = f[n_design..]
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    let noise_sd = sd(&reps);
    let members: Vec<Vec<usize>> = groups.iter().map(|g| g.members.clone()).collect();
    let bseed = mix64(seed ^ k as u64);
    // The output at every point with replicate group g left out (the full value where that is
    // not estimable: such a point adds no noise information), for the shared-noise jackknife.
    let loo_f: Vec<Vec<f64>> = (0..km::GROUPS)
        .map(|g| {
            points
                .iter()
                .zip(&f)
                .map(|(p, &full)| {
                    p.loo
                        .get(k)
                        .and_then(|l| l.get(g))
                        .copied()
                        .filter(|x| x.is_finite())
                        .unwrap_or(full)
                })
                .collect()
        })
        .collect();
    match design.method {
        Method::Morris => {
            let delta = design::morris_delta();
            // Elementary effects of the trajectories with the output defined everywhere.
            let effects = |f: &[f64]| -> Vec<Vec<f64>> {
                let mut ee = Vec::new();
                for (t, order) in design.orders.iter().enumerate() {
                    let full = &points[t * (d + 1)..(t + 1) * (d + 1)];
                    if full.iter().all(|p| p.value(k).is_finite()) {
                        let y = &f[t * (d + 1)..(t + 1) * (d + 1)];
                        let mut e = vec![0.0; d];
                        for (s, &i) in order.iter().enumerate() {
                            e[i] = (y[s + 1] - y[s]) / delta;
                        }
                        ee.push(e);
                    }
                }
                ee
            };
            let ee = effects(&f);
            if ee.len() < 2 {
                return Err(format!(
                    "{} of {} trajectories have the output defined at every point; need at least 2",
                    ee.len(),
                    design.orders.len()
                ));
            }
            let noise: Vec<Vec<Vec<f64>>> = loo_f.iter().map(|lf| effects(lf)).collect();
            let fin: Vec<f64> = f[..n_design]
                .iter()
                .copied()
                .filter(|x| x.is_finite())
                .collect();
            let v = sd(&fin).powi(2);
            Ok(Sensitivity {
                method: design.method,
                output: k,
                used: ee.len(),
                indices: indices::morris(&ee, &members, bseed, &noise),
                noise_sd,
                // Two independent estimates differing by noise alone: E|e1 - e2| = 2 sd / sqrt(pi).
                floor: 2.0 * noise_sd / std::f64::consts::PI.sqrt() / delta,
                variance: v,
            })
        }
        Method::Sobol => {
            let n = design.samples;
            let rows: Vec<usize> = (0..n)
                .filter(|&j| (0..d + 2).all(|m| f[m * n + j].is_finite()))
                .collect();
            if rows.len() < 2 {
                return Err(format!(
                    "{} of {n} rows have the output defined at every point; need at least 2",
                    rows.len()
                ));
            }
            let data = |f: &[f64]| {
                let col = |m: usize| -> Vec<f64> { rows.iter().map(|&j| f[m * n + j]).collect() };
                indices::SobolData {
                    fa: col(0),
                    fb: col(1),
                    fab: (0..d).map(|i| col(2 + i)).collect(),
                }
            };
            let full = data(&f);
            let noise: Vec<indices::SobolData> = loo_f.iter().map(|lf| data(lf)).collect();
            let v = indices::sobol_variance(&full.fa, &full.fb);
            Ok(Sensitivity {
                method: design.method,
                output: k,
                used: rows.len(),
                indices: indices::sobol(&full, &members, bseed, &noise),
                noise_sd,
                // Share of the output's variance that is the estimate's own noise.
                floor: if v > 0.0 {
                    noise_sd.powi(2) / v
                } else {
                    f64::NAN
                },
                variance: v,
            })
        }
    }
}

/// Seed of a discovery's held-out replicates, independent of the study's seed.
pub fn holdout_seed(seed: u64) -> u64 {
    mix64(seed ^ 0x484f_4c44_4f55_5400)
}

/// The points of a discovery study: a Latin hypercube on the study's seed, then the same points
/// again on the held-out seed ([`holdout_seed`]). PRIM peels on the first half; the second half
/// says how the box holds on fresh noise.
pub fn discover_specs(d: usize, samples: usize, seed: u64) -> Vec<Spec> {
    let unit = design::lhs(samples, d, seed);
    let held = holdout_seed(seed);
    unit.iter()
        .map(|u| Spec {
            unit: u.clone(),
            seed,
        })
        .chain(unit.iter().map(|u| Spec {
            unit: u.clone(),
            seed: held,
        }))
        .collect()
}

/// Cases of interest at a set of points: on all replicates, and with each replicate group left
/// out (for the shared-noise jackknife of a box's statistics).
#[derive(Clone, Debug)]
pub struct Cases {
    /// Share of replicates meeting the outcome at each point.
    pub shares: Vec<f64>,
    /// Whether each point is a case (share at least the threshold).
    pub cases: Vec<bool>,
    /// Per replicate group g: the cases with group g left out.
    pub loo: Vec<Vec<bool>>,
}

impl Cases {
    fn of(points: &[Point], threshold: f64) -> Cases {
        let shares: Vec<f64> = points
            .iter()
            .map(|p| p.outcome_share().and_then(|e| e.value).unwrap_or(0.0))
            .collect();
        let cases = shares.iter().map(|&s| s >= threshold).collect();
        let loo = (0..km::GROUPS)
            .map(|g| {
                points
                    .iter()
                    .zip(&shares)
                    .map(|(p, &full)| p.outcome_loo.get(g).copied().unwrap_or(full) >= threshold)
                    .collect()
            })
            .collect();
        Cases { shares, cases, loo }
    }
}

/// A box's coverage and density over one set of cases, each with a 95% interval that covers the
/// points' sampling (Wilson over the points) and the noise the points share through their seed
/// (delete-a-group jackknife over replicate groups, [`indices::with_noise`]).
#[derive(Clone, Copy, Debug)]
pub struct BoxFit {
    /// Share of the cases inside the box.
    pub coverage: Boot,
    /// Share of the points inside the box that are cases.
    pub density: Boot,
    /// Points inside the box.
    pub support: usize,
}

fn box_fit(points: &[Vec<f64>], c: &Cases, b: &indices::Bounds) -> BoxFit {
    let st = indices::box_stats(points, &c.cases, b);
    let all = c.cases.iter().filter(|&&x| x).count();
    let inside = (st.coverage * all.max(1) as f64).round() as u64;
    let loo: Vec<Vec<f64>> = c
        .loo
        .iter()
        .map(|y| {
            let s = indices::box_stats(points, y, b);
            vec![s.coverage, s.density]
        })
        .collect();
    let wb = |k: u64, n: usize, v: f64| {
        let (lo, hi) = crate::analysis::stats::wilson(k, n as u64, crate::ensemble::summary::LEVEL)
            .unwrap_or((f64::NAN, f64::NAN));
        Boot {
            value: v,
            lo,
            hi,
            se: 0.0,
            noise_se: 0.0,
        }
    };
    let w = indices::with_noise(
        vec![
            wb(inside, all, st.coverage),
            wb(inside, st.support, st.density),
        ],
        &loo,
    );
    let clamp = |b: Boot| Boot {
        lo: b.lo.max(0.0),
        hi: b.hi.min(1.0),
        ..b
    };
    BoxFit {
        coverage: clamp(w[0]),
        density: clamp(w[1]),
        support: st.support,
    }
}

/// A scenario-discovery result.
#[derive(Clone, Debug)]
pub struct Discovery {
    /// The points' unit-scale coordinates (the fitting half).
    pub points: Vec<Vec<f64>>,
    /// The fitting half's cases with their leave-one-group-out versions.
    pub fit: Cases,
    /// The same points on the held-out seed: independent noise.
    pub held: Cases,
    /// PRIM's peeling trajectory.
    pub trajectory: Vec<PrimStep>,
    /// The chosen step.
    pub chosen: usize,
}

/// PRIM over the first half of the points ([`discover_specs`]): a point is a case when the share
/// of its replicates meeting the outcome is at least `threshold`. The second half, the same
/// points on the held-out seed, is kept to measure the boxes on fresh noise.
pub fn discover(
    specs: &[Spec],
    points: &[Point],
    threshold: f64,
    alpha: f64,
    min_support: usize,
    min_coverage: f64,
) -> Discovery {
    let n = specs.len() / 2;
    let fit = Cases::of(&points[..n], threshold);
    let held = Cases::of(&points[n..], threshold);
    let unit: Vec<Vec<f64>> = specs[..n].iter().map(|s| s.unit.clone()).collect();
    let trajectory = indices::prim(&unit, &fit.cases, alpha, min_support);
    let chosen = indices::choose(&trajectory, min_coverage);
    Discovery {
        points: unit,
        fit,
        held,
        trajectory,
        chosen,
    }
}

impl Discovery {
    /// Quasi-p-values of a box's restrictions over the discovery's points.
    pub fn quasi_p(&self, b: &indices::Bounds) -> Vec<(usize, f64)> {
        indices::quasi_p_values(&self.points, &self.fit.cases, b)
    }

    /// The chosen box with restrictions of quasi-p-value above `max_p` dropped, and its
    /// statistics.
    pub fn simplified(&self, max_p: f64) -> PrimStep {
        let b = indices::simplify(
            &self.points,
            &self.fit.cases,
            &self.trajectory[self.chosen].bounds,
            max_p,
        );
        indices::box_stats(&self.points, &self.fit.cases, &b)
    }

    /// Box `b` on the points PRIM peeled (optimistic: the box was chosen on their noise).
    pub fn on_fit(&self, b: &indices::Bounds) -> BoxFit {
        box_fit(&self.points, &self.fit, b)
    }

    /// Box `b` on the held-out replicates: the same points under independent noise, the honest
    /// measure of how the box holds.
    pub fn on_held_out(&self, b: &indices::Bounds) -> BoxFit {
        box_fit(&self.points, &self.held, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dim(path: &str, claim: Option<&str>) -> Dim {
        Dim {
            path: path.into(),
            lo: 0.0,
            hi: 1.0,
            steps: 3,
            claim: claim.map(String::from),
        }
    }

    #[test]
    fn groups_follow_claim_order() {
        let dims = [
            dim("a", Some("P10")),
            dim("b", None),
            dim("c", Some("P2")),
            dim("d", Some("P10")),
        ];
        let claims = Registry {
            claims: ["P2", "P10"]
                .map(|id| crate::scenario::claims::Claim {
                    id: id.into(),
                    title: String::new(),
                    cites: String::new(),
                })
                .to_vec(),
            ..Registry::default()
        };
        let g = claim_groups(&dims, &claims);
        let got: Vec<(&str, &[usize])> = g
            .iter()
            .map(|g| (g.claim.as_str(), g.members.as_slice()))
            .collect();
        assert_eq!(
            got,
            vec![("P2", &[2][..]), ("P10", &[0, 3][..]), ("none", &[1][..])]
        );
    }

    #[test]
    fn designs_have_the_announced_sizes() {
        for (m, per) in [(Method::Morris, 4), (Method::Sobol, 5)] {
            let s = sensitivity_design(m, 8, 3, 1, 5);
            assert_eq!(s.specs.len(), 8 * per + 5);
            assert_eq!(sensitivity_size(m, 8, 3, 5), Some(s.specs.len()));
            assert!(s.specs[..8 * per].iter().all(|p| p.seed == 1));
            let seeds: std::collections::BTreeSet<u64> =
                s.specs[8 * per..].iter().map(|p| p.seed).collect();
            assert_eq!(seeds.len(), 5, "repeats run on distinct streams");
        }
        let dims = [dim("a", None), dim("b", None)];
        assert_eq!(sweep_specs(&dims, SweepDesign::Grid, 1).len(), 9);
        assert_eq!(grid_size(&dims), Some(9));
    }
}
