//! The validated scenario: domain types and the reader that builds them from a spanned tree,
//! including cross-field checks (one leader per side, clout that normalises, dates inside the
//! horizon, tariffs within their bounds).

use super::behaviour::Behaviour;
use super::date::Date;
use super::read::Bounds::{AtLeast, Closed};
use super::read::{Cx, NumSpec, Obj, ParamRecord};
use super::tree::Node;

/// The side keys of the article's scenarios (`[sides.us]`, `[sides.cn]`), for examples and
/// tests; a scenario names its own two sides, in the order it writes them.
pub const US_CHINA: [&str; 2] = ["us", "cn"];

pub use super::read::MAX_WEEKS;

/// How a leader approaches summits (P13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaderStyle {
    /// Relies on personal contact; meets without a prepared agenda (Trump).
    Personal,
    /// Agrees only to what was prepared in advance (Xi).
    Process,
}

/// An instrument a faction controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instrument {
    /// Average tariff on the other side's goods.
    Tariffs,
    /// Export controls, entity listings, licensing.
    Controls,
    /// Purchases of the other side's goods (soybeans, aircraft).
    Purchases,
}

/// The instruments a side has when it declares none (`[sides.X.instruments]` absent): the
/// article's tariffs (a level), controls (a stock) and purchases (a commitment).
pub const INSTRUMENTS: [&str; 3] = ["tariffs", "controls", "purchases"];

/// Words for the kinds of a declared instrument, in [`Instrument`] order.
pub const INSTRUMENT_KINDS: [&str; 3] = ["level", "stock", "commitment"];

/// A side's declared instrument: the name factions list it by, and its words in outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct InstrumentDecl {
    /// Name (the key of `[sides.X.instruments.NAME]`; `tariffs` for the default level).
    pub name: String,
    /// Word in column names (`tariff` in `tariff_us_p50`, `anti_coercion`).
    pub column: String,
    /// Words in sentences ("average tariff", "anti-coercion measures").
    pub label: String,
    /// Prefix of the `description` of its escalations in an events file ("Tariff", "Non-tariff").
    pub prefix: String,
}

/// Kind of a communication channel (descriptive; behaviour comes from its parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    /// Official negotiators (Bessent–He).
    Official,
    /// Leader-close private channel (Kushner–Cui).
    Backchannel,
    /// Business go-betweens (Musk, Huang, Schwarzman).
    Intermediary,
    /// Leaders talking directly.
    LeaderDirect,
}

/// Words used for channel kinds in scenario files.
pub const CHANNEL_KINDS: [&str; 4] = ["official", "backchannel", "intermediary", "leader_direct"];

/// Scope of an agreement (P13, P14).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A small, transactional deal (TikTok, soybeans): holds measures, small rollback.
    Transactional,
    /// A broad deal: larger rollback; needs an authoritative channel.
    Broad,
}

/// Scenario metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    /// Short name, used in outputs.
    pub name: String,
    /// One or two sentences.
    pub description: String,
    /// Calendar date of week 0.
    pub start: Date,
    /// Horizon in weeks.
    pub weeks: u32,
}

/// Richardson tension terms of one side: `T' = T + reaction*T_other - fatigue*T + grievance`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tension {
    /// Tension at week 0.
    pub initial: f64,
    /// Weekly reaction to the other side's tension.
    pub reaction: f64,
    /// Weekly fatigue (restraint) on one's own tension.
    pub fatigue: f64,
    /// Constant weekly grievance.
    pub grievance: f64,
}

/// Arrival rates of domestic shocks on one side, per year.
#[derive(Clone, Debug, PartialEq)]
pub struct ShockRates {
    /// Security incidents that empower hawks.
    pub security_incidents: f64,
    /// Purges that raise face cost and initiative aversion (P6).
    pub purges: f64,
    /// Market-pain episodes that empower commercial factions.
    pub market_pain: f64,
    /// Public insults by this side's officials that erode rapport and the other side's trust (P3).
    pub insults: f64,
}

/// A faction inside a side.
#[derive(Clone, Debug, PartialEq)]
pub struct Faction {
    /// Unique name within the side.
    pub name: String,
    /// Whether this faction is the leader (exactly one per side); the leader sets the side's line.
    pub leader: bool,
    /// Stance, -1 conciliatory .. 1 hawkish.
    pub stance: f64,
    /// Clout weight (normalised per side).
    pub clout: f64,
    /// Instruments it controls, in order of preference.
    pub instruments: Vec<Instrument>,
    /// How often it acts without the leader when coordination fails, in [0, 1].
    pub autonomy: f64,
    /// Probability of forgiving a perceived defection.
    pub generosity: f64,
}

/// How outputs name a side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideName {
    /// Its key in the file (`sides.KEY`): in column names (`tariff_KEY_p50`), paths and records.
    pub key: String,
    /// Display label ("United States").
    pub label: String,
    /// Short name for legends ("US").
    pub short: String,
    /// Its name inside a sentence ("the US", "China").
    pub name: String,
    /// Its adjective ("US", "Chinese").
    pub adjective: String,
    /// Its possessive in legends ("China's"; default: the adjective).
    pub possessive: String,
}

