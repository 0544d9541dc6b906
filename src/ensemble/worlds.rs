//! Plausible worlds (issue 15): W worlds, each a draw of every uncertain input that the arms'
//! scenarios declare (`range` / `prior`), with R paired replicates of every arm in each world.
//!
//! - **One list of worlds, keyed by path.** Input k of world i is the prior's quantile at
//!   `(π_k(i) + u_k(i)) / W`: a Latin hypercube whose permutation π_k and jitter u_k are seeded
//!   by the hash of the input's path and prior, never by its position. Adding a key or an overlay
//!   leaves every other input's values in every world unchanged.
//! - **Shared by every arm.** An input with the same path and prior in several arms (a baseline
//!   value an overlay does not touch) takes the same value in each of them; an intervention's own
//!   uncertain values (a path it sets, with its own range) are drawn per world as well.
//! - **Paired replicates.** World i runs replicates `i·R .. (i+1)·R` of every arm on common random
//!   numbers, so each world has its own shocks and the arms of a world share them.
//! - **Deterministic and flat.** Worlds run in parallel and are collected in world order; each
//!   keeps scalars only: per arm and metric, the moments of the metric and of its paired difference
//!   against the baseline (exact integer sums).

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::analysis::prior::quantile;
use crate::analysis::stats::Moments;
use crate::analysis::worlds::{AcrossWorlds, WorldEffect, across};
use crate::model::rng::{Sequence, mix64, name_key};
use crate::model::{NoEvents, Params, run_replicate};
use crate::scenario::Loaded;
use crate::scenario::template::Template;
use crate::scenario::uncertain::Prior;

use super::record::{Better, METRICS, ReplicateCollector};
use super::{Plan, stream_key};

/// One uncertain input of a job: a path with its prior, and the arms that declare it.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    /// Dotted parameter path.
    pub path: String,
    /// Its prior.
    pub prior: Prior,
    /// Its provenance source (a claim id or a tag), if any.
    pub source: Option<String>,
    /// Why the range is what it is (empty: assumed).
    pub note: String,
    /// Indices of the arms whose scenario declares it.
    pub arms: Vec<usize>,
}

impl Input {
    /// The key its draws are seeded by: path and prior, not position.
    fn key(&self) -> u64 {
        name_key(&format!("{}|{}", self.path, self.prior.describe()))
    }
}

/// The uncertain inputs of the arms' scenarios, sorted by path then prior (a stable order for
/// output columns; the draws do not depend on it).
pub fn inputs(loaded: &[Loaded]) -> Vec<Input> {
    let mut out: Vec<Input> = Vec::new();
    for (a, l) in loaded.iter().enumerate() {
        for p in &l.scenario.params {
            let Some(u) = &p.uncertain else { continue };
            match out
                .iter_mut()
                .find(|i| i.path == p.path && i.prior == u.prior)
            {
                Some(i) => i.arms.push(a),
                None => out.push(Input {
                    path: p.path.clone(),
                    prior: u.prior,
                    source: p.provenance.as_ref().map(|pr| pr.source.clone()),
                    note: u.note.clone(),
                    arms: vec![a],
                }),
            }
        }
    }
    out.sort_by(|x, y| {
        (x.path.as_str(), x.prior.describe()).cmp(&(y.path.as_str(), y.prior.describe()))
    });
    out
}

/// The design: `[input][world]` positions in (0, 1), a Latin hypercube keyed by each input.
pub fn design(seed: u64, inputs: &[Input], worlds: u64) -> Vec<Vec<f64>> {
    let w = worlds as usize;
    inputs
        .iter()
        .map(|input| {
            let key = mix64(mix64(seed ^ 0x574f_524c_4453) ^ input.key());
            let mut perm: Vec<usize> = (0..w).collect();
            let mut rng = Sequence::new(key);
            for i in (1..w).rev() {
                let j = ((rng.uniform() * (i + 1) as f64) as usize).min(i);
                perm.swap(i, j);
            }
            perm.iter()
                .enumerate()
                .map(|(i, &stratum)| {
                    let jitter = Sequence::new(mix64(key ^ i as u64)).uniform();
                    (stratum as f64 + jitter) / w as f64
                })
                .collect()
        })
        .collect()
}

/// What one world yields: its input values, and per arm and metric the moments of the metric and
/// (arms after the first) of its paired difference against the first arm.
#[derive(Clone, Debug, PartialEq)]
pub struct WorldOut {
    /// The value of each input in this world (in [`inputs`] order).
    pub values: Vec<f64>,
    /// `[arm][metric]`: moments of the metric over the world's replicates.
    pub arms: Vec<Vec<Moments>>,
    /// `[arm - 1][metric]`: moments of the paired difference against the first arm.
    pub diffs: Vec<Vec<Moments>>,
}

/// How to run the worlds.
#[derive(Clone, Copy, Debug)]
pub struct WorldsPlan {
    /// Worlds.
    pub worlds: u64,
    /// Paired replicates per world.
    pub runs: u64,
    /// Horizon.
    pub weeks: u32,
}

