//! An application travels from submission through the registries to its receipt.

use crate::helpers::{Db, example, pdf_text, postgres_url, spawn_app};
use serde_json::Value;

async fn birth_application_completes_and_its_receipt_names_the_child_and_numbers(db: Db) {
    let app = spawn_app(db).await;
    let response = app.submit("birth", &example("birth")).await;
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.expect("JSON");
    let id = created["id"].as_str().expect("id").to_owned();

    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert_eq!(
        done["bundle_version"], 4,
        "the bundle version is recorded on the application"
    );
    let services = done["services"].as_array().expect("services");
    assert_eq!(
        services.len(),
        10,
        "every service, the optional ones chosen"
    );
    for s in services {
        assert_eq!(s["status"], "succeeded", "{s:#}");
    }
    let act = done["services"][0]["outputs"]["act_record_number"]
        .as_str()
        .expect("act record");
    let rnokpp = services
        .iter()
        .find_map(|s| s["outputs"]["rnokpp"].as_str())
        .expect("rnokpp");
    let unzr = services
        .iter()
        .find_map(|s| s["outputs"]["unzr"].as_str())
        .expect("unzr");
    assert!(
        onestop::form::is_rnokpp(rnokpp),
        "sandbox RNOKPP {rnokpp} has a valid check digit"
    );
    assert!(onestop::form::is_unzr(unzr), "sandbox UNZR {unzr} is valid");
    assert!(
        unzr.starts_with("20261119-"),
        "UNZR starts with the child's birth date: {unzr}"
    );

    let bytes = app.receipt(&id).await;
    assert!(bytes.starts_with(b"%PDF"));
    let text = pdf_text(&bytes);
    for expected in [
        "Олена Коваленко",
        "Державна реєстрація народження",
        "Виконано",
        &id,
        rnokpp,
        unzr,
        act,
    ] {
        assert!(
            text.contains(expected),
            "receipt text lacks {expected:?}:\n{text}"
        );
    }
    assert!(
        !text.contains("3440712340"),
        "the mother's RNOKPP is not printed"
    );
}

#[tokio::test]
async fn birth_application_completes_with_a_receipt_on_sqlite() {
    birth_application_completes_and_its_receipt_names_the_child_and_numbers(Db::Sqlite).await;
}

#[tokio::test]
async fn birth_application_completes_with_a_receipt_on_postgres() {
    if postgres_url().is_some() {
        birth_application_completes_and_its_receipt_names_the_child_and_numbers(Db::Postgres).await;
    }
}

#[tokio::test]
async fn dependents_wait_for_the_act_record_and_receive_it() {
    let app = spawn_app(Db::Sqlite).await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;
    let services = done["services"].as_array().expect("services");
    assert_eq!(services[0]["service"], "civil.birth-registration");
    for dependent in &services[1..4] {
        assert_eq!(
            dependent["depends_on"],
            serde_json::json!(["civil.birth-registration#0"]),
            "{dependent:#}"
        );
    }
    let certificate = &services[4];
    assert_eq!(certificate["service"], "civil.birth-certificate");
    assert_eq!(
        certificate["depends_on"].as_array().map(Vec::len),
        Some(4),
        "{certificate:#}"
    );
}

#[tokio::test]
async fn verify_page_shows_status_without_personal_data() {
    let app = spawn_app(Db::Sqlite).await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;
    let verify_url = done["verify_url"].as_str().expect("verify url");
    let html = app
        .client
        .get(verify_url)
        .send()
        .await
        .expect("verify")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains(r#"Виконано / <span lang="en">Completed</span>"#),
        "{html}"
    );
    let json: Value = app
        .client
        .get(verify_url)
        .header("Accept", "application/json")
        .send()
        .await
        .expect("verify JSON")
        .json()
        .await
        .expect("JSON");
    assert_eq!(json["status"], "completed");
    assert_eq!(json["status_label"], "Виконано / Completed");
    assert_eq!(json["services"][0]["status_label"], "Виконано / Completed");
    assert!(json.get("words").is_none() && json["services"][0].get("words").is_none());
    assert_eq!(json["services"].as_array().map(Vec::len), Some(10));
    let machine = json.to_string();
    for personal in ["Коваленко", "Олена", "3440712340"] {
        assert!(!machine.contains(personal), "verify JSON leaks {personal}");
    }
    for personal in [
        "Коваленко",
        "Олена",
        "3440712340",
        "Мар'яна",
        "Мар&#x27;яна",
    ] {
        assert!(!html.contains(personal), "verify page leaks {personal}");
    }
    let (status, _) = app
        .get_json("/verify/00000000000000000000000000000000")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn unknown_application_is_404_with_the_error_shape() {
    let app = spawn_app(Db::Sqlite).await;
    let (status, body) = app.get_json("/api/v1/applications/not-a-uuid").await;
    assert_eq!(status, 404);
    insta::assert_json_snapshot!(body);
}

/// Parallel services of one application finish at the same moment: the last to finish must see
/// the other and complete the application (a race that only a real concurrent database shows).
async fn many_concurrent_applications_all_complete(db: Db) {
    let app = spawn_app(db).await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        let id = app.submit_ok("birth", &example("birth")).await;
        ids.push(id);
    }
    for id in &ids {
        let done = app.wait_until_done(id).await;
        assert_eq!(done["status"], "completed", "{done:#}");
    }
}

#[tokio::test]
async fn many_concurrent_applications_all_complete_on_sqlite() {
    many_concurrent_applications_all_complete(Db::Sqlite).await;
}

#[tokio::test]
async fn many_concurrent_applications_all_complete_on_postgres() {
    if postgres_url().is_some() {
        many_concurrent_applications_all_complete(Db::Postgres).await;
    }
}
