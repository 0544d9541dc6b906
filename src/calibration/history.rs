//! What a calibration target reads off one history, simulated or real: the cycle statistics of a
//! window, its typed outcomes and its peak tariffs ([`HistoryStats`]), and the statistics that can
//! be targets ([`STATISTICS`]). A simulated replicate fills one [`WindowCollector`] per window end;
//! a real record goes through `analysis::facts` over the same window. Both end in the same
//! `HistoryStats`, read by the same accessors.

use crate::analysis::cycle::{CycleSummary, CycleTracker};
use crate::analysis::outcomes::{ThreatOutcome, TypedOutcomes};
use crate::ensemble::record::week_signal;
use crate::model::observe::Expiry;
use crate::model::{State, WeekObs};
use crate::scenario::Scope;

/// The statistics of one history over one window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryStats {
    /// Cycle statistics (both rules).
    pub cycle: CycleSummary,
    /// Typed outcomes of threats, scheduled talks and expiries.
    pub outcomes: TypedOutcomes,
    /// Highest tariff of each side in the window (US, China), percent.
    pub peak: [f64; 2],
}

/// A statistic usable as a target. `None` means undefined for this history (a share of zero
/// events); the distance then counts the target as one scale unit away.
pub struct Statistic {
    /// Name (as in runs.csv, or a share of typed outcomes).
    pub name: &'static str,
    /// Counted in whole events (its predictive percentile is a mid-rank).
    pub discrete: bool,
    /// Value for a history.
    pub get: fn(&HistoryStats) -> Option<f64>,
}

fn share(num: u32, den: u32) -> Option<f64> {
    (den > 0).then(|| f64::from(num) / f64::from(den))
}

/// The statistics that can be targets.
pub const STATISTICS: &[Statistic] = &[
    Statistic {
        name: "share_truce",
        discrete: false,
        get: |h| Some(h.cycle.share_truce),
    },
    Statistic {
        name: "share_escalation",
        discrete: false,
        get: |h| Some(h.cycle.share_escalation),
    },
    Statistic {
        name: "share_neither",
        discrete: false,
        get: |h| Some(h.cycle.share_neither),
    },
    Statistic {
        name: "truces",
        discrete: true,
        get: |h| Some(f64::from(h.cycle.truces)),
    },
    Statistic {
        name: "broken_truces",
        discrete: true,
        get: |h| Some(f64::from(h.cycle.broken_truces)),
    },
    Statistic {
        name: "broken_truces_per_year",
        discrete: false,
        get: |h| Some(h.cycle.broken_truces_per_year),
    },
    Statistic {
        name: "broken_truces_tariff_rule",
        discrete: true,
        get: |h| Some(f64::from(h.cycle.broken_truces_tariff_rule)),
    },
    Statistic {
        name: "longest_truce_weeks",
        discrete: true,
        get: |h| Some(f64::from(h.cycle.longest_truce_weeks)),
    },
    Statistic {
        name: "escalation_episodes",
        discrete: true,
        get: |h| Some(f64::from(h.cycle.escalation_episodes)),
    },
    Statistic {
        name: "longest_escalation_weeks",
        discrete: true,
        get: |h| Some(f64::from(h.cycle.longest_escalation_weeks)),
    },
    Statistic {
        name: "durable_deal",
        discrete: true,
        get: |h| Some(f64::from(u8::from(h.cycle.weeks_to_durable_deal.is_some()))),
    },
    Statistic {
        name: "share_truce_tariff",
        discrete: false,
        get: |h| Some(h.cycle.share_truce_tariff),
    },
    Statistic {
        name: "escalation_episodes_tariff",
        discrete: true,
        get: |h| Some(f64::from(h.cycle.escalation_episodes_tariff)),
    },
    Statistic {
        name: "longest_escalation_weeks_tariff",
        discrete: true,
        get: |h| Some(f64::from(h.cycle.longest_escalation_weeks_tariff)),
    },
    Statistic {
        name: "longest_truce_weeks_tariff",
        discrete: true,
        get: |h| Some(f64::from(h.cycle.longest_truce_weeks_tariff)),
    },
    Statistic {
        name: "durable_deal_tariff",
        discrete: true,
        get: |h| {
            Some(f64::from(u8::from(
                h.cycle.weeks_to_durable_deal_tariff.is_some(),
            )))
        },
    },
    Statistic {
        name: "strict_breaks_in_tariff_truce",
        discrete: true,
        get: |h| Some(f64::from(h.cycle.strict_breaks_in_tariff_truce)),
    },
    Statistic {
        name: "peak_tariff_us",
        discrete: false,
        get: |h| Some(h.peak[0]),
    },
    Statistic {
        name: "peak_tariff_cn",
        discrete: false,
        get: |h| Some(h.peak[1]),
    },
    Statistic {
        name: "threats_executed_share",
        discrete: true,
        get: |h| {
            let o = &h.outcomes;
            share(o.threat(ThreatOutcome::Executed), o.threats_total())
        },
    },
    Statistic {
        name: "threats_postponed_share",
        discrete: true,
        get: |h| {
            let o = &h.outcomes;
            share(o.threat(ThreatOutcome::Postponed), o.threats_total())
        },
    },
    Statistic {
        name: "scheduled_talks_deal_share",
        discrete: true,
        get: |h| share(h.outcomes.scheduled_talks_deal, h.outcomes.scheduled_talks),
    },
    Statistic {
        name: "opening_talks_deal_share",
        discrete: true,
        get: |h| share(h.outcomes.opening_talks_deal, h.outcomes.opening_talks),
    },
    Statistic {
        name: "expiries_extended_share",
        discrete: true,
        get: |h| {
            let o = &h.outcomes;
            share(o.expiry(Expiry::Extended), o.expiries.iter().sum())
        },
    },
];

/// Index of a statistic by name.
pub fn statistic_index(name: &str) -> Option<usize> {
    STATISTICS.iter().position(|s| s.name == name)
}

/// Accumulates one simulated replicate's statistics over the weeks before `end`.
#[derive(Clone, Debug)]
pub struct WindowCollector {
    end: u32,
    durable: u32,
    initial: Option<Scope>,
    tracker: CycleTracker,
    outcomes: TypedOutcomes,
    peak: [f64; 2],
}

impl WindowCollector {
    /// A collector for weeks `0..end`.
    pub fn new(end: u32, durable: u32, initial: Option<Scope>) -> WindowCollector {
        WindowCollector {
            end,
            durable,
            initial,
            tracker: CycleTracker::new(initial),
            outcomes: TypedOutcomes::default(),
            peak: [0.0; 2],
        }
    }

    /// Starts a replicate whose tariffs begin at `tariff0`.
    pub fn reset(&mut self, tariff0: [f64; 2]) {
        self.tracker.reset(self.initial);
        self.outcomes = TypedOutcomes::default();
        self.peak = tariff0;
    }

    /// Takes one week (ignored at or after the window's end).
    pub fn week(&mut self, s: &State, o: &WeekObs) {
        if o.week >= self.end {
            return;
        }
        self.tracker.observe(o.week, &week_signal(o));
        self.outcomes.add_week(&o.outcomes);
        for (p, side) in self.peak.iter_mut().zip(&s.sides) {
            *p = p.max(side.tariff);
        }
    }

    /// The window's statistics.
    pub fn finish(&mut self) -> HistoryStats {
        self.tracker.finish();
        HistoryStats {
            cycle: self.tracker.summary(self.durable),
            outcomes: self.outcomes,
            peak: self.peak,
        }
    }
}
