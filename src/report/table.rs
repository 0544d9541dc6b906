//! Terminal tables: aligned, pipe-separated (they paste into Markdown reports as they are).

use crate::analysis::km::Estimate;
use crate::ensemble::Arm;
use crate::ensemble::aggregate::Aggregate;
use crate::ensemble::record::MetricId;
use crate::ensemble::summary::{self, ArmSummary, Durations, HEADLINE};
use crate::scenario::names::Names;

use super::csv::num;

/// Renders rows under a header as an aligned Markdown table (first column left, others right).
pub fn render(header: &[String], rows: &[Vec<String>]) -> String {
    render_aligned(header, rows, false)
}

/// Renders a table of text: every column left-aligned.
pub fn render_text(header: &[String], rows: &[Vec<String>]) -> String {
    render_aligned(header, rows, true)
}

fn render_aligned(header: &[String], rows: &[Vec<String>], all_left: bool) -> String {
    let cols = header.len();
    let width = |c: usize| {
        rows.iter()
            .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
            .chain([header[c].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..cols).map(width).collect();
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let pad = widths[c].saturating_sub(s.chars().count());
                if c == 0 || all_left {
                    format!("{s}{}", " ".repeat(pad))
                } else {
                    format!("{}{s}", " ".repeat(pad))
                }
            })
            .collect();
        format!("| {} |", parts.join(" | "))
    };
    let mut out = line(header);
    out.push('\n');
    let rule: Vec<String> = widths
        .iter()
        .enumerate()
        .map(|(c, w)| {
            if c == 0 || all_left {
                "-".repeat(w + 2)
            } else {
                format!("{}:", "-".repeat(w + 1))
            }
        })
        .collect();
    out.push_str(&format!("|{}|\n", rule.join("|")));
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

/// "0.48 [0.47, 0.49]" with `d` decimals; "n/a" when not estimable.
pub fn with_ci(v: Option<f64>, lo: Option<f64>, hi: Option<f64>, d: usize) -> String {
    match v {
        None => "not reached".into(),
        Some(v) => {
            let l = lo.map_or("?".into(), |x| format!("{x:.d$}"));
            let h = hi.map_or("not reached".into(), |x| format!("{x:.d$}"));
            format!("{v:.d$} [{l}, {h}]")
        }
    }
}

/// "+9.9 [+9.6, +10.3]": an estimate and its limits multiplied by `scale`, signed, `d` decimals
/// ("n/a" when not estimable, "?" for a missing limit).
pub fn scaled(e: &Estimate, scale: f64, d: usize) -> String {
    match e.value {
        None => "n/a".into(),
        Some(v) => {
            let l =
                e.lo.map_or("?".into(), |x| crate::fmt::signed(scale * x, d));
            let h =
                e.hi.map_or("?".into(), |x| crate::fmt::signed(scale * x, d));
            format!("{} [{l}, {h}]", crate::fmt::signed(scale * v, d))
        }
    }
}

/// Metrics shown in the run summary table.
const RUN_TABLE: [MetricId; 10] = [
    MetricId::ShareTruce,
    MetricId::ShareEscalation,
    MetricId::BrokenTrucesPerYear,
    MetricId::EscalationEpisodes,
    MetricId::TransactionalDeals,
    MetricId::BroadDeals,
    MetricId::DurableDeal,
    MetricId::PeakTariffUs,
    MetricId::PeakTariffCn,
    MetricId::RecordDisputes,
];

/// The short summary table of a run.
pub fn run_table(s: &ArmSummary, names: &Names) -> String {
    let (header, rows) = run_rows(s, names);
    render(&header, &rows)
}

