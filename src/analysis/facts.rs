//! Cycle statistics of a real, dated event record, computed by the same tracker and summary as a
//! simulated replicate (`CycleTracker::summary`). How real event kinds map onto the model's:
//!
//! | real kind | model event | effect on regimes |
//! |---|---|---|
//! | `escalation`, description starting "Tariff:" | tariff escalation | ends a truce (both rules) |
//! | `escalation`, otherwise ("Non-tariff: ...") | controls escalation | ends a truce (strict rule) |
//! | `truce` | deal of the row's `scope`, transactional if empty | starts a truce (or renews one) |
//! | `deal` | deal of the row's `scope`, broad if empty | starts a truce (or renews one) |
//! | `de-escalation` | de-escalation | none (a truce needs an agreement) |
//! | `talks` | round held | none (counted) |
//! | `threat` | threat | none (counted) |
//!
//! Events are binned into weeks counted from the window's first day, and only events dated on or
//! before the window's last day count (the last week may be partial); within a week escalations
//! come before a deal, as in the model.
//!
//! Typed outcomes (threats, scheduled talks, expiries) go through the same tally as a simulated
//! history ([`TypedOutcomes`]): rows of the threats table dated in the window whose outcome is
//! dated in it too (a `deadline` row is an expiry: postponed or extended counts as extended,
//! withdrawn in a deal as renewed, executed as lapsed), and `talks` events, each of which led to a
//! deal if a `truce` or `deal` event follows within [`TALKS_DEAL_DAYS`] days.

use crate::data::{Actor, RealEvent, RealKind, RealOutcome, RealThreat, TariffPoint, ThreatKind};
use crate::model::observe::Expiry;
use crate::scenario::Scope;
use crate::scenario::date::Date;

use super::cycle::{CycleSummary, CycleTracker, Regime, Rule, Spell, WeekSignal};
use super::outcomes::{ThreatOutcome, TypedOutcomes};

/// Days within which a deal must follow a `talks` event for the talks to count as having led to
/// one (a measurement rule of real records: Geneva's talks of May 10 led to the truce of May 12).
pub const TALKS_DEAL_DAYS: i64 = 14;

/// A retaliation: an escalation by one side answered by the other.
#[derive(Clone, Debug, PartialEq)]
pub struct Retaliation {
    /// Date of the first escalation.
    pub date: Date,
    /// Who escalated first.
    pub first: Actor,
    /// Days until the other side escalated.
    pub lag_days: i64,
}

/// Everything `negsim facts` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Facts {
    /// First day of the window.
    pub from: Date,
    /// Weeks in the window.
    pub weeks: u32,
    /// The cycle statistics.
    pub summary: CycleSummary,
    /// Truces under the strict rule.
    pub truces_strict: Vec<Spell>,
    /// Truces under the tariff rule.
    pub truces_tariff: Vec<Spell>,
    /// Escalation episodes (strict rule).
    pub episodes: Vec<Spell>,
    /// Escalation episodes under the tariff rule.
    pub episodes_tariff: Vec<Spell>,
    /// Typed outcomes of threats, scheduled talks and expiries.
    pub outcomes: TypedOutcomes,
    /// Regime of every week.
    pub regimes: Vec<Regime>,
    /// Retaliations inside escalation episodes.
    pub retaliations: Vec<Retaliation>,
    /// Events in the window by kind: escalation, de-escalation, truce, deal, talks, threat.
    pub counts: [u32; 6],
}

/// Maps one real event to its effect on a week's signal.
pub fn signal_of(e: &RealEvent, s: &mut WeekSignal) {
    match e.kind {
        RealKind::Escalation => {
            if e.on_level {
                s.tariff_escalation = true;
            } else {
                s.controls_escalation = true;
            }
        }
        RealKind::Truce | RealKind::Deal => {
            let scope = e.scope.unwrap_or(if e.kind == RealKind::Deal {
                Scope::Broad
            } else {
                Scope::Transactional
            });
            // The broader of the week's deals.
            if s.deal != Some(Scope::Broad) {
                s.deal = Some(scope);
            }
        }
        RealKind::DeEscalation | RealKind::Talks | RealKind::Threat => {}
    }
}

