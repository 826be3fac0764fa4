//! Registries that refuse or stumble: a refusal fails the service and blocks its dependents
//! (never sent); a transient 503 is retried with the same idempotency key until it succeeds; a
//! 429's `Retry-After` is honoured; a registry slower than its timeout is retried.

use crate::helpers::{Db, every_birth_output, example, serve_fake_registries, spawn_app_with};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;

/// How the fake civil registry answers the birth registration.
#[derive(Clone, Copy)]
enum Civil {
    Refuse,
    FailTwiceThenAnswer,
    /// 429 with `Retry-After: 2` once, then the answer.
    RateLimitedOnce,
    /// Slower than a 300 ms timeout once, then quick.
    SlowOnce,
    /// For the `retry-override` fixture: service "first" always answers 503.
    FirstUnavailable,
    /// For the `retry-override` fixture: service "first" answers after 1 s.
    FirstSlow,
}

#[derive(Default)]
struct Seen {
    calls: HashMap<String, u32>,
    keys: Vec<String>,
    /// When each call of the birth registration arrived.
    civil_times: Vec<std::time::Instant>,
}

struct FakeRegistries {
    civil: Civil,
    seen: Mutex<Seen>,
}

async fn answer(
    state: web::Data<FakeRegistries>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> HttpResponse {
    let (_, service) = path.into_inner();
    let calls = {
        let mut seen = state.seen.lock().expect("lock");
        if let Some(key) = req
            .headers()
            .get("Idempotency-Key")
            .and_then(|v| v.to_str().ok())
        {
            seen.keys.push(key.to_owned());
        }
        if service == "civil.birth-registration" {
            seen.civil_times.push(std::time::Instant::now());
        }
        let calls = seen.calls.entry(service.clone()).or_default();
        *calls += 1;
        *calls
    };
    match (service.as_str(), state.civil) {
        ("first", Civil::FirstUnavailable) => HttpResponse::ServiceUnavailable().finish(),
        ("first", Civil::FirstSlow) => {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            HttpResponse::Ok().json(json!({ "record": "late" }))
        }
        ("civil.birth-registration", Civil::Refuse) => HttpResponse::BadRequest()
            .json(json!({ "errors": [{ "message": "Медичне свідоцтво № 0123/2026 не знайдено" }] })),
        ("civil.birth-registration", Civil::FailTwiceThenAnswer) if calls <= 2 => HttpResponse::ServiceUnavailable().finish(),
        ("civil.birth-registration", Civil::RateLimitedOnce) if calls == 1 => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "2"))
            .finish(),
        ("civil.birth-registration", Civil::SlowOnce) if calls == 1 => {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            HttpResponse::ServiceUnavailable().finish()
        }
        ("civil.birth-registration", _) => HttpResponse::Ok()
            .json(json!({ "act_record_number": "77", "registered_on": "2026-11-20", "registry_office": "Відділ ДРАЦС" })),
        ("tax.rnokpp-assignment", _) => HttpResponse::Ok().json(json!({ "rnokpp": "4634407986" })),
        ("migration.unzr-entry", _) => HttpResponse::Ok().json(json!({ "unzr": "20261119-66439" })),
        // Every later birth service: one answer holding each of their outputs.
        _ => HttpResponse::Ok().json(every_birth_output()),
    }
}

fn fake_registries(civil: Civil) -> (String, web::Data<FakeRegistries>) {
    let state = web::Data::new(FakeRegistries {
        civil,
        seen: Mutex::new(Seen::default()),
    });
    let url = serve_fake_registries(state.clone(), answer);
    (url, state)
}

on_both_databases!(
    a_refused_registration_fails_with_the_reason_and_blocks_its_dependents,
    a_registry_answering_503_twice_is_retried_with_the_same_key_and_succeeds,
    a_registry_answering_429_is_called_again_only_after_its_retry_after,
    a_registry_slower_than_its_timeout_is_retried_and_succeeds,
);

