//! Who may do what, as a specification: every route of the API and every page, called by each
//! kind of caller, and the answer each gets. Nobody reads across institutions or citizens.
//!
//! Callers, in the order of every row's answers: nobody; a clerk of A; a clerk of B; a
//! registrar of A; a supervisor of A; an auditor; an admin; a machine token of A (a clerk's);
//! the citizen who submitted X; the citizen who submitted Y. A is institution `inst-a`, B is
//! `inst-b`; application A was submitted at A, X and Y by two citizens online. `--` marks a
//! caller a route cannot have (a machine token on the pages, which take cookies only).

use crate::helpers::{Db, TestApp, add_institution, example, session_at, spawn_app};
use serde_json::{Value, json};

const SKIP: u16 = 0;
const CALLERS: [&str; 10] = [
    "nobody",
    "clerk of A",
    "clerk of B",
    "registrar of A",
    "supervisor of A",
    "auditor",
    "admin",
    "token of A",
    "citizen X",
    "citizen Y",
];

/// Each caller's credentials: an API bearer secret, and for the pages the same session (the
/// citizens' secrets go in their application's cookie).
struct Callers {
    secrets: Vec<Option<String>>,
}

/// The world of the table: two institutions, their staff, and three applications.
struct World {
    app: TestApp,
    callers: Callers,
    a: String,
    x: String,
    verify_a: String,
}

async fn world(db: Db) -> World {
    let app = spawn_app(db).await;
    let store = &app.store;
    add_institution(store, "inst-a").await;
    add_institution(store, "inst-b").await;
    let token_a = crate::helpers::token(store, Some("inst-a"), "clerk").await;
    // Someone to disable: a second clerk of B.
    session_at(store, "clerk-b2", Some("inst-b"), "clerk").await;
    let mut secrets = vec![
        None,
        Some(session_at(store, "clerk-a", Some("inst-a"), "clerk").await),
        Some(session_at(store, "clerk-b", Some("inst-b"), "clerk").await),
        Some(session_at(store, "registrar-a", Some("inst-a"), "registrar").await),
        Some(session_at(store, "supervisor-a", Some("inst-a"), "supervisor").await),
        Some(session_at(store, "auditor", None, "auditor").await),
        Some(session_at(store, "admin", None, "admin").await),
        Some(token_a.clone()),
    ];
    let clerk_a = crate::helpers::client_with(&token_a);
    let a = submitted(&clerk_a, &app, "birth").await;
    let (x, secret_x) = citizen_submits(&app).await;
    let (_, secret_y) = citizen_submits(&app).await;
    secrets.extend([Some(secret_x), Some(secret_y)]);
    let status = done(&clerk_a, &app, &a).await;
    let verify_a = status["verify_url"]
        .as_str()
        .expect("verify url")
        .to_owned();
    let verify_a = verify_a[verify_a.find("/verify/").expect("path")..].to_owned();
    World {
        app,
        callers: Callers { secrets },
        a,
        x,
        verify_a,
    }
}