/// Weekly signals of the events dated from `from` to `to` (inclusive), in `weeks` weeks.
pub fn week_signals(events: &[RealEvent], from: Date, to: Date, weeks: u32) -> Vec<WeekSignal> {
    let mut out = vec![WeekSignal::default(); weeks as usize];
    for e in events {
        let w = e.date.week_index(from);
        if e.date <= to && (0..i64::from(weeks)).contains(&w) {
            signal_of(e, &mut out[w as usize]);
        }
    }
    out
}

/// Typed outcomes of a real record between `from` and `to` (inclusive), through the same tally
/// as a simulated history.
pub fn typed_outcomes(
    events: &[RealEvent],
    threats: &[RealThreat],
    from: Date,
    to: Date,
    tariff_truces: &[Spell],
) -> TypedOutcomes {
    let mut t = TypedOutcomes::default();
    let inside = |d: Date| d >= from && d <= to;
    for th in threats {
        if !inside(th.date) || !th.outcome_date.is_some_and(inside) {
            continue;
        }
        if th.kind == ThreatKind::Deadline {
            t.add_expiry(match th.outcome {
                RealOutcome::Postponed | RealOutcome::ExtendedByDecree | RealOutcome::Hanging => {
                    Expiry::Extended
                }
                RealOutcome::WithdrawnInDeal | RealOutcome::Withdrawn => Expiry::Renewed,
                RealOutcome::Executed
                | RealOutcome::ExecutedInPart
                | RealOutcome::ExecutedEnlarged => Expiry::Lapsed,
            });
        } else {
            t.add_threat(match th.outcome {
                RealOutcome::Executed
                | RealOutcome::ExecutedInPart
                | RealOutcome::ExecutedEnlarged => ThreatOutcome::Executed,
                RealOutcome::Postponed | RealOutcome::ExtendedByDecree => ThreatOutcome::Postponed,
                RealOutcome::WithdrawnInDeal => ThreatOutcome::WithdrawnInDeal,
                RealOutcome::Withdrawn => ThreatOutcome::Conceded,
                RealOutcome::Hanging => ThreatOutcome::Hanging,
            });
        }
    }
    for (i, e) in events.iter().enumerate() {
        if e.kind != RealKind::Talks || !inside(e.date) {
            continue;
        }
        let deal = events[i + 1..].iter().any(|f| {
            matches!(f.kind, RealKind::Truce | RealKind::Deal)
                && f.date <= to
                && f.date.days_since(e.date) <= TALKS_DEAL_DAYS
        });
        // Opening talks: no tariff-rule truce in force at the start of the talks' week. A truce
        // of `length` weeks from `start` is in force at the start of weeks start+1 ..= start +
        // length (the last of them is the week an escalation ended it, if one did).
        let w = u32::try_from(e.date.week_index(from)).unwrap_or(0);
        let in_truce = tariff_truces
            .iter()
            .any(|s| s.start < w && w <= s.start + s.length);
        t.add_talks(deal, !in_truce);
    }
    t
}

/// Cycle statistics of the events between `from` and `to` (inclusive), with `durable` weeks as the
/// durable length and an optional truce in force at the start; typed outcomes from `threats`.
pub fn facts(
    events: &[RealEvent],
    threats: &[RealThreat],
    from: Date,
    to: Date,
    durable: u32,
    initial_truce: Option<Scope>,
) -> Facts {
    let days = to.days_since(from).max(0);
    let weeks = u32::try_from(days / 7 + 1).unwrap_or(u32::MAX);
    let signals = week_signals(events, from, to, weeks);
    let mut tracker = CycleTracker::new(initial_truce);
    let regimes: Vec<Regime> = signals
        .iter()
        .enumerate()
        .map(|(w, s)| tracker.observe(w as u32, s))
        .collect();
    tracker.finish();
    let inside: Vec<&RealEvent> = events
        .iter()
        .filter(|e| e.date >= from && e.date <= to)
        .collect();
    let mut counts = [0u32; 6];
    for e in &inside {
        counts[e.kind as usize] += 1;
    }
    // Retaliation: an escalation by one side followed, before any truce or deal, by an escalation
    // involving the other side.
    let mut retaliations = Vec::new();
    for (i, e) in inside.iter().enumerate() {
        if e.kind != RealKind::Escalation || e.actor == Actor::Both {
            continue;
        }
        let other = 1 - usize::from(e.actor.involves(1));
        for f in &inside[i + 1..] {
            if matches!(f.kind, RealKind::Truce | RealKind::Deal) {
                break;
            }
            if f.kind == RealKind::Escalation && f.actor.involves(other) {
                retaliations.push(Retaliation {
                    date: e.date,
                    first: e.actor,
                    lag_days: f.date.days_since(e.date),
                });
                break;
            }
        }
    }
    Facts {
        from,
        weeks,
        summary: tracker.summary(durable),
        truces_strict: tracker.truces(Rule::Strict).to_vec(),
        truces_tariff: tracker.truces(Rule::Tariff).to_vec(),
        episodes: tracker.episodes().to_vec(),
        episodes_tariff: tracker.episodes_under(Rule::Tariff).to_vec(),
        outcomes: typed_outcomes(events, threats, from, to, tracker.truces(Rule::Tariff)),
        regimes,
        retaliations,
        counts,
    }
}

