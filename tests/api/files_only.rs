//! A life event onestop does not ship — marriage registration, written only as files under
//! tests/fixtures/marriage — runs end to end through the simulated registries, which answer from
//! the services' output schemas; no Rust was written for it.

use crate::helpers::{Db, pdf_text, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn a_life_event_defined_only_in_files_runs_end_to_end_with_a_receipt() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/marriage");
    let app = spawn_app_with(Db::Sqlite, |s| s.definitions.root = root).await;
    let spouse = |surname: &str, given: &str, born: &str| json!({ "surname": surname, "given_name": given, "birth_date": born, "citizenship": "UKR" });
    let data = json!({
        "spouses": [spouse("Гнатюк", "Соломія", "1995-05-05"), spouse("Остапенко", "Тарас", "1993-03-03")],
        "ceremony_date": "2026-11-20"
    });
    let id = app.submit_ok("marriage", &json!({ "data": data })).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let services = done["services"].as_array().expect("services");
    assert_eq!(
        services.len(),
        3,
        "registration, then one update per spouse"
    );
    let act = services[0]["outputs"]["act_record_number"]
        .as_str()
        .expect("act record")
        .to_owned();
    assert!(
        services[0]["outputs"]["registered_on"]
            .as_str()
            .is_some_and(|d| d.len() == 10)
    );

    let pdf = app.receipt(&id).await;
    let text = pdf_text(&pdf);
    for expected in [
        "Реєстрація шлюбу",
        "Соломія Гнатюк",
        "Тарас Остапенко",
        act.as_str(),
    ] {
        assert!(
            text.contains(expected),
            "receipt lacks {expected:?}:\n{text}"
        );
    }
}
