//! Registries that refuse or stumble: a refusal fails the service and blocks its dependents
//! (never sent); a transient 503 is retried with the same idempotency key until it succeeds; a
//! 429's `Retry-After` is honoured; a registry slower than its timeout is retried.

use crate::helpers::{
    Arrivals, BIRTH_REGISTRATION, Db, RNOKPP_ASSIGNMENT, UNZR_ENTRY, birth_registries, call,
    calls_to, every_birth_output, example, spawn_app_with, timed,
};
use serde_json::json;
use std::time::Duration;
use wiremock::{MockServer, ResponseTemplate};

/// The fixture `retry-override`'s first service, which the others wait for.
const FIRST: &str = "/test-registry/first";

fn answered() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(every_birth_output())
}

on_both_databases!(
    a_refused_registration_fails_with_the_reason_and_blocks_its_dependents,
    a_registry_answering_503_twice_is_retried_with_the_same_key_and_succeeds,
    a_registry_answering_429_is_called_again_only_after_its_retry_after,
    a_registry_slower_than_its_timeout_is_retried_and_succeeds,
);

async fn a_refused_registration_fails_with_the_reason_and_blocks_its_dependents(db: Db) {
    let registries = birth_registries().await;
    let refusal = json!({ "errors": [{ "message": "Медичне свідоцтво № 0123/2026 не знайдено" }] });
    call(BIRTH_REGISTRATION)
        .respond_with(ResponseTemplate::new(400).set_body_json(refusal))
        .expect(1)
        .named("the refused registration, called once")
        .mount(&registries)
        .await;
    for dependent in [RNOKPP_ASSIGNMENT, UNZR_ENTRY] {
        call(dependent)
            .respond_with(answered())
            .expect(0)
            .named("dependents are never sent")
            .mount(&registries)
            .await;
    }
    let app = spawn_app_with(db, |s| s.registries.url = Some(registries.uri())).await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "failed", "{done:#}");
    let civil = &done["services"][0];
    assert_eq!(civil["status"], "failed");
    assert_eq!(civil["attempts"], 1, "a refusal is not retried");
    assert!(
        civil["error"]
            .as_str()
            .is_some_and(|e| e.contains("Медичне свідоцтво № 0123/2026 не знайдено")),
        "{civil:#}"
    );
    for dependent in &done["services"].as_array().expect("services")[1..] {
        assert_eq!(dependent["status"], "blocked", "{dependent:#}");
        assert_eq!(dependent["attempts"], 0);
    }
}

