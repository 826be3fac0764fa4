//! The audit trail: every read and change of an application's personal data, every decision,
//! sign-in and staff change has its entry, with who, what, when and the request; auditors and
//! supervisors search it within what they answer for; the chain names an entry changed or
//! removed behind onestop's back.

use crate::helpers::{
    Db, INSTITUTION, TestApp, add_institution, client_with, example, spawn_app, token, trail,
};
use serde_json::{Value, json};
use std::time::Duration;

on_both_databases!(
    every_read_and_change_of_an_application_is_in_the_trail_with_who_what_and_when,
    sign_ins_sign_outs_and_staff_changes_are_in_the_trail,
    auditors_and_supervisors_search_the_trail_within_what_they_answer_for,
    an_auditor_opens_an_application_only_with_a_reason_and_the_opening_is_recorded,
    the_chain_verifies_and_names_an_entry_changed_or_removed_behind_onestops_back,
    a_registry_receives_only_the_fields_its_own_form_declares,
    an_application_past_its_retention_loses_its_personal_data_and_keeps_its_statuses,
);

/// An auditor of no one institution, over the API.
async fn auditor(app: &TestApp) -> reqwest::Client {
    client_with(&token(&app.store, None, "auditor").await)
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect()
}

fn first<'a>(entries: &'a [Value], action: &str) -> &'a Value {
    (entries.iter().rev())
        .find(|e| e["action"] == action)
        .unwrap_or_else(|| panic!("no {action} in {entries:#?}"))
}

async fn every_read_and_change_of_an_application_is_in_the_trail_with_who_what_and_when(db: Db) {
    let app = spawn_app(db).await;
    let submitted = app.submit("relocation", &example("relocation")).await;
    let request_id = (submitted.headers().get("x-request-id"))
        .and_then(|v| v.to_str().ok())
        .expect("the answer names its request")
        .to_owned();
    let id = submitted.json::<Value>().await.expect("JSON")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Polling: three reads in a row are one entry that counts the other two.
    for _ in 0..3 {
        app.get_json(&format!("/api/v1/applications/{id}")).await;
    }
    let receipt = (app.client)
        .get(format!(
            "{}/api/v1/applications/{id}/receipt.pdf",
            app.address
        ))
        .send()
        .await;
    assert_eq!(receipt.expect("sent").status().as_u16(), 200);
    let page = app
        .pages
        .get(format!("{}/applications/{id}", app.address))
        .send()
        .await;
    assert_eq!(page.expect("sent").status().as_u16(), 200);
    // The homeowner confirms with the code sent to them.
    let (_, status) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    let link = (status["services"].as_array().expect("services").iter())
        .find_map(|s| s["confirm_url"].as_str())
        .expect("a confirmation link")
        .to_owned();
    let invite = format!(
        "{}/api/v1/applications/{id}/steps/homeowner-consent/invitation",
        app.address
    );
    let invited = app.client.post(invite).send().await.expect("sent");
    assert_eq!(invited.status().as_u16(), 202);
    let code = app.code_for(&link).await;
    let decided = reqwest::Client::new()
        .post(&link)
        .json(&json!({ "decision": "confirmed", "code": code }))
        .send()
        .await
        .expect("sent");
    assert_eq!(decided.status().as_u16(), 200);

    let auditor = auditor(&app).await;
    let entries = trail(&app, &auditor, &format!("application={id}")).await;
    let mut seen = actions(&entries);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen,
        [
            "application.read",
            "application.submit",
            "receipt.read",
            "step.decide",
            "step.invite"
        ],
        "{entries:#?}"
    );
    let submit = first(&entries, "application.submit");
    assert!(
        submit["actor"]
            .as_str()
            .expect("actor")
            .starts_with("token:test-")
    );
    assert_eq!(submit["role"], "registrar");
    assert_eq!(submit["institution"], INSTITUTION);
    assert_eq!(submit["request_id"], request_id.as_str());
    assert_eq!(submit["detail"]["bundle"], "relocation");
    assert!(submit["at"].as_str().expect("at").starts_with("20"));
    assert_eq!(submit["hash"].as_str().expect("hash").len(), 64);
    // The registrar's token polled (one entry), the registrar's browser read the page (its own).
    let reads: Vec<&Value> = (entries.iter())
        .filter(|e| e["action"] == "application.read")
        .collect();
    let by = |actor: &str| reads.iter().filter(|e| e["actor"] == actor).count();
    assert_eq!(by("test-registrar"), 1, "{reads:#?}");
    assert_eq!(
        by(submit["actor"].as_str().expect("actor")),
        1,
        "{reads:#?}"
    );
    let decision = first(&entries, "step.decide");
    assert_eq!(decision["actor"], "person");
    assert_eq!(decision["detail"]["decision"], "confirmed");
    assert_eq!(
        decision["detail"]["identified_by"],
        "a one-time code sent to their phone"
    );
    // The repeated reads are counted into the first within seconds.
    let polled = submit["actor"].as_str().expect("actor").to_owned();
    for _ in 0..100 {
        let entries = trail(&app, &auditor, &format!("application={id}&actor={polled}")).await;
        let read = first(&entries, "application.read");
        if read["repeats"].as_i64() >= Some(3) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the repeated reads were not counted into their entry");
}

