//! Bundle versions pinned per application (issue 25): an application runs to its end under the
//! bundle version it was submitted with, whatever the definitions say after a restart, and a
//! server whose files changed under a version it has used refuses to start.
//!
//! The definitions are a temporary copy of the shipped ones (`copy_of_shipped_definitions`),
//! edited between two starts on one database. The business-start bundle is the subject: its
//! sole-proprietor registration comes first, and the three tax services (single tax, VAT, social
//! contribution) each wait for its record number.
//!
//! Version 1's server is `onestop serve` (killed to stop it) against a sandbox of the test's
//! whose tax service answers 429 to everything; the server after the restart runs in this
//! process with its in-process sandbox, which is built from every stored version. The first
//! sandbox makes every registration and no tax effect (`FirstRun::stop` checks), the second
//! every tax effect and no registration.

use crate::durability::{Instance, connect, spawn_sandbox, stats};
use crate::helpers::{Db, TestApp, fresh_database, pdf_text, root, spawn_app_on, staff_client};
use onestop::settings::Settings;
use onestop::startup::Application;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) const BUNDLE: &str = "bundles/business-start.yaml";
const REGISTRATION: &str = "business.fop-registration";
const SINGLE_TAX: &str = "tax.single-tax-registration";
const VAT: &str = "tax.vat-registration";
const ESV: &str = "tax.esv-registration";
/// What an application of the example (single tax, group 3, VAT chosen) runs under version 1.
pub(crate) const VERSION_1_SERVICES: [&str; 4] = [REGISTRATION, SINGLE_TAX, VAT, ESV];
/// The tax services, which wait for the registration's record number.
pub(crate) const TAX_SERVICES: [&str; 3] = [SINGLE_TAX, VAT, ESV];
/// The single-tax form's field that version 2 renames, and its new name.
const OLD_FIELD: &str = "kved";
const NEW_FIELD: &str = "activity_codes";
/// How the VAT registration is titled on a receipt.
const VAT_TITLE: &str = "Реєстрація платником ПДВ";

const IN_FLIGHT: usize = 5;
/// How long an application may take to finish once its registries answer.
pub(crate) const FINISHES_WITHIN: Duration = Duration::from_secs(10);

on_both_databases!(
    in_flight_applications_finish_under_the_version_they_were_submitted_with,
    a_removed_services_calls_held_in_an_outage_go_when_its_registry_answers_again,
    a_server_refuses_to_start_when_a_versions_files_changed_without_a_new_version,
);

/// Five business starts are in flight under version 1 (registered as sole proprietors, their tax
/// calls answered 429 and waiting to be retried) when the server stops. Version 2 drops the VAT
/// registration (its service and form deleted altogether) and renames the single-tax form's
/// `kved` to `activity_codes`. After the restart on the same database each of the five completes
/// with all four of its services, once each, its single-tax request still carrying `kved`, and
/// its receipt lists the VAT registration; a new application runs under version 2.
async fn in_flight_applications_finish_under_the_version_they_were_submitted_with(db: Db) {
    // So many 429s never make the tax service unavailable (the next test is about that).
    let first = in_flight_under_version_1(db, &[(FAILURES_TO_OPEN, "1000")]).await;
    let stopped = first.stop().await;
    make_version_2(stopped.definitions.path());
    let ids = stopped.ids.clone();
    let (app, _definitions) = stopped.restart(|_| {}).await;
    for id in &ids {
        let done = app.wait_until_done_within(id, FINISHES_WITHIN).await;
        assert_eq!(done["status"], "completed", "{done:#}");
        assert_eq!(done["bundle_version"], 3, "{done:#}");
        assert_eq!(succeeded(&done), sorted(&VERSION_1_SERVICES), "{done:#}");
        let receipt = pdf_text(&app.receipt(id).await);
        assert!(
            receipt.contains(VAT_TITLE),
            "the receipt of {id}:\n{receipt}"
        );
    }
    assert_each_tax_service_made_once(&app).await;
    let sent = received(&app, SINGLE_TAX).await;
    assert_eq!(sent.len(), IN_FLIGHT, "{sent:#?}");
    for body in &sent {
        assert!(body.get(OLD_FIELD).is_some(), "version 1's field: {body:#}");
        assert!(
            body.get(NEW_FIELD).is_none(),
            "not version 2's field: {body:#}"
        );
    }

    let new = (app.submit_ok("business-start", &version_2_business_start())).await;
    let done = app.wait_until_done_within(&new, FINISHES_WITHIN).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert_eq!(done["bundle_version"], 4, "{done:#}");
    let version_2 = sorted(&[REGISTRATION, SINGLE_TAX, ESV]);
    assert_eq!(succeeded(&done), version_2, "{done:#}");
    let receipt = pdf_text(&app.receipt(&new).await);
    assert!(
        !receipt.contains(VAT_TITLE),
        "no VAT under version 2:\n{receipt}"
    );
    let sent = received(&app, SINGLE_TAX).await;
    let last = sent
        .last()
        .expect("the new application's single-tax request");
    assert!(last.get(NEW_FIELD).is_some(), "version 2's field: {last:#}");
    assert!(
        last.get(OLD_FIELD).is_none(),
        "not version 1's field: {last:#}"
    );
}