/// A side's level and stock values with their declarations.
#[derive(Clone, Debug, PartialEq)]
pub struct Instruments {
    /// Average tariff on the other side's goods at week 0, percent.
    pub tariff: f64,
    /// Lowest tariff (pre-war level), percent.
    pub tariff_floor: f64,
    /// Highest tariff, percent.
    pub tariff_max: f64,
    /// Smallest tariff rise of an ordinary escalation move, percentage points.
    pub tariff_step: f64,
    /// Controls index at week 0.
    pub controls: f64,
    /// Controls added by one escalation move on controls.
    pub controls_step: f64,
    /// Share of the stock that lapses each week, in [0, 1) (0: measures stay until lifted).
    pub stock_decay: f64,
    /// The level instrument (tariff-like: `tariff`, its floor, cap and step).
    pub level: InstrumentDecl,
    /// The stock instrument (controls-like: `controls`, its step and decay).
    pub stock: InstrumentDecl,
    /// The commitment instrument (purchase-like), if the side has one.
    pub commitment: Option<InstrumentDecl>,
    /// Whether the stock is declared (the defaults always have one).
    pub has_stock: bool,
}

/// One side's initial state and capabilities.
#[derive(Clone, Debug, PartialEq)]
pub struct Side {
    /// How outputs name it.
    pub naming: SideName,
    /// Its instruments: the level's and stock's values, and all declarations.
    pub instruments: Instruments,
    /// Trust in the other side at week 0.
    pub trust: f64,
    /// Baseline face cost of a visible concession.
    pub face_cost: f64,
    /// Probability that factions follow the leader's line (P7).
    pub coordination: f64,
    /// Probability that officials withhold a proposal (P6).
    pub initiative_aversion: f64,
    /// Leader's approach to summits (P13).
    pub leader_style: LeaderStyle,
    /// Rate at which the leader calls summits on his own initiative, per year.
    pub summit_rate: f64,
    /// Richardson tension terms.
    pub tension: Tension,
    /// Shock arrival rates.
    pub shocks: ShockRates,
    /// Factions, at least one, exactly one of them the leader.
    pub factions: Vec<Faction>,
}

/// A lead negotiator (P4).
#[derive(Clone, Debug, PartialEq)]
pub struct Negotiator {
    /// Name.
    pub name: String,
    /// Experience negotiating with the counterpart, in [0, 1]; grows with rounds.
    pub experience: f64,
    /// Understanding of the other side's political and economic system, in [0, 1].
    pub understanding: f64,
    /// Depth of departmental expertise behind the negotiator, in [0, 1] (P14).
    pub expertise: f64,
}

/// A communication channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    /// Unique name.
    pub name: String,
    /// Kind.
    pub kind: ChannelKind,
    /// Open at week 0.
    pub open: bool,
    /// Probability that a conciliatory week is read as hostile through this channel.
    pub misread_conciliation: f64,
    /// Probability that a hostile week is read as conciliatory through this channel.
    pub misread_hostility: f64,
    /// Whether what passes binds the leaders, in [0, 1].
    pub authority: f64,
    /// Fraction of face cost avoided when concessions go through this channel.
    pub face_shield: f64,
    /// Closure rate while open, per year, before political cost.
    pub close_rate: f64,
    /// Reopening rate while closed, per year.
    pub reopen_rate: f64,
    /// Sensitivity of the closure rate to hawk clout (intermediaries branded traitors, P5, P10).
    pub political_exposure: f64,
}

/// What a calendar entry schedules.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// A negotiators' round.
    Round,
    /// A leaders' summit.
    Summit {
        /// Whether the agenda was prepared in advance.
        prepared_agenda: bool,
    },
    /// A dated threat: `side` raises its tariff by `tariff_pp` at `deadline` unless a deal is made
    /// in between.
    Threat {
        /// Side index.
        side: usize,
        /// Size of the threatened rise, pp.
        tariff_pp: f64,
        /// Date the threat takes effect.
        deadline: Date,
    },
    /// The agreement in force at that date expires unless renewed.
    TruceExpiry,
}

/// A dated entry of the calendar.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarEvent {
    /// Its name, by which overlays patch or remove it (optional, unique).
    pub name: Option<String>,
    /// Date.
    pub date: Date,
    /// What happens.
    pub kind: EventKind,
    /// Description.
    pub note: String,
}

/// The agreement in force at week 0, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Agreement {
    /// Scope.
    pub scope: Scope,
    /// Detail in [0, 1] (P8).
    pub detail: f64,
    /// Whether it includes purchase commitments by the buyer (`[roles] buyer`).
    pub purchases: bool,
    /// Whether it binds controls too (export controls, entity lists, licences); tariffs are
    /// always bound. Defaults to true for a broad agreement, false for a transactional one.
    pub covers_controls: bool,
    /// Tariff rise on each side if it lapses unrenewed, pp.
    pub snapback: [f64; 2],
}

/// Summit policy.
#[derive(Clone, Debug, PartialEq)]
pub struct SummitPolicy {
    /// Summits take place only on a prepared agenda; otherwise they are postponed (P13).
    pub require_prepared_agenda: bool,
}

/// A complete, validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Metadata.
    pub meta: Meta,
    /// The two sides, in the order the file writes them.
    pub sides: [Side; 2],
    /// Lead negotiators of the two sides, in side order.
    pub negotiators: [Negotiator; 2],
    /// The side whose purchase commitments relieve the other's pain (`[roles] buyer`), if any.
    pub buyer: Option<usize>,
    /// Rapport between the negotiators at week 0.
    pub rapport: f64,
    /// Channels.
    pub channels: Vec<Channel>,
    /// Calendar entries, sorted by date.
    pub calendar: Vec<CalendarEvent>,
    /// Agreement in force at week 0.
    pub agreement: Option<Agreement>,
    /// Summit policy.
    pub summits: SummitPolicy,
    /// Behavioural constants.
    pub behaviour: Behaviour,
    /// Every parameter read, with provenance, in file order.
    pub params: Vec<ParamRecord>,
    /// The claim registry named in `[meta] claims` (empty if none).
    pub claims: std::sync::Arc<super::claims::Registry>,
    /// `[uncertainty] posterior`: a calibration's weighted posterior particles (CSV, relative to
    /// the scenario file) that plausible worlds draw the calibrated constants from.
    pub posterior: Option<String>,
}

