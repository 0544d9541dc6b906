//! The files of a study (sweep, sensitivity, discovery): points.csv and the method's tables,
//! charts, the manifest and the terminal report, from the evaluated points of a prepared study.

use std::path::PathBuf;
use std::time::Instant;

use crate::error::Failure;
use crate::explore::prepare::{Kind, Study};
use crate::explore::space::{Dim, Est, Outcome, Point, output_description, output_names};
use crate::explore::study::{self, Group, Method, SensDesign, Sensitivity, SweepDesign};
use crate::report::charts::explore as charts;
use crate::report::csv::{line, num};
use crate::report::output::{OutputDir, OutputError};
use crate::report::table::{render, render_text};

/// Parameters printed per output by `sensitivity` (all are in indices.csv).
const TOP_PARAMETERS: usize = 10;

/// Columns of indices.csv.
const INDICES_HEADER: [&str; 12] = [
    "output",
    "parameter",
    "claim",
    "range_low",
    "range_high",
    "index",
    "value",
    "ci_low",
    "ci_high",
    "shared_noise_se",
    "noise_floor",
    "above_noise",
];

/// Columns of claims.csv.
const CLAIMS_HEADER: [&str; 12] = [
    "output",
    "rank",
    "claim",
    "parameters",
    "index",
    "sum",
    "ci_low",
    "ci_high",
    "shared_noise_se",
    "parameters_above_noise",
    "strongest_parameter",
    "strongest_value",
];

/// Columns of noise.csv.
const NOISE_HEADER: [&str; 6] = [
    "output",
    "repeats",
    "sd_of_estimate",
    "variance_over_design",
    "noise_floor",
    "floor_of",
];

/// Rows printed to the terminal for a sweep (all are in sweep.csv).
const PRINTED_ROWS: usize = 40;

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| num(v, 6))
}

/// Rows of points: index, parameter values, then every output with its interval; `extra` adds
/// columns (header, per-point cells).
fn points_csv(study: &Study, points: &[Point], extra: &[(&str, Vec<String>)]) -> String {
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(study.dims.iter().map(|d| d.path.clone()));
    header.extend(extra.iter().map(|e| e.0.to_string()));
    for n in output_names(&study.names()) {
        let (lo, hi) = (format!("{n}_ci_low"), format!("{n}_ci_high"));
        header.extend([n, lo, hi]);
    }
    let mut s = line(header);
    for (i, (spec, p)) in study.specs.iter().zip(points).enumerate() {
        let mut cells = vec![i.to_string()];
        cells.extend(
            study::values(&study.dims, &spec.unit)
                .iter()
                .map(|(_, v)| num(*v, 8)),
        );
        cells.extend(extra.iter().map(|e| e.1[i].clone()));
        for e in &p.outputs {
            cells.extend([opt(e.value), opt(e.lo), opt(e.hi)]);
        }
        s.push_str(&line(cells));
    }
    s
}

/// "1 parameter restricted", "3 parameters restricted".
fn restricted_count(n: usize) -> String {
    format!("{n} parameter{} restricted", if n == 1 { "" } else { "s" })
}

fn triple(e: &Est) -> (f64, f64, f64) {
    let v = e.value.unwrap_or(f64::NAN);
    (v, e.lo.unwrap_or(v), e.hi.unwrap_or(v))
}

fn cell(e: &Est) -> String {
    match (e.value, e.lo, e.hi) {
        (Some(v), Some(l), Some(h)) => format!("{} [{}, {}]", num(v, 4), num(l, 4), num(h, 4)),
        (Some(v), _, _) => num(v, 4),
        _ => "-".into(),
    }
}

/// A short label for a parameter: its last two path segments and its claim.
fn label(d: &Dim) -> String {
    let parts: Vec<&str> = d.path.rsplitn(3, '.').collect();
    let short = if parts.len() >= 2 {
        format!("{}.{}", parts[1], parts[0])
    } else {
        d.path.clone()
    };
    match &d.claim {
        Some(c) => format!("{short} ({c})"),
        None => short,
    }
}

