//! Charts (PNG, plotters on an in-memory bitmap; text in the embedded DejaVu font). Each chart is
//! rendered to bytes here and written by the output directory like any other file, so charts are
//! byte-identical for identical results and never appear half-written.

mod distribution;
pub mod explore;
mod fan;
mod forest;
pub mod posterior;
mod regimes;
mod story;
pub mod style;
mod survival;
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
}

/// One rendered chart.
pub struct Chart {
    /// File name.
    pub file: &'static str,
    /// Title (also the report's heading).
    pub title: String,
    /// Two-line reading guide for the report.
    pub guide: String,
    /// PNG bytes.
    pub png: Vec<u8>,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

pub(crate) type Area<'b> = DrawingArea<BitMapBackend<'b>, Shift>;

/// Renders into a fresh white bitmap of `w` x `h` and encodes it.
fn render(
    w: u32,
    h: u32,
    draw: impl FnOnce(&Area<'_>) -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    let mut buf = vec![255u8; (w as usize) * (h as usize) * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(style::err)?;
        draw(&root)?;
        root.present().map_err(style::err)?;
    }
    style::encode_png(&buf, w, h)
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
    draws.extend([distribution::chart as Draw, story::chart]);
    // Each chart is drawn on its own (they share only read-only inputs and the registered font),
    // in parallel, and collected in this fixed order: the same files on any number of threads.
    use rayon::prelude::*;
    draws.par_iter().map(|d| d(inp)).collect()
}
