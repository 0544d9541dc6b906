//! What a comparison's report leads with: the answer in words, one sentence per intervention,
//! built from the numbers. It draws on the comparison at the values as written and, when the job
//! ran them first, on the same arms across plausible worlds (`--worlds`) and on each effect split
//! into its overlay's changes (`--explain`). The default job runs all three.

use std::path::{Path, PathBuf};

use crate::analysis::km::Estimate;
use crate::analysis::worlds::AcrossWorlds;
use crate::ensemble::record::{Better, MetricId};
use crate::ensemble::shapley::Explained;
use crate::ensemble::summary::{self, ArmSummary};
use crate::ensemble::worlds::p_helps;
use crate::ensemble::{Aggregate, Arm};
use crate::fmt::signed;

/// One intervention across plausible worlds.
#[derive(Clone, Debug)]
pub struct WorldsArm {
    /// Arm name.
    pub name: String,
    /// Per metric (indexed by `MetricId::index`).
    pub eff: Vec<AcrossWorlds>,
    /// What its spread depends on most, in words ("most sensitive to P6 (0.41 ...)").
    pub driver: String,
}

/// The answer across plausible worlds, as a comparison's report uses it.
#[derive(Clone, Debug)]
pub struct WorldsBrief {
    /// Worlds.
    pub worlds: u64,
    /// Paired replicates per world.
    pub runs: u64,
    /// Per intervention, in arm order.
    pub arms: Vec<WorldsArm>,
    /// Single interventions: (arm, P(best), expected regret).
    pub ranked: Vec<(String, f64, f64)>,
    /// The folder the worlds run wrote.
    pub folder: PathBuf,
    /// Whether the worlds drew the calibrated constants from a posterior.
    pub posterior: bool,
}

impl WorldsBrief {
    /// The worlds entry of arm `name`.
    pub fn arm(&self, name: &str) -> Option<&WorldsArm> {
        self.arms.iter().find(|a| a.name == name)
    }
}

/// The decomposition of every intervention (`--explain`), as a comparison's report uses it.
#[derive(Clone, Debug)]
pub struct ExplainBrief {
    /// Per intervention, in arm order.
    pub all: Vec<Explained>,
    /// Replicates per coalition (worlds x runs per world across worlds).
    pub runs: u64,
    /// Across plausible worlds: (worlds, runs per world); `None` at the values as written.
    pub worlds: Option<(u64, u64)>,
    /// The scenario's claim registry, for the titles of the claims the changes cite.
    pub claims: std::sync::Arc<crate::scenario::claims::Registry>,
}

impl ExplainBrief {
    /// The decomposition of arm `name`.
    pub fn arm(&self, name: &str) -> Option<&Explained> {
        self.all.iter().find(|e| e.arm == name)
    }
}

/// What a comparison's report knows besides its own aggregate.
#[derive(Clone, Debug, Default)]
pub struct Brief {
    /// The same arms across plausible worlds.
    pub worlds: Option<WorldsBrief>,
    /// Each effect split into its changes.
    pub explain: Option<ExplainBrief>,
}

/// `path` relative to `root` when it lies under it (a link that works wherever the folder is
/// moved), else as given.
pub fn link(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
        .replace('\\', "/")
}

/// A difference of shares in percentage points ("+9.9 points").
fn points(x: f64) -> String {
    format!("{} points", signed(100.0 * x, 1))
}

/// Whether an effect goes the worse way for a metric, beyond the noise.
pub fn harmful(e: &Estimate, better: Better) -> bool {
    e.excludes_zero()
        && match better {
            Better::Higher => e.value.is_some_and(|v| v < 0.0),
            Better::Lower => e.value.is_some_and(|v| v > 0.0),
            Better::Neither => false,
        }
}

/// What intervention `a` (>= 1) makes worse beyond the noise, the headline first: "the share of
/// weeks in truce", "P(durable deal) (-0.5 points)", or `None`.
pub fn goes_worse(agg: &Aggregate, a: usize) -> Option<String> {
    let d = summary::metric_difference(agg, a, MetricId::ShareTruce.index()).est;
    let durable = summary::metric_difference(agg, a, MetricId::DurableDeal.index()).est;
    if harmful(&d, Better::Higher) {
        Some("the share of weeks in truce".to_string())
    } else if harmful(&durable, Better::Higher) {
        Some(format!(
            "P(durable deal) ({})",
            points(durable.value.unwrap_or(0.0))
        ))
    } else {
        None
    }
}

