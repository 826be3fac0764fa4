//! Asynchronous completion: a registry answers 202 and later posts the result to the callback
//! URL it was given, signed with its secret. A bad signature or a stale timestamp changes
//! nothing; a repeated callback is harmless.

use crate::helpers::{
    BIRTH_REGISTRATION, Db, TestApp, birth_registries, call, calls_to, example, spawn_app_with,
};
use onestop::registry::signature::{self, CALLBACK_URL_HEADER};
use onestop::settings::SANDBOX_SECRET;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::{MockServer, ResponseTemplate};

/// Registries that accept the birth registration for later (202), once, and answer the rest at
/// once.
async fn late_civil_registry() -> MockServer {
    let registries = birth_registries().await;
    call(BIRTH_REGISTRATION)
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .named("the registration, called once and answered by its callback")
        .mount(&registries)
        .await;
    registries
}

fn registration() -> Value {
    json!({
        "status": "succeeded",
        "outputs": { "act_record_number": "77", "registered_on": "2026-11-20", "registry_office": "Відділ державної реєстрації актів цивільного стану в місті Києві Київського міжрегіонального управління Міністерства юстиції" }
    })
}

async fn post_callback(app: &TestApp, url: &str, body: &Value, secret: &str, age: i64) -> u16 {
    let bytes = serde_json::to_vec(body).expect("JSON");
    let timestamp = jiff::Timestamp::now().as_second() - age;
    app.client
        .post(url)
        .header("Content-Type", "application/json")
        .header(signature::TIMESTAMP_HEADER, timestamp.to_string())
        .header(
            signature::SIGNATURE_HEADER,
            signature::sign(secret, timestamp, &bytes),
        )
        .body(bytes)
        .send()
        .await
        .expect("callback is sent")
        .status()
        .as_u16()
}

/// Wait until the registration is awaiting its callback; the callback URL it was given.
async fn awaiting_callback(app: &TestApp, id: &str, registries: &MockServer) -> String {
    for _ in 0..200 {
        let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
        if body["services"][0]["status"] == "awaiting" {
            let calls = calls_to(registries, BIRTH_REGISTRATION).await;
            let url = calls
                .first()
                .and_then(|c| c.headers.get(CALLBACK_URL_HEADER));
            let url = url.and_then(|v| v.to_str().ok());
            return url.expect("the call carried a callback URL").to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the registration never awaited its callback");
}

on_both_databases!(
    a_202_then_a_signed_callback_completes_the_service_and_lets_its_dependents_go,
    a_callback_with_a_bad_signature_or_a_stale_timestamp_changes_nothing,
);

async fn a_202_then_a_signed_callback_completes_the_service_and_lets_its_dependents_go(db: Db) {
    let registries = late_civil_registry().await;
    let app = spawn_app_with(db, |s| s.registries.url = Some(registries.uri())).await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let callback = awaiting_callback(&app, &id, &registries).await;
    assert!(
        callback.starts_with(&format!("{}/api/v1/callbacks/", app.address)),
        "{callback}"
    );
    let (_, waiting) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(waiting["status"], "in_progress");
    assert_eq!(waiting["services"][1]["status"], "waiting", "{waiting:#}");

    assert_eq!(
        post_callback(&app, &callback, &registration(), SANDBOX_SECRET, 0).await,
        200
    );
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert_eq!(done["services"][0]["outputs"]["act_record_number"], "77");
    assert_eq!(done["services"][0]["attempts"], 1, "no second call");

    // The same callback again: harmless. A different result after the fact: refused.
    assert_eq!(
        post_callback(&app, &callback, &registration(), SANDBOX_SECRET, 0).await,
        200
    );
    let mut other = registration();
    other["outputs"]["act_record_number"] = json!("78");
    assert_eq!(
        post_callback(&app, &callback, &other, SANDBOX_SECRET, 0).await,
        409
    );
    let (_, after) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(after["services"][0]["outputs"]["act_record_number"], "77");
    let successes = after["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["call"] == "civil.birth-registration#0" && h["status"] == "succeeded")
        .count();
    assert_eq!(successes, 1, "the repeated callback recorded nothing");
}

async fn a_callback_with_a_bad_signature_or_a_stale_timestamp_changes_nothing(db: Db) {
    let registries = late_civil_registry().await;
    let app = spawn_app_with(db, |s| s.registries.url = Some(registries.uri())).await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let callback = awaiting_callback(&app, &id, &registries).await;

    let wrong_secret = post_callback(&app, &callback, &registration(), "guessed", 0).await;
    let stale = post_callback(&app, &callback, &registration(), SANDBOX_SECRET, 3600).await;
    let unknown = post_callback(
        &app,
        &format!("{}/api/v1/callbacks/{}", app.address, "0".repeat(32)),
        &registration(),
        SANDBOX_SECRET,
        0,
    )
    .await;
    assert_eq!((wrong_secret, stale, unknown), (401, 401, 404));
    let unsigned = app
        .client
        .post(&callback)
        .json(&registration())
        .send()
        .await
        .expect("sent");
    assert_eq!(unsigned.status().as_u16(), 401);

    let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(body["status"], "in_progress");
    assert_eq!(body["services"][0]["status"], "awaiting", "{body:#}");
    assert_eq!(body["services"][0]["outputs"], Value::Null);
    assert_eq!(body["services"][1]["status"], "waiting");
}
