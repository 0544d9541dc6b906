//! CSV outputs: runs.csv and events.csv (streamed during the run), timeseries.csv, summary.csv and
//! comparison.csv (written from the aggregate). Numbers are printed with fixed precision so files
//! are byte-identical for identical results.

use crate::analysis::km::{Estimate, KmSummary};
use crate::ensemble::aggregate::{Aggregate, QUANTILES, WEEKLY_QUANTILED, WEEKLY_SERIES};
use crate::ensemble::record::{Kind, METRICS, RunStats};
use crate::ensemble::summary::{self, ArmSummary, Durations};
use crate::ensemble::{Arm, RowFormat, Sink, WeekPoint};
use crate::model::Event;
use crate::scenario::Scenario;
use crate::scenario::names::Names;

use super::output::{OutputDir, OutputError, Sink as FileSink, finish};

type Csv = csv::Writer<FileSink>;

pub use crate::fmt::num;

/// One CSV record as a line ending in `\n`, written by the `csv` crate (which quotes a cell only
/// where it needs it), for tables built in memory.
pub fn line<I: AsRef<[u8]>>(cells: impl IntoIterator<Item = I>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing into memory cannot fail; if it did, the line would be empty and the goldens fail.
    let _ = w.write_record(cells);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// An optional number in the CSV format, empty when absent.
pub fn opt(x: Option<f64>, decimals: usize) -> String {
    x.map_or(String::new(), |v| num(v, decimals))
}

/// Decimals used for a metric's values.
pub fn decimals(kind: Kind) -> usize {
    match kind {
        Kind::Count | Kind::Weeks | Kind::Binary => 0,
        Kind::Share | Kind::Rate => 6,
        Kind::Tariff => 4,
    }
}

fn csv_err(out: &OutputDir, rel: &str, e: csv::Error) -> OutputError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => out.write_error(rel, &io),
        other => OutputError(format!(
            "cannot write '{}': {other:?}",
            out.root().join(rel).display()
        )),
    }
}

fn open_csv(out: &mut OutputDir, rel: &str, header: &[String]) -> Result<Csv, OutputError> {
    let w = out.create(rel)?;
    let mut c = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    c.write_record(header).map_err(|e| csv_err(out, rel, e))?;
    Ok(c)
}

fn close_csv(out: &OutputDir, rel: &str, c: Csv) -> Result<(), OutputError> {
    let w = c
        .into_inner()
        .map_err(|e| out.write_error(rel, e.error()))?;
    finish(w).map_err(|e| out.write_error(rel, &e))
}

struct ArmFiles<'a> {
    arm: &'a Arm,
    scenario: &'a Scenario,
    prefix: String,
    /// runs.csv: rows arrive formatted by the workers (`RunsRow`), so a plain buffered file.
    runs: Option<FileSink>,
    events: Csv,
}

/// The first traced replicate of an arm: its events and weekly trajectory (for the story chart).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Story {
    /// Replicate index.
    pub replicate: u64,
    /// Its events.
    pub events: Vec<Event>,
    /// Its weekly trajectory.
    pub trajectory: Vec<WeekPoint>,
}

impl Story {
    /// Keeps the first traced replicate of an arm in `slot`; later ones are left out.
    pub fn keep_first(
        slot: &mut Option<Story>,
        replicate: u64,
        events: &[Event],
        trajectory: &[WeekPoint],
    ) {
        if slot.is_none() {
            *slot = Some(Story {
                replicate,
                events: events.to_vec(),
                trajectory: trajectory.to_vec(),
            });
        }
    }
}

/// Streams runs.csv and events.csv of every arm during the run, and keeps each arm's first traced
/// replicate.
pub struct RowWriter<'a> {
    arms: Vec<ArmFiles<'a>>,
    root: std::path::PathBuf,
    /// First traced replicate per arm.
    pub stories: Vec<Option<Story>>,
}

/// Column names of runs.csv, in the scenario's names.
pub fn runs_header(names: &Names) -> Vec<String> {
    std::iter::once("replicate".to_string())
        .chain(METRICS.iter().map(|m| names.column(m.name).into_owned()))
        .collect()
}

const EVENTS_HEADER: [&str; 9] = [
    "replicate",
    "week",
    "date",
    "side",
    "faction",
    "channel",
    "kind",
    "size",
    "note",
];

