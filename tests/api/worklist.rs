//! The staff workspace (issue 24): the work list over the API with its stages, counts, dates
//! and search; duplicate births flagged before they are stored; a person's step reopened with
//! a new deadline; `/metrics` in the Prometheus text format, agreeing with the sandbox's own
//! count; and the registries' page showing a registry slowed at run time as slow.

use crate::helpers::{
    Db, INSTITUTION, TestApp, add_institution, client_with, example, session, session_at,
    spawn_app, spawn_app_with, token,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

on_both_databases!(
    the_work_list_sorts_each_application_into_its_stage_and_counts_them,
    the_work_list_finds_an_application_by_surname_rnokpp_conclusion_and_number,
    the_work_list_shows_only_the_callers_institution_and_only_to_staff,
    a_second_birth_with_the_same_medical_conclusion_is_flagged_until_a_reason_is_given,
    a_second_birth_of_the_same_child_and_mother_is_flagged_under_another_conclusion_number,
    a_failed_birth_is_no_duplicate_and_another_institutions_is_not_named,
    a_registrar_reopens_an_expired_step_with_a_new_deadline_and_a_clerk_may_not,
    metrics_answer_only_their_token_and_agree_with_the_registries_own_count,
    a_registry_slowed_at_run_time_shows_as_slow_on_the_registries_page,
);

/// The in-process sandbox's address.
fn sandbox(app: &TestApp) -> String {
    app.sms.trim_end_matches("/_sandbox/messages").to_owned()
}

async fn put_behaviour(app: &TestApp, behaviour: Value) {
    let response = reqwest::Client::new()
        .put(format!("{}/_sandbox/behaviour", sandbox(app)))
        .json(&behaviour)
        .send()
        .await
        .expect("PUT behaviour");
    assert_eq!(response.status().as_u16(), 200, "behaviour taken");
}

/// A birth whose parents have different surnames: it waits for the second parent.
fn birth_waiting_for_the_father() -> Value {
    let mut body = example("birth");
    body["data"]["father"]["surname"] = json!("Шевчук");
    body
}

async fn list(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/applications?{query}")).await;
    assert_eq!(status, 200, "the list answers: {body}");
    body
}

/// Wait until the list counts `expected` (attention, person, progress, done).
async fn until_counted(app: &TestApp, expected: [i64; 4]) -> Value {
    let started = Instant::now();
    loop {
        let body = list(app, "").await;
        let c = &body["counts"];
        let counts =
            ["attention", "person", "progress", "done"].map(|s| c[s].as_i64().unwrap_or(-1));
        if counts == expected {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "counts {counts:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ids(body: &Value) -> Vec<String> {
    (body["applications"]
        .as_array()
        .expect("applications")
        .iter())
    .map(|a| a["id"].as_str().expect("id").to_owned())
    .collect()
}

async fn the_work_list_sorts_each_application_into_its_stage_and_counts_them(db: Db) {
    let app = spawn_app(db).await;
    let refused = example("birth");
    let number = refused["data"]["children"][0]["medical_conclusion"]["number"].clone();
    put_behaviour(&app, json!({ "services": { "civil.birth-registration": {
        "refuse": [{ "pointer": "/child/medical_conclusion/number", "equals": number, "message": "не знайдено" }]
    } } }))
    .await;
    let failed = app.submit_ok("birth", &refused).await;
    let done = app.submit_ok("birth", &example("birth")).await;
    let waiting = app
        .submit_ok("birth", &birth_waiting_for_the_father())
        .await;
    app.wait_until_done(&done).await;
    let body = until_counted(&app, [1, 1, 0, 1]).await;
    // Newest first, each with the child's name and a stage at a glance.
    assert_eq!(ids(&body), [waiting.clone(), done.clone(), failed.clone()]);
    let first = &body["applications"][0];
    // The name as the registries write it: the apostrophe is the letter U+02BC.
    assert_eq!(first["name"], "Коваленко Мар\u{2bc}яна Андріївна");
    assert_eq!(first["stage"], "person");
    assert_eq!(first["event"]["uk"], "Народження дитини");
    for (stage, id) in [
        ("attention", &failed),
        ("person", &waiting),
        ("done", &done),
    ] {
        assert_eq!(
            ids(&list(&app, &format!("stage={stage}")).await),
            std::slice::from_ref(id),
            "{stage}"
        );
    }
    assert!(ids(&list(&app, "stage=progress").await).is_empty());
    // A person's step past half its time needs attention too.
    sqlx_exec(
        &app,
        "UPDATE applications SET attention_at = 1 WHERE stage = 'person'",
    )
    .await;
    let body = until_counted(&app, [2, 0, 0, 1]).await;
    assert_eq!(body["applications"][0]["stage"], "attention");
    assert_eq!(ids(&list(&app, "stage=attention").await), [waiting, failed]);
    // Dates: nothing was submitted yesterday; a page of one has a next page.
    assert!(ids(&list(&app, "to=2020-01-01").await).is_empty());
    let first = list(&app, "limit=1").await;
    let next = first["next"].as_str().expect("a next page");
    let second = list(&app, &format!("limit=1&cursor={next}")).await;
    assert_eq!(ids(&second), [done]);
    for bad in ["stage=late", "cursor=12", "limit=0", "from=yesterday"] {
        let (status, body) = app.get_json(&format!("/api/v1/applications?{bad}")).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(body["errors"][0]["message"].is_string());
    }
}

async fn sqlx_exec(app: &TestApp, sql: &str) {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url)
        .await
        .expect("database");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .expect("statement");
}

async fn the_work_list_finds_an_application_by_surname_rnokpp_conclusion_and_number(db: Db) {
    let app = spawn_app(db).await;
    let mut mine = example("birth");
    mine["data"]["children"][0]["surname"] = json!("Мар'янчук");
    mine["data"]["mother"]["surname"] = json!("Мар'янчук");
    let id = app.submit_ok("birth", &mine).await;
    let other = app.submit_ok("birth", &example("birth")).await;
    let number = mine["data"]["children"][0]["medical_conclusion"]["number"]
        .as_str()
        .expect("number");
    let father = mine["data"]["father"]["rnokpp"].as_str().expect("RNOKPP");
    let found = |q: &str| {
        let q = q.to_owned();
        let app = &app;
        async move {
            let query = format!("q={}", urlencode(&q));
            ids(&list(app, &query).await)
        }
    };
    // The apostrophe is typed three ways and the case does not matter; a prefix finds too.
    for q in ["Мар'янчук", "марʼянчук", "МАР’ЯН", &id[..13], &id] {
        assert_eq!(found(q).await, std::slice::from_ref(&id), "{q}");
    }
    // The other's conclusion number is this one's and more: a number finds by its start.
    let theirs = format!("{number}-1");
    assert_eq!(found(&theirs).await, std::slice::from_ref(&other));
    assert_eq!(found(number).await, [other.clone(), id.clone()]);
    // Both births have the same parents: a parent's RNOKPP finds both, newest first.
    assert_eq!(found(father).await, [other.clone(), id.clone()]);
    assert!(found("Марьянчук").await.is_empty());
    // The father's surname is in both.
    assert_eq!(found("коваленко").await, [other, id]);
    let (status, _) = app
        .get_json(&format!("/api/v1/applications?q={}", "я".repeat(101)))
        .await;
    assert_eq!(status, 422);
}

fn urlencode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

async fn the_work_list_shows_only_the_callers_institution_and_only_to_staff(db: Db) {
    let app = spawn_app(db).await;
    let id = app.submit_ok("birth", &example("birth")).await;
    let elsewhere = client_with(&token(&app.store, Some("another-ward"), "clerk").await);
    let theirs: Value = get(&elsewhere, &app, "/api/v1/applications").await.1;
    assert!(ids(&theirs).is_empty(), "another ward sees none of it");
    assert_eq!(
        theirs["counts"]["done"].as_i64().unwrap_or(-1)
            + theirs["counts"]["progress"].as_i64().unwrap_or(-1),
        0
    );
    let clerk = client_with(&token(&app.store, Some(INSTITUTION), "clerk").await);
    assert_eq!(
        ids(&get(&clerk, &app, "/api/v1/applications").await.1),
        std::slice::from_ref(&id)
    );
    for (role, institution) in [("auditor", None), ("admin", None)] {
        let client = client_with(&token(&app.store, institution, role).await);
        assert_eq!(
            get(&client, &app, "/api/v1/applications").await.0,
            403,
            "{role}"
        );
    }
    let nobody = reqwest::Client::new();
    assert_eq!(get(&nobody, &app, "/api/v1/applications").await.0, 401);
    // The list's page is recorded, its search only as a digest.
    let q = "Коваленко";
    let _ = get(
        &clerk,
        &app,
        &format!("/api/v1/applications?q={}", urlencode(q)),
    )
    .await;
    let auditor = client_with(&token(&app.store, None, "auditor").await);
    let trail = get(&auditor, &app, "/api/v1/audit?limit=500").await.1;
    let listed: Vec<&Value> = (trail["entries"].as_array().expect("entries").iter())
        .filter(|e| e["action"] == "application.list")
        .collect();
    assert!(listed.len() >= 2, "each page is recorded");
    let text = serde_json::to_string(&listed).expect("JSON");
    assert!(
        text.contains("hmac:") && !text.contains(q),
        "the search is kept as a digest"
    );
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, Value) {
    let response = client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("GET");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn a_second_birth_with_the_same_medical_conclusion_is_flagged_until_a_reason_is_given(
    db: Db,
) {
    let app = spawn_app(db).await;
    let first = example("birth");
    let id = app.submit_ok("birth", &first).await;
    // Another child (another birth date), the same conclusion number.
    let mut again = example("birth");
    again["data"]["children"][0]["medical_conclusion"]["number"] =
        first["data"]["children"][0]["medical_conclusion"]["number"].clone();
    let response = app.submit("birth", &again).await;
    assert_eq!(response.status().as_u16(), 409);
    let body: Value = response.json().await.expect("JSON");
    let error = &body["errors"][0];
    assert_eq!(error["pointer"], "/children/0/medical_conclusion/number");
    assert_eq!(error["duplicate_of"], id.as_str());
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("медичного висновку") && m.contains(&id))
    );
    // Nothing was stored.
    assert_eq!(ids(&list(&app, "").await).len(), 1);
    // An empty reason is no reason.
    again["duplicate_reason"] = json!("   ");
    assert_eq!(app.submit("birth", &again).await.status().as_u16(), 409);
    again["duplicate_reason"] =
        json!("Перша заява містила помилку в даті; реєстратор відкликає її");
    let second = app.submit_ok("birth", &again).await;
    let auditor = client_with(&token(&app.store, None, "auditor").await);
    let trail = get(
        &auditor,
        &app,
        &format!("/api/v1/audit?application={second}"),
    )
    .await
    .1;
    let submit = (trail["entries"].as_array().expect("entries").iter())
        .find(|e| e["action"] == "application.submit")
        .expect("the submission is recorded");
    assert_eq!(submit["detail"]["duplicate"]["of"], json!([id]));
    assert_eq!(
        submit["detail"]["duplicate"]["reason"],
        again["duplicate_reason"]
    );
    let page = app
        .pages
        .get(format!("{}/staff/applications/{second}", app.address))
        .send()
        .await
        .expect("page");
    let html = page.text().await.expect("HTML");
    assert!(html.contains("duplicate-note") && html.contains("реєстратор відкликає"));
}

async fn a_second_birth_of_the_same_child_and_mother_is_flagged_under_another_conclusion_number(
    db: Db,
) {
    let app = spawn_app(db).await;
    let first = example("birth");
    let id = app.submit_ok("birth", &first).await;
    let mut again = first.clone();
    again["data"]["children"][0]["medical_conclusion"]["number"] = json!("7777/2026");
    // Typed differently: the apostrophe and the case.
    again["data"]["children"][0]["given_name"] = json!("МАРʼЯНА");
    let response = app.submit("birth", &again).await;
    assert_eq!(response.status().as_u16(), 409);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["errors"][0]["pointer"], "/children/0/surname");
    assert_eq!(body["errors"][0]["duplicate_of"], id.as_str());
    // Another mother is another birth.
    again["data"]["mother"]["rnokpp"] = json!("3440712357");
    let status = app.submit("birth", &again).await.status().as_u16();
    assert!(status == 201 || status == 422, "not a duplicate: {status}");
}