/// Header and rows of the run summary table.
pub fn run_rows(s: &ArmSummary, names: &Names) -> (Vec<String>, Vec<Vec<String>>) {
    let header = ["metric", "mean [95% CI]", "median"]
        .map(String::from)
        .to_vec();
    let mut rows = Vec::new();
    for id in RUN_TABLE {
        let name = names.column(id.name());
        {
            let k = id.index();
            let m = &s.metrics[k];
            let d = if matches!(m.metric.kind, crate::ensemble::record::Kind::Tariff) {
                1
            } else {
                3
            };
            rows.push(vec![
                name.to_string(),
                with_ci(Some(m.mean), m.ci.map(|c| c.0), m.ci.map(|c| c.1), d),
                m.median.map_or(String::new(), |x| num(x, d)),
            ]);
        }
    }
    let k = &s.truce_strict;
    rows.push(vec![
        format!("{} (interpolated)", summary::TRUCE_MEDIAN),
        with_ci(k.median.value, k.median.lo, k.median.hi, 1),
        String::new(),
    ]);
    rows.push(vec![
        format!("{} (restricted to {} weeks)", summary::TRUCE_RMST, k.tau),
        with_ci(k.rmst.value, k.rmst.lo, k.rmst.hi, 2),
        String::new(),
    ]);
    (header, rows)
}

/// The ranked comparison table: interventions by paired effect on the headline metric.
/// "+6.35 ±0.20": an estimate with the half-width of its interval, `d` decimals ("n/a" when not
/// estimable). The paired t intervals are symmetric; Newcombe's for P(durable deal) nearly so,
/// and comparison.csv has its exact limits.
fn plus_minus(e: &Estimate, d: usize) -> String {
    // The half-width of the limits as comparison.csv and the report print them (rounded to `d`
    // decimals), so the three places agree to the last digit.
    let printed = |x: f64| format!("{x:.d$}").parse::<f64>().unwrap_or(x);
    match (e.value, e.lo, e.hi) {
        (Some(v), Some(l), Some(h)) => format!(
            "{} ±{:.d$}",
            crate::fmt::signed(v, d),
            (printed(h) - printed(l)) / 2.0
        ),
        _ => scaled(e, 1.0, d),
    }
}

/// The interventions (arm indices after the base) by their paired effect on the headline
/// metric, largest first (ties keep the arms' order).
pub fn ranked(agg: &Aggregate, arms: &[Arm]) -> Vec<usize> {
    let effect = |a: usize| {
        summary::metric_difference(agg, a, HEADLINE.index())
            .est
            .value
            .unwrap_or(f64::NEG_INFINITY)
    };
    let mut order: Vec<usize> = (1..arms.len()).collect();
    order.sort_by(|&x, &y| effect(y).total_cmp(&effect(x)).then(x.cmp(&y)));
    order
}

/// The terminal's comparison table, in 100 columns: the arm, Δ share in truce, Δ RMST, the
/// median and Δ P(durable deal), each difference as "estimate ±half-width"; the base row shows
/// levels. comparison.csv and the report ([`compare_rows`]) have every column and limit.
pub fn compare_table(agg: &Aggregate, arms: &[Arm], sums: &[ArmSummary]) -> String {
    let k_durable = MetricId::DurableDeal.index();
    let header = [
        "arm",
        "Δ share in truce",
        "Δ truce RMST (wk)",
        "median (wk)",
        "Δ P(durable)",
    ]
    .map(String::from)
    .to_vec();
    // Interpolated medians carry intervals in the CSV; here the point is enough.
    let median = |a: usize| {
        sums[a]
            .truce_strict
            .median
            .value
            .map_or("not reached".into(), |v| format!("{v:.1}"))
    };
    let base = &sums[0];
    let mut rows = vec![vec![
        format!("{} (base)", arms[0].name),
        format!("share {}", num(base.metrics[HEADLINE.index()].mean, 3)),
        format!(
            "RMST {}",
            num(base.truce_strict.rmst.value.unwrap_or(f64::NAN), 2)
        ),
        median(0),
        format!("P = {}", num(base.metrics[k_durable].mean, 3)),
    ]];
    for a in ranked(agg, arms) {
        let (rmst, _) = summary::km_difference(agg, a, Durations::TruceStrict);
        rows.push(vec![
            arms[a].name.clone(),
            plus_minus(&summary::metric_difference(agg, a, HEADLINE.index()).est, 3),
            plus_minus(&rmst, 2),
            median(a),
            plus_minus(&summary::metric_difference(agg, a, k_durable).est, 3),
        ]);
    }
    let mut out = render(&header, &rows);
    out.push_str("(share of weeks in truce; truce RMST (truce_rmst_weeks) and median truce length in weeks;\nP(a durable deal); every metric with its interval in comparison.csv)\n");
    out
}
