//! Spawning the real app on a random port against a fresh database (SQLite always, PostgreSQL
//! when `ONESTOP_TEST_DATABASE_URL` is set) with the in-process simulated registries, or with
//! fake registries (wiremock) whose mocks count their calls. A scenario's own assertions live in
//! its module, not here.

use onestop::settings::Settings;
use onestop::startup::Application;
use serde_json::{Value, json};
use sqlx::Connection;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockBuilder, MockServer, Request, Respond, ResponseTemplate};

#[derive(Debug, Clone, Copy)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    /// Sends a machine token of a registrar of [`INSTITUTION`] (which offers every bundle).
    pub client: reqwest::Client,
    /// A browser signed in as that registrar (its session cookie), following no redirects.
    pub pages: reqwest::Client,
    /// That browser's session secret, for a test that sends its own `Cookie` header.
    pub session: String,
    pub store: onestop::store::Store,
    /// The database, for a second instance sharing it.
    pub database_url: String,
    /// Where the SMS the app sent are read (`GET …/_sandbox/messages` of a sandbox).
    pub sms: String,
    /// Where its registry calls go: the in-process sandbox, or the URL the settings gave.
    pub registries: String,
    _dir: tempfile::TempDir,
}

/// The institution the tests' own client acts for.
pub const INSTITUTION: &str = "test-cnap";

/// Add `institution` offering every bundle (of the shipped definitions and of every fixture),
/// unless it exists.
pub async fn add_institution(store: &onestop::store::Store, institution: &str) {
    let new = onestop::store::Institution {
        id: institution.into(),
        title_uk: format!("Установа {institution}"),
        title_en: format!("Institution {institution}"),
        bundles: every_bundle(),
    };
    store
        .add_institution(&new, &test_setup())
        .await
        .expect("institution stored");
}

