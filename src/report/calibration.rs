//! The files of a calibration: posterior.csv, generations.csv, posterior_summary.csv, fit.csv,
//! predictive.csv, effect.csv, the calibrated scenarios, the posterior charts and the manifest,
//! from a `CalibrationResult`; and its terminal report.

use crate::calibration::config::Prior;
use crate::calibration::result::{CalibrationResult, EffectSummary, PREDICTIVE_DRAWS, Prepared};
use crate::error::Failure;
use crate::report::charts::posterior::{self, PosteriorInput};
use crate::report::csv::num;
use crate::report::output::OutputDir;
use crate::report::table::render;

/// A CSV table built in memory with the `csv` crate.
struct Table(csv::Writer<Vec<u8>>);

impl Table {
    fn new<I: AsRef<[u8]>>(header: impl IntoIterator<Item = I>) -> Result<Table, Failure> {
        let mut t = Table(csv::Writer::from_writer(Vec::new()));
        t.row(header)?;
        Ok(t)
    }

    fn row<I: AsRef<[u8]>>(&mut self, cells: impl IntoIterator<Item = I>) -> Result<(), Failure> {
        self.0
            .write_record(cells)
            .map_err(|e| Failure::Input(format!("writing CSV: {e}")))
    }

    /// Writes the table as `name` and records it in `files`.
    fn put(self, out: &mut OutputDir, name: &str, files: &mut Vec<String>) -> Result<(), Failure> {
        let bytes = self
            .0
            .into_inner()
            .map_err(|e| Failure::Input(format!("writing CSV: {e}")))?;
        out.write(name, &bytes).map_err(Failure::input)?;
        files.push(name.to_string());
        Ok(())
    }
}

fn posterior_csv(
    r: &CalibrationResult,
    out: &mut OutputDir,
    files: &mut Vec<String>,
) -> Result<(), Failure> {
    let head: Vec<String> = ["particle", "weight", "distance"]
        .into_iter()
        .map(String::from)
        .chain(r.names.iter().cloned())
        .chain(r.targets.iter().map(|t| format!("sim_{t}")))
        .collect();
    let mut t = Table::new(&head)?;
    for (i, p) in r.particles.iter().enumerate() {
        let row: Vec<String> = [i.to_string(), num(p.weight, 10), num(p.distance, 6)]
            .into_iter()
            .chain(p.theta.iter().map(|x| num(*x, 8)))
            .chain(p.sim.iter().map(|x| num(*x, 6)))
            .collect();
        t.row(&row)?;
    }
    t.put(out, "posterior.csv", files)
}

fn generations_csv(
    r: &CalibrationResult,
    moves: usize,
    out: &mut OutputDir,
    files: &mut Vec<String>,
) -> Result<(), Failure> {
    let mut t = Table::new([
        "generation",
        "epsilon",
        "simulations",
        "moves_accepted",
        "move_acceptance",
        "alive",
        "distinct",
        "resampled",
        "effective_sample_size",
    ])?;
    for l in &r.logs {
        t.row([
            l.generation.to_string(),
            if l.epsilon.is_finite() {
                num(l.epsilon, 6)
            } else {
                "inf".into()
            },
            l.simulated.to_string(),
            l.moves_accepted.to_string(),
            num(l.moves_accepted as f64 / (l.alive * moves).max(1) as f64, 4),
            l.alive.to_string(),
            l.distinct.to_string(),
            l.resampled.to_string(),
            num(l.ess, 1),
        ])?;
    }
    t.put(out, "generations.csv", files)
}

fn summary_csv(
    r: &CalibrationResult,
    out: &mut OutputDir,
    files: &mut Vec<String>,
) -> Result<(), Failure> {
    let mut t = Table::new([
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
    ])?;
    for s in &r.params {
        let (plo, phi) = s.prior.bounds();
        t.row([
            s.path.clone(),
            s.record.clone().unwrap_or_else(|| "shared".into()),
            s.prior.describe(),
            num(plo, 6),
            num(phi, 6),
            num(s.median, 6),
            num(s.p05, 6),
            num(s.p95, 6),
            num(s.sd, 6),
            num(s.width_ratio, 4),
            s.identified.into(),
        ])?;
    }
    t.put(out, "posterior_summary.csv", files)
}

