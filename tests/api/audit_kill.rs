//! No answered request loses its audit entry to a crash: applications are read and corrected
//! while the real server is killed (SIGKILL) and restarted, and afterwards every read and every
//! correction that got its answer has its entry, and the chain verifies.

use crate::durability::{Instance, births, connect, spawn_sandbox, submit_each, wait_all};
use crate::helpers::{Db, INSTITUTION, client_with, fresh_database, token};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

on_both_databases!(every_answered_read_and_correction_keeps_its_entry_across_kills);

const APPLICATIONS: usize = 24;
const ROUNDS: usize = 4;

async fn every_answered_read_and_correction_keeps_its_entry_across_kills(db: Db) {
    let (database, _dir) = fresh_database(db).await;
    // The civil registry refuses each birth's medical conclusion until it is corrected.
    let births = births(APPLICATIONS);
    let refuse: Vec<Value> = (births.iter())
        .map(|b| {
            json!({
                "pointer": "/child/medical_conclusion/number",
                "equals": b["data"]["children"][0]["medical_conclusion"]["number"],
                "message": "не знайдено"
            })
        })
        .collect();
    let sandbox = spawn_sandbox(json!({
        "default": { "latency": { "fixed_ms": 2 } },
        "services": { "civil.birth-registration": { "refuse": refuse } }
    }))
    .await;
    let store = onestop::store::Store::connect(&database, Some(1))
        .await
        .expect("database");
    let client = client_with(&token(&store, Some(INSTITUTION), "registrar").await);
    let mut instance = Instance::start_with(&database, &sandbox, "audited", 32, &[]);
    // Each correction gives its birth's child another conclusion number (a merge patch replaces
    // the list of children whole).
    let patches: Vec<Value> = (births.iter())
        .map(|b| {
            let mut children = b["data"]["children"].clone();
            children[0]["medical_conclusion"]["number"] = json!("0124/2026");
            json!({ "data": { "children": children } })
        })
        .collect();
    let ids = submit_each(&client, std::slice::from_ref(&instance.url), births).await;
    let statuses = wait_all(&client, &instance.url, &ids).await;
    assert!(statuses.iter().all(|s| s == "failed"), "{statuses:?}");

    let mut read: BTreeSet<String> = BTreeSet::new();
    let mut corrected: BTreeMap<String, usize> = BTreeMap::new();
    for round in 0..ROUNDS {
        let url = instance.url.clone();
        let mut work = tokio::task::JoinSet::new();
        for (id, patch) in ids.iter().zip(&patches) {
            let (client, url, id, patch) = (client.clone(), url.clone(), id.clone(), patch.clone());
            work.spawn(async move { use_one(&client, &url, &id, &patch).await });
        }
        // Kill mid-flight: some requests are answered, some cut off, some never sent.
        // A correction takes up to ~100 ms on PostgreSQL: later rounds wait longer.
        tokio::time::sleep(Duration::from_millis(60 + 120 * round as u64)).await;
        drop(instance);
        for (id, was_read, was_corrected) in work.join_all().await {
            if was_read {
                read.insert(id.clone());
            }
            if was_corrected {
                *corrected.entry(id).or_default() += 1;
            }
        }
        instance = Instance::start_with(&database, &sandbox, "audited", 32, &[]);
    }
    assert!(
        !read.is_empty() && !corrected.is_empty(),
        "some requests were answered"
    );

    let mut db = connect(&database).await;
    let entries: Vec<(String, String)> =
        sqlx::query_as("SELECT action, application_id FROM audit WHERE application_id IS NOT NULL")
            .fetch_all(&mut db)
            .await
            .expect("entries");
    let with = |action: &str, id: &str| {
        (entries.iter())
            .filter(|(a, i)| a == action && i == id)
            .count()
    };
    for id in &read {
        assert!(
            with("application.read", id) >= 1,
            "the answered read of {id} has no entry"
        );
    }
    for (id, times) in &corrected {
        assert!(
            with("application.correct", id) >= *times && with("service.retry", id) >= *times,
            "the answered correction of {id} has no entry"
        );
    }
    let checked = (client.get(format!("{}/api/v1/applications/{}", instance.url, ids[0])))
        .send()
        .await
        .expect("sent");
    assert_eq!(checked.status().as_u16(), 200, "the server is back");
    let verified = std::process::Command::new(env!("CARGO_BIN_EXE_onestop"))
        .args(["audit", "verify", "--database-url", &database])
        .output()
        .expect("onestop runs");
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
}

/// Read application `id`, correct its refused registration with `patch`, read it again; whether
/// a read and whether the correction were answered.
async fn use_one(
    client: &reqwest::Client,
    url: &str,
    id: &str,
    patch: &Value,
) -> (String, bool, bool) {
    let status = format!("{url}/api/v1/applications/{id}");
    let mut was_read = answered(client.get(&status).send().await, 200).await;
    let retry = format!("{url}/api/v1/applications/{id}/services/civil.birth-registration/retry");
    let was_corrected = answered(client.post(retry).json(patch).send().await, 202).await;
    was_read |= answered(client.get(&status).send().await, 200).await;
    (id.to_owned(), was_read, was_corrected)
}

/// Whether the request got its whole answer with `status` (a cut-off one does not count).
async fn answered(response: reqwest::Result<reqwest::Response>, status: u16) -> bool {
    match response {
        Ok(r) if r.status().as_u16() == status => r.json::<Value>().await.is_ok(),
        _ => false,
    }
}
