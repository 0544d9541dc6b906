//! Terminal tables: aligned, pipe-separated (they paste into Markdown reports as they are).

use crate::analysis::km::Estimate;
use crate::ensemble::Arm;
use crate::ensemble::aggregate::Aggregate;
use crate::ensemble::record::MetricId;
use crate::ensemble::summary::{self, ArmSummary, Durations, HEADLINE};

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

fn signed(e: &Estimate, d: usize) -> String {
    match e.value {
        None => "n/a".into(),
        Some(v) => {
            let l = e.lo.map_or("?".into(), |x| crate::fmt::signed(x, d));
            let h = e.hi.map_or("?".into(), |x| crate::fmt::signed(x, d));
            format!("{} [{l}, {h}]", crate::fmt::signed(v, d))
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
pub fn run_table(s: &ArmSummary) -> String {
    let (header, rows) = run_rows(s);
    render(&header, &rows)
}

/// Header and rows of the run summary table.
pub fn run_rows(s: &ArmSummary) -> (Vec<String>, Vec<Vec<String>>) {
    let header = ["metric", "mean [95% CI]", "median"]
        .map(String::from)
        .to_vec();
    let mut rows = Vec::new();
    for id in RUN_TABLE {
        let name = id.name();
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
        "truce duration, KM median (weeks, interpolated)".into(),
        with_ci(k.median.value, k.median.lo, k.median.hi, 1),
        String::new(),
    ]);
    rows.push(vec![
        format!("truce duration, RMST to {} weeks", k.tau),
        with_ci(k.rmst.value, k.rmst.lo, k.rmst.hi, 2),
        String::new(),
    ]);
    (header, rows)
}

/// The ranked comparison table: interventions by paired effect on the headline metric.
/// "+6.35 [+6.16, +6.55]" as "+6.35 ±0.20" (a symmetric interval written shorter).
fn plus_minus(cell: &str) -> String {
    let parse = |x: &str| x.trim().trim_start_matches('+').parse::<f64>().ok();
    let Some((v, rest)) = cell.split_once(" [") else {
        return cell.to_string();
    };
    let Some((lo, hi)) = rest.trim_end_matches(']').split_once(", ") else {
        return cell.to_string();
    };
    match (parse(v), parse(lo), parse(hi)) {
        (Some(_), Some(l), Some(h)) => {
            let d = v.split('.').nth(1).map_or(0, str::len);
            format!("{v} ±{:.d$}", (h - l) / 2.0)
        }
        _ => cell.to_string(),
    }
}

/// Columns of the terminal's comparison table, chosen from [`compare_rows`] so that it fits in
/// 100 columns: the arm, Δ share in truce with its interval, Δ RMST, the median and
/// Δ P(durable deal). comparison.csv and the report have every column.
const TERMINAL_COLUMNS: [usize; 5] = [0, 2, 3, 4, 6];

pub fn compare_table(agg: &Aggregate, arms: &[Arm], sums: &[ArmSummary]) -> String {
    let (header, rows) = compare_rows(agg, arms, sums);
    let pick =
        |r: &[String]| -> Vec<String> { TERMINAL_COLUMNS.iter().map(|&i| r[i].clone()).collect() };
    let mut rows: Vec<Vec<String>> = rows.iter().map(|r| pick(r)).collect();
    // The base row shows levels: the share in truce moves into its Δ column.
    if let Some(base) = rows.first_mut() {
        base[1] = format!("share {}", num(sums[0].metrics[HEADLINE.index()].mean, 3));
    }
    let mut header = pick(&header);
    // Interpolated medians carry intervals in the CSV; here the point is enough.
    for r in rows.iter_mut() {
        if let Some((v, _)) = r[3].split_once(' ') {
            r[3] = v.to_string();
        }
    }
    header[2] = "Δ RMST (wk)".into();
    header[3] = "median (wk)".into();
    header[4] = "Δ P(durable)".into();
    // Δ share, Δ RMST and Δ P(durable deal) as "estimate ±half-width" (the paired t intervals
    // are symmetric; Newcombe's for P(durable) nearly so, and the CSV has its exact limits).
    for r in rows.iter_mut().skip(1) {
        for c in [1, 2, 4] {
            r[c] = plus_minus(&r[c]);
        }
    }
    let mut out = render(&header, &rows);
    out.push_str("(share of weeks in truce; restricted mean and median truce length in weeks; P(a durable\ndeal); every metric with its interval in comparison.csv)\n");
    out
}

/// Header and rows of the comparison table, interventions ranked by their effect on the share of
/// weeks in truce.
pub fn compare_rows(
    agg: &Aggregate,
    arms: &[Arm],
    sums: &[ArmSummary],
) -> (Vec<String>, Vec<Vec<String>>) {
    let k_head = HEADLINE.index();
    let k_broken = MetricId::BrokenTrucesPerYear.index();
    let k_durable = MetricId::DurableDeal.index();
    let header = [
        "arm",
        "share of weeks in truce",
        "Δ share in truce",
        "Δ RMST truce (wk)",
        "KM median truce (wk)",
        "Δ broken truces/yr",
        "Δ P(durable deal)",
    ]
    .map(String::from)
    .to_vec();
    let level = |a: usize| {
        let m = &sums[a].metrics[k_head];
        with_ci(Some(m.mean), m.ci.map(|c| c.0), m.ci.map(|c| c.1), 3)
    };
    let km = |a: usize| {
        let k = &sums[a].truce_strict;
        with_ci(k.median.value, k.median.lo, k.median.hi, 1)
    };
    let base = &sums[0];
    let mut rows = vec![vec![
        format!("{} (base)", arms[0].name),
        level(0),
        "—".into(),
        format!(
            "RMST {}",
            num(base.truce_strict.rmst.value.unwrap_or(f64::NAN), 2)
        ),
        km(0),
        format!("{}/yr", num(base.metrics[k_broken].mean, 2)),
        format!("P = {}", num(base.metrics[k_durable].mean, 3)),
    ]];
    let mut order: Vec<usize> = (1..arms.len()).collect();
    let effect = |a: usize| {
        summary::metric_difference(agg, a, k_head)
            .est
            .value
            .unwrap_or(f64::NEG_INFINITY)
    };
    order.sort_by(|&x, &y| effect(y).total_cmp(&effect(x)).then(x.cmp(&y)));
    for a in order {
        let (rmst, _) = summary::km_difference(agg, a, Durations::TruceStrict);
        rows.push(vec![
            arms[a].name.clone(),
            level(a),
            signed(&summary::metric_difference(agg, a, k_head).est, 3),
            signed(&rmst, 2),
            km(a),
            signed(&summary::metric_difference(agg, a, k_broken).est, 2),
            signed(&summary::metric_difference(agg, a, k_durable).est, 3),
        ]);
    }
    (header, rows)
}
