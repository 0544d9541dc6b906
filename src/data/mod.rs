//! Real-world series: the dated event list and the average-tariff series (data/), read with
//! errors that name the file, row and column. Tolerates a UTF-8 byte-order mark and CRLF lines.

use crate::scenario::date::Date;

/// The embedded PIIE tariff series.
pub const TARIFFS_CSV: &str = include_str!("../../data/us_china_tariffs_2018_2021.csv");

/// The embedded event list.
pub const EVENTS_CSV: &str = include_str!("../../data/us_china_events_2018_2020.csv");

/// The embedded event list of the second term, 2025-02-01 .. 2025-08-31.
pub const EVENTS_2025_CSV: &str = include_str!("../../data/us_china_events_2025_h1.csv");

/// The embedded PIIE tariff readings of 2025.
pub const TARIFFS_2025_CSV: &str = include_str!("../../data/us_china_tariffs_2025.csv");

/// The embedded table of dated threats, scheduled increases and truce deadlines of both records,
/// with their outcomes.
pub const THREATS_CSV: &str = include_str!("../../data/us_china_threats_and_deadlines.csv");

/// A built-in real record: its event list and tariff series (embedded copies of data/).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltInRecord {
    /// 2018-03-22 .. 2020: data/us_china_events_2018_2020.csv, PIIE 2018-2021.
    FirstTerm,
    /// 2025-02-01 .. 2025-08-31: data/us_china_events_2025_h1.csv, PIIE 2025.
    SecondTerm,
}

impl BuiltInRecord {
    /// The event list: file name under data/ and text.
    pub fn events(self) -> (&'static str, &'static str) {
        match self {
            BuiltInRecord::FirstTerm => ("us_china_events_2018_2020.csv", EVENTS_CSV),
            BuiltInRecord::SecondTerm => ("us_china_events_2025_h1.csv", EVENTS_2025_CSV),
        }
    }

    /// The tariff series: file name under data/ and text.
    pub fn tariffs(self) -> (&'static str, &'static str) {
        match self {
            BuiltInRecord::FirstTerm => ("us_china_tariffs_2018_2021.csv", TARIFFS_CSV),
            BuiltInRecord::SecondTerm => ("us_china_tariffs_2025.csv", TARIFFS_2025_CSV),
        }
    }

    /// The window the record is coded over, when it is fixed (data/README.md); `None`: from its
    /// first to its last event.
    pub fn window(self) -> Option<(Date, Date)> {
        match self {
            BuiltInRecord::FirstTerm => None,
            BuiltInRecord::SecondTerm => {
                Date::from_ymd(2025, 2, 1).zip(Date::from_ymd(2025, 8, 31))
            }
        }
    }
}

/// The threats table's file name under data/ and text.
pub const THREATS: (&str, &str) = ("us_china_threats_and_deadlines.csv", THREATS_CSV);

/// One reading of the average tariffs (a side may be missing at a date).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TariffPoint {
    /// Date.
    pub date: Date,
    /// US average tariff on China, percent.
    pub us: Option<f64>,
    /// China's average tariff on the US, percent.
    pub cn: Option<f64>,
}

/// How a record names a scenario's sides and their level instruments: the `actor` column holds a
/// side's key in upper case (`US`, `EU`) or `both`; an escalation whose description starts with
/// the actor's level prefix and a colon (`Tariff: ...`) is on the level instrument, any other on
/// the stock; the tariff series has the columns `A_avg_tariff_on_B_pct` and `B_avg_tariff_on_A_pct`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocabulary {
    /// The side keys, in the scenario's order.
    pub keys: [String; 2],
    /// Each side's level prefix (`Tariff`).
    pub prefixes: [String; 2],
}

impl Default for Vocabulary {
    /// The US–China records': `US`, `CN`, `Tariff:`.
    fn default() -> Self {
        Vocabulary {
            keys: ["us".into(), "cn".into()],
            prefixes: ["Tariff".into(), "Tariff".into()],
        }
    }
}

impl Vocabulary {
    /// A scenario's vocabulary.
    pub fn of(s: &crate::scenario::Scenario) -> Vocabulary {
        Vocabulary {
            keys: s.sides.clone().map(|x| x.naming.key),
            prefixes: s.sides.clone().map(|x| x.instruments.level.prefix),
        }
    }

