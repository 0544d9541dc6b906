//! The files of a run or comparison: summaries, time series, the comparison and variance
//! reduction tables, charts, report.md/html and the manifest, from the aggregate of a job
//! (whole, or merged from shards); then the terminal table.

use std::path::PathBuf;
use std::time::Instant;

use crate::ensemble::job::{Prepared, Runs, prefixes};
use crate::ensemble::record::MetricId;
use crate::ensemble::summary::{self, ArmSummary};
use crate::ensemble::{Aggregate, Arm};
use crate::error::Failure;
use crate::fmt::num;
use crate::report::compare_doc::{self, ranked};
use crate::report::csv::{write_comparison, write_summary, write_timeseries};
use crate::report::manifest::{ArmEntry, DETERMINISM, Manifest};
use crate::report::output::OutputDir;
use crate::report::report_doc::{ChartNote, Facts};
use crate::report::{answer, charts, document, report_doc, table};

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
    /// What the report leads with besides this job's own results.
    pub brief: crate::report::answer::Brief,
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
        sha256: Default::default(),
        build: None,
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
        write_summary(
            &mut out,
            &format!("{}summary.csv", prefixes[a]),
            &sums[a],
            &prep.arms[a].params.names,
        )
        .map_err(err)?;
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
        printed.push_str(&table::run_table(&sums[0], &prep.arms[0].params.names));
    }
    let mut chart_notes: Vec<ChartNote> = Vec::new();
    let mut chart_seconds = 0.0;
    if ctx.charts {
        let t0 = Instant::now();
        let real = crate::data::embedded_tariffs_for(base);
        let inp = charts::Input {
            scenario: &base.meta.name,
            runs: runs_done,
            seed: ctx.seed,
            arms,
            agg,
            sums: &sums,
            stories,
            real: &real,
            worlds: ctx.brief.worlds.as_ref(),
            explain: ctx.brief.explain.as_ref(),
        };
        for c in charts::render_all(&inp).map_err(Failure::Input)? {
            let [png, svg, png2x] = c.write(&mut out).map_err(err)?;
            files.extend([png.clone(), svg.clone(), png2x.clone()]);
            chart_notes.push(ChartNote {
                file: png,
                alt: format!("{}. {}", c.title, first_sentence(&c.guide)),
                title: c.title,
                guide: c.guide,
                also: vec![svg, png2x],
            });
        }
        chart_seconds = t0.elapsed().as_secs_f64();
    }
    files.extend([
        "report.md".to_string(),
        "report.html".to_string(),
        "manifest.json".to_string(),
    ]);
    let facts = if compare {
        compare_facts(ctx, prep, agg, &sums, chart_notes, &out, files.clone())
    } else {
        run_facts(ctx, prep, &sums[0], chart_notes, files.clone())
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

/// The first sentence of a reading guide, for a chart's alternative text.
fn first_sentence(guide: &str) -> &str {
    let line = guide.lines().next().unwrap_or("");
    match line.find(". ") {
        Some(i) => &line[..=i],
        None => line,
    }
}

/// The facts of the run, the same for a run and a comparison.
fn run_lines(ctx: &Finish, prep: &Prepared, runs: u64) -> Vec<(String, String)> {
    let base = &prep.loaded[0].scenario;
    let end_date = crate::scenario::date::Date::week_start(base.meta.start, u64::from(prep.weeks))
        .add_days(-1);
    vec![
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
            format!("{} to {} ({} weeks)", base.meta.start, end_date, prep.weeks),
        ),
        ("replicates per arm".into(), runs.to_string()),
        ("seed".into(), ctx.seed.to_string()),
        (
            "threads, command line and wall time".into(),
            "in manifest.json (this report is identical whatever the thread count)".into(),
        ),
    ]
}

fn arm_rows(prep: &Prepared) -> Vec<(String, String, Vec<String>)> {
    prep.arms
        .iter()
        .zip(&prep.overlay_lists)
        .map(|(a, o)| (a.name.clone(), document::plain(&a.description), o.clone()))
        .collect()
}

/// What the two kinds of interval in a comparison's report cover.
fn covers(runs: u64, brief: &answer::Brief, worlds_report: &str) -> String {
    match &brief.worlds {
        Some(w) => format!(
            "Two kinds of interval. At the values as written ({} paired replicates per arm), the 95% intervals in the tables' brackets cover simulation noise only. Across {} plausible worlds, \"helps in\" and the middle 90% of worlds also cover what nobody knows: the ranges of the claims' values{} ([{worlds_report}]({worlds_report})). Neither covers the model's structure (see Caveats).",
            runs,
            w.worlds,
            if w.posterior {
                " and the calibration's posterior"
            } else {
                ""
            }
        ),
        None => format!(
            "The 95% intervals in the tables' brackets cover simulation noise only, at the values as written ({} paired replicates per arm); run with --worlds for the uncertainty of the values themselves.",
            runs
        ),
    }
}

/// The alternative text of the answer chart is the answer: each intervention's effect on the
/// share of weeks in truce, ranked.
fn answer_alt(title: &str, agg: &Aggregate, arms: &[crate::ensemble::Arm]) -> String {
    let effects: Vec<String> = ranked(agg, arms)
        .into_iter()
        .map(|a| {
            let d = summary::metric_difference(agg, a, summary::HEADLINE.index()).est;
            format!(
                "{} {} points",
                arms[a].name,
                crate::fmt::signed(100.0 * d.value.unwrap_or(0.0), 1)
            )
        })
        .collect();
    format!(
        "{title}. Effect on the share of weeks in truce at the values as written: {}",
        effects.join("; ")
    )
}

