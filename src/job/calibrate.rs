//! `negsim calibrate`: ABC-SMC of behavioural constants against one or more real records (each
//! with its own scenario), with honest sampler diagnostics and a posterior-predictive check.

use std::path::PathBuf;
use std::time::Instant;

use crate::analysis::facts::{facts, tariff_at};
use crate::analysis::stats::{crps, mid_rank};
use crate::calibration::abc::{self, Problem, RecordProblem, Settings, weighted_quantile};
use crate::calibration::config::{self, Record, TargetKind};
use crate::calibration::effect::{self, EffectProblem};
use crate::calibration::history::{HistoryStats, STATISTICS};
use crate::calibration::writer;
use crate::data::{
    RealThreat, THREATS, TariffPoint, ThreatKind, read_events, read_tariffs, read_threats,
};
use crate::model::rng::{Stream, mix64};
use crate::report::charts::posterior::{self, PosteriorInput};
use crate::report::csv::num;
use crate::report::manifest::now_utc;
use crate::report::output::OutputDir;
use crate::report::table::render;
use crate::scenario::date::Date;
use crate::scenario::template::Template;
use crate::scenario::{EventKind, Scenario, Text};

use super::facts::read_data;
use crate::error::Failure;

/// Posterior-predictive draws (one joint history each: a single replicate of every record).
const PREDICTIVE_DRAWS: u64 = 1000;

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

fn input(e: impl std::fmt::Display) -> Failure {
    Failure::Input(e.to_string())
}

/// Options of `negsim calibrate`.
pub struct Options {
    /// Scenario (only for a config without `[[records]]`).
    pub scenario: Option<PathBuf>,
    /// CALIB.toml.
    pub config: PathBuf,
    /// Output directory.
    pub out: Option<PathBuf>,
    /// Threads.
    pub threads: usize,
    /// Progress bar.
    pub progress: bool,
    /// Overwrite.
    pub force: bool,
    /// Charts.
    pub charts: bool,
}

/// A record's real data.
struct RealData {
    events_path: String,
    tariffs_path: String,
    events: Vec<crate::data::RealEvent>,
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

fn real_data(r: &Record, sc: &Scenario) -> Result<RealData, Failure> {
    let (events_path, etext) = read_data(&r.events, r.data.events())?;
    let (tariffs_path, ttext) = read_data(&r.tariffs, r.data.tariffs())?;
    let (hpath, htext) = read_data(&r.threats, THREATS)?;
    Ok(RealData {
        events: read_events(&events_path, &etext).map_err(input)?,
        series: read_tariffs(&tariffs_path, &ttext).map_err(input)?,
        threats: threats_of(sc, read_threats(&hpath, &htext).map_err(input)?),
        events_path,
        tariffs_path,
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

/// The observed value of every target.
fn observed_values(
    cfg: &config::Config,
    templates: &[Template],
    data: &[RealData],
) -> Result<Vec<f64>, Failure> {
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
                    return Err(Failure::Input(format!(
                        "{label}: its window end {to} is outside the scenario's period {start} .. {end}"
                    )));
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
                match (STATISTICS[*k].get)(&stats) {
                    Some(v) if v.is_finite() => v,
                    _ => {
                        return Err(Failure::Input(format!(
                            "{label}: the record gives no value for it in {start} .. {to} (no events to take a share of, or no tariff reading); give `observed = ...` with a note, or drop it"
                        )));
                    }
                }
            }
            TargetKind::Tariff { side, date } => {
                if *date < start || *date > end {
                    return Err(Failure::Input(format!(
                        "{label}: {date} is outside the scenario's period {start} .. {end}"
                    )));
                }
                tariff_at(&d.series, *side, *date).ok_or_else(|| {
                    Failure::Input(format!(
                        "{label}: {} has no reading at or before {date}",
                        d.tariffs_path
                    ))
                })?
            }
        });
    }
    Ok(observed)
}

