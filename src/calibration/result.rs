//! A calibration from its config to its typed result: the real data of every record and the
//! observed value of every target (`prepare`), the ABC-SMC posterior, its summaries, the
//! posterior-predictive check, the tracked effect and the calibrated scenario texts (`run`).
//! `report::calibration` writes the files; nothing here writes.

use crate::analysis::facts::{facts, tariff_at};
use crate::analysis::stats::{crps, mid_rank};
use crate::calibration::abc::{
    self, GenerationLog, Particle, Problem, RecordProblem, Settings, weighted_quantile,
};
use crate::calibration::config::{self, Config, Prior, Record, TargetKind};
use crate::calibration::effect::{self, EffectProblem};
use crate::calibration::history::{HistoryStats, STATISTICS};
use crate::calibration::writer;
use crate::data::{RealEvent, RealThreat, TariffPoint, ThreatKind};
use crate::fmt::num;
use crate::model::rng::{Sequence, mix64};
use crate::scenario::date::Date;
use crate::scenario::template::Template;
use crate::scenario::{EventKind, Scenario, Text};

/// Posterior-predictive draws (one joint history each: a single replicate of every record).
pub const PREDICTIVE_DRAWS: u64 = 1000;

/// How much a record narrows a parameter, from the ratio of its 90% posterior interval to the
/// prior's: below 0.5 "pinned down", below 0.8 "partly", otherwise "weakly". The one rule used by
/// `calibrate`'s output and docs/CALIBRATION.md.
pub fn identification(width_ratio: f64) -> &'static str {
    if width_ratio < 0.5 {
        "pinned down"
    } else if width_ratio < 0.8 {
        "partly"
    } else {
        "weakly"
    }
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A record's real data.
pub struct RealData {
    /// Event list as shown in messages.
    pub events_path: String,
    /// Tariff series as shown in messages.
    pub tariffs_path: String,
    events: Vec<RealEvent>,
    series: Vec<TariffPoint>,
    threats: Vec<RealThreat>,
}

/// The threats-table rows a scenario's calendar stands for: every truce deadline, and each threat
/// or scheduled increase dated as a calendar threat of the same side (the model decides only the
/// threats its calendar holds, so only their real outcomes are comparable).
fn threats_of(sc: &Scenario, all: Vec<RealThreat>) -> Vec<RealThreat> {
    let calendar: Vec<(Date, usize)> = sc
        .calendar
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Threat { side, .. } => Some((e.date, side)),
            _ => None,
        })
        .collect();
    all.into_iter()
        .filter(|t| {
            t.kind == ThreatKind::Deadline
                || calendar
                    .iter()
                    .any(|&(d, side)| d == t.date && t.actor.involves(side))
        })
        .collect()
}

fn real_data(r: &Record, sc: &Scenario) -> Result<RealData, String> {
    let v = crate::data::Vocabulary::of(sc);
    let rec = crate::data::read_record((&r.events, &r.tariffs, &r.threats), r.data, &v)?;
    Ok(RealData {
        events: rec.events.1,
        series: rec.tariffs.1,
        threats: threats_of(sc, rec.threats.1),
        events_path: rec.events.0,
        tariffs_path: rec.tariffs.0,
    })
}

/// Highest reading of a side in `[from, to]`, counting the level in force at `from`.
fn real_peak(series: &[TariffPoint], side: usize, from: Date, to: Date) -> Option<f64> {
    let at_start = tariff_at(series, side, from);
    series
        .iter()
        .filter(|p| p.date >= from && p.date <= to)
        .filter_map(|p| if side == 0 { p.us } else { p.cn })
        .chain(at_start)
        .reduce(f64::max)
}

