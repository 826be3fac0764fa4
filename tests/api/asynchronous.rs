//! The simulated registries answering later, end to end: the birth registration by a signed
//! callback, the UNZR by a status URL that onestop polls; the application completes.

use crate::helpers::{Db, example, spawn_app_with};
use serde_json::{Value, json};

fn details_of<'a>(done: &'a Value, call: &str) -> Vec<&'a str> {
    done["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["call"] == call)
        .filter_map(|h| h["detail"].as_str())
        .collect()
}

on_both_databases!(registries_that_answer_by_callback_or_by_poll_complete_the_application);

async fn registries_that_answer_by_callback_or_by_poll_complete_the_application(db: Db) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let behaviour = dir.path().join("behaviour.json");
    let knobs = json!({ "services": {
        "civil.birth-registration": { "asynchronous": { "mode": "callback", "delay_ms": 300 } },
        "migration.unzr-entry": { "asynchronous": { "mode": "poll", "delay_ms": 300 } }
    } });
    std::fs::write(&behaviour, knobs.to_string()).expect("behaviour written");
    let app = spawn_app_with(db, |s| s.registries.sandbox_behaviour = Some(behaviour)).await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert_eq!(
        done["services"][0]["attempts"], 1,
        "the callback needed no second call"
    );
    let civil = details_of(&done, "civil.birth-registration#0");
    assert!(
        civil.iter().any(|d| d.contains("waiting for its callback")),
        "{civil:?}"
    );
    assert!(civil.contains(&"registry callback"), "{civil:?}");
    // The registry's answer is in the audit trail, for the application's institution.
    let auditor = crate::helpers::token(&app.store, None, "auditor").await;
    let trail: Value = crate::helpers::client_with(&auditor)
        .get(format!("{}/api/v1/audit?application={id}", app.address))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let callback = (trail["entries"].as_array().expect("entries").iter())
        .find(|e| e["action"] == "service.callback")
        .expect("the callback's entry");
    assert_eq!(callback["actor"], "registry");
    assert_eq!(callback["institution"], crate::helpers::INSTITUTION);
    assert_eq!(callback["detail"]["service"], "civil.birth-registration");
    let unzr = details_of(&done, "migration.unzr-entry#0");
    assert!(
        unzr.iter().any(|d| d.contains("polling http://")),
        "{unzr:?}"
    );
    let unzr_call = done["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["service"] == "migration.unzr-entry")
        .expect("unzr");
    assert!(unzr_call["outputs"]["unzr"].is_string(), "{unzr_call:#}");
    assert!(
        unzr_call["attempts"].as_i64() >= Some(2),
        "called, then polled"
    );
}