/// What the analysis of a study writes: files in the output directory, the report printed to the
/// terminal, and command-specific manifest entries.
struct Written<'o> {
    out: &'o mut OutputDir,
    files: Vec<String>,
    report: String,
    manifest: serde_json::Map<String, serde_json::Value>,
    charts: bool,
    caption: String,
}

impl Written<'_> {
    fn put(&mut self, name: String, bytes: &[u8]) -> Result<(), Failure> {
        self.out
            .write(&name, bytes)
            .map_err(|e| Failure::Input(e.to_string()))?;
        self.files.push(name);
        Ok(())
    }

    /// A chart as `name` and its print forms.
    fn put_chart(&mut self, name: String, c: &crate::report::charts::Chart) -> Result<(), Failure> {
        let files = c
            .write_as(self.out, &name)
            .map_err(|e| Failure::Input(e.to_string()))?;
        self.files.extend(files);
        Ok(())
    }
}

// long: sweep.csv, then a line or heatmap per charted output, then the table, in file order.
/// sweep.csv, the sweep's charts and its table.
fn write_sweep(
    study: &Study,
    points: &[Point],
    w: &mut Written<'_>,
    design: &SweepDesign,
    charted: &[usize],
) -> Result<(), Failure> {
    let words = study.names();
    let names = output_names(&words);
    w.put(
        "sweep.csv".into(),
        points_csv(study, points, &[]).as_bytes(),
    )?;
    let grid = *design == SweepDesign::Grid;
    let d = study.dims.len();
    if w.charts && grid && (d == 1 || d == 2) {
        for &k in charted {
            let c = if d == 1 {
                let pts: Vec<(f64, f64, f64, f64)> = study
                    .specs
                    .iter()
                    .zip(points)
                    .filter_map(|(s, p)| {
                        let (v, lo, hi) = triple(&p.outputs[k]);
                        v.is_finite().then(|| (study.dims[0].at(s.unit[0]), v, lo, hi))
                    })
                    .collect();
                if pts.len() < 2 {
                    w.report.push_str(&format!("no chart of {}: defined at fewer than two points\n", names[k]));
                    continue;
                }
                charts::line(
                    &w.caption,
                    &study.dims[0].path,
                    &names[k],
                    &output_description(&words, k),
                    &pts,
                )
            } else {
                let (nx, ny) = (study.dims[0].steps, study.dims[1].steps);
                let xs: Vec<f64> = (0..nx).map(|i| study.dims[0].at(study.specs[i * ny].unit[0])).collect();
                let ys: Vec<f64> = (0..ny).map(|j| study.dims[1].at(study.specs[j].unit[1])).collect();
                let v: Vec<Vec<f64>> = (0..nx).map(|i| (0..ny).map(|j| points[i * ny + j].value(k)).collect()).collect();
                if nx < 2 || ny < 2 || v.iter().flatten().any(|z| !z.is_finite()) {
                    w.report.push_str(&format!("no heatmap of {}: needs at least 2 steps per parameter and the output defined at every point\n", names[k]));
                    continue;
                }
                let base_of = |path: &str| {
                    study.template.base.scenario.params.iter().find(|p| p.path == path).and_then(|p| p.number)
                };
                let base = base_of(&study.dims[0].path).zip(base_of(&study.dims[1].path));
                charts::heatmap(&w.caption, &study.dims[0].path, &study.dims[1].path, &names[k], &xs, &ys, &v, base)
            }
            .map_err(Failure::Input)?;
            w.put_chart(format!("sweep_{}.png", names[k]), &c)?;
        }
    } else if w.charts {
        w.report.push_str("no charts: they are drawn for grids of one or two parameters; sweep.csv has every point\n");
    }
    let mut header: Vec<String> = study.dims.iter().map(|d| d.path.clone()).collect();
    header.extend(charted.iter().map(|&k| format!("{} [95% CI]", names[k])));
    let rows: Vec<Vec<String>> = study
        .specs
        .iter()
        .zip(points)
        .take(PRINTED_ROWS)
        .map(|(s, p)| {
            let mut r: Vec<String> = study::values(&study.dims, &s.unit)
                .iter()
                .map(|(_, v)| num(*v, 4))
                .collect();
            r.extend(charted.iter().map(|&k| cell(&p.outputs[k])));
            r
        })
        .collect();
    w.report.insert_str(0, &render(&header, &rows));
    if points.len() > PRINTED_ROWS {
        w.report.push_str(&format!(
            "... {} more points in sweep.csv\n",
            points.len() - PRINTED_ROWS
        ));
    }
    Ok(())
}

