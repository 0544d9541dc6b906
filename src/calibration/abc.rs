//! Approximate Bayesian computation by adaptive sequential Monte Carlo (Del Moral, Doucet & Jasra
//! 2012, "An adaptive sequential Monte Carlo method for approximate Bayesian computation").
//!
//! Particles start from the prior. Each generation lowers the tolerance to the value that keeps a
//! chosen fraction of the effective sample size (ESS), zeroes the weights of particles beyond it,
//! resamples when the ESS falls below half the particles, and moves every living particle with
//! Metropolis–Hastings steps (a Gaussian random walk on each parameter's position inside its
//! prior's support, reflected at the ends and scaled to twice the particles' variance; a move is
//! accepted if the prior ratio allows and the new simulation is within the tolerance). Weights stay nearly uniform and each generation costs a
//! fixed number of simulations.
//!
//! Deterministic for any thread count: particle i's move in generation g draws from its own
//! stream (seed, g, i); resampling draws from (seed, g); parallel maps keep particle order.

use rayon::prelude::*;

use crate::model::rng::{Sequence, mix64, normal_quantile, open_unit};
use crate::model::{NoEvents, Params, StreamKey, run_replicate};
use crate::scenario::date::Date;
use crate::scenario::template::Template;

use super::config::{Parameter, Prior, Target, TargetKind};
use super::history::{STATISTICS, WindowCollector};

/// One record of a calibration: its scenario (the period's channels, negotiators, factions and
/// calendar) and its observation window.
#[derive(Clone)]
pub struct RecordProblem<'a> {
    /// Name (for tables and file names).
    pub name: String,
    /// The period's scenario.
    pub template: &'a Template,
    /// Horizon of the observation window, weeks.
    pub weeks: u32,
    /// First day of the window (the scenario's start).
    pub start: Date,
}

/// What is calibrated against what: one or more records that share the behavioural constants.
pub struct Problem<'a> {
    /// The records.
    pub records: Vec<RecordProblem<'a>>,
    /// Parameters (shared, or of one record).
    pub params: &'a [Parameter],
    /// Targets, each of one record.
    pub targets: &'a [Target],
    /// Observed target values.
    pub observed: Vec<f64>,
    /// Replicates per simulation (per record).
    pub replicates: u64,
}

/// Week index just past a window that ends on `to` (inclusive), within `1..=weeks`.
pub fn window_end(start: Date, weeks: u32, to: Option<Date>) -> u32 {
    match to {
        None => weeks,
        Some(d) => (d.week_index(start) + 1).clamp(1, i64::from(weeks)) as u32,
    }
}

