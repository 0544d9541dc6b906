//! The files and terminal table of `compare --explain`: per intervention, the Shapley share of
//! each change in its effect on the share of weeks in truce, with paired 95% intervals.

use std::path::PathBuf;

use crate::error::Failure;
use crate::fmt::num;
use crate::report::answer::ExplainBrief;
use crate::report::csv::{line, opt};
use crate::report::output::OutputDir;
use crate::report::table::render_text;

const LEVEL: f64 = crate::ensemble::summary::LEVEL;

fn signed(x: Option<(f64, f64)>, v: f64) -> String {
    let s = |x: f64| crate::fmt::signed(x, 3);
    match x {
        Some((lo, hi)) => format!("{} [{}, {}]", s(v), s(lo), s(hi)),
        None => s(v),
    }
}

/// The method column of explain.csv: at the written values, or across worlds.
fn method(worlds: Option<(u64, u64)>) -> String {
    match worlds {
        None => "exact Shapley values over the overlay's changes; every coalition on the base's random numbers; paired t interval over replicates".to_string(),
        Some((w, r)) => format!(
            "exact Shapley values over the overlay's changes in each of {w} plausible worlds ({r} runs per world, every coalition on the same worlds and random numbers); mean over worlds with a t interval on their spread (parameters and simulation noise)"
        ),
    }
}

/// Writes explain.csv into `out` and prints the table.
pub fn write(mut out: OutputDir, brief: &ExplainBrief) -> Result<PathBuf, Failure> {
    let (all, runs) = (&brief.all, brief.runs);
    let method = method(brief.worlds);
    let err = |e: crate::report::output::OutputError| Failure::Input(e.to_string());
    let mut csv = line([
        "arm",
        "player",
        "claims",
        "shapley_share_truce",
        "ci_low",
        "ci_high",
        "share_of_effect",
        "effect_share_truce",
        "runs_per_coalition",
        "coalitions",
        "reference",
        "method",
    ]);
    let mut tables = String::new();
    for e in all {
        let total = e.result.total.mean();
        let n = e.players.len();
        let mut rows = Vec::new();
        for ((label, sources), m) in e.players.iter().zip(&e.result.values) {
            let ci = m.ci(LEVEL);
            csv.push_str(&line([
                e.arm.clone(),
                label.clone(),
                sources.join("+"),
                num(m.mean(), 6),
                opt(ci.map(|c| c.0), 6),
                opt(ci.map(|c| c.1), 6),
                if total != 0.0 {
                    num(m.mean() / total, 4)
                } else {
                    String::new()
                },
                num(total, 6),
                runs.to_string(),
                (1u64 << n).to_string(),
                e.reference.clone().unwrap_or_default(),
                method.clone(),
            ]));
            rows.push(vec![label.clone(), sources.join("+"), signed(ci, m.mean())]);
        }
        tables.push_str(&format!(
            "\n{}: {}{}\n",
            e.arm,
            signed(e.result.total.ci(LEVEL), total),
            e.reference.as_ref().map_or(String::new(), |r| format!(
                " (added items measured from {r})"
            ))
        ));
        tables.push_str(&render_text(
            &[
                "change".into(),
                "claims".into(),
                "contribution [95% CI]".into(),
            ],
            &rows,
        ));
    }
    out.write("explain.csv", csv.as_bytes()).map_err(err)?;
    let root = out.root().to_path_buf();
    out.commit().map_err(err)?;
    let how = match brief.worlds {
        None => format!("{runs} paired runs per coalition"),
        Some((w, r)) => format!("averaged over {w} plausible worlds of {r} paired runs each"),
    };
    outln!(
        "\nWhy: each intervention's effect on the share of weeks in truce split into its changes\n(Shapley values, {how}; an added item counts as the item at its\nreference's values plus each attribute that differs)"
    );
    out!("{tables}");
    outln!("wrote explain.csv to {}", root.display());
    Ok(root)
}
