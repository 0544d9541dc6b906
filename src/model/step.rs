//! The weekly step: model.md section 3, steps 1-9 in fixed order. Pure: it reads parameters,
//! mutates the replicate's state, draws only from the replicate's streams (each use at its own
//! slot of its stream's week, and only when the use needs it) and reports what happened.
//! docs/MODEL.md gives the equations.

use crate::scenario::{Instrument, LeaderStyle, Scope};

use super::fastmath::{exp, logistic};
use super::observe::{Event, EventKind, EventSink, Move, WeekObs};
use super::observe::{Expiry, WeekOutcomes};
use super::params::{Params, ScheduledKind, WEEK_YEARS};
use super::rng::{Draws, normal_quantile, open_unit, poisson_with, slot};
use super::state::{AgreementState, FactionWeek, PendingThreat, State, Streams};

/// The side's line this week (step 5): hold, or escalate on one instrument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Line {
    /// No escalating line.
    #[default]
    Holds,
    /// The leader raises tariffs.
    Tariffs,
    /// The leader adds controls.
    Controls,
    /// The leader holds neither: the escalation halts purchases.
    HaltPurchases,
}

impl Line {
    /// The escalating line on the instrument chosen (none: purchases are halted).
    fn on(instrument: Option<Instrument>) -> Line {
        match instrument {
            Some(Instrument::Tariffs) => Line::Tariffs,
            Some(_) => Line::Controls,
            None => Line::HaltPurchases,
        }
    }

    fn escalates(self) -> bool {
        self != Line::Holds
    }
}

/// What each side does this week (steps 4, 5 and 7).
#[derive(Clone, Copy, Debug, Default)]
struct Actions {
    /// The leader's line.
    line: Line,
    /// Tariff escalation moves by factions acting alone.
    tariff_moves: u32,
    /// Controls escalation moves by factions acting alone.
    controls_moves: u32,
    /// Purchases halted as a hostile move.
    halt_purchases: bool,
    /// Tariff cuts (exclusions) by gesture.
    tariff_cuts: u32,
    /// Controls lifted by gesture.
    controls_cuts: u32,
    /// Purchases made as a gesture.
    purchases: bool,
    /// A hostile act outside the factions' moves (a threat carried out, a snapback).
    other_hostile: bool,
    /// A concession to a threat (a conciliatory act).
    conceded: bool,
}

/// Amounts actually changed this week, after bounds (step 9 compares them with thresholds).
#[derive(Clone, Copy, Debug, Default)]
struct Changes {
    tariff_up: f64,
    tariff_down: f64,
    controls_up: f64,
    controls_down: f64,
}

#[inline]
fn clamp01(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

#[inline]
fn emit<E: EventSink>(ev: &mut E, week: u32, side: Option<usize>, kind: EventKind, size: f64) {
    if E::ENABLED {
        ev.push(Event::new(week, kind, size).side(side));
    }
}

/// Hawkish weight of a side: clout-weighted positive stance, in [0, 1].
fn hawk_share(p: &Params, s: &State, i: usize) -> f64 {
    p.sides[i]
        .factions
        .iter()
        .zip(&s.sides[i].clout)
        .map(|(f, c)| c * f.stance.max(0.0))
        .sum()
}

/// Clout-weighted stance of a side, in [-1, 1].
fn position(p: &Params, s: &State, i: usize) -> f64 {
    p.sides[i]
        .factions
        .iter()
        .zip(&s.sides[i].clout)
        .map(|(f, c)| f.stance * c)
        .sum()
}

fn normalise(clout: &mut [f64], fallback: impl Fn(usize) -> f64) {
    let total: f64 = clout.iter().sum();
    if total > 0.0 && total.is_finite() {
        for c in clout.iter_mut() {
            *c /= total;
        }
    } else {
        for (k, c) in clout.iter_mut().enumerate() {
            *c = fallback(k);
        }
    }
}

/// Index of the open channel with the highest fidelity (perception, step 2).
fn best_for_perception(p: &Params, s: &State) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (k, c) in p.channels.iter().enumerate() {
        if s.channel_open[k] && best.is_none_or(|b| c.fidelity > p.channels[b].fidelity) {
            best = Some(k);
        }
    }
    best
}

/// Index of the open channel that best carries a negotiation (step 6).
fn best_for_negotiation(p: &Params, s: &State) -> Option<usize> {
    let n = &p.b.negotiation;
    let score = |k: usize| {
        n.logit_authority * p.channels[k].channel.authority
            + n.logit_fidelity * p.channels[k].fidelity
    };
    let mut best: Option<usize> = None;
    for k in 0..p.channels.len() {
        if s.channel_open[k] && best.is_none_or(|b| score(k) > score(b)) {
            best = Some(k);
        }
    }
    best
}

/// Simulates week `s.week` and advances the state to the next week.
pub fn step<E: EventSink>(p: &Params, s: &mut State, r: &Streams, ev: &mut E) -> WeekObs {
    let t = s.week;
    let mut obs = WeekObs {
        week: t,
        ..WeekObs::default()
    };
    shocks(p, s, r, ev);
    pains(p, s);
    perceive(p, s, r, &mut obs, ev);
    beliefs(p, s);
    let moves = [r.moves[0].week(t), r.moves[1].week(t)];
    let negotiation = r.negotiation.week(t);
    let mut acts = intentions(p, s, r, &moves);
    let mut changes = [Changes::default(); 2];
    negotiate(
        p,
        s,
        &negotiation,
        &moves,
        &mut acts,
        &mut changes,
        &mut obs,
        ev,
    );
    implement(p, s, r, &acts, &mut changes, &mut obs, &negotiation, ev);
    politics(p, s, r, ev);
    observe(p, s, &changes, &mut obs);
    s.week += 1;
    obs
}

/// Step 1: domestic shocks (Poisson arrivals, one uniform per kind with a positive mean, per side
/// per week).
fn shocks<E: EventSink>(p: &Params, s: &mut State, r: &Streams, ev: &mut E) {
    let e = &p.b.shocks;
    let t = s.week;
    for i in 0..2 {
        let d = r.shocks[i].week(t);
        let sp = &p.sides[i];
        // The four kinds in the order of Params::shock_means (and of the stream's slots).
        let [security, purges, market, insults] = [0, 1, 2, 3].map(|j| {
            let mean = sp.shock_means[j];
            if mean > 0.0 {
                poisson_with(mean, sp.shock_exp[j], d.u(slot::SHOCKS[j]))
            } else {
                0
            }
        });
        let sp = &p.sides[i];
        let st = &mut s.sides[i];
        st.face_shock *= p.face_decay;
        st.aversion = sp.aversion0 + (st.aversion - sp.aversion0) * p.aversion_recovery;
        st.market_pain *= p.pain_decay;
        if security > 0 {
            let n = f64::from(security);
            for (f, c) in sp.factions.iter().zip(st.clout.iter_mut()) {
                if f.stance > 0.0 {
                    *c *= 1.0 + e.security_clout_shift * f.stance * n;
                }
            }
            st.tension = (st.tension + e.security_tension * n).min(p.b.beliefs.tension_max);
            emit(ev, t, Some(i), EventKind::SecurityIncident, n);
        }
        if purges > 0 {
            let n = f64::from(purges);
            st.face_shock += e.purge_face_jump * n;
            st.aversion =
                1.0 - (1.0 - st.aversion) * (1.0 - e.purge_aversion_jump).powi(purges as i32);
            emit(ev, t, Some(i), EventKind::Purge, n);
        }
        if market > 0 {
            let n = f64::from(market);
            st.market_pain += e.market_pain_jump * n;
            for (f, c) in sp.factions.iter().zip(st.clout.iter_mut()) {
                if f.stance < 0.0 {
                    *c *= 1.0 + e.market_clout_shift * (-f.stance) * n;
                }
            }
            emit(ev, t, Some(i), EventKind::MarketPain, n);
        }
        normalise(&mut st.clout, |k| sp.factions[k].clout0);
        if insults > 0 {
            s.rapport *= (1.0 - e.insult_rapport_loss).powi(insults as i32);
            let other = &mut s.sides[1 - i];
            other.trust *= (1.0 - e.insult_trust_loss).powi(insults as i32);
            emit(ev, t, Some(i), EventKind::Insult, f64::from(insults));
        }
    }
}

/// Economic pain of each side: the other side's tariffs above their floor and controls, plus
/// shock-driven pain, less purchase relief.
fn pains(p: &Params, s: &mut State) {
    let w = &p.b.pain;
    for i in 0..2 {
        let o = 1 - i;
        let tariff_part =
            w.tariff_weight * (s.sides[o].tariff - p.sides[o].tariff_floor).max(0.0) / 100.0;
        let controls_part =
            w.controls_weight * s.sides[o].controls / p.b.implementation.controls_max;
        // The buyer's purchases relieve the other side in weeks they are met.
        let relief = if i == p.relieved && s.purchases_met {
            p.b.implementation.purchase_pain_relief
        } else {
            0.0
        };
        s.sides[i].pain = (tariff_part + controls_part + s.sides[i].market_pain - relief).max(0.0);
    }
}

