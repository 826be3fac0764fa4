//! The receipt: every service's name and reference in Ukrainian, a QR code that decodes to the
//! verify page, a valid PDF (qpdf), the same bytes for the same state, English and bilingual
//! versions, pages with the table header repeated, and a verify page without personal data.

use crate::helpers::{Db, TestApp, example, pdf_tool, root, spawn_app, spawn_app_with};
use serde_json::{Value, json};

/// The text in reading order, whitespace collapsed (a wrapped title reads as one line).
fn plain_text(pdf: &[u8]) -> String {
    let raw = pdf_tool("pdftotext", &["-raw"], pdf, &["-"]);
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each page's text.
fn page_texts(pdf: &[u8]) -> Vec<String> {
    pdf_tool("pdftotext", &["-raw"], pdf, &["-"])
        .split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .map(|page| page.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

async fn fetch(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("request")
}

async fn receipt_in(app: &TestApp, id: &str, lang: &str) -> Vec<u8> {
    let path = format!("/api/v1/applications/{id}/receipt.pdf?lang={lang}");
    let response = fetch(app, &path).await;
    assert_eq!(response.status().as_u16(), 200);
    response.bytes().await.expect("bytes").to_vec()
}

/// A completed full birth application: its id and status document.
async fn completed_birth(app: &TestApp) -> (String, Value) {
    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    (id, done)
}

on_both_databases!(
    a_full_birth_receipt_names_every_service_and_reference_in_ukrainian,
    the_example_birth_receipt_is_one_a4_page_with_subset_fonts,
    a_relocation_receipt_lists_each_persons_services_under_their_name,
);

async fn a_full_birth_receipt_names_every_service_and_reference_in_ukrainian(db: Db) {
    let app = spawn_app(db).await;
    let (id, done) = completed_birth(&app).await;
    let pdf = app.receipt(&id).await;
    assert!(pdf.len() < 100 * 1024, "{} bytes", pdf.len());
    let text = plain_text(&pdf);
    let services = done["services"].as_array().expect("services");
    assert_eq!(services.len(), 10);
    for service in services {
        let title = service["title"]["uk"].as_str().expect("title");
        assert!(text.contains(title), "no {title:?} in:\n{text}");
    }
    let output = |service: &str, field: &str| -> String {
        let found = services.iter().find(|s| s["service"] == service);
        let value = &found.expect(service)["outputs"][field];
        value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned)
    };
    for expected in [
        format!(
            "Актовий запис № {}",
            output("civil.birth-registration", "act_record_number")
        ),
        format!("РНОКПП {}", output("tax.rnokpp-assignment", "rnokpp")),
        format!("УНЗР {}", output("migration.unzr-entry", "unzr")),
        format!(
            "№ {}",
            output("civil.birth-certificate", "certificate_number")
        ),
        format!(
            "Рішення № {}",
            output("social.birth-assistance", "decision_number")
        ),
        "грн".to_owned(),
        "Квитанція про реєстрацію народження дитини".to_owned(),
        "Що далі".to_owned(),
        "Сторінка 1 з".to_owned(),
    ] {
        assert!(text.contains(&expected), "no {expected:?} in:\n{text}");
    }
    let mother = &example("birth")["data"]["mother"];
    for private in ["rnokpp", "passport_number", "id_card_number"] {
        if let Some(number) = mother[private].as_str() {
            assert!(!text.contains(number), "the mother's {private} is printed");
        }
    }
}

#[tokio::test]
async fn the_receipt_is_a_valid_pdf_whose_qr_code_opens_the_verify_page() {
    let app = spawn_app(Db::Sqlite).await;
    let (id, done) = completed_birth(&app).await;
    let pdf = app.receipt(&id).await;
    let check = pdf_tool("qpdf", &["--check"], &pdf, &[]);
    assert!(
        check.contains("No syntax or stream encoding errors"),
        "{check}"
    );
    let info = pdf_tool("pdfinfo", &[], &pdf, &[]);
    assert!(
        info.contains("Квитанція про реєстрацію народження дитини"),
        "{info}"
    );
    assert!(
        info.contains("Page size:") && info.contains("595.28 x 841.89"),
        "{info}"
    );
    // The QR code sits at the foot of the last page.
    let pages = page_texts(&pdf).len().to_string();
    let decoded = decode_qr_of_last_page(&pdf, &pages);
    assert_eq!(
        decoded.trim(),
        done["verify_url"].as_str().expect("verify url")
    );
    let again = app.receipt(&id).await;
    assert_eq!(pdf, again, "the same state renders to the same bytes");
}

/// Render the last page to PNG and decode its QR code with zbarimg.
fn decode_qr_of_last_page(pdf: &[u8], page: &str) -> String {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("receipt.pdf");
    std::fs::write(&file, pdf).expect("written");
    let prefix = dir.path().join("page");
    let status = std::process::Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-singlefile", "-f", page, "-l", page])
        .arg(&file)
        .arg(&prefix)
        .status()
        .expect("pdftoppm runs");
    assert!(status.success());
    let output = std::process::Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(prefix.with_extension("png"))
        .output()
        .expect("zbarimg runs (bash scripts/test installs zbar-tools)");
    assert!(output.status.success(), "no QR code found");
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[tokio::test]
async fn the_receipt_renders_in_english_and_in_both_languages() {
    let app = spawn_app(Db::Sqlite).await;
    let (id, _) = completed_birth(&app).await;
    let english = plain_text(&receipt_in(&app, &id, "en").await);
    for expected in [
        "Receipt: registration of a child's birth",
        "State registration of birth",
        "Next steps",
        "Page 1 of",
        "UAH ",
    ] {
        assert!(english.contains(expected), "no {expected:?} in:\n{english}");
    }
    assert!(!english.contains("Квитанція"), "{english}");
    let both = plain_text(&receipt_in(&app, &id, "uk+en").await);
    for expected in [
        "Квитанція про реєстрацію народження дитини",
        "Receipt: registration of a child's birth",
        "Сторінка 1 з",
        "Page 1 of",
        "Що далі / Next steps",
    ] {
        assert!(both.contains(expected), "no {expected:?} in:\n{both}");
    }
    let unknown = fetch(
        &app,
        &format!("/api/v1/applications/{id}/receipt.pdf?lang=fr"),
    )
    .await;
    assert_eq!(unknown.status().as_u16(), 400);
}

#[tokio::test]
async fn thirty_services_flow_onto_further_pages_with_the_table_header_repeated() {
    let app = spawn_app_with(Db::Sqlite, |s| {
        s.definitions.root = root().join("tests/fixtures/thirty-services");
    })
    .await;
    let id = app
        .submit_ok("many", &json!({ "data": { "name": "Олена" } }))
        .await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let pages = page_texts(&app.receipt(&id).await);
    assert!(pages.len() >= 2, "{} page(s)", pages.len());
    let count = pages.len();
    for (n, page) in pages.iter().enumerate() {
        assert!(
            page.contains("Послуга"),
            "page {}: no table header:\n{page}",
            n + 1
        );
        assert!(
            page.contains(&format!("Сторінка {} з {count}", n + 1)),
            "page {}:\n{page}",
            n + 1
        );
    }
    let all = pages.join(" ");
    for i in 1..=30 {
        assert!(
            all.contains(&format!("№ {i} ")) || all.contains(&format!("№ {i}")),
            "service {i}"
        );
    }
}

#[tokio::test]
async fn the_verify_page_shows_statuses_and_check_codes_but_no_personal_data() {
    let app = spawn_app(Db::Sqlite).await;
    let (id, done) = completed_birth(&app).await;
    let receipt = plain_text(&app.receipt(&id).await);
    let url = done["verify_url"].as_str().expect("verify url");
    let path = &url[url.find("/verify/").expect("path")..];
    assert!(!path.contains(&id), "the code is not the application id");
    let html = fetch(&app, path).await.text().await.expect("HTML");
    let json: Value = app
        .client
        .get(format!("{}{path}", app.address))
        .header("Accept", "application/json")
        .send()
        .await
        .expect("JSON")
        .json()
        .await
        .expect("JSON body");
    assert_eq!(json["application"], id.as_str());
    assert!(json["state_as_of"].is_string(), "{json:#}");
    for service in json["services"].as_array().expect("services") {
        let code = service["check_code"].as_str().expect("a check code");
        assert_eq!(code.len(), 9);
        assert!(receipt.contains(code), "the receipt prints {code}");
        assert!(html.contains(code));
    }
    let data = &example("birth")["data"];
    let mut private: Vec<String> = Vec::new();
    let children = data["children"].as_array().expect("children");
    for person in [&data["mother"], &data["father"]]
        .into_iter()
        .chain(children)
    {
        for field in [
            "given_name",
            "surname",
            "rnokpp",
            "passport_number",
            "id_card_number",
        ] {
            if let Some(value) = person[field].as_str() {
                private.push(value.to_owned());
            }
        }
    }
    for service in done["services"].as_array().expect("services") {
        for field in ["rnokpp", "unzr", "act_record_number", "certificate_number"] {
            if let Some(value) = service["outputs"][field].as_str() {
                private.push(value.to_owned());
            }
        }
    }
    // Short record numbers (an act record "101") could occur inside a check code by chance.
    private.retain(|value| value.chars().count() >= 5);
    let json_text = json.to_string();
    for value in &private {
        assert!(
            !html.contains(value.as_str()),
            "the verify page shows {value:?}"
        );
        assert!(
            !json_text.contains(value.as_str()),
            "the verify JSON shows {value:?}"
        );
    }
}

async fn the_example_birth_receipt_is_one_a4_page_with_subset_fonts(db: Db) {
    let app = spawn_app(db).await;
    let (id, _) = completed_birth(&app).await;
    for lang in ["uk", "en"] {
        let pdf = receipt_in(&app, &id, lang).await;
        let info = pdf_tool("pdfinfo", &[], &pdf, &[]);
        assert!(info.contains("\nPages:           1\n"), "{lang}: {info}");
        assert!(
            info.contains("595.28 x 841.89") && info.contains("(A4)"),
            "{lang}: {info}"
        );
        assert_subset_fonts(&pdf);
    }
}

/// A completed relocation of `people` (the example's, repeated with new given names up to
/// `count`): its id and status document.
async fn completed_relocation(app: &TestApp, count: usize) -> (String, Value) {
    let mut application = example("relocation");
    let people = application["data"]["people"]
        .as_array_mut()
        .expect("people");
    let names = ["Богдан", "Олесь", "Дарина", "Тарас", "Соломія"];
    for n in people.len()..count {
        let mut person = people[n % 2 + 1].clone();
        person["given_name"] = json!(names[n % names.len()]);
        people.push(person);
    }
    let id = app.submit_ok("relocation", &application).await;
    app.confirm_human_steps(&id).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    (id, done)
}

async fn a_relocation_receipt_lists_each_persons_services_under_their_name(db: Db) {
    let app = spawn_app(db).await;
    let (id, done) = completed_relocation(&app, 3).await;
    let pdf = app.receipt(&id).await;
    let text = plain_text(&pdf);
    let table = &text[text.find("Послуги у пакеті").expect("the table")..];
    let services = done["services"].as_array().expect("services");
    let title = |s: &Value| s["title"]["uk"].as_str().expect("title").to_owned();
    let at = |needle: &str, from: usize| {
        let found = table[from..].find(needle);
        from + found.unwrap_or_else(|| panic!("no {needle:?} after {from} in:\n{table}"))
    };
    // Every relocation service is the person's own: each person's come under their name, in
    // order (the applicant's voter registration and military notice under the applicant's).
    let first_name = at("Ірина Шевчук", 0);
    for own in (services.iter()).filter(|s| s["item"] == 0 && s["kind"] == "service") {
        assert!(at(&title(own), first_name) > first_name, "{}", title(own));
    }
    let mut from = 0;
    for name in ["Ірина Шевчук", "Марко Шевчук", "Зоряна Шевчук"]
    {
        from = at(name, from);
        for repeated in services.iter().filter(|s| s["item"] == 1) {
            from = at(&title(repeated), from);
        }
    }
    assert!(!table.contains("(Марко Шевчук)"), "{table}");
}

#[tokio::test]
async fn a_long_relocation_continues_on_a_second_page_without_a_lone_heading() {
    let app = spawn_app(Db::Sqlite).await;
    let (id, _) = completed_relocation(&app, 7).await;
    let pdf = app.receipt(&id).await;
    let pages = page_texts(&pdf);
    assert_eq!(pages.len(), 2, "{pages:#?}");
    for (n, page) in pages.iter().enumerate() {
        assert!(page.contains("Послуга"), "page {}: no table header", n + 1);
        assert!(page.contains(&format!("Сторінка {} з 2", n + 1)), "{page}");
    }
    // An item's heading moves to the next page with its first row.
    assert!(!pages[0].contains("Шевчук Сторінка 1 з 2"), "{}", pages[0]);
}

/// Every font `pdffonts` lists is embedded and subset, named `ABCDEF+Face` (ISO 32000-1 §9.6.4).
fn assert_subset_fonts(pdf: &[u8]) {
    let fonts = pdf_tool("pdffonts", &[], pdf, &[]);
    let rows: Vec<Vec<&str>> = fonts
        .lines()
        .skip(2)
        .map(|row| row.split_whitespace().collect())
        .collect();
    assert!(!rows.is_empty(), "no fonts:\n{fonts}");
    for row in rows {
        // name, type (may be two words), encoding, emb, sub, uni, object id (two numbers)
        let [name, .., emb, sub, _uni, _, _] = row[..] else {
            panic!("unexpected pdffonts row {row:?}");
        };
        let (tag, face) = name.split_once('+').unwrap_or_default();
        let tagged = tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase());
        assert!(
            tagged && !face.is_empty(),
            "{name} has no subset tag:\n{fonts}"
        );
        assert_eq!((emb, sub), ("yes", "yes"), "{name}:\n{fonts}");
    }
}
