//! Charts (plotters; text in the embedded DejaVu font). Each chart is drawn once on a recorder
//! (`canvas`) and rendered to bytes as a PNG, a PNG at 2x and an SVG, written by the output
//! directory like any other file: byte-identical for identical results, never half-written.

pub mod canvas;
mod distribution;
pub mod explore;
mod fan;
mod forest;
pub mod posterior;
mod regimes;
mod story;
pub mod style;
mod survival;
pub mod waterfall;
pub mod worlds;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::TariffPoint;
use crate::ensemble::summary::ArmSummary;
use crate::ensemble::{Aggregate, Arm};

use super::csv::Story;

/// What the charts are drawn from.
pub struct Input<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// Replicates per arm.
    pub runs: u64,
    /// Seed.
    pub seed: u64,
    /// Arms (the first is the baseline).
    pub arms: &'a [Arm],
    /// The aggregate.
    pub agg: &'a Aggregate,
    /// Per-arm summaries.
    pub sums: &'a [ArmSummary],
    /// First traced replicate per arm.
    pub stories: &'a [Option<Story>],
    /// Real tariff readings (shown where they fall inside the horizon).
    pub real: &'a [TariffPoint],
    /// The same arms across plausible worlds, when the job ran them (the forest plot shows both).
    pub worlds: Option<&'a crate::report::answer::WorldsBrief>,
    /// Each effect split into its changes, when the job ran `--explain` (the waterfall chart).
    pub explain: Option<&'a crate::report::answer::ExplainBrief>,
}

/// One rendered chart.
pub struct Chart {
    /// File name.
    pub file: &'static str,
    /// Title (also the report's heading).
    pub title: String,
    /// Two-line reading guide for the report.
    pub guide: String,
    /// The chart as PNG, PNG at 2x and SVG.
    pub png: canvas::Rendered,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

/// The backend every chart draws on.
pub(crate) type Backend<'b> = canvas::Recorder<'b>;

/// The folder, under a chart's own, of its print forms (SVG and PNG at 2x).
pub const PRINT_DIR: &str = "print";

/// The print forms of the chart file `png` ("dir/NAME.png"): "dir/print/NAME.svg" and
/// "dir/print/NAME_2x.png".
pub fn print_files(png: &str) -> [String; 2] {
    let (dir, name) = match png.rsplit_once('/') {
        Some((d, n)) => (format!("{d}/"), n),
        None => (String::new(), png),
    };
    let stem = name.strip_suffix(".png").unwrap_or(name);
    [
        format!("{dir}{PRINT_DIR}/{stem}.svg"),
        format!("{dir}{PRINT_DIR}/{stem}_2x.png"),
    ]
}

impl Chart {
    /// Writes the chart as `png` (a path relative to `out`) and its print forms beside it
    /// ([`print_files`]); returns the three files, relative to `out`.
    pub fn write_as(
        &self,
        out: &mut crate::report::output::OutputDir,
        png: &str,
    ) -> Result<[String; 3], crate::report::output::OutputError> {
        let [svg, png2x] = print_files(png);
        let dir = match png.rsplit_once('/') {
            Some((d, _)) => format!("{d}/{PRINT_DIR}"),
            None => PRINT_DIR.to_string(),
        };
        out.ensure_dir(&dir)?;
        out.write(png, &self.png.png)?;
        out.write(&svg, &self.png.svg)?;
        out.write(&png2x, &self.png.png2x)?;
        Ok([png.to_string(), svg, png2x])
    }

    /// Writes the chart under its own file name at the root of `out` ([`Chart::write_as`]).
    pub fn write(
        &self,
        out: &mut crate::report::output::OutputDir,
    ) -> Result<[String; 3], crate::report::output::OutputError> {
        self.write_as(out, self.file)
    }
}

pub(crate) type Area<'b> = DrawingArea<Backend<'b>, Shift>;

/// Draws a `w` x `h` chart on a white ground and renders it in its three forms.
fn render(
    w: u32,
    h: u32,
    draw: impl FnOnce(&Area<'_>) -> Result<(), String>,
) -> Result<canvas::Rendered, String> {
    let (rec, ops) = canvas::Recorder::new((w, h));
    {
        let root = rec.into_drawing_area();
        root.fill(&WHITE).map_err(style::err)?;
        draw(&root)?;
        root.present().map_err(style::err)?;
    }
    let ops = ops.borrow();
    canvas::render((w, h), &ops)
}

/// Draws the title at the top and the caption at the bottom; returns the body between them.
pub(crate) fn frame<'b>(root: &Area<'b>, title: &str, caption: &str) -> Result<Area<'b>, String> {
    let (top, rest) = root.split_vertically(56);
    top.draw_text(title, &style::title_font().color(&BLACK), (20, 14))
        .map_err(style::err)?;
    let h = rest.dim_in_pixel().1;
    let (body, bottom) = rest.split_vertically(h.saturating_sub(34));
    bottom
        .draw_text(
            caption,
            &style::caption_font().color(&RGBColor(90, 90, 90)),
            (20, 8),
        )
        .map_err(style::err)?;
    Ok(body)
}

impl Input<'_> {
    /// "scenario baseline · 10000 runs per arm · seed ... · negsim x.y.z"
    fn caption(&self) -> String {
        format!(
            "scenario: {} · {} runs per arm · seed {} · {} arm{} · negsim {}",
            self.scenario,
            self.runs,
            self.seed,
            self.arms.len(),
            if self.arms.len() == 1 { "" } else { "s" },
            env!("CARGO_PKG_VERSION")
        )
    }
}

/// Renders every chart that applies (the forest plot needs at least two arms).
pub fn render_all(inp: &Input<'_>) -> Result<Vec<Chart>, String> {
    if !style::fonts() {
        return Err("cannot load the embedded DejaVu font".into());
    }
    type Draw = fn(&Input<'_>) -> Result<Chart, String>;
    let mut draws: Vec<Draw> = vec![fan::chart, regimes::chart, survival::chart];
    if inp.arms.len() > 1 {
        draws.push(forest::chart);
    }
    if inp.explain.is_some() {
        draws.push(|inp| match inp.explain {
            Some(e) => waterfall::chart(&e.all, e.runs, &inp.caption()),
            None => Err("no decomposition to draw".into()),
        });
    }
    draws.extend([distribution::chart as Draw, story::chart]);
    // Each chart is drawn on its own (they share only read-only inputs and the registered font),
    // in parallel, and collected in this fixed order: the same files on any number of threads.
    use rayon::prelude::*;
    draws.par_iter().map(|d| d(inp)).collect()
}

#[cfg(test)]
mod print_tests {
    #[test]
    fn print_forms_sit_in_a_print_folder_beside_the_png() {
        assert_eq!(
            super::print_files("story.png"),
            ["print/story.svg", "print/story_2x.png"]
        );
        assert_eq!(
            super::print_files("a/b.png"),
            ["a/print/b.svg", "a/print/b_2x.png"]
        );
    }
}
