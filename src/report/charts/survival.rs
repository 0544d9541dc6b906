//! Truce survival: Kaplan–Meier curves of truce duration per arm, with 95% bands, censoring marks
//! and median lines.

use plotters::prelude::*;

use super::style::{self, GREY, arm_colour, err};
use super::{Chart, Input, frame, render};

/// Most censoring marks drawn per curve.
const MAX_MARKS: usize = 30;

// long: one plotters drawing, top to bottom; its steps share the drawing area.
pub(super) fn chart(inp: &Input<'_>) -> Result<Chart, String> {
    let (w, h) = (1500u32, 900u32);
    let title = "How long truces last: Kaplan–Meier survival of truce duration".to_string();
    let weeks = inp.agg.weeks as usize;
    // Show durations up to where every curve is low (or the horizon).
    let mut xmax = 8usize;
    for s in inp.sums {
        let k = &s.truce_strict;
        if k.n > 0 {
            let d = k.curve.iter().position(|&v| v <= 0.02).unwrap_or(weeks);
            xmax = xmax.max(d + 2);
        }
    }
    let xmax = xmax.min(weeks.max(1));
    let png = render(w, h, |root| {
        let body = frame(root, &title, &inp.caption())?;
        let mut chart = ChartBuilder::on(&body)
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(75)
            .build_cartesian_2d(0f64..xmax as f64, 0f64..1.02f64)
            .map_err(err)?;
        style::mesh(&mut chart)
            .x_labels(12)
            .y_labels(6)
            .x_label_formatter(&style::int_label)
            .x_desc(
                "truce duration, weeks (strict rule: ends at the first escalation by either side)",
            )
            .y_desc("share of truces still holding")
            .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, 0.5), (xmax as f64, 0.5)],
                8,
                6,
                GREY.stroke_width(1),
            ))
            .map_err(err)?;
        let mut any = false;
        for (a, s) in inp.sums.iter().enumerate() {
            let k = &s.truce_strict;
            let c = arm_colour(a);
            if k.n == 0 {
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                    .map_err(err)?
                    .label(format!("{}: no truces in this run", inp.arms[a].name))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 24, y)], c.mix(0.3).stroke_width(3))
                    });
                continue;
            }
            any = true;
            let step = |v: &dyn Fn(usize) -> f64| -> Vec<(f64, f64)> {
                let mut pts = vec![(0.0, 1.0)];
                for d in 0..xmax {
                    let prev = pts.last().map_or(1.0, |p| p.1);
                    pts.push((d as f64, prev));
                    pts.push((d as f64, v(d)));
                }
                pts.push((xmax as f64, v(xmax.saturating_sub(1))));
                pts
            };
            let mut band = step(&|d| k.band[d].1);
            let mut lower = step(&|d| k.band[d].0);
            lower.reverse();
            band.extend(lower);
            chart
                .draw_series(std::iter::once(Polygon::new(band, c.mix(0.12).filled())))
                .map_err(err)?;
            let label = match k.median.value {
                Some(m) => format!("{} (median {m:.1} weeks, {} truces)", inp.arms[a].name, k.n),
                None => format!("{} (median not reached, {} truces)", inp.arms[a].name, k.n),
            };
            chart
                .draw_series(LineSeries::new(step(&|d| k.curve[d]), c.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3))
                });
            // Censoring marks, thinned to at most one per `spacing` weeks so dense censoring stays
            // readable: a mark means truces of about that length were still holding at the horizon.
            let spacing = xmax.div_ceil(MAX_MARKS).max(1);
            let km = &inp.agg.arms[a].km_strict;
            let marks: Vec<(f64, f64)> = (0..xmax.div_ceil(spacing))
                .filter_map(|b| {
                    (b * spacing..((b + 1) * spacing).min(xmax)).find(|&d| km.censored_at(d) > 0)
                })
                .map(|d| (d as f64, k.curve[d]))
                .collect();
            chart
                .draw_series(marks.into_iter().map(|p| {
                    PathElement::new(
                        vec![(p.0, p.1 - 0.01), (p.0, p.1 + 0.01)],
                        c.mix(0.8).stroke_width(2),
                    )
                }))
                .map_err(err)?;
            if let Some(m) = k.median.value {
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(m, 0.0), (m, 0.5)],
                        6,
                        4,
                        c.stroke_width(1),
                    ))
                    .map_err(err)?;
            }
        }
        style::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        if !any {
            body.draw_text(
                "no truces in this run",
                &style::title_font().color(&GREY),
                (w as i32 / 2 - 160, h as i32 / 2 - 40),
            )
            .map_err(err)?;
        }
        Ok(())
    })?;
    Ok(Chart {
        file: "truce_survival.png",
        title,
        guide: "Each curve is the share of truces still holding after a given number of weeks (Kaplan–Meier; truces still holding at the horizon count as censored, marked | at most every few weeks); shaded bands are 95% intervals.\nWhere a curve crosses the dashed 50% line is its median truce length; curves further right mean truces that last longer. A transactional truce comes up for renewal at its term (`behaviour.negotiation.transactional_term`, 13 weeks unless the scenario says otherwise); most are renewed or extended by decree there, so a drop at that week is the renewal rule at work, and its absence means few lapse (the report's renewal note gives the counts).".into(),
        png,
        size: (w, h),
    })
}
