//! The model's exponential, written out in IEEE-754 additions and multiplications.
//!
//! Hand-written rather than `f64::exp` for two reasons (docs/PERFORMANCE.md, issue 14):
//! - **Bit-stability.** `f64::exp` is the system libm's. glibc picks an FMA or a non-FMA variant at
//!   run time by CPU, and other libms round differently, so the same scenario and seed could give
//!   other bits on another machine. This function uses only `+`, `-`, `*` and exact bit
//!   manipulation, which Rust never contracts into FMAs, so it gives the same bits on every
//!   IEEE-754 platform.
//! - **Speed.** It inlines into the weekly step (no call through the PLT) and has no branch on the
//!   model's usual inputs.
//!
//! Error bound (derivation beside [`exp`], measured over a grid by the tests): relative error
//! below [`EXP_REL_ERROR`] = 2e-15 (9 units in the last place) on `[-708, 709]`; outside that
//! range, where the result is below 3.3e-308 or above 8.2e307, it returns `f64::exp`.

/// Documented bound on the relative error of [`exp`] on `[EXP_LO, EXP_HI]`.
pub const EXP_REL_ERROR: f64 = 2e-15;

/// Lower end of the range [`exp`] computes itself.
pub const EXP_LO: f64 = -708.0;

/// Upper end of the range [`exp`] computes itself.
pub const EXP_HI: f64 = 709.0;

const LOG2E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split in two (Cody–Waite): the high part has 21 trailing zero bits, so `k * LN2_HI` is
/// exact for every `|k| < 2^21`. The constants are fdlibm's.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// 1.5 x 2^52: adding and subtracting it rounds to the nearest integer (ties to even) for
/// `|y| < 2^51`, without the libm call that `f64::round` is on baseline x86-64.
const SHIFTER: f64 = 6_755_399_441_055_744.0;

/// Taylor coefficients 1/n! for n = 2..=12.
const C: [f64; 11] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
];

/// e^x. With k = round(x / ln 2) and r = x - k ln 2 (|r| <= ln 2 / 2 = 0.3466), e^x = 2^k e^r,
/// and e^r is its Taylor polynomial of degree 12 evaluated in Estrin's scheme. The truncation's
/// relative error is at most |r|^13 / 13! x e^(2|r|) = 3.4e-16; the reduction (two exact-ish
/// products, error below 2^-60 of r) and the dozen roundings of the polynomial add at most about
/// 6 units in the last place (1.3e-15), hence [`EXP_REL_ERROR`]. Scaling by 2^k is exact.
#[inline]
pub fn exp(x: f64) -> f64 {
    // Also sends NaN to f64::exp, which returns it.
    if !(EXP_LO..=EXP_HI).contains(&x) {
        return x.exp();
    }
    let kf = (x * LOG2E + SHIFTER) - SHIFTER;
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    // Estrin: pairs, then pairs of pairs; short dependency chains.
    let p23 = C[0] + C[1] * r;
    let p45 = C[2] + C[3] * r;
    let p67 = C[4] + C[5] * r;
    let p89 = C[6] + C[7] * r;
    let p1011 = C[8] + C[9] * r;
    let p12 = C[10];
    let q2 = p23 + p45 * r2;
    let q6 = p67 + p89 * r2;
    let q10 = p1011 + p12 * r2;
    // e^r = 1 + r + r^2 (q2 + r^4 q6 + r^8 q10); the 1 added last keeps the small terms' bits.
    let tail = r2 * (q2 + r4 * q6 + r8 * q10);
    let er = 1.0 + (r + tail);
    // kf is an integer in [-1022, 1023] here, so this is an exact 2^k.
    let k = kf as i64;
    let scale = f64::from_bits(((k + 1023) as u64) << 52);
    er * scale
}

