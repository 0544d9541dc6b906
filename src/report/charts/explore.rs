//! Exploration charts: a sweep line with its interval band, a sweep heatmap with contours, the
//! Morris mu*-sigma plane, Sobol bars, and PRIM's peeling trajectory.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::style::{self, BLACK, BLUE, GREY, ORANGE, VERMILLION, err, fine_max};
use super::{Chart, frame, render};

/// One parameter against an output (named `yname`, described by `ydesc`), with the output's 95%
/// interval.
pub fn line(
    caption: &str,
    xname: &str,
    yname: &str,
    ydesc: &str,
    pts: &[(f64, f64, f64, f64)],
) -> Result<Chart, String> {
    let (w, h) = (1400u32, 850u32);
    let title = format!("{yname} as {xname} varies (mean and 95% interval)");
    let (xlo, xhi) = (
        pts.first().map_or(0.0, |p| p.0),
        pts.last().map_or(1.0, |p| p.0),
    );
    let ylo = pts.iter().map(|p| p.2).fold(f64::INFINITY, f64::min);
    let yhi = pts.iter().map(|p| p.3).fold(f64::NEG_INFINITY, f64::max);
    let pad = ((yhi - ylo) * 0.1).max(1e-6);
    let png = render(w, h, |root| {
        let body = frame(root, &title, caption)?;
        let mut chart = ChartBuilder::on(&body)
            .margin(20)
            .margin_right(45)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d(xlo..xhi.max(xlo + 1e-9), (ylo - pad)..(yhi + pad))
            .map_err(err)?;
        style::mesh(&mut chart)
            .x_label_formatter(&|x| style::tick(*x))
            .y_label_formatter(&|y| style::tick(*y))
            .x_desc(xname)
            .y_desc(format!("{yname}: {ydesc}"))
            .draw()
            .map_err(err)?;
        let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.3)).collect();
        band.extend(pts.iter().rev().map(|p| (p.0, p.2)));
        chart
            .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.2).filled())))
            .map_err(err)?
            .label("95% interval")
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], BLUE.mix(0.2).filled()));
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.0, p.1)),
                BLUE.stroke_width(3),
            ))
            .map_err(err)?
            .label("mean over replicates")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(3)));
        chart
            .draw_series(
                pts.iter()
                    .map(|p| Circle::new((p.0, p.1), 5, BLUE.filled())),
            )
            .map_err(err)?;
        style::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })?;
    Ok(Chart { file: "sweep_line.png", title, guide: "The line is the output's mean over the replicates at each value of the parameter (all points on the same random streams), the band its 95% interval.\nA slope that stays outside the band's width is an effect the simulation resolves.".into(), png, size: (w, h) })
}

/// Colour scale from light yellow to dark blue (perceptually ordered, colour-blind safe: viridis-like).
fn scale(t: f64) -> RGBColor {
    // Viridis in its usual direction: low values dark purple, high values yellow.
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [68.0, 1.0, 84.0]),
        (0.25, [59.0, 82.0, 139.0]),
        (0.5, [33.0, 145.0, 140.0]),
        (0.75, [94.0, 201.0, 98.0]),
        (1.0, [253.0, 231.0, 37.0]),
    ];
    let t = t.clamp(0.0, 1.0);
    let k = STOPS.iter().position(|s| s.0 >= t).unwrap_or(4).max(1);
    let (a, b) = (STOPS[k - 1], STOPS[k]);
    let f = (t - a.0) / (b.0 - a.0);
    let c = |i: usize| (a.1[i] + f * (b.1[i] - a.1[i])).round() as u8;
    RGBColor(c(0), c(1), c(2))
}