/// Indices, the claims ranking, the noise floor, points and charts of a sensitivity study.
fn write_sensitivity(
    study: &Study,
    points: &[Point],
    w: &mut Written<'_>,
    design: &SensDesign,
    outputs: &[usize],
    groups: &[Group],
) -> Result<(), Failure> {
    let words = study.names();
    let names = output_names(&words);
    let roles: Vec<String> = (0..points.len())
        .map(|i| {
            if i < points.len() - design.repeats {
                "design".into()
            } else {
                "repeat".into()
            }
        })
        .collect();
    let seeds: Vec<String> = study.specs.iter().map(|s| s.seed.to_string()).collect();
    w.put(
        "points.csv".into(),
        points_csv(study, points, &[("role", roles), ("seed", seeds)]).as_bytes(),
    )?;
    let mut ind = line(INDICES_HEADER.map(String::from));
    let mut cl = line(CLAIMS_HEADER.map(String::from));
    let mut noise = line(NOISE_HEADER.map(String::from));
    let mut analysed: Vec<serde_json::Value> = Vec::new();
    for &k in outputs {
        let s: Sensitivity = match study::sensitivity(design, points, groups, k, study.spec.seed) {
            Ok(s) => s,
            Err(e) => {
                w.report
                    .push_str(&format!("{}: not analysed: {e}\n", names[k]));
                continue;
            }
        };
        sensitivity_rows(study, design, &s, &names[k], &mut ind, &mut noise);
        let claims = claims_section(study, design, &s, groups, &names[k], &mut cl, &mut w.report);
        top_section(study, design, &s, &names[k], &mut w.report);
        analysed.push(serde_json::json!({"output": &names[k], "trajectories_or_rows_used": s.used, "noise_sd": s.noise_sd, "noise_floor": s.floor}));
        if w.charts {
            sensitivity_charts(study, design, &s, &names[k], &claims, w)?;
        }
    }
    w.put("indices.csv".into(), ind.as_bytes())?;
    w.put("claims.csv".into(), cl.as_bytes())?;
    w.put("noise.csv".into(), noise.as_bytes())?;
    w.manifest.insert(
        "method".into(),
        format!("{:?}", design.method).to_lowercase().into(),
    );
    w.manifest.insert("samples".into(), design.samples.into());
    w.manifest.insert("repeats".into(), design.repeats.into());
    w.manifest.insert("outputs".into(), analysed.into());
    Ok(())
}

/// Names of the indices of a method: (first, second, the one that ranks).
fn index_names(method: Method) -> (&'static str, &'static str, &'static str) {
    match method {
        Method::Morris => ("mu_star", "sigma", "mu*"),
        Method::Sobol => ("first_order", "total", "total index"),
    }
}

/// noise.csv's row and indices.csv's rows of one output.
fn sensitivity_rows(
    study: &Study,
    design: &SensDesign,
    s: &Sensitivity,
    name: &str,
    ind: &mut String,
    noise: &mut String,
) {
    let (first_name, second_name, rank_name) = index_names(design.method);
    noise.push_str(&line([
        name.into(),
        design.repeats.to_string(),
        num(s.noise_sd, 6),
        num(s.variance, 6),
        num(s.floor, 6),
        rank_name.into(),
    ]));
    for (i, d) in study.dims.iter().enumerate() {
        for (iname, b) in [
            (first_name, s.indices.first[i]),
            (second_name, s.indices.second[i]),
        ] {
            let ranked = iname == first_name && design.method == Method::Morris
                || iname == second_name && design.method == Method::Sobol;
            ind.push_str(&line([
                name.into(),
                d.path.clone(),
                d.claim.clone().unwrap_or_default(),
                num(d.lo, 8),
                num(d.hi, 8),
                iname.into(),
                num(b.value, 6),
                num(b.lo, 6),
                num(b.hi, 6),
                num(b.noise_se, 6),
                num(s.floor, 6),
                if ranked {
                    if s.resolved(i) {
                        "yes".into()
                    } else {
                        "no".into()
                    }
                } else {
                    String::new()
                },
            ]));
        }
    }
}

