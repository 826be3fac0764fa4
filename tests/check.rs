//! `onestop check`: the shipped definitions pass; each broken fixture is caught with the expected
//! diagnostic (file and path), every problem reported at once, with a non-zero exit.

use std::path::{Path, PathBuf};
use std::process::Command;

fn check(root: &Path) -> (bool, String) {
    check_with(root, &[])
}

fn check_with(root: &Path, flags: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_onestop"))
        .arg("check")
        .args(flags)
        .arg("--definitions")
        .arg(root)
        .output()
        .expect("onestop check runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn assert_caught(name: &str, expected: &[&str]) {
    let (ok, out) = check(&fixture(name));
    assert!(!ok, "{name}: check should fail, printed:\n{out}");
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors, expected, "{name}: diagnostics differ");
}

#[test]
fn shipped_definitions_pass_check_without_warnings() {
    let (ok, out) = check_with(Path::new(env!("CARGO_MANIFEST_DIR")), &["--deny-warnings"]);
    assert!(ok, "{out}");
    assert!(out.starts_with("ok: "));
}

#[test]
fn the_valid_fixture_passes_check() {
    let (ok, out) = check(&fixture("valid"));
    assert!(ok, "{out}");
}

#[test]
fn unknown_service_is_reported_with_its_path() {
    assert_caught(
        "unknown-service",
        &[
            r#"error: bundles/event.yaml:11:14: services[2].service: unknown service "third" (no services/third.yaml)"#,
        ],
    );
}

#[test]
fn dependency_cycle_is_named() {
    assert_caught(
        "dependency-cycle",
        &["error: bundles/event.yaml: services: dependency cycle: first → second → first"],
    );
}

#[test]
fn missing_form_file_is_reported() {
    assert_caught(
        "missing-form",
        &[
            "error: services/second.yaml: form: form file not found or unreadable: forms/missing.schema.json",
        ],
    );
}

#[test]
fn form_file_that_is_not_json_is_reported_with_line_and_column() {
    assert_caught(
        "invalid-form-json",
        &[
            "error: forms/second.schema.json: invalid JSON at line 2, column 0: EOF while parsing a value at line 2 column 0",
            "error: services/second.yaml: form: form file not found or unreadable: forms/second.schema.json",
        ],
    );
}

#[test]
fn invalid_json_schema_is_reported_with_its_location() {
    assert_caught(
        "invalid-schema",
        &[
            "error: forms/second.schema.json: invalid JSON Schema: Unexpected type (at /properties/record/type)",
        ],
    );
}

#[test]
fn unknown_format_is_reported() {
    let (ok, out) = check(&fixture("unknown-format"));
    assert!(!ok);
    assert!(
        out.contains(
            "error: forms/second.schema.json: invalid JSON Schema: Unknown format: 'rnokp'"
        ),
        "{out}"
    );
}

#[test]
fn input_bound_to_an_output_nobody_produces_is_reported() {
    assert_caught(
        "unbound-output",
        &[
            r#"error: bundles/event.yaml:10:15: services[1].inputs.record: service "first" has no output "nothing""#,
        ],
    );
}

#[test]
fn broken_yaml_is_reported_with_line_and_column() {
    assert_caught(
        "broken-yaml",
        &["error: bundles/event.yaml: cannot read YAML: line 2 column 10: expected string scalar"],
    );
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    assert_caught(
        "many-problems",
        &[
            r#"error: bundles/event.yaml:8:13: services[0].after[0]: unknown service "nowhere": not in this bundle"#,
            r#"error: bundles/event.yaml:11:15: services[1].inputs.record: service "first" has no output "nothing""#,
            r#"error: bundles/event.yaml:12:16: services[1].inputs.surname: "surname" is not an input of service "second""#,
            r#"error: bundles/event.yaml:13:14: services[2].service: unknown service "third" (no services/third.yaml)"#,
        ],
    );
}

#[test]
fn condition_that_does_not_parse_is_reported_with_its_position() {
    let (ok, out) = check(&fixture("condition-parse-error"));
    assert!(!ok);
    assert!(
        out.contains("error: bundles/event.yaml:9:11: services[1].when: condition does not parse: <input>:1:8: Syntax error"),
        "{out}"
    );
}