/// Runs `negsim calibrate`.
pub fn run(o: &Options) -> Result<PathBuf, Failure> {
    let started = Instant::now();
    let (cfg, templates) = config::load(&o.config, o.scenario.as_deref()).map_err(input)?;
    let data: Vec<RealData> = cfg
        .records
        .iter()
        .zip(&templates)
        .map(|(r, t)| real_data(r, &t.base.scenario))
        .collect::<Result<_, _>>()?;
    let observed = observed_values(&cfg, &templates, &data)?;
    let records: Vec<RecordProblem<'_>> = cfg
        .records
        .iter()
        .zip(&templates)
        .map(|(r, t)| RecordProblem {
            name: r.name.clone(),
            template: t,
            weeks: t.base.scenario.meta.weeks,
            start: t.base.scenario.meta.start,
        })
        .collect();
    let windows: Vec<String> = records
        .iter()
        .zip(&cfg.records)
        .map(|(r, c)| {
            let end =
                c.to.unwrap_or_else(|| r.start.add_days(7 * i64::from(r.weeks) - 1));
            format!("{} .. {end}", r.start)
        })
        .collect();
    let problem = Problem {
        records,
        params: &cfg.parameters,
        targets: &cfg.targets,
        observed: observed.clone(),
        replicates: cfg.replicates,
    };
    let settings = Settings {
        particles: cfg.particles,
        generations: cfg.generations,
        keep: cfg.keep,
        moves: cfg.moves,
        min_acceptance: cfg.min_acceptance,
        seed: cfg.seed,
        threads: o.threads,
    };
    let single = cfg.records.len() == 1;
    let run_name = if single {
        cfg.records[0].name.clone()
    } else {
        o.config
            .file_stem()
            .map_or_else(|| "joint".into(), |s| s.to_string_lossy().into_owned())
    };
    let out_path = o
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("calibrate-{run_name}")));
    let mut out = OutputDir::prepare(&out_path, &[], o.force).map_err(input)?;

    let bar = super::progress_bar(
        o.progress,
        cfg.generations as u64 + 1,
        "generations (at most)",
    );
    let (particles, logs) = abc::run(&problem, &settings, &mut |g, _| {
        bar.set_position(g as u64 + 1);
    })
    .map_err(Failure::Input)?;
    bar.finish_and_clear();
    let weights: Vec<f64> = particles.iter().map(|p| p.weight).collect();
    let weights_ess = logs.last().map_or(0.0, |l| l.ess);
    let n_distinct = logs.last().map_or(0, |l| l.distinct);

    // Posterior-predictive draws: one joint history under a particle drawn by weight.
    let cumulative: Vec<f64> = weights
        .iter()
        .scan(0.0, |a, w| {
            *a += w;
            Some(*a)
        })
        .collect();
    let one = Problem {
        replicates: 1,
        observed: observed.clone(),
        ..problem
    };
    let predictive: Vec<Vec<Option<f64>>> = {
        use rayon::prelude::*;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(o.threads.max(1))
            .build()
            .map_err(input)?;
        pool.install(|| {
            (0..PREDICTIVE_DRAWS)
                .into_par_iter()
                .filter_map(|i| {
                    let seed = mix64(cfg.seed ^ 0x5050_0000 ^ i);
                    let u = Stream::new(seed).uniform();
                    let j = cumulative
                        .partition_point(|&c| c <= u)
                        .min(particles.len() - 1);
                    one.simulate(&particles[j].theta, mix64(seed))
                        .ok()
                        .and_then(|h| h.into_iter().next())
                })
                .collect()
        })
    };

    // Files.
    let err = |e: crate::report::output::OutputError| Failure::Input(e.to_string());
    let rec_of = |p: &config::Parameter| p.record.map(|r| cfg.records[r].name.clone());
    let names: Vec<String> = cfg
        .parameters
        .iter()
        .map(|p| match rec_of(p) {
            Some(r) => format!("{r}:{}", p.path),
            None => p.path.clone(),
        })
        .collect();
    let tnames: Vec<String> = cfg
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
    let mut csv = csv::Writer::from_writer(Vec::new());
    let head: Vec<String> = ["particle", "weight", "distance"]
        .into_iter()
        .map(String::from)
        .chain(names.iter().cloned())
        .chain(tnames.iter().map(|t| format!("sim_{t}")))
        .collect();
    let csv_err = |e: csv::Error| Failure::Input(format!("writing CSV: {e}"));
    csv.write_record(&head).map_err(csv_err)?;
    for (i, p) in particles.iter().enumerate() {
        let row: Vec<String> = [i.to_string(), num(p.weight, 10), num(p.distance, 6)]
            .into_iter()
            .chain(p.theta.iter().map(|x| num(*x, 8)))
            .chain(p.sim.iter().map(|x| num(*x, 6)))
            .collect();
        csv.write_record(&row).map_err(csv_err)?;
    }
    let bytes = |w: csv::Writer<Vec<u8>>| -> Result<Vec<u8>, Failure> {
        w.into_inner()
            .map_err(|e| Failure::Input(format!("writing CSV: {e}")))
    };
    out.write("posterior.csv", &bytes(csv)?).map_err(err)?;
    let mut gens = csv::Writer::from_writer(Vec::new());
    gens.write_record([
        "generation",
        "epsilon",
        "simulations",
        "moves_accepted",
        "move_acceptance",
        "alive",
        "distinct",
        "resampled",
        "effective_sample_size",
    ])
    .map_err(csv_err)?;
    for l in &logs {
        gens.write_record([
            l.generation.to_string(),
            if l.epsilon.is_finite() {
                num(l.epsilon, 6)
            } else {
                "inf".into()
            },
            l.simulated.to_string(),
            l.moves_accepted.to_string(),
            num(
                l.moves_accepted as f64 / (l.alive * cfg.moves).max(1) as f64,
                4,
            ),
            l.alive.to_string(),
            l.distinct.to_string(),
            l.resampled.to_string(),
            num(l.ess, 1),
        ])
        .map_err(csv_err)?;
    }
    out.write("generations.csv", &bytes(gens)?).map_err(err)?;
    let column = |k: usize| -> Vec<f64> { particles.iter().map(|q| q.theta[k]).collect() };
    let mut psum = csv::Writer::from_writer(Vec::new());
    psum.write_record([
        "parameter",
        "record",
        "prior",
        "prior_low",
        "prior_high",
        "posterior_median",
        "posterior_p05",
        "posterior_p95",
        "posterior_sd",
        "width_ratio",
        "identified",
    ])
    .map_err(csv_err)?;
    let mut ptable = Vec::new();
    let mut updates: Vec<Vec<(String, f64, String)>> = vec![Vec::new(); cfg.records.len()];
    // The shared constants, also carried into further scenarios (the baseline).
    let mut shared: Vec<(String, f64, String)> = Vec::new();
    let sources: Vec<String> = cfg
        .records
        .iter()
        .zip(&data)
        .zip(&windows)
        .map(|((r, d), w)| format!("{} ({}, {}, {w})", r.name, d.events_path, d.tariffs_path))
        .collect();
    let provenance = sources.join("; ");
    for (k, p) in cfg.parameters.iter().enumerate() {
        let vals = column(k);
        let (med, lo, hi) = (
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
        let (plo, phi) = p.prior.bounds();
        let ratio = (hi - lo) / (phi - plo);
        let ident = identification(ratio);
        psum.write_record([
            p.path.clone(),
            rec_of(p).unwrap_or_else(|| "shared".into()),
            p.prior.describe(),
            num(plo, 6),
            num(phi, 6),
            num(med, 6),
            num(lo, 6),
            num(hi, 6),
            num(sd, 6),
            num(ratio, 4),
            ident.into(),
        ])
        .map_err(csv_err)?;
        ptable.push(vec![
            names[k].clone(),
            p.prior.describe(),
            format!("{} [{}, {}]", num(med, 4), num(lo, 4), num(hi, 4)),
            format!("{:.2}", ratio),
            ident.into(),
        ]);
        let note = format!(
            "ABC-SMC posterior median (90% interval {} to {}, {ident} by the data) on {provenance}; negsim {}",
            num(lo, 4),
            num(hi, 4),
            env!("CARGO_PKG_VERSION")
        );
        let update = (p.path.clone(), (med * 1e6).round() / 1e6, note);
        for (r, u) in updates.iter_mut().enumerate() {
            if p.record.is_none_or(|x| x == r) {
                u.push(update.clone());
            }
        }
        if p.record.is_none() {
            shared.push(update);
        }
    }
    out.write("posterior_summary.csv", &bytes(psum)?)
        .map_err(err)?;
    // The predictive check: every target's observed value among the predictive draws.
    let mut fit = csv::Writer::from_writer(Vec::new());
    fit.write_record([
        "record",
        "target",
        "observed",
        "scale",
        "predictive_mean",
        "predictive_p05",
        "predictive_p95",
        "band90_width",
        "observed_percentile",
        "percentile_method",
        "crps",
        "crps_scaled",
        "draws_defined",
        "observed_note",
    ])
    .map_err(csv_err)?;
    let mut ftable = Vec::new();
    let mut outside95 = Vec::new();
    let mut outside90 = 0usize;
    let per_draw: Vec<Vec<f64>> = predictive
        .iter()
        .map(|v| v.iter().map(|x| x.unwrap_or(f64::NAN)).collect())
        .collect();
    for (k, t) in cfg.targets.iter().enumerate() {
        let vals: Vec<f64> = predictive.iter().filter_map(|v| v[k]).collect();
        let ones = vec![1.0; vals.len()];
        let mean = vals.iter().sum::<f64>() / vals.len().max(1) as f64;
        let (lo, hi) = (
            weighted_quantile(&vals, &ones, 0.05),
            weighted_quantile(&vals, &ones, 0.95),
        );
        // Mid-rank: ties count half, which matters for counts, shares of a few events and values
        // at a ceiling (a tariff at tariff_max); for continuous values it is the plain rank.
        let pct = mid_rank(&vals, observed[k]);
        let score = crps(&vals, observed[k]);
        if !(0.025..=0.975).contains(&pct) {
            outside95.push(tnames[k].clone());
        }
        if !(0.05..=0.95).contains(&pct) {
            outside90 += 1;
        }
        fit.write_record([
            cfg.records[t.record].name.clone(),
            t.name(),
            num(observed[k], 6),
            num(t.scale, 6),
            num(mean, 6),
            num(lo, 6),
            num(hi, 6),
            num(hi - lo, 6),
            num(pct, 4),
            if t.discrete() {
                "mid-rank (count)".into()
            } else {
                "mid-rank".into()
            },
            num(score, 6),
            num(score / t.scale, 6),
            vals.len().to_string(),
            t.observed.as_ref().map_or(String::new(), |o| o.1.clone()),
        ])
        .map_err(csv_err)?;
        ftable.push(vec![
            tnames[k].clone(),
            num(observed[k], 3),
            format!("{} [{}, {}]", num(mean, 3), num(lo, 3), num(hi, 3)),
            format!("{:.0}%", pct * 100.0),
        ]);
    }
    out.write("fit.csv", &bytes(fit)?).map_err(err)?;
    let mut pred = csv::Writer::from_writer(Vec::new());
    pred.write_record(&tnames).map_err(csv_err)?;
    for v in &per_draw {
        pred.write_record(v.iter().map(|x| {
            if x.is_finite() {
                num(*x, 6)
            } else {
                String::new()
            }
        }))
        .map_err(csv_err)?;
    }
    out.write("predictive.csv", &bytes(pred)?).map_err(err)?;
    let mut files = vec![
        "posterior.csv".to_string(),
        "generations.csv".into(),
        "posterior_summary.csv".into(),
        "fit.csv".into(),
        "predictive.csv".into(),
    ];
    // The tracked effect under prior and posterior draws.
    let mut effect_lines: Vec<String> = Vec::new();
    if let Some(spec) = &cfg.effect {
        let base_text = Text::read(&spec.base, "scenario").map_err(input)?;
        let overlay_text = Text::read(&spec.overlay, "overlay").map_err(input)?;
        let base_t = Template::new(&base_text, &[]).map_err(input)?;
        let arm_t = Template::new(&base_text, &[overlay_text]).map_err(input)?;
        let problem = EffectProblem {
            base: &base_t,
            arm: &arm_t,
            metric: spec.metric,
            runs: spec.runs,
            params: &cfg.parameters,
        };
        let (prior, post) =
            effect::prior_and_posterior(&problem, &particles, spec.draws, cfg.seed, o.threads)
                .map_err(Failure::Input)?;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["draw_from", "draw", "effect"])
            .map_err(csv_err)?;
        for (from, v) in [("prior", &prior), ("posterior", &post)] {
            for (i, x) in v.iter().enumerate() {
                w.write_record([from.to_string(), i.to_string(), num(*x, 6)])
                    .map_err(csv_err)?;
            }
        }
        out.write("effect.csv", &bytes(w)?).map_err(err)?;
        files.push("effect.csv".into());
        let ones = |v: &[f64]| vec![1.0; v.len()];
        let band = |v: &[f64]| {
            let w = ones(v);
            (
                weighted_quantile(v, &w, 0.05),
                weighted_quantile(v, &w, 0.5),
                weighted_quantile(v, &w, 0.95),
            )
        };
        let (p5, p50, p95) = band(&prior);
        let (q5, q50, q95) = band(&post);
        let shrink = 1.0 - (q95 - q5) / (p95 - p5);
        let what = format!(
            "{} of {} on {}",
            crate::ensemble::record::METRICS[spec.metric].name,
            spec.overlay.display(),
            spec.base.display()
        );
        effect_lines.push(format!(
            "effect ({what}; {} draws each, {} paired replicates per draw): prior {} [{}, {}], posterior {} [{}, {}] (median [5%, 95%]); the posterior's 90% band is {:.0}% {} than the prior's",
            spec.draws,
            spec.runs,
            num(p50, 4),
            num(p5, 4),
            num(p95, 4),
            num(q50, 4),
            num(q5, 4),
            num(q95, 4),
            shrink.abs() * 100.0,
            if shrink >= 0.0 { "narrower" } else { "wider" }
        ));
    }
    for (r, rec) in cfg.records.iter().enumerate() {
        let base = Text::read(&rec.scenario, "scenario").map_err(input)?;
        let header = format!(
            "{} calibrated by `negsim calibrate` (adaptive ABC-SMC, {} particles, {} generations, {} replicates per particle)\nagainst {provenance}. Calibrated values carry source = \"calibration\".",
            templates[r].base.scenario.meta.name,
            cfg.particles,
            logs.len().saturating_sub(1),
            cfg.replicates
        );
        let calibrated =
            writer::calibrated(&base.text, &updates[r], &header).map_err(Failure::Input)?;
        let name = format!("{}_calibrated.toml", rec.name);
        out.write(&name, calibrated.as_bytes()).map_err(err)?;
        files.push(name);
    }
    for path in &cfg.carry {
        let base = Text::read(path, "scenario").map_err(input)?;
        let header = format!(
            "The shared behavioural constants carry posterior medians of the joint calibration ({run_name}: adaptive ABC-SMC, {} particles, {} generations, {} replicates per particle) against {provenance}. Calibrated values carry source = \"calibration\".",
            cfg.particles,
            logs.len().saturating_sub(1),
            cfg.replicates
        );
        // A scenario carried into before keeps one header: the previous one is replaced.
        let text: String = base
            .text
            .split_inclusive('\n')
            .skip_while(|l| l.starts_with("# The shared behavioural constants carry"))
            .collect();
        let calibrated = writer::calibrated(&text, &shared, &header).map_err(Failure::Input)?;
        let stem = config::file_stem_of(path, "scenario");
        let name = format!("{stem}_calibrated.toml");
        if files.contains(&name) {
            return Err(Failure::Input(format!(
                "[[carry]] {}: its output {name} is already written for a record",
                path.display()
            )));
        }
        out.write(&name, calibrated.as_bytes()).map_err(err)?;
        files.push(name);
    }
    if o.charts {
        let priors: Vec<config::Prior> = cfg.parameters.iter().map(|p| p.prior).collect();
        let thetas: Vec<Vec<f64>> = particles.iter().map(|p| p.theta.clone()).collect();
        let caption = format!(
            "{run_name} · ABC-SMC, {} particles, {} generations, {} replicates each · seed {} · negsim {}",
            cfg.particles,
            logs.len().saturating_sub(1),
            cfg.replicates,
            cfg.seed,
            env!("CARGO_PKG_VERSION")
        );
        let pin = PosteriorInput {
            scenario: &run_name,
            caption,
            names: &names,
            priors: &priors,
            thetas: &thetas,
            weights: &weights,
            targets: &tnames,
            observed: &observed,
            predictive: &per_draw,
        };
        crate::report::charts::style::fonts();
        for c in [
            posterior::marginals(&pin),
            posterior::pairs(&pin),
            posterior::predictive(&pin),
        ] {
            let c = c.map_err(Failure::Input)?;
            out.write(c.file, &c.png).map_err(err)?;
            files.push(c.file.to_string());
        }
    }
    let manifest = serde_json::json!({
        "negsim_version": env!("CARGO_PKG_VERSION"),
        "command": "calibrate",
        "command_line": std::env::args().collect::<Vec<_>>(),
        "config": o.config.display().to_string(),
        "records": cfg.records.iter().zip(&data).zip(&windows).map(|((r, d), w)| serde_json::json!({
            "name": r.name,
            "scenario": r.scenario.display().to_string(),
            "events": d.events_path,
            "tariffs": d.tariffs_path,
            "window": w,
        })).collect::<Vec<_>>(),
        "particles": cfg.particles,
        "generations": logs.len().saturating_sub(1),
        "replicates": cfg.replicates,
        "seed": cfg.seed,
        "distinct_particles": n_distinct,
        "weights_ess": (weights_ess * 10.0).round() / 10.0,
        "threads": o.threads,
        "started_utc": now_utc(),
        "wall_seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        "files": files,
    });
    out.write("manifest.json", format!("{manifest:#}\n").as_bytes())
        .map_err(err)?;
    let root = out.root().to_path_buf();
    out.commit().map_err(err)?;
    outln!("{run_name} calibrated against {provenance}\n");
    out!(
        "{}",
        render(
            &[
                "parameter".into(),
                "prior".into(),
                "posterior median [90%]".into(),
                "90% width / prior".into(),
                "identified".into()
            ],
            &ptable
        )
    );
    outln!(
        "\nidentified: the 90% interval's width over the prior's is below 0.5 (pinned down), below 0.8 (partly), or wider (weakly)"
    );
    outln!(
        "\nfit: each target, observed vs single simulated histories drawn under the posterior ({PREDICTIVE_DRAWS} draws)\n"
    );
    out!(
        "{}",
        render(
            &[
                "target".into(),
                "observed".into(),
                "predictive mean [90%]".into(),
                "observed percentile".into()
            ],
            &ftable
        )
    );
    let n = cfg.targets.len();
    let allowed = n.div_ceil(10);
    outln!(
        "\npredictive check: {} of {n} outside [2.5, 97.5]%{}; {outside90} outside [5, 95]% (at most {allowed} allowed): {}",
        outside95.len(),
        if outside95.is_empty() {
            String::new()
        } else {
            format!(" ({})", outside95.join(", "))
        },
        if outside95.is_empty() && outside90 <= allowed {
            "passes"
        } else {
            "FAILS"
        }
    );
    for l in &effect_lines {
        outln!("\n{l}");
    }
    let last = logs.last();
    outln!(
        "\n{} generations; final tolerance {}; {} distinct particles of {}, weights' effective sample size {:.0}; {} simulations in {:.1} s; wrote {} files to {}",
        logs.len().saturating_sub(1),
        last.map_or("-".into(), |l| num(l.epsilon, 4)),
        n_distinct,
        cfg.particles,
        weights_ess,
        logs.iter().map(|l| l.simulated).sum::<u64>(),
        started.elapsed().as_secs_f64(),
        files.len() + 1,
        root.display()
    );
    Ok(root)
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
