//! The answer across plausible worlds: per intervention and headline metric, the spread of
//! per-world effects (5-95% of worlds, noise removed) as a wide pale bar, and the mean effect with
//! its 95% interval (parameters and simulation noise) as a dot and a dark bar; a zero line.

use plotters::prelude::*;

use crate::analysis::worlds::{AcrossWorlds, Driver};
use crate::ensemble::record::MetricId;
use crate::scenario::names::Names;

use super::style::{self, BLACK, arm_colour, err};
use super::{Chart, frame, render};

/// The panels: metric, title and unit.
const PANELS: [(MetricId, &str, &str); 4] = [
    (
        MetricId::ShareTruce,
        "Δ share of weeks in truce",
        "share (0-1)",
    ),
    (
        MetricId::BrokenTrucesPerYear,
        "Δ broken truces per year",
        "per year",
    ),
    (MetricId::DurableDeal, "Δ P(durable deal)", "probability"),
    (
        MetricId::PeakTariffUs,
        "Δ peak side-0 level",
        "percentage points",
    ),
];

use super::forest::pale;

/// `names[i]` is intervention i (arm i + 1); `eff[i][metric]` its effects across worlds.
// long: one plotters drawing, top to bottom; its steps share the drawing area.
pub fn chart(
    names: &[String],
    eff: &[Vec<AcrossWorlds>],
    caption: &str,
    words: &Names,
) -> Result<Chart, String> {
    if !style::fonts() {
        return Err("cannot register the embedded DejaVu fonts".into());
    }
    let rows = names.len();
    let (w, h) = (1800u32, (56 + 34 + 130 + rows * 64).max(420) as u32);
    let title =
        "Effects across plausible worlds: mean with its 95% interval, and the middle 90% of worlds"
            .to_string();
    let k0 = MetricId::ShareTruce.index();
    let mut order: Vec<usize> = (0..rows).collect();
    order.sort_by(|&x, &y| eff[y][k0].mean.total_cmp(&eff[x][k0].mean).then(x.cmp(&y)));
    let row_of = |i: usize| order.iter().position(|&o| o == i).unwrap_or(i);
    let png = render(w, h, |root| {
        let body = frame(root, &title, caption)?;
        let (left, plots) = body.split_horizontally(260);
        let cells = plots.split_evenly((1, PANELS.len()));
        for ((id, ptitle, unit), cell) in PANELS.iter().zip(cells.iter()) {
            let k = id.index();
            let (mut lo, mut hi) = (0.0f64, 0.0f64);
            for e in eff {
                let e = &e[k];
                for x in [
                    Some(e.mean),
                    e.ci.map(|c| c.0),
                    e.ci.map(|c| c.1),
                    e.spread.map(|s| s.0),
                    e.spread.map(|s| s.1),
                ]
                .into_iter()
                .flatten()
                .filter(|x| x.is_finite())
                {
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            }
            // The side panel is named in the scenario's words ("Δ peak US tariff").
            let ptitle = if *id == MetricId::PeakTariffUs {
                format!("Δ {}", words.peak_level(0))
            } else {
                (*ptitle).to_string()
            };
            let ptitle = super::forest::with_direction(&ptitle, id.metric().better);
            let mut chart = super::forest::effect_panel(cell, &ptitle, unit, (lo, hi), rows)?;
            for (i, e) in eff.iter().enumerate() {
                let e = &e[k];
                let y = (rows - 1 - row_of(i)) as f64;
                let c = arm_colour(i + 1);
                if let Some((l, u)) = e.spread {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(l, y - 0.22), (u, y + 0.22)],
                            pale(c).filled(),
                        )))
                        .map_err(err)?;
                }
                if let Some((l, u)) = e.ci {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(l, y), (u, y)],
                            c.stroke_width(4),
                        )))
                        .map_err(err)?;
                }
                chart
                    .draw_series(std::iter::once(Circle::new((e.mean, y), 7, c.filled())))
                    .map_err(err)?;
            }
        }
        let (_, nh) = left.dim_in_pixel();
        let top = 12 + 28;
        let plot_h = nh as i32 - top - 12 - 52;
        for (r, &i) in order.iter().enumerate() {
            let y = top + ((r as f64 + 0.5) / rows as f64 * plot_h as f64) as i32;
            left.draw(&Circle::new((18, y), 7, arm_colour(i + 1).filled()))
                .map_err(err)?;
            left.draw_text(&names[i], &style::label_font().color(&BLACK), (32, y - 9))
                .map_err(err)?;
        }
        Ok(())
    })?;
    Ok(Chart {
        file: "effects_worlds.png",
        title,
        guide: "Each row is an intervention (ranked by its mean effect on the share of weeks in truce). The dot and dark bar are its mean effect over plausible worlds with a 95% interval that covers both the uncertain values and the simulation noise; the pale band is where the effect lies in the middle 90% of worlds.\nA pale band that crosses the dashed zero line means the intervention does not help in every plausible world.".into(),
        png,
        size: (w, h),
    })
}

/// Claims shown per intervention in the drivers chart: its strongest ones.
const DRIVERS_SHOWN: usize = 4;

/// What drives the uncertainty of each intervention's effect on the share of weeks in truce:
/// rows are the claims (and the calibrated constants) that are among the strongest
/// [`DRIVERS_SHOWN`] of at least one intervention; one bar per intervention, in its colour, with
/// its 95% bootstrap interval. `drivers[i]` belongs to intervention i (arm i + 1).
pub fn drivers(
    names: &[String],
    drivers: &[Vec<Driver>],
    caption: &str,
    claims: &crate::scenario::claims::Registry,
) -> Result<Chart, String> {
    let mut rows: Vec<String> = Vec::new();
    for ds in drivers {
        let mut by: Vec<&Driver> = ds.iter().collect();
        by.sort_by(|a, b| b.share.total_cmp(&a.share));
        for d in by.into_iter().take(DRIVERS_SHOWN) {
            if !rows.contains(&d.group) {
                rows.push(d.group.clone());
            }
        }
    }
    let values: Vec<Vec<(f64, f64, f64)>> = drivers
        .iter()
        .map(|ds| {
            rows.iter()
                .map(|g| {
                    ds.iter()
                        .find(|d| &d.group == g)
                        .map_or((0.0, 0.0, 0.0), |d| (d.share, d.ci.0, d.ci.1))
                })
                .collect()
        })
        .collect();
    let series: Vec<crate::report::charts::explore::Bars<'_>> = names
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(i, (n, v))| crate::report::charts::explore::Bars {
            label: n,
            colour: arm_colour(i + 1),
            values: v,
        })
        .collect();
    let labels: Vec<String> = rows
        .iter()
        .map(|g| match claims.title_of(g) {
            Some(t) => format!("{g} {t}"),
            None => g.clone(),
        })
        .collect();
    crate::report::charts::explore::bars(
        "drivers_worlds.png",
        "What the answer depends on: share of each intervention's spread over worlds explained by each claim".into(),
        "Each bar is the share of the variance of an intervention's per-world effect on the share of weeks in truce that one claim's uncertain values explain (the sum of their squared correlations with the effect over the worlds), with a 95% bootstrap interval over worlds. \"calibration\" is the calibrated constants, drawn together from the calibration's posterior.\nThe longer the bar, the more knowing that claim better would narrow the answer. Shares of correlated inputs can overlap; drivers_worlds.csv has every claim and every parameter.".into(),
        caption,
        "share of the variance of per-world effects (squared correlation)",
        &labels,
        &series,
        f64::NAN,
    )
}
