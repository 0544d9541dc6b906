//! CALIB.toml: which parameters to calibrate (with priors), against which targets, and how.
//! Read with the scenario reader, so errors name file, line, column and key.

use std::path::{Path, PathBuf};

use crate::data::BuiltInRecord;
use crate::scenario::date::Date;
use crate::scenario::diag::closest;
use crate::scenario::read::Bounds::{AtLeast, Closed};
use crate::scenario::read::{Bounds, Cx, NumSpec, Obj};
use crate::scenario::template::Template;
use crate::scenario::{LoadError, Text, tree};

use super::history::STATISTICS;

pub use crate::scenario::uncertain::Prior;

/// A calibrated parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Dotted path in the scenario.
    pub path: String,
    /// Prior.
    pub prior: Prior,
    /// The one record it belongs to (a setting of that period), or `None`: shared by every
    /// record (a behavioural constant).
    pub record: Option<usize>,
}

/// What a target compares.
#[derive(Clone, Debug, PartialEq)]
pub enum TargetKind {
    /// A cycle statistic (index into [`STATISTICS`]).
    Statistic(usize),
    /// A side's average tariff at a date.
    Tariff {
        /// Side index.
        side: usize,
        /// The side's key in the record's scenario (for names).
        key: String,
        /// Date.
        date: Date,
    },
}

/// A target with its distance scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The record it belongs to.
    pub record: usize,
    /// What is compared.
    pub kind: TargetKind,
    /// Scale: the difference that counts as one unit of distance.
    pub scale: f64,
    /// Last day of the window a statistic is computed over (default: the record's end).
    pub to: Option<Date>,
    /// An observed value given in the config (for readings the data files lack), with its note.
    pub observed: Option<(f64, String)>,
}

impl Target {
    /// Name for tables and CSV columns (without the record).
    pub fn name(&self) -> String {
        match &self.kind {
            TargetKind::Statistic(k) => match self.to {
                Some(d) => format!("{}_to_{d}", STATISTICS[*k].name),
                None => STATISTICS[*k].name.to_string(),
            },
            TargetKind::Tariff { key, date, .. } => format!("tariff_{key}_{date}"),
        }
    }

    /// Whether the statistic counts whole events (mid-rank percentiles).
    pub fn discrete(&self) -> bool {
        match self.kind {
            TargetKind::Statistic(k) => STATISTICS[k].discrete,
            TargetKind::Tariff { .. } => false,
        }
    }
}

/// Whether `name` can be a file-name component as it is: letters, digits, '_' or '-'.
fn is_file_stem(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The file stem of `path` made safe as a file-name component: every other character becomes
/// '_' (output files are named after record scenarios and carried scenarios).
pub fn file_stem_of(path: &Path, fallback: &str) -> String {
    path.file_stem()
        .map_or_else(|| fallback.into(), |s| s.to_string_lossy().into_owned())
        .chars()
        .map(|c| if is_file_stem(&c.to_string()) { c } else { '_' })
        .collect()
}

/// One record of a calibration: a period's scenario and its data.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Name.
    pub name: String,
    /// The period's scenario file.
    pub scenario: PathBuf,
    /// Built-in data (used for what no file gives).
    pub data: BuiltInRecord,
    /// Event file.
    pub events: Option<PathBuf>,
    /// Tariff file.
    pub tariffs: Option<PathBuf>,
    /// Threats table (default: the built-in table of both records).
    pub threats: Option<PathBuf>,
    /// Last day of the record's window for statistics (default: the scenario's last day).
    pub to: Option<Date>,
}

/// An intervention whose effect is computed under prior and posterior draws (`[effect]`).
#[derive(Clone, Debug, PartialEq)]
pub struct EffectSpec {
    /// The base scenario.
    pub base: PathBuf,
    /// The intervention's overlay.
    pub overlay: PathBuf,
    /// Metric (index into `ensemble::record::METRICS`).
    pub metric: usize,
    /// Parameter draws from the prior and from the posterior, each.
    pub draws: usize,
    /// Paired replicates per draw.
    pub runs: u64,
}

