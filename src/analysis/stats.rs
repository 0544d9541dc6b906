//! Statistics: streaming moments, fixed-resolution histograms, Student t and normal
//! distributions, confidence intervals for means, paired differences and proportions.
//!
//! Methods and constants are cited where they are defined. Everything here is deterministic and
//! knows nothing of scenarios or files.

/// Fixed-point scale of exact sums: values are summed as integers in units of 2^-28 (resolution
/// 3.7e-9, far below the six decimals negsim prints).
const SCALE: f64 = (1u64 << 28) as f64;

/// A value in the fixed-point units of exact sums (non-finite values count as 0).
#[inline]
pub fn to_fixed(x: f64) -> i128 {
    if !x.is_finite() {
        return 0;
    }
    // x * 2^28 is exact (a power of two). Rounding half away from zero is done here without
    // `f64::round` and the conversion without `as i128`, which on baseline x86-64 are a libm and a
    // compiler-rt call; this runs ~10^4 times per replicate. Hand-written for speed, equal to
    // `(x * SCALE).round() as i128` for every input (tests below).
    let y = x * SCALE;
    if y.abs() < TWO_52 {
        // Below 2^52 the truncation and its difference from y are exact.
        let i = y as i64;
        let f = y - i as f64;
        i128::from(i + i64::from(f >= 0.5) - i64::from(f <= -0.5))
    } else if y.abs() < TWO_62 {
        // From 2^52 on every f64 is an integer; below 2^62 it converts to i64 exactly.
        i128::from(y as i64)
    } else {
        y as i128
    }
}

/// 2^52: from here on every f64 is an integer.
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// 2^62, below which a rounded f64 converts to i64 exactly.
const TWO_62: f64 = 4_611_686_018_427_387_904.0;

/// Largest magnitude of a value summed by [`Moments`] (model metrics are tariffs up to 1,000 %,
/// counts up to 4 x 100,000 weeks): what a partial result's sums are checked against.
pub const MAX_VALUE: f64 = 1e6;

/// Most values whose exact sums cannot overflow: 10^9 values of magnitude [`MAX_VALUE`] keep the
/// sum of squares below 2^127.
pub const MAX_VALUES: u64 = 1_000_000_000;

/// Whether `s`, an exact fixed-point sum, can be the sum of `n` values of magnitude at most
/// [`MAX_VALUE`].
pub fn possible_sum(s: i128, n: u64) -> bool {
    (s as f64).abs() <= n as f64 * MAX_VALUE * SCALE
}

/// A fixed-point sum back as a float.
#[inline]
pub fn from_fixed(q: i128) -> f64 {
    q as f64 / SCALE
}

/// Streaming count, mean and variance from exact integer sums of fixed-point values and their
/// squares. Integer addition is associative, so any split of the values (threads, batches,
/// shards) merged in any order gives bit-identical results; memory is three integers. Sums of
/// squares stay below 2^127 for up to 10^9 values of magnitude up to 4 x 10^5.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Moments {
    /// Number of values.
    pub n: u64,
    /// Sum of the fixed-point values.
    #[serde(with = "i128_text")]
    s1: i128,
    /// Sum of their squares (in units of 2^-56).
    #[serde(with = "i128_text")]
    s2: i128,
}

/// Serialises i128 as decimal text (JSON numbers cannot hold it portably).
pub mod i128_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&x.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let t = String::deserialize(d)?;
        t.parse().map_err(serde::de::Error::custom)
    }
}

impl Moments {
    /// Adds one value (non-finite values are ignored; model metrics are always finite).
    #[inline]
    pub fn push(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        let q = to_fixed(x);
        self.n += 1;
        self.s1 += q;
        self.s2 += q * q;
    }

    /// Checks that these sums can come from at most `max_n` values of magnitude at most
    /// [`MAX_VALUE`] (an edited or damaged partial result otherwise wraps a merge around):
    /// `|s1| <= n M`, `0 <= s2 <= n M^2` and `s1^2 <= n s2` (Cauchy–Schwarz), in fixed point.
    pub fn check(&self, max_n: u64) -> Result<(), String> {
        let n = self.n as f64;
        let m = MAX_VALUE * SCALE;
        let (s1, s2) = (self.s1 as f64, self.s2 as f64);
        let ok = self.n <= max_n
            && possible_sum(self.s1, self.n)
            && s2 >= 0.0
            && s2 <= n * m * m
            && s1 * s1 <= n * s2 * (1.0 + 1e-9) + 1.0;
        if ok {
            Ok(())
        } else {
            Err(format!(
                "moments (n {}, sums {} and {}) that no {max_n} values of magnitude up to {MAX_VALUE} give",
                self.n, self.s1, self.s2
            ))
        }
    }

