//! The files and terminal table of a run or comparison across plausible worlds (`--worlds`):
//! `effects_worlds.csv` (per intervention and metric: the mean effect with its nested interval,
//! the spread of per-world effects and P(helps), Monte-Carlo noise removed), `worlds.csv` (each
//! world's input values and headline effects), the bottom line in words, and the manifest.

use crate::scenario::claims::Registry;
use std::path::PathBuf;

use crate::analysis::worlds::{AcrossWorlds, Driver, drivers, leading, posterior_means, ranks};
use crate::ensemble::METRICS;
use crate::ensemble::job::Prepared;
use crate::ensemble::record::{Better, MetricId};
use crate::ensemble::worlds::{
    Input, Posterior, WorldOut, WorldsPlan, design, effects, p_helps, world_effects,
};
use crate::error::Failure;
use crate::fmt::{num, percent, signed};
use crate::report::answer::{WorldsArm, WorldsBrief};
use crate::report::csv::{line, opt};
use crate::report::document::{self, Block};
pub use crate::report::json::INTERVAL_COVERS;
use crate::report::output::OutputDir;
use crate::report::run::{Finish, manifest};
use crate::report::table::render_text;

/// The metrics of the terminal table and of worlds.csv.
pub const HEADLINES: [MetricId; 4] = [
    MetricId::ShareTruce,
    MetricId::BrokenTrucesPerYear,
    MetricId::DurableDeal,
    MetricId::PeakTariffUs,
];

/// Columns the terminal output fits in.
pub const TERMINAL_WIDTH: usize = 100;

fn effects_csv(prep: &Prepared, eff: &[Vec<AcrossWorlds>], wp: WorldsPlan) -> String {
    let mut s = line([
        "metric",
        "arm",
        "worlds",
        "runs_per_world",
        "mean_effect",
        "ci_low",
        "ci_high",
        "spread_p05",
        "spread_p95",
        "p_helps",
        "p_positive",
        "p_negative",
        "p_positive_uncorrected",
        "noise_share",
        "between_world_sd",
        "interval_covers",
    ]);
    let names = &prep.arms[0].params.names;
    // A censored time has no paired difference (MetricId::censored_time): none across worlds.
    for (k, m) in METRICS
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.id.censored_time())
    {
        for (a, arm) in prep.arms.iter().enumerate().skip(1) {
            let e = &eff[a - 1][k];
            s.push_str(&line([
                names.column(m.name).into_owned(),
                arm.name.clone(),
                e.worlds.to_string(),
                wp.runs.to_string(),
                num(e.mean, 6),
                opt(e.ci.map(|c| c.0), 6),
                opt(e.ci.map(|c| c.1), 6),
                opt(e.spread.map(|c| c.0), 6),
                opt(e.spread.map(|c| c.1), 6),
                opt(p_helps(e, m.better), 4),
                opt(e.p_positive, 4),
                opt(e.p_negative, 4),
                opt(e.p_positive_raw, 4),
                opt(e.noise_share, 4),
                opt(e.tau, 6),
                INTERVAL_COVERS.to_string(),
            ]));
        }
    }
    s
}

fn worlds_csv(
    prep: &Prepared,
    inputs: &[Input],
    posterior: Option<&Posterior>,
    out: &[WorldOut],
) -> String {
    let mut header = vec!["world".to_string()];
    header.extend(inputs.iter().map(|i| i.path.clone()));
    header.extend(
        posterior
            .iter()
            .flat_map(|p| p.paths.iter().map(|x| format!("{x} (posterior)"))),
    );
    let names = &prep.arms[0].params.names;
    for arm in prep.arms.iter().skip(1) {
        for id in HEADLINES {
            let metric = names.column(id.name());
            header.push(format!("{}:{metric}", arm.name));
            header.push(format!("{}:{metric}_se", arm.name));
        }
    }
    let mut s = line(&header);
    for (i, w) in out.iter().enumerate() {
        let mut rec = vec![i.to_string()];
        rec.extend(w.values.iter().map(|x| num(*x, 6)));
        for d in &w.diffs {
            for id in HEADLINES {
                let m = &d[id.index()];
                rec.push(num(m.mean(), 6));
                rec.push(num((m.variance() / m.n.max(1) as f64).sqrt(), 6));
            }
        }
        s.push_str(&line(&rec));
    }
    s
}

