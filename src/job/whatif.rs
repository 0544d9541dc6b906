//! One what-if answer in memory, for `negsim serve`: the same preparation, size check and
//! ensemble as `compare` (so the command the explorer exports gives the same numbers), with
//! nothing written. The answer is the bottom line of each intervention, its paired effects with
//! their intervals, the comparison table, and the report's charts as SVG.

use std::sync::atomic::AtomicBool;

use serde_json::json;

use crate::ensemble::job::{Job, Runs, check_size, prepare};
use crate::ensemble::record::{MetricId, RunStats, WeekPoint};
use crate::ensemble::summary::{self, ArmSummary};
use crate::ensemble::{self, Aggregate, Outcome, Plan, Sink};
use crate::error::Failure;
use crate::model::Event;
use crate::model::Params;
use crate::report::answer::{self, Brief};
use crate::report::charts;
use crate::report::csv::Story;

/// The charts an answer carries (file names of the report's charts).
pub const CHARTS: [&str; 4] = [
    "effects_forest.png",
    "truce_survival.png",
    "fan_tariffs.png",
    "story.png",
];

/// The effects an answer lists per intervention.
const EFFECTS: [MetricId; 3] = [
    MetricId::ShareTruce,
    MetricId::BrokenTrucesPerYear,
    MetricId::DurableDeal,
];

/// An answer: JSON for the page and each chart's SVG.
pub struct Answer {
    /// Bottom lines, effects with intervals, the table, sizes.
    pub json: serde_json::Value,
    /// (chart file name, SVG bytes), in [`CHARTS`] order (the forest plot needs two arms).
    pub svgs: Vec<(String, Vec<u8>)>,
}

/// Keeps the first traced replicate of each arm (for the story chart), nothing else.
struct Stories(Vec<Option<Story>>);

impl Sink for Stories {
    fn row(&mut self, _arm: usize, _stats: &RunStats) -> std::io::Result<()> {
        Ok(())
    }
    fn traced(
        &mut self,
        arm: usize,
        replicate: u64,
        events: &[Event],
        trajectory: &[WeekPoint],
    ) -> std::io::Result<()> {
        if let Some(slot) = self.0.get_mut(arm) {
            Story::keep_first(slot, replicate, events, trajectory);
        }
        Ok(())
    }
}

fn estimate(e: &crate::analysis::km::Estimate) -> serde_json::Value {
    json!({ "value": e.value, "lo": e.lo, "hi": e.hi })
}

/// The report's charts of an answer, as SVG, in [`CHARTS`] order.
fn svgs(
    prep: &crate::ensemble::job::Prepared,
    seed: u64,
    runs: u64,
    agg: &Aggregate,
    sums: &[ArmSummary],
    stories: &[Option<Story>],
) -> Result<Vec<(String, Vec<u8>)>, Failure> {
    let base = &prep.loaded[0].scenario;
    let real = crate::data::embedded_tariffs_for(base);
    let inp = charts::Input {
        scenario: &base.meta.name,
        runs,
        seed,
        arms: &prep.arms,
        agg,
        sums,
        stories,
        real: &real,
        worlds: None,
        explain: None,
    };
    let drawn = charts::render_all(&inp).map_err(Failure::Input)?;
    Ok(CHARTS
        .iter()
        .filter_map(|f| {
            drawn
                .iter()
                .find(|c| c.file == *f)
                .map(|c| (f.to_string(), c.png.svg.clone()))
        })
        .collect())
}

