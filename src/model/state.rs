//! State of one replicate, and its random streams.

use crate::scenario::Scope;

use super::observe::Move;
use super::params::Params;
use super::rng::{Mechanism, Stream, StreamKey};

/// One side's state.
#[derive(Clone, Debug, PartialEq)]
pub struct SideState {
    /// Average tariff on the other side's goods, percent.
    pub tariff: f64,
    /// Controls index.
    pub controls: f64,
    /// Trust that the other side reciprocates, in [0, 1].
    pub trust: f64,
    /// Shock-driven part of face cost (decays).
    pub face_shock: f64,
    /// Current initiative aversion, in [0, 1].
    pub aversion: f64,
    /// Richardson tension, in [0, tension_max].
    pub tension: f64,
    /// Shock-driven part of pain (decays).
    pub market_pain: f64,
    /// Economic pain this week.
    pub pain: f64,
    /// Tariff level the last deal left (the initial tariff before any deal).
    pub anchor_tariff: f64,
    /// Controls level the last deal left.
    pub anchor_controls: f64,
    /// Faction clout, normalised to sum 1.
    pub clout: Vec<f64>,
    /// The move this side made last week.
    pub last_move: Move,
    /// This side's reading of the other's last move.
    pub perceived: Move,
    /// Size of a gray-zone move made last week, if any.
    pub gray_pending: Option<f64>,
    /// This side's true rises last week: tariff (pp) and controls (index).
    pub rise: [f64; 2],
    /// This side's reading of the other's last move by instrument: the rises it saw (tariff pp,
    /// controls index) and the instrument it attributes the hostility to (none if read as
    /// conciliatory).
    pub perceived_rise: [f64; 2],
    /// Instrument of the perceived hostility (model.md 7.3).
    pub perceived_on: Option<crate::scenario::Instrument>,
    /// Per-faction scratch for the current week (allocated once per replicate).
    pub scratch: Vec<FactionWeek>,
}

/// One faction's decisions in the current week (steps 4-5).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FactionWeek {
    /// Intention.
    pub intent: Move,
    /// Makes a conciliatory gesture.
    pub gesture: bool,
    /// Acts without the leader.
    pub alone: bool,
}

/// The agreement in force.
#[derive(Clone, Debug, PartialEq)]
pub struct AgreementState {
    /// Scope (broad if any deal of this agreement was broad).
    pub scope: Scope,
    /// Detail in [0, 1].
    pub detail: f64,
    /// Week it must be renewed, if it has a term.
    pub expiry: Option<u32>,
    /// Tariff rise on each side if it lapses.
    pub snapback: [f64; 2],
    /// `tolerance[r][s]`: side r's record of how large a gray-zone move of side s the agreement allows.
    pub tolerance: [[f64; 2]; 2],
    /// Includes purchase commitments by China.
    pub purchases: bool,
    /// Binds controls as well as tariffs (an uncovered escalation leaves it standing).
    pub covers_controls: bool,
}

/// A threat waiting for its deadline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PendingThreat {
    /// Threatening side.
    pub side: usize,
    /// Size, pp.
    pub tariff_pp: f64,
    /// Week it takes effect.
    pub deadline: u32,
    /// Calendar entry.
    pub calendar: u32,
    /// Times it was postponed.
    pub postponed: u32,
}

/// State of one replicate.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// The week about to be simulated.
    pub week: u32,
    /// US and China.
    pub sides: [SideState; 2],
    /// Which channels are open.
    pub channel_open: Vec<bool>,
    /// Negotiators' experience with each other.
    pub experience: [f64; 2],
    /// Rapport between the negotiators.
    pub rapport: f64,
    /// The agreement in force.
    pub agreement: Option<AgreementState>,
    /// Last week a round on an authoritative channel succeeded (prepares summit agendas).
    pub last_agenda_week: Option<u32>,
    /// Threats waiting for their deadline.
    pub threats: Vec<PendingThreat>,
    /// Summits postponed to a later week (week, calendar entry).
    pub postponed_summits: Vec<(u32, Option<u32>)>,
    /// Next calendar entry to look at.
    pub calendar_cursor: usize,
    /// Whether the purchases were met last week.
    pub purchases_met: bool,
    /// Escalation heat: decaying stock of recent tariff escalations of both sides (model.md 7.7).
    pub heat: f64,
    /// Last week a round or summit was held (talks in progress).
    pub last_talks_week: Option<u32>,
}

