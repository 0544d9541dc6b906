//! `run` and `compare` with `--worlds W`: load arms → their uncertain inputs → check sizes →
//! output directory → every world's paired replicates → `report::worlds`.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use crate::ensemble::Plan;
use crate::ensemble::job::{Job, Prepared, check_size};
use crate::ensemble::worlds::{self, Posterior, WorldsPlan};
use crate::error::Failure;
use crate::report::answer::WorldsBrief;
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
) -> Result<(PathBuf, Option<WorldsBrief>), Failure> {
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
    let range = match job.shard {
        Some((k, n)) => crate::ensemble::job::shard_range(wp.worlds, k, n),
        None => 0..wp.worlds,
    };
    let bar = super::progress_bar(job.progress, range.end - range.start, "worlds");
    let tick = || bar.inc(1);
    // The output folder is prepared once the inputs are checked, before any world runs.
    let mut out = None;
    let mut prepare = || {
        out = Some(
            OutputDir::prepare(&out_path, &[], job.force)
                .map_err(|e| Failure::Input(e.to_string()))?,
        );
        Ok(())
    };
    let Simulated {
        inputs,
        posterior,
        posterior_text,
        result,
    } = simulate(
        job,
        prep,
        ctx.threads,
        wp,
        range.clone(),
        (stop, &tick),
        &mut prepare,
    )?;
    bar.finish_and_clear();
    let Some(out) = out else {
        return Err(Failure::Input("the output folder was not prepared".into()));
    };
    match job.shard {
        Some(shard) => write_partial(ctx, prep, out, wp, shard, range, posterior_text, result)
            .map(|p| (p, None)),
        None => {
            crate::report::worlds::finish(ctx, prep, out, &inputs, posterior.as_ref(), &result, wp)
                .map(|(p, b)| (p, Some(b)))
        }
    }
}

/// What the worlds of a job gave: its uncertain inputs, the posterior drawn (and its file), and
/// each world's outcome.
pub struct Simulated {
    /// The uncertain inputs.
    pub inputs: Vec<worlds::Input>,
    /// The calibration's posterior, when the scenario names one.
    pub posterior: Option<Posterior>,
    /// Its file as read.
    pub posterior_text: Option<crate::scenario::Text>,
    /// Per world, its outcomes.
    pub result: Vec<worlds::WorldOut>,
}

/// Runs worlds `range` of a prepared job (checks, posterior, templates, then `before_run`, then
/// the worlds); nothing is written. `Failure::Interrupted` when `stop` is set.
pub fn simulate(
    job: &Job<'_>,
    prep: &Prepared,
    threads: usize,
    wp: WorldsPlan,
    range: std::ops::Range<u64>,
    (stop, tick): (&AtomicBool, &(dyn Fn() + Sync)),
    before_run: &mut dyn FnMut() -> Result<(), Failure>,
) -> Result<Simulated, Failure> {
    let inputs = worlds::inputs(&prep.loaded);
    if inputs.is_empty() {
        return Err(Failure::Input(
            "--worlds: no value of these scenarios declares a range, so every world would be the same; give uncertain values a range (README, 'A scenario in ten lines')".into(),
        ));
    }
    check_size(
        wp.worlds.saturating_mul(wp.runs),
        &prep.arms,
        threads,
        false,
        0,
        job.allow_large,
    )?;
    let (posterior, posterior_text) = match load_posterior(job, prep, wp)? {
        Some((p, t)) => (Some(p), Some(t)),
        None => (None, None),
    };
    let templates: Vec<Template> = prep
        .overlay_texts
        .iter()
        .map(|t| Template::new(&prep.base_text, t).map_err(|e| Failure::Input(e.to_string())))
        .collect::<Result<_, _>>()?;
    let plan = Plan {
        seed: job.seed,
        threads,
        trace: 0,
        independent: false,
    };
    before_run()?;
    let result = worlds::run(
        &templates,
        &inputs,
        posterior.as_ref(),
        (wp, range.clone()),
        &plan,
        (stop, tick),
    )
    .map_err(Failure::Input)?;
    let Some(result) = result else {
        return Err(Failure::Interrupted);
    };
    Ok(Simulated {
        inputs,
        posterior,
        posterior_text,
        result,
    })
}

