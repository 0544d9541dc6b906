//! Effect forest plot: each intervention's paired difference against the baseline, with its 95%
//! interval, for the headline metrics; a zero line.

use plotters::prelude::*;

use crate::analysis::km::Estimate;
use crate::ensemble::record::MetricId;
use crate::ensemble::summary::{self, Durations};

use super::style::{self, BLACK, arm_colour, err};
use super::{Chart, Input, frame, render};

struct Panel {
    title: &'static str,
    unit: &'static str,
    est: Vec<Estimate>,
}

fn panels(inp: &Input<'_>) -> Vec<Panel> {
    let n = inp.arms.len();
    let metric = |id: MetricId| -> Vec<Estimate> {
        let k = id.index();
        (1..n)
            .map(|a| summary::metric_difference(inp.agg, a, k).est)
            .collect()
    };
    vec![
        Panel {
            title: "Δ share of weeks in truce",
            unit: "share (0-1)",
            est: metric(MetricId::ShareTruce),
        },
        Panel {
            title: "Δ restricted mean truce length",
            unit: "weeks",
            est: (1..n)
                .map(|a| summary::km_difference(inp.agg, a, Durations::TruceStrict).0)
                .collect(),
        },
        Panel {
            title: "Δ broken truces per year",
            unit: "per year",
            est: metric(MetricId::BrokenTrucesPerYear),
        },
        Panel {
            title: "Δ P(durable deal)",
            unit: "probability",
            est: metric(MetricId::DurableDeal),
        },
    ]
}

/// One panel of an effects chart: `rows` rows, an x axis of differences covering `lo..hi` with a
/// margin, the panel's title and unit, and a dashed zero line.
pub(super) fn effect_panel<'a, 'b>(
    cell: &'a super::Area<'b>,
    title: &str,
    unit: &str,
    (lo, hi): (f64, f64),
    rows: usize,
) -> Result<
    ChartContext<
        'a,
        BitMapBackend<'b>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    String,
> {
    let pad = ((hi - lo) * 0.12).max(1e-3);
    let mut chart = ChartBuilder::on(cell)
        .caption(title, style::panel_font())
        .margin(12)
        .x_label_area_size(52)
        .y_label_area_size(8)
        .build_cartesian_2d((lo - pad)..(hi + pad), -0.5f64..(rows as f64 - 0.5))
        .map_err(err)?;
    style::mesh(&mut chart)
        .x_labels(5)
        .disable_y_mesh()
        .y_labels(0)
        .x_desc(format!("difference, {unit}"))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, -0.5), (0.0, rows as f64 - 0.5)],
            6,
            4,
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
    Ok(chart)
}

// long: one plotters drawing, top to bottom; its steps share the drawing area.
pub(super) fn chart(inp: &Input<'_>) -> Result<Chart, String> {
    let n = inp.arms.len();
    let rows = n - 1;
    let (w, h) = (1800u32, (56 + 34 + 130 + rows * 64).max(420) as u32);
    let title =
        "Effects of each intervention against the baseline (paired, 95% intervals)".to_string();
    let ps = panels(inp);
    // Rows ranked by the effect on the share of weeks in truce, as in the table (largest first).
    let mut order: Vec<usize> = (0..rows).collect();
    order.sort_by(|&x, &y| {
        ps[0].est[y]
            .value
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&ps[0].est[x].value.unwrap_or(f64::NEG_INFINITY))
            .then(x.cmp(&y))
    });
    let row_of = |i: usize| order.iter().position(|&o| o == i).unwrap_or(i);
    let png = render(w, h, |root| {
        let body = frame(root, &title, &inp.caption())?;
        let (names, plots) = body.split_horizontally(260);
        let cells = plots.split_evenly((1, ps.len()));
        for (pi, (p, cell)) in ps.iter().zip(cells.iter()).enumerate() {
            let (mut lo, mut hi) = (0.0f64, 0.0f64);
            for e in &p.est {
                lo = lo.min(e.lo.or(e.value).unwrap_or(0.0));
                hi = hi.max(e.hi.or(e.value).unwrap_or(0.0));
            }
            let mut chart = effect_panel(cell, p.title, p.unit, (lo, hi), rows)?;
            for (i, e) in p.est.iter().enumerate() {
                let a = i + 1;
                let y = (rows - 1 - row_of(i)) as f64;
                let c = arm_colour(a);
                if let (Some(l), Some(u)) = (e.lo, e.hi) {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(l, y), (u, y)],
                            c.stroke_width(3),
                        )))
                        .map_err(err)?;
                }
                if let Some(v) = e.value {
                    chart
                        .draw_series(std::iter::once(Circle::new((v, y), 7, c.filled())))
                        .map_err(err)?;
                }
            }
            let _ = pi;
        }
        // Arm names, aligned with the rows of the panels.
        let (_, nh) = names.dim_in_pixel();
        let top = 12 + 28;
        let plot_h = nh as i32 - top - 12 - 52;
        for (r, &i) in order.iter().enumerate() {
            let a = i + 1;
            let y = top + ((r as f64 + 0.5) / rows as f64 * plot_h as f64) as i32;
            names
                .draw(&Circle::new((18, y), 7, arm_colour(a).filled()))
                .map_err(err)?;
            names
                .draw_text(
                    &inp.arms[a].name,
                    &style::label_font().color(&BLACK),
                    (32, y - 9),
                )
                .map_err(err)?;
        }
        Ok(())
    })?;
    Ok(Chart {
        file: "effects_forest.png",
        title,
        guide: "Each row is an intervention (ranked by its effect on the share of weeks in truce); the dot is its paired difference from the baseline (same replicates, same shocks) and the bar its 95% interval, often narrower than the dot.\nBars that do not cross the dashed zero line are differences the simulation resolves; their size is what the model's mechanisms imply, not a forecast.".into(),
        png,
        size: (w, h),
    })
}
