//! The parts of a comparison's report besides the bottom line (`answer`): the effects table, the
//! "why" section (the decomposition of each effect and the mechanism counts that move most), the
//! caveats, the methods, and what a duration shown means under the renewal rule.

use crate::analysis::km::{Estimate, KmSummary};
use crate::ensemble::record::{Better, MetricId};
use crate::ensemble::summary::{self, ArmSummary, Durations, LEVEL};
use crate::ensemble::{Aggregate, Arm};
use crate::fmt::{num, signed};
use crate::model::Params;
use crate::report::answer::{Brief, goes_worse};
use crate::report::document::Block;
use crate::report::report_doc::ChartNote;

pub use crate::report::table::scaled;

/// S(d) of a Kaplan–Meier summary, as a percentage ("" past its curve).
fn holding(k: &KmSummary, d: usize) -> String {
    k.curve
        .get(d)
        .map_or(String::new(), |s| format!("{:.0}%", 100.0 * s))
}

/// Weeks at which the table reads the share of truces still holding.
pub const HOLDING_AT: [usize; 2] = [26, 52];

pub use crate::report::table::ranked;

/// The effects table's columns (with the worlds' two when the job ran them).
fn effects_header(worlds: bool) -> Vec<String> {
    let mut header: Vec<String> = vec![
        "arm".into(),
        "share of weeks in truce".into(),
        "Δ share in truce, points [95% CI]".into(),
    ];
    if worlds {
        header.push("helps in (share of worlds)".into());
        header.push("Δ in the middle 90% of worlds, points".into());
    }
    header.extend(
        [
            "truce RMST (wk)",
            "Δ truce RMST, weeks [95% CI]",
            "truces holding at 26 / 52 wk",
            "P(durable deal)",
            "Δ P(durable deal), points [95% CI]",
        ]
        .map(String::from),
    );
    header
}