async fn sign_ins_sign_outs_and_staff_changes_are_in_the_trail(db: Db) {
    let app = spawn_app(db).await;
    let password = "a long enough password";
    onestop::people::add_user(&app.store, "olena", Some(INSTITUTION), "clerk", password)
        .await
        .expect("user added");
    let sign_in = |login: &str, password: &str| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/session", app.address))
            .json(&json!({ "login": login, "password": password }))
            .send()
    };
    assert_eq!(
        sign_in("olena", "not her password")
            .await
            .expect("sent")
            .status(),
        401
    );
    assert_eq!(
        sign_in("my password by mistake", password)
            .await
            .expect("sent")
            .status(),
        401
    );
    let signed_in: Value = sign_in("olena", password)
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let session = signed_in["token"].as_str().expect("token");
    let changed: Value = client_with(session)
        .post(format!("{}/api/v1/session/password", app.address))
        .json(&json!({ "current": password, "new": "another long passphrase" }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let session = changed["token"].as_str().expect("a new session");
    let out = client_with(session)
        .delete(format!("{}/api/v1/session", app.address))
        .send()
        .await;
    assert_eq!(out.expect("sent").status().as_u16(), 204);
    // An admin's tools: an institution and a machine token, made on the command line's path.
    let catalog = onestop::bundle::compile(&crate::helpers::root()).expect("definitions");
    let ward = onestop::store::Institution {
        id: "ward-9".into(),
        title_uk: "Пологовий будинок № 9".into(),
        title_en: "Maternity ward 9".into(),
        bundles: vec!["birth".into()],
    };
    (onestop::people::add_institution(&app.store, &catalog, ward).await).expect("institution");
    let made = onestop::people::add_token(&app.store, "his", Some("ward-9"), "clerk", "P30D");
    made.await.expect("token");
    let supervisor = crate::helpers::session(&app.store, "head", "supervisor").await;
    let supervisor = client_with(&supervisor);
    let added = supervisor
        .post(format!("{}/api/v1/users", app.address))
        .json(&json!({ "login": "taras", "role": "clerk", "password": password }))
        .send()
        .await;
    assert_eq!(added.expect("sent").status().as_u16(), 201);
    let disabled = supervisor
        .delete(format!("{}/api/v1/users/olena", app.address))
        .send()
        .await;
    assert_eq!(disabled.expect("sent").status().as_u16(), 204);

    let auditor = auditor(&app).await;
    let hers = trail(&app, &auditor, "actor=olena").await;
    let mut seen = actions(&hers);
    seen.reverse();
    assert_eq!(
        seen,
        [
            "session.sign_in_failed",
            "session.sign_in",
            "session.password",
            "session.sign_in",
            "session.sign_out"
        ],
        "{hers:#?}"
    );
    assert_eq!(
        first(&hers, "session.sign_in_failed")["detail"]["reason"],
        "wrong password"
    );
    assert_eq!(
        first(&hers, "session.sign_in")["detail"]["method"],
        "password"
    );
    let system = trail(&app, &auditor, "actor=system").await;
    let made = |action: &str, detail: Value| {
        (system.iter()).any(|e| e["action"] == action && e["detail"] == detail)
    };
    assert!(
        made(
            "institution.change",
            json!({ "change": "add", "institution": "ward-9", "bundles": ["birth"] })
        ),
        "{system:#?}"
    );
    assert!(
        made(
            "token.change",
            json!({ "change": "add", "token": "his", "institution": "ward-9", "role": "clerk" })
        ),
        "{system:#?}"
    );
    // A "login" nobody has (a password typed in the wrong field) is not kept.
    let unknown = trail(&app, &auditor, "actor=unknown%20login").await;
    assert_eq!(actions(&unknown), ["session.sign_in_failed"]);
    let everything = serde_json::to_string(&trail(&app, &auditor, "").await).expect("JSON");
    assert!(!everything.contains("by mistake"), "{everything}");
    let heads = trail(&app, &auditor, "actor=head").await;
    let changes: Vec<&Value> = (heads.iter())
        .filter(|e| e["action"] == "staff.change")
        .map(|e| &e["detail"])
        .collect();
    assert_eq!(
        changes,
        [
            &json!({ "change": "disable", "login": "olena" }),
            &json!({ "change": "add", "login": "taras", "institution": INSTITUTION, "role": "clerk" }),
        ]
    );
}

async fn auditors_and_supervisors_search_the_trail_within_what_they_answer_for(db: Db) {
    let app = spawn_app(db).await;
    let ours = app.submit_ok("relocation", &example("relocation")).await;
    add_institution(&app.store, "ward-b").await;
    let theirs = client_with(&token(&app.store, Some("ward-b"), "clerk").await);
    let created = theirs
        .post(format!("{}/api/v1/bundles/birth/applications", app.address))
        .json(&example("birth"))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status().as_u16(), 201);
    let theirs_id = created.json::<Value>().await.expect("JSON")["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let supervisor = client_with(&crate::helpers::session(&app.store, "head", "supervisor").await);
    let seen = trail(&app, &supervisor, "").await;
    assert!(seen.iter().any(|e| e["application"] == ours.as_str()));
    assert!(
        seen.iter().all(|e| e["institution"] == INSTITUTION),
        "a supervisor sees their institution's entries only: {seen:#?}"
    );
    let bound = client_with(&token(&app.store, Some("ward-b"), "auditor").await);
    let seen = trail(&app, &bound, "").await;
    assert!(seen.iter().any(|e| e["application"] == theirs_id.as_str()));
    assert!(
        seen.iter().all(|e| e["institution"] == "ward-b"),
        "{seen:#?}"
    );
    // Pages follow one another through the cursor, newest first, without overlap.
    let auditor = auditor(&app).await;
    let page = |query: String| {
        let auditor = auditor.clone();
        let url = format!("{}/api/v1/audit?{query}", app.address);
        async move {
            auditor
                .get(url)
                .send()
                .await
                .expect("sent")
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };
    let one = page("limit=2".into()).await;
    let next = one["next"].as_i64().expect("a next page");
    let two = page(format!("limit=2&cursor={next}")).await;
    let seqs: Vec<i64> = [&one, &two]
        .iter()
        .flat_map(|p| p["entries"].as_array().expect("entries").iter())
        .filter_map(|e| e["seq"].as_i64())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    // The page shows the same, to a supervisor signed in; a bad date is said next to the form.
    let browser = crate::helpers::pages_with(
        &crate::helpers::session(&app.store, "head-2", "supervisor").await,
    );
    let page = |query: &str| {
        let url = format!("{}/staff/audit?{query}", app.address);
        let browser = browser.clone();
        async move {
            let response = browser.get(url).send().await.expect("sent");
            (
                response.status().as_u16(),
                response.text().await.expect("HTML"),
            )
        }
    };
    let (status, html) = page(&format!("application={ours}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("application.submit") && html.contains(ours.as_str()),
        "{html}"
    );
    assert!(!html.contains(theirs_id.as_str()), "{html}");
    for wrong in ["from=yesterday", "cursor=abc"] {
        let (status, html) = page(wrong).await;
        assert_eq!(status, 422, "{wrong}");
        assert!(html.contains(r#"id="audit-error""#), "{wrong}: {html}");
    }
    // Reading the trail is itself recorded.
    let reads = trail(&app, &auditor, "actor=head").await;
    assert!(actions(&reads).contains(&"audit.read"));
    // Who may not, and what cannot be read.
    let answers = [
        (app.client.clone(), "", 403),
        (reqwest::Client::new(), "", 401),
        (auditor.clone(), "limit=0", 422),
        (auditor.clone(), "from=yesterday", 422),
        (auditor.clone(), "cursor=abc", 400),
        (auditor.clone(), "colour=red", 400),
        (
            auditor.clone(),
            "from=2026-12-01&to=2026-12-01T00:00:00Z",
            200,
        ),
    ];
    for (client, query, status) in answers {
        let response = client
            .get(format!("{}/api/v1/audit?{query}", app.address))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status().as_u16(), status, "{query}");
        let body: Value = response.json().await.expect("the usual JSON body");
        if status != 200 {
            assert!(body["errors"].is_array(), "{body}");
        }
    }
}

async fn an_auditor_opens_an_application_only_with_a_reason_and_the_opening_is_recorded(db: Db) {
    let app = spawn_app(db).await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let url = format!("{}/api/v1/applications/{id}/open", app.address);
    let auditor = auditor(&app).await;
    let open = |client: &reqwest::Client, body: Value| client.post(&url).json(&body).send();
    // An auditor reads no application plainly; opening needs a reason.
    let plain = auditor
        .get(format!("{}/api/v1/applications/{id}", app.address))
        .send()
        .await;
    assert_eq!(plain.expect("sent").status().as_u16(), 403);
    assert_eq!(
        open(&auditor, json!({}))
            .await
            .expect("sent")
            .status()
            .as_u16(),
        400
    );
    let short = open(&auditor, json!({ "reason": "x" }))
        .await
        .expect("sent");
    assert_eq!(short.status().as_u16(), 422);
    let reason = "Скарга матері № 12/2026 щодо доступу до даних";
    let opened = open(&auditor, json!({ "reason": reason }))
        .await
        .expect("sent");
    assert_eq!(opened.status().as_u16(), 200);
    let opened: Value = opened.json().await.expect("JSON");
    assert_eq!(opened["id"], id.as_str());
    let registrar = open(&app.client, json!({ "reason": reason }))
        .await
        .expect("sent");
    assert_eq!(registrar.status().as_u16(), 403);
    add_institution(&app.store, "ward-b").await;
    let elsewhere = client_with(&token(&app.store, Some("ward-b"), "auditor").await);
    let hidden = open(&elsewhere, json!({ "reason": reason }))
        .await
        .expect("sent");
    assert_eq!(hidden.status().as_u16(), 404);
    let entries = trail(&app, &auditor, &format!("application={id}")).await;
    let opening = first(&entries, "application.open");
    assert_eq!(opening["role"], "auditor");
    assert_eq!(opening["detail"]["reason"], reason);
    // The institution whose application it is sees that it was opened, and why.
    let supervisor = client_with(&crate::helpers::session(&app.store, "head", "supervisor").await);
    let theirs = trail(&app, &supervisor, &format!("application={id}")).await;
    assert_eq!(
        first(&theirs, "application.open")["institution"],
        INSTITUTION
    );
}

async fn the_chain_verifies_and_names_an_entry_changed_or_removed_behind_onestops_back(db: Db) {
    let app = spawn_app(db).await;
    for _ in 0..3 {
        app.submit_ok("relocation", &example("relocation")).await;
    }
    let auditor = auditor(&app).await;
    let verify = || async {
        let response = auditor
            .get(format!("{}/api/v1/audit/verify", app.address))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status().as_u16(), 200);
        response.json::<Value>().await.expect("JSON")
    };
    let whole = verify().await;
    assert_eq!(whole["ok"], true, "{whole}");
    assert!(whole["entries"].as_i64() >= Some(4), "{whole}");
    let (whole, said) = cli_verify(&app.database_url);
    assert!(whole, "{said}");
    let registrar = app
        .client
        .get(format!("{}/api/v1/audit/verify", app.address))
        .send()
        .await;
    assert_eq!(registrar.expect("sent").status().as_u16(), 403);

    let mut db = crate::durability::connect(&app.database_url).await;
    let sql = |text: &'static str| sqlx::query(text);
    let actor: String = sqlx::query_scalar("SELECT actor FROM audit WHERE seq = 3")
        .fetch_one(&mut db)
        .await
        .expect("entry 3");
    sql("UPDATE audit SET actor = 'someone-else' WHERE seq = 3")
        .execute(&mut db)
        .await
        .expect("changed");
    let changed = verify().await;
    assert_eq!(changed["ok"], false);
    assert_eq!(changed["broken"]["entry"], 3, "{changed}");
    let (ok, said) = cli_verify(&app.database_url);
    assert!(!ok && said.contains("entry 3 was changed"), "{said}");
    sqlx::query("UPDATE audit SET actor = $1 WHERE seq = 3")
        .bind(&actor)
        .execute(&mut db)
        .await
        .expect("restored");
    assert_eq!(verify().await["ok"], true);
    sql("DELETE FROM audit WHERE seq = 2")
        .execute(&mut db)
        .await
        .expect("removed");
    let removed = verify().await;
    assert_eq!(removed["broken"]["entry"], 2, "{removed}");
    let (ok, said) = cli_verify(&app.database_url);
    assert!(!ok && said.contains("entry 2 is missing"), "{said}");
}

/// `onestop audit verify` on the database: whether it passed, and what it said.
fn cli_verify(database_url: &str) -> (bool, String) {
    cli(&["audit", "verify", "--database-url", database_url])
}

async fn a_registry_receives_only_the_fields_its_own_form_declares(db: Db) {
    let app = spawn_app(db).await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let sandbox = app.sms.trim_end_matches("/_sandbox/messages");
    let received = |service: &'static str| async move {
        let url = format!("{sandbox}/_sandbox/received/{service}");
        let body: Value = reqwest::get(url)
            .await
            .expect("sent")
            .json()
            .await
            .expect("JSON");
        body["bodies"]
            .as_array()
            .expect("bodies")
            .last()
            .cloned()
            .expect("a body")
    };
    let tax = received("tax.rnokpp-assignment").await;
    let mother = tax["mother"].as_object().expect("the mother");
    assert!(
        mother.contains_key("surname") && mother.contains_key("rnokpp"),
        "{tax:#}"
    );
    assert!(
        !mother.contains_key("identity_document"),
        "the tax service gets no identity document: {tax:#}"
    );
    assert!(
        tax.get("benefit").is_none() && tax.get("paternity").is_none(),
        "{tax:#}"
    );
    // The civil registry, whose form asks for the document, gets it.
    let civil = received("civil.birth-registration").await;
    assert!(
        civil["mother"]["identity_document"].is_object(),
        "{civil:#}"
    );
}

async fn an_application_past_its_retention_loses_its_personal_data_and_keeps_its_statuses(db: Db) {
    let app = spawn_app(db).await;
    let old = app.submit_ok("birth", &example("birth")).await;
    let recent = app.submit_ok("birth", &example("birth")).await;
    for id in [&old, &recent] {
        assert_eq!(app.wait_until_done(id).await["status"], "completed");
    }
    let (_, before) = app.get_json(&format!("/api/v1/applications/{old}")).await;
    let verify = before["verify_url"]
        .as_str()
        .expect("verify url")
        .to_owned();
    let codes = || async {
        let checked = (reqwest::Client::new().get(&verify))
            .header("Accept", "application/json")
            .send()
            .await
            .expect("verify");
        assert_eq!(checked.status().as_u16(), 200, "the check by code works");
        let checked: Value = checked.json().await.expect("JSON");
        let services = checked["services"].as_array().expect("services").clone();
        services
            .iter()
            .map(|s| s["check_code"].clone())
            .collect::<Vec<_>>()
    };
    let printed = codes().await;
    assert!(
        printed
            .iter()
            .all(|c| c.as_str().is_some_and(|c| c.len() == 9)),
        "{printed:?}"
    );
    // The birth bundle keeps data 180 days after the application ends: this one ended 200 ago.
    let mut db = crate::durability::connect(&app.database_url).await;
    let long_ago = onestop::store::now_ms() - 200 * 86_400_000;
    sqlx::query("UPDATE applications SET updated_at = $1 WHERE id = $2")
        .bind(long_ago)
        .bind(&old)
        .execute(&mut db)
        .await
        .expect("aged");
    let (ok, said) = cli(&["purge", "--dry-run", "--database-url", &app.database_url]);
    assert!(
        ok && said.contains(&old) && !said.contains(&recent),
        "{said}"
    );
    let data: String = sqlx::query_scalar("SELECT data FROM applications WHERE id = $1")
        .bind(&old)
        .fetch_one(&mut db)
        .await
        .expect("data");
    assert!(data.contains("Коваленко"), "a dry run removes nothing");
    let (ok, said) = cli(&["purge", "--database-url", &app.database_url]);
    assert!(ok && said.contains(&old), "{said}");

    // In the database itself: no name, number or account of the application is left.
    let texts: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT data FROM applications WHERE id = $1
         UNION ALL SELECT outputs FROM sub_requests WHERE application_id = $1
         UNION ALL SELECT error FROM sub_requests WHERE application_id = $1
         UNION ALL SELECT detail FROM status_history WHERE application_id = $1",
    )
    .bind(&old)
    .fetch_all(&mut db)
    .await
    .expect("rows");
    let left: String = texts.into_iter().flatten().collect::<Vec<_>>().join(" ");
    assert_eq!(left, "{}", "only the empty data is left");
    let kept: String = sqlx::query_scalar("SELECT data FROM applications WHERE id = $1")
        .bind(&recent)
        .fetch_one(&mut db)
        .await
        .expect("data");
    assert!(kept.contains("Коваленко"), "the recent one keeps its data");
    let receipt = (app.client)
        .get(format!(
            "{}/api/v1/applications/{old}/receipt.pdf",
            app.address
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(receipt.status().as_u16(), 410);
    let body: Value = receipt.json().await.expect("the usual body");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("видалено")
    );
    let (status, after) = app.get_json(&format!("/api/v1/applications/{old}")).await;
    assert_eq!(status, 200);
    assert_eq!(after["status"], "completed");
    assert!(after["purged_at"].is_string(), "{after:#}");
    assert_eq!(
        codes().await,
        printed,
        "the receipt's check codes still match"
    );
    let checked = reqwest::get(&verify).await.expect("verify");
    assert_eq!(
        checked.status().as_u16(),
        200,
        "the verify page still works"
    );
    let page = app
        .pages
        .get(format!("{}/applications/{old}", app.address))
        .send()
        .await;
    let page = page.expect("page").text().await.expect("HTML");
    assert!(
        page.contains(r#"id="purged""#) && page.contains("видалено персональні дані"),
        "{page}"
    );
    let entries = trail(&app, &auditor(&app).await, &format!("application={old}")).await;
    let purge = first(&entries, "application.purge");
    assert_eq!(purge["actor"], "system");
    assert_eq!(
        purge["detail"],
        json!({ "bundle": "birth", "retention": "P180D" })
    );
    // Nothing more to purge: a second run removes nothing and records nothing.
    let (ok, said) = cli(&["purge", "--database-url", &app.database_url]);
    assert!(ok && !said.contains(&old), "{said}");
}

/// `onestop` with `args`: whether it succeeded, and what it said.
fn cli(args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_onestop"))
        .args(args)
        .output()
        .expect("onestop runs");
    let said = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), said)
}
