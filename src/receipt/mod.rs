//! The PDF receipt of an application: one A4 document (continuing onto more pages when the
//! services table is long) that sums up what was asked, what each registry answered, and how
//! to check the current status (a verify link and its QR code). It renders a ready-made
//! [`ReceiptView`] and nothing else: no database or network access, no clock, no formatting of
//! dates or ids, and no more personal data than the view carries. Texts come from an embedded
//! handlebars template (`labels`), fonts are the vendored DejaVu Sans faces, embedded and
//! subset so Cyrillic renders and can be searched and copied.

mod canvas;
mod from_application;
mod labels;
mod layout;
mod qr;
mod table;
mod text;
mod theme;

#[cfg(test)]
mod tests;

pub use from_application::{kyiv_time, view};
use printpdf::{PdfDocument, PdfPage, PdfParseErrorSeverity, PdfSaveOptions, Pt};

use canvas::{FontIds, PAGE_HEIGHT, PAGE_WIDTH};
use text::{Face, Weight};

/// Everything the receipt shows, already formatted for display.
#[derive(Clone, Debug)]
pub struct ReceiptView {
    /// The application's id, e.g. `0190f3c2-…` (a UUID).
    pub application_id: String,
    /// Submission time, already formatted in Kyiv time, e.g. `21.11.2026 10:42`.
    pub submitted_at: String,
    /// The life event in Ukrainian, e.g. `Народження дитини`.
    pub event_title_uk: String,
    /// The life event in English, e.g. `Birth of a child`; may be empty.
    pub event_title_en: String,
    /// The applicant's name as it should be printed.
    pub applicant: String,
    /// Further summary lines after the applicant, as (bilingual label, value).
    pub details: Vec<(String, String)>,
    /// One line per service of the bundle, in display order.
    pub services: Vec<ServiceLine>,
    /// What the QR code and the verify link carry.
    pub verify_url: String,
}

/// One service of the bundle and where it stands.
#[derive(Clone, Debug)]
pub struct ServiceLine {
    pub title_uk: String,
    /// May be empty.
    pub title_en: String,
    pub authority_uk: String,
    /// Drives the colour and the label of the status cell.
    pub status: StatusKind,
    /// The registry's reference (e.g. `Актовий запис № 1234; РНОКПП 4567890123`) or the
    /// reason for a failure; may be empty.
    pub reference: String,
}

/// Where a service stands, as far as the receipt is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusKind {
    Succeeded,
    InProgress,
    Failed,
    Blocked,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("The receipt text template does not compile: {0}")]
    TemplateSyntax(String),
    #[error("Failed to render the receipt texts")]
    Template(#[from] handlebars::RenderError),
    #[error("The receipt text template produced a line without `key: text`: {0:?}")]
    TextLine(String),
    #[error("The receipt text template has no `{0}` line")]
    MissingText(&'static str),
    #[error("Failed to encode the verify link as a QR code")]
    Qr(#[from] qrcode::types::QrError),
    #[error("printpdf reported errors while writing the receipt: {0}")]
    Pdf(String),
}

/// Renders the receipt as PDF bytes.
pub fn render_pdf(view: &ReceiptView) -> Result<Vec<u8>, ReceiptError> {
    let mut doc = PdfDocument::new(&format!("Квитанція {}", view.application_id));
    let fonts = FontIds {
        regular: doc.add_font(Face::get(Weight::Regular).pdf()),
        bold: doc.add_font(Face::get(Weight::Bold).pdf()),
    };
    let pages = layout::compose(view, fonts)?
        .into_iter()
        .map(|ops| PdfPage::new(Pt(PAGE_WIDTH).into(), Pt(PAGE_HEIGHT).into(), ops))
        .collect();
    let options = PdfSaveOptions {
        subset_fonts: true,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    let bytes = doc.with_pages(pages).save(&options, &mut warnings);
    let errors: Vec<String> = warnings
        .into_iter()
        .filter(|w| w.severity == PdfParseErrorSeverity::Error)
        .map(|w| w.msg)
        .collect();
    if errors.is_empty() {
        Ok(bytes)
    } else {
        Err(ReceiptError::Pdf(errors.join("; ")))
    }
}
