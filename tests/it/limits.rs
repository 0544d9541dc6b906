//! Limiting cases with known answers (model.md section 6), on the reduced scenario files in
//! tests/scenarios/. Tolerances come from the simulation's own size: replicates are independent,
//! so the standard error of a frequency is the spread of per-replicate frequencies over sqrt(R),
//! and each assertion allows 4 standard errors (a false alarm has probability 6e-5 for a fixed,
//! correct engine; the seed is fixed, so the test is deterministic). A bound on the standard error
//! keeps the test able to fail.

use negsim::analysis::stats::Moments;
use negsim::model::{Move, NoEvents, Params, StreamKey, run_replicate};

use super::load;

const BURN_IN: u32 = 100;

/// Per-replicate frequencies of (CC, CD, DC, DD) and of cooperation, averaged over replicates.
fn outcome_frequencies(path: &str, replicates: u64) -> ([Moments; 4], Moments) {
    let l = load(path, &[]);
    let p = Params::compile(&l.scenario, l.scenario.meta.weeks);
    let mut freq: [Moments; 4] = Default::default();
    let mut coop = Moments::default();
    for r in 0..replicates {
        let mut counts = [0u64; 4];
        let mut cooperative = 0u64;
        let mut n = 0u64;
        run_replicate(
            &p,
            StreamKey {
                seed: 42,
                replicate: r,
                arm_salt: 0,
            },
            &mut NoEvents,
            |_, o| {
                if o.week < BURN_IN {
                    return;
                }
                let (a, b) = (o.moves[0] == Move::Defect, o.moves[1] == Move::Defect);
                counts[usize::from(a) * 2 + usize::from(b)] += 1;
                cooperative += u64::from(!a) + u64::from(!b);
                n += 1;
            },
        );
        for k in 0..4 {
            freq[k].push(counts[k] as f64 / n as f64);
        }
        coop.push(cooperative as f64 / (2 * n) as f64);
    }
    (freq, coop)
}

fn assert_close(m: &Moments, truth: f64, what: &str, max_se: f64) {
    let se = m.se();
    eprintln!("{what}: {} (se {se})", m.mean());
    assert!(
        se < max_se,
        "{what}: standard error {se} too large for a meaningful test"
    );
    assert!(
        (m.mean() - truth).abs() <= 4.0 * se,
        "{what}: {} vs {truth} (4 se = {})",
        m.mean(),
        4.0 * se
    );
}

#[test]
fn tit_for_tat_pairs_spend_a_quarter_of_the_time_in_each_outcome() {
    let (freq, coop) = outcome_frequencies("tests/scenarios/ipd_tft.toml", 400);
    for (k, name) in ["CC", "CD", "DC", "DD"].iter().enumerate() {
        assert_close(&freq[k], 0.25, name, 0.002);
    }
    assert_close(&coop, 0.5, "cooperation rate", 0.002);
}

#[test]
fn each_tit_for_tat_side_copies_what_it_saw_of_the_other_last_week() {
    // With misreading e = 0.1 on the one channel, side A's move next week equals side B's move
    // this week with probability 1 - e, for both sides; A's own move predicts nothing (0.5). A side
    // that copied itself, or read its own move for the other's, fails one of the two.
    let e = 0.1;
    let l = load("tests/scenarios/ipd_tft.toml", &[]);
    let p = Params::compile(&l.scenario, l.scenario.meta.weeks);
    let mut cross: [Moments; 2] = Default::default();
    let mut own: [Moments; 2] = Default::default();
    for r in 0..400 {
        let mut prev: Option<[Move; 2]> = None;
        let mut same = [[0u64; 2]; 2];
        let mut n = 0u64;
        run_replicate(
            &p,
            StreamKey {
                seed: 43,
                replicate: r,
                arm_salt: 0,
            },
            &mut NoEvents,
            |_, o| {
                if let Some(m) = prev
                    && o.week > BURN_IN
                {
                    for a in 0..2 {
                        same[a][0] += u64::from(o.moves[a] == m[1 - a]);
                        same[a][1] += u64::from(o.moves[a] == m[a]);
                    }
                    n += 1;
                }
                prev = Some(o.moves);
            },
        );
        for a in 0..2 {
            cross[a].push(same[a][0] as f64 / n as f64);
            own[a].push(same[a][1] as f64 / n as f64);
        }
    }
    for (a, side) in ["US", "CN"].iter().enumerate() {
        assert_close(
            &cross[a],
            1.0 - e,
            &format!("P({side} next = other now)"),
            0.002,
        );
        assert_close(&own[a], 0.5, &format!("P({side} next = {side} now)"), 0.004);
    }
}

