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
    // An overlay that gives a range to a value it leaves as the base has it describes the base's
    // value: the input then applies to the base and to every arm that keeps that value without a
    // range of its own, so that adding a range never creates an effect by itself.
    for input in &mut out {
        if input.arms.contains(&0) {
            continue;
        }
        let (Some((base, false)), Some((own, _))) = (
            value_at(loaded, 0, &input.path),
            value_at(loaded, input.arms[0], &input.path),
        ) else {
            continue;
        };
        if own == base {
            extend_to_keepers(input, loaded, &base);
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
            Sequence::new(key).shuffle(&mut perm);
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

/// Calibrated constants drawn per world from a calibration's weighted posterior particles: world i
/// takes particle `draws[i]` (resampled by weight), for every arm.
#[derive(Clone, Debug, PartialEq)]
pub struct Posterior {
    /// The calibrated paths, in the file's column order.
    pub paths: Vec<String>,
    /// Per world, the particle's value of each path.
    pub draws: Vec<Vec<f64>>,
    /// Distinct particles among the draws.
    pub distinct: usize,
    /// Particles in the file.
    pub particles: usize,
}

impl Posterior {
    /// Reads the posterior CSV `text` (columns `particle, weight, distance`, then one column per
    /// parameter path) and resamples `worlds` particles by weight (systematic resampling with a
    /// seeded offset, then a seeded shuffle so that world order carries no rank). Only the columns
    /// in `calibrated` (the scenario's values with source = "calibration") are kept.
    pub fn read(
        name: &str,
        text: &str,
        calibrated: &[&str],
        worlds: u64,
        seed: u64,
    ) -> Result<Posterior, String> {
        let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let header: Vec<String> = r
            .headers()
            .map_err(|e| format!("{name}: {e}"))?
            .iter()
            .map(str::to_string)
            .collect();
        if header.get(1).map(String::as_str) != Some("weight") {
            return Err(format!(
                "{name}: expected a posterior CSV whose second column is 'weight', found {:?}",
                header.get(1)
            ));
        }
        let cols: Vec<usize> = (0..header.len())
            .filter(|&j| calibrated.contains(&header[j].as_str()))
            .collect();
        if cols.is_empty() {
            return Err(format!(
                "{name}: none of its columns is a calibrated value of the scenario (source = \"calibration\")"
            ));
        }
        let mut weights = Vec::new();
        let mut values = Vec::new();
        for (line, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| format!("{name}: {e}"))?;
            let num = |j: usize| -> Result<f64, String> {
                rec.get(j)
                    .and_then(|x| x.trim().parse::<f64>().ok())
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| {
                        format!(
                            "{name}:{}: column '{}' is not a finite number",
                            line + 2,
                            header[j]
                        )
                    })
            };
            let w = num(1)?;
            if w < 0.0 {
                return Err(format!("{name}:{}: weight {w} is negative", line + 2));
            }
            weights.push(w);
            values.push(
                cols.iter()
                    .map(|&j| num(j))
                    .collect::<Result<Vec<f64>, _>>()?,
            );
        }
        let total: f64 = weights.iter().sum();
        if values.is_empty() || total <= 0.0 {
            return Err(format!("{name}: no particle with a positive weight"));
        }
        let picks = resample(&weights, total, worlds, seed);
        let mut distinct = picks.clone();
        distinct.sort_unstable();
        distinct.dedup();
        Ok(Posterior {
            paths: cols.iter().map(|&j| header[j].clone()).collect(),
            draws: picks.iter().map(|&p| values[p].clone()).collect(),
            distinct: distinct.len(),
            particles: values.len(),
        })
    }
}

/// Systematic resampling of `worlds` indices by `weights` (summing to `total`): evenly spaced
/// points with one seeded offset, then a seeded shuffle so that world order carries no rank.
fn resample(weights: &[f64], total: f64, worlds: u64, seed: u64) -> Vec<usize> {
    // Systematic resampling: W evenly spaced points with one seeded offset.
    let key = mix64(seed ^ 0x504f_5354);
    let offset = Sequence::new(key).uniform();
    let mut picks = Vec::with_capacity(worlds as usize);
    let (mut cum, mut j) = (weights[0] / total, 0usize);
    for i in 0..worlds {
        let u = (i as f64 + offset) / worlds as f64;
        while u > cum && j + 1 < weights.len() {
            j += 1;
            cum += weights[j] / total;
        }
        picks.push(j);
    }
    Sequence::new(mix64(key ^ 1)).shuffle(&mut picks);
    picks
}

/// What one world yields: its input values, and per arm and metric the moments of the metric and
/// (arms after the first) of its paired difference against the first arm.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WorldOut {
    /// The value of each input in this world (in [`inputs`] order), then of each posterior path.
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

/// Runs worlds `range` of the `wp.worlds` (all of them, or one shard's; see the module
/// documentation). A world's values and replicates depend only on its index, so shards
/// concatenated in order are the whole run. `templates[a]` is arm a's scenario; fails with the
/// first world whose values do not validate, or `Ok(None)` when `stop` is set; `done` is called
/// once per finished world (a progress bar).
pub fn run(
    templates: &[Template],
    inputs: &[Input],
    posterior: Option<&Posterior>,
    (wp, range): (WorldsPlan, std::ops::Range<u64>),
    plan: &Plan,
    (stop, done): (&AtomicBool, &(dyn Fn() + Sync)),
) -> Result<Option<Vec<WorldOut>>, String> {
    let design = design(plan.seed, inputs, wp.worlds);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads.max(1))
        .thread_name(|i| format!("negsim-world-{i}"))
        .build()
        .map_err(|e| e.to_string())?;
    let out: Result<Vec<Option<WorldOut>>, String> = pool.install(|| {
        range
            .into_par_iter()
            .map(|i| {
                if stop.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                let w = world(templates, inputs, posterior, &design, i, wp, plan).map(Some);
                done();
                w
            })
            .collect()
    });
    Ok(out?.into_iter().collect())
}

