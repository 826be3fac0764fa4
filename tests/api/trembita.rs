//! Registries reached through Trembita: the whole birth bundle through the sandbox's emulated
//! security server in SOAP, in UXP REST, and with the registries mixed; the message log each
//! exchange leaves; a refusal wrapped in a result code, shown to staff in Ukrainian.

use crate::durability::{spawn_sandbox, stats};
use crate::helpers::{Db, TestApp, example, spawn_app_with};
use onestop::registry::Protocol;
use onestop::settings::Settings;
use serde_json::{Value, json};

/// The settings of an app whose registries are the sandbox at `sandbox`, reached by `protocol`
/// unless `overrides` names another for a registry.
fn through(s: &mut Settings, sandbox: &str, protocol: Protocol, overrides: &[(&str, Protocol)]) {
    s.registries.url = Some(sandbox.to_owned());
    s.registries.protocol = protocol;
    s.registries.trembita.client = Some("SEVDEIR-TEST/GOV/12345678/ONESTOP".into());
    for (registry, protocol) in overrides {
        let entry = s.registries.overrides.entry((*registry).to_owned());
        let entry = entry.or_default();
        entry.protocol = Some(*protocol);
    }
}

/// Submit the example birth, confirm its human steps, wait for it to end: the application.
async fn birth(app: &TestApp) -> (String, Value) {
    let id = app.submit_ok("birth", &example("birth")).await;
    app.confirm_human_steps(&id).await;
    let done = app.wait_until_done(&id).await;
    (id, done)
}

/// The protocols the sandbox counted calls by, for each service called.
fn protocols(stats: &Value) -> Vec<(String, Vec<String>)> {
    (stats.as_object().expect("stats object").iter())
        .map(|(service, counts)| {
            let used = counts["protocols"].as_object().expect("protocols counted");
            (service.clone(), used.keys().cloned().collect())
        })
        .collect()
}