    /// The tariff column of side `i`: `us_avg_tariff_on_cn_pct`.
    pub fn tariff_column(&self, i: usize) -> String {
        format!("{}_avg_tariff_on_{}_pct", self.keys[i], self.keys[1 - i])
    }

    /// The actor words: `US`, `CN`, `both`.
    fn actors(&self) -> [String; 3] {
        [
            self.keys[0].to_uppercase(),
            self.keys[1].to_uppercase(),
            "both".into(),
        ]
    }
}

/// Who acted in a real event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The US.
    Us,
    /// China.
    Cn,
    /// Both sides.
    Both,
}

impl Actor {
    /// Whether the actor is, or includes, side `side` (0: US, 1: China).
    pub fn involves(self, side: usize) -> bool {
        match self {
            Actor::Us => side == 0,
            Actor::Cn => side == 1,
            Actor::Both => true,
        }
    }
}

/// Kinds of real events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RealKind {
    /// Tariffs or non-tariff measures raised.
    Escalation,
    /// A unilateral step back.
    DeEscalation,
    /// An agreement to hold or roll back (a truce).
    Truce,
    /// A signed or announced deal.
    Deal,
    /// A negotiating round.
    Talks,
    /// A threat.
    Threat,
}

/// Words of the `kind` column.
pub const REAL_KINDS: [&str; 6] = [
    "escalation",
    "de-escalation",
    "truce",
    "deal",
    "talks",
    "threat",
];

/// One real event.
#[derive(Clone, Debug, PartialEq)]
pub struct RealEvent {
    /// Date.
    pub date: Date,
    /// Actor.
    pub actor: Actor,
    /// Kind.
    pub kind: RealKind,
    /// Description.
    pub description: String,
    /// An escalation on the level instrument (its description starts with the actor's level
    /// prefix, `Tariff:`); any other escalation is on the stock.
    pub on_level: bool,
    /// Scope of a `truce` or `deal`, from the optional `scope` column (empty: a `truce` is
    /// transactional and a `deal` broad).
    pub scope: Option<crate::scenario::Scope>,
}

/// Kinds of rows of the threats-and-deadlines table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreatKind {
    /// A threatened measure.
    Threat,
    /// An announced increase with a date.
    ScheduledIncrease,
    /// A truce deadline (an agreement's expiry).
    Deadline,
}

/// Outcomes as the threats table types them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RealOutcome {
    /// Carried out.
    Executed,
    /// Carried out in part.
    ExecutedInPart,
    /// Carried out and enlarged.
    ExecutedEnlarged,
    /// Postponed.
    Postponed,
    /// Withdrawn in a deal.
    WithdrawnInDeal,
    /// Withdrawn for a concession (no row of the shipped table has it).
    Withdrawn,
    /// A deadline extended by decree.
    ExtendedByDecree,
    /// Left hanging.
    Hanging,
}

/// Words of the threats table's `kind` column.
pub const THREAT_KINDS: [&str; 3] = ["threat", "scheduled_increase", "deadline"];

/// Words of the threats table's `outcome` column.
pub const REAL_OUTCOMES: [&str; 8] = [
    "executed",
    "executed_in_part",
    "executed_enlarged",
    "postponed",
    "withdrawn_in_deal",
    "withdrawn",
    "extended_by_decree",
    "hanging",
];

/// One row of the threats-and-deadlines table.
#[derive(Clone, Debug, PartialEq)]
pub struct RealThreat {
    /// Date of the threat or announcement.
    pub date: Date,
    /// Who threatened.
    pub actor: Actor,
    /// Kind.
    pub kind: ThreatKind,
    /// Its deadline, if one was named.
    pub deadline: Option<Date>,
    /// Outcome.
    pub outcome: RealOutcome,
    /// Date of the outcome.
    pub outcome_date: Option<Date>,
}

/// A data problem: file, row (1-based, header = 1), column and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: row {row}, column {column}: {message}")]
pub struct DataError {
    /// File shown in the message.
    pub file: String,
    /// Row, counting the header as row 1.
    pub row: u64,
    /// Column name (or number).
    pub column: String,
    /// What is wrong.
    pub message: String,
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    let t = text.strip_prefix('\u{feff}').unwrap_or(text);
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(t.as_bytes())
}

