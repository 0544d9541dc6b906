//! Random streams of one replicate.
//!
//! Every (mechanism, entity) pair of a replicate owns a stream keyed by (seed, replicate, arm
//! salt, mechanism, entity key). A stream has no state: its draw at (week, slot) is a keyed hash
//! of its position, `mix64(key + GAMMA * (week * STRIDE + slot + 1))`. That is SplitMix64 read at
//! a counter, in the counter-based style of Random123. So a draw costs one hash when a mechanism
//! uses it and nothing when it does not, and the draw at a given (stream, week, slot) is the same
//! in every arm whatever the state: common random numbers need no fixed per-week budget. Each use
//! of a stream has its own slot (the constants of [`slot`]), and adding a channel or a faction in
//! an overlay leaves every other stream intact. Uniforms, normals and Poisson counts are made here
//! from raw 64-bit outputs by inversion, so a value-breaking change in `rand` cannot shift
//! results.

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

/// The slots of each stream's week: one per use, distinct within a stream (the unit test
/// `no_slot_is_drawn_twice_in_a_week` checks that no two uses share one).
pub mod slot {
    /// Shocks: the four kinds, in the order of `Params::shock_means`.
    pub const SHOCKS: [u32; 4] = [0, 1, 2, 3];
    /// Perception: misreading of the other's move.
    pub const MISREAD: u32 = 0;
    /// Perception: clarification of a record dispute.
    pub const CLARIFY: u32 = 1;
    /// Decisions: the faction's intention.
    pub const INTENT: u32 = 0;
    /// Decisions: a conciliatory gesture.
    pub const GESTURE: u32 = 1;
    /// Decisions: acting alone.
    pub const ALONE: u32 = 2;
    /// Decisions: clout noise (step 8).
    pub const NOISE: u32 = 3;
    /// Gray: whether a gray-zone move is made.
    pub const GRAY_MOVE: u32 = 0;
    /// Gray: its size.
    pub const GRAY_SIZE: u32 = 1;
    /// Negotiation: an unscheduled round.
    pub const ROUND: u32 = 0;
    /// Negotiation: each side's call for a summit.
    pub const CALL: [u32; 2] = [1, 2];
    /// Negotiation: each side's acceptance of a proposal.
    pub const PROPOSAL: [u32; 2] = [3, 4];
    /// Negotiation: success of the attempt.
    pub const SUCCESS: u32 = 5;
    /// Negotiation: a broad rather than transactional scope.
    pub const SCOPE: u32 = 6;
    /// Negotiation: the four records of a deal (own and other, per side).
    pub const RECORDS: [u32; 4] = [7, 8, 9, 10];
    /// Negotiation: purchase fulfilment (step 7).
    pub const PURCHASE: u32 = 11;
    /// Negotiation: a transactional deal covering controls.
    pub const COVER: u32 = 12;
    /// Negotiation: extension of an expiring agreement.
    pub const EXTEND: u32 = 13;
    /// Moves: a reply in kind.
    pub const IN_KIND: u32 = 0;
    /// Moves: concession at a threat's deadline.
    pub const CONCEDE: u32 = 1;
    /// Moves: execution of a threat at its deadline.
    pub const EXECUTE: u32 = 2;
    /// Politics: closure or reopening of the channel.
    pub const CHANNEL: u32 = 0;
}

/// Slots per stream-week: every slot of [`slot`] is below it.
pub const STRIDE: u32 = 16;

/// SplitMix64's increment (the golden ratio in 64 bits); odd, so positions never collide.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64 finaliser: a bijective 64-bit mixer.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(GAMMA);
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
    /// The 64-bit key of the stream for `mechanism` and `entity`.
    pub fn derive(&self, mechanism: Mechanism, entity: u64) -> u64 {
        let mut h = mix64(self.seed);
        h = mix64(h ^ self.replicate);
        h = mix64(h ^ self.arm_salt);
        h = mix64(h ^ mechanism as u64);
        mix64(h ^ entity)
    }
}

/// One random stream: a key, and draws addressed by (week, slot).
#[derive(Clone, Copy, Debug)]
pub struct Stream {
    key: u64,
}

