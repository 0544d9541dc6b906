//! `run` and `compare` with `--worlds W`: load arms → their uncertain inputs → check sizes →
//! output directory → every world's paired replicates → `report::worlds`.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use crate::ensemble::Plan;
use crate::ensemble::job::{Job, Prepared, check_size};
use crate::ensemble::worlds::{self, Posterior, WorldsPlan};
use crate::error::Failure;
use crate::report::output::OutputDir;
use crate::report::run::Finish;
use crate::scenario::template::Template;

/// Fewest worlds accepted: shares of worlds and 5-95% ranges need at least this many.
pub const MIN_WORLDS: u64 = 20;

/// Replicates per world when `--runs` is not given with `--worlds`.
pub const DEFAULT_RUNS_PER_WORLD: u64 = 50;

/// Runs the worlds of a prepared job into `out_path`.
pub fn execute(
    job: &Job<'_>,
    prep: &Prepared,
    ctx: &Finish,
    out_path: PathBuf,
    wp: WorldsPlan,
    stop: &AtomicBool,
) -> Result<PathBuf, Failure> {
    if job.shard.is_some() {
        return Err(Failure::Input(
            "--worlds cannot be sharded yet: run it whole (it runs W x R replicates per arm)"
                .into(),
        ));
    }
    if job.independent {
        return Err(Failure::Input(
            "--worlds pairs arms on common random numbers; drop --independent".into(),
        ));
    }
    if wp.worlds < MIN_WORLDS || wp.runs < 2 {
        return Err(Failure::Input(format!(
            "--worlds {} with {} runs per world: give at least {MIN_WORLDS} worlds (a share of worlds from fewer is not meaningful) and 2 runs per world",
            wp.worlds, wp.runs
        )));
    }
    let inputs = worlds::inputs(&prep.loaded);
    if inputs.is_empty() {
        return Err(Failure::Input(
            "--worlds: no value of these scenarios declares a range, so every world would be the same; give uncertain values a range (README, 'A scenario in ten lines')".into(),
        ));
    }
    check_size(
        wp.worlds.saturating_mul(wp.runs),
        &prep.arms,
        job.threads,
        false,
        job.allow_large,
    )?;
    let posterior = load_posterior(job, prep, wp)?;
    let templates: Vec<Template> = prep
        .overlay_texts
        .iter()
        .map(|t| Template::new(&prep.base_text, t).map_err(|e| Failure::Input(e.to_string())))
        .collect::<Result<_, _>>()?;
    let out =
        OutputDir::prepare(&out_path, &[], job.force).map_err(|e| Failure::Input(e.to_string()))?;
    let plan = Plan {
        seed: job.seed,
        threads: job.threads,
        trace: 0,
        independent: false,
    };
    let result = worlds::run(&templates, &inputs, posterior.as_ref(), wp, &plan, stop)
        .map_err(Failure::Input)?;
    let Some(result) = result else {
        return Err(Failure::Interrupted);
    };
    crate::report::worlds::finish(ctx, prep, out, &inputs, posterior.as_ref(), &result, wp)
}

/// The calibration posterior the base scenario names in `[uncertainty] posterior` (relative to the
/// scenario file), resampled for the worlds; `None` when it names none.
fn load_posterior(
    job: &Job<'_>,
    prep: &Prepared,
    wp: WorldsPlan,
) -> Result<Option<Posterior>, Failure> {
    let posterior = match &prep.loaded[0].scenario.posterior {
        None => None,
        Some(rel) => {
            let path = job.resolver.relative(&job.base, rel);
            let text = job
                .resolver
                .read(&path, "posterior")
                .map_err(|e| Failure::Input(e.to_string()))?;
            let calibrated: Vec<&str> = prep.loaded[0]
                .scenario
                .params
                .iter()
                .filter(|p| {
                    p.provenance
                        .as_ref()
                        .is_some_and(|pr| pr.source == "calibration")
                })
                .map(|p| p.path.as_str())
                .collect();
            let p = Posterior::read(&text.path, &text.text, &calibrated, wp.worlds, job.seed)
                .map_err(Failure::Input)?;
            Some(p)
        }
    };
    Ok(posterior)
}