async fn a_failed_birth_is_no_duplicate_and_another_institutions_is_not_named(db: Db) {
    let app = spawn_app(db).await;
    let first = example("birth");
    let number = first["data"]["children"][0]["medical_conclusion"]["number"].clone();
    put_behaviour(&app, json!({ "services": { "civil.birth-registration": {
        "refuse": [{ "pointer": "/child/medical_conclusion/number", "equals": number, "message": "не знайдено" }]
    } } }))
    .await;
    let failed = app.submit_ok("birth", &first).await;
    let status = app.wait_until_done(&failed).await;
    assert_eq!(status["status"], "failed");
    put_behaviour(&app, json!({})).await;
    // Its registration failed: the birth may be submitted again.
    let second = app.submit_ok("birth", &first).await;
    app.wait_until_done(&second).await;
    // Another ward submits the same birth: flagged, without naming our application.
    let elsewhere = client_with(&token(&app.store, Some("another-ward"), "clerk").await);
    let response = elsewhere
        .post(format!("{}/api/v1/bundles/birth/applications", app.address))
        .json(&first)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 409);
    let body: Value = response.json().await.expect("JSON");
    assert!(body["errors"][0]["duplicate_of"].is_null());
    let text = body.to_string();
    assert!(
        !text.contains(&second) && text.contains("іншій установі"),
        "{text}"
    );
}

