//! Random streams of one replicate.
//!
//! Every (mechanism, entity) pair of a replicate owns a `Xoshiro256PlusPlus` stream seeded from
//! (seed, replicate, arm salt, mechanism, entity key), and every stream consumes a fixed number of
//! draws per week whatever the state. So replicate i of two arms draws the same numbers for the
//! same shocks, and adding a channel or a faction in an overlay leaves every other stream intact
//! (common random numbers). Uniforms, normals and Poisson counts are made here from raw 64-bit
//! outputs by inversion, so a value-breaking change in `rand`'s distributions cannot shift results.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Identifies a mechanism's streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Mechanism {
    /// Step 1: domestic shocks, one stream per side.
    Shocks = 1,
    /// Step 2: perception, one stream per side.
    Perception = 2,
    /// Steps 4-5: faction decisions and clout noise, one stream per faction.
    Decisions = 3,
    /// Step 7: gray-zone moves under an agreement, one stream per side.
    Gray = 4,
    /// Step 6: negotiation, one stream.
    Negotiation = 5,
    /// Step 8: channel closure and reopening, one stream per channel.
    Politics = 6,
    /// Steps 5-6: instrument of a reply and the fate of threats at their deadline, one stream per
    /// side (added in model v2; the other streams keep their keys).
    Moves = 7,
}

/// SplitMix64 finaliser: a bijective 64-bit mixer.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a hash of a name, used as an entity key so that streams follow names, not positions.
pub fn name_key(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// What a replicate's streams are derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamKey {
    /// The run's seed.
    pub seed: u64,
    /// Replicate index.
    pub replicate: u64,
    /// 0 for common random numbers across arms; a per-arm value for independent streams.
    pub arm_salt: u64,
}

impl StreamKey {
    /// The 64-bit seed of the stream for `mechanism` and `entity`.
    pub fn derive(&self, mechanism: Mechanism, entity: u64) -> u64 {
        let mut h = mix64(self.seed);
        h = mix64(h ^ self.replicate);
        h = mix64(h ^ self.arm_salt);
        h = mix64(h ^ mechanism as u64);
        mix64(h ^ entity)
    }
}

/// One random stream with the draws the model needs. In unit-test builds it counts its draws, so
/// tests can check the fixed per-week budget that common random numbers rely on.
#[derive(Clone, Debug)]
pub struct Stream {
    rng: Xoshiro256PlusPlus,
    #[cfg(test)]
    pub(crate) drawn: u64,
}

/// 2^-53, the spacing of uniforms in [0, 1).
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

impl Stream {
    /// A stream seeded from a derived 64-bit seed.
    pub fn new(seed: u64) -> Stream {
        Stream {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            #[cfg(test)]
            drawn: 0,
        }
    }

    /// Uniform in [0, 1) with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        #[cfg(test)]
        {
            self.drawn += 1;
        }
        (self.rng.next_u64() >> 11) as f64 * UNIT
    }

    /// Fills `out` with uniforms in [0, 1).
    #[inline]
    pub fn fill<const N: usize>(&mut self) -> [f64; N] {
        let mut out = [0.0; N];
        for x in &mut out {
            *x = self.uniform();
        }
        out
    }
}

/// Uniform in the open interval (0, 1) made from a uniform in [0, 1): shifts by half a step.
#[inline]
pub fn open_unit(u: f64) -> f64 {
    u + 0.5 * UNIT
}

/// Poisson count with mean `lambda` from one uniform, by inversion (capped at 1,000).
#[inline]
pub fn poisson(lambda: f64, u: f64) -> u32 {
    poisson_with(lambda, (-lambda).exp(), u)
}

/// [`poisson`] with `exp(-lambda)` precomputed (the model's shock means are constant).
#[inline]
pub fn poisson_with(lambda: f64, exp_neg_lambda: f64, u: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    let mut p = exp_neg_lambda;
    let mut cdf = p;
    let mut k = 0u32;
    while u >= cdf && k < 1000 {
        k += 1;
        p *= lambda / f64::from(k);
        cdf += p;
        if p == 0.0 {
            break;
        }
    }
    k
}

/// Standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383_577_518_672_69e2,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let plow = 0.02425;
    if p < plow {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - plow {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let k = StreamKey {
            seed: 7,
            replicate: 3,
            arm_salt: 0,
        };
        let mut a = Stream::new(k.derive(Mechanism::Shocks, 0));
        let mut b = Stream::new(k.derive(Mechanism::Shocks, 0));
        let mut c = Stream::new(k.derive(Mechanism::Shocks, 1));
        let (x, y, z) = (a.uniform(), b.uniform(), c.uniform());
        assert_eq!(x.to_bits(), y.to_bits());
        assert_ne!(x.to_bits(), z.to_bits());
    }

    #[test]
    fn uniforms_in_unit_interval_with_right_mean() {
        let mut s = Stream::new(1);
        let n = 200_000;
        let mut sum = 0.0;
        for _ in 0..n {
            let u = s.uniform();
            assert!((0.0..1.0).contains(&u));
            sum += u;
        }
        // mean 1/2, sd of the mean sqrt(1/12/n); 5 sd.
        assert!((sum / n as f64 - 0.5).abs() < 5.0 * (1.0 / 12.0 / n as f64).sqrt());
    }

    #[test]
    fn poisson_inversion_has_right_mean() {
        let mut s = Stream::new(2);
        let (n, lambda) = (200_000, 0.7);
        let total: u64 = (0..n)
            .map(|_| u64::from(poisson(lambda, s.uniform())))
            .sum();
        let mean = total as f64 / n as f64;
        assert!(
            (mean - lambda).abs() < 5.0 * (lambda / n as f64).sqrt(),
            "{mean}"
        );
        assert_eq!(poisson(0.0, 0.99), 0);
    }

    #[test]
    fn normal_quantile_matches_known_values() {
        assert!(normal_quantile(0.5).abs() < 1e-9);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-8);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_813).abs() < 1e-8);
    }
}
