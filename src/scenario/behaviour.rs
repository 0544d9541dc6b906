//! Behavioural constants of the model, grouped by the weekly step that uses them. Each has a
//! default, a range, a unit and a doc line; `negsim explain --all` lists them and docs/MODEL.md
//! explains the equations they enter.

use super::read::Bounds::{AtLeast, Closed, Positive};
use crate::param_group;

/// Upper bound of every parameter measured in weeks (the longest horizon).
const WEEKS_CAP: f64 = super::read::MAX_WEEKS as f64;

param_group! {
    /// Step 2, perception: how a week's moves are read through a channel.
    pub struct Perception {
        /// Largest fractional cut of a channel's misreading rates that full negotiator experience with the counterpart brings
        experience_effect: 0.5, Closed(0.0, 1.0), "";
        /// Largest fractional cut of misreading rates that full understanding of the other side's system brings
        understanding_effect: 0.3, Closed(0.0, 1.0), "";
        /// Probability that a conciliatory week is read as hostile when no channel is open (public signals only)
        public_misread_conciliation: 0.1, Closed(0.0, 1.0), "";
        /// Probability that a hostile week is read as conciliatory when no channel is open
        public_misread_hostility: 0.03, Closed(0.0, 1.0), "";
        /// Probability, per unit of the best open channel's authority, that a record dispute is cleared up before it is taken as a violation
        clarification: 0.5, Closed(0.0, 1.0), "";
    }
}

param_group! {
    /// Step 3, beliefs: trust and tension updates on what was perceived.
    pub struct Beliefs {
        /// Fraction of the gap to full trust closed by a week perceived as conciliatory
        trust_gain: 0.04, Closed(0.0, 1.0), "";
        /// Fraction of trust lost by a week perceived as hostile, before hawk harshness
        trust_loss: 0.12, Closed(0.0, 1.0), "";
        /// Extra trust loss per unit of the side's hawkish weight, the clout-weighted positive stance (loss factor 1 + h * weight, capped so trust stays >= 0)
        hawk_harshness: 1.0, AtLeast(0.0), "";
        /// Tension added by a week perceived as hostile
        perceived_hostility_tension: 0.05, AtLeast(0.0), "";
        /// Tension added to the threatened side when a threat is announced (a threat changes no measure until its deadline)
        threat_tension: 0.3, AtLeast(0.0), "";
        /// Upper bound of tension (keeps an unstable Richardson system finite)
        tension_max: 3.0, Positive, "";
    }
}

param_group! {
    /// Steps 4-5, faction intentions and aggregation into a side's moves.
    pub struct Intentions {
        /// Probability of escalating after a week perceived as conciliatory, before the shifts below
        provocation_base: 0.0, Closed(0.0, 1.0), "";
        /// Shift of the escalation propensity per unit of faction stance (-1 conciliatory .. 1 hawkish)
        stance_weight: 0.08, AtLeast(0.0), "";
        /// Shift of the escalation propensity per unit of face cost
        face_weight: 0.05, AtLeast(0.0), "";
        /// Shift of the escalation propensity per unit of tension
        tension_weight: 0.15, AtLeast(0.0), "";
        /// Reduction of the escalation propensity per unit of economic pain
        pain_weight: 0.35, AtLeast(0.0), "";
        /// Reduction of the escalation propensity per unit of trust above the reference
        trust_weight: 0.1, AtLeast(0.0), "";
        /// Trust level at which trust neither raises nor lowers the escalation propensity
        trust_reference: 0.5, Closed(0.0, 1.0), "";
        /// Reduction of the escalation propensity while an agreement is in force
        agreement_restraint: 0.05, AtLeast(0.0), "";
        /// Weekly probability that a fully conciliatory faction (stance -1) makes a unilateral gesture, scaled by -stance and (1 - initiative aversion)
        gesture_rate: 0.04, Closed(0.0, 1.0), "per week";
        /// Clout share of factions intending to escalate at or above which the side's line is to escalate
        line_threshold: 0.5, Closed(0.0, 1.0), "";
    }
}