/// Step 2: each side reads the other's last move through the best open channel; gray-zone moves
/// beyond one's own record of the agreement become record disputes.
// long: MODEL.md §7.1 line by line: per side, channel choice, misreading, clarification.
fn perceive<E: EventSink>(p: &Params, s: &mut State, r: &Streams, obs: &mut WeekObs, ev: &mut E) {
    let pe = &p.b.perception;
    let t = s.week;
    let best = best_for_perception(p, s);
    let authority = best_for_negotiation(p, s).map_or(0.0, |k| p.channels[k].channel.authority);
    for i in 0..2 {
        let o = 1 - i;
        let d = r.perception[i].week(t);
        let (ec, eh) = match best {
            Some(k) => (
                p.channels[k].channel.misread_conciliation,
                p.channels[k].channel.misread_hostility,
            ),
            None => (pe.public_misread_conciliation, pe.public_misread_hostility),
        };
        let factor = (1.0 - pe.experience_effect * s.experience[i])
            * (1.0 - pe.understanding_effect * p.understanding[i]);
        let truth = s.sides[o].last_move;
        let mut perceived = match truth {
            Move::Cooperate if d.chance(slot::MISREAD, ec * factor) => Move::Defect,
            Move::Defect if d.chance(slot::MISREAD, eh * factor) => Move::Cooperate,
            m => m,
        };
        if perceived != truth {
            obs.misperceptions += 1;
            let kind = if truth == Move::Cooperate {
                EventKind::MisreadAsHostile
            } else {
                EventKind::MisreadAsConciliatory
            };
            if E::ENABLED {
                ev.push(Event::new(t, kind, 1.0).side(i).channel(best));
            }
        }
        if let (Some(x), Some(a)) = (s.sides[o].gray_pending, &s.agreement)
            && x > a.tolerance[i][o]
        {
            if d.chance(slot::CLARIFY, pe.clarification * authority) {
                emit(ev, t, Some(i), EventKind::DisputeCleared, x);
            } else {
                perceived = Move::Defect;
                obs.record_disputes += 1;
                emit(ev, t, Some(i), EventKind::RecordDispute, x);
            }
        }
        if perceived == Move::Defect && s.agreement.is_some() {
            obs.perceived_violations += 1;
        }
        // What the hostility was on: the instruments truly used, or, for a conciliatory week
        // read as hostile or a disputed gray-zone move, a non-tariff slight (controls).
        let (seen, on) = match (perceived, truth) {
            (Move::Defect, Move::Defect) => {
                let rise = s.sides[o].rise;
                let on = if rise[0] > 0.0 {
                    Some(Instrument::Tariffs)
                } else if rise[1] > 0.0 {
                    Some(Instrument::Controls)
                } else {
                    None
                };
                (rise, on)
            }
            (Move::Defect, Move::Cooperate) => ([0.0; 2], Some(Instrument::Controls)),
            _ => ([0.0; 2], None),
        };
        s.sides[i].perceived_rise = seen;
        s.sides[i].perceived_on = on;
        s.sides[i].perceived = perceived;
        obs.perceived[i] = perceived;
    }
}

/// Step 3: trust and tension update on what was perceived; Richardson tension dynamics.
fn beliefs(p: &Params, s: &mut State) {
    let b = &p.b.beliefs;
    for i in 0..2 {
        let harsh = 1.0 + b.hawk_harshness * hawk_share(p, s, i);
        let st = &mut s.sides[i];
        match st.perceived {
            Move::Cooperate => st.trust += b.trust_gain * (1.0 - st.trust),
            Move::Defect => {
                st.trust -= (b.trust_loss * harsh).min(1.0) * st.trust;
                st.tension += b.perceived_hostility_tension;
            }
        }
        st.trust = clamp01(st.trust);
    }
    let (t0, t1) = (s.sides[0].tension, s.sides[1].tension);
    for (i, (own, other)) in [(t0, t1), (t1, t0)].into_iter().enumerate() {
        let te = &p.sides[i].tension;
        let next = own + te.reaction * other - te.fatigue * own + te.grievance;
        s.sides[i].tension = next.clamp(0.0, b.tension_max);
    }
}

/// Steps 4-5: each faction's intention from the reactive rule, then the side's line and who acts
/// alone. Draws from each faction's stream: its intention, a gesture and acting alone (slot 3,
/// the clout noise, is step 8's).
fn intentions(p: &Params, s: &mut State, r: &Streams, moves: &[Draws; 2]) -> [Actions; 2] {
    let w = &p.b.intentions;
    let mut acts = [Actions::default(); 2];
    let in_agreement = s.agreement.is_some();
    for (i, a) in acts.iter_mut().enumerate() {
        let sp = &p.sides[i];
        let st = &mut s.sides[i];
        let face = sp.face_cost + st.face_shock;
        let restraint = if in_agreement {
            w.agreement_restraint
        } else {
            0.0
        };
        let shift = w.face_weight * face + w.tension_weight * st.tension
            - w.pain_weight * st.pain
            - w.trust_weight * (st.trust - w.trust_reference)
            - restraint;
        let mut escalate_share = 0.0;
        for (k, f) in sp.factions.iter().enumerate() {
            let d = r.factions[i][k].week(s.week);
            let z = w.stance_weight * f.stance + shift;
            let intent = match st.perceived {
                Move::Cooperate if d.chance(slot::INTENT, clamp01(w.provocation_base + z)) => {
                    Move::Defect
                }
                Move::Defect if !d.chance(slot::INTENT, clamp01(f.generosity - z)) => Move::Defect,
                _ => Move::Cooperate,
            };
            let gesture = intent == Move::Cooperate
                && f.stance < 0.0
                && d.chance(
                    slot::GESTURE,
                    w.gesture_rate * (-f.stance) * (1.0 - st.aversion),
                );
            if intent == Move::Defect {
                escalate_share += st.clout[k];
            }
            st.scratch[k] = FactionWeek {
                intent,
                gesture,
                alone: d.chance(slot::ALONE, f.p_alone),
            };
        }
        let line_escalates = escalate_share > 0.0 && escalate_share >= w.line_threshold;
        if line_escalates {
            // Reciprocity in kind: a perceived blow on an instrument the side holds is answered
            // on it (always if that is the leader's own instrument, otherwise with probability
            // in_kind_share); anything else with the leader's instrument.
            let own = sp.factions[sp.leader].hostile;
            let in_kind = match st.perceived_on {
                Some(x)
                    if st.perceived == Move::Defect
                        && x != Instrument::Purchases
                        && sp.holds[x as usize]
                        && (Some(x) == own
                            || moves[i].chance(slot::IN_KIND, p.b.escalation.in_kind_share)) =>
                {
                    Some(x)
                }
                _ => None,
            };
            a.line = Line::on(in_kind.or(own));
        }
        for (k, f) in sp.factions.iter().enumerate() {
            let fw = st.scratch[k];
            if fw.alone {
                match (fw.intent, f.hostile) {
                    (Move::Defect, Some(Instrument::Tariffs)) => a.tariff_moves += 1,
                    (Move::Defect, Some(_)) => a.controls_moves += 1,
                    (Move::Defect, None) => a.halt_purchases = true,
                    (Move::Cooperate, _) if fw.gesture => add_gesture(a, f.gesture),
                    _ => {}
                }
            } else if fw.gesture && !line_escalates {
                add_gesture(a, f.gesture);
            }
        }
    }
    acts
}

fn add_gesture(a: &mut Actions, instrument: Option<Instrument>) {
    match instrument {
        Some(Instrument::Purchases) => a.purchases = true,
        Some(Instrument::Controls) => a.controls_cuts += 1,
        Some(Instrument::Tariffs) => a.tariff_cuts += 1,
        None => {}
    }
}

/// A negotiation attempt of this week.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Attempt {
    Round {
        calendar: Option<u32>,
    },
    Summit {
        prepared: bool,
        calendar: Option<u32>,
    },
}

/// What the calendar brings this week (step 6a).
#[derive(Clone, Copy, Debug, Default)]
struct Agenda {
    round: Option<u32>,
    summit: Option<(bool, Option<u32>)>,
}

/// True if a round or summit was held within `talks_window` weeks before `t` (or at `t`).
fn talks_in_progress(p: &Params, s: &State, t: u32) -> bool {
    s.last_talks_week
        .is_some_and(|w| f64::from(t - w) <= p.b.negotiation.talks_window)
}

/// True if a calendar or postponed summit falls within `summit_near` weeks after `t`.
fn summit_near(p: &Params, s: &State, t: u32) -> bool {
    let near = p.b.threats.summit_near;
    let within = |w: u32| w >= t && f64::from(w - t) <= near;
    p.calendar[s.calendar_cursor..]
        .iter()
        .take_while(|e| f64::from(e.week.saturating_sub(t)) <= near)
        .any(|e| matches!(e.kind, ScheduledKind::Summit { .. }) && within(e.week))
        || s.postponed_summits.iter().any(|&(w, _)| within(w))
}

