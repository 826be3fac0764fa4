//! A service repeated for each family member: one call per item, item by item between services
//! repeated together, and a single follow-on service waiting for all of them. The `family` life
//! event exists only as files under tests/fixtures.

use crate::helpers::{Db, call, spawn_app_with};
use serde_json::{Value, json};
use wiremock::{MockServer, Request, ResponseTemplate};

/// A registry answer `record: "<service>:<person name>"`.
fn record(request: &Request) -> ResponseTemplate {
    let service = request.url.path().rsplit('/').next().unwrap_or_default();
    let body: Value = request.body_json().unwrap_or_default();
    let name = body["person"]["name"].as_str().unwrap_or("-");
    ResponseTemplate::new(200).set_body_json(json!({ "record": format!("{service}:{name}") }))
}

#[tokio::test]
async fn per_person_services_run_once_per_family_member_item_by_item() {
    let registries = MockServer::start().await;
    // One call per person per service, and one notice.
    for (service, calls) in [("deregister", 3), ("register", 3), ("notify", 1)] {
        call(&format!("/family-registry/{service}"))
            .respond_with(record)
            .expect(calls)
            .named(service)
            .mount(&registries)
            .await;
    }
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/family");
    let app = spawn_app_with(Db::Sqlite, |s| {
        s.definitions.root = root;
        s.registries.url = Some(registries.uri());
    })
    .await;

    let people = json!([{ "name": "Олена" }, { "name": "Мар'яна" }, { "name": "Андрій" }]);
    let id = app
        .submit_ok(
            "family",
            &json!({ "data": { "address": "Київ", "people": people } }),
        )
        .await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let calls: Vec<(String, i64)> = done["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap_or_default().to_owned(),
                s["item"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    let expected: Vec<(String, i64)> = [
        ("deregister", 0),
        ("deregister", 1),
        ("deregister", 2),
        ("register", 0),
        ("register", 1),
        ("register", 2),
        ("notify", 0),
    ]
    .into_iter()
    .map(|(s, i)| (s.to_owned(), i))
    .collect();
    assert_eq!(calls, expected);

    let seen: Vec<(String, Value)> = registries
        .received_requests()
        .await
        .expect("wiremock records requests")
        .iter()
        .map(|r| {
            let service = r.url.path().rsplit('/').next().unwrap_or_default();
            (service.to_owned(), r.body_json().unwrap_or_default())
        })
        .collect();
    for (service, body) in seen.iter().filter(|(s, _)| s == "register") {
        let name = body["person"]["name"].as_str().expect("name");
        assert_eq!(
            body["previous_record"],
            format!("deregister:{name}"),
            "{service}: the same person's deregistration"
        );
    }
    let notify_at = seen
        .iter()
        .position(|(s, _)| s == "notify")
        .expect("notify was called");
    assert_eq!(notify_at, 6, "the notice waits for every registration");
}

#[tokio::test]
async fn a_family_of_none_skips_the_per_person_services() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/family");
    let app = spawn_app_with(Db::Sqlite, |s| s.definitions.root = root).await;
    let id = app
        .submit_ok(
            "family",
            &json!({ "data": { "address": "Київ", "people": [] } }),
        )
        .await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let services: Vec<&str> = done["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["service"].as_str())
        .collect();
    assert_eq!(services, ["notify"]);
}
