//! Effect forest plot, the report's answer: each intervention's paired difference against the
//! baseline for the headline metrics. At the values as written: the estimate with its 95%
//! interval (simulation noise), drawn with end caps so that even a very narrow interval shows.
//! When the job also ran plausible worlds: beneath it, the mean over worlds with its 95% interval
//! (parameters and noise) and the middle 90% of worlds as a pale band. Each panel says which
//! direction is better.

use plotters::prelude::*;

use crate::analysis::km::Estimate;
use crate::analysis::worlds::AcrossWorlds;
use crate::ensemble::record::{Better, MetricId};
use crate::ensemble::summary::{self, Durations};

use super::style::{self, BLACK, arm_colour, err};
use super::{Chart, Input, frame, render};

struct Panel {
    title: &'static str,
    unit: &'static str,
    better: Better,
    /// Shares and probabilities are drawn in percentage points (x100).
    scale: f64,
    est: Vec<Estimate>,
    /// Per intervention, its effect across worlds (when the job ran them and the metric has one).
    worlds: Vec<Option<AcrossWorlds>>,
}

fn panels(inp: &Input<'_>) -> Vec<Panel> {
    let n = inp.arms.len();
    let metric = |id: MetricId| -> Vec<Estimate> {
        let k = id.index();
        (1..n)
            .map(|a| summary::metric_difference(inp.agg, a, k).est)
            .collect()
    };
    let worlds = |id: Option<MetricId>| -> Vec<Option<AcrossWorlds>> {
        (1..n)
            .map(|a| {
                let id = id?;
                let w = inp.worlds?.arm(&inp.arms[a].name)?;
                w.eff.get(id.index()).cloned()
            })
            .collect()
    };
    vec![
        Panel {
            title: "Δ share in truce",
            unit: "percentage points",
            better: Better::Higher,
            scale: 100.0,
            est: metric(MetricId::ShareTruce),
            worlds: worlds(Some(MetricId::ShareTruce)),
        },
        Panel {
            title: "Δ truce RMST",
            unit: "weeks",
            better: Better::Higher,
            scale: 1.0,
            est: (1..n)
                .map(|a| summary::km_difference(inp.agg, a, Durations::TruceStrict).0)
                .collect(),
            worlds: worlds(None),
        },
        Panel {
            title: "Δ broken truces/yr",
            unit: "per year",
            better: Better::Lower,
            scale: 1.0,
            est: metric(MetricId::BrokenTrucesPerYear),
            worlds: worlds(Some(MetricId::BrokenTrucesPerYear)),
        },
        Panel {
            title: "Δ P(durable deal)",
            unit: "percentage points",
            better: Better::Higher,
            scale: 100.0,
            est: metric(MetricId::DurableDeal),
            worlds: worlds(Some(MetricId::DurableDeal)),
        },
    ]
}

