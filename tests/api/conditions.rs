//! A service with a `when:` condition runs only when its condition holds; a life event defined
//! only in files under tests/fixtures runs end to end through the sandbox.

use crate::helpers::{Db, spawn_app_with};
use serde_json::json;
use std::path::PathBuf;

/// Submit `name` to the `conditional` fixture, wait, and list the services that ran.
async fn services_run_for(name: &str) -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conditional");
    let app = spawn_app_with(Db::Sqlite, |s| s.definitions.root = root).await;
    let id = app
        .submit_ok("event", &json!({ "data": { "name": name } }))
        .await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let services = done["services"].as_array().expect("services");
    services
        .iter()
        .filter_map(|s| s["service"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_service_whose_condition_holds_runs_with_its_bound_input() {
    assert_eq!(services_run_for("Олена").await, ["first", "second"]);
}

#[tokio::test]
async fn a_service_whose_condition_fails_is_not_created_or_sent() {
    assert_eq!(services_run_for("Без другої").await, ["first"]);
}
