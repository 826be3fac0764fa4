//! Page composition: the header band, the key/value block, the services heading, the table
//! (see `table`), the verify block with its QR code anchored at the foot of the last page, and
//! the page footers. Content flows top to bottom through [`Flow`], which starts a new page
//! rather than draw past the body area or over the verify block.

use printpdf::Op;

use super::canvas::{Canvas, FontIds, PAGE_WIDTH, TextStyle};
use super::labels::Labels;
use super::qr::Symbol;
use super::text::{wrap, wrap_at_most};
use super::theme::{
    BLOCK_GAP, BLUE, BODY_BOTTOM, CONTENT_WIDTH, FOOT_HEADING, FOOT_LINK, FOOT_NOTE, FOOTER_RULE_Y,
    HEADING, INTRO, KEY, MARGIN_X, PAGE_NUMBER, QR_DARK, RULE, SUBTITLE, TITLE, TOP_MARGIN, VALUE,
    YELLOW,
};
use super::{Bi, Languages, ReceiptError, ReceiptView, table};

/// Header band padding above the title and below the subtitle.
const BAND_PAD: f32 = 11.0;
const STRIPE_HEIGHT: f32 = 6.0;
/// Width of the key column in the key/value block, at least.
const KEY_WIDTH: f32 = 140.0;
const MAX_KEY_WIDTH: f32 = 200.0;
/// Space between the longest key and its value.
const KEY_PAD: f32 = 10.0;
const KEY_ROW_GAP: f32 = 2.5;
/// Side of the QR code square, quiet zone included.
/// 84 pt (30 mm) keeps a module of a verify link's code near 0.7 mm, easy for a phone.
const QR_SIDE: f32 = 84.0;
const QR_GAP: f32 = 20.0;
/// Gaps in the verify block: under its heading, and between the link and the note.
const LINK_GAP: f32 = 2.0;
const NOTE_GAP: f32 = 5.0;
/// Bottom of the verify block, a little above the footer rule.
const FOOT_BOTTOM: f32 = FOOTER_RULE_Y - 12.0;
/// At most this many lines for one value, so the block always fits the first page.
const MAX_VALUE_LINES: usize = 3;

/// Pages drawn so far and the vertical position on the current one.
pub(super) struct Flow {
    fonts: FontIds,
    labels: Labels,
    done: Vec<Canvas>,
    pub(super) page: Canvas,
    /// Top of the free space on the current page.
    pub(super) y: f32,
}

impl Flow {
    fn new(fonts: FontIds, languages: Languages) -> Self {
        Self {
            page: Canvas::new(fonts.clone()),
            fonts,
            labels: Labels::new(languages),
            done: Vec::new(),
            y: 0.0,
        }
    }

    /// Free height above [`BODY_BOTTOM`] on the current page.
    pub(super) fn room(&self) -> f32 {
        BODY_BOTTOM - self.y
    }

    pub(super) fn new_page(&mut self) {
        let full = std::mem::replace(&mut self.page, Canvas::new(self.fonts.clone()));
        self.done.push(full);
        self.y = TOP_MARGIN;
    }

    /// Adds the rule and "page N of M" to every page and hands back their operations.
    fn finish(mut self) -> Result<Vec<Vec<Op>>, ReceiptError> {
        self.done.push(self.page);
        let pages = self.done.len();
        let mut out = Vec::with_capacity(pages);
        for (index, mut canvas) in self.done.into_iter().enumerate() {
            canvas.rule(MARGIN_X, CONTENT_WIDTH, FOOTER_RULE_Y, 0.6, RULE);
            let footer = self.labels.page_footer(index + 1, pages)?;
            canvas.text(MARGIN_X, FOOTER_RULE_Y + 4.0, &PAGE_NUMBER, &footer);
            out.push(canvas.into_ops());
        }
        Ok(out)
    }
}