impl<'a> RowWriter<'a> {
    /// Opens the files of each arm; `prefixes[a]` is the arm's sub-folder ("" for the root).
    pub fn open(
        out: &mut OutputDir,
        arms: &'a [Arm],
        scenarios: &'a [Scenario],
        prefixes: &[String],
        runs_csv: bool,
    ) -> Result<RowWriter<'a>, OutputError> {
        let mut files = Vec::new();
        for ((arm, sc), prefix) in arms.iter().zip(scenarios).zip(prefixes) {
            let runs = if runs_csv {
                let rel = format!("{prefix}runs.csv");
                let mut w = out.create(&rel)?;
                std::io::Write::write_all(&mut w, line(runs_header(&arm.params.names)).as_bytes())
                    .map_err(|e| out.write_error(&rel, &e))?;
                Some(w)
            } else {
                None
            };
            let events = open_csv(
                out,
                &format!("{prefix}events.csv"),
                &EVENTS_HEADER.map(String::from),
            )?;
            files.push(ArmFiles {
                arm,
                scenario: sc,
                prefix: prefix.clone(),
                runs,
                events,
            });
        }
        let stories = vec![None; files.len()];
        Ok(RowWriter {
            arms: files,
            stories,
            root: out.root().to_path_buf(),
        })
    }

    /// Flushes and closes every file; returns the stories.
    pub fn close(self, out: &OutputDir) -> Result<Vec<Option<Story>>, OutputError> {
        for f in self.arms {
            if let Some(r) = f.runs {
                let rel = format!("{}runs.csv", f.prefix);
                finish(r).map_err(|e| out.write_error(&rel, &e))?;
            }
            close_csv(out, &format!("{}events.csv", f.prefix), f.events)?;
        }
        Ok(self.stories)
    }
}

/// An I/O error that names the file it happened on.
fn io_err(root: &std::path::Path, rel: &str, e: csv::Error) -> std::io::Error {
    let (kind, reason) = match e.into_kind() {
        csv::ErrorKind::Io(io) => (io.kind(), crate::scenario::io_reason(&io)),
        other => (std::io::ErrorKind::Other, format!("{other:?}")),
    };
    std::io::Error::new(
        kind,
        format!("cannot write '{}': {reason}", root.join(rel).display()),
    )
}

/// The runs.csv row of a replicate, formatted on a worker thread: the replicate, then every
/// metric with its kind's decimals, joined by ',' (numbers and empty cells never need quoting, so
/// this is byte for byte what `csv::Writer` writes for the same record; the goldens check it).
struct RunsRow {
    /// Which arms write runs.csv.
    enabled: Vec<bool>,
}

impl RowFormat for RunsRow {
    fn format(&self, arm: usize, r: &RunStats, out: &mut Vec<u8>) {
        if self.enabled.get(arm).copied().unwrap_or(false) {
            runs_row(r, out);
        }
    }
}

/// Appends a replicate's runs.csv row to `out`.
fn runs_row(r: &RunStats, out: &mut Vec<u8>) {
    out.extend_from_slice(r.replicate.to_string().as_bytes());
    for m in METRICS {
        out.push(b',');
        out.extend_from_slice(opt((m.get)(r), decimals(m.kind)).as_bytes());
    }
    out.push(b'\n');
}

impl Sink for RowWriter<'_> {
    fn formatter(&self) -> Option<Box<dyn RowFormat>> {
        Some(Box::new(RunsRow {
            enabled: self.arms.iter().map(|f| f.runs.is_some()).collect(),
        }))
    }

    fn formatted(&mut self, arm: usize, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write as _;
        let f = &mut self.arms[arm];
        let Some(w) = f.runs.as_mut() else {
            return Ok(());
        };
        let rel = format!("{}runs.csv", f.prefix);
        let named = |e: std::io::Error| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot write '{}': {}",
                    self.root.join(&rel).display(),
                    crate::scenario::io_reason(&e)
                ),
            )
        };
        w.write_all(bytes).map_err(named)
    }

    fn row(&mut self, arm: usize, r: &RunStats) -> std::io::Result<()> {
        // Only reached when a caller does not use the formatter: the same bytes, one row.
        let mut bytes = Vec::new();
        runs_row(r, &mut bytes);
        self.formatted(arm, &bytes)
    }

    fn traced(
        &mut self,
        arm: usize,
        replicate: u64,
        events: &[Event],
        trajectory: &[WeekPoint],
    ) -> std::io::Result<()> {
        Story::keep_first(&mut self.stories[arm], replicate, events, trajectory);
        let root = &self.root;
        let f = &mut self.arms[arm];
        let p = &f.arm.params;
        for e in events {
            let side = e.side.map_or("", |s| p.sides[s as usize].key.as_str());
            let faction = match (e.side, e.faction) {
                (Some(s), Some(k)) => p.sides[s as usize]
                    .factions
                    .get(k as usize)
                    .map_or("", |fp| fp.name.as_str()),
                _ => "",
            };
            let channel = e
                .channel
                .and_then(|c| p.channels.get(c as usize))
                .map_or("", |c| c.channel.name.as_str());
            let note = e
                .calendar
                .and_then(|c| f.scenario.calendar.get(c as usize))
                .map_or("", |c| c.note.as_str());
            f.events
                .write_record([
                    replicate.to_string().as_str(),
                    &e.week.to_string(),
                    &p.date_of(e.week).to_string(),
                    side,
                    faction,
                    channel,
                    &p.names.event(e.kind.name(), e.side.map(usize::from)),
                    &num(e.size, 4),
                    note,
                ])
                .map_err(|e| io_err(root, &format!("{}events.csv", f.prefix), e))?;
        }
        Ok(())
    }
}

