//! `negsim sweep`, `negsim sensitivity` and `negsim discover`: a study's points are evaluated in
//! parallel on common random numbers, then written by `report::explore`. With `--shard K/N` a run
//! evaluates a contiguous share of the points and writes a partial result (carrying the study's
//! spec and texts) that `negsim merge` completes, byte for byte what one run would have written.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::error::Failure;
use crate::explore::prepare::{StudySpec, prepare, read_texts};
use crate::explore::space::{Evaluator, Point};
use crate::explore::study::{self, EvalError};
use crate::report::explore::finish;
use crate::report::manifest::now_utc;
use crate::report::output::OutputDir;
use crate::scenario::Text;

use crate::ensemble::job::{MAX_SECONDS, SECONDS_PER_REPLICATE_WEEK, human_time, shard_range};

/// Format of explore_partial.json.
const PARTIAL_FORMAT: u32 = 3;

/// File a shard writes.
pub const PARTIAL_FILE: &str = "explore_partial.json";

fn input(e: impl std::fmt::Display) -> Failure {
    Failure::Input(e.to_string())
}

/// How a study is run and written (not part of what it computes).
#[derive(Clone, Debug)]
pub struct StudyOptions {
    /// Base scenario file.
    pub scenario: PathBuf,
    /// Overlays applied to it.
    pub with: Vec<PathBuf>,
    /// The study.
    pub spec: StudySpec,
    /// Worker threads.
    pub threads: usize,
    /// Output directory (None: `output/<command>-<scenario>`).
    pub out: Option<PathBuf>,
    /// Progress bar.
    pub progress: bool,
    /// Overwrite.
    pub force: bool,
    /// Charts.
    pub charts: bool,
    /// Skip the time limit.
    pub allow_large: bool,
    /// Evaluate only shard k of n.
    pub shard: Option<(u64, u64)>,
    /// For the manifest.
    pub command_line: Vec<String>,
}

/// A shard's mergeable result.
#[derive(serde::Serialize, serde::Deserialize)]
struct Partial {
    format: u32,
    build: crate::report::manifest::Build,
    /// The study as specified (merge rebuilds it from this and the texts).
    spec: StudySpec,
    fingerprint: String,
    shard: (u64, u64),
    range: (usize, usize),
    total: usize,
    base: (String, String),
    overlays: Vec<(String, String)>,
    points: Vec<Point>,
}
/// Runs an explore command.
// long: prepare → size check → evaluate → partial or finish, in order; each step needs the last.
pub fn run(o: &StudyOptions, stop: &AtomicBool) -> Result<PathBuf, Failure> {
    let started = Instant::now();
    let started_utc = now_utc();
    let (base, overlays) = read_texts(&o.scenario, &o.with)?;
    let study = prepare(&o.spec, base, overlays)?;
    let total = study.specs.len();
    let range = match o.shard {
        Some((k, n)) => {
            let r = shard_range(total as u64, k, n);
            r.start as usize..r.end as usize
        }
        None => 0..total,
    };
    // A point is the smallest unit of work a thread takes.
    let threads = super::cap_threads(o.threads, range.len() as u64);
    let seconds = (range.len() as f64)
        * study.runs as f64
        * f64::from(study.weeks)
        * SECONDS_PER_REPLICATE_WEEK
        / threads.max(1) as f64;
    if seconds > MAX_SECONDS && !o.allow_large {
        return Err(Failure::Input(format!(
            "refusing {} points x {} replicates x {} weeks: it would take about {} on {threads} threads (limit {}); use fewer points or --runs, split it with --shard K/N, or add --allow-large",
            range.len(),
            study.runs,
            study.weeks,
            human_time(seconds),
            human_time(MAX_SECONDS)
        )));
    }
    let out_path = o
        .out
        .clone()
        .unwrap_or_else(|| crate::report::output::default_out(&study.default_folder(o.shard)));
    let out = OutputDir::prepare(&out_path, &[], o.force).map_err(input)?;
    let ev = Evaluator {
        template: &study.template,
        weeks: study.weeks,
        runs: study.runs,
        outcome: study.outcome(),
    };
    let bar = super::progress_bar(o.progress, range.len() as u64, "points");
    let tick = || bar.inc(1);
    let points = match study::evaluate(
        &ev,
        &study.dims,
        &study.specs[range.clone()],
        threads,
        stop,
        &tick,
    ) {
        Ok(p) => p,
        Err(EvalError::Interrupted) => {
            bar.finish_and_clear();
            drop(out);
            return Err(Failure::Interrupted);
        }
        Err(EvalError::Failed(m)) => {
            bar.finish_and_clear();
            return Err(Failure::Input(m));
        }
    };
    bar.finish_and_clear();
    if let Some(shard) = o.shard {
        let part = Partial {
            format: PARTIAL_FORMAT,
            build: crate::report::manifest::Build::current(),
            spec: study.spec.clone(),
            fingerprint: study.fingerprint.clone(),
            shard,
            range: (range.start, range.end),
            total,
            base: (study.base.path.clone(), study.base.text.clone()),
            overlays: study
                .overlays
                .iter()
                .map(|o| (o.path.clone(), o.text.clone()))
                .collect(),
            points,
        };
        let json = serde_json::to_string(&part).map_err(input)?;
        let mut out = out;
        out.write(PARTIAL_FILE, json.as_bytes()).map_err(input)?;
        super::shard::write_shard_manifest(&mut out, "explore", PARTIAL_FILE).map_err(input)?;
        let root = out.root().to_path_buf();
        out.commit().map_err(input)?;
        outln!(
            "{} shard {}/{}: points {}..{} of {total} in {:.2} s; wrote {}\nmerge all {} shards with: negsim merge DIR1 DIR2 ... --out DIR",
            study.command,
            shard.0,
            shard.1,
            range.start,
            range.end,
            started.elapsed().as_secs_f64(),
            root.join(PARTIAL_FILE).display(),
            shard.1
        );
        return Ok(root);
    }
    finish(
        &study,
        &points,
        out,
        o.charts,
        o.command_line.clone(),
        threads,
        started,
        started_utc,
    )
}

