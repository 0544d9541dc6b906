//! One story: a single traced replicate of the first arm — both tariff lines over time with
//! markers for truces, escalations, summits, channel closures, record disputes, extensions and
//! threats not carried out.

use plotters::prelude::*;

use crate::model::EventKind;

use super::style::{
    self, BLACK, GREEN, GREY, PURPLE, SKY, VERMILLION, date_desc, date_label, err, int_label,
    nice_max, side_colour, year_of_week, year_range,
};

/// Shading of truce weeks.
const TRUCE_SHADE: RGBColor = RGBColor(222, 241, 234);
/// Shading of escalation weeks.
const ESCALATION_SHADE: RGBColor = RGBColor(250, 233, 222);

/// Legend marks.
enum Mark {
    Line(RGBColor),
    Shade(RGBColor),
    Triangle,
    Cross(RGBColor),
    Dot(bool),
    Square,
    /// A hollow triangle: an agreement extended by decree.
    Extended,
    /// A hollow ring: a threat's deadline passed without it being carried out.
    Ring,
}
use super::{Chart, Input, frame, render};

// long: one plotters drawing, top to bottom; its steps share the drawing area.
pub(super) fn chart(inp: &Input<'_>) -> Result<Chart, String> {
    let (w, h) = (1700u32, 900u32);
    let arm = &inp.arms[0];
    let story = inp.stories.first().and_then(|s| s.as_ref());
    let title = match story {
        Some(s) => format!(
            "One story: replicate {} of {}, week by week",
            s.replicate, arm.name
        ),
        None => format!("One story: no traced replicate of {}", arm.name),
    };
    let weeks = inp.agg.weeks as usize;
    let start = arm.params.start;
    let png = render(w, h, |root| {
        let body = frame(root, &title, &inp.caption())?;
        let Some(s) = story else {
            body.draw_text(
                "no replicate was traced in this run (use --trace 1 or more)",
                &style::panel_font().color(&GREY),
                (40, 60),
            )
            .map_err(err)?;
            return Ok(());
        };
        let tr = &s.trajectory;
        let (plot, side) = body.split_horizontally(body.dim_in_pixel().0.saturating_sub(430));
        let top = tr
            .iter()
            .map(|p| p.tariff[0].max(p.tariff[1]))
            .fold(0.0, f64::max);
        let ymax = nice_max(top * 1.25);
        let x = |w: f64| year_of_week(start, w);
        let mut chart = ChartBuilder::on(&plot)
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(75)
            .build_cartesian_2d(year_range(start, weeks), 0f64..ymax)
            .map_err(err)?;
        style::mesh(&mut chart)
            .x_labels(12)
            .y_labels(6)
            .x_label_formatter(&|v| date_label(*v, weeks))
            .y_label_formatter(&int_label)
            .x_desc(date_desc(weeks))
            .y_desc(format!("{}, %", arm.params.names.levels_label()))
            .draw()
            .map_err(err)?;
        // Regime shading.
        chart
            .draw_series(
                tr.iter()
                    .enumerate()
                    .filter(|(_, p)| p.regime != 0)
                    .map(|(t, p)| {
                        let c = if p.regime == 1 {
                            TRUCE_SHADE
                        } else {
                            ESCALATION_SHADE
                        };
                        Rectangle::new([(x(t as f64), 0.0), (x(t as f64 + 1.0), ymax)], c.filled())
                    }),
            )
            .map_err(err)?;
        for sd in 0..2 {
            let c = side_colour(sd);
            let pts: Vec<(f64, f64)> = tr
                .iter()
                .enumerate()
                .flat_map(|(t, p)| {
                    [
                        (x(t as f64), p.tariff[sd]),
                        (x(t as f64 + 1.0), p.tariff[sd]),
                    ]
                })
                .collect();
            chart
                .draw_series(LineSeries::new(pts, c.stroke_width(3)))
                .map_err(err)?;
        }
        let at = |week: u32, side: Option<u8>| -> (f64, f64) {
            let t = (week as usize).min(tr.len().saturating_sub(1));
            let y = match side {
                Some(sd) => tr[t].tariff[sd as usize],
                None => tr[t].tariff[0].max(tr[t].tariff[1]),
            };
            (x(f64::from(week) + 0.5), y)
        };
        let mid = |week: u32| x(f64::from(week) + 0.5);
        let pick = |kinds: &[EventKind]| -> Vec<&crate::model::Event> {
            s.events
                .iter()
                .filter(|e| kinds.contains(&e.kind))
                .collect()
        };
        let deals = pick(&[EventKind::TransactionalDeal, EventKind::BroadDeal]);
        let escal = pick(&[
            EventKind::TariffRaised,
            EventKind::ControlsAdded,
            EventKind::ThreatExecuted,
            EventKind::Snapback,
        ]);
        let won = pick(&[EventKind::SummitSucceeded]);
        let lost = pick(&[EventKind::SummitFailed]);
        let closed = pick(&[EventKind::ChannelClosed]);
        let disputes = pick(&[EventKind::RecordDispute]);
        let extended = pick(&[EventKind::AgreementExtended]);
        let spared = pick(&[
            EventKind::ThreatPostponed,
            EventKind::ThreatConceded,
            EventKind::ThreatHanging,
        ]);
        let half = (x(1.0) - x(0.0)) / 2.0;
        chart
            .draw_series(
                deals
                    .iter()
                    .map(|e| TriangleMarker::new(at(e.week, None), 9, GREEN.filled())),
            )
            .map_err(err)?;
        chart
            .draw_series(
                escal
                    .iter()
                    .map(|e| Cross::new(at(e.week, e.side), 6, VERMILLION.stroke_width(3))),
            )
            .map_err(err)?;
        chart
            .draw_series(
                won.iter()
                    .map(|e| Circle::new((mid(e.week), ymax * 0.95), 8, PURPLE.filled())),
            )
            .map_err(err)?;
        chart
            .draw_series(
                lost.iter()
                    .map(|e| Circle::new((mid(e.week), ymax * 0.95), 8, PURPLE.stroke_width(3))),
            )
            .map_err(err)?;
        chart
            .draw_series(
                closed
                    .iter()
                    .map(|e| Cross::new((mid(e.week), ymax * 0.89), 7, BLACK.stroke_width(2))),
            )
            .map_err(err)?;
        chart
            .draw_series(disputes.iter().map(|e| {
                let (cx, cy) = (mid(e.week), ymax * 0.83);
                Rectangle::new(
                    [
                        (cx - half, cy - ymax * 0.012),
                        (cx + half, cy + ymax * 0.012),
                    ],
                    SKY.filled(),
                )
            }))
            .map_err(err)?;
        // Hollow triangles (outlines) for extensions, so they read apart from deals.
        let (tw, th) = (half.max(x(1.5) - x(0.0)), ymax * 0.035);
        chart
            .draw_series(extended.iter().map(|e| {
                let (cx, cy) = at(e.week, None);
                PathElement::new(
                    vec![
                        (cx - tw, cy - th * 0.5),
                        (cx + tw, cy - th * 0.5),
                        (cx, cy + th),
                        (cx - tw, cy - th * 0.5),
                    ],
                    GREEN.stroke_width(2),
                )
            }))
            .map_err(err)?;
        chart
            .draw_series(
                spared.iter().map(|e| {
                    Circle::new((mid(e.week), ymax * 0.77), 7, VERMILLION.stroke_width(2))
                }),
            )
            .map_err(err)?;
        // The legend, beside the plot so it hides nothing.
        let [x, y] = &arm.params.names.sides;
        let items: Vec<(Mark, String)> = vec![
            (
                Mark::Line(side_colour(0)),
                format!("{} {} on {}", x.naming.short, x.level_label, y.naming.name),
            ),
            (
                Mark::Line(side_colour(1)),
                format!(
                    "{} {} on {}",
                    y.naming.possessive, y.level_label, x.naming.name
                ),
            ),
            (Mark::Shade(TRUCE_SHADE), "week in a truce".into()),
            (
                Mark::Shade(ESCALATION_SHADE),
                "week in an escalation episode".into(),
            ),
            (
                Mark::Triangle,
                format!("deal: truce starts or renews ({})", deals.len()),
            ),
            (
                Mark::Cross(VERMILLION),
                format!(
                    "escalation: {} up ({})",
                    arm.params.names.escalation_moves(),
                    escal.len()
                ),
            ),
            (
                Mark::Dot(true),
                format!("summit, succeeded ({})", won.len()),
            ),
            (Mark::Dot(false), format!("summit, failed ({})", lost.len())),
            (
                Mark::Cross(BLACK),
                format!("channel closed ({})", closed.len()),
            ),
            (Mark::Square, format!("record dispute ({})", disputes.len())),
            (
                Mark::Extended,
                format!("truce extended by decree ({})", extended.len()),
            ),
            (
                Mark::Ring,
                format!(
                    "threat postponed, withdrawn or left hanging ({})",
                    spared.len()
                ),
            ),
        ];
        // A text wider than the column wraps at spaces (long side or instrument names).
        let room = side.dim_in_pixel().0 as i32 - 50;
        let font = style::label_font().color(&BLACK);
        let mut y = 40;
        for (m, text) in &items {
            let lines = wrap(text, |t| {
                side.estimate_text_size(t, &font)
                    .map_or(0, |(w, _)| w as i32)
                    <= room
            });
            let (x0, yc) = (10, y + 9);
            match *m {
                Mark::Line(c) => side.draw(&PathElement::new(
                    vec![(x0, yc), (x0 + 28, yc)],
                    c.stroke_width(3),
                )),
                Mark::Shade(c) => side.draw(&Rectangle::new(
                    [(x0, yc - 9), (x0 + 28, yc + 9)],
                    c.filled(),
                )),
                Mark::Triangle => side.draw(&TriangleMarker::new((x0 + 14, yc), 9, GREEN.filled())),
                Mark::Cross(c) => side.draw(&Cross::new((x0 + 14, yc), 6, c.stroke_width(3))),
                Mark::Dot(true) => side.draw(&Circle::new((x0 + 14, yc), 8, PURPLE.filled())),
                Mark::Dot(false) => {
                    side.draw(&Circle::new((x0 + 14, yc), 8, PURPLE.stroke_width(3)))
                }
                Mark::Square => side.draw(&Rectangle::new(
                    [(x0 + 9, yc - 6), (x0 + 19, yc + 6)],
                    SKY.filled(),
                )),
                Mark::Extended => side.draw(&PathElement::new(
                    vec![
                        (x0 + 5, yc + 6),
                        (x0 + 23, yc + 6),
                        (x0 + 14, yc - 9),
                        (x0 + 5, yc + 6),
                    ],
                    GREEN.stroke_width(2),
                )),
                Mark::Ring => side.draw(&Circle::new((x0 + 14, yc), 7, VERMILLION.stroke_width(2))),
            }
            .map_err(err)?;
            for (j, l) in lines.iter().enumerate() {
                side.draw_text(l, &font, (x0 + 40, y + 20 * j as i32))
                    .map_err(err)?;
            }
            y += 34 + 20 * (lines.len() as i32 - 1);
        }
        Ok(())
    })?;
    Ok(Chart {
        file: "story.png",
        title,
        guide: format!(
            "One simulated history, not an average: {} lines of both sides, with the weeks in truce shaded green and escalation episodes red; markers show deals, escalations (threats carried out and snapbacks included), summits (filled: succeeded), channel closures, record disputes, extensions by decree (hollow triangles) and threats whose deadline passed without them being carried out (rings).\nRead it to see the mechanism at work: a misread move or a record dispute, retaliation, pain, a round, a fragile new truce.",
            arm.params.names.level_word()
        ),
        png,
        size: (w, h),
    })
}

/// `text` in lines that each `fits`, broken at spaces (a word wider than a line stays whole).
fn wrap(text: &str, fits: impl Fn(&str) -> bool) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(l) if fits(&format!("{l} {word}")) => {
                l.push(' ');
                l.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_breaks_at_spaces_and_keeps_every_word() {
        let fits = |t: &str| t.len() <= 10;
        assert_eq!(wrap("short", fits), ["short"]);
        assert_eq!(wrap("one two three four", fits), ["one two", "three four"]);
        assert_eq!(
            wrap("averyveryverylongword x", fits),
            ["averyveryverylongword", "x"]
        );
    }
}
