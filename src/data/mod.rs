//! Real-world series: the dated event list and the average-tariff series (data/), read with
//! errors that name the file, row and column. Tolerates a UTF-8 byte-order mark and CRLF lines.

use crate::scenario::date::Date;

/// The embedded PIIE tariff series.
pub const TARIFFS_CSV: &str = include_str!("../../data/us_china_tariffs_2018_2021.csv");

/// The embedded event list.
pub const EVENTS_CSV: &str = include_str!("../../data/us_china_events_2018_2020.csv");

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
    let mut r = reader(text);
    let headers = r.headers().map_err(|e| csv_error(file, &e))?.clone();
    let (id, ius, icn) = (
        header_index(file, &headers, "date")?,
        header_index(file, &headers, "us_avg_tariff_on_cn_pct")?,
        header_index(file, &headers, "cn_avg_tariff_on_us_pct")?,
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
        let us = parse_pct(
            file,
            row,
            "us_avg_tariff_on_cn_pct",
            rec.get(ius).unwrap_or(""),
        )?;
        let cn = parse_pct(
            file,
            row,
            "cn_avg_tariff_on_us_pct",
            rec.get(icn).unwrap_or(""),
        )?;
        out.push(TariffPoint { date, us, cn });
    }
    Ok(out)
}

/// Reads an event list (columns `date`, `actor`, `kind`, `description`).
pub fn read_events(file: &str, text: &str) -> Result<Vec<RealEvent>, DataError> {
    let mut r = reader(text);
    let headers = r.headers().map_err(|e| csv_error(file, &e))?.clone();
    let (id, ia, ik, idesc) = (
        header_index(file, &headers, "date")?,
        header_index(file, &headers, "actor")?,
        header_index(file, &headers, "kind")?,
        header_index(file, &headers, "description")?,
    );
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| csv_error(file, &e))?;
        let row = row_of(&rec);
        let date = parse_date(file, row, rec.get(id).unwrap_or(""))?;
        let actor = match rec.get(ia).unwrap_or("").trim() {
            "US" => Actor::Us,
            "CN" => Actor::Cn,
            "both" => Actor::Both,
            other => {
                return Err(DataError {
                    file: file.into(),
                    row,
                    column: "actor".into(),
                    message: format!("unknown actor '{other}': expected US, CN or both"),
                });
            }
        };
        let k = rec.get(ik).unwrap_or("").trim();
        let kind = match REAL_KINDS.iter().position(|x| *x == k) {
            Some(0) => RealKind::Escalation,
            Some(1) => RealKind::DeEscalation,
            Some(2) => RealKind::Truce,
            Some(3) => RealKind::Deal,
            Some(4) => RealKind::Talks,
            Some(_) => RealKind::Threat,
            None => {
                let hint = crate::scenario::diag::closest(k, REAL_KINDS.iter().copied())
                    .map(|c| format!(" (did you mean '{c}'?)"))
                    .unwrap_or_default();
                return Err(DataError {
                    file: file.into(),
                    row,
                    column: "kind".into(),
                    message: format!(
                        "unknown event kind '{k}'{hint}: expected one of {}",
                        REAL_KINDS.join(", ")
                    ),
                });
            }
        };
        out.push(RealEvent {
            date,
            actor,
            kind,
            description: rec.get(idesc).unwrap_or("").to_string(),
        });
    }
    out.sort_by_key(|e| e.date);
    Ok(out)
}

/// The embedded tariff series (known to parse; an empty list if it somehow does not).
pub fn embedded_tariffs() -> Vec<TariffPoint> {
    read_tariffs("data/us_china_tariffs_2018_2021.csv", TARIFFS_CSV).unwrap_or_default()
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
