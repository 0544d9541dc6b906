//! Calibration charts: marginal posteriors, pairwise posteriors, and the posterior-predictive
//! check of each target against the observed value.

use plotters::prelude::*;

use super::style::{self, BLACK, BLUE, GREY, VERMILLION, err, grid};
use super::{Chart, frame, render};

/// What the calibration charts are drawn from.
pub struct PosteriorInput<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// Caption line.
    pub caption: String,
    /// Parameter paths.
    pub names: &'a [String],
    /// Priors.
    pub priors: &'a [crate::calibration::config::Prior],
    /// Particles: parameter values.
    pub thetas: &'a [Vec<f64>],
    /// Particle weights.
    pub weights: &'a [f64],
    /// Target names.
    pub targets: &'a [String],
    /// Observed target values.
    pub observed: &'a [f64],
    /// Posterior-predictive draws (single replicates), one vector per draw; NaN where a
    /// statistic is undefined for that draw.
    pub predictive: &'a [Vec<f64>],
}

const BINS: usize = 24;

fn weighted_hist(values: impl Iterator<Item = (f64, f64)>, lo: f64, hi: f64) -> Vec<f64> {
    let mut h = vec![0.0; BINS];
    let mut total = 0.0;
    for (x, w) in values {
        let b = (((x - lo) / (hi - lo)) * BINS as f64)
            .floor()
            .clamp(0.0, BINS as f64 - 1.0) as usize;
        h[b] += w;
        total += w;
    }
    if total > 0.0 {
        h.iter_mut().for_each(|v| *v /= total);
    }
    h
}

fn short(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Marginal posterior of each parameter over its prior's range.
// long: one plotters drawing, top to bottom; its steps share the drawing area.
pub fn marginals(inp: &PosteriorInput<'_>) -> Result<Chart, String> {
    let n = inp.names.len();
    let (rows, cols) = grid(n);
    let (w, h) = (1600u32, 56 + 34 + rows as u32 * 330);
    let title = format!("Posterior of each calibrated parameter ({})", inp.scenario);
    let png = render(w, h, |root| {
        let body = frame(root, &title, &inp.caption)?;
        for (k, panel) in body.split_evenly((rows, cols)).iter().enumerate().take(n) {
            let prior = &inp.priors[k];
            let (lo, hi) = prior.bounds();
            let hist = weighted_hist(
                inp.thetas.iter().zip(inp.weights).map(|(t, &w)| (t[k], w)),
                lo,
                hi,
            );
            let bw = (hi - lo) / BINS as f64;
            let prior_mass: Vec<f64> = (0..BINS)
                .map(|b| {
                    crate::analysis::prior::mass(
                        prior,
                        lo + b as f64 * bw,
                        lo + (b + 1) as f64 * bw,
                    )
                })
                .collect();
            let ymax = hist.iter().chain(&prior_mass).copied().fold(0.0, f64::max) * 1.15;
            let mut chart = ChartBuilder::on(panel)
                .caption(inp.names[k].clone(), style::panel_font())
                .margin(10)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(lo..hi, 0f64..ymax)
                .map_err(err)?;
            style::mesh(&mut chart)
                .x_labels(6)
                .y_labels(5)
                .x_label_formatter(&|x| style::tick(*x))
                .y_label_formatter(&|y| style::tick(*y))
                .x_desc(format!("{} (prior range)", short(&inp.names[k])))
                .y_desc("posterior mass per bin")
                .draw()
                .map_err(err)?;
            chart
                .draw_series(hist.iter().enumerate().map(|(b, &v)| {
                    Rectangle::new(
                        [(lo + b as f64 * bw, 0.0), (lo + (b + 1) as f64 * bw, v)],
                        BLUE.mix(0.6).filled(),
                    )
                }))
                .map_err(err)?
                .label("posterior (weighted particles)")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 18, y + 6)], BLUE.mix(0.6).filled())
                });
            let steps: Vec<(f64, f64)> = prior_mass
                .iter()
                .enumerate()
                .flat_map(|(b, &m)| [(lo + b as f64 * bw, m), (lo + (b + 1) as f64 * bw, m)])
                .collect();
            chart
                .draw_series(DashedLineSeries::new(steps, 8, 5, GREY.stroke_width(2)))
                .map_err(err)?
                .label("prior")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY.stroke_width(2)));
            let values: Vec<f64> = inp.thetas.iter().map(|t| t[k]).collect();
            let med = crate::calibration::abc::weighted_quantile(&values, inp.weights, 0.5);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(med, 0.0), (med, ymax)],
                    BLACK.stroke_width(2),
                )))
                .map_err(err)?
                .label(format!("median {med:.3}"))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2))
                });
            if k == 0 {
                style::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
            }
        }
        Ok(())
    })?;
    Ok(Chart {
        file: "posterior_marginals.png",
        title,
        guide: "Bars are the weighted particles of the last ABC-SMC generation over each parameter's prior range; the dashed line is the prior's mass in each bin.\nA narrow peak means the record pins the parameter down; bars that follow the dashed line mean it does not.".into(),
        png,
        size: (w, h),
    })
}

