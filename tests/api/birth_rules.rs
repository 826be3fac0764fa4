//! The birth's rules (bundle version 3): twins and more in one application, each child with
//! their own numbers and the large-family status once; when the second parent co-signs (never
//! for the mother's statement; a joint application, different surnames, or different addresses
//! when the child's residence is registered); the father a basis needs; the family's children
//! count asked only with the large-family service; and a second application of either twin
//! flagged. On the in-process simulated registries, which record what they receive.

use crate::helpers::{Db, TestApp, example, spawn_app};
use serde_json::{Value, json};

on_both_databases!(
    the_twins_example_completes_with_two_rnokpps_and_two_unzrs_one_set_per_child,
    no_second_parent_step_when_paternity_is_by_mothers_statement,
    a_joint_application_needs_the_second_parents_co_signature,
    married_parents_with_different_surnames_need_the_co_signature,
    different_addresses_need_the_co_signature_only_when_residence_registration_is_chosen,
    a_joint_application_without_the_fathers_data_is_refused_with_a_clear_message,
    the_large_family_service_is_not_asked_when_not_chosen_and_its_count_is_required_when_chosen,
    a_second_birth_of_either_twin_is_flagged_as_a_duplicate,
);

/// The services a birth repeats for each child (all of them chosen in the twins example).
const PER_CHILD: [&str; 9] = [
    "civil.birth-registration",
    "tax.rnokpp-assignment",
    "migration.unzr-entry",
    "migration.citizenship-determination",
    "civil.birth-certificate",
    "community.residence-registration",
    "social.birth-assistance",
    "social.baby-box",
    "health.ehealth-entry",
];
const LARGE_FAMILY: &str = "social.large-family";
const RESIDENCE: &str = "community.residence-registration";
const CO_SIGNATURE: &str = "second-parent-co-signature";

/// The calls (and steps) of `service` in an application, in item order.
fn calls_of<'a>(application: &'a Value, service: &str) -> Vec<&'a Value> {
    let all = application["services"].as_array().expect("services");
    all.iter().filter(|s| s["service"] == service).collect()
}

/// The output `field` of each call of `service`, by item.
fn outputs<'a>(application: &'a Value, service: &str, field: &str) -> Vec<&'a str> {
    (calls_of(application, service).into_iter())
        .map(|c| c["outputs"][field].as_str().expect("an output"))
        .collect()
}

/// The in-process sandbox's address.
fn sandbox(app: &TestApp) -> String {
    app.sms.trim_end_matches("/_sandbox/messages").to_owned()
}

/// What the simulated registries counted (`/_sandbox/stats`).
async fn registry_stats(app: &TestApp) -> Value {
    let url = format!("{}/_sandbox/stats", sandbox(app));
    let stats = reqwest::get(url).await.expect("stats");
    stats.json().await.expect("JSON")
}

/// The bodies `service` received, oldest first.
async fn received(app: &TestApp, service: &str) -> Vec<Value> {
    let url = format!("{}/_sandbox/received/{service}", sandbox(app));
    let body: Value = (reqwest::get(url).await.expect("received"))
        .json()
        .await
        .expect("JSON");
    body["bodies"].as_array().expect("bodies").clone()
}

async fn the_twins_example_completes_with_two_rnokpps_and_two_unzrs_one_set_per_child(db: Db) {
    let app = spawn_app(db).await;
    let twins = example("birth-twins");
    let children = twins["data"]["children"].as_array().expect("children");
    assert_eq!(children.len(), 2, "the example is of twins");
    let id = app.submit_ok("birth", &twins).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");

    // Every per-child service once for each child, item by item; the large-family status once.
    for service in PER_CHILD {
        let calls = calls_of(&done, service);
        let items: Vec<&Value> = calls.iter().map(|c| &c["item"]).collect();
        assert_eq!(items, [&json!(0), &json!(1)], "{service}: {done:#}");
        for call in calls {
            assert_eq!(call["status"], "succeeded", "{call:#}");
        }
    }
    let large_family = calls_of(&done, LARGE_FAMILY);
    assert_eq!(large_family.len(), 1, "once for the family: {done:#}");
    assert_eq!(large_family[0]["status"], "succeeded");
    assert_eq!(
        done["services"].as_array().expect("services").len(),
        2 * PER_CHILD.len() + 1,
        "nothing else: {done:#}"
    );

    // Each child has numbers of their own.
    let rnokpps = outputs(&done, "tax.rnokpp-assignment", "rnokpp");
    let unzrs = outputs(&done, "migration.unzr-entry", "unzr");
    assert_ne!(rnokpps[0], rnokpps[1], "two RNOKPPs");
    assert_ne!(unzrs[0], unzrs[1], "two UNZRs");
    for (rnokpp, unzr) in rnokpps.iter().zip(&unzrs) {
        assert!(onestop::form::is_rnokpp(rnokpp), "{rnokpp}");
        assert!(onestop::form::is_unzr(unzr), "{unzr}");
    }

    // Each child's certificate was asked with that child's numbers, not the twin's.
    let certificates = received(&app, "civil.birth-certificate").await;
    assert_eq!(certificates.len(), 2, "{certificates:#?}");
    for (i, child) in children.iter().enumerate() {
        let number = &child["medical_conclusion"]["number"];
        let asked: Vec<&Value> = (certificates.iter())
            .filter(|b| &b["child"]["medical_conclusion"]["number"] == number)
            .collect();
        assert_eq!(asked.len(), 1, "child {i}'s certificate: {certificates:#?}");
        assert_eq!(asked[0]["child"]["sex"], child["sex"], "a girl and a boy");
        assert_eq!(asked[0]["rnokpp"], rnokpps[i], "child {i}'s RNOKPP");
        assert_eq!(asked[0]["unzr"], unzrs[i], "child {i}'s UNZR");
    }

    // The registries saw each per-child service once per child, and made one effect each.
    let stats = registry_stats(&app).await;
    for service in PER_CHILD {
        let counted = (&stats[service]["calls"], &stats[service]["effects"]);
        assert_eq!(counted, (&json!(2), &json!(2)), "{service}: {stats:#}");
    }
    let counted = (
        &stats[LARGE_FAMILY]["calls"],
        &stats[LARGE_FAMILY]["effects"],
    );
    assert_eq!(counted, (&json!(1), &json!(1)), "{stats:#}");
}

