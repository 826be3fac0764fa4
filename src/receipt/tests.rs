//! End-to-end checks of `render_pdf` on a sample birth receipt: valid PDF, fonts subset (small
//! file), long content paginated instead of drawn over the verify block.

use super::*;

fn service(
    title_uk: &str,
    title_en: &str,
    authority: &str,
    status: StatusKind,
    reference: &str,
) -> ServiceLine {
    ServiceLine {
        title_uk: title_uk.into(),
        title_en: title_en.into(),
        authority_uk: authority.into(),
        status,
        reference: reference.into(),
    }
}

pub(super) fn sample_view() -> ReceiptView {
    ReceiptView {
        application_id: "0190f3c2-7d1e-7b3a-9f00-5c3e2a1b4d6f".into(),
        submitted_at: "21.11.2026 10:42".into(),
        event_title_uk: "Народження дитини".into(),
        event_title_en: "Birth of a child".into(),
        applicant: "Олена Коваленко".into(),
        details: vec![(
            "Дитина / Child".into(),
            "Мар'яна Андріївна Коваленко".into(),
        )],
        services: vec![
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
        ],
        verify_url: "https://example.gov.ua/verify/0190f3c2-7d1e-7b3a-9f00-5c3e2a1b4d6f?c=7f3a9c"
            .into(),
    }
}

fn page_count(view: &ReceiptView) -> usize {
    let mut doc = PdfDocument::new("test");
    let fonts = FontIds {
        regular: doc.add_font(Face::get(Weight::Regular).pdf()),
        bold: doc.add_font(Face::get(Weight::Bold).pdf()),
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
fn a_sample_receipt_fits_one_page() {
    assert_eq!(page_count(&sample_view()), 1);
}

#[test]
fn a_receipt_with_many_services_continues_on_more_pages() {
    let mut view = sample_view();
    let services = view.services.clone();
    for _ in 0..4 {
        view.services.extend(services.iter().cloned());
    }
    assert!(page_count(&view) > 1);
    let pdf = render_pdf(&view).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(pdf.len() < 150 * 1024);
}

#[test]
fn a_receipt_without_services_or_english_titles_still_renders() {
    let mut view = sample_view();
    view.services.clear();
    view.event_title_en.clear();
    assert!(render_pdf(&view).unwrap().starts_with(b"%PDF"));
}
