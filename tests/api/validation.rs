//! Bad input gets a clear error and stores nothing. The error bodies are snapshots under
//! `tests/api/snapshots/`: their texts change only deliberately (`cargo insta review`).

use crate::helpers::{Db, example, spawn_app, spawn_app_with};
use insta::assert_json_snapshot;
use serde_json::{Value, json};

/// The status and the JSON body of an answer.
async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON error body"))
}

/// Every error is there with its pointer, its message (the RNOKPP's names its check digit) and
/// the services that ask for the field.
#[tokio::test]
async fn every_error_is_reported_at_once_with_pointers_and_services() {
    let app = spawn_app(Db::Sqlite).await;
    let mut body = example("birth");
    body["data"]["mother"]["rnokpp"] = json!("3440712341");
    body["data"]["mother"]
        .as_object_mut()
        .expect("mother")
        .remove("surname");
    body["data"]["children"][0]["birth_date"] = json!("2999-01-01");
    body["data"]["father"]["identity_document"]["number"] = json!("KB123456");
    let (status, errors) = answer(app.submit("birth", &body).await).await;
    assert_eq!(status, 422);
    assert_json_snapshot!(errors);
}

/// The domain rules' messages (`docs/domain.md`), each next to its field: a name with a digit,
/// a sole proprietor under 16, an income above the single-tax group's limit.
#[tokio::test]
async fn domain_rules_are_reported_in_their_own_words() {
    let app = spawn_app(Db::Sqlite).await;
    let mut body = example("business-start");
    let fifteen = onestop::form::today_in_kyiv()
        .checked_sub(jiff::Span::new().years(15))
        .expect("a date");
    body["data"]["entrepreneur"]["given_name"] = json!("Богдан1");
    body["data"]["entrepreneur"]["birth_date"] = json!(fifteen.to_string());
    body["data"]["tax_regime"]["group"] = json!(1);
    body["data"]["tax_regime"]["expected_income"] = json!(2_000_000);
    let (status, errors) = answer(app.submit("business-start", &body).await).await;
    assert_eq!(status, 422);
    assert_json_snapshot!(errors);
}

#[tokio::test]
async fn malformed_json_is_400_with_the_error_shape() {
    let app = spawn_app(Db::Sqlite).await;
    let response = app
        .client
        .post(format!("{}/api/v1/bundles/birth/applications", app.address))
        .header("Content-Type", "application/json")
        .body(r#"{"data": {"child": "#)
        .send()
        .await
        .expect("request");
    let (status, body) = answer(response).await;
    assert_eq!(status, 400);
    assert_json_snapshot!(body);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = spawn_app_with(Db::Sqlite, |s| s.server.max_body_bytes = 1024).await;
    let mut body = example("birth");
    body["data"]["children"][0]["birth_place"] = json!("я".repeat(2000));
    let (status, body) = answer(app.submit("birth", &body).await).await;
    assert_eq!(status, 413);
    assert_json_snapshot!(body);
}

#[tokio::test]
async fn wrong_types_and_unknown_fields_are_422() {
    let app = spawn_app(Db::Sqlite).await;
    let mut wrong = example("birth");
    wrong["data"]["children"][0]["sex"] = json!(1);
    wrong["data"]["extra"] = json!("?");
    let not_an_object = json!({ "data": [] });
    let unknown_service = json!({ "data": {}, "services": ["no.such-service"] });
    let mut bodies = serde_json::Map::new();
    for (case, body) in [
        ("a number for the sex and an unknown field", wrong),
        ("data that is not an object", not_an_object),
        ("an unknown service chosen", unknown_service),
    ] {
        let (status, errors) = answer(app.submit("birth", &body).await).await;
        assert_eq!(status, 422, "{case}: {errors:#}");
        bodies.insert(case.to_owned(), errors);
    }
    assert_json_snapshot!(bodies);
}

#[tokio::test]
async fn unknown_bundle_is_404() {
    let app = spawn_app(Db::Sqlite).await;
    let (status, body) = answer(app.submit("wedding", &example("birth")).await).await;
    assert_eq!(status, 404);
    assert_json_snapshot!(body);
}
