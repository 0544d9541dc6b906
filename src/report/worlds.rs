//! The files and terminal table of a run or comparison across plausible worlds (`--worlds`):
//! `effects_worlds.csv` (per intervention and metric: the mean effect with its nested interval,
//! the spread of per-world effects and P(helps), Monte-Carlo noise removed), `worlds.csv` (each
//! world's input values and headline effects), the bottom line in words, and the manifest.

use std::path::PathBuf;

use crate::analysis::worlds::{AcrossWorlds, Driver, drivers, leading};
use crate::ensemble::METRICS;
use crate::ensemble::job::Prepared;
use crate::ensemble::record::{Better, MetricId};
use crate::ensemble::worlds::{Input, WorldOut, WorldsPlan, design, effects, p_helps};
use crate::error::Failure;
use crate::fmt::num;
use crate::report::csv::line;
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

/// What the interval of the mean effect covers, for every output that shows one.
pub const INTERVAL_COVERS: &str = "parameters and simulation noise: nested estimator over worlds (mean of per-world mean paired differences, t interval on their spread)";

fn opt(x: Option<f64>, d: usize) -> String {
    x.map_or(String::new(), |v| num(v, d))
}

fn signed(x: f64, d: usize) -> String {
    let s = num(x, d);
    if x > 0.0 { format!("+{s}") } else { s }
}

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
    for (k, m) in METRICS.iter().enumerate() {
        for (a, arm) in prep.arms.iter().enumerate().skip(1) {
            let e = &eff[a - 1][k];
            s.push_str(&line([
                m.name.to_string(),
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

fn worlds_csv(prep: &Prepared, inputs: &[Input], out: &[WorldOut]) -> String {
    let mut header = vec!["world".to_string()];
    header.extend(inputs.iter().map(|i| i.path.clone()));
    for arm in prep.arms.iter().skip(1) {
        for id in HEADLINES {
            header.push(format!("{}:{}", arm.name, id.name()));
            header.push(format!("{}:{}_se", arm.name, id.name()));
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
    positions: &[Vec<f64>],
    worlds: &[WorldOut],
    a: usize,
    k: usize,
    seed: u64,
) -> (Vec<Driver>, Vec<Driver>) {
    let d: Vec<f64> = worlds.iter().map(|w| w.diffs[a - 1][k].mean()).collect();
    let mine: Vec<usize> = (0..inputs.len())
        .filter(|&j| inputs[j].arms.contains(&0) || inputs[j].arms.contains(&a))
        .collect();
    let u: Vec<Vec<f64>> = mine.iter().map(|&j| positions[j].clone()).collect();
    let claims: Vec<String> = mine
        .iter()
        .map(|&j| {
            inputs[j]
                .source
                .clone()
                .unwrap_or_else(|| "unsourced".into())
        })
        .collect();
    let paths: Vec<String> = mine.iter().map(|&j| inputs[j].path.clone()).collect();
    (
        drivers(&d, &u, &claims, DRIVER_BOOT, seed),
        drivers(&d, &u, &paths, DRIVER_BOOT, seed),
    )
}

/// Rows of drivers_worlds.csv: (arm, metric, level, drivers).
type DriverRows<'a> = [(String, &'a str, &'a str, Vec<Driver>)];

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

/// "most sensitive to P2 (0.41 of the spread [0.30, 0.52])", or that no claim stands out.
fn driver_phrase(claims: &[Driver]) -> String {
    let share = |d: &Driver| {
        format!(
            "{} [{}, {}]",
            num(d.share, 2),
            num(d.ci.0, 2),
            num(d.ci.1, 2)
        )
    };
    match (leading(claims), claims.first()) {
        (Some(d), _) => format!("most sensitive to {} ({} of the spread)", d.group, share(d)),
        (None, Some(d)) => format!(
            "no single claim dominates its spread (largest: {}, {})",
            d.group,
            share(d)
        ),
        (None, None) => "no uncertain input reaches it".into(),
    }
}

/// The bottom line of one intervention, in words.
pub fn sentence(arm: &str, e: &AcrossWorlds, better: Better, what: &str) -> String {
    let helps = p_helps(e, better).map_or("?".into(), |p| format!("{:.0}%", 100.0 * p));
    let typical = e.spread.map_or("not estimable".into(), |(lo, hi)| {
        format!("{} to {}", signed(lo, 3), signed(hi, 3))
    });
    format!(
        "{arm}: helps in {helps} of plausible worlds; typical size {typical} in {what} (5-95% of worlds)"
    )
}

fn table(prep: &Prepared, eff: &[Vec<AcrossWorlds>]) -> String {
    let mut header = vec!["intervention".to_string()];
    for id in HEADLINES {
        header.push(format!("Δ {}: mean [95% CI]", id.name()));
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
            for id in HEADLINES {
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
                r.push(opt(p_helps(e, m.better).map(|p| 100.0 * p), 0) + "%");
                r.push(e.spread.map_or(String::new(), |(lo, hi)| {
                    format!("{} to {}", signed(lo, d), signed(hi, d))
                }));
            }
            r
        })
        .collect();
    render_text(&header, &rows)
}

/// Writes the files of a worlds run, commits them, and prints the bottom line and the table.
pub fn finish(
    ctx: &Finish,
    prep: &Prepared,
    mut out: OutputDir,
    inputs: &[Input],
    worlds: &[WorldOut],
    wp: WorldsPlan,
) -> Result<PathBuf, Failure> {
    let err = |e: crate::report::output::OutputError| Failure::Input(e.to_string());
    let eff = effects(worlds);
    let positions = design(ctx.seed, inputs, wp.worlds);
    let k = MetricId::ShareTruce.index();
    let mut driver_rows = Vec::new();
    let mut phrases = Vec::new();
    for (a, arm) in prep.arms.iter().enumerate().skip(1) {
        let (claims, params) = arm_drivers(inputs, &positions, worlds, a, k, ctx.seed);
        phrases.push(driver_phrase(&claims));
        driver_rows.push((arm.name.clone(), METRICS[k].name, "claim", claims));
        driver_rows.push((arm.name.clone(), METRICS[k].name, "parameter", params));
    }
    out.write("drivers_worlds.csv", drivers_csv(&driver_rows).as_bytes())
        .map_err(err)?;
    out.write("effects_worlds.csv", effects_csv(prep, &eff, wp).as_bytes())
        .map_err(err)?;
    out.write("worlds.csv", worlds_csv(prep, inputs, worlds).as_bytes())
        .map_err(err)?;
    let files = vec![
        "effects_worlds.csv".to_string(),
        "worlds.csv".to_string(),
        "drivers_worlds.csv".to_string(),
        "manifest.json".to_string(),
    ];
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
    let assumed = inputs.iter().filter(|i| i.note.trim().is_empty()).count();
    outln!(
        "Across {} plausible worlds ({} uncertain inputs{}; {} paired replicates per world). Intervals cover {INTERVAL_COVERS}.\n",
        wp.worlds,
        inputs.len(),
        if assumed > 0 {
            format!(", {assumed} with an assumed range")
        } else {
            String::new()
        },
        wp.runs
    );
    for (a, arm) in prep.arms.iter().enumerate().skip(1) {
        outln!(
            "{}; {}",
            sentence(
                &arm.name,
                &eff[a - 1][k],
                METRICS[k].better,
                "the share of weeks in truce"
            ),
            phrases[a - 1]
        );
    }
    outln!();
    out!("{}", table(prep, &eff));
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
    Ok(root)
}