/// Marching-squares segments of the level `z` on a grid `v[i][j]` at (xs[i], ys[j]).
fn contour(xs: &[f64], ys: &[f64], v: &[Vec<f64>], z: f64) -> Vec<[(f64, f64); 2]> {
    let mut segs = Vec::new();
    let cross = |p: (f64, f64, f64), q: (f64, f64, f64)| -> Option<(f64, f64)> {
        if (p.2 - z) * (q.2 - z) < 0.0 || (p.2 == z) != (q.2 == z) {
            let t = if q.2 == p.2 {
                0.5
            } else {
                (z - p.2) / (q.2 - p.2)
            };
            Some((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1)))
        } else {
            None
        }
    };
    for i in 0..xs.len().saturating_sub(1) {
        for j in 0..ys.len().saturating_sub(1) {
            let c = [
                (xs[i], ys[j], v[i][j]),
                (xs[i + 1], ys[j], v[i + 1][j]),
                (xs[i + 1], ys[j + 1], v[i + 1][j + 1]),
                (xs[i], ys[j + 1], v[i][j + 1]),
            ];
            let pts: Vec<(f64, f64)> = (0..4).filter_map(|e| cross(c[e], c[(e + 1) % 4])).collect();
            if pts.len() >= 2 {
                segs.push([pts[0], pts[1]]);
            }
            if pts.len() == 4 {
                segs.push([pts[2], pts[3]]);
            }
        }
    }
    segs
}

/// Two parameters on a grid: the output as colours, with contour lines, and the base scenario's
/// values marked when they lie inside the grid.
// long: one plotters drawing, top to bottom; its steps share the drawing area.
#[allow(clippy::too_many_arguments)]
pub fn heatmap(
    caption: &str,
    xname: &str,
    yname: &str,
    zname: &str,
    xs: &[f64],
    ys: &[f64],
    v: &[Vec<f64>],
    base: Option<(f64, f64)>,
) -> Result<Chart, String> {
    let (w, h) = (1500u32, 1000u32);
    let title = format!("{zname} over {xname} and {yname}");
    let zlo = v.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    let zhi = v
        .iter()
        .flatten()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let span = (zhi - zlo).max(1e-12);
    let half = |s: &[f64], i: usize| {
        if s.len() < 2 {
            0.5
        } else if i + 1 < s.len() {
            (s[i + 1] - s[i]) / 2.0
        } else {
            (s[i] - s[i - 1]) / 2.0
        }
    };
    let png = render(w, h, |root| {
        let body = frame(root, &title, caption)?;
        let (plot, legend) = body.split_horizontally(1260);
        let x0 = xs[0] - half(xs, 0);
        let x1 = xs[xs.len() - 1] + half(xs, xs.len() - 1);
        let y0 = ys[0] - half(ys, 0);
        let y1 = ys[ys.len() - 1] + half(ys, ys.len() - 1);
        let mut chart = ChartBuilder::on(&plot)
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_label_formatter(&|x| style::tick(*x))
            .y_label_formatter(&|y| style::tick(*y))
            .x_desc(xname)
            .y_desc(yname)
            .label_style(style::label_font())
            .axis_desc_style(style::label_font())
            .draw()
            .map_err(err)?;
        for (i, &x) in xs.iter().enumerate() {
            for (j, &y) in ys.iter().enumerate() {
                let (hx, hy) = (half(xs, i), half(ys, j));
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x - hx, y - hy), (x + hx, y + hy)],
                        scale((v[i][j] - zlo) / span).filled(),
                    )))
                    .map_err(err)?;
            }
        }
        for q in [0.25, 0.5, 0.75] {
            let z = zlo + q * span;
            for s in contour(xs, ys, v, z) {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        s.to_vec(),
                        WHITE.stroke_width(2),
                    )))
                    .map_err(err)?;
            }
        }
        if let Some((bx, by)) =
            base.filter(|&(x, y)| (x0..=x1).contains(&x) && (y0..=y1).contains(&y))
        {
            chart
                .draw_series(std::iter::once(Circle::new((bx, by), 9, WHITE.filled())))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Circle::new((bx, by), 6, BLACK.filled())))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((bx, by))
                        + Text::new(
                            "base scenario",
                            (12, -22),
                            style::label_font().color(&WHITE),
                        ),
                ))
                .map_err(err)?;
        }
        // Colour scale.
        let (_, lh) = legend.dim_in_pixel();
        let (top, bottom) = (60i32, lh as i32 - 120);
        legend
            .draw_text(zname, &style::label_font().color(&BLACK), (10, 20))
            .map_err(err)?;
        for k in 0..100 {
            let t = 1.0 - k as f64 / 99.0;
            let y = top + (bottom - top) * k / 100;
            legend
                .draw(&Rectangle::new(
                    [(20, y), (60, y + (bottom - top) / 100 + 1)],
                    scale(t).filled(),
                ))
                .map_err(err)?;
        }
        for (k, q) in [1.0, 0.75, 0.5, 0.25, 0.0].iter().enumerate() {
            let y = top + (bottom - top) * k as i32 / 4;
            let z = zlo + q * span;
            legend
                .draw_text(
                    &format!("{z:.3}"),
                    &style::label_font().color(&BLACK),
                    (70, y - 8),
                )
                .map_err(err)?;
            if k > 0 && k < 4 {
                legend
                    .draw(&PathElement::new(
                        vec![(16, y), (64, y)],
                        WHITE.stroke_width(3),
                    ))
                    .map_err(err)?;
            }
        }
        for (i, line) in ["white lines: contours", "at the marked values"]
            .iter()
            .enumerate()
        {
            legend
                .draw_text(
                    line,
                    &(style::FONT, 14).into_font().color(&BLACK),
                    (10, bottom + 20 + 20 * i as i32),
                )
                .map_err(err)?;
        }
        Ok(())
    })?;
    Ok(Chart { file: "sweep_heatmap.png", title, guide: "Each cell is the output's mean over the replicates at one combination of the two parameters (all on the same random streams); white lines join equal values.\nWhere contours bunch, the output is most sensitive; a contour crossing the plot marks a tipping line between the two parameters.".into(), png, size: (w, h) })
}