/// The application's second parent's co-signature step, if it has one.
async fn co_signature(app: &TestApp, id: &str) -> Option<Value> {
    let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    calls_of(&body, CO_SIGNATURE).first().map(|s| (*s).clone())
}

/// The application waits for the second parent before the registration; confirmed, it
/// completes.
async fn assert_waits_for_the_co_signature(app: &TestApp, id: &str) {
    let step = co_signature(app, id).await.expect("a co-signature step");
    assert_eq!(step["kind"], "human", "{step:#}");
    assert_eq!(step["status"], "awaiting", "{step:#}");
    let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    for registration in calls_of(&body, "civil.birth-registration") {
        assert_eq!(registration["status"], "waiting", "{registration:#}");
        assert_eq!(
            registration["attempts"], 0,
            "not sent before the co-signature"
        );
    }
    assert_eq!(app.confirm_human_steps(id).await, 1);
    let done = app.wait_until_done(id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
}

/// The application runs to its end without asking the second parent.
async fn assert_completes_without_a_co_signature(app: &TestApp, id: &str) -> Value {
    let done = app.wait_until_done(id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert!(
        calls_of(&done, CO_SIGNATURE).is_empty(),
        "no co-signature: {done:#}"
    );
    done
}

/// The example birth with the second parent's phone given (the co-signature's code goes to it).
fn birth_with_the_second_parents_phone() -> Value {
    let mut birth = example("birth");
    birth["data"]["paternity"]["second_parent_phone"] = json!("+380671234567");
    birth
}

async fn no_second_parent_step_when_paternity_is_by_mothers_statement(db: Db) {
    let app = spawn_app(db).await;
    let mut birth = example("birth");
    let data = &mut birth["data"];
    // The father is recorded from the mother's words (Family Code art. 135): there is no
    // second parent to sign, whatever else would ask for one — the child's surname is not the
    // mother's, and the addresses differ with the residence registration chosen.
    data["paternity"] = json!({ "basis": "mother-statement" });
    data.as_object_mut().expect("data").remove("father");
    data["children"][0]["surname"] = json!("Петренко");
    data["parents_address"] = json!({ "same": false });
    let id = app.submit_ok("birth", &birth).await;
    let done = assert_completes_without_a_co_signature(&app, &id).await;
    assert_eq!(calls_of(&done, RESIDENCE).len(), 1, "{done:#}");
}

async fn a_joint_application_needs_the_second_parents_co_signature(db: Db) {
    let app = spawn_app(db).await;
    let mut birth = birth_with_the_second_parents_phone();
    // Not married; the same surnames and the same address.
    let paternity = &mut birth["data"]["paternity"];
    paternity["basis"] = json!("joint-application");
    let paternity = paternity.as_object_mut().expect("paternity");
    paternity.remove("marriage_act_record");
    paternity.remove("marriage_date");
    let id = app.submit_ok("birth", &birth).await;
    assert_waits_for_the_co_signature(&app, &id).await;
}

async fn married_parents_with_different_surnames_need_the_co_signature(db: Db) {
    let app = spawn_app(db).await;
    // Married with one surname: nobody else signs.
    let id = app.submit_ok("birth", &example("birth")).await;
    assert_completes_without_a_co_signature(&app, &id).await;

    let mut different = birth_with_the_second_parents_phone();
    different["data"]["father"]["surname"] = json!("Мельник");
    let id = app.submit_ok("birth", &different).await;
    assert_waits_for_the_co_signature(&app, &id).await;
}

async fn different_addresses_need_the_co_signature_only_when_residence_registration_is_chosen(
    db: Db,
) {
    let app = spawn_app(db).await;
    // Married, the same surnames, registered at different addresses.
    let mut with_residence = birth_with_the_second_parents_phone();
    with_residence["data"]["parents_address"] = json!({ "same": false });
    assert!((with_residence["services"].as_array().expect("services")).contains(&json!(RESIDENCE)));
    let id = app.submit_ok("birth", &with_residence).await;
    assert_waits_for_the_co_signature(&app, &id).await;

    // Without the child's residence registered, the parents' addresses are not asked.
    let mut without = birth_with_the_second_parents_phone();
    (without["services"].as_array_mut().expect("services")).retain(|s| s != RESIDENCE);
    let data = without["data"].as_object_mut().expect("data");
    data.remove("parents_address");
    let id = app.submit_ok("birth", &without).await;
    let done = assert_completes_without_a_co_signature(&app, &id).await;
    assert!(calls_of(&done, RESIDENCE).is_empty(), "{done:#}");
}

async fn a_joint_application_without_the_fathers_data_is_refused_with_a_clear_message(db: Db) {
    let app = spawn_app(db).await;
    let mut birth = example("birth");
    let data = &mut birth["data"];
    data["paternity"] = json!({ "basis": "joint-application" });
    data.as_object_mut().expect("data").remove("father");
    let response = app.submit("birth", &birth).await;
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.expect("JSON");
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "only the father is missing: {body:#}");
    assert_eq!(errors[0]["pointer"], "/father", "{body:#}");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("відомості про батька"), "{body:#}");
    let services = errors[0]["services"].as_array().expect("services");
    assert!(
        services.contains(&json!("civil.birth-registration")),
        "the registration asks for the father: {body:#}"
    );
    // Nothing was stored.
    let (_, list) = app.get_json("/api/v1/applications").await;
    assert_eq!(list["applications"], json!([]), "{list:#}");
}