/// Lays the whole receipt out; one `Vec<Op>` per page.
pub(super) fn compose(view: &ReceiptView, fonts: FontIds) -> Result<Vec<Vec<Op>>, ReceiptError> {
    let labels = Labels::new(view.languages);
    let symbol = Symbol::encode(&view.verify_url)?;
    let mut flow = Flow::new(fonts, view.languages);
    header(&mut flow, view);
    key_values(&mut flow, view, &labels)?;
    flow.y += BLOCK_GAP / 2.0;
    paragraphs(&mut flow, &view.languages.paragraphs(&view.intro), &INTRO);
    flow.y += BLOCK_GAP / 2.0;
    heading(&mut flow, labels.get("services_heading")?);
    table::draw(&mut flow, &view.services, &labels)?;
    if !view.next_steps.is_empty() {
        flow.y += BLOCK_GAP;
        heading(&mut flow, labels.get("next_heading")?);
        for step in &view.next_steps {
            paragraphs(&mut flow, &view.languages.paragraphs(step), &INTRO);
            flow.y += 2.0;
        }
    }
    verify_block(&mut flow, view, &labels, &symbol)?;
    flow.finish()
}

/// A section heading, on a new page when not even a line of what follows would fit under it.
fn heading(flow: &mut Flow, text: &str) {
    if flow.room() < HEADING.height(1) + 3.0 * INTRO.height(1) {
        flow.new_page();
    }
    let lines = wrap(text, HEADING.face(), HEADING.size, CONTENT_WIDTH);
    flow.y += flow.page.lines(MARGIN_X, flow.y, &HEADING, &lines);
    flow.y += 3.0;
}

/// Paragraphs wrapped to the content width, continuing on a new page line by line.
fn paragraphs(flow: &mut Flow, texts: &[String], style: &TextStyle) {
    for text in texts.iter().filter(|t| !t.is_empty()) {
        for line in wrap(text, style.face(), style.size, CONTENT_WIDTH) {
            if flow.room() < style.height(1) {
                flow.new_page();
            }
            flow.y += flow.page.lines(MARGIN_X, flow.y, style, &[line]);
        }
        flow.y += 2.0;
    }
}

/// The blue band with the title (in Ukrainian, with English under it for a bilingual receipt,
/// or the life event under it otherwise) and the yellow stripe under it.
fn header(flow: &mut Flow, view: &ReceiptView) {
    let (title, subtitle) = match view.languages {
        Languages::Both => (view.title.uk.clone(), view.title.en.clone()),
        one_language => {
            let one = |bi: &Bi| one_language.pick(bi);
            (one(&view.title), one(&view.event))
        }
    };
    let title = wrap(&title, TITLE.face(), TITLE.size, CONTENT_WIDTH);
    let subtitle = wrap(&subtitle, SUBTITLE.face(), SUBTITLE.size, CONTENT_WIDTH);
    let band = 2.0 * BAND_PAD + TITLE.height(title.len()) + SUBTITLE.height(subtitle.len());
    flow.page.fill_rect(0.0, 0.0, PAGE_WIDTH, band, BLUE);
    flow.page
        .fill_rect(0.0, band, PAGE_WIDTH, STRIPE_HEIGHT, YELLOW);
    let mut y = BAND_PAD;
    y += flow.page.lines(MARGIN_X, y, &TITLE, &title);
    flow.page.lines(MARGIN_X, y, &SUBTITLE, &subtitle);
    flow.y = band + STRIPE_HEIGHT + 1.2 * BLOCK_GAP;
}

/// Application number, dates, applicant, summary and life event, labels left, values right.
fn key_values(flow: &mut Flow, view: &ReceiptView, labels: &Labels) -> Result<(), ReceiptError> {
    let languages = view.languages;
    let kyiv = |time: &Bi| -> Result<String, ReceiptError> {
        Ok(format!(
            "{} ({})",
            languages.pick_value(time),
            labels.get("kyiv")?
        ))
    };
    let mut rows = vec![
        (
            labels.get("label_application")?.to_owned(),
            view.application_id.clone(),
        ),
        (
            labels.get("label_submitted")?.to_owned(),
            kyiv(&view.submitted_at)?,
        ),
        (
            labels.get("label_state")?.to_owned(),
            kyiv(&view.state_as_of)?,
        ),
        (
            labels.get("label_applicant")?.to_owned(),
            view.applicant.clone(),
        ),
    ];
    rows.extend(
        view.details
            .iter()
            .map(|(k, v)| (languages.pick(k), v.clone())),
    );
    rows.push((
        labels.get("label_event")?.to_owned(),
        languages.pick(&view.event),
    ));
    key_value_rows(flow, rows);
    Ok(())
}

