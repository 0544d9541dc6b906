//! What one replicate yields: its cycle statistics (one row of runs.csv), its truce spells and its
//! weekly trajectory, collected week by week from the model's observations.

use crate::analysis::cycle::{CycleSummary, CycleTracker, Regime, Rule, Spell, WeekSignal};
use crate::analysis::outcomes::{ThreatOutcome, TypedOutcomes};
use crate::model::observe::Expiry;
use crate::model::{Params, State, WeekObs};

/// Cycle statistics of one replicate (model.md section 4). Every field is documented in
/// [`METRICS`] and in README.md's description of runs.csv.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunStats {
    /// Replicate index.
    pub replicate: u64,
    /// The cycle statistics shared with real records: regime shares, truces (broken, censored,
    /// longest, first), escalation episodes, the first durable deal, broad deals unravelled.
    pub cycle: CycleSummary,
    /// Highest tariff of each side (US, China), percent.
    pub peak_tariff: [f64; 2],
    /// Tariff of each side at the horizon, percent.
    pub final_tariff: [f64; 2],
    /// Transactional deals (including renewals).
    pub transactional_deals: u32,
    /// Broad deals.
    pub broad_deals: u32,
    /// Share of weeks in which some side made both a conciliatory and a hostile move.
    pub contradiction_index: f64,
    /// Gray-zone moves read as violations of the record.
    pub record_disputes: u32,
    /// Weeks perceived as hostile while an agreement was in force (summed over sides).
    pub perceived_violations: u32,
    /// Moves misread (both directions, both sides).
    pub misperceptions: u32,
    /// Negotiators' rounds held.
    pub rounds: u32,
    /// Summits held.
    pub summits: u32,
    /// Summits that succeeded.
    pub summits_succeeded: u32,
    /// Mean over channels of the share of weeks open (0 without channels).
    pub channel_uptime: f64,
    /// Largest one-week tariff rise of either side, pp.
    pub largest_tariff_rise: f64,
    /// Largest one-week tariff cut of either side, pp.
    pub largest_tariff_cut: f64,
    /// Typed outcomes of threats, scheduled talks and expiries (shared with real records).
    pub outcomes: TypedOutcomes,
}

/// How a metric is measured, which fixes its output format and histogram resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A share in [0, 1].
    Share,
    /// A count.
    Count,
    /// A rate per year.
    Rate,
    /// A tariff in percent.
    Tariff,
    /// A duration in weeks.
    Weeks,
    /// A yes/no outcome (reported as a proportion with Wilson intervals).
    Binary,
}

