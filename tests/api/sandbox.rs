//! The simulated registries: real HTTP, input validated against the service's form, realistic
//! outputs, and one effect per idempotency key.

use crate::helpers::{example, root};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::sync::Arc;

async fn spawn_sandbox() -> String {
    let catalog = Arc::new(onestop::bundle::compile(&root()).expect("shipped definitions compile"));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(onestop::sandbox::serve(listener, catalog).expect("sandbox starts"));
    url
}

fn rnokpp_request() -> Value {
    let data = example("birth")["data"].clone();
    json!({ "birth_act_record_number": "101", "child": data["child"], "mother": data["mother"], "residence": data["residence"] })
}

#[tokio::test]
async fn sandbox_assigns_a_real_rnokpp_once_per_idempotency_key() {
    let url = spawn_sandbox().await;
    let client = reqwest::Client::new();
    let endpoint = format!("{url}/tax-service/tax.rnokpp-assignment");
    let mut answers = Vec::new();
    for _ in 0..2 {
        let response = client
            .post(&endpoint)
            .header("Idempotency-Key", "app-1:tax:0")
            .json(&rnokpp_request())
            .send()
            .await
            .expect("call");
        assert_eq!(response.status().as_u16(), 200);
        answers.push(response.json::<Value>().await.expect("JSON"));
    }
    assert_eq!(
        answers[0], answers[1],
        "a repeated key gets the first answer"
    );
    let rnokpp = answers[0]["rnokpp"].as_str().expect("rnokpp");
    assert!(onestop::form::is_rnokpp(rnokpp));
    // 2026-11-19 is day 46344 counted from 1899-12-31; a girl gets an even sex digit.
    assert!(rnokpp.starts_with("46344"), "{rnokpp}");
    assert_eq!((rnokpp.as_bytes()[8] - b'0') % 2, 0, "{rnokpp}");

    let stats: Value = client
        .get(format!("{url}/_sandbox/stats"))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        stats["tax.rnokpp-assignment"],
        json!({ "calls": 2, "effects": 1 })
    );
}

#[tokio::test]
async fn sandbox_refuses_input_that_does_not_satisfy_the_form() {
    let url = spawn_sandbox().await;
    let mut request = rnokpp_request();
    request
        .as_object_mut()
        .expect("object")
        .remove("birth_act_record_number");
    let response = reqwest::Client::new()
        .post(format!("{url}/tax-service/tax.rnokpp-assignment"))
        .header("Idempotency-Key", "app-2:tax:0")
        .json(&request)
        .send()
        .await
        .expect("call");
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.expect("JSON");
    assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()));
}
