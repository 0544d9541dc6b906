//! The run/compare pipeline: load arms → check sizes → prepare the output directory → run the
//! ensemble → summarise → write files → commit → print the table.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::analysis::summary::{self, ArmSummary};
use crate::ensemble::{self, Aggregate, Arm, Outcome, Plan};
use crate::model::Params;
use crate::report::csv::{RowWriter, write_comparison, write_summary, write_timeseries};
use crate::report::manifest::{ArmEntry, DETERMINISM, Manifest, now_utc};
use crate::report::output::OutputDir;
use crate::report::{charts, document, report_doc, table};
use crate::scenario::overlay::valid_arm_name;
use crate::scenario::{Loaded, MAX_WEEKS, Resolver, Text, load_texts, overlay_chain};

use crate::error::Failure;

/// How many replicates to run.
#[derive(Clone, Copy, Debug)]
pub enum Runs {
    /// Exactly this many per arm.
    Fixed(u64),
    /// Batches until the headline half-width is at most `width`, up to `max` runs.
    Target {
        /// Wanted half-width.
        width: f64,
        /// Cap.
        max: u64,
    },
}

/// Replicates per batch in `--target-ci` mode (fixed, so the stopping point does not depend on
/// threads).
pub const TARGET_STEP: u64 = 1_000;

/// A fully specified job.
pub struct Job<'r> {
    /// "run" or "compare".
    pub command: &'static str,
    /// Base scenario path.
    pub base: String,
    /// Where texts come from.
    pub resolver: &'r dyn Resolver,
    /// Arms after the baseline: each a list of overlay paths applied in order.
    pub arms: Vec<Vec<String>>,
    /// `run` applies these overlays to the single arm.
    pub single_arm_overlays: Vec<String>,
    /// Seed.
    pub seed: u64,
    /// Horizon override.
    pub weeks: Option<u32>,
    /// Threads.
    pub threads: usize,
    /// Output directory (None: derived from the scenario name).
    pub out: Option<PathBuf>,
    /// Default output directory name pattern: `output/{prefix}{name}`.
    pub out_prefix: &'static str,
    /// Traced replicates.
    pub trace: u64,
    /// Progress bar.
    pub progress: bool,
    /// Overwrite.
    pub force: bool,
    /// Write runs.csv.
    pub runs_csv: bool,
    /// Draw charts.
    pub charts: bool,
    /// Replicates.
    pub runs: Runs,
    /// Independent streams.
    pub independent: bool,
    /// Skip size limits.
    pub allow_large: bool,
    /// Compute only shard k of n (1-based) and write a mergeable partial result.
    pub shard: Option<(u64, u64)>,
    /// Command line, for the manifest.
    pub command_line: Vec<String>,
}

/// Safety limits checked before a run (override with --allow-large).
pub const MAX_RUNS_CSV_BYTES: f64 = 2e9;
/// Longest expected run accepted without --allow-large, seconds.
pub const MAX_SECONDS: f64 = 3_600.0;
/// Largest aggregate memory accepted without --allow-large, bytes.
pub const MAX_MEMORY_BYTES: f64 = 4e9;
/// Cost of one replicate-week on one thread used for estimates, seconds (measured ~0.35 µs).
pub const SECONDS_PER_REPLICATE_WEEK: f64 = 4e-7;
/// Bytes of one runs.csv row.
const BYTES_PER_ROW: f64 = 260.0;

fn human_bytes(b: f64) -> String {
    if b >= 1e12 {
        format!("{:.1} TB", b / 1e12)
    } else if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else {
        format!("{:.0} kB", b / 1e3)
    }
}

pub fn human_time(s: f64) -> String {
    if s >= 86_400.0 {
        format!("{:.1} days", s / 86_400.0)
    } else if s >= 3_600.0 {
        format!("{:.1} hours", s / 3_600.0)
    } else if s >= 60.0 {
        format!("{:.0} minutes", s / 60.0)
    } else {
        format!("{s:.1} s")
    }
}

