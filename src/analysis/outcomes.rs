//! Typed outcomes of threats, scheduled talks and expiring agreements: one tally, filled the same
//! way from a simulated history (week by week, from the model's observations) and from a real
//! record (the threats-and-deadlines table and the event list), so that the two are compared on
//! equal terms.

use crate::model::observe::{Expiry, WeekOutcomes};

/// What became of a dated threat or scheduled increase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreatOutcome {
    /// Carried out (in full, in part, or enlarged).
    Executed,
    /// Postponed to a later deadline.
    Postponed,
    /// Withdrawn at the deadline for a concession of the threatened side.
    Conceded,
    /// Withdrawn by a deal made before the deadline.
    WithdrawnInDeal,
    /// Neither carried out nor postponed: left hanging.
    Hanging,
}

/// Threat outcomes in column order.
pub const THREAT_OUTCOMES: [ThreatOutcome; 5] = [
    ThreatOutcome::Executed,
    ThreatOutcome::Postponed,
    ThreatOutcome::Conceded,
    ThreatOutcome::WithdrawnInDeal,
    ThreatOutcome::Hanging,
];

impl ThreatOutcome {
    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            ThreatOutcome::Executed => "executed",
            ThreatOutcome::Postponed => "postponed",
            ThreatOutcome::Conceded => "conceded",
            ThreatOutcome::WithdrawnInDeal => "withdrawn_in_deal",
            ThreatOutcome::Hanging => "hanging",
        }
    }
}

/// Expiry outcomes in column order.
pub const EXPIRY_OUTCOMES: [Expiry; 3] = [Expiry::Renewed, Expiry::Extended, Expiry::Lapsed];

/// snake_case name of an expiry outcome.
pub fn expiry_name(e: Expiry) -> &'static str {
    match e {
        Expiry::Renewed => "renewed",
        Expiry::Extended => "extended",
        Expiry::Lapsed => "lapsed",
    }
}

/// Counts of typed outcomes over one history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TypedOutcomes {
    /// Threats by outcome, indexed as [`THREAT_OUTCOMES`].
    pub threats: [u32; 5],
    /// Scheduled talks (rounds and summits) held.
    pub scheduled_talks: u32,
    /// Scheduled talks that led to a deal.
    pub scheduled_talks_deal: u32,
    /// Scheduled talks held with no agreement (simulated) or truce (real, tariff rule) in force:
    /// talks that could open a truce.
    pub opening_talks: u32,
    /// Opening talks that led to a deal.
    pub opening_talks_deal: u32,
    /// Expiring agreements by outcome, indexed as [`EXPIRY_OUTCOMES`].
    pub expiries: [u32; 3],
}

impl TypedOutcomes {
    /// Counts one threat's outcome.
    pub fn add_threat(&mut self, o: ThreatOutcome) {
        self.add_threats(o, 1);
    }

    fn add_threats(&mut self, o: ThreatOutcome, n: u32) {
        self.threats[o as usize] += n;
    }

    /// Counts one scheduled round or summit, whether it led to a deal, and whether it was held
    /// with no agreement in force.
    pub fn add_talks(&mut self, deal: bool, opening: bool) {
        self.scheduled_talks += 1;
        self.scheduled_talks_deal += u32::from(deal);
        self.opening_talks += u32::from(opening);
        self.opening_talks_deal += u32::from(opening && deal);
    }

    /// Counts one expiry's outcome.
    pub fn add_expiry(&mut self, e: Expiry) {
        self.expiries[e as usize] += 1;
    }

    /// Counts the outcomes of one simulated week.
    pub fn add_week(&mut self, w: &WeekOutcomes) {
        self.add_threats(ThreatOutcome::Executed, w.threats_executed);
        self.add_threats(ThreatOutcome::Postponed, w.threats_postponed);
        self.add_threats(ThreatOutcome::Conceded, w.threats_conceded);
        self.add_threats(ThreatOutcome::WithdrawnInDeal, w.threats_withdrawn_in_deal);
        self.add_threats(ThreatOutcome::Hanging, w.threats_hanging);
        if w.scheduled_talks {
            self.add_talks(w.scheduled_talks_deal, w.scheduled_talks_opening);
        }
        if let Some(e) = w.expiry {
            self.add_expiry(e);
        }
    }

    /// Count of one threat outcome.
    pub fn threat(&self, o: ThreatOutcome) -> u32 {
        self.threats[o as usize]
    }

    /// Count of one expiry outcome.
    pub fn expiry(&self, e: Expiry) -> u32 {
        self.expiries[e as usize]
    }

    /// Threats that reached an outcome.
    pub fn threats_total(&self) -> u32 {
        self.threats.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_is_tallied_by_the_same_adders_as_a_record() {
        let w = WeekOutcomes {
            threats_executed: 1,
            threats_postponed: 2,
            threats_conceded: 0,
            threats_withdrawn_in_deal: 3,
            threats_hanging: 1,
            scheduled_talks: true,
            scheduled_talks_deal: true,
            scheduled_talks_opening: false,
            expiry: Some(Expiry::Extended),
        };
        let mut a = TypedOutcomes::default();
        a.add_week(&w);
        let mut b = TypedOutcomes::default();
        b.add_threat(ThreatOutcome::Executed);
        for _ in 0..2 {
            b.add_threat(ThreatOutcome::Postponed);
        }
        for _ in 0..3 {
            b.add_threat(ThreatOutcome::WithdrawnInDeal);
        }
        b.add_threat(ThreatOutcome::Hanging);
        b.add_talks(true, false);
        b.add_expiry(Expiry::Extended);
        assert_eq!(a, b);
        assert_eq!(a.threats_total(), 7);
        assert_eq!(a.expiry(Expiry::Extended), 1);
        assert_eq!(a.threat(ThreatOutcome::Conceded), 0);
    }
}