// long: the CSV rows, the terminal table and its note, and the chart values, from one pass over the ranked claims.
/// claims.csv's rows and the terminal's claims table of one output; returns the claims chart's
/// labels and values.
fn claims_section(
    study: &Study,
    design: &SensDesign,
    s: &Sensitivity,
    groups: &[Group],
    name: &str,
    cl: &mut String,
    report: &mut String,
) -> (Vec<String>, Vec<(f64, f64, f64)>) {
    let rank_name = index_names(design.method).2;
    let mut table = Vec::new();
    let mut chart_names = Vec::new();
    let mut chart_vals = Vec::new();
    for (rank, c) in s.rank_claims(groups).iter().enumerate() {
        let grp = &groups[c.group];
        let b = c.sum;
        let above = c.above_noise;
        let top = c.strongest;
        let strongest = top.map_or(String::new(), |i| study.dims[i].path.clone());
        cl.push_str(&line([
            name.into(),
            (rank + 1).to_string(),
            grp.claim.clone(),
            grp.members.len().to_string(),
            rank_name.into(),
            num(b.value, 6),
            num(b.lo, 6),
            num(b.hi, 6),
            num(b.noise_se, 6),
            above.to_string(),
            strongest.clone(),
            top.map_or(String::new(), |i| num(s.ranking(i).value, 6)),
        ]));
        table.push(vec![
            (rank + 1).to_string(),
            format!("{} {}", grp.claim, grp.title),
            format!("{} [{}, {}]", num(b.value, 4), num(b.lo, 4), num(b.hi, 4)),
            format!("{above} of {}", grp.members.len()),
            strongest,
        ]);
        chart_names.push(format!(
            "{} {} ({})",
            grp.claim,
            grp.title,
            grp.members.len()
        ));
        chart_vals.push((b.value, b.lo, b.hi));
    }
    report.push_str(&format!(
        "\n{}: claims ranked by the sum of their parameters' {rank_name} (95% CI: bootstrap over the design, widened by the noise its points share); noise floor per parameter {} ({} repeats of the centre point, sd of the estimate {})\n\n",
        name,
        num(s.floor, 4),
        design.repeats,
        num(s.noise_sd, 4)
    ));
    report.push_str(&render_text(
        &[
            "rank".into(),
            "claim".into(),
            format!("sum of {rank_name} [95% CI]"),
            "parameters above noise".into(),
            "strongest parameter".into(),
        ],
        &table,
    ));
    // A claim ranks by the parameters this scenario gives it: say which claims have only one,
    // where the reader sees the ranking (e.g. P2 in the baseline, which has no Kushner channel).
    let thin: Vec<String> = groups
        .iter()
        .filter(|g| g.members.len() == 1 && g.claim != "none")
        .map(|g| format!("{} ({})", g.claim, study.dims[g.members[0]].path))
        .collect();
    if !thin.is_empty() {
        report.push_str(&format!(
            "note: a claim ranks by the parameters this scenario gives it to vary. {} {} only one here, so a low rank can mean the scenario lacks the claim's mechanism (a channel it does not have), not that the claim matters little: an intervention that adds it shows its weight (compare --explain).\n",
            thin.join(", "),
            if thin.len() == 1 { "has" } else { "have" }
        ));
    }
    (chart_names, chart_vals)
}

