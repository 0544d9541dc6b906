//! The run/compare pipeline: load arms → check sizes → prepare the output directory → run the
//! ensemble → hand the aggregate to `report::run` (or write a shard's partial result).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::ensemble::job::{Job, Runs, TARGET_STEP, check_size, prefixes, prepare, shard_range};
use crate::ensemble::summary;
use crate::ensemble::worlds::WorldsPlan;
use crate::ensemble::{self, Aggregate, Outcome, Plan};
use crate::error::Failure;
use crate::model::Params;
use crate::report::answer::{Brief, WorldsBrief};
use crate::report::csv::RowWriter;
use crate::report::manifest::now_utc;
use crate::report::output::OutputDir;
use crate::report::run::{Finish, finish};

/// The overlays of a job as the default folder names them: the single arm's, or each arm's, and
/// the `--set` changes as `set-<8 hex digits of their text>`.
fn overlay_lists(job: &Job<'_>) -> Vec<Vec<String>> {
    let mut lists = if job.arms.is_empty() {
        vec![job.single_arm_overlays.clone()]
    } else {
        job.arms.clone()
    };
    if let Some(t) = &job.set {
        lists.insert(0, vec![format!("set-{}", super::short_hash(&t.text))]);
    }
    lists
}

/// Runs the job; returns the output directory.
pub fn execute(job: &Job<'_>, stop: &AtomicBool) -> Result<PathBuf, Failure> {
    execute_with(job, stop, Brief::default()).map(|(p, _)| p)
}

/// Runs the job with what its report leads with gathered before (`brief`); returns the output
/// directory, and for a `--worlds` job the answer across worlds for a later report.
// long: prepare → size check → output directory → ensemble batches (with --target-ci) → finish, in order.
pub fn execute_with(
    job: &Job<'_>,
    stop: &AtomicBool,
    brief: Brief,
) -> Result<(PathBuf, Option<WorldsBrief>), Failure> {
    let started = Instant::now();
    let started_utc = now_utc();
    let prep = prepare(job)?;
    let arms = &prep.arms;
    let base = &prep.loaded[0].scenario;
    let total = match job.runs {
        Runs::Fixed(n) => n,
        Runs::Target { max, .. } => max,
    };
    if total == 0 {
        return Err(Failure::Input(
            "--runs 0: nothing to simulate; give at least 1 replicate".into(),
        ));
    }
    let mut ctx = Finish {
        command: job.command,
        command_line: job.command_line.clone(),
        seed: job.seed,
        threads: job.threads,
        trace: job.trace,
        independent: job.independent,
        runs_csv: job.runs_csv,
        charts: job.charts,
        runs: job.runs,
        started,
        started_utc,
        brief,
    };
    if let Some(worlds) = job.worlds {
        let Runs::Fixed(runs) = job.runs else {
            return Err(Failure::Input(
                "--worlds takes --runs R (replicates per world), not --target-ci".into(),
            ));
        };
        let out_path = job.out.clone().unwrap_or_else(|| {
            crate::report::output::default_out(&format!(
                "{}{}{}-worlds",
                job.out_prefix,
                base.meta.name,
                super::overlays_tag(&overlay_lists(job))
            ))
        });
        let wp = WorldsPlan {
            worlds,
            runs,
            weeks: prep.weeks,
        };
        // One world is the smallest unit of work a thread takes.
        ctx.threads = super::cap_threads(job.threads, worlds);
        return super::worlds::execute(job, &prep, &ctx, out_path, wp, stop);
    }
    let range = match job.shard {
        Some((k, n)) => shard_range(total, k, n),
        None => 0..total,
    };
    // A batch of replicates is the smallest unit of work a thread takes: more threads than
    // batches would only allocate idle workers (10 runs on --threads 1000 took 5 GB).
    ctx.threads = super::cap_threads(
        job.threads,
        (range.end - range.start).div_ceil(ensemble::BATCH),
    );
    check_size(
        range.end - range.start,
        arms,
        ctx.threads,
        job.runs_csv,
        job.trace,
        job.allow_large,
    )?;

    // Output directory, prepared before any simulation.
    let out_path = job.out.clone().unwrap_or_else(|| {
        let shard = job
            .shard
            .map_or(String::new(), |(k, n)| format!("-shard-{k}-of-{n}"));
        crate::report::output::default_out(&format!(
            "{}{}{}{shard}",
            job.out_prefix,
            base.meta.name,
            super::overlays_tag(&overlay_lists(job))
        ))
    });
    let compare = job.command == "compare";
    let prefixes = prefixes(compare, arms);
    let subdirs: Vec<String> = if compare {
        arms.iter().map(|a| a.name.clone()).collect()
    } else {
        Vec::new()
    };
    let mut out = OutputDir::prepare(&out_path, &subdirs, job.force)
        .map_err(|e| Failure::Input(e.to_string()))?;

    // The ensemble.
    let scenarios: Vec<crate::scenario::Scenario> =
        prep.loaded.iter().map(|l| l.scenario.clone()).collect();
    let plan = Plan {
        seed: job.seed,
        threads: ctx.threads,
        trace: job.trace,
        independent: job.independent,
    };
    let params: Vec<&Params> = arms.iter().map(|a| &a.params).collect();
    let mut agg = Aggregate::new(&params);
    let bar = super::progress_bar(job.progress, range.end - range.start, "replicates");
    let (runs_done, stories) = {
        let mut rows = RowWriter::open(&mut out, arms, &scenarios, &prefixes, job.runs_csv)
            .map_err(|e| Failure::Input(e.to_string()))?;
        let mut done = range.start;
        loop {
            let chunk = match job.runs {
                Runs::Fixed(_) => range.end - done,
                Runs::Target { max, .. } => TARGET_STEP.min(max - done),
            };
            let base_done = done - range.start;
            let outcome = ensemble::run(
                arms,
                &plan,
                done..done + chunk,
                &mut agg,
                &mut rows,
                stop,
                &mut |n| bar.set_position(base_done + n),
            )
            .map_err(|e| Failure::Input(format!("{e}")))?;
            if let Outcome::Interrupted = outcome {
                bar.abandon();
                return Err(Failure::Interrupted);
            }
            done += chunk;
            match job.runs {
                Runs::Fixed(_) => break,
                Runs::Target { width, max } => {
                    let hw = summary::headline_half_width(&agg);
                    if hw.is_some_and(|h| h <= width) || done >= max || arms.len() < 2 {
                        break;
                    }
                }
            }
        }
        bar.finish_and_clear();
        let stories = rows
            .close(&out)
            .map_err(|e| Failure::Input(e.to_string()))?;
        (done - range.start, stories)
    };

    if let Some((k, n)) = job.shard {
        return super::shard::write_partial(&ctx, &prep, out, &agg, &stories, (k, n), range, total)
            .map(|p| (p, None));
    }
    finish(&ctx, &prep, out, &agg, &stories, runs_done).map(|p| (p, None))
}
