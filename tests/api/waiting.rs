//! A call waiting for its registry is shown as waiting — which registry, since when, the next
//! attempt — on the status API and the application's page, not as failing: while the registry
//! fails and the call is retried, and while the registry is unavailable and the call is held.

use crate::helpers::spawn_app_with;
use crate::helpers::{Db, RNOKPP_ASSIGNMENT, TestApp, birth_registries, call, calls_to, example};
use serde_json::Value;
use std::time::{Duration, Instant};
use wiremock::ResponseTemplate;

on_both_databases!(
    a_call_being_retried_is_shown_as_waiting_for_its_registry,
    a_call_held_while_its_registry_is_unavailable_is_shown_so_and_not_attempted,
);

/// The application's tax call once `ready` holds of it (within 10 s).
async fn tax_call_when(app: &TestApp, id: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let (status, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
        assert_eq!(status, 200, "{body:#}");
        let services = body["services"].as_array().expect("services");
        let tax = services
            .iter()
            .find(|s| s["service"] == "tax.rnokpp-assignment")
            .expect("a tax call");
        if ready(tax) {
            assert_eq!(body["status"], "in_progress", "{body:#}");
            return tax.clone();
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{body:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn page(app: &TestApp, id: &str, lang: &str) -> String {
    let url = format!("{}/applications/{id}?lang={lang}", app.address);
    let response = app.pages.get(url).send().await.expect("the page");
    response.text().await.expect("HTML")
}

async fn a_call_being_retried_is_shown_as_waiting_for_its_registry(db: Db) {
    let registries = birth_registries().await;
    let later = ResponseTemplate::new(503).insert_header("Retry-After", "30");
    call(RNOKPP_ASSIGNMENT)
        .respond_with(later)
        .mount(&registries)
        .await;
    let app = spawn_app_with(db, |s| {
        s.registries.url = Some(registries.uri());
        s.dispatcher.backoff_cap_ms = 60_000;
    })
    .await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let tax = tax_call_when(&app, &id, |tax| !tax["waiting"].is_null()).await;
    assert_eq!(tax["status"], "ready", "{tax:#}");
    let waiting = &tax["waiting"];
    assert_eq!(waiting["registry"], "tax-service", "{tax:#}");
    assert_eq!(
        waiting["unavailable"], false,
        "one failure is no outage: {tax:#}"
    );
    let since: jiff::Timestamp = waiting["since"]
        .as_str()
        .expect("since")
        .parse()
        .expect("a time");
    let next: jiff::Timestamp = (waiting["next_attempt_at"].as_str())
        .expect("next attempt")
        .parse()
        .expect("a time");
    let wait = next.duration_since(since).as_secs_f64();
    assert!(
        (25.0..=35.0).contains(&wait),
        "the Retry-After of 30 s: {wait} s, {tax:#}"
    );

    let uk = page(&app, &id, "uk").await;
    assert!(uk.contains("Очікує на реєстр"), "{uk}");
    assert!(uk.contains("не відповідає з"), "{uk}");
    assert!(uk.contains("ДПС України"), "which registry: {uk}");
    let en = page(&app, &id, "en").await;
    assert!(en.contains("has not answered since"), "{en}");
    assert!(!uk.contains("status-failed"), "not shown as failing");
}

async fn a_call_held_while_its_registry_is_unavailable_is_shown_so_and_not_attempted(db: Db) {
    let registries = birth_registries().await;
    call(RNOKPP_ASSIGNMENT)
        .respond_with(ResponseTemplate::new(503))
        .mount(&registries)
        .await;
    let app = spawn_app_with(db, |s| {
        s.registries.url = Some(registries.uri());
        s.dispatcher.backoff_base_ms = 10;
        s.dispatcher.backoff_cap_ms = 20;
        s.registries.circuit.failures_to_open = 3;
        s.registries.circuit.probe_first_ms = 600_000;
        s.registries.circuit.refresh_ms = 100;
    })
    .await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let tax = tax_call_when(&app, &id, |tax| tax["waiting"]["unavailable"] == true).await;
    assert_eq!(tax["waiting"]["registry"], "tax-service", "{tax:#}");
    assert!(tax["waiting"]["since"].is_string(), "{tax:#}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let calls = calls_to(&registries, RNOKPP_ASSIGNMENT).await.len();
    assert_eq!(
        calls, 3,
        "held after the third failure in a row, not attempted again"
    );

    let uk = page(&app, &id, "uk").await;
    assert!(uk.contains("Реєстр недоступний"), "{uk}");
    assert!(uk.contains("тимчасово недоступний з"), "{uk}");
    let en = page(&app, &id, "en").await;
    assert!(en.contains("Registry unavailable"), "{en}");
    assert!(
        en.contains("goes out as soon as the registry is back"),
        "{en}"
    );
}