const fn spec(
    key: &'static str,
    default: Option<f64>,
    bounds: super::read::Bounds,
    unit: &'static str,
    doc: &'static str,
) -> NumSpec<'static> {
    NumSpec {
        key,
        default,
        bounds,
        unit,
        doc,
    }
}

const UNIT: super::read::Bounds = Closed(0.0, 1.0);
/// Tariffs are percentages of at most 1,000.
const TARIFF_RANGE: super::read::Bounds = Closed(0.0, 1000.0);
const TARIFF_RANGE_POS: super::read::Bounds = Closed(0.001, 1000.0);
/// Controls are an index of at most 1,000.
const CONTROLS_RANGE: super::read::Bounds = Closed(0.0, 1000.0);

/// Most factions a side may have.
pub const MAX_FACTIONS: usize = 1_000;
/// Most channels a scenario may have.
pub const MAX_CHANNELS: usize = 1_000;
/// Most calendar entries a scenario may have.
pub const MAX_CALENDAR: usize = 10_000;

/// Builds a scenario from the root of a (merged) tree; all problems go to `cx`.
pub fn build(root: &Node, cx: &mut Cx) -> Option<Scenario> {
    let mut top = Obj::new(cx, root, "");
    let before = cx.diags.len();
    let meta = read_meta(&mut top, cx);
    // Without a valid start and horizon, date checks would only echo the first error.
    let horizon_known = cx.diags.len() == before;
    let mut sides_t = top.table(cx, "sides");
    let keys = side_keys(&sides_t, cx);
    let sides = [
        read_side(&mut sides_t, cx, &keys[0]),
        read_side(&mut sides_t, cx, &keys[1]),
    ];
    sides_t.finish(cx);
    let (negotiators, rapport) = read_negotiators(&mut top, cx, &keys);
    let channels = read_channels(&mut top, cx);
    let calendar = read_calendar(&mut top, cx, &meta, horizon_known, &keys);
    let buyer = read_roles(&mut top, cx, &keys, &sides);
    let agreement = if top.has("agreement") {
        let mut a = top.table(cx, "agreement");
        let ag = read_agreement(&mut a, cx, &keys);
        a.finish(cx);
        Some(ag)
    } else {
        None
    };
    let mut s = top.table(cx, "summits");
    let summits = SummitPolicy {
        require_prepared_agenda: s.boolean(
            cx,
            "require_prepared_agenda",
            false,
            "Summits take place only on a prepared agenda (P13)",
        ),
    };
    s.finish(cx);
    let mut b = top.table(cx, "behaviour");
    let behaviour = Behaviour::read(&mut b, cx);
    b.finish(cx);
    let posterior = if top.has("uncertainty") {
        let mut u = top.table(cx, "uncertainty");
        let p = u.string(cx, "posterior", false);
        u.finish(cx);
        p
    } else {
        None
    };
    top.finish(cx);
    if !cx.diags.is_empty() {
        return None;
    }
    Some(Scenario {
        meta,
        sides,
        negotiators,
        buyer,
        rapport,
        channels,
        calendar,
        agreement,
        summits,
        behaviour,
        posterior,
        claims: cx.claims.clone(),
        params: cx.params.clone(),
    })
}

fn read_meta(top: &mut Obj<'_>, cx: &mut Cx) -> Meta {
    let mut m = top.table(cx, "meta");
    let name = m.string(cx, "name", true).unwrap_or_default();
    if name.trim().is_empty() && m.has("name") {
        cx.error(m.origin(), "meta.name", "must not be empty");
    }
    let description = m.string(cx, "description", false).unwrap_or_default();
    // Read (and its file checked) before the schema: `load_texts`'s registry step.
    m.string(cx, "claims", false);
    let start = m.date(cx, "start", true);
    let weeks = m.int(cx, "weeks", None, 1, MAX_WEEKS, "Horizon in weeks") as u32;
    if let Some((d, origin)) = start
        && let Some(problem) = Date::horizon_problem(d, weeks)
    {
        cx.error(Some(origin), "meta.start", problem);
    }
    let start = start.map_or(Date::EPOCH, |(d, _)| d);
    m.finish(cx);
    Meta {
        name,
        description,
        start,
        weeks,
    }
}

/// The keys of the two sides, in file order: `[sides.eu]` and `[sides.us]` (placeholders after
/// an error, so that reading goes on and reports everything else).
fn side_keys(sides: &Obj<'_>, cx: &mut Cx) -> [String; 2] {
    let keys = sides.keys();
    let shown = keys
        .iter()
        .map(|(k, _)| format!("[sides.{k}]"))
        .collect::<Vec<_>>()
        .join(", ");
    match keys.as_slice() {
        [a, b] => {
            for (k, origin) in [a, b] {
                if !well_formed_key(k) {
                    cx.error(
                        Some(*origin),
                        &format!("sides.{k}"),
                        format!("'{k}' is not a side key: {KEY_RULE} (e.g. us, eu, union): it names the side in column names"),
                    );
                }
            }
            [a.0.clone(), b.0.clone()]
        }
        _ => {
            cx.error(
                sides.origin(),
                "sides",
                format!(
                    "a scenario describes exactly two sides, each a table [sides.KEY] (e.g. [sides.us] and [sides.cn]); found {}{}",
                    keys.len(),
                    if keys.is_empty() { String::new() } else { format!(": {shown}") }
                ),
            );
            let mut k = keys.into_iter().map(|(k, _)| k);
            [
                k.next().unwrap_or_else(|| US_CHINA[0].into()),
                k.next().unwrap_or_else(|| US_CHINA[1].into()),
            ]
        }
    }
}

