//! What an operator relies on, with the real `onestop serve` binary: JSON log lines in which a
//! submission's request id follows its registry calls (and the registries are sent it), the
//! development defaults announced at start, `/livez` and `/readyz`, and a database migrated by
//! `onestop migrate` when `serve` is told not to.

use crate::helpers::{BIRTH_REGISTRATION, Db, birth_registries, example, fresh_database, root};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

on_both_databases!(
    a_submissions_request_id_follows_its_calls_in_the_json_log_and_to_the_registries,
    a_server_that_does_not_migrate_refuses_a_database_behind_until_onestop_migrate_runs,
);

/// `onestop serve` on a free port of 127.0.0.1 on `database`, the shipped definitions.
fn serve_command(database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_onestop"));
    (command.args(["serve", "--bind", "127.0.0.1:0", "--database-url", database]))
        .arg("--definitions")
        .arg(root())
        .current_dir(std::env::temp_dir());
    command
}

/// `onestop serve` on `database`, its log (standard error) in `log`; its address.
fn serve(
    database: &str,
    registries: &str,
    log: &std::path::Path,
    args: &[&str],
) -> (Child, String) {
    let mut child = serve_command(database)
        .args(["--registries", registries])
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("onestop serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    std::thread::spawn(move || for _ in lines {});
    let url = (first.split_whitespace())
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("an address: {first}; log: {}", read(log)))
        .trim_end_matches('/')
        .to_owned();
    (child, url)
}

fn read(log: &std::path::Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

async fn a_submissions_request_id_follows_its_calls_in_the_json_log_and_to_the_registries(db: Db) {
    let (database, dir) = fresh_database(db).await;
    let client = crate::helpers::staff_client(&database).await;
    let registries = birth_registries().await;
    let log = dir.path().join("server.log");
    let json = ["--log-format", "json"];
    let (mut child, url) = serve(&database, &registries.uri(), &log, &json);
    let submitted = (client.post(format!("{url}/api/v1/bundles/birth/applications")))
        .header("X-Request-Id", "ward-7.request-42")
        .json(&example("birth"))
        .send()
        .await
        .expect("sent");
    assert_eq!(submitted.status().as_u16(), 201);
    let said = submitted.headers().get("x-request-id").cloned();
    assert_eq!(
        said.as_ref().map(|v| v.as_bytes()),
        Some(&b"ward-7.request-42"[..])
    );
    let body: Value = submitted.json().await.expect("JSON");
    let id = body["id"].as_str().expect("id").to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !read(&log).contains("Sub-request step finished") || finished(&read(&log)) < 10 {
        assert!(Instant::now() < deadline, "the calls end: {}", read(&log));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();

    let text = read(&log);
    let lines: Vec<Value> = (text.lines())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let of_request = |line: &&Value| line["span"]["request_id"] == "ward-7.request-42";
    let calls: Vec<&Value> = (lines.iter())
        .filter(|l| l["fields"]["message"] == "Sub-request step finished")
        .collect();
    assert_eq!(calls.len(), 10, "a line per call of the birth: {text}");
    assert!(
        calls
            .iter()
            .all(|l| of_request(l) && l["fields"]["application.id"] == id.as_str()),
        "{text}"
    );
    let request_line = "POST /api/v1/bundles/birth/applications 201";
    let request = lines
        .iter()
        .find(|l| l["fields"]["message"] == request_line);
    assert!(
        request.is_some_and(|l| of_request(&l)),
        "the request's own line: {text}"
    );
    let sent = crate::helpers::calls_to(&registries, BIRTH_REGISTRATION).await;
    assert!(!sent.is_empty());
    for call in sent {
        let header = call
            .headers
            .get("x-request-id")
            .map(|v| v.as_bytes().to_vec());
        assert_eq!(header.as_deref(), Some(&b"ward-7.request-42"[..]));
    }
    // Real registries with the development secrets: each is announced, one line each.
    let warned = |what: &str| {
        (lines.iter()).any(|l| {
            l["level"] == "WARN"
                && l["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("DEVELOPMENT DEFAULT:") && m.contains(what))
        })
    };
    assert!(warned("server.receipt_secret"), "{text}");
    assert!(warned("registries.callback_secret"), "{text}");
}

fn finished(text: &str) -> usize {
    text.matches("Sub-request step finished").count()
}

async fn a_server_that_does_not_migrate_refuses_a_database_behind_until_onestop_migrate_runs(
    db: Db,
) {
    let (database, dir) = fresh_database(db).await;
    let log = dir.path().join("refused.log");
    let refused = serve_command(&database)
        .env("ONESTOP__DATABASE__MIGRATE_ON_START", "false")
        .stderr(std::fs::File::create(&log).expect("log file"))
        .output()
        .expect("onestop serve runs");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr).into_owned() + &read(&log);
    assert!(said.contains("onestop migrate"), "{said}");

    let migrate = |database: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_onestop"))
            .args(["migrate", "--database-url", database])
            .current_dir(std::env::temp_dir())
            .output()
            .expect("onestop migrate runs");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(migrate(&database).contains("Застосовано міграції"));
    assert!(
        migrate(&database).contains("актуальна"),
        "a second run finds nothing to do"
    );

    let registries = birth_registries().await;
    let log = dir.path().join("server.log");
    let (mut child, url) = serve(&database, &registries.uri(), &log, &[]);
    let live = reqwest::get(format!("{url}/livez")).await.expect("livez");
    assert_eq!(live.status().as_u16(), 200);
    let ready = reqwest::get(format!("{url}/readyz")).await.expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);
    let checks: Value = ready.json().await.expect("JSON");
    for check in ["database", "migrations", "dispatcher", "writers"] {
        assert_eq!(checks["checks"][check], "ok", "{checks}");
    }
    let _ = child.kill();
    let _ = child.wait();
}