/// A metric of runs.csv.
#[derive(Clone, Copy)]
pub struct Metric {
    /// Column name.
    pub name: &'static str,
    /// What it is.
    pub description: &'static str,
    /// Kind.
    pub kind: Kind,
    /// Value for a replicate (`None` when it does not apply, e.g. no truce at all).
    pub get: fn(&RunStats) -> Option<f64>,
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

macro_rules! metric {
    ($name:ident, $kind:ident, $desc:literal, |$r:ident| $e:expr) => {
        Metric {
            name: stringify!($name),
            description: $desc,
            kind: Kind::$kind,
            get: |$r: &RunStats| $e,
        }
    };
}

/// Every metric of runs.csv, in column order.
pub const METRICS: &[Metric] = &[
    metric!(
        share_truce,
        Share,
        "share of weeks in truce (strict rule)",
        |r| Some(r.cycle.share_truce)
    ),
    metric!(
        share_escalation,
        Share,
        "share of weeks in an escalation episode",
        |r| Some(r.cycle.share_escalation)
    ),
    metric!(
        share_neither,
        Share,
        "share of weeks in neither regime",
        |r| Some(r.cycle.share_neither)
    ),
    metric!(
        truces,
        Count,
        "truces (strict rule), including one in force at the start",
        |r| Some(f64::from(r.cycle.truces))
    ),
    metric!(
        broken_truces,
        Count,
        "truces ended by an escalation event (strict rule)",
        |r| Some(f64::from(r.cycle.broken_truces))
    ),
    metric!(
        broken_truces_per_year,
        Rate,
        "broken truces per year",
        |r| Some(r.cycle.broken_truces_per_year)
    ),
    metric!(
        broken_truces_tariff_rule,
        Count,
        "truces ended by a tariff escalation (tariff rule)",
        |r| Some(f64::from(r.cycle.broken_truces_tariff_rule))
    ),
    metric!(
        truces_censored,
        Count,
        "truces still holding at the horizon",
        |r| Some(f64::from(r.cycle.truces_censored))
    ),
    metric!(longest_truce_weeks, Weeks, "longest truce in weeks", |r| {
        Some(f64::from(r.cycle.longest_truce_weeks))
    }),
    metric!(
        first_truce_weeks,
        Weeks,
        "length of the first truce in weeks (censored if first_truce_censored)",
        |r| r.cycle.first_truce.map(|t| f64::from(t.length))
    ),
    metric!(
        first_truce_censored,
        Binary,
        "first truce still holding at the horizon",
        |r| r.cycle.first_truce.map(|t| f64::from(u8::from(t.censored)))
    ),
    metric!(escalation_episodes, Count, "escalation episodes", |r| Some(
        f64::from(r.cycle.escalation_episodes)
    )),
    metric!(
        longest_escalation_weeks,
        Weeks,
        "longest escalation episode in weeks",
        |r| Some(f64::from(r.cycle.longest_escalation_weeks))
    ),
    metric!(
        peak_tariff_us,
        Tariff,
        "highest US average tariff on China, %",
        |r| Some(r.peak_tariff[0])
    ),
    metric!(
        peak_tariff_cn,
        Tariff,
        "highest Chinese average tariff on the US, %",
        |r| Some(r.peak_tariff[1])
    ),
    metric!(
        final_tariff_us,
        Tariff,
        "US average tariff on China at the horizon, %",
        |r| Some(r.final_tariff[0])
    ),
    metric!(
        final_tariff_cn,
        Tariff,
        "Chinese average tariff on the US at the horizon, %",
        |r| Some(r.final_tariff[1])
    ),
    metric!(
        weeks_to_durable_deal,
        Weeks,
        "start week of the first truce lasting the durable length (empty if none)",
        |r| r.cycle.weeks_to_durable_deal.map(f64::from)
    ),
    metric!(
        durable_deal,
        Binary,
        "a truce lasted the durable length",
        |r| Some(f64::from(u8::from(r.cycle.weeks_to_durable_deal.is_some())))
    ),
    metric!(
        transactional_deals,
        Count,
        "transactional deals, renewals included",
        |r| Some(f64::from(r.transactional_deals))
    ),
    metric!(broad_deals, Count, "broad deals", |r| Some(f64::from(
        r.broad_deals
    ))),
    metric!(
        broad_deals_unravelled,
        Count,
        "truces with a broad deal broken before the horizon",
        |r| Some(f64::from(r.cycle.broad_deals_unravelled))
    ),
    metric!(
        contradiction_index,
        Share,
        "share of weeks in which a side made both a conciliatory and a hostile move",
        |r| Some(r.contradiction_index)
    ),
    metric!(
        record_disputes,
        Count,
        "gray-zone moves read as violations of the record",
        |r| Some(f64::from(r.record_disputes))
    ),
    metric!(
        perceived_violations,
        Count,
        "weeks perceived as hostile under an agreement (both sides)",
        |r| Some(f64::from(r.perceived_violations))
    ),
    metric!(
        misperceptions,
        Count,
        "moves misread (both directions, both sides)",
        |r| Some(f64::from(r.misperceptions))
    ),
    metric!(rounds, Count, "negotiators' rounds held", |r| Some(
        f64::from(r.rounds)
    )),
    metric!(summits, Count, "leaders' summits held", |r| Some(
        f64::from(r.summits)
    )),
    metric!(
        summits_succeeded,
        Count,
        "summits that succeeded",
        |r| Some(f64::from(r.summits_succeeded))
    ),
    metric!(
        channel_uptime,
        Share,
        "mean share of weeks each channel was open",
        |r| Some(r.channel_uptime)
    ),
    metric!(
        share_truce_tariff,
        Share,
        "share of weeks in truce (tariff rule)",
        |r| Some(r.cycle.share_truce_tariff)
    ),
    metric!(
        escalation_episodes_tariff,
        Count,
        "escalation episodes under the tariff rule",
        |r| Some(f64::from(r.cycle.escalation_episodes_tariff))
    ),
    metric!(
        longest_escalation_weeks_tariff,
        Weeks,
        "longest tariff-rule escalation episode in weeks",
        |r| Some(f64::from(r.cycle.longest_escalation_weeks_tariff))
    ),
    metric!(
        strict_breaks_in_tariff_truce,
        Count,
        "strict-rule truces ended by a non-tariff escalation while the tariff truce held",
        |r| Some(f64::from(r.cycle.strict_breaks_in_tariff_truce))
    ),
    metric!(
        largest_tariff_rise,
        Tariff,
        "largest one-week tariff rise of either side, pp",
        |r| Some(r.largest_tariff_rise)
    ),
    metric!(
        largest_tariff_cut,
        Tariff,
        "largest one-week tariff cut of either side, pp",
        |r| Some(r.largest_tariff_cut)
    ),
    metric!(
        threats_executed,
        Count,
        "threats carried out at their first deadline",
        |r| Some(f64::from(r.outcomes.threat(ThreatOutcome::Executed)))
    ),
    metric!(
        threats_postponed,
        Count,
        "threats postponed at their first deadline",
        |r| Some(f64::from(r.outcomes.threat(ThreatOutcome::Postponed)))
    ),
    metric!(
        threats_conceded,
        Count,
        "threats withdrawn at their first deadline for a concession",
        |r| Some(f64::from(r.outcomes.threat(ThreatOutcome::Conceded)))
    ),
    metric!(
        threats_withdrawn_in_deal,
        Count,
        "pending threats withdrawn by a deal",
        |r| Some(f64::from(r.outcomes.threat(ThreatOutcome::WithdrawnInDeal)))
    ),
    metric!(
        threats_hanging,
        Count,
        "threats left hanging at their first deadline",
        |r| Some(f64::from(r.outcomes.threat(ThreatOutcome::Hanging)))
    ),
    metric!(
        scheduled_talks,
        Count,
        "scheduled (calendar) rounds and summits held",
        |r| Some(f64::from(r.outcomes.scheduled_talks))
    ),
    metric!(
        scheduled_talks_deal,
        Count,
        "scheduled rounds and summits that led to a deal",
        |r| Some(f64::from(r.outcomes.scheduled_talks_deal))
    ),
    metric!(
        expiries_renewed,
        Count,
        "expiring agreements renewed by a deal",
        |r| Some(f64::from(r.outcomes.expiry(Expiry::Renewed)))
    ),
    metric!(
        expiries_extended,
        Count,
        "expiring agreements extended by decree",
        |r| Some(f64::from(r.outcomes.expiry(Expiry::Extended)))
    ),
    metric!(
        expiries_lapsed,
        Count,
        "expiring agreements that lapsed",
        |r| Some(f64::from(r.outcomes.expiry(Expiry::Lapsed)))
    ),
];

/// Index of a metric by name.
pub fn metric_index(name: &str) -> Option<usize> {
    METRICS.iter().position(|m| m.name == name)
}

/// The regime-relevant facts of a simulated week, as the cycle tracker reads them (either side's
/// escalation counts).
pub fn week_signal(o: &WeekObs) -> WeekSignal {
    WeekSignal {
        tariff_escalation: o.tariff_escalation[0] || o.tariff_escalation[1],
        controls_escalation: o.controls_escalation[0] || o.controls_escalation[1],
        deal: o.deal,
    }
}

/// One week of a replicate's trajectory, for the weekly time series.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WeekPoint {
    /// Tariffs (US, China).
    pub tariff: [f64; 2],
    /// Controls (US, China).
    pub controls: [f64; 2],
    /// Trust (US, China).
    pub trust: [f64; 2],
    /// Regime (`Regime as u8`).
    pub regime: u8,
}