/// The grey band of index values below the model's noise floor, with its legend entry.
fn noise_band<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    corners: [(f64, f64); 2],
) -> Result<(), String> {
    chart
        .draw_series(std::iter::once(Rectangle::new(
            corners,
            GREY.mix(0.25).filled(),
        )))
        .map_err(err)?
        .label("below the noise floor")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], GREY.mix(0.25).filled()));
    Ok(())
}

/// A noise floor as drawn: 0 when it could not be estimated.
fn shown_floor(floor: f64) -> f64 {
    if floor.is_finite() { floor } else { 0.0 }
}

/// Points labelled on the Morris plane (the largest mu*); the rest are drawn unlabelled.
pub const MORRIS_LABELS: usize = 15;

/// Morris plane: mu* against sigma, one point per parameter (the strongest labelled), with
/// intervals on mu*.
// long: one plotters drawing, top to bottom; its steps share the drawing area.
pub fn morris(
    caption: &str,
    output: &str,
    names: &[String],
    mu: &[(f64, f64, f64)],
    sigma: &[f64],
    floor: f64,
) -> Result<Chart, String> {
    let (w, h) = (1500u32, 950u32);
    let title = format!(
        "Morris screening of {output}: mean absolute effect (mu*) against non-linearity or interaction (sigma)"
    );
    let floor_shown = shown_floor(floor);
    let xmax = fine_max(mu.iter().map(|m| m.2).fold(floor_shown, f64::max).max(1e-9) * 1.3);
    let ymax = fine_max(sigma.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.1);
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| mu[b].0.total_cmp(&mu[a].0));
    let png = render(w, h, |root| {
        let body = frame(root, &title, caption)?;
        let mut chart = ChartBuilder::on(&body)
            .margin(25)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..xmax, 0f64..ymax)
            .map_err(err)?;
        style::mesh(&mut chart)
            .x_label_formatter(&|x| style::tick(*x))
            .y_label_formatter(&|y| style::tick(*y))
            .x_desc(format!(
                "mu*: mean |change in {output}| when the parameter moves across its whole range"
            ))
            .y_desc("sigma: spread of those changes")
            .draw()
            .map_err(err)?;
        noise_band(&mut chart, [(0.0, 0.0), (floor_shown, ymax)])?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (xmax.min(ymax), xmax.min(ymax))],
                GREY.stroke_width(1),
            )))
            .map_err(err)?
            .label("sigma = mu*")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY.stroke_width(1)));
        for i in 0..names.len() {
            let (m, lo, hi) = mu[i];
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(lo, sigma[i]), (hi, sigma[i])],
                    BLUE.mix(0.6).stroke_width(2),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Circle::new(
                    (m, sigma[i]),
                    5,
                    BLUE.filled(),
                )))
                .map_err(err)?;
        }
        // Labels, strongest first, each at the first nearby spot that overlaps no earlier label;
        // a label with no free spot is left out (the CSV has every parameter).
        let font = (style::FONT, 15).into_font();
        let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
        let mut labelled = 0;
        for &i in &order {
            if labelled == MORRIS_LABELS {
                break;
            }
            let (px, py) = chart.backend_coord(&(mu[i].0, sigma[i]));
            let tw = (names[i].chars().count() as f64 * 8.4) as i32 + 4;
            let th = 17;
            let spots = [
                (9, -8),
                (9, 6),
                (9, -24),
                (9, 22),
                (-tw - 9, -8),
                (-tw - 9, 8),
                (9, -40),
                (9, 38),
            ];
            let free = spots
                .iter()
                .map(|&(dx, dy)| (px + dx, py + dy, px + dx + tw, py + dy + th))
                .find(|r| {
                    r.2 < w as i32 - 10
                        && r.0 > 90
                        && placed
                            .iter()
                            .all(|q| r.2 <= q.0 || q.2 <= r.0 || r.3 <= q.1 || q.3 <= r.1)
                });
            if let Some(r) = free {
                placed.push(r);
                labelled += 1;
                // A label away from its point gets a thin leader line to the label's near edge.
                let (lx, ly) = (
                    if r.0 > px { r.0 - px - 2 } else { r.2 - px + 2 },
                    r.1 - py + th / 2,
                );
                if ly.abs() > 12 {
                    chart
                        .draw_series(std::iter::once(
                            EmptyElement::at((mu[i].0, sigma[i]))
                                + PathElement::new(vec![(0, 0), (lx, ly)], GREY.stroke_width(1)),
                        ))
                        .map_err(err)?;
                }
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((mu[i].0, sigma[i]))
                            + Text::new(
                                names[i].clone(),
                                (r.0 - px, r.1 - py),
                                font.clone().color(&BLACK),
                            ),
                    ))
                    .map_err(err)?;
            }
        }
        style::legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    })?;
    Ok(Chart {
        file: "morris.png",
        title,
        guide: format!(
            "Each point is a parameter: further right, a larger average effect on the output across its range (bars: 95% bootstrap interval); higher, a more non-linear effect or one that depends on other parameters.\nParameters in the grey band have effects no larger than the model's own noise; up to {MORRIS_LABELS} of the strongest are labelled where there is room."
        ),
        png,
        size: (w, h),
    })
}

