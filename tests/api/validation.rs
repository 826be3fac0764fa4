//! Bad input gets a clear error and stores nothing.

use crate::helpers::{Db, example, spawn_app, spawn_app_with};
use serde_json::{Value, json};

fn pointers(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["pointer"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn every_error_is_reported_at_once_with_pointers_and_services() {
    let app = spawn_app(Db::Sqlite).await;
    let mut body = example("birth");
    body["data"]["mother"]["rnokpp"] = json!("3440712341");
    body["data"]["mother"]
        .as_object_mut()
        .expect("mother")
        .remove("surname");
    body["data"]["child"]["birth_date"] = json!("2999-01-01");
    body["data"]["father"]["identity_document"]["number"] = json!("KB123456");
    let response = app.submit("birth", &body).await;
    assert_eq!(response.status().as_u16(), 422);
    let errors: Value = response.json().await.expect("JSON");
    let found = pointers(&errors);
    for expected in [
        "/mother/rnokpp",
        "/mother/surname",
        "/child/birth_date",
        "/father/identity_document/number",
    ] {
        assert!(
            found.contains(&expected.to_owned()),
            "missing {expected} in {errors:#}"
        );
    }
    let rnokpp = errors["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["pointer"] == "/mother/rnokpp")
        .expect("rnokpp error");
    assert!(
        rnokpp["message"]
            .as_str()
            .is_some_and(|m| m.contains("контрольною цифрою"))
    );
    let services = rnokpp["services"].as_array().expect("services");
    assert!(
        services.iter().any(|s| s == "tax.rnokpp-assignment"),
        "{rnokpp:#}"
    );
    assert!(services.iter().any(|s| s == "civil.birth-registration"));
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
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("JSON"))
    );
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = spawn_app_with(Db::Sqlite, |s| s.server.max_body_bytes = 1024).await;
    let mut body = example("birth");
    body["data"]["child"]["birth_place"] = json!("я".repeat(2000));
    let response = app.submit("birth", &body).await;
    assert_eq!(response.status().as_u16(), 413);
    let body: Value = response.json().await.expect("JSON");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("завеликий"))
    );
}

#[tokio::test]
async fn wrong_types_and_unknown_fields_are_422() {
    let app = spawn_app(Db::Sqlite).await;
    let mut body = example("birth");
    body["data"]["child"]["sex"] = json!(1);
    body["data"]["extra"] = json!("?");
    let response = app.submit("birth", &body).await;
    assert_eq!(response.status().as_u16(), 422);
    let found = pointers(&response.json().await.expect("JSON"));
    assert!(found.contains(&"/child/sex".to_owned()));
    assert!(found.contains(&"/extra".to_owned()));
    let response = app.submit("birth", &json!({ "data": [] })).await;
    assert_eq!(response.status().as_u16(), 422);
    let response = app
        .submit(
            "birth",
            &json!({ "data": {}, "services": ["no.such-service"] }),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
}

#[tokio::test]
async fn unknown_bundle_is_404() {
    let app = spawn_app(Db::Sqlite).await;
    let response = app.submit("wedding", &example("birth")).await;
    assert_eq!(response.status().as_u16(), 404);
}