/// Bootstrap resamples of the drivers' intervals.
const DRIVER_BOOT: usize = 200;

/// The drivers of intervention `a`'s per-world effect on metric `k`, by claim and by parameter:
/// the inputs the base or that arm declares, against their design positions.
fn arm_drivers(
    inputs: &[Input],
    posterior: Option<&Posterior>,
    positions: &[Vec<f64>],
    worlds: &[WorldOut],
    a: usize,
    k: usize,
    seed: u64,
) -> (Vec<Driver>, Vec<Driver>) {
    if worlds.len() < crate::analysis::worlds::MIN_DRIVER_WORLDS {
        return (Vec::new(), Vec::new());
    }
    let d: Vec<f64> = worlds.iter().map(|w| w.diffs[a - 1][k].mean()).collect();
    let mine: Vec<usize> = (0..inputs.len())
        .filter(|&j| inputs[j].arms.contains(&0) || inputs[j].arms.contains(&a))
        .collect();
    let mut u: Vec<Vec<f64>> = mine.iter().map(|&j| positions[j].clone()).collect();
    let mut claims: Vec<String> = mine
        .iter()
        .map(|&j| {
            inputs[j]
                .source
                .clone()
                .unwrap_or_else(|| "unsourced".into())
        })
        .collect();
    let mut paths: Vec<String> = mine.iter().map(|&j| inputs[j].path.clone()).collect();
    // Posterior draws enter by their rank over the worlds (a position in [0, 1], like the
    // hypercube's), grouped as "calibration".
    if let Some(p) = posterior {
        for (c, path) in p.paths.iter().enumerate() {
            let col: Vec<f64> = worlds.iter().map(|w| w.values[inputs.len() + c]).collect();
            let mut order: Vec<usize> = (0..col.len()).collect();
            order.sort_by(|&x, &y| col[x].total_cmp(&col[y]).then(x.cmp(&y)));
            let mut rank = vec![0.0; col.len()];
            for (r, &i) in order.iter().enumerate() {
                rank[i] = (r as f64 + 0.5) / col.len() as f64;
            }
            u.push(rank);
            claims.push("calibration".into());
            paths.push(format!("{path} (posterior)"));
        }
    }
    (
        drivers(&d, &u, &claims, DRIVER_BOOT, seed),
        drivers(&d, &u, &paths, DRIVER_BOOT, seed),
    )
}

/// One row group of drivers_worlds.csv: (arm, metric, level, drivers).
type DriverRow<'a> = (String, &'a str, &'a str, Vec<Driver>);
/// Rows of drivers_worlds.csv.
type DriverRows<'a> = [DriverRow<'a>];

fn drivers_csv(rows: &DriverRows<'_>) -> String {
    let mut s = line([
        "arm", "metric", "level", "group", "share", "ci_low", "ci_high", "leading",
    ]);
    for (arm, metric, level, ds) in rows {
        let lead = leading(ds).map(|d| d.group.clone());
        for d in ds {
            s.push_str(&line([
                arm.clone(),
                (*metric).to_string(),
                (*level).to_string(),
                d.group.clone(),
                num(d.share, 4),
                num(d.ci.0, 4),
                num(d.ci.1, 4),
                (lead.as_deref() == Some(d.group.as_str())).to_string(),
            ]));
        }
    }
    s
}

/// What an intervention's size depends on, for a sentence of the comparison's report: "its
/// size depends most on P2 (41% of the spread over worlds)", or that no claim stands out.
fn driver_short(claims: &[Driver], worlds: u64, reg: &Registry) -> String {
    if (worlds as usize) < crate::analysis::worlds::MIN_DRIVER_WORLDS {
        return "too few worlds to say what its size depends on".into();
    }
    let name = |d: &Driver| match d.group.as_str() {
        "calibration" => "the calibrated constants".to_string(),
        g => match reg.title_of(g) {
            Some(t) => format!("{g} ({t})"),
            None => g.to_string(),
        },
    };
    match (leading(claims), claims.first()) {
        (Some(d), _) => format!(
            "its size depends most on {} ({:.0}% of the spread over worlds)",
            name(d),
            100.0 * d.share
        ),
        (None, Some(d)) => format!(
            "no single claim stands out in what its size depends on (largest: {}, {:.0}% of the spread over worlds)",
            name(d),
            100.0 * d.share
        ),
        (None, None) => "no uncertain input reaches its size".into(),
    }
}

