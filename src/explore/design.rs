//! Experimental designs on the unit hypercube: full grids, Latin hypercube samples, Saltelli's
//! matrices for Sobol indices and Morris trajectories. All deterministic given a seed.

use crate::model::rng::{Sequence, mix64};

/// A full factorial grid with `steps[k]` levels per dimension (1 level: the midpoint).
pub fn grid(steps: &[usize]) -> Vec<Vec<f64>> {
    let mut pts = vec![Vec::new()];
    for &n in steps {
        let levels: Vec<f64> = if n <= 1 {
            vec![0.5]
        } else {
            (0..n).map(|i| i as f64 / (n - 1) as f64).collect()
        };
        pts = pts
            .into_iter()
            .flat_map(|p| levels.iter().map(move |&l| [p.clone(), vec![l]].concat()))
            .collect();
    }
    pts
}

/// A Latin hypercube sample of `n` points in `d` dimensions (McKay, Beckman & Conover 1979):
/// each dimension's n strata are each hit once, at a random position within the stratum.
pub fn lhs(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Sequence::new(mix64(seed ^ 0x4c48_5300));
    let mut cols: Vec<Vec<f64>> = Vec::with_capacity(d);
    for _ in 0..d {
        let mut perm: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut perm);
        cols.push(
            perm.into_iter()
                .map(|s| (s as f64 + rng.uniform()) / n as f64)
                .collect(),
        );
    }
    (0..n)
        .map(|i| cols.iter().map(|c| c[i]).collect())
        .collect()
}

/// Points as rows of unit-scale coordinates.
pub type Matrix = Vec<Vec<f64>>;

/// Saltelli's design (Saltelli 2002, 2010): matrices A and B of `n` rows, and for each dimension i
/// the matrix A_B^(i) (A with column i from B). Returns (A, B, [A_B^(i)]).
pub fn saltelli(n: usize, d: usize, seed: u64) -> (Matrix, Matrix, Vec<Matrix>) {
    let both = lhs(n, 2 * d, seed);
    let a: Vec<Vec<f64>> = both.iter().map(|r| r[..d].to_vec()).collect();
    let b: Vec<Vec<f64>> = both.iter().map(|r| r[d..].to_vec()).collect();
    let ab = (0..d)
        .map(|i| {
            a.iter()
                .zip(&b)
                .map(|(ra, rb)| {
                    let mut r = ra.clone();
                    r[i] = rb[i];
                    r
                })
                .collect()
        })
        .collect();
    (a, b, ab)
}

/// Levels of the Morris grid.
pub const MORRIS_LEVELS: usize = 4;

/// Morris's step on the unit grid: p / (2 (p - 1)).
pub fn morris_delta() -> f64 {
    MORRIS_LEVELS as f64 / (2.0 * (MORRIS_LEVELS - 1) as f64)
}

/// `r` Morris trajectories in `d` dimensions (Morris 1991): each starts at a random grid point
/// from which every coordinate can move by +delta, and changes one coordinate at a time in a
/// random order. Returns the trajectories (d + 1 points each) and, per step, the coordinate moved.
pub fn morris(r: usize, d: usize, seed: u64) -> Vec<(Vec<Vec<f64>>, Vec<usize>)> {
    let delta = morris_delta();
    let mut rng = Sequence::new(mix64(seed ^ 0x4d4f_5252));
    let starts: Vec<f64> = (0..MORRIS_LEVELS)
        .map(|l| l as f64 / (MORRIS_LEVELS - 1) as f64)
        .filter(|&x| x + delta <= 1.0 + 1e-12)
        .collect();
    (0..r)
        .map(|_| {
            let mut x: Vec<f64> = (0..d)
                .map(|_| {
                    starts[((rng.uniform() * starts.len() as f64) as usize).min(starts.len() - 1)]
                })
                .collect();
            let mut order: Vec<usize> = (0..d).collect();
            rng.shuffle(&mut order);
            let mut pts = vec![x.clone()];
            for &k in &order {
                x[k] += delta;
                pts.push(x.clone());
            }
            (pts, order)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_and_lhs_shapes() {
        let g = grid(&[3, 2]);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], vec![0.0, 0.0]);
        assert_eq!(g[5], vec![1.0, 1.0]);
        let s = lhs(10, 3, 1);
        for k in 0..3 {
            let mut strata: Vec<usize> = s.iter().map(|p| (p[k] * 10.0) as usize).collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..10).collect::<Vec<_>>());
        }
    }

    #[test]
    fn morris_trajectories_move_one_coordinate_by_delta() {
        for (pts, order) in morris(20, 4, 3) {
            for (s, &k) in order.iter().enumerate() {
                for (j, (a, b)) in pts[s].iter().zip(&pts[s + 1]).enumerate() {
                    let diff = b - a;
                    if j == k {
                        assert!((diff - morris_delta()).abs() < 1e-12);
                    } else {
                        assert_eq!(diff, 0.0);
                    }
                }
            }
            assert!(
                pts.iter()
                    .flatten()
                    .all(|&x| (0.0..=1.0 + 1e-12).contains(&x))
            );
        }
    }
}