/// Application `id` once it has finished, as `client` reads it.
async fn done(client: &reqwest::Client, app: &TestApp, id: &str) -> Value {
    let url = format!("{}/api/v1/applications/{id}", app.address);
    for _ in 0..600 {
        let response = client.get(&url).send().await.expect("sent");
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.expect("JSON");
        if body["status"] != "in_progress" {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("application {id} did not finish");
}

async fn submitted(client: &reqwest::Client, app: &TestApp, bundle: &str) -> String {
    let url = format!("{}/api/v1/bundles/{bundle}/applications", app.address);
    let response = client.post(url).json(&example(bundle)).send().await;
    let response = response.expect("sent");
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.expect("JSON");
    body["id"].as_str().expect("id").to_owned()
}

/// A citizen's submission of a relocation without an account: the id and the access secret.
async fn citizen_submits(app: &TestApp) -> (String, String) {
    let url = format!("{}/api/v1/bundles/relocation/applications", app.address);
    let response = reqwest::Client::new()
        .post(url)
        .json(&example("relocation"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.expect("JSON");
    let access = body["access"].as_str().expect("the access secret");
    assert!(access.starts_with("osc_") && access.len() == 36, "{access}");
    (
        body["id"].as_str().expect("id").to_owned(),
        access.to_owned(),
    )
}

/// One row: what is asked, and the answer of each caller.
struct Row {
    what: &'static str,
    method: &'static str,
    path: String,
    body: Option<Value>,
    expect: [u16; 10],
}

async fn api_answer(world: &World, caller: usize, row: &Row) -> u16 {
    let client = reqwest::Client::new();
    let url = format!("{}{}", world.app.address, row.path);
    let mut request = match row.method {
        "GET" => client.get(url),
        "DELETE" => client.delete(url),
        _ => client.post(url),
    };
    if let Some(secret) = &world.callers.secrets[caller] {
        request = request.bearer_auth(secret);
    }
    if let Some(body) = &row.body {
        // Each caller submits a birth of its own: the same birth twice is refused as a duplicate.
        let body = match row.path.ends_with("/birth/applications") {
            true => example("birth"),
            false => body.clone(),
        };
        request = request.json(&body);
    }
    request.send().await.expect("sent").status().as_u16()
}

async fn page_answer(world: &World, caller: usize, row: &Row) -> u16 {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = format!("{}{}", world.app.address, row.path);
    let mut request = client.get(url);
    match (&world.callers.secrets[caller], caller) {
        (None, _) => {}
        // A citizen's browser sends its secret in the cookie of the page's application (the
        // cookie of another application is never sent there; a forged name is tried here).
        (Some(secret), 8 | 9) => {
            let id = row.path.split('/').nth(2).unwrap_or_default();
            request = request.header("Cookie", format!("onestop_access_{id}={secret}"));
        }
        (Some(secret), _) => {
            request = request.header("Cookie", format!("onestop_session={secret}"));
        }
    }
    request.send().await.expect("sent").status().as_u16()
}

fn check(row: &Row, got: &[u16]) -> Vec<String> {
    (row.expect.iter().zip(got).enumerate())
        .filter(|(_, (want, got))| **want != SKIP && want != got)
        .map(|(i, (want, got))| {
            format!(
                "{} {} ({}) by {}: {got}, not {want}",
                row.method, row.path, row.what, CALLERS[i]
            )
        })
        .collect()
}

fn row(what: &'static str, method: &'static str, path: String, expect: [u16; 10]) -> Row {
    Row {
        what,
        method,
        path,
        body: None,
        expect,
    }
}

async fn every_route_answers_each_caller_as_the_table_says(db: Db) {
    let w = world(db).await;
    let (a, x) = (&w.a, &w.x);
    let retry = json!({});
    #[rustfmt::skip]
    let api = vec![
        //                                                         nobody cA   cB   rA   sA   aud  adm  tA   cX   cY
        row("bundles", "GET", "/api/v1/bundles".into(),           [200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row("a form", "GET", "/api/v1/bundles/birth/form".into(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        Row { body: Some(example("birth")), ..row("submit a birth", "POST", "/api/v1/bundles/birth/applications".into(),
                                                                  [401, 201, 201, 201, 201, 403, 403, 201, 401, 401]) },
        Row { body: Some(example("relocation")), ..row("submit a relocation", "POST", "/api/v1/bundles/relocation/applications".into(),
                                                                  [201, 201, 201, 201, 201, 403, 403, 201, 201, 201]) },
        row("A's status", "GET", format!("/api/v1/applications/{a}"),
                                                                  [401, 200, 404, 200, 200, 403, 403, 200, 404, 404]),
        row("A's receipt", "GET", format!("/api/v1/applications/{a}/receipt.pdf"),
                                                                  [401, 200, 404, 200, 200, 403, 403, 200, 404, 404]),
        row("X's status", "GET", format!("/api/v1/applications/{x}"),
                                                                  [401, 404, 404, 404, 404, 403, 403, 404, 200, 404]),
        row("X's receipt", "GET", format!("/api/v1/applications/{x}/receipt.pdf"),
                                                                  [401, 404, 404, 404, 404, 403, 403, 404, 200, 404]),
        // A service that has not failed: the registrar is let through to be told so (409).
        Row { body: Some(retry.clone()), ..row("retry at A", "POST", format!("/api/v1/applications/{a}/services/civil.birth-registration/retry"),
                                                                  [401, 403, 404, 409, 409, 403, 403, 403, 403, 403]) },
        Row { body: Some(retry), ..row("retry of X", "POST", format!("/api/v1/applications/{x}/services/residence.registration/retry"),
                                                                  [401, 404, 404, 404, 404, 403, 403, 404, 403, 403]) },
        Row { body: Some(json!({})), ..row("invite X's homeowner again", "POST", format!("/api/v1/applications/{x}/steps/homeowner-consent/invitation"),
                                                                  [401, 404, 404, 404, 404, 403, 403, 404, 202, 404]) },
        Row { body: Some(json!({ "decision": "confirmed" })), ..row("decide X's step in person", "POST", format!("/api/v1/applications/{x}/steps/homeowner-consent/decision"),
                                                                  [401, 404, 404, 404, 404, 403, 403, 404, 403, 403]) },
        // Links are capabilities, not credentials: an unknown one is 404 whoever asks.
        Row { body: Some(json!({ "decision": "confirmed", "code": "123456" })), ..row("a confirmation by an unknown link", "POST", format!("/api/v1/confirmations/{}", "0".repeat(44)),
                                                                  [404, 404, 404, 404, 404, 404, 404, 404, 404, 404]) },
        Row { body: Some(json!({})), ..row("a code for an unknown link", "POST", format!("/api/v1/confirmations/{}/code", "0".repeat(44)),
                                                                  [404, 404, 404, 404, 404, 404, 404, 404, 404, 404]) },
        Row { body: Some(json!({})), ..row("a callback to an unknown link", "POST", format!("/api/v1/callbacks/{}", "0".repeat(44)),
                                                                  [404, 404, 404, 404, 404, 404, 404, 404, 404, 404]) },
        // A supervisor adds a clerk at A; the admin may add staff, but a clerk needs an
        // institution, which this body does not name (422).
        Row { body: Some(json!({ "login": "new-clerk", "role": "clerk", "password": "a long enough password" })), ..row("add a clerk", "POST", "/api/v1/users".into(),
                                                                  [401, 403, 403, 403, 201, 403, 422, 403, 403, 403]) },
        // Only an admin sees a clerk of B to disable; A's supervisor is told there is none.
        row("disable a clerk of B", "DELETE", "/api/v1/users/clerk-b2".into(),
                                                                  [401, 403, 403, 403, 404, 403, 204, 403, 403, 403]),
        row("the audit trail", "GET", "/api/v1/audit".into(),     [401, 403, 403, 403, 200, 200, 403, 403, 403, 403]),
        row("verify the trail", "GET", "/api/v1/audit/verify".into(),
                                                                  [401, 403, 403, 403, 403, 200, 403, 403, 403, 403]),
        Row { body: Some(json!({ "reason": "Перевірка за скаргою № 1" })), ..row("open A", "POST", format!("/api/v1/applications/{a}/open"),
                                                                  [401, 403, 403, 403, 403, 200, 403, 403, 403, 403]) },
        row("the work list", "GET", "/api/v1/applications".into(),
                                                                  [401, 200, 200, 200, 200, 403, 403, 200, 403, 403]),
        // A's birth waits for no person: the registrar is let through to be told so (404).
        Row { body: Some(json!({})), ..row("reopen a step at A", "POST", format!("/api/v1/applications/{a}/steps/second-parent-co-signature/reopen"),
                                                                  [401, 403, 404, 404, 404, 403, 403, 403, 403, 403]) },
        row("metrics, no token set", "GET", "/metrics".into(),    [404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        row("who am I", "GET", "/api/v1/session".into(),          [401, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row("the verify page", "GET", w.verify_a.clone(),         [200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row("health", "GET", "/healthz".into(),                   [200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row("alive", "GET", "/livez".into(),                      [200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row("ready", "GET", "/readyz".into(),                     [200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ];
    #[rustfmt::skip]
    let pages = vec![
        row("start", "GET", "/".into(),                           [200, 200, 200, 200, 200, 200, 200, SKIP, 200, 200]),
        row("sign-in", "GET", "/sign-in".into(),                  [200, 200, 200, 200, 200, 200, 200, SKIP, 200, 200]),
        row("own password", "GET", "/password".into(),            [303, 200, 200, 200, 200, 200, 200, SKIP, 303, 303]),
        row("the audit trail", "GET", "/staff/audit".into(),      [303, 403, 403, 403, 200, 200, 403, SKIP, 303, 303]),
        row("the work list", "GET", "/staff/applications".into(), [303, 200, 200, 200, 200, 403, 403, SKIP, 303, 303]),
        row("A for staff", "GET", format!("/staff/applications/{a}"),
                                                                  [303, 200, 404, 200, 200, 403, 403, SKIP, 303, 303]),
        // Nothing of A failed: the registrar is let through to be told so (409).
        row("correcting A", "GET", format!("/staff/applications/{a}/services/civil.birth-registration/correct"),
                                                                  [401, 403, 404, 409, 409, 403, 403, SKIP, 401, 401]),
        row("the registries", "GET", "/staff/registries".into(),  [303, 403, 403, 403, 200, 403, 200, SKIP, 303, 303]),
        row("birth form", "GET", "/events/birth/form".into(),     [303, 200, 200, 200, 200, 403, 403, SKIP, 303, 303]),
        row("relocation form", "GET", "/events/relocation/form".into(),
                                                                  [200, 200, 200, 200, 200, 403, 403, SKIP, 200, 200]),
        row("A's page", "GET", format!("/applications/{a}"),      [401, 200, 404, 200, 200, 403, 403, SKIP, 404, 404]),
        row("A's live part", "GET", format!("/applications/{a}/live"),
                                                                  [401, 200, 404, 200, 200, 403, 403, SKIP, 404, 404]),
        row("A's receipt", "GET", format!("/applications/{a}/receipt.pdf"),
                                                                  [401, 200, 404, 200, 200, 403, 403, SKIP, 404, 404]),
        row("X's page", "GET", format!("/applications/{x}"),      [401, 404, 404, 404, 404, 403, 403, SKIP, 200, 404]),
        row("X's receipt", "GET", format!("/applications/{x}/receipt.pdf"),
                                                                  [401, 404, 404, 404, 404, 403, 403, SKIP, 200, 404]),
        row("an unknown private link", "GET", format!("/access/osc_{}", "0".repeat(32)),
                                                                  [404, 404, 404, 404, 404, 404, 404, SKIP, 404, 404]),
        row("an unknown confirmation page", "GET", format!("/confirmations/{}", "0".repeat(44)),
                                                                  [404, 404, 404, 404, 404, 404, 404, SKIP, 404, 404]),
        row("proving who confirms, an unknown link", "GET", format!("/confirmations/{}/oidc", "0".repeat(44)),
                                                                  [404, 404, 404, 404, 404, 404, 404, SKIP, 404, 404]),
        row("the provider's sign-in, not configured", "GET", "/sign-in/oidc".into(),
                                                                  [404, 404, 404, 404, 404, 404, 404, SKIP, 404, 404]),
    ];
    let mut wrong = Vec::new();
    for row in &api {
        let mut got = Vec::new();
        for caller in 0..CALLERS.len() {
            got.push(api_answer(&w, caller, row).await);
        }
        wrong.extend(check(row, &got));
    }
    for row in &pages {
        let mut got = Vec::new();
        for caller in 0..CALLERS.len() {
            let skip = row.expect[caller] == SKIP;
            got.push(if skip {
                SKIP
            } else {
                page_answer(&w, caller, row).await
            });
        }
        wrong.extend(check(row, &got));
    }
    assert!(
        wrong.is_empty(),
        "answers not as specified:\n{}",
        wrong.join("\n")
    );
}

on_both_databases!(every_route_answers_each_caller_as_the_table_says);
