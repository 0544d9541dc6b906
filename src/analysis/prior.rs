//! Sampling and probability of a [`Prior`]: inversion of one uniform, and the mass of an interval.
//! Used by the calibration's sampler and posterior charts, and by the plausible worlds of
//! `--worlds`.

use crate::scenario::uncertain::Prior;

use super::stats::inc_beta;

/// The value of `p` at quantile `u` in [0, 1] (a draw from the prior by inversion of one uniform).
pub fn quantile(p: &Prior, u: f64) -> f64 {
    match *p {
        Prior::Uniform { lo, hi } => lo + u * (hi - lo),
        Prior::LogUniform { lo, hi } => (lo.ln() + u * (hi.ln() - lo.ln())).exp(),
        Prior::Beta {
            alpha,
            beta,
            lo,
            hi,
        } => {
            // Inverse CDF by bisection on the regularised incomplete beta function.
            let (mut a, mut b) = (0.0, 1.0);
            for _ in 0..60 {
                let m = 0.5 * (a + b);
                if inc_beta(alpha, beta, m) < u {
                    a = m
                } else {
                    b = m
                }
            }
            lo + 0.5 * (a + b) * (hi - lo)
        }
    }
}

/// Prior probability of [a, b] (clipped to the support).
pub fn mass(p: &Prior, a: f64, b: f64) -> f64 {
    let (lo, hi) = p.bounds();
    let (a, b) = (a.clamp(lo, hi), b.clamp(lo, hi));
    match *p {
        Prior::Uniform { .. } => (b - a) / (hi - lo),
        Prior::LogUniform { .. } => (b.ln() - a.ln()) / (hi.ln() - lo.ln()),
        Prior::Beta { alpha, beta, .. } => {
            let cdf = |x: f64| inc_beta(alpha, beta, (x - lo) / (hi - lo));
            cdf(b) - cdf(a)
        }
    }
}