param_group! {
    /// Step 7, implementation: sizes of moves and purchases.
    pub struct Implementation {
        /// Tariff cut of a unilateral gesture on tariffs (exclusions)
        gesture_tariff_cut: 2.0, Closed(0.0, 1000.0), "pp";
        /// Controls removed by a unilateral gesture on controls (licences)
        gesture_controls_cut: 1.0, Closed(0.0, 1000.0), "index";
        /// Upper bound of each side's controls index
        controls_max: 50.0, Closed(1.0, 1000.0), "index";
        /// Weekly probability that purchase commitments of an agreement in force are met
        purchase_fulfilment: 0.7, Closed(0.0, 1.0), "per week";
        /// Reduction of the buyer's counterpart's pain in a week the purchases are met
        purchase_pain_relief: 0.05, AtLeast(0.0), "";
    }
}

param_group! {
    /// Step 6, negotiation: when rounds happen, when they succeed, what deals contain.
    pub struct Negotiation {
        /// Base rate of rounds called between scheduled events
        round_rate: 3.0, AtLeast(0.0), "per year";
        /// Extra round rate per unit of the smaller of the two sides' pain (mutually hurting stalemate)
        round_pain_rate: 20.0, AtLeast(0.0), "per year";
        /// Multiplier of the endogenous round rate while an agreement is in force
        truce_round_factor: 0.3, AtLeast(0.0), "";
        /// Success log-odds intercept
        logit_base: -1.5, Closed(-50.0, 50.0), "log-odds";
        /// Success log-odds per unit of the negotiating channel's authority
        logit_authority: 1.5, Closed(-50.0, 50.0), "log-odds";
        /// Success log-odds per unit of the negotiating channel's fidelity (1 - mean misreading rate)
        logit_fidelity: 1.0, Closed(-50.0, 50.0), "log-odds";
        /// Success log-odds per unit of the negotiators' mean experience with each other
        logit_experience: 1.0, Closed(-50.0, 50.0), "log-odds";
        /// Success log-odds per unit of rapport
        logit_rapport: 1.0, Closed(-50.0, 50.0), "log-odds";
        /// Success log-odds per unit of mean trust
        logit_trust: 2.0, Closed(-50.0, 50.0), "log-odds";
        /// Success log-odds lost per unit of win-set narrowness: the mean over both sides of (1 + clout-weighted stance) / 2, so hawkish constituencies on either side shrink the overlap of acceptable deals (Putnam)
        logit_distance: 2.0, Closed(-50.0, 50.0), "log-odds";
        /// Success log-odds lost per unit of mean effective face cost
        logit_face: 1.0, Closed(-50.0, 50.0), "log-odds";
        /// Success log-odds added per unit of the smaller side's pain
        logit_pain: 1.0, Closed(-50.0, 50.0), "log-odds";
        /// Success log-odds added for a leaders' summit
        summit_bonus: 1.0, Closed(-50.0, 50.0), "log-odds";
        /// Multiplier of a summit's success probability for each process-style leader facing an unprepared agenda
        unprepared_process_factor: 0.25, Closed(0.0, 1.0), "";
        /// A successful round within this many weeks before a summit prepares its agenda
        agenda_window: 8.0, Closed(0.0, WEEKS_CAP), "weeks";
        /// Least channel authority for a round to prepare a summit agenda
        agenda_authority_min: 0.4, Closed(0.0, 1.0), "";
        /// Weeks a summit is postponed when a prepared agenda is required but missing
        summit_postpone: 4.0, Closed(1.0, WEEKS_CAP), "weeks";
        /// Least channel authority for a broad deal to be reachable
        broad_authority_min: 0.6, Closed(0.0, 1.0), "";
        /// Probability that a successful negotiation on an authoritative channel yields a broad deal
        broad_share: 0.5, Closed(0.0, 1.0), "";
        /// Fraction of each side's escalation since the last deal (tariffs and controls above the levels that deal left) undone by a transactional deal
        rollback_transactional: 0.8, Closed(0.0, 1.0), "";
        /// Fraction of the escalation since the last deal undone by a broad deal
        rollback_broad: 0.9, Closed(0.0, 1.0), "";
        /// Fraction of the remaining tariff above its floor (and of remaining controls) undone by a broad deal
        deep_rollback_broad: 0.25, Closed(0.0, 1.0), "";
        /// Term of a transactional deal before it must be renewed (0 = open-ended)
        transactional_term: 13.0, Closed(0.0, WEEKS_CAP), "weeks";
        /// Term of a broad deal before it must be renewed (0 = open-ended)
        broad_term: 0.0, Closed(0.0, WEEKS_CAP), "weeks";
        /// Share of a lapsed agreement's rollback that snaps back when renewal fails
        snapback_share: 1.0, Closed(0.0, 1.0), "";
        /// Detail of an agreement before the terms below
        detail_base: 0.2, Closed(0.0, 1.0), "";
        /// Detail added per unit of the negotiators' mean departmental expertise
        detail_expertise: 0.4, AtLeast(0.0), "";
        /// Detail added per unit of the negotiating channel's authority
        detail_authority: 0.3, AtLeast(0.0), "";
        /// Detail added when a summit had a prepared agenda
        detail_agenda: 0.1, AtLeast(0.0), "";
        /// Spread between the two sides' records of an agreement at zero detail (records coincide at full detail)
        ambiguity: 0.6, Closed(0.0, 1.0), "";
        /// Agreed tolerance for routine gray-zone moves, on the move-size scale 0..1
        gray_tolerance: 0.5, Closed(0.0, 1.0), "";
        /// Weekly probability that a side under an agreement makes a routine gray-zone move (entity listing, purchase shortfall)
        gray_move_rate: 0.15, Closed(0.0, 1.0), "per week";
        /// Fraction of the gap to full experience closed by each round held
        experience_gain: 0.08, Closed(0.0, 1.0), "";
        /// Rapport gained by a successful round (fraction of the gap to 1)
        rapport_gain: 0.1, Closed(0.0, 1.0), "";
        /// Rapport lost by a failed round (fraction of rapport)
        rapport_loss: 0.05, Closed(0.0, 1.0), "";
        /// Trust gained by each side from a deal (fraction of the gap to 1)
        deal_trust_gain: 0.15, Closed(0.0, 1.0), "";
        /// Fraction of each side's tension removed by a deal
        deal_tension_relief: 0.4, Closed(0.0, 1.0), "";
        /// Fraction of each side's trust lost when a summit fails
        failed_summit_trust_loss: 0.15, Closed(0.0, 1.0), "";
        /// Tension added to each side when a summit fails
        failed_summit_tension: 0.2, AtLeast(0.0), "";
        /// Pain scale of the extra rollback a hurting war buys: a deal undoes the share r + (1 - r)(1 - exp(-min pain / scale)) of the escalation since the last deal (Geneva undid most of the April spike)
        rollback_pain_scale: 1.5, Closed(0.001, 1000.0), "pain";
        /// Probability that a transactional deal also binds controls (export controls, entity lists, licences); broad deals always do. An escalation on an instrument the agreement does not bind leaves it standing
        transactional_controls_coverage: 0.3, Closed(0.0, 1.0), "";
        /// Multiplier of initiative aversion at a round the leaders scheduled (calendar) or called to renew an expiring agreement: officials are told to bring proposals
        scheduled_aversion_factor: 0.5, Closed(0.0, 1.0), "";
        /// Success log-odds added for a round the leaders scheduled (calendar)
        logit_scheduled: 1.0, Closed(-50.0, 50.0), "log-odds";
        /// A round or summit held within this many weeks counts as talks in progress (extensions, threats)
        talks_window: 4.0, Closed(0.0, WEEKS_CAP), "weeks";
        /// Log-odds intercept of a leader extending an expiring, unrenewed agreement by decree
        extension_base: -1.0, Closed(-50.0, 50.0), "log-odds";
        /// Extension log-odds per unit of the smaller side's pain
        extension_pain: 2.0, Closed(-50.0, 50.0), "log-odds";
        /// Extension log-odds added while talks are in progress
        extension_talks: 1.5, Closed(-50.0, 50.0), "log-odds";
        /// Extension log-odds per unit of the leaders' mean generosity (deal-mindedness)
        extension_generosity: 1.0, Closed(-50.0, 50.0), "log-odds";
        /// Weeks an extension by decree adds to an agreement's term
        extension_term: 13.0, Closed(1.0, WEEKS_CAP), "weeks";
    }
}

