//! Regime shares over time: stacked areas of the share of replicates in truce, escalation and
//! neither, one panel per arm.

use plotters::prelude::*;

use super::style::{
    self, REGIME_COLOURS, arm_colour, date_desc, date_label, err, grid, panel_title, year_of_week,
    year_range,
};
use super::{Chart, Input, frame, render};

/// Stacking order from the bottom: truce, escalation, neither (indices into the regime counts).
const ORDER: [(usize, &str); 3] = [(1, "truce"), (2, "escalation"), (0, "neither")];

// long: one plotters drawing (a panel per arm), then the guide that reads the same counts.
pub(super) fn chart(inp: &Input<'_>) -> Result<Chart, String> {
    let n = inp.arms.len();
    let (rows, cols) = grid(n);
    let (w, h) = (
        if cols == 1 { 1300 } else { 1700 },
        56 + 34 + rows as u32 * 340,
    );
    let weeks = inp.agg.weeks as usize;
    let start = inp.arms[0].params.start;
    let title = "Share of replicates in truce, escalation or neither, week by week".to_string();
    let png = render(w, h, |root| {
        let body = frame(root, &title, &inp.caption())?;
        for (a, panel) in body.split_evenly((rows, cols)).iter().enumerate().take(n) {
            let wk = &inp.agg.arms[a].weekly;
            let total = wk.n.max(1) as f64;
            panel_title(panel, &inp.arms[a].name, arm_colour(a))?;
            let mut chart = ChartBuilder::on(panel)
                .margin(10)
                .margin_top(34)
                .x_label_area_size(48)
                .y_label_area_size(64)
                .build_cartesian_2d(year_range(start, weeks), 0f64..1f64)
                .map_err(err)?;
            style::mesh(&mut chart)
                .x_labels(7)
                .y_labels(6)
                .x_label_formatter(&|x| date_label(*x, weeks))
                .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
                .x_desc(date_desc(weeks))
                .y_desc("share of replicates")
                .draw()
                .map_err(err)?;
            let mut below = vec![0.0; weeks];
            for (r, name) in ORDER {
                let above: Vec<f64> = (0..weeks)
                    .map(|t| below[t] + wk.regimes[t * 3 + r] as f64 / total)
                    .collect();
                // Step-shaped polygon: each week covers [t, t + 1).
                let mut pts: Vec<(f64, f64)> = Vec::with_capacity(4 * weeks);
                let x = |t: usize| year_of_week(start, t as f64);
                for (t, &y) in above.iter().enumerate() {
                    pts.push((x(t), y));
                    pts.push((x(t + 1), y));
                }
                for t in (0..weeks).rev() {
                    pts.push((x(t + 1), below[t]));
                    pts.push((x(t), below[t]));
                }
                let c = REGIME_COLOURS[r];
                chart
                    .draw_series(std::iter::once(Polygon::new(pts, c.mix(0.75).filled())))
                    .map_err(err)?
                    .label(name)
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 6), (x + 18, y + 6)], c.mix(0.75).filled())
                    });
                below = above;
            }
            if a == 0 {
                style::legend(&mut chart, SeriesLabelPosition::LowerRight)?;
            }
        }
        Ok(())
    })?;
    // The largest weekly share in neither regime over every arm: the grey area may be too thin
    // to see, and the guide should say so rather than point at it.
    let neither = inp
        .agg
        .arms
        .iter()
        .map(|arm| {
            let wk = &arm.weekly;
            let total = wk.n.max(1) as f64;
            (0..weeks)
                .map(|t| wk.regimes[t * 3] as f64 / total)
                .fold(0.0, f64::max)
        })
        .fold(0.0, f64::max);
    let grey = if neither == 0.0 {
        "grey in neither (before any truce or escalation; no replicate is in neither in any week here, so it does not show)".to_string()
    } else if neither < 0.01 {
        format!(
            "grey in neither (before any truce or escalation; at most {:.1}% of replicates in any week here, too thin to see)",
            100.0 * neither
        )
    } else {
        "grey in neither (before any truce or escalation)".to_string()
    };
    Ok(Chart {
        file: "regimes.png",
        title,
        guide: format!(
            "For each week, the green area is the share of replicates in a truce, orange (vermilion) in an escalation episode, {grey}.\nA flat band means a steady mix of regimes across replicates, not that any one replicate is steady: each replicate keeps cycling."
        ),
        png,
        size: (w, h),
    })
}