/// Writes timeseries.csv of arm `a`.
pub fn write_timeseries(
    out: &mut OutputDir,
    rel: &str,
    agg: &Aggregate,
    a: usize,
    arm: &Arm,
) -> Result<(), OutputError> {
    let mut header = vec!["week".to_string(), "date".to_string()];
    for (k, s) in WEEKLY_SERIES.iter().enumerate() {
        let s = arm.params.names.column(s);
        header.push(format!("{s}_mean"));
        if k < WEEKLY_QUANTILED {
            for q in QUANTILES {
                header.push(format!("{s}_p{:02}", (q * 100.0).round() as u32));
            }
        }
    }
    header.extend(["share_truce", "share_escalation", "share_neither"].map(String::from));
    let mut c = open_csv(out, rel, &header)?;
    let w = &agg.arms[a].weekly;
    let n = w.n.max(1) as f64;
    for t in 0..w.weeks {
        let mut rec = vec![t.to_string(), arm.params.date_of(t as u32).to_string()];
        for k in 0..WEEKLY_SERIES.len() {
            let dec = if k >= 4 { 6 } else { 4 };
            rec.push(num(
                crate::analysis::stats::from_fixed(w.sums[t * 6 + k]) / n,
                dec,
            ));
            if k < WEEKLY_QUANTILED {
                for q in QUANTILES {
                    rec.push(opt(w.hists[t * 4 + k].quantile(q), 4));
                }
            }
        }
        let r = &w.regimes[t * 3..t * 3 + 3];
        // Regime indices: 0 neither, 1 truce, 2 escalation.
        rec.push(num(r[1] as f64 / n, 6));
        rec.push(num(r[2] as f64 / n, 6));
        rec.push(num(r[0] as f64 / n, 6));
        c.write_record(&rec).map_err(|e| csv_err(out, rel, e))?;
    }
    close_csv(out, rel, c)
}

/// The duration series of summary.csv and comparison.csv (named by `summary::km_names`), and
/// what the median and the restricted mean mean for the reader.
const DURATIONS: [(Durations, &str, &str); 3] = [
    (
        Durations::TruceStrict,
        "median truce length in weeks; empty upper limit: not reached within the horizon",
        "mean truce length over a truce's first weeks (restricted mean)",
    ),
    (
        Durations::TruceTariff,
        "median truce length, tariff rule",
        "restricted mean truce length, tariff rule",
    ),
    (
        Durations::DurableDeal,
        "median weeks to the first durable deal; empty: not reached",
        "mean weeks to the first durable deal, counting none as the window's length",
    ),
];

fn km_of(s: &ArmSummary, which: Durations) -> &KmSummary {
    match which {
        Durations::TruceStrict => &s.truce_strict,
        Durations::TruceTariff => &s.truce_tariff,
        Durations::DurableDeal => &s.durable,
    }
}

/// The two rows (median, RMST) of one duration series: name, estimate, n, method, description
/// (the RMST's with its restriction time).
fn km_rows<'a>(
    (which, median_desc, rmst_desc): (Durations, &'static str, &'static str),
    k: &'a KmSummary,
    words: &Names,
) -> [(String, &'a Estimate, u64, &'static str, String); 2] {
    let names = summary::km_names(which);
    [
        (
            words.column(names.median).into_owned(),
            &k.median,
            k.n,
            KM_MEDIAN_METHOD,
            words.describe(names.median, median_desc).into_owned(),
        ),
        (
            words.column(names.rmst).into_owned(),
            &k.rmst,
            k.rmst_n,
            rmst_method(which),
            format!(
                "{}, restricted to {} weeks",
                words.describe(names.rmst, rmst_desc),
                k.tau
            ),
        ),
    ]
}

