//! Registries that refuse or stumble: a refusal fails the service and blocks its dependents
//! (never sent); a transient 503 is retried with the same idempotency key until it succeeds.

use crate::helpers::{Db, example, serve_fake_registries, spawn_app_with};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;

/// How the fake civil registry answers the birth registration.
#[derive(Clone, Copy)]
enum Civil {
    Refuse,
    FailTwiceThenAnswer,
    /// For the `retry-override` fixture: service "first" always answers 503.
    FirstUnavailable,
    /// For the `retry-override` fixture: service "first" answers after 1 s.
    FirstSlow,
}

#[derive(Default)]
struct Seen {
    calls: HashMap<String, u32>,
    keys: Vec<String>,
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
        ("civil.birth-registration", _) => HttpResponse::Ok()
            .json(json!({ "act_record_number": "77", "registered_on": "2026-11-20", "registry_office": "Відділ ДРАЦС" })),
        ("tax.rnokpp-assignment", _) => HttpResponse::Ok().json(json!({ "rnokpp": "4634407986" })),
        ("migration.unzr-entry", _) => HttpResponse::Ok().json(json!({ "unzr": "20261119-66439" })),
        // Every later birth service: one answer holding each of their outputs.
        _ => HttpResponse::Ok().json(json!({
            "citizenship": "UKR", "basis": "ст. 7", "certificate_series": "І-БК", "certificate_number": "123456",
            "registration_record": "R-1", "decision_number": "D-1", "amount": 41280, "currency": "грн",
            "kind": "box", "patient_id": "P-1"
        })),
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

#[tokio::test]
async fn a_refused_registration_fails_with_the_reason_and_blocks_its_dependents() {
    let (url, fake) = fake_registries(Civil::Refuse);
    let app = spawn_app_with(Db::Sqlite, |s| s.registries.url = Some(url)).await;
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

#[tokio::test]
async fn a_registry_answering_503_twice_is_retried_with_the_same_key_and_succeeds() {
    let (url, fake) = fake_registries(Civil::FailTwiceThenAnswer);
    let app = spawn_app_with(Db::Sqlite, |s| {
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