async fn a_registry_answering_503_twice_is_retried_with_the_same_key_and_succeeds(db: Db) {
    let registries = birth_registries().await;
    call(BIRTH_REGISTRATION)
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&registries)
        .await;
    call(BIRTH_REGISTRATION)
        .respond_with(answered())
        .expect(1)
        .named("the third call of the registration")
        .mount(&registries)
        .await;
    let app = spawn_app_with(db, |s| {
        s.registries.url = Some(registries.uri());
        s.dispatcher.backoff_base_ms = 20;
    })
    .await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert_eq!(done["services"][0]["attempts"], 3);
    assert_eq!(done["services"][1]["outputs"]["rnokpp"], "4634407986");
    let keys: Vec<String> = calls_to(&registries, BIRTH_REGISTRATION)
        .await
        .iter()
        .map(|r| {
            r.headers["Idempotency-Key"]
                .to_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect();
    assert_eq!(keys, vec![format!("{id}:civil.birth-registration:0"); 3]);
}

async fn a_registry_answering_429_is_called_again_only_after_its_retry_after(db: Db) {
    let registries = birth_registries().await;
    let arrivals = Arrivals::default();
    let limited = ResponseTemplate::new(429).insert_header("Retry-After", "2");
    call(BIRTH_REGISTRATION)
        .respond_with(timed(&arrivals, limited))
        .up_to_n_times(1)
        .expect(1)
        .mount(&registries)
        .await;
    call(BIRTH_REGISTRATION)
        .respond_with(timed(&arrivals, answered()))
        .expect(1)
        .named("the registration after its Retry-After")
        .mount(&registries)
        .await;
    let app = spawn_app_with(db, |s| {
        s.registries.url = Some(registries.uri());
        s.dispatcher.backoff_base_ms = 10;
    })
    .await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let arrivals = arrivals.lock().expect("lock");
    let gap = arrivals[1] - arrivals[0];
    assert!(
        gap >= Duration::from_secs(2),
        "the second call came {gap:?} after the 429, before its Retry-After of 2 s"
    );
    let history = done["history"].as_array().expect("history");
    assert!(
        history
            .iter()
            .any(|h| h["call"] == "civil.birth-registration#0"
                && h["detail"].as_str().is_some_and(|d| d.contains("429"))),
        "the 429 is in the history: {history:#?}"
    );
}

async fn a_registry_slower_than_its_timeout_is_retried_and_succeeds(db: Db) {
    let registries = birth_registries().await;
    let too_late = ResponseTemplate::new(503).set_delay(Duration::from_secs(2));
    call(BIRTH_REGISTRATION)
        .respond_with(too_late)
        .up_to_n_times(1)
        .expect(1)
        .mount(&registries)
        .await;
    call(BIRTH_REGISTRATION)
        .respond_with(answered())
        .expect(1)
        .named("the registration after its timeout")
        .mount(&registries)
        .await;
    let app = spawn_app_with(db, |s| {
        s.registries.url = Some(registries.uri());
        s.dispatcher.backoff_base_ms = 10;
        // The civil registry's own timeout, from the per-registry settings.
        s.registries.overrides.insert(
            "civil-registry".into(),
            onestop::settings::RegistryOverride {
                timeout_ms: Some(300),
                ..Default::default()
            },
        );
    })
    .await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert_eq!(done["services"][0]["attempts"], 2, "{done:#}");
    let history = done["history"].as_array().expect("history");
    assert!(
        history
            .iter()
            .any(|h| h["call"] == "civil.birth-registration#0"
                && h["detail"].as_str().is_some_and(|d| d.contains("timeout"))),
        "the first call was abandoned at the 300 ms timeout (its 503 came too late to be seen): {history:#?}"
    );
}

/// Run one application of the `retry-override` fixture against `registries`; its result.
async fn retry_override_run(registries: &MockServer) -> serde_json::Value {
    let root =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/retry-override");
    let app = spawn_app_with(Db::Sqlite, |s| {
        s.registries.url = Some(registries.uri());
        s.definitions.root = root;
    })
    .await;
    let id = app
        .submit_ok("event", &json!({ "data": { "name": "Олена" } }))
        .await;
    app.wait_until_done(&id).await
}

#[tokio::test]
async fn a_step_retry_override_limits_the_attempts() {
    let registries = MockServer::start().await;
    call(FIRST)
        .respond_with(ResponseTemplate::new(503))
        .expect(2)
        .named("max_attempts: 2 from the bundle")
        .mount(&registries)
        .await;
    let done = retry_override_run(&registries).await;
    assert_eq!(done["status"], "failed", "{done:#}");
    assert_eq!(
        done["services"][0]["attempts"], 2,
        "max_attempts: 2 from the bundle, not the default 8"
    );
    assert!(
        done["services"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("503")),
        "{done:#}"
    );
    assert_eq!(done["services"][1]["status"], "blocked");
}

#[tokio::test]
async fn a_registry_slower_than_the_step_timeout_is_retried_then_fails() {
    let registries = MockServer::start().await;
    let late = json!({ "record": "late" });
    call(FIRST)
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(late)
                .set_delay(Duration::from_secs(1)),
        )
        .expect(2)
        .named("two attempts, each too slow")
        .mount(&registries)
        .await;
    let done = retry_override_run(&registries).await;
    assert_eq!(done["status"], "failed", "{done:#}");
    assert_eq!(done["services"][0]["attempts"], 2);
    assert!(
        done["services"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("timeout")),
        "{done:#}"
    );
}