/// File name of a worlds shard's mergeable result.
pub const PARTIAL_FILE: &str = "worlds_partial.json";

/// Format version of [`PARTIAL_FILE`].
const PARTIAL_FORMAT: u32 = 2;

/// A worlds shard's mergeable result: what rebuilds the arms, the inputs and the posterior, and
/// the outcomes of its worlds. Per-world outcomes are scalars, so a shard's file stays small.
#[derive(serde::Serialize, serde::Deserialize)]
struct WorldsPartial {
    format: u32,
    build: crate::report::manifest::Build,
    command: String,
    seed: u64,
    worlds: u64,
    runs: u64,
    weeks: u32,
    shard: (u64, u64),
    range: (u64, u64),
    base: (String, String),
    arms: Vec<super::shard::PartialArm>,
    /// The posterior file as read: (path, text).
    posterior: Option<(String, String)>,
    out: Vec<worlds::WorldOut>,
}

#[allow(clippy::too_many_arguments)]
fn write_partial(
    ctx: &Finish,
    prep: &Prepared,
    mut out: OutputDir,
    wp: WorldsPlan,
    shard: (u64, u64),
    range: std::ops::Range<u64>,
    posterior: Option<crate::scenario::Text>,
    result: Vec<worlds::WorldOut>,
) -> Result<PathBuf, Failure> {
    let err = |e: crate::report::output::OutputError| Failure::Input(e.to_string());
    let part = WorldsPartial {
        format: PARTIAL_FORMAT,
        build: crate::report::manifest::Build::current(),
        command: ctx.command.into(),
        seed: ctx.seed,
        worlds: wp.worlds,
        runs: wp.runs,
        weeks: wp.weeks,
        shard,
        range: (range.start, range.end),
        base: (prep.base_text.path.clone(), prep.base_text.text.clone()),
        arms: super::shard::partial_arms(prep),
        posterior: posterior.map(|t| (t.path, t.text)),
        out: result,
    };
    let json = serde_json::to_string(&part)
        .map_err(|e| Failure::Input(format!("cannot encode the partial result: {e}")))?;
    out.write(PARTIAL_FILE, json.as_bytes()).map_err(err)?;
    super::shard::write_shard_manifest(&mut out, ctx.command, PARTIAL_FILE).map_err(err)?;
    let root = out.root().to_path_buf();
    out.commit().map_err(err)?;
    outln!(
        "shard {}/{}: worlds {}..{} of {} ({} runs each, {} arms) in {:.2} s; wrote {PARTIAL_FILE} to {}",
        shard.0,
        shard.1,
        range.start,
        range.end,
        wp.worlds,
        wp.runs,
        prep.arms.len(),
        ctx.started.elapsed().as_secs_f64(),
        root.display()
    );
    outln!(
        "merge all {} shards with: negsim merge DIR1 DIR2 ... --out DIR",
        shard.1
    );
    Ok(root)
}

/// Whether `dir` holds a worlds shard.
pub fn is_partial(dir: &std::path::Path) -> bool {
    dir.join(PARTIAL_FILE).is_file()
}