/// A panel title with the direction that is better: "Δ share of weeks in truce (better →)".
pub(super) fn with_direction(title: &str, better: Better) -> String {
    match better {
        Better::Higher => format!("{title}   better →"),
        Better::Lower => format!("{title}   ← better"),
        Better::Neither => title.to_string(),
    }
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
        super::Backend<'b>,
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
        .x_label_formatter(&|x| style::tick(*x))
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

/// A pale version of a colour, for bands.
pub(super) fn pale(c: RGBColor) -> RGBColor {
    let mix = |x: u8| ((u16::from(x) + 2 * 255) / 3) as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// An interval drawn as a bar with end caps (visible however narrow), at height `y`.
fn capped<'a, 'b>(
    chart: &mut ChartContext<
        'a,
        super::Backend<'b>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    (l, u): (f64, f64),
    y: f64,
    c: RGBColor,
) -> Result<(), String> {
    chart
        .draw_series([
            PathElement::new(vec![(l, y), (u, y)], c.stroke_width(4)),
            PathElement::new(vec![(l, y - 0.13), (l, y + 0.13)], c.stroke_width(3)),
            PathElement::new(vec![(u, y - 0.13), (u, y + 0.13)], c.stroke_width(3)),
        ])
        .map_err(err)?;
    Ok(())
}

// long: one plotters drawing, top to bottom; its steps share the drawing area.
pub(super) fn chart(inp: &Input<'_>) -> Result<Chart, String> {
    let n = inp.arms.len();
    let rows = n - 1;
    let ps = panels(inp);
    let two = ps.iter().any(|p| p.worlds.iter().any(Option::is_some));
    let row_h = if two { 92 } else { 64 };
    let (w, h) = (1800u32, (56 + 34 + 40 + 130 + rows * row_h).max(420) as u32);
    let title = if two {
        "Effects against the baseline: at the values as written, and across plausible worlds"
    } else {
        "Effects of each intervention against the baseline (paired, 95% intervals)"
    }
    .to_string();
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
    // With worlds, the estimate at the written values sits above the row's centre and the worlds
    // below it.
    let (dy_fixed, dy_worlds) = if two { (0.2, -0.2) } else { (0.0, 0.0) };
    let worlds_n = inp.worlds.map_or(0, |w| w.worlds);
    let png = render(w, h, |root| {
        let body = frame(root, &title, &inp.caption())?;
        let (legend, body) = body.split_vertically(40);
        let key = if two {
            format!(
                "upper mark: at the values as written, 95% interval (simulation noise only)    lower mark: mean over {worlds_n} plausible worlds, 95% interval (parameters and noise); pale band: the middle 90% of worlds"
            )
        } else {
            "mark: the paired difference; bar with end caps: its 95% interval (simulation noise only)".to_string()
        };
        legend
            .draw_text(
                &key,
                &style::label_font().color(&RGBColor(60, 60, 60)),
                (20, 8),
            )
            .map_err(err)?;
        let (names, plots) = body.split_horizontally(300);
        let cells = plots.split_evenly((1, ps.len()));
        for (p, cell) in ps.iter().zip(cells.iter()) {
            let (mut lo, mut hi) = (0.0f64, 0.0f64);
            for e in &p.est {
                for x in [e.lo, e.hi, e.value].into_iter().flatten() {
                    lo = lo.min(p.scale * x);
                    hi = hi.max(p.scale * x);
                }
            }
            for x in p.worlds.iter().flatten().flat_map(|e| {
                [
                    Some(e.mean),
                    e.ci.map(|c| c.0),
                    e.ci.map(|c| c.1),
                    e.spread.map(|s| s.0),
                    e.spread.map(|s| s.1),
                ]
            }) {
                if let Some(x) = x.filter(|x| x.is_finite()) {
                    lo = lo.min(p.scale * x);
                    hi = hi.max(p.scale * x);
                }
            }
            let ptitle = with_direction(p.title, p.better);
            let mut chart = effect_panel(cell, &ptitle, p.unit, (lo, hi), rows)?;
            for (i, e) in p.est.iter().enumerate() {
                let a = i + 1;
                let y = (rows - 1 - row_of(i)) as f64;
                let c = arm_colour(a);
                if let Some(wd) = &p.worlds[i] {
                    let yw = y + dy_worlds;
                    if let Some((l, u)) = wd.spread {
                        chart
                            .draw_series(std::iter::once(Rectangle::new(
                                [(p.scale * l, yw - 0.14), (p.scale * u, yw + 0.14)],
                                pale(c).filled(),
                            )))
                            .map_err(err)?;
                    }
                    if let Some((l, u)) = wd.ci {
                        capped(&mut chart, (p.scale * l, p.scale * u), yw, c)?;
                    }
                    chart
                        .draw_series(std::iter::once(Circle::new(
                            (p.scale * wd.mean, yw),
                            6,
                            c.filled(),
                        )))
                        .map_err(err)?;
                }
                let yf = y + dy_fixed;
                if let (Some(l), Some(u)) = (e.lo, e.hi) {
                    capped(&mut chart, (p.scale * l, p.scale * u), yf, c)?;
                }
                if let Some(v) = e.value {
                    chart
                        .draw_series(std::iter::once(Circle::new(
                            (p.scale * v, yf),
                            5,
                            WHITE.filled(),
                        )))
                        .map_err(err)?;
                    chart
                        .draw_series(std::iter::once(Circle::new(
                            (p.scale * v, yf),
                            5,
                            c.stroke_width(2),
                        )))
                        .map_err(err)?;
                }
            }
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
    let guide = if two {
        format!(
            "Each row is an intervention, ranked by its effect on the share of weeks in truce at the values as written. The upper, hollow mark is that effect with its 95% interval from the simulation alone (common random numbers make it so narrow that its end caps often touch). The lower, filled mark is the mean effect over {worlds_n} plausible worlds, with a 95% interval that also covers what nobody knows (the ranges of the claims and the calibration's posterior); the pale band is where the effect lies in the middle 90% of worlds. Truce RMST has no worlds band: it is a Kaplan–Meier quantity, not a per-replicate mean.\nEach panel's arrow says which way is better. A pale band that crosses the dashed zero line means the intervention does not help in every plausible world."
        )
    } else {
        "Each row is an intervention (ranked by its effect on the share of weeks in truce); the hollow mark is its paired difference from the baseline (same replicates, same shocks) and the capped bar its 95% interval, which common random numbers make narrow (the caps often touch).\nEach panel's arrow says which way is better. Bars that do not cross the dashed zero line are differences the simulation resolves; their size is what the model's mechanisms imply under the values as written, not a forecast (run with --worlds for the uncertainty of the values).".to_string()
    };
    Ok(Chart {
        file: "effects_forest.png",
        title,
        guide,
        png,
        size: (w, h),
    })
}
