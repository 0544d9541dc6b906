//! What a week produces: a typed observation for collectors and, when someone listens, events.
//! The model never formats or stores them; collectors decide what to keep.

use crate::scenario::Scope;

/// A side's move in a week, as truly made or as perceived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Move {
    /// No hostile act (holding counts as cooperating).
    #[default]
    Cooperate,
    /// At least one hostile act: an escalation move (even at a ceiling), a halt of purchases, a
    /// threat carried out or a snapback. Announcing a threat is not a move; it adds tension.
    Defect,
}

/// The regime-relevant facts of one week (model.md section 4), and counters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WeekObs {
    /// Week index.
    pub week: u32,
    /// Each side's true move this week.
    pub moves: [Move; 2],
    /// Each side's reading of the other's move last week.
    pub perceived: [Move; 2],
    /// A side raised its tariff by at least the escalation threshold.
    pub tariff_escalation: [bool; 2],
    /// A side added controls by at least the escalation threshold.
    pub controls_escalation: [bool; 2],
    /// A side cut its tariff or controls by at least the thresholds.
    pub deescalation: [bool; 2],
    /// A deal was struck this week, and its scope.
    pub deal: Option<Scope>,
    /// A side made both a conciliatory and a hostile move this week (P8).
    pub contradiction: [bool; 2],
    /// Moves read wrongly this week (both directions, both sides).
    pub misperceptions: u32,
    /// Gray-zone moves one side took as allowed and the other as a violation.
    pub record_disputes: u32,
    /// Weeks perceived as hostile while an agreement was in force.
    pub perceived_violations: u32,
    /// A negotiators' round was held.
    pub round_held: bool,
    /// A summit was held.
    pub summit_held: bool,
    /// The summit succeeded.
    pub summit_succeeded: bool,
    /// Channels open at the end of the week.
    pub channels_open: u32,
    /// Each side's tariff rise this week (pp, after bounds; steps 6 and 7).
    pub tariff_up: [f64; 2],
    /// Each side's tariff cut this week (pp).
    pub tariff_down: [f64; 2],
    /// Typed outcomes of this week: threats at their deadline or withdrawn in a deal, scheduled
    /// talks, expiries (model.md 8).
    pub outcomes: WeekOutcomes,
}

/// What happened this week to threats, scheduled talks and expiring agreements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WeekOutcomes {
    /// Threats carried out.
    pub threats_executed: u32,
    /// Threats postponed to a later deadline.
    pub threats_postponed: u32,
    /// Threats withdrawn at the deadline for a concession of the threatened side.
    pub threats_conceded: u32,
    /// Pending threats withdrawn by a deal.
    pub threats_withdrawn_in_deal: u32,
    /// Threats left hanging at the deadline (neither carried out nor postponed).
    pub threats_hanging: u32,
    /// A scheduled (calendar) round or summit was held.
    pub scheduled_talks: bool,
    /// It produced a deal.
    pub scheduled_talks_deal: bool,
    /// It was held with no agreement in force (talks that could open a truce).
    pub scheduled_talks_opening: bool,
    /// An expiring agreement: renewed by a deal, extended by decree, or lapsed.
    pub expiry: Option<Expiry>,
}

/// The fate of an agreement at its expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// A deal was made in the expiry week.
    Renewed,
    /// A leader extended it without a deal.
    Extended,
    /// It lapsed (snapback applies).
    Lapsed,
}

/// Kinds of logged events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EventKind {
    /// A security incident (step 1).
    SecurityIncident,
    /// A purge (step 1).
    Purge,
    /// A market-pain episode (step 1).
    MarketPain,
    /// A public insult (step 1).
    Insult,
    /// A conciliatory week read as hostile (step 2).
    MisreadAsHostile,
    /// A hostile week read as conciliatory (step 2).
    MisreadAsConciliatory,
    /// A gray-zone move read as a violation of the record (step 2).
    RecordDispute,
    /// A record dispute cleared up through a channel (step 2).
    DisputeCleared,
    /// A tariff rise (step 7).
    TariffRaised,
    /// Controls added (step 7).
    ControlsAdded,
    /// Purchases halted as a hostile move (step 7).
    PurchasesHalted,
    /// A unilateral tariff cut (step 7).
    TariffCut,
    /// Controls lifted, licences granted (step 7).
    ControlsLifted,
    /// A purchase gesture (step 7).
    PurchasesMade,
    /// A gray-zone move under an agreement (step 7).
    GrayMove,
    /// A threat announced (step 6).
    Threat,
    /// A threat carried out at its deadline (step 6).
    ThreatExecuted,
    /// A round held and failed (step 6).
    RoundFailed,
    /// A round held and succeeded (step 6).
    RoundSucceeded,
    /// A side's officials brought no proposal (step 6).
    NoProposal,
    /// A summit held and failed (step 6).
    SummitFailed,
    /// A summit held and succeeded (step 6).
    SummitSucceeded,
    /// A summit postponed for want of a prepared agenda (step 6).
    SummitPostponed,
    /// A transactional deal (step 6).
    TransactionalDeal,
    /// A broad deal (step 6).
    BroadDeal,
    /// The agreement in force collapsed after an escalation (step 7).
    AgreementBroken,
    /// The agreement in force lapsed unrenewed (step 6).
    AgreementLapsed,
    /// Tariffs snapped back after a lapse (step 6).
    Snapback,
    /// A channel closed (step 8).
    ChannelClosed,
    /// A channel reopened (step 8).
    ChannelReopened,
    /// A threat postponed at its deadline (step 6).
    ThreatPostponed,
    /// A threat withdrawn at its deadline for a concession (step 6).
    ThreatConceded,
    /// A threat left hanging at its deadline (step 6).
    ThreatHanging,
    /// An expiring agreement extended by decree (step 6).
    AgreementExtended,
}