param_group! {
    /// Step 7, escalation sizes: how large a side's moves are, from the state (model.md 7.7).
    pub struct Escalation {
        /// Size of an ordinary tariff move as a share of the mover's current tariff (at least the side's tariff_step): escalation is measured against the status quo
        tariff_step_share: 0.25, Closed(0.0, 10.0), "share";
        /// Factor by which a leader's tariff move grows per unit of escalation heat (2 = ultimatums that double)
        escalation_growth: 2.0, Closed(1.0, 10.0), "";
        /// Weekly persistence of escalation heat, the stock of recent tariff escalations of both sides (a deal resets it)
        heat_persistence: 0.5, Closed(0.0, 1.0), "per week";
        /// Largest heat that enters the growth factor (keeps growth^heat finite)
        heat_max: 6.0, Closed(0.0, 50.0), "";
        /// Share of the heat that talks in progress (a round or summit within talks_window weeks) take out of the growth factor: sides in talks escalate in measured steps
        talks_damping: 1.0, Closed(0.0, 1.0), "";
        /// Size of a reply in kind per unit of the other side's perceived rise on that instrument last week (1 = match it)
        retaliation_match: 1.0, Closed(0.0, 10.0), "";
        /// Probability that a side answering a perceived blow on an instrument other than its leader's own (typically a non-tariff blow, answered on controls) does so in kind when it holds that instrument, instead of with the leader's instrument
        in_kind_share: 0.7, Closed(0.0, 1.0), "";
    }
}

