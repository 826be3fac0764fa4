//! The verification QR code: the verify URL encoded with the `qrcode` crate and drawn as vector
//! rectangles, one per horizontal run of dark modules, inside a 4-module quiet zone. Never a
//! raster image, so it stays sharp at any zoom and in print.

use qrcode::{Color, QrCode};

use super::ReceiptError;
use super::canvas::{Area, Canvas, Colour};

/// Light modules around the symbol, as the QR specification asks.
pub(super) const QUIET_ZONE: usize = 4;

/// A horizontal run of dark modules: `len` modules from (`col`, `row`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Run {
    pub row: usize,
    pub col: usize,
    pub len: usize,
}

/// An encoded symbol, reduced to its dark runs.
#[derive(Debug)]
pub(super) struct Symbol {
    width: usize,
    runs: Vec<Run>,
}

impl Symbol {
    pub(super) fn encode(data: &str) -> Result<Self, ReceiptError> {
        let code = QrCode::new(data.as_bytes())?;
        let width = code.width();
        let dark: Vec<bool> = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
        Ok(Self {
            width,
            runs: dark_runs(&dark, width),
        })
    }

    /// Draws the symbol, quiet zone included, in the `side`×`side` square at (`x`, `top`).
    pub(super) fn draw(&self, canvas: &mut Canvas, x: f32, top: f32, side: f32, c: Colour) {
        let module = self.module_size(side);
        let areas = self.runs.iter().map(|run| Area {
            x: x + (run.col + QUIET_ZONE) as f32 * module,
            top: top + (run.row + QUIET_ZONE) as f32 * module,
            width: run.len as f32 * module,
            height: module,
        });
        canvas.fill_rects(areas, c);
    }

    /// The side of one module when the symbol and its quiet zone fill `side`.
    pub(super) fn module_size(&self, side: f32) -> f32 {
        side / (self.width + 2 * QUIET_ZONE) as f32
    }
}

/// Maximal runs of `true` in each row of a `width`-wide row-major matrix.
pub(super) fn dark_runs(modules: &[bool], width: usize) -> Vec<Run> {
    if width == 0 {
        return Vec::new();
    }
    let mut runs = Vec::new();
    for (row, cells) in modules.chunks(width).enumerate() {
        let mut start = None;
        for (col, &dark) in cells.iter().chain([&false]).enumerate() {
            match (dark, start) {
                (true, None) => start = Some(col),
                (false, Some(from)) => {
                    runs.push(Run {
                        row,
                        col: from,
                        len: col - from,
                    });
                    start = None;
                }
                _ => {}
            }
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbouring_dark_modules_in_a_row_merge_into_one_rect() {
        let (x, o) = (true, false);
        #[rustfmt::skip]
        let matrix = [
            x, x, x, o,
            o, o, o, o,
            x, o, x, x,
            o, x, x, o,
        ];
        let runs = dark_runs(&matrix, 4);
        assert_eq!(runs.len(), 4);
        assert_eq!(
            runs[0],
            Run {
                row: 0,
                col: 0,
                len: 3
            }
        );
        assert_eq!(
            runs[1],
            Run {
                row: 2,
                col: 0,
                len: 1
            }
        );
        assert_eq!(
            runs[2],
            Run {
                row: 2,
                col: 2,
                len: 2
            }
        );
        assert_eq!(
            runs[3],
            Run {
                row: 3,
                col: 1,
                len: 2
            }
        );
    }

    #[test]
    fn runs_cover_exactly_the_dark_modules_of_a_real_code() {
        let code = QrCode::new(b"https://example.gov.ua/verify/1").unwrap();
        let dark = code
            .to_colors()
            .iter()
            .filter(|c| **c == Color::Dark)
            .count();
        let symbol = Symbol::encode("https://example.gov.ua/verify/1").unwrap();
        assert_eq!(symbol.runs.iter().map(|r| r.len).sum::<usize>(), dark);
        assert!(symbol.runs.len() < dark);
        let side = 100.0;
        let total = symbol.module_size(side) * (symbol.width + 2 * QUIET_ZONE) as f32;
        assert!((total - side).abs() < 1e-3);
    }
}
