//! The birth receipt at its real size: the ten services of the birth bundle for one child on one
//! A4 page in each language, the nine per-child services of twins grouped under each child's
//! name and continued on a second page, and no text of the body ever inside the footer.

use printpdf::Op;

use super::super::canvas::PAGE_HEIGHT;
use super::super::theme::{BODY_BOTTOM, FOOTER_RULE_Y};
use super::super::*;
use super::sample_view;
use crate::lang::Lang;

/// Title (uk, en), authority (uk, en) and reference of each service of the birth bundle.
type Service = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const BIRTH: [Service; 10] = [
    (
        "Державна реєстрація народження",
        "State registration of birth",
        "Відділ державної реєстрації актів цивільного стану",
        "Civil registry office",
        "Актовий запис № 101 від 21.11.2026",
    ),
    (
        "Присвоєння РНОКПП",
        "Taxpayer number (RNOKPP)",
        "ДПС України",
        "State Tax Service",
        "РНОКПП 4634499667",
    ),
    (
        "Внесення до демографічного реєстру (УНЗР)",
        "Demographic register entry (UNZR)",
        "ДМС України",
        "State Migration Service",
        "УНЗР 20261119-93350",
    ),
    (
        "Визначення належності до громадянства",
        "Citizenship determination",
        "ДМС України",
        "State Migration Service",
        "Громадянство: UKR (ст. 7 Закону України «Про громадянство України»)",
    ),
    (
        "Свідоцтво про народження з РНОКПП і УНЗР",
        "Birth certificate with RNOKPP and UNZR",
        "Відділ державної реєстрації актів цивільного стану",
        "Civil registry office",
        "Свідоцтво серії І-БК № 100005",
    ),
    (
        "Реєстрація місця проживання дитини",
        "Child's residence registration",
        "Виконавчий орган ради (ЦНАП)",
        "Local council (administrative service centre)",
        "Запис у реєстрі громади R-000007",
    ),
    (
        "Допомога при народженні дитини",
        "Birth assistance",
        "Пенсійний фонд України",
        "Pension Fund of Ukraine",
        "Рішення № ПФУ-2026-000009: 41 280,00 грн",
    ),
    (
        "Пакунок малюка або компенсація",
        "Baby box or compensation",
        "Орган соціального захисту населення",
        "Social protection office",
        "Рішення № СЗ-000006 (пакунок малюка)",
    ),
    (
        "Посвідчення багатодітної сім'ї",
        "Large family certificate",
        "Орган соціального захисту населення",
        "Social protection office",
        "Посвідчення № 000008",
    ),
    (
        "Запис у реєстрі пацієнтів eHealth",
        "eHealth patient record",
        "НСЗУ (eHealth)",
        "National Health Service (eHealth)",
        "Пацієнт eHealth 000010",
    ),
];

fn line(&(title_uk, title_en, authority_uk, authority_en, reference): &Service) -> ServiceLine {
    ServiceLine {
        title: Bi::new(title_uk, title_en),
        authority: Bi::new(authority_uk, authority_en),
        status: StatusKind::Succeeded,
        reference: Bi::new(reference, reference),
        digest: "3F2A-91C0".into(),
    }
}

fn birth_view(languages: Languages, services: Services) -> ReceiptView {
    let next = "Усі послуги виконано. Свідоцтво про народження видає відділ ДРАЦС, указаний у \
        таблиці, — візьміть паспорт. Номери РНОКПП і УНЗР дитини вже внесено до реєстрів.";
    ReceiptView {
        languages,
        title: Bi::new(
            "Квитанція про реєстрацію народження дитини",
            "Receipt: registration of a child's birth",
        ),
        intro: Bi::new(
            "Одну заяву про народження дитини (Мар'яна Коваленко) передано до всіх реєстрів, \
             перелічених нижче; кожна послуга виконується окремо, у порядку, якого вимагає закон.",
            "One application for the birth of a child (Mariana Kovalenko) has gone to every \
             registry listed below; each service is performed on its own, in the order the law \
             requires.",
        ),
        details: vec![(
            Bi::new("Дитина", "Child"),
            "Мар'яна Андріївна Коваленко, 19.11.2026".into(),
        )],
        next_steps: vec![Bi::new(next, "Every service is done.")],
        services,
        ..sample_view()
    }
}