async fn a_registrar_reopens_an_expired_step_with_a_new_deadline_and_a_clerk_may_not(db: Db) {
    let app = spawn_app(db).await;
    let id = app
        .submit_ok("birth", &birth_waiting_for_the_father())
        .await;
    // The step expires: its deadline is moved into the past.
    sqlx_exec(
        &app,
        "UPDATE sub_requests SET deadline = 1, next_attempt_at = 1 WHERE kind = 'human'",
    )
    .await;
    let started = Instant::now();
    loop {
        let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
        if body["status"] == "failed" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the step expires: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let step = "second-parent-co-signature";
    let path = format!("/api/v1/applications/{id}/steps/{step}/reopen");
    let clerk = client_with(&token(&app.store, Some(INSTITUTION), "clerk").await);
    let refused = clerk
        .post(format!("{}{path}", app.address))
        .json(&json!({}))
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status().as_u16(), 403);
    let bad = app
        .client
        .post(format!("{}{path}", app.address))
        .json(&json!({ "deadline": "2020-01-01" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(bad.status().as_u16(), 422);
    let until = (jiff::Zoned::now().date() + jiff::Span::new().days(7)).to_string();
    let reopened = app
        .client
        .post(format!("{}{path}", app.address))
        .json(&json!({ "deadline": until }))
        .send()
        .await
        .expect("POST");
    assert_eq!(reopened.status().as_u16(), 202);
    let (_, body) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    let open = (body["services"].as_array().expect("services").iter())
        .find(|s| s["kind"] == "human")
        .expect("the step");
    assert_eq!(open["status"], "awaiting");
    assert!(
        open["deadline"]
            .as_str()
            .is_some_and(|d| d.starts_with(&until[..4]))
    );
    assert_eq!(
        ids(&list(&app, "stage=person").await),
        std::slice::from_ref(&id)
    );
    let auditor = client_with(&token(&app.store, None, "auditor").await);
    let trail = get(&auditor, &app, &format!("/api/v1/audit?application={id}"))
        .await
        .1;
    assert!(
        trail["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["action"] == "step.reopen")
    );
}

async fn metrics_answer_only_their_token_and_agree_with_the_registries_own_count(db: Db) {
    let app = spawn_app_with(db, |s| s.metrics.token = Some("scrape-secret".into())).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.submit_ok("birth", &example("birth")).await);
    }
    for id in &ids {
        app.wait_until_done(id).await;
    }
    let plain = reqwest::Client::new();
    let url = format!("{}/metrics", app.address);
    assert_eq!(
        plain.get(&url).send().await.expect("GET").status().as_u16(),
        401
    );
    let wrong = plain
        .get(&url)
        .bearer_auth("scrape-secrets")
        .send()
        .await
        .expect("GET");
    assert_eq!(wrong.status().as_u16(), 401);
    let response = plain
        .get(&url)
        .bearer_auth("scrape-secret")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.expect("text");
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
    let stats: Value = reqwest::get(format!("{}/_sandbox/stats", sandbox(&app)))
        .await
        .expect("stats")
        .json()
        .await
        .expect("JSON");
    let sandbox_calls: f64 = (stats.as_object().expect("services").values())
        .filter_map(|s| s["calls"].as_f64())
        .sum();
    let counted: f64 = (scrape.samples.iter())
        .filter(|s| s.metric == "onestop_registry_calls_total")
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(n) | prometheus_parse::Value::Untyped(n) => n,
            _ => 0.0,
        })
        .sum();
    assert!(sandbox_calls > 0.0);
    assert_eq!(
        counted, sandbox_calls,
        "the registries' count and onestop's agree"
    );
    for name in [
        "onestop_registry_call_duration_seconds",
        "onestop_sub_requests",
        "onestop_oldest_due_seconds",
        "onestop_applications_total",
        "onestop_writer_batch_size",
    ] {
        assert!(
            scrape.samples.iter().any(|s| s.metric.starts_with(name)),
            "{name} is there"
        );
    }
    let completed = (scrape.samples.iter())
        .find(|s| {
            s.metric == "onestop_applications_total" && s.labels.get("status") == Some("completed")
        })
        .map(|s| s.value.clone());
    assert!(
        matches!(completed, Some(prometheus_parse::Value::Gauge(n)) if n == 3.0),
        "{completed:?}"
    );
    // A refused callback is counted.
    let refused = plain
        .post(format!("{}/api/v1/callbacks/nonsense", app.address))
        .json(&json!({}))
        .send()
        .await
        .expect("POST");
    assert!(refused.status().is_client_error());
    let text = plain
        .get(&url)
        .bearer_auth("scrape-secret")
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("text");
    assert!(
        text.lines()
            .any(|l| l.starts_with("onestop_callbacks_rejected_total") && l.ends_with(" 1")),
        "{text}"
    );
    // Without the setting there is no such page.
    let other = spawn_app(db).await;
    let none = plain
        .get(format!("{}/metrics", other.address))
        .bearer_auth("scrape-secret")
        .send()
        .await
        .expect("GET");
    assert_eq!(none.status().as_u16(), 404);
}