/// A whole calibration configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The effect to track, if any.
    pub effect: Option<EffectSpec>,
    /// Further scenarios that receive the shared constants' posterior medians (`[[carry]]`).
    pub carry: Vec<PathBuf>,
    /// The records (one when the config has no `[[records]]`: the command line's scenario).
    pub records: Vec<Record>,
    /// Particles per generation.
    pub particles: usize,
    /// Generations after the prior one.
    pub generations: usize,
    /// Replicates simulated per particle.
    pub replicates: u64,
    /// Fraction of the effective sample size kept each time the tolerance is lowered.
    pub keep: f64,
    /// Metropolis–Hastings moves per particle per generation.
    pub moves: usize,
    /// Stop when fewer than this share of moves is accepted.
    pub min_acceptance: f64,
    /// Seed.
    pub seed: u64,
    /// Calibrated parameters.
    pub parameters: Vec<Parameter>,
    /// Targets.
    pub targets: Vec<Target>,
}

const fn spec(
    key: &'static str,
    default: Option<f64>,
    bounds: Bounds,
    doc: &'static str,
) -> NumSpec<'static> {
    NumSpec {
        key,
        default,
        bounds,
        unit: "",
        doc,
    }
}

/// Reads CALIB.toml. Without `[[records]]` it calibrates the one scenario `single` (the command
/// line's) against `[data]` (default: the built-in first-term record); with `[[records]]`, each
/// record names its scenario (relative to the config file) and its built-in data, and targets and
/// period-specific parameters name their record. Parameter paths are checked against the
/// scenario of every record they apply to. Returns the config and the records' templates.
// long: a declarative reader: one key of CALIB.toml per few lines, each with its error; splitting would scatter the format.
pub fn load(path: &Path, single: Option<&Path>) -> Result<(Config, Vec<Template>), LoadError> {
    let text = Text::read(path, "calibration config")?;
    let mut sources = tree::Sources::default();
    let mut cx = Cx::default();
    let id = sources.add(&text.path, &text.text);
    let root = tree::parse(&text.text, id, &mut cx.diags);
    if !cx.diags.is_empty() {
        return Err(LoadError::render(&sources, cx.diags));
    }
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut top = Obj::new(&mut cx, &root, "");
    let file = |s: Option<String>| {
        s.map(|p| {
            if Path::new(&p).is_absolute() {
                PathBuf::from(p)
            } else {
                base_dir.join(p)
            }
        })
    };
    const DATA: [&str; 2] = ["first_term", "second_term"];
    let built_in = |k: usize| {
        if k == 0 {
            BuiltInRecord::FirstTerm
        } else {
            BuiltInRecord::SecondTerm
        }
    };
    let mut records: Vec<Record> = Vec::new();
    let has_records = top.has("records");
    if has_records {
        for mut r in top.tables(&mut cx, "records") {
            let origin = r.origin();
            let item = r.path().to_string();
            let name = r.string(&mut cx, "name", true).unwrap_or_default();
            let scenario = file(r.string(&mut cx, "scenario", true));
            let data = r.choice(
                &mut cx,
                "data",
                &DATA,
                Some(0),
                "Built-in data of the record",
            );
            let events = file(r.string(&mut cx, "events", false));
            let tariffs = file(r.string(&mut cx, "tariffs", false));
            let threats = file(r.string(&mut cx, "threats", false));
            let to = r.date(&mut cx, "to", false).map(|d| d.0);
            r.finish(&mut cx);
            if !is_file_stem(&name) {
                cx.error(
                    origin,
                    &format!("{item}.name"),
                    format!("record name '{name}' must be letters, digits, '_' or '-' (it names output files)"),
                );
                continue;
            }
            if records.iter().any(|x| x.name == name) {
                cx.error(origin, &item, format!("record '{name}' is listed twice"));
                continue;
            }
            if let Some(scenario) = scenario {
                records.push(Record {
                    name,
                    scenario,
                    data: built_in(data),
                    events,
                    tariffs,
                    threats,
                    to,
                });
            }
        }
        if single.is_some() {
            cx.error(
                top.origin(),
                "records",
                "this config names its records' scenarios; drop the SCENARIO argument",
            );
        }
    } else {
        let mut data = top.table(&mut cx, "data");
        let events = file(data.string(&mut cx, "events", false));
        let tariffs = file(data.string(&mut cx, "tariffs", false));
        let threats = file(data.string(&mut cx, "threats", false));
        data.finish(&mut cx);
        match single {
            Some(sc) => records.push(Record {
                name: file_stem_of(sc, "record"),
                scenario: sc.to_path_buf(),
                data: BuiltInRecord::FirstTerm,
                events,
                tariffs,
                threats,
                to: None,
            }),
            None => cx.error(
                top.origin(),
                "records",
                "give a SCENARIO argument, or name the records in the config ([[records]] name = ..., scenario = ...)",
            ),
        }
    }
    // The records' scenarios, loaded once (their errors name their own files).
    let mut templates = Vec::with_capacity(records.len());
    for r in &records {
        let t = Text::read(&r.scenario, "scenario")?;
        templates.push(Template::new(&t, &[])?);
    }
    let record_index = |cx: &mut Cx, o: &mut Obj<'_>| -> Option<Option<usize>> {
        let origin = o.origin();
        let item = o.path().to_string();
        match o.string(cx, "record", false) {
            None => Some(None),
            Some(n) => match records.iter().position(|r| r.name == n) {
                Some(i) => Some(Some(i)),
                None => {
                    cx.error(
                        origin,
                        &format!("{item}.record"),
                        format!(
                            "unknown record '{n}'; the config names: {}",
                            records
                                .iter()
                                .map(|r| r.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    None
                }
            },
        }
    };
    let effect = if top.has("effect") {
        let mut e = top.table(&mut cx, "effect");
        let origin = e.origin();
        let base = file(e.string(&mut cx, "base", true));
        let overlay = file(e.string(&mut cx, "with", true));
        let metric_name = e
            .string(&mut cx, "metric", false)
            .unwrap_or_else(|| "share_truce".into());
        let draws = e.int(
            &mut cx,
            "draws",
            Some(100),
            2,
            100_000,
            "Parameter draws from the prior and the posterior, each",
        ) as usize;
        let runs = e.int(
            &mut cx,
            "runs",
            Some(200),
            1,
            1_000_000,
            "Paired replicates per draw",
        ) as u64;
        e.finish(&mut cx);
        let metrics = crate::ensemble::record::METRICS;
        match metrics.iter().position(|m| m.name == metric_name) {
            Some(metric) => base.zip(overlay).map(|(base, overlay)| EffectSpec {
                base,
                overlay,
                metric,
                draws,
                runs,
            }),
            None => {
                let hint = closest(&metric_name, metrics.iter().map(|m| m.name))
                    .map(|c| format!(" (did you mean '{c}'?)"))
                    .unwrap_or_default();
                cx.error(
                    origin,
                    "effect.metric",
                    format!("unknown metric '{metric_name}'{hint}"),
                );
                None
            }
        }
    } else {
        None
    };
    let mut carry = Vec::new();
    for mut c in top.tables(&mut cx, "carry") {
        if let Some(p) = file(c.string(&mut cx, "scenario", true)) {
            carry.push(p);
        }
        c.finish(&mut cx);
    }
    let mut abc = top.table(&mut cx, "abc");
    let particles = abc.int(
        &mut cx,
        "particles",
        Some(200),
        10,
        100_000,
        "Particles per generation",
    ) as usize;
    let generations = abc.int(
        &mut cx,
        "generations",
        Some(15),
        1,
        1000,
        "Generations after the prior",
    ) as usize;
    let replicates = abc.int(
        &mut cx,
        "replicates",
        Some(20),
        1,
        100_000,
        "Replicates per particle",
    ) as u64;
    let keep = abc.num(
        &mut cx,
        &spec(
            "keep",
            Some(0.7),
            Closed(0.05, 0.99),
            "Fraction of the effective sample size kept when the tolerance is lowered",
        ),
    );
    let moves = abc.int(
        &mut cx,
        "moves",
        Some(2),
        1,
        100,
        "Metropolis-Hastings moves per particle per generation",
    ) as usize;
    let min_acceptance = abc.num(
        &mut cx,
        &spec(
            "min_acceptance",
            Some(0.03),
            Closed(0.0, 1.0),
            "Stop when fewer moves than this share are accepted",
        ),
    );
    let seed = abc.int(&mut cx, "seed", Some(1), 0, i64::MAX, "Seed") as u64;
    abc.finish(&mut cx);
    let mut parameters = Vec::new();
    for mut p in top.tables(&mut cx, "parameters") {
        let ppath = p.string(&mut cx, "path", true).unwrap_or_default();
        let record = record_index(&mut cx, &mut p);
        let kind = p.choice(
            &mut cx,
            "prior",
            &["uniform", "log-uniform", "beta"],
            None,
            "Prior family",
        );
        let lo = p.num(
            &mut cx,
            &spec("low", None, Closed(-1e6, 1e6), "Lower bound"),
        );
        let hi = p.num(
            &mut cx,
            &spec("high", None, Closed(-1e6, 1e6), "Upper bound"),
        );
        let (alpha, beta) = if kind == 2 {
            (
                p.num(
                    &mut cx,
                    &spec("alpha", None, AtLeast(1e-3), "Beta shape alpha"),
                ),
                p.num(
                    &mut cx,
                    &spec("beta", None, AtLeast(1e-3), "Beta shape beta"),
                ),
            )
        } else {
            (1.0, 1.0)
        };
        let origin = p.origin();
        let item = p.path().to_string();
        p.finish(&mut cx);
        let Some(record) = record else { continue };
        if lo >= hi {
            cx.error(
                origin,
                &item,
                format!("prior bounds reversed or empty: low = {lo} must be below high = {hi}"),
            );
            continue;
        }
        if kind == 1 && lo <= 0.0 {
            cx.error(
                origin,
                &item,
                format!("a log-uniform prior needs low > 0, found {lo}"),
            );
            continue;
        }
        let applies: Vec<usize> = match record {
            Some(r) => vec![r],
            None => (0..templates.len()).collect(),
        };
        let mut ok = true;
        for &r in &applies {
            let template = &templates[r];
            let whose = if templates.len() > 1 {
                format!(" (record '{}')", records[r].name)
            } else {
                String::new()
            };
            if let Err(m) = template.check_path(&ppath) {
                cx.error(origin, &format!("{item}.path"), format!("{m}{whose}"));
                ok = false;
                break;
            }
            if let Err(e) = template
                .instantiate(&[(&ppath, lo), (&ppath, hi)])
                .and_then(|_| template.instantiate(&[(&ppath, lo)]))
            {
                cx.error(
                    origin,
                    &item,
                    format!(
                        "the prior's range [{lo}, {hi}] leaves the parameter's allowed range{whose}: {}",
                        e.lines.join("; ")
                    ),
                );
                ok = false;
                break;
            }
        }
        if !ok {
            continue;
        }
        if parameters.iter().any(|q: &Parameter| {
            q.path == ppath && (q.record.is_none() || record.is_none() || q.record == record)
        }) {
            cx.error(origin, &item, format!("'{ppath}' is listed twice"));
            continue;
        }
        let prior = match kind {
            0 => Prior::Uniform { lo, hi },
            1 => Prior::LogUniform { lo, hi },
            _ => Prior::Beta {
                alpha,
                beta,
                lo,
                hi,
            },
        };
        parameters.push(Parameter {
            path: ppath,
            prior,
            record,
        });
    }
    if parameters.is_empty() {
        cx.error(top.origin(), "parameters", "name at least one parameter to calibrate ([[parameters]] path = ..., prior = ..., low = ..., high = ...)");
    }
    let mut targets = Vec::new();
    for mut t in top.tables(&mut cx, "targets") {
        let origin = t.origin();
        let item = t.path().to_string();
        let record = record_index(&mut cx, &mut t);
        let statistic = t.string(&mut cx, "statistic", false);
        // The sides of the target's record (the first record's when it names none).
        let keys = record
            .flatten()
            .or((!templates.is_empty()).then_some(0))
            .map(|r| {
                templates[r]
                    .base
                    .scenario
                    .sides
                    .clone()
                    .map(|s| s.naming.key)
            })
            .unwrap_or_else(|| crate::scenario::US_CHINA.map(String::from));
        let side = if t.has("tariff") {
            let i = t.choice(
                &mut cx,
                "tariff",
                &[keys[0].as_str(), keys[1].as_str()],
                None,
                "Side whose tariff is a target",
            );
            Some((i, keys[i].clone()))
        } else {
            None
        };
        let date = t.date(&mut cx, "date", side.is_some());
        let to = t.date(&mut cx, "to", false).map(|d| d.0);
        let observed = if t.has("observed") {
            Some(t.num(
                &mut cx,
                &spec(
                    "observed",
                    None,
                    Closed(-1e9, 1e9),
                    "Observed value given here (for a reading the data files lack)",
                ),
            ))
        } else {
            None
        };
        let note = t.string(&mut cx, "note", false).unwrap_or_default();
        let scale = t.num(
            &mut cx,
            &spec(
                "scale",
                None,
                Closed(1e-9, 1e9),
                "Difference that counts as one unit of distance",
            ),
        );
        t.finish(&mut cx);
        let Some(record) = record else { continue };
        let record = match (record, records.len()) {
            (Some(r), _) => r,
            (None, 1) => 0,
            (None, _) => {
                cx.error(
                    origin,
                    &item,
                    "with several records, every target names its record (record = \"...\")",
                );
                continue;
            }
        };
        if observed.is_some() && note.trim().is_empty() {
            cx.error(
                origin,
                &format!("{item}.observed"),
                "an observed value given in the config needs a note saying where it comes from",
            );
            continue;
        }
        let kind = match (statistic, side, date) {
            (Some(name), None, None) => match STATISTICS.iter().position(|s| s.name == name) {
                Some(k) => TargetKind::Statistic(k),
                None => {
                    let hint = closest(&name, STATISTICS.iter().map(|s| s.name))
                        .map(|c| format!(" (did you mean '{c}'?)"))
                        .unwrap_or_default();
                    cx.error(
                        origin,
                        &format!("{item}.statistic"),
                        format!(
                            "unknown statistic '{name}'{hint}; expected one of: {}",
                            STATISTICS
                                .iter()
                                .map(|s| s.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    continue;
                }
            },
            (None, Some((side, key)), Some((date, _))) => TargetKind::Tariff { side, key, date },
            _ => {
                cx.error(
                    origin,
                    &item,
                    "a target is either statistic = \"...\" or tariff = \"us\"|\"cn\" with a date",
                );
                continue;
            }
        };
        if to.is_some() && matches!(kind, TargetKind::Tariff { .. }) {
            cx.error(
                origin,
                &format!("{item}.to"),
                "a tariff target is read at its date; `to` applies to statistics",
            );
            continue;
        }
        let to = match kind {
            TargetKind::Statistic(_) => to.or(records[record].to),
            TargetKind::Tariff { .. } => None,
        };
        targets.push(Target {
            record,
            kind,
            scale,
            to,
            observed: observed.map(|v| (v, note)),
        });
    }
    if targets.is_empty() {
        cx.error(
            top.origin(),
            "targets",
            "name at least one target ([[targets]] statistic = \"share_truce\", scale = 0.1)",
        );
    }
    top.finish(&mut cx);
    if !cx.diags.is_empty() {
        return Err(LoadError::render(&sources, cx.diags));
    }
    Ok((
        Config {
            effect,
            carry,
            records,
            particles,
            generations,
            replicates,
            keep,
            moves,
            min_acceptance,
            seed,
            parameters,
            targets,
        },
        templates,
    ))
}
