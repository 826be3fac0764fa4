//! Crash safety and scale-out with the real `onestop serve` binary as child processes: killed
//! with SIGKILL mid-flight and restarted, or run twice on one PostgreSQL, every accepted
//! application completes and the simulated registries count exactly one effect per
//! (application, service).

use crate::helpers::{Db, fresh_database, root};
use onestop::sandbox::{Behaviours, SandboxOptions};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const APPLICATIONS: usize = 200;
/// The services of a full birth application (the example chooses every optional one).
const BIRTH_SERVICES: usize = 10;

/// A running `onestop serve`; killed (SIGKILL) when dropped.
pub(crate) struct Instance {
    child: Child,
    pub(crate) url: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Instance {
    /// Send SIGTERM and wait for the process to end; how it ended.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.expect("kill runs").success(), "SIGTERM sent");
        self.child.wait().expect("the instance ends")
    }

    /// Start the real binary against `database` and `registries`; wait for its address.
    fn start(database: &str, registries: &str, name: &str, concurrency: usize) -> Self {
        Self::start_with(database, registries, name, concurrency, &[])
    }

    /// `start`, with settings of its own (`ONESTOP__…` variables) over the test's.
    pub(crate) fn start_with(
        database: &str,
        registries: &str,
        name: &str,
        concurrency: usize,
        settings: &[(&str, &str)],
    ) -> Self {
        Self::start_on(&root(), database, registries, name, concurrency, settings)
    }