/// Whether `dir` holds an explore shard's partial result.
pub fn is_partial(dir: &Path) -> bool {
    dir.join(PARTIAL_FILE).is_file()
}

/// Merges explore shards into the result one run would have written.
// long: checks every shard against the first (study, duplicates, ranges) before rebuilding the study.
pub fn merge(
    dirs: &[PathBuf],
    out: Option<PathBuf>,
    force: bool,
    charts: bool,
    command_line: Vec<String>,
) -> Result<PathBuf, Failure> {
    let started = Instant::now();
    let started_utc = now_utc();
    let mut parts: Vec<(PathBuf, Partial)> = Vec::new();
    for d in dirs {
        let (part, _): (Partial, _) =
            super::shard::read_shard_file(d, PARTIAL_FILE, "an explore shard", PARTIAL_FORMAT)?;
        super::shard::check_range(
            d,
            part.shard,
            (part.range.0 as u64, part.range.1 as u64),
            part.total as u64,
            "points",
        )?;
        if let Some((first_dir, first)) = parts.first() {
            if first.fingerprint != part.fingerprint {
                return Err(Failure::Input(format!(
                    "'{}' belongs to a different study than '{}' (scenario, parameters, design or settings differ)",
                    d.display(),
                    first_dir.display()
                )));
            }
            if let Some((other, _)) = parts.iter().find(|(_, q)| q.shard.0 == part.shard.0) {
                return Err(Failure::Input(format!(
                    "shard {} is given twice: '{}' and '{}'",
                    part.shard.0,
                    other.display(),
                    d.display()
                )));
            }
        }
        parts.push((d.clone(), part));
    }
    parts.sort_by_key(|(_, p)| p.shard.0);
    let Some((_, first)) = parts.first() else {
        return Err(Failure::Input(
            "merge needs the output directories of the shards".into(),
        ));
    };
    let n = first.shard.1;
    super::shard::check_complete(n, |k| parts.iter().any(|(_, p)| p.shard.0 == k))?;
    let texts = (
        Text {
            path: first.base.0.clone(),
            text: first.base.1.clone(),
        },
        first
            .overlays
            .iter()
            .map(|(p, t)| Text {
                path: p.clone(),
                text: t.clone(),
            })
            .collect(),
    );
    let study = prepare(&first.spec, texts.0, texts.1)?;
    if study.fingerprint != first.fingerprint {
        return Err(Failure::Input(
            "the shards' study cannot be rebuilt identically by this negsim".into(),
        ));
    }
    let mut points = Vec::with_capacity(first.total);
    for (d, p) in &parts {
        if p.range.0 != points.len() || p.range.1 - p.range.0 != p.points.len() {
            return Err(Failure::Input(format!(
                "'{}' holds points {}..{} but {} were expected next",
                d.display(),
                p.range.0,
                p.range.1,
                points.len()
            )));
        }
        points.extend(p.points.iter().cloned());
    }
    if points.len() != study.specs.len() {
        return Err(Failure::Input(format!(
            "the shards hold {} points of {}",
            points.len(),
            study.specs.len()
        )));
    }
    let out_path =
        out.unwrap_or_else(|| crate::report::output::default_out(&study.default_folder(None)));
    super::shard::refuse_inside_shards(&out_path, dirs)?;
    let dir = OutputDir::prepare(&out_path, &[], force).map_err(input)?;
    finish(
        &study,
        &points,
        dir,
        charts,
        command_line,
        0,
        started,
        started_utc,
    )
}