async fn a_refused_registration_fails_with_the_reason_and_blocks_its_dependents(db: Db) {
    let (url, fake) = fake_registries(Civil::Refuse);
    let app = spawn_app_with(db, |s| s.registries.url = Some(url)).await;
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
    let seen = fake.seen.lock().expect("lock");
    assert_eq!(seen.calls.get("civil.birth-registration"), Some(&1));
    assert_eq!(
        seen.calls.get("tax.rnokpp-assignment"),
        None,
        "dependents are never sent"
    );
    assert_eq!(seen.calls.get("migration.unzr-entry"), None);
}

async fn a_registry_answering_503_twice_is_retried_with_the_same_key_and_succeeds(db: Db) {
    let (url, fake) = fake_registries(Civil::FailTwiceThenAnswer);
    let app = spawn_app_with(db, |s| {
        s.registries.url = Some(url);
        s.dispatcher.backoff_base_ms = 20;
    })
    .await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert_eq!(done["services"][0]["attempts"], 3);
    assert_eq!(done["services"][1]["outputs"]["rnokpp"], "4634407986");
    let seen = fake.seen.lock().expect("lock");
    assert_eq!(seen.calls.get("civil.birth-registration"), Some(&3));
    let civil_keys: Vec<&String> = seen
        .keys
        .iter()
        .filter(|k| k.contains("civil.birth-registration"))
        .collect();
    assert_eq!(civil_keys.len(), 3);
    assert!(
        civil_keys
            .iter()
            .all(|k| **k == format!("{id}:civil.birth-registration:0")),
        "{civil_keys:?}"
    );
}

async fn a_registry_answering_429_is_called_again_only_after_its_retry_after(db: Db) {
    let (url, fake) = fake_registries(Civil::RateLimitedOnce);
    let app = spawn_app_with(db, |s| {
        s.registries.url = Some(url);
        s.dispatcher.backoff_base_ms = 10;
    })
    .await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let seen = fake.seen.lock().expect("lock");
    assert_eq!(seen.calls.get("civil.birth-registration"), Some(&2));
    let gap = seen.civil_times[1] - seen.civil_times[0];
    assert!(
        gap >= std::time::Duration::from_secs(2),
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
    let (url, fake) = fake_registries(Civil::SlowOnce);
    let app = spawn_app_with(db, |s| {
        s.registries.url = Some(url);
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
    assert_eq!(
        fake.seen
            .lock()
            .expect("lock")
            .calls
            .get("civil.birth-registration"),
        Some(&2)
    );
}

/// Run one application of the `retry-override` fixture against fake registries; its result and
/// how often "first" was called.
async fn retry_override_run(civil: Civil) -> (serde_json::Value, Option<u32>) {
    let (url, fake) = fake_registries(civil);
    let root =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/retry-override");
    let app = spawn_app_with(Db::Sqlite, |s| {
        s.registries.url = Some(url);
        s.definitions.root = root;
    })
    .await;
    let id = app
        .submit_ok("event", &json!({ "data": { "name": "Олена" } }))
        .await;
    let done = app.wait_until_done(&id).await;
    let calls = fake.seen.lock().expect("lock").calls.get("first").copied();
    (done, calls)
}

#[tokio::test]
async fn a_step_retry_override_limits_the_attempts() {
    let (done, calls) = retry_override_run(Civil::FirstUnavailable).await;
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
    assert_eq!(calls, Some(2));
}

#[tokio::test]
async fn a_registry_slower_than_the_step_timeout_is_retried_then_fails() {
    let (done, calls) = retry_override_run(Civil::FirstSlow).await;
    assert_eq!(done["status"], "failed", "{done:#}");
    assert_eq!(done["services"][0]["attempts"], 2);
    assert!(
        done["services"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("timeout")),
        "{done:#}"
    );
    assert_eq!(calls, Some(2));
}