/// One series of horizontal bars: a legend label, a colour and (value, low, high) per row.
pub struct Bars<'a> {
    /// Legend label.
    pub label: &'a str,
    /// Colour.
    pub colour: RGBColor,
    /// (value, interval low, interval high) per row.
    pub values: &'a [(f64, f64, f64)],
}

/// Horizontal bars with interval whiskers, one group of bars per row name, and a grey band up
/// to the noise floor.
// long: one plotters drawing, top to bottom; its steps share the drawing area.
#[allow(clippy::too_many_arguments)]
pub(super) fn bars(
    file: &'static str,
    title: String,
    guide: String,
    caption: &str,
    xdesc: &str,
    names: &[String],
    series: &[Bars<'_>],
    floor: f64,
) -> Result<Chart, String> {
    let n = names.len();
    let (w, h) = (
        1500u32,
        (56 + 34 + 110 + n * 26 * series.len().max(1) + n * 12).max(500) as u32,
    );
    let floor_shown = shown_floor(floor);
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().map(|t| t.2.max(t.0)))
        .fold(floor_shown, f64::max);
    let xmax = fine_max(top.max(1e-9) * 1.05);
    let xmin = series
        .iter()
        .flat_map(|s| s.values.iter().map(|t| t.1.min(t.0)))
        .fold(0.0, f64::min);
    let xmin = if xmin < 0.0 { -fine_max(-xmin) } else { 0.0 };
    let names_w =
        (names.iter().map(|s| s.chars().count()).max().unwrap_or(0) as f64 * 9.5) as u32 + 30;
    let k = series.len().max(1) as f64;
    let png = render(w, h, |root| {
        let body = frame(root, &title, caption)?;
        let (names_area, plot) = body.split_horizontally(names_w.clamp(120, 700));
        let mut chart = ChartBuilder::on(&plot)
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(10)
            .build_cartesian_2d(xmin..xmax, -0.5f64..(n as f64 - 0.5))
            .map_err(err)?;
        style::mesh(&mut chart)
            .disable_y_mesh()
            .y_labels(0)
            .x_label_formatter(&|x| style::tick(*x))
            .x_desc(xdesc)
            .draw()
            .map_err(err)?;
        if floor_shown > 0.0 {
            noise_band(&mut chart, [(xmin, -0.5), (floor_shown, n as f64 - 0.5)])?;
        }
        let band = 0.8 / k;
        for (si, s) in series.iter().enumerate() {
            let off = 0.4 - band * (si as f64 + 0.5);
            for i in 0..n {
                let y = (n - 1 - i) as f64 + off;
                let t = s.values[i];
                let c = s.colour;
                let drawn = chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, y - band * 0.4), (t.0, y + band * 0.4)],
                        c.mix(0.75).filled(),
                    )))
                    .map_err(err)?;
                if i == 0 {
                    drawn.label(s.label).legend(move |(x, yy)| {
                        Rectangle::new([(x, yy - 6), (x + 18, yy + 6)], c.mix(0.75).filled())
                    });
                }
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(t.1, y), (t.2, y)],
                        BLACK.stroke_width(2),
                    )))
                    .map_err(err)?;
            }
        }
        style::legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        let (_, nh) = names_area.dim_in_pixel();
        let plot_h = nh as f64 - 40.0 - 55.0;
        for (i, name) in names.iter().enumerate() {
            let y = 20.0 + (i as f64 + 0.5) / n as f64 * plot_h - 9.0;
            names_area
                .draw_text(name, &style::label_font().color(&BLACK), (10, y as i32))
                .map_err(err)?;
        }
        Ok(())
    })?;
    Ok(Chart {
        file,
        title,
        guide,
        png,
        size: (w, h),
    })
}