impl State {
    /// The state at week 0.
    pub fn new(p: &Params) -> State {
        let side = |i: usize| {
            let sp = &p.sides[i];
            SideState {
                tariff: sp.tariff0,
                controls: sp.controls0,
                trust: sp.trust0,
                face_shock: 0.0,
                aversion: sp.aversion0,
                tension: sp.tension.initial.min(p.b.beliefs.tension_max),
                market_pain: 0.0,
                pain: 0.0,
                anchor_tariff: sp.tariff0,
                anchor_controls: sp.controls0,
                clout: sp.factions.iter().map(|f| f.clout0).collect(),
                last_move: Move::Cooperate,
                perceived: Move::Cooperate,
                gray_pending: None,
                rise: [0.0; 2],
                perceived_rise: [0.0; 2],
                perceived_on: None,
                scratch: vec![FactionWeek::default(); sp.factions.len()],
            }
        };
        let agreement = p.agreement0.as_ref().map(|a| {
            // Expected records at the initial agreement's detail (no draw: week 0 has no history).
            let amb = p.b.negotiation.ambiguity * (1.0 - a.detail);
            let own = (p.b.negotiation.gray_tolerance + 0.5 * amb).clamp(0.0, 1.0);
            let other = (p.b.negotiation.gray_tolerance - 0.5 * amb).clamp(0.0, 1.0);
            AgreementState {
                scope: a.scope,
                detail: a.detail,
                expiry: a.expiry,
                snapback: a.snapback,
                tolerance: [[own, other], [other, own]],
                purchases: a.purchases,
                covers_controls: a.covers_controls,
            }
        });
        State {
            week: 0,
            sides: [side(0), side(1)],
            channel_open: p.channels.iter().map(|c| c.channel.open).collect(),
            experience: p.experience0,
            rapport: p.rapport0,
            agreement,
            last_agenda_week: None,
            threats: Vec::new(),
            postponed_summits: Vec::new(),
            calendar_cursor: 0,
            purchases_met: false,
            heat: 0.0,
            last_talks_week: None,
        }
    }
}

/// The random streams of one replicate, one per (mechanism, entity).
#[derive(Clone, Debug)]
pub struct Streams {
    /// Step 1, per side.
    pub shocks: [Stream; 2],
    /// Step 2, per side.
    pub perception: [Stream; 2],
    /// Step 7 gray-zone moves, per side.
    pub gray: [Stream; 2],
    /// Step 6.
    pub negotiation: Stream,
    /// Steps 5-6 per side: instrument of a reply, and a threat's fate at its deadline.
    pub moves: [Stream; 2],
    /// Steps 4, 5 and 8 (clout noise), per faction.
    pub factions: [Vec<Stream>; 2],
    /// Step 8, per channel.
    pub channels: Vec<Stream>,
}

impl Streams {
    /// The streams of the replicate identified by `key`.
    pub fn new(p: &Params, key: StreamKey) -> Streams {
        let per_side =
            |m: Mechanism| [Stream::new(key.derive(m, 0)), Stream::new(key.derive(m, 1))];
        let factions = |i: usize| {
            p.sides[i]
                .factions
                .iter()
                .map(|f| Stream::new(key.derive(Mechanism::Decisions, f.key)))
                .collect()
        };
        Streams {
            shocks: per_side(Mechanism::Shocks),
            perception: per_side(Mechanism::Perception),
            gray: per_side(Mechanism::Gray),
            negotiation: Stream::new(key.derive(Mechanism::Negotiation, 0)),
            moves: per_side(Mechanism::Moves),
            factions: [factions(0), factions(1)],
            channels: p
                .channels
                .iter()
                .map(|c| Stream::new(key.derive(Mechanism::Politics, c.key)))
                .collect(),
        }
    }

    /// Every stream with its mechanism, in a fixed order (for the random-number floor benches).
    pub fn all(&self) -> Vec<(Mechanism, Stream)> {
        let mut v = Vec::new();
        let mut add = |m: Mechanism, streams: &[Stream]| v.extend(streams.iter().map(|&s| (m, s)));
        add(Mechanism::Shocks, &self.shocks);
        add(Mechanism::Perception, &self.perception);
        add(Mechanism::Gray, &self.gray);
        add(
            Mechanism::Negotiation,
            std::slice::from_ref(&self.negotiation),
        );
        add(Mechanism::Moves, &self.moves);
        add(Mechanism::Decisions, &self.factions[0]);
        add(Mechanism::Decisions, &self.factions[1]);
        add(Mechanism::Politics, &self.channels);
        v
    }
}

