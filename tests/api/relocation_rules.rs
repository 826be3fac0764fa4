//! The relocation's rules as the law has them (docs/domain.md): the applicant is asked once, as
//! the first person of the list, and is at least 14; the voter register follows each adult
//! citizen; the military register notice goes, not as a choice, for each person on the register.

use crate::helpers::{Db, TestApp, example, spawn_app};
use serde_json::{Value, json};

on_both_databases!(
    relocation_asks_for_the_applicant_once_as_the_first_person,
    the_military_notice_goes_for_each_person_on_the_register_and_is_not_a_choice,
    the_voter_register_is_updated_for_each_adult_citizen_only,
    an_applicant_younger_than_fourteen_is_refused,
);

/// Each call of the finished application: (service, item, status).
fn calls(done: &Value) -> Vec<(String, i64, String)> {
    (done["services"].as_array().expect("services").iter())
        .filter(|s| s["kind"] == "service")
        .map(|s| {
            let text = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
            (
                text("service"),
                s["item"].as_i64().unwrap_or(-1),
                text("status"),
            )
        })
        .collect()
}

fn items_of(calls: &[(String, i64, String)], service: &str) -> Vec<i64> {
    (calls.iter())
        .filter(|(s, _, status)| s == service && status == "succeeded")
        .map(|(_, item, _)| *item)
        .collect()
}

async fn done(app: &TestApp, body: &Value) -> Vec<(String, i64, String)> {
    let id = app.submit_ok("relocation", body).await;
    app.confirm_human_steps(&id).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    calls(&done)
}

async fn relocation_asks_for_the_applicant_once_as_the_first_person(db: Db) {
    let app = spawn_app(db).await;
    let (status, form) = app.get_json("/api/v1/bundles/relocation/form").await;
    assert_eq!(status, 200);
    let properties = form["properties"].as_object().expect("properties");
    assert!(!properties.contains_key("applicant"), "{properties:?}");
    let first = properties.keys().next().map(String::as_str);
    assert_eq!(first, Some("people"), "the people moving come first");
    let calls = done(&app, &example("relocation")).await;
    assert_eq!(items_of(&calls, "residence.registration"), [0, 1, 2]);
}

async fn the_military_notice_goes_for_each_person_on_the_register_and_is_not_a_choice(db: Db) {
    let app = spawn_app(db).await;
    let mut body = example("relocation");
    // The applicant and the older child are on the register; nobody chose the notice.
    body["data"]["people"][1]["military"] = json!({ "liable": true });
    let chosen = body["services"].as_array().expect("services");
    assert!(!chosen.iter().any(|s| s == "military.register-notice"));
    let calls = done(&app, &body).await;
    assert_eq!(items_of(&calls, "military.register-notice"), [0, 1]);
    // Nobody on the register: no notice at all.
    let mut none = example("relocation");
    for person in none["data"]["people"].as_array_mut().expect("people") {
        person.as_object_mut().expect("a person").remove("military");
    }
    let calls = done(&app, &none).await;
    assert!(items_of(&calls, "military.register-notice").is_empty());
    assert_eq!(items_of(&calls, "residence.registration"), [0, 1, 2]);
}

async fn the_voter_register_is_updated_for_each_adult_citizen_only(db: Db) {
    let app = spawn_app(db).await;
    let mut body = example("relocation");
    let people = body["data"]["people"].as_array_mut().expect("people");
    // A second adult citizen, and an adult who is a foreign citizen.
    let mut partner = people[0].clone();
    partner["given_name"] = json!("Андрій");
    partner["birth_date"] = json!("1986-02-03");
    partner.as_object_mut().expect("a person").remove("rnokpp");
    let mut foreigner = partner.clone();
    foreigner["given_name"] = json!("Анна");
    foreigner["citizenship"] = json!("POL");
    people.push(partner);
    people.push(foreigner);
    let calls = done(&app, &body).await;
    // The applicant (0) and the partner (3); not the children (1, 2) nor the foreigner (4).
    assert_eq!(items_of(&calls, "voters.register-update"), [0, 3]);
    assert_eq!(items_of(&calls, "residence.registration"), [0, 1, 2, 3, 4]);
}

async fn an_applicant_younger_than_fourteen_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let mut body = example("relocation");
    body["data"]["people"][0]["birth_date"] = json!("2015-01-10");
    let response = app.submit("relocation", &body).await;
    assert_eq!(response.status().as_u16(), 422);
    let errors: Value = response.json().await.expect("JSON");
    let error = (errors["errors"].as_array().expect("errors").iter())
        .find(|e| e["pointer"] == "/people/0/birth_date")
        .unwrap_or_else(|| panic!("no error at the applicant's birth date: {errors:#}"));
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("14"), "{message}");
    // A child of 10 moving with an adult applicant is declared by them.
    let mut family = example("relocation");
    family["data"]["people"][2]["birth_date"] = json!("2016-05-05");
    let calls = done(&app, &family).await;
    assert_eq!(items_of(&calls, "residence.registration"), [0, 1, 2]);
}