/// Sobol first-order and total indices with intervals, one pair of bars per parameter.
pub fn sobol(
    caption: &str,
    output: &str,
    names: &[String],
    s1: &[(f64, f64, f64)],
    st: &[(f64, f64, f64)],
    floor: f64,
) -> Result<Chart, String> {
    bars(
        "sobol.png",
        format!("Sobol indices of {output}: share of its variance due to each parameter"),
        "For each parameter, the red bar is the share of the output's variance it explains with its interactions (total index) and the blue bar the share it explains alone (first order); whiskers are 95% bootstrap intervals.\nBars inside the grey band are indistinguishable from the model's own noise.".into(),
        caption,
        "index (share of output variance)",
        names,
        &[Bars { label: "total index (with interactions)", colour: VERMILLION, values: st }, Bars { label: "first-order index (alone)", colour: BLUE, values: s1 }],
        floor,
    )
}

/// The claims ranking: per claim, the summed index of its parameters with its interval.
pub fn claims(
    caption: &str,
    output: &str,
    index: &str,
    names: &[String],
    sums: &[(f64, f64, f64)],
    floor: f64,
    reg: &crate::scenario::claims::Registry,
) -> Result<Chart, String> {
    let (whose, of) = match (&reg.author, reg.document.is_empty()) {
        (Some(a), _) => (
            format!("{a}'s claims"),
            format!("{} of {a}'s digest", reg.span()),
        ),
        (None, true) => ("the scenario's claims".into(), reg.span()),
        (None, false) => (
            "the scenario's claims".into(),
            format!("{}, {}", reg.span(), reg.document),
        ),
    };
    bars(
        "claims.png",
        format!("Which of {whose} move {output} most"),
        format!(
            "Each bar sums the {index} of the parameters that encode one claim ({of}; the count in brackets); whiskers are 95% bootstrap intervals.\nA claim whose bar stays inside the grey band moves the output no more than the model's own noise does through one parameter."
        ),
        caption,
        &format!("sum of {index} over the claim's parameters"),
        names,
        &[Bars {
            label: index,
            colour: BLUE,
            values: sums,
        }],
        floor,
    )
}