param_group! {
    /// Step 6, threats at their deadline: carried out, postponed, withdrawn for a concession, or left hanging (model.md 7.6).
    pub struct Threats {
        /// Log-odds intercept of the threatened side conceding at the deadline (the threat is withdrawn)
        concession_base: -2.5, Closed(-50.0, 50.0), "log-odds";
        /// Concession log-odds per unit of the threatened side's pain
        concession_pain: 2.0, Closed(-50.0, 50.0), "log-odds";
        /// Concession log-odds lost per unit of the threatened side's face cost
        concession_face: 1.5, Closed(-50.0, 50.0), "log-odds";
        /// Share of its escalation since the last deal that a conceding side rolls back
        concession_share: 0.3, Closed(0.0, 1.0), "";
        /// Log-odds intercept of carrying out a threat at its deadline
        execute_base: 1.5, Closed(-50.0, 50.0), "log-odds";
        /// Execution log-odds per unit of the threatening side's tension
        execute_tension: 1.0, Closed(-50.0, 50.0), "log-odds";
        /// Execution log-odds lost per unit of the threatening side's pain
        execute_pain: 1.5, Closed(-50.0, 50.0), "log-odds";
        /// Execution log-odds lost while talks are in progress or a summit is near
        execute_talks: 2.0, Closed(-50.0, 50.0), "log-odds";
        /// Execution log-odds lost for a personal-style leader, who uses threats as bargaining chips
        execute_personal: 0.5, Closed(-50.0, 50.0), "log-odds";
        /// A summit on the calendar or postponed within this many weeks counts as near
        summit_near: 4.0, Closed(0.0, WEEKS_CAP), "weeks";
        /// Weeks a threat not carried out is postponed by when talks are in progress or a summit is near (otherwise it is left hanging)
        postpone_weeks: 6.0, Closed(1.0, WEEKS_CAP), "weeks";
        /// Most postponements of one threat; after that it is carried out or left hanging
        max_postponements: 2.0, Closed(0.0, 100.0), "";
    }
}