/// Refuses sizes that would run out of time, memory or disk, with an estimate.
pub fn check_size(
    runs: u64,
    arms: &[Arm],
    threads: usize,
    runs_csv: bool,
    allow_large: bool,
) -> Result<(), Failure> {
    let weeks = arms.first().map_or(0, |a| a.params.weeks) as f64;
    let n_arms = arms.len() as f64;
    let seconds = runs as f64 * n_arms * weeks * SECONDS_PER_REPLICATE_WEEK / threads.max(1) as f64;
    let disk = if runs_csv {
        runs as f64 * n_arms * BYTES_PER_ROW
    } else {
        0.0
    };
    let memory: f64 = arms
        .iter()
        .map(|a| {
            let p = &a.params;
            let bins = 2.0 * (p.sides[0].tariff_max.max(p.sides[1].tariff_max) / crate::ensemble::aggregate::TARIFF_RES + 1.0)
                + 2.0 * (p.b.implementation.controls_max / crate::ensemble::aggregate::CONTROLS_RES + 1.0);
            weeks * (bins * 8.0 + 6.0 * 8.0 + 3.0 * 8.0) + 3.0 * 20.0 * 2.0 * 8.0 * weeks
        })
        .sum::<f64>()
        // A batch in flight holds its trajectories.
        + (threads as f64 * 3.0) * ensemble::BATCH as f64 * n_arms * weeks * 56.0;
    if allow_large {
        return Ok(());
    }
    let mut problems = Vec::new();
    if disk > MAX_RUNS_CSV_BYTES {
        problems.push(format!(
            "it would write {} of runs.csv (limit {}); use --no-runs-csv or fewer --runs",
            human_bytes(disk),
            human_bytes(MAX_RUNS_CSV_BYTES)
        ));
    }
    if memory > MAX_MEMORY_BYTES {
        problems.push(format!(
            "it would need about {} of memory for weekly statistics (limit {}); use fewer --weeks",
            human_bytes(memory),
            human_bytes(MAX_MEMORY_BYTES)
        ));
    }
    if seconds > MAX_SECONDS {
        problems.push(format!(
            "it would take about {} on {threads} threads (limit {}); use fewer --runs or --weeks",
            human_time(seconds),
            human_time(MAX_SECONDS)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Input(format!(
            "refusing {runs} runs x {} arms x {weeks} weeks: {}; add --allow-large to run anyway",
            arms.len(),
            problems.join("; ")
        )))
    }
}

/// The arms of a job, loaded and compiled.
pub struct Prepared {
    /// The base scenario text.
    pub base_text: Text,
    /// Each arm's loaded scenario.
    pub loaded: Vec<Loaded>,
    /// Each arm's overlay paths, as given.
    pub overlay_lists: Vec<Vec<String>>,
    /// Each arm's overlay texts, includes expanded, in the order applied.
    pub overlay_texts: Vec<Vec<Text>>,
    /// The arms.
    pub arms: Vec<Arm>,
    /// Horizon.
    pub weeks: u32,
}

/// Loads and compiles every arm of a job.
pub fn prepare(job: &Job<'_>) -> Result<Prepared, Failure> {
    let base_text = job
        .resolver
        .read(&job.base, "scenario")
        .map_err(|e| Failure::Input(e.to_string()))?;
    let lists: Vec<Vec<String>> = std::iter::once(job.single_arm_overlays.clone())
        .chain(job.arms.iter().cloned())
        .collect();
    let mut texts = Vec::new();
    let mut names = Vec::new();
    for list in &lists {
        let mut t = Vec::new();
        let mut tops = Vec::new();
        for o in list {
            t.extend(overlay_chain(o, job.resolver).map_err(|e| Failure::Input(e.to_string()))?);
            tops.push(t.len() - 1);
        }
        texts.push(t);
        names.push(tops);
    }
    let mut p = build_arms(base_text, texts, lists, job.weeks)?;
    // Each top-level overlay names the arm by its own [overlay] name (not that of its includes).
    for (a, tops) in names.iter().enumerate() {
        let l = &p.loaded[a];
        let top_names: Vec<String> = tops
            .iter()
            .filter_map(|&i| l.overlays.get(i).map(|o| o.name.clone()))
            .collect();
        let name = match (a, top_names.is_empty()) {
            (0, true) => l.scenario.meta.name.clone(),
            (0, false) => format!("{}+{}", l.scenario.meta.name, top_names.join("+")),
            _ => top_names.join("+"),
        };
        if p.arms[..a].iter().any(|x| x.name == name) {
            return Err(Failure::Input(format!(
                "two arms are named '{name}'; give each overlay its own [overlay] name"
            )));
        }
        if !valid_arm_name(&name.replace('+', "_")) {
            return Err(Failure::Input(format!(
                "arm name '{name}' cannot name an output folder: use letters, digits, '_' and '-'"
            )));
        }
        p.arms[a].name = name;
    }
    Ok(p)
}

/// Loads arms from texts (used by `prepare` and by `merge`, which reloads them from a partial).
pub fn build_arms(
    base_text: Text,
    overlay_texts: Vec<Vec<Text>>,
    overlay_lists: Vec<Vec<String>>,
    weeks: Option<u32>,
) -> Result<Prepared, Failure> {
    let mut loaded = Vec::new();
    let mut arms = Vec::new();
    let mut horizon = 0;
    for (i, texts) in overlay_texts.iter().enumerate() {
        let l = load_texts(&base_text, texts).map_err(|e| Failure::Input(e.to_string()))?;
        if i == 0 {
            horizon = weeks.unwrap_or(l.scenario.meta.weeks);
            if horizon == 0 || i64::from(horizon) > MAX_WEEKS {
                return Err(Failure::Input(format!(
                    "--weeks {horizon} is out of range: expected 1 to {MAX_WEEKS}"
                )));
            }
        }
        let description = l
            .overlays
            .last()
            .map_or(l.scenario.meta.description.clone(), |o| {
                o.description.clone()
            });
        arms.push(Arm {
            name: l.scenario.meta.name.clone(),
            description,
            params: Params::compile(&l.scenario, horizon),
        });
        loaded.push(l);
    }
    Ok(Prepared {
        base_text,
        loaded,
        overlay_lists,
        overlay_texts,
        arms,
        weeks: horizon,
    })
}

/// The replicates of shard `k` (1-based) of `n` out of `total`: a contiguous range.
pub fn shard_range(total: u64, k: u64, n: u64) -> std::ops::Range<u64> {
    let at = |i: u64| ((u128::from(total) * u128::from(i)) / u128::from(n)) as u64;
    at(k - 1)..at(k)
}

/// Output sub-folder prefixes of the arms ("" for a single-arm run).
fn prefixes(compare: bool, arms: &[Arm]) -> Vec<String> {
    if compare {
        arms.iter().map(|a| format!("{}/", a.name)).collect()
    } else {
        vec![String::new()]
    }
}

/// Runs the job; prints the table; returns the output directory.
pub fn execute(job: &Job<'_>, stop: &AtomicBool) -> Result<PathBuf, Failure> {
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
    let range = match job.shard {
        Some((k, n)) => shard_range(total, k, n),
        None => 0..total,
    };
    check_size(
        range.end - range.start,
        arms,
        job.threads,
        job.runs_csv,
        job.allow_large,
    )?;

    // Output directory, prepared before any simulation.
    let out_path = job.out.clone().unwrap_or_else(|| {
        let shard = job
            .shard
            .map_or(String::new(), |(k, n)| format!("-shard-{k}-of-{n}"));
        PathBuf::from("output").join(format!("{}{}{shard}", job.out_prefix, base.meta.name))
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
        threads: job.threads,
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

    let ctx = Finish {
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
    };
    if let Some((k, n)) = job.shard {
        return write_partial(&ctx, &prep, out, &agg, &stories, (k, n), range, total);
    }
    finish(&ctx, &prep, out, &agg, &stories, runs_done)
}

/// What the last phase needs to know about the job.
pub struct Finish {
    /// "run" or "compare".
    pub command: &'static str,
    /// For the manifest.
    pub command_line: Vec<String>,
    /// Seed.
    pub seed: u64,
    /// Threads.
    pub threads: usize,
    /// Traced replicates.
    pub trace: u64,
    /// Independent streams.
    pub independent: bool,
    /// runs.csv written.
    pub runs_csv: bool,
    /// Charts drawn.
    pub charts: bool,
    /// Run count mode.
    pub runs: Runs,
    /// Start time.
    pub started: Instant,
    /// Start time, UTC text.
    pub started_utc: String,
}

/// A shard's mergeable result (partial.json).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Partial {
    /// Format version of this file.
    pub format: u32,
    /// negsim version that wrote it (merging requires the same).
    pub negsim_version: String,
    /// "run" or "compare".
    pub command: String,
    /// Seed.
    pub seed: u64,
    /// Replicates of the whole run.
    pub runs_total: u64,
    /// This shard: (k, n).
    pub shard: (u64, u64),
    /// Its replicates.
    pub range: (u64, u64),
    /// Horizon.
    pub weeks: u32,
    /// Traced replicates.
    pub trace: u64,
    /// Independent streams.
    pub independent: bool,
    /// runs.csv written.
    pub runs_csv: bool,
    /// Base scenario: (path, text).
    pub base: (String, String),
    /// The arms, with what is needed to rebuild them.
    pub arms: Vec<PartialArm>,
    /// The aggregate of this shard's replicates.
    pub aggregate: Aggregate,
    /// First traced replicate per arm, if this shard traced one.
    pub stories: Vec<Option<crate::report::csv::Story>>,
}

/// One arm of a partial result.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PartialArm {
    /// Arm name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Overlay paths as given.
    pub overlays: Vec<String>,
    /// Overlay texts (path, text) as applied, includes expanded.
    pub texts: Vec<(String, String)>,
}

/// Format version of partial.json.
pub const PARTIAL_FORMAT: u32 = 1;

#[allow(clippy::too_many_arguments)]
fn write_partial(
    ctx: &Finish,
    prep: &Prepared,
    mut out: OutputDir,
    agg: &Aggregate,
    stories: &[Option<crate::report::csv::Story>],
    shard: (u64, u64),
    range: std::ops::Range<u64>,
    total: u64,
) -> Result<PathBuf, Failure> {
    let err = |e: crate::report::output::OutputError| Failure::Input(e.to_string());
    let partial = Partial {
        format: PARTIAL_FORMAT,
        negsim_version: env!("CARGO_PKG_VERSION").into(),
        command: ctx.command.into(),
        seed: ctx.seed,
        runs_total: total,
        shard,
        range: (range.start, range.end),
        weeks: prep.weeks,
        trace: ctx.trace,
        independent: ctx.independent,
        runs_csv: ctx.runs_csv,
        base: (prep.base_text.path.clone(), prep.base_text.text.clone()),
        arms: prep
            .arms
            .iter()
            .zip(&prep.overlay_lists)
            .zip(&prep.overlay_texts)
            .map(|((a, l), t)| PartialArm {
                name: a.name.clone(),
                description: a.description.clone(),
                overlays: l.clone(),
                texts: t.iter().map(|x| (x.path.clone(), x.text.clone())).collect(),
            })
            .collect(),
        aggregate: agg.clone(),
        stories: stories.to_vec(),
    };
    let json = serde_json::to_string(&partial)
        .map_err(|e| Failure::Input(format!("cannot encode the partial result: {e}")))?;
    out.write("partial.json", json.as_bytes()).map_err(err)?;
    let compare = ctx.command == "compare";
    let mut files = Vec::new();
    for p in prefixes(compare, &prep.arms) {
        if ctx.runs_csv {
            files.push(format!("{p}runs.csv"));
        }
        files.push(format!("{p}events.csv"));
    }
    files.extend(["partial.json".to_string(), "manifest.json".to_string()]);
    out.write(
        "manifest.json",
        manifest(ctx, prep, range.end - range.start, files.clone())
            .to_json()
            .as_bytes(),
    )
    .map_err(err)?;
    let root = out.root().to_path_buf();
    out.commit().map_err(err)?;
    outln!(
        "shard {}/{}: replicates {}..{} of {total} ({} arm{}) in {:.2} s; wrote {} files to {}",
        shard.0,
        shard.1,
        range.start,
        range.end,
        prep.arms.len(),
        if prep.arms.len() == 1 { "" } else { "s" },
        ctx.started.elapsed().as_secs_f64(),
        files.len(),
        root.display()
    );
    outln!(
        "merge all {} shards with: negsim merge DIR1 DIR2 ... --out DIR",
        shard.1
    );
    Ok(root)
}

fn manifest(ctx: &Finish, prep: &Prepared, runs: u64, files: Vec<String>) -> Manifest {
    let base = &prep.loaded[0].scenario;
    Manifest {
        negsim_version: env!("CARGO_PKG_VERSION"),
        command: ctx.command.to_string(),
        command_line: ctx.command_line.clone(),
        scenario: prep.base_text.path.clone(),
        scenario_name: base.meta.name.clone(),
        scenario_sha256: prep.loaded[0].hash.clone(),
        arms: prep
            .arms
            .iter()
            .zip(&prep.loaded)
            .zip(&prep.overlay_lists)
            .map(|((a, l), o)| ArmEntry {
                name: a.name.clone(),
                description: a.description.clone(),
                overlays: o.clone(),
                sha256: l.hash.clone(),
            })
            .collect(),
        seed: ctx.seed,
        runs,
        weeks: prep.weeks,
        threads: ctx.threads,
        independent: ctx.independent,
        trace: ctx.trace.min(runs),
        started_utc: ctx.started_utc.clone(),
        wall_seconds: (ctx.started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        files,
        determinism: DETERMINISM,
    }
}

/// Writes summaries, time series, comparisons, charts, the report and the manifest; commits.
pub fn finish(
    ctx: &Finish,
    prep: &Prepared,
    mut out: OutputDir,
    agg: &Aggregate,
    stories: &[Option<crate::report::csv::Story>],
    runs_done: u64,
) -> Result<PathBuf, Failure> {
    let arms = &prep.arms;
    let base = &prep.loaded[0].scenario;
    let weeks = prep.weeks;
    let compare = ctx.command == "compare";
    let prefixes = prefixes(compare, arms);
    let sums: Vec<ArmSummary> = (0..arms.len())
        .map(|a| summary::summarize_arm(agg, a))
        .collect();
    let err = |e: crate::report::output::OutputError| Failure::Input(e.to_string());
    for (a, arm) in arms.iter().enumerate() {
        write_timeseries(
            &mut out,
            &format!("{}timeseries.csv", prefixes[a]),
            agg,
            a,
            arm,
        )
        .map_err(err)?;
        write_summary(&mut out, &format!("{}summary.csv", prefixes[a]), &sums[a]).map_err(err)?;
    }
    let mut files: Vec<String> = Vec::new();
    for p in &prefixes {
        if ctx.runs_csv {
            files.push(format!("{p}runs.csv"));
        }
        files.extend([
            format!("{p}timeseries.csv"),
            format!("{p}events.csv"),
            format!("{p}summary.csv"),
        ]);
    }
    let mut printed = String::new();
    if compare {
        write_comparison(&mut out, "comparison.csv", agg, arms, &sums).map_err(err)?;
        let vr = variance_reduction_csv(agg, arms, ctx.independent);
        out.write("variance_reduction.csv", vr.as_bytes())
            .map_err(err)?;
        files.extend([
            "comparison.csv".to_string(),
            "variance_reduction.csv".to_string(),
        ]);
        printed.push_str(&table::compare_table(agg, arms, &sums));
        printed.push_str(&crn_lines(agg, arms, ctx.independent));
        if let Runs::Target { width, max } = ctx.runs {
            let hw = summary::headline_half_width(agg).unwrap_or(f64::NAN);
            let reached = if hw <= width {
                "reached"
            } else {
                "not reached: hit --max-runs"
            };
            printed.push_str(&format!("--target-ci {width}: {reached} after {runs_done} runs per arm (largest half-width {hw:.4}, cap {max})\n"));
        }
    } else {
        printed.push_str(&table::run_table(&sums[0]));
    }
    let mut chart_notes: Vec<(String, String, String)> = Vec::new();
    let mut chart_seconds = 0.0;
    if ctx.charts {
        let t0 = Instant::now();
        let real = crate::data::embedded_tariffs();
        let inp = charts::Input {
            scenario: &base.meta.name,
            runs: runs_done,
            seed: ctx.seed,
            arms,
            agg,
            sums: &sums,
            stories,
            real: &real,
        };
        for c in charts::render_all(&inp).map_err(Failure::Input)? {
            out.write(c.file, &c.png).map_err(err)?;
            files.push(c.file.to_string());
            chart_notes.push((c.file.to_string(), c.title, c.guide));
        }
        chart_seconds = t0.elapsed().as_secs_f64();
    }
    let (table_h, table_rows) = if compare {
        table::compare_rows(agg, arms, &sums)
    } else {
        table::run_rows(&sums[0])
    };
    let mut notes = Vec::new();
    if compare {
        for (a, arm) in arms.iter().enumerate().skip(1) {
            if let Some(v) = summary::variance_reduction(agg, a) {
                notes.push(format!(
                    "{}: variance of the paired difference in share of weeks in truce {:.5} vs {:.5} for independent arms ({:.1}x fewer replicates needed for the same interval)",
                    arm.name,
                    v.paired,
                    v.independent,
                    v.ratio()
                ));
            }
        }
    }
    files.extend([
        "report.md".to_string(),
        "report.html".to_string(),
        "manifest.json".to_string(),
    ]);
    let end_date =
        crate::scenario::date::Date::week_start(base.meta.start, u64::from(weeks)).add_days(-1);
    let facts = report_doc::Facts {
        scenario: &base.meta.name,
        description: &base.meta.description,
        compare,
        arms: arms
            .iter()
            .zip(&prep.overlay_lists)
            .map(|(a, o)| (a.name.clone(), a.description.clone(), o.clone()))
            .collect(),
        table: (table_h, table_rows),
        notes,
        charts: chart_notes,
        run: vec![
            ("negsim".into(), env!("CARGO_PKG_VERSION").into()),
            (
                "scenario".into(),
                format!(
                    "{} (sha256 {})",
                    prep.base_text.path,
                    &prep.loaded[0].hash[..16]
                ),
            ),
            (
                "period".into(),
                format!("{} to {} ({weeks} weeks)", base.meta.start, end_date),
            ),
            ("replicates per arm".into(), runs_done.to_string()),
            ("seed".into(), ctx.seed.to_string()),
            (
                "threads, command line and wall time".into(),
                "in manifest.json (this report is identical whatever the thread count)".into(),
            ),
        ],
        files: files.clone(),
    };
    let blocks = report_doc::build(&facts);
    out.write("report.md", document::markdown(&blocks).as_bytes())
        .map_err(err)?;
    out.write(
        "report.html",
        document::html(&format!("negsim report: {}", base.meta.name), &blocks).as_bytes(),
    )
    .map_err(err)?;
    out.write(
        "manifest.json",
        manifest(ctx, prep, runs_done, files.clone())
            .to_json()
            .as_bytes(),
    )
    .map_err(err)?;
    let root = out.root().to_path_buf();
    out.commit().map_err(err)?;
    out!("{printed}");
    if ctx.charts {
        outln!("charts drawn in {chart_seconds:.2} s");
    }
    outln!(
        "{} runs x {} arm{} x {weeks} weeks in {:.2} s; wrote {} files to {}",
        runs_done,
        arms.len(),
        if arms.len() == 1 { "" } else { "s" },
        ctx.started.elapsed().as_secs_f64(),
        files.len(),
        root.display()
    );
    Ok(root)
}

fn variance_reduction_csv(agg: &Aggregate, arms: &[Arm], independent: bool) -> String {
    let mut s =
        String::from("arm,metric,streams,var_paired_difference,var_independent_equivalent,ratio\n");
    for (a, arm) in arms.iter().enumerate().skip(1) {
        if let Some(v) = summary::variance_reduction(agg, a) {
            s.push_str(&format!(
                "{},{},{},{},{},{}\n",
                arm.name,
                summary::HEADLINE,
                if independent { "independent" } else { "common" },
                crate::report::csv::num(v.paired, 8),
                crate::report::csv::num(v.independent, 8),
                crate::report::csv::num(v.ratio(), 3)
            ));
        }
    }
    s
}

fn crn_lines(agg: &Aggregate, arms: &[Arm], independent: bool) -> String {
    let mut s = String::new();
    let streams = if independent {
        "independent streams (--independent)"
    } else {
        "common random numbers"
    };
    s.push_str(&format!(
        "\nvariance of the paired difference in {} ({streams}) vs Var(arm) + Var(baseline):\n",
        summary::HEADLINE
    ));
    for (a, arm) in arms.iter().enumerate().skip(1) {
        if let Some(v) = summary::variance_reduction(agg, a) {
            s.push_str(&format!(
                "  {:<28} {:.6} vs {:.6}  (ratio {:.1})\n",
                arm.name,
                v.paired,
                v.independent,
                v.ratio()
            ));
        }
    }
    s
}