/// The terminal's table of the strongest parameters of one output.
fn top_section(
    study: &Study,
    design: &SensDesign,
    s: &Sensitivity,
    name: &str,
    report: &mut String,
) {
    let (first_name, second_name, _) = index_names(design.method);
    // The strongest parameters (all are in indices.csv).
    let by = s.parameters_by_rank();
    let top: Vec<Vec<String>> = by
        .iter()
        .take(TOP_PARAMETERS)
        .map(|&i| {
            let d = &study.dims[i];
            let (f, sec) = (s.indices.first[i], s.indices.second[i]);
            vec![
                d.path.clone(),
                d.claim.clone().unwrap_or_default(),
                format!("{} .. {}", num(d.lo, 4), num(d.hi, 4)),
                format!("{} [{}, {}]", num(f.value, 4), num(f.lo, 4), num(f.hi, 4)),
                format!(
                    "{} [{}, {}]",
                    num(sec.value, 4),
                    num(sec.lo, 4),
                    num(sec.hi, 4)
                ),
                if s.resolved(i) {
                    "yes".into()
                } else {
                    "no".into()
                },
            ]
        })
        .collect();
    report.push_str(&format!(
        "\n{}: the {} strongest of {} parameters (indices.csv has all)\n\n",
        name,
        top.len(),
        study.dims.len()
    ));
    report.push_str(&render_text(
        &[
            "parameter".into(),
            "claim".into(),
            "range".into(),
            format!("{first_name} [95% CI]"),
            format!("{second_name} [95% CI]"),
            "above noise".into(),
        ],
        &top,
    ));
}

/// The method's chart and the claims chart of one output.
fn sensitivity_charts(
    study: &Study,
    design: &SensDesign,
    s: &Sensitivity,
    name: &str,
    claims: &(Vec<String>, Vec<(f64, f64, f64)>),
    w: &mut Written<'_>,
) -> Result<(), Failure> {
    let rank_name = index_names(design.method).2;
    let (chart_names, chart_vals) = claims;
    let labels: Vec<String> = study.dims.iter().map(label).collect();
    let c = match design.method {
        Method::Morris => {
            let mu: Vec<(f64, f64, f64)> = s
                .indices
                .first
                .iter()
                .map(|b| (b.value, b.lo, b.hi))
                .collect();
            let sigma: Vec<f64> = s.indices.second.iter().map(|b| b.value).collect();
            charts::morris(&w.caption, name, &labels, &mu, &sigma, s.floor)
        }
        Method::Sobol => {
            let mut idx: Vec<usize> = (0..labels.len()).collect();
            idx.sort_by(|&a, &b| {
                s.indices.second[b]
                    .value
                    .total_cmp(&s.indices.second[a].value)
            });
            let l: Vec<String> = idx.iter().map(|&i| labels[i].clone()).collect();
            let s1: Vec<(f64, f64, f64)> = idx
                .iter()
                .map(|&i| s.indices.first[i])
                .map(|b| (b.value, b.lo, b.hi))
                .collect();
            let st: Vec<(f64, f64, f64)> = idx
                .iter()
                .map(|&i| s.indices.second[i])
                .map(|b| (b.value, b.lo, b.hi))
                .collect();
            charts::sobol(&w.caption, name, &l, &s1, &st, s.floor)
        }
    }
    .map_err(Failure::Input)?;
    w.put_chart(
        format!(
            "{}_{}.png",
            if design.method == Method::Morris {
                "morris"
            } else {
                "sobol"
            },
            name
        ),
        &c,
    )?;
    let c = charts::claims(
        &w.caption,
        name,
        rank_name,
        chart_names,
        chart_vals,
        s.floor,
        &study.template.base.scenario.claims,
    )
    .map_err(Failure::Input)?;
    w.put_chart(format!("claims_{}.png", name), &c)?;
    Ok(())
}