/// The report of a comparison: the answer in words, the forest plot and the effects table, why,
/// the other charts, caveats, methods.
fn compare_facts(
    ctx: &Finish,
    prep: &Prepared,
    agg: &Aggregate,
    sums: &[ArmSummary],
    mut charts: Vec<ChartNote>,
    out: &OutputDir,
    files: Vec<String>,
) -> Facts {
    let arms = &prep.arms;
    let base = &prep.loaded[0].scenario;
    let brief = &ctx.brief;
    let single: Vec<bool> = prep.overlay_texts.iter().map(|t| t.len() == 1).collect();
    let take = |charts: &mut Vec<ChartNote>, file: &str| {
        charts
            .iter()
            .position(|c| c.file == file)
            .map(|i| charts.remove(i))
    };
    let mut answer_chart = take(&mut charts, "effects_forest.png");
    let waterfall = take(&mut charts, "explain_waterfall.png");
    let sentences: Vec<String> = ranked(agg, arms)
        .into_iter()
        .map(|a| answer::sentence(agg, arms, sums, brief, a))
        .collect();
    if let Some(c) = &mut answer_chart {
        c.alt = answer_alt(&c.title, agg, arms);
    }
    let worlds_report = brief.worlds.as_ref().map_or(String::new(), |w| {
        answer::link(out.root(), &w.folder.join("report.html"))
    });
    let covers = covers(agg.runs, brief, &worlds_report);
    let renewal = compare_doc::renewal_rule(&arms[0].params, &sums[0]);
    let table_note = format!(
        "Shares and probabilities in percent; Δ in percentage points (points) or weeks, paired against the baseline; interventions ranked by their effect on the share of weeks in truce. Truce RMST: the mean truce length over its first {} weeks; \"holding at 26 / 52 wk\": the share of truces still in force after 26 and 52 weeks (Kaplan–Meier). comparison.csv has every metric with its limits, under the same names (`share_truce`, `truce_rmst_weeks`, `durable_deal`, ...).\n{}",
        sums[0].truce_strict.tau, renewal
    );
    let calibrated = base.params.iter().any(|p| {
        p.provenance
            .as_ref()
            .is_some_and(|x| x.source == "calibration")
    });
    Facts {
        title: format!(
            "negsim: interventions against the {} scenario",
            base.meta.name
        ),
        bottom: vec![
            answer::headline(agg, arms, brief, &single),
            format!(
                "The question: how would each intervention change the truce/escalation cycle of the `{}` scenario ({})? The share of weeks in truce is the headline: the higher, the calmer the cycle.",
                base.meta.name,
                document::plain(&base.meta.description)
            ),
        ],
        sentences,
        covers,
        answer: answer_chart,
        table: compare_doc::effects_rows(agg, arms, sums, brief),
        table_note,
        why: compare_doc::why_blocks(agg, arms, brief, waterfall.as_ref()),
        charts,
        caveats: compare_doc::caveats(brief, calibrated, base),
        arms: arm_rows(prep),
        methods: compare_doc::methods(agg, arms, brief, ctx.independent, renewal, &worlds_report),
        run: run_lines(ctx, prep, agg.runs),
        files,
    }
}

/// The report of a single run: the cycle in words, the summary table, the charts.
fn run_facts(
    ctx: &Finish,
    prep: &Prepared,
    s: &ArmSummary,
    charts: Vec<ChartNote>,
    files: Vec<String>,
) -> Facts {
    let base = &prep.loaded[0].scenario;
    let k = MetricId::ShareTruce.index();
    let kb = MetricId::BrokenTrucesPerYear.index();
    let kd = MetricId::DurableDeal.index();
    let renewal = compare_doc::renewal_rule(&prep.arms[0].params, s);
    let bottom = format!(
        "**In the `{}` scenario the talks spend {:.1}% of weeks in truce**, {} truces break a year, a truce lasts {} weeks on average over its first {} weeks (RMST), {} of truces still hold after 26 weeks, and {:.1}% of runs reach a durable deal.",
        base.meta.name,
        100.0 * s.metrics[k].mean,
        num(s.metrics[kb].mean, 2),
        num(s.truce_strict.rmst.value.unwrap_or(f64::NAN), 1),
        s.truce_strict.tau,
        s.truce_strict
            .curve
            .get(26)
            .map_or("?".into(), |x| format!("{:.0}%", 100.0 * x)),
        100.0 * s.metrics[kd].mean
    );
    let (h, rows) = table::run_rows(s, &prep.arms[0].params.names);
    Facts {
        title: format!("negsim: the {} scenario", base.meta.name),
        bottom: vec![
            bottom,
            format!("The scenario: {}.", document::plain(&base.meta.description)),
        ],
        sentences: Vec::new(),
        covers: format!(
            "The 95% intervals cover simulation noise only, at the values as written ({} replicates); run with --worlds for the uncertainty of the values themselves.",
            s.runs
        ),
        answer: None,
        table: (h, rows),
        table_note: renewal.clone(),
        why: Vec::new(),
        charts,
        caveats: compare_doc::caveats(&ctx.brief, true, base),
        arms: arm_rows(prep),
        methods: vec![
            "Means get Student t intervals, proportions Wilson's, Kaplan–Meier quantities a grouped jackknife; all 95%.".into(),
            renewal,
        ],
        run: run_lines(ctx, prep, s.runs),
        files,
    }
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
