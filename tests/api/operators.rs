//! An operator corrects the data behind a refused service and runs it again: the correction is
//! validated like a submission, only a registrar of the application's institution may make it,
//! it is kept with its author, and what was blocked behind the service runs too.

use crate::helpers::{
    BIRTH_REGISTRATION, Db, INSTITUTION, birth_registries, call, client_with, every_birth_output,
    example, spawn_app_with, token,
};
use onestop::lifecycle::ApplicationId;
use serde_json::{Value, json};
use wiremock::matchers::body_partial_json;
use wiremock::{MockServer, ResponseTemplate};

/// Registries whose civil registry does not know the medical conclusion 0123/2026 and registers
/// the birth once it is corrected to 0124/2026: one call each.
async fn registries_without_conclusion_0123() -> MockServer {
    let registries = birth_registries().await;
    let conclusion = |number: &str| {
        body_partial_json(json!({ "child": { "medical_conclusion": { "number": number } } }))
    };
    let refusal = json!({ "errors": [{
        "pointer": "/child/medical_conclusion/number",
        "message": "Медичне свідоцтво № 0123/2026 не знайдено"
    }] });
    call(BIRTH_REGISTRATION)
        .and(conclusion("0123/2026"))
        .respond_with(ResponseTemplate::new(400).set_body_json(refusal))
        .expect(1)
        .named("the registration as submitted")
        .mount(&registries)
        .await;
    call(BIRTH_REGISTRATION)
        .and(conclusion("0124/2026"))
        .respond_with(ResponseTemplate::new(200).set_body_json(every_birth_output()))
        .expect(1)
        .named("the registration as corrected")
        .mount(&registries)
        .await;
    registries
}

on_both_databases!(an_operator_corrects_a_refused_registration_and_it_runs_with_what_was_blocked);

async fn an_operator_corrects_a_refused_registration_and_it_runs_with_what_was_blocked(db: Db) {
    let registries = registries_without_conclusion_0123().await;
    let app = spawn_app_with(db, |s| s.registries.url = Some(registries.uri())).await;
    let birth = example("birth");
    let id = app.submit_ok("birth", &birth).await;
    let failed = app.wait_until_done(&id).await;
    assert_eq!(failed["status"], "failed", "{failed:#}");
    assert_eq!(failed["services"][1]["status"], "blocked");

    let retry = |service: &str, body: Value| {
        app.client
            .post(format!(
                "{}/api/v1/applications/{id}/services/{service}/retry",
                app.address
            ))
            .json(&body)
            .send()
    };
    // A blocked or unknown service is not retried; a correction that breaks the form is refused.
    let blocked = retry("tax.rnokpp-assignment", json!({}))
        .await
        .expect("sent");
    assert_eq!(blocked.status().as_u16(), 409);
    let unknown = retry("civil.divorce", json!({})).await.expect("sent");
    assert_eq!(unknown.status().as_u16(), 404);
    let broken = retry(
        "civil.birth-registration",
        json!({ "data": { "mother": { "rnokpp": "3440712341" } } }),
    )
    .await
    .expect("sent");
    assert_eq!(broken.status().as_u16(), 422);
    let errors: Value = broken.json().await.expect("JSON");
    insta::assert_json_snapshot!("a_correction_that_breaks_the_form", errors);
    let (_, unchanged) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(
        unchanged["status"], "failed",
        "a refused correction changes nothing"
    );

    // Only a registrar (or supervisor) of the application's own institution may correct it. A
    // merge patch replaces a list whole: the children, the conclusion number corrected.
    let mut children = birth["data"]["children"].clone();
    children[0]["medical_conclusion"]["number"] = json!("0124/2026");
    let patch = json!({ "data": { "children": children } });
    let clerk = token(&app.store, Some(INSTITUTION), "clerk").await;
    let elsewhere = token(&app.store, Some("another-cnap"), "registrar").await;
    for (secret, answer) in [(clerk, 403), (elsewhere, 404)] {
        let url = format!(
            "{}/api/v1/applications/{id}/services/civil.birth-registration/retry",
            app.address
        );
        let response = client_with(&secret).post(url).json(&patch).send().await;
        assert_eq!(response.expect("sent").status().as_u16(), answer);
    }

    let corrected = retry("civil.birth-registration", patch.clone())
        .await
        .expect("sent");
    assert_eq!(corrected.status().as_u16(), 202);
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert!(
        done["services"]
            .as_array()
            .expect("services")
            .iter()
            .all(|s| s["status"] == "succeeded"),
        "{done:#}"
    );
    let history = done["history"].as_array().expect("history");
    assert!(
        history
            .iter()
            .any(|h| h["detail"] == "operator retry with corrected data"),
        "{history:#?}"
    );
    // The patch is kept with its author: the registrar's machine token, and nobody else's.
    let application = ApplicationId::parse(&id).expect("an application id");
    let kept = app.store.corrections(&application).await.expect("read");
    assert_eq!(kept.len(), 1, "{kept:?}");
    let (service, author, patch) = &kept[0];
    assert_eq!(service, "civil.birth-registration");
    assert!(author.starts_with("token:test-"), "{author}");
    let patch: Value = serde_json::from_str(patch.as_deref().expect("a patch")).expect("JSON");
    assert_eq!(
        patch["children"][0]["medical_conclusion"]["number"],
        "0124/2026"
    );
    // The trail has the retry and the correction: which pointer changed, with keyed digests of
    // the values, not the values.
    let auditor = client_with(&token(&app.store, None, "auditor").await);
    let trail: Value = (auditor.get(format!("{}/api/v1/audit?application={id}", app.address)))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let entries = trail["entries"].as_array().expect("entries");
    let entry = |action: &str| {
        (entries.iter())
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action}: {entries:#?}"))
    };
    let retry = entry("service.retry");
    assert_eq!(retry["detail"]["service"], "civil.birth-registration");
    assert_eq!(retry["role"], "registrar");
    let correction = entry("application.correct");
    assert_eq!(correction["actor"], retry["actor"]);
    assert_eq!(correction["request_id"], retry["request_id"], "one request");
    let changes = correction["detail"]["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(
        changes[0]["pointer"],
        "/children/0/medical_conclusion/number"
    );
    let text = correction.to_string();
    assert!(text.contains("hmac:") && !text.contains("0124/2026") && !text.contains("0123/2026"));
}
