//! Shapley decomposition of an intervention's paired effect into the contributions of the
//! changes its overlay makes (`compare --explain`). Every coalition of changes is an arm run on
//! the same random streams as the base (common random numbers), so each replicate gives exact
//! per-replicate Shapley values, and their means get paired t intervals like any effect.

use rayon::prelude::*;

use crate::analysis::stats::Moments;
use crate::model::{NoEvents, Params, run_replicate};

use super::record::{MetricId, ReplicateCollector};
use super::{BATCH, Plan, stream_key};

/// Most players decomposed exactly (2^n coalitions each run `runs` times).
pub const MAX_PLAYERS: usize = 7;

/// Per player, the moments of its per-replicate Shapley value; and the moments of the whole
/// paired effect (full coalition minus the base). The values sum to the effect exactly,
/// replicate by replicate.
#[derive(Clone, Debug)]
pub struct Decomposition {
    /// Per player.
    pub values: Vec<Moments>,
    /// The effect of all changes together.
    pub total: Moments,
}

/// The decomposition of one intervention, as the report shows it.
#[derive(Clone, Debug)]
pub struct Explained {
    /// Arm name.
    pub arm: String,
    /// Per player: its label and the claims its keys cite.
    pub players: Vec<(String, Vec<String>)>,
    /// Shapley values and the total.
    pub result: Decomposition,
    /// What an added item's attributes are measured from, if any.
    pub reference: Option<String>,
}

fn factorial(n: usize) -> f64 {
    (1..=n).map(|k| k as f64).product()
}

/// The Shapley weights of `n` players by coalition size: w(|S|) = |S|! (n - |S| - 1)! / n!.
fn weights(n: usize) -> Vec<f64> {
    (0..n)
        .map(|s| factorial(s) * factorial(n - s - 1) / factorial(n))
        .collect()
}

/// Player `i`'s Shapley value from the values `y[mask]` of every coalition: the weighted mean of
/// its marginal contributions `y[S ∪ i] - y[S]` over the coalitions S without it.
fn value_of(y: &[f64], i: usize, weight: &[f64]) -> f64 {
    let bit = 1usize << i;
    (0..y.len())
        .filter(|s| s & bit == 0)
        .map(|s| weight[s.count_ones() as usize] * (y[s | bit] - y[s]))
        .sum()
}

/// Decomposes `metric` over `n` players: `coalitions[mask]` is the scenario with the changes of
/// the players in `mask` (bit i for player i; 0 is the base, `2^n - 1` the intervention).
/// Replicates `0..runs` on `plan`'s seed, in parallel by batch; the moments are exact integer
/// sums, so the result is the same at any thread count.
pub fn shapley(
    coalitions: &[Params],
    n: usize,
    runs: u64,
    plan: &Plan,
    metric: MetricId,
) -> Result<Decomposition, String> {
    if n == 0 || n > MAX_PLAYERS || coalitions.len() != 1 << n {
        return Err(format!("{} coalitions for {n} players", coalitions.len()));
    }
    let full = (1usize << n) - 1;
    let weight = weights(n);
    let get = metric.metric().get;
    let batches: Vec<(u64, u64)> = (0..runs.div_ceil(BATCH))
        .map(|b| (b * BATCH, ((b + 1) * BATCH).min(runs)))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads.max(1))
        .build()
        .map_err(|e| e.to_string())?;
    let parts: Vec<(Vec<Moments>, Moments)> = pool.install(|| {
        batches
            .par_iter()
            .map(|&(lo, hi)| {
                let mut collectors: Vec<ReplicateCollector> =
                    coalitions.iter().map(ReplicateCollector::new).collect();
                let mut values = vec![Moments::default(); n];
                let mut total = Moments::default();
                let mut y = vec![0.0; coalitions.len()];
                for rep in lo..hi {
                    for (mask, p) in coalitions.iter().enumerate() {
                        let col = &mut collectors[mask];
                        col.reset(p, rep);
                        let end =
                            run_replicate(p, stream_key(plan, 0, rep), &mut NoEvents, |s, o| {
                                col.week(s, o);
                            });
                        y[mask] = get(&col.finish(&end)).unwrap_or(f64::NAN);
                    }
                    for (i, v) in values.iter_mut().enumerate() {
                        let phi = value_of(&y, i, &weight);
                        if phi.is_finite() {
                            v.push(phi);
                        }
                    }
                    let t = y[full] - y[0];
                    if t.is_finite() {
                        total.push(t);
                    }
                }
                (values, total)
            })
            .collect()
    });
    let mut values = vec![Moments::default(); n];
    let mut total = Moments::default();
    for (v, t) in &parts {
        for (a, b) in values.iter_mut().zip(v) {
            a.merge(b);
        }
        total.merge(t);
    }
    Ok(Decomposition { values, total })
}

/// The Shapley decomposition across worlds: `means[w][mask]` is coalition `mask`'s mean metric
/// in world `w` (bit i for player i, as in [`shapley`]). Each world gives exact Shapley values of
/// its coalition means; the result keeps their moments over worlds, so the mean is the average
/// decomposition and its t interval covers the spread between worlds and each world's noise (the
/// nested estimator of `analysis::worlds`). The values sum to the total world by world.
pub fn over_worlds(means: &[Vec<f64>], n: usize) -> Decomposition {
    let full = (1usize << n) - 1;
    let weight = weights(n);
    let mut values = vec![Moments::default(); n];
    let mut total = Moments::default();
    for m in means.iter().filter(|m| m.len() == full + 1) {
        for (i, v) in values.iter_mut().enumerate() {
            v.push(value_of(m, i, &weight));
        }
        total.push(m[full] - m[0]);
    }
    Decomposition { values, total }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_worlds_splits_each_world_exactly_and_averages() {
        // Two players; world 0: additive (+1, +2), world 1: only both together (+3).
        let means = vec![vec![0.0, 1.0, 2.0, 3.0], vec![0.0, 0.0, 0.0, 3.0]];
        let d = over_worlds(&means, 2);
        assert_eq!(d.values[0].n, 2);
        // World 0 gives (1, 2); world 1 splits its interaction evenly (1.5, 1.5).
        assert!((d.values[0].mean() - 1.25).abs() < 1e-12);
        assert!((d.values[1].mean() - 1.75).abs() < 1e-12);
        assert!((d.total.mean() - 3.0).abs() < 1e-12);
        // Efficiency: the parts sum to the whole.
        assert!((d.values[0].mean() + d.values[1].mean() - d.total.mean()).abs() < 1e-12);
    }

    #[test]
    fn three_players_get_the_textbook_shapley_values() {
        // v(S) = |S|^2 for three symmetric players: each gets v(N)/3 = 3.
        let m: Vec<f64> = (0..8usize)
            .map(|s| f64::from(s.count_ones().pow(2)))
            .collect();
        let d = over_worlds(&[m], 3);
        for v in &d.values {
            assert!((v.mean() - 3.0).abs() < 1e-12, "{}", v.mean());
        }
    }
}
