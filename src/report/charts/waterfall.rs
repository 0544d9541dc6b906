//! Where each effect comes from (`--explain`): per intervention, a waterfall of the Shapley
//! contributions of its overlay's changes to its effect on the share of weeks in truce, in
//! percentage points. Each bar starts where the previous one ended; the last bar is the whole
//! effect. Thin lines are 95% intervals (paired over replicates).

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use crate::ensemble::shapley::Explained;
use crate::ensemble::summary::LEVEL;

use super::style::{self, BLACK, BLUE, GREY, VERMILLION, err};
use super::{Chart, frame, render};

/// Longest change label drawn (longer ones keep their end, the key's own name, after "…";
/// explain.csv has them whole).
const LABEL_CHARS: usize = 46;

fn short(s: &str) -> String {
    let n = s.chars().count();
    if n <= LABEL_CHARS {
        s.to_string()
    } else {
        let tail: String = s.chars().skip(n - (LABEL_CHARS - 1)).collect();
        format!("…{tail}")
    }
}

/// Bars of one panel: (label, start, end, interval of the bar's end, colour).
type Bar = (String, f64, f64, Option<(f64, f64)>, RGBColor);

fn bars(e: &Explained) -> Vec<Bar> {
    let mut out = Vec::new();
    let mut at = 0.0;
    for ((label, _), m) in e.players.iter().zip(&e.result.values) {
        let v = 100.0 * m.mean();
        let ci = m.ci(LEVEL).map(|(l, h)| (at + 100.0 * l, at + 100.0 * h));
        out.push((
            short(label),
            at,
            at + v,
            ci,
            if v >= 0.0 { BLUE } else { VERMILLION },
        ));
        at += v;
    }
    let total = 100.0 * e.result.total.mean();
    let ci = e
        .result
        .total
        .ci(LEVEL)
        .map(|(l, h)| (100.0 * l, 100.0 * h));
    out.push(("whole effect".into(), 0.0, total, ci, BLACK));
    out
}

/// The waterfall chart of every decomposed intervention, two panels a row.
// long: one plotters drawing, panel by panel; its steps share the drawing area.
pub fn chart(all: &[Explained], runs: u64, caption: &str) -> Result<Chart, String> {
    if !style::fonts() {
        return Err("cannot register the embedded DejaVu fonts".into());
    }
    let cols = 2usize;
    let grid_rows = all.len().div_ceil(cols).max(1);
    let most = all.iter().map(|e| e.players.len() + 1).max().unwrap_or(1);
    let panel_h = 90 + most * 34;
    let (w, h) = (1800u32, (56 + 34 + grid_rows * panel_h) as u32);
    let title =
        "Where each effect comes from: the changes of each overlay, in percentage points of the share of weeks in truce"
            .to_string();
    let png = render(w, h, |root| {
        let body = frame(root, &title, caption)?;
        let cells = body.split_evenly((grid_rows, cols));
        // Panels ranked by the whole effect, largest first, as in the report's tables.
        let mut ranked: Vec<&Explained> = all.iter().collect();
        ranked.sort_by(|a, b| b.result.total.mean().total_cmp(&a.result.total.mean()));
        for (e, cell) in ranked.into_iter().zip(cells.iter()) {
            let bs = bars(e);
            let (mut lo, mut hi) = (0.0f64, 0.0f64);
            for (_, a, b, ci, _) in &bs {
                for x in [Some(*a), Some(*b), ci.map(|c| c.0), ci.map(|c| c.1)]
                    .into_iter()
                    .flatten()
                {
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            }
            let pad = ((hi - lo) * 0.08).max(0.1);
            let n = bs.len();
            let labels: Vec<String> = bs.iter().map(|b| b.0.clone()).collect();
            let mut chart = ChartBuilder::on(cell)
                .caption(&e.arm, style::panel_font())
                .margin(14)
                .x_label_area_size(44)
                .y_label_area_size(430)
                .build_cartesian_2d((lo - pad)..(hi + pad), (0..n).into_segmented())
                .map_err(err)?;
            // Row 0 at the top: segment i shows bar n - 1 - i.
            let row = |i: usize| n - 1 - i;
            style::mesh(&mut chart)
                .x_labels(6)
                .x_label_formatter(&|x| style::tick(*x))
                .y_labels(n)
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) if *i < n => labels[row(*i)].clone(),
                    _ => String::new(),
                })
                .disable_y_mesh()
                .x_desc("contribution, percentage points")
                .draw()
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Exact(n))],
                    GREY.stroke_width(1),
                )))
                .map_err(err)?;
            for (i, (_, a, b, ci, c)) in bs.iter().enumerate() {
                let seg = row(i);
                let mut r = Rectangle::new(
                    [
                        (a.min(*b), SegmentValue::Exact(seg)),
                        (a.max(*b), SegmentValue::Exact(seg + 1)),
                    ],
                    c.filled(),
                );
                r.set_margin(7, 7, 0, 0);
                chart.draw_series(std::iter::once(r)).map_err(err)?;
                if let Some((l, u)) = ci {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![
                                (*l, SegmentValue::CenterOf(seg)),
                                (*u, SegmentValue::CenterOf(seg)),
                            ],
                            BLACK.stroke_width(2),
                        )))
                        .map_err(err)?;
                }
            }
        }
        Ok(())
    })?;
    Ok(Chart {
        file: "explain_waterfall.png",
        title,
        guide: format!(
            "One panel per intervention. Each bar is one change its overlay makes (a key, an added item at a reference's values, or an included overlay), as its Shapley value: its average contribution over every order of adding the changes, each coalition run on the same {runs} replicates (common random numbers). Blue adds to the share of weeks in truce, red takes away; each bar starts where the one above ended, and the black bar is the whole effect. Thin lines are 95% intervals.\nThe longest bar is the change that matters most for that intervention; a red bar inside a helpful intervention is a part that works against the rest."
        ),
        png,
        size: (w, h),
    })
}
