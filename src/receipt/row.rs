//! One service's row of the table: the columns' geometry, each cell wrapped to its column, the
//! status in its colour, and the reference (or failure reason) in smaller type: under the title
//! when it fits the service column in as many lines and the row gets shorter (beside a wrapped
//! authority), otherwise under the whole row. A row is as tall as its tallest column.

use super::canvas::{Canvas, TextStyle};
use super::labels::Labels;
use super::text::{wrap_at_most, wrap_bilingual};
use super::theme::{
    CELL, CELL_MUTED, CONTENT_WIDTH, MARGIN_X, REFERENCE, RULE, STATUS, STRIPE_FILL, status_colour,
};
use super::{Bi, ReceiptError, ServiceLine, StatusKind};

pub(super) const PAD_X: f32 = 4.0;
pub(super) const PAD_Y: f32 = 4.0;
/// Gap between a row's cells and its reference line(s).
const REFERENCE_GAP: f32 = 1.0;
/// Widths that keep every service of the birth bundle on one line, and its authorities on one
/// line or two, leaving the status the room its longest label needs.
pub(super) const NUMBER_WIDTH: f32 = 20.0;
pub(super) const SERVICE_WIDTH: f32 = 226.0;
pub(super) const AUTHORITY_WIDTH: f32 = 179.0;
pub(super) const STATUS_WIDTH: f32 = CONTENT_WIDTH - NUMBER_WIDTH - SERVICE_WIDTH - AUTHORITY_WIDTH;
pub(super) const SERVICE_X: f32 = MARGIN_X + NUMBER_WIDTH;
pub(super) const AUTHORITY_X: f32 = SERVICE_X + SERVICE_WIDTH;
pub(super) const STATUS_X: f32 = AUTHORITY_X + AUTHORITY_WIDTH;
const _: () = assert!(
    STATUS_WIDTH >= 80.0,
    "the status column needs room for its labels"
);
/// Caps that keep any row well below a page in height.
pub(super) const MAX_CELL_LINES: usize = 6;
const MAX_REFERENCE_LINES: usize = 8;

/// Where a row's reference goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placement {
    /// Under the title, inside the service column.
    Beside,
    /// Under the whole row, from the service column to the right edge.
    Under,
}

/// One row, wrapped and ready to draw.
pub(super) struct Row {
    number: String,
    service: Vec<String>,
    authority: Vec<String>,
    status: Vec<String>,
    status_style: TextStyle,
    reference: Vec<String>,
    reference_style: TextStyle,
    placement: Placement,
}

impl Row {
    /// The row numbered `number` for `line`, under `title` (the line's own, or without its
    /// item's name under the item's heading).
    pub(super) fn new(
        number: usize,
        line: &ServiceLine,
        title: &Bi,
        labels: &Labels,
    ) -> Result<Self, ReceiptError> {
        let languages = labels.languages();
        let status_style = TextStyle {
            colour: status_colour(line.status),
            ..STATUS
        };
        let reference_style = match line.status {
            StatusKind::Failed => TextStyle {
                colour: status_colour(line.status),
                ..REFERENCE
            },
            _ => REFERENCE,
        };
        let mut row = Self {
            number: number.to_string(),
            service: cell(&languages.pick(title), &CELL, SERVICE_WIDTH, MAX_CELL_LINES),
            authority: cell(
                &languages.pick_value(&line.authority),
                &CELL_MUTED,
                AUTHORITY_WIDTH,
                MAX_CELL_LINES,
            ),
            status: label(labels.status(line.status)?, &status_style, STATUS_WIDTH),
            status_style,
            reference: Vec::new(),
            reference_style,
            placement: Placement::Under,
        };
        row.place_reference(&reference_text(line, labels)?);
        Ok(row)
    }

    /// Under the title when it takes no more lines there and the row gets shorter (beside an
    /// authority in two lines); under the whole row otherwise.
    fn place_reference(&mut self, text: &str) {
        let style = self.reference_style;
        let under = CONTENT_WIDTH - NUMBER_WIDTH;
        self.reference = cell(text, &style, under, MAX_REFERENCE_LINES);
        let beside = cell(text, &style, SERVICE_WIDTH, MAX_REFERENCE_LINES);
        if beside.len() != self.reference.len() {
            return;
        }
        let height_under = self.height();
        let under = std::mem::replace(&mut self.reference, beside);
        self.placement = Placement::Beside;
        if self.height() >= height_under {
            self.reference = under;
            self.placement = Placement::Under;
        }
    }

    fn reference_height(&self) -> f32 {
        match self.reference.len() {
            0 => 0.0,
            n => REFERENCE_GAP + self.reference_style.height(n),
        }
    }

