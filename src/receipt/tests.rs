//! End-to-end checks of `render_pdf` on a sample birth receipt: valid PDF, fonts subset (small
//! file), long content paginated instead of drawn over the verify block.

mod birth;

use super::*;
use crate::lang::Lang;

fn service(
    title_uk: &str,
    title_en: &str,
    authority: &str,
    status: StatusKind,
    reference: &str,
) -> ServiceLine {
    ServiceLine {
        title: Bi::new(title_uk, title_en),
        authority: Bi::new(authority, ""),
        status,
        reference: Bi::new(reference, reference),
        digest: "3F2A-91C0".into(),
    }
}

pub(super) fn sample_view() -> ReceiptView {
    ReceiptView {
        languages: Languages::Both,
        application_id: "0190f3c2-7d1e-7b3a-9f00-5c3e2a1b4d6f".into(),
        submitted_at: Bi::new("21.11.2026 10:42", "21 Nov 2026, 10:42"),
        state_as_of: Bi::new("21.11.2026 10:43", "21 Nov 2026, 10:43"),
        issued_unix: 1_795_000_000,
        event: Bi::new("Народження дитини", "Birth of a child"),
        title: Bi::new("Квитанція про подання заяви", "Receipt of application"),
        intro: Bi::new(
            "Олена Коваленко подала одну заяву.",
            "Olena Kovalenko submitted one application.",
        ),
        applicant: "Олена Коваленко".into(),
        details: vec![(
            Bi::new("Дитина", "Child"),
            "Мар'яна Андріївна Коваленко".into(),
        )],
        next_steps: vec![Bi::new(
            "Частина послуг ще виконується.",
            "Some services are still in progress.",
        )],
        services: Services::flat(sample_services()),
        verify_url: "https://example.gov.ua/verify/0190f3c2-7d1e-7b3a-9f00-5c3e2a1b4d6f?c=7f3a9c"
            .into(),
    }
}

/// Six services, one of each status and one with a long reference.
fn sample_services() -> Vec<ServiceLine> {
    vec![
        service(
            "Державна реєстрація народження",
            "State registration of birth",
            "Відділ ДРАЦС",
            StatusKind::Succeeded,
            "Актовий запис № 1234 від 21.11.2026",
        ),
        service(
            "Присвоєння РНОКПП",
            "Taxpayer number",
            "ДПС України",
            StatusKind::Succeeded,
            "РНОКПП 4567890123",
        ),
        service(
            "Реєстрація місця проживання дитини",
            "Residence registration",
            "ЦНАП",
            StatusKind::InProgress,
            "",
        ),
        service(
            "Допомога при народженні дитини",
            "Childbirth benefit",
            "Пенсійний фонд України",
            StatusKind::InProgress,
            "Заяву передано до органу",
        ),
        service(
            "Пакунок малюка",
            "Baby box",
            "Мінсоцполітики",
            StatusKind::Failed,
            "Реєстр отримувачів тимчасово недоступний: сервіс повернув помилку 503. Повторну спробу буде виконано автоматично протягом доби; додаткових дій від заявника не потрібно.",
        ),
        service(
            "Внесення до реєстру територіальної громади",
            "Community register",
            "Виконавчий орган ради",
            StatusKind::Blocked,
            "Очікує на реєстрацію місця проживання",
        ),
    ]
}

fn page_count(view: &ReceiptView) -> usize {
    let fonts = FontIds {
        regular: printpdf::FontId("F1".into()),
        bold: printpdf::FontId("F2".into()),
    };
    layout::compose(view, fonts).unwrap().len()
}

#[test]
fn a_sample_receipt_is_a_small_pdf() {
    let pdf = render_pdf(&sample_view()).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(
        pdf.len() < 100 * 1024,
        "receipt is {} bytes; are fonts subset?",
        pdf.len()
    );
}

#[test]
fn a_sample_receipt_fits_one_page_in_one_language_and_two_in_both() {
    let one = Languages::One;
    for (languages, pages) in [(one(Lang::Uk), 1), (one(Lang::En), 1), (Languages::Both, 2)] {
        let view = ReceiptView {
            languages,
            ..sample_view()
        };
        assert!(page_count(&view) <= pages, "{languages:?}");
    }
}

#[test]
fn a_receipt_with_many_services_continues_on_more_pages() {
    let mut view = sample_view();
    view.services = (0..5).flat_map(|_| sample_services()).collect();
    assert!(page_count(&view) > 1);
    let pdf = render_pdf(&view).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(pdf.len() < 150 * 1024);
}

#[test]
fn a_receipt_without_services_or_english_titles_still_renders() {
    let mut view = sample_view();
    view.services = Services::default();
    view.event.en.clear();
    view.languages = Languages::One(Lang::En);
    assert!(render_pdf(&view).unwrap().starts_with(b"%PDF"));
}

#[test]
fn the_same_view_renders_to_the_same_bytes() {
    let view = sample_view();
    assert_eq!(render_pdf(&view).unwrap(), render_pdf(&view).unwrap());
    let mut later = view.clone();
    later.state_as_of = Bi::new("21.11.2026 10:44", "21 Nov 2026, 10:44");
    assert_ne!(render_pdf(&view).unwrap(), render_pdf(&later).unwrap());
}

/// Every font name in the PDF (the Type0 and CIDFont `/BaseFont`, the descriptor's `/FontName`).
fn font_names(pdf: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(pdf).expect("the receipt parses");
    let mut names = Vec::new();
    let mut collect = |dict: &lopdf::Dictionary| {
        for key in [&b"BaseFont"[..], b"FontName"] {
            if let Ok(name) = dict.get(key).and_then(lopdf::Object::as_name) {
                names.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    };
    for object in doc.objects.values() {
        if let Ok(dict) = object.as_dict() {
            collect(dict);
            let descendants = dict
                .get(b"DescendantFonts")
                .and_then(lopdf::Object::as_array);
            for cid in descendants.into_iter().flatten() {
                cid.as_dict().into_iter().for_each(&mut collect);
            }
        }
    }
    names.sort();
    names
}

#[test]
fn embedded_fonts_carry_a_subset_tag_that_follows_their_glyphs() {
    let names = font_names(&render_pdf(&sample_view()).unwrap());
    // Each of the two faces named three times, the same way.
    assert_eq!(names.len(), 6, "{names:?}");
    for name in &names {
        let (tag, face) = name.split_once('+').expect("a subset tag");
        assert!(
            tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()),
            "{name}"
        );
        assert!(face.starts_with("DejaVuSans"), "{name}");
    }
    let mut other = sample_view();
    other.applicant = "Ярослава Ющенко".into();
    let other = font_names(&render_pdf(&other).unwrap());
    assert_ne!(names, other, "another glyph set, another tag");
}