fn header_index(file: &str, headers: &csv::StringRecord, name: &str) -> Result<usize, DataError> {
    headers
        .iter()
        .position(|h| h.trim() == name)
        .ok_or_else(|| DataError {
            file: file.into(),
            row: 1,
            column: name.into(),
            message: format!(
                "missing column '{name}'; the header has: {}",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        })
}

/// Row of a record counting the header as row 1 (records, not text lines: CRLF and BOM safe).
fn row_of(rec: &csv::StringRecord) -> u64 {
    rec.position().map_or(0, |p| p.record() + 1)
}

fn csv_error(file: &str, e: &csv::Error) -> DataError {
    let row = e.position().map_or(0, |p| p.record() + 1);
    DataError {
        file: file.into(),
        row,
        column: "-".into(),
        message: format!("malformed CSV: {e}"),
    }
}

fn parse_date(file: &str, row: u64, s: &str) -> Result<Date, DataError> {
    s.trim().parse::<Date>().map_err(|e| DataError {
        file: file.into(),
        row,
        column: "date".into(),
        message: e.to_string(),
    })
}

fn parse_actor(file: &str, row: u64, s: &str, v: &Vocabulary) -> Result<Actor, DataError> {
    let words = v.actors();
    match words.iter().position(|w| w == s.trim()) {
        Some(0) => Ok(Actor::Us),
        Some(1) => Ok(Actor::Cn),
        Some(_) => Ok(Actor::Both),
        None => Err(DataError {
            file: file.into(),
            row,
            column: "actor".into(),
            message: format!(
                "unknown actor '{}': expected {}, {} or both (the scenario's side keys in upper case)",
                s.trim(),
                words[0],
                words[1]
            ),
        }),
    }
}

/// Index of `word` in `words`, or an error naming the column with a "did you mean" hint.
fn choice(
    file: &str,
    row: u64,
    (column, what): (&str, &str),
    word: &str,
    words: &[&str],
) -> Result<usize, DataError> {
    words.iter().position(|x| *x == word).ok_or_else(|| {
        let hint = crate::scenario::diag::closest(word, words.iter().copied())
            .map(|c| format!(" (did you mean '{c}'?)"))
            .unwrap_or_default();
        DataError {
            file: file.into(),
            row,
            column: column.into(),
            message: format!(
                "unknown {what} '{word}'{hint}: expected one of {}",
                words.join(", ")
            ),
        }
    })
}

fn optional_date(file: &str, row: u64, column: &str, s: &str) -> Result<Option<Date>, DataError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<Date>().map(Some).map_err(|e| DataError {
        file: file.into(),
        row,
        column: column.into(),
        message: e.to_string(),
    })
}

fn parse_pct(file: &str, row: u64, column: &str, s: &str) -> Result<Option<f64>, DataError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() && (0.0..=1000.0).contains(&x) => Ok(Some(x)),
        _ => Err(DataError {
            file: file.into(),
            row,
            column: column.into(),
            message: format!("'{t}' is not a tariff in percent (a number from 0 to 1000)"),
        }),
    }
}

/// Reads a tariff series (columns `date`, `us_avg_tariff_on_cn_pct`, `cn_avg_tariff_on_us_pct`).
pub fn read_tariffs(file: &str, text: &str) -> Result<Vec<TariffPoint>, DataError> {
    read_tariffs_in(file, text, &Vocabulary::default())
}

/// [`read_tariffs`] with a scenario's side keys.
pub fn read_tariffs_in(
    file: &str,
    text: &str,
    v: &Vocabulary,
) -> Result<Vec<TariffPoint>, DataError> {
    let mut r = reader(text);
    let headers = r.headers().map_err(|e| csv_error(file, &e))?.clone();
    let (c0, c1) = (v.tariff_column(0), v.tariff_column(1));
    let (id, ius, icn) = (
        header_index(file, &headers, "date")?,
        header_index(file, &headers, &c0)?,
        header_index(file, &headers, &c1)?,
    );
    let mut out: Vec<TariffPoint> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| csv_error(file, &e))?;
        let row = row_of(&rec);
        let date = parse_date(file, row, rec.get(id).unwrap_or(""))?;
        if out.last().is_some_and(|p| p.date >= date) {
            return Err(DataError {
                file: file.into(),
                row,
                column: "date".into(),
                message: format!(
                    "{date} is not after the previous row's date; rows must be in date order"
                ),
            });
        }
        let us = parse_pct(file, row, &c0, rec.get(ius).unwrap_or(""))?;
        let cn = parse_pct(file, row, &c1, rec.get(icn).unwrap_or(""))?;
        out.push(TariffPoint { date, us, cn });
    }
    Ok(out)
}