/// The discovery's points, PRIM trajectory, boxes and chart.
// long: the PRIM trajectory, the chosen box and its simplification share one pass; to be split (issue 13 follow-up).
#[allow(clippy::too_many_arguments)]
fn write_discover(
    study: &Study,
    points: &[Point],
    w: &mut Written<'_>,
    outcome: &Outcome,
    threshold: f64,
    alpha: f64,
    min_support: f64,
    min_coverage: f64,
    max_p: f64,
) -> Result<(), Failure> {
    // PRIM peels the first half of the points; the second half is the same points held out.
    let min_pts = ((min_support * (points.len() / 2) as f64).ceil() as usize).max(1);
    let disc = study::discover(
        &study.specs,
        points,
        threshold,
        alpha,
        min_pts,
        min_coverage,
    );
    let shares: Vec<String> = points
        .iter()
        .map(|p| opt(p.outcome_share().and_then(|e| e.value)))
        .collect();
    let lows: Vec<String> = points
        .iter()
        .map(|p| opt(p.outcome_share().and_then(|e| e.lo)))
        .collect();
    let highs: Vec<String> = points
        .iter()
        .map(|p| opt(p.outcome_share().and_then(|e| e.hi)))
        .collect();
    let yes_no = |c: &bool| if *c { "yes".into() } else { "no".into() };
    let cases: Vec<String> = disc
        .fit
        .cases
        .iter()
        .chain(&disc.held.cases)
        .map(yes_no)
        .collect();
    let n_fit = disc.points.len();
    let roles: Vec<String> = (0..points.len())
        .map(|i| if i < n_fit { "fit" } else { "held-out" }.into())
        .collect();
    let seeds: Vec<String> = study.specs.iter().map(|s| s.seed.to_string()).collect();
    w.put(
        "points.csv".into(),
        points_csv(
            study,
            points,
            &[
                ("role", roles),
                ("seed", seeds),
                ("outcome_share", shares),
                ("outcome_share_ci_low", lows),
                ("outcome_share_ci_high", highs),
                ("case", cases),
            ],
        )
        .as_bytes(),
    )?;
    let mut header: Vec<String> = [
        "step",
        "coverage",
        "density",
        "points",
        "held_out_coverage",
        "held_out_density",
    ]
    .map(String::from)
    .to_vec();
    for d in &study.dims {
        header.extend([format!("{}_low", d.path), format!("{}_high", d.path)]);
    }
    let mut traj = line(header);
    let held: Vec<_> = disc
        .trajectory
        .iter()
        .map(|s| disc.on_held_out(&s.bounds))
        .collect();
    for (i, (s, h)) in disc.trajectory.iter().zip(&held).enumerate() {
        let mut cells = vec![
            i.to_string(),
            num(s.coverage, 6),
            num(s.density, 6),
            s.support.to_string(),
            num(h.coverage.value, 6),
            num(h.density.value, 6),
        ];
        for (d, b) in study.dims.iter().zip(&s.bounds) {
            cells.extend([num(d.at(b.0), 8), num(d.at(b.1), 8)]);
        }
        traj.push_str(&line(cells));
    }
    w.put("prim_trajectory.csv".into(), traj.as_bytes())?;
    let n_cases = disc.fit.cases.iter().filter(|&&c| c).count();
    let best_share = disc.fit.shares.iter().copied().fold(0.0, f64::max);
    let chosen = &disc.trajectory[disc.chosen];
    let simple = disc.simplified(max_p);
    let ps = disc.quasi_p(&chosen.bounds);
    let simple_ps = disc.quasi_p(&simple.bounds);
    let ci = |b: &crate::explore::indices::Boot| {
        if b.lo.is_finite() && b.hi.is_finite() {
            format!("{:.1}% to {:.1}%", b.lo * 100.0, b.hi * 100.0)
        } else {
            "-".into()
        }
    };
    let fits = |b: &crate::explore::indices::Bounds| (disc.on_fit(b), disc.on_held_out(b));
    let mut boxcsv = line(
        [
            "parameter",
            "claim",
            "range_low",
            "range_high",
            "box_low",
            "box_high",
            "restricted",
            "quasi_p",
            "simplified_low",
            "simplified_high",
            "simplified_restricted",
            "simplified_quasi_p",
        ]
        .map(String::from),
    );
    let mut table = Vec::new();
    let restricted = |b: (f64, f64)| b.0 > 0.0 || b.1 < 1.0;
    let yes = |c: bool| {
        if c {
            "yes".to_string()
        } else {
            "no".to_string()
        }
    };
    let p_of = |ps: &[(usize, f64)], k: usize| {
        ps.iter()
            .find(|p| p.0 == k)
            .map_or(String::new(), |p| format!("{:.3e}", p.1))
    };
    for (k, d) in study.dims.iter().enumerate() {
        let (b, sb) = (chosen.bounds[k], simple.bounds[k]);
        boxcsv.push_str(&line([
            d.path.clone(),
            d.claim.clone().unwrap_or_default(),
            num(d.lo, 8),
            num(d.hi, 8),
            num(d.at(b.0), 8),
            num(d.at(b.1), 8),
            yes(restricted(b)),
            p_of(&ps, k),
            num(d.at(sb.0), 8),
            num(d.at(sb.1), 8),
            yes(restricted(sb)),
            p_of(&simple_ps, k),
        ]));
        if restricted(b) || restricted(sb) {
            let shown = |x: (f64, f64)| {
                if restricted(x) {
                    format!("{} .. {}", num(d.at(x.0), 4), num(d.at(x.1), 4))
                } else {
                    "-".to_string()
                }
            };
            table.push(vec![
                d.path.clone(),
                d.claim.as_deref().map_or(String::new(), |c| {
                    let claims = &study.template.base.scenario.claims;
                    format!("{c} {}", claims.title_of(c).unwrap_or(""))
                }),
                format!("{} .. {}", num(d.lo, 4), num(d.hi, 4)),
                shown(b),
                p_of(&ps, k),
                shown(sb),
                p_of(&simple_ps, k),
            ]);
        }
    }
    w.put("box.csv".into(), boxcsv.as_bytes())?;
    if w.charts {
        let t: Vec<(f64, f64)> = disc
            .trajectory
            .iter()
            .map(|s| (s.coverage, s.density))
            .collect();
        let h: Vec<(f64, f64)> = held
            .iter()
            .map(|s| (s.coverage.value, s.density.value))
            .collect();
        let c = charts::prim(
            &w.caption,
            &t,
            &h,
            disc.chosen,
            (simple.coverage, simple.density),
        )
        .map_err(Failure::Input)?;
        w.put_chart("prim.png".into(), &c)?;
    }
    w.report.push_str(&format!(
        "outcome '{}': {n_cases} of {} points are cases (at least {:.0}% of their {} replicates meet it; the highest share seen is {:.1}%); each point also ran on a held-out seed\n",
        outcome.text,
        disc.points.len(),
        threshold * 100.0,
        study.runs,
        best_share * 100.0
    ));
    if n_cases == 0 {
        w.report.push_str(
            "no point is a case: PRIM has nothing to find; lower --threshold or widen the ranges\n",
        );
    } else {
        let n_restricted = chosen.bounds.iter().filter(|b| restricted(**b)).count();
        let (cf, ch) = fits(&chosen.bounds);
        let (sf, sh) = fits(&simple.bounds);
        let held_cases = disc.held.cases.iter().filter(|&&c| c).count();
        w.report.push_str(&format!(
            "PRIM box (step {} of {}): {}; on the points it was peeled on: coverage {:.1}% of the cases (95% CI {}), density {:.1}% (95% CI {}) over {} points, against {:.1}% in the whole space\n",
            disc.chosen,
            disc.trajectory.len() - 1,
            restricted_count(n_restricted),
            cf.coverage.value * 100.0,
            ci(&cf.coverage),
            cf.density.value * 100.0,
            ci(&cf.density),
            cf.support,
            disc.trajectory[0].density * 100.0
        ));
        w.report.push_str(&format!(
            "  on held-out replicates (same points, independent seed; {held_cases} cases): coverage {:.1}% (95% CI {}), density {:.1}% (95% CI {}): what to expect of the box\n",
            ch.coverage.value * 100.0,
            ci(&ch.coverage),
            ch.density.value * 100.0,
            ci(&ch.density),
        ));
        w.report.push_str(&format!(
            "simplified box (restrictions with quasi-p > {max_p} dropped): {}; coverage {:.1}%, density {:.1}% (95% CI {}) over {} points; held out: coverage {:.1}% (95% CI {}), density {:.1}% (95% CI {})\n",
            restricted_count(simple.bounds.iter().filter(|b| restricted(**b)).count()),
            sf.coverage.value * 100.0,
            sf.density.value * 100.0,
            ci(&sf.density),
            sf.support,
            sh.coverage.value * 100.0,
            ci(&sh.coverage),
            sh.density.value * 100.0,
            ci(&sh.density),
        ));
        w.report.push_str("(intervals cover the points' sampling and the noise the points share through their seed: Wilson over points, widened by a delete-a-group jackknife over replicate groups)\n\n");
        w.manifest.insert(
            "held_out".into(),
            serde_json::json!({
                "seed": crate::explore::study::holdout_seed(study.spec.seed),
                "box_coverage": ch.coverage.value,
                "box_density": ch.density.value,
                "simplified_coverage": sh.coverage.value,
                "simplified_density": sh.density.value,
            }),
        );
        if table.is_empty() {
            w.report.push_str("the box restricts no parameter\n");
        } else {
            w.report.push_str(&render_text(
                &[
                    "parameter".into(),
                    "claim".into(),
                    "range explored".into(),
                    "PRIM box".into(),
                    "quasi-p".into(),
                    "simplified box".into(),
                    "quasi-p".into(),
                ],
                &table,
            ));
        }
    }
    w.manifest
        .insert("outcome".into(), outcome.text.clone().into());
    w.manifest.insert("threshold".into(), (threshold).into());
    w.manifest.insert("cases".into(), n_cases.into());
    w.manifest.insert("chosen_step".into(), disc.chosen.into());
    Ok(())
}

