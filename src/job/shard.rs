//! `negsim merge`: combines the partial results of `--shard K/N` runs into the result the unsharded
//! run would have written, byte for byte (aggregates are exact integer sums; per-replicate rows are
//! concatenated in shard order).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::ensemble::Aggregate;
use crate::model::Params;
use crate::report::manifest::now_utc;
use crate::report::output::{OutputDir, finish as sync_file};
use crate::scenario::Text;

use crate::error::Failure;

use crate::ensemble::job::{Prepared, Runs, build_arms, prefixes};
use crate::report::run::{Finish, finish};

/// Largest partial.json read, in bytes.
const MAX_PARTIAL_BYTES: u64 = 2_000_000_000;

/// Reads and parses a shard's JSON file `name` in `dir` (at most [`MAX_PARTIAL_BYTES`]), checking
/// that this negsim wrote it: `version_of` gives the file's (format, negsim version).
pub fn read_shard_file<T: serde::de::DeserializeOwned>(
    dir: &Path,
    name: &str,
    what: &str,
    format: u32,
    version_of: impl Fn(&T) -> (u32, &str),
) -> Result<T, Failure> {
    let p = dir.join(name);
    let shown = p.display().to_string();
    std::fs::metadata(&p).map_err(|e| {
        Failure::Input(format!(
            "cannot read '{shown}': {} (is '{}' {what}'s output directory?)",
            crate::scenario::io_reason(&e),
            dir.display()
        ))
    })?;
    let bytes = crate::scenario::read_bounded(&p, "partial result", MAX_PARTIAL_BYTES)
        .map_err(Failure::Input)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Input(format!("'{shown}' is not UTF-8 text")))?;
    let part: T = serde_json::from_str(&text)
        .map_err(|e| Failure::Input(format!("'{shown}' is not a partial result of {what}: {e}")))?;
    let (f, v) = version_of(&part);
    if f != format || v != env!("CARGO_PKG_VERSION") {
        return Err(Failure::Input(format!(
            "'{shown}' was written by negsim {v} (format {f}); this is negsim {} (format {format}): rerun the shards with one version",
            env!("CARGO_PKG_VERSION")
        )));
    }
    Ok(part)
}

/// Adds shard `k` read from `dir` to `parts`, refusing one that `differs` from the shards already
/// read (naming what differs) or a shard number given twice.
pub fn add_shard<T>(
    parts: &mut BTreeMap<u64, (PathBuf, T)>,
    dir: &Path,
    k: u64,
    part: T,
    differs: impl Fn(&T, &T) -> Option<&'static str>,
) -> Result<(), Failure> {
    if let Some((_, first)) = parts.values().next()
        && let Some(what) = differs(first, &part)
    {
        return Err(Failure::Input(format!(
            "'{}' belongs to a different run than the other shards (its {what} differs)",
            dir.display()
        )));
    }
    if let Some((other, _)) = parts.get(&k) {
        return Err(Failure::Input(format!(
            "shard {k} is given twice: '{}' and '{}'",
            other.display(),
            dir.display()
        )));
    }
    parts.insert(k, (dir.to_path_buf(), part));
    Ok(())
}

/// Fails unless shards 1..=n are all `present`, naming the missing ones.
pub fn check_complete(n: u64, present: impl Fn(u64) -> bool) -> Result<(), Failure> {
    let missing: Vec<String> = (1..=n)
        .filter(|&k| !present(k))
        .map(|k| k.to_string())
        .collect();
    match missing.len() {
        0 => Ok(()),
        1 => Err(Failure::Input(format!(
            "shard {} of {n} is missing; merge needs all {n}",
            missing[0]
        ))),
        _ => Err(Failure::Input(format!(
            "shards {} of {n} are missing; merge needs all {n}",
            missing.join(", ")
        ))),
    }
}

fn read_partial(dir: &Path) -> Result<Partial, Failure> {
    read_shard_file(
        dir,
        "partial.json",
        "a shard",
        PARTIAL_FORMAT,
        |p: &Partial| (p.format, p.negsim_version.as_str()),
    )
}

fn same_run(a: &Partial, b: &Partial) -> Option<&'static str> {
    if a.command != b.command {
        Some("command")
    } else if a.seed != b.seed {
        Some("seed")
    } else if a.runs_total != b.runs_total {
        Some("--runs")
    } else if a.shard.1 != b.shard.1 {
        Some("number of shards")
    } else if a.weeks != b.weeks {
        Some("--weeks")
    } else if a.trace != b.trace {
        Some("--trace")
    } else if a.independent != b.independent {
        Some("--independent")
    } else if a.runs_csv != b.runs_csv {
        Some("--no-runs-csv")
    } else if a.base != b.base {
        Some("base scenario")
    } else if a.arms != b.arms {
        Some("arms (overlays)")
    } else {
        None
    }
}

/// Copies `src` to the writer, skipping its first line (the header) unless `keep_header`.
fn append(src: &Path, w: &mut impl Write, keep_header: bool) -> std::io::Result<()> {
    // A shard's rows are a regular file: a device (/dev/zero) would be copied forever.
    if !std::fs::metadata(src)?.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a shard's runs.csv is one)",
        ));
    }
    let mut r = BufReader::new(std::fs::File::open(src)?);
    if !keep_header {
        let mut header = String::new();
        r.read_line(&mut header)?;
    }
    std::io::copy(&mut r, w)?;
    Ok(())
}

