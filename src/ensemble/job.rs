//! A run or comparison as specified (`Job`), and its arms loaded and compiled (`Prepared`): the
//! base scenario and each arm's overlays, names checked, sizes estimated against the safety
//! limits, and the replicate range of a shard.

use std::path::PathBuf;

use crate::ensemble::Arm;
use crate::error::Failure;
use crate::model::Params;
use crate::scenario::overlay::valid_arm_name;
use crate::scenario::{Loaded, MAX_WEEKS, Resolver, Text, load_texts, overlay_chain};

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
    /// Plausible worlds (`--worlds W`): `runs` replicates in each of W worlds drawn from the
    /// declared ranges, instead of one fixed-parameter ensemble.
    pub worlds: Option<u64>,
    /// `compare --base-arm NAME`: the arm every other is contrasted with (default: the base
    /// scenario, arm 0). It is moved to the front; all arms stay on common random numbers, so
    /// any arm is as good a reference as the base.
    pub base_arm: Option<String>,
    /// The `--set` changes as an overlay (`scenario::set_overlay`), applied to the base scenario
    /// of every arm before the arm's own overlays.
    pub set: Option<Text>,
    /// Command line, for the manifest.
    pub command_line: Vec<String>,
}

/// Replicates whose events are logged when the command line does not say (`--trace`).
pub const DEFAULT_TRACE: u64 = 3;

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

/// A size for messages, through indicatif's formatter (binary units: KiB, MiB, GiB, TiB).
fn human_bytes(b: f64) -> String {
    indicatif::HumanBytes(b.max(0.0) as u64).to_string()
}

/// A duration for messages ("3 hours", "2 days"), through indicatif's formatter.
pub fn human_time(s: f64) -> String {
    indicatif::HumanDuration(std::time::Duration::from_secs_f64(s.clamp(0.0, 1e15))).to_string()
}

/// Weeks of each replicate of the pilot that measures a scenario's cost ([`pilot_cost`]).
const PILOT_WEEKS: u32 = 52;

/// Replicates per arm of the pilot.
const PILOT_REPLICATES: u64 = 4;

/// Bytes of events.csv per traced replicate and arm (measured: 200,000 traced replicates of the
/// baseline wrote 1.4 GB).
const BYTES_PER_TRACED: f64 = 7_000.0;

/// Seconds per replicate-week of these arms on one thread, measured by a pilot: a few
/// replicates of up to [`PILOT_WEEKS`] weeks per arm, run and discarded before the real run
/// (their streams are not the run's, and nothing of them is kept). The cost of a week grows
/// with a scenario's factions, channels and calendar: a fixed figure under-estimated a large
/// scenario 400-fold. Never below [`SECONDS_PER_REPLICATE_WEEK`], which also covers the
/// aggregate and the writers.
pub fn pilot_cost(arms: &[Arm]) -> f64 {
    let started = std::time::Instant::now();
    let mut replicate_weeks = 0u64;
    for a in arms {
        let mut p = a.params.clone();
        p.weeks = p.weeks.min(PILOT_WEEKS);
        for r in 0..PILOT_REPLICATES {
            let key = crate::model::StreamKey {
                seed: 0,
                replicate: r,
                arm_salt: 0,
            };
            crate::model::run_replicate(&p, key, &mut crate::model::NoEvents, |_, _| {});
            replicate_weeks += u64::from(p.weeks);
        }
    }
    let measured = started.elapsed().as_secs_f64() / replicate_weeks.max(1) as f64;
    measured.max(SECONDS_PER_REPLICATE_WEEK)
}

