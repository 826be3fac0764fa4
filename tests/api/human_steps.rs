//! Human steps: the services behind a homeowner's consent or a co-signature wait for the
//! person's decision; a refusal or an expired deadline blocks them, never sends them.

use crate::helpers::{Db, TestApp, example, root, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::time::Duration;

fn calls_of<'a>(body: &'a Value, service: &str) -> Vec<&'a Value> {
    body["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter(|s| s["service"] == service)
        .collect()
}

/// Poll until every call of `service` has `status` (bounded); the application then.
async fn until_all(app: &TestApp, id: &str, service: &str, status: &str) -> Value {
    for _ in 0..300 {
        let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
        let calls = calls_of(&body, service);
        if !calls.is_empty() && calls.iter().all(|s| s["status"] == status) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{service} did not reach {status} in time");
}

async fn decide(app: &TestApp, url: &str, decision: &Value) -> u16 {
    app.client
        .post(url)
        .json(decision)
        .send()
        .await
        .expect("decision sent")
        .status()
        .as_u16()
}

on_both_databases!(
    the_second_parent_confirms_in_person_before_a_registrar_not_by_the_link,
    the_second_parent_given_a_phone_is_invited_and_confirms_with_the_code,
    hostile_input_to_the_confirmation_routes_gets_a_4xx_with_the_usual_body,
    the_homeowner_proves_who_they_are_with_the_code_sent_to_their_phone,
    a_relocation_registers_residence_only_after_the_homeowner_consents,
    a_declined_consent_blocks_the_services_waiting_for_it,
    an_expired_step_fails_and_blocks_what_waits_until_an_operator_reopens_it,
);

async fn a_relocation_registers_residence_only_after_the_homeowner_consents(db: Db) {
    let app = spawn_app(db).await;
    let id = app.submit_ok("relocation", &example("relocation")).await;
    until_all(&app, &id, "residence.deregistration", "succeeded").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(body["status"], "in_progress");
    // The application's time is its latest change, its calls' included, although a batch
    // storing a call's outcome does not rewrite the application's row.
    let history = body["history"].as_array().expect("history");
    let last = history.last().expect("a change");
    assert_ne!(body["updated_at"], body["submitted_at"], "{body:#}");
    assert_eq!(body["updated_at"], last["at"], "{body:#}");
    let consent = calls_of(&body, "homeowner-consent")[0];
    assert_eq!(consent["kind"], "human");
    assert_eq!(consent["status"], "awaiting");
    assert_eq!(consent["title"]["uk"], "Згода власника житла");
    assert!(consent["deadline"].is_string(), "{consent:#}");
    for call in calls_of(&body, "residence.registration") {
        assert_eq!(call["status"], "waiting", "{call:#}");
        assert_eq!(call["attempts"], 0, "not sent before the consent");
    }
    let confirm = consent["confirm_url"].as_str().expect("a link to confirm");
    let code = app.code_for(confirm).await;
    let confirmed = json!({ "decision": "confirmed", "code": code });
    assert_eq!(decide(&app, confirm, &confirmed).await, 200);
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert_eq!(
        calls_of(&done, "homeowner-consent")[0]["confirm_url"],
        Value::Null
    );
    // The same decision again changes nothing; the opposite one is refused.
    assert_eq!(
        decide(&app, confirm, &json!({ "decision": "confirmed" })).await,
        200
    );
    assert_eq!(
        decide(&app, confirm, &json!({ "decision": "declined" })).await,
        409
    );
}

/// The messages the app's SMS gateway was asked to send to `phone`.
async fn texts_to(app: &TestApp, phone: &str) -> Vec<String> {
    let messages: Value = reqwest::get(&app.sms)
        .await
        .expect("sms")
        .json()
        .await
        .expect("JSON");
    (messages["messages"].as_array().expect("messages").iter())
        .filter(|m| m["to"] == phone)
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Set a column of the step's code row, as time passing would (a code expiring, the minute
/// between two codes going by).
async fn age_code(app: &TestApp, column: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.database_url)
        .await
        .expect("database");
    let sql = format!("UPDATE confirmation_codes SET {column} = 0");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&pool)
        .await
        .expect("aged");
}

