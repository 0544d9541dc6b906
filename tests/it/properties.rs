//! Property tests: for random valid scenarios, every week keeps probabilities, trust, tariffs,
//! controls, tension, clout and the negotiators' state within their bounds.

use negsim::model::params::weekly_probability;
use negsim::model::rng::{normal_quantile, open_unit, poisson};
use negsim::model::{NoEvents, Params, State, StreamKey, run_replicate};
use negsim::scenario::{Scenario, Text, load_texts};
use proptest::prelude::*;

use super::root;

fn baseline() -> Scenario {
    let t = Text {
        path: root().join("scenarios/baseline.toml").display().to_string(),
        text: std::fs::read_to_string(root().join("scenarios/baseline.toml")).expect("baseline"),
    };
    load_texts(&t, &[]).expect("baseline loads").scenario
}

fn check(p: &Params, s: &State) -> Result<(), String> {
    let unit = |x: f64| (0.0..=1.0).contains(&x);
    for (i, st) in s.sides.iter().enumerate() {
        let sp = &p.sides[i];
        if !(st.tariff >= sp.tariff_floor - 1e-9 && st.tariff <= sp.tariff_max + 1e-9) {
            return Err(format!(
                "side {i} tariff {} outside [{}, {}]",
                st.tariff, sp.tariff_floor, sp.tariff_max
            ));
        }
        if !(st.controls >= 0.0 && st.controls <= p.b.implementation.controls_max + 1e-9) {
            return Err(format!("side {i} controls {}", st.controls));
        }
        if !unit(st.trust) || !unit(st.aversion) {
            return Err(format!(
                "side {i} trust {} aversion {}",
                st.trust, st.aversion
            ));
        }
        if !(st.tension >= 0.0 && st.tension <= p.b.beliefs.tension_max) {
            return Err(format!("side {i} tension {}", st.tension));
        }
        let total: f64 = st.clout.iter().sum();
        if st.clout.iter().any(|c| !(c.is_finite() && *c >= 0.0)) || (total - 1.0).abs() > 1e-9 {
            return Err(format!("side {i} clout {:?}", st.clout));
        }
        if !(st.pain.is_finite() && st.pain >= 0.0) {
            return Err(format!("side {i} pain {}", st.pain));
        }
    }
    if !unit(s.rapport) || !s.experience.iter().all(|&x| unit(x)) {
        return Err(format!(
            "rapport {} experience {:?}",
            s.rapport, s.experience
        ));
    }
    if let Some(a) = &s.agreement
        && (!unit(a.detail) || a.tolerance.iter().flatten().any(|&x| !unit(x)))
    {
        return Err(format!("agreement {a:?}"));
    }
    Ok(())
}

prop_compose! {
    fn scenarios()(
        trust in prop::array::uniform2(0.0f64..=1.0),
        coordination in prop::array::uniform2(0.0f64..=1.0),
        aversion in prop::array::uniform2(0.0f64..=1.0),
        face in prop::array::uniform2(0.0f64..3.0),
        stance in prop::array::uniform6(-1.0f64..=1.0),
        generosity in prop::array::uniform6(0.0f64..=1.0),
        autonomy in prop::array::uniform6(0.0f64..=1.0),
        clout in prop::array::uniform6(0.0f64..5.0),
        misread in prop::array::uniform2(0.0f64..=1.0),
        authority in 0.0f64..=1.0,
        rates in prop::array::uniform4(0.0f64..30.0),
        tariff_frac in prop::array::uniform2(0.0f64..=1.0),
        step in 0.0f64..80.0,
        detail in 0.0f64..=1.0,
        seed in any::<u64>(),
    ) -> (Scenario, u64) {
        let mut s = baseline();
        for i in 0..2 {
            let side = &mut s.sides[i];
            side.trust = trust[i];
            side.coordination = coordination[i];
            side.initiative_aversion = aversion[i];
            side.face_cost = face[i];
            side.instruments.tariff = side.instruments.tariff_floor + tariff_frac[i] * (side.instruments.tariff_max - side.instruments.tariff_floor);
            side.instruments.tariff_step = step;
            side.shocks.security_incidents = rates[0];
            side.shocks.purges = rates[1];
            side.shocks.market_pain = rates[2];
            side.shocks.insults = rates[3];
            for (k, f) in side.factions.iter_mut().enumerate() {
                f.stance = stance[i * 3 + k];
                f.generosity = generosity[i * 3 + k];
                f.autonomy = autonomy[i * 3 + k];
                f.clout = clout[i * 3 + k] + if f.leader { 0.01 } else { 0.0 };
            }
        }
        s.channels[0].misread_conciliation = misread[0];
        s.channels[0].misread_hostility = misread[1];
        s.channels[0].authority = authority;
        s.behaviour.negotiation.round_rate = rates[0];
        if let Some(a) = s.agreement.as_mut() {
            a.detail = detail;
        }
        (s, seed)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn state_stays_within_bounds((scenario, seed) in scenarios()) {
        let p = Params::compile(&scenario, 104);
        let mut failure: Option<String> = None;
        run_replicate(&p, StreamKey { seed, replicate: 0, arm_salt: 0 }, &mut NoEvents, |s, o| {
            if failure.is_none()
                && let Err(e) = check(&p, s) {
                    failure = Some(format!("week {}: {e}", o.week));
                }
        });
        prop_assert!(failure.is_none(), "{}", failure.unwrap_or_default());
    }

    #[test]
    fn rate_conversions_and_draws_are_proper(rate in 0.0f64..1e6, lambda in 0.0f64..50.0, u in 0.0f64..1.0) {
        let p = weekly_probability(rate);
        prop_assert!((0.0..=1.0).contains(&p));
        let z = normal_quantile(open_unit(u));
        prop_assert!(z.is_finite());
        prop_assert!(poisson(lambda, u) <= 1000);
    }
}
