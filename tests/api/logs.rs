//! The server's log holds no personal data and no secret: a whole run of the real binary — a
//! birth by ward staff, a citizen's relocation confirmed by the homeowner with an SMS code, a
//! failed sign-in, the receipt, the private link — and its log (standard error, at debug level
//! for onestop) has none of the example applications' names, numbers, IBAN or phones, none of
//! the registries' answers, and none of the tokens, access secrets, links or codes.

use crate::helpers::{Db, INSTITUTION, client_with, example, fresh_database, root, token};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

on_both_databases!(a_whole_run_leaves_no_personal_data_and_no_secret_in_the_log);

async fn a_whole_run_leaves_no_personal_data_and_no_secret_in_the_log(db: Db) {
    let (database, dir) = fresh_database(db).await;
    let store = onestop::store::Store::connect(&database, Some(1))
        .await
        .expect("database");
    let staff = token(&store, Some(INSTITUTION), "registrar").await;
    let log = dir.path().join("server.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_onestop"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            &database,
        ])
        .arg("--definitions")
        .arg(root())
        .current_dir(dir.path())
        .env("RUST_LOG", "info,onestop=debug")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("onestop serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().and_then(Result::ok).expect("the address");
    std::thread::spawn(move || for _ in lines {});
    let url = (first.split_whitespace())
        .find(|w| w.starts_with("http://"))
        .expect("an address")
        .trim_end_matches('/')
        .to_owned();
    let mut secrets = run(&url, &staff).await;
    let _ = child.kill();
    let _ = child.wait();

    let text = std::fs::read_to_string(&log).expect("the log");
    assert!(
        text.contains("POST /api/v1/bundles/birth/applications 201"),
        "the log is the run's: {text}"
    );
    secrets.push(staff);
    for value in personal_values() {
        secrets.push(value);
    }
    assert!(secrets.len() >= 30, "enough to look for: {secrets:?}");
    let found: Vec<&String> = secrets
        .iter()
        .filter(|s| text.contains(s.as_str()))
        .collect();
    assert!(found.is_empty(), "in the log: {found:?}\n{text}");
}

/// Use the server as people would; every secret and registry answer met on the way.
async fn run(url: &str, staff: &str) -> Vec<String> {
    let mut met = Vec::new();
    let clerk = client_with(staff);
    let born: Value = (clerk.post(format!("{url}/api/v1/bundles/birth/applications")))
        .json(&example("birth"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let id = born["id"].as_str().expect("id").to_owned();
    let status = until_done(&clerk, url, &id).await;
    for service in status["services"].as_array().expect("services") {
        for value in service["outputs"]
            .as_object()
            .into_iter()
            .flat_map(|o| o.values())
        {
            // Numbers and names the registries gave (a date alone identifies no one, and every
            // log line starts with today's).
            let date = |v: &str| v.len() == 10 && v.as_bytes()[4] == b'-';
            met.extend(
                (value.as_str())
                    .filter(|v| v.len() >= 8 && !date(v))
                    .map(str::to_owned),
            );
        }
    }
    let receipt = clerk
        .get(format!("{url}/api/v1/applications/{id}/receipt.pdf"))
        .send()
        .await;
    assert_eq!(receipt.expect("sent").status().as_u16(), 200);

    let moved: Value = (reqwest::Client::new())
        .post(format!("{url}/api/v1/bundles/relocation/applications"))
        .json(&example("relocation"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let access = moved["access"].as_str().expect("access").to_owned();
    let citizen = client_with(&access);
    let moved_id = moved["id"].as_str().expect("id");
    let mine: Value = (citizen.get(format!("{url}/api/v1/applications/{moved_id}")))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let link = (mine["services"].as_array().expect("services").iter())
        .find_map(|s| s["confirm_url"].as_str())
        .expect("a confirmation link")
        .to_owned();
    let page = reqwest::get(link.replace("/api/v1", ""))
        .await
        .expect("page");
    let page = page.text().await.expect("HTML");
    let outbox = page
        .split("id=\"demo-messages\"")
        .nth(1)
        .and_then(|rest| rest.split("href=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the demo's messages")
        .to_owned();
    let sent = reqwest::Client::new()
        .post(format!("{link}/code"))
        .send()
        .await;
    assert_eq!(sent.expect("sent").status().as_u16(), 202);
    let messages: Value = reqwest::get(&outbox)
        .await
        .expect("messages")
        .json()
        .await
        .expect("JSON");
    let code = (messages["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .rev())
    .filter_map(|m| m["text"].as_str())
    .find_map(|t| {
        t.split_whitespace()
            .find(|w| w.len() == 7 && w.ends_with('.'))
    })
    .map(|w| w[..6].to_owned())
    .expect("a code");
    let decided = (reqwest::Client::new().post(&link))
        .json(&json!({ "decision": "confirmed", "code": code }))
        .send()
        .await
        .expect("sent");
    assert_eq!(decided.status().as_u16(), 200);
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let opened = browser.get(format!("{url}/access/{access}")).send().await;
    assert_eq!(opened.expect("private link").status().as_u16(), 303);
    let refused = (reqwest::Client::new().post(format!("{url}/api/v1/session")))
        .json(&json!({ "login": "ward-clerk", "password": "Коваленко 3440712340" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status().as_u16(), 401);
    let token = link
        .rsplit('/')
        .next()
        .expect("the link's token")
        .to_owned();
    met.extend([access, token, code]);
    met
}

async fn until_done(client: &reqwest::Client, url: &str, id: &str) -> Value {
    for _ in 0..600 {
        let status: Value = (client.get(format!("{url}/api/v1/applications/{id}")))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("JSON");
        if status["status"] != "in_progress" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the birth did not finish");
}

/// The names, numbers, IBAN and phones of the example applications.
fn personal_values() -> Vec<String> {
    let mut values = Vec::new();
    for bundle in ["birth", "relocation"] {
        collect(&example(bundle)["data"], &mut values);
    }
    values
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let personal = [
                    "surname",
                    "given_name",
                    "patronymic",
                    "rnokpp",
                    "iban",
                    "number",
                    "phone",
                ];
                match v.as_str() {
                    Some(text) if personal.contains(&key.as_str()) => out.push(text.to_owned()),
                    _ => collect(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}