/// Step 6: the calendar, the attempt of the week and its outcome, the agreement's expiry, and
/// threats at their deadline, as named sub-phases (6a-6e), drawing from the negotiation stream's
/// week `u` (its purchase slot is step 7's) and the sides' moves streams.
#[allow(clippy::too_many_arguments)]
fn negotiate<E: EventSink>(
    p: &Params,
    s: &mut State,
    u: &Draws,
    moves: &[Draws; 2],
    acts: &mut [Actions; 2],
    changes: &mut [Changes; 2],
    obs: &mut WeekObs,
    ev: &mut E,
) {
    let agenda = read_calendar(p, s, ev);
    let expiry_due = s
        .agreement
        .as_ref()
        .is_some_and(|a| a.expiry == Some(s.week));
    let attempt = choose_attempt(p, s, u, agenda, expiry_due, ev);
    let deal = match attempt {
        Some(att) => hold_attempt(p, s, u, att, expiry_due, acts, changes, obs, ev),
        None => false,
    };
    if expiry_due {
        expire(p, s, u, deal, acts, changes, obs, ev);
    }
    threats_due(p, s, moves, acts, changes, obs, ev);
}

/// 6a: calendar entries of this week. Threats are announced (tension to the threatened side);
/// the last round and the last summit of the week are kept.
fn read_calendar<E: EventSink>(p: &Params, s: &mut State, ev: &mut E) -> Agenda {
    let t = s.week;
    let mut agenda = Agenda::default();
    while let Some(e) = p.calendar.get(s.calendar_cursor) {
        if e.week > t {
            break;
        }
        s.calendar_cursor += 1;
        if e.week < t {
            continue;
        }
        let idx = e.index as u32;
        match e.kind {
            ScheduledKind::Round => agenda.round = Some(idx),
            ScheduledKind::Summit { prepared } => agenda.summit = Some((prepared, Some(idx))),
            // The initial agreement's expiry is set at compile time (Params::agreement0).
            ScheduledKind::TruceExpiry => {}
            ScheduledKind::Threat {
                side,
                tariff_pp,
                deadline,
            } => {
                s.threats.push(PendingThreat {
                    side,
                    tariff_pp,
                    deadline,
                    calendar: idx,
                    postponed: 0,
                });
                let threatened = &mut s.sides[1 - side];
                threatened.tension =
                    (threatened.tension + p.b.beliefs.threat_tension).min(p.b.beliefs.tension_max);
                if E::ENABLED {
                    ev.push(
                        Event::new(t, EventKind::Threat, tariff_pp)
                            .side(side)
                            .calendar(idx),
                    );
                }
            }
        }
    }
    agenda
}

/// 6b: which attempt, if any: a summit (calendar, postponed, or a leader's call; postponed
/// without a prepared agenda when one is required), else a round (calendar, renewal, or the
/// endogenous hazard) on an open channel.
fn choose_attempt<E: EventSink>(
    p: &Params,
    s: &mut State,
    u: &Draws,
    agenda: Agenda,
    expiry_due: bool,
    ev: &mut E,
) -> Option<Attempt> {
    let n = &p.b.negotiation;
    let t = s.week;
    let mut summit = agenda.summit;
    if let Some(pos) = s.postponed_summits.iter().position(|&(w, _)| w == t) {
        let (_, calendar) = s.postponed_summits.swap_remove(pos);
        summit.get_or_insert((false, calendar));
    }
    if summit.is_none() {
        for i in 0..2 {
            if u.chance(slot::CALL[i], p.sides[i].p_summit_call) {
                summit = Some((false, None));
            }
        }
    }
    let mut attempt = None;
    if let Some((prepared_cal, calendar)) = summit {
        let prepared = prepared_cal
            || s.last_agenda_week
                .is_some_and(|w| f64::from(t - w) <= n.agenda_window);
        if p.require_prepared_agenda && !prepared {
            let later = t + n.summit_postpone.round() as u32;
            if later < p.weeks {
                s.postponed_summits.push((later, calendar));
            }
            if E::ENABLED {
                ev.push(Event::new(t, EventKind::SummitPostponed, 0.0).calendar(calendar));
            }
        } else {
            attempt = Some(Attempt::Summit { prepared, calendar });
        }
    }
    if attempt.is_none() && best_for_negotiation(p, s).is_some() {
        let pain_min = s.sides[0].pain.min(s.sides[1].pain);
        let factor = if s.agreement.is_some() {
            n.truce_round_factor
        } else {
            1.0
        };
        let p_round =
            1.0 - exp(-(n.round_rate + n.round_pain_rate * pain_min) * factor * WEEK_YEARS);
        if agenda.round.is_some() || expiry_due || u.chance(slot::ROUND, p_round) {
            attempt = Some(Attempt::Round {
                calendar: agenda.round,
            });
        }
    }
    attempt
}

/// 6c: the attempt is held: its success probability, then a deal or the costs of failure.
/// Returns whether a deal was made.
// long: MODEL.md §7.6 (holding a round or summit) line by line; its draws sit at fixed positions of the negotiation stream.
#[allow(clippy::too_many_arguments)]
fn hold_attempt<E: EventSink>(
    p: &Params,
    s: &mut State,
    u: &Draws,
    att: Attempt,
    renewal: bool,
    acts: &mut [Actions; 2],
    changes: &mut [Changes; 2],
    obs: &mut WeekObs,
    ev: &mut E,
) -> bool {
    let n = &p.b.negotiation;
    let t = s.week;
    let channel = best_for_negotiation(p, s);
    let (authority, fidelity, shield) = match channel {
        Some(k) => (
            p.channels[k].channel.authority,
            p.channels[k].fidelity,
            p.channels[k].channel.face_shield,
        ),
        None => (
            0.0,
            1.0 - 0.5
                * (p.b.perception.public_misread_conciliation
                    + p.b.perception.public_misread_hostility),
            0.0,
        ),
    };
    let is_summit = matches!(att, Attempt::Summit { .. });
    let calendar = match att {
        Attempt::Round { calendar } | Attempt::Summit { calendar, .. } => calendar,
    };
    let scheduled = calendar.is_some();
    let mut p_success = {
        let exp = 0.5 * (s.experience[0] + s.experience[1]);
        let trust = 0.5 * (s.sides[0].trust + s.sides[1].trust);
        let distance = 0.5 * ((position(p, s, 0) + 1.0) / 2.0 + (position(p, s, 1) + 1.0) / 2.0);
        let face = 0.5
            * (p.sides[0].face_cost
                + s.sides[0].face_shock
                + p.sides[1].face_cost
                + s.sides[1].face_shock)
            * (1.0 - shield);
        let pain_min = s.sides[0].pain.min(s.sides[1].pain);
        let x = n.logit_base
            + n.logit_authority * authority
            + n.logit_fidelity * fidelity
            + n.logit_experience * exp
            + n.logit_rapport * s.rapport
            + n.logit_trust * trust
            - n.logit_distance * distance
            - n.logit_face * face
            + n.logit_pain * pain_min
            + if is_summit { n.summit_bonus } else { 0.0 }
            + if scheduled && !is_summit {
                n.logit_scheduled
            } else {
                0.0
            };
        logistic(x)
    };
    match att {
        Attempt::Summit { prepared, .. } => {
            obs.summit_held = true;
            if !prepared {
                for sp in &p.sides {
                    if sp.leader_style == LeaderStyle::Process {
                        p_success *= n.unprepared_process_factor;
                    }
                }
            }
        }
        Attempt::Round { .. } => {
            obs.round_held = true;
            // Officials told to bring proposals (a scheduled or renewal round) withhold less.
            let told = if scheduled || renewal {
                n.scheduled_aversion_factor
            } else {
                1.0
            };
            for i in 0..2 {
                let aversion = s.sides[i].aversion * told;
                if u.chance(slot::PROPOSAL[i], aversion) {
                    p_success = 0.0;
                    if E::ENABLED {
                        ev.push(
                            Event::new(t, EventKind::NoProposal, aversion)
                                .side(i)
                                .channel(channel)
                                .calendar(calendar),
                        );
                    }
                }
            }
        }
    }
    for x in &mut s.experience {
        *x += n.experience_gain * (1.0 - *x);
    }
    s.last_talks_week = Some(t);
    let success = u.chance(slot::SUCCESS, p_success);
    obs.outcomes.scheduled_talks = scheduled;
    obs.outcomes.scheduled_talks_deal = scheduled && success;
    obs.outcomes.scheduled_talks_opening = scheduled && s.agreement.is_none();
    let kind = match (is_summit, success) {
        (true, true) => EventKind::SummitSucceeded,
        (true, false) => EventKind::SummitFailed,
        (false, true) => EventKind::RoundSucceeded,
        (false, false) => EventKind::RoundFailed,
    };
    if E::ENABLED {
        ev.push(
            Event::new(t, kind, p_success)
                .channel(channel)
                .calendar(calendar),
        );
    }
    if success {
        obs.summit_succeeded = is_summit;
        s.rapport += n.rapport_gain * (1.0 - s.rapport);
        if !is_summit && authority >= n.agenda_authority_min {
            s.last_agenda_week = Some(t);
        }
        let scope = if authority >= n.broad_authority_min && u.chance(slot::SCOPE, n.broad_share) {
            Scope::Broad
        } else {
            Scope::Transactional
        };
        let prepared = matches!(att, Attempt::Summit { prepared: true, .. });
        let detail = clamp01(
            n.detail_base
                + n.detail_expertise * 0.5 * (p.expertise[0] + p.expertise[1])
                + n.detail_authority * authority
                + if prepared { n.detail_agenda } else { 0.0 },
        );
        let covers_controls =
            scope == Scope::Broad || u.chance(slot::COVER, n.transactional_controls_coverage);
        make_deal(
            p,
            s,
            scope,
            detail,
            covers_controls,
            slot::RECORDS.map(|k| u.u(k)),
            changes,
            obs,
            ev,
        );
        // A deal supersedes this week's escalating line on both sides.
        for a in acts.iter_mut() {
            a.line = Line::Holds;
        }
    } else {
        s.rapport *= 1.0 - n.rapport_loss;
        if is_summit {
            for st in &mut s.sides {
                st.trust *= 1.0 - n.failed_summit_trust_loss;
                st.tension = (st.tension + n.failed_summit_tension).min(p.b.beliefs.tension_max);
            }
        }
    }
    success
}

