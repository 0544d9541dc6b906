//! `negsim calibrate`: ABC-SMC of a scenario's parameters against the real record.

use std::path::PathBuf;
use std::time::Instant;

use crate::analysis::facts::{facts, tariff_at};
use crate::calibration::abc::{self, Particle, Problem, Settings, weighted_quantile};
use crate::calibration::config::{self, STATISTICS, TargetKind};
use crate::calibration::writer;
use crate::data::{EVENTS_CSV, TARIFFS_CSV, read_events, read_tariffs};
use crate::model::rng::{Stream, mix64};
use crate::report::charts::posterior::{self, PosteriorInput};
use crate::report::csv::num;
use crate::report::manifest::now_utc;
use crate::report::output::OutputDir;
use crate::report::table::render;
use crate::scenario::Text;
use crate::scenario::template::Template;

use super::Failure;

/// Posterior-predictive draws (single replicates).
const PREDICTIVE_DRAWS: u64 = 300;

/// A parameter whose 90% posterior interval is narrower than this share of its prior's range is
/// reported as pinned down by the record.
const PINNED_WIDTH: f64 = 0.5;

fn input(e: impl std::fmt::Display) -> Failure {
    Failure::Input(e.to_string())
}

/// Options of `negsim calibrate`.
pub struct Options {
    /// Scenario.
    pub scenario: PathBuf,
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

/// Runs `negsim calibrate`.
pub fn run(o: &Options) -> Result<PathBuf, Failure> {
    let started = Instant::now();
    let base = Text::read(&o.scenario, "scenario").map_err(input)?;
    let template = Template::new(&base, &[]).map_err(input)?;
    let cfg = config::load(&o.config, &template).map_err(input)?;
    let sc = &template.base.scenario;
    let (start, weeks) = (sc.meta.start, sc.meta.weeks);
    let end = start.add_days(7 * i64::from(weeks) - 1);
    let read_text =
        |p: &Option<PathBuf>, embedded: &str, name: &str| -> Result<(String, String), Failure> {
            match p {
                None => Ok((format!("built-in data/{name}"), embedded.to_string())),
                Some(path) => Text::read(path, "data file")
                    .map(|t| (t.path, t.text))
                    .map_err(input),
            }
        };
    let (epath, etext) = read_text(&cfg.events, EVENTS_CSV, "us_china_events_2018_2020.csv")?;
    let (tpath, ttext) = read_text(&cfg.tariffs, TARIFFS_CSV, "us_china_tariffs_2018_2021.csv")?;
    let events = read_events(&epath, &etext).map_err(input)?;
    let series = read_tariffs(&tpath, &ttext).map_err(input)?;
    let durable = sc.behaviour.observation.durable_weeks.ceil() as u32;
    let threats = crate::data::embedded_threats();
    let real = facts(
        &events,
        &threats,
        start,
        end,
        durable,
        sc.agreement.as_ref().map(|a| a.scope),
    );
    let mut observed = Vec::new();
    for t in &cfg.targets {
        observed.push(match &t.kind {
            TargetKind::Statistic(k) => (STATISTICS[*k].get)(&real.summary),
            TargetKind::Tariff { side, date } => {
                if *date < start || *date > end {
                    return Err(Failure::Input(format!(
                        "target {}: {date} is outside the scenario's period {start} .. {end}",
                        t.name()
                    )));
                }
                tariff_at(&series, *side, *date).ok_or_else(|| {
                    Failure::Input(format!(
                        "target {}: {tpath} has no reading at or before {date}",
                        t.name()
                    ))
                })?
            }
        });
    }
    let problem = Problem {
        template: &template,
        weeks,
        start,
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
    let out_path = o
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("calibrate-{}", sc.meta.name)));
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