async fn the_large_family_service_is_not_asked_when_not_chosen_and_its_count_is_required_when_chosen(
    db: Db,
) {
    let app = spawn_app(db).await;
    let form = |services: &str| {
        let path = format!("/api/v1/bundles/birth/form?services={services}");
        let app = &app;
        async move {
            let (status, form) = app.get_json(&path).await;
            assert_eq!(status, 200, "{form:#}");
            form
        }
    };
    let required = |form: &Value, field: &str| {
        (form["required"].as_array().expect("required")).contains(&json!(field))
    };
    for without in [
        "",
        "social.birth-assistance,social.baby-box,health.ehealth-entry",
    ] {
        let form = form(without).await;
        assert!(
            form["properties"].get("family").is_none(),
            "{without}: {form:#}"
        );
        assert!(!required(&form, "family"), "{without}");
    }
    let chosen = form("social.birth-assistance,social.large-family").await;
    let family = &chosen["properties"]["family"];
    assert!(
        family["properties"].get("children_count").is_some(),
        "{chosen:#}"
    );
    assert!(required(&chosen, "family"), "{chosen:#}");
    assert_eq!(family["required"], json!(["children_count"]), "{family:#}");

    // Chosen without the count, the application is refused where the count belongs.
    let mut birth = example("birth");
    birth["data"]
        .as_object_mut()
        .expect("data")
        .remove("family");
    let response = app.submit("birth", &birth).await;
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["errors"][0]["pointer"], "/family", "{body:#}");
    // Not chosen, it is not needed.
    (birth["services"].as_array_mut().expect("services")).retain(|s| s != LARGE_FAMILY);
    let id = app.submit_ok("birth", &birth).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert!(calls_of(&done, LARGE_FAMILY).is_empty(), "{done:#}");
}

async fn a_second_birth_of_either_twin_is_flagged_as_a_duplicate(db: Db) {
    let app = spawn_app(db).await;
    let twins = example("birth-twins");
    let id = app.submit_ok("birth", &twins).await;
    for twin in [0, 1] {
        // Another child's birth (another name and date), with this twin's conclusion number.
        let mut single = example("birth");
        let number = &twins["data"]["children"][twin]["medical_conclusion"]["number"];
        single["data"]["children"][0]["medical_conclusion"]["number"] = number.clone();
        let response = app.submit("birth", &single).await;
        assert_eq!(response.status().as_u16(), 409, "twin {twin}");
        let body: Value = response.json().await.expect("JSON");
        let error = &body["errors"][0];
        assert_eq!(error["duplicate_of"], id.as_str(), "twin {twin}: {body:#}");
        assert_eq!(
            error["pointer"], "/children/0/medical_conclusion/number",
            "the repeated field of this application: {body:#}"
        );
        assert!(
            (error["message"].as_str()).is_some_and(|m| m.contains("медичного висновку")),
            "{body:#}"
        );
    }
    // Neither was stored.
    let (_, list) = app.get_json("/api/v1/applications").await;
    assert_eq!(
        list["applications"].as_array().map(Vec::len),
        Some(1),
        "{list:#}"
    );
}