/// The same, with the tax service unavailable when the server stops (its circuit open at the
/// first 429, every tax call parked until it answers again). After the restart under version 2
/// the probe finds it answering, and the parked calls go: the VAT registration's too, although
/// version 2 no longer has that service.
async fn a_removed_services_calls_held_in_an_outage_go_when_its_registry_answers_again(db: Db) {
    let first = in_flight_under_version_1(db, &[(FAILURES_TO_OPEN, "1")]).await;
    wait_until_parked(&first.database, first.ids.len()).await;
    let stopped = first.stop().await;
    make_version_2(stopped.definitions.path());
    let ids = stopped.ids.clone();
    let (app, _definitions) = stopped
        .restart(|s| {
            s.registries.circuit.probe_first_ms = 100;
            s.registries.circuit.probe_max_ms = 400;
            s.registries.circuit.refresh_ms = 100;
        })
        .await;
    for id in &ids {
        let done = app.wait_until_done_within(id, FINISHES_WITHIN).await;
        assert_eq!(done["status"], "completed", "{done:#}");
        assert_eq!(succeeded(&done), sorted(&VERSION_1_SERVICES), "{done:#}");
    }
    assert_each_tax_service_made_once(&app).await;
}

/// A server stores the files of each bundle version it uses. Started again on the same database
/// after a form of business-start changed while the bundle's `version` did not, it refuses to
/// start, naming the bundle file and saying to raise the version; with the version raised it
/// starts.
async fn a_server_refuses_to_start_when_a_versions_files_changed_without_a_new_version(db: Db) {
    let definitions = copy_of_shipped_definitions();
    let (database, _dir) = fresh_database(db).await;
    let first = Application::build(settings(definitions.path(), &database)).await;
    drop(first.expect("the first start stores version 1"));

    let form = definitions
        .path()
        .join("forms/tax.esv-registration.schema.json");
    edit(
        &form,
        "\"Взяття на облік платником ЄСВ\"",
        "\"Облік платника ЄСВ\"",
    );
    let refused = Application::build(settings(definitions.path(), &database)).await;
    let message = format!("{:#}", refused.err().expect("the server refuses to start"));
    assert!(message.contains(BUNDLE), "{message}");
    assert!(
        message.contains("raise the bundle's `version`"),
        "{message}"
    );

    edit(
        &definitions.path().join(BUNDLE),
        "\nversion: 3\n",
        "\nversion: 4\n",
    );
    let raised = Application::build(settings(definitions.path(), &database)).await;
    raised.expect("with the version raised the server starts");
}

/// Version 1's server (`onestop serve`, on a temporary copy of the shipped definitions) with
/// five business starts in flight: each registered as a sole proprietor, its tax calls waiting
/// to be retried.
pub(crate) struct FirstRun {
    definitions: tempfile::TempDir,
    database: String,
    /// Holds the SQLite database.
    dir: tempfile::TempDir,
    instance: Instance,
    /// Version 1's registries: the sandbox, its tax service answering 429 to everything.
    registries: String,
    client: reqwest::Client,
    pub(crate) ids: Vec<String>,
}

/// Version 1's server stopped, its applications in flight.
pub(crate) struct Stopped {
    pub(crate) definitions: tempfile::TempDir,
    database: String,
    dir: tempfile::TempDir,
    pub(crate) ids: Vec<String>,
}

/// The setting `onestop serve` reads for how many failures in a row make a registry
/// unavailable.
pub(crate) const FAILURES_TO_OPEN: &str = "ONESTOP__REGISTRIES__CIRCUIT__FAILURES_TO_OPEN";

async fn in_flight_under_version_1(db: Db, settings: &[(&str, &str)]) -> FirstRun {
    in_flight_under_version_1_of(db, settings, |_| {}).await
}