    /// Adds another accumulator (exact: the order of merges does not matter).
    pub fn merge(&mut self, o: &Moments) {
        self.n += o.n;
        self.s1 += o.s1;
        self.s2 += o.s2;
    }

    /// Sum of the values.
    pub fn sum(&self) -> f64 {
        self.s1 as f64 / SCALE
    }

    /// Mean (0 with no values).
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.s1 as f64 / self.n as f64 / SCALE
        }
    }

    /// Sample variance (n - 1 denominator); 0 with fewer than two values.
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let n = self.n as f64;
        let (s1, s2) = (self.s1 as f64, self.s2 as f64);
        ((s2 - s1 * s1 / n) / (n - 1.0) / (SCALE * SCALE)).max(0.0)
    }

    /// Sample standard deviation.
    pub fn sd(&self) -> f64 {
        self.variance().sqrt()
    }

    /// Standard error of the mean.
    pub fn se(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            (self.variance() / self.n as f64).sqrt()
        }
    }

    /// Two-sided confidence interval for the mean at `level`, Student t with n - 1 degrees of
    /// freedom; `None` with fewer than two values.
    pub fn ci(&self, level: f64) -> Option<(f64, f64)> {
        if self.n < 2 {
            return None;
        }
        let h = t_quantile(0.5 + level / 2.0, (self.n - 1) as f64) * self.se();
        let m = self.mean();
        Some((m - h, m + h))
    }

    /// Two-sided p-value of the t test of mean = 0 (paired t test when the values are paired
    /// differences). 1 when all values are zero; `None` with fewer than two values.
    pub fn p_value_zero(&self) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let se = self.se();
        let m = self.mean();
        if se == 0.0 {
            return Some(if m == 0.0 { 1.0 } else { 0.0 });
        }
        Some(2.0 * (1.0 - t_cdf((m / se).abs(), (self.n - 1) as f64)))
    }
}

/// A histogram of fixed resolution over `[0, hi]`: bin k holds values in
/// `[(k - 1/2) res, (k + 1/2) res)`, so values on the grid are exact and any quantile read from it
/// is within `res / 2` of the empirical quantile. Values outside are clamped to the end bins.
/// Integer counts merge exactly in any order.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(into = "SparseHistogram", try_from = "SparseHistogram")]
pub struct Histogram {
    /// Bin width.
    pub res: f64,
    /// 1 / bin width.
    #[serde(skip)]
    inv: f64,
    /// Counts per bin.
    pub counts: Vec<u64>,
    /// Total count.
    pub total: u64,
}

impl Histogram {
    /// An empty histogram covering `[0, hi]` at resolution `res`.
    pub fn new(hi: f64, res: f64) -> Histogram {
        let bins = ((hi / res).ceil() as usize).saturating_add(1).max(1);
        Histogram {
            res,
            inv: 1.0 / res,
            counts: vec![0; bins],
            total: 0,
        }
    }

    /// Bin of a value: the nearest multiple of the resolution, clamped to the ends (NaN to 0).
    #[inline]
    pub fn bin(&self, x: f64) -> usize {
        // `as usize` saturates (NaN and negatives to 0), so this clamps without branches.
        ((x * self.inv + 0.5) as usize).min(self.counts.len() - 1)
    }

    /// Adds one value.
    #[inline]
    pub fn push(&mut self, x: f64) {
        let b = self.bin(x);
        self.counts[b] += 1;
        self.total += 1;
    }

    /// Adds every value of `xs` (the total is updated once, so that a long run of pushes into one
    /// histogram is not a chain of read-modify-writes of it).
    #[inline]
    pub fn extend(&mut self, xs: impl Iterator<Item = f64>) {
        let mut n = 0;
        for x in xs {
            let b = self.bin(x);
            self.counts[b] += 1;
            n += 1;
        }
        self.total += n;
    }

    /// Adds `n` values in bin `b`.
    #[inline]
    pub fn add_bin(&mut self, b: usize, n: u64) {
        let b = b.min(self.counts.len() - 1);
        self.counts[b] += n;
        self.total += n;
    }