/// The observed value of a window statistic of a record.
fn observed_statistic(
    k: usize,
    sc: &Scenario,
    d: &RealData,
    to: Date,
    label: &str,
) -> Result<f64, String> {
    let start = sc.meta.start;
    // A record that ends before the scenario starts says nothing about its window: the state at
    // its last event would be read as holding throughout (a share in truce of 1, say).
    if let Some(last) = d.events.iter().map(|e| e.date).max()
        && last < start
    {
        return Err(format!(
            "{label}: {} ends on {last}, before the scenario's start {start}, so it says nothing about {start} .. {to}; calibrate a scenario of the record's own period (its [meta] start and weeks), or give `observed = ...` with a note",
            d.events_path
        ));
    }
    let durable = sc.behaviour.observation.durable_weeks.ceil() as u32;
    let f = facts(
        &d.events,
        &d.threats,
        start,
        to,
        durable,
        sc.agreement.as_ref().map(|a| a.scope),
    );
    let stats = HistoryStats {
        cycle: f.summary,
        outcomes: f.outcomes,
        peak: [0, 1].map(|s| real_peak(&d.series, s, start, to).unwrap_or(f64::NAN)),
    };
    match (STATISTICS[k].get)(&stats) {
        Some(v) if v.is_finite() => Ok(v),
        _ => Err(format!(
            "{label}: the record gives no value for it in {start} .. {to} (no events to take a share of, or no tariff reading); give `observed = ...` with a note, or drop it"
        )),
    }
}

/// The observed value of every target.
fn observed_values(
    cfg: &Config,
    templates: &[Template],
    data: &[RealData],
) -> Result<Vec<f64>, String> {
    let mut observed = Vec::new();
    for t in &cfg.targets {
        let rec = &cfg.records[t.record];
        let sc = &templates[t.record].base.scenario;
        let (start, weeks) = (sc.meta.start, sc.meta.weeks);
        let end = start.add_days(7 * i64::from(weeks) - 1);
        let d = &data[t.record];
        let label = format!("target {} of record '{}'", t.name(), rec.name);
        if let Some((v, _)) = &t.observed {
            observed.push(*v);
            continue;
        }
        observed.push(match &t.kind {
            TargetKind::Statistic(k) => {
                let to = t.to.unwrap_or(end);
                if to < start || to > end {
                    return Err(format!(
                        "{label}: its window end {to} is outside the scenario's period {start} .. {end}"
                    ));
                }
                observed_statistic(*k, sc, d, to, &label)?
            }
            TargetKind::Tariff { side, date, .. } => {
                if *date < start || *date > end {
                    return Err(format!(
                        "{label}: {date} is outside the scenario's period {start} .. {end}"
                    ));
                }
                tariff_at(&d.series, *side, *date).ok_or_else(|| {
                    format!(
                        "{label}: {} has no reading at or before {date}",
                        d.tariffs_path
                    )
                })?
            }
        });
    }
    Ok(observed)
}

/// A calibration ready to run: its config, scenario templates, real data and observed values.
pub struct Prepared {
    /// The config.
    pub cfg: Config,
    /// One template per record.
    pub templates: Vec<Template>,
    /// One per record.
    pub data: Vec<RealData>,
    /// One per target.
    pub observed: Vec<f64>,
    /// The run's name: the record's, or the config file's stem for a joint calibration.
    pub run_name: String,
    /// Each record's window, `start .. end`.
    pub windows: Vec<String>,
    /// "record (events, tariffs, window); ..." for notes and headers.
    pub provenance: String,
}

