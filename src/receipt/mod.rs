//! The PDF receipt of an application: one A4 document (continuing onto more pages when the
//! services table is long) that sums up what was asked, what each registry answered, and how
//! to check the current status (a verify link and its QR code). It renders a ready-made
//! [`ReceiptView`] and nothing else: no database or network access, no clock, no formatting of
//! dates or ids, and no more personal data than the view carries. Its fixed words come from the
//! message catalogue (`labels`), fonts are the vendored DejaVu Sans faces, embedded and
//! subset so Cyrillic renders and can be searched and copied.

mod canvas;
mod from_application;
mod items;
mod labels;
mod languages;
mod layout;
mod qr;
mod row;
mod services;
mod subset_tag;
mod table;
mod text;
mod theme;

#[cfg(test)]
mod tests;

pub use from_application::{kyiv_time, reference_digest, render_data, view};
pub use languages::{Bi, Languages};
use printpdf::{PdfDocument, PdfPage, PdfParseErrorSeverity, PdfSaveOptions, Pt};
pub use services::{Group, Services};

use canvas::{FontIds, PAGE_HEIGHT, PAGE_WIDTH};
use text::{Face, Weight};

/// Everything the receipt shows, already formatted for display in both languages; rendering
/// picks the receipt's language.
#[derive(Clone, Debug)]
pub struct ReceiptView {
    pub languages: Languages,
    /// The application's id, e.g. `0190f3c2-…` (a UUID).
    pub application_id: String,
    /// Submission time in Kyiv time, formatted for each language.
    pub submitted_at: Bi,
    /// When the application reached the state this receipt shows (its issue time).
    pub state_as_of: Bi,
    /// The same moment, for the PDF's dates (Unix seconds).
    pub issued_unix: i64,
    /// The life event, e.g. `Народження дитини` / `Birth of a child`.
    pub event: Bi,
    /// The receipt's title and introduction, from the bundle's receipt texts.
    pub title: Bi,
    pub intro: Bi,
    /// The applicant's name as it should be printed.
    pub applicant: String,
    /// Further summary lines after the applicant, as (label, value).
    pub details: Vec<(Bi, String)>,
    /// One line per call of the application, in the order of its calls, and how the table
    /// groups them.
    pub services: Services,
    /// What happens next, and what the applicant must still do.
    pub next_steps: Vec<Bi>,
    /// What the QR code and the verify link carry.
    pub verify_url: String,
}

/// One service of the bundle and where it stands.
#[derive(Clone, Debug)]
pub struct ServiceLine {
    pub title: Bi,
    pub authority: Bi,
    /// Drives the colour and the label of the status cell.
    pub status: StatusKind,
    /// The registry's reference (e.g. `Актовий запис № 1234`) or the reason for a failure; may
    /// be empty.
    pub reference: Bi,
    /// A short code that the public verify page shows too (see `reference_digest`).
    pub digest: String,
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
    #[error("The message catalogue has no receipt text `{0}`")]
    MissingText(&'static str),
    #[error("The bundle's receipt texts do not render: {0}")]
    Texts(String),
    #[error("Failed to encode the verify link as a QR code")]
    Qr(#[from] qrcode::types::QrError),
    #[error("printpdf reported errors while writing the receipt: {0}")]
    Pdf(String),
}

/// Renders the receipt as PDF bytes: the same view always gives the same bytes (fixed font
/// resource names, dates from the view, a document id derived from the content).
pub fn render_pdf(view: &ReceiptView) -> Result<Vec<u8>, ReceiptError> {
    let title = format!(
        "{} {}",
        view.languages.pick(&view.title),
        view.application_id
    );
    let mut doc = PdfDocument::new(&title);
    let issued = printpdf::OffsetDateTime::from_unix_timestamp(view.issued_unix)
        .map_err(|e| ReceiptError::Pdf(e.to_string()))?;
    let info = &mut doc.metadata.info;
    info.creation_date = issued;
    info.modification_date = issued;
    info.metadata_date = issued;
    info.creator = "onestop".into();
    info.producer = "onestop (printpdf)".into();
    info.subject = view.languages.pick(&view.event);
    info.identifier = view.application_id.clone();
    let fonts = FontIds {
        regular: add_font(&mut doc, "F1", Weight::Regular),
        bold: add_font(&mut doc, "F2", Weight::Bold),
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
    let mut pdf = doc
        .with_pages(pages)
        .to_lopdf_document(&options, &mut warnings);
    let errors: Vec<String> = warnings
        .into_iter()
        .filter(|w| w.severity == PdfParseErrorSeverity::Error)
        .map(|w| w.msg)
        .collect();
    if !errors.is_empty() {
        return Err(ReceiptError::Pdf(errors.join("; ")));
    }
    finish(&mut pdf, view)
}

/// Deflate every stream not compressed yet (the subset fonts, mostly) at level 3. lopdf's own
/// `compress` uses the best level, 9, and deflating was then the largest share of a receipt's
/// work; level 3 costs far less for a file barely larger, level 1 less still but for a much
/// larger file (figures in `docs/performance-log.md`, "Figures once in the code").
fn compress(pdf: &mut lopdf::Document) {
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use std::io::Write;
    for object in pdf.objects.values_mut() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::new(3));
        let Ok(compressed) = encoder
            .write_all(&stream.content)
            .and_then(|()| encoder.finish())
        else {
            continue;
        };
        if compressed.len() + 19 < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(compressed);
        }
    }
}

/// A font under a fixed resource name (printpdf's own names are random).
fn add_font(doc: &mut PdfDocument, name: &str, weight: Weight) -> printpdf::FontId {
    let id = printpdf::FontId(name.to_owned());
    let font = printpdf::PdfFont::new(Face::get(weight).pdf().clone());
    doc.resources.fonts.map.insert(id.clone(), font);
    id
}

/// The document's language, a stable id in place of printpdf's random one and proper subset
/// tags on the fonts, then the bytes.
fn finish(pdf: &mut lopdf::Document, view: &ReceiptView) -> Result<Vec<u8>, ReceiptError> {
    use lopdf::{Object, StringFormat};
    let lang = view.languages.first().code();
    pdf.catalog_mut()
        .map_err(|e| ReceiptError::Pdf(e.to_string()))?
        .set("Lang", Object::String(lang.into(), StringFormat::Literal));
    let id = stable_id(view);
    let id = Object::String(id, StringFormat::Hexadecimal);
    pdf.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    subset_tag::tag_subset_fonts(pdf);
    compress(pdf);
    let mut bytes = Vec::new();
    pdf.save_to(&mut bytes)
        .map_err(|e| ReceiptError::Pdf(e.to_string()))?;
    Ok(bytes)
}

/// 16 bytes that change when anything the receipt shows changes.
fn stable_id(view: &ReceiptView) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(format!("{view:?}").as_bytes());
    hasher.finalize()[..16].to_vec()
}
