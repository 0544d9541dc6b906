//! Regimes and cycle statistics (model.md section 4), computed the same way on a simulated week
//! series and on a real dated event list: one tracker, fed one week at a time.
//!
//! Within a week, escalations are taken before a deal: a deal made in a week that also saw an
//! escalation starts a truce that is intact at the week's end.

use crate::scenario::Scope;

/// The regime-relevant facts of one week.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WeekSignal {
    /// Some side raised tariffs by at least the threshold.
    pub tariff_escalation: bool,
    /// Some side added controls by at least the threshold.
    pub controls_escalation: bool,
    /// An agreement to hold or roll back measures was made, and its scope.
    pub deal: Option<Scope>,
}

/// Regime of a week.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Regime {
    /// Before any escalation or truce.
    Neither,
    /// A truce holds at the week's end (strict rule).
    Truce,
    /// In an escalation episode.
    Escalation,
}

/// Which escalations end a truce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Any escalation event by either side.
    Strict,
    /// Only a tariff escalation.
    Tariff,
}

/// A completed or censored spell (truce or escalation episode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spell {
    /// Week it started.
    pub start: u32,
    /// Length in weeks.
    pub length: u32,
    /// True if it was still going at the end of the observation (right-censored).
    pub censored: bool,
    /// For truces: a broad deal was made during it.
    pub broad: bool,
}

#[derive(Clone, Debug, Default)]
struct RuleTrack {
    current: Option<(u32, bool)>,
    spells: Vec<Spell>,
    /// Open escalation episode under this rule (its start week).
    episode: Option<u32>,
    episodes: Vec<Spell>,
    /// Weeks a truce of this rule was current at the week's end.
    truce_weeks: u32,
}

impl RuleTrack {
    fn reset(&mut self, init: Option<(u32, bool)>) {
        self.current = init;
        self.spells.clear();
        self.episode = None;
        self.episodes.clear();
        self.truce_weeks = 0;
    }

    /// One week: the escalation first (ending a truce, opening an episode unless a deal comes the
    /// same week), then the deal (starting or extending a truce, closing an episode).
    fn observe(&mut self, week: u32, escalation: bool, deal: Option<Scope>) {
        self.truces(week, escalation, deal);
        if escalation && self.episode.is_none() && !(deal.is_some() && self.current.is_some()) {
            self.episode = Some(week);
        }
        if deal.is_some()
            && let Some(start) = self.episode.take()
        {
            self.episodes.push(Spell {
                start,
                length: week - start,
                censored: false,
                broad: false,
            });
        }
        if self.current.is_some() {
            self.truce_weeks += 1;
        }
    }

    fn truces(&mut self, week: u32, escalation: bool, deal: Option<Scope>) {
        if escalation && let Some((start, broad)) = self.current.take() {
            self.spells.push(Spell {
                start,
                length: week - start,
                censored: false,
                broad,
            });
        }
        if let Some(scope) = deal {
            let broad = scope == Scope::Broad;
            match &mut self.current {
                Some((_, b)) => *b |= broad,
                None => self.current = Some((week, broad)),
            }
        }
    }

    fn finish(&mut self, end: u32) {
        if let Some((start, broad)) = self.current.take() {
            self.spells.push(Spell {
                start,
                length: end - start,
                censored: true,
                broad,
            });
        }
        if let Some(start) = self.episode.take() {
            self.episodes.push(Spell {
                start,
                length: end - start,
                censored: true,
                broad: false,
            });
        }
    }
}

/// Classifies weeks into regimes and records truces (both rules) and escalation episodes.
#[derive(Clone, Debug, Default)]
pub struct CycleTracker {
    strict: RuleTrack,
    tariff: RuleTrack,
    weeks: [u32; 3],
    observed: u32,
    /// Strict-rule truces ended by a non-tariff escalation while the tariff-rule truce held.
    strict_only_breaks: u32,
}

impl CycleTracker {
    /// A tracker for a series that starts in a truce of the given scope, or in no regime.
    pub fn new(initial_truce: Option<Scope>) -> CycleTracker {
        let mut t = CycleTracker::default();
        t.reset(initial_truce);
        t
    }

    /// Starts over (keeps allocations).
    pub fn reset(&mut self, initial_truce: Option<Scope>) {
        let init = initial_truce.map(|s| (0, s == Scope::Broad));
        self.strict.reset(init);
        self.tariff.reset(init);
        self.weeks = [0; 3];
        self.observed = 0;
        self.strict_only_breaks = 0;
    }