/// 6d: an agreement due this week that was not renewed by a deal is extended by a leader's
/// decree with a probability that rises with pain, talks in progress and deal-mindedness, or
/// lapses, and its suspended measures snap back.
#[allow(clippy::too_many_arguments)]
fn expire<E: EventSink>(
    p: &Params,
    s: &mut State,
    u: &Draws,
    deal: bool,
    acts: &mut [Actions; 2],
    changes: &mut [Changes; 2],
    obs: &mut WeekObs,
    ev: &mut E,
) {
    let n = &p.b.negotiation;
    let t = s.week;
    if deal {
        obs.outcomes.expiry = Some(Expiry::Renewed);
        return;
    }
    let pain_min = s.sides[0].pain.min(s.sides[1].pain);
    let generosity = 0.5 * (p.sides[0].leader_generosity + p.sides[1].leader_generosity);
    let talks = if talks_in_progress(p, s, t) { 1.0 } else { 0.0 };
    let p_extend = logistic(
        n.extension_base
            + n.extension_pain * pain_min
            + n.extension_talks * talks
            + n.extension_generosity * generosity,
    );
    if u.chance(slot::EXTEND, p_extend) {
        if let Some(a) = &mut s.agreement {
            a.expiry = Some(t + n.extension_term.round().max(1.0) as u32);
        }
        obs.outcomes.expiry = Some(Expiry::Extended);
        emit(ev, t, None, EventKind::AgreementExtended, p_extend);
        return;
    }
    obs.outcomes.expiry = Some(Expiry::Lapsed);
    if let Some(a) = s.agreement.take() {
        emit(ev, t, None, EventKind::AgreementLapsed, 0.0);
        for i in 0..2 {
            if a.snapback[i] > 0.0 {
                raise_tariff(p, s, i, a.snapback[i], &mut changes[i]);
                acts[i].other_hostile = true;
                emit(ev, t, Some(i), EventKind::Snapback, a.snapback[i]);
            }
        }
    }
}

/// 6e: threats at their deadline. The threatened side may concede (the threat is withdrawn and
/// it rolls back part of its escalation); otherwise the threat is carried out, postponed (talks
/// in progress or a summit near, up to `max_postponements`), or left hanging. A side's threats
/// due in one week share its two uniforms (each drawn once, when first needed).
// long: MODEL.md §7.8 (a threat at its deadline) line by line, at fixed draw positions.
fn threats_due<E: EventSink>(
    p: &Params,
    s: &mut State,
    moves: &[Draws; 2],
    acts: &mut [Actions; 2],
    changes: &mut [Changes; 2],
    obs: &mut WeekObs,
    ev: &mut E,
) {
    let th = &p.b.threats;
    // The shared uniforms of each side, drawn at most once a week.
    let mut concede_u: [Option<f64>; 2] = [None; 2];
    let mut execute_u: [Option<f64>; 2] = [None; 2];
    let t = s.week;
    let near = talks_in_progress(p, s, t) || summit_near(p, s, t);
    let mut k = 0;
    while k < s.threats.len() {
        let threat = s.threats[k];
        if threat.deadline > t {
            k += 1;
            continue;
        }
        let (i, o) = (threat.side, 1 - threat.side);
        let face_o = p.sides[o].face_cost + s.sides[o].face_shock;
        let p_concede = logistic(
            th.concession_base + th.concession_pain * s.sides[o].pain - th.concession_face * face_o,
        );
        let personal = p.sides[i].leader_style == LeaderStyle::Personal;
        let p_execute = logistic(
            th.execute_base + th.execute_tension * s.sides[i].tension
                - th.execute_pain * s.sides[i].pain
                - if near { th.execute_talks } else { 0.0 }
                - if personal { th.execute_personal } else { 0.0 },
        );
        // Typed outcomes count each threat once, by what happened at its first deadline (as the
        // real threats table types them); later deadlines of a postponed threat are logged only.
        let first = threat.postponed == 0;
        let mut tally = WeekOutcomes::default();
        let u_concede = *concede_u[i].get_or_insert_with(|| moves[i].u(slot::CONCEDE));
        let (kind, size) = if u_concede < p_concede {
            s.threats.swap_remove(k);
            let st = &mut s.sides[o];
            let cut = th.concession_share * (st.tariff - st.anchor_tariff).max(0.0);
            st.tariff -= cut;
            changes[o].tariff_down += cut;
            acts[o].conceded = true;
            tally.threats_conceded = 1;
            (EventKind::ThreatConceded, cut)
        } else if *execute_u[i].get_or_insert_with(|| moves[i].u(slot::EXECUTE)) < p_execute {
            s.threats.swap_remove(k);
            raise_tariff(p, s, i, threat.tariff_pp, &mut changes[i]);
            acts[i].other_hostile = true;
            tally.threats_executed = 1;
            (EventKind::ThreatExecuted, threat.tariff_pp)
        } else if near && f64::from(threat.postponed) < th.max_postponements {
            let later = t + th.postpone_weeks.round().max(1.0) as u32;
            s.threats[k].deadline = later;
            s.threats[k].postponed += 1;
            k += 1;
            tally.threats_postponed = 1;
            (EventKind::ThreatPostponed, f64::from(later - t))
        } else {
            s.threats.swap_remove(k);
            tally.threats_hanging = 1;
            (EventKind::ThreatHanging, threat.tariff_pp)
        };
        if first {
            let o = &mut obs.outcomes;
            o.threats_conceded += tally.threats_conceded;
            o.threats_executed += tally.threats_executed;
            o.threats_postponed += tally.threats_postponed;
            o.threats_hanging += tally.threats_hanging;
        }
        if E::ENABLED {
            ev.push(Event::new(t, kind, size).side(i).calendar(threat.calendar));
        }
    }
}