impl Problem<'_> {
    /// Target values of each simulated joint history (replicate r of every record) with
    /// parameters `theta`; `None` where a statistic is undefined for that history.
    // long: one joint history of every record, window by window; the steps share the per-record streams and collectors.
    pub fn simulate(&self, theta: &[f64], seed: u64) -> Result<Vec<Vec<Option<f64>>>, String> {
        let n = self.replicates as usize;
        let mut out = vec![vec![None; self.targets.len()]; n];
        for (ri, rec) in self.records.iter().enumerate() {
            let overrides: Vec<(&str, f64)> = self
                .params
                .iter()
                .zip(theta)
                .filter(|(p, _)| p.record.is_none_or(|r| r == ri))
                .map(|(p, &x)| (p.path.as_str(), x))
                .collect();
            let sc = rec
                .template
                .instantiate(&overrides)
                .map_err(|e| format!("{}: {e}", rec.name))?;
            let p = Params::compile(&sc, rec.weeks);
            let durable = p.b.observation.durable_weeks.ceil() as u32;
            let initial = p.agreement0.as_ref().map(|a| a.scope);
            let mine: Vec<usize> = (0..self.targets.len())
                .filter(|&k| self.targets[k].record == ri)
                .collect();
            // One collector per distinct window end of this record's statistic targets.
            let mut ends: Vec<u32> = mine
                .iter()
                .filter(|&&k| matches!(self.targets[k].kind, TargetKind::Statistic(_)))
                .map(|&k| window_end(rec.start, rec.weeks, self.targets[k].to))
                .collect();
            ends.sort_unstable();
            ends.dedup();
            let mut cols: Vec<WindowCollector> = ends
                .iter()
                .map(|&e| WindowCollector::new(e, durable, initial))
                .collect();
            let tariff_week: Vec<Option<(usize, u32)>> = self
                .targets
                .iter()
                .map(|t| match t.kind {
                    TargetKind::Tariff { side, date, .. } => Some((
                        side,
                        date.week_index(rec.start)
                            .clamp(0, i64::from(rec.weeks) - 1) as u32,
                    )),
                    TargetKind::Statistic(_) => None,
                })
                .collect();
            // Each statistic target's (statistic, collector), fixed for the record.
            let slot: Vec<(usize, usize, usize)> = mine
                .iter()
                .filter_map(|&k| match self.targets[k].kind {
                    TargetKind::Statistic(i) => {
                        let e = window_end(rec.start, rec.weeks, self.targets[k].to);
                        Some((k, i, ends.partition_point(|&x| x < e)))
                    }
                    TargetKind::Tariff { .. } => None,
                })
                .collect();
            let record_seed = mix64(seed ^ mix64(ri as u64 + 1));
            let tariff0 = [p.sides[0].tariff0, p.sides[1].tariff0];
            for (r, row) in out.iter_mut().enumerate() {
                for c in &mut cols {
                    c.reset(tariff0);
                }
                run_replicate(
                    &p,
                    StreamKey {
                        seed: record_seed,
                        replicate: r as u64,
                        arm_salt: 0,
                    },
                    &mut NoEvents,
                    |s, o| {
                        for c in &mut cols {
                            c.week(s, o);
                        }
                        for &k in &mine {
                            if let Some((side, w)) = tariff_week[k]
                                && o.week == w
                            {
                                row[k] = Some(s.sides[side].tariff);
                            }
                        }
                    },
                );
                let stats: Vec<_> = cols.iter_mut().map(WindowCollector::finish).collect();
                for &(k, i, j) in &slot {
                    row[k] = (STATISTICS[i].get)(&stats[j]);
                }
            }
        }
        Ok(out)
    }

    /// Mean over histories of each target (over the histories where it is defined).
    pub fn mean(sims: &[Vec<Option<f64>>]) -> Vec<f64> {
        let k = sims.first().map_or(0, Vec::len);
        (0..k)
            .map(|i| {
                let v: Vec<f64> = sims.iter().filter_map(|s| s[i]).collect();
                if v.is_empty() {
                    f64::NAN
                } else {
                    v.iter().sum::<f64>() / v.len() as f64
                }
            })
            .collect()
    }

    /// Distance between one simulated history and the record: root mean square of scaled
    /// differences over the targets; a statistic undefined for the history counts one scale unit.
    pub fn distance(&self, sim: &[Option<f64>]) -> f64 {
        let n = self.targets.len().max(1) as f64;
        (self
            .targets
            .iter()
            .zip(sim)
            .zip(&self.observed)
            .map(|((t, s), o)| s.map_or(1.0, |s| ((s - o) / t.scale).powi(2)))
            .sum::<f64>()
            / n)
            .sqrt()
    }
}

/// A particle: parameters (natural units), normalised weight, the distance of each of its
/// simulated histories, and their mean target values.
#[derive(Clone, Debug, PartialEq)]
pub struct Particle {
    /// Parameter values.
    pub theta: Vec<f64>,
    /// Weight (the generation's weights sum to 1).
    pub weight: f64,
    /// Distance of each simulated history (replicate) to the observed targets.
    pub distances: Vec<f64>,
    /// Median of `distances`, for reports.
    pub distance: f64,
    /// Mean simulated target values.
    pub sim: Vec<f64>,
}

impl Particle {
    fn new(
        theta: Vec<f64>,
        weight: f64,
        problem: &Problem<'_>,
        sims: &[Vec<Option<f64>>],
    ) -> Particle {
        let mut distances: Vec<f64> = sims.iter().map(|s| problem.distance(s)).collect();
        let mut sorted = distances.clone();
        sorted.sort_by(f64::total_cmp);
        let distance = sorted
            .get(sorted.len() / 2)
            .copied()
            .unwrap_or(f64::INFINITY);
        distances.shrink_to_fit();
        Particle {
            theta,
            weight,
            distances,
            distance,
            sim: Problem::mean(sims),
        }
    }

    /// Histories within the tolerance: the particle's ABC likelihood, up to a constant.
    fn within(&self, epsilon: f64) -> usize {
        self.distances.iter().filter(|&&d| d <= epsilon).count()
    }
}

/// What happened in one generation.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerationLog {
    /// Generation (0: the prior).
    pub generation: usize,
    /// Tolerance (infinite for generation 0).
    pub epsilon: f64,
    /// Simulations run in this generation.
    pub simulated: u64,
    /// Moves accepted.
    pub moves_accepted: u64,
    /// Particles with non-zero weight.
    pub alive: usize,
    /// Distinct parameter vectors among them (resampling duplicates particles).
    pub distinct: usize,
    /// Whether the particles were resampled.
    pub resampled: bool,
    /// Effective sample size of the weights after the generation, 1 / sum(w^2).
    pub ess: f64,
}

