//! The services table: a header with the column titles, the services' rows (see `row`),
//! alternate rows shaded, and when services repeat for several items a heading row before each
//! item's rows. A row that does not fit the page moves to the next one, under a repeated header
//! (and its item's name again); an item's heading moves with its first row.

use super::canvas::Canvas;
use super::labels::Labels;
use super::layout::Flow;
use super::row::{
    AUTHORITY_WIDTH, AUTHORITY_X, MAX_CELL_LINES, NUMBER_WIDTH, PAD_X, PAD_Y, Row, SERVICE_WIDTH,
    SERVICE_X, STATUS_WIDTH, STATUS_X, cell, label,
};
use super::services::Printed;
use super::theme::{
    CELL, CELL_MUTED, CONTENT_WIDTH, GROUP, GROUP_FILL, HEADER_FILL, INK, MARGIN_X, MUTED, RULE,
    TABLE_HEAD,
};
use super::{Bi, ReceiptError, Services};

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

/// An item's name on a tinted band across the table, before its rows.
struct GroupHeading {
    lines: Vec<String>,
}

impl GroupHeading {
    fn new(name: &Bi, labels: &Labels) -> Self {
        let name = labels.languages().pick(name);
        Self {
            lines: cell(&name, &GROUP, CONTENT_WIDTH, MAX_CELL_LINES),
        }
    }

    fn height(&self) -> f32 {
        2.0 * PAD_Y + GROUP.height(self.lines.len().max(1))
    }

    fn draw(&self, page: &mut Canvas, top: f32) {
        let height = self.height();
        page.fill_rect(MARGIN_X, top, CONTENT_WIDTH, height, GROUP_FILL);
        page.lines(MARGIN_X + PAD_X, top + PAD_Y, &GROUP, &self.lines);
        page.rule(MARGIN_X, CONTENT_WIDTH, top + height, 0.6, MUTED);
    }
}

/// One row of the table, ready to draw.
enum Entry {
    Heading(GroupHeading),
    Row(Row),
}

impl Entry {
    fn height(&self) -> f32 {
        match self {
            Self::Heading(heading) => heading.height(),
            Self::Row(row) => row.height(),
        }
    }
}

/// The table's rows in printing order, numbered from 1 (headings take no number).
fn entries(services: &Services, labels: &Labels) -> Result<Vec<Entry>, ReceiptError> {
    let mut number = 0;
    services
        .printed()
        .into_iter()
        .map(|printed| match printed {
            Printed::Heading(name) => Ok(Entry::Heading(GroupHeading::new(name, labels))),
            Printed::Line(line, title) => {
                number += 1;
                Row::new(number, line, title, labels).map(Entry::Row)
            }
        })
        .collect()
}

/// Draws the table at the flow's position, continuing on new pages as needed.
pub(super) fn draw(
    flow: &mut Flow,
    services: &Services,
    labels: &Labels,
) -> Result<(), ReceiptError> {
    let entries = entries(services, labels)?;
    let header = Header::new(labels)?;
    // The header stays with the first row, and a heading with the row after it.
    let kept = |i: usize| {
        let next = match entries.get(i) {
            Some(Entry::Heading(_)) => entries.get(i + 1).map_or(0.0, Entry::height),
            _ => 0.0,
        };
        entries
            .get(i)
            .map_or(CELL.height(1) + 2.0 * PAD_Y, Entry::height)
            + next
    };
    if flow.room() < header.height + kept(0) {
        flow.new_page();
    }
    header.draw(flow);
    if entries.is_empty() {
        empty(flow, labels)?;
    }
    let mut shaded = false;
    let mut group = None;
    for (i, entry) in entries.iter().enumerate() {
        if kept(i) > flow.room() {
            flow.new_page();
            header.draw(flow);
            // An item's rows carried over to a new page come under its name again.
            if let (Entry::Row(_), Some(heading)) = (entry, group) {
                draw_heading(flow, heading);
            }
        }
        match entry {
            Entry::Heading(heading) => {
                draw_heading(flow, heading);
                group = Some(heading);
                shaded = false;
            }
            Entry::Row(row) => {
                row.draw(&mut flow.page, flow.y, shaded);
                flow.y += row.height();
                shaded = !shaded;
            }
        }
    }
    Ok(())
}

fn draw_heading(flow: &mut Flow, heading: &GroupHeading) {
    heading.draw(&mut flow.page, flow.y);
    flow.y += heading.height();
}

/// The one row of a table without services.
fn empty(flow: &mut Flow, labels: &Labels) -> Result<(), ReceiptError> {
    let empty = [labels.get("no_services")?.to_string()];
    flow.y += PAD_Y;
    flow.y += flow
        .page
        .lines(SERVICE_X + PAD_X, flow.y, &CELL_MUTED, &empty)
        + PAD_Y;
    flow.page.rule(MARGIN_X, CONTENT_WIDTH, flow.y, 0.6, RULE);
    Ok(())
}
