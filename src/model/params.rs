//! Model parameters compiled from a validated scenario: rates turned into weekly probabilities and
//! decay factors, dates into week indices, names into stream keys. Built once per arm.

use crate::scenario::behaviour::Behaviour;
use crate::scenario::date::Date;
use crate::scenario::{Channel, EventKind, Instrument, LeaderStyle, Scenario, Scope, Tension};

use super::fastmath::exp;
use super::rng::name_key;

/// Length of a week in years (7 / 365.2425): the unit conversion for every "per year" rate.
pub const WEEK_YEARS: f64 = 7.0 / 365.2425;

/// Probability of at least one arrival in a week for a rate per year.
pub fn weekly_probability(rate_per_year: f64) -> f64 {
    1.0 - exp(-rate_per_year * WEEK_YEARS)
}

/// Weekly survival factor of a stock decaying at `rate_per_year`.
pub fn weekly_decay(rate_per_year: f64) -> f64 {
    exp(-rate_per_year * WEEK_YEARS)
}

/// A faction, as the model uses it.
#[derive(Clone, Debug)]
pub struct FactionParams {
    /// Name (for event logs).
    pub name: String,
    /// Leader of its side.
    pub leader: bool,
    /// Stance in [-1, 1].
    pub stance: f64,
    /// Initial clout, normalised within the side.
    pub clout0: f64,
    /// Instrument used to escalate: the first of its instruments that is tariffs or controls
    /// (`None`: it can only halt purchases).
    pub hostile: Option<Instrument>,
    /// Instrument used for gestures: the first it lists.
    pub gesture: Option<Instrument>,
    /// Probability of acting alone in a week, (1 - coordination) * autonomy.
    pub p_alone: f64,
    /// Generosity.
    pub generosity: f64,
    /// Stream entity key.
    pub key: u64,
}

/// `buyer`/`relieved` when no side has that role.
pub const NO_SIDE: usize = usize::MAX;

/// A side, as the model uses it.
#[derive(Clone, Debug)]
pub struct SideParams {
    /// Key in the scenario (`sides.KEY`).
    pub key: String,
    /// Share of the stock (controls) that lapses each week.
    pub stock_decay: f64,
    /// Display label.
    pub label: String,
    /// Initial tariff.
    pub tariff0: f64,
    /// Tariff floor.
    pub tariff_floor: f64,
    /// Tariff ceiling.
    pub tariff_max: f64,
    /// Smallest tariff rise of an ordinary escalation move.
    pub tariff_step: f64,
    /// Initial controls.
    pub controls0: f64,
    /// Controls added by one escalation move.
    pub controls_step: f64,
    /// Initial trust.
    pub trust0: f64,
    /// Baseline face cost.
    pub face_cost: f64,
    /// Initial initiative aversion.
    pub aversion0: f64,
    /// Leader style.
    pub leader_style: LeaderStyle,
    /// Which instruments some faction of the side holds (tariffs, controls, purchases), so that
    /// the side can answer in kind.
    pub holds: [bool; 3],
    /// Generosity of the leader faction (deal-mindedness, for extensions).
    pub leader_generosity: f64,
    /// Weekly probability that the leader calls a summit.
    pub p_summit_call: f64,
    /// Richardson terms.
    pub tension: Tension,
    /// Weekly Poisson means of security incidents, purges, market pain, insults.
    pub shock_means: [f64; 4],
    /// `exp(-mean)` of each, for the Poisson inversion.
    pub shock_exp: [f64; 4],
    /// Factions.
    pub factions: Vec<FactionParams>,
    /// Index of the leader faction.
    pub leader: usize,
}

/// A channel, as the model uses it.
#[derive(Clone, Debug)]
pub struct ChannelParams {
    /// The scenario's channel.
    pub channel: Channel,
    /// Fidelity: 1 - mean misreading rate.
    pub fidelity: f64,
    /// Weekly probability of reopening while closed (constant: computed once here).
    pub p_reopen: f64,
    /// Stream entity key.
    pub key: u64,
}

/// A scheduled event with its week.
#[derive(Clone, Debug)]
pub struct Scheduled {
    /// Week index.
    pub week: u32,
    /// Index in the scenario's calendar (for notes).
    pub index: usize,
    /// What happens.
    pub kind: ScheduledKind,
}

/// Scheduled event kinds with dates turned into weeks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScheduledKind {
    /// A negotiators' round.
    Round,
    /// A summit.
    Summit {
        /// Prepared agenda.
        prepared: bool,
    },
    /// A threat.
    Threat {
        /// Side.
        side: usize,
        /// Size, pp.
        tariff_pp: f64,
        /// Week it takes effect.
        deadline: u32,
    },
    /// Expiry of the agreement in force at week 0 (used at compile time; a no-op in the step).
    TruceExpiry,
}