#[test]
fn condition_naming_an_unknown_field_is_reported() {
    assert_caught(
        "condition-unknown-field",
        &[
            r#"error: bundles/event.yaml:9:11: services[1].when: condition names unknown field(s) "nmae", "record" (the form has: name)"#,
        ],
    );
}

fn assert_warned(name: &str, expected: &str) {
    let (ok, out) = check(&fixture(name));
    assert!(ok, "{name}: a warning alone passes, printed:\n{out}");
    let warnings: Vec<&str> = out.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(warnings, [expected], "{name}");
    let (ok, _) = check_with(&fixture(name), &["--deny-warnings"]);
    assert!(!ok, "{name}: --deny-warnings makes the warning fatal");
}

#[test]
fn unused_form_is_a_warning() {
    assert_warned(
        "unused-form",
        "warning: forms/orphan.schema.json: unused form: no service names it and no form references it",
    );
}

#[test]
fn missing_english_title_is_a_warning() {
    assert_warned(
        "missing-translation",
        "warning: forms/second.schema.json: /properties/record: missing translation: no English title (x-title-en)",
    );
}

#[test]
fn a_declared_human_step_passes_check() {
    let (ok, out) = check(&fixture("human-step"));
    assert!(ok, "{out}");
}

#[test]
fn human_step_problems_are_all_reported() {
    let (ok, out) = check(&fixture("human-step-errors"));
    assert!(!ok);
    for expected in [
        r#"error: bundles/event.yaml: human_steps[1].id: human step "consent" is declared twice"#,
        r#"error: bundles/event.yaml:15:14: human_steps[0].before[0]: unknown service "third": not in this bundle"#,
        "error: bundles/event.yaml:16:20: human_steps[0].expires_after: not a duration (write P14D or \"14 days\")",
        r#"error: bundles/event.yaml:20:11: human_steps[1].when: condition names unknown field(s) "owner" (the form has: name)"#,
    ] {
        assert!(out.contains(expected), "missing {expected}\n{out}");
    }
}

#[test]
fn repetition_mistakes_are_reported() {
    assert_caught(
        "repeat-errors",
        &[
            r#"error: bundles/family.yaml:8:36: services[0].for_each.as: "nobody" is not an input of service "deregister""#,
            r#"error: bundles/family.yaml:13:16: services[2].inputs.address: "register" repeats for each item of "people", so its output "record" can only feed a service repeated over the same items"#,
        ],
    );
}

#[test]
fn the_repetition_fixture_passes_check() {
    let (ok, out) = check_with(&fixture("family"), &["--deny-warnings"]);
    assert!(ok, "{out}");
}

#[test]
fn two_services_demanding_incompatible_schemas_for_a_field_are_reported() {
    assert_caught(
        "incompatible-schemas",
        &[
            r#"error: bundles/event.yaml: services: services "first" and "second" demand incompatible schemas for field "name": "string" vs "integer""#,
        ],
    );
}

#[test]
fn a_service_policy_without_attempts_or_time_is_reported() {
    assert_caught(
        "service-policy-errors",
        &[
            "error: services/first.yaml: retry.max_attempts: must be at least 1",
            "error: services/first.yaml: timeout_ms: must be more than 0",
            r#"error: bundles/event.yaml:14:15: services[1].inputs.record: unknown service "first""#,
        ],
    );
}

#[test]
fn receipt_templates_that_are_missing_broken_or_incomplete_are_reported() {
    assert_caught(
        "receipt-errors",
        &[
            "error: receipts/event.hbs: invalid template at 6:1: invalid handlebars syntax: expected identifier, helper_parameter, or trailing_tilde_to_omit_whitespace",
            "error: bundles/other.yaml: receipt: receipt template receipts/missing.hbs cannot be read: No such file or directory (os error 2)",
            "error: receipts/incomplete.hbs: missing texts: next.in_progress.uk, next.in_progress.en, next.completed.uk, next.completed.en, next.completed_with_failures.uk, next.completed_with_failures.en, next.failed.uk, next.failed.en",
        ],
    );
}