    /// The `q`-quantile (lower empirical quantile: the smallest bin value with at least
    /// ceil(q * n) values at or below it); `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut cum = 0;
        for (k, &c) in self.counts.iter().enumerate() {
            cum += c;
            if cum >= rank {
                return Some(k as f64 * self.res);
            }
        }
        Some((self.counts.len() - 1) as f64 * self.res)
    }
}

/// The serialised form of a [`Histogram`]: only non-empty bins, as (bin, count) pairs.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SparseHistogram {
    res: f64,
    bins: usize,
    counts: Vec<(usize, u64)>,
}

impl From<Histogram> for SparseHistogram {
    fn from(h: Histogram) -> Self {
        SparseHistogram {
            res: h.res,
            bins: h.counts.len(),
            counts: h
                .counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(b, c)| (b, *c))
                .collect(),
        }
    }
}

impl TryFrom<SparseHistogram> for Histogram {
    type Error = String;
    fn try_from(s: SparseHistogram) -> Result<Self, String> {
        if s.bins == 0 || s.bins > 100_000_000 || !(s.res.is_finite() && s.res > 0.0) {
            return Err(format!("histogram with {} bins of width {}", s.bins, s.res));
        }
        let mut h = Histogram {
            res: s.res,
            inv: 1.0 / s.res,
            counts: vec![0; s.bins],
            total: 0,
        };
        for (b, c) in s.counts {
            if b >= s.bins {
                return Err(format!("histogram bin {b} out of range"));
            }
            h.counts[b] = h.counts[b]
                .checked_add(c)
                .ok_or("histogram counts beyond 2^64")?;
            h.total = h
                .total
                .checked_add(c)
                .ok_or("histogram counts beyond 2^64")?;
        }
        Ok(h)
    }
}

impl Histogram {
    /// Checks that the histogram holds at most `max_n` values and that its total is its counts'
    /// sum (an edited partial result otherwise wraps a merge around).
    pub fn check(&self, max_n: u64) -> Result<(), String> {
        let sum = self.counts.iter().try_fold(0u64, |a, &c| a.checked_add(c));
        if sum == Some(self.total) && self.total <= max_n {
            Ok(())
        } else {
            Err(format!(
                "a histogram of {} values whose counts do not add up to it (at most {max_n})",
                self.total
            ))
        }
    }

    /// Adds the counts of `o` (same bins; exact in any order).
    pub fn merge(&mut self, o: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
        self.total += o.total;
    }
}

/// Natural log of the gamma function (Lanczos approximation, g = 7, n = 9; relative error
/// below 1e-15 for positive arguments).
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return std::f64::consts::PI.ln()
            - (std::f64::consts::PI * x).sin().abs().ln()
            - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Continued fraction for the incomplete beta function (Numerical Recipes, modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// Regularised incomplete beta function I_x(a, b).
pub fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(b, a, 1.0 - x) / b
    }
}

/// Regularised lower incomplete gamma P(a, x) (series or continued fraction, Numerical Recipes).
pub fn inc_gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x < a + 1.0 {
        let mut sum = 1.0 / a;
        let mut del = sum;
        let mut ap = a;
        for _ in 0..1000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (sum.ln() - x + a * x.ln() - ln_gamma(a)).exp()
    } else {
        1.0 - inc_gamma_q_cf(a, x)
    }
}

fn inc_gamma_q_cf(a: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..1000 {
        let an = -f64::from(i) * (f64::from(i) - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x + a * x.ln() - ln_gamma(a)).exp() * h
}

/// Standard normal CDF, Φ(x) = (1 + erf(x / √2)) / 2 with erf from the incomplete gamma function.
pub fn normal_cdf(x: f64) -> f64 {
    let p = inc_gamma_p(0.5, x * x / 2.0);
    if x >= 0.0 {
        0.5 + 0.5 * p
    } else {
        0.5 - 0.5 * p
    }
}

/// Standard normal quantile.
pub fn normal_quantile(p: f64) -> f64 {
    crate::model::rng::normal_quantile(p)
}

/// Student t CDF with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    if !df.is_finite() || df > 1e7 {
        return normal_cdf(t);
    }
    let x = df / (df + t * t);
    let tail = 0.5 * inc_beta(df / 2.0, 0.5, x);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// Student t quantile with `df` degrees of freedom (bisection on the CDF to 1e-12).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !df.is_finite() || df > 1e7 {
        return normal_quantile(p);
    }
    let (mut lo, mut hi) = (-1e3, 1e3);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Wilson score interval for a proportion of `k` successes in `n` trials (Wilson 1927).