/// How the algorithm runs.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Particles.
    pub particles: usize,
    /// Generations after the prior one.
    pub generations: usize,
    /// Fraction of the effective sample size kept when the tolerance is lowered.
    pub keep: f64,
    /// Metropolis–Hastings moves per particle per generation.
    pub moves: usize,
    /// Stop early when fewer than this share of moves is accepted (the tolerance is then as low
    /// as the model can reach with these particles).
    pub min_acceptance: f64,
    /// Seed.
    pub seed: u64,
    /// Threads.
    pub threads: usize,
}

/// Position of a natural value inside its prior's support, in [0, 1] (in log for log-uniform).
fn unit(p: &Prior, x: f64) -> f64 {
    let (lo, hi) = p.bounds();
    match p {
        Prior::LogUniform { .. } => (x.ln() - lo.ln()) / (hi.ln() - lo.ln()),
        _ => (x - lo) / (hi - lo),
    }
}

/// Kernel coordinates: the position inside the prior's support, in [0, 1].
fn to_internal(p: &Prior, x: f64) -> f64 {
    unit(p, x).clamp(0.0, 1.0)
}

fn from_internal(p: &Prior, z: f64) -> f64 {
    let (lo, hi) = p.bounds();
    match p {
        Prior::LogUniform { .. } => (lo.ln() + z * (hi.ln() - lo.ln())).exp(),
        _ => lo + z * (hi - lo),
    }
    .clamp(lo, hi)
}

/// Prior density in kernel coordinates (flat for uniform and log-uniform priors).
fn prior_density(p: &Prior, z: f64) -> f64 {
    if !(0.0..=1.0).contains(&z) {
        return 0.0;
    }
    match *p {
        Prior::Uniform { .. } | Prior::LogUniform { .. } => 1.0,
        Prior::Beta { alpha, beta, .. } => {
            let z = z.clamp(1e-300, 1.0 - 1e-16);
            let ln_b = crate::analysis::stats::ln_gamma(alpha)
                + crate::analysis::stats::ln_gamma(beta)
                - crate::analysis::stats::ln_gamma(alpha + beta);
            ((alpha - 1.0) * z.ln() + (beta - 1.0) * (1.0 - z).ln() - ln_b).exp()
        }
    }
}

/// A Gaussian step reflected at 0 and 1: a symmetric random walk on the unit interval.
fn reflect(mut z: f64) -> f64 {
    for _ in 0..64 {
        if z < 0.0 {
            z = -z;
        } else if z > 1.0 {
            z = 2.0 - z;
        } else {
            return z;
        }
    }
    z.clamp(0.0, 1.0)
}

/// A draw from the prior by inversion of one uniform.
pub fn sample_prior(p: &Prior, u: f64) -> f64 {
    crate::analysis::prior::quantile(p, u)
}

fn stream_seed(seed: u64, generation: usize, k: u64) -> u64 {
    mix64(mix64(mix64(seed) ^ generation as u64) ^ k)
}

/// Distinct parameter vectors among the particles with non-zero weight.
fn distinct(ps: &[Particle]) -> usize {
    let mut keys: Vec<Vec<u64>> = ps
        .iter()
        .filter(|p| p.weight > 0.0)
        .map(|p| p.theta.iter().map(|x| x.to_bits()).collect())
        .collect();
    keys.sort();
    keys.dedup();
    keys.len()
}

fn ess(w: &[f64]) -> f64 {
    let s: f64 = w.iter().sum();
    let s2: f64 = w.iter().map(|x| x * x).sum();
    if s2 > 0.0 { s * s / s2 } else { 0.0 }
}