/// `in_flight_under_version_1`, on the shipped definitions as `prepare` leaves them.
pub(crate) async fn in_flight_under_version_1_of(
    db: Db,
    settings: &[(&str, &str)],
    prepare: impl FnOnce(&Path),
) -> FirstRun {
    let definitions = copy_of_shipped_definitions();
    prepare(definitions.path());
    let (database, dir) = fresh_database(db).await;
    let registries = spawn_sandbox(tax_service_taking_nothing()).await;
    let client = staff_client(&database).await;
    let path = definitions.path();
    let instance = Instance::start_on(path, &database, &registries, "version-1", 8, settings);
    let mut ids = Vec::new();
    for _ in 0..IN_FLIGHT {
        ids.push(submit(&client, &instance.url, &business_start()).await);
    }
    for id in &ids {
        wait_for_registration(&client, &instance.url, id).await;
    }
    FirstRun {
        definitions,
        database,
        dir,
        instance,
        registries,
        client,
        ids,
    }
}

impl FirstRun {
    /// Kill the server (SIGKILL); its registries made every registration and nothing of the
    /// tax service.
    pub(crate) async fn stop(self) -> Stopped {
        drop(self.instance);
        let made = stats(&self.client, &self.registries).await;
        assert_eq!(effects(&made, REGISTRATION), IN_FLIGHT as u64, "{made:#}");
        for service in TAX_SERVICES {
            assert_eq!(effects(&made, service), 0, "{service}: {made:#}");
        }
        Stopped {
            definitions: self.definitions,
            database: self.database,
            dir: self.dir,
            ids: self.ids,
        }
    }
}

impl Stopped {
    /// The server again, in this process, on the same database and definitions, with its
    /// in-process sandbox (built from every stored version) as the registries.
    /// The definitions' folder is kept as long as the app.
    pub(crate) async fn restart(
        self,
        adjust: impl FnOnce(&mut Settings),
    ) -> (TestApp, tempfile::TempDir) {
        let definitions = self.definitions;
        let app = spawn_app_on(self.database, self.dir, |s| {
            s.definitions.root = definitions.path().to_owned();
            adjust(s);
        })
        .await;
        (app, definitions)
    }
}

/// Wait (bounded) until every tax call of the `applications` but the probe is parked: put off,
/// while the tax service is unavailable, until long after the test (`Gates::park_until`).
async fn wait_until_parked(database: &str, applications: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let later = onestop::store::now_ms() + 60_000;
    loop {
        let parked: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sub_requests WHERE service_id IN ($1, $2, $3) AND status = 'ready' AND next_attempt_at > $4",
        )
        .bind(SINGLE_TAX)
        .bind(VAT)
        .bind(ESV)
        .bind(later)
        .fetch_one(&mut connect(database).await)
        .await
        .expect("parked calls counted");
        if parked == (applications * TAX_SERVICES.len()) as i64 - 1 {
            return;
        }
        assert!(Instant::now() < deadline, "{parked} tax calls parked");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The app's own registries (the sandbox since the restart) made each tax service's effect
/// once for each application in flight, in as many calls, and were not asked to register anyone.
async fn assert_each_tax_service_made_once(app: &TestApp) {
    let made = stats(&app.client, &app.registries).await;
    assert_eq!(calls(&made, REGISTRATION), 0, "registered before: {made:#}");
    for service in TAX_SERVICES {
        assert_eq!(
            effects(&made, service),
            IN_FLIGHT as u64,
            "{service}: {made:#}"
        );
        assert_eq!(
            calls(&made, service),
            IN_FLIGHT as u64,
            "{service}: {made:#}"
        );
    }
}

/// A temporary copy of the shipped definitions: bundles (and their lock), services, forms and
/// receipt texts.
fn copy_of_shipped_definitions() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for folder in ["bundles", "services", "forms", "receipts"] {
        copy_folder(&root().join(folder), &dir.path().join(folder));
    }
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

/// Version 2 of business-start: no VAT registration (the step gone, its service and form deleted)
/// and the single-tax form's `kved` renamed.
fn make_version_2(definitions: &Path) {
    let bundle = definitions.join(BUNDLE);
    edit(&bundle, "\nversion: 3\n", "\nversion: 4\n");
    let text = std::fs::read_to_string(&bundle).expect("bundle read");
    std::fs::write(&bundle, without_step(&text, VAT)).expect("bundle written");
    std::fs::remove_file(definitions.join(format!("services/{VAT}.yaml"))).expect("removed");
    std::fs::remove_file(definitions.join(format!("forms/{VAT}.schema.json"))).expect("removed");

    let form = definitions.join(format!("forms/{SINGLE_TAX}.schema.json"));
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&form).expect("form read")).expect("JSON");
    let properties = schema["properties"].as_object_mut().expect("properties");
    let field = properties.remove(OLD_FIELD).expect("the field to rename");
    properties.insert(NEW_FIELD.into(), field);
    for name in schema["required"].as_array_mut().expect("required") {
        if name == OLD_FIELD {
            *name = json!(NEW_FIELD);
        }
    }
    let text = serde_json::to_string_pretty(&schema).expect("JSON");
    std::fs::write(&form, text).expect("form written");
}