/// "most sensitive to P2 (0.41 of the spread [0.30, 0.52])", or that no claim stands out.
fn driver_phrase(claims: &[Driver], worlds: u64) -> String {
    if (worlds as usize) < crate::analysis::worlds::MIN_DRIVER_WORLDS {
        return format!(
            "too few worlds to say what drives the spread (at least {} are needed)",
            crate::analysis::worlds::MIN_DRIVER_WORLDS
        );
    }
    let name = |d: &Driver| {
        if d.group == "calibration" {
            "the calibrated constants".to_string()
        } else {
            d.group.clone()
        }
    };
    let share = |d: &Driver| {
        format!(
            "{} [{}, {}]",
            num(d.share, 2),
            num(d.ci.0, 2),
            num(d.ci.1, 2)
        )
    };
    match (leading(claims), claims.first()) {
        (Some(d), _) => format!("most sensitive to {} ({} of the spread)", name(d), share(d)),
        (None, Some(d)) => format!(
            "no single claim{} stands out as the driver of its spread (largest: {}, {})",
            if claims.iter().any(|d| d.group == "calibration") {
                " or the calibration"
            } else {
                ""
            },
            name(d),
            share(d)
        ),
        (None, None) => "no uncertain input reaches it".into(),
    }
}

/// The 5-95% range of per-world effects, or that none is detectable beyond the noise.
fn spread_text(e: &AcrossWorlds, d: usize) -> String {
    match (e.spread, e.tau) {
        (_, Some(0.0)) => "no spread beyond the noise".into(),
        (Some((lo, hi)), _) => format!("{} to {}", signed(lo, d), signed(hi, d)),
        _ => "not estimable".into(),
    }
}

/// The bottom line of one intervention, in words.
pub fn sentence(arm: &str, e: &AcrossWorlds, better: Better, what: &str) -> String {
    if e.tau == Some(0.0) {
        let ci = e.ci.map_or(String::new(), |(lo, hi)| {
            format!(" [{}, {}]", signed(lo, 3), signed(hi, 3))
        });
        return format!(
            "{arm}: no difference between worlds beyond the simulation noise; its effect is about {}{ci} in {what}",
            signed(e.mean, 3)
        );
    }
    let helps = p_helps(e, better).map_or("?".into(), percent);
    let typical = match e.spread {
        Some((lo, hi)) => format!(
            "between {} and {} in {what} (5-95% of worlds)",
            signed(lo, 3),
            signed(hi, 3)
        ),
        None => format!("not estimable in {what}"),
    };
    format!("{arm}: helps in {helps} of plausible worlds; typically {typical}")
}

fn table(
    prep: &Prepared,
    eff: &[Vec<AcrossWorlds>],
    metrics: &[MetricId],
) -> (Vec<String>, Vec<Vec<String>>) {
    let names = &prep.arms[0].params.names;
    let mut header = vec!["intervention".to_string()];
    for &id in metrics {
        header.push(format!("Δ {}: mean [95% CI]", names.column(id.name())));
        header.push("helps".into());
        header.push("5-95% of worlds".into());
    }
    let rows: Vec<Vec<String>> = prep
        .arms
        .iter()
        .enumerate()
        .skip(1)
        .map(|(a, arm)| {
            let mut r = vec![arm.name.clone()];
            for &id in metrics {
                let e = &eff[a - 1][id.index()];
                let m = &METRICS[id.index()];
                let d = if id == MetricId::PeakTariffUs { 1 } else { 3 };
                r.push(match e.ci {
                    Some((lo, hi)) => format!(
                        "{} [{}, {}]",
                        signed(e.mean, d),
                        signed(lo, d),
                        signed(hi, d)
                    ),
                    None => signed(e.mean, d),
                });
                r.push(if e.tau == Some(0.0) {
                    "—".into()
                } else {
                    p_helps(e, m.better).map_or(String::new(), percent)
                });
                r.push(spread_text(e, d));
            }
            r
        })
        .collect();
    (header, rows)
}

