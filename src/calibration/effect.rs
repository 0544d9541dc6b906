//! How much of an intervention's effect comes from data: the paired effect of an overlay on a
//! base scenario, computed for parameter vectors drawn from the prior and from the posterior.
//! Each draw runs `runs` replicates of both arms on common random numbers and takes the mean
//! paired difference of one metric; the spread of the draws' effects is what the constants'
//! uncertainty does to the answer, before and after the records were seen.

use rayon::prelude::*;

use crate::ensemble::record::{METRICS, ReplicateCollector};
use crate::model::rng::{Sequence, mix64};
use crate::model::{NoEvents, Params, StreamKey, run_replicate};
use crate::scenario::template::Template;

use super::abc::{Particle, sample_prior};
use super::config::Parameter;

/// The comparison whose effect is tracked.
pub struct EffectProblem<'a> {
    /// The base scenario.
    pub base: &'a Template,
    /// The base with the intervention's overlay.
    pub arm: &'a Template,
    /// Index into [`METRICS`].
    pub metric: usize,
    /// Paired replicates per draw.
    pub runs: u64,
    /// The calibrated parameters; only shared ones (no record) are applied.
    pub params: &'a [Parameter],
}

impl EffectProblem<'_> {
    /// Mean paired difference (arm − base) of the metric under parameter values `theta`.
    pub fn effect(&self, theta: &[f64], seed: u64) -> Result<f64, String> {
        let overrides: Vec<(&str, f64)> = self
            .params
            .iter()
            .zip(theta)
            .filter(|(p, _)| p.record.is_none())
            .map(|(p, &x)| (p.path.as_str(), x))
            .collect();
        let compile = |t: &Template| -> Result<Params, String> {
            let sc = t.instantiate(&overrides).map_err(|e| e.to_string())?;
            Ok(Params::compile(&sc, sc.meta.weeks))
        };
        let (pb, pa) = (compile(self.base)?, compile(self.arm)?);
        let get = METRICS[self.metric].get;
        let (mut cb, mut ca) = (ReplicateCollector::new(&pb), ReplicateCollector::new(&pa));
        let (mut sum, mut n) = (0.0, 0u64);
        for r in 0..self.runs {
            let key = StreamKey {
                seed,
                replicate: r,
                arm_salt: 0,
            };
            cb.reset(&pb, r);
            let end = run_replicate(&pb, key, &mut NoEvents, |s, o| {
                cb.week(s, o);
            });
            let xb = get(&cb.finish(&end));
            ca.reset(&pa, r);
            let end = run_replicate(&pa, key, &mut NoEvents, |s, o| {
                ca.week(s, o);
            });
            let xa = get(&ca.finish(&end));
            if let (Some(a), Some(b)) = (xa, xb) {
                sum += a - b;
                n += 1;
            }
        }
        if n == 0 {
            return Err(format!(
                "{} is undefined in every replicate",
                METRICS[self.metric].name
            ));
        }
        Ok(sum / n as f64)
    }
}

/// Effects for `draws` parameter vectors from the prior and `draws` from the posterior
/// `particles` (by weight), in draw order; deterministic for any thread count.
pub fn prior_and_posterior(
    e: &EffectProblem<'_>,
    particles: &[Particle],
    draws: usize,
    seed: u64,
    threads: usize,
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|x| format!("cannot start threads: {x}"))?;
    let total: f64 = particles.iter().map(|p| p.weight).sum();
    let cumulative: Vec<f64> = particles
        .iter()
        .scan(0.0, |a, p| {
            *a += p.weight / total;
            Some(*a)
        })
        .collect();
    let run = |prior: bool| -> Result<Vec<f64>, String> {
        pool.install(|| {
            (0..draws as u64)
                .into_par_iter()
                .map(|i| {
                    let s = mix64(seed ^ mix64(i) ^ if prior { 0x5052 } else { 0x504f });
                    let mut rng = Sequence::new(s);
                    let theta: Vec<f64> = if prior {
                        e.params
                            .iter()
                            .map(|p| sample_prior(&p.prior, rng.uniform()))
                            .collect()
                    } else {
                        let u = rng.uniform();
                        let j = cumulative
                            .partition_point(|&c| c <= u)
                            .min(particles.len() - 1);
                        particles[j].theta.clone()
                    };
                    // The same replicate streams for every draw: draws differ only by parameters.
                    e.effect(&theta, seed)
                })
                .collect()
        })
    };
    Ok((run(true)?, run(false)?))
}