/// Runs `job` (a `compare` with fixed runs) in memory; `stop` cancels it (then
/// `Failure::Interrupted`).
pub fn answer(job: &Job<'_>, stop: &AtomicBool) -> Result<Answer, Failure> {
    let Runs::Fixed(runs) = job.runs else {
        return Err(Failure::Input("an explorer answer takes fixed runs".into()));
    };
    let prep = prepare(job)?;
    let arms = &prep.arms;
    let threads = super::cap_threads(job.threads, runs.div_ceil(ensemble::BATCH));
    check_size(runs, arms, threads, false, job.trace, false)?;
    let plan = Plan {
        seed: job.seed,
        threads,
        trace: job.trace,
        independent: job.independent,
    };
    let params: Vec<&Params> = arms.iter().map(|a| &a.params).collect();
    let mut agg = Aggregate::new(&params);
    let mut sink = Stories(vec![None; arms.len()]);
    let outcome = ensemble::run(arms, &plan, 0..runs, &mut agg, &mut sink, stop, &mut |_| {})
        .map_err(|e| Failure::Input(e.to_string()))?;
    if let Outcome::Interrupted = outcome {
        return Err(Failure::Interrupted);
    }
    let sums: Vec<ArmSummary> = (0..arms.len())
        .map(|a| summary::summarize_arm(&agg, a))
        .collect();
    let brief = Brief::default();
    // The report's sentences say "at the values as written"; moved values are not as written.
    let as_set = |t: String| {
        if job.set.is_some() {
            t.replace("at the values as written", "at the values as set")
        } else {
            t
        }
    };
    let names = &arms[0].params.names;
    let interventions: Vec<serde_json::Value> = (1..arms.len())
        .map(|a| {
            let effects: Vec<serde_json::Value> = EFFECTS
                .iter()
                .map(|id| {
                    let d = summary::metric_difference(&agg, a, id.index()).est;
                    json!({
                        "metric": names.column(id.name()),
                        "baseline": sums[0].metrics[id.index()].mean,
                        "effect": estimate(&d),
                    })
                })
                .collect();
            json!({
                "name": arms[a].name,
                "description": arms[a].description,
                "bottom_line": as_set(answer::sentence(&agg, arms, &sums, &brief, a)),
                "effects": effects,
            })
        })
        .collect();
    let single = vec![true; arms.len()];
    let headline = if arms.len() > 1 {
        as_set(answer::headline(&agg, arms, &brief, &single))
    } else {
        String::new()
    };
    let base = &prep.loaded[0].scenario;
    let svgs = svgs(&prep, job.seed, runs, &agg, &sums, &sink.0)?;
    let json = json!({
        "scenario": base.meta.name,
        "runs": runs,
        "seed": job.seed,
        "arms": arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        "headline": headline,
        "interventions": interventions,
        "table": crate::report::table::compare_table(&agg, arms, &sums),
        "interval": "95% paired intervals over the replicates (common random numbers): simulation noise only, at the values as set",
    });
    Ok(Answer { json, svgs })
}

/// Worlds and replicates per world of the explorer's precomputed answer across plausible worlds.
pub const WORLDS: crate::ensemble::worlds::WorldsPlan = crate::ensemble::worlds::WorldsPlan {
    worlds: 100,
    runs: 50,
    weeks: 0,
};

/// The answer across plausible worlds of `job`'s arms at their written values (how often each
/// intervention helps, its middle 90%, and which claim its size depends on most), in memory;
/// `None` when no value of the scenario declares a range.
pub fn worlds(job: &Job<'_>, stop: &AtomicBool) -> Result<Option<serde_json::Value>, Failure> {
    let prep = prepare(job)?;
    if crate::ensemble::worlds::inputs(&prep.loaded).is_empty() {
        return Ok(None);
    }
    let wp = crate::ensemble::worlds::WorldsPlan {
        weeks: prep.weeks,
        ..WORLDS
    };
    let threads = super::cap_threads(job.threads, wp.worlds);
    let sim = super::worlds::simulate(
        job,
        &prep,
        threads,
        wp,
        0..wp.worlds,
        (stop, &|| {}),
        &mut || Ok(()),
    )?;
    let (sentences, brief) = crate::report::worlds::answer(
        &prep,
        &sim.inputs,
        sim.posterior.as_ref(),
        &sim.result,
        wp,
        job.seed,
    );
    Ok(Some(json!({
        "worlds": wp.worlds,
        "runs": wp.runs,
        "posterior": brief.posterior,
        "sentences": sentences,
        "drivers": brief.arms.iter().map(|a| json!({ "name": a.name, "driver": a.driver })).collect::<Vec<_>>(),
        "interval": "across plausible worlds: the declared ranges of the values (and the calibration's posterior, when drawn) and the simulation noise, at the written values of everything else. A driver's number is the share of the spread of the per-world effect that the claim's values account for, with its 95% interval; a claim leads only when its interval lies above every other's",
    })))
}