/// PRIM's peeling trajectory: density against coverage, the chosen box marked.
pub fn prim(
    caption: &str,
    traj: &[(f64, f64)],
    held_out: &[(f64, f64)],
    chosen: usize,
    simplified: (f64, f64),
) -> Result<Chart, String> {
    let (w, h) = (1200u32, 850u32);
    let title = "Scenario discovery: PRIM peeling trajectory (each step a smaller box)".to_string();
    let png = render(w, h, |root| {
        let body = frame(root, &title, caption)?;
        let mut chart = ChartBuilder::on(&body)
            .margin(25)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..1.02, 0f64..1.02)
            .map_err(err)?;
        style::mesh(&mut chart)
            .x_desc("coverage: share of all cases of interest inside the box")
            .y_desc("density: share of points in the box that are cases")
            .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
            .x_label_formatter(&|x| format!("{:.0}%", x * 100.0))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(traj.iter().copied(), BLUE.stroke_width(2)))
            .map_err(err)?
            .label("peeling trajectory")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(2)));
        chart
            .draw_series(traj.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))
            .map_err(err)?;
        chart
            .draw_series(DashedLineSeries::new(
                held_out.iter().copied(),
                8,
                5,
                ORANGE.stroke_width(2),
            ))
            .map_err(err)?
            .label("the same boxes on held-out replicates (fresh noise)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], ORANGE.stroke_width(2)));
        if let Some(&p) = held_out.get(chosen) {
            chart
                .draw_series(std::iter::once(Circle::new(p, 10, ORANGE.stroke_width(3))))
                .map_err(err)?;
        }
        if let Some(&p) = traj.get(chosen) {
            chart
                .draw_series(std::iter::once(Circle::new(
                    p,
                    10,
                    VERMILLION.stroke_width(3),
                )))
                .map_err(err)?
                .label(format!("chosen box (step {chosen})"))
                .legend(|(x, y)| Circle::new((x + 9, y), 6, VERMILLION.stroke_width(3)));
        }
        chart
            .draw_series(std::iter::once(TriangleMarker::new(
                simplified,
                11,
                BLACK.filled(),
            )))
            .map_err(err)?
            .label("simplified box (significant restrictions only)")
            .legend(|(x, y)| TriangleMarker::new((x + 9, y), 7, BLACK.filled()));
        style::legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
        Ok(())
    })?;
    Ok(Chart { file: "prim.png", title, guide: "PRIM starts from the whole sampled space (right, at 100% coverage) and peels thin slices off the box's edges, raising the share of cases of interest (up) at the cost of covering fewer of them (left).\nThe circled step is the densest box that still holds the required share of cases; the triangle is that box keeping only the restrictions that matter (quasi-p-values).\nThe dashed line measures the same boxes on held-out replicates, the same points under fresh noise: where it sits below and left of the solid line, the peeling fitted noise, and the dashed line is what to expect.".into(), png, size: (w, h) })
}