/// A stream's draws of one week.
#[derive(Clone, Copy, Debug)]
pub struct Draws {
    /// `key + GAMMA * week * STRIDE`: the position before the week's first slot.
    origin: u64,
    #[cfg(test)]
    at: (u64, u32),
}

/// 2^-53, the spacing of uniforms in [0, 1).
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

impl Stream {
    /// The stream with a derived 64-bit key.
    pub fn new(key: u64) -> Stream {
        Stream { key }
    }

    /// The stream's key.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// The draws of `week`.
    #[inline]
    pub fn week(&self, week: u32) -> Draws {
        Draws {
            origin: self
                .key
                .wrapping_add(GAMMA.wrapping_mul(u64::from(week) * u64::from(STRIDE))),
            #[cfg(test)]
            at: (self.key, week),
        }
    }
}

impl Draws {
    /// Uniform in [0, 1) with 53 random bits, at `slot` (below [`STRIDE`]).
    #[inline]
    pub fn u(&self, slot: u32) -> f64 {
        debug_assert!(slot < STRIDE);
        #[cfg(test)]
        log::record(self.at.0, self.at.1, slot);
        let z = mix64(
            self.origin
                .wrapping_add(GAMMA.wrapping_mul(u64::from(slot) + 1)),
        );
        (z >> 11) as f64 * UNIT
    }
}

impl Draws {
    /// True with probability `p`: exactly `self.u(slot) < p`, but without a draw when `p` is at
    /// most 0 or at least 1, where the answer is certain.
    #[inline]
    pub fn chance(&self, slot: u32, p: f64) -> bool {
        if p <= 0.0 {
            false
        } else if p >= 1.0 {
            true
        } else {
            self.u(slot) < p
        }
    }
}

/// A sequential stream, for what is not a replicate's model draws: design points, bootstrap
/// resamples and the calibration's sampler, which draw a data-dependent number of uniforms in
/// order. Xoshiro256++ seeded by SplitMix64.
#[derive(Clone, Debug)]
pub struct Sequence {
    rng: Xoshiro256PlusPlus,
}

impl Sequence {
    /// A sequence seeded from a derived 64-bit seed.
    pub fn new(seed: u64) -> Sequence {
        Sequence {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
        }
    }

    /// The next uniform in [0, 1) with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * UNIT
    }

    /// Shuffles `v` in place (Fisher-Yates, one uniform per position from the last down).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = ((self.uniform() * (i + 1) as f64) as usize).min(i);
            v.swap(i, j);
        }
    }
}

/// In unit-test builds, a test can log every draw of its thread, to check that no slot of a
/// stream-week is drawn twice and to count the draws the model makes.
#[cfg(test)]
pub(crate) mod log {
    use std::cell::{Cell, RefCell};

    thread_local! {
        static ON: Cell<bool> = const { Cell::new(false) };
        static DRAWN: RefCell<Vec<(u64, u32, u32)>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) fn record(key: u64, week: u32, slot: u32) {
        if ON.with(Cell::get) {
            DRAWN.with(|d| d.borrow_mut().push((key, week, slot)));
        }
    }

    /// Starts logging this thread's draws.
    pub(crate) fn start() {
        ON.with(|o| o.set(true));
        DRAWN.with(|d| d.borrow_mut().clear());
    }

    /// Takes this thread's log, (stream key, week, slot) per draw in order, and keeps logging.
    pub(crate) fn take() -> Vec<(u64, u32, u32)> {
        DRAWN.with(|d| std::mem::take(&mut *d.borrow_mut()))
    }

    /// Stops logging.
    pub(crate) fn stop() {
        ON.with(|o| o.set(false));
        DRAWN.with(|d| d.borrow_mut().clear());
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
        let a = Stream::new(k.derive(Mechanism::Shocks, 0));
        let b = Stream::new(k.derive(Mechanism::Shocks, 0));
        let c = Stream::new(k.derive(Mechanism::Shocks, 1));
        let (x, y, z) = (a.week(4).u(2), b.week(4).u(2), c.week(4).u(2));
        assert_eq!(x.to_bits(), y.to_bits());
        assert_ne!(x.to_bits(), z.to_bits());
        // A draw depends on its position only, not on what was drawn before it.
        let _ = a.week(4).u(1);
        assert_eq!(a.week(4).u(2).to_bits(), x.to_bits());
        assert_ne!(a.week(5).u(2).to_bits(), x.to_bits());
        assert_ne!(a.week(4).u(3).to_bits(), x.to_bits());
    }