/// Below this paired difference in the share of weeks in truce (1 point) an effect is described
/// as "barely" changing it, whatever its interval: a report threshold of wording, not of the model.
const BARELY: f64 = 0.01;

/// The verb for a paired difference in the share of weeks in truce.
fn verb(e: &Estimate) -> &'static str {
    let v = e.value.unwrap_or(0.0);
    if !e.excludes_zero() {
        "does not measurably change"
    } else if v.abs() < BARELY {
        if v > 0.0 {
            "barely raises"
        } else {
            "barely lowers"
        }
    } else if v > 0.0 {
        "raises"
    } else {
        "lowers"
    }
}

/// Where most of an effect comes from, for a decomposition of two or more changes, in plain
/// words: "its largest part is adding `channels.kushner_channel` at all (with the settings of
/// channels.official) (P14: ...): +4.7 of +10.0 points in the decomposition's own 2000 runs".
fn largest_part(e: &Explained, x: &ExplainBrief) -> Option<String> {
    let runs = x.runs;
    if e.players.len() < 2 {
        return None;
    }
    let total = e.result.total.mean();
    let (i, m) = e
        .result
        .values
        .iter()
        .enumerate()
        .max_by(|x, y| x.1.mean().abs().total_cmp(&y.1.mean().abs()))?;
    let (label, sources) = &e.players[i];
    let cites: Vec<String> = sources
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| match x.claims.title_of(s) {
            Some(t) => format!("{s}: {t}"),
            None => s.clone(),
        })
        .collect();
    let cites = if cites.is_empty() {
        String::new()
    } else {
        format!(" ({})", cites.join("; "))
    };
    let what = match label.strip_suffix(" (the item itself)") {
        Some(item) => format!(
            "adding `{item}` at all{}",
            e.reference
                .as_ref()
                .map_or(String::new(), |r| format!(" (with the settings of {r})"))
        ),
        None => format!("`{label}`"),
    };
    let lead = if total != 0.0 && m.mean() / total > 0.5 {
        "mostly"
    } else {
        "its largest part is"
    };
    Some(format!(
        "{lead} {what}{cites}: {} of {} points in the decomposition's own {runs} runs",
        signed(100.0 * m.mean(), 1),
        signed(100.0 * total, 1)
    ))
}