/// Loads the config and the real data, and computes every target's observed value.
pub fn prepare(
    config_path: &std::path::Path,
    scenario: Option<&std::path::Path>,
) -> Result<Prepared, String> {
    let (cfg, templates) = config::load(config_path, scenario).map_err(text)?;
    let data: Vec<RealData> = cfg
        .records
        .iter()
        .zip(&templates)
        .map(|(r, t)| real_data(r, &t.base.scenario))
        .collect::<Result<_, _>>()?;
    let observed = observed_values(&cfg, &templates, &data)?;
    let windows: Vec<String> = cfg
        .records
        .iter()
        .zip(&templates)
        .map(|(c, t)| {
            let m = &t.base.scenario.meta;
            let end =
                c.to.unwrap_or_else(|| m.start.add_days(7 * i64::from(m.weeks) - 1));
            format!("{} .. {end}", m.start)
        })
        .collect();
    let run_name = if cfg.records.len() == 1 {
        cfg.records[0].name.clone()
    } else {
        config_path
            .file_stem()
            .map_or_else(|| "joint".into(), |s| s.to_string_lossy().into_owned())
    };
    let provenance = cfg
        .records
        .iter()
        .zip(&data)
        .zip(&windows)
        .map(|((r, d), w)| format!("{} ({}, {}, {w})", r.name, d.events_path, d.tariffs_path))
        .collect::<Vec<_>>()
        .join("; ");
    Ok(Prepared {
        cfg,
        templates,
        data,
        observed,
        run_name,
        windows,
        provenance,
    })
}

/// A parameter's posterior against its prior.
pub struct ParamSummary {
    /// Dotted path.
    pub path: String,
    /// Record name, or None for a shared constant.
    pub record: Option<String>,
    /// `record:path` for a per-record parameter, else the path.
    pub label: String,
    /// Prior.
    pub prior: Prior,
    /// Weighted posterior median, 5% and 95% quantiles, standard deviation.
    pub median: f64,
    /// 5% quantile.
    pub p05: f64,
    /// 95% quantile.
    pub p95: f64,
    /// Standard deviation.
    pub sd: f64,
    /// 90% posterior width over the prior's.
    pub width_ratio: f64,
    /// [`identification`] of the width ratio.
    pub identified: &'static str,
}

/// A target's posterior-predictive check.
pub struct TargetFit {
    /// Record name.
    pub record: String,
    /// Target name (window included).
    pub target: String,
    /// `record:target` in a joint calibration, else the target.
    pub label: String,
    /// Observed value.
    pub observed: f64,
    /// Scale of its distance.
    pub scale: f64,
    /// Predictive mean, 5% and 95% quantiles.
    pub mean: f64,
    /// 5% quantile.
    pub p05: f64,
    /// 95% quantile.
    pub p95: f64,
    /// Mid-rank percentile of the observed value among the draws.
    pub percentile: f64,
    /// A count (ties are common).
    pub discrete: bool,
    /// Continuous ranked probability score.
    pub crps: f64,
    /// Draws that gave the statistic a value.
    pub defined: usize,
    /// The note of a value given as `observed`.
    pub note: String,
}

/// The tracked effect under prior and posterior draws.
pub struct EffectSummary {
    /// "metric of overlay on base".
    pub what: String,
    /// Draws of each.
    pub draws: usize,
    /// Paired replicates per draw.
    pub runs: u64,
    /// Effects under prior draws.
    pub prior: Vec<f64>,
    /// Effects under posterior draws.
    pub posterior: Vec<f64>,
}

impl EffectSummary {
    /// (5%, 50%, 95%) of a set of effects.
    pub fn band(v: &[f64]) -> (f64, f64, f64) {
        let w = vec![1.0; v.len()];
        (
            weighted_quantile(v, &w, 0.05),
            weighted_quantile(v, &w, 0.5),
            weighted_quantile(v, &w, 0.95),
        )
    }
}

/// Everything a calibration found.
pub struct CalibrationResult {
    /// The final particles.
    pub particles: Vec<Particle>,
    /// One log line per generation.
    pub logs: Vec<GenerationLog>,
    /// Parameter labels (`record:path` or `path`), in config order.
    pub names: Vec<String>,
    /// Target labels, in config order.
    pub targets: Vec<String>,
    /// Posterior summaries, in config order.
    pub params: Vec<ParamSummary>,
    /// Predictive draws: per draw, each target's value (None: undefined in that history).
    pub predictive: Vec<Vec<Option<f64>>>,
    /// Predictive checks, in config order.
    pub fits: Vec<TargetFit>,
    /// Targets whose observed value is outside [2.5, 97.5]% of the predictive draws.
    pub outside95: Vec<String>,
    /// How many are outside [5, 95]%.
    pub outside90: usize,
    /// The tracked effect, if the config asks for one.
    pub effect: Option<EffectSummary>,
    /// Calibrated scenario texts: (file name, text), records first, then carried scenarios.
    pub calibrated: Vec<(String, String)>,
}