param_group! {
    /// Step 8, politics: faction clout, channels, rapport and face cost over time.
    pub struct Politics {
        /// Relative clout gain of a hawkish faction per unit stance after a week its side perceived as hostile
        hawk_gain: 0.05, AtLeast(0.0), "";
        /// Relative clout gain of a conciliatory faction per unit of -stance per unit of its side's pain
        pain_gain: 0.05, AtLeast(0.0), "";
        /// Standard deviation of the weekly log-clout noise (volatile "who speaks for the leader")
        clout_volatility: 0.05, AtLeast(0.0), "";
        /// Weekly pull of each faction's clout back toward its initial value
        clout_reversion: 0.03, Closed(0.0, 1.0), "per week";
        /// Decay rate of rapport
        rapport_decay: 0.1, AtLeast(0.0), "per year";
        /// Decay rate of the shock-driven part of face cost
        face_decay: 1.0, AtLeast(0.0), "per year";
        /// Rate at which initiative aversion raised by purges returns to the side's initial level
        aversion_recovery: 0.5, AtLeast(0.0), "per year";
        /// Multiplier of a channel's closure rate per unit of the larger hawkish weight (clout-weighted positive stance) of the two sides, times the channel's political exposure
        channel_political_cost: 1.0, AtLeast(0.0), "";
    }
}

param_group! {
    /// Step 1, shocks: what each kind of shock does when it arrives.
    pub struct ShockEffects {
        /// Relative clout gain of hawkish factions per unit stance from a security incident
        security_clout_shift: 0.2, AtLeast(0.0), "";
        /// Tension added by a security incident
        security_tension: 0.3, AtLeast(0.0), "";
        /// Pain added by a market-pain shock
        market_pain_jump: 0.2, AtLeast(0.0), "";
        /// Decay rate of shock-driven pain
        market_pain_decay: 4.0, AtLeast(0.0), "per year";
        /// Relative clout gain of conciliatory factions per unit of -stance from a market-pain shock
        market_clout_shift: 0.2, AtLeast(0.0), "";
        /// Face cost added by a purge
        purge_face_jump: 0.2, AtLeast(0.0), "";
        /// Fraction of the gap to full initiative aversion added by a purge
        purge_aversion_jump: 0.2, Closed(0.0, 1.0), "";
        /// Fraction of rapport lost by a public insult
        insult_rapport_loss: 0.3, Closed(0.0, 1.0), "";
        /// Fraction of the insulted side's trust lost by a public insult
        insult_trust_loss: 0.05, Closed(0.0, 1.0), "";
    }
}

param_group! {
    /// Economic pain of a side (used by intentions, negotiation and politics).
    pub struct Pain {
        /// Pain per 100 pp of the other side's tariff above its floor
        tariff_weight: 1.0, AtLeast(0.0), "per 100 pp";
        /// Pain per unit of the other side's controls relative to controls_max
        controls_weight: 0.5, AtLeast(0.0), "";
    }
}

param_group! {
    /// Step 9 and model.md section 4: how weeks are classified into regimes.
    pub struct Observation {
        /// A tariff rise of at least this much in a week is an escalation event
        escalation_tariff: 1.0, Closed(0.001, 1000.0), "pp";
        /// A controls increase of at least this much in a week is an escalation event
        escalation_controls: 1.0, Closed(0.001, 1000.0), "index";
        /// A truce lasting at least this long is a durable deal
        durable_weeks: 52.0, Closed(1.0, WEEKS_CAP), "weeks";
    }
}

