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

/// The error `check` gives a bundle whose version 1 has other files than those recorded.
const CHANGED_UNDER_VERSION_1: &str = "error: bundles/event.yaml: version: the files of version 1 \
     changed, but its version did not: raise `version` (applications submitted under 1 keep \
     their own files)";

#[test]
fn check_refuses_a_bundle_whose_files_changed_while_its_version_did_not() {
    // A form a service names, and a form reached only through another's `$ref`.
    for form in ["forms/first.schema.json", "forms/common/name.schema.json"] {
        let root = copy_of_fixture("valid");
        let (ok, out) = check_with(root.path(), &["--lock"]);
        assert!(ok && out.starts_with("ok: "), "{out}");

        retitle(&root.path().join(form));
        let (ok, out) = check(root.path());
        assert!(!ok, "{form} changed under version 1, printed:\n{out}");
        let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("error: ")).collect();
        assert_eq!(errors, [CHANGED_UNDER_VERSION_1], "{form}");
    }
}

#[test]
fn check_lock_records_new_versions_and_never_rewrites_recorded_ones() {
    let root = copy_of_fixture("valid");
    let lock = root.path().join("bundles/versions.lock");
    let (ok, out) = check(root.path());
    assert!(
        ok && out.starts_with("ok: "),
        "without a lock there is nothing to compare: {out}"
    );
    assert!(!lock.exists(), "check alone writes nothing");

    let (ok, out) = check_with(root.path(), &["--lock"]);
    assert!(ok && out.starts_with("ok: "), "{out}");
    let recorded = std::fs::read_to_string(&lock).expect("the lock is written");
    let first = versions_in(&recorded);
    assert_eq!(first.len(), 1, "{recorded}");
    assert_eq!(
        (first[0].0.as_str(), first[0].1),
        ("event", 1),
        "{recorded}"
    );

    retitle(&root.path().join("forms/second.schema.json"));
    let (ok, out) = check_with(root.path(), &["--lock"]);
    assert!(!ok, "--lock does not make a changed version pass: {out}");
    assert!(out.contains(CHANGED_UNDER_VERSION_1), "{out}");
    let after = std::fs::read_to_string(&lock).expect("the lock");
    assert_eq!(after, recorded, "a recorded version is never rewritten");

    let bundle = root.path().join("bundles/event.yaml");
    let text = std::fs::read_to_string(&bundle).expect("bundle read");
    assert!(text.contains("\nversion: 1\n"), "{text}");
    std::fs::write(
        &bundle,
        text.replacen("\nversion: 1\n", "\nversion: 2\n", 1),
    )
    .expect("written");
    let (ok, out) = check_with(root.path(), &["--lock"]);
    assert!(ok && out.starts_with("ok: "), "{out}");
    let both = versions_in(&std::fs::read_to_string(&lock).expect("the lock"));
    assert_eq!(both.len(), 2, "{both:?}");
    assert_eq!(both[0], first[0], "version 1 as recorded before");
    assert_eq!((both[1].0.as_str(), both[1].1), ("event", 2), "{both:?}");
    assert_ne!(both[1].2, first[0].2, "version 2 has files of its own");
    let (ok, out) = check(root.path());
    assert!(
        ok && out.starts_with("ok: "),
        "every version recorded: {out}"
    );
}

/// `bundle version hash` of each line of a lock, in order.
fn versions_in(lock: &str) -> Vec<(String, u32, String)> {
    (lock.lines())
        .filter(|l| !l.starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(parts.len(), 3, "a lock line: {line}");
            let version = parts[1].parse().expect("a version number");
            (parts[0].to_owned(), version, parts[2].to_owned())
        })
        .collect()
}

/// A copy of the fixture `name` in a temporary folder, to change.
fn copy_of_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    copy_folder(&fixture(name), dir.path());
    dir
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder made");
    for entry in std::fs::read_dir(from)
        .expect("folder read")
        .map(Result::unwrap)
    {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("file copied");
        }
    }
}

/// Give the form at `path` another title: a change that compiles as well as before.
fn retitle(path: &Path) {
    let text = std::fs::read_to_string(path).expect("form read");
    let mut schema: serde_json::Value = serde_json::from_str(&text).expect("form is JSON");
    schema["title"] = serde_json::json!("Змінена назва");
    schema["x-title-en"] = serde_json::json!("Changed title");
    std::fs::write(path, serde_json::to_string_pretty(&schema).expect("JSON")).expect("written");
}

/// `onestop --config FILE check`, with `env` set, on the shipped definitions.
fn check_settings(config: Option<&Path>, env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_onestop"));
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let output = command
        .arg("check")
        .arg("--definitions")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .envs(env.iter().copied())
        .output()
        .expect("onestop check runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn the_example_trembita_settings_fail_check_on_missing_certificates_and_pass_once_they_exist() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/trembita.toml");
    let (ok, out) = check_settings(Some(&example), &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(
            "registries.trembita.tls.certificate: cannot read /etc/onestop/trembita/client.pem"
        ),
        "{out}"
    );
    let dir = tempfile::tempdir().expect("a folder");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("a certificate");
    let files = [
        ("client.pem", made.cert.pem()),
        ("client.key", made.signing_key.serialize_pem()),
        ("security-server-ca.pem", made.cert.pem()),
    ];
    let mut text = std::fs::read_to_string(&example).expect("the example");
    for (name, pem) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).expect("written");
        let shipped = format!("/etc/onestop/trembita/{name}");
        text = text.replace(&shipped, &path.display().to_string());
    }
    let config = dir.path().join("onestop.toml");
    std::fs::write(&config, text).expect("written");
    let (ok, out) = check_settings(Some(&config), &[]);
    assert!(ok, "{out}");
}

#[test]
fn a_wrong_trembita_client_identity_and_an_override_of_an_unknown_registry_fail_check() {
    let env = [
        ("ONESTOP__REGISTRIES__PROTOCOL", "trembita-rest"),
        (
            "ONESTOP__REGISTRIES__TREMBITA__CLIENT",
            "SEVDEIR-TEST/GOV/12345678",
        ),
        (
            "ONESTOP__REGISTRIES__OVERRIDES__NO-SUCH-REGISTRY__PROTOCOL",
            "trembita-soap",
        ),
    ];
    let (ok, out) = check_settings(None, &env);
    assert!(!ok, "{out}");
    assert!(out.contains("registries.trembita.client: \"SEVDEIR-TEST/GOV/12345678\" is not <instance>/<member class>/<member code>/<subsystem>"), "{out}");
    assert!(
        out.contains("registries.overrides.no-such-registry"),
        "{out}"
    );
}