/// The initial agreement.
#[derive(Clone, Debug)]
pub struct InitialAgreement {
    /// Scope.
    pub scope: Scope,
    /// Detail.
    pub detail: f64,
    /// Purchases included.
    pub purchases: bool,
    /// Binds controls as well as tariffs.
    pub covers_controls: bool,
    /// Snapback sizes.
    pub snapback: [f64; 2],
    /// Week it expires unless renewed: the first `truce_expiry` entry of the calendar.
    pub expiry: Option<u32>,
}

/// Everything the weekly step reads; immutable during a run.
#[derive(Clone, Debug)]
pub struct Params {
    /// Horizon in weeks.
    pub weeks: u32,
    /// Date of week 0.
    pub start: Date,
    /// The two sides, in the scenario's order.
    pub sides: [SideParams; 2],
    /// The sides' and instruments' words for every output (`scenario::names`).
    pub names: std::sync::Arc<crate::scenario::names::Names>,
    /// Channels.
    pub channels: Vec<ChannelParams>,
    /// Initial negotiator experience.
    pub experience0: [f64; 2],
    /// Negotiators' understanding of the other system.
    pub understanding: [f64; 2],
    /// Negotiators' departmental expertise.
    pub expertise: [f64; 2],
    /// Initial rapport.
    pub rapport0: f64,
    /// Calendar within the horizon, sorted by week.
    pub calendar: Vec<Scheduled>,
    /// Agreement in force at week 0.
    pub agreement0: Option<InitialAgreement>,
    /// Summits only on a prepared agenda.
    pub require_prepared_agenda: bool,
    /// The side whose purchases an agreement commits (the buyer).
    pub buyer: usize,
    /// The side whose pain purchases relieve in weeks they are met.
    pub relieved: usize,
    /// Behavioural constants.
    pub b: Behaviour,
    /// Weekly decay factor of shock-driven face cost.
    pub face_decay: f64,
    /// Weekly decay factor of shock-driven pain.
    pub pain_decay: f64,
    /// Weekly decay factor of rapport.
    pub rapport_decay: f64,
    /// Weekly factor by which purge-raised initiative aversion returns to its initial level.
    pub aversion_recovery: f64,
    /// ln of `b.escalation.escalation_growth`, so that the weekly momentum growth^h is one
    /// [`exp`] (computed once per arm, by the platform's `ln`).
    pub ln_escalation_growth: f64,
    /// Drift of the clout noise's log-normal factor, σ² / 2 for σ = `b.politics.clout_volatility`
    /// (the factor has mean 1).
    pub clout_drift: f64,
}

