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

/// The SHA-256 of every file of a shard, by relative path.
pub type Hashes = BTreeMap<String, String>;

/// The SHA-256 of every file of the shard in `dir`, from its manifest.json.
pub fn shard_hashes(dir: &Path) -> Result<Hashes, Failure> {
    let p = dir.join(crate::report::output::MANIFEST);
    let shown = p.display().to_string();
    let bytes = crate::scenario::read_bounded(&p, "shard manifest", 64 << 20).map_err(|e| {
        Failure::Input(format!(
            "{e} (is '{}' the output directory of a shard?)",
            dir.display()
        ))
    })?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Failure::Input(format!("'{shown}' is not a shard's manifest: {e}")))?;
    let map = v.get("sha256").and_then(|m| m.as_object()).ok_or_else(|| {
        Failure::Input(format!(
            "'{shown}' lists no file hashes, so its shard cannot be verified: rerun the shards with this negsim"
        ))
    })?;
    Ok(map
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect())
}

/// The part of a shard's JSON file that says who wrote it, read before the rest.
#[derive(serde::Deserialize)]
struct Head {
    format: u32,
    #[serde(default)]
    build: Option<crate::report::manifest::Build>,
    #[serde(default)]
    negsim_version: Option<String>,
}

/// Reads and parses a shard's JSON file `name` in `dir` (at most [`MAX_PARTIAL_BYTES`]): checks
/// it against the SHA-256 its manifest.json lists, and that the same build of negsim wrote it
/// (format `format`, [`crate::report::manifest::Build`]). Returns it with the hashes of all the
/// shard's files.
pub fn read_shard_file<T: serde::de::DeserializeOwned>(
    dir: &Path,
    name: &str,
    what: &str,
    format: u32,
) -> Result<(T, Hashes), Failure> {
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
    let hashes = shard_hashes(dir)?;
    let digest = {
        use sha2::Digest as _;
        crate::fmt::hex(&sha2::Sha256::digest(&bytes))
    };
    if hashes.get(name) != Some(&digest) {
        return Err(Failure::Input(format!(
            "'{shown}' does not match the SHA-256 in its manifest.json: it was changed or damaged after its shard wrote it"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Input(format!("'{shown}' is not UTF-8 text")))?;
    let head: Head = serde_json::from_str(&text)
        .map_err(|e| Failure::Input(format!("'{shown}' is not a partial result of {what}: {e}")))?;
    let here = crate::report::manifest::Build::current();
    let differs = match &head.build {
        Some(b) => here.differs(b),
        None => Some(format!(
            "version {}, format {}",
            head.negsim_version.as_deref().unwrap_or("unknown"),
            head.format
        )),
    };
    if head.format != format || differs.is_some() {
        return Err(Failure::Input(format!(
            "'{shown}' was written by another build of negsim ({}); merge needs the shards and the merge run by one build",
            differs.unwrap_or_else(|| format!("format {}, this negsim {format}", head.format))
        )));
    }
    let part: T = serde_json::from_str(&text)
        .map_err(|e| Failure::Input(format!("'{shown}' is not a partial result of {what}: {e}")))?;
    Ok((part, hashes))
}

/// Writes the manifest of a shard whose result is one JSON file `file` (worlds and explore
/// shards): it marks the folder as a negsim result and carries the file's SHA-256 and the build,
/// which `merge` verifies ([`read_shard_file`]).
pub fn write_shard_manifest(
    out: &mut OutputDir,
    command: &str,
    file: &str,
) -> Result<(), crate::report::output::OutputError> {
    let manifest = serde_json::json!({
        "command": command,
        "files": [file, crate::report::output::MANIFEST],
        "sha256": { file: out.digest(file)? },
        "build": crate::report::manifest::Build::current(),
    });
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    out.write(
        crate::report::output::MANIFEST,
        format!("{text}\n").as_bytes(),
    )
}

/// Fails unless shard `(k, n)` of `total` items holds exactly its range, `shard_range(total, k,
/// n)`: a copy of one shard relabelled as another, or an edited range, is refused.
pub fn check_range(
    dir: &Path,
    (k, n): (u64, u64),
    range: (u64, u64),
    total: u64,
    what: &str,
) -> Result<(), Failure> {
    if n == 0 || k == 0 || k > n || n > total.max(1) {
        return Err(Failure::Input(format!(
            "'{}' says it is shard {k} of {n} of {total} {what}, which is not a shard",
            dir.display()
        )));
    }
    let expected = crate::ensemble::job::shard_range(total, k, n);
    if range != (expected.start, expected.end) {
        return Err(Failure::Input(format!(
            "'{}': shard {k} of {n} holds {what} {}..{}, not its own {}..{} (a copy of another shard, or edited)",
            dir.display(),
            range.0,
            range.1,
            expected.start,
            expected.end
        )));
    }
    Ok(())
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

fn read_partial(dir: &Path) -> Result<(Partial, Hashes), Failure> {
    let (p, hashes): (Partial, _) =
        read_shard_file(dir, "partial.json", "a shard", PARTIAL_FORMAT)?;
    check_range(dir, p.shard, p.range, p.runs_total, "replicates")?;
    if p.aggregate.runs != p.range.1 - p.range.0 {
        return Err(Failure::Input(format!(
            "'{}': its aggregate holds {} replicates, its range {}",
            dir.display(),
            p.aggregate.runs,
            p.range.1 - p.range.0
        )));
    }
    p.aggregate
        .check()
        .map_err(|e| Failure::Input(format!("'{}': partial.json: {e}", dir.display())))?;
    Ok((p, hashes))
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

/// What the rows of a shard's CSV file must say: its first field is the replicate.
#[derive(Clone, Copy)]
enum Rows {
    /// runs.csv: one row per replicate of the range, in order.
    EachOf(u64, u64),
    /// events.csv: rows of replicates in the range, in non-decreasing order.
    Within(u64, u64),
}

/// The replicate of row `n` (0-based, after the header) of a shard's CSV file, checked against
/// `rows`; `prev` is the previous row's.
fn row_replicate(line: &[u8], rows: Rows, n: u64, prev: Option<u64>) -> Result<u64, String> {
    let rep: Option<u64> = line
        .split(|&b| b == b',')
        .next()
        .and_then(|f| std::str::from_utf8(f).ok())
        .and_then(|f| f.trim_end().parse().ok());
    match (rows, rep) {
        (Rows::EachOf(a, _), Some(x)) if x == a + n => Ok(x),
        (Rows::Within(a, b), Some(x)) if (a..b).contains(&x) && prev.is_none_or(|p| p <= x) => {
            Ok(x)
        }
        _ => Err(format!(
            "row {} does not belong to this shard's replicates (replicate {})",
            n + 1,
            rep.map_or("missing".into(), |x| x.to_string())
        )),
    }
}

/// Longest row of a shard's CSV file read, in bytes (a row is a few hundred).
const MAX_ROW_BYTES: u64 = 1 << 20;

/// Copies `src` to the writer, skipping its first line (the header) unless `keep_header`, and
/// verifies it on the way: its SHA-256 must be `sha256` (from the shard's manifest), every row
/// must end with a newline, and the rows must be those of the shard's replicates (`rows`).
fn append(
    src: &Path,
    w: &mut impl Write,
    keep_header: bool,
    sha256: Option<&String>,
    rows: Rows,
) -> std::io::Result<()> {
    use sha2::Digest as _;
    let bad = |why: String| std::io::Error::other(why);
    // A shard's rows are a regular file: a device (/dev/zero) would be copied forever.
    let meta = std::fs::metadata(src)?;
    if !meta.is_file() {
        return Err(bad("not a regular file (a shard's CSV files are)".into()));
    }
    let Some(expected) = sha256 else {
        return Err(bad("its manifest.json lists no SHA-256 for it".into()));
    };
    // Read no more than the file held when opened (one byte more tells that it grew).
    let mut r = BufReader::new(std::io::Read::take(
        std::fs::File::open(src)?,
        meta.len() + 1,
    ));
    let mut h = sha2::Sha256::new();
    let mut line = Vec::new();
    let (mut n, mut read) = (0u64, 0u64);
    let (mut header, mut last) = (false, None::<u64>);
    loop {
        line.clear();
        let got = std::io::Read::take(&mut r, MAX_ROW_BYTES).read_until(b'\n', &mut line)?;
        if got == 0 {
            break;
        }
        read += got as u64;
        if read > meta.len() {
            return Err(bad("it grew while it was read".into()));
        }
        h.update(&line);
        if line.last() != Some(&b'\n') {
            return Err(bad(format!("row {n} is cut short (no end of line)")));
        }
        if !header {
            if !line.starts_with(b"replicate,") {
                return Err(bad("its first line is not the header".into()));
            }
            header = true;
            if keep_header {
                w.write_all(&line)?;
            }
            continue;
        }
        last = Some(row_replicate(&line, rows, n, last).map_err(bad)?);
        n += 1;
        w.write_all(&line)?;
    }
    if crate::fmt::hex(&h.finalize()) != *expected {
        return Err(bad(
            "it does not match the SHA-256 in its shard's manifest.json (changed or damaged after the shard wrote it)".into(),
        ));
    }
    if let Rows::EachOf(a, b) = rows
        && n != b - a
    {
        return Err(bad(format!(
            "it holds {n} rows, its shard {} replicates",
            b - a
        )));
    }
    Ok(())
}

/// Refuses a merged result written into, around or inside a shard's folder: `--force` would
/// replace the shard while it is read, and a merged folder merged again double-counts.
pub fn refuse_inside_shards(out: &Path, dirs: &[PathBuf]) -> Result<(), Failure> {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let o = abs(out);
    if let Some(d) = dirs
        .iter()
        .find(|d| o.starts_with(abs(d)) || abs(d).starts_with(&o))
    {
        return Err(Failure::Input(format!(
            "--out '{}' is, holds or lies inside the shard folder '{}': write the merged result elsewhere",
            out.display(),
            d.display()
        )));
    }
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
    let mut parts: BTreeMap<u64, (PathBuf, (Partial, Hashes))> = BTreeMap::new();
    for d in dirs {
        let (p, hashes) = read_partial(d)?;
        let k = p.shard.0;
        add_shard(&mut parts, d, k, (p, hashes), |a, b| same_run(&a.0, &b.0))?;
    }
    let n = parts.values().next().map_or(0, |(_, (p, _))| p.shard.1);
    check_complete(n, |k| parts.contains_key(&k))?;
    let first = &parts
        .values()
        .next()
        .map(|(_, (p, _))| p)
        .ok_or_else(|| Failure::Input("no shard".into()))?;
    let prep = rebuild(&first.base, &first.arms, first.weeks)?;
    let params: Vec<&Params> = prep.arms.iter().map(|a| &a.params).collect();
    let mut agg = Aggregate::new(&params);
    let mut stories = vec![None; prep.arms.len()];
    for (_, (p, _)) in parts.values() {
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
    refuse_inside_shards(&out_path, dirs)?;
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
            for (i, (dir, (p, hashes))) in parts.values().enumerate() {
                let rows = if name == "runs.csv" {
                    Rows::EachOf(p.range.0, p.range.1)
                } else {
                    Rows::Within(p.range.0, p.range.1)
                };
                append(&dir.join(&rel), &mut w, i == 0, hashes.get(&rel), rows).map_err(|e| {
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
    /// The build that wrote it (merging requires the same).
    pub build: crate::report::manifest::Build,
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
pub const PARTIAL_FORMAT: u32 = 2;

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
        build: crate::report::manifest::Build::current(),
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
    let mut manifest =
        crate::report::run::manifest(ctx, prep, range.end - range.start, files.clone());
    for f in &files[..files.len() - 1] {
        manifest
            .sha256
            .insert(f.clone(), out.digest(f).map_err(err)?);
    }
    manifest.build = Some(crate::report::manifest::Build::current());
    out.write("manifest.json", manifest.to_json().as_bytes())
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