/// Accumulates one replicate's statistics week by week.
#[derive(Clone, Debug)]
pub struct ReplicateCollector {
    tracker: CycleTracker,
    initial: Option<crate::scenario::Scope>,
    stats: RunStats,
    contradiction_weeks: u32,
    channel_weeks_open: u64,
    channels: usize,
    durable: u32,
}

impl ReplicateCollector {
    /// A collector for replicates of `p`.
    pub fn new(p: &Params) -> ReplicateCollector {
        let initial = p.agreement0.as_ref().map(|a| a.scope);
        ReplicateCollector {
            tracker: CycleTracker::new(initial),
            initial,
            stats: RunStats::default(),
            contradiction_weeks: 0,
            channel_weeks_open: 0,
            channels: p.channels.len(),
            durable: p.b.observation.durable_weeks.ceil() as u32,
        }
    }

    /// Starts a new replicate.
    pub fn reset(&mut self, p: &Params, replicate: u64) {
        self.tracker.reset(self.initial);
        self.stats = RunStats {
            replicate,
            peak_tariff: [p.sides[0].tariff0, p.sides[1].tariff0],
            ..RunStats::default()
        };
        self.contradiction_weeks = 0;
        self.channel_weeks_open = 0;
    }

    /// Takes one week; returns its regime.
    pub fn week(&mut self, s: &State, o: &WeekObs) -> Regime {
        let regime = self.tracker.observe(o.week, &week_signal(o));
        let st = &mut self.stats;
        for i in 0..2 {
            st.peak_tariff[i] = st.peak_tariff[i].max(s.sides[i].tariff);
            st.largest_tariff_rise = st.largest_tariff_rise.max(o.tariff_up[i]);
            st.largest_tariff_cut = st.largest_tariff_cut.max(o.tariff_down[i]);
        }
        st.outcomes.add_week(&o.outcomes);
        match o.deal {
            Some(crate::scenario::Scope::Broad) => st.broad_deals += 1,
            Some(crate::scenario::Scope::Transactional) => st.transactional_deals += 1,
            None => {}
        }
        if o.contradiction[0] || o.contradiction[1] {
            self.contradiction_weeks += 1;
        }
        st.record_disputes += o.record_disputes;
        st.perceived_violations += o.perceived_violations;
        st.misperceptions += o.misperceptions;
        st.rounds += u32::from(o.round_held);
        st.summits += u32::from(o.summit_held);
        st.summits_succeeded += u32::from(o.summit_succeeded);
        self.channel_weeks_open += u64::from(o.channels_open);
        regime
    }

    /// Ends the replicate; returns its statistics. Spells stay available until the next reset.
    pub fn finish(&mut self, s: &State) -> RunStats {
        self.tracker.finish();
        let c = self.tracker.summary(self.durable);
        let w = f64::from(c.weeks.max(1));
        let st = &mut self.stats;
        st.cycle = c;
        st.final_tariff = [s.sides[0].tariff, s.sides[1].tariff];
        st.contradiction_index = f64::from(self.contradiction_weeks) / w;
        st.channel_uptime = if self.channels == 0 {
            0.0
        } else {
            self.channel_weeks_open as f64 / (w * self.channels as f64)
        };
        st.clone()
    }

    /// Truces of the finished replicate under a rule.
    pub fn truces(&self, rule: Rule) -> &[Spell] {
        self.tracker.truces(rule)
    }
}
