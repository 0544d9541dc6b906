//! Fan chart: each side's average tariff over calendar time, median with 50% and 90% bands, one
//! panel per arm, with the real PIIE series where the horizon covers it.

use plotters::prelude::*;

use crate::ensemble::aggregate::QUANTILES;

use super::style::{
    self, arm_colour, date_desc, date_label, err, grid, int_label, nice_max, panel_title,
    side_colour, year_of_week, year_range,
};
use super::{Chart, Input, frame, render};

/// Quantile `q` (index into QUANTILES) of side `s` in week `t` of arm `a`.
fn q(inp: &Input<'_>, a: usize, t: usize, s: usize, qi: usize) -> f64 {
    inp.agg.arms[a].weekly.hists[t * 4 + s]
        .quantile(QUANTILES[qi])
        .unwrap_or(0.0)
}

// long: one plotters drawing, top to bottom; its steps share the drawing area.
pub(super) fn chart(inp: &Input<'_>) -> Result<Chart, String> {
    let n = inp.arms.len();
    let (rows, cols) = grid(n);
    let (w, h) = (
        if cols == 1 { 1300 } else { 1700 },
        56 + 34 + rows as u32 * if n == 1 { 640 } else { 380 },
    );
    let weeks = inp.agg.weeks as usize;
    let start = inp.arms[0].params.start;
    let end = start.add_days(7 * weeks as i64);
    // Real readings inside the horizon, as steps: each reading holds until the next; the last
    // reading before the start holds from the start.
    let real_steps = |side: usize| -> Vec<(f64, f64)> {
        let value = |p: &crate::data::TariffPoint| if side == 0 { p.us } else { p.cn };
        let at =
            |d: crate::scenario::date::Date| year_of_week(start, d.days_since(start) as f64 / 7.0);
        let inside: Vec<(f64, f64)> = inp
            .real
            .iter()
            .filter(|p| p.date >= start && p.date < end)
            .filter_map(|p| value(p).map(|v| (at(p.date), v)))
            .collect();
        if inside.is_empty() {
            return inside;
        }
        let mut pts = Vec::new();
        if let Some(v) = inp
            .real
            .iter()
            .filter(|p| p.date < start)
            .filter_map(value)
            .next_back()
        {
            pts.push((at(start), v));
        }
        for (x, v) in inside {
            if let Some(&(_, prev)) = pts.last() {
                pts.push((x, prev));
            }
            pts.push((x, v));
        }
        if let Some(&(_, last)) = pts.last() {
            pts.push((at(end), last));
        }
        pts
    };
    let real: [Vec<(f64, f64)>; 2] = [real_steps(0), real_steps(1)];
    let x = |t: usize| year_of_week(start, t as f64);
    let mut top: f64 = 0.0;
    for a in 0..n {
        for t in 0..weeks {
            top = top.max(q(inp, a, t, 0, 4)).max(q(inp, a, t, 1, 4));
        }
    }
    for r in real.iter().flatten() {
        top = top.max(r.1);
    }
    let ymax = nice_max(top * 1.05);
    let words = &inp.arms[0].params.names;
    let title = format!(
        "{} over time: median, 50% and 90% of replicates",
        words.levels_title()
    );
    let y_desc = format!("{}, %", words.levels_label());
    let png = render(w, h, |root| {
        let body = frame(root, &title, &inp.caption())?;
        let panels = body.split_evenly((rows, cols));
        for (a, panel) in panels.iter().enumerate().take(n) {
            panel_title(panel, &inp.arms[a].name, arm_colour(a))?;
            let mut chart = ChartBuilder::on(panel)
                .margin(10)
                .margin_top(34)
                .x_label_area_size(48)
                .y_label_area_size(64)
                .build_cartesian_2d(year_range(start, weeks), 0f64..ymax)
                .map_err(err)?;
            style::mesh(&mut chart)
                .x_labels(7)
                .y_labels(6)
                .x_label_formatter(&|x| date_label(*x, weeks))
                .y_label_formatter(&int_label)
                .x_desc(date_desc(weeks))
                .y_desc(y_desc.as_str())
                .draw()
                .map_err(err)?;
            let names = &inp.arms[a].params.names;
            for (s, side_name) in [names.on(0), names.on(1)].iter().enumerate() {
                let c = side_colour(s);
                for (lo, hi, alpha) in [(0usize, 4usize, 0.15), (1, 3, 0.3)] {
                    let mut pts: Vec<(f64, f64)> =
                        (0..weeks).map(|t| (x(t), q(inp, a, t, s, hi))).collect();
                    pts.extend((0..weeks).rev().map(|t| (x(t), q(inp, a, t, s, lo))));
                    chart
                        .draw_series(std::iter::once(Polygon::new(pts, c.mix(alpha).filled())))
                        .map_err(err)?;
                }
                let series = chart
                    .draw_series(LineSeries::new(
                        (0..weeks).map(|t| (x(t), q(inp, a, t, s, 2))),
                        c.stroke_width(2),
                    ))
                    .map_err(err)?;
                series
                    .label(format!("{side_name} (median; bands 50%, 90%)"))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3))
                    });
            }
            for (s, pts) in real.iter().enumerate() {
                if pts.is_empty() {
                    continue;
                }
                let c = side_colour(s);
                let dark = RGBColor(c.0 / 2, c.1 / 2, c.2 / 2);
                let label = format!(
                    "PIIE average tariff, {} (dashed: held between readings)",
                    inp.arms[a].params.names.on(s)
                );
                let series = chart
                    .draw_series(DashedLineSeries::new(
                        pts.clone(),
                        10,
                        5,
                        dark.stroke_width(2),
                    ))
                    .map_err(err)?
                    .label(label);
                if s == 0 {
                    series.legend(move |(x, y)| Circle::new((x + 12, y), 5, c.filled()));
                } else {
                    series.legend(move |(x, y)| TriangleMarker::new((x + 12, y), 6, c.filled()));
                }
                // Markers at the readings themselves (every other point of the step list is a reading).
                let readings: Vec<(f64, f64)> = pts
                    .windows(2)
                    .filter(|w| w[0].0 == w[1].0)
                    .map(|w| w[1])
                    .chain(pts.first().copied())
                    .collect();
                if s == 0 {
                    chart
                        .draw_series(readings.iter().map(|&p| Circle::new(p, 5, c.filled())))
                        .map_err(err)?;
                } else {
                    chart
                        .draw_series(
                            readings
                                .iter()
                                .map(|&p| TriangleMarker::new(p, 6, c.filled())),
                        )
                        .map_err(err)?;
                }
            }
            if a == 0 {
                style::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
            }
        }
        Ok(())
    })?;
    Ok(Chart {
        file: "fan_tariffs.png",
        title,
        guide: format!(
            "Each panel is one arm: the line is the median replicate's {} in that week, the darker band holds the middle 50% of replicates and the lighter band 90%.\nWide bands mean the cycle makes outcomes unpredictable{}.",
            words.levels_label(),
            if inp.real.is_empty() {
                ""
            } else {
                "; PIIE readings (markers) are shown where the scenario's period has data"
            }
        ),
        png,
        size: (w, h),
    })
}
