//! The services table: columns №, service, authority and status, each service's reference or
//! failure reason in smaller type under its row, alternate rows shaded. Every cell is wrapped to
//! its column and a row is as tall as its tallest cell; a row that does not fit the page moves
//! to the next one, under a repeated header.

use super::canvas::{Canvas, TextStyle};
use super::labels::Labels;
use super::layout::Flow;
use super::text::{wrap_at_most, wrap_bilingual};
use super::theme::{
    CELL, CELL_MUTED, CONTENT_WIDTH, HEADER_FILL, INK, MARGIN_X, MUTED, REFERENCE, RULE, STATUS,
    STRIPE_FILL, TABLE_HEAD, status_colour,
};
use super::{ReceiptError, ServiceLine, StatusKind};

const PAD_X: f32 = 5.0;
const PAD_Y: f32 = 6.0;
/// Gap between a row's cells and its reference line(s).
const REFERENCE_GAP: f32 = 3.0;
const NUMBER_WIDTH: f32 = 28.0;
const SERVICE_WIDTH: f32 = 222.0;
const AUTHORITY_WIDTH: f32 = 138.0;
const STATUS_WIDTH: f32 = CONTENT_WIDTH - NUMBER_WIDTH - SERVICE_WIDTH - AUTHORITY_WIDTH;
const SERVICE_X: f32 = MARGIN_X + NUMBER_WIDTH;
const AUTHORITY_X: f32 = SERVICE_X + SERVICE_WIDTH;
const STATUS_X: f32 = AUTHORITY_X + AUTHORITY_WIDTH;
const _: () = assert!(
    STATUS_WIDTH >= 80.0,
    "the status column needs room for its labels"
);
/// Caps that keep any row well below a page in height.
const MAX_CELL_LINES: usize = 6;
const MAX_REFERENCE_LINES: usize = 8;

/// One row, wrapped and ready to draw.
struct Row {
    number: String,
    service: Vec<String>,
    authority: Vec<String>,
    status: Vec<String>,
    status_style: TextStyle,
    reference: Vec<String>,
    reference_style: TextStyle,
}

impl Row {
    fn new(index: usize, line: &ServiceLine, labels: &Labels) -> Result<Self, ReceiptError> {
        let languages = labels.languages();
        let title = languages.pick(&line.title);
        // A reference is the registry's own words: in a bilingual receipt, the Ukrainian ones.
        let reference_text = languages.pick_value(&line.reference);
        let reference_text = match (reference_text.is_empty(), line.digest.is_empty()) {
            (_, true) => reference_text,
            (true, false) => format!("{}: {}", labels.get("code")?, line.digest),
            (false, false) => format!(
                "{reference_text} · {}: {}",
                labels.get("code")?,
                line.digest
            ),
        };
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
        Ok(Self {
            number: (index + 1).to_string(),
            service: cell(&title, &CELL, SERVICE_WIDTH, MAX_CELL_LINES),
            authority: cell(
                &languages.pick_value(&line.authority),
                &CELL_MUTED,
                AUTHORITY_WIDTH,
                MAX_CELL_LINES,
            ),
            status: label(labels.status(line.status)?, &status_style, STATUS_WIDTH),
            status_style,
            reference: cell(
                &reference_text,
                &reference_style,
                CONTENT_WIDTH - NUMBER_WIDTH,
                MAX_REFERENCE_LINES,
            ),
            reference_style,
        })
    }

    fn cells_height(&self) -> f32 {
        let lines = self.service.len().max(self.authority.len()).max(1);
        CELL.height(lines)
            .max(self.status_style.height(self.status.len()))
    }

    fn height(&self) -> f32 {
        let reference = match self.reference.len() {
            0 => 0.0,
            n => REFERENCE_GAP + self.reference_style.height(n),
        };
        2.0 * PAD_Y + self.cells_height() + reference
    }

    fn draw(&self, page: &mut Canvas, top: f32, shaded: bool) {
        let height = self.height();
        if shaded {
            page.fill_rect(MARGIN_X, top, CONTENT_WIDTH, height, STRIPE_FILL);
        }
        let y = top + PAD_Y;
        let number_x = SERVICE_X - PAD_X - CELL.face().width(&self.number, CELL.size);
        page.text(number_x, y, &CELL, &self.number);
        page.lines(SERVICE_X + PAD_X, y, &CELL, &self.service);
        page.lines(AUTHORITY_X + PAD_X, y, &CELL_MUTED, &self.authority);
        page.lines(STATUS_X + PAD_X, y, &self.status_style, &self.status);
        let reference_top = y + self.cells_height() + REFERENCE_GAP;
        page.lines(
            SERVICE_X + PAD_X,
            reference_top,
            &self.reference_style,
            &self.reference,
        );
        page.rule(MARGIN_X, CONTENT_WIDTH, top + height, 0.6, RULE);
    }
}