/// Twins: the registration once, then each child's nine services under the child's name.
fn twins() -> Services {
    let mut lines = vec![line(&BIRTH[0])];
    let mut groups = Vec::new();
    for child in ["Мар'яна Коваленко", "Остап Коваленко"] {
        let rows = BIRTH[1..].iter().map(|service| {
            lines.push(line(service));
            (lines.len() - 1, Bi::new(service.0, service.1))
        });
        let rows = rows.collect();
        groups.push(Group {
            heading: Bi::new(child, child),
            rows,
        });
    }
    Services::grouped(lines, groups)
}

fn pages(view: &ReceiptView) -> Vec<Vec<Op>> {
    let fonts = canvas::FontIds {
        regular: printpdf::FontId("F1".into()),
        bold: printpdf::FontId("F2".into()),
    };
    layout::compose(view, fonts).expect("composes")
}

/// Each page's text runs, in drawing order.
fn texts(view: &ReceiptView) -> Vec<Vec<String>> {
    let text = |op: &Op| match op {
        Op::ShowText { items } => Some(
            items
                .iter()
                .map(|i| match i {
                    printpdf::TextItem::Text(t) => t.as_str(),
                    _ => "",
                })
                .collect::<String>(),
        ),
        _ => None,
    };
    pages(view)
        .iter()
        .map(|ops| ops.iter().filter_map(text).collect())
        .collect()
}

/// Each page's text lines, as the top of their baseline on the page.
fn baselines(view: &ReceiptView) -> Vec<Vec<f32>> {
    let pages = pages(view);
    let tops = |ops: &Vec<Op>| -> Vec<f32> {
        let cursor = |op: &Op| match op {
            Op::SetTextCursor { pos } => Some(PAGE_HEIGHT - pos.y.0),
            _ => None,
        };
        ops.iter().filter_map(cursor).collect()
    };
    pages.iter().map(tops).collect()
}

/// Every page's body stays above the footer, whose one line (the page number) is below its rule.
fn assert_nothing_in_the_footer(pages: &[Vec<f32>]) {
    for (n, lines) in pages.iter().enumerate() {
        let (footer, body) = lines.split_last().expect("a page has text");
        assert!(
            *footer > FOOTER_RULE_Y,
            "page {}: footer at {footer}",
            n + 1
        );
        for top in body {
            assert!(*top < BODY_BOTTOM, "page {}: a line at {top}", n + 1);
        }
    }
}

#[test]
fn a_ten_service_birth_receipt_is_one_page_in_either_language() {
    for lang in [Lang::Uk, Lang::En] {
        let view = birth_view(Languages::One(lang), BIRTH.iter().map(line).collect());
        let pages = baselines(&view);
        assert_eq!(pages.len(), 1, "{lang:?}");
        assert_nothing_in_the_footer(&pages);
    }
}

#[test]
fn a_twins_receipt_groups_each_childs_services_and_continues_on_a_second_page() {
    for languages in [Languages::One(Lang::Uk), Languages::Both] {
        let view = birth_view(languages, twins());
        let pages = baselines(&view);
        assert_eq!(pages.len(), 2, "{languages:?}");
        assert_nothing_in_the_footer(&pages);
        let texts = texts(&view);
        let first = texts[1].iter().position(|t| t.starts_with("Остап"));
        let row = texts[1]
            .iter()
            .position(|t| t.chars().all(|c| c.is_ascii_digit()));
        assert!(
            first.is_some() && first < row,
            "the second child is named again over its rows"
        );
        assert!(texts[0].iter().any(|t| t.starts_with("Мар'яна Коваленко")));
        assert!(render_pdf(&view).expect("renders").starts_with(b"%PDF"));
    }
}