    /// Takes week `week` (weeks must come in order, from 0) and returns its regime.
    pub fn observe(&mut self, week: u32, s: &WeekSignal) -> Regime {
        let strict_esc = s.tariff_escalation || s.controls_escalation;
        if self.strict.current.is_some()
            && self.tariff.current.is_some()
            && s.controls_escalation
            && !s.tariff_escalation
        {
            self.strict_only_breaks += 1;
        }
        self.strict.observe(week, strict_esc, s.deal);
        self.tariff.observe(week, s.tariff_escalation, s.deal);
        let regime = if self.strict.current.is_some() {
            Regime::Truce
        } else if self.strict.episode.is_some() {
            Regime::Escalation
        } else {
            Regime::Neither
        };
        self.weeks[regime as usize] += 1;
        self.observed = week + 1;
        regime
    }

    /// Closes open spells as censored at the end of the observation.
    pub fn finish(&mut self) {
        let end = self.observed;
        self.strict.finish(end);
        self.tariff.finish(end);
    }

    /// Truces under a rule (call [`finish`](Self::finish) first to include the open one).
    pub fn truces(&self, rule: Rule) -> &[Spell] {
        match rule {
            Rule::Strict => &self.strict.spells,
            Rule::Tariff => &self.tariff.spells,
        }
    }

    /// Escalation episodes (strict rule: any escalation opens one).
    pub fn episodes(&self) -> &[Spell] {
        &self.strict.episodes
    }

    /// Escalation episodes under a rule.
    pub fn episodes_under(&self, rule: Rule) -> &[Spell] {
        match rule {
            Rule::Strict => &self.strict.episodes,
            Rule::Tariff => &self.tariff.episodes,
        }
    }

    /// Weeks spent in each regime (indexed by `Regime as usize`).
    pub fn regime_weeks(&self) -> [u32; 3] {
        self.weeks
    }
}

/// The cycle statistics of model.md section 4 for one observed series (a simulated replicate or
/// a real event record): the one summary both kinds of series go through.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CycleSummary {
    /// Weeks observed.
    pub weeks: u32,
    /// Share of weeks in truce (strict rule).
    pub share_truce: f64,
    /// Share of weeks in an escalation episode.
    pub share_escalation: f64,
    /// Share of weeks in neither.
    pub share_neither: f64,
    /// Truces (strict rule).
    pub truces: u32,
    /// Truces ended by an escalation (strict rule).
    pub broken_truces: u32,
    /// Broken truces per year.
    pub broken_truces_per_year: f64,
    /// Truces ended by a tariff escalation (tariff rule).
    pub broken_truces_tariff_rule: u32,
    /// Truces still holding at the end.
    pub truces_censored: u32,
    /// Longest truce, weeks.
    pub longest_truce_weeks: u32,
    /// The first truce.
    pub first_truce: Option<Spell>,
    /// Escalation episodes.
    pub escalation_episodes: u32,
    /// Longest escalation episode, weeks.
    pub longest_escalation_weeks: u32,
    /// Start week of the first durable truce.
    pub weeks_to_durable_deal: Option<u32>,
    /// Truces with a broad deal broken before the end.
    pub broad_deals_unravelled: u32,
    /// Share of weeks in truce under the tariff rule.
    pub share_truce_tariff: f64,
    /// Escalation episodes under the tariff rule (opened by a tariff escalation only).
    pub escalation_episodes_tariff: u32,
    /// Longest tariff-rule escalation episode, weeks.
    pub longest_escalation_weeks_tariff: u32,
    /// Strict-rule truces ended by a non-tariff escalation while the tariff-rule truce held (a
    /// fight on a separate instrument).
    pub strict_breaks_in_tariff_truce: u32,
    /// Longest truce under the tariff rule, weeks.
    pub longest_truce_weeks_tariff: u32,
    /// Start week of the first tariff-rule truce lasting the durable length.
    pub weeks_to_durable_deal_tariff: Option<u32>,
}

impl CycleTracker {
    /// The cycle statistics of the series observed so far (call [`finish`](Self::finish) first).
    pub fn summary(&self, durable: u32) -> CycleSummary {
        let weeks = self.observed;
        let w = f64::from(weeks.max(1));
        let [neither, truce, escalation] = self.weeks;
        let truces = &self.strict.spells;
        let broken = truces.iter().filter(|t| !t.censored).count() as u32;
        CycleSummary {
            weeks,
            share_truce: f64::from(truce) / w,
            share_escalation: f64::from(escalation) / w,
            share_neither: f64::from(neither) / w,
            truces: truces.len() as u32,
            broken_truces: broken,
            broken_truces_per_year: f64::from(broken) / (w * crate::model::params::WEEK_YEARS),
            broken_truces_tariff_rule: self.tariff.spells.iter().filter(|t| !t.censored).count()
                as u32,
            truces_censored: truces.iter().filter(|t| t.censored).count() as u32,
            longest_truce_weeks: truces.iter().map(|t| t.length).max().unwrap_or(0),
            first_truce: truces.first().copied(),
            escalation_episodes: self.strict.episodes.len() as u32,
            longest_escalation_weeks: longest(&self.strict.episodes),
            weeks_to_durable_deal: first_durable(truces, durable),
            broad_deals_unravelled: truces.iter().filter(|t| t.broad && !t.censored).count() as u32,
            share_truce_tariff: f64::from(self.tariff.truce_weeks) / w,
            escalation_episodes_tariff: self.tariff.episodes.len() as u32,
            longest_escalation_weeks_tariff: longest(&self.tariff.episodes),
            strict_breaks_in_tariff_truce: self.strict_only_breaks,
            longest_truce_weeks_tariff: longest(&self.tariff.spells),
            weeks_to_durable_deal_tariff: first_durable(&self.tariff.spells, durable),
        }
    }
}