/// Runs every world (see the module documentation). `templates[a]` is arm a's scenario; fails
/// with the first world whose values do not validate, or `Ok(None)` when `stop` is set.
pub fn run(
    templates: &[Template],
    inputs: &[Input],
    wp: WorldsPlan,
    plan: &Plan,
    stop: &AtomicBool,
) -> Result<Option<Vec<WorldOut>>, String> {
    let design = design(plan.seed, inputs, wp.worlds);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads.max(1))
        .thread_name(|i| format!("negsim-world-{i}"))
        .build()
        .map_err(|e| e.to_string())?;
    let out: Result<Vec<Option<WorldOut>>, String> = pool.install(|| {
        (0..wp.worlds)
            .into_par_iter()
            .map(|i| {
                if stop.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                world(templates, inputs, &design, i, wp, plan).map(Some)
            })
            .collect()
    });
    Ok(out?.into_iter().collect())
}

/// The values of world `i` and its replicates.
fn world(
    templates: &[Template],
    inputs: &[Input],
    design: &[Vec<f64>],
    i: u64,
    wp: WorldsPlan,
    plan: &Plan,
) -> Result<WorldOut, String> {
    let values: Vec<f64> = inputs
        .iter()
        .zip(design)
        .map(|(input, d)| quantile(&input.prior, d[i as usize]))
        .collect();
    let params: Vec<Params> = templates
        .iter()
        .enumerate()
        .map(|(a, t)| {
            let overrides: Vec<(&str, f64)> = inputs
                .iter()
                .zip(&values)
                .filter(|(input, _)| input.arms.contains(&a))
                .map(|(input, &x)| (input.path.as_str(), x))
                .collect();
            let sc = t
                .instantiate(&overrides)
                .map_err(|e| format!("world {i}: {e}"))?;
            Ok(Params::compile(&sc, wp.weeks))
        })
        .collect::<Result<_, String>>()?;
    let n_arms = params.len();
    let mut collectors: Vec<ReplicateCollector> =
        params.iter().map(ReplicateCollector::new).collect();
    let mut arms = vec![vec![Moments::default(); METRICS.len()]; n_arms];
    let mut diffs = vec![vec![Moments::default(); METRICS.len()]; n_arms.saturating_sub(1)];
    let mut base = vec![None; METRICS.len()];
    for rep in i * wp.runs..(i + 1) * wp.runs {
        for (a, p) in params.iter().enumerate() {
            let col = &mut collectors[a];
            col.reset(p, rep);
            let end = run_replicate(p, stream_key(plan, a, rep), &mut NoEvents, |s, o| {
                col.week(s, o);
            });
            let stats = col.finish(&end);
            for (k, m) in METRICS.iter().enumerate() {
                let x = (m.get)(&stats);
                if let Some(x) = x {
                    arms[a][k].push(x);
                }
                if a == 0 {
                    base[k] = x;
                } else if let (Some(x), Some(b)) = (x, base[k]) {
                    diffs[a - 1][k].push(x - b);
                }
            }
        }
    }
    Ok(WorldOut {
        values,
        arms,
        diffs,
    })
}

/// Per intervention (arm after the first) and metric, the effect across worlds
/// (`analysis::worlds::across` of each world's mean paired difference and its noise).
pub fn effects(out: &[WorldOut]) -> Vec<Vec<AcrossWorlds>> {
    let arms = out.first().map_or(0, |w| w.diffs.len());
    (0..arms)
        .map(|a| {
            (0..METRICS.len())
                .map(|k| {
                    let e: Vec<WorldEffect> = out
                        .iter()
                        .map(|w| &w.diffs[a][k])
                        .filter(|m| m.n > 0)
                        .map(|m| WorldEffect {
                            d: m.mean(),
                            noise: m.variance() / m.n as f64,
                        })
                        .collect();
                    across(&e)
                })
                .collect()
        })
        .collect()
}

/// The share of worlds where the effect helps (moves the metric in its better direction), noise
/// removed; `None` for a metric without a better direction.
pub fn p_helps(a: &AcrossWorlds, better: Better) -> Option<f64> {
    match better {
        Better::Higher => a.p_positive,
        Better::Lower => a.p_negative,
        Better::Neither => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::uncertain::Prior;

    fn input(path: &str, lo: f64, hi: f64) -> Input {
        Input {
            path: path.into(),
            prior: Prior::Uniform { lo, hi },
            source: None,
            note: String::new(),
            arms: vec![0],
        }
    }

    /// A Latin hypercube: each of W strata holds exactly one world per input, and an input's
    /// positions do not depend on which other inputs exist.
    #[test]
    fn the_design_is_stratified_and_keyed_by_path() {
        let a = [input("x.a", 0.0, 1.0), input("x.b", 0.0, 1.0)];
        let d = design(7, &a, 50);
        for col in &d {
            let mut strata: Vec<usize> = col.iter().map(|u| (u * 50.0) as usize).collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..50).collect::<Vec<_>>());
        }
        assert_ne!(d[0], d[1]);
        let alone = design(7, &a[1..], 50);
        assert_eq!(
            alone[0], d[1],
            "x.b's worlds do not move when x.a is removed"
        );
        assert_ne!(design(8, &a, 50)[0], d[0], "the seed moves the worlds");
    }
}
