//! A service with a `when:` condition runs only when its condition holds; a life event defined
//! only in files under tests/fixtures runs end to end through the sandbox.

use crate::helpers::{Db, spawn_app_with};
use serde_json::json;
use std::path::PathBuf;

fn conditional_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conditional")
}

#[tokio::test]
async fn a_service_whose_condition_holds_runs_with_its_bound_input() {
    let app = spawn_app_with(Db::Sqlite, |s| s.definitions.root = conditional_fixture()).await;
    let id = app
        .submit_ok("event", &json!({ "data": { "name": "Олена" } }))
        .await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let services: Vec<&str> = done["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["service"].as_str())
        .collect();
    assert_eq!(services, ["first", "second"]);
}

#[tokio::test]
async fn a_service_whose_condition_fails_is_not_created_or_sent() {
    let app = spawn_app_with(Db::Sqlite, |s| s.definitions.root = conditional_fixture()).await;
    let id = app
        .submit_ok("event", &json!({ "data": { "name": "Без другої" } }))
        .await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let services: Vec<&str> = done["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["service"].as_str())
        .collect();
    assert_eq!(services, ["first"]);
}