    /// Uniforms over many (week, slot) positions of several streams: mean 1/2, variance 1/12,
    /// and no correlation between neighbouring slots, neighbouring weeks or neighbouring streams
    /// (each within 5 standard errors of its value for independent uniforms).
    #[test]
    fn uniforms_are_uniform_and_uncorrelated_across_positions() {
        let key = StreamKey {
            seed: 11,
            replicate: 0,
            arm_salt: 0,
        };
        let streams: Vec<Stream> = (0..8)
            .map(|e| Stream::new(key.derive(Mechanism::Decisions, e)))
            .collect();
        let (weeks, slots) = (2_000u32, STRIDE);
        let u = |s: usize, w: u32, k: u32| streams[s].week(w).u(k);
        let mut n = 0.0;
        let (mut sum, mut sq) = (0.0, 0.0);
        let (mut slot_lag, mut week_lag, mut stream_lag) = (0.0, 0.0, 0.0);
        for s in 0..streams.len() - 1 {
            for w in 0..weeks - 1 {
                for k in 0..slots - 1 {
                    let x = u(s, w, k);
                    assert!((0.0..1.0).contains(&x));
                    sum += x;
                    sq += (x - 0.5) * (x - 0.5);
                    slot_lag += (x - 0.5) * (u(s, w, k + 1) - 0.5);
                    week_lag += (x - 0.5) * (u(s, w + 1, k) - 0.5);
                    stream_lag += (x - 0.5) * (u(s + 1, w, k) - 0.5);
                    n += 1.0;
                }
            }
        }
        // Mean: sd sqrt(1/12 / n). Variance of (x - 1/2)^2 is 1/180. A lag product of two
        // independent centred uniforms has mean 0 and variance 1/144.
        assert!((sum / n - 0.5).abs() < 5.0 * (1.0 / 12.0 / n).sqrt());
        assert!((sq / n - 1.0 / 12.0).abs() < 5.0 * (1.0 / 180.0 / n).sqrt());
        for lag in [slot_lag, week_lag, stream_lag] {
            assert!(
                (lag / n).abs() < 5.0 * (1.0 / 144.0 / n).sqrt(),
                "{}",
                lag / n
            );
        }
    }

    #[test]
    fn poisson_inversion_has_right_mean() {
        let s = Stream::new(2);
        let (n, lambda) = (200_000u32, 0.7);
        let total: u64 = (0..n)
            .map(|w| u64::from(poisson(lambda, s.week(w).u(0))))
            .sum();
        let mean = total as f64 / f64::from(n);
        assert!(
            (mean - lambda).abs() < 5.0 * (lambda / f64::from(n)).sqrt(),
            "{mean}"
        );
        assert_eq!(poisson(0.0, 0.99), 0);
    }

    #[test]
    fn slots_are_below_the_stride() {
        let all = [
            &slot::SHOCKS[..],
            &[slot::MISREAD, slot::CLARIFY],
            &[slot::INTENT, slot::GESTURE, slot::ALONE, slot::NOISE],
            &[slot::GRAY_MOVE, slot::GRAY_SIZE],
            &[slot::IN_KIND, slot::CONCEDE, slot::EXECUTE],
            &[slot::CHANNEL],
            &[
                slot::ROUND,
                slot::CALL[0],
                slot::CALL[1],
                slot::PROPOSAL[0],
                slot::PROPOSAL[1],
                slot::SUCCESS,
                slot::SCOPE,
                slot::RECORDS[0],
                slot::RECORDS[1],
                slot::RECORDS[2],
                slot::RECORDS[3],
                slot::PURCHASE,
                slot::COVER,
                slot::EXTEND,
            ],
        ];
        for slots in all {
            let mut seen = std::collections::BTreeSet::new();
            for &k in slots {
                assert!(k < STRIDE);
                assert!(seen.insert(k), "slot {k} used twice in one stream");
            }
        }
    }

    #[test]
    fn normal_quantile_matches_known_values() {
        assert!(normal_quantile(0.5).abs() < 1e-9);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-8);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_813).abs() < 1e-8);
    }
}