/// The values of world `i` and its replicates.
fn world(
    templates: &[Template],
    inputs: &[Input],
    posterior: Option<&Posterior>,
    design: &[Vec<f64>],
    i: u64,
    wp: WorldsPlan,
    plan: &Plan,
) -> Result<WorldOut, String> {
    let mut values: Vec<f64> = inputs
        .iter()
        .zip(design)
        .map(|(input, d)| quantile(&input.prior, d[i as usize]))
        .collect();
    let calibrated: Vec<(&str, f64)> = posterior.map_or(Vec::new(), |p| {
        p.paths
            .iter()
            .map(String::as_str)
            .zip(p.draws[i as usize].iter().copied())
            .collect()
    });
    values.extend(calibrated.iter().map(|(_, x)| *x));
    let params: Vec<Params> = templates
        .iter()
        .enumerate()
        .map(|(a, t)| {
            let overrides: Vec<(&str, f64)> = inputs
                .iter()
                .zip(&values)
                .filter(|(input, _)| input.arms.contains(&a))
                .map(|(input, &x)| (input.path.as_str(), x))
                .chain(calibrated.iter().copied())
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

/// Arm `a`'s value at `path` as written, and whether it carries a range of its own.
pub fn value_at(loaded: &[Loaded], a: usize, path: &str) -> Option<(String, bool)> {
    loaded[a]
        .scenario
        .params
        .iter()
        .find(|p| p.path == path)
        .map(|p| (p.value.clone(), p.uncertain.is_some()))
}

/// Extends `input` to every arm that holds `value` at its path without a range of its own.
pub fn extend_to_keepers(input: &mut Input, loaded: &[Loaded], value: &str) {
    for a in 0..loaded.len() {
        if !input.arms.contains(&a)
            && value_at(loaded, a, &input.path) == Some((value.to_string(), false))
        {
            input.arms.push(a);
        }
    }
    input.arms.sort_unstable();
}

/// Per intervention (arm after the first) and metric, the effect across worlds
/// (`analysis::worlds::across` of each world's mean paired difference and its noise).
pub fn effects(out: &[WorldOut]) -> Vec<Vec<AcrossWorlds>> {
    let arms = out.first().map_or(0, |w| w.diffs.len());
    (0..arms)
        .map(|a| {
            (0..METRICS.len())
                .map(|k| across(&world_effects(out, a + 1, k)))
                .collect()
        })
        .collect()
}

/// Arm `arm`'s (1-based: after the baseline) effect on metric `k` in every world where it is
/// defined: the mean paired difference and its Monte-Carlo variance.
pub fn world_effects(out: &[WorldOut], arm: usize, k: usize) -> Vec<WorldEffect> {
    out.iter()
        .map(|w| &w.diffs[arm - 1][k])
        .filter(|m| m.n > 0)
        .map(|m| WorldEffect {
            d: m.mean(),
            noise: m.variance() / m.n as f64,
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

    /// Resampling follows the weights (a zero-weight particle is never drawn, and the shares of
    /// draws match the weights within the resolution of systematic resampling, 1 / W); only the
    /// calibrated columns are kept; bad files are errors naming the file and line.
    #[test]
    fn the_posterior_is_resampled_by_weight() {
        let text = "particle,weight,distance,a.x,b.y,c.z\n0,0.0,1,10,1,7\n1,0.75,1,20,2,7\n2,0.25,1,30,3,7\n";
        let p = Posterior::read("post.csv", text, &["a.x", "b.y"], 400, 3).expect("reads");
        assert_eq!(p.paths, vec!["a.x".to_string(), "b.y".to_string()]);
        assert_eq!((p.particles, p.distinct), (3, 2));
        let twenties = p.draws.iter().filter(|d| d[0] == 20.0).count();
        assert!(p.draws.iter().all(|d| d[0] != 10.0));
        assert!((299..=301).contains(&twenties), "{twenties}");
        assert_eq!(
            p.draws.iter().find(|d| d[0] == 30.0).map(|d| d[1]),
            Some(3.0)
        );
        let again = Posterior::read("post.csv", text, &["a.x", "b.y"], 400, 3).expect("reads");
        assert_eq!(p, again, "seeded");
        let bad = "particle,weight,distance,a.x\n0,1,1,oops\n";
        let e = Posterior::read("post.csv", bad, &["a.x"], 4, 1).expect_err("bad");
        assert!(
            e.contains("post.csv:2: column 'a.x' is not a finite number"),
            "{e}"
        );
        let e = Posterior::read("post.csv", text, &["q.q"], 4, 1).expect_err("no columns");
        assert!(
            e.contains("none of its columns is a calibrated value"),
            "{e}"
        );
        let e = Posterior::read("post.csv", "a,b\n1,2\n", &["a"], 4, 1).expect_err("header");
        assert!(e.contains("second column is 'weight'"), "{e}");
    }
}