/// All behavioural constants, by step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Behaviour {
    /// Step 2.
    pub perception: Perception,
    /// Step 3.
    pub beliefs: Beliefs,
    /// Steps 4-5.
    pub intentions: Intentions,
    /// Step 7.
    pub implementation: Implementation,
    /// Step 7, move sizes.
    pub escalation: Escalation,
    /// Step 6, threats at their deadline.
    pub threats: Threats,
    /// Step 6.
    pub negotiation: Negotiation,
    /// Step 8.
    pub politics: Politics,
    /// Step 1.
    pub shocks: ShockEffects,
    /// Pain.
    pub pain: Pain,
    /// Step 9.
    pub observation: Observation,
}

/// The sub-tables of `[behaviour]`, with their specs, for readers and reference listings.
pub const GROUPS: [(&str, &[super::read::NumSpec<'static>]); 11] = [
    ("perception", Perception::SPECS),
    ("beliefs", Beliefs::SPECS),
    ("intentions", Intentions::SPECS),
    ("implementation", Implementation::SPECS),
    ("escalation", Escalation::SPECS),
    ("threats", Threats::SPECS),
    ("negotiation", Negotiation::SPECS),
    ("politics", Politics::SPECS),
    ("shocks", ShockEffects::SPECS),
    ("pain", Pain::SPECS),
    ("observation", Observation::SPECS),
];

/// The parameter reference of docs/MODEL.md §10.1, generated from [`GROUPS`]: one Markdown row
/// per behavioural constant (group, key, default, range, unit, meaning). A test keeps the
/// committed file equal to it.
pub fn reference_rows() -> String {
    use super::read::Bounds;
    let mut s = String::from(
        "| group | key | default | range | unit | meaning |\n|---|---|---|---|---|---|\n",
    );
    for (group, specs) in GROUPS {
        for spec in specs {
            let range = match spec.bounds {
                // Week counts are capped by the horizon limit; the row shows the lower bound.
                Bounds::Closed(lo, hi) if hi == WEEKS_CAP => format!("≥ {lo}"),
                Bounds::Closed(lo, hi) => format!("[{lo}, {hi}]"),
                Bounds::AtLeast(lo) => format!("≥ {lo}"),
                Bounds::Positive => "> 0".to_string(),
            };
            // Typographic minus signs, as in the rest of docs/MODEL.md.
            let range = range.replace('-', "−");
            let default = spec.default.map_or_else(
                || "req.".to_string(),
                |d| format!("{d:?}").replace('-', "−"),
            );
            let unit = if spec.unit.is_empty() {
                "–"
            } else {
                spec.unit
            };
            s.push_str(&format!(
                "| {group} | `{}` | {default} | {range} | {unit} | {} |\n",
                spec.key,
                spec.doc.trim()
            ));
        }
    }
    s
}

impl Behaviour {
    /// Reads `[behaviour]` with its sub-tables.
    pub fn read(obj: &mut super::read::Obj<'_>, cx: &mut super::read::Cx) -> Behaviour {
        macro_rules! group {
            ($name:literal, $ty:ty) => {{
                let mut t = obj.table(cx, $name);
                let g = <$ty>::read(&mut t, cx);
                t.finish(cx);
                g
            }};
        }
        Behaviour {
            perception: group!("perception", Perception),
            beliefs: group!("beliefs", Beliefs),
            intentions: group!("intentions", Intentions),
            implementation: group!("implementation", Implementation),
            escalation: group!("escalation", Escalation),
            threats: group!("threats", Threats),
            negotiation: group!("negotiation", Negotiation),
            politics: group!("politics", Politics),
            shocks: group!("shocks", ShockEffects),
            pain: group!("pain", Pain),
            observation: group!("observation", Observation),
        }
    }
}