impl CalibrationResult {
    /// The weights of the final particles.
    pub fn weights(&self) -> Vec<f64> {
        self.particles.iter().map(|p| p.weight).collect()
    }
}

/// Draws `PREDICTIVE_DRAWS` joint histories, each under a particle drawn by weight.
fn predictive(
    p: &Prepared,
    problem: &Problem<'_>,
    particles: &[Particle],
    threads: usize,
) -> Result<Vec<Vec<Option<f64>>>, String> {
    use rayon::prelude::*;
    let cumulative: Vec<f64> = particles
        .iter()
        .scan(0.0, |a, q| {
            *a += q.weight;
            Some(*a)
        })
        .collect();
    let one = Problem {
        records: problem.records.clone(),
        replicates: 1,
        observed: p.observed.clone(),
        ..*problem
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(text)?;
    let seed = p.cfg.seed;
    Ok(pool.install(|| {
        (0..PREDICTIVE_DRAWS)
            .into_par_iter()
            .filter_map(|i| {
                let s = mix64(seed ^ 0x5050_0000 ^ i);
                let u = Sequence::new(s).uniform();
                let j = cumulative
                    .partition_point(|&c| c <= u)
                    .min(particles.len() - 1);
                one.simulate(&particles[j].theta, mix64(s))
                    .ok()
                    .and_then(|h| h.into_iter().next())
            })
            .collect()
    }))
}

/// Each parameter's posterior summary against its prior.
fn summaries(p: &Prepared, particles: &[Particle], names: &[String]) -> Vec<ParamSummary> {
    let weights: Vec<f64> = particles.iter().map(|q| q.weight).collect();
    p.cfg
        .parameters
        .iter()
        .enumerate()
        .map(|(k, par)| {
            let vals: Vec<f64> = particles.iter().map(|q| q.theta[k]).collect();
            let (median, p05, p95) = (
                weighted_quantile(&vals, &weights, 0.5),
                weighted_quantile(&vals, &weights, 0.05),
                weighted_quantile(&vals, &weights, 0.95),
            );
            let mean: f64 = vals.iter().zip(&weights).map(|(v, w)| v * w).sum();
            let sd = vals
                .iter()
                .zip(&weights)
                .map(|(v, w)| w * (v - mean).powi(2))
                .sum::<f64>()
                .sqrt();
            let (plo, phi) = par.prior.bounds();
            let width_ratio = (p95 - p05) / (phi - plo);
            ParamSummary {
                path: par.path.clone(),
                record: par.record.map(|r| p.cfg.records[r].name.clone()),
                label: names[k].clone(),
                prior: par.prior,
                median,
                p05,
                p95,
                sd,
                width_ratio,
                identified: identification(width_ratio),
            }
        })
        .collect()
}

/// Every target's observed value among the predictive draws.
fn fits(p: &Prepared, predictive: &[Vec<Option<f64>>], labels: &[String]) -> Vec<TargetFit> {
    p.cfg
        .targets
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let vals: Vec<f64> = predictive.iter().filter_map(|v| v[k]).collect();
            let ones = vec![1.0; vals.len()];
            let obs = p.observed[k];
            TargetFit {
                record: p.cfg.records[t.record].name.clone(),
                target: t.name(),
                label: labels[k].clone(),
                observed: obs,
                scale: t.scale,
                mean: vals.iter().sum::<f64>() / vals.len().max(1) as f64,
                p05: weighted_quantile(&vals, &ones, 0.05),
                p95: weighted_quantile(&vals, &ones, 0.95),
                // Mid-rank: ties count half, which matters for counts, shares of a few events
                // and values at a ceiling (a tariff at tariff_max); for continuous values it is
                // the plain rank.
                percentile: mid_rank(&vals, obs),
                discrete: t.discrete(),
                crps: crps(&vals, obs),
                defined: vals.len(),
                note: t.observed.as_ref().map_or(String::new(), |o| o.1.clone()),
            }
        })
        .collect()
}