/// Applies a deal: rollback (more of it the more the war hurts), agreement and records, trust and
/// tension relief, escalation heat reset, threats withdrawn.
// long: MODEL.md §7.6 (the terms of a deal) line by line.
#[allow(clippy::too_many_arguments)]
fn make_deal<E: EventSink>(
    p: &Params,
    s: &mut State,
    scope: Scope,
    detail: f64,
    covers_controls: bool,
    u_rec: [f64; 4],
    changes: &mut [Changes; 2],
    obs: &mut WeekObs,
    ev: &mut E,
) {
    let n = &p.b.negotiation;
    let t = s.week;
    let (base, deep) = match scope {
        Scope::Transactional => (n.rollback_transactional, 0.0),
        Scope::Broad => (n.rollback_broad, n.deep_rollback_broad),
    };
    let pain_min = s.sides[0].pain.min(s.sides[1].pain);
    let rollback = base + (1.0 - base) * (1.0 - exp(-pain_min / n.rollback_pain_scale));
    let mut snapback = s.agreement.as_ref().map_or([0.0; 2], |a| a.snapback);
    for i in 0..2 {
        let st = &mut s.sides[i];
        let floor = p.sides[i].tariff_floor;
        let after = st.tariff - rollback * (st.tariff - st.anchor_tariff).max(0.0);
        let after = after - deep * (after - floor).max(0.0);
        let cut = (st.tariff - after).max(0.0);
        st.tariff -= cut;
        changes[i].tariff_down += cut;
        snapback[i] += cut * n.snapback_share;
        let c_after = st.controls - rollback * (st.controls - st.anchor_controls).max(0.0);
        let c_after = c_after * (1.0 - deep);
        let ccut = (st.controls - c_after).max(0.0);
        st.controls -= ccut;
        changes[i].controls_down += ccut;
        st.anchor_tariff = st.tariff;
        st.anchor_controls = st.controls;
        st.trust += n.deal_trust_gain * (1.0 - st.trust);
        st.tension *= 1.0 - n.deal_tension_relief;
    }
    s.heat = 0.0;
    // A threat is withdrawn by the deal that answers it, a new truce or a broad deal; a routine
    // renewal of the agreement in force leaves pending threats to their deadline.
    let withdraws = scope == Scope::Broad || s.agreement.is_none();
    let amb = n.ambiguity * (1.0 - detail);
    let own = |u: f64| clamp01(n.gray_tolerance + amb * u);
    let other = |u: f64| clamp01(n.gray_tolerance - amb * u);
    let (scope, covers_controls) = match (&s.agreement, scope) {
        (Some(a), Scope::Transactional) => (a.scope, a.covers_controls || covers_controls),
        (_, sc) => (sc, covers_controls),
    };
    let term = match scope {
        Scope::Transactional => n.transactional_term,
        Scope::Broad => n.broad_term,
    };
    s.agreement = Some(AgreementState {
        scope,
        detail,
        expiry: if term > 0.0 {
            Some(t + term.round().max(1.0) as u32)
        } else {
            None
        },
        snapback,
        tolerance: [
            [own(u_rec[0]), other(u_rec[1])],
            [other(u_rec[2]), own(u_rec[3])],
        ],
        purchases: true,
        covers_controls,
    });
    if withdraws {
        // Threats not yet at their first deadline count as withdrawn in a deal (see threats_due).
        obs.outcomes.threats_withdrawn_in_deal +=
            s.threats.iter().filter(|t| t.postponed == 0).count() as u32;
        s.threats.clear();
    }
    obs.deal = Some(scope);
    let kind = if scope == Scope::Broad {
        EventKind::BroadDeal
    } else {
        EventKind::TransactionalDeal
    };
    emit(ev, t, None, kind, detail);
}

fn raise_tariff(p: &Params, s: &mut State, i: usize, amount: f64, ch: &mut Changes) {
    let st = &mut s.sides[i];
    let new = (st.tariff + amount).min(p.sides[i].tariff_max);
    ch.tariff_up += (new - st.tariff).max(0.0);
    st.tariff = new.max(st.tariff);
}

/// Step 7: moves change tariffs and controls within their bounds; gray-zone moves under an
/// agreement; purchases; an agreement collapses when a side escalates.
// long: MODEL.md step 7 line by line, per side and instrument, at fixed draw positions of the moves stream.
#[allow(clippy::too_many_arguments)]
fn implement<E: EventSink>(
    p: &Params,
    s: &mut State,
    r: &Streams,
    acts: &[Actions; 2],
    changes: &mut [Changes; 2],
    obs: &mut WeekObs,
    negotiation: &Draws,
    ev: &mut E,
) {
    let im = &p.b.implementation;
    let t = s.week;
    for i in 0..2 {
        let a = acts[i];
        let sp = &p.sides[i];
        let leader = sp.leader as u16;
        let es = &p.b.escalation;
        let mut halt = a.halt_purchases;
        let (line_tariff, line_controls) = match a.line {
            Line::Tariffs => (true, false),
            Line::Controls => (false, true),
            Line::HaltPurchases => {
                halt = true;
                (false, false)
            }
            Line::Holds => (false, false),
        };
        let reacting = s.sides[i].perceived == Move::Defect;
        let seen = s.sides[i].perceived_rise;
        // Move sizes from the state (model.md 7.7): an ordinary move is measured against the
        // status quo; the leader's move grows with escalation heat; a reply matches the rise it
        // answers on the same instrument.
        let ordinary = sp.tariff_step.max(es.tariff_step_share * s.sides[i].tariff);
        let mut amount = ordinary * f64::from(a.tariff_moves);
        if line_tariff {
            let damping = if talks_in_progress(p, s, t) {
                1.0 - es.talks_damping
            } else {
                1.0
            };
            let momentum = exp(p.ln_escalation_growth * (s.heat.min(es.heat_max) * damping));
            amount += ordinary * momentum;
            // A reply in kind: the side's whole rise this week matches the rise it answers
            // (lone factions' moves are part of it, not on top of it).
            if reacting {
                amount = amount.max(es.retaliation_match * seen[0]);
            }
        }
        let tariff_moves = a.tariff_moves + u32::from(line_tariff);
        let controls_moves = a.controls_moves + u32::from(line_controls);
        if tariff_moves > 0 {
            let before = s.sides[i].tariff;
            raise_tariff(p, s, i, amount, &mut changes[i]);
            let amount = s.sides[i].tariff - before;
            if E::ENABLED && amount > 0.0 {
                ev.push(
                    Event::new(t, EventKind::TariffRaised, amount)
                        .side(i)
                        .faction(a.line.escalates().then_some(leader)),
                );
            }
        }
        let st = &mut s.sides[i];
        if controls_moves > 0 {
            let mut add = sp.controls_step * f64::from(controls_moves);
            if line_controls && reacting {
                add = add.max(es.retaliation_match * seen[1]);
            }
            let new = (st.controls + add).min(im.controls_max);
            changes[i].controls_up += (new - st.controls).max(0.0);
            if E::ENABLED && new > st.controls {
                ev.push(Event::new(t, EventKind::ControlsAdded, new - st.controls).side(i));
            }
            st.controls = new.max(st.controls);
        }
        if halt {
            emit(ev, t, Some(i), EventKind::PurchasesHalted, 0.0);
        }
        if a.tariff_cuts > 0 {
            let new =
                (st.tariff - im.gesture_tariff_cut * f64::from(a.tariff_cuts)).max(sp.tariff_floor);
            changes[i].tariff_down += (st.tariff - new).max(0.0);
            if E::ENABLED && new < st.tariff {
                ev.push(Event::new(t, EventKind::TariffCut, st.tariff - new).side(i));
            }
            st.tariff = new.min(st.tariff);
        }
        if a.controls_cuts > 0 {
            let new = (st.controls - im.gesture_controls_cut * f64::from(a.controls_cuts)).max(0.0);
            changes[i].controls_down += (st.controls - new).max(0.0);
            if E::ENABLED && new < st.controls {
                ev.push(Event::new(t, EventKind::ControlsLifted, st.controls - new).side(i));
            }
            st.controls = new.min(st.controls);
        }
        if a.purchases {
            emit(ev, t, Some(i), EventKind::PurchasesMade, 0.0);
        }
        // A stock that wears off (a strike, a sanction with a sunset): it lapses without a
        // conciliatory move, so it is no change the other side perceives.
        if sp.stock_decay > 0.0 {
            let st = &mut s.sides[i];
            st.controls *= 1.0 - sp.stock_decay;
        }
        let hostile = tariff_moves > 0 || controls_moves > 0 || halt || a.other_hostile;
        let conciliatory = a.tariff_cuts > 0
            || a.controls_cuts > 0
            || a.purchases
            || a.conceded
            || obs.deal.is_some();
        obs.moves[i] = if hostile {
            Move::Defect
        } else {
            Move::Cooperate
        };
        obs.contradiction[i] = hostile && conciliatory;
    }

    // An escalation event on an instrument the agreement binds ends an agreement made in an
    // earlier week; a blow on an instrument it does not bind leaves it standing.
    let thresholds = &p.b.observation;
    let covers_controls = s.agreement.as_ref().is_some_and(|a| a.covers_controls);
    let escalated = (0..2).any(|i| {
        changes[i].tariff_up >= thresholds.escalation_tariff
            || (covers_controls && changes[i].controls_up >= thresholds.escalation_controls)
    });
    if escalated && obs.deal.is_none() && s.agreement.take().is_some() {
        emit(ev, t, None, EventKind::AgreementBroken, 0.0);
    }

    // Gray-zone moves: each side, under an agreement, sometimes makes a routine move it believes the
    // agreement allows (within its own record); the other side reads it next week.
    for i in 0..2 {
        s.sides[i].gray_pending = None;
        let d = r.gray[i].week(t);
        if let Some(a) = &s.agreement
            && d.chance(slot::GRAY_MOVE, p.b.negotiation.gray_move_rate)
            && let u_size = d.u(slot::GRAY_SIZE)
            && u_size <= a.tolerance[i][i]
        {
            s.sides[i].gray_pending = Some(u_size);
            emit(ev, t, Some(i), EventKind::GrayMove, u_size);
        }
    }
    // The buyer buys under an agreement; a halt of purchases this week means none are met.
    let halted = acts
        .get(p.buyer)
        .is_none_or(|a| a.halt_purchases || a.line == Line::HaltPurchases);
    s.purchases_met = !halted
        && s.agreement.as_ref().is_some_and(|a| a.purchases)
        && negotiation.chance(slot::PURCHASE, im.purchase_fulfilment);
    for ((st, m), c) in s.sides.iter_mut().zip(obs.moves).zip(changes.iter()) {
        st.last_move = m;
        st.rise = [c.tariff_up, c.controls_up];
    }
    // Escalation heat: decays each week, grows with every tariff escalation, and a deal resets it
    // (make_deal); the deal week adds nothing.
    if obs.deal.is_none() {
        let raised = changes
            .iter()
            .filter(|c| c.tariff_up >= thresholds.escalation_tariff)
            .count();
        s.heat = s.heat * p.b.escalation.heat_persistence + raised as f64;
    }
}

