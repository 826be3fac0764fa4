//! A submission with an `Idempotency-Key`: a retried POST gets the first answer and never makes
//! a second application; the same key with another body is refused.

use crate::helpers::{Db, TestApp, example, spawn_app};
use serde_json::Value;

async fn submit_with_key(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/bundles/birth/applications", app.address))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("sent")
}

on_both_databases!(
    the_same_idempotency_key_twice_yields_one_application,
    concurrent_submissions_with_one_key_make_one_application,
);

async fn the_same_idempotency_key_twice_yields_one_application(db: Db) {
    let app = spawn_app(db).await;
    let body = example("birth");
    let first = submit_with_key(&app, "ward-5-2026-11-21-0001", &body).await;
    assert_eq!(first.status().as_u16(), 201);
    assert!(first.headers().get("Idempotent-Replayed").is_none());
    let first: Value = first.json().await.expect("JSON");
    let again = submit_with_key(&app, "ward-5-2026-11-21-0001", &body).await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(again.headers()["Idempotent-Replayed"], "true");
    let again: Value = again.json().await.expect("JSON");
    assert_eq!(first, again, "the first answer, repeated");

    let mut other = body.clone();
    other["data"]["children"][0]["given_name"] = "Богдан".into();
    let reused = submit_with_key(&app, "ward-5-2026-11-21-0001", &other).await;
    assert_eq!(reused.status().as_u16(), 422);
    let bad_key = submit_with_key(&app, "", &body).await;
    assert_eq!(bad_key.status().as_u16(), 400);

    // Without a key, another birth is a new application (the same one again would be a
    // duplicate); a failed validation keeps no key.
    let other_id = app.submit_ok("birth", &example("birth")).await;
    assert_ne!(Some(other_id.as_str()), first["id"].as_str());
    let third = example("birth");
    let mut invalid = third.clone();
    invalid["data"]["mother"]["rnokpp"] = "3440712341".into();
    let refused = submit_with_key(&app, "ward-5-2026-11-21-0002", &invalid).await;
    assert_eq!(refused.status().as_u16(), 422);
    let accepted = submit_with_key(&app, "ward-5-2026-11-21-0002", &third).await;
    assert_eq!(
        accepted.status().as_u16(),
        201,
        "the key is free after a 422"
    );
}

async fn concurrent_submissions_with_one_key_make_one_application(db: Db) {
    let app = spawn_app(db).await;
    let body = example("birth");
    let answers = submit_eight_at_once(&app, &body).await;
    let mut ids: Vec<String> = Vec::new();
    for (status, answer) in answers {
        assert!(status == 201 || status == 409, "{status}: {answer}");
        if status == 201 {
            ids.push(answer["id"].as_str().expect("id").to_owned());
        }
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one application: {ids:?}");
    let done = app.wait_until_done(&ids[0]).await;
    assert_eq!(done["status"], "completed");
}

/// Eight submissions with the same key at once.
async fn submit_eight_at_once(app: &TestApp, body: &Value) -> Vec<(u16, Value)> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (client, address, body) = (app.client.clone(), app.address.clone(), body.clone());
        tasks.spawn(async move {
            let response = client
                .post(format!("{address}/api/v1/bundles/birth/applications"))
                .header("Idempotency-Key", "same-key-at-once")
                .json(&body)
                .send()
                .await
                .expect("sent");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("JSON"))
        });
    }
    tasks.join_all().await
}