/// Every mechanism, in the order of `benches/baseline_draws.in`: the baseline's mean draws per
/// replicate-week by mechanism, which the random-number floor bench makes (kept true by the test
/// `the_floor_bench_draws_what_the_baseline_draws`).
pub const MECHANISMS: [Mechanism; 7] = [
    Mechanism::Shocks,
    Mechanism::Perception,
    Mechanism::Decisions,
    Mechanism::Gray,
    Mechanism::Negotiation,
    Mechanism::Politics,
    Mechanism::Moves,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rng::log;
    use crate::model::{NoEvents, step::step};
    use std::collections::{BTreeMap, HashSet};

    /// The built-in baseline with built-in overlays (includes expanded), as the default job
    /// loads them.
    fn scenario(overlays: &[String]) -> Params {
        use crate::scenario::builtin::{BASELINE, Builtin};
        use crate::scenario::{Resolver, load_texts, overlay_chain};
        let base = Builtin.read(BASELINE, "scenario").expect("baseline");
        let texts: Vec<crate::scenario::Text> = overlays
            .iter()
            .flat_map(|o| overlay_chain(o, &Builtin).expect("overlay"))
            .collect();
        let l = load_texts(&base, &texts).expect("baseline");
        Params::compile(&l.scenario, 156)
    }

    /// Runs `replicates` replicates of `p`, logging draws, and calls `week` with each week's log.
    fn logged(p: &Params, replicates: u64, mut week: impl FnMut(&Streams, &[(u64, u32, u32)])) {
        log::start();
        for rep in 0..replicates {
            let mut s = State::new(p);
            let r = Streams::new(
                p,
                StreamKey {
                    seed: 5,
                    replicate: rep,
                    arm_salt: 0,
                },
            );
            for _ in 0..p.weeks {
                step(p, &mut s, &r, &mut NoEvents);
                week(&r, &log::take());
            }
        }
        log::stop();
    }

    /// Two uses sharing a slot would draw the same number: common random numbers rely on every
    /// use owning its (stream, week, slot). Checked in the baseline and every intervention.
    #[test]
    fn no_slot_is_drawn_twice_in_a_week() {
        let names = crate::scenario::builtin::interventions();
        assert!(names.len() >= 5, "{names:?}");
        let mut drawn = 0usize;
        for overlay in std::iter::once(None).chain(names.iter().map(Some)) {
            let p = scenario(overlay.cloned().as_slice());
            logged(&p, 10, |r, week| {
                let keys: HashSet<u64> = r.all().iter().map(|(_, s)| s.key()).collect();
                let mut seen = HashSet::new();
                for &(key, w, slot) in week {
                    assert!(
                        keys.contains(&key),
                        "a draw from no stream of the replicate"
                    );
                    assert!(
                        seen.insert((key, w, slot)),
                        "{overlay:?}: slot {slot} drawn twice in week {w}"
                    );
                }
                drawn += week.len();
            });
        }
        assert!(drawn > 0);
    }

    /// The floor bench draws, per replicate-week, what the baseline draws on average, by
    /// mechanism. `NEGSIM_BLESS=1` rewrites the table after a change in what the model draws.
    #[test]
    fn the_floor_bench_draws_what_the_baseline_draws() {
        let p = scenario(&[]);
        let replicates = 200;
        let mut by_key: BTreeMap<u64, usize> = BTreeMap::new();
        let mut mechanism: BTreeMap<u64, Mechanism> = BTreeMap::new();
        logged(&p, replicates, |r, week| {
            for (m, s) in r.all() {
                mechanism.insert(s.key(), m);
            }
            for &(key, _, _) in week {
                *by_key.entry(key).or_default() += 1;
            }
        });
        let weeks = replicates as f64 * f64::from(p.weeks);
        let mut table = String::from(
            "// Mean draws per replicate-week of scenarios/baseline.toml (200 replicates, seed 5),\n\
             // by mechanism, in the order of negsim::model::MECHANISMS. Written by the unit test\n\
             // the_floor_bench_draws_what_the_baseline_draws (NEGSIM_BLESS=1 cargo test --release --lib).\n[\n",
        );
        for m in MECHANISMS {
            let n: usize = by_key
                .iter()
                .filter(|(k, _)| mechanism.get(k) == Some(&m))
                .map(|(_, n)| n)
                .sum();
            table.push_str(&format!("    {:.4}, // {m:?}\n", n as f64 / weeks));
        }
        table.push_str("]\n");
        let path = format!("{}/benches/baseline_draws.in", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("NEGSIM_BLESS").is_some() {
            std::fs::write(&path, &table).expect("write the table");
        }
        let recorded = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            recorded, table,
            "{path} is stale: rerun with NEGSIM_BLESS=1"
        );
    }
}
