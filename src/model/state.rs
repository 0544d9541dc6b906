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

/// One faction's decisions in the current week (steps 4-5), kept for step 8.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FactionWeek {
    /// Intention.
    pub intent: Move,
    /// Makes a conciliatory gesture.
    pub gesture: bool,
    /// Acts without the leader.
    pub alone: bool,
    /// Uniform for the clout noise of step 8.
    pub noise: f64,
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

/// Uniforms the negotiation stream draws per week.
pub const NEGOTIATION_DRAWS: usize = 14;
/// Uniforms each side's moves stream draws per week.
pub const MOVES_DRAWS: usize = 3;

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
}

impl Streams {
    /// Uniforms drawn per week by a replicate of `p` (fixed whatever the state): 4 per side for
    /// shocks, 2 per side for perception, 2 per side for gray-zone moves, 14 for negotiation, 3 per
    /// side for moves and threats, 4 per faction, 1 per channel.
    pub fn draws_per_week(p: &Params) -> usize {
        let factions: usize = p.sides.iter().map(|s| s.factions.len()).sum();
        2 * 4
            + 2 * 2
            + 2 * 2
            + NEGOTIATION_DRAWS
            + 2 * MOVES_DRAWS
            + 4 * factions
            + p.channels.len()
    }

    /// Every stream with the number of uniforms it draws per week, for benchmarks of the random
    /// number floor.
    pub fn all_mut(&mut self) -> Vec<(&mut Stream, usize)> {
        let mut v: Vec<(&mut Stream, usize)> = Vec::new();
        for s in &mut self.shocks {
            v.push((s, 4));
        }
        for s in &mut self.perception {
            v.push((s, 2));
        }
        for s in &mut self.gray {
            v.push((s, 2));
        }
        v.push((&mut self.negotiation, NEGOTIATION_DRAWS));
        for s in &mut self.moves {
            v.push((s, MOVES_DRAWS));
        }
        for side in &mut self.factions {
            for s in side {
                v.push((s, 4));
            }
        }
        for s in &mut self.channels {
            v.push((s, 1));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NoEvents, step::step};

    #[test]
    fn every_replicate_week_draws_the_same_fixed_number_of_uniforms() {
        let text = include_str!("../../scenarios/baseline.toml");
        let l = crate::scenario::load_texts(
            &crate::scenario::Text {
                path: "b".into(),
                text: text.into(),
            },
            &[],
        )
        .expect("baseline");
        let p = Params::compile(&l.scenario, 156);
        for rep in 0..20 {
            let mut s = State::new(&p);
            let mut r = Streams::new(
                &p,
                StreamKey {
                    seed: 5,
                    replicate: rep,
                    arm_salt: 0,
                },
            );
            let mut before = 0;
            for _ in 0..p.weeks {
                step(&p, &mut s, &mut r, &mut NoEvents);
                let total: u64 = r.all_mut().iter().map(|(st, _)| st.drawn).sum();
                assert_eq!(
                    (total - before) as usize,
                    Streams::draws_per_week(&p),
                    "replicate {rep}, week {}",
                    s.week
                );
                before = total;
            }
            // And each stream draws exactly its own budget.
            for (st, per_week) in r.all_mut() {
                assert_eq!(st.drawn, per_week as u64 * u64::from(p.weeks));
            }
        }
    }
}