/// The id of every bundle file under `bundles/` and `tests/fixtures/*/bundles/`.
fn every_bundle() -> Vec<String> {
    let mut folders = vec![root().join("bundles")];
    let fixtures = std::fs::read_dir(root().join("tests/fixtures")).expect("fixtures");
    folders.extend(
        fixtures
            .filter_map(Result::ok)
            .map(|e| e.path().join("bundles")),
    );
    let mut ids = Vec::new();
    for folder in folders {
        let Ok(files) = std::fs::read_dir(folder) else {
            continue;
        };
        for file in files.filter_map(Result::ok) {
            let text = std::fs::read_to_string(file.path()).unwrap_or_default();
            let id = text.lines().find_map(|l| l.strip_prefix("id:"));
            ids.extend(id.map(|id| id.trim().trim_matches('"').to_owned()));
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// A machine token of `role` at `institution` (made if missing).
pub async fn token(store: &onestop::store::Store, institution: Option<&str>, role: &str) -> String {
    if let Some(institution) = institution {
        add_institution(store, institution).await;
    }
    let name = format!("test-{}", uuid::Uuid::new_v4().simple());
    onestop::people::add_token(store, &name, institution, role, "P1D")
        .await
        .expect("token made")
}

/// The audit trail's entries matching `query` (newest first), as `client` sees them.
pub async fn trail(app: &TestApp, client: &reqwest::Client, query: &str) -> Vec<Value> {
    let response = client
        .get(format!("{}/api/v1/audit?{query}&limit=500", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("JSON");
    body["entries"].as_array().expect("entries").clone()
}

/// A session of a new account `login` with `role` at [`INSTITUTION`], made in the store (no
/// password is checked: the sign-in itself has its own tests).
pub async fn session(store: &onestop::store::Store, login: &str, role: &str) -> String {
    add_institution(store, INSTITUTION).await;
    session_at(store, login, Some(INSTITUTION), role).await
}

/// A session of a new account `login` with `role` at `institution` (which must exist).
pub async fn session_at(
    store: &onestop::store::Store,
    login: &str,
    institution: Option<&str>,
    role: &str,
) -> String {
    let added = store
        .add_user(
            login,
            institution,
            role,
            "not a hash",
            (false, &test_setup()),
        )
        .await;
    assert!(added.expect("user stored"), "a new login");
    let (secret, hash) = onestop::access::secret::new(onestop::access::secret::Kind::Session);
    let new = onestop::store::NewCredential {
        hash: &hash,
        kind: "session",
        login: Some(login),
        name: None,
        institution,
        role,
        expires_at: onestop::store::now_ms() + 3_600_000,
    };
    assert!((store.add_credential(&new, &test_setup()).await).expect("session stored"));
    secret
}

/// The audit entry of what a test sets up straight in the store.
pub fn test_setup() -> onestop::audit::Entry {
    let system = onestop::audit::Actor::system();
    onestop::audit::Entry::new(system, onestop::audit::action::STAFF_CHANGE)
        .with(serde_json::json!({ "change": "test set-up" }))
}

/// A browser (no redirects followed) with the session cookie `session`.
pub fn pages_with(session: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = format!("onestop_session={session}")
        .parse()
        .expect("cookie");
    headers.insert(reqwest::header::COOKIE, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A client that sends `Authorization: Bearer <secret>` with every request.
pub fn client_with(secret: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = format!("Bearer {secret}").parse().expect("header value");
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

/// A registrar's client of [`INSTITUTION`] against the database at `url` (for servers the test
/// starts as processes).
pub async fn staff_client(url: &str) -> reqwest::Client {
    let store = onestop::store::Store::connect(url, Some(1))
        .await
        .expect("database opens");
    client_with(&token(&store, Some(INSTITUTION), "registrar").await)
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The example application of `bundle` (or of an example file of it: `birth-twins`). Each birth
/// after a test's first is of other children: each medical conclusion's number and birth date
/// differ (a birth submitted twice is flagged as a duplicate), the first is the example as
/// shipped.
pub fn example(bundle: &str) -> Value {
    static BIRTHS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let path = root()
        .join("bundles/examples")
        .join(format!("{bundle}.json"));
    let text = std::fs::read_to_string(&path).expect("example application is readable");
    let mut example: Value = serde_json::from_str(&text).expect("example application is JSON");
    if bundle == "birth" || bundle.starts_with("birth-") {
        let n = BIRTHS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n > 0 {
            another_birth(&mut example["data"], n);
        }
    }
    example
}

/// The `n`th other birth than the example's: each child's conclusion number and birth date moved
/// on.
pub fn another_birth(data: &mut Value, n: i64) {
    let children = data["children"]
        .as_array_mut()
        .expect("the example gives children");
    for child in children {
        let born: jiff::civil::Date = (child["birth_date"].as_str())
            .and_then(|d| d.parse().ok())
            .expect("the example gives a birth date");
        let born = born
            .checked_sub(jiff::Span::new().days(n % 3000))
            .expect("a date");
        child["birth_date"] = json!(born.to_string());
        let conclusion = &mut child["medical_conclusion"];
        conclusion["issued_on"] = json!(born.to_string());
        let number = conclusion["number"].as_str().unwrap_or("0123/2026");
        conclusion["number"] = json!(format!("{number}-{n}"));
    }
}

/// The PostgreSQL admin URL, or `None` when the PostgreSQL variants were explicitly switched off
/// with `ONESTOP_SKIP_POSTGRES=1` (outside CI only). An unset URL is a failure, not a silent pass:
/// `bash scripts/test` sets it up.
pub fn postgres_url() -> Option<String> {
    if let Ok(url) = std::env::var("ONESTOP_TEST_DATABASE_URL")
        && !url.is_empty()
    {
        return Some(url);
    }
    let skip = std::env::var("ONESTOP_SKIP_POSTGRES").is_ok_and(|v| v == "1");
    assert!(
        skip && std::env::var("CI").is_err(),
        "ONESTOP_TEST_DATABASE_URL is not set: run `bash scripts/test` (it starts PostgreSQL), \
         or set ONESTOP_SKIP_POSTGRES=1 outside CI to run the SQLite variants only"
    );
    eprintln!("ONESTOP_SKIP_POSTGRES=1: PostgreSQL variant not run");
    None
}

async fn fresh_postgres(admin_url: &str) -> String {
    sqlx::any::install_default_drivers();
    let name = format!("onestop_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::AnyConnection::connect(admin_url)
        .await
        .expect("PostgreSQL is reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("test database is created");
    onestop::store::with_database_name(admin_url, &name)
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

/// The simulated registries (`onestop::sandbox`, the product's own) on a random port, behaving
/// as `options` say; their base URL.
pub fn spawn_sandbox(options: onestop::sandbox::SandboxOptions) -> String {
    let catalog = onestop::bundle::compile(&root()).expect("shipped definitions compile");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let server = onestop::sandbox::serve(listener, Arc::new(catalog), options);
    tokio::spawn(server.expect("sandbox starts"));
    url
}

/// The URL of a fresh, empty database, and the folder that holds it (for SQLite).
pub async fn fresh_database(db: Db) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("test.db").display()),
        Db::Postgres => fresh_postgres(&postgres_url().expect("PostgreSQL URL")).await,
    };
    (url, dir)
}

pub async fn spawn_app_with(db: Db, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let (url, dir) = fresh_database(db).await;
    spawn_app_on(url, dir, adjust).await
}

/// The app on the database at `url`, fresh or used before (a restart), with `dir` (which holds
/// a SQLite database) kept as long as the app.
pub async fn spawn_app_on(
    url: String,
    dir: tempfile::TempDir,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings::defaults().expect("default settings");
    settings.server.bind = "127.0.0.1:0".into();
    settings.definitions.root = root();
    settings.dispatcher.poll_interval_ms = 50;
    settings.database.url = url;
    adjust(&mut settings);
    // With fake registries, a sandbox of its own is the SMS gateway.
    if settings.registries.url.is_some() && settings.notifications.sms.url.is_none() {
        let gateway = spawn_sandbox(onestop::sandbox::SandboxOptions::default());
        settings.notifications.sms.url = Some(format!("{gateway}/_sandbox/sms"));
    }
    let database_url = settings.database.url.clone();
    let app = Application::build(settings.clone())
        .await
        .expect("the app builds");
    let sms = match &settings.notifications.sms.url {
        Some(url) => url.replace("/_sandbox/sms", "/_sandbox/messages"),
        None => format!("{}/_sandbox/messages", app.registries_url()),
    };
    let address = format!("http://127.0.0.1:{}", app.port());
    let registries = app.registries_url().to_owned();
    let store = app.store().clone();
    let secret = token(&store, Some(INSTITUTION), "registrar").await;
    let session = session(&store, "test-registrar", "registrar").await;
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: client_with(&secret),
        pages: pages_with(&session),
        session,
        store,
        database_url,
        sms,
        registries,
        _dir: dir,
    }
}

impl TestApp {
    /// Another instance of the app on the same database (and the in-process sandbox); its
    /// address.
    pub async fn another_instance(&self) -> String {
        let mut settings = Settings::defaults().expect("default settings");
        settings.server.bind = "127.0.0.1:0".into();
        settings.definitions.root = root();
        settings.database.url = self.database_url.clone();
        let app = Application::build(settings).await.expect("the app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    /// A `Cookie` header with `pairs` and the browser's session (a request's own `Cookie`
    /// header replaces the client's).
    pub fn cookie(&self, pairs: &str) -> String {
        format!("{pairs}; onestop_session={}", self.session)
    }

    pub async fn submit(&self, bundle: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!(
                "{}/api/v1/bundles/{bundle}/applications",
                self.address
            ))
            .json(body)
            .send()
            .await
            .expect("request is sent")
    }

    /// The receipt PDF of an application.
    pub async fn receipt(&self, id: &str) -> Vec<u8> {
        let response = self
            .client
            .get(format!(
                "{}/api/v1/applications/{id}/receipt.pdf",
                self.address
            ))
            .send()
            .await
            .expect("receipt request");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        response.bytes().await.expect("receipt bytes").to_vec()
    }

    /// Submit and expect 201; the new application's id.
    pub async fn submit_ok(&self, bundle: &str, body: &Value) -> String {
        let response = self.submit(bundle, body).await;
        assert_eq!(response.status().as_u16(), 201, "submission accepted");
        let created: Value = response.json().await.expect("JSON");
        created["id"].as_str().expect("id").to_owned()
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request is sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// Confirm every human step the application waits for (a co-signature, a consent), as the
    /// person would through the link they were given; how many were confirmed.
    pub async fn confirm_human_steps(&self, id: &str) -> usize {
        let (_, body) = self.get_json(&format!("/api/v1/applications/{id}")).await;
        let mut confirmed = 0;
        for step in body["services"].as_array().expect("services") {
            if step["kind"] != "human" || step["status"] != "awaiting" {
                continue;
            }
            let url = step["confirm_url"]
                .as_str()
                .expect("an open step has a link");
            let code = self.code_for(url).await;
            let response = self
                .client
                .post(url)
                .json(&serde_json::json!({ "decision": "confirmed", "code": code }))
                .send()
                .await
                .expect("confirmation is sent");
            assert_eq!(response.status().as_u16(), 200, "confirmation accepted");
            confirmed += 1;
        }
        confirmed
    }

    /// Ask for the one-time code of the step whose API link is `confirm_url`, and read it from
    /// the SMS the gateway was asked to send.
    pub async fn code_for(&self, confirm_url: &str) -> String {
        let asked = reqwest::Client::new()
            .post(format!("{confirm_url}/code"))
            .send()
            .await;
        assert_eq!(
            asked.expect("sent").status().as_u16(),
            202,
            "a code is sent"
        );
        self.last_code().await
    }

    /// The code in the last SMS with a code the app sent (an invitation, sent in the background
    /// after the submission, may come after it).
    pub async fn last_code(&self) -> String {
        let messages: Value = reqwest::get(&self.sms)
            .await
            .expect("messages")
            .json()
            .await
            .expect("JSON");
        let messages = messages["messages"].as_array().expect("messages");
        let code_in = |text: &str| {
            text.split_whitespace()
                .find(|w| {
                    w.len() == 7 && w.ends_with('.') && w[..6].bytes().all(|b| b.is_ascii_digit())
                })
                .map(|w| w[..6].to_owned())
        };
        let code: String = (messages.iter().rev())
            .find_map(|m| code_in(m["text"].as_str().unwrap_or_default()))
            .expect("a code in the SMS");
        code
    }

    /// Poll the application until it leaves `in_progress` (bounded), and return it.
    pub async fn wait_until_done(&self, id: &str) -> Value {
        self.wait_until_done_within(id, Duration::from_secs(30))
            .await
    }

    /// Poll the application until it leaves `in_progress`, for `limit` at most, and return it.
    pub async fn wait_until_done_within(&self, id: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let (_, body) = self.get_json(&format!("/api/v1/applications/{id}")).await;
            if body["status"] != "in_progress" {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "application {id} did not finish within {limit:?}: {body:#}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The text of a PDF, through poppler's `pdftotext -layout`.
pub fn pdf_text(pdf: &[u8]) -> String {
    pdf_tool("pdftotext", &["-layout"], pdf, &["-"])
}

/// Run a PDF tool (poppler, qpdf; `bash scripts/test` installs them) on `pdf`: `tool
/// before… file after…`; its standard output. A failure of the tool fails the test.
pub fn pdf_tool(tool: &str, before: &[&str], pdf: &[u8], after: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("receipt.pdf");
    std::fs::write(&path, pdf).expect("PDF written");
    let output = std::process::Command::new(tool)
        .args(before)
        .arg(&path)
        .args(after)
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("{tool} runs (bash scripts/test installs it): {e}"));
    assert!(
        output.status.success(),
        "{tool} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the tool prints UTF-8")
}

/// One answer holding the outputs of every birth service, so that a fake registry may give it
/// to any of them (each output schema allows further properties).
pub fn every_birth_output() -> Value {
    serde_json::json!({
        "act_record_number": "77", "registered_on": "2026-11-20",
        "registry_office": "Відділ державної реєстрації актів цивільного стану в місті Києві Київського міжрегіонального управління Міністерства юстиції",
        "rnokpp": "4634407986", "unzr": "20261119-66439", "citizenship": "UKR",
        "basis": "частина перша статті 7 Закону України «Про громадянство України»",
        "determined_on": "2026-11-20", "certificate_series": "І-БК", "certificate_number": "123456",
        "issued_on": "2026-11-20", "registration_record": "513", "community": "Київська міська територіальна громада",
        "decision_number": "1024", "decided_on": "2026-11-20", "amount": 50000.0, "currency": "UAH",
        "payment": "one-time", "paying_body": "Головне управління Пенсійного фонду України в м. Києві",
        "kind": "пакунок малюка", "monthly_assistance": 2100.0,
        "patient_id": "0f8fad5b-d9cb-469f-a165-70867728950e"
    })
}

/// The paths the fake registries are called at: `/{registry}/{service}`.
pub const BIRTH_REGISTRATION: &str = "/civil-registry/civil.birth-registration";
pub const RNOKPP_ASSIGNMENT: &str = "/tax-service/tax.rnokpp-assignment";
pub const UNZR_ENTRY: &str = "/migration-service/migration.unzr-entry";

/// A `POST` to the fake registries at `to` (one of the paths above).
pub fn call(to: &str) -> MockBuilder {
    Mock::given(method("POST")).and(path(to))
}

/// Fake registries (wiremock) that give every birth service the answer it needs unless a test
/// mounts a closer mock: a test's own mocks come first, this one only catches what they leave.
pub async fn birth_registries() -> MockServer {
    let registries = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(every_birth_output()))
        .with_priority(u8::MAX)
        .mount(&registries)
        .await;
    registries
}

/// When each call answered by `timed` arrived, in order.
pub type Arrivals = Arc<Mutex<Vec<Instant>>>;

/// Answer with `template`, noting in `arrivals` when each call came (wiremock keeps the
/// requests, not their times).
pub fn timed(arrivals: &Arrivals, template: ResponseTemplate) -> impl Respond + use<> {
    let arrivals = arrivals.clone();
    move |_: &Request| {
        arrivals.lock().expect("lock").push(Instant::now());
        template.clone()
    }
}

/// The requests the fake registries received at `to`, in order.
pub async fn calls_to(registries: &MockServer, to: &str) -> Vec<Request> {
    let all = registries.received_requests().await;
    let all = all.expect("wiremock records requests");
    all.into_iter().filter(|r| r.url.path() == to).collect()
}
