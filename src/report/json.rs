//! `--json` on `run` and `compare`: the headline table as one JSON document for scripts. Metric
//! names are those of the CSV files; every estimate carries its 95% interval, and the document
//! says what the intervals cover. Schema version [`SCHEMA`]; tests/it/habits.rs checks it.

use serde_json::{Value, json};

use crate::analysis::km::Estimate;
use crate::analysis::worlds::AcrossWorlds;
use crate::ensemble::Aggregate;
use crate::ensemble::job::Prepared;
use crate::ensemble::record::MetricId;
use crate::ensemble::summary::{self, ArmSummary, Durations};
use crate::ensemble::worlds::{WorldsPlan, p_helps};

/// What the interval of the mean effect covers, for every output that shows one.
pub const INTERVAL_COVERS: &str = "parameters and simulation noise: nested estimator over worlds (mean of per-world mean paired differences, t interval on their spread)";

/// Version of the document's layout.
pub const SCHEMA: u32 = 1;

/// The metrics of the headline table (means and paired differences).
pub const METRICS: [MetricId; 4] = [
    MetricId::ShareTruce,
    MetricId::BrokenTrucesPerYear,
    MetricId::DurableDeal,
    MetricId::PeakTariffUs,
];

fn num(x: Option<f64>) -> Value {
    match x {
        Some(v) if v.is_finite() => json!(v),
        _ => Value::Null,
    }
}

fn interval(e: &Estimate, key: &str) -> Value {
    json!({ key: num(e.value), "ci_low": num(e.lo), "ci_high": num(e.hi) })
}

fn difference(e: &Estimate) -> Value {
    json!({ "difference": num(e.value), "ci_low": num(e.lo), "ci_high": num(e.hi), "p_value": num(e.p) })
}

/// The document of a run or comparison at fixed parameters.
pub fn fixed(
    command: &str,
    seed: u64,
    prep: &Prepared,
    agg: &Aggregate,
    sums: &[ArmSummary],
) -> Value {
    let rmst = summary::TRUCE_RMST;
    let median = summary::TRUCE_MEDIAN;
    let arms: Vec<Value> = prep
        .arms
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let mut est = serde_json::Map::new();
            for id in METRICS {
                let m = &sums[a].metrics[id.index()];
                let e = Estimate {
                    value: (m.n > 0).then_some(m.mean),
                    lo: m.ci.map(|c| c.0),
                    hi: m.ci.map(|c| c.1),
                    p: None,
                };
                est.insert(id.name().into(), interval(&e, "estimate"));
            }
            est.insert(rmst.into(), interval(&sums[a].truce_strict.rmst, "estimate"));
            est.insert(median.into(), interval(&sums[a].truce_strict.median, "estimate"));
            let vs = if a == 0 {
                Value::Null
            } else {
                let mut d = serde_json::Map::new();
                for id in METRICS {
                    d.insert(
                        id.name().into(),
                        difference(&summary::metric_difference(agg, a, id.index()).est),
                    );
                }
                let (r, m) = summary::km_difference(agg, a, Durations::TruceStrict);
                d.insert(rmst.into(), difference(&r));
                d.insert(median.into(), difference(&m));
                Value::Object(d)
            };
            json!({ "name": arm.name, "description": arm.description, "estimates": est, "vs_base": vs })
        })
        .collect();
    document(
        command,
        seed,
        prep,
        json!({
            "runs_per_arm": agg.runs,
            "weeks": prep.weeks,
            "intervals": "95%; they cover simulation noise only, at the parameters as written",
            "arms": arms,
        }),
    )
}

/// The document of a run or comparison across plausible worlds.
pub fn worlds(
    command: &str,
    seed: u64,
    prep: &Prepared,
    eff: &[Vec<AcrossWorlds>],
    wp: WorldsPlan,
) -> Value {
    let arms: Vec<Value> = prep
        .arms
        .iter()
        .enumerate()
        .skip(1)
        .map(|(a, arm)| {
            let mut e = serde_json::Map::new();
            for id in METRICS {
                let x = &eff[a - 1][id.index()];
                e.insert(
                    id.name().into(),
                    json!({
                        "mean_effect": num(Some(x.mean)),
                        "ci_low": num(x.ci.map(|c| c.0)),
                        "ci_high": num(x.ci.map(|c| c.1)),
                        "spread_p05": num(x.spread.map(|c| c.0)),
                        "spread_p95": num(x.spread.map(|c| c.1)),
                        "p_helps": num(p_helps(x, id.metric().better)),
                        "noise_share": num(x.noise_share),
                    }),
                );
            }
            json!({ "name": arm.name, "description": arm.description, "effects": e })
        })
        .collect();
    document(
        command,
        seed,
        prep,
        json!({
            "worlds": wp.worlds,
            "runs_per_world": wp.runs,
            "weeks": wp.weeks,
            "intervals": format!("95%; {}", INTERVAL_COVERS),
            "spread": "5-95% of plausible worlds, simulation noise removed",
            "interventions": arms,
        }),
    )
}

/// The keys every document has (schema, version, commit, command, scenario, seed, base arm),
/// then `body`'s.
fn document(command: &str, seed: u64, prep: &Prepared, body: Value) -> Value {
    let mut doc = json!({
        "schema": SCHEMA,
        "negsim_version": env!("CARGO_PKG_VERSION"),
        "git_commit": crate::report::manifest::GIT_COMMIT,
        "command": command,
        "scenario": prep.loaded[0].scenario.meta.name,
        "seed": seed,
        "base_arm": prep.arms[0].name,
    });
    if let (Some(d), Value::Object(b)) = (doc.as_object_mut(), body) {
        d.extend(b);
    }
    doc
}
