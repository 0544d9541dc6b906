//! The backend every chart draws on: a recorder of plotters' drawing calls, replayed into a PNG at
//! 1x, a PNG at 2x (every coordinate, stroke, radius and font size doubled) and an SVG. The
//! chart code draws once, in the 1x pixel grid it was designed in; the three files come from
//! the same calls, so they show the same chart.
//!
//! plotters has no scale factor of its own, and redrawing each chart at twice every size would
//! double the chart code; a recorder keeps one drawing per chart.

use plotters::backend::{BitMapBackend, SVGBackend};
use plotters::prelude::*;
use plotters::style::text_anchor::Pos;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontStyle,
    FontTransform,
};

/// One recorded drawing call, in 1x pixels.
#[derive(Clone)]
pub enum Op {
    Pixel(BackendCoord, BackendColor),
    Line(BackendCoord, BackendCoord, BackendColor, u32),
    Rect(BackendCoord, BackendCoord, BackendColor, u32, bool),
    Path(Vec<BackendCoord>, BackendColor, u32),
    Circle(BackendCoord, u32, BackendColor, u32, bool),
    Polygon(Vec<BackendCoord>, BackendColor),
    Text {
        text: String,
        family: String,
        size: f64,
        style: FontStyle,
        transform: FontTransform,
        anchor: Pos,
        color: BackendColor,
        at: BackendCoord,
    },
    Bitmap(BackendCoord, (u32, u32), Vec<u8>),
}

/// What a recorder recorded; shared with its creator, who reads it once the drawing area that
/// owns the recorder is gone.
pub type Recording = std::rc::Rc<std::cell::RefCell<Vec<Op>>>;

/// A recorder of one chart.
pub struct Recorder<'b> {
    size: (u32, u32),
    ops: Recording,
    _buffer: std::marker::PhantomData<&'b ()>,
}

/// A recorder error (recording itself cannot fail; fonts can).
#[derive(Debug)]
pub struct Never;

impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("recording failed")
    }
}

impl std::error::Error for Never {}

type R = Result<(), DrawingErrorKind<Never>>;

impl Recorder<'_> {
    /// A recorder of a `w` x `h` chart, and the handle its recording is read from.
    pub fn new(size: (u32, u32)) -> (Self, Recording) {
        let ops = Recording::default();
        (
            Recorder {
                size,
                ops: ops.clone(),
                _buffer: std::marker::PhantomData,
            },
            ops,
        )
    }

    fn push(&mut self, op: Op) {
        self.ops.borrow_mut().push(op);
    }
}

impl DrawingBackend for Recorder<'_> {
    type ErrorType = Never;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> R {
        Ok(())
    }

    fn present(&mut self) -> R {
        Ok(())
    }

    fn draw_pixel(&mut self, p: BackendCoord, c: BackendColor) -> R {
        self.push(Op::Pixel(p, c));
        Ok(())
    }

    fn draw_line<S: BackendStyle>(&mut self, a: BackendCoord, b: BackendCoord, s: &S) -> R {
        self.push(Op::Line(a, b, s.color(), s.stroke_width()));
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        s: &S,
        fill: bool,
    ) -> R {
        self.push(Op::Rect(a, b, s.color(), s.stroke_width(), fill));
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        s: &S,
    ) -> R {
        self.push(Op::Path(
            path.into_iter().collect(),
            s.color(),
            s.stroke_width(),
        ));
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(&mut self, c: BackendCoord, r: u32, s: &S, fill: bool) -> R {
        self.push(Op::Circle(c, r, s.color(), s.stroke_width(), fill));
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        s: &S,
    ) -> R {
        self.push(Op::Polygon(vert.into_iter().collect(), s.color()));
        Ok(())
    }

    fn draw_text<T: BackendTextStyle>(&mut self, text: &str, s: &T, at: BackendCoord) -> R {
        self.push(Op::Text {
            text: text.to_string(),
            family: s.family().as_str().to_string(),
            size: s.size(),
            style: s.style(),
            transform: s.transform(),
            anchor: s.anchor(),
            color: s.color(),
            at,
        });
        Ok(())
    }

    fn blit_bitmap(&mut self, at: BackendCoord, size: (u32, u32), src: &[u8]) -> R {
        self.push(Op::Bitmap(at, size, src.to_vec()));
        Ok(())
    }
}

/// A style for the replay: a colour and a stroke width.
struct Stroke(BackendColor, u32);