/// The report's effects table: per arm its levels, and per intervention its paired differences
/// (95% intervals, simulation noise) and, when known, how it fares across plausible worlds. The
/// baseline row has levels only; every Δ cell of it is "—".
pub fn effects_rows(
    agg: &Aggregate,
    arms: &[Arm],
    sums: &[ArmSummary],
    brief: &Brief,
) -> (Vec<String>, Vec<Vec<String>>) {
    let k = MetricId::ShareTruce.index();
    let kd = MetricId::DurableDeal.index();
    let header = effects_header(brief.worlds.is_some());
    let rmst = |a: usize| format!("{:.1}", sums[a].truce_strict.rmst.value.unwrap_or(f64::NAN));
    let hold = |a: usize| {
        HOLDING_AT
            .iter()
            .map(|&d| holding(&sums[a].truce_strict, d))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let mut base = vec![
        format!("{} (base)", arms[0].name),
        crate::fmt::percent1(sums[0].metrics[k].mean),
        "—".into(),
    ];
    if brief.worlds.is_some() {
        base.extend(["—".into(), "—".into()]);
    }
    base.extend([
        rmst(0),
        "—".into(),
        hold(0),
        crate::fmt::percent1(sums[0].metrics[kd].mean),
        "—".into(),
    ]);
    let mut rows = vec![base];
    for a in ranked(agg, arms) {
        let mut r = vec![
            arms[a].name.clone(),
            crate::fmt::percent1(sums[a].metrics[k].mean),
            scaled(&summary::metric_difference(agg, a, k).est, 100.0, 1),
        ];
        if let Some(w) = &brief.worlds {
            match w.arm(&arms[a].name).map(|x| &x.eff[k]) {
                Some(e) => {
                    r.push(
                        crate::ensemble::worlds::p_helps(e, Better::Higher)
                            .map_or("?".into(), crate::fmt::percent),
                    );
                    r.push(e.spread.map_or("not estimable".into(), |(l, h)| {
                        format!("{} to {}", signed(100.0 * l, 1), signed(100.0 * h, 1))
                    }));
                }
                None => r.extend(["?".into(), "?".into()]),
            }
        }
        let (d_rmst, _) = summary::km_difference(agg, a, Durations::TruceStrict);
        r.extend([
            rmst(a),
            scaled(&d_rmst, 1.0, 2),
            hold(a),
            crate::fmt::percent1(sums[a].metrics[kd].mean),
            scaled(&summary::metric_difference(agg, a, kd).est, 100.0, 1),
        ]);
        rows.push(r);
    }
    (header, rows)
}

/// What a truce length means under the renewal rule of the base scenario, for every place a
/// duration is shown, with how often the base's expiring agreements were renewed, extended or
/// lapsed per run (`s`, the base's summary).
pub fn renewal_rule(base: &Params, s: &ArmSummary) -> String {
    let tau = s.truce_strict.tau;
    let term = base.b.negotiation.transactional_term;
    let per_run = |id: MetricId| num(s.metrics[id.index()].mean, 2);
    if term > 0.0 {
        format!(
            "**Truce lengths and the renewal rule.** A transactional truce must be renewed every {} weeks (`behaviour.negotiation.transactional_term`): at its expiry a renewal round is held; if that fails, the agreement is extended by decree or lapses. Here an expiring agreement was renewed {} times a run, extended {} times and lapsed {} times, against {} truces broken by an escalation: {}. The median says when half of the truces have ended; the restricted mean (RMST: the mean length over a truce's first {tau} weeks, from the truces that started at least {tau} weeks before the horizon) and the share still holding at 26 and 52 weeks (Kaplan–Meier) say how long the long ones last.",
            num(term, 0),
            per_run(MetricId::ExpiriesRenewed),
            per_run(MetricId::ExpiriesExtended),
            per_run(MetricId::ExpiriesLapsed),
            per_run(MetricId::BrokenTruces),
            if s.metrics[MetricId::ExpiriesLapsed.index()].mean
                < s.metrics[MetricId::BrokenTruces.index()].mean
            {
                "truces end more often by an escalation than at their expiry"
            } else {
                "truces end at least as often at their expiry as by an escalation"
            },
        )
    } else {
        format!(
            "**Truce lengths.** Transactional truces here are open-ended (`behaviour.negotiation.transactional_term` = 0). The restricted mean (RMST: the mean length over a truce's first {tau} weeks) and the share of truces still holding at 26 and 52 weeks are Kaplan–Meier estimates."
        )
    }
}

/// The decomposition table: per intervention, each change with its claims and contribution.
fn explain_rows(brief: &Brief) -> Vec<Vec<String>> {
    let Some(x) = &brief.explain else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for e in &x.all {
        let total = e.result.total.mean();
        for ((label, sources), m) in e.players.iter().zip(&e.result.values) {
            let est = Estimate {
                value: Some(m.mean()),
                lo: m.ci(LEVEL).map(|c| c.0),
                hi: m.ci(LEVEL).map(|c| c.1),
                p: None,
            };
            rows.push(vec![
                e.arm.clone(),
                format!("`{label}`"),
                sources
                    .iter()
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                scaled(&est, 100.0, 1),
                if total != 0.0 {
                    format!("{:.0}%", 100.0 * m.mean() / total)
                } else {
                    String::new()
                },
            ]);
        }
    }
    rows
}

/// The "why" section: where each effect comes from (when `--explain` ran) and the mechanism
/// counts that change most, with effects that go the worse way marked.
pub fn why_blocks(
    agg: &Aggregate,
    arms: &[Arm],
    brief: &Brief,
    waterfall: Option<&ChartNote>,
) -> Vec<Block> {
    let mut b = explain_blocks(brief, waterfall);
    b.extend(mechanism_blocks(agg, arms));
    b
}

/// Where each effect comes from (`--explain`): the text, the waterfall and the table.
fn explain_blocks(brief: &Brief, waterfall: Option<&ChartNote>) -> Vec<Block> {
    let mut b = Vec::new();
    if let Some(x) = &brief.explain {
        b.push(Block::Heading(3, "Where each effect comes from".into()));
        b.push(Block::Para(format!(
            "Each intervention's effect on the share of weeks in truce at the values as written, split into the changes its overlay makes: Shapley values, each change's average contribution over every order of adding them. Every coalition of changes runs the same {} replicates on common random numbers, so the parts add up to the whole replicate by replicate. An added item (a new channel) counts as the item at the values of a reference (the base's first item of that list, e.g. the official channel) plus each attribute in which it differs; an overlay that includes others is split into those. explain/explain.csv has every number.",
            x.runs
        )));
        if let Some(c) = waterfall {
            b.push(Block::Image(c.file.clone(), c.alt.clone()));
            b.push(Block::Para(c.guide.clone()));
        }
        b.push(Block::TextTable(
            [
                "intervention",
                "change",
                "claims",
                "contribution, points [95% CI]",
                "share of the effect",
            ]
            .map(String::from)
            .to_vec(),
            explain_rows(brief),
        ));
    }
    b
}

/// The mechanism counts that change most, per intervention, with harmful effects marked.
fn mechanism_blocks(agg: &Aggregate, arms: &[Arm]) -> Vec<Block> {
    let mut b = vec![Block::Heading(3, "What changes inside the model".into())];
    b.push(Block::Para(format!(
        "For each intervention, the three counts of the model's mechanisms (deals, disputes over the record, misreadings, rounds, summits, threats, expiries) that change most against the baseline, relative to the square root of how often they happen there (the scale of a count's own noise; counts rarer than {} a run in both arms, and differences the simulation does not resolve, are left out). ⚠ marks an intervention whose effect on the share of weeks in truce or on P(durable deal) goes the worse way: these rows say which mechanism the surprising sign comes from.",
        num(summary::MIN_MECHANISM_COUNT, 2)
    )));
    let k = MetricId::ShareTruce.index();
    let kd = MetricId::DurableDeal.index();
    let rows: Vec<Vec<String>> = ranked(agg, arms)
        .into_iter()
        .map(|a| {
            let d = summary::metric_difference(agg, a, k).est;
            let dd = summary::metric_difference(agg, a, kd).est;
            let warn = goes_worse(agg, a).is_some();
            let changes = summary::mechanism_changes(agg, a, 3)
                .iter()
                .map(|c| {
                    format!(
                        "`{}` {} per run [{}, {}] (baseline {})",
                        c.metric.name(),
                        signed(c.diff.value.unwrap_or(0.0), 2),
                        signed(c.diff.lo.unwrap_or(f64::NAN), 2),
                        signed(c.diff.hi.unwrap_or(f64::NAN), 2),
                        num(c.base, 2)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            vec![
                format!("{}{}", if warn { "⚠ " } else { "" }, arms[a].name),
                format!(
                    "{} points in truce, {} points P(durable)",
                    signed(100.0 * d.value.unwrap_or(0.0), 1),
                    signed(100.0 * dd.value.unwrap_or(0.0), 1)
                ),
                if changes.is_empty() {
                    "no mechanism count changes beyond the noise".into()
                } else {
                    changes
                },
            ]
        })
        .collect();
    b.push(Block::TextTable(
        [
            "intervention",
            "effect",
            "largest changes in mechanism counts (per run, 95% CI)",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    ));
    b
}

/// What the reader should keep in mind, from what the docs, the scenario and the run know.
pub fn caveats(brief: &Brief, calibrated: bool, base: &crate::scenario::Scenario) -> Vec<String> {
    let reg = &base.claims;
    let reading = if reg.claims.is_empty() {
        "under the scenario's own assumptions (it cites no claim registry)".to_string()
    } else if reg.document.is_empty() {
        format!("under {} (claims {})", reg.reading, reg.span())
    } else {
        format!(
            "under {} (claims {}, {})",
            reg.reading,
            reg.span(),
            reg.document
        )
    };
    let mut c = vec![format!(
        "**Not a forecast.** The effects are what the model's mechanisms imply {reading}. The model's structure is an assumption that no interval here covers."
    )];
    if calibrated {
        c.push("**A weak calibration.** The constants marked `source = \"calibration\"` were fitted to two short records (2018–20 and 2025, docs/CALIBRATION.md); none is pinned down, and what the fit credits to channels is confounded with everything else that differed between the two periods.".into());
    }
    let durable = base.behaviour.observation.durable_weeks;
    let once = if calibrated {
        ": a rare, all-or-nothing event that the records test only once (the 2018–20 Phase One deal, which the calibrated model gives well under even odds; docs/CALIBRATION.md, predictive checks)"
    } else {
        ": a rare, all-or-nothing event that no calibration of this scenario tested"
    };
    c.push(format!(
        "**P(durable deal) deserves caution.** It asks whether one truce lasts the durable length ({} weeks) within a {} horizon{once}. Read its differences as a direction more than as a size.",
        crate::fmt::num(durable, 4),
        horizon_words(base.meta.weeks)
    ));
    let biggest = base
        .calendar
        .iter()
        .filter_map(|e| match e.kind {
            crate::scenario::EventKind::Threat {
                tariff_pp,
                deadline,
                ..
            } => Some((tariff_pp, deadline)),
            _ => None,
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let here = biggest.map_or(String::new(), |(pp, d)| {
        format!(
            " (here the threat of an extra {}% on {})",
            crate::fmt::num(pp, 4),
            d.day_month()
        )
    });
    let words = crate::scenario::names::Names::of(&base.sides);
    // The comparison with a real record is the article's scenarios' (docs/MODEL.md §12).
    let record = if words.is_canonical() {
        "milder than the 2025 record (docs/MODEL.md §12)"
    } else {
        "mild (docs/MODEL.md §12 compares it with the one record it was checked on)"
    };
    c.push(format!("**Explosive escalation comes mostly from the calendar.** Large {} spikes in the model follow dated ultimatums{here}; without them, endogenous escalation is {record}.", words.level_word()));
    if brief.worlds.is_none() {
        c.push("**Intervals cover simulation noise only.** Every value is taken as written; run the comparison with `--worlds` (the default job does) for the uncertainty of the values themselves (docs/UNCERTAINTY.md).".into());
    }
    c
}

/// How the numbers were made.
pub fn methods(
    agg: &Aggregate,
    arms: &[Arm],
    brief: &Brief,
    independent: bool,
    renewal: String,
    worlds_report: &str,
) -> Vec<String> {
    let mut m = vec![
        format!(
            "**At the values as written.** Every arm runs the same {} replicates on {}, so each Δ is a paired difference: the same shocks, a different design. Means get Student t intervals, proportions Newcombe's interval for paired proportions, Kaplan–Meier quantities a grouped jackknife. All intervals are 95%.",
            agg.runs,
            if independent {
                "independent random streams (--independent)"
            } else {
                "common random numbers"
            }
        ),
        renewal,
    ];
    if let Some(w) = &brief.worlds {
        m.push(format!(
            "**Across plausible worlds.** {} worlds draw every value that the scenario and the overlays give a range (a Latin hypercube){}; each world runs {} paired replicates of every arm. \"Helps in\" is the share of worlds in which the intervention raises the share of weeks in truce, and the middle 90% is the range of its per-world effect, both with each world's simulation noise removed. The mean effect's interval covers the parameters and the noise. What drives the spread: squared correlations of the per-world effects with each claim's values. Full tables: [{worlds_report}]({worlds_report}).",
            w.worlds,
            if w.posterior {
                ", and the calibrated constants from the calibration's posterior"
            } else {
                ""
            },
            w.runs
        ));
    }
    let vr: Vec<String> = arms
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(a, arm)| {
            summary::variance_reduction(agg, a).map(|v| format!("{} {:.1}x", arm.name, v.ratio()))
        })
        .collect();
    if !vr.is_empty() {
        m.push(format!(
            "**What pairing buys.** Var(arm) + Var(baseline) over the variance of the paired difference in the share of weeks in truce, i.e. how many times fewer replicates the same interval needs than with independent arms: {} (variance_reduction.csv).",
            vr.join(", ")
        ));
    }
    m
}

/// "three-year" for 156 weeks, "80-week" otherwise.
fn horizon_words(weeks: u32) -> String {
    const WORDS: [&str; 10] = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    match (weeks % 52, (weeks / 52) as usize) {
        (0, n @ 1..=10) => format!("{}-year", WORDS[n - 1]),
        _ => format!("{weeks}-week"),
    }
}
