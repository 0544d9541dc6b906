//! The weekly step: model.md section 3, steps 1-9 in fixed order. Pure: it reads parameters,
//! mutates the replicate's state, draws only from the replicate's streams (a fixed number of draws
//! per stream per week) and reports what happened. docs/MODEL.md gives the equations.

use crate::scenario::{Instrument, LeaderStyle, Scope};

use super::observe::{Event, EventKind, EventSink, Move, WeekObs};
use super::params::{Params, ScheduledKind, WEEK_YEARS};
use super::rng::{normal_quantile, open_unit, poisson_with};
use super::state::{AgreementState, FactionWeek, PendingThreat, State, Streams};

/// What each side does this week (steps 4, 5 and 7).
#[derive(Clone, Copy, Debug, Default)]
struct Actions {
    /// The leader carries out an escalating line on this instrument (`None`: no line escalation).
    line: Option<Option<Instrument>>,
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
fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[inline]
fn emit<E: EventSink>(ev: &mut E, week: u32, side: Option<usize>, kind: EventKind, size: f64) {
    if E::ENABLED {
        ev.push(Event {
            week,
            side: side.map(|s| s as u8),
            faction: None,
            channel: None,
            kind,
            size,
            calendar: None,
        });
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
pub fn step<E: EventSink>(p: &Params, s: &mut State, r: &mut Streams, ev: &mut E) -> WeekObs {
    let t = s.week;
    let mut obs = WeekObs {
        week: t,
        ..WeekObs::default()
    };
    shocks(p, s, r, ev);
    pains(p, s);
    perceive(p, s, r, &mut obs, ev);
    beliefs(p, s);
    let mut acts = intentions(p, s, r);
    let mut changes = [Changes::default(); 2];
    let purchase_draw = negotiate(p, s, r, &mut acts, &mut changes, &mut obs, ev);
    implement(p, s, r, &acts, &mut changes, &mut obs, purchase_draw, ev);
    politics(p, s, r, ev);
    observe(p, s, &changes, &mut obs);
    s.week += 1;
    obs
}

/// Step 1: domestic shocks (Poisson arrivals, one uniform per kind per side per week).
fn shocks<E: EventSink>(p: &Params, s: &mut State, r: &mut Streams, ev: &mut E) {
    let e = &p.b.shocks;
    let t = s.week;
    for i in 0..2 {
        let u: [f64; 4] = r.shocks[i].fill();
        let sp = &p.sides[i];
        let k = [0, 1, 2, 3].map(|j| poisson_with(sp.shock_means[j], sp.shock_exp[j], u[j]));
        let sp = &p.sides[i];
        let st = &mut s.sides[i];
        st.face_shock *= p.face_decay;
        st.aversion = sp.aversion0 + (st.aversion - sp.aversion0) * p.aversion_recovery;
        st.market_pain *= p.pain_decay;
        if k[0] > 0 {
            let n = f64::from(k[0]);
            for (f, c) in sp.factions.iter().zip(st.clout.iter_mut()) {
                if f.stance > 0.0 {
                    *c *= 1.0 + e.security_clout_shift * f.stance * n;
                }
            }
            st.tension = (st.tension + e.security_tension * n).min(p.b.beliefs.tension_max);
            emit(ev, t, Some(i), EventKind::SecurityIncident, n);
        }
        if k[1] > 0 {
            let n = f64::from(k[1]);
            st.face_shock += e.purge_face_jump * n;
            st.aversion =
                1.0 - (1.0 - st.aversion) * (1.0 - e.purge_aversion_jump).powi(k[1] as i32);
            emit(ev, t, Some(i), EventKind::Purge, n);
        }
        if k[2] > 0 {
            let n = f64::from(k[2]);
            st.market_pain += e.market_pain_jump * n;
            for (f, c) in sp.factions.iter().zip(st.clout.iter_mut()) {
                if f.stance < 0.0 {
                    *c *= 1.0 + e.market_clout_shift * (-f.stance) * n;
                }
            }
            emit(ev, t, Some(i), EventKind::MarketPain, n);
        }
        normalise(&mut st.clout, |k| sp.factions[k].clout0);
        if k[3] > 0 {
            s.rapport *= (1.0 - e.insult_rapport_loss).powi(k[3] as i32);
            let other = &mut s.sides[1 - i];
            other.trust *= (1.0 - e.insult_trust_loss).powi(k[3] as i32);
            emit(ev, t, Some(i), EventKind::Insult, f64::from(k[3]));
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
        // China buys; relief goes to the US (side 0) in weeks the purchases are met.
        let relief = if i == 0 && s.purchases_met {
            p.b.implementation.purchase_pain_relief
        } else {
            0.0
        };
        s.sides[i].pain = (tariff_part + controls_part + s.sides[i].market_pain - relief).max(0.0);
    }
}

/// Step 2: each side reads the other's last move through the best open channel; gray-zone moves
/// beyond one's own record of the agreement become record disputes.
fn perceive<E: EventSink>(
    p: &Params,
    s: &mut State,
    r: &mut Streams,
    obs: &mut WeekObs,
    ev: &mut E,
) {
    let pe = &p.b.perception;
    let t = s.week;
    let best = best_for_perception(p, s);
    let authority = best_for_negotiation(p, s).map_or(0.0, |k| p.channels[k].channel.authority);
    for i in 0..2 {
        let o = 1 - i;
        let [u_misread, u_clarify]: [f64; 2] = r.perception[i].fill();
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
            Move::Cooperate if u_misread < ec * factor => Move::Defect,
            Move::Defect if u_misread < eh * factor => Move::Cooperate,
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
                ev.push(Event {
                    week: t,
                    side: Some(i as u8),
                    faction: None,
                    channel: best.map(|k| k as u16),
                    kind,
                    size: 1.0,
                    calendar: None,
                });
            }
        }
        if let (Some(x), Some(a)) = (s.sides[o].gray_pending, &s.agreement)
            && x > a.tolerance[i][o]
        {
            if u_clarify < pe.clarification * authority {
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
/// alone. Draws four uniforms per faction per week; the fourth is the clout noise of step 8.
fn intentions(p: &Params, s: &mut State, r: &mut Streams) -> [Actions; 2] {
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
            let [u_intent, u_gesture, u_alone, u_noise]: [f64; 4] = r.factions[i][k].fill();
            let z = w.stance_weight * f.stance + shift;
            let intent = match st.perceived {
                Move::Cooperate if u_intent < clamp01(w.provocation_base + z) => Move::Defect,
                Move::Defect if u_intent >= clamp01(f.generosity - z) => Move::Defect,
                _ => Move::Cooperate,
            };
            let gesture = intent == Move::Cooperate
                && f.stance < 0.0
                && u_gesture < w.gesture_rate * (-f.stance) * (1.0 - st.aversion);
            if intent == Move::Defect {
                escalate_share += st.clout[k];
            }
            st.scratch[k] = FactionWeek {
                intent,
                gesture,
                alone: u_alone < f.p_alone,
                noise: u_noise,
            };
        }
        let line_escalates = escalate_share > 0.0 && escalate_share >= w.line_threshold;
        if line_escalates {
            a.line = Some(sp.factions[sp.leader].hostile);
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

/// Step 6: scheduled events, endogenous rounds and summits, their success, deals and records,
/// lapses with snapback, and threats. Draws twelve uniforms per week from the negotiation stream;
/// returns the one reserved for purchase fulfilment (used in step 7).
fn negotiate<E: EventSink>(
    p: &Params,
    s: &mut State,
    r: &mut Streams,
    acts: &mut [Actions; 2],
    changes: &mut [Changes; 2],
    obs: &mut WeekObs,
    ev: &mut E,
) -> f64 {
    let n = &p.b.negotiation;
    let t = s.week;
    let u: [f64; 12] = r.negotiation.fill();
    let [
        u_round,
        u_call_us,
        u_call_cn,
        u_prop_us,
        u_prop_cn,
        u_success,
        u_scope,
        u_rec0,
        u_rec1,
        u_rec2,
        u_rec3,
        u_purchase,
    ] = u;

    // Calendar entries of this week.
    let mut round_sched: Option<u32> = None;
    let mut summit: Option<(bool, Option<u32>)> = None;
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
            ScheduledKind::Round => round_sched = Some(idx),
            ScheduledKind::Summit { prepared } => summit = Some((prepared, Some(idx))),
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
                });
                let threatened = &mut s.sides[1 - side];
                threatened.tension =
                    (threatened.tension + p.b.beliefs.threat_tension).min(p.b.beliefs.tension_max);
                if E::ENABLED {
                    ev.push(Event {
                        week: t,
                        side: Some(side as u8),
                        faction: None,
                        channel: None,
                        kind: EventKind::Threat,
                        size: tariff_pp,
                        calendar: Some(idx),
                    });
                }
            }
        }
    }
    if let Some(pos) = s.postponed_summits.iter().position(|&(w, _)| w == t) {
        let (_, idx) = s.postponed_summits.swap_remove(pos);
        summit.get_or_insert((false, Some(idx)));
    }
    if summit.is_none() {
        for (i, u_call) in [u_call_us, u_call_cn].into_iter().enumerate() {
            if u_call < p.sides[i].p_summit_call {
                summit = Some((false, None));
            }
        }
    }
    let expiry_due = s.agreement.as_ref().is_some_and(|a| a.expiry == Some(t));

    // Which attempt, if any.
    let channel = best_for_negotiation(p, s);
    let mut attempt = None;
    if let Some((prepared_cal, calendar)) = summit {
        let prepared = prepared_cal
            || s.last_agenda_week
                .is_some_and(|w| f64::from(t - w) <= n.agenda_window);
        if p.require_prepared_agenda && !prepared {
            let later = t + n.summit_postpone.round() as u32;
            if later < p.weeks {
                s.postponed_summits
                    .push((later, calendar.unwrap_or(u32::MAX)));
            }
            if E::ENABLED {
                ev.push(Event {
                    week: t,
                    side: None,
                    faction: None,
                    channel: None,
                    kind: EventKind::SummitPostponed,
                    size: 0.0,
                    calendar: calendar.filter(|&c| c != u32::MAX),
                });
            }
        } else {
            attempt = Some(Attempt::Summit {
                prepared,
                calendar: calendar.filter(|&c| c != u32::MAX),
            });
        }
    }
    if attempt.is_none() && channel.is_some() {
        let pain_min = s.sides[0].pain.min(s.sides[1].pain);
        let factor = if s.agreement.is_some() {
            n.truce_round_factor
        } else {
            1.0
        };
        let p_round =
            1.0 - (-(n.round_rate + n.round_pain_rate * pain_min) * factor * WEEK_YEARS).exp();
        if round_sched.is_some() || expiry_due || u_round < p_round {
            attempt = Some(Attempt::Round {
                calendar: round_sched,
            });
        }
    }

    let mut deal = false;
    if let Some(att) = attempt {
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
        let mut p_success = {
            let exp = 0.5 * (s.experience[0] + s.experience[1]);
            let trust = 0.5 * (s.sides[0].trust + s.sides[1].trust);
            let distance =
                0.5 * ((position(p, s, 0) + 1.0) / 2.0 + (position(p, s, 1) + 1.0) / 2.0);
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
                + if is_summit { n.summit_bonus } else { 0.0 };
            logistic(x)
        };
        let calendar = match att {
            Attempt::Round { calendar } | Attempt::Summit { calendar, .. } => calendar,
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
                for (i, u_prop) in [u_prop_us, u_prop_cn].into_iter().enumerate() {
                    if u_prop < s.sides[i].aversion {
                        p_success = 0.0;
                        if E::ENABLED {
                            ev.push(Event {
                                week: t,
                                side: Some(i as u8),
                                faction: None,
                                channel: channel.map(|k| k as u16),
                                kind: EventKind::NoProposal,
                                size: s.sides[i].aversion,
                                calendar,
                            });
                        }
                    }
                }
            }
        }
        for x in &mut s.experience {
            *x += n.experience_gain * (1.0 - *x);
        }
        let success = u_success < p_success;
        let kind = match (is_summit, success) {
            (true, true) => EventKind::SummitSucceeded,
            (true, false) => EventKind::SummitFailed,
            (false, true) => EventKind::RoundSucceeded,
            (false, false) => EventKind::RoundFailed,
        };
        if E::ENABLED {
            ev.push(Event {
                week: t,
                side: None,
                faction: None,
                channel: channel.map(|k| k as u16),
                kind,
                size: p_success,
                calendar,
            });
        }
        if success {
            obs.summit_succeeded = is_summit;
            s.rapport += n.rapport_gain * (1.0 - s.rapport);
            if !is_summit && authority >= n.agenda_authority_min {
                s.last_agenda_week = Some(t);
            }
            let scope = if authority >= n.broad_authority_min && u_scope < n.broad_share {
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
            make_deal(
                p,
                s,
                scope,
                detail,
                [u_rec0, u_rec1, u_rec2, u_rec3],
                changes,
                obs,
                ev,
            );
            deal = true;
            // A deal supersedes this week's escalating line on both sides.
            for a in acts.iter_mut() {
                a.line = None;
            }
        } else {
            s.rapport *= 1.0 - n.rapport_loss;
            if is_summit {
                for st in &mut s.sides {
                    st.trust *= 1.0 - n.failed_summit_trust_loss;
                    st.tension =
                        (st.tension + n.failed_summit_tension).min(p.b.beliefs.tension_max);
                }
            }
        }
    }

    // An agreement due for renewal that was not renewed lapses, and suspended measures return.
    if expiry_due
        && !deal
        && let Some(a) = s.agreement.take()
    {
        emit(ev, t, None, EventKind::AgreementLapsed, 0.0);
        for i in 0..2 {
            if a.snapback[i] > 0.0 {
                raise_tariff(p, s, i, a.snapback[i], &mut changes[i]);
                acts[i].other_hostile = true;
                emit(ev, t, Some(i), EventKind::Snapback, a.snapback[i]);
            }
        }
    }

    // Threats whose deadline is this week are carried out unless a deal was made since.
    let mut k = 0;
    while k < s.threats.len() {
        let th = s.threats[k];
        if th.deadline <= t {
            s.threats.swap_remove(k);
            raise_tariff(p, s, th.side, th.tariff_pp, &mut changes[th.side]);
            acts[th.side].other_hostile = true;
            if E::ENABLED {
                ev.push(Event {
                    week: t,
                    side: Some(th.side as u8),
                    faction: None,
                    channel: None,
                    kind: EventKind::ThreatExecuted,
                    size: th.tariff_pp,
                    calendar: Some(th.calendar),
                });
            }
        } else {
            k += 1;
        }
    }
    u_purchase
}

/// Applies a deal: rollback, agreement and records, trust and tension relief, threats withdrawn.
#[allow(clippy::too_many_arguments)]
fn make_deal<E: EventSink>(
    p: &Params,
    s: &mut State,
    scope: Scope,
    detail: f64,
    u_rec: [f64; 4],
    changes: &mut [Changes; 2],
    obs: &mut WeekObs,
    ev: &mut E,
) {
    let n = &p.b.negotiation;
    let t = s.week;
    let (rollback, deep) = match scope {
        Scope::Transactional => (n.rollback_transactional, 0.0),
        Scope::Broad => (n.rollback_broad, n.deep_rollback_broad),
    };
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
    let amb = n.ambiguity * (1.0 - detail);
    let own = |u: f64| clamp01(n.gray_tolerance + amb * u);
    let other = |u: f64| clamp01(n.gray_tolerance - amb * u);
    let scope = match (&s.agreement, scope) {
        (Some(a), Scope::Transactional) => a.scope,
        (_, sc) => sc,
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
    });
    s.threats.clear();
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
#[allow(clippy::too_many_arguments)]
fn implement<E: EventSink>(
    p: &Params,
    s: &mut State,
    r: &mut Streams,
    acts: &[Actions; 2],
    changes: &mut [Changes; 2],
    obs: &mut WeekObs,
    u_purchase: f64,
    ev: &mut E,
) {
    let im = &p.b.implementation;
    let t = s.week;
    for i in 0..2 {
        let a = acts[i];
        let sp = &p.sides[i];
        let leader = sp.leader as u16;
        let mut tariff_moves = a.tariff_moves;
        let mut controls_moves = a.controls_moves;
        let mut halt = a.halt_purchases;
        match a.line {
            Some(Some(Instrument::Tariffs)) => tariff_moves += 1,
            Some(Some(_)) => controls_moves += 1,
            Some(None) => halt = true,
            None => {}
        }
        if tariff_moves > 0 {
            let amount = sp.tariff_step * f64::from(tariff_moves);
            let before = s.sides[i].tariff;
            raise_tariff(p, s, i, amount, &mut changes[i]);
            let amount = s.sides[i].tariff - before;
            if E::ENABLED && amount > 0.0 {
                ev.push(Event {
                    week: t,
                    side: Some(i as u8),
                    faction: a.line.map(|_| leader),
                    channel: None,
                    kind: EventKind::TariffRaised,
                    size: amount,
                    calendar: None,
                });
            }
        }
        let st = &mut s.sides[i];
        if controls_moves > 0 {
            let new =
                (st.controls + sp.controls_step * f64::from(controls_moves)).min(im.controls_max);
            changes[i].controls_up += (new - st.controls).max(0.0);
            if E::ENABLED && new > st.controls {
                ev.push(Event {
                    week: t,
                    side: Some(i as u8),
                    faction: None,
                    channel: None,
                    kind: EventKind::ControlsAdded,
                    size: new - st.controls,
                    calendar: None,
                });
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
                ev.push(Event {
                    week: t,
                    side: Some(i as u8),
                    faction: None,
                    channel: None,
                    kind: EventKind::TariffCut,
                    size: st.tariff - new,
                    calendar: None,
                });
            }
            st.tariff = new.min(st.tariff);
        }
        if a.controls_cuts > 0 {
            let new = (st.controls - im.gesture_controls_cut * f64::from(a.controls_cuts)).max(0.0);
            changes[i].controls_down += (st.controls - new).max(0.0);
            if E::ENABLED && new < st.controls {
                ev.push(Event {
                    week: t,
                    side: Some(i as u8),
                    faction: None,
                    channel: None,
                    kind: EventKind::ControlsLifted,
                    size: st.controls - new,
                    calendar: None,
                });
            }
            st.controls = new.min(st.controls);
        }
        if a.purchases {
            emit(ev, t, Some(i), EventKind::PurchasesMade, 0.0);
        }
        let hostile = tariff_moves > 0 || controls_moves > 0 || halt || a.other_hostile;
        let conciliatory =
            a.tariff_cuts > 0 || a.controls_cuts > 0 || a.purchases || obs.deal.is_some();
        obs.moves[i] = if hostile {
            Move::Defect
        } else {
            Move::Cooperate
        };
        obs.contradiction[i] = hostile && conciliatory;
    }

    // An escalation event ends an agreement made in an earlier week.
    let thresholds = &p.b.observation;
    let escalated = (0..2).any(|i| {
        changes[i].tariff_up >= thresholds.escalation_tariff
            || changes[i].controls_up >= thresholds.escalation_controls
    });
    if escalated && obs.deal.is_none() && s.agreement.take().is_some() {
        emit(ev, t, None, EventKind::AgreementBroken, 0.0);
    }

    // Gray-zone moves: each side, under an agreement, sometimes makes a routine move it believes the
    // agreement allows (within its own record); the other side reads it next week.
    for i in 0..2 {
        let [u_move, u_size]: [f64; 2] = r.gray[i].fill();
        s.sides[i].gray_pending = None;
        if let Some(a) = &s.agreement
            && u_move < p.b.negotiation.gray_move_rate
            && u_size <= a.tolerance[i][i]
        {
            s.sides[i].gray_pending = Some(u_size);
            emit(ev, t, Some(i), EventKind::GrayMove, u_size);
        }
    }
    // China (side 1) buys under an agreement; a halt of purchases this week means none are met.
    let halted = acts[1].halt_purchases || matches!(acts[1].line, Some(None));
    s.purchases_met = !halted
        && s.agreement.as_ref().is_some_and(|a| a.purchases)
        && u_purchase < im.purchase_fulfilment;
    for i in 0..2 {
        s.sides[i].last_move = obs.moves[i];
    }
}

/// Step 8: clout drift and noise, channel closure and reopening, rapport decay.
fn politics<E: EventSink>(p: &Params, s: &mut State, r: &mut Streams, ev: &mut E) {
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
                let z = normal_quantile(open_unit(st.scratch[k].noise));
                *c *= (po.clout_volatility * z - 0.5 * po.clout_volatility * po.clout_volatility)
                    .exp();
            }
            *c += po.clout_reversion * (f.clout0 - *c);
        }
        normalise(&mut st.clout, |k| sp.factions[k].clout0);
    }
    let hawks = hawk_share(p, s, 0).max(hawk_share(p, s, 1));
    for (k, c) in p.channels.iter().enumerate() {
        let u = r.channels[k].uniform();
        let ch = &c.channel;
        if s.channel_open[k] {
            let rate =
                ch.close_rate * (1.0 + po.channel_political_cost * ch.political_exposure * hawks);
            if u < 1.0 - (-rate * WEEK_YEARS).exp() {
                s.channel_open[k] = false;
                if E::ENABLED {
                    ev.push(Event {
                        week: t,
                        side: None,
                        faction: None,
                        channel: Some(k as u16),
                        kind: EventKind::ChannelClosed,
                        size: rate,
                        calendar: None,
                    });
                }
            }
        } else if u < 1.0 - (-ch.reopen_rate * WEEK_YEARS).exp() {
            s.channel_open[k] = true;
            if E::ENABLED {
                ev.push(Event {
                    week: t,
                    side: None,
                    faction: None,
                    channel: Some(k as u16),
                    kind: EventKind::ChannelReopened,
                    size: ch.reopen_rate,
                    calendar: None,
                });
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
}