/// The rows of the key/value block; the key column widens (up to a limit) so that no key wraps,
/// which only the bilingual keys need.
fn key_value_rows(flow: &mut Flow, rows: Vec<(String, String)>) {
    let widest = rows
        .iter()
        .map(|(key, _)| KEY.face().width(key, KEY.size))
        .fold(0.0, f32::max);
    let key_width = (widest + KEY_PAD).clamp(KEY_WIDTH, MAX_KEY_WIDTH);
    let value_width = CONTENT_WIDTH - key_width;
    for (key, value) in rows {
        let key = wrap(&key, KEY.face(), KEY.size, key_width - KEY_PAD);
        let value = wrap_at_most(
            &value,
            VALUE.face(),
            VALUE.size,
            value_width,
            MAX_VALUE_LINES,
        );
        let height_key = flow.page.lines(MARGIN_X, flow.y, &KEY, &key);
        let height_value = flow
            .page
            .lines(MARGIN_X + key_width, flow.y, &VALUE, &value);
        flow.y += height_key.max(height_value) + KEY_ROW_GAP;
    }
}

/// "Verify this receipt", the link and a short note on the left, the QR code on the right,
/// anchored at the bottom of the last page (a new page when the table left no room).
fn verify_block(
    flow: &mut Flow,
    view: &ReceiptView,
    labels: &Labels,
    symbol: &Symbol,
) -> Result<(), ReceiptError> {
    let width = CONTENT_WIDTH - QR_SIDE - QR_GAP;
    let heading = wrap(
        labels.get("verify_heading")?,
        FOOT_HEADING.face(),
        FOOT_HEADING.size,
        width,
    );
    let link = wrap(&view.verify_url, FOOT_LINK.face(), FOOT_LINK.size, width);
    let note: Vec<String> = labels
        .paragraphs("verify_note")?
        .iter()
        .flat_map(|p| wrap(p, FOOT_NOTE.face(), FOOT_NOTE.size, width))
        .collect();
    let text_height = FOOT_HEADING.height(heading.len())
        + LINK_GAP
        + FOOT_LINK.height(link.len())
        + NOTE_GAP
        + FOOT_NOTE.height(note.len());
    let quiet = 4.0 * symbol.module_size(QR_SIDE);
    let height = text_height.max(QR_SIDE - quiet);
    let top = FOOT_BOTTOM - height;
    if flow.y + BLOCK_GAP > top {
        flow.new_page();
    }
    let page = &mut flow.page;
    let mut y = top + page.lines(MARGIN_X, top, &FOOT_HEADING, &heading) + LINK_GAP;
    let link_height = page.lines(MARGIN_X, y, &FOOT_LINK, &link);
    page.link(MARGIN_X, y, width, link_height, &view.verify_url);
    y += link_height + NOTE_GAP;
    page.lines(MARGIN_X, y, &FOOT_NOTE, &note);
    let qr_x = MARGIN_X + CONTENT_WIDTH - QR_SIDE;
    symbol.draw(page, qr_x, top - quiet, QR_SIDE, QR_DARK);
    flow.y = FOOT_BOTTOM;
    Ok(())
}

#[cfg(test)]
mod tests {
    use printpdf::FontId;

    use super::super::tests::sample_view;
    use super::*;

    fn flow_at(y: f32) -> Flow {
        let mut flow = Flow::new(
            FontIds {
                regular: FontId::new(),
                bold: FontId::new(),
            },
            Languages::Both,
        );
        flow.y = y;
        flow
    }

    fn place_verify_block(flow: &mut Flow) {
        let view = sample_view();
        let labels = Labels::new(view.languages);
        let symbol = Symbol::encode(&view.verify_url).unwrap();
        verify_block(flow, &view, &labels, &symbol).unwrap();
    }

    #[test]
    fn the_verify_block_stays_on_the_page_when_there_is_room() {
        let mut flow = flow_at(400.0);
        place_verify_block(&mut flow);
        assert!(flow.done.is_empty());
    }

    #[test]
    fn the_verify_block_moves_to_a_new_page_rather_than_under_the_table() {
        let mut flow = flow_at(BODY_BOTTOM - 60.0);
        place_verify_block(&mut flow);
        assert_eq!(flow.done.len(), 1);
    }
}
