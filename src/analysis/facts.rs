//! Cycle statistics of a real, dated event record, computed by the same tracker and summary as a
//! simulated replicate (`CycleTracker::summary`). How real event kinds map onto the model's:
//!
//! | real kind | model event | effect on regimes |
//! |---|---|---|
//! | `escalation`, description starting "Tariff:" | tariff escalation | ends a truce (both rules) |
//! | `escalation`, otherwise ("Non-tariff: ...") | controls escalation | ends a truce (strict rule) |
//! | `truce` | transactional deal | starts a truce (or renews one) |
//! | `deal` | broad deal | starts a truce (or renews one) |
//! | `de-escalation` | de-escalation | none (a truce needs an agreement) |
//! | `talks` | round held | none (counted) |
//! | `threat` | threat | none (counted) |
//!
//! Events are binned into weeks counted from the window's first day; within a week escalations
//! come before a deal, as in the model.

use crate::data::{Actor, RealEvent, RealKind, TariffPoint};
use crate::scenario::Scope;
use crate::scenario::date::Date;

use super::cycle::{CycleSummary, CycleTracker, Regime, Rule, Spell, WeekSignal};

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
    /// Escalation episodes.
    pub episodes: Vec<Spell>,
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
            if e.description.trim_start().starts_with("Tariff:") {
                s.tariff_escalation = true;
            } else {
                s.controls_escalation = true;
            }
        }
        RealKind::Truce => {
            if s.deal.is_none() {
                s.deal = Some(Scope::Transactional);
            }
        }
        RealKind::Deal => s.deal = Some(Scope::Broad),
        RealKind::DeEscalation | RealKind::Talks | RealKind::Threat => {}
    }
}

/// Weekly signals of the events in `[from, from + 7 weeks)`.
pub fn week_signals(events: &[RealEvent], from: Date, weeks: u32) -> Vec<WeekSignal> {
    let mut out = vec![WeekSignal::default(); weeks as usize];
    for e in events {
        let w = e.date.week_index(from);
        if (0..i64::from(weeks)).contains(&w) {
            signal_of(e, &mut out[w as usize]);
        }
    }
    out
}

fn sides(a: Actor) -> [bool; 2] {
    match a {
        Actor::Us => [true, false],
        Actor::Cn => [false, true],
        Actor::Both => [true, true],
    }
}

/// Cycle statistics of the events between `from` and `to` (inclusive), with `durable` weeks as the
/// durable length and an optional truce in force at the start.
pub fn facts(
    events: &[RealEvent],
    from: Date,
    to: Date,
    durable: u32,
    initial_truce: Option<Scope>,
) -> Facts {
    let days = to.days_since(from).max(0);
    let weeks = u32::try_from(days / 7 + 1).unwrap_or(u32::MAX);
    let signals = week_signals(events, from, weeks);
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
        let other = 1 - usize::from(sides(e.actor)[1]);
        for f in &inside[i + 1..] {
            if matches!(f.kind, RealKind::Truce | RealKind::Deal) {
                break;
            }
            if f.kind == RealKind::Escalation && sides(f.actor)[other] {
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
        let f = facts(&ev, from, to, 52, None);
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
        let f = facts(&ev, from, to, 52, None);
        // May 2018 hold, Buenos Aires, Osaka, the verbal phase one (renewed by the signed deal).
        assert_eq!(f.summary.truces, 4);
        assert_eq!(f.summary.broken_truces, 3);
        let last = f.truces_strict.last().copied().expect("a truce");
        assert!(last.censored && last.broad && last.length > 52);
        assert!(f.summary.weeks_to_durable_deal.is_some());
    }
}