#[test]
fn generous_tit_for_tat_reproduces_the_closed_form_cooperation_rate() {
    // p' = 1 - e(1 - g), q' = e + (1 - e) g; rate = q' / (1 - p' + q').
    let (e, g) = (0.01f64, 1.0f64 / 3.0);
    let (pp, qp) = (1.0 - e * (1.0 - g), e + (1.0 - e) * g);
    let truth = qp / (1.0 - pp + qp);
    assert!((truth - 0.980_769).abs() < 1e-6);
    let (_, coop) = outcome_frequencies("tests/scenarios/ipd_gtft.toml", 400);
    assert_close(&coop, truth, "GTFT cooperation rate", 0.0005);
}

#[test]
fn tension_without_shocks_converges_to_the_richardson_equilibrium() {
    let l = load("tests/scenarios/richardson.toml", &[]);
    let s = &l.scenario;
    let p = Params::compile(s, s.meta.weeks);
    let (a, b) = (&s.sides[0].tension, &s.sides[1].tension);
    // Equilibrium of k_i T_j - m_i T_i + g_i = 0.
    let det = a.fatigue * b.fatigue - a.reaction * b.reaction;
    let star = [
        (a.reaction * b.grievance + b.fatigue * a.grievance) / det,
        (b.reaction * a.grievance + a.fatigue * b.grievance) / det,
    ];
    // The weekly map x' = M x + g with M = [[1 - m_us, k_us], [k_cn, 1 - m_cn]]: the error after
    // W weeks is M^W (x0 - x*), so |x_W - x*| <= ||M^W||_inf |x0 - x*|_inf, computed here.
    let m = [[1.0 - a.fatigue, a.reaction], [b.reaction, 1.0 - b.fatigue]];
    let mut mw = [[1.0, 0.0], [0.0, 1.0]];
    for _ in 0..s.meta.weeks {
        mw = [
            [
                mw[0][0] * m[0][0] + mw[0][1] * m[1][0],
                mw[0][0] * m[0][1] + mw[0][1] * m[1][1],
            ],
            [
                mw[1][0] * m[0][0] + mw[1][1] * m[1][0],
                mw[1][0] * m[0][1] + mw[1][1] * m[1][1],
            ],
        ];
    }
    let norm = (mw[0][0].abs() + mw[0][1].abs()).max(mw[1][0].abs() + mw[1][1].abs());
    let x0 = [a.initial, b.initial];
    let err0 = (x0[0] - star[0]).abs().max((x0[1] - star[1]).abs());
    // Rounding: each week adds at most a few ulps of |x|.
    let tol = norm * err0 + f64::from(s.meta.weeks) * 8.0 * f64::EPSILON;
    let mut last = [0.0; 2];
    let mut early = [0.0; 2];
    run_replicate(
        &p,
        StreamKey {
            seed: 1,
            replicate: 0,
            arm_salt: 0,
        },
        &mut NoEvents,
        |st, o| {
            last = [st.sides[0].tension, st.sides[1].tension];
            if o.week == 9 {
                early = last;
            }
        },
    );
    for i in 0..2 {
        assert!(
            (last[i] - star[i]).abs() <= tol,
            "side {i}: {} vs equilibrium {} (tolerance {tol:e})",
            last[i],
            star[i]
        );
    }
    // Not trivially there from the start.
    assert!((early[0] - star[0]).abs() > 0.1);
}