pub fn wilson(k: u64, n: u64, level: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let z = normal_quantile(0.5 + level / 2.0);
    let (n, p) = (n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Counts of a paired binary outcome: `both` (1,1), `only_a` (1,0), `only_b` (0,1), `neither`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PairedCounts {
    /// Both arms 1.
    pub both: u64,
    /// Arm a 1, arm b 0.
    pub only_a: u64,
    /// Arm a 0, arm b 1.
    pub only_b: u64,
    /// Both 0.
    pub neither: u64,
}

impl PairedCounts {
    /// Adds one pair.
    pub fn push(&mut self, a: bool, b: bool) {
        match (a, b) {
            (true, true) => self.both += 1,
            (true, false) => self.only_a += 1,
            (false, true) => self.only_b += 1,
            (false, false) => self.neither += 1,
        }
    }

    /// Pairs counted, or None past 2^64.
    pub fn total(&self) -> Option<u64> {
        self.both
            .checked_add(self.only_a)?
            .checked_add(self.only_b)?
            .checked_add(self.neither)
    }

    /// Adds another table.
    pub fn merge(&mut self, o: &PairedCounts) {
        self.both += o.both;
        self.only_a += o.only_a;
        self.only_b += o.only_b;
        self.neither += o.neither;
    }

    /// Number of pairs.
    pub fn n(&self) -> u64 {
        self.both + self.only_a + self.only_b + self.neither
    }

    /// Difference of proportions p_a - p_b.
    pub fn difference(&self) -> f64 {
        (self.only_a as f64 - self.only_b as f64) / self.n().max(1) as f64
    }

    /// Newcombe's (1998) method 10 interval for a difference of paired proportions, built from
    /// the Wilson intervals of both margins with a continuity-corrected correlation.
    pub fn newcombe_ci(&self, level: f64) -> Option<(f64, f64)> {
        let n = self.n();
        if n == 0 {
            return None;
        }
        let (a, b, c, d) = (
            self.both as f64,
            self.only_a as f64,
            self.only_b as f64,
            self.neither as f64,
        );
        let (l1, u1) = wilson(self.both + self.only_a, n, level)?;
        let (l2, u2) = wilson(self.both + self.only_b, n, level)?;
        let (p1, p2) = ((a + b) / n as f64, (a + c) / n as f64);
        let denom = ((a + b) * (c + d) * (a + c) * (b + d)).sqrt();
        let phi = if denom == 0.0 {
            0.0
        } else {
            let num = a * d - b * c;
            let corrected = if num > 0.0 {
                (num - n as f64 / 2.0).max(0.0)
            } else {
                num
            };
            corrected / denom
        };
        let theta = p1 - p2;
        let dl = ((p1 - l1).powi(2) - 2.0 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2).powi(2))
            .max(0.0)
            .sqrt();
        let du = ((u1 - p1).powi(2) - 2.0 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2).powi(2))
            .max(0.0)
            .sqrt();
        Some(((theta - dl).max(-1.0), (theta + du).min(1.0)))
    }

    /// Two-sided exact McNemar p-value (binomial test on the discordant pairs).
    pub fn mcnemar_p(&self) -> f64 {
        let m = self.only_a + self.only_b;
        if m == 0 {
            return 1.0;
        }
        let k = self.only_a.min(self.only_b);
        // P(X <= k), X ~ Binomial(m, 1/2), summed in log space.
        let ln_half_m = m as f64 * 0.5f64.ln();
        let mut cdf = 0.0;
        for j in 0..=k {
            let ln_c = ln_gamma(m as f64 + 1.0)
                - ln_gamma(j as f64 + 1.0)
                - ln_gamma((m - j) as f64 + 1.0);
            cdf += (ln_c + ln_half_m).exp();
        }
        (2.0 * cdf).min(1.0)
    }
}

/// Mid-rank percentile of `obs` among `draws` (ties count half), in [0, 1].
pub fn mid_rank(draws: &[f64], obs: f64) -> f64 {
    let below = draws.iter().filter(|&&v| v < obs).count() as f64;
    let equal = draws.iter().filter(|&&v| v == obs).count() as f64;
    (below + 0.5 * equal) / draws.len().max(1) as f64
}