/// The tracked effect under prior and posterior draws, if the config names one.
fn tracked_effect(
    p: &Prepared,
    particles: &[Particle],
    threads: usize,
) -> Result<Option<EffectSummary>, String> {
    let Some(spec) = &p.cfg.effect else {
        return Ok(None);
    };
    let base_text = Text::read(&spec.base, "scenario").map_err(text)?;
    let overlay_text = Text::read(&spec.overlay, "overlay").map_err(text)?;
    let base_t = Template::new(&base_text, &[]).map_err(text)?;
    let arm_t = Template::new(&base_text, &[overlay_text]).map_err(text)?;
    let problem = EffectProblem {
        base: &base_t,
        arm: &arm_t,
        metric: spec.metric,
        runs: spec.runs,
        params: &p.cfg.parameters,
    };
    let (prior, posterior) =
        effect::prior_and_posterior(&problem, particles, spec.draws, p.cfg.seed, threads)?;
    Ok(Some(EffectSummary {
        what: format!(
            "{} of {} on {}",
            crate::ensemble::record::METRICS[spec.metric].name,
            spec.overlay.display(),
            spec.base.display()
        ),
        draws: spec.draws,
        runs: spec.runs,
        prior,
        posterior,
    }))
}

/// The calibrated scenario texts: each record's scenario with its posterior medians, then each
/// carried scenario with the shared ones.
fn calibrated_texts(
    p: &Prepared,
    params: &[ParamSummary],
    generations: usize,
) -> Result<Vec<(String, String)>, String> {
    let cfg = &p.cfg;
    let update = |s: &ParamSummary| {
        let note = format!(
            "ABC-SMC posterior median (90% interval {} to {}, {} by the data) on {}; negsim {}",
            num(s.p05, 4),
            num(s.p95, 4),
            s.identified,
            p.provenance,
            env!("CARGO_PKG_VERSION")
        );
        (s.path.clone(), (s.median * 1e6).round() / 1e6, note)
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for (r, rec) in cfg.records.iter().enumerate() {
        let updates: Vec<(String, f64, String)> = cfg
            .parameters
            .iter()
            .zip(params)
            .filter(|(par, _)| par.record.is_none_or(|x| x == r))
            .map(|(_, s)| update(s))
            .collect();
        let base = Text::read(&rec.scenario, "scenario").map_err(text)?;
        let header = format!(
            "{} calibrated by `negsim calibrate` (adaptive ABC-SMC, {} particles, {generations} generations, {} replicates per particle)\nagainst {}. Calibrated values carry source = \"calibration\".",
            p.templates[r].base.scenario.meta.name, cfg.particles, cfg.replicates, p.provenance
        );
        let text_out = writer::calibrated(&base.text, &updates, &header)?;
        // The record name labels the file but cannot choose where it goes (fmt::file_name).
        out.push((
            format!("{}_calibrated.toml", crate::fmt::file_name(&rec.name)),
            text_out,
        ));
    }
    let shared: Vec<(String, f64, String)> = cfg
        .parameters
        .iter()
        .zip(params)
        .filter(|(par, _)| par.record.is_none())
        .map(|(_, s)| update(s))
        .collect();
    for path in &cfg.carry {
        let base = Text::read(path, "scenario").map_err(text)?;
        let header = format!(
            "The shared behavioural constants carry posterior medians of the joint calibration ({}: adaptive ABC-SMC, {} particles, {generations} generations, {} replicates per particle) against {}. Calibrated values carry source = \"calibration\".",
            p.run_name, cfg.particles, cfg.replicates, p.provenance
        );
        // A scenario carried into before keeps one header: the previous one is replaced.
        let body: String = base
            .text
            .split_inclusive('\n')
            .skip_while(|l| l.starts_with("# The shared behavioural constants carry"))
            .collect();
        let calibrated = writer::calibrated(&body, &shared, &header)?;
        let name = format!(
            "{}_calibrated.toml",
            crate::fmt::file_name(&config::file_stem_of(path, "scenario"))
        );
        if out.iter().any(|(n, _)| *n == name) {
            return Err(format!(
                "[[carry]] {}: its output {name} is already written for a record",
                path.display()
            ));
        }
        out.push((name, calibrated));
    }
    Ok(out)
}

/// Parameter labels (`record:path` for a per-record parameter) and target labels (`record:target`
/// in a joint calibration).
fn labels(cfg: &Config) -> (Vec<String>, Vec<String>) {
    let single = cfg.records.len() == 1;
    let names = cfg
        .parameters
        .iter()
        .map(|par| match par.record {
            Some(r) => format!("{}:{}", cfg.records[r].name, par.path),
            None => par.path.clone(),
        })
        .collect();
    let targets = cfg
        .targets
        .iter()
        .map(|t| {
            if single {
                t.name()
            } else {
                format!("{}:{}", cfg.records[t.record].name, t.name())
            }
        })
        .collect();
    (names, targets)
}

/// Runs the calibration: ABC-SMC, then the summaries, the predictive check, the tracked effect
/// and the calibrated texts. `progress(generation)` is called as generations finish.
pub fn run(
    p: &Prepared,
    threads: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<CalibrationResult, String> {
    let cfg = &p.cfg;
    let records: Vec<RecordProblem<'_>> = cfg
        .records
        .iter()
        .zip(&p.templates)
        .map(|(r, t)| RecordProblem {
            name: r.name.clone(),
            template: t,
            weeks: t.base.scenario.meta.weeks,
            start: t.base.scenario.meta.start,
        })
        .collect();
    let problem = Problem {
        records,
        params: &cfg.parameters,
        targets: &cfg.targets,
        observed: p.observed.clone(),
        replicates: cfg.replicates,
    };
    let settings = Settings {
        particles: cfg.particles,
        generations: cfg.generations,
        keep: cfg.keep,
        moves: cfg.moves,
        min_acceptance: cfg.min_acceptance,
        seed: cfg.seed,
        threads,
    };
    let (particles, logs) = abc::run(&problem, &settings, &mut |g, _| progress(g))?;
    let predictive = predictive(p, &problem, &particles, threads)?;
    let (names, targets) = labels(cfg);
    let params = summaries(p, &particles, &names);
    let fits = fits(p, &predictive, &targets);
    let outside95 = fits
        .iter()
        .filter(|f| !(0.025..=0.975).contains(&f.percentile))
        .map(|f| f.label.clone())
        .collect();
    let outside90 = fits
        .iter()
        .filter(|f| !(0.05..=0.95).contains(&f.percentile))
        .count();
    let effect = tracked_effect(p, &particles, threads)?;
    let calibrated = calibrated_texts(p, &params, logs.len().saturating_sub(1))?;
    Ok(CalibrationResult {
        particles,
        logs,
        names,
        targets,
        params,
        predictive,
        fits,
        outside95,
        outside90,
        effect,
        calibrated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_identification_rule() {
        assert_eq!(identification(0.3), "pinned down");
        assert_eq!(identification(0.5), "partly");
        assert_eq!(identification(0.79), "partly");
        assert_eq!(identification(0.8), "weakly");
    }
}