/// Step 8: clout drift and noise, channel closure and reopening, rapport decay.
fn politics<E: EventSink>(p: &Params, s: &mut State, r: &Streams, ev: &mut E) {
    let po = &p.b.politics;
    let t = s.week;
    for i in 0..2 {
        let sp = &p.sides[i];
        let st = &mut s.sides[i];
        let hostile = st.perceived == Move::Defect;
        for (k, f) in sp.factions.iter().enumerate() {
            let c = &mut st.clout[k];
            if hostile && f.stance > 0.0 {
                *c *= 1.0 + po.hawk_gain * f.stance;
            }
            if f.stance < 0.0 {
                *c *= 1.0 + po.pain_gain * (-f.stance) * st.pain;
            }
            if po.clout_volatility > 0.0 {
                let z = normal_quantile(open_unit(r.factions[i][k].week(t).u(slot::NOISE)));
                *c *= exp(po.clout_volatility * z - p.clout_drift);
            }
            *c += po.clout_reversion * (f.clout0 - *c);
        }
        normalise(&mut st.clout, |k| sp.factions[k].clout0);
    }
    let hawks = hawk_share(p, s, 0).max(hawk_share(p, s, 1));
    for (k, c) in p.channels.iter().enumerate() {
        let d = r.channels[k].week(t);
        let ch = &c.channel;
        if s.channel_open[k] {
            // A channel that never closes on its own has closure probability exactly 0: skip
            // the exp and the draw.
            let rate =
                ch.close_rate * (1.0 + po.channel_political_cost * ch.political_exposure * hawks);
            if ch.close_rate > 0.0 && d.chance(slot::CHANNEL, 1.0 - exp(-rate * WEEK_YEARS)) {
                s.channel_open[k] = false;
                if E::ENABLED {
                    ev.push(Event::new(t, EventKind::ChannelClosed, rate).channel(k));
                }
            }
        } else if d.chance(slot::CHANNEL, c.p_reopen) {
            s.channel_open[k] = true;
            if E::ENABLED {
                ev.push(Event::new(t, EventKind::ChannelReopened, ch.reopen_rate).channel(k));
            }
        }
    }
    s.rapport *= p.rapport_decay;
}

/// Step 9: classify the week's changes into escalation and de-escalation events.
fn observe(p: &Params, s: &State, changes: &[Changes; 2], obs: &mut WeekObs) {
    let th = &p.b.observation;
    for (i, c) in changes.iter().enumerate() {
        obs.tariff_escalation[i] = c.tariff_up >= th.escalation_tariff;
        obs.controls_escalation[i] = c.controls_up >= th.escalation_controls;
        obs.deescalation[i] =
            c.tariff_down >= th.escalation_tariff || c.controls_down >= th.escalation_controls;
    }
    obs.channels_open = s.channel_open.iter().filter(|&&o| o).count() as u32;
    obs.tariff_up = [changes[0].tariff_up, changes[1].tariff_up];
    obs.tariff_down = [changes[0].tariff_down, changes[1].tariff_down];
}

/// Reduced scenarios with a known answer for each mechanism of model v2 (docs/MODEL.md 11). Each
/// test also runs the contrast that removes the mechanism, so it fails if the mechanism is gone.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::cycle::CycleTracker;
    use crate::model::NoEvents;
    use crate::model::rng::StreamKey;

    /// One leader per side (stance 0, tariffs), one channel without misreading, no shocks, no
    /// endogenous rounds, every intention weight 0; `us_hawk` adds a US faction, `extra` adds
    /// tables (behaviour groups, agreement, calendar).
    fn reduced(us_generosity: f64, us_hawk: &str, extra: &str) -> Params {
        let text = format!(
            r#"
[meta]
name = "reduced"
start = 2025-01-02
weeks = 40

[sides.us]
tariff = 20.0
tariff_floor = 3.0
tariff_max = 200.0
tariff_step = 3.0
trust = 0.5
coordination = 0.0
leader_style = "process"

[[sides.us.factions]]
name = "leader"
leader = true
stance = 0.0
clout = 1.0
instruments = ["tariffs"]
generosity = {us_generosity}
{us_hawk}

[sides.cn]
tariff = 20.0
tariff_floor = 3.0
tariff_max = 200.0
tariff_step = 3.0
trust = 0.5
coordination = 1.0
leader_style = "process"

[[sides.cn.factions]]
name = "leader"
leader = true
stance = 0.0
clout = 1.0
instruments = ["tariffs", "controls"]
generosity = 0.0

[negotiators]
rapport = 0.0
[negotiators.us]
experience = 0.0
understanding = 0.0
[negotiators.cn]
experience = 0.0
understanding = 0.0

[[channels]]
name = "only"
kind = "official"
misread_conciliation = 0.0
misread_hostility = 0.0
authority = 0.5

{extra}
"#
        );
        let l = crate::scenario::load_texts(
            &crate::scenario::Text {
                path: "reduced.toml".into(),
                text,
            },
            &[],
        )
        .unwrap_or_else(|e| panic!("reduced scenario: {e}"));
        Params::compile(&l.scenario, l.scenario.meta.weeks)
    }

    const CALM: &str = r#"
[behaviour.intentions]
stance_weight = 0.0
face_weight = 0.0
tension_weight = 0.0
pain_weight = 0.0
trust_weight = 0.0
agreement_restraint = 0.0
gesture_rate = 0.0
provocation_base = 0.0
"#;

    const NO_ROUNDS: &str = r#"
