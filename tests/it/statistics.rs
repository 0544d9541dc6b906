//! Interval coverage on synthetic data with a known truth: 95% intervals cover it in 93-97% of
//! repetitions (2,000 repetitions: the coverage estimate has a standard error of 0.5 points, so
//! the band is +-4 standard errors around 95%). Fixed seed.

use negsim::analysis::stats::{Moments, PairedCounts, wilson};
use negsim::model::rng::{Sequence, normal_quantile, open_unit};

const REPS: usize = 2_000;

fn normal(s: &mut Sequence) -> f64 {
    normal_quantile(open_unit(s.uniform()))
}

fn assert_coverage(hits: usize, what: &str) {
    let c = hits as f64 / REPS as f64;
    assert!((0.93..=0.97).contains(&c), "{what}: coverage {c}");
}

#[test]
fn t_intervals_for_a_mean_and_a_paired_difference_cover_the_truth() {
    let mut s = Sequence::new(2025);
    let (mu, delta, n) = (3.0, 0.4, 40);
    let (mut mean_hits, mut diff_hits) = (0, 0);
    for _ in 0..REPS {
        let (mut m, mut d) = (Moments::default(), Moments::default());
        for _ in 0..n {
            let common = normal(&mut s) * 2.0;
            let x = mu + common + normal(&mut s) * 0.5;
            let y = mu + delta + common + normal(&mut s) * 0.5;
            m.push(x);
            d.push(y - x);
        }
        let (lo, hi) = m.ci(0.95).expect("n > 1");
        mean_hits += usize::from(lo <= mu && mu <= hi);
        let (lo, hi) = d.ci(0.95).expect("n > 1");
        diff_hits += usize::from(lo <= delta && delta <= hi);
    }
    assert_coverage(mean_hits, "mean");
    assert_coverage(diff_hits, "paired difference");
}

#[test]
fn wilson_and_newcombe_intervals_cover_the_truth() {
    let mut s = Sequence::new(7);
    let (pa, pb, n) = (0.3, 0.22, 400u64);
    let (mut w_hits, mut nc_hits) = (0, 0);
    for _ in 0..REPS {
        let mut pc = PairedCounts::default();
        let mut k = 0;
        for _ in 0..n {
            // Correlated pairs: most of the time a shared uniform decides both outcomes (as common
            // random numbers do); otherwise b draws its own. Marginals stay pa and pb.
            let (u, v, w) = (s.uniform(), s.uniform(), s.uniform());
            let (a, b) = (u < pa, if v < 0.7 { u < pb } else { w < pb });
            k += u64::from(a);
            pc.push(a, b);
        }
        let (lo, hi) = wilson(k, n, 0.95).expect("n > 0");
        w_hits += usize::from(lo <= pa && pa <= hi);
        let (lo, hi) = pc.newcombe_ci(0.95).expect("n > 0");
        nc_hits += usize::from(lo <= pa - pb && pa - pb <= hi);
    }
    assert_coverage(w_hits, "wilson");
    // Newcombe's method is conservative with strongly correlated pairs; it must not undercover.
    let c = nc_hits as f64 / REPS as f64;
    assert!(c >= 0.93, "newcombe coverage {c}");
}