impl Params {
    /// Compiles a scenario for a horizon of `weeks` (calendar entries at or after it are dropped).
    // long: one compiled field per line (rates to weekly probabilities, dates to weeks); declarative.
    pub fn compile(s: &Scenario, weeks: u32) -> Params {
        let side = |i: usize| {
            let sd = &s.sides[i];
            let total: f64 = sd.factions.iter().map(|f| f.clout).sum();
            let factions: Vec<FactionParams> = sd
                .factions
                .iter()
                .map(|f| FactionParams {
                    name: f.name.clone(),
                    leader: f.leader,
                    stance: f.stance,
                    clout0: if total > 0.0 { f.clout / total } else { 0.0 },
                    hostile: [Instrument::Tariffs, Instrument::Controls]
                        .into_iter()
                        .find(|x| f.instruments.contains(x)),
                    gesture: [
                        Instrument::Purchases,
                        Instrument::Controls,
                        Instrument::Tariffs,
                    ]
                    .into_iter()
                    .find(|x| f.instruments.contains(x)),
                    p_alone: if f.leader {
                        0.0
                    } else {
                        (1.0 - sd.coordination) * f.autonomy
                    },
                    generosity: f.generosity,
                    key: name_key(&format!("{}/{}", sd.naming.key, f.name)),
                })
                .collect();
            SideParams {
                stock_decay: sd.instruments.stock_decay,
                key: sd.naming.key.clone(),
                label: sd.naming.label.clone(),
                tariff0: sd.instruments.tariff,
                tariff_floor: sd.instruments.tariff_floor,
                tariff_max: sd.instruments.tariff_max,
                tariff_step: sd.instruments.tariff_step,
                controls0: sd
                    .instruments
                    .controls
                    .min(s.behaviour.implementation.controls_max),
                controls_step: sd.instruments.controls_step,
                trust0: sd.trust,
                face_cost: sd.face_cost,
                aversion0: sd.initiative_aversion,
                leader_style: sd.leader_style,
                holds: [
                    Instrument::Tariffs,
                    Instrument::Controls,
                    Instrument::Purchases,
                ]
                .map(|x| sd.factions.iter().any(|f| f.instruments.contains(&x))),
                leader_generosity: sd
                    .factions
                    .iter()
                    .find(|f| f.leader)
                    .map_or(0.0, |f| f.generosity),
                p_summit_call: weekly_probability(sd.summit_rate),
                tension: sd.tension.clone(),
                shock_means: [
                    sd.shocks.security_incidents,
                    sd.shocks.purges,
                    sd.shocks.market_pain,
                    sd.shocks.insults,
                ]
                .map(|r| r * WEEK_YEARS),
                shock_exp: [
                    sd.shocks.security_incidents,
                    sd.shocks.purges,
                    sd.shocks.market_pain,
                    sd.shocks.insults,
                ]
                .map(|r| exp(-r * WEEK_YEARS)),
                leader: factions.iter().position(|f| f.leader).unwrap_or(0),
                factions,
            }
        };
        let week_of = |d: Date| d.week_index(s.meta.start);
        let mut calendar: Vec<Scheduled> = s
            .calendar
            .iter()
            .enumerate()
            .filter_map(|(index, e)| {
                let w = week_of(e.date);
                if w < 0 || w >= i64::from(weeks) {
                    return None;
                }
                let kind = match &e.kind {
                    EventKind::Round => ScheduledKind::Round,
                    EventKind::Summit { prepared_agenda } => ScheduledKind::Summit {
                        prepared: *prepared_agenda,
                    },
                    EventKind::Threat {
                        side,
                        tariff_pp,
                        deadline,
                    } => ScheduledKind::Threat {
                        side: *side,
                        tariff_pp: *tariff_pp,
                        deadline: u32::try_from(week_of(*deadline).max(0)).unwrap_or(u32::MAX),
                    },
                    EventKind::TruceExpiry => ScheduledKind::TruceExpiry,
                };
                Some(Scheduled {
                    week: u32::try_from(w).unwrap_or(u32::MAX),
                    index,
                    kind,
                })
            })
            .collect();
        calendar.sort_by_key(|e| e.week);
        let expiry0 = calendar
            .iter()
            .find(|e| e.kind == ScheduledKind::TruceExpiry)
            .map(|e| e.week);
        let b = s.behaviour.clone();
        Params {
            names: std::sync::Arc::new(crate::scenario::names::Names::of(&s.sides)),
            weeks,
            start: s.meta.start,
            sides: [side(0), side(1)],
            channels: s
                .channels
                .iter()
                .map(|c| ChannelParams {
                    fidelity: 1.0 - 0.5 * (c.misread_conciliation + c.misread_hostility),
                    p_reopen: weekly_probability(c.reopen_rate),
                    key: name_key(&c.name),
                    channel: c.clone(),
                })
                .collect(),
            experience0: [s.negotiators[0].experience, s.negotiators[1].experience],
            understanding: [
                s.negotiators[0].understanding,
                s.negotiators[1].understanding,
            ],
            expertise: [s.negotiators[0].expertise, s.negotiators[1].expertise],
            rapport0: s.rapport,
            calendar,
            agreement0: s.agreement.as_ref().map(|a| InitialAgreement {
                scope: a.scope,
                detail: a.detail,
                purchases: a.purchases,
                covers_controls: a.covers_controls,
                snapback: a.snapback,
                expiry: expiry0,
            }),
            require_prepared_agenda: s.summits.require_prepared_agenda,
            // The declared roles ([roles] buyer); without a buyer, nobody's purchases relieve.
            buyer: s.buyer.unwrap_or(NO_SIDE),
            relieved: s.buyer.map_or(NO_SIDE, |b| 1 - b),
            face_decay: weekly_decay(b.politics.face_decay),
            pain_decay: weekly_decay(b.shocks.market_pain_decay),
            rapport_decay: weekly_decay(b.politics.rapport_decay),
            aversion_recovery: weekly_decay(b.politics.aversion_recovery),
            ln_escalation_growth: b.escalation.escalation_growth.ln(),
            clout_drift: 0.5 * b.politics.clout_volatility * b.politics.clout_volatility,
            b,
        }
    }

    /// Calendar date of the first day of `week`.
    pub fn date_of(&self, week: u32) -> Date {
        Date::week_start(self.start, u64::from(week))
    }
}