/// Continuous ranked probability score of the sample `draws` for the outcome `obs`:
/// E|X − y| − ½E|X − X'| (Gneiting & Raftery 2007), exact for the empirical distribution.
pub fn crps(draws: &[f64], obs: f64) -> f64 {
    let n = draws.len();
    if n == 0 {
        return f64::NAN;
    }
    let mut v = draws.to_vec();
    v.sort_by(f64::total_cmp);
    let nf = n as f64;
    let e_abs = v.iter().map(|x| (x - obs).abs()).sum::<f64>() / nf;
    let spread = v
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * (i as f64 + 1.0) - nf - 1.0) * x)
        .sum::<f64>()
        * 2.0
        / (nf * nf);
    e_abs - 0.5 * spread
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_match_direct_formulas_from_two_values_on() {
        let xs = [1.5, 2.0, 4.25, -3.0, 10.0];
        let mut m = Moments::default();
        for &x in &xs {
            m.push(x);
        }
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        assert!((m.mean() - mean).abs() < 1e-12);
        assert!((m.sum() - xs.iter().sum::<f64>()).abs() < 1e-12);
        assert!((m.variance() - var).abs() < 1e-9);
        let h = t_quantile(0.975, n - 1.0) * (var / n).sqrt();
        let (lo, hi) = m.ci(0.95).expect("five values");
        assert!((lo - (mean - h)).abs() < 1e-9 && (hi - (mean + h)).abs() < 1e-9);
        // Two values already have a variance; one has none and no interval.
        let mut two = Moments::default();
        two.push(1.0);
        two.push(3.0);
        assert!((two.variance() - 2.0).abs() < 1e-12);
        let mut one = Moments::default();
        one.push(1.0);
        assert_eq!(one.variance(), 0.0);
        assert!(one.ci(0.95).is_none());
    }

    #[test]
    fn fixed_point_round_trips() {
        for x in [0.0, 1.0, -2.5, 123.456_789, 1e-6] {
            assert!((from_fixed(to_fixed(x)) - x).abs() <= 0.5 / SCALE, "{x}");
        }
        assert_eq!(from_fixed(to_fixed(3.0) + to_fixed(4.5)), 7.5);
        // Every path equals the plain rounding: halves, neighbours of halves, the path edges,
        // and a spread of magnitudes from a fixed LCG.
        let exact = |x: f64| (x * SCALE).round() as i128;
        let mut xs: Vec<f64> = vec![
            0.0,
            -0.0,
            TWO_52 / SCALE,
            -TWO_52 / SCALE,
            TWO_62 / SCALE,
            -TWO_62 / SCALE,
            2.0 * TWO_62 / SCALE,
            1e30,
            -1e30,
        ];
        for k in -50i32..50 {
            let half = (f64::from(k) + 0.5) / SCALE;
            xs.extend([
                half,
                -half,
                f64::from_bits(half.to_bits() + 1),
                f64::from_bits(half.to_bits() - 1),
            ]);
        }
        let mut u: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            u = u
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let mag = 10f64.powi((u >> 59) as i32 - 12);
            xs.push(((u >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * mag);
        }
        for x in xs {
            assert_eq!(to_fixed(x), exact(x), "{x:e}");
        }
    }

    #[test]
    fn histogram_bins_clamp_and_sparse_round_trip_checks_bins() {
        let mut h = Histogram::new(10.0, 1.0);
        let last = h.counts.len() - 1;
        h.add_bin(last + 5, 2);
        h.add_bin(0, 1);
        assert_eq!(
            h.counts[last], 2,
            "a bin past the end lands in the last one"
        );
        let s = SparseHistogram::from(h.clone());
        let back = Histogram::try_from(s).expect("valid bins");
        assert_eq!(back.counts, h.counts);
        let bad = SparseHistogram {
            res: 1.0,
            bins: 3,
            counts: vec![(3, 1)],
        };
        assert!(Histogram::try_from(bad).is_err());
    }

    #[test]
    fn special_functions_match_statrs_over_a_grid() {
        // statrs (a dev-dependency) as the oracle for the hand-written special functions, over grids
        // that span the arguments the intervals use (shape parameters from counts 0.5..500, degrees of
        // freedom 1..1e6, probabilities in the tails).
        use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
        use statrs::function::{beta, gamma};
        let shapes = [0.5, 1.0, 1.5, 2.0, 3.7, 10.0, 25.5, 100.0, 500.0];
        let mut worst = [0.0f64; 6];
        for &a in &shapes {
            let rel =
                ((ln_gamma(a) - gamma::ln_gamma(a)) / gamma::ln_gamma(a).abs().max(1.0)).abs();
            worst[0] = worst[0].max(rel);
            for &b in &shapes {
                for i in 1..20 {
                    let x = f64::from(i) / 20.0;
                    worst[1] = worst[1].max((inc_beta(a, b, x) - beta::beta_reg(a, b, x)).abs());
                }
            }
            for &x in &[0.01, 0.3, 1.0, 2.5, 7.0, 30.0, 120.0, 600.0] {
                worst[2] = worst[2].max((inc_gamma_p(a, x) - gamma::gamma_lr(a, x)).abs());
            }
        }
        let n = Normal::standard();
        for i in -80..=80 {
            let x = f64::from(i) / 10.0;
            worst[3] = worst[3].max((normal_cdf(x) - n.cdf(x)).abs());
        }
        for &p in &[
            1e-9,
            1e-5,
            0.001,
            0.025,
            0.1,
            0.5,
            0.8,
            0.95,
            0.975,
            0.999,
            1.0 - 1e-7,
        ] {
            let q = n.inverse_cdf(p);
            worst[4] = worst[4].max(((normal_quantile(p) - q) / q.abs().max(1.0)).abs());
            // Beyond ~1e5 degrees of freedom statrs's own t quantile drifts (at 1e6 it gives 1.95985
            // for p = 0.975, below the normal's 1.95996), so there the normal is the oracle.
            // At 1e6 df the t quantile is the normal's plus the first Cornish-Fisher term
            // (z³ + z) / (4 df), to within the next term (< 1e-8 here) and the bisection's 1e-5.
            let tn = t_quantile(p, 1e6);
            let cf = q + (q.powi(3) + q) / 4e6;
            assert!(
                (tn - cf).abs() < 1e-5,
                "t quantile at 1e6 df, p = {p}: {tn} vs {cf}"
            );
            for &df in &[1.0, 2.0, 3.0, 5.0, 9.0, 29.0, 99.0, 999.0, 1e5] {
                let t = StudentsT::new(0.0, 1.0, df).expect("valid");
                if (0.001..=0.999).contains(&p) {
                    let q = t.inverse_cdf(p);
                    worst[5] = worst[5].max(((t_quantile(p, df) - q) / q.abs().max(1.0)).abs());
                }
                for &x in &[-6.0, -2.0, -0.5, 0.0, 1.0, 3.0] {
                    worst[5] = worst[5].max((t_cdf(x, df) - t.cdf(x)).abs());
                }
            }
        }
        // ln Γ relative, incomplete beta and gamma absolute, normal cdf absolute, quantiles relative,
        // t cdf absolute and quantile relative (to 1e-5: at 1e5 degrees of freedom the incomplete
        // beta with a = df/2 leaves the bisection about 3.5e-6 off).
        let limits = [1e-10, 1e-9, 1e-9, 1e-10, 1e-8, 1e-5];
        for (k, (w, l)) in worst.iter().zip(limits).enumerate() {
            assert!(
                w <= &l,
                "function {k}: worst error {w:e} > {l:e} ({worst:?})"
            );
        }
    }

    #[test]
    fn t_quantiles_match_tables() {
        assert!((t_quantile(0.975, 19.0) - 2.093_024).abs() < 1e-5);
        assert!((t_quantile(0.975, 1.0) - 12.706_205).abs() < 1e-4);
        assert!((t_quantile(0.975, 1e9) - 1.959_964).abs() < 1e-5);
        assert!((normal_cdf(1.959_963_985) - 0.975).abs() < 1e-9);
        assert!((normal_cdf(-3.0) - 0.001_349_898).abs() < 1e-9);
    }

    #[test]
    fn moments_merge_equals_sequential() {
        let xs: Vec<f64> = (0..1000).map(|i| ((i * 37) % 101) as f64 / 7.0).collect();
        let mut all = Moments::default();
        xs.iter().for_each(|&x| all.push(x));
        let (mut a, mut b) = (Moments::default(), Moments::default());
        xs[..300].iter().for_each(|&x| a.push(x));
        xs[300..].iter().for_each(|&x| b.push(x));
        a.merge(&b);
        // Exact sums: merging is bit-identical to one pass, in either order.
        assert_eq!(a, all);
        let mut c = Moments::default();
        xs[300..].iter().for_each(|&x| c.push(x));
        let mut d = Moments::default();
        xs[..300].iter().for_each(|&x| d.push(x));
        c.merge(&d);
        assert_eq!(c, all);
        let naive_mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((all.mean() - naive_mean).abs() < 1e-8);
        let naive_var =
            xs.iter().map(|x| (x - naive_mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
        assert!((all.variance() - naive_var).abs() < 1e-6 * naive_var);
    }

    #[test]
    fn histogram_extend_is_repeated_push() {
        let xs = [0.0, 0.04, 0.05, 3.2, -1.0, f64::NAN, 1e9, 3.2, 3.2];
        let (mut a, mut b) = (Histogram::new(10.0, 0.1), Histogram::new(10.0, 0.1));
        for x in xs {
            a.push(x);
        }
        b.extend(xs.into_iter());
        assert_eq!(a, b);
        assert_eq!(b.total, xs.len() as u64);
    }

    #[test]
    fn histogram_quantiles_are_exact_on_the_grid() {
        let mut h = Histogram::new(100.0, 0.1);
        for x in [1.0, 2.0, 3.0, 4.0] {
            h.push(x);
        }
        assert_eq!(h.quantile(0.5), Some(2.0));
        assert_eq!(h.quantile(0.51), Some(3.0));
        assert_eq!(h.quantile(1.0), Some(4.0));
        assert_eq!(Histogram::new(1.0, 0.1).quantile(0.5), None);
    }

    #[test]
    fn wilson_known_value() {
        // Newcombe (1998a), Table I: 81 of 263 -> (0.2553, 0.3662).
        let (l, u) = wilson(81, 263, 0.95).unwrap();
        assert!(
            (l - 0.2553).abs() < 1e-4 && (u - 0.3662).abs() < 1e-4,
            "{l} {u}"
        );
    }

    #[test]
    fn newcombe_interval_is_coherent() {
        let pc = PairedCounts {
            both: 12,
            only_a: 2,
            only_b: 5,
            neither: 1,
        };
        let (lo, hi) = pc.newcombe_ci(0.95).unwrap();
        assert!((pc.difference() + 0.15).abs() < 1e-12);
        assert!(lo < -0.15 && -0.15 < hi && lo >= -1.0 && hi <= 1.0);
        // Swapping the arms mirrors the interval.
        let sw = PairedCounts {
            both: 12,
            only_a: 5,
            only_b: 2,
            neither: 1,
        };
        let (lo2, hi2) = sw.newcombe_ci(0.95).unwrap();
        assert!((lo2 + hi).abs() < 1e-12 && (hi2 + lo).abs() < 1e-12);
        // More data, narrower interval.
        let big = PairedCounts {
            both: 1200,
            only_a: 200,
            only_b: 500,
            neither: 100,
        };
        let (l3, h3) = big.newcombe_ci(0.95).unwrap();
        assert!(h3 - l3 < (hi - lo) / 5.0);
    }

    #[test]
    fn mcnemar_exact() {
        let pc = PairedCounts {
            both: 0,
            only_a: 0,
            only_b: 5,
            neither: 0,
        };
        assert!((pc.mcnemar_p() - 0.0625).abs() < 1e-12);
    }
    #[test]
    fn crps_of_a_sample_matches_its_definition() {
        // Brute force E|X - y| - 0.5 E|X - X'| over all pairs.
        let x = [1.0, 4.0, 2.0, 8.0, 2.0];
        let y = 3.0;
        let n = x.len() as f64;
        let a: f64 = x.iter().map(|v: &f64| (v - y).abs()).sum::<f64>() / n;
        let b: f64 = x
            .iter()
            .flat_map(|u| x.iter().map(move |v| (u - v).abs()))
            .sum::<f64>()
            / (n * n);
        assert!((crps(&x, y) - (a - 0.5 * b)).abs() < 1e-12);
        // A point forecast at the outcome scores 0.
        assert_eq!(crps(&[5.0, 5.0], 5.0), 0.0);
    }

    #[test]
    fn mid_rank_counts_ties_half() {
        assert_eq!(mid_rank(&[0.0, 1.0, 1.0, 2.0], 1.0), 0.5);
        assert_eq!(mid_rank(&[0.0, 0.0], 3.0), 1.0);
        assert_eq!(mid_rank(&[3.0, 3.0], 3.0), 0.5);
    }
}