    /// `start_with`, on the definitions under `definitions` instead of the shipped ones.
    pub(crate) fn start_on(
        definitions: &std::path::Path,
        database: &str,
        registries: &str,
        name: &str,
        concurrency: usize,
        settings: &[(&str, &str)],
    ) -> Self {
        let dir = std::env::temp_dir();
        let mut child = Command::new(env!("CARGO_BIN_EXE_onestop"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(["--database-url", database, "--registries", registries])
            .arg("--definitions")
            .arg(definitions)
            .current_dir(dir)
            .env("RUST_LOG", "warn")
            .env("ONESTOP__DISPATCHER__INSTANCE", name)
            .env("ONESTOP__DISPATCHER__CONCURRENCY", concurrency.to_string())
            .env("ONESTOP__DISPATCHER__LEASE_MS", "2000")
            .env("ONESTOP__DISPATCHER__POLL_INTERVAL_MS", "50")
            .env("ONESTOP__DISPATCHER__BACKOFF_BASE_MS", "20")
            .env("ONESTOP__DISPATCHER__BACKOFF_CAP_MS", "500")
            .env("ONESTOP__REGISTRIES__TIMEOUT_MS", "1000")
            .envs(settings.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .expect("onestop serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("onestop serve prints its address");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("an address in the first line")
            .trim_end_matches('/')
            .to_owned();
        Self { child, url }
    }
}

pub(crate) async fn spawn_sandbox(behaviours: Value) -> String {
    let behaviours: Behaviours = serde_json::from_value(behaviours).expect("behaviours");
    crate::helpers::spawn_sandbox(SandboxOptions {
        behaviours,
        ..SandboxOptions::default()
    })
}

/// A sandbox whose first stage (the birth registration) answers after 400 ms and every other
/// call at once: time to lock the database while the first call is out.
async fn spawn_slow_first_stage_sandbox() -> String {
    spawn_sandbox(json!({
        "default": { "latency": { "fixed_ms": 0 } },
        "services": { "civil.birth-registration": { "latency": { "fixed_ms": 400 } } }
    }))
    .await
}

pub(crate) async fn stats(client: &reqwest::Client, sandbox: &str) -> Value {
    let response = client
        .get(format!("{sandbox}/_sandbox/stats"))
        .send()
        .await
        .expect("stats");
    response.json().await.expect("JSON stats")
}

pub(crate) fn total(stats: &Value, field: &str) -> u64 {
    stats
        .as_object()
        .expect("stats object")
        .values()
        .filter_map(|s| s[field].as_u64())
        .sum()
}

/// `count` full birth applications, each of another child (the same birth submitted twice is
/// refused as a duplicate).
pub(crate) fn births(count: usize) -> Vec<Value> {
    (0..count)
        .map(|_| crate::helpers::example("birth"))
        .collect()
}

/// Submit `count` full birth applications, spread over `servers`, eight at a time; their ids.
pub(crate) async fn submit_births(
    client: &reqwest::Client,
    servers: &[String],
    count: usize,
) -> Vec<String> {
    submit_each(client, servers, births(count)).await
}

/// Submit `bodies` as birth applications, spread over `servers`, eight at a time; their ids, in
/// the order of `bodies`.
pub(crate) async fn submit_each(
    client: &reqwest::Client,
    servers: &[String],
    bodies: Vec<Value>,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(bodies.len());
    let mut tasks = tokio::task::JoinSet::new();
    for (n, body) in bodies.into_iter().enumerate() {
        let url = format!(
            "{}/api/v1/bundles/birth/applications",
            servers[n % servers.len()]
        );
        let client = client.clone();
        tasks.spawn(async move {
            let response = client.post(url).json(&body).send().await.expect("sent");
            assert_eq!(response.status().as_u16(), 201, "accepted");
            let created: Value = response.json().await.expect("JSON");
            (n, created["id"].as_str().expect("id").to_owned())
        });
        if tasks.len() >= 8
            && let Some(id) = tasks.join_next().await
        {
            ids.push(id.expect("submission task"));
        }
    }
    ids.extend(tasks.join_all().await);
    ids.sort();
    ids.into_iter().map(|(_, id)| id).collect()
}

/// Poll every application until none is in progress (bounded); their final statuses.
pub(crate) async fn wait_all(
    client: &reqwest::Client,
    server: &str,
    ids: &[String],
) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut statuses = vec![String::from("in_progress"); ids.len()];
    while statuses.iter().any(|s| s == "in_progress") {
        assert!(
            Instant::now() < deadline,
            "applications still in progress: {}",
            statuses.iter().filter(|s| *s == "in_progress").count()
        );
        for (id, status) in ids.iter().zip(statuses.iter_mut()) {
            if status != "in_progress" {
                continue;
            }
            let body = application(client, server, id).await;
            *status = body["status"].as_str().unwrap_or_default().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    statuses
}

/// `GET /api/v1/applications/{id}`.
async fn application(client: &reqwest::Client, server: &str, id: &str) -> Value {
    let url = format!("{server}/api/v1/applications/{id}");
    let response = client.get(url).send().await.expect("status");
    response.json().await.expect("JSON")
}

/// Every service was performed exactly once per application, however often it was called.
pub(crate) fn assert_one_effect_each(stats: &Value, applications: usize) {
    let services = stats.as_object().expect("stats object");
    assert_eq!(services.len(), BIRTH_SERVICES, "{stats:#}");
    for (service, counts) in services {
        assert_eq!(
            counts["effects"].as_u64(),
            Some(applications as u64),
            "{service}: {counts}"
        );
        assert!(counts["calls"].as_u64() >= counts["effects"].as_u64());
    }
}

on_both_databases!(
    killed_mid_flight_and_restarted_every_application_completes_with_one_effect_each,
    killed_mid_flight_over_trembita_soap_every_application_completes_with_one_effect_each,
    dependents_start_before_the_answer_that_releases_them_is_stored,
    a_refused_batch_is_stored_job_by_job_without_calling_again,
);

async fn killed_mid_flight_and_restarted_every_application_completes_with_one_effect_each(db: Db) {
    killed_mid_flight(db, "onestop-rest").await;
}

/// The same through the sandbox's emulated Trembita security server, in SOAP: the registries
/// count effects by `xrd:id`, which every attempt of a call repeats.
async fn killed_mid_flight_over_trembita_soap_every_application_completes_with_one_effect_each(
    db: Db,
) {
    let after = killed_mid_flight(db, "trembita-soap").await;
    for (service, counts) in after.as_object().expect("stats object") {
        let protocols = counts["protocols"].as_object().expect("protocols counted");
        assert_eq!(
            protocols.keys().collect::<Vec<_>>(),
            ["trembita-soap"],
            "{service}: {counts}"
        );
    }
}

/// Kill an instance with calls in flight to registries reached by `protocol`, finish the work
/// on another: every application completes and every registry made one effect for each. The
/// sandbox's stats at the end.
async fn killed_mid_flight(db: Db, protocol: &str) -> Value {
    let (database, _dir) = fresh_database(db).await;
    let sandbox = spawn_sandbox(json!({
        "default": { "latency": { "uniform_ms": [10, 60] }, "failure_rate": 0.1 }
    }))
    .await;
    let client = crate::helpers::staff_client(&database).await;
    let protocol = [("ONESTOP__REGISTRIES__PROTOCOL", protocol)];
    let first = Instance::start_with(&database, &sandbox, "first", 8, &protocol);
    let ids = submit_births(&client, std::slice::from_ref(&first.url), APPLICATIONS).await;
    assert_eq!(ids.len(), APPLICATIONS);
    while total(&stats(&client, &sandbox).await, "calls") < 300 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(first); // SIGKILL, with calls in flight
    let at_kill = stats(&client, &sandbox).await;
    let expected = (APPLICATIONS * BIRTH_SERVICES) as u64;
    assert!(
        total(&at_kill, "effects") < expected,
        "the kill came before the work was done ({at_kill})"
    );

    eprintln!(
        "killed with {} of {expected} effects made, {} calls",
        total(&at_kill, "effects"),
        total(&at_kill, "calls")
    );
    let second = Instance::start_with(&database, &sandbox, "second", 32, &protocol);
    let statuses = wait_all(&client, &second.url, &ids).await;
    assert!(statuses.iter().all(|s| s == "completed"), "{statuses:?}");
    let after = stats(&client, &sandbox).await;
    assert_one_effect_each(&after, APPLICATIONS);
    eprintln!(
        "after the restart: {} effects, {} calls",
        total(&after, "effects"),
        total(&after, "calls")
    );
    assert!(
        total(&after, "calls") > total(&after, "effects"),
        "failures and the crash made retries: {after}"
    );
    after
}

/// A dependent starts as soon as the answer that releases it is back, not after that answer
/// has been stored (`fanout::Flight`). With the database locked as the first registry answers,
/// the other nine calls of a full birth are all made while nothing can be stored; once the lock
/// goes, the answers are stored in order (each after the one that released it, which claims
/// it: the writer puts off an answer that comes in the same batch) and none is made again.
async fn dependents_start_before_the_answer_that_releases_them_is_stored(db: Db) {
    let (database, _dir) = fresh_database(db).await;
    let sandbox = spawn_slow_first_stage_sandbox().await;
    let client = crate::helpers::staff_client(&database).await;
    // A lease long enough for a call not to renew it first (a renewal waits for the lock).
    let lease = [("ONESTOP__DISPATCHER__LEASE_MS", "60000")];
    let instance = Instance::start_with(&database, &sandbox, "early", 32, &lease);
    let ids = submit_births(&client, std::slice::from_ref(&instance.url), 1).await;

    // Stored, and its first call on its way to the registry: lock the database.
    let mut lock = lock_database(&database).await;
    wait_answered(&client, &sandbox, BIRTH_SERVICES).await;
    // Read from the database itself, through the lock's own connection: the API records every
    // read in the audit trail before it answers, which waits for the lock.
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT service_id, status FROM sub_requests WHERE application_id = $1")
            .bind(&ids[0])
            .fetch_all(&mut lock.0)
            .await
            .expect("statuses");
    let stored = |service: &str| -> String {
        let row = rows.iter().find(|(s, _)| s == service);
        row.map(|(_, status)| status.clone()).unwrap_or_default()
    };
    assert_eq!(stored("civil.birth-registration"), "running", "{rows:?}");
    assert_eq!(stored("civil.birth-certificate"), "waiting", "{rows:?}");
    lock.release().await;

    let statuses = wait_all(&client, &instance.url, &ids).await;
    assert_eq!(statuses, ["completed"]);
    let stats = stats(&client, &sandbox).await;
    assert_one_effect_each(&stats, 1);
    for (service, counts) in stats.as_object().expect("stats object") {
        assert_eq!(counts["calls"], 1, "{service} was called again: {counts}");
    }
}

/// Wait (5 s at most) until the sandbox has answered `calls` calls in all.
async fn wait_answered(client: &reqwest::Client, sandbox: &str, calls: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while total(&stats(client, sandbox).await, "answered") < calls as u64 {
        assert!(
            Instant::now() < deadline,
            "not every call was made while the database was locked: {}",
            stats(client, sandbox).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A batch the database refuses is stored again job by job (`writer::one_by_one`): the
/// application it refuses gets a 500 and is not stored, another application in that batch is
/// stored and completes, and the answers in it are stored too, each still claiming the calls
/// it released and that were started early (`Flight`), so none of them is made again. A
/// trigger refuses the one application; with the database locked, that application, another
/// and the answers of a third gather in one batch of the one writer.
async fn a_refused_batch_is_stored_job_by_job_without_calling_again(db: Db) {
    let (database, _dir) = fresh_database(db).await;
    let sandbox = spawn_slow_first_stage_sandbox().await;
    let client = crate::helpers::staff_client(&database).await;
    let settings = [
        ("ONESTOP__DISPATCHER__LEASE_MS", "60000"),
        ("ONESTOP__DATABASE__WRITERS", "1"),
    ];
    let instance = Instance::start_with(&database, &sandbox, "refused", 32, &settings);
    refuse_applications_naming(&database, "Відмовенко").await;
    let first = submit_births(&client, std::slice::from_ref(&instance.url), 1).await;

    let mut lock = lock_database(&database).await;
    wait_answered(&client, &sandbox, BIRTH_SERVICES).await;
    let submit = |surname: &'static str| {
        let (client, url) = (client.clone(), instance.url.clone());
        let mut body = crate::helpers::example("birth");
        body["data"]["children"][0]["surname"] = json!(surname);
        tokio::spawn(async move {
            let url = format!("{url}/api/v1/bundles/birth/applications");
            let response = client.post(url).json(&body).send().await.expect("sent");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("JSON"))
        })
    };
    let refused = submit("Відмовенко");
    let accepted = submit("Коваль");
    // Both wait for the writer, behind the answers of the first application.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!refused.is_finished() && !accepted.is_finished());
    lock.release().await;

    let (status, body) = refused.await.expect("refused submission");
    assert_eq!(status, 500, "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "Внутрішня помилка сервера. Спробуйте пізніше."
    );
    let (status, body) = accepted.await.expect("accepted submission");
    assert_eq!(status, 201, "{body}");
    let second = body["id"].as_str().expect("id").to_owned();
    let ids = [first[0].clone(), second];
    let statuses = wait_all(&client, &instance.url, &ids).await;
    assert_eq!(statuses, ["completed", "completed"]);
    let stats = stats(&client, &sandbox).await;
    assert_one_effect_each(&stats, 2);
    for (service, counts) in stats.as_object().expect("stats object") {
        assert_eq!(counts["calls"], 2, "{service} was called again: {counts}");
    }
    let listed = application_count(&database).await;
    assert_eq!(listed, 2, "the refused application was not stored");
}

/// A trigger that refuses to store an application whose data names `marker`.
async fn refuse_applications_naming(database: &str, marker: &str) {
    let mut conn = connect(database).await;
    let trigger = if database.starts_with("sqlite:") {
        format!(
            "CREATE TRIGGER refuse BEFORE INSERT ON applications \
             WHEN NEW.data LIKE '%{marker}%' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )
    } else {
        format!(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
               IF NEW.data LIKE '%{marker}%' THEN RAISE EXCEPTION 'refused by the test'; END IF; \
               RETURN NEW; END $$; \
             CREATE TRIGGER refuse BEFORE INSERT ON applications \
               FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(trigger))
        .execute(&mut conn)
        .await
        .expect("create the trigger");
}

async fn application_count(database: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM applications")
        .fetch_one(&mut connect(database).await)
        .await
        .expect("count")
}

/// A connection of the test's own to the instance's database.
pub(crate) async fn connect(database: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(database)
        .await
        .expect("connect")
}

/// A transaction that holds the database's write lock until released.
struct DatabaseLock(sqlx::AnyConnection);

async fn lock_database(database: &str) -> DatabaseLock {
    let mut conn = connect(database).await;
    let lock = if database.starts_with("sqlite:") {
        "BEGIN IMMEDIATE"
    } else {
        "BEGIN; LOCK TABLE sub_requests IN EXCLUSIVE MODE"
    };
    sqlx::raw_sql(lock).execute(&mut conn).await.expect("lock");
    DatabaseLock(conn)
}

impl DatabaseLock {
    async fn release(&mut self) {
        sqlx::raw_sql("COMMIT")
            .execute(&mut self.0)
            .await
            .expect("unlock");
    }
}

#[tokio::test]
async fn two_instances_on_one_postgres_share_the_work_with_one_effect_each() {
    if crate::helpers::postgres_url().is_none() {
        return;
    }
    let (database, _dir) = fresh_database(Db::Postgres).await;
    let sandbox = spawn_sandbox(json!({
        "default": { "latency": { "uniform_ms": [5, 25] }, "failure_rate": 0.05 }
    }))
    .await;
    let client = crate::helpers::staff_client(&database).await;
    let a = Instance::start(&database, &sandbox, "instance-a", 16);
    let b = Instance::start(&database, &sandbox, "instance-b", 16);
    let servers = [a.url.clone(), b.url.clone()];
    let ids = submit_births(&client, &servers, APPLICATIONS).await;
    let statuses = wait_all(&client, &a.url, &ids).await;
    assert!(statuses.iter().all(|s| s == "completed"), "{statuses:?}");
    assert_one_effect_each(&stats(&client, &sandbox).await, APPLICATIONS);

    let mut conn = connect(&database).await;
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT claimed_by, COUNT(*) FROM sub_requests GROUP BY claimed_by ORDER BY claimed_by",
    )
    .fetch_all(&mut conn)
    .await
    .expect("query");
    eprintln!("sub-requests last claimed by each instance: {rows:?}");
    let names: Vec<&str> = rows.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["instance-a", "instance-b"],
        "both did work: {rows:?}"
    );
}