impl EventKind {
    /// snake_case name for CSV output.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::SecurityIncident => "security_incident",
            EventKind::Purge => "purge",
            EventKind::MarketPain => "market_pain",
            EventKind::Insult => "insult",
            EventKind::MisreadAsHostile => "misread_as_hostile",
            EventKind::MisreadAsConciliatory => "misread_as_conciliatory",
            EventKind::RecordDispute => "record_dispute",
            EventKind::DisputeCleared => "dispute_cleared",
            EventKind::TariffRaised => "tariff_raised",
            EventKind::ControlsAdded => "controls_added",
            EventKind::PurchasesHalted => "purchases_halted",
            EventKind::TariffCut => "tariff_cut",
            EventKind::ControlsLifted => "controls_lifted",
            EventKind::PurchasesMade => "purchases_made",
            EventKind::GrayMove => "gray_move",
            EventKind::Threat => "threat",
            EventKind::ThreatExecuted => "threat_executed",
            EventKind::RoundFailed => "round_failed",
            EventKind::RoundSucceeded => "round_succeeded",
            EventKind::NoProposal => "no_proposal",
            EventKind::SummitFailed => "summit_failed",
            EventKind::SummitSucceeded => "summit_succeeded",
            EventKind::SummitPostponed => "summit_postponed",
            EventKind::TransactionalDeal => "transactional_deal",
            EventKind::BroadDeal => "broad_deal",
            EventKind::AgreementBroken => "agreement_broken",
            EventKind::AgreementLapsed => "agreement_lapsed",
            EventKind::Snapback => "snapback",
            EventKind::ChannelClosed => "channel_closed",
            EventKind::ChannelReopened => "channel_reopened",
            EventKind::ThreatPostponed => "threat_postponed",
            EventKind::ThreatConceded => "threat_conceded",
            EventKind::ThreatHanging => "threat_hanging",
            EventKind::AgreementExtended => "agreement_extended",
        }
    }
}

/// One logged event.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// Week index.
    pub week: u32,
    /// Side index, when the event belongs to a side.
    pub side: Option<u8>,
    /// Faction index within the side.
    pub faction: Option<u16>,
    /// Channel index.
    pub channel: Option<u16>,
    /// Kind.
    pub kind: EventKind,
    /// Size (pp for tariffs, index for controls, counts for shocks, probability for rounds).
    pub size: f64,
    /// Calendar entry behind the event, if scheduled.
    pub calendar: Option<u32>,
}

impl Event {
    /// An event of week `week`, of `kind` and `size`, belonging to no side, faction, channel or
    /// calendar entry until the setters below say so. Every event of the step is built here.
    #[inline]
    pub fn new(week: u32, kind: EventKind, size: f64) -> Event {
        Event {
            week,
            side: None,
            faction: None,
            channel: None,
            kind,
            size,
            calendar: None,
        }
    }

    /// The side it belongs to.
    #[inline]
    pub fn side(mut self, side: impl Into<Option<usize>>) -> Event {
        self.side = side.into().map(|i| i as u8);
        self
    }

    /// The faction that acted (index within the side).
    #[inline]
    pub fn faction(mut self, faction: impl Into<Option<u16>>) -> Event {
        self.faction = faction.into();
        self
    }

    /// The channel involved.
    #[inline]
    pub fn channel(mut self, channel: impl Into<Option<usize>>) -> Event {
        self.channel = channel.into().map(|k| k as u16);
        self
    }

    /// The calendar entry behind it.
    #[inline]
    pub fn calendar(mut self, calendar: impl Into<Option<u32>>) -> Event {
        self.calendar = calendar.into();
        self
    }
}

/// Receives events. `ENABLED = false` lets the compiler remove event construction entirely.
pub trait EventSink {
    /// Whether events are wanted.
    const ENABLED: bool;
    /// Takes one event.
    fn push(&mut self, e: Event);
}

/// Discards events.
pub struct NoEvents;

impl EventSink for NoEvents {
    const ENABLED: bool = false;
    #[inline]
    fn push(&mut self, _: Event) {}
}

impl EventSink for Vec<Event> {
    const ENABLED: bool = true;
    fn push(&mut self, e: Event) {
        Vec::push(self, e);
    }
}