/// The logistic function 1 / (1 + e^-x), with [`exp`].
#[inline]
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + exp(-x))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative error against `f64::exp` (itself within 1 ulp of the truth in glibc, so the
    /// measured error is at most one ulp, 2.2e-16, above this function's own).
    fn rel(x: f64) -> f64 {
        let want = x.exp();
        ((exp(x) - want) / want).abs()
    }

    #[test]
    fn exp_is_within_its_bound_over_a_dense_grid_and_the_whole_range() {
        let mut worst = (0.0f64, 0.0f64);
        let mut check = |x: f64| {
            let e = rel(x);
            if e > worst.0 {
                worst = (e, x);
            }
        };
        // Dense where the model lives: 2,000,001 points on [-40, 40].
        for i in 0..=2_000_000 {
            check(-40.0 + 80.0 * f64::from(i) / 2_000_000.0);
        }
        // The whole range, and both ends exactly.
        for i in 0..=200_000 {
            check(EXP_LO + (EXP_HI - EXP_LO) * f64::from(i) / 200_000.0);
        }
        // Around every reduction boundary k ln 2 +- ln 2 / 2 in the model's range, where |r| is
        // largest and the truncation error peaks.
        for k in -60..=60 {
            let edge = (f64::from(k) + 0.5) * std::f64::consts::LN_2;
            for d in [-1e-9, -1e-15, 0.0, 1e-15, 1e-9] {
                check(edge + d);
            }
        }
        // Shown with --nocapture: the figure docs/PERFORMANCE.md quotes.
        eprintln!("exp: worst relative error {:e} at x = {}", worst.0, worst.1);
        // The tolerance is the documented bound plus the one ulp of the reference.
        assert!(
            worst.0 <= EXP_REL_ERROR + f64::EPSILON,
            "relative error {:e} at x = {}",
            worst.0,
            worst.1
        );
    }

    #[test]
    fn the_split_of_ln2_is_exact_enough_and_its_high_part_multiplies_exactly() {
        assert_eq!(LN2_HI.to_bits() & ((1 << 21) - 1), 0);
        assert_eq!(LN2_HI + LN2_LO, std::f64::consts::LN_2);
        // LN2_LO carries ln 2 beyond LN_2's own rounding, so it differs from the remainder of
        // LN_2 by at most half an ulp of LN_2 (2^-54).
        let rest = std::f64::consts::LN_2 - LN2_HI;
        assert!((LN2_LO - rest).abs() <= 2f64.powi(-54));
        assert!(LN2_LO != rest, "the low part adds bits beyond LN_2");
    }

    #[test]
    fn exp_is_exact_where_the_answer_is_and_falls_back_outside_its_range() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        for k in -20..=20 {
            // e^(k ln 2) is 2^k to within the bound (ln 2 itself is rounded).
            let x = f64::from(k) * std::f64::consts::LN_2;
            assert!((exp(x) / 2f64.powi(k) - 1.0).abs() <= EXP_REL_ERROR);
        }
        assert_eq!(exp(-800.0), 0.0);
        assert_eq!(exp(800.0), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(-708.5), (-708.5f64).exp());
        assert_eq!(exp(709.5), 709.5f64.exp());
    }

    #[test]
    fn exp_is_monotone_across_reduction_boundaries() {
        // A kink at a boundary of k would show as a decrease between neighbouring floats.
        for k in -40..=40 {
            let edge = (f64::from(k) + 0.5) * std::f64::consts::LN_2;
            let mut x = edge - 64.0 * f64::EPSILON * edge.abs().max(1.0);
            let mut last = exp(x);
            for _ in 0..128 {
                x = x.next_up();
                let y = exp(x);
                assert!(y >= last, "exp decreases at {x}");
                last = y;
            }
        }
    }

    #[test]
    fn logistic_matches_its_definition_and_is_symmetric() {
        for i in -400..=400 {
            let x = f64::from(i) / 10.0;
            let want = 1.0 / (1.0 + (-x).exp());
            assert!((logistic(x) - want).abs() <= 2.0 * EXP_REL_ERROR * want.max(1e-300));
            // Each term is off by at most its exp's error, scaled by l (1 - l) <= 1/4.
            assert!(
                (logistic(x) + logistic(-x) - 1.0).abs()
                    <= 0.5 * EXP_REL_ERROR + 4.0 * f64::EPSILON
            );
        }
    }
}