fn longest(spells: &[Spell]) -> u32 {
    spells.iter().map(|t| t.length).max().unwrap_or(0)
}

/// The first truce lasting at least `durable` weeks, if any: its start week.
pub fn first_durable(truces: &[Spell], durable: u32) -> Option<u32> {
    truces.iter().find(|t| t.length >= durable).map(|t| t.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc() -> WeekSignal {
        WeekSignal {
            tariff_escalation: true,
            ..Default::default()
        }
    }
    fn ctl() -> WeekSignal {
        WeekSignal {
            controls_escalation: true,
            ..Default::default()
        }
    }
    fn deal() -> WeekSignal {
        WeekSignal {
            deal: Some(Scope::Transactional),
            ..Default::default()
        }
    }

    // long: a hand-written oracle for the tracker, kept in one piece so it reads as the rules of MODEL.md §4.
    #[test]
    fn hand_computed_cycle() {
        // week: 0 esc, 1 -, 2 deal, 3 -, 4 controls esc, 5 deal, 6 -, 7 - (end, censored)
        let series = [
            esc(),
            WeekSignal::default(),
            deal(),
            WeekSignal::default(),
            ctl(),
            deal(),
            WeekSignal::default(),
            WeekSignal::default(),
        ];
        let mut t = CycleTracker::new(None);
        let regimes: Vec<Regime> = series
            .iter()
            .enumerate()
            .map(|(w, s)| t.observe(w as u32, s))
            .collect();
        t.finish();
        use Regime::*;
        assert_eq!(
            regimes,
            vec![
                Escalation, Escalation, Truce, Truce, Escalation, Truce, Truce, Truce
            ]
        );
        let strict = t.truces(Rule::Strict);
        assert_eq!(
            strict,
            &[
                Spell {
                    start: 2,
                    length: 2,
                    censored: false,
                    broad: false
                },
                Spell {
                    start: 5,
                    length: 3,
                    censored: true,
                    broad: false
                }
            ]
        );
        // Under the tariff rule the controls escalation does not end the first truce; the second
        // deal renews it.
        assert_eq!(
            t.truces(Rule::Tariff),
            &[Spell {
                start: 2,
                length: 6,
                censored: true,
                broad: false
            }]
        );
        assert_eq!(
            t.episodes(),
            &[
                Spell {
                    start: 0,
                    length: 2,
                    censored: false,
                    broad: false
                },
                Spell {
                    start: 4,
                    length: 1,
                    censored: false,
                    broad: false
                }
            ]
        );
        assert_eq!(t.regime_weeks(), [0, 5, 3]);
        // Tariff rule: one episode (weeks 0-1, closed by the deal of week 2); the controls
        // escalation of week 4 opens none. The truce holds weeks 2-7.
        assert_eq!(
            t.episodes_under(Rule::Tariff),
            &[Spell {
                start: 0,
                length: 2,
                censored: false,
                broad: false
            }]
        );
        let s = t.summary(52);
        assert_eq!(s.share_truce_tariff, 6.0 / 8.0);
        assert_eq!(s.escalation_episodes_tariff, 1);
        assert_eq!(s.longest_escalation_weeks_tariff, 2);
        // The controls escalation of week 4 broke the strict truce while the tariff truce held.
        assert_eq!(s.strict_breaks_in_tariff_truce, 1);
    }

    #[test]
    fn initial_truce_counts_from_week_zero() {
        let mut t = CycleTracker::new(Some(Scope::Broad));
        t.observe(0, &WeekSignal::default());
        t.observe(1, &esc());
        t.finish();
        assert_eq!(
            t.truces(Rule::Strict),
            &[Spell {
                start: 0,
                length: 1,
                censored: false,
                broad: true
            }]
        );
        assert_eq!(
            t.episodes(),
            &[Spell {
                start: 1,
                length: 1,
                censored: true,
                broad: false
            }]
        );
    }

    #[test]
    fn durable_needs_the_full_length() {
        let ts = [
            Spell {
                start: 3,
                length: 10,
                censored: false,
                broad: false,
            },
            Spell {
                start: 20,
                length: 52,
                censored: true,
                broad: false,
            },
        ];
        assert_eq!(first_durable(&ts, 52), Some(20));
        assert_eq!(first_durable(&ts, 53), None);
    }
}