    // Posterior-predictive draws: single replicates under particles drawn by weight.
    let weights: Vec<f64> = particles.iter().map(|p| p.weight).collect();
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
    let predictive: Vec<Vec<f64>> = {
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
    let names: Vec<String> = cfg.parameters.iter().map(|p| p.path.clone()).collect();
    let tnames: Vec<String> = cfg.targets.iter().map(|t| t.name()).collect();
    let mut csv = format!(
        "particle,weight,distance,{},{}\n",
        names.join(","),
        tnames
            .iter()
            .map(|t| format!("sim_{t}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    for (i, p) in particles.iter().enumerate() {
        let row: Vec<String> = [i.to_string(), num(p.weight, 10), num(p.distance, 6)]
            .into_iter()
            .chain(p.theta.iter().map(|x| num(*x, 8)))
            .chain(p.sim.iter().map(|x| num(*x, 6)))
            .collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    out.write("posterior.csv", csv.as_bytes()).map_err(err)?;
    let mut gens = String::from(
        "generation,epsilon,simulations,moves_accepted,move_acceptance,alive,resampled,effective_sample_size\n",
    );
    for l in &logs {
        gens.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            l.generation,
            if l.epsilon.is_finite() {
                num(l.epsilon, 6)
            } else {
                "inf".into()
            },
            l.simulated,
            l.moves_accepted,
            num(
                l.moves_accepted as f64 / (l.alive * cfg.moves).max(1) as f64,
                4
            ),
            l.alive,
            l.resampled,
            num(l.ess, 1)
        ));
    }
    out.write("generations.csv", gens.as_bytes()).map_err(err)?;
    let column = |f: &dyn Fn(&Particle) -> f64| -> Vec<f64> { particles.iter().map(f).collect() };
    let mut psum = String::from(
        "parameter,prior,prior_low,prior_high,posterior_median,posterior_p05,posterior_p95,width_ratio,pinned_down\n",
    );
    let mut ptable = Vec::new();
    let mut updates = Vec::new();
    let window = format!("{start} .. {end}");
    for (k, p) in cfg.parameters.iter().enumerate() {
        let vals = column(&|q| q.theta[k]);
        let (med, lo, hi) = (
            weighted_quantile(&vals, &weights, 0.5),
            weighted_quantile(&vals, &weights, 0.05),
            weighted_quantile(&vals, &weights, 0.95),
        );
        let (plo, phi) = p.prior.bounds();
        let ratio = (hi - lo) / (phi - plo);
        let pinned = ratio < PINNED_WIDTH;
        psum.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            p.path,
            p.prior.describe().replace(',', ";"),
            num(plo, 6),
            num(phi, 6),
            num(med, 6),
            num(lo, 6),
            num(hi, 6),
            num(ratio, 4),
            if pinned { "yes" } else { "no" }
        ));
        ptable.push(vec![
            p.path.clone(),
            p.prior.describe(),
            format!("{} [{}, {}]", num(med, 4), num(lo, 4), num(hi, 4)),
            format!("{:.2}", ratio),
            if pinned { "yes".into() } else { "no".into() },
        ]);
        updates.push((p.path.clone(), (med * 1e6).round() / 1e6, format!("ABC-SMC posterior median (90% interval {} to {}) on {epath} and {tpath}, {window}; negsim {}", num(lo, 4), num(hi, 4), env!("CARGO_PKG_VERSION"))));
    }
    out.write("posterior_summary.csv", psum.as_bytes())
        .map_err(err)?;
    let mut fit = String::from(
        "target,observed,scale,predictive_mean,predictive_p05,predictive_p95,observed_percentile\n",
    );
    let mut ftable = Vec::new();
    for (k, t) in cfg.targets.iter().enumerate() {
        let vals: Vec<f64> = predictive.iter().map(|v| v[k]).collect();
        let ones = vec![1.0; vals.len()];
        let mean = vals.iter().sum::<f64>() / vals.len().max(1) as f64;
        let (lo, hi) = (
            weighted_quantile(&vals, &ones, 0.05),
            weighted_quantile(&vals, &ones, 0.95),
        );
        let pct =
            vals.iter().filter(|&&v| v <= observed[k]).count() as f64 / vals.len().max(1) as f64;
        fit.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            t.name(),
            num(observed[k], 6),
            num(t.scale, 6),
            num(mean, 6),
            num(lo, 6),
            num(hi, 6),
            num(pct, 4)
        ));
        ftable.push(vec![
            t.name(),
            num(observed[k], 3),
            format!("{} [{}, {}]", num(mean, 3), num(lo, 3), num(hi, 3)),
            format!("{:.0}%", pct * 100.0),
        ]);
    }
    out.write("fit.csv", fit.as_bytes()).map_err(err)?;
    let header = format!(
        "{} calibrated by `negsim calibrate` (adaptive ABC-SMC, {} particles, {} generations, {} replicates per particle)\nagainst {epath} and {tpath}, {window}. Calibrated values carry source = \"calibration\".",
        sc.meta.name,
        cfg.particles,
        logs.len().saturating_sub(1),
        cfg.replicates
    );
    let calibrated = writer::calibrated(&base.text, &updates, &header).map_err(Failure::Input)?;
    let calibrated_name = format!("{}_calibrated.toml", sc.meta.name);
    out.write(&calibrated_name, calibrated.as_bytes())
        .map_err(err)?;
    let mut files = vec![
        "posterior.csv".to_string(),
        "generations.csv".into(),
        "posterior_summary.csv".into(),
        "fit.csv".into(),
        calibrated_name.clone(),
    ];
    if o.charts {
        let priors: Vec<config::Prior> = cfg.parameters.iter().map(|p| p.prior).collect();
        let thetas: Vec<Vec<f64>> = particles.iter().map(|p| p.theta.clone()).collect();
        let caption = format!(
            "scenario: {} · ABC-SMC, {} particles, {} generations, {} replicates each · seed {} · negsim {}",
            sc.meta.name,
            cfg.particles,
            logs.len().saturating_sub(1),
            cfg.replicates,
            cfg.seed,
            env!("CARGO_PKG_VERSION")
        );
        let pin = PosteriorInput {
            scenario: &sc.meta.name,
            caption,
            names: &names,
            priors: &priors,
            thetas: &thetas,
            weights: &weights,
            targets: &tnames,
            observed: &observed,
            predictive: &predictive,
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
        "scenario": base.path,
        "config": o.config.display().to_string(),
        "events": epath,
        "tariffs": tpath,
        "window": window,
        "particles": cfg.particles,
        "generations": logs.len().saturating_sub(1),
        "replicates": cfg.replicates,
        "seed": cfg.seed,
        "threads": o.threads,
        "started_utc": now_utc(),
        "wall_seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        "files": files,
    });
    out.write("manifest.json", format!("{manifest:#}\n").as_bytes())
        .map_err(err)?;
    let root = out.root().to_path_buf();
    out.commit().map_err(err)?;
    outln!("{} calibrated against {epath}, {window}\n", sc.meta.name);
    out!(
        "{}",
        render(
            &[
                "parameter".into(),
                "prior".into(),
                "posterior median [90%]".into(),
                "90% width / prior".into(),
                "pinned down".into()
            ],
            &ptable
        )
    );
    outln!("\nfit: each target, observed vs single simulated histories under the posterior\n");
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
    let last = logs.last();
    outln!(
        "\n{} generations; final tolerance {}; effective sample size {} of {}; {} simulations in {:.1} s; wrote {} to {}",
        logs.len().saturating_sub(1),
        last.map_or("-".into(), |l| num(l.epsilon, 4)),
        last.map_or("-".into(), |l| num(l.ess, 0)),
        cfg.particles,
        logs.iter().map(|l| l.simulated).sum::<u64>(),
        started.elapsed().as_secs_f64(),
        calibrated_name,
        root.display()
    );
    Ok(root)
}