/// Reads an event list (columns `date`, `actor`, `kind`, `description`, and optionally `scope`:
/// `transactional` or `broad` for a truce or deal).
pub fn read_events(file: &str, text: &str) -> Result<Vec<RealEvent>, DataError> {
    read_events_in(file, text, &Vocabulary::default())
}

/// [`read_events`] with a scenario's side keys and level prefixes.
pub fn read_events_in(file: &str, text: &str, v: &Vocabulary) -> Result<Vec<RealEvent>, DataError> {
    let mut r = reader(text);
    let headers = r.headers().map_err(|e| csv_error(file, &e))?.clone();
    let (id, ia, ik, idesc) = (
        header_index(file, &headers, "date")?,
        header_index(file, &headers, "actor")?,
        header_index(file, &headers, "kind")?,
        header_index(file, &headers, "description")?,
    );
    let iscope = headers.iter().position(|h| h.trim() == "scope");
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| csv_error(file, &e))?;
        let row = row_of(&rec);
        let date = parse_date(file, row, rec.get(id).unwrap_or(""))?;
        let actor = parse_actor(file, row, rec.get(ia).unwrap_or(""), v)?;
        let k = rec.get(ik).unwrap_or("").trim();
        let kind = match choice(file, row, ("kind", "event kind"), k, &REAL_KINDS)? {
            0 => RealKind::Escalation,
            1 => RealKind::DeEscalation,
            2 => RealKind::Truce,
            3 => RealKind::Deal,
            4 => RealKind::Talks,
            _ => RealKind::Threat,
        };
        let scope = match iscope.map(|i| rec.get(i).unwrap_or("").trim()) {
            None | Some("") => None,
            Some(w) => Some(
                match choice(
                    file,
                    row,
                    ("scope", "scope"),
                    w,
                    &["transactional", "broad"],
                )? {
                    0 => crate::scenario::Scope::Transactional,
                    _ => crate::scenario::Scope::Broad,
                },
            ),
        };
        let description = rec.get(idesc).unwrap_or("").to_string();
        let on_level = (0..2).filter(|&i| actor.involves(i)).any(|i| {
            description
                .trim_start()
                .starts_with(&format!("{}:", v.prefixes[i]))
        });
        out.push(RealEvent {
            date,
            actor,
            kind,
            description,
            on_level,
            scope,
        });
    }
    out.sort_by_key(|e| e.date);
    Ok(out)
}

/// Reads the threats-and-deadlines table (columns `date`, `actor`, `kind`, `deadline`,
/// `outcome`, `outcome_date`).
pub fn read_threats(file: &str, text: &str) -> Result<Vec<RealThreat>, DataError> {
    read_threats_in(file, text, &Vocabulary::default())
}

