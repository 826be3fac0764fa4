//! `onestop check`: the shipped definitions pass; each broken fixture is caught with the expected
//! diagnostic (file and path), every problem reported at once, with a non-zero exit. What check
//! prints for a fixture is a snapshot under `tests/snapshots/` (`cargo insta review` after a
//! deliberate change of a message); where a message ends in another crate's words (JSON Schema,
//! CEL, durations), the test names only onestop's part of it.

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

/// Check the fixture `name`, which must fail; everything it printed, for a snapshot.
fn failed_check(name: &str) -> String {
    let (ok, out) = check(&fixture(name));
    assert!(!ok, "{name}: check should fail, printed:\n{out}");
    out
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
    insta::assert_snapshot!(failed_check("unknown-service"));
}

#[test]
fn dependency_cycle_is_named() {
    insta::assert_snapshot!(failed_check("dependency-cycle"));
}

#[test]
fn missing_form_file_is_reported() {
    insta::assert_snapshot!(failed_check("missing-form"));
}

#[test]
fn form_file_that_is_not_json_is_reported_with_line_and_column() {
    insta::assert_snapshot!(failed_check("invalid-form-json"));
}

#[test]
fn invalid_json_schema_is_reported_with_its_location() {
    insta::assert_snapshot!(failed_check("invalid-schema"));
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
    insta::assert_snapshot!(failed_check("unbound-output"));
}

#[test]
fn broken_yaml_is_reported_with_line_and_column() {
    insta::assert_snapshot!(failed_check("broken-yaml"));
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    insta::assert_snapshot!(failed_check("many-problems"));
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
    insta::assert_snapshot!(failed_check("condition-unknown-field"));
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
    insta::assert_snapshot!(failed_check("repeat-errors"));
}

#[test]
fn the_repetition_fixture_passes_check() {
    let (ok, out) = check_with(&fixture("family"), &["--deny-warnings"]);
    assert!(ok, "{out}");
}

#[test]
fn two_services_demanding_incompatible_schemas_for_a_field_are_reported() {
    insta::assert_snapshot!(failed_check("incompatible-schemas"));
}

#[test]
fn a_service_policy_without_attempts_or_time_is_reported() {
    insta::assert_snapshot!(failed_check("service-policy-errors"));
}

#[test]
fn receipt_templates_that_are_missing_broken_or_incomplete_are_reported() {
    insta::assert_snapshot!(failed_check("receipt-errors"));
}

#[test]
fn an_id_that_is_not_an_identifier_is_reported_with_its_file() {
    insta::assert_snapshot!(failed_check("bad-id"));
}

#[test]
fn a_template_naming_what_the_form_cannot_provide_is_reported_with_its_file_and_place() {
    insta::assert_snapshot!(failed_check("template-unknown-fields"));
}

#[test]
fn templates_going_through_a_list_with_each_pass_check() {
    let (ok, out) = check_with(&fixture("templates-each"), &["--deny-warnings"]);
    assert!(ok, "{out}");
}

#[test]
fn a_broken_ref_is_reported_with_the_form_that_refers_to_it_and_its_missing_target() {
    insta::assert_snapshot!(failed_check("broken-ref"));
}

#[test]
fn a_bundle_whose_every_service_is_optional_is_a_warning() {
    assert_warned(
        "optional-only",
        "warning: bundles/event.yaml: services: every service is optional; an application may choose none",
    );
}