fn fit_csv(
    r: &CalibrationResult,
    out: &mut OutputDir,
    files: &mut Vec<String>,
) -> Result<(), Failure> {
    let mut t = Table::new([
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
    ])?;
    for f in &r.fits {
        t.row([
            f.record.clone(),
            f.target.clone(),
            num(f.observed, 6),
            num(f.scale, 6),
            num(f.mean, 6),
            num(f.p05, 6),
            num(f.p95, 6),
            num(f.p95 - f.p05, 6),
            num(f.percentile, 4),
            if f.discrete {
                "mid-rank (count)".into()
            } else {
                "mid-rank".into()
            },
            num(f.crps, 6),
            num(f.crps / f.scale, 6),
            f.defined.to_string(),
            f.note.clone(),
        ])?;
    }
    t.put(out, "fit.csv", files)
}

fn predictive_csv(
    r: &CalibrationResult,
    out: &mut OutputDir,
    files: &mut Vec<String>,
) -> Result<(), Failure> {
    let mut t = Table::new(&r.targets)?;
    for v in &r.predictive {
        t.row(v.iter().map(|x| match x {
            Some(x) if x.is_finite() => num(*x, 6),
            _ => String::new(),
        }))?;
    }
    t.put(out, "predictive.csv", files)
}

fn effect_csv(
    e: &EffectSummary,
    out: &mut OutputDir,
    files: &mut Vec<String>,
) -> Result<(), Failure> {
    let mut t = Table::new(["draw_from", "draw", "effect"])?;
    for (from, v) in [("prior", &e.prior), ("posterior", &e.posterior)] {
        for (i, x) in v.iter().enumerate() {
            t.row([from.to_string(), i.to_string(), num(*x, 6)])?;
        }
    }
    t.put(out, "effect.csv", files)
}

fn charts(
    p: &Prepared,
    r: &CalibrationResult,
    out: &mut OutputDir,
    files: &mut Vec<String>,
) -> Result<(), Failure> {
    let cfg = &p.cfg;
    let priors: Vec<Prior> = cfg.parameters.iter().map(|q| q.prior).collect();
    let thetas: Vec<Vec<f64>> = r.particles.iter().map(|q| q.theta.clone()).collect();
    let weights = r.weights();
    let per_draw: Vec<Vec<f64>> = r
        .predictive
        .iter()
        .map(|v| v.iter().map(|x| x.unwrap_or(f64::NAN)).collect())
        .collect();
    let caption = format!(
        "{} · ABC-SMC, {} particles, {} generations, {} replicates each · seed {} · negsim {}",
        p.run_name,
        cfg.particles,
        r.logs.len().saturating_sub(1),
        cfg.replicates,
        cfg.seed,
        env!("CARGO_PKG_VERSION")
    );
    let pin = PosteriorInput {
        scenario: &p.run_name,
        caption,
        names: &r.names,
        priors: &priors,
        thetas: &thetas,
        weights: &weights,
        targets: &r.targets,
        observed: &p.observed,
        predictive: &per_draw,
    };
    crate::report::charts::style::fonts();
    for c in [
        posterior::marginals(&pin),
        posterior::pairs(&pin),
        posterior::predictive(&pin),
    ] {
        let c = c.map_err(Failure::Input)?;
        files.extend(c.write(out).map_err(Failure::input)?);
    }
    Ok(())
}

/// Writes every file of a calibration but the manifest; returns their names in writing order.
pub fn write(
    p: &Prepared,
    r: &CalibrationResult,
    out: &mut OutputDir,
    with_charts: bool,
) -> Result<Vec<String>, Failure> {
    let mut files = Vec::new();
    posterior_csv(r, out, &mut files)?;
    generations_csv(r, p.cfg.moves, out, &mut files)?;
    summary_csv(r, out, &mut files)?;
    fit_csv(r, out, &mut files)?;
    predictive_csv(r, out, &mut files)?;
    if let Some(e) = &r.effect {
        effect_csv(e, out, &mut files)?;
    }
    for (name, text) in &r.calibrated {
        out.write(name, text.as_bytes()).map_err(Failure::input)?;
        files.push(name.clone());
    }
    if with_charts {
        charts(p, r, out, &mut files)?;
    }
    Ok(files)
}

