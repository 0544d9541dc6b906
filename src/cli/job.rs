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

use super::Failure;

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
const SECONDS_PER_REPLICATE_WEEK: f64 = 4e-7;
/// Bytes of one runs.csv row.
const BYTES_PER_ROW: f64 = 260.0;

/// Loads one arm; returns it with the names of its top-level overlays (each the `[overlay] name`
/// of the file given, not of the files it includes).
fn load_arm(
    job: &Job<'_>,
    base: &Text,
    overlays: &[String],
) -> Result<(Loaded, Vec<String>), Failure> {
    let mut texts = Vec::new();
    let mut tops = Vec::new();
    for o in overlays {
        texts.extend(overlay_chain(o, job.resolver).map_err(|e| Failure::Input(e.to_string()))?);
        tops.push(texts.len() - 1);
    }
    let l = load_texts(base, &texts).map_err(|e| Failure::Input(e.to_string()))?;
    let names = tops
        .iter()
        .filter_map(|&i| l.overlays.get(i).map(|o| o.name.clone()))
        .collect();
    Ok((l, names))
}

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

fn human_time(s: f64) -> String {
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

/// Runs the job; prints the table; returns the output directory.
pub fn execute(job: &Job<'_>, stop: &AtomicBool) -> Result<PathBuf, Failure> {
    let started = Instant::now();
    let started_utc = now_utc();
    let base_text = job
        .resolver
        .read(&job.base, "scenario")
        .map_err(|e| Failure::Input(e.to_string()))?;

    // 1. Load every arm.
    let mut loaded: Vec<Loaded> = Vec::new();
    let mut overlay_lists: Vec<Vec<String>> = Vec::new();
    let mut arms: Vec<Arm> = Vec::new();
    let lists = std::iter::once(&job.single_arm_overlays).chain(&job.arms);
    let mut weeks = 0;
    for (i, list) in lists.enumerate() {
        let (l, names) = load_arm(job, &base_text, list)?;
        if i == 0 {
            weeks = job.weeks.unwrap_or(l.scenario.meta.weeks);
            if weeks == 0 || i64::from(weeks) > MAX_WEEKS {
                return Err(Failure::Input(format!(
                    "--weeks {weeks} is out of range: expected 1 to {MAX_WEEKS}"
                )));
            }
        }
        let name = match (i, names.is_empty()) {
            (0, true) => l.scenario.meta.name.clone(),
            (0, false) => format!("{}+{}", l.scenario.meta.name, names.join("+")),
            _ => names.join("+"),
        };
        if arms.iter().any(|a| a.name == name) {
            return Err(Failure::Input(format!(
                "two arms are named '{name}'; give each overlay its own [overlay] name"
            )));
        }
        if !valid_arm_name(&name.replace('+', "_")) {
            return Err(Failure::Input(format!(
                "arm name '{name}' cannot name an output folder: use letters, digits, '_' and '-'"
            )));
        }
        let description = l
            .overlays
            .last()
            .map_or(l.scenario.meta.description.clone(), |o| {
                o.description.clone()
            });
        arms.push(Arm {
            name,
            description,
            params: Params::compile(&l.scenario, weeks),
        });
        overlay_lists.push(list.clone());
        loaded.push(l);
    }
    let base = &loaded[0].scenario;
    let total = match job.runs {
        Runs::Fixed(n) => n,
        Runs::Target { max, .. } => max,
    };
    if total == 0 {
        return Err(Failure::Input(
            "--runs 0: nothing to simulate; give at least 1 replicate".into(),
        ));
    }
    check_size(total, &arms, job.threads, job.runs_csv, job.allow_large)?;

    // 2. Output directory, prepared before any simulation.
    let out_path = job.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("{}{}", job.out_prefix, base.meta.name))
    });
    let compare = job.command == "compare";
    let prefixes: Vec<String> = if compare {
        arms.iter().map(|a| format!("{}/", a.name)).collect()
    } else {
        vec![String::new()]
    };
    let subdirs: Vec<String> = if compare {
        arms.iter().map(|a| a.name.clone()).collect()
    } else {
        Vec::new()
    };
    let mut out = OutputDir::prepare(&out_path, &subdirs, job.force)
        .map_err(|e| Failure::Input(e.to_string()))?;

    // 3. The ensemble.
    let scenarios: Vec<crate::scenario::Scenario> =
        loaded.iter().map(|l| l.scenario.clone()).collect();
    let plan = Plan {
        seed: job.seed,
        threads: job.threads,
        trace: job.trace,
        independent: job.independent,
    };
    let params: Vec<&Params> = arms.iter().map(|a| &a.params).collect();
    let mut agg = Aggregate::new(&params);
    let bar = super::progress_bar(job.progress, total);
    let (runs_done, stories) = {
        let mut rows = RowWriter::open(&mut out, &arms, &scenarios, &prefixes, job.runs_csv)
            .map_err(|e| Failure::Input(e.to_string()))?;
        let mut done = 0u64;
        loop {
            let chunk = match job.runs {
                Runs::Fixed(n) => n,
                Runs::Target { max, .. } => TARGET_STEP.min(max - done),
            };
            let base_done = done;
            let outcome = ensemble::run(
                &arms,
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
        (done, stories)
    };

    // 4. Summaries and files.
    let sums: Vec<ArmSummary> = (0..arms.len())
        .map(|a| summary::summarize_arm(&agg, a))
        .collect();
    let err = |e: crate::report::output::OutputError| Failure::Input(e.to_string());
    for (a, arm) in arms.iter().enumerate() {
        write_timeseries(
            &mut out,
            &format!("{}timeseries.csv", prefixes[a]),
            &agg,
            a,
            arm,
        )
        .map_err(err)?;
        write_summary(&mut out, &format!("{}summary.csv", prefixes[a]), &sums[a]).map_err(err)?;
    }
    let mut files: Vec<String> = Vec::new();
    for p in &prefixes {
        if job.runs_csv {
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
        write_comparison(&mut out, "comparison.csv", &agg, &arms, &sums).map_err(err)?;
        let vr = variance_reduction_csv(&agg, &arms, job.independent);
        out.write("variance_reduction.csv", vr.as_bytes())
            .map_err(err)?;
        files.extend([
            "comparison.csv".to_string(),
            "variance_reduction.csv".to_string(),
        ]);
        printed.push_str(&table::compare_table(&agg, &arms, &sums));
        printed.push_str(&crn_lines(&agg, &arms, job.independent));
        if let Runs::Target { width, max } = job.runs {
            let hw = summary::headline_half_width(&agg).unwrap_or(f64::NAN);
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
    if job.charts {
        let t0 = Instant::now();
        let real = crate::data::embedded_tariffs();
        let inp = charts::Input {
            scenario: &base.meta.name,
            runs: runs_done,
            seed: job.seed,
            arms: &arms,
            agg: &agg,
            sums: &sums,
            stories: &stories,
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
        table::compare_rows(&agg, &arms, &sums)
    } else {
        table::run_rows(&sums[0])
    };
    let mut notes = Vec::new();
    if compare {
        for (a, arm) in arms.iter().enumerate().skip(1) {
            if let Some(v) = summary::variance_reduction(&agg, a) {
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
            .zip(&overlay_lists)
            .map(|(a, o)| (a.name.clone(), a.description.clone(), o.clone()))
            .collect(),
        table: (table_h, table_rows),
        notes,
        charts: chart_notes,
        run: vec![
            ("negsim".into(), env!("CARGO_PKG_VERSION").into()),
            (
                "scenario".into(),
                format!("{} (sha256 {})", base_text.path, &loaded[0].hash[..16]),
            ),
            (
                "period".into(),
                format!("{} to {} ({weeks} weeks)", base.meta.start, end_date),
            ),
            ("replicates per arm".into(), runs_done.to_string()),
            ("seed".into(), job.seed.to_string()),
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

    let manifest = Manifest {
        negsim_version: env!("CARGO_PKG_VERSION"),
        command: job.command.to_string(),
        command_line: job.command_line.clone(),
        scenario: base_text.path.clone(),
        scenario_name: base.meta.name.clone(),
        scenario_sha256: loaded[0].hash.clone(),
        arms: arms
            .iter()
            .zip(&loaded)
            .zip(&overlay_lists)
            .map(|((a, l), o)| ArmEntry {
                name: a.name.clone(),
                description: a.description.clone(),
                overlays: o.clone(),
                sha256: l.hash.clone(),
            })
            .collect(),
        seed: job.seed,
        runs: runs_done,
        weeks,
        threads: job.threads,
        independent: job.independent,
        trace: job.trace.min(runs_done),
        started_utc,
        wall_seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        files: files.clone(),
        determinism: DETERMINISM,
    };
    out.write("manifest.json", manifest.to_json().as_bytes())
        .map_err(err)?;
    let root = out.root().to_path_buf();
    out.commit().map_err(err)?;
    print!("{printed}");
    if job.charts {
        println!("charts drawn in {chart_seconds:.2} s");
    }
    println!(
        "{} runs x {} arm{} x {weeks} weeks in {:.2} s; wrote {} files to {}",
        runs_done,
        arms.len(),
        if arms.len() == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64(),
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