/// Merges the shard directories of a run or comparison into `out`.
// long: checks every shard against the first, then concatenates rows and sums aggregates in shard order.
pub fn merge_runs(
    dirs: &[PathBuf],
    out: Option<PathBuf>,
    force: bool,
    charts: bool,
    command_line: Vec<String>,
) -> Result<PathBuf, Failure> {
    let started = Instant::now();
    let started_utc = now_utc();
    if dirs.is_empty() {
        return Err(Failure::Input(
            "merge needs the output directories of the shards".into(),
        ));
    }
    let mut parts: BTreeMap<u64, (PathBuf, Partial)> = BTreeMap::new();
    for d in dirs {
        let p = read_partial(d)?;
        let k = p.shard.0;
        add_shard(&mut parts, d, k, p, same_run)?;
    }
    let n = parts.values().next().map_or(0, |(_, p)| p.shard.1);
    check_complete(n, |k| parts.contains_key(&k))?;
    let first = &parts
        .values()
        .next()
        .map(|(_, p)| p)
        .ok_or_else(|| Failure::Input("no shard".into()))?;
    let prep = rebuild(&first.base, &first.arms, first.weeks)?;
    let params: Vec<&Params> = prep.arms.iter().map(|a| &a.params).collect();
    let mut agg = Aggregate::new(&params);
    let mut stories = vec![None; prep.arms.len()];
    for (_, p) in parts.values() {
        agg.merge(&p.aggregate)
            .map_err(|e| Failure::Input(format!("shard {}: {e}", p.shard.0)))?;
        for (s, ps) in stories.iter_mut().zip(&p.stories) {
            if s.is_none() {
                *s = ps.clone();
            }
        }
    }
    if agg.runs != first.runs_total {
        return Err(Failure::Input(format!(
            "the shards hold {} replicates, not the {} of the run",
            agg.runs, first.runs_total
        )));
    }
    let command: &'static str = if first.command == "compare" {
        "compare"
    } else {
        "run"
    };
    let compare = command == "compare";
    let out_path = out.unwrap_or_else(|| {
        crate::report::output::default_out(&format!(
            "{}{}",
            if compare { "compare-" } else { "" },
            prep.loaded[0].scenario.meta.name
        ))
    });
    let subdirs: Vec<String> = if compare {
        prep.arms.iter().map(|a| a.name.clone()).collect()
    } else {
        Vec::new()
    };
    let mut od = OutputDir::prepare(&out_path, &subdirs, force)
        .map_err(|e| Failure::Input(e.to_string()))?;
    let prefixes: Vec<String> = if compare {
        prep.arms.iter().map(|a| format!("{}/", a.name)).collect()
    } else {
        vec![String::new()]
    };
    let runs_csv = first.runs_csv;
    for prefix in &prefixes {
        let names: Vec<&str> = if runs_csv {
            vec!["runs.csv", "events.csv"]
        } else {
            vec!["events.csv"]
        };
        for name in names {
            let rel = format!("{prefix}{name}");
            let mut w = od.create(&rel).map_err(|e| Failure::Input(e.to_string()))?;
            for (i, (dir, _)) in parts.values().enumerate() {
                append(&dir.join(&rel), &mut w, i == 0).map_err(|e| {
                    Failure::Input(format!(
                        "cannot copy '{}': {}",
                        dir.join(&rel).display(),
                        crate::scenario::io_reason(&e)
                    ))
                })?;
            }
            sync_file(w).map_err(|e| Failure::Input(od.write_error(&rel, &e).to_string()))?;
        }
    }
    let ctx = Finish {
        command,
        command_line,
        seed: first.seed,
        threads: 1,
        trace: first.trace,
        independent: first.independent,
        runs_csv,
        charts,
        runs: Runs::Fixed(first.runs_total),
        started,
        started_utc,
        brief: Default::default(),
    };
    let runs_total = first.runs_total;
    finish(&ctx, &prep, od, &agg, &stories, runs_total)
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

/// Rebuilds the arms a shard recorded: the base (path, text) and each arm's overlay texts, names
/// and descriptions as they were run.
pub fn rebuild(
    base: &(String, String),
    arms: &[PartialArm],
    weeks: u32,
) -> Result<Prepared, Failure> {
    let base = Text {
        path: base.0.clone(),
        text: base.1.clone(),
    };
    let overlay_texts: Vec<Vec<Text>> = arms
        .iter()
        .map(|a| {
            a.texts
                .iter()
                .map(|(p, t)| Text {
                    path: p.clone(),
                    text: t.clone(),
                })
                .collect()
        })
        .collect();
    let overlay_lists: Vec<Vec<String>> = arms.iter().map(|a| a.overlays.clone()).collect();
    let mut prep = build_arms(base, overlay_texts, overlay_lists, Some(weeks))?;
    for (arm, rec) in prep.arms.iter_mut().zip(arms) {
        arm.name = rec.name.clone();
        arm.description = rec.description.clone();
    }
    Ok(prep)
}

/// The arms of a prepared job as a shard records them.
pub fn partial_arms(prep: &Prepared) -> Vec<PartialArm> {
    prep.arms
        .iter()
        .zip(&prep.overlay_lists)
        .zip(&prep.overlay_texts)
        .map(|((a, l), t)| PartialArm {
            name: a.name.clone(),
            description: a.description.clone(),
            overlays: l.clone(),
            texts: t.iter().map(|x| (x.path.clone(), x.text.clone())).collect(),
        })
        .collect()
}

/// Format version of partial.json.
pub const PARTIAL_FORMAT: u32 = 1;

#[allow(clippy::too_many_arguments)]
pub fn write_partial(
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
        arms: partial_arms(prep),
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
        crate::report::run::manifest(ctx, prep, range.end - range.start, files.clone())
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