/// The manifest of a calibration.
pub fn manifest(
    p: &Prepared,
    r: &CalibrationResult,
    config: &std::path::Path,
    threads: usize,
    started_utc: String,
    wall_seconds: f64,
    files: &[String],
) -> String {
    let cfg = &p.cfg;
    let last = r.logs.last();
    let m = serde_json::json!({
        "negsim_version": env!("CARGO_PKG_VERSION"),
        "git_commit": crate::report::manifest::GIT_COMMIT,
        "command": "calibrate",
        "command_line": std::env::args().collect::<Vec<_>>(),
        "config": config.display().to_string(),
        "records": cfg.records.iter().zip(&p.data).zip(&p.windows).map(|((rec, d), w)| serde_json::json!({
            "name": rec.name,
            "scenario": rec.scenario.display().to_string(),
            "events": d.events_path,
            "tariffs": d.tariffs_path,
            "window": w,
        })).collect::<Vec<_>>(),
        "particles": cfg.particles,
        "generations": r.logs.len().saturating_sub(1),
        "replicates": cfg.replicates,
        "seed": cfg.seed,
        "distinct_particles": last.map_or(0, |l| l.distinct),
        "weights_ess": (last.map_or(0.0, |l| l.ess) * 10.0).round() / 10.0,
        "threads": threads,
        "started_utc": started_utc,
        "wall_seconds": (wall_seconds * 1000.0).round() / 1000.0,
        "files": files,
    });
    format!("{m:#}\n")
}

fn effect_line(e: &EffectSummary) -> String {
    let (p5, p50, p95) = EffectSummary::band(&e.prior);
    let (q5, q50, q95) = EffectSummary::band(&e.posterior);
    let shrink = 1.0 - (q95 - q5) / (p95 - p5);
    format!(
        "effect ({}; {} draws each, {} paired replicates per draw): prior {} [{}, {}], posterior {} [{}, {}] (median [5%, 95%]); the posterior's 90% band is {:.0}% {} than the prior's",
        e.what,
        e.draws,
        e.runs,
        num(p50, 4),
        num(p5, 4),
        num(p95, 4),
        num(q50, 4),
        num(q5, 4),
        num(q95, 4),
        shrink.abs() * 100.0,
        if shrink >= 0.0 { "narrower" } else { "wider" }
    )
}

/// The terminal report of a calibration (the last line, with the files, is the job's).
pub fn terminal(p: &Prepared, r: &CalibrationResult) -> String {
    let mut s = format!("{} calibrated against {}\n\n", p.run_name, p.provenance);
    let ptable: Vec<Vec<String>> = r
        .params
        .iter()
        .map(|q| {
            vec![
                q.label.clone(),
                q.prior.describe(),
                format!(
                    "{} [{}, {}]",
                    num(q.median, 4),
                    num(q.p05, 4),
                    num(q.p95, 4)
                ),
                format!("{:.2}", q.width_ratio),
                q.identified.into(),
            ]
        })
        .collect();
    s.push_str(&render(
        &[
            "parameter".into(),
            "prior".into(),
            "posterior median [90%]".into(),
            "90% width / prior".into(),
            "identified".into(),
        ],
        &ptable,
    ));
    s.push_str("\nidentified: the 90% interval's width over the prior's is below 0.5 (pinned down), below 0.8 (partly), or wider (weakly)\n");
    s.push_str(&format!("\nfit: each target, observed vs single simulated histories drawn under the posterior ({PREDICTIVE_DRAWS} draws)\n\n"));
    let ftable: Vec<Vec<String>> = r
        .fits
        .iter()
        .map(|f| {
            vec![
                f.label.clone(),
                num(f.observed, 3),
                format!("{} [{}, {}]", num(f.mean, 3), num(f.p05, 3), num(f.p95, 3)),
                format!("{:.0}%", f.percentile * 100.0),
            ]
        })
        .collect();
    s.push_str(&render(
        &[
            "target".into(),
            "observed".into(),
            "predictive mean [90%]".into(),
            "observed percentile".into(),
        ],
        &ftable,
    ));
    let n = r.fits.len();
    let allowed = n.div_ceil(10);
    s.push_str(&format!(
        "\npredictive check: {} of {n} outside [2.5, 97.5]%{}; {} outside [5, 95]% (at most {allowed} allowed): {}\n",
        r.outside95.len(),
        if r.outside95.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.outside95.join(", "))
        },
        r.outside90,
        if r.outside95.is_empty() && r.outside90 <= allowed {
            "passes"
        } else {
            "FAILS"
        }
    ));
    if let Some(e) = &r.effect {
        s.push_str(&format!("\n{}\n", effect_line(e)));
    }
    s
}
