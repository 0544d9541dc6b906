//! `negsim calibrate`: ABC-SMC of behavioural constants against one or more real records (each
//! with its own scenario), with honest sampler diagnostics and a posterior-predictive check. The
//! calibration runs in `calibration::result`; `report::calibration` writes its files.

use std::path::PathBuf;
use std::time::Instant;

use crate::calibration::result;
use crate::error::Failure;
use crate::report::calibration as files;
use crate::report::csv::num;
use crate::report::manifest::now_utc;
use crate::report::output::OutputDir;

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

/// Runs `negsim calibrate`.
pub fn run(o: &Options) -> Result<PathBuf, Failure> {
    let started = Instant::now();
    let started_utc = now_utc();
    let p = result::prepare(&o.config, o.scenario.as_deref()).map_err(Failure::Input)?;
    let out_path = o.out.clone().unwrap_or_else(|| {
        crate::report::output::default_out(&format!("calibrate-{}", p.run_name))
    });
    let mut out = OutputDir::prepare(&out_path, &[], o.force).map_err(Failure::input)?;
    let bar = super::progress_bar(
        o.progress,
        p.cfg.generations as u64 + 1,
        "generations (at most)",
    );
    let r = result::run(&p, o.threads, &mut |g| bar.set_position(g as u64 + 1))
        .map_err(Failure::Input)?;
    bar.finish_and_clear();
    let written = files::write(&p, &r, &mut out, o.charts)?;
    let manifest = files::manifest(
        &p,
        &r,
        &o.config,
        o.threads,
        started_utc,
        started.elapsed().as_secs_f64(),
        &written,
    );
    out.write("manifest.json", manifest.as_bytes())
        .map_err(Failure::input)?;
    let root = out.root().to_path_buf();
    out.commit().map_err(Failure::input)?;
    out!("{}", files::terminal(&p, &r));
    let last = r.logs.last();
    outln!(
        "\n{} generations; final tolerance {}; {} distinct particles of {}, weights' effective sample size {:.0}; {} simulations in {:.1} s; wrote {} files to {}",
        r.logs.len().saturating_sub(1),
        last.map_or("-".into(), |l| num(l.epsilon, 4)),
        last.map_or(0, |l| l.distinct),
        p.cfg.particles,
        last.map_or(0.0, |l| l.ess),
        r.logs.iter().map(|l| l.simulated).sum::<u64>(),
        started.elapsed().as_secs_f64(),
        written.len() + 1,
        root.display()
    );
    Ok(root)
}