async fn the_homeowner_proves_who_they_are_with_the_code_sent_to_their_phone(db: Db) {
    let app = spawn_app(db).await;
    let id = app.submit_ok("relocation", &example("relocation")).await;
    let phone = "+380501112233";
    for _ in 0..100 {
        if !texts_to(&app, phone).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let invitation = texts_to(&app, phone).await.join("\n");
    assert!(
        invitation.contains("Олег Бондаренко, Ірина Шевчук просить вас підтвердити"),
        "{invitation}"
    );
    let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    let confirm = calls_of(&body, "homeowner-consent")[0]["confirm_url"]
        .as_str()
        .expect("link")
        .to_owned();
    // The applicant's own credentials do not confirm: without the code it is refused.
    let yes = |code: &str| json!({ "decision": "confirmed", "code": code });
    assert_eq!(
        decide(&app, &confirm, &json!({ "decision": "confirmed" })).await,
        422
    );
    let sent = reqwest::Client::new()
        .post(format!("{confirm}/code"))
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status().as_u16(), 202);
    let sent: Value = sent.json().await.expect("JSON");
    assert_eq!(sent["sent_to"], "+380•••••2233");
    let code = app.last_code().await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        assert_eq!(decide(&app, &confirm, &yes(wrong)).await, 422);
    }
    assert_eq!(
        decide(&app, &confirm, &yes(wrong)).await,
        423,
        "the fifth locks the step"
    );
    assert_eq!(
        decide(&app, &confirm, &yes(&code)).await,
        423,
        "even the right code now"
    );
    // The applicant asks for a new invitation: the step opens again.
    let url = format!(
        "{}/api/v1/applications/{id}/steps/homeowner-consent/invitation",
        app.address
    );
    let invited = app.client.post(url).send().await.expect("sent");
    assert_eq!(invited.status().as_u16(), 202);
    let code = app.code_for(&confirm).await;
    age_code(&app, "expires_at").await;
    assert_eq!(
        decide(&app, &confirm, &yes(&code)).await,
        422,
        "an expired code"
    );
    age_code(&app, "last_sent_at").await;
    let code = app.code_for(&confirm).await;
    assert_eq!(decide(&app, &confirm, &yes(&code)).await, 200);
    let done = app.wait_until_done(&id).await;
    let consent = calls_of(&done, "homeowner-consent")[0];
    let identified = &consent["identified_by"];
    assert_eq!(
        identified, "a one-time code sent to their phone",
        "{consent:#}"
    );
    let history = serde_json::to_string(&done["history"]).expect("JSON");
    assert!(
        history.contains("identified by a one-time code"),
        "{history}"
    );
}