async fn a_registry_slowed_at_run_time_shows_as_slow_on_the_registries_page(db: Db) {
    let app = spawn_app_with(db, |s| s.metrics.slow_call_ms = 300).await;
    add_institution(&app.store, INSTITUTION).await;
    let supervisor =
        crate::helpers::pages_with(&session(&app.store, "ward-supervisor", "supervisor").await);
    let page = |client: &reqwest::Client| {
        let request = client.get(format!("{}/staff/registries", app.address));
        async move {
            let response = request.send().await.expect("GET");
            (
                response.status().as_u16(),
                response.text().await.expect("HTML"),
            )
        }
    };
    let id = app.submit_ok("birth", &example("birth")).await;
    app.wait_until_done(&id).await;
    let (status, html) = page(&supervisor).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"id="state-tax-service">гаразд"#), "{html}");
    let started = Instant::now();
    put_behaviour(
        &app,
        json!({ "services": { "tax.rnokpp-assignment": { "latency": { "fixed_ms": 600 } } } }),
    )
    .await;
    let id = app.submit_ok("birth", &example("birth")).await;
    app.wait_until_done(&id).await;
    let (_, html) = page(&supervisor).await;
    assert!(
        html.contains(r#"id="state-tax-service">повільно"#),
        "{html}"
    );
    assert!(html.contains(r#"id="state-civil-registry">гаразд"#));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "slow within a minute"
    );
    // A clerk has no such page; nobody signed in is sent to sign in.
    let clerk = crate::helpers::pages_with(
        &session_at(&app.store, "ward-clerk", Some(INSTITUTION), "clerk").await,
    );
    assert_eq!(page(&clerk).await.0, 403);
    let (status, _) = page(
        &reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
    )
    .await;
    assert_eq!(status, 303);
}