/// Pairwise posteriors: particles for every pair of parameters (up to eight parameters).
pub fn pairs(inp: &PosteriorInput<'_>) -> Result<Chart, String> {
    let n = inp.names.len().min(8);
    let (w, h) = (1600u32, 1600u32);
    let title =
        "Pairs of calibrated parameters: posterior particles (darker = heavier)".to_string();
    let wmax = inp.weights.iter().copied().fold(0.0, f64::max).max(1e-12);
    let png = render(w, h, |root| {
        let body = frame(root, &title, &inp.caption)?;
        let cells = body.split_evenly((n, n));
        for i in 0..n {
            for j in 0..n {
                let cell = &cells[i * n + j];
                let (xlo, xhi) = inp.priors[j].bounds();
                let (ylo, yhi) = inp.priors[i].bounds();
                if i == j {
                    cell.draw_text(
                        short(&inp.names[i]),
                        &style::label_font().color(&BLACK),
                        (10, (cell.dim_in_pixel().1 / 2) as i32),
                    )
                    .map_err(err)?;
                    continue;
                }
                if i < j {
                    continue;
                }
                let mut chart = ChartBuilder::on(cell)
                    .margin(4)
                    .x_label_area_size(if i == n - 1 { 28 } else { 4 })
                    .y_label_area_size(if j == 0 { 44 } else { 4 })
                    .build_cartesian_2d(xlo..xhi, ylo..yhi)
                    .map_err(err)?;
                let mut mesh = chart.configure_mesh();
                mesh.x_labels(if i == n - 1 { 3 } else { 0 })
                    .y_labels(if j == 0 { 3 } else { 0 })
                    .x_label_formatter(&|x| style::tick(*x))
                    .y_label_formatter(&|y| style::tick(*y))
                    .label_style((style::FONT, 12))
                    .light_line_style(RGBColor(245, 245, 245));
                mesh.draw().map_err(err)?;
                chart
                    .draw_series(inp.thetas.iter().zip(inp.weights).map(|(t, &wt)| {
                        Circle::new(
                            (t[j], t[i]),
                            2,
                            BLUE.mix((0.15 + 0.85 * wt / wmax).min(1.0)).filled(),
                        )
                    }))
                    .map_err(err)?;
            }
        }
        Ok(())
    })?;
    Ok(Chart {
        file: "posterior_pairs.png",
        title,
        guide: "Each small panel plots the final particles for one pair of parameters (row against column), over their prior ranges; the diagonal names the parameter.\nA diagonal band means the record constrains a combination of the two rather than each one.".into(),
        png,
        size: (w, h),
    })
}

/// Posterior-predictive check: single-replicate target values under posterior draws against the
/// observed record.
// long: one plotters drawing, top to bottom; its steps share the drawing area.
pub fn predictive(inp: &PosteriorInput<'_>) -> Result<Chart, String> {
    let n = inp.targets.len();
    let (rows, cols) = grid(n);
    let (w, h) = (1600u32, 56 + 34 + rows as u32 * 320);
    let title =
        "Posterior-predictive check: simulated statistics against the real record".to_string();
    let png = render(w, h, |root| {
        let body = frame(root, &title, &inp.caption)?;
        for (k, panel) in body.split_evenly((rows, cols)).iter().enumerate().take(n) {
            // Draws where the statistic is defined (NaN marks an undefined share).
            let vals: Vec<f64> = inp
                .predictive
                .iter()
                .map(|v| v[k])
                .filter(|x| x.is_finite())
                .collect();
            let obs = inp.observed[k];
            let lo = vals.iter().copied().fold(obs, f64::min);
            let hi = vals.iter().copied().fold(obs, f64::max);
            let pad = ((hi - lo) * 0.08).max(1e-6);
            let (lo, hi) = (lo - pad, hi + pad);
            let hist = weighted_hist(vals.iter().map(|&v| (v, 1.0)), lo, hi);
            let ymax = hist.iter().copied().fold(0.0, f64::max).max(0.05) * 1.15;
            // Mid-rank, as fit.csv: ties count half.
            let below = crate::analysis::stats::mid_rank(&vals, obs);
            let mut chart = ChartBuilder::on(panel)
                .caption(
                    format!(
                        "{} (observed at the {:.0}th percentile)",
                        inp.targets[k],
                        below * 100.0
                    ),
                    style::panel_font(),
                )
                .margin(10)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(lo..hi, 0f64..ymax)
                .map_err(err)?;
            style::mesh(&mut chart)
                .x_labels(6)
                .y_labels(5)
                .x_label_formatter(&|x| style::tick(*x))
                .y_label_formatter(&|y| style::tick(*y))
                .x_desc("value in one simulated history")
                .y_desc("share of draws")
                .draw()
                .map_err(err)?;
            let bw = (hi - lo) / BINS as f64;
            chart
                .draw_series(hist.iter().enumerate().map(|(b, &v)| {
                    Rectangle::new(
                        [(lo + b as f64 * bw, 0.0), (lo + (b + 1) as f64 * bw, v)],
                        BLUE.mix(0.55).filled(),
                    )
                }))
                .map_err(err)?
                .label("simulated under the posterior")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 18, y + 6)], BLUE.mix(0.55).filled())
                });
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(obs, 0.0), (obs, ymax)],
                    VERMILLION.stroke_width(3),
                )))
                .map_err(err)?
                .label("real record")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], VERMILLION.stroke_width(3))
                });
            if k == 0 {
                style::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
            }
        }
        Ok(())
    })?;
    Ok(Chart {
        file: "posterior_predictive.png",
        title,
        guide: "Bars: a target statistic in single simulated histories, each with parameters drawn from the posterior; red line: the real record.\nA red line far in a tail means the calibrated model rarely produces what happened.".into(),
        png,
        size: (w, h),
    })
}