/// Runs ABC-SMC; returns the final particles (weights summing to 1) and the log of every
/// generation. `progress` gets (generation, simulations so far in it).
// long: the ABC-SMC loop (Beaumont et al. 2009, Del Moral et al. 2012) in the order of its paper: tolerance, move, weights, log.
pub fn run(
    problem: &Problem<'_>,
    s: &Settings,
    progress: &mut dyn FnMut(usize, u64),
) -> Result<(Vec<Particle>, Vec<GenerationLog>), String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(s.threads.max(1))
        .build()
        .map_err(|e| format!("cannot start threads: {e}"))?;
    let n = s.particles;
    let d = problem.params.len();
    let mut logs = Vec::new();
    // Generation 0: the prior.
    let init: Vec<Option<Particle>> = pool.install(|| {
        (0..n as u64)
            .into_par_iter()
            .map(|i| {
                let seed = stream_seed(s.seed, 0, i);
                let mut rng = Sequence::new(seed);
                let theta: Vec<f64> = problem
                    .params
                    .iter()
                    .map(|p| sample_prior(&p.prior, rng.uniform()))
                    .collect();
                problem
                    .simulate(&theta, mix64(seed))
                    .ok()
                    .map(|sims| Particle::new(theta, 1.0, problem, &sims))
            })
            .collect()
    });
    let mut ps: Vec<Particle> = init.into_iter().flatten().collect();
    if ps.len() < n / 2 {
        return Err(format!(
            "only {} of {n} prior draws could be simulated; check the priors against the scenario",
            ps.len()
        ));
    }
    progress(0, n as u64);
    logs.push(GenerationLog {
        generation: 0,
        epsilon: f64::INFINITY,
        simulated: n as u64,
        moves_accepted: 0,
        alive: ps.len(),
        distinct: distinct(&ps),
        resampled: false,
        ess: ps.len() as f64,
    });
    for generation in 1..=s.generations {
        // Lower the tolerance to keep `keep` of the ESS: weights move by the ratio of histories
        // within the new and the old tolerance (Del Moral et al. 2012, with M histories each).
        let prev_eps = logs
            .last()
            .map_or(f64::INFINITY, |l: &GenerationLog| l.epsilon);
        let reweighted = |e: f64| -> Vec<f64> {
            ps.iter()
                .map(|p| {
                    let before = p.within(prev_eps).max(1) as f64;
                    p.weight * p.within(e) as f64 / before
                })
                .collect()
        };
        let target = s.keep * ess(&ps.iter().map(|p| p.weight).collect::<Vec<_>>());
        let mut cands: Vec<f64> = ps
            .iter()
            .filter(|p| p.weight > 0.0)
            .flat_map(|p| p.distances.iter().copied())
            .filter(|&d| d <= prev_eps)
            .collect();
        cands.sort_by(f64::total_cmp);
        cands.dedup();
        // Smallest tolerance whose reweighted ESS still reaches the target (ESS grows with it).
        let (mut lo, mut hi) = (0usize, cands.len().saturating_sub(1));
        while lo < hi {
            let mid = (lo + hi) / 2;
            if ess(&reweighted(cands[mid])) >= target {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        let epsilon = cands.get(lo).copied().unwrap_or(prev_eps);
        let new_w = reweighted(epsilon);
        let total: f64 = new_w.iter().sum();
        if total <= 0.0 {
            break;
        }
        for (p, w) in ps.iter_mut().zip(new_w) {
            p.weight = w / total;
        }
        // Resample when the ESS has fallen below half the particles.
        let resampled = ess(&ps.iter().map(|p| p.weight).collect::<Vec<_>>()) < n as f64 / 2.0;
        if resampled {
            let mut rng = Sequence::new(stream_seed(s.seed, generation, u64::MAX));
            let cumulative: Vec<f64> = ps
                .iter()
                .scan(0.0, |a, p| {
                    *a += p.weight;
                    Some(*a)
                })
                .collect();
            ps = (0..n)
                .map(|_| {
                    let u = rng.uniform();
                    let j = cumulative.partition_point(|&c| c <= u).min(ps.len() - 1);
                    Particle {
                        weight: 1.0 / n as f64,
                        ..ps[j].clone()
                    }
                })
                .collect();
        }
        // Random-walk scale: twice the living particles' weighted variance in kernel coordinates.
        let sigma: Vec<f64> = (0..d)
            .map(|k| {
                let pr = &problem.params[k].prior;
                let mean: f64 = ps
                    .iter()
                    .map(|p| p.weight * to_internal(pr, p.theta[k]))
                    .sum();
                let var: f64 = ps
                    .iter()
                    .map(|p| p.weight * (to_internal(pr, p.theta[k]) - mean).powi(2))
                    .sum();
                (2.0 * var).sqrt().clamp(1e-3, 0.5)
            })
            .collect();
        // Metropolis–Hastings moves, in parallel over particles.
        let moved: Vec<(Particle, u64, u64)> = pool.install(|| {
            ps.par_iter()
                .enumerate()
                .map(|(i, p)| {
                    let mut p = p.clone();
                    let (mut sims, mut acc) = (0u64, 0u64);
                    if p.weight <= 0.0 {
                        return (p, 0, 0);
                    }
                    let seed = stream_seed(s.seed, generation, i as u64);
                    let mut rng = Sequence::new(seed);
                    for m in 0..s.moves {
                        let ys: Vec<f64> = problem
                            .params
                            .iter()
                            .zip(&p.theta)
                            .map(|(q, &x)| to_internal(&q.prior, x))
                            .collect();
                        let ynew: Vec<f64> = ys
                            .iter()
                            .zip(&sigma)
                            .map(|(y, sg)| {
                                reflect(y + sg * normal_quantile(open_unit(rng.uniform())))
                            })
                            .collect();
                        let prior_ratio: f64 = problem
                            .params
                            .iter()
                            .zip(ys.iter().zip(&ynew))
                            .map(|(q, (y, yn))| {
                                prior_density(&q.prior, *yn)
                                    / prior_density(&q.prior, *y).max(1e-300)
                            })
                            .product();
                        let u = rng.uniform();
                        // The ABC likelihood ratio is at most M / (histories now within): if even that
                        // cannot make the move acceptable, skip the simulation.
                        let now = p.within(epsilon).max(1) as f64;
                        if u >= prior_ratio * p.distances.len() as f64 / now {
                            continue;
                        }
                        let theta: Vec<f64> = problem
                            .params
                            .iter()
                            .zip(&ynew)
                            .map(|(q, &y)| from_internal(&q.prior, y))
                            .collect();
                        sims += 1;
                        if let Ok(hist) = problem.simulate(&theta, mix64(seed ^ (m as u64 + 1))) {
                            let cand = Particle::new(theta, p.weight, problem, &hist);
                            if u < prior_ratio * cand.within(epsilon) as f64 / now {
                                p = cand;
                                acc += 1;
                            }
                        }
                    }
                    (p, sims, acc)
                })
                .collect()
        });
        let simulated: u64 = moved.iter().map(|m| m.1).sum();
        let moves_accepted: u64 = moved.iter().map(|m| m.2).sum();
        ps = moved.into_iter().map(|m| m.0).collect();
        let alive = ps.iter().filter(|p| p.weight > 0.0).count();
        let ess_now = ess(&ps.iter().map(|p| p.weight).collect::<Vec<_>>());
        progress(generation, simulated);
        logs.push(GenerationLog {
            generation,
            epsilon,
            simulated,
            moves_accepted,
            alive,
            distinct: distinct(&ps),
            resampled,
            ess: ess_now,
        });
        let tried = (alive * s.moves) as f64;
        if tried > 0.0 && (moves_accepted as f64) / tried < s.min_acceptance {
            break;
        }
    }
    Ok((ps, logs))
}

/// Weighted quantile of values.
pub fn weighted_quantile(values: &[f64], weights: &[f64], q: f64) -> f64 {
    let mut v: Vec<(f64, f64)> = values
        .iter()
        .copied()
        .zip(weights.iter().copied())
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = v.iter().map(|x| x.1).sum();
    let mut acc = 0.0;
    for (x, w) in &v {
        acc += w;
        if acc >= q * total {
            return *x;
        }
    }
    v.last().map_or(f64::NAN, |x| x.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priors_sample_inside_their_support_with_the_right_mean() {
        let b = Prior::Beta {
            alpha: 2.0,
            beta: 5.0,
            lo: 0.0,
            hi: 1.0,
        };
        let n = 2000;
        let mean: f64 = (0..n)
            .map(|i| sample_prior(&b, (i as f64 + 0.5) / n as f64))
            .sum::<f64>()
            / n as f64;
        assert!((mean - 2.0 / 7.0).abs() < 1e-3, "{mean}");
        let l = Prior::LogUniform { lo: 0.1, hi: 10.0 };
        assert!((sample_prior(&l, 0.5) - 1.0).abs() < 1e-12);
        // Kernel coordinates map the support onto [0, 1] and back.
        for x in [0.1, 0.5, 3.0, 9.99] {
            assert!((from_internal(&l, to_internal(&l, x)) - x).abs() < 1e-9);
        }
        // Densities in kernel coordinates integrate to 1.
        let bt = Prior::Beta {
            alpha: 2.0,
            beta: 3.0,
            lo: -1.0,
            hi: 1.0,
        };
        let total: f64 = (0..10_000)
            .map(|i| prior_density(&bt, (f64::from(i) + 0.5) / 10_000.0) / 10_000.0)
            .sum();
        assert!((total - 1.0).abs() < 1e-3, "{total}");
        assert_eq!(reflect(-0.2), 0.2);
        assert_eq!(reflect(1.25), 0.75);
    }

    #[test]
    fn weighted_quantiles() {
        assert_eq!(
            weighted_quantile(&[3.0, 1.0, 2.0], &[1.0, 1.0, 1.0], 0.5),
            2.0
        );
        assert_eq!(
            weighted_quantile(&[3.0, 1.0, 2.0], &[0.0, 0.0, 1.0], 0.1),
            2.0
        );
    }
}