/// The latest reading of a side's tariff at or before `date` (side 0: US, 1: China).
pub fn tariff_at(series: &[TariffPoint], side: usize, date: Date) -> Option<f64> {
    series
        .iter()
        .filter(|p| p.date <= date)
        .filter_map(|p| if side == 0 { p.us } else { p.cn })
        .next_back()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::read_events;

    #[test]
    fn hand_made_record_gives_hand_computed_truces() {
        // Week 0: US tariff escalation; week 1: CN non-tariff escalation; week 3: truce;
        // week 6: US tariff escalation (truce broken after 3 weeks); week 9: deal, held to the
        // end (week 12), so censored at 12 - 9 = 4 weeks.
        let csv = "date,actor,kind,description\n\
            2020-01-01,US,escalation,Tariff: up\n\
            2020-01-09,CN,escalation,Non-tariff: controls\n\
            2020-01-22,both,truce,hold\n\
            2020-02-12,US,escalation,Tariff: up again\n\
            2020-03-04,both,deal,signed\n\
            2020-03-10,both,talks,round\n";
        let ev = read_events("t.csv", csv).expect("parses");
        let from: Date = "2020-01-01".parse().expect("date");
        let to = from.add_days(7 * 13 - 1);
        let f = facts(&ev, &[], from, to, 52, None);
        assert_eq!(f.weeks, 13);
        assert_eq!(
            f.truces_strict,
            vec![
                Spell {
                    start: 3,
                    length: 3,
                    censored: false,
                    broad: false
                },
                Spell {
                    start: 9,
                    length: 4,
                    censored: true,
                    broad: true
                }
            ]
        );
        assert_eq!(f.summary.broken_truces, 1);
        assert_eq!(f.summary.truces_censored, 1);
        // Episodes: weeks 0-2 (3 weeks, ended by the truce), weeks 6-8 (3 weeks).
        assert_eq!(
            f.episodes,
            vec![
                Spell {
                    start: 0,
                    length: 3,
                    censored: false,
                    broad: false
                },
                Spell {
                    start: 6,
                    length: 3,
                    censored: false,
                    broad: false
                }
            ]
        );
        assert_eq!(f.summary.share_truce, 7.0 / 13.0);
        assert_eq!(
            f.retaliations,
            vec![Retaliation {
                date: from,
                first: Actor::Us,
                lag_days: 8
            }]
        );
        assert_eq!(f.counts, [3, 0, 1, 1, 1, 0]);
    }

    #[test]
    fn the_real_record_has_the_known_truces() {
        let ev = read_events("e", crate::data::EVENTS_CSV).expect("parses");
        let from: Date = "2018-03-22".parse().expect("date");
        let to: Date = "2020-12-31".parse().expect("date");
        let f = facts(&ev, &[], from, to, 52, None);
        // May 2018 hold, Buenos Aires, Osaka, the verbal phase one (renewed by the signed deal).
        assert_eq!(f.summary.truces, 4);
        assert_eq!(f.summary.broken_truces, 3);
        let last = f.truces_strict.last().copied().expect("a truce");
        assert!(last.censored && last.broad && last.length > 52);
        assert!(f.summary.weeks_to_durable_deal.is_some());
    }

    #[test]
    fn events_after_the_window_are_not_binned() {
        // The window ends on a Monday (2020-01-13, inside week 1); an escalation on the Thursday
        // after falls in the same week but past --to, so it must not count.
        let csv = "date,actor,kind,description\n\
            2020-01-01,both,truce,hold\n\
            2020-01-16,US,escalation,Tariff: after the window\n";
        let ev = read_events("t.csv", csv).expect("parses");
        let from: Date = "2020-01-01".parse().expect("date");
        let to: Date = "2020-01-13".parse().expect("date");
        let f = facts(&ev, &[], from, to, 52, None);
        assert_eq!(f.weeks, 2);
        assert_eq!(f.summary.broken_truces, 0);
        assert_eq!(f.summary.truces_censored, 1);
        // One day later it counts.
        let f = facts(&ev, &[], from, to.add_days(3), 52, None);
        assert_eq!(f.summary.broken_truces, 1);
    }

    #[test]
    fn scope_column_decides_a_deal_s_scope() {
        let csv = "date,actor,kind,description,scope\n\
            2020-01-01,both,deal,framework,transactional\n\
            2020-02-01,US,escalation,Tariff: up,\n\
            2020-03-01,both,deal,signed,\n";
        let ev = read_events("t.csv", csv).expect("parses");
        let from: Date = "2020-01-01".parse().expect("date");
        let f = facts(&ev, &[], from, from.add_days(7 * 20), 52, None);
        let broad: Vec<bool> = f.truces_strict.iter().map(|t| t.broad).collect();
        assert_eq!(broad, vec![false, true]);
        assert_eq!(f.summary.broad_deals_unravelled, 0);
    }

    #[test]
    fn both_records_have_their_typed_outcomes_and_both_rules() {
        use crate::data::{EVENTS_2025_CSV, embedded_threats};
        let threats = embedded_threats();
        let first = read_events("e", crate::data::EVENTS_CSV).expect("parses");
        let from: Date = "2018-03-22".parse().expect("date");
        let to: Date = "2020-02-14".parse().expect("date");
        let f = facts(&first, &threats, from, to, 52, None);
        let o = f.outcomes;
        // 12 first-term rows: 11 threats and scheduled increases, 1 truce deadline.
        assert_eq!(o.threat(ThreatOutcome::Executed), 6);
        assert_eq!(o.threat(ThreatOutcome::Postponed), 2);
        assert_eq!(o.threat(ThreatOutcome::WithdrawnInDeal), 3);
        assert_eq!(o.expiry(Expiry::Extended), 1);
        assert_eq!((o.scheduled_talks, o.scheduled_talks_deal), (8, 1));
        // Opening talks (no tariff truce in force): May 3 and Aug 22 2018 (no deal within 14
        // days) and Oct 10 2019 (the verbal Phase One next day). The May 9 2019 round came under
        // the Buenos Aires truce, which broke the next day.
        assert_eq!((o.opening_talks, o.opening_talks_deal), (3, 1));
        // No non-tariff escalation of the first term broke a truce while tariffs held.
        assert_eq!(f.summary.strict_breaks_in_tariff_truce, 0);
        assert_eq!(f.summary.escalation_episodes_tariff, 4);

        let second = read_events("e", EVENTS_2025_CSV).expect("parses");
        let from: Date = "2025-02-01".parse().expect("date");
        let to: Date = "2025-08-31".parse().expect("date");
        let f = facts(&second, &threats, from, to, 52, None);
        let o = f.outcomes;
        assert_eq!(o.threat(ThreatOutcome::Executed), 1);
        assert_eq!(o.threat(ThreatOutcome::Hanging), 1);
        assert_eq!(o.expiry(Expiry::Extended), 1);
        assert_eq!(o.threats_total() + o.expiries.iter().sum::<u32>(), 3);
        assert_eq!((o.scheduled_talks, o.scheduled_talks_deal), (3, 2));
        // Only Geneva opened a truce; the June call and Stockholm came under it.
        assert_eq!((o.opening_talks, o.opening_talks_deal), (1, 1));
        // After Geneva the EDA curbs broke the strict-rule truce while the tariff truce held to
        // the end of the data; London was a transactional framework.
        assert_eq!(f.summary.strict_breaks_in_tariff_truce, 1);
        assert_eq!(f.summary.broken_truces_tariff_rule, 0);
        assert!(f.truces_strict.iter().all(|t| !t.broad));
        let tariff_truce = f.truces_tariff.last().copied().expect("a tariff truce");
        assert!(tariff_truce.censored);
        assert!(f.summary.share_truce_tariff > f.summary.share_truce);
        assert_eq!(f.episodes_tariff.len(), 1);
    }
}