round_rate = 0.0
round_pain_rate = 0.0
"#;

    fn streams(p: &Params) -> Streams {
        Streams::new(
            p,
            StreamKey {
                seed: 1,
                replicate: 0,
                arm_salt: 0,
            },
        )
    }

    fn week(p: &Params, s: &mut State, r: &Streams) -> WeekObs {
        step(p, s, r, &mut NoEvents)
    }

    #[test]
    fn a_reply_in_kind_moves_a_tariff_more_than_fifty_points_in_a_week() {
        // The US raised its tariff by 60 pp last week; China (generosity 0, so it always answers)
        // matches it on the same instrument.
        let p = reduced(
            1.0,
            "",
            &format!("{CALM}\n[behaviour.negotiation]{NO_ROUNDS}"),
        );
        let run = |match_: f64| {
            let mut p = p.clone();
            p.b.escalation.retaliation_match = match_;
            let mut s = State::new(&p);
            s.sides[0].last_move = Move::Defect;
            s.sides[0].rise = [60.0, 0.0];
            let o = week(&p, &mut s, &streams(&p));
            o.tariff_up[1]
        };
        assert_eq!(run(1.0), 60.0, "China matches the US rise");
        // Without the reply in kind, China's move is an ordinary one: max(3, 0.25 * 20) = 5 pp.
        assert_eq!(run(0.0), 5.0);
    }

    #[test]
    fn escalation_heat_makes_a_leader_escalate_in_large_steps() {
        // China's leader escalates unprovoked (provocation 1); after a run of tariff escalations
        // (heat 3) its move is 5 pp * 2^3 = 40 pp at a tariff of 20%, and 80 pp at 40%.
        let calm = CALM.replace("provocation_base = 0.0", "provocation_base = 1.0");
        let p = reduced(
            1.0,
            "",
            &format!("{calm}\n[behaviour.negotiation]{NO_ROUNDS}"),
        );
        let run = |heat: f64, tariff: f64| {
            let mut s = State::new(&p);
            s.heat = heat;
            s.sides[1].tariff = tariff;
            let o = week(&p, &mut s, &streams(&p));
            o.tariff_up[1]
        };
        // 2^heat is exp(heat ln 2): within exp's documented error, plus ln 2's rounding (half an
        // ulp) times heat ln 2 in the exponent.
        let near = |got: f64, want: f64| {
            let tol = want * (crate::model::fastmath::EXP_REL_ERROR + 4.0 * f64::EPSILON);
            assert!((got - want).abs() <= tol, "{got} is not {want}");
        };
        near(run(3.0, 20.0), 40.0);
        near(run(3.0, 40.0), 80.0);
        assert_eq!(run(0.0, 40.0), 10.0, "without heat: an ordinary move");
    }

    #[test]
    fn a_deal_in_a_hurting_war_rolls_back_a_spike_like_geneva() {
        // Geneva: US 126.5% and China 125% after an April spike from about 21%. A scheduled round
        // that cannot fail makes a transactional deal.
        let extra = format!(
            "{CALM}\n[behaviour.negotiation]{NO_ROUNDS}logit_base = 50.0\nrollback_transactional = 0.3963\n\n[[calendar]]\ndate = 2025-01-02\nkind = \"round\"\n"
        );
        let p = reduced(1.0, "", &extra);
        let run = |scale: f64| {
            let mut p = p.clone();
            p.b.negotiation.rollback_pain_scale = scale;
            let mut s = State::new(&p);
            s.sides[0].tariff = 126.5;
            s.sides[0].anchor_tariff = 20.8;
            s.sides[1].tariff = 125.0;
            s.sides[1].anchor_tariff = 21.2;
            let o = week(&p, &mut s, &streams(&p));
            assert_eq!(o.deal, Some(Scope::Transactional));
            [s.sides[0].tariff, s.sides[1].tariff]
        };
        // Pain: US (125 - 3)/100 = 1.22, China (126.5 - 3)/100 = 1.235; r = 0.3963 + 0.6037 *
        // (1 - exp(-1.22 / 1.5)) = 0.7323.
        let r = 0.3963 + 0.6037 * (1.0 - (-1.22f64 / 1.5).exp());
        let [us, cn] = run(1.5);
        assert!((us - (126.5 - r * (126.5 - 20.8))).abs() < 1e-9, "{us}");
        assert!((cn - (125.0 - r * (125.0 - 21.2))).abs() < 1e-9, "{cn}");
        assert!(us < 55.0 && cn < 55.0, "a Geneva-size rollback: {us}, {cn}");
        // Without the pain term (an enormous scale) only the base share is undone.
        let [us, _] = run(1000.0);
        assert!(us > 80.0, "{us}");
    }

    #[test]
    fn a_controls_fight_leaves_a_tariff_truce_standing() {
        // A US hawk (stance 1, acting alone every week) adds controls while the leader holds;
        // the truce binds tariffs only, so the agreement stands, the strict-rule truce breaks and
        // the tariff-rule truce holds.
        let hawk = r#"
[[sides.us.factions]]
name = "hawk"
stance = 1.0
clout = 0.2
instruments = ["controls"]
autonomy = 1.0
"#;
        // China answers controls with controls (in_kind_share = 1).
        let calm = CALM.replace("stance_weight = 0.0", "stance_weight = 1.0");
        let run = |covers: bool| {
            let extra = format!(
                "{calm}\n[behaviour.escalation]\nin_kind_share = 1.0\n\n[behaviour.negotiation]{NO_ROUNDS}\n[agreement]\nscope = \"transactional\"\ndetail = 1.0\ncovers_controls = {covers}\n"
            );
            let p = reduced(1.0, hawk, &extra);
            let mut s = State::new(&p);
            let r = streams(&p);
            let mut tracker = CycleTracker::new(Some(Scope::Transactional));
            for _ in 0..10 {
                let o = week(&p, &mut s, &r);
                tracker.observe(o.week, &crate::ensemble::record::week_signal(&o));
            }
            tracker.finish();
            (s.agreement.is_some(), tracker.summary(52))
        };
        let (standing, c) = run(false);
        assert!(standing, "the agreement survives blows it does not bind");
        assert_eq!(c.share_truce_tariff, 1.0);
        assert_eq!(c.strict_breaks_in_tariff_truce, 1);
        assert_eq!(c.share_truce, 0.0);
        let (standing, _) = run(true);
        assert!(
            !standing,
            "an agreement that binds controls is broken by them"
        );
    }

    #[test]
    fn an_expiring_agreement_is_extended_by_decree_without_snapback() {
        // The agreement expires at week 2 (2025-01-16) with a 24 pp snapback; the only channel is
        // closed, so no renewal round can be held, and public statements are read without error
        // (no misread blow can break the agreement first).
        let extra = |base: f64| {
            format!(
                "{CALM}\n[behaviour.perception]\npublic_misread_conciliation = 0.0\npublic_misread_hostility = 0.0\n\n[behaviour.negotiation]{NO_ROUNDS}extension_base = {base}\n\n[agreement]\nscope = \"transactional\"\ndetail = 1.0\nsnapback_us = 24.0\n\n[[calendar]]\ndate = 2025-01-16\nkind = \"truce_expiry\"\n"
            )
        };
        let run = |base: f64| {
            let mut p = reduced(1.0, "", &extra(base));
            p.channels[0].channel.open = false;
            let mut s = State::new(&p);
            let r = streams(&p);
            let mut third = WeekObs::default();
            for _ in 0..3 {
                third = week(&p, &mut s, &r);
            }
            (third, s)
        };
        let (o, s) = run(50.0);
        assert_eq!(o.outcomes.expiry, Some(Expiry::Extended));
        assert_eq!(
            o.tariff_up[0], 0.0,
            "no snapback in the week it is extended"
        );
        assert_eq!(s.agreement.as_ref().and_then(|a| a.expiry), Some(2 + 13));
        let (o, s) = run(-50.0);
        assert_eq!(o.outcomes.expiry, Some(Expiry::Lapsed));
        assert_eq!(o.tariff_up[0], 24.0, "a lapse snaps back");
        assert!(s.agreement.is_none());
    }

    #[test]
    fn a_renewal_leaves_a_threat_pending_and_a_new_truce_withdraws_it() {
        // A US threat (deadline far ahead) and a round at week 1 that cannot fail.
        let run_with = |negotiation: &str, agreement: &str| {
            let extra = format!(
                "{CALM}\n[behaviour.negotiation]{NO_ROUNDS}logit_base = 50.0\n{negotiation}\n[behaviour.threats]\nexecute_base = -50.0\nconcession_base = -50.0\n{agreement}\n[[calendar]]\ndate = 2025-01-02\nkind = \"threat\"\nside = \"us\"\ntariff_pp = 50.0\ndeadline = 2025-06-05\n\n[[calendar]]\ndate = 2025-01-09\nkind = \"round\"\n"
            );
            let p = reduced(1.0, "", &extra);
            let mut s = State::new(&p);
            let r = streams(&p);
            let mut withdrawn = 0;
            for _ in 0..2 {
                withdrawn += week(&p, &mut s, &r).outcomes.threats_withdrawn_in_deal;
            }
            (s.threats.len(), withdrawn)
        };
        let run = |agreement: &str| run_with("", agreement);
        // Under a transactional agreement the round renews it and the threat stays pending.
        assert_eq!(
            run("\n[agreement]\nscope = \"transactional\"\ndetail = 1.0\n"),
            (1, 0)
        );
        // With no agreement in force the round makes a new truce, which withdraws the threat.
        assert_eq!(run(""), (0, 1));
        // A broad deal withdraws it even under an agreement.
        let broad = run_with(
            "broad_authority_min = 0.0\nbroad_share = 1.0\n",
            "\n[agreement]\nscope = \"transactional\"\ndetail = 1.0\n",
        );
        assert_eq!(broad, (0, 1));
    }

    #[test]
    fn a_threat_can_be_withdrawn_for_a_concession_postponed_or_left_hanging() {
        // A US threat of +100 pp announced at week 0 with its deadline at week 1. China's tariff
        // is 10 pp above the level the last deal left.
        let scenario = |threats: &str, round: bool| {
            // Rounds (which always fail) in weeks 1, 7 and 13: talks in progress at each deadline.
            let cal = if round {
                "\n[[calendar]]\ndate = 2025-01-09\nkind = \"round\"\n\n[[calendar]]\ndate = 2025-02-20\nkind = \"round\"\n\n[[calendar]]\ndate = 2025-04-03\nkind = \"round\"\n"
            } else {
                ""
            };
            let extra = format!(
                "{CALM}\n[behaviour.negotiation]{NO_ROUNDS}logit_base = -50.0\n\n[behaviour.threats]\n{threats}\n[[calendar]]\ndate = 2025-01-02\nkind = \"threat\"\nside = \"us\"\ntariff_pp = 100.0\ndeadline = 2025-01-09\n{cal}"
            );
            reduced(1.0, "", &extra)
        };
        let run = |p: &Params, weeks: usize| {
            let mut s = State::new(p);
            s.sides[1].anchor_tariff = 10.0;
            let r = streams(p);
            let mut total = WeekOutcomes::default();
            let mut up = 0.0;
            for _ in 0..weeks {
                let o = week(p, &mut s, &r);
                total.threats_executed += o.outcomes.threats_executed;
                total.threats_conceded += o.outcomes.threats_conceded;
                total.threats_postponed += o.outcomes.threats_postponed;
                total.threats_hanging += o.outcomes.threats_hanging;
                up += o.tariff_up[0];
            }
            (total, up, s)
        };
        // Concession certain: withdrawn, no US rise, China rolls back 30% of its 10 pp.
        let (t, up, s) = run(&scenario("concession_base = 50.0", false), 3);
        assert_eq!((t.threats_conceded, t.threats_executed), (1, 0));
        assert_eq!(up, 0.0);
        assert!((s.sides[1].tariff - 17.0).abs() < 1e-12);
        // Neither conceded nor carried out, with talks in progress: postponed twice by six weeks
        // (weeks 1 and 7), then left hanging at week 13 (max_postponements = 2). The typed tally
        // counts the threat once, by its first deadline: postponed.
        let p = scenario("concession_base = -50.0\nexecute_base = -50.0", true);
        let (t, up, s) = run(&p, 20);
        assert_eq!((t.threats_postponed, t.threats_hanging), (1, 0));
        assert_eq!(up, 0.0);
        assert!(s.threats.is_empty(), "left hanging at the third deadline");
        let mut ev: Vec<Event> = Vec::new();
        let mut st = State::new(&p);
        let r = streams(&p);
        for _ in 0..20 {
            step(&p, &mut st, &r, &mut ev);
        }
        let kinds: Vec<EventKind> = ev
            .iter()
            .filter(|e| e.calendar == Some(0) && e.kind != EventKind::Threat)
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::ThreatPostponed,
                EventKind::ThreatPostponed,
                EventKind::ThreatHanging
            ]
        );
        // Without talks it is left hanging at once.
        let (t, _, _) = run(
            &scenario("concession_base = -50.0\nexecute_base = -50.0", false),
            3,
        );
        assert_eq!((t.threats_postponed, t.threats_hanging), (0, 1));
        // The contrast: execution certain.
        let (t, up, _) = run(
            &scenario("concession_base = -50.0\nexecute_base = 50.0", false),
            3,
        );
        assert_eq!(t.threats_executed, 1);
        assert_eq!(up, 100.0);
    }

    #[test]
    fn a_deal_rolls_back_to_the_anchor_raises_trust_relieves_tension_and_withdraws_threats() {
        // A first transactional deal (no agreement in force): each side's tariff falls by
        // rollback * (tariff - anchor), with rollback = base + (1 - base)(1 - e^(-pain/scale));
        // trust closes deal_trust_gain of its gap to 1; tension falls by deal_tension_relief;
        // heat resets; the cut becomes snapback; a pending threat is withdrawn.
        let p = reduced(
            1.0,
            "",
            &format!("{CALM}\n[behaviour.negotiation]{NO_ROUNDS}"),
        );
        let n = &p.b.negotiation;
        let mut s = State::new(&p);
        s.agreement = None;
        for (i, st) in s.sides.iter_mut().enumerate() {
            st.anchor_tariff = 10.0;
            st.tariff = 40.0 + 10.0 * i as f64;
            st.pain = 0.6 + 0.2 * i as f64;
            st.trust = 0.3;
            st.tension = 1.0;
        }
        s.heat = 2.0;
        s.threats.push(PendingThreat {
            side: 0,
            tariff_pp: 50.0,
            deadline: 10,
            calendar: 0,
            postponed: 0,
        });
        let mut changes = [Changes::default(); 2];
        let mut obs = WeekObs::default();
        make_deal(
            &p,
            &mut s,
            Scope::Transactional,
            0.5,
            false,
            [0.5; 4],
            &mut changes,
            &mut obs,
            &mut NoEvents,
        );
        let base = n.rollback_transactional;
        let roll = base + (1.0 - base) * (1.0 - (-0.6f64 / n.rollback_pain_scale).exp());
        for (i, st) in s.sides.iter().enumerate() {
            let before = 40.0 + 10.0 * i as f64;
            let want = before - roll * (before - 10.0);
            assert!(
                (st.tariff - want).abs() < 1e-12,
                "side {i}: {} vs {want}",
                st.tariff
            );
            assert!((changes[i].tariff_down - (before - want)).abs() < 1e-12);
            assert_eq!(st.anchor_tariff, st.tariff, "the deal is the new anchor");
            let trust = 0.3 + n.deal_trust_gain * 0.7;
            assert!(
                (st.trust - trust).abs() < 1e-12,
                "trust {} vs {trust}",
                st.trust
            );
            assert!((st.tension - (1.0 - n.deal_tension_relief)).abs() < 1e-12);
        }
        assert_eq!(s.heat, 0.0);
        let a = s.agreement.as_ref().expect("an agreement");
        assert!((a.snapback[1] - changes[1].tariff_down * n.snapback_share).abs() < 1e-12);
        assert!(s.threats.is_empty());
        assert_eq!(obs.outcomes.threats_withdrawn_in_deal, 1);
        assert_eq!(obs.deal, Some(Scope::Transactional));
    }

    #[test]
    fn a_cut_on_either_instrument_at_the_threshold_is_a_deescalation() {
        let p = reduced(1.0, "", "");
        let th = &p.b.observation;
        let s = State::new(&p);
        let mut changes = [Changes::default(); 2];
        changes[0].controls_down = th.escalation_controls;
        changes[1].tariff_down = th.escalation_tariff;
        let mut obs = WeekObs::default();
        observe(&p, &s, &changes, &mut obs);
        assert_eq!(obs.deescalation, [true, true]);
        changes[0].controls_down = th.escalation_controls / 2.0;
        changes[1].tariff_down = th.escalation_tariff / 2.0;
        let mut obs = WeekObs::default();
        observe(&p, &s, &changes, &mut obs);
        assert_eq!(obs.deescalation, [false, false]);
        assert_eq!(obs.tariff_down, [0.0, th.escalation_tariff / 2.0]);
    }

    #[test]
    fn a_conciliatory_leader_cuts_its_tariff_by_gesture_and_a_neutral_one_does_not() {
        // Gesture probability gesture_rate * (-stance) * (1 - aversion): 1 for a leader of
        // stance -1 with gesture_rate 1, 0 at stance 0. A tariff gesture cuts gesture_tariff_cut.
        let calm = CALM.replace("gesture_rate = 0.0", "gesture_rate = 1.0");
        let p0 = reduced(
            1.0,
            "",
            &format!("{calm}\n[behaviour.negotiation]{NO_ROUNDS}"),
        );
        let run = |stance: f64| {
            let mut p = p0.clone();
            p.sides[0].factions[0].stance = stance;
            let mut s = State::new(&p);
            let o = week(&p, &mut s, &streams(&p));
            (o.tariff_down[0], s.sides[0].tariff)
        };
        let cut = p0.b.implementation.gesture_tariff_cut;
        assert_eq!(run(-1.0), (cut, 20.0 - cut));
        assert_eq!(run(0.0), (0.0, 20.0));
    }

    #[test]
    fn a_round_brings_both_negotiators_experience_closer_to_one() {
        // A scheduled round in week 0: experience 0 becomes experience_gain (the gap to 1 closed
        // by that share), for both negotiators, whatever the outcome.
        let p = reduced(
            1.0,
            "",
            &format!(
                "{CALM}\n[behaviour.negotiation]{NO_ROUNDS}\n[[calendar]]\ndate = 2025-01-02\nkind = \"round\"\n"
            ),
        );
        let mut s = State::new(&p);
        s.experience = [0.0, 0.5];
        week(&p, &mut s, &streams(&p));
        let g = p.b.negotiation.experience_gain;
        assert!((s.experience[0] - g).abs() < 1e-12, "{:?}", s.experience);
        assert!((s.experience[1] - (0.5 + g * 0.5)).abs() < 1e-12);
    }

    #[test]
    fn purges_raise_face_cost_and_initiative_aversion_and_none_leave_them() {
        let p0 = reduced(
            1.0,
            "",
            &format!("{CALM}\n[behaviour.negotiation]{NO_ROUNDS}"),
        );
        let run = |mean: f64| {
            let mut p = p0.clone();
            p.sides[0].shock_means[1] = mean;
            p.sides[0].shock_exp[1] = (-mean).exp();
            let mut s = State::new(&p);
            week(&p, &mut s, &streams(&p));
            (s.sides[0].face_shock, s.sides[0].aversion)
        };
        // A mean of 30 purges a week: P(none) = e^-30.
        let (face, aversion) = run(30.0);
        assert!(
            face >= 20.0 * p0.b.shocks.purge_face_jump && face > 0.0,
            "{face}"
        );
        assert!(aversion > p0.sides[0].aversion0, "{aversion}");
        assert_eq!(run(0.0), (0.0, p0.sides[0].aversion0));
    }

    #[test]
    fn a_reply_in_kind_on_controls_records_the_rise_it_made() {
        // The US added 6 controls last week; China answers in kind on controls, and its recorded
        // rise (what the US perceives next week) is exactly its controls' change.
        let p = reduced(
            1.0,
            "",
            &format!(
                "{CALM}\n[behaviour.escalation]\nin_kind_share = 1.0\n\n[behaviour.negotiation]{NO_ROUNDS}"
            ),
        );
        let mut s = State::new(&p);
        s.sides[0].last_move = Move::Defect;
        s.sides[0].rise = [0.0, 6.0];
        s.sides[1].controls = 4.0;
        let before = s.sides[1].controls;
        week(&p, &mut s, &streams(&p));
        let added = s.sides[1].controls - before;
        assert!(added > 0.0, "China answers on controls");
        assert!(
            (s.sides[1].rise[1] - added).abs() < 1e-12,
            "{:?} vs {added}",
            s.sides[1].rise
        );
        assert_eq!(s.sides[1].rise[0], 0.0, "and not on tariffs");
    }
}