/// Every call succeeded, each by the protocol its registry is set to, and left one logged
/// exchange per attempt with that protocol, a message id, and hashes of both ways. The
/// sandbox's address.
async fn completes_over(db: Db, protocol: Protocol, overrides: &[(&str, Protocol)]) -> String {
    let sandbox = spawn_sandbox(json!({})).await;
    let app = spawn_app_with(db, |s| through(s, &sandbox, protocol, overrides)).await;
    let (id, done) = birth(&app).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let catalog = onestop::bundle::compile(&crate::helpers::root()).expect("definitions");
    let expected = |service: &str| {
        let registry = catalog.registry_of(service).expect("a shipped service");
        let chosen = overrides.iter().find(|(r, _)| *r == registry);
        chosen.map_or(protocol, |(_, p)| *p).name().to_owned()
    };
    for (service, used) in protocols(&stats(&app.client, &sandbox).await) {
        assert_eq!(used, [expected(&service)], "{service}");
    }
    let id = onestop::lifecycle::ApplicationId::parse(&id).expect("an application id");
    let messages = app.store.messages(&id).await.expect("the message log");
    let services = done["services"].as_array().expect("services");
    let attempts: i64 = (services.iter())
        .filter(|s| s["kind"] != "human")
        .map(|s| s["attempts"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(messages.len() as i64, attempts, "{messages:#?}");
    for message in &messages {
        let service = message.call.split('#').next().expect("service#item");
        assert_eq!(message.protocol, expected(service), "{message:?}");
        assert_eq!(message.http_status, Some(200), "{message:?}");
        assert_eq!(message.request_hash.len(), 44, "SHA-256, base64");
        assert!(
            message
                .response_hash
                .as_ref()
                .is_some_and(|h| h.len() == 44)
        );
        if message.protocol != "onestop-rest" {
            assert!(
                uuid::Uuid::parse_str(&message.message_id).is_ok(),
                "{message:?}"
            );
        }
    }
    sandbox
}

async fn a_birth_completes_with_every_registry_on_trembita_soap(db: Db) {
    completes_over(db, Protocol::TrembitaSoap, &[]).await;
}

/// Over UXP REST the registry also learns why the data is processed (the bundle's purposes),
/// whose data it is (the service's subject) and who acts (the institution of the machine client
/// that submitted it).
async fn a_birth_completes_with_every_registry_on_trembita_rest(db: Db) {
    let sandbox = completes_over(db, Protocol::TrembitaRest, &[]).await;
    let url = format!("{sandbox}/_sandbox/headers/civil.birth-registration");
    let kept: Value = reqwest::get(url)
        .await
        .expect("headers")
        .json()
        .await
        .expect("JSON");
    let headers = &kept["headers"][0];
    let mother = &example("birth")["data"]["mother"]["rnokpp"];
    assert_eq!(
        headers["uxp-purpose-ids"],
        "birth-registration,child-social-assistance"
    );
    assert_eq!(&headers["uxp-subject-id"], mother, "{kept:#}");
    assert_eq!(
        headers["uxp-userid"],
        format!("UA{}", crate::helpers::INSTITUTION)
    );
    assert_eq!(headers["uxp-client"], "SEVDEIR-TEST/GOV/12345678/ONESTOP");
}

async fn a_birth_completes_with_the_civil_registry_on_soap_the_tax_service_on_uxp_rest_and_the_rest_on_onestop_rest(
    db: Db,
) {
    let mix = [
        ("civil-registry", Protocol::TrembitaSoap),
        ("tax-service", Protocol::TrembitaRest),
    ];
    completes_over(db, Protocol::OnestopRest, &mix).await;
}

/// The civil registry wraps its answers: a refusal comes as `ResultCode` 5 with its words,
/// fails the call at once (no retry) and reads to staff in Ukrainian.
async fn a_result_code_refusal_fails_the_call_at_once_and_tells_staff_why_in_ukrainian(db: Db) {
    let refusal = json!({
        "pointer": "/child/surname", "equals": "Відмовенко",
        "message": "Актовий запис про народження цієї дитини вже складено"
    });
    let behaviour = json!({ "services": { "civil.birth-registration": { "refuse": [refusal] } } });
    let sandbox = spawn_sandbox(behaviour).await;
    let app = spawn_app_with(db, |s| through(s, &sandbox, Protocol::TrembitaSoap, &[])).await;
    let mut birth = example("birth");
    birth["data"]["children"][0]["surname"] = json!("Відмовенко");
    let id = app.submit_ok("birth", &birth).await;
    app.confirm_human_steps(&id).await;
    let done = app.wait_until_done(&id).await;
    let services = done["services"].as_array().expect("services");
    let civil = (services.iter())
        .find(|s| s["service"] == "civil.birth-registration")
        .expect("the birth registration");
    assert_eq!(civil["status"], "failed", "{civil:#}");
    assert_eq!(civil["attempts"], 1, "a refusal is not retried: {civil:#}");
    let page = app
        .pages
        .get(format!("{}/staff/applications/{id}", app.address))
        .send()
        .await
        .expect("the staff page")
        .text()
        .await
        .expect("its text");
    assert!(
        page.contains("реєстр відмовив: дані не пройшли перевірку (ResultCode 5)"),
        "{page}"
    );
    assert!(page.contains("Актовий запис про народження цієї дитини вже складено"));
    assert!(page.contains("trembita-soap"), "the message log is shown");
}

on_both_databases!(
    a_birth_completes_with_every_registry_on_trembita_soap,
    a_birth_completes_with_every_registry_on_trembita_rest,
    a_birth_completes_with_the_civil_registry_on_soap_the_tax_service_on_uxp_rest_and_the_rest_on_onestop_rest,
    a_result_code_refusal_fails_the_call_at_once_and_tells_staff_why_in_ukrainian,
);

#[tokio::test]
async fn every_shipped_service_says_where_it_lives_on_trembita_and_a_wrong_client_identity_is_reported()
 {
    let mut settings = Settings::defaults().expect("defaults");
    settings.registries.protocol = Protocol::TrembitaSoap;
    settings.definitions.root = crate::helpers::root();
    let catalog = onestop::bundle::compile(&settings.definitions.root).expect("definitions");
    assert!(
        onestop::registry::setup::problems(&settings.registries, &catalog).is_empty(),
        "every shipped service says where it lives on Trembita"
    );
    settings.registries.trembita.client = Some("SEVDEIR-TEST/GOV".into());
    let problems = onestop::registry::setup::problems(&settings.registries, &catalog);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("registries.trembita.client:"),
        "{problems:?}"
    );
}