    /// The title's height, and the reference's when it goes under the title.
    fn service_height(&self) -> f32 {
        let title = CELL.height(self.service.len().max(1));
        match self.placement {
            Placement::Beside => title + self.reference_height(),
            Placement::Under => title,
        }
    }

    /// The height of the tallest column.
    fn cells_height(&self) -> f32 {
        self.service_height()
            .max(CELL_MUTED.height(self.authority.len()))
            .max(self.status_style.height(self.status.len()))
    }

    pub(super) fn height(&self) -> f32 {
        let under = match self.placement {
            Placement::Beside => 0.0,
            Placement::Under => self.reference_height(),
        };
        2.0 * PAD_Y + self.cells_height() + under
    }

    pub(super) fn draw(&self, page: &mut Canvas, top: f32, shaded: bool) {
        let height = self.height();
        if shaded {
            page.fill_rect(MARGIN_X, top, CONTENT_WIDTH, height, STRIPE_FILL);
        }
        let y = top + PAD_Y;
        let number_x = SERVICE_X - PAD_X - CELL.face().width(&self.number, CELL.size);
        page.text(number_x, y, &CELL, &self.number);
        let title_height = page.lines(SERVICE_X + PAD_X, y, &CELL, &self.service);
        page.lines(AUTHORITY_X + PAD_X, y, &CELL_MUTED, &self.authority);
        page.lines(STATUS_X + PAD_X, y, &self.status_style, &self.status);
        let above = match self.placement {
            Placement::Beside => title_height.max(CELL.height(1)),
            Placement::Under => self.cells_height(),
        };
        let reference_top = y + above + REFERENCE_GAP;
        page.lines(
            SERVICE_X + PAD_X,
            reference_top,
            &self.reference_style,
            &self.reference,
        );
        page.rule(MARGIN_X, CONTENT_WIDTH, top + height, 0.6, RULE);
    }
}

/// The registry's reference (its own words: in a bilingual receipt, the Ukrainian ones) and the
/// row's check code.
fn reference_text(line: &ServiceLine, labels: &Labels) -> Result<String, ReceiptError> {
    let reference = labels.languages().pick_value(&line.reference);
    Ok(match (reference.is_empty(), line.digest.is_empty()) {
        (_, true) => reference,
        (true, false) => format!("{}: {}", labels.get("code")?, line.digest),
        (false, false) => format!("{reference} · {}: {}", labels.get("code")?, line.digest),
    })
}

/// Wraps `text` inside a column of `width` (less the cell padding).
pub(super) fn cell(text: &str, style: &TextStyle, width: f32, max_lines: usize) -> Vec<String> {
    wrap_at_most(
        text,
        style.face(),
        style.size,
        width - 2.0 * PAD_X,
        max_lines,
    )
}

/// Wraps a short bilingual label inside a column, breaking between the languages.
pub(super) fn label(text: &str, style: &TextStyle, width: f32) -> Vec<String> {
    wrap_bilingual(text, style.face(), style.size, width - 2.0 * PAD_X)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;
    use crate::receipt::Languages;

    fn row(authority: &str, reference: &str) -> Row {
        let line = ServiceLine {
            title: Bi::new("Пакунок малюка", "Baby box"),
            authority: Bi::new(authority, ""),
            status: StatusKind::Failed,
            reference: Bi::new(reference, ""),
            digest: String::new(),
        };
        let labels = Labels::new(Languages::One(Lang::Uk));
        Row::new(1, &line, &line.title, &labels).unwrap()
    }

    #[test]
    fn a_long_reference_makes_the_row_taller() {
        let short = row("Мінсоцполітики", "").height();
        let long = row(
            "Мінсоцполітики",
            &"Реєстр тимчасово недоступний; повторна спроба ".repeat(6),
        );
        assert!(long.reference.len() > 1);
        assert_eq!(long.placement, Placement::Under);
        assert!(long.height() > short + REFERENCE.height(long.reference.len()));
    }

    #[test]
    fn a_short_reference_goes_under_the_title_beside_an_authority_in_two_lines() {
        let authority = "Відділ державної реєстрації актів цивільного стану";
        let beside = row(authority, "Посвідчення № 000008");
        assert_eq!(beside.authority.len(), 2);
        assert_eq!(beside.placement, Placement::Beside);
        assert_eq!(beside.height(), 2.0 * PAD_Y + CELL_MUTED.height(2));
        let alone = row("ДПС України", "Посвідчення № 000008");
        assert_eq!(alone.placement, Placement::Under);
        assert!(alone.height() < beside.height() + 1.0);
    }
}
