//! `onestop graph` and `onestop explain` on the shipped birth bundle, and the people commands
//! (`institution add`, `user add`, `user disable`, `token add`, `token revoke`).

use std::process::Command;

fn onestop(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_onestop"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("onestop runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn graph_draws_the_act_record_feeding_both_numbers() {
    let (ok, out) = onestop(&["graph", "birth"]);
    assert!(ok, "{out}");
    assert!(out.starts_with("flowchart TD\n"));
    assert!(
        out.contains("civil_birth_registration -->|act_record_number| tax_rnokpp_assignment"),
        "{out}"
    );
    assert!(
        out.contains("civil_birth_registration -->|act_record_number| migration_unzr_entry"),
        "{out}"
    );
    let (ok, dot) = onestop(&["graph", "birth", "--format", "dot"]);
    assert!(ok);
    assert!(
        dot.contains(
            "civil_birth_registration -> tax_rnokpp_assignment [label=\"act_record_number\"];"
        ),
        "{dot}"
    );
}

#[test]
fn explain_puts_both_numbers_in_the_second_stage() {
    let (ok, out) = onestop(&["explain", "birth", "bundles/examples/birth.json"]);
    assert!(ok, "{out}");
    let stage2 = out.split("Етап 2").nth(1).expect("a second stage");
    assert!(
        stage2.contains("tax.rnokpp-assignment") && stage2.contains("migration.unzr-entry"),
        "{out}"
    );
    let stage1 = out.split("Етап 2").next().unwrap_or_default();
    assert!(
        stage1.contains("civil.birth-registration") && !stage1.contains("tax.rnokpp-assignment"),
        "{out}"
    );
}

#[test]
fn explain_refuses_invalid_data_and_says_why() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("empty.json");
    std::fs::write(&file, r#"{"data": {}}"#).expect("written");
    let (ok, out) = onestop(&["explain", "birth", file.to_str().expect("UTF-8 path")]);
    assert!(!ok);
    assert!(out.contains("/children: Обов'язкове поле"), "{out}");
}

#[test]
fn explain_names_a_human_step_only_when_its_condition_holds() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/human-step");
    for (name, expected) in [("Олена", true), ("Власник", false)] {
        let file = dir.path().join("application.json");
        std::fs::write(&file, format!(r#"{{"data": {{"name": "{name}"}}}}"#)).expect("written");
        let path = file.to_str().expect("UTF-8 path");
        let (ok, out) = onestop(&["explain", "event", path, "--definitions", fixture]);
        assert!(ok, "{out}");
        let waits = out.contains("human step: consent — Згода власника житла; чекають / waiting: second; строк / expires after P14D");
        assert_eq!(waits, expected, "{name}: {out}");
    }
}

#[test]
fn explain_asks_for_the_second_parent_only_without_marriage() {
    let (ok, married) = onestop(&["explain", "birth", "bundles/examples/birth.json"]);
    assert!(ok, "{married}");
    assert!(
        married.contains("human step not needed: second-parent-co-signature"),
        "{married}"
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("unmarried.json");
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/bundles/examples/birth.json"
    ))
    .expect("example");
    let mut body: serde_json::Value = serde_json::from_str(&example).expect("JSON");
    body["data"]["paternity"] = serde_json::json!({ "basis": "joint-application" });
    std::fs::write(&file, body.to_string()).expect("written");
    let (ok, unmarried) = onestop(&["explain", "birth", file.to_str().expect("UTF-8 path")]);
    assert!(ok, "{unmarried}");
    assert!(
        unmarried.contains("human step: second-parent-co-signature — Підпис другого з батьків"),
        "{unmarried}"
    );
}

/// `onestop ARGS --database-url DB` with `input` on standard input: success, stdout, stderr.
fn people(db: &str, args: &[&str], input: &str) -> (bool, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_onestop"))
        .args(args)
        .args(["--database-url", db])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("onestop runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).expect("input written");
    drop(stdin);
    let output = child.wait_with_output().expect("onestop ends");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (
        output.status.success(),
        text(output.stdout),
        text(output.stderr),
    )
}

#[test]
fn people_commands_add_institutions_users_and_tokens_and_refuse_bad_input_clearly() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = format!("sqlite://{}", dir.path().join("people.db").display());
    let ward = [
        "institution",
        "add",
        "ward-5",
        "--title",
        "Пологовий будинок № 5",
        "--title-en",
        "Maternity ward 5",
        "--bundles",
        "birth",
    ];
    assert!(people(&db, &ward, "").0, "a new institution");
    let refusals: Vec<(Vec<&str>, &str, &str)> = vec![
        (ward.to_vec(), "", "exists already"),
        (
            vec![
                "institution",
                "add",
                "x",
                "--title",
                "X",
                "--title-en",
                "X",
                "--bundles",
                "divorce",
            ],
            "",
            "unknown bundle",
        ),
        (
            vec![
                "institution",
                "add",
                "Bad Id",
                "--title",
                "X",
                "--title-en",
                "X",
                "--bundles",
                "birth",
            ],
            "",
            "lower-case",
        ),
        (
            vec![
                "user",
                "add",
                "olena",
                "--institution",
                "nowhere",
                "--role",
                "clerk",
            ],
            "a long enough password\n",
            "unknown institution",
        ),
        (
            vec![
                "user",
                "add",
                "olena",
                "--institution",
                "ward-5",
                "--role",
                "boss",
            ],
            "a long enough password\n",
            "unknown role",
        ),
        (
            vec![
                "user",
                "add",
                "olena",
                "--institution",
                "ward-5",
                "--role",
                "clerk",
            ],
            "short\n",
            "shorter than 12",
        ),
        (
            vec![
                "user",
                "add",
                "ol\u{7}ena",
                "--institution",
                "ward-5",
                "--role",
                "clerk",
            ],
            "a long enough password\n",
            "login",
        ),
        (
            vec!["user", "add", "olena", "--role", "clerk"],
            "a long enough password\n",
            "--institution",
        ),
        (
            vec![
                "token",
                "add",
                "his",
                "--institution",
                "ward-5",
                "--role",
                "clerk",
                "--expires",
                "banana",
            ],
            "",
            "ISO 8601",
        ),
    ];
    for (args, input, said) in &refusals {
        let (ok, _, err) = people(&db, args, input);
        assert!(!ok && err.contains(said), "{args:?}: {err}");
    }
    let clerk = [
        "user",
        "add",
        "olena",
        "--institution",
        "ward-5",
        "--role",
        "clerk",
    ];
    assert!(people(&db, &clerk, "correct horse battery\n").0);
    let (ok, _, err) = people(&db, &clerk, "correct horse battery\n");
    assert!(!ok && err.contains("taken"), "{err}");
    let generated = [
        "user",
        "add",
        "admin",
        "--role",
        "admin",
        "--generate-password",
    ];
    let (ok, out, _) = people(&db, &generated, "");
    assert!(ok && out.lines().any(|l| l.contains("shown once")), "{out}");
    let token = [
        "token",
        "add",
        "his",
        "--institution",
        "ward-5",
        "--role",
        "clerk",
    ];
    let (ok, out, err) = people(&db, &token, "");
    assert!(ok, "{err}");
    assert!(
        out.trim().starts_with("ost_") && out.trim().len() == 36,
        "{out}"
    );
    assert!(err.contains("shown once"), "{err}");
    assert!(!people(&db, &token, "").0, "one token per name");
    assert!(people(&db, &["token", "revoke", "his"], "").0);
    let (ok, _, err) = people(&db, &["token", "revoke", "his"], "");
    assert!(!ok && err.contains("no token"), "{err}");
    // An account is disabled once; after, it is no longer there to disable.
    assert!(people(&db, &["user", "disable", "olena"], "").0);
    let (ok, _, err) = people(&db, &["user", "disable", "olena"], "");
    assert!(!ok && err.contains("no account"), "{err}");
    // Every change made here is in the audit trail, by `system`, and the trail verifies.
    let actions = audit_actions(&db);
    for action in ["institution.change", "staff.change", "token.change"] {
        assert!(
            actions
                .iter()
                .any(|(a, actor)| a == action && actor == "system"),
            "{actions:?}"
        );
    }
    let (ok, out, err) = people(&db, &["audit", "verify"], "");
    assert!(ok && out.contains("the audit trail verifies"), "{out}{err}");
}

/// The (action, actor) of every entry of the audit trail in `db`.
fn audit_actions(db: &str) -> Vec<(String, String)> {
    use sqlx::Connection;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(db).await.expect("database");
        sqlx::query_as("SELECT action, actor FROM audit ORDER BY seq")
            .fetch_all(&mut conn)
            .await
            .expect("entries")
    })
}