/// The mechanism counts of arm `a` that change most against the baseline, in words.
fn mechanism_phrase(agg: &Aggregate, a: usize) -> String {
    summary::mechanism_changes(agg, a, 2)
        .iter()
        .map(|c| {
            format!(
                "`{}` {} a run (baseline {})",
                c.metric.name(),
                signed(c.diff.value.unwrap_or(0.0), 2),
                crate::fmt::num(c.base, 2)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The bottom line of one intervention (arm `a` >= 1), in words: its effect at the values as
/// written, across plausible worlds and what that depends on, where it comes from, and, for an
/// effect that goes the worse way, what happens differently in the model. The intervals and the
/// other metrics are in the table below it.
pub fn sentence(
    agg: &Aggregate,
    arms: &[Arm],
    sums: &[ArmSummary],
    brief: &Brief,
    a: usize,
) -> String {
    let k = MetricId::ShareTruce.index();
    let d = summary::metric_difference(agg, a, k).est;
    let base = sums[0].metrics[k].mean;
    let arm = sums[a].metrics[k].mean;
    let mut s = format!(
        "**{}** ({}) {} the share of weeks in truce from {} to {} ({}) at the values as written.",
        arms[a].name,
        crate::report::document::plain(&arms[a].description),
        verb(&d),
        crate::fmt::percent1(base),
        crate::fmt::percent1(arm),
        points(d.value.unwrap_or(0.0)),
    );
    if let Some(w) = brief.worlds.as_ref().and_then(|w| w.arm(&arms[a].name)) {
        let e = &w.eff[k];
        let helps = p_helps(e, Better::Higher).map_or("?".into(), crate::fmt::percent);
        let spread = e.spread.map_or(String::new(), |(lo, hi)| {
            format!(
                " ({} to {} points in the middle 90%)",
                signed(100.0 * lo, 1),
                signed(100.0 * hi, 1)
            )
        });
        s.push_str(&format!(
            " Across {} plausible worlds it helps in {helps}{spread}; how sure: {}.",
            brief.worlds.as_ref().map_or(0, |w| w.worlds),
            w.driver
        ));
    }
    if let Some(part) = brief
        .explain
        .as_ref()
        .and_then(|x| x.arm(&arms[a].name).and_then(|e| largest_part(e, x)))
    {
        s.push_str(&format!(" Where it comes from: {part}."));
    }
    if let Some(what) = goes_worse(agg, a) {
        let m = mechanism_phrase(agg, a);
        let m = if m.is_empty() {
            String::new()
        } else {
            format!("; what changes most in the model: {m}")
        };
        s.push_str(&format!(" ⚠ It lowers {what}{m} (see Why)."));
    }
    s
}

/// The opening line: which single intervention helps most (across worlds when known, else at
/// the values as written), and how the combination compares.
pub fn headline(agg: &Aggregate, arms: &[Arm], brief: &Brief, single: &[bool]) -> String {
    let k = MetricId::ShareTruce.index();
    let at_written = |a: usize| summary::metric_difference(agg, a, k).est;
    let best_written = (1..arms.len()).filter(|&a| single[a]).max_by(|&x, &y| {
        at_written(x)
            .value
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&at_written(y).value.unwrap_or(f64::NEG_INFINITY))
    });
    let Some(bw) = best_written else {
        return "No single intervention to rank.".into();
    };
    let mut s = match brief.worlds.as_ref().and_then(|w| {
        w.ranked
            .iter()
            .max_by(|x, y| x.1.total_cmp(&y.1))
            .map(|r| (w, r))
    }) {
        Some((w, (name, best, regret))) => format!(
            "**The single intervention that helps most is {name}**: it helps in {} of {} plausible worlds, and is the best of the single interventions in {} of them (expected regret {} points in the share of weeks in truce against the best one of each world); at the values as written it adds {} to the share of weeks in truce{}.",
            w.arm(name)
                .and_then(|x| p_helps(&x.eff[k], Better::Higher))
                .map_or("?".into(), crate::fmt::percent),
            w.worlds,
            crate::fmt::percent(*best),
            crate::fmt::num(100.0 * regret, 1),
            arms.iter()
                .position(|x| &x.name == name)
                .map_or("?".into(), |a| points(at_written(a).value.unwrap_or(0.0))),
            if name == &arms[bw].name {
                String::new()
            } else {
                format!(
                    " (at the values as written {} adds more, {})",
                    arms[bw].name,
                    points(at_written(bw).value.unwrap_or(0.0))
                )
            }
        ),
        None => format!(
            "**The single intervention that helps most at the values as written is {}**: {} in the share of weeks in truce.",
            arms[bw].name,
            points(at_written(bw).value.unwrap_or(0.0))
        ),
    };
    if let Some(c) = (1..arms.len()).find(|&a| !single[a]) {
        s.push_str(&format!(
            " The combination {} adds {}.",
            arms[c].name,
            points(at_written(c).value.unwrap_or(0.0))
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(v: f64, lo: f64, hi: f64) -> Estimate {
        Estimate {
            value: Some(v),
            lo: Some(lo),
            hi: Some(hi),
            p: None,
        }
    }

    #[test]
    fn verbs_follow_the_interval_and_the_size() {
        assert_eq!(verb(&est(0.1, 0.09, 0.11)), "raises");
        assert_eq!(verb(&est(-0.1, -0.11, -0.09)), "lowers");
        assert_eq!(verb(&est(0.004, 0.002, 0.006)), "barely raises");
        assert_eq!(verb(&est(0.02, -0.01, 0.05)), "does not measurably change");
        assert!(harmful(&est(-0.02, -0.03, -0.01), Better::Higher));
        assert!(!harmful(&est(-0.02, -0.03, 0.01), Better::Higher));
        assert!(harmful(&est(0.2, 0.1, 0.3), Better::Lower));
    }

    #[test]
    fn links_are_relative_under_the_root() {
        let r = Path::new("output/default");
        assert_eq!(link(r, Path::new("output/default/worlds")), "worlds");
        assert_eq!(link(r, Path::new("elsewhere/w")), "elsewhere/w");
    }
}
