//! Shared chart style: the embedded DejaVu font, a colour-blind-safe palette (Okabe & Ito 2008),
//! sizes, the caption line, date labels and PNG encoding. No system fonts or fontconfig needed.

use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::scenario::date::Date;

/// Font family name under which DejaVu Sans is registered.
pub const FONT: &str = "sans-serif";

/// Registers DejaVu Sans (regular and bold) once; returns whether fonts are available.
pub fn fonts() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    })
}

/// Okabe–Ito colours.
pub const BLACK: RGBColor = RGBColor(0, 0, 0);
/// Okabe–Ito orange.
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
/// Okabe–Ito sky blue.
pub const SKY: RGBColor = RGBColor(86, 180, 233);
/// Okabe–Ito bluish green.
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
/// Okabe–Ito yellow.
pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
/// Okabe–Ito blue.
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
/// Okabe–Ito vermillion.
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
/// Okabe–Ito reddish purple.
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
/// Neutral grey for "neither" and grid lines.
pub const GREY: RGBColor = RGBColor(170, 170, 170);

/// Colour of arm `a`: the baseline is black; interventions follow the Okabe–Ito order, the same
/// in every chart.
pub fn arm_colour(a: usize) -> RGBColor {
    const ORDER: [RGBColor; 8] = [BLACK, BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY, YELLOW];
    ORDER[a % ORDER.len()]
}

/// Colour of a side (US blue, China orange).
pub fn side_colour(side: usize) -> RGBColor {
    if side == 0 { BLUE } else { ORANGE }
}

/// Regime colours: neither, truce, escalation (the order of `Regime as usize`).
pub const REGIME_COLOURS: [RGBColor; 3] = [GREY, GREEN, VERMILLION];

/// Title font.
pub fn title_font() -> FontDesc<'static> {
    // `FontDesc::style` only relabels the regular face's data; `new` loads the bold face, so
    // the title is measured and drawn in the same (bold) glyphs.
    FontDesc::new(FontFamily::Name(FONT), 28.0, FontStyle::Bold)
}

/// Panel title font.
pub fn panel_font() -> FontDesc<'static> {
    (FONT, 20).into_font()
}

/// Axis label font.
pub fn label_font() -> FontDesc<'static> {
    (FONT, 16).into_font()
}

/// Caption font.
pub fn caption_font() -> FontDesc<'static> {
    (FONT, 15).into_font()
}

/// Days per mean Gregorian year, for the fractional-year time axis.
const DAYS_PER_YEAR: f64 = 365.2425;

/// The time axis is in fractional years (so ticks fall on round years and half-years): the
/// position of the start of week `w` of a scenario starting at `start`.
pub fn year_of_week(start: Date, w: f64) -> f64 {
    1970.0 + (start.as_days() as f64 + 7.0 * w) / DAYS_PER_YEAR
}

/// "2026-01" for a position on the fractional-year axis.
pub fn month_label(x: f64) -> String {
    let d = Date::EPOCH.add_days(((x - 1970.0) * DAYS_PER_YEAR).round() as i64);
    let (y, m, _) = d.ymd();
    format!("{y}-{m:02}")
}

/// Horizons shorter than this many weeks label the date axis by day, since several ticks fall in
/// one month.
const DAY_LABELS_BELOW_WEEKS: usize = 78;

/// Date-axis label of a fractional year for a horizon of `weeks`: year-month, or year-month-day
/// on short horizons.
pub fn date_label(x: f64, weeks: usize) -> String {
    if weeks >= DAY_LABELS_BELOW_WEEKS {
        return month_label(x);
    }
    let d = Date::EPOCH.add_days(((x - 1970.0) * DAYS_PER_YEAR).round() as i64);
    let (y, m, day) = d.ymd();
    format!("{y}-{m:02}-{day:02}")
}

/// Date-axis description matching [`date_label`].
pub fn date_desc(weeks: usize) -> &'static str {
    if weeks >= DAY_LABELS_BELOW_WEEKS {
        "date (year-month)"
    } else {
        "date"
    }
}

/// The x range of a scenario's horizon on the fractional-year axis.
pub fn year_range(start: Date, weeks: usize) -> std::ops::Range<f64> {
    year_of_week(start, 0.0)..year_of_week(start, weeks as f64)
}

/// Integer tick labels ("150", not "150.0").
pub fn int_label(y: &f64) -> String {
    format!("{y:.0}")
}

/// Draws a panel title at the top left of `area`: a swatch in `colour` and the text in black.
pub fn panel_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    text: &str,
    colour: RGBColor,
) -> Result<(), String> {
    area.draw(&Rectangle::new([(70, 10), (86, 26)], colour.filled()))
        .map_err(err)?;
    area.draw_text(text, &panel_font().color(&BLACK), (94, 6))
        .map_err(err)?;
    Ok(())
}

/// Encodes an RGB buffer as PNG (deterministic: fixed compression and filter).
pub fn encode_png(buf: &[u8], w: u32, h: u32) -> Result<Vec<u8>, String> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(buf, w, h, image::ColorType::Rgb8)
        .map_err(|e| format!("cannot encode PNG: {e}"))?;
    Ok(out)
}

/// Turns any drawing error into text.
pub fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("cannot draw chart: {e:?}")
}

/// Grid of panels: (rows, columns) for `n` panels, at most two columns.
pub fn grid(n: usize) -> (usize, usize) {
    if n <= 1 { (1, 1) } else { (n.div_ceil(2), 2) }
}

/// A "nice" upper bound for an axis: the next of 1, 2, 2.5, 5 x 10^k above `x`.
pub fn nice_max(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * p >= x {
            return m * p;
        }
    }
    10.0 * p
}

/// A round axis maximum at or above `x`, finer than [`nice_max`] (at most 20% above `x` for
/// x > 0): 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten.
pub fn fine_max(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * p >= x * (1.0 - 1e-12) {
            return m * p;
        }
    }
    10.0 * p
}

/// A chart's mesh in the house style (label fonts, light grid lines), to finish with axis
/// descriptions and `draw`.
pub fn mesh<'a, 'b, DB, XT, YT, X, Y>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> MeshStyle<'a, 'b, X, Y, DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
{
    let mut m = chart.configure_mesh();
    m.label_style(label_font())
        .axis_desc_style(label_font())
        .light_line_style(RGBColor(238, 238, 238));
    m
}

/// Draws a chart's legend in the house style (white box, grey border, label font) at `pos`.
pub fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    pos: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(pos)
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .label_font(label_font())
        .draw()
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_bounds() {
        assert_eq!(nice_max(0.8), 1.0);
        assert_eq!(nice_max(151.0), 200.0);
        assert_eq!(nice_max(21.0), 25.0);
        assert_eq!(nice_max(0.0), 1.0);
    }
}

/// An axis tick label: at most four decimals, trailing zeros dropped, and never "-0".
pub fn tick(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

#[cfg(test)]
mod tick_tests {
    #[test]
    fn ticks_are_short_and_never_negative_zero() {
        assert_eq!(super::tick(-0.00001), "0");
        assert_eq!(super::tick(-0.0), "0");
        assert_eq!(super::tick(0.5), "0.5");
        assert_eq!(super::tick(10.0), "10");
        assert_eq!(super::tick(-2.25), "-2.25");
        assert_eq!(super::tick(0.30000000004), "0.3");
        assert_eq!(super::tick(0.0005), "0.0005");
    }
}