impl BackendStyle for Stroke {
    fn color(&self) -> BackendColor {
        self.0
    }
    fn stroke_width(&self) -> u32 {
        self.1
    }
}

fn font_err<E: std::error::Error + Send + Sync>(e: DrawingErrorKind<E>) -> String {
    e.to_string()
}

/// Replays a recording into `db`, every length multiplied by `k` (1 or 2).
fn replay<DB: DrawingBackend>(ops: &[Op], db: &mut DB, k: i32) -> Result<(), String> {
    let p = |c: BackendCoord| (c.0 * k, c.1 * k);
    let w = |x: u32| x * k as u32;
    for op in ops {
        match op {
            Op::Pixel(c, col) if k == 1 => db.draw_pixel(*c, *col),
            Op::Pixel(c, col) => {
                let (x, y) = p(*c);
                db.draw_rect((x, y), (x + k - 1, y + k - 1), &Stroke(*col, 1), true)
            }
            Op::Line(a, b, c, s) => db.draw_line(p(*a), p(*b), &Stroke(*c, w(*s))),
            Op::Rect(a, b, c, s, fill) => {
                // A 1x rectangle covers its corner pixels whole: so does the 2x one.
                let (x1, y1) = p(*b);
                db.draw_rect(p(*a), (x1 + k - 1, y1 + k - 1), &Stroke(*c, w(*s)), *fill)
            }
            Op::Path(v, c, s) => db.draw_path(v.iter().map(|c| p(*c)), &Stroke(*c, w(*s))),
            Op::Circle(c, r, col, s, fill) => {
                db.draw_circle(p(*c), w(*r), &Stroke(*col, w(*s)), *fill)
            }
            Op::Polygon(v, c) => db.fill_polygon(v.iter().map(|c| p(*c)), &Stroke(*c, 1)),
            Op::Text {
                text,
                family,
                size,
                style,
                transform,
                anchor,
                color,
                at,
            } => {
                let font = FontDesc::new(
                    FontFamily::from(family.as_str()),
                    size * f64::from(k),
                    *style,
                )
                .transform(transform.clone());
                let ts = TextStyle {
                    font,
                    color: *color,
                    pos: *anchor,
                };
                db.draw_text(text, &ts, p(*at))
            }
            Op::Bitmap(at, (iw, ih), src) if k == 1 => db.blit_bitmap(*at, (*iw, *ih), src),
            Op::Bitmap(at, (iw, ih), src) => {
                // Nearest neighbour: each source pixel becomes a k x k block.
                let (kw, kh) = (iw * k as u32, ih * k as u32);
                let mut big = vec![0u8; (kw * kh * 3) as usize];
                for y in 0..kh {
                    for x in 0..kw {
                        let s = (((y / k as u32) * iw + x / k as u32) * 3) as usize;
                        let d = ((y * kw + x) * 3) as usize;
                        big[d..d + 3].copy_from_slice(&src[s..s + 3]);
                    }
                }
                db.blit_bitmap(p(*at), (kw, kh), &big)
            }
        }
        .map_err(font_err)?;
    }
    Ok(())
}

/// The three renderings of one recorded chart.
pub struct Rendered {
    /// PNG at 1x.
    pub png: Vec<u8>,
    /// PNG at 2x.
    pub png2x: Vec<u8>,
    /// SVG (text as text, in the page's sans-serif font).
    pub svg: Vec<u8>,
}

/// Renders the recording of a `w` x `h` chart as a 1x PNG, a 2x PNG and an SVG.
pub fn render((w, h): (u32, u32), ops: &[Op]) -> Result<Rendered, String> {
    let bitmap = |k: u32| -> Result<Vec<u8>, String> {
        let (bw, bh) = (w * k, h * k);
        let mut buf = vec![255u8; (bw as usize) * (bh as usize) * 3];
        {
            let mut b = BitMapBackend::with_buffer(&mut buf, (bw, bh));
            replay(ops, &mut b, k as i32)?;
            b.present().map_err(font_err)?;
        }
        super::style::encode_png(&buf, bw, bh)
    };
    let mut svg = String::new();
    {
        let mut s = SVGBackend::with_string(&mut svg, (w, h));
        // The recording starts with the white background fill, like the bitmaps' white buffer.
        replay(ops, &mut s, 1)?;
        s.present().map_err(font_err)?;
    }
    Ok(Rendered {
        png: bitmap(1)?,
        png2x: bitmap(2)?,
        svg: svg.into_bytes(),
    })
}