/// Refuses sizes that would run out of time, memory or disk, with an estimate. Time comes from
/// a pilot of the scenario itself ([`pilot_cost`]); memory counts the aggregate each worker
/// thread keeps besides the main one; disk counts runs.csv and the events of `trace` traced
/// replicates.
pub fn check_size(
    runs: u64,
    arms: &[Arm],
    threads: usize,
    runs_csv: bool,
    trace: u64,
    allow_large: bool,
) -> Result<(), Failure> {
    let weeks = arms.first().map_or(0, |a| a.params.weeks) as f64;
    let n_arms = arms.len() as f64;
    let per_week = if allow_large {
        SECONDS_PER_REPLICATE_WEEK
    } else {
        pilot_cost(arms)
    };
    let seconds = runs as f64 * n_arms * weeks * per_week / threads.max(1) as f64;
    let rows = if runs_csv {
        runs as f64 * n_arms * BYTES_PER_ROW
    } else {
        0.0
    };
    let disk = rows + trace.min(runs) as f64 * n_arms * BYTES_PER_TRACED;
    // One aggregate per worker thread and one for the merged result.
    let aggregates = threads.max(1) as f64 + 1.0;
    let memory: f64 = aggregates
        * arms
            .iter()
            .map(|a| {
                let p = &a.params;
                let bins = 2.0 * (p.sides[0].tariff_max.max(p.sides[1].tariff_max) / crate::ensemble::aggregate::TARIFF_RES + 1.0)
                    + 2.0 * (p.b.implementation.controls_max / crate::ensemble::aggregate::CONTROLS_RES + 1.0);
                weeks * (bins * 8.0 + 6.0 * 8.0 + 3.0 * 8.0) + 3.0 * 20.0 * 2.0 * 8.0 * weeks
            })
            .sum::<f64>()
        // A batch in flight holds its trajectories.
        + (threads as f64 * 3.0) * crate::ensemble::BATCH as f64 * n_arms * weeks * 56.0;
    if allow_large {
        return Ok(());
    }
    let mut problems = Vec::new();
    if disk > MAX_RUNS_CSV_BYTES {
        problems.push(format!(
            "it would write {} of runs.csv and traced events (limit {}); use --no-runs-csv, a smaller --trace or fewer --runs",
            human_bytes(disk),
            human_bytes(MAX_RUNS_CSV_BYTES)
        ));
    }
    if memory > MAX_MEMORY_BYTES {
        problems.push(format!(
            "it would need about {} of memory for weekly statistics, one copy per thread (limit {}); use fewer --weeks or --threads",
            human_bytes(memory),
            human_bytes(MAX_MEMORY_BYTES)
        ));
    }
    if seconds > MAX_SECONDS {
        problems.push(format!(
            "it would take about {} on {threads} threads ({:.2} µs per replicate-week, measured on this scenario; limit {}); use fewer --runs or --weeks",
            human_time(seconds),
            per_week * 1e6,
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
        let mut t: Vec<Text> = job.set.iter().cloned().collect();
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
        if tops.is_empty() {
            // No overlay of its own (the --set overlay is the base's): the scenario's description.
            p.arms[a].description = l.scenario.meta.description.clone();
        }
    }
    if let Some(want) = &job.base_arm {
        let Some(i) = p.arms.iter().position(|a| &a.name == want) else {
            let names: Vec<&str> = p.arms.iter().map(|a| a.name.as_str()).collect();
            return Err(Failure::Input(format!(
                "--base-arm {want}: no arm has that name; the arms are {}",
                names.join(", ")
            )));
        };
        p.arms[..=i].rotate_right(1);
        p.loaded[..=i].rotate_right(1);
        p.overlay_lists[..=i].rotate_right(1);
        p.overlay_texts[..=i].rotate_right(1);
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
            if let Some(problem) =
                crate::scenario::date::Date::horizon_problem(l.scenario.meta.start, horizon)
            {
                return Err(Failure::Input(format!("--weeks {horizon}: {problem}")));
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
pub fn prefixes(compare: bool, arms: &[Arm]) -> Vec<String> {
    if compare {
        arms.iter().map(|a| format!("{}/", a.name)).collect()
    } else {
        vec![String::new()]
    }
}
