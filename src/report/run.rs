//! The files of a run or comparison: summaries, time series, the comparison and variance
//! reduction tables, charts, report.md/html and the manifest, from the aggregate of a job
//! (whole, or merged from shards); then the terminal table.

use std::path::PathBuf;
use std::time::Instant;

use crate::ensemble::job::{Prepared, Runs, prefixes};
use crate::ensemble::summary::{self, ArmSummary};
use crate::ensemble::{Aggregate, Arm};
use crate::error::Failure;
use crate::report::csv::{write_comparison, write_summary, write_timeseries};
use crate::report::manifest::{ArmEntry, DETERMINISM, Manifest};
use crate::report::output::OutputDir;
use crate::report::{charts, document, report_doc, table};

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

pub fn manifest(ctx: &Finish, prep: &Prepared, runs: u64, files: Vec<String>) -> Manifest {
    let base = &prep.loaded[0].scenario;
    Manifest {
        negsim_version: env!("CARGO_PKG_VERSION"),
        git_commit: crate::report::manifest::GIT_COMMIT,
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
        set: prep
            .overlay_texts
            .first()
            .and_then(|t| t.iter().find(|x| x.path == crate::scenario::SET_FILE))
            .map(|t| {
                t.text
                    .lines()
                    .filter(|l| l.contains("source = \"set\""))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        determinism: DETERMINISM,
    }
}

/// Writes summaries, time series, comparisons, charts, the report and the manifest; commits.
// long: every file of a run in the order the report lists them; to be split into exporters (issue 13 follow-up).
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
            ("version".into(), crate::report::manifest::version_line()),
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
    crate::print_json(&crate::report::json::fixed(
        ctx.command,
        ctx.seed,
        prep,
        agg,
        &sums,
    ));
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
            s.push_str(&crate::report::csv::line([
                arm.name.clone(),
                summary::HEADLINE.name().to_string(),
                if independent { "independent" } else { "common" }.to_string(),
                crate::report::csv::num(v.paired, 8),
                crate::report::csv::num(v.independent, 8),
                crate::report::csv::num(v.ratio(), 3),
            ]));
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
        "\nvariance of the paired difference in {} ({streams})\nvs Var(arm) + Var({}):\n",
        summary::HEADLINE.name(),
        arms.first().map_or("base", |a| a.name.as_str())
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