/// The drivers table of the report: per intervention, its leading claim (if one separates) and
/// the three largest claims and parameters with their shares.
fn drivers_rows(rows: &DriverRows<'_>) -> Vec<Vec<String>> {
    let top = |ds: &[Driver]| {
        ds.iter()
            .take(3)
            .map(|d| {
                format!(
                    "{} {} [{}, {}]",
                    d.group,
                    num(d.share, 2),
                    num(d.ci.0, 2),
                    num(d.ci.1, 2)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    rows.chunks(2)
        .map(|pair| {
            let claims = &pair[0].3;
            let params = pair.get(1).map_or(&[][..], |p| &p.3[..]);
            vec![
                pair[0].0.clone(),
                leading(claims).map_or("none separates".into(), |d| d.group.clone()),
                top(claims),
                top(params),
            ]
        })
        .collect()
}

/// report.md and report.html of a worlds run.
#[allow(clippy::too_many_arguments)]
fn report_blocks(
    prep: &Prepared,
    (intro, sentences): (&str, &[String]),
    eff: &[Vec<AcrossWorlds>],
    drivers: &DriverRows<'_>,
    ranked: &[(String, f64, f64)],
    wp: WorldsPlan,
    seed: u64,
    drawn_posterior: bool,
) -> Vec<Block> {
    let base = &prep.loaded[0].scenario;
    let (h, rows) = table(prep, eff, &HEADLINES);
    let [rank_para, rank_table] = rank_blocks(ranked);
    vec![
        Block::Heading(1, format!("negsim: {} across plausible worlds", base.meta.name)),
        Block::Para(intro.to_string()),
        Block::List(sentences.to_vec()),
        Block::Heading(2, "Effects across plausible worlds".into()),
        Block::TextTable(h, rows),
        Block::Para("Δ is the intervention minus the baseline, paired on the same shocks. \"helps\" is the share of plausible worlds in which the intervention moves the metric the better way (fewer broken truces, more weeks in truce); \"5-95% of worlds\" is the range of its size over the middle 90% of worlds. Both have the simulation noise of each world removed.".into()),
        Block::Heading(2, "The best single intervention".into()),
        rank_para,
        rank_table,
        Block::Heading(2, "What drives the uncertainty".into()),
        Block::TextTable(
            ["intervention", "leading source", "largest sources: claims or calibration (share of the spread [95% CI])", "largest parameters"]
                .map(String::from)
                .to_vec(),
            drivers_rows(drivers),
        ),
        Block::Para("The share of the spread of an intervention's per-world effect on the share of weeks in truce that each claim's uncertain values account for (squared correlations over the worlds, summed per claim; intervals from resampling the worlds). A claim is named as the leading one only when its interval lies above every other's: knowing it better would narrow the answer most.".into()),
        Block::Heading(2, "How to read this".into()),
        Block::List(vec![
            "A plausible world draws every value that the scenario and the overlays give a range (`explain` lists them, with the reason for each range). The worlds cover the ranges evenly (a Latin hypercube); each world runs the same shocks for every arm.".into(),
            format!("Mean effect: the average over worlds, with a 95% interval that covers both what nobody knows (the ranges{}) and what the simulation cannot resolve with {} replicates per world. The estimator is the mean of the per-world mean paired differences, with a t interval on their spread.", if drawn_posterior { " and the calibration's posterior" } else { "" }, wp.runs),
            "Spread and \"helps\": each world's effect carries simulation noise; it is removed before the spread and the share of worlds are read (constrained-Bayes shrinkage; P(helps) is the mean posterior probability). The noise share in effects_worlds.csv says how much of the raw spread was noise.".into(),
            if drawn_posterior {
                "Not covered: values written without a range that were not calibrated (documented defaults), and the model's structure itself. The calibrated constants are drawn from the calibration's posterior, one particle per world. The table at the written values (output/default/report.md for the default job) is conditional on all values as written.".into()
            } else {
                "Not covered: values written without a range, including any calibrated constants (fixed at their written values: the scenario names no `[uncertainty] posterior`), and the model's structure itself. The table at the written values is conditional on all values as written.".into()
            },
        ]),
        Block::Heading(2, "About this run".into()),
        Block::List(vec![
            crate::report::manifest::version_line(),
            format!("scenario: {} (sha256 {})", prep.base_text.path, &prep.loaded[0].hash[..16]),
            format!("{} worlds x {} paired replicates per world, {} weeks, seed {seed}", wp.worlds, wp.runs, wp.weeks),
            "files: effects_worlds.csv, worlds.csv, drivers_worlds.csv, ranks_worlds.csv, effects_worlds.png, drivers_worlds.png, report.md/html, manifest.json; identical at any thread count".into(),
        ]),
    ]
}

/// Among the single interventions (an arm of one overlay; combinations are reported, not
/// ranked), how often each is the best for the share of weeks in truce and the expected regret of
/// choosing it, from each world's posterior mean effect: rows (arm, P(best), regret).
fn rank_rows(prep: &Prepared, worlds: &[WorldOut]) -> Vec<(String, f64, f64)> {
    let k = MetricId::ShareTruce.index();
    let singles: Vec<usize> = (1..prep.arms.len())
        .filter(|&a| prep.overlay_texts[a].len() == 1)
        .collect();
    let values: Vec<Vec<f64>> = singles
        .iter()
        .map(|&a| posterior_means(&world_effects(worlds, a, k)))
        .collect();
    singles
        .iter()
        .zip(ranks(&values))
        .map(|(&a, (best, regret))| (prep.arms[a].name.clone(), best, regret))
        .collect()
}

fn ranks_csv(rows: &[(String, f64, f64)]) -> String {
    let mut s = line(["arm", "metric", "p_best", "expected_regret", "estimator"]);
    for (arm, best, regret) in rows {
        s.push_str(&line([
            arm.clone(),
            MetricId::ShareTruce.name().to_string(),
            num(*best, 4),
            num(*regret, 6),
            "per-world empirical-Bayes posterior mean effects; ties split".to_string(),
        ]));
    }
    s
}

/// The ranks in one line, for the terminal.
fn ranks_line(ranked: &[(String, f64, f64)]) -> String {
    let parts: Vec<String> = ranked
        .iter()
        .map(|(a, b, r)| format!("{a} {} (regret {})", percent(*b), num(*r, 4)))
        .collect();
    format!(
        "best single intervention across worlds (share of weeks in truce): {}",
        parts.join(", ")
    )
}

/// The rank table and its explanation, for the report.
fn rank_blocks(ranked: &[(String, f64, f64)]) -> [Block; 2] {
    let rows: Vec<Vec<String>> = ranked
        .iter()
        .map(|(a, b, r)| vec![a.clone(), percent(*b), num(*r, 4)])
        .collect();
    [
        Block::Para("Which single intervention would do most for the share of weeks in truce? How often each is the best over the plausible worlds, and what choosing it costs on average against the best one of each world (expected regret; 0 for one that is always best). Combinations are not ranked.".into()),
        Block::TextTable(
            [
                "single intervention",
                "best in (share of worlds)",
                "expected regret (share of weeks in truce)",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        ),
    ]
}

/// The intro line of a worlds run: how many worlds and inputs, and what the intervals cover.
fn intro(inputs: &[Input], posterior: Option<&Posterior>, wp: WorldsPlan) -> String {
    let assumed = inputs.iter().filter(|i| i.note.trim().is_empty()).count();
    let calibrated = posterior.map_or(String::new(), |p| {
        format!(
            ", and {} calibrated constants drawn from {} posterior particles ({} distinct)",
            p.paths.len(),
            p.particles,
            p.distinct
        )
    });
    format!(
        "Across {} plausible worlds ({} uncertain inputs{}{calibrated}; {} paired replicates per world). Intervals cover {INTERVAL_COVERS}.",
        wp.worlds,
        inputs.len(),
        if assumed > 0 {
            format!(", {assumed} with an assumed range")
        } else {
            String::new()
        },
        wp.runs
    )
}

/// Per intervention, its bottom line in words, what drives its spread in words, and the drivers
/// rows (claims, then parameters).
fn bottom_lines<'a>(
    prep: &Prepared,
    inputs: &[Input],
    posterior: Option<&Posterior>,
    worlds: &[WorldOut],
    eff: &[Vec<AcrossWorlds>],
    wp: WorldsPlan,
    seed: u64,
) -> (Vec<String>, Vec<String>, Vec<DriverRow<'a>>) {
    let positions = design(seed, inputs, wp.worlds);
    let k = MetricId::ShareTruce.index();
    let mut rows = Vec::new();
    let mut sentences = Vec::new();
    let mut phrases = Vec::new();
    for (a, arm) in prep.arms.iter().enumerate().skip(1) {
        let (claims, params) = arm_drivers(inputs, posterior, &positions, worlds, a, k, seed);
        let what = "the share of weeks in truce";
        sentences.push(format!(
            "{}; {}",
            sentence(&arm.name, &eff[a - 1][k], METRICS[k].better, what),
            driver_phrase(&claims, wp.worlds)
        ));
        phrases.push(driver_short(
            &claims,
            wp.worlds,
            &prep.loaded[0].scenario.claims,
        ));
        rows.push((arm.name.clone(), METRICS[k].name, "claim", claims));
        rows.push((arm.name.clone(), METRICS[k].name, "parameter", params));
    }
    (sentences, phrases, rows)
}

/// Writes the files of a worlds run, commits them, and prints the bottom line and the table.
// long: every file of a worlds run in order, then the commit and the terminal lines; each step is one call.
pub fn finish(
    ctx: &Finish,
    prep: &Prepared,
    mut out: OutputDir,
    inputs: &[Input],
    posterior: Option<&Posterior>,
    worlds: &[WorldOut],
    wp: WorldsPlan,
) -> Result<(PathBuf, WorldsBrief), Failure> {
    let err = |e: crate::report::output::OutputError| Failure::Input(e.to_string());
    let eff = effects(worlds);
    let (sentences, phrases, driver_rows) =
        bottom_lines(prep, inputs, posterior, worlds, &eff, wp, ctx.seed);
    let intro = intro(inputs, posterior, wp);
    out.write("drivers_worlds.csv", drivers_csv(&driver_rows).as_bytes())
        .map_err(err)?;
    out.write("effects_worlds.csv", effects_csv(prep, &eff, wp).as_bytes())
        .map_err(err)?;
    out.write(
        "worlds.csv",
        worlds_csv(prep, inputs, posterior, worlds).as_bytes(),
    )
    .map_err(err)?;
    let ranked = rank_rows(prep, worlds);
    let chart = if ctx.charts {
        let names: Vec<String> = prep.arms.iter().skip(1).map(|a| a.name.clone()).collect();
        let caption = format!(
            "scenario {} · {} worlds x {} runs per world · seed {} · negsim {}",
            prep.loaded[0].scenario.meta.name,
            wp.worlds,
            wp.runs,
            ctx.seed,
            env!("CARGO_PKG_VERSION")
        );
        let c = crate::report::charts::worlds::chart(
            &names,
            &eff,
            &caption,
            &prep.arms[0].params.names,
        )
        .map_err(Failure::Input)?;
        let mut chart_files: Vec<String> = c.write(&mut out).map_err(err)?.to_vec();
        // The drivers by claim of each intervention (rows alternate claim, parameter).
        let by_claim: Vec<Vec<Driver>> = driver_rows
            .iter()
            .filter(|r| r.2 == "claim")
            .map(|r| r.3.clone())
            .collect();
        let d = if by_claim.iter().any(|v| !v.is_empty()) {
            let d = crate::report::charts::worlds::drivers(
                &names,
                &by_claim,
                &caption,
                &prep.loaded[0].scenario.claims,
            )
            .map_err(Failure::Input)?;
            chart_files.extend(d.write(&mut out).map_err(err)?);
            Some(d)
        } else {
            None
        };
        Some((c, d, chart_files))
    } else {
        None
    };
    out.write("ranks_worlds.csv", ranks_csv(&ranked).as_bytes())
        .map_err(err)?;
    let mut blocks = report_blocks(
        prep,
        (&intro, &sentences),
        &eff,
        &driver_rows,
        &ranked,
        wp,
        ctx.seed,
        posterior.is_some(),
    );
    if let Some((c, d, _)) = &chart {
        let mut figs = vec![
            Block::Image(c.file.to_string(), c.title.clone()),
            Block::Para(c.guide.clone()),
        ];
        if let Some(d) = d {
            figs.push(Block::Image(d.file.to_string(), d.title.clone()));
            figs.push(Block::Para(d.guide.clone()));
        }
        blocks.splice(3..3, figs);
    }
    out.write("report.md", document::markdown(&blocks).as_bytes())
        .map_err(err)?;
    let title = format!(
        "negsim: {} across plausible worlds",
        prep.loaded[0].scenario.meta.name
    );
    out.write("report.html", document::html(&title, &blocks).as_bytes())
        .map_err(err)?;
    let mut files = vec![
        "effects_worlds.csv".to_string(),
        "worlds.csv".to_string(),
        "drivers_worlds.csv".to_string(),
        "ranks_worlds.csv".to_string(),
        "report.md".to_string(),
        "report.html".to_string(),
        "manifest.json".to_string(),
    ];
    if let Some((_, _, chart_files)) = &chart {
        files.splice(4..4, chart_files.iter().cloned());
    }
    let runs = wp.worlds * wp.runs;
    out.write(
        "manifest.json",
        manifest(ctx, prep, runs, files.clone())
            .to_json()
            .as_bytes(),
    )
    .map_err(err)?;
    let root = out.root().to_path_buf();
    out.commit().map_err(err)?;
    crate::print_json(&crate::report::json::worlds(
        ctx.command,
        ctx.seed,
        prep,
        &eff,
        wp,
    ));
    // The terminal shows the headline metric (100 columns); the report and the CSV have them all.
    let (h, rows) = table(prep, &eff, &[MetricId::ShareTruce]);
    outln!("{}\n", crate::fmt::wrap(&intro, TERMINAL_WIDTH));
    for line in sentences
        .iter()
        .chain(std::iter::once(&ranks_line(&ranked)))
    {
        outln!("{}", crate::fmt::wrap(line, TERMINAL_WIDTH));
    }
    outln!();
    out!("{}", render_text(&h, &rows));
    outln!(
        "{} worlds x {} runs x {} arms x {} weeks in {:.2} s; wrote {} files to {}",
        wp.worlds,
        wp.runs,
        prep.arms.len(),
        wp.weeks,
        ctx.started.elapsed().as_secs_f64(),
        files.len(),
        root.display()
    );
    let brief = brief(
        prep,
        wp,
        eff,
        phrases,
        ranked,
        root.clone(),
        posterior.is_some(),
    );
    Ok((root, brief))
}

/// The brief a comparison's report (or the explorer) leads with.
fn brief(
    prep: &Prepared,
    wp: WorldsPlan,
    eff: Vec<Vec<AcrossWorlds>>,
    phrases: Vec<String>,
    ranked: Vec<(String, f64, f64)>,
    folder: PathBuf,
    posterior: bool,
) -> WorldsBrief {
    WorldsBrief {
        worlds: wp.worlds,
        runs: wp.runs,
        arms: prep
            .arms
            .iter()
            .skip(1)
            .zip(eff)
            .zip(phrases)
            .map(|((arm, eff), driver)| WorldsArm {
                name: arm.name.clone(),
                eff,
                driver,
            })
            .collect(),
        ranked,
        folder,
        posterior,
    }
}

/// The answer across worlds with nothing written (the explorer): each intervention's sentence
/// (how often it helps, its middle 90%, what its size depends on) and the brief.
pub fn answer(
    prep: &Prepared,
    inputs: &[Input],
    posterior: Option<&Posterior>,
    worlds: &[WorldOut],
    wp: WorldsPlan,
    seed: u64,
) -> (Vec<String>, WorldsBrief) {
    let eff = effects(worlds);
    let (sentences, phrases, _) = bottom_lines(prep, inputs, posterior, worlds, &eff, wp, seed);
    let ranked = rank_rows(prep, worlds);
    let b = brief(
        prep,
        wp,
        eff,
        phrases,
        ranked,
        PathBuf::new(),
        posterior.is_some(),
    );
    (sentences, b)
}