/// `negsim merge` of worlds shards: checks that they are one run and complete, concatenates their
/// worlds in order and writes what the unsharded run writes.
// long: read and check every shard, then rebuild the arms and the posterior and write; each step needs the last.
pub fn merge(
    dirs: &[PathBuf],
    out: Option<PathBuf>,
    force: bool,
    charts: bool,
    command_line: Vec<String>,
) -> Result<PathBuf, Failure> {
    let started = std::time::Instant::now();
    let started_utc = crate::report::manifest::now_utc();
    let mut parts: std::collections::BTreeMap<u64, (PathBuf, WorldsPartial)> =
        std::collections::BTreeMap::new();
    for d in dirs {
        let (p, _): (WorldsPartial, _) =
            super::shard::read_shard_file(d, PARTIAL_FILE, "a worlds shard", PARTIAL_FORMAT)?;
        let k = p.shard.0;
        super::shard::check_range(d, p.shard, p.range, p.worlds, "worlds")?;
        if p.out.len() as u64 != p.range.1 - p.range.0 {
            return Err(Failure::Input(format!(
                "'{}': shard {k} should hold worlds {}..{}, it holds {}",
                d.display(),
                p.range.0,
                p.range.1,
                p.out.len()
            )));
        }
        super::shard::add_shard(&mut parts, d, k, p, same_run)?;
    }
    let n = parts.values().next().map_or(0, |(_, p)| p.shard.1);
    super::shard::check_complete(n, |k| parts.contains_key(&k))?;
    let mut parts = parts.into_values().map(|(_, p)| p);
    let Some(first) = parts.next() else {
        return Err(Failure::Input(
            "merge needs the output directories of the shards".into(),
        ));
    };
    let prep = super::shard::rebuild(&first.base, &first.arms, first.weeks)?;
    let wp = WorldsPlan {
        worlds: first.worlds,
        runs: first.runs,
        weeks: first.weeks,
    };
    let inputs = worlds::inputs(&prep.loaded);
    let posterior = match &first.posterior {
        Some((path, text)) => Some(
            Posterior::read(path, text, &calibrated(&prep), wp.worlds, first.seed)
                .map_err(Failure::Input)?,
        ),
        None => None,
    };
    let command: &'static str = if first.command == "compare" {
        "compare"
    } else {
        "run"
    };
    let mut all = first.out;
    let seed = first.seed;
    for p in parts {
        all.extend(p.out);
    }
    let out_path = out.unwrap_or_else(|| {
        crate::report::output::default_out(&format!("worlds-{}", prep.loaded[0].scenario.meta.name))
    });
    super::shard::refuse_inside_shards(&out_path, dirs)?;
    let od =
        OutputDir::prepare(&out_path, &[], force).map_err(|e| Failure::Input(e.to_string()))?;
    let ctx = Finish {
        command,
        command_line,
        seed,
        threads: 1,
        trace: 0,
        independent: false,
        runs_csv: false,
        charts,
        runs: crate::ensemble::job::Runs::Fixed(wp.runs),
        started,
        started_utc,
        brief: Default::default(),
    };
    crate::report::worlds::finish(&ctx, &prep, od, &inputs, posterior.as_ref(), &all, wp)
        .map(|(p, _)| p)
}

/// What differs between two worlds shards, if anything.
fn same_run(f: &WorldsPartial, p: &WorldsPartial) -> Option<&'static str> {
    [
        (f.command != p.command, "command"),
        (f.seed != p.seed, "seed"),
        (f.worlds != p.worlds, "--worlds"),
        (f.runs != p.runs, "--runs"),
        (f.weeks != p.weeks, "--weeks"),
        (f.shard.1 != p.shard.1, "number of shards"),
        (f.base != p.base, "base scenario"),
        (f.arms != p.arms, "arms (overlays)"),
        (f.posterior != p.posterior, "posterior"),
    ]
    .into_iter()
    .find(|x| x.0)
    .map(|x| x.1)
}

/// The paths of the base scenario's calibrated constants, which the posterior must cover.
fn calibrated(prep: &Prepared) -> Vec<&str> {
    prep.loaded[0]
        .scenario
        .params
        .iter()
        .filter(|p| {
            p.provenance
                .as_ref()
                .is_some_and(|pr| pr.source == "calibration")
        })
        .map(|p| p.path.as_str())
        .collect()
}

/// The calibration posterior the base scenario names in `[uncertainty] posterior` (relative to the
/// scenario file), resampled for the worlds; `None` when it names none.
pub(super) fn load_posterior(
    job: &Job<'_>,
    prep: &Prepared,
    wp: WorldsPlan,
) -> Result<Option<(Posterior, crate::scenario::Text)>, Failure> {
    let posterior = match &prep.loaded[0].scenario.posterior {
        None => None,
        Some(rel) => {
            let path = job.resolver.relative(&job.base, rel);
            let text = job
                .resolver
                .read(&path, "posterior")
                .map_err(|e| Failure::Input(e.to_string()))?;
            let p = Posterior::read(
                &text.path,
                &text.text,
                &calibrated(prep),
                wp.worlds,
                job.seed,
            )
            .map_err(Failure::Input)?;
            Some((p, text))
        }
    };
    Ok(posterior)
}