/// Writes a study's files, its manifest and its terminal report; commits the output directory.
// long: dispatch to the writer of the study kind, then the manifest and the terminal report.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    study: &Study,
    points: &[Point],
    mut out: OutputDir,
    charts_on: bool,
    command_line: Vec<String>,
    threads: usize,
    started: Instant,
    started_utc: String,
) -> Result<PathBuf, Failure> {
    let err = |e: OutputError| Failure::Input(e.to_string());
    if charts_on && !crate::report::charts::style::fonts() {
        return Err(Failure::Input(
            "cannot load the embedded DejaVu font".into(),
        ));
    }
    let mut w = Written {
        out: &mut out,
        files: Vec::new(),
        report: String::new(),
        manifest: serde_json::Map::new(),
        charts: charts_on,
        caption: study.caption(),
    };
    match &study.kind {
        Kind::Sweep { design, charted } => write_sweep(study, points, &mut w, design, charted)?,
        Kind::Sensitivity {
            design,
            outputs,
            groups,
        } => write_sensitivity(study, points, &mut w, design, outputs, groups)?,
        Kind::Discover {
            outcome,
            threshold,
            alpha,
            min_support,
            min_coverage,
            max_p,
        } => write_discover(
            study,
            points,
            &mut w,
            outcome,
            *threshold,
            *alpha,
            *min_support,
            *min_coverage,
            *max_p,
        )?,
    }
    let Written {
        mut files,
        report,
        manifest: extra_manifest,
        ..
    } = w;
    let mut manifest = serde_json::json!({
        "negsim_version": env!("CARGO_PKG_VERSION"),
        "git_commit": crate::report::manifest::GIT_COMMIT,
        "command": study.command,
        "command_line": command_line,
        "scenario": study.base.path,
        "overlays": study.overlays.iter().map(|o| o.path.clone()).collect::<Vec<_>>(),
        "parameters": study.dims.iter().map(|d| serde_json::json!({"path": d.path, "low": d.lo, "high": d.hi, "steps": d.steps, "claim": d.claim})).collect::<Vec<_>>(),
        "points": study.specs.len(),
        "replicates_per_point": study.runs,
        "seed": study.spec.seed,
        "weeks": study.weeks,
        "fingerprint": study.fingerprint,
        "threads": threads,
        "started_utc": started_utc,
        "wall_seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        "files": files.iter().cloned().chain(["manifest.json".to_string()]).collect::<Vec<_>>(),
    });
    if let Some(m) = manifest.as_object_mut() {
        m.extend(extra_manifest);
    }
    out.write("manifest.json", format!("{manifest:#}\n").as_bytes())
        .map_err(err)?;
    files.push("manifest.json".into());
    let root = out.root().to_path_buf();
    out.commit().map_err(err)?;
    out!("{report}");
    outln!(
        "\n{} points x {} replicates {} {:.1} s; wrote {} files to {}",
        points.len(),
        study.runs,
        if threads == 0 {
            "merged from shards in"
        } else {
            "in"
        },
        started.elapsed().as_secs_f64(),
        files.len(),
        root.display()
    );
    Ok(root)
}