/// Writes summary.csv of one arm.
pub fn write_summary(
    out: &mut OutputDir,
    rel: &str,
    s: &ArmSummary,
    names: &Names,
) -> Result<(), OutputError> {
    let header = [
        "metric",
        "mean",
        "ci_low",
        "ci_high",
        "median",
        "sd",
        "n",
        "method",
        "description",
    ]
    .map(String::from);
    let mut c = open_csv(out, rel, &header)?;
    for m in &s.metrics {
        let d = decimals(m.metric.kind).max(4);
        c.write_record([
            names.column(m.metric.name).into_owned(),
            num(m.mean, 6),
            opt(m.ci.map(|x| x.0), 6),
            opt(m.ci.map(|x| x.1), 6),
            opt(m.median, d),
            num(m.sd, 6),
            m.n.to_string(),
            m.method.to_string(),
            names
                .describe(m.metric.name, m.metric.description)
                .into_owned(),
        ])
        .map_err(|e| csv_err(out, rel, e))?;
    }
    for d in DURATIONS {
        for (metric, e, n, method, desc) in km_rows(d, km_of(s, d.0), names) {
            c.write_record([
                metric,
                opt(e.value, 4),
                opt(e.lo, 4),
                opt(e.hi, 4),
                String::new(),
                String::new(),
                n.to_string(),
                method.to_string(),
                desc.to_string(),
            ])
            .map_err(|e| csv_err(out, rel, e))?;
        }
    }
    close_csv(out, rel, c)
}

/// How every KM median in the CSVs is computed (one text, so summary.csv and comparison.csv agree).
const KM_MEDIAN_METHOD: &str = "kaplan-meier median interpolated between weeks; interval: pointwise grouped-jackknife band inverted at 0.5; difference: grouped jackknife of the same interpolated medians";

/// How an RMST row is computed: which spells it counts.
fn rmst_method(which: Durations) -> &'static str {
    match which {
        Durations::DurableDeal => {
            "restricted mean of weeks to the first durable deal over every replicate (none reached: counted at the window's end); grouped jackknife"
        }
        _ => {
            "restricted mean survival time over the truces that started at least the window before the horizon (none censored within it); grouped jackknife"
        }
    }
}

/// Writes comparison.csv: every metric of every arm with its interval and, for arms after the
/// baseline, the paired difference with its interval and p-value.
// long: one block of columns per metric kind of comparison.csv, in column order.
pub fn write_comparison(
    out: &mut OutputDir,
    rel: &str,
    agg: &Aggregate,
    arms: &[Arm],
    sums: &[ArmSummary],
) -> Result<(), OutputError> {
    let header = [
        "metric",
        "arm",
        "estimate",
        "ci_low",
        "ci_high",
        "diff_vs_baseline",
        "diff_ci_low",
        "diff_ci_high",
        "p_value",
        "n",
        "method",
    ]
    .map(String::from);
    let mut c = open_csv(out, rel, &header)?;
    let put =
        |c: &mut Csv, rec: [String; 11]| c.write_record(&rec).map_err(|e| csv_err(out, rel, e));
    for (k, m) in METRICS.iter().enumerate() {
        for (a, arm) in arms.iter().enumerate() {
            let s = &sums[a].metrics[k];
            let (diff, method) = if a == 0 {
                (Estimate::NONE, s.method.to_string())
            } else if m.id.censored_time() {
                (
                    Estimate::NONE,
                    format!(
                        "{}, over replicates reaching it; difference: none (a censored time: see the kaplan-meier rows)",
                        s.method
                    ),
                )
            } else {
                let d = summary::metric_difference(agg, a, k);
                (d.est, format!("{}; difference: {}", s.method, d.method))
            };
            put(
                &mut c,
                [
                    arm.params.names.column(m.name).into_owned(),
                    arm.name.clone(),
                    num(s.mean, 6),
                    opt(s.ci.map(|x| x.0), 6),
                    opt(s.ci.map(|x| x.1), 6),
                    opt(diff.value, 6),
                    opt(diff.lo, 6),
                    opt(diff.hi, 6),
                    opt(diff.p, 6),
                    s.n.to_string(),
                    method,
                ],
            )?;
        }
    }
    for d in DURATIONS {
        for (a, arm) in arms.iter().enumerate() {
            let (dr, dm) = if a == 0 {
                (Estimate::NONE, Estimate::NONE)
            } else {
                summary::km_difference(agg, a, d.0)
            };
            for ((metric, e, n, method, _), diff) in
                km_rows(d, km_of(&sums[a], d.0), &arms[a].params.names)
                    .into_iter()
                    .zip([dm, dr])
            {
                put(
                    &mut c,
                    [
                        metric,
                        arm.name.clone(),
                        opt(e.value, 4),
                        opt(e.lo, 4),
                        opt(e.hi, 4),
                        opt(diff.value, 4),
                        opt(diff.lo, 4),
                        opt(diff.hi, 4),
                        opt(diff.p, 6),
                        n.to_string(),
                        method.into(),
                    ],
                )?;
            }
        }
    }
    close_csv(out, rel, c)
}
