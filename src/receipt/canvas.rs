//! Drawing primitives for one receipt page: filled rectangles, rules, single text lines and
//! link areas, turned into printpdf operations. Callers think in points from the top-left
//! corner of an A4 page; only this file knows PDF measures y from the bottom.

use printpdf::{
    Actions, BorderArray, Color, ColorArray, FontId, LinkAnnotation, Op, PaintMode, PdfFontHandle,
    Point, Pt, Rect, Rgb, TextItem,
};

use super::text::{Face, Weight};

/// A4 in points.
pub(super) const PAGE_WIDTH: f32 = 595.28;
pub(super) const PAGE_HEIGHT: f32 = 841.89;

/// An sRGB colour, 0–255 per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Colour(pub u8, pub u8, pub u8);

impl Colour {
    fn pdf(self) -> Color {
        Color::Rgb(Rgb {
            r: f32::from(self.0) / 255.0,
            g: f32::from(self.1) / 255.0,
            b: f32::from(self.2) / 255.0,
            icc_profile: None,
        })
    }
}

/// A rectangle in page points, measured from the top-left corner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Area {
    pub x: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
}

impl Area {
    fn pdf_rect(self) -> Rect {
        Rect::from_xywh(
            Pt(self.x),
            Pt(PAGE_HEIGHT - self.top - self.height),
            Pt(self.width),
            Pt(self.height),
        )
    }
}

/// How a run of text looks; `leading` is the distance between baselines.
#[derive(Clone, Copy, Debug)]
pub(super) struct TextStyle {
    pub weight: Weight,
    pub size: f32,
    pub leading: f32,
    pub colour: Colour,
}

impl TextStyle {
    pub(super) fn face(&self) -> &'static Face {
        Face::get(self.weight)
    }

    /// Baseline offset from the top of a line box, centring capitals and descenders.
    fn baseline(&self) -> f32 {
        (self.leading - self.size) / 2.0 + 0.9 * self.size
    }

    /// Height of `lines` lines of this style.
    pub(super) fn height(&self, lines: usize) -> f32 {
        self.leading * lines as f32
    }
}

/// The document's font resources, shared by every page.
#[derive(Clone, Debug)]
pub(super) struct FontIds {
    pub regular: FontId,
    pub bold: FontId,
}

/// The operations of one page, in drawing order.
pub(super) struct Canvas {
    fonts: FontIds,
    ops: Vec<Op>,
}

impl Canvas {
    pub(super) fn new(fonts: FontIds) -> Self {
        Self {
            fonts,
            ops: Vec::new(),
        }
    }

    pub(super) fn into_ops(self) -> Vec<Op> {
        self.ops
    }

    /// Fills the rectangle whose top-left corner is (`x`, `top`).
    pub(super) fn fill_rect(&mut self, x: f32, top: f32, width: f32, height: f32, c: Colour) {
        self.fill_rects(
            [Area {
                x,
                top,
                width,
                height,
            }],
            c,
        );
    }

    /// Fills several rectangles in one colour.
    pub(super) fn fill_rects(&mut self, areas: impl IntoIterator<Item = Area>, c: Colour) {
        self.ops.push(Op::SetFillColor { col: c.pdf() });
        for area in areas {
            self.ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    mode: Some(PaintMode::Fill),
                    ..area.pdf_rect()
                },
            });
        }
    }

    /// A horizontal rule of `thickness` centred on `y`.
    pub(super) fn rule(&mut self, x: f32, width: f32, y: f32, thickness: f32, c: Colour) {
        self.fill_rect(x, y - thickness / 2.0, width, thickness, c);
    }

    /// Draws `lines` from `top` down, one per line box; returns the height used.
    pub(super) fn lines(&mut self, x: f32, top: f32, style: &TextStyle, lines: &[String]) -> f32 {
        for (i, line) in lines.iter().enumerate() {
            self.text(x, top + style.height(i), style, line);
        }
        style.height(lines.len())
    }

    /// Draws one line of text in the line box starting at `top`.
    pub(super) fn text(&mut self, x: f32, top: f32, style: &TextStyle, text: &str) {
        let font = match style.weight {
            Weight::Regular => self.fonts.regular.clone(),
            Weight::Bold => self.fonts.bold.clone(),
        };
        let baseline = PAGE_HEIGHT - top - style.baseline();
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(font),
                size: Pt(style.size),
            },
            Op::SetFillColor {
                col: style.colour.pdf(),
            },
            Op::SetTextCursor {
                pos: Point {
                    x: Pt(x),
                    y: Pt(baseline),
                },
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    /// Makes the area clickable, opening `uri`; draws nothing visible.
    pub(super) fn link(&mut self, x: f32, top: f32, width: f32, height: f32, uri: &str) {
        let rect = Area {
            x,
            top,
            width,
            height,
        }
        .pdf_rect();
        let link = LinkAnnotation::new(
            rect,
            Actions::Uri(uri.to_string()),
            Some(BorderArray::Solid([0.0, 0.0, 0.0])),
            Some(ColorArray::Transparent),
            None,
        );
        self.ops.push(Op::LinkAnnotation { link });
    }
}