/// [`read_threats`] with a scenario's side keys.
pub fn read_threats_in(
    file: &str,
    text: &str,
    v: &Vocabulary,
) -> Result<Vec<RealThreat>, DataError> {
    let mut r = reader(text);
    let headers = r.headers().map_err(|e| csv_error(file, &e))?.clone();
    let col = |name: &str| header_index(file, &headers, name);
    let (id, ia, ik, idl, io, iod) = (
        col("date")?,
        col("actor")?,
        col("kind")?,
        col("deadline")?,
        col("outcome")?,
        col("outcome_date")?,
    );
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| csv_error(file, &e))?;
        let row = row_of(&rec);
        let get = |i: usize| rec.get(i).unwrap_or("");
        let date = parse_date(file, row, get(id))?;
        let actor = parse_actor(file, row, get(ia), v)?;
        let kind = match choice(file, row, ("kind", "kind"), get(ik).trim(), &THREAT_KINDS)? {
            0 => ThreatKind::Threat,
            1 => ThreatKind::ScheduledIncrease,
            _ => ThreatKind::Deadline,
        };
        let outcome = match choice(
            file,
            row,
            ("outcome", "outcome"),
            get(io).trim(),
            &REAL_OUTCOMES,
        )? {
            0 => RealOutcome::Executed,
            1 => RealOutcome::ExecutedInPart,
            2 => RealOutcome::ExecutedEnlarged,
            3 => RealOutcome::Postponed,
            4 => RealOutcome::WithdrawnInDeal,
            5 => RealOutcome::Withdrawn,
            6 => RealOutcome::ExtendedByDecree,
            _ => RealOutcome::Hanging,
        };
        out.push(RealThreat {
            date,
            actor,
            kind,
            deadline: optional_date(file, row, "deadline", get(idl))?,
            outcome,
            outcome_date: optional_date(file, row, "outcome_date", get(iod))?,
        });
    }
    out.sort_by_key(|t| t.date);
    Ok(out)
}

/// A data file given by the user, or the built-in copy `(name, text)`: its path as shown in
/// messages, and its text (read through the bounded scenario reader).
pub fn read_data(
    path: &Option<std::path::PathBuf>,
    (name, embedded): (&str, &str),
) -> Result<(String, String), String> {
    match path {
        None => Ok((format!("built-in data/{name}"), embedded.to_string())),
        Some(p) => crate::scenario::Text::read(p, "data file")
            .map(|t| (t.path, t.text))
            .map_err(|e| e.to_string()),
    }
}

/// The embedded tariff series of both records, in date order (known to parse; an empty list if
/// it somehow does not).
/// A real record read in a scenario's vocabulary: its files, with their paths for messages.
pub struct RecordFiles {
    /// Event list path and rows.
    pub events: (String, Vec<RealEvent>),
    /// Tariff series path and readings.
    pub tariffs: (String, Vec<TariffPoint>),
    /// Threats table path and rows.
    pub threats: (String, Vec<RealThreat>),
}

/// Reads a record: the files given, else the built-in record's. The built-in files are the
/// US–China records, so a scenario with other sides must give its own events file; a tariff
/// series or threats table it does not give is empty.
pub fn read_record(
    (events, tariffs, threats): (
        &Option<std::path::PathBuf>,
        &Option<std::path::PathBuf>,
        &Option<std::path::PathBuf>,
    ),
    built_in: BuiltInRecord,
    v: &Vocabulary,
) -> Result<RecordFiles, String> {
    let own = *v != Vocabulary::default();
    if own && events.is_none() {
        return Err(format!(
            "the scenario's sides are {} and {}: give its own event list (docs/CALIBRATION.md, 'Calibrating a new negotiation')",
            v.keys[0], v.keys[1]
        ));
    }
    let e = |x: DataError| x.to_string();
    let (ep, et) = read_data(events, built_in.events())?;
    let (tp, tt) = if own && tariffs.is_none() {
        (
            "(no tariff series given)".to_string(),
            format!("date,{},{}\n", v.tariff_column(0), v.tariff_column(1)),
        )
    } else {
        read_data(tariffs, built_in.tariffs())?
    };
    let (hp, ht) = if own && threats.is_none() {
        (
            "(no threats table given)".to_string(),
            "date,actor,kind,what,deadline,outcome,outcome_date,basis\n".to_string(),
        )
    } else {
        read_data(threats, THREATS)?
    };
    Ok(RecordFiles {
        events: (ep.clone(), read_events_in(&ep, &et, v).map_err(e)?),
        tariffs: (tp.clone(), read_tariffs_in(&tp, &tt, v).map_err(e)?),
        threats: (hp.clone(), read_threats_in(&hp, &ht, v).map_err(e)?),
    })
}

pub fn embedded_tariffs() -> Vec<TariffPoint> {
    let mut v =
        read_tariffs("data/us_china_tariffs_2018_2021.csv", TARIFFS_CSV).unwrap_or_default();
    v.extend(read_tariffs("data/us_china_tariffs_2025.csv", TARIFFS_2025_CSV).unwrap_or_default());
    v
}

