//! Distribution of broken truces per replicate, one panel per arm.

use plotters::prelude::*;

use crate::ensemble::record::MetricId;

use super::style::{self, arm_colour, err, grid, nice_max, panel_title};
use super::{Chart, Input, frame, render};

pub(super) fn chart(inp: &Input<'_>) -> Result<Chart, String> {
    let n = inp.arms.len();
    let (rows, cols) = grid(n);
    let (w, h) = (
        if cols == 1 { 1300 } else { 1700 },
        56 + 34 + rows as u32 * 320,
    );
    let k = MetricId::BrokenTruces.index();
    let mut xmax = 1usize;
    let mut ymax: f64 = 0.0;
    for a in 0..n {
        let hist = &inp.agg.arms[a].hists[k];
        let total = hist.total.max(1) as f64;
        if let Some(last) = hist.counts.iter().rposition(|&c| c > 0) {
            xmax = xmax.max(last + 1);
        }
        for &c in &hist.counts {
            ymax = ymax.max(c as f64 / total);
        }
    }
    let ymax = nice_max(ymax * 1.08);
    let title = "Broken truces per replicate over the horizon".to_string();
    let png = render(w, h, |root| {
        let body = frame(root, &title, &inp.caption())?;
        for (a, panel) in body.split_evenly((rows, cols)).iter().enumerate().take(n) {
            let hist = &inp.agg.arms[a].hists[k];
            let total = hist.total.max(1) as f64;
            let mean = inp.sums[a].metrics[k].mean;
            let c = arm_colour(a);
            panel_title(panel, &format!("{} (mean {mean:.2})", inp.arms[a].name), c)?;
            let mut chart = ChartBuilder::on(panel)
                .margin(10)
                .margin_top(34)
                .x_label_area_size(48)
                .y_label_area_size(64)
                .build_cartesian_2d(-0.5f64..(xmax as f64 + 0.5), 0f64..ymax)
                .map_err(err)?;
            style::mesh(&mut chart)
                .x_labels(xmax.min(16) + 1)
                .y_labels(5)
                .x_label_formatter(&|x| {
                    if (x - x.round()).abs() < 1e-6 {
                        format!("{}", x.round())
                    } else {
                        String::new()
                    }
                })
                .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
                .x_desc("broken truces in the replicate")
                .y_desc("share of replicates")
                .draw()
                .map_err(err)?;
            let bar = if a == 0 { c.mix(0.55) } else { c.mix(0.8) };
            chart
                .draw_series(hist.counts.iter().enumerate().filter(|(_, n)| **n > 0).map(
                    |(b, &n)| {
                        let x = b as f64;
                        Rectangle::new([(x - 0.4, 0.0), (x + 0.4, n as f64 / total)], bar.filled())
                    },
                ))
                .map_err(err)?;
        }
        Ok(())
    })?;
    Ok(Chart {
        file: "broken_truces.png",
        title,
        guide: "Each bar is the share of replicates in which that many truces were broken (by an escalation) before the horizon.\nA distribution shifted left means fewer collapses; its spread shows how much luck decides a single run.".into(),
        png,
        size: (w, h),
    })
}