async fn the_second_parent_confirms_in_person_before_a_registrar_not_by_the_link(db: Db) {
    let app = spawn_app(db).await;
    let mut birth = example("birth");
    birth["data"]["father"]["surname"] = json!("Мельник");
    let id = app.submit_ok("birth", &birth).await;
    let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    let step = calls_of(&body, "second-parent-co-signature")[0];
    let link = step["confirm_url"].as_str().expect("link").to_owned();
    // Their page says to come in person, and offers no decision it could not take.
    let page = app.pages.get(link.replace("/api/v1", "")).send().await;
    let page = page.expect("page").text().await.expect("HTML");
    assert!(page.contains(r#"id="in-person""#), "{page}");
    assert!(!page.contains(r#"value="confirmed""#), "{page}");
    let confirmed = json!({ "decision": "confirmed" });
    assert_eq!(
        decide(&app, &link, &confirmed).await,
        422,
        "the link alone does not confirm"
    );
    let code = reqwest::Client::new()
        .post(format!("{link}/code"))
        .send()
        .await;
    assert_eq!(
        code.expect("sent").status().as_u16(),
        422,
        "no phone to send a code to"
    );
    let url = format!(
        "{}/api/v1/applications/{id}/steps/second-parent-co-signature/decision",
        app.address
    );
    let in_person = |secret: String| {
        let client = crate::helpers::client_with(&secret);
        let url = url.clone();
        async move {
            client
                .post(url)
                .json(&json!({ "decision": "confirmed" }))
                .send()
                .await
        }
    };
    let by_submitter = app
        .client
        .post(&url)
        .json(&confirmed)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        by_submitter.status().as_u16(),
        403,
        "the applicant cannot confirm"
    );
    let clerk = crate::helpers::session(&app.store, "ward-clerk-2", "clerk").await;
    assert_eq!(in_person(clerk).await.expect("sent").status().as_u16(), 403);
    let registrar = crate::helpers::session(&app.store, "ward-registrar-2", "registrar").await;
    assert_eq!(
        in_person(registrar).await.expect("sent").status().as_u16(),
        200
    );
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let step = calls_of(&done, "second-parent-co-signature")[0];
    let identified = &step["identified_by"];
    assert_eq!(
        identified, "in person, documents checked by ward-registrar-2",
        "{step:#}"
    );
}

async fn the_second_parent_given_a_phone_is_invited_and_confirms_with_the_code(db: Db) {
    let app = spawn_app(db).await;
    let mut birth = example("birth");
    birth["data"]["father"]["surname"] = json!("Мельник");
    let phone = "+380671234567";
    birth["data"]["paternity"]["second_parent_phone"] = json!(phone);
    let id = app.submit_ok("birth", &birth).await;
    for _ in 0..100 {
        if !texts_to(&app, phone).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let invitation = texts_to(&app, phone).await.join("\n");
    assert!(
        invitation.contains("просить вас підтвердити: Підпис другого з батьків"),
        "{invitation}"
    );
    let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    let step = calls_of(&body, "second-parent-co-signature")[0];
    let link = step["confirm_url"].as_str().expect("link").to_owned();
    // Something shaped like the proof of a sign-in through the identity provider, which no
    // sign-in gave, is a wrong code.
    let forged = json!({ "decision": "confirmed", "code": "0123456789abcdef0123456789abcdef" });
    assert_eq!(decide(&app, &link, &forged).await, 422);
    let code = app.code_for(&link).await;
    let yes = json!({ "decision": "confirmed", "code": code });
    assert_eq!(decide(&app, &link, &yes).await, 200);
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let step = calls_of(&done, "second-parent-co-signature")[0];
    assert_eq!(step["identified_by"], "a one-time code sent to their phone");
}

async fn hostile_input_to_the_confirmation_routes_gets_a_4xx_with_the_usual_body(db: Db) {
    let app = spawn_app(db).await;
    let id = app.submit_ok("relocation", &example("relocation")).await;
    let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    let confirm = calls_of(&body, "homeowner-consent")[0]["confirm_url"]
        .as_str()
        .expect("link")
        .to_owned();
    let huge = "я".repeat(200 * 1024);
    let cases: Vec<(String, &str, String, u16)> = vec![
        (
            confirm.clone(),
            "application/json",
            "{\"decision\":".into(),
            400,
        ),
        (
            confirm.clone(),
            "application/json",
            r#"{"decision": 1, "code": []}"#.into(),
            400,
        ),
        (
            confirm.clone(),
            "application/json",
            r#"{"decision": "confirmed", "code": "12345\u0000"}"#.into(),
            422,
        ),
        (
            confirm.clone(),
            "application/json",
            format!(r#"{{"decision": "declined", "reason": "{huge}"}}"#),
            413,
        ),
        (
            confirm.clone(),
            "text/plain",
            r#"{"decision": "confirmed"}"#.into(),
            415,
        ),
        (format!("{confirm}/code"), "text/plain", "x".into(), 415),
        (
            confirm.replace("/confirmations/", "/confirmations/%00"),
            "application/json",
            "{}".into(),
            400,
        ),
        (
            format!("{}/api/v1/confirmations/not-a-token/code", app.address),
            "application/json",
            "{}".into(),
            404,
        ),
        (
            format!(
                "{}/api/v1/applications/{id}/steps/%00/invitation",
                app.address
            ),
            "application/json",
            "{}".into(),
            404,
        ),
    ];
    for (url, content_type, body, status) in cases {
        let response = app
            .client
            .post(&url)
            .header("Content-Type", content_type)
            .body(body)
            .send();
        let response = response.await.expect("sent");
        assert_eq!(response.status().as_u16(), status, "{url} {content_type}");
        let answer: Value = response.json().await.expect("the usual error body");
        assert!(answer["errors"][0]["message"].is_string(), "{answer}");
    }
}

async fn a_declined_consent_blocks_the_services_waiting_for_it(db: Db) {
    let app = spawn_app(db).await;
    let id = app.submit_ok("relocation", &example("relocation")).await;
    let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    let confirm = calls_of(&body, "homeowner-consent")[0]["confirm_url"]
        .as_str()
        .expect("link")
        .to_owned();
    assert_eq!(
        decide(&app, &confirm, &json!({ "decision": "maybe" })).await,
        400
    );
    let code = app.code_for(&confirm).await;
    let declined =
        json!({ "decision": "declined", "reason": "Не власник цієї квартири", "code": code });
    assert_eq!(decide(&app, &confirm, &declined).await, 200);
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed_with_failures", "{done:#}");
    let consent = calls_of(&done, "homeowner-consent")[0];
    assert_eq!(consent["status"], "failed");
    assert!(
        consent["error"]
            .as_str()
            .is_some_and(|e| e.contains("Не власник цієї квартири")),
        "{consent:#}"
    );
    for service in [
        "residence.registration",
        "tax.address-update",
        "voters.register-update",
    ] {
        for call in calls_of(&done, service) {
            assert_eq!(call["status"], "blocked", "{call:#}");
            assert_eq!(call["attempts"], 0, "never sent");
        }
    }
    for call in calls_of(&done, "residence.deregistration") {
        assert_eq!(call["status"], "succeeded", "what does not wait still runs");
    }
}

async fn an_expired_step_fails_and_blocks_what_waits_until_an_operator_reopens_it(db: Db) {
    let app = spawn_app_with(db, |s| {
        s.definitions.root = root().join("tests/fixtures/expiring-consent");
    })
    .await;
    let id = app
        .submit_ok("event", &json!({ "data": { "name": "Олена" } }))
        .await;
    let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    let confirm = calls_of(&body, "consent")[0]["confirm_url"]
        .as_str()
        .expect("link")
        .to_owned();
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed_with_failures", "{done:#}");
    let consent = calls_of(&done, "consent")[0];
    assert_eq!(consent["status"], "failed");
    assert!(
        consent["error"]
            .as_str()
            .is_some_and(|e| e.contains("строк")),
        "{consent:#}"
    );
    assert_eq!(calls_of(&done, "second")[0]["status"], "blocked");
    assert_eq!(calls_of(&done, "first")[0]["status"], "succeeded");
    assert_eq!(
        decide(&app, &confirm, &json!({ "decision": "confirmed" })).await,
        409,
        "too late"
    );

    // An operator reopens the step; the person confirms in time; what waited runs.
    let reopened = app
        .client
        .post(format!(
            "{}/api/v1/applications/{id}/services/consent/retry",
            app.address
        ))
        .send()
        .await
        .expect("retry sent");
    assert_eq!(reopened.status().as_u16(), 202);
    assert_eq!(
        decide(&app, &confirm, &json!({ "decision": "confirmed" })).await,
        200
    );
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
}