/// Wraps `text` inside a column of `width` (less the cell padding).
fn cell(text: &str, style: &TextStyle, width: f32, max_lines: usize) -> Vec<String> {
    wrap_at_most(
        text,
        style.face(),
        style.size,
        width - 2.0 * PAD_X,
        max_lines,
    )
}

/// Wraps a short bilingual label inside a column, breaking between the languages.
fn label(text: &str, style: &TextStyle, width: f32) -> Vec<String> {
    wrap_bilingual(text, style.face(), style.size, width - 2.0 * PAD_X)
}

/// Column titles on a tinted band with a dark rule on top, repeated on every page.
struct Header {
    columns: Vec<(f32, Vec<String>)>,
    height: f32,
}

impl Header {
    fn new(labels: &Labels) -> Result<Self, ReceiptError> {
        let columns = [
            (MARGIN_X, NUMBER_WIDTH, labels.get("col_number")?),
            (SERVICE_X, SERVICE_WIDTH, labels.get("col_service")?),
            (AUTHORITY_X, AUTHORITY_WIDTH, labels.get("col_authority")?),
            (STATUS_X, STATUS_WIDTH, labels.get("col_status")?),
        ]
        .into_iter()
        .map(|(x, width, title)| (x, label(title, &TABLE_HEAD, width)))
        .collect::<Vec<_>>();
        let lines = columns.iter().map(|(_, l)| l.len()).max().unwrap_or(1);
        let height = 2.0 * PAD_Y + TABLE_HEAD.height(lines);
        Ok(Self { columns, height })
    }

    fn draw(&self, flow: &mut Flow) {
        let top = flow.y;
        let page = &mut flow.page;
        page.fill_rect(MARGIN_X, top, CONTENT_WIDTH, self.height, HEADER_FILL);
        page.rule(MARGIN_X, CONTENT_WIDTH, top, 1.2, INK);
        page.rule(MARGIN_X, CONTENT_WIDTH, top + self.height, 0.6, MUTED);
        for (x, lines) in &self.columns {
            page.lines(x + PAD_X, top + PAD_Y, &TABLE_HEAD, lines);
        }
        flow.y += self.height;
    }
}

/// Draws the table at the flow's position, continuing on new pages as needed.
pub(super) fn draw(
    flow: &mut Flow,
    services: &[ServiceLine],
    labels: &Labels,
) -> Result<(), ReceiptError> {
    let rows = services
        .iter()
        .enumerate()
        .map(|(i, line)| Row::new(i, line, labels))
        .collect::<Result<Vec<_>, _>>()?;
    let header = Header::new(labels)?;
    let first = rows
        .first()
        .map_or(CELL.height(1) + 2.0 * PAD_Y, Row::height);
    if flow.room() < header.height + first {
        flow.new_page();
    }
    header.draw(flow);
    if rows.is_empty() {
        let empty = [labels.get("no_services")?.to_string()];
        flow.y += PAD_Y;
        flow.y += flow
            .page
            .lines(SERVICE_X + PAD_X, flow.y, &CELL_MUTED, &empty)
            + PAD_Y;
        flow.page.rule(MARGIN_X, CONTENT_WIDTH, flow.y, 0.6, RULE);
    }
    for (i, row) in rows.iter().enumerate() {
        if row.height() > flow.room() {
            flow.new_page();
            header.draw(flow);
        }
        row.draw(&mut flow.page, flow.y, i % 2 == 1);
        flow.y += row.height();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::{Bi, Languages};

    #[test]
    fn a_long_reference_makes_the_row_taller() {
        let labels = Labels::new(Languages::Both);
        let mut line = ServiceLine {
            title: Bi::new("Пакунок малюка", "Baby box"),
            authority: Bi::new("Мінсоцполітики", "Ministry of Social Policy"),
            status: StatusKind::Failed,
            reference: Bi::default(),
            digest: String::new(),
        };
        let short = Row::new(0, &line, &labels).unwrap().height();
        line.reference.uk = "Реєстр тимчасово недоступний; повторна спроба ".repeat(6);
        let row = Row::new(0, &line, &labels).unwrap();
        assert!(row.reference.len() > 1);
        assert!(row.height() > short + REFERENCE.height(row.reference.len()));
    }
}
