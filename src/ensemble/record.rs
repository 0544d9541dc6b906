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

/// Which direction of a metric is better for the negotiation (fewer broken truces, more weeks in
/// truce); `Neither` where the article gives no direction (e.g. how many threats hang).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Higher is better.
    Higher,
    /// Lower is better.
    Lower,
    /// No direction.
    Neither,
}

impl Kind {
    /// The unit a metric of this kind is reported in.
    pub fn unit(self) -> &'static str {
        match self {
            Kind::Share => "share (0-1)",
            Kind::Count => "count",
            Kind::Rate => "per year",
            Kind::Tariff => "percentage points",
            Kind::Weeks => "weeks",
            Kind::Binary => "probability",
        }
    }
}

/// A metric of runs.csv.
#[derive(Clone, Copy)]
pub struct Metric {
    /// Typed key.
    pub id: MetricId,
    /// Column name.
    pub name: &'static str,
    /// What it is.
    pub description: &'static str,
    /// Kind.
    pub kind: Kind,
    /// Which direction is better.
    pub better: Better,
    /// Value for a replicate (`None` when it does not apply, e.g. no truce at all).
    pub get: fn(&RunStats) -> Option<f64>,
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Declares the metric registry: `MetricId` (one variant per metric, so a wrong name is a compile
/// error) and `METRICS` (the table, indexed by `MetricId as usize`).
macro_rules! metrics {
    ($($id:ident $name:ident: $kind:ident, $better:ident, $desc:literal, |$r:ident| $e:expr;)*) => {
        /// A metric of runs.csv by its typed key.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum MetricId {
            $(
                #[doc = $desc]
                $id,
            )*
        }

        /// Every metric of runs.csv, in column order (`METRICS[id as usize]`).
        pub const METRICS: &[Metric] = &[
            $(Metric {
                id: MetricId::$id,
                name: stringify!($name),
                description: $desc,
                kind: Kind::$kind,
                better: Better::$better,
                get: |$r: &RunStats| $e,
            },)*
        ];
    };
}

// Every metric of runs.csv, in column order: the typed key, the column name, how it is measured,
// which direction is better (for the report's marks, regret and rank probabilities), its label,
// and its value for a replicate. `MetricId` and `METRICS` are generated from this one list.
metrics! {
    ShareTruce share_truce: Share, Higher, "share of weeks in truce (strict rule)", |r| Some(r.cycle.share_truce);
    ShareEscalation share_escalation: Share, Lower, "share of weeks in an escalation episode", |r| Some(r.cycle.share_escalation);
    ShareNeither share_neither: Share, Neither, "share of weeks in neither regime", |r| Some(r.cycle.share_neither);
    Truces truces: Count, Higher, "truces (strict rule), including one in force at the start", |r| Some(f64::from(r.cycle.truces));
    BrokenTruces broken_truces: Count, Lower, "truces ended by an escalation event (strict rule)", |r| Some(f64::from(r.cycle.broken_truces));
    BrokenTrucesPerYear broken_truces_per_year: Rate, Lower, "broken truces per year", |r| Some(r.cycle.broken_truces_per_year);
    BrokenTrucesTariffRule broken_truces_tariff_rule: Count, Lower, "truces ended by a tariff escalation (tariff rule)", |r| Some(f64::from(r.cycle.broken_truces_tariff_rule));
    TrucesCensored truces_censored: Count, Neither, "truces still holding at the horizon", |r| Some(f64::from(r.cycle.truces_censored));
    LongestTruceWeeks longest_truce_weeks: Weeks, Higher, "longest truce in weeks", |r| { Some(f64::from(r.cycle.longest_truce_weeks)) };
    FirstTruceWeeks first_truce_weeks: Weeks, Higher, "length of the first truce in weeks (censored if first_truce_censored)", |r| r.cycle.first_truce.map(|t| f64::from(t.length));
    FirstTruceCensored first_truce_censored: Binary, Neither, "first truce still holding at the horizon", |r| r.cycle.first_truce.map(|t| f64::from(u8::from(t.censored)));
    EscalationEpisodes escalation_episodes: Count, Lower, "escalation episodes", |r| Some( f64::from(r.cycle.escalation_episodes) );
    LongestEscalationWeeks longest_escalation_weeks: Weeks, Lower, "longest escalation episode in weeks", |r| Some(f64::from(r.cycle.longest_escalation_weeks));
    PeakTariffUs peak_tariff_us: Tariff, Lower, "highest US average tariff on China, %", |r| Some(r.peak_tariff[0]);
    PeakTariffCn peak_tariff_cn: Tariff, Lower, "highest Chinese average tariff on the US, %", |r| Some(r.peak_tariff[1]);
    FinalTariffUs final_tariff_us: Tariff, Lower, "US average tariff on China at the horizon, %", |r| Some(r.final_tariff[0]);
    FinalTariffCn final_tariff_cn: Tariff, Lower, "Chinese average tariff on the US at the horizon, %", |r| Some(r.final_tariff[1]);
    WeeksToDurableDeal weeks_to_durable_deal: Weeks, Lower, "start week of the first truce lasting the durable length (empty if none)", |r| r.cycle.weeks_to_durable_deal.map(f64::from);
    DurableDeal durable_deal: Binary, Higher, "a truce lasted the durable length", |r| Some(f64::from(u8::from(r.cycle.weeks_to_durable_deal.is_some())));
    TransactionalDeals transactional_deals: Count, Higher, "transactional deals, renewals included", |r| Some(f64::from(r.transactional_deals));
    BroadDeals broad_deals: Count, Higher, "broad deals", |r| Some(f64::from( r.broad_deals ));
    BroadDealsUnravelled broad_deals_unravelled: Count, Lower, "truces with a broad deal broken before the horizon", |r| Some(f64::from(r.cycle.broad_deals_unravelled));
    ContradictionIndex contradiction_index: Share, Lower, "share of weeks in which a side made both a conciliatory and a hostile move", |r| Some(r.contradiction_index);
    RecordDisputes record_disputes: Count, Lower, "gray-zone moves read as violations of the record", |r| Some(f64::from(r.record_disputes));
    PerceivedViolations perceived_violations: Count, Lower, "weeks perceived as hostile under an agreement (both sides)", |r| Some(f64::from(r.perceived_violations));
    Misperceptions misperceptions: Count, Lower, "moves misread (both directions, both sides)", |r| Some(f64::from(r.misperceptions));
    Rounds rounds: Count, Higher, "negotiators' rounds held", |r| Some( f64::from(r.rounds) );
    Summits summits: Count, Neither, "leaders' summits held", |r| Some( f64::from(r.summits) );
    SummitsSucceeded summits_succeeded: Count, Higher, "summits that succeeded", |r| Some(f64::from(r.summits_succeeded));
    ChannelUptime channel_uptime: Share, Higher, "mean share of weeks each channel was open", |r| Some(r.channel_uptime);
    ShareTruceTariff share_truce_tariff: Share, Higher, "share of weeks in truce (tariff rule)", |r| Some(r.cycle.share_truce_tariff);
    EscalationEpisodesTariff escalation_episodes_tariff: Count, Lower, "escalation episodes under the tariff rule", |r| Some(f64::from(r.cycle.escalation_episodes_tariff));
    LongestEscalationWeeksTariff longest_escalation_weeks_tariff: Weeks, Lower, "longest tariff-rule escalation episode in weeks", |r| Some(f64::from(r.cycle.longest_escalation_weeks_tariff));
    StrictBreaksInTariffTruce strict_breaks_in_tariff_truce: Count, Lower, "strict-rule truces ended by a non-tariff escalation while the tariff truce held", |r| Some(f64::from(r.cycle.strict_breaks_in_tariff_truce));
    LargestTariffRise largest_tariff_rise: Tariff, Lower, "largest one-week tariff rise of either side, pp", |r| Some(r.largest_tariff_rise);
    LargestTariffCut largest_tariff_cut: Tariff, Higher, "largest one-week tariff cut of either side, pp", |r| Some(r.largest_tariff_cut);
    ThreatsExecuted threats_executed: Count, Lower, "threats carried out at their first deadline", |r| Some(f64::from(r.outcomes.threat(ThreatOutcome::Executed)));
    ThreatsPostponed threats_postponed: Count, Neither, "threats postponed at their first deadline", |r| Some(f64::from(r.outcomes.threat(ThreatOutcome::Postponed)));
    ThreatsConceded threats_conceded: Count, Higher, "threats withdrawn at their first deadline for a concession", |r| Some(f64::from(r.outcomes.threat(ThreatOutcome::Conceded)));
    ThreatsWithdrawnInDeal threats_withdrawn_in_deal: Count, Higher, "pending threats withdrawn by a deal", |r| Some(f64::from(r.outcomes.threat(ThreatOutcome::WithdrawnInDeal)));
    ThreatsHanging threats_hanging: Count, Neither, "threats left hanging at their first deadline", |r| Some(f64::from(r.outcomes.threat(ThreatOutcome::Hanging)));
    ScheduledTalks scheduled_talks: Count, Neither, "scheduled (calendar) rounds and summits held", |r| Some(f64::from(r.outcomes.scheduled_talks));
    ScheduledTalksDeal scheduled_talks_deal: Count, Higher, "scheduled rounds and summits that led to a deal", |r| Some(f64::from(r.outcomes.scheduled_talks_deal));
    ExpiriesRenewed expiries_renewed: Count, Higher, "expiring agreements renewed by a deal", |r| Some(f64::from(r.outcomes.expiry(Expiry::Renewed)));
    ExpiriesExtended expiries_extended: Count, Higher, "expiring agreements extended by decree", |r| Some(f64::from(r.outcomes.expiry(Expiry::Extended)));
    ExpiriesLapsed expiries_lapsed: Count, Lower, "expiring agreements that lapsed", |r| Some(f64::from(r.outcomes.expiry(Expiry::Lapsed)));
}

/// Index of a metric by its column name, for names a user typed (callers turn `None` into an
/// error with a hint); code names metrics by `MetricId`.
pub fn metric_index(name: &str) -> Option<usize> {
    METRICS.iter().position(|m| m.name == name)
}

impl MetricId {
    /// Position in [`METRICS`] and in every per-metric vector.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The metric's entry in the registry.
    pub fn metric(self) -> &'static Metric {
        &METRICS[self as usize]
    }

    /// Column name.
    pub fn name(self) -> &'static str {
        self.metric().name
    }

    /// Whether the metric is a censored time defined only in some replicates, whose paired mean
    /// over the replicates where both arms define it is a naive mean of a censored time (it drops
    /// the replicates that never reached the event, differently in each arm). negsim reports no
    /// paired difference of such a metric; its Kaplan–Meier rows carry the comparison.
    pub const fn censored_time(self) -> bool {
        matches!(
            self,
            MetricId::WeeksToDurableDeal | MetricId::FirstTruceWeeks
        )
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_keys_index_their_own_row_and_names_are_unique() {
        for (k, m) in METRICS.iter().enumerate() {
            assert_eq!(m.id.index(), k, "{}", m.name);
            assert_eq!(metric_index(m.name), Some(k));
            assert_eq!(m.id.name(), m.name);
        }
        assert_eq!(MetricId::ShareTruce.name(), "share_truce");
        assert_eq!(MetricId::DurableDeal.metric().kind, Kind::Binary);
        assert_eq!(MetricId::BrokenTruces.metric().better, Better::Lower);
        assert_eq!(metric_index("share_truc"), None);
    }
}