/// A bundle file's text without the step of `service`: its `- service:` line and the lines
/// under it, up to the next step or comment.
fn without_step(text: &str, service: &str) -> String {
    let start = format!("  - service: {service}");
    let mut kept = Vec::new();
    let mut skipping = false;
    for line in text.lines() {
        if line == start {
            skipping = true;
            continue;
        }
        if skipping
            && (line.starts_with("  - ") || line.starts_with("  #") || !line.starts_with(' '))
        {
            skipping = false;
        }
        if !skipping {
            kept.push(line);
        }
    }
    assert!(kept.len() < text.lines().count(), "no step of {service}");
    kept.join("\n") + "\n"
}

/// Replace `from` (which must be there) with `to` in the file at `path`.
pub(crate) fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("file read");
    assert!(text.contains(from), "{}: no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("file written");
}

/// The tax service answers every call 429 before looking further: nothing is made until it
/// takes calls again, and the calls wait to be retried.
fn tax_service_taking_nothing() -> Value {
    let busy = json!({ "rate_limit": { "rate": 1.0, "retry_after_seconds": 1 } });
    json!({ "services": { SINGLE_TAX: busy, VAT: busy, ESV: busy } })
}

/// The shipped example: single tax in group 3, VAT chosen.
fn business_start() -> Value {
    let text = std::fs::read_to_string(root().join("bundles/examples/business-start.json"));
    serde_json::from_str(&text.expect("example read")).expect("example is JSON")
}

/// The example as version 2 takes it: no VAT to choose, the activity codes given under their
/// new name as well (the registration's form still calls them `kved`).
fn version_2_business_start() -> Value {
    let mut body = business_start();
    body["services"] = json!([]);
    body["data"][NEW_FIELD] = body["data"][OLD_FIELD].clone();
    body
}

fn settings(definitions: &Path, database: &str) -> Settings {
    let mut settings = Settings::defaults().expect("default settings");
    settings.server.bind = "127.0.0.1:0".into();
    settings.definitions.root = PathBuf::from(definitions);
    settings.database.url = database.to_owned();
    settings
}

async fn submit(client: &reqwest::Client, server: &str, body: &Value) -> String {
    let url = format!("{server}/api/v1/bundles/business-start/applications");
    let response = client.post(url).json(body).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 201, "accepted");
    let created: Value = response.json().await.expect("JSON");
    created["id"].as_str().expect("id").to_owned()
}

/// Wait (bounded) until the application's registration has succeeded, and check that none of
/// its tax services has.
async fn wait_for_registration(client: &reqwest::Client, server: &str, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = format!("{server}/api/v1/applications/{id}");
        let body: Value = (client.get(url).send().await.expect("sent").json().await).expect("JSON");
        let done = succeeded(&body);
        if done.iter().any(|s| s == REGISTRATION) {
            assert_eq!(done, [REGISTRATION], "only the registration: {body:#}");
            return;
        }
        assert!(Instant::now() < deadline, "not registered: {body:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The services of an application that succeeded, sorted.
pub(crate) fn succeeded(application: &Value) -> Vec<String> {
    let services = application["services"].as_array().expect("services");
    let mut done: Vec<String> = (services.iter())
        .filter(|s| s["status"] == "succeeded")
        .map(|s| s["service"].as_str().expect("service id").to_owned())
        .collect();
    done.sort();
    done
}

pub(crate) fn sorted(services: &[&str]) -> Vec<String> {
    let mut services: Vec<String> = services.iter().map(|s| (*s).to_owned()).collect();
    services.sort();
    services
}

pub(crate) fn effects(stats: &Value, service: &str) -> u64 {
    stats[service]["effects"].as_u64().unwrap_or(0)
}

fn calls(stats: &Value, service: &str) -> u64 {
    stats[service]["calls"].as_u64().unwrap_or(0)
}

/// The request bodies the app's sandbox received for `service`, oldest first.
pub(crate) async fn received(app: &TestApp, service: &str) -> Vec<Value> {
    let url = format!("{}/_sandbox/received/{service}", app.registries);
    let body: Value = (reqwest::get(url).await.expect("sent").json().await).expect("JSON");
    body["bodies"].as_array().expect("bodies").clone()
}