/// The built-in PIIE readings for a scenario's charts: they are the US–China record's, so only a
/// scenario whose sides are `us` and `cn` gets them; any other negotiation gets none.
pub fn embedded_tariffs_for(s: &crate::scenario::Scenario) -> Vec<TariffPoint> {
    if s.sides.clone().map(|x| x.naming.key) == crate::scenario::US_CHINA {
        embedded_tariffs()
    } else {
        Vec::new()
    }
}

/// The embedded threats table (known to parse; empty if it somehow does not).
pub fn embedded_threats() -> Vec<RealThreat> {
    read_threats("data/us_china_threats_and_deadlines.csv", THREATS_CSV).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_parse() {
        let t = read_tariffs("t", TARIFFS_CSV).unwrap();
        assert_eq!(t.len(), 10);
        assert_eq!(t[0].us, Some(3.1));
        assert_eq!(t[5].cn, None);
        let e = read_events("e", EVENTS_CSV).unwrap();
        assert_eq!(e.len(), 45);
        assert_eq!(e[0].kind, RealKind::Escalation);
        let e = read_events("e", EVENTS_2025_CSV).unwrap();
        assert_eq!(e.len(), 20);
        let london = e.iter().find(|x| x.kind == RealKind::Deal).unwrap();
        assert_eq!(london.scope, Some(crate::scenario::Scope::Transactional));
        let t = read_tariffs("t", TARIFFS_2025_CSV).unwrap();
        assert_eq!((t[2].us, t[3].cn), (Some(126.5), Some(32.6)));
        let th = read_threats("th", THREATS_CSV).unwrap();
        assert_eq!(th.len(), 15);
        assert_eq!(
            th.iter()
                .filter(|x| x.outcome == RealOutcome::ExtendedByDecree)
                .count(),
            1
        );
        assert_eq!(embedded_tariffs().len(), 14);
    }

    #[test]
    fn threat_table_errors_name_row_and_column() {
        let h = "date,actor,kind,what,deadline,outcome,outcome_date,basis\n";
        let e =
            read_threats("t.csv", &format!("{h}2025-01-01,US,threat,x,,executd,,b\n")).unwrap_err();
        assert!(
            e.to_string().contains("row 2, column outcome")
                && e.to_string().contains("did you mean 'executed'"),
            "{e}"
        );
        let e = read_threats(
            "t.csv",
            &format!("{h}2025-01-01,US,threat,x,2025-13-01,hanging,,b\n"),
        )
        .unwrap_err();
        assert_eq!(e.column, "deadline");
        let e = read_events(
            "e.csv",
            "date,actor,kind,description,scope\n2018-01-01,both,deal,x,wide\n",
        )
        .unwrap_err();
        assert_eq!(e.column, "scope");
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let text = "\u{feff}date,us_avg_tariff_on_cn_pct,cn_avg_tariff_on_us_pct,source\r\n2018-01-01,3.1,8.0,x\r\n";
        assert_eq!(read_tariffs("t", text).unwrap().len(), 1);
    }

    #[test]
    fn errors_name_row_and_column() {
        let e = read_tariffs("t.csv", "date,us_avg_tariff_on_cn_pct,cn_avg_tariff_on_us_pct\n2018-01-01,3.1,8\n2018-13-01,3,8\n").unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (3, "date"));
        let e = read_tariffs("t.csv", "date,us\n2018-01-01,3.1\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("missing column 'us_avg_tariff_on_cn_pct'")
        );
        let e = read_events(
            "e.csv",
            "date,actor,kind,description\n2018-01-01,US,escalaton,x\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("row 2, column kind")
                && e.to_string().contains("did you mean 'escalation'"),
            "{e}"
        );
        let e = read_tariffs(
            "t.csv",
            "date,us_avg_tariff_on_cn_pct,cn_avg_tariff_on_us_pct\n2018-01-01,abc,8\n",
        )
        .unwrap_err();
        assert_eq!(e.column, "us_avg_tariff_on_cn_pct");
        let e = read_tariffs(
            "t.csv",
            "date,us_avg_tariff_on_cn_pct,cn_avg_tariff_on_us_pct\n2018-01-01,3\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("row 2"), "{e}");
    }
}