/// Whether `k` can name a side: 1 to 16 lower-case letters, digits or '_', starting with a letter.
/// What [`well_formed_key`] accepts, for messages.
const KEY_RULE: &str =
    "1 to 32 characters, lower-case letters, digits and '_', starting with a letter";

fn well_formed_key(k: &str) -> bool {
    k.len() <= 32
        && k.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `[roles]`: the side whose purchase commitments relieve the other (`buyer`). Without the table,
/// the one side with a faction holding purchases; none if no side or both sides have one.
fn read_roles(
    top: &mut Obj<'_>,
    cx: &mut Cx,
    keys: &[String; 2],
    sides: &[Side; 2],
) -> Option<usize> {
    let holds = |s: &Side| {
        s.factions
            .iter()
            .any(|f| f.instruments.contains(&Instrument::Purchases))
    };
    let derived = match (holds(&sides[0]), holds(&sides[1])) {
        (true, false) => Some(0),
        (false, true) => Some(1),
        _ => None,
    };
    if !top.has("roles") {
        return derived;
    }
    let mut r = top.table(cx, "roles");
    let options = [keys[0].as_str(), keys[1].as_str(), "none"];
    let i = r.choice(
        cx,
        "buyer",
        &options,
        Some(derived.unwrap_or(2)),
        "Side whose purchase commitments under an agreement relieve the other side's pain (or none)",
    );
    if i < 2 && !holds(&sides[i]) {
        cx.error(
            r.origin(),
            "roles.buyer",
            format!(
                "'{}' is the buyer, but none of its factions holds a commitment instrument: declare one ([sides.{0}.instruments.NAME] with kind = \"commitment\") and list it in a faction's instruments, or write buyer = \"none\"",
                keys[i]
            ),
        );
    }
    r.finish(cx);
    (i < 2).then_some(i)
}

// long: a declarative reader: one key of [sides.X] per line, each with its range and doc.
fn read_side(sides: &mut Obj<'_>, cx: &mut Cx, key: &str) -> Side {
    let mut t = sides.table(cx, key);
    let label = t
        .string(cx, "label", false)
        .unwrap_or_else(|| key.to_uppercase());
    let short = t
        .string(cx, "short", false)
        .unwrap_or_else(|| label.clone());
    let name = t.string(cx, "name", false).unwrap_or_else(|| short.clone());
    let adjective = t
        .string(cx, "adjective", false)
        .unwrap_or_else(|| short.clone());
    let possessive = t
        .string(cx, "possessive", false)
        .unwrap_or_else(|| adjective.clone());
    let inst = if t.has("instruments") {
        declared_instruments(&mut t, cx, key)
    } else {
        default_instruments(&mut t, cx, key)
    };
    let trust = t.num(
        cx,
        &spec(
            "trust",
            None,
            UNIT,
            "",
            "Trust that the other side reciprocates, at week 0",
        ),
    );
    let face_cost = t.num(
        cx,
        &spec(
            "face_cost",
            Some(0.0),
            AtLeast(0.0),
            "",
            "Domestic cost of a visible concession (baseline)",
        ),
    );
    let coordination = t.num(
        cx,
        &spec(
            "coordination",
            None,
            UNIT,
            "",
            "Probability that factions follow the leader's line",
        ),
    );
    let initiative_aversion = t.num(
        cx,
        &spec(
            "initiative_aversion",
            Some(0.0),
            UNIT,
            "",
            "Probability that officials withhold a proposal",
        ),
    );
    let style = t.choice(
        cx,
        "leader_style",
        &["personal", "process"],
        None,
        "Leader's approach to summits",
    );
    let leader_style = if style == 0 {
        LeaderStyle::Personal
    } else {
        LeaderStyle::Process
    };
    let summit_rate = t.num(
        cx,
        &spec(
            "summit_rate",
            Some(0.0),
            AtLeast(0.0),
            "per year",
            "Rate at which the leader calls summits unprompted",
        ),
    );
    let mut te = t.table(cx, "tension");
    let tension = Tension {
        initial: te.num(
            cx,
            &spec("initial", Some(0.0), AtLeast(0.0), "", "Tension at week 0"),
        ),
        reaction: te.num(
            cx,
            &spec(
                "reaction",
                Some(0.02),
                AtLeast(0.0),
                "per week",
                "Richardson reaction to the other side's tension",
            ),
        ),
        fatigue: te.num(
            cx,
            &spec(
                "fatigue",
                Some(0.1),
                Closed(0.0, 1.0),
                "per week",
                "Richardson fatigue on one's own tension",
            ),
        ),
        grievance: te.num(
            cx,
            &spec(
                "grievance",
                Some(0.01),
                AtLeast(0.0),
                "per week",
                "Richardson constant grievance",
            ),
        ),
    };
    te.finish(cx);
    let mut sh = t.table(cx, "shocks");
    let shocks = ShockRates {
        security_incidents: sh.num(
            cx,
            &spec(
                "security_incidents",
                Some(0.0),
                AtLeast(0.0),
                "per year",
                "Security incidents that empower hawks",
            ),
        ),
        purges: sh.num(
            cx,
            &spec(
                "purges",
                Some(0.0),
                AtLeast(0.0),
                "per year",
                "Purges that raise face cost and initiative aversion",
            ),
        ),
        market_pain: sh.num(
            cx,
            &spec(
                "market_pain",
                Some(0.0),
                AtLeast(0.0),
                "per year",
                "Market-pain episodes that empower commercial factions",
            ),
        ),
        insults: sh.num(
            cx,
            &spec(
                "insults",
                Some(0.0),
                AtLeast(0.0),
                "per year",
                "Public insults by this side's officials",
            ),
        ),
    };
    sh.finish(cx);
    let avail: Vec<(&str, Instrument)> = [
        Some((&inst.level, Instrument::Tariffs)),
        inst.has_stock
            .then_some((&inst.stock, Instrument::Controls)),
        inst.commitment.as_ref().map(|c| (c, Instrument::Purchases)),
    ]
    .into_iter()
    .flatten()
    .map(|(d, k)| (d.name.as_str(), k))
    .collect();
    let factions = read_factions(&mut t, cx, key, &avail);
    t.finish(cx);
    Side {
        naming: SideName {
            key: key.to_string(),
            label,
            short,
            name,
            adjective,
            possessive,
        },
        instruments: inst,
        trust,
        face_cost,
        coordination,
        initiative_aversion,
        leader_style,
        summit_rate,
        tension,
        shocks,
        factions,
    }
}

fn decl(name: &str, column: &str, label: &str, prefix: &str) -> InstrumentDecl {
    InstrumentDecl {
        name: name.into(),
        column: column.into(),
        label: label.into(),
        prefix: prefix.into(),
    }
}

/// Checks a level's value against its floor and cap.
fn check_level(
    cx: &mut Cx,
    t: &Obj<'_>,
    path: &str,
    (value, floor, cap): (f64, f64, f64),
    origin: Option<super::tree::Origin>,
) {
    if value < floor || value > cap {
        cx.error(
            origin.or(t.origin()),
            path,
            format!("{value} is outside [floor, cap] = [{floor}, {cap}]"),
        );
    }
    if floor > cap {
        cx.error(
            t.origin(),
            path,
            format!("the floor {floor} is above the cap {cap}"),
        );
    }
}

// long: a declarative reader: the article's instruments as keys of [sides.X], one per line.
/// The instruments of a side that declares none: tariffs, controls and purchases, read from the
/// keys `tariff`, `tariff_floor`, `tariff_max`, `tariff_step`, `controls` and `controls_step`.
fn default_instruments(t: &mut Obj<'_>, cx: &mut Cx, key: &str) -> Instruments {
    let tariff_max = t.num(
        cx,
        &spec(
            "tariff_max",
            Some(200.0),
            TARIFF_RANGE_POS,
            "%",
            "Highest average tariff on the other side's goods",
        ),
    );
    let tariff_floor = t.num(
        cx,
        &spec(
            "tariff_floor",
            None,
            TARIFF_RANGE,
            "%",
            "Lowest average tariff (pre-war level)",
        ),
    );
    let tariff = t.num(
        cx,
        &spec(
            "tariff",
            None,
            TARIFF_RANGE,
            "%",
            "Average tariff on the other side's goods at week 0",
        ),
    );
    let tariff_origin = cx.params.last().and_then(|p| p.origin);
    if tariff < tariff_floor || tariff > tariff_max {
        cx.error(
            tariff_origin.or(t.origin()),
            &format!("sides.{key}.tariff"),
            format!(
                "{tariff} is outside [tariff_floor, tariff_max] = [{tariff_floor}, {tariff_max}]"
            ),
        );
    }
    if tariff_floor > tariff_max {
        cx.error(
            t.origin(),
            &format!("sides.{key}.tariff_floor"),
            format!("{tariff_floor} is above tariff_max {tariff_max}"),
        );
    }
    let tariff_step = t.num(
        cx,
        &spec(
            "tariff_step",
            Some(3.0),
            TARIFF_RANGE,
            "pp",
            "Smallest tariff rise of an ordinary escalation move (larger moves come from the state: docs/MODEL.md 7.7)",
        ),
    );
    let controls = t.num(
        cx,
        &spec(
            "controls",
            Some(0.0),
            CONTROLS_RANGE,
            "index",
            "Stock of non-tariff measures at week 0",
        ),
    );
    let controls_step = t.num(
        cx,
        &spec(
            "controls_step",
            Some(2.0),
            CONTROLS_RANGE,
            "index",
            "Controls added by one escalation move on controls",
        ),
    );
    Instruments {
        tariff,
        tariff_floor,
        tariff_max,
        tariff_step,
        controls,
        controls_step,
        stock_decay: 0.0,
        level: decl("tariffs", "tariff", "average tariff", "Tariff"),
        stock: decl("controls", "controls", "controls", "Non-tariff"),
        commitment: Some(decl("purchases", "purchases", "purchases", "Purchases")),
        has_stock: true,
    }
}

// long: a declarative reader: each declared instrument's keys by kind, then the count checks.
/// `[sides.X.instruments.NAME]` tables: exactly one level, at most one stock and one commitment.
fn declared_instruments(t: &mut Obj<'_>, cx: &mut Cx, key: &str) -> Instruments {
    let mut tab = t.table(cx, "instruments");
    let path = format!("sides.{key}.instruments");
    let mut out = Instruments {
        tariff: 0.0,
        tariff_floor: 0.0,
        tariff_max: 0.0,
        tariff_step: 0.0,
        controls: 0.0,
        controls_step: 0.0,
        stock_decay: 0.0,
        level: decl("", "", "", ""),
        stock: decl("none", "stock", "measures", ""),
        commitment: None,
        has_stock: false,
    };
    let mut seen = [0usize; 3];
    for (name, origin) in tab.keys() {
        let ipath = format!("{path}.{name}");
        if !well_formed_key(&name) {
            cx.error(Some(origin), &ipath, format!("'{name}' is not an instrument name: {KEY_RULE} (it names the instrument in factions' lists and in column names)"));
        }
        let mut it = tab.table(cx, &name);
        it.item_provenance(cx);
        let kind = it.choice(cx, "kind", &INSTRUMENT_KINDS, None, "How the instrument moves: level (tariff-like), stock (controls-like) or commitment (purchase-like)");
        seen[kind] += 1;
        // The name was checked above; a column word given apart is checked here.
        let column = match it.string(cx, "column", false) {
            Some(c) => {
                if !well_formed_key(&c) {
                    cx.error(
                        it.origin(),
                        &format!("{ipath}.column"),
                        format!("'{c}' is not a column word: {KEY_RULE}"),
                    );
                }
                c
            }
            None => name.clone(),
        };
        let label = it
            .string(cx, "label", false)
            .unwrap_or_else(|| name.replace('_', " "));
        let prefix = it.string(cx, "prefix", false).unwrap_or_else(|| {
            let mut c = name.replace('_', " ");
            if let Some(f) = c.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
            c
        });
        let d = InstrumentDecl {
            name: name.clone(),
            column,
            label,
            prefix,
        };
        match kind {
            0 => {
                let cap = it.num(
                    cx,
                    &spec(
                        "cap",
                        None,
                        TARIFF_RANGE_POS,
                        "%",
                        "Highest level (a tariff-like level: percent, or any index up to 1,000)",
                    ),
                );
                let floor = it.num(
                    cx,
                    &spec(
                        "floor",
                        Some(0.0),
                        TARIFF_RANGE,
                        "%",
                        "Lowest level (its pre-dispute value)",
                    ),
                );
                let value = it.num(
                    cx,
                    &spec("value", None, TARIFF_RANGE, "%", "Level at week 0"),
                );
                let at = cx.params.last().and_then(|p| p.origin);
                check_level(cx, &it, &format!("{ipath}.value"), (value, floor, cap), at);
                let step = it.num(cx, &spec("step", Some(3.0), TARIFF_RANGE, "pp", "Smallest rise of an ordinary escalation move (larger moves come from the state: docs/MODEL.md 7.7)"));
                (
                    out.tariff,
                    out.tariff_floor,
                    out.tariff_max,
                    out.tariff_step,
                ) = (value, floor, cap, step);
                out.level = d;
            }
            1 => {
                out.controls = it.num(
                    cx,
                    &spec(
                        "value",
                        Some(0.0),
                        CONTROLS_RANGE,
                        "index",
                        "Stock at week 0",
                    ),
                );
                out.controls_step = it.num(
                    cx,
                    &spec(
                        "step",
                        Some(2.0),
                        CONTROLS_RANGE,
                        "index",
                        "Added by one escalation move on this instrument",
                    ),
                );
                out.stock_decay = it.num(cx, &spec("decay", Some(0.0), Closed(0.0, 0.99), "per week", "Share of the stock that lapses each week (0: measures stay until lifted; a strike or a sanction that wears off: above 0)"));
                out.stock = d;
                out.has_stock = true;
            }
            _ => out.commitment = Some(d),
        }
        it.finish(cx);
    }
    tab.finish(cx);
    for (k, word) in INSTRUMENT_KINDS.iter().enumerate() {
        let problem = match (k, seen[k]) {
            (0, 0) => Some("declares no level instrument: each side has exactly one (kind = \"level\", tariff-like)".to_string()),
            (_, n) if n > 1 => Some(format!("declares {n} instruments of kind {word}: at most one of each kind (one level, one stock, one commitment)")),
            _ => None,
        };
        if let Some(m) = problem {
            cx.error(tab_origin(t), &path, m);
        }
    }
    out
}

/// Where a side's table was written.
fn tab_origin(t: &Obj<'_>) -> Option<super::tree::Origin> {
    t.origin()
}

// long: a declarative reader: one key of a faction per line, with the cross-field checks after.
fn read_factions(
    side: &mut Obj<'_>,
    cx: &mut Cx,
    key: &str,
    avail: &[(&str, Instrument)],
) -> Vec<Faction> {
    let names: Vec<&str> = avail.iter().map(|a| a.0).collect();
    let path = format!("sides.{key}.factions");
    let origin = side.origin();
    let items = side.tables(cx, "factions");
    if items.len() > MAX_FACTIONS {
        cx.error(
            origin,
            &path,
            format!(
                "{} factions: a side may have at most {MAX_FACTIONS}",
                items.len()
            ),
        );
        return Vec::new();
    }
    let mut out: Vec<Faction> = Vec::with_capacity(items.len());
    for mut f in items {
        f.item_provenance(cx);
        let name = f.string(cx, "name", true).unwrap_or_default();
        if out.iter().any(|o| o.name == name) {
            cx.error(
                f.origin(),
                f.path(),
                format!("duplicate faction name '{name}' in {path}"),
            );
        }
        let leader = f.boolean(
            cx,
            "leader",
            false,
            "This faction is the leader and sets the side's line",
        );
        let stance = f.num(
            cx,
            &spec(
                "stance",
                None,
                Closed(-1.0, 1.0),
                "",
                "Stance, -1 conciliatory .. 1 hawkish",
            ),
        );
        let clout = f.num(
            cx,
            &spec(
                "clout",
                None,
                AtLeast(0.0),
                "",
                "Clout weight (normalised per side)",
            ),
        );
        let instruments: Vec<Instrument> = f
            .choices(cx, "instruments", &names)
            .into_iter()
            .map(|i| avail[i].1)
            .collect();
        if instruments.is_empty() && f.has("instruments") {
            cx.error(
                f.origin(),
                &format!("{}.instruments", f.path()),
                format!("must list at least one of: {}", names.join(", ")),
            );
        }
        let autonomy = f.num(
            cx,
            &spec(
                "autonomy",
                Some(0.0),
                UNIT,
                "",
                "How often the faction acts without the leader when coordination fails",
            ),
        );
        let generosity = f.num(
            cx,
            &spec(
                "generosity",
                Some(0.0),
                UNIT,
                "",
                "Probability of forgiving a perceived defection",
            ),
        );
        f.finish(cx);
        out.push(Faction {
            name,
            leader,
            stance,
            clout,
            instruments,
            autonomy,
            generosity,
        });
    }
    if out.is_empty() {
        cx.error(
            origin,
            &path,
            "a side needs at least one faction, and exactly one with leader = true",
        );
    } else {
        let leaders = out.iter().filter(|f| f.leader).count();
        if leaders != 1 {
            cx.error(
                origin,
                &path,
                format!("exactly one faction must have leader = true, found {leaders}"),
            );
        }
        let total: f64 = out.iter().map(|f| f.clout).sum();
        if !(total > 0.0 && total.is_finite()) {
            cx.error(origin, &format!("{path}.clout"), format!("clout cannot be normalised: the factions' clout sums to {total}; give at least one faction clout > 0"));
        }
        if let Some(l) = out.iter().find(|f| f.leader && f.instruments.is_empty()) {
            cx.error(
                origin,
                &format!("{path}.{}.instruments", l.name),
                "the leader needs at least one instrument to carry out the side's line",
            );
        }
    }
    out
}

/// `[negotiators]`: one table per side, in the sides' order, and their shared rapport.
fn read_negotiators(top: &mut Obj<'_>, cx: &mut Cx, keys: &[String; 2]) -> ([Negotiator; 2], f64) {
    let mut neg = top.table(cx, "negotiators");
    let negotiators = [
        read_negotiator(&mut neg, cx, &keys[0]),
        read_negotiator(&mut neg, cx, &keys[1]),
    ];
    let rapport = neg.num(
        cx,
        &spec(
            "rapport",
            None,
            UNIT,
            "",
            "Rapport between the lead negotiators (P4)",
        ),
    );
    neg.finish(cx);
    (negotiators, rapport)
}

fn read_negotiator(neg: &mut Obj<'_>, cx: &mut Cx, key: &str) -> Negotiator {
    let mut t = neg.table(cx, key);
    let name = t
        .string(cx, "name", false)
        .unwrap_or_else(|| format!("{} negotiator", key.to_uppercase()));
    let n = Negotiator {
        name,
        experience: t.num(
            cx,
            &spec(
                "experience",
                None,
                UNIT,
                "",
                "Experience negotiating with the counterpart",
            ),
        ),
        understanding: t.num(
            cx,
            &spec(
                "understanding",
                None,
                UNIT,
                "",
                "Understanding of the other side's system",
            ),
        ),
        expertise: t.num(
            cx,
            &spec(
                "expertise",
                Some(0.3),
                UNIT,
                "",
                "Depth of departmental expertise behind the negotiator",
            ),
        ),
    };
    t.finish(cx);
    n
}

// long: a declarative reader: one key of a channel per line, with the cross-field checks after.
fn read_channels(top: &mut Obj<'_>, cx: &mut Cx) -> Vec<Channel> {
    let mut out: Vec<Channel> = Vec::new();
    let items = top.tables(cx, "channels");
    if items.len() > MAX_CHANNELS {
        cx.error(
            top.origin(),
            "channels",
            format!(
                "{} channels: a scenario may have at most {MAX_CHANNELS}",
                items.len()
            ),
        );
        return out;
    }
    for mut c in items {
        c.item_provenance(cx);
        let name = c.string(cx, "name", true).unwrap_or_default();
        if out.iter().any(|o| o.name == name) {
            cx.error(
                c.origin(),
                c.path(),
                format!("duplicate channel name '{name}'"),
            );
        }
        let kind = [
            ChannelKind::Official,
            ChannelKind::Backchannel,
            ChannelKind::Intermediary,
            ChannelKind::LeaderDirect,
        ][c.choice(cx, "kind", &CHANNEL_KINDS, None, "Kind of channel")];
        let ch = Channel {
            name,
            kind,
            open: c.boolean(cx, "open", true, "Open at week 0"),
            misread_conciliation: c.num(
                cx,
                &spec(
                    "misread_conciliation",
                    None,
                    UNIT,
                    "",
                    "Probability a conciliatory week is read as hostile",
                ),
            ),
            misread_hostility: c.num(
                cx,
                &spec(
                    "misread_hostility",
                    None,
                    UNIT,
                    "",
                    "Probability a hostile week is read as conciliatory",
                ),
            ),
            authority: c.num(
                cx,
                &spec(
                    "authority",
                    None,
                    UNIT,
                    "",
                    "Whether what passes binds the leaders",
                ),
            ),
            face_shield: c.num(
                cx,
                &spec(
                    "face_shield",
                    Some(0.0),
                    UNIT,
                    "",
                    "Fraction of face cost avoided through this channel",
                ),
            ),
            close_rate: c.num(
                cx,
                &spec(
                    "close_rate",
                    Some(0.0),
                    AtLeast(0.0),
                    "per year",
                    "Closure rate while open",
                ),
            ),
            reopen_rate: c.num(
                cx,
                &spec(
                    "reopen_rate",
                    Some(0.0),
                    AtLeast(0.0),
                    "per year",
                    "Reopening rate while closed",
                ),
            ),
            political_exposure: c.num(
                cx,
                &spec(
                    "political_exposure",
                    Some(0.0),
                    AtLeast(0.0),
                    "",
                    "Sensitivity of closure to hawk clout",
                ),
            ),
        };
        c.finish(cx);
        out.push(ch);
    }
    out
}

// long: a declarative reader: one key per calendar entry kind, with the date checks after.
fn read_calendar(
    top: &mut Obj<'_>,
    cx: &mut Cx,
    meta: &Meta,
    horizon_known: bool,
    keys: &[String; 2],
) -> Vec<CalendarEvent> {
    let end = Date::week_start(meta.start, u64::from(meta.weeks));
    let in_horizon = |cx: &mut Cx, d: Date, origin, path: &str, what: &str| {
        if !horizon_known {
        } else if d < meta.start {
            cx.error(
                Some(origin),
                path,
                format!("{what} {d} is before the scenario start {}", meta.start),
            );
        } else if d >= end {
            cx.error(
                Some(origin),
                path,
                format!(
                    "{what} {d} is after the horizon: the scenario covers {} .. {} ({} weeks)",
                    meta.start,
                    end.add_days(-1),
                    meta.weeks
                ),
            );
        }
    };
    let mut out = Vec::new();
    let items = top.tables(cx, "calendar");
    if items.len() > MAX_CALENDAR {
        cx.error(
            top.origin(),
            "calendar",
            format!(
                "{} calendar entries: a scenario may have at most {MAX_CALENDAR}",
                items.len()
            ),
        );
        return out;
    }
    let mut names = std::collections::BTreeSet::new();
    for mut e in items {
        e.item_provenance(cx);
        let path = e.path().to_string();
        let date = e.date(cx, "date", true);
        if let Some((d, o)) = date {
            in_horizon(cx, d, o, &format!("{path}.date"), "date");
        }
        let kind_i = e.choice(
            cx,
            "kind",
            &["round", "summit", "threat", "truce_expiry"],
            None,
            "What the entry schedules",
        );
        let note = e.string(cx, "note", false).unwrap_or_default();
        let name = e.string(cx, "name", false);
        if let Some(n) = &name {
            if !crate::scenario::overlay::valid_arm_name(n) {
                cx.error(
                    e.origin(),
                    &format!("{path}.name"),
                    format!("calendar entry name '{n}': use letters, digits, '_' and '-'"),
                );
            } else if !names.insert(n.clone()) {
                cx.error(
                    e.origin(),
                    &format!("{path}.name"),
                    format!("two calendar entries are named '{n}': names must be unique (overlays address entries by name)"),
                );
            }
        }
        let kind = match kind_i {
            0 => EventKind::Round,
            1 => EventKind::Summit {
                prepared_agenda: e.boolean(
                    cx,
                    "prepared_agenda",
                    false,
                    "Whether the summit agenda was prepared in advance",
                ),
            },
            2 => {
                let side = e.choice(
                    cx,
                    "side",
                    &[keys[0].as_str(), keys[1].as_str()],
                    None,
                    "Side that threatens",
                );
                let tariff_pp = e.num(
                    cx,
                    &spec(
                        "tariff_pp",
                        None,
                        TARIFF_RANGE_POS,
                        "pp",
                        "Threatened tariff rise",
                    ),
                );
                let deadline = e.date(cx, "deadline", true);
                if let (Some((dl, o)), Some((d, _))) = (deadline, date) {
                    if dl < d {
                        cx.error(
                            Some(o),
                            &format!("{path}.deadline"),
                            format!("deadline {dl} is before the threat's date {d}"),
                        );
                    } else {
                        in_horizon(cx, dl, o, &format!("{path}.deadline"), "deadline");
                    }
                }
                EventKind::Threat {
                    side,
                    tariff_pp,
                    deadline: deadline.map_or(meta.start, |x| x.0),
                }
            }
            _ => EventKind::TruceExpiry,
        };
        e.finish(cx);
        if let Some((d, _)) = date {
            out.push(CalendarEvent {
                name,
                date: d,
                kind,
                note,
            });
        }
    }
    out.sort_by_key(|e| e.date);
    out
}

fn read_agreement(a: &mut Obj<'_>, cx: &mut Cx, keys: &[String; 2]) -> Agreement {
    a.item_provenance(cx);
    let scope = if a.choice(
        cx,
        "scope",
        &["transactional", "broad"],
        None,
        "Scope of the agreement in force",
    ) == 0
    {
        Scope::Transactional
    } else {
        Scope::Broad
    };
    Agreement {
        scope,
        detail: a.num(
            cx,
            &spec(
                "detail",
                None,
                UNIT,
                "",
                "How precisely the terms were fixed",
            ),
        ),
        purchases: a.boolean(
            cx,
            "purchases",
            false,
            "Includes purchase commitments by the buyer ([roles] buyer)",
        ),
        covers_controls: a.boolean(
            cx,
            "covers_controls",
            scope == Scope::Broad,
            "Binds controls as well as tariffs (default: true if broad, false if transactional)",
        ),
        snapback: keys.clone().map(|k| {
            let key = format!("snapback_{k}");
            a.num(
                cx,
                &NumSpec {
                    key: &key,
                    default: Some(0.0),
                    bounds: TARIFF_RANGE,
                    unit: "pp",
                    doc: "This side's tariff rise if the agreement lapses unrenewed (snapback_SIDE)",
                },
            )
        }),
    }
}
