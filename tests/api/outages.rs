//! Registries that go down for a while, under steady load (issue 21): once a registry has
//! failed `failures_to_open` calls in a row it gets nothing but one probe at a time, the calls to
//! the other registries go on, and when it answers again its held calls drain at its pace; every
//! application completes, with one effect per service. Two instances on one PostgreSQL share
//! the circuit, so the registry gets one probe per interval from them both. A refusal is no
//! outage: it fails at once, blocks what depends on it and opens nothing. A call that is still
//! failing when its time budget runs out fails, and what depends on it is blocked.
//!
//! The sandbox's counts (`/_sandbox/stats`) are sampled every 100 ms and read as a `Timeline`.

mod timeline;

use crate::durability::{
    Instance, assert_one_effect_each, connect, spawn_sandbox, stats, wait_all,
};
use crate::helpers::{Db, TestApp, example, fresh_database, spawn_app_with};
use onestop::settings::{RegistryOverride, Settings};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use timeline::{Timeline, calls_of};

const TAX: &str = "tax.rnokpp-assignment";
const REGISTRATION: &str = "civil.birth-registration";
const UNZR: &str = "migration.unzr-entry";
/// Made only once the tax service has given the child's RNOKPP.
const CERTIFICATE: &str = "civil.birth-certificate";
/// What waits, directly or not, for the RNOKPP.
const AFTER_TAX: [&str; 6] = [
    CERTIFICATE,
    "community.residence-registration",
    "social.birth-assistance",
    "social.baby-box",
    "social.large-family",
    "health.ehealth-entry",
];

/// The circuit, in compressed time: open after the default five failures in a row, probe after
/// 200 ms, then every 400 ms; instances read each other's circuits every 100 ms.
const FAILURES_TO_OPEN: u64 = 5;
const PROBE_FIRST_MS: u64 = 200;
const PROBE_MAX_MS: u64 = 400;
const REFRESH_MS: u64 = 100;
/// The tax service's pace (calls a second) for one instance.
const TAX_RATE: f64 = 20.0;

/// The steady load: a birth every 100 ms for 6 s, the tax service down from 1 s to 4 s.
const TICK: Duration = Duration::from_millis(100);
const APPLICATIONS: usize = 60;
const DOWN_AT_TICK: usize = 10;
const UP_AT_TICK: usize = 40;
/// Calls already on their way when the circuit opened, as seen from the sandbox.
const IN_FLIGHT: Duration = Duration::from_millis(300);

fn tax_down() -> Value {
    json!({ "services": { TAX: { "failure_rate": 1.0 } } })
}

/// The circuit settings above, and small back-offs.
fn compressed(settings: &mut Settings, sandbox: &str) {
    settings.registries.url = Some(sandbox.to_owned());
    let circuit = &mut settings.registries.circuit;
    circuit.failures_to_open = FAILURES_TO_OPEN as u32;
    circuit.probe_first_ms = PROBE_FIRST_MS;
    circuit.probe_max_ms = PROBE_MAX_MS;
    circuit.refresh_ms = REFRESH_MS;
    settings.dispatcher.backoff_base_ms = 20;
    settings.dispatcher.backoff_cap_ms = 200;
}

/// The same, as `ONESTOP__…` variables for an `Instance` (which keeps the crash tests' 2 s
/// lease, shorter than a call's timeout and 2 s: a call started early then renews its lease
/// before the writer has stored the answer that released it, and must still go at once).
fn compressed_variables() -> Vec<(&'static str, String)> {
    vec![
        (
            "ONESTOP__REGISTRIES__CIRCUIT__FAILURES_TO_OPEN",
            FAILURES_TO_OPEN.to_string(),
        ),
        (
            "ONESTOP__REGISTRIES__CIRCUIT__PROBE_FIRST_MS",
            PROBE_FIRST_MS.to_string(),
        ),
        (
            "ONESTOP__REGISTRIES__CIRCUIT__PROBE_MAX_MS",
            PROBE_MAX_MS.to_string(),
        ),
        (
            "ONESTOP__REGISTRIES__CIRCUIT__REFRESH_MS",
            REFRESH_MS.to_string(),
        ),
    ]
}

on_both_databases!(
    a_registry_down_for_a_while_under_steady_load_fails_nobody,
    refusals_in_a_row_fail_at_once_and_leave_the_registry_available,
    a_call_still_failing_when_its_time_budget_runs_out_fails_and_blocks_its_dependents,
);

/// The tax service answers 503 to everything for 3 s under a birth every 100 ms: once its
/// circuit has opened it gets only probes, the other registries are called as before, and when
/// it answers again its backlog goes out at its pace (20 a second); every application completes,
/// with one effect per service.
async fn a_registry_down_for_a_while_under_steady_load_fails_nobody(db: Db) {
    let sandbox = spawn_sandbox(json!({})).await;
    let app = spawn_app_with(db, |s| {
        compressed(s, &sandbox);
        let paced = RegistryOverride {
            rate_per_second: Some(TAX_RATE),
            ..RegistryOverride::default()
        };
        s.registries.overrides.insert("tax-service".into(), paced);
    })
    .await;
    let (ids, timeline) =
        outage_under_steady_load(&app.client, &sandbox, std::slice::from_ref(&app.address)).await;

    let statuses = wait_all(&app.client, &app.address, &ids).await;
    assert!(statuses.iter().all(|s| s == "completed"), "{statuses:?}");
    assert_one_effect_each(&stats(&app.client, &sandbox).await, APPLICATIONS);
    assert_only_probed_while_down(&timeline, 1);
    assert_the_others_went_on(&timeline);
    assert_drained_at_pace(&timeline, TAX_RATE);
    assert_parked_not_held(&app.client, &app.address, &ids, &timeline).await;
}

/// The same outage with two `onestop serve` on one PostgreSQL: the circuit one opens holds the
/// other's calls too, and the tax service gets one probe per interval from them both (as the
/// sandbox counted it, and as `registry_circuits` counted the probes taken).
#[tokio::test]
async fn two_instances_on_one_postgres_agree_on_the_circuit() {
    if crate::helpers::postgres_url().is_none() {
        return;
    }
    let (database, _dir) = fresh_database(Db::Postgres).await;
    let sandbox = spawn_sandbox(json!({})).await;
    let client = crate::helpers::staff_client(&database).await;
    let variables = compressed_variables();
    let settings: Vec<(&str, &str)> = variables.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = Instance::start_with(&database, &sandbox, "instance-a", 16, &settings);
    let b = Instance::start_with(&database, &sandbox, "instance-b", 16, &settings);
    let servers = [a.url.clone(), b.url.clone()];
    let (ids, timeline) = outage_under_steady_load(&client, &sandbox, &servers).await;

    let statuses = wait_all(&client, &a.url, &ids).await;
    assert!(statuses.iter().all(|s| s == "completed"), "{statuses:?}");
    assert_one_effect_each(&stats(&client, &sandbox).await, APPLICATIONS);
    assert_only_probed_while_down(&timeline, 2);
    assert_the_others_went_on(&timeline);
    assert_parked_not_held(&client, &a.url, &ids, &timeline).await;

    let (state, probes, open_ms): (String, i64, i64) = sqlx::query_as(
        "SELECT state, probes, updated_at - opened_at FROM registry_circuits WHERE registry = 'tax-service'",
    )
    .fetch_one(&mut connect(&database).await)
    .await
    .expect("the tax service's circuit");
    eprintln!("circuit: {state}, open {open_ms} ms, {probes} probes");
    assert_eq!(state, "closed");
    let most = open_ms / PROBE_MAX_MS as i64 + 2;
    assert!(
        (1..=most).contains(&probes),
        "one probe per interval from both instances: {probes} probes in {open_ms} ms"
    );
}

/// Applications whose tax call the tax service refuses (400): twice `FAILURES_TO_OPEN`.
const REFUSED: u64 = 2 * FAILURES_TO_OPEN;

/// A refusal (400) is the registry answering, not an outage: the call fails at once and blocks
/// what depends on it, however many come in a row the registry stays available (the next
/// applications' calls to it go straight through), and an operator's retry with corrected data
/// runs, with what was blocked.
async fn refusals_in_a_row_fail_at_once_and_leave_the_registry_available(db: Db) {
    let refusal = json!({
        "pointer": "/child/surname", "equals": "Відмовенко", "message": "Дитину не знайдено"
    });
    let sandbox = spawn_sandbox(json!({ "services": { TAX: { "refuse": [refusal] } } })).await;
    let app = spawn_app_with(db, |s| {
        compressed(s, &sandbox);
        // Were the circuit to open, the next calls would wait 10 s for its first probe.
        s.registries.circuit.probe_first_ms = 10_000;
    })
    .await;
    let refused_births: Vec<Value> = (0..REFUSED)
        .map(|_| {
            let mut birth = example("birth");
            birth["data"]["children"][0]["surname"] = json!("Відмовенко");
            birth
        })
        .collect();
    let started = Instant::now();
    let mut refused = Vec::with_capacity(refused_births.len());
    for birth in &refused_births {
        refused.push(app.submit_ok("birth", birth).await);
    }
    for id in &refused {
        assert_refused_at_once(&app.wait_until_done(id).await);
    }
    let calls = tax_calls(&stats(&app.client, &sandbox).await);
    assert_eq!(calls, REFUSED, "each refused call was made once");

    for id in &submit_all(&app, || example("birth"), 3).await {
        assert_completed_and_never_held(&app.wait_until_done(id).await);
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "the tax service stayed available after {REFUSED} refusals: {took:?}"
    );

    // A merge patch replaces a list whole: the children, the first's surname corrected.
    let mut children = refused_births[0]["data"]["children"].clone();
    children[0]["surname"] = json!("Коваль");
    let corrected = json!({ "data": { "children": children } });
    let url = format!(
        "{}/api/v1/applications/{}/services/{TAX}/retry",
        app.address, refused[0]
    );
    let response = app.client.post(url).json(&corrected).send().await;
    assert_eq!(response.expect("sent").status().as_u16(), 202);
    let done = app.wait_until_done(&refused[0]).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let calls = tax_calls(&stats(&app.client, &sandbox).await);
    assert_eq!(calls, REFUSED + 3 + 1, "one call each, and the retry");
}

fn assert_refused_at_once(application: &Value) {
    assert_eq!(
        application["status"], "completed_with_failures",
        "{application:#}"
    );
    let tax = service(application, TAX);
    assert_eq!(tax["status"], "failed", "{tax:#}");
    assert_eq!(tax["attempts"], 1, "a refusal is not retried: {tax:#}");
    let error = tax["error"].as_str().unwrap_or_default();
    assert!(error.contains("Дитину не знайдено"), "{tax:#}");
    assert_blocked_after_tax(application);
}

fn assert_completed_and_never_held(application: &Value) {
    assert_eq!(application["status"], "completed", "{application:#}");
    let history = application["history"].as_array().expect("history");
    let held = |h: &Value| h["detail"].as_str().is_some_and(|d| d.starts_with("held"));
    assert!(!history.iter().any(held), "no call was held: {history:#?}");
}

/// A registry failing every call, with its circuit never opening, is retried until the call's
/// time budget (the tax service's `retry_for_seconds`: 2) runs out, not before; then the call
/// fails, saying so, and what depends on it is blocked.
async fn a_call_still_failing_when_its_time_budget_runs_out_fails_and_blocks_its_dependents(
    db: Db,
) {
    let sandbox = spawn_sandbox(tax_down()).await;
    let app = spawn_app_with(db, |s| {
        compressed(s, &sandbox);
        s.registries.circuit.failures_to_open = 1_000;
        let budget = RegistryOverride {
            retry_for_seconds: Some(2),
            ..RegistryOverride::default()
        };
        s.registries.overrides.insert("tax-service".into(), budget);
    })
    .await;
    let started = Instant::now();
    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;
    let took = started.elapsed();

    assert_eq!(done["status"], "completed_with_failures", "{done:#}");
    let tax = service(&done, TAX);
    assert_eq!(tax["status"], "failed", "{tax:#}");
    let error = tax["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("503") && error.contains("retried for 2s"),
        "the reason names the budget: {tax:#}"
    );
    let calls = tax_calls(&stats(&app.client, &sandbox).await);
    eprintln!("the tax call failed after {calls} calls in {took:?}: {error}");
    assert_eq!(tax["attempts"], calls, "{tax:#}");
    assert!(
        calls >= 5,
        "retried until the budget ran out: {calls} calls"
    );
    assert!(
        (Duration::from_secs(2)..Duration::from_secs(5)).contains(&took),
        "failed when the 2 s budget ran out, not before nor long after: {took:?}"
    );
    for done_before in [REGISTRATION, UNZR] {
        assert_eq!(service(&done, done_before)["status"], "succeeded");
    }
    assert_blocked_after_tax(&done);
}

/// Submit `count` births `birth` makes, one after the other (each of another child: the same
/// birth twice is refused as a duplicate); their ids.
async fn submit_all(app: &TestApp, birth: impl Fn() -> Value, count: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for _ in 0..count {
        ids.push(app.submit_ok("birth", &birth()).await);
    }
    ids
}

/// A call of an application, by service.
fn service<'a>(application: &'a Value, id: &str) -> &'a Value {
    let calls = application["services"].as_array().expect("services");
    let call = calls.iter().find(|c| c["service"] == id);
    call.unwrap_or_else(|| panic!("{id} in {application:#}"))
}

fn assert_blocked_after_tax(application: &Value) {
    for id in AFTER_TAX {
        let call = service(application, id);
        assert_eq!(call["status"], "blocked", "{call:#}");
        assert_eq!(call["attempts"], 0, "{call:#}");
    }
}

fn tax_calls(stats: &Value) -> u64 {
    calls_of(stats, TAX)
}

/// Send a birth every 100 ms for 6 s to `servers` in turn, the tax service answering 503 to
/// everything from 1 s to 4 s, and sample the sandbox's counts until every certificate is made;
/// the applications' ids (in the order sent) and the timeline.
async fn outage_under_steady_load(
    client: &reqwest::Client,
    sandbox: &str,
    servers: &[String],
) -> (Vec<String>, Timeline) {
    let mut timeline = Timeline::start();
    let mut submissions = tokio::task::JoinSet::new();
    let mut ticks = tokio::time::interval(TICK);
    for tick in 0.. {
        ticks.tick().await;
        if tick == DOWN_AT_TICK {
            set_behaviour(client, sandbox, tax_down()).await;
            timeline.down = timeline.now();
        }
        if tick == UP_AT_TICK {
            timeline.up = timeline.now();
            set_behaviour(client, sandbox, json!({})).await;
        }
        if tick < APPLICATIONS {
            let server = &servers[tick % servers.len()];
            let url = format!("{server}/api/v1/bundles/birth/applications");
            // Each tick's birth is another child's: the same birth twice is a duplicate.
            let (client, body) = (client.clone(), example("birth"));
            timeline.note_sent();
            submissions.spawn(async move {
                let response = client.post(url).json(&body).send().await.expect("sent");
                assert_eq!(response.status().as_u16(), 201, "accepted");
                let created: Value = response.json().await.expect("JSON");
                (tick, created["id"].as_str().expect("id").to_owned())
            });
        }
        timeline.note_sample(stats(client, sandbox).await);
        let made = timeline.last()[CERTIFICATE]["effects"].as_u64();
        if tick >= APPLICATIONS && made == Some(APPLICATIONS as u64) {
            break;
        }
        assert!(
            timeline.now() < Duration::from_secs(30),
            "certificates not all made after 30 s: {:#}",
            timeline.last()
        );
    }
    let mut ids = submissions.join_all().await;
    ids.sort();
    (ids.into_iter().map(|(_, id)| id).collect(), timeline)
}

async fn set_behaviour(client: &reqwest::Client, sandbox: &str, behaviours: Value) {
    let url = format!("{sandbox}/_sandbox/behaviour");
    let response = client
        .put(url)
        .json(&behaviours)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200, "behaviour replaced");
}

/// Once the circuit had opened (when the tax service had failed `FAILURES_TO_OPEN` calls
/// and those on their way had come), it got only probes until it came back: one per
/// `PROBE_MAX_MS` at most from all `instances` together, far fewer than the applications
/// sent meanwhile, and more than one. Before, each instance failed `FAILURES_TO_OPEN` calls
/// at most (each counts its own), and a few more were on their way.
fn assert_only_probed_while_down(t: &Timeline, instances: u64) {
    let opened = circuit_opened(t);
    let settled = t.at(opened) + IN_FLIGHT;
    let probes = t.calls_between(TAX, settled, t.up);
    let span = t.up - settled;
    // Past the first, probes go `PROBE_MAX_MS` apart, give or take their way to the sandbox.
    let most = (span + Duration::from_millis(100)).as_millis() as u64 / PROBE_MAX_MS + 1;
    let sent = t.sent_between(settled, t.up);
    let all = t.calls_between(TAX, t.down, t.up);
    eprintln!(
        "tax service down for {:?}: {all} calls; {FAILURES_TO_OPEN} failures after {:?}, \
         then {probes} calls in {span:?} ({most} at most) while {sent} applications were sent",
        t.up - t.down,
        t.at(opened) - t.down,
    );
    assert!(
        t.at(opened) - t.down < Duration::from_secs(1),
        "{FAILURES_TO_OPEN} failures came {:?} after the outage began",
        t.at(opened) - t.down
    );
    assert!(
        (2..=most).contains(&probes),
        "{probes} calls to the tax service in the {span:?} after its circuit opened: probes only"
    );
    assert!(
        probes * 2 <= sent,
        "{probes} calls while {sent} applications were sent"
    );
    // Each instance's failures and the calls it had on their way, and the first two probes
    // (`PROBE_FIRST_MS` apart): an instance may learn of the circuit a refresh after it opened.
    let early = all - probes;
    let most_early = instances * (FAILURES_TO_OPEN + 3) + 2;
    assert!(
        early <= most_early,
        "{early} calls before the circuit opened and settled ({most_early} at most)"
    );
}

/// The sample by which the tax service had failed enough calls to open its circuit.
fn circuit_opened(t: &Timeline) -> usize {
    let at_down = t.calls(t.last_before(t.down), TAX);
    (t.first_from(t.down)..t.len())
        .find(|&s| t.calls(s, TAX) >= at_down + FAILURES_TO_OPEN)
        .expect("the tax service failed enough calls to open its circuit")
}

/// The applications sent while every instance knew the circuit open (from a refresh after it
/// had settled until a while before the tax service came back): their tax calls were parked
/// as they were released, never handed to a dispatcher and held there (which would have cost
/// the writer an outcome each, and shown as `held` in their history).
async fn assert_parked_not_held(
    client: &reqwest::Client,
    server: &str,
    ids: &[String],
    t: &Timeline,
) {
    let from = t.at(circuit_opened(t)) + IN_FLIGHT + Duration::from_millis(2 * REFRESH_MS);
    let to = t.up - Duration::from_millis(300);
    let during: Vec<&String> = (ids.iter().enumerate())
        .filter(|(n, _)| (from..to).contains(&t.sent_at(*n)))
        .map(|(_, id)| id)
        .collect();
    assert!(during.len() >= 10, "{} applications sent", during.len());
    for id in during {
        let url = format!("{server}/api/v1/applications/{id}");
        let response = client.get(url).send().await.expect("sent");
        let application: Value = response.json().await.expect("JSON");
        let history = application["history"].as_array().expect("history");
        let held = |h: &Value| h["detail"].as_str().is_some_and(|d| d.starts_with("held"));
        assert!(!history.iter().any(held), "parked, not held: {history:#?}");
    }
}

/// While the tax service was down, the registration and the UNZR (in the tax call's stage)
/// were called for each application sent meanwhile: nothing waited for the tax service but
/// what needs its answer.
fn assert_the_others_went_on(t: &Timeline) {
    let sent = t.sent_between(t.down, t.up - Duration::from_millis(300));
    for other in [REGISTRATION, UNZR] {
        let calls = t.calls_between(other, t.down, t.up);
        eprintln!("{other}: {calls} calls during the outage, {sent} applications sent");
        assert!(
            calls >= sent,
            "{other}: {calls} calls while the tax service was down and {sent} applications were sent"
        );
    }
}

/// Once the tax service answered again, its backlog (at least the applications sent while
/// it was down) went out at its pace: `rate` a second, so it took at least
/// `(backlog - 1) / rate`, and no half second saw many more than `rate / 2`, nor much fewer
/// (the drain kept its pace).
fn assert_drained_at_pace(t: &Timeline, rate: f64) {
    let up = t.last_before(t.up);
    let base = t.calls(up, TAX);
    let answered = (up..t.len())
        .find(|&s| t.calls(s, TAX) > base)
        .expect("the tax service was called again");
    let from = answered - 1;
    let backlog = t.sent_between(t.down, t.up - Duration::from_millis(200));
    let drained = (from..t.len())
        .find(|&s| t.calls(s, TAX) >= base + backlog)
        .expect("the backlog went out");
    let took = t.at(drained) - t.at(from);
    let least = Duration::from_secs_f64((backlog - 1) as f64 / rate);
    let busiest = t.busiest(TAX, from, Duration::from_millis(500));
    eprintln!(
        "tax service back {:?} after it came up; backlog of {backlog} went out in {took:?} \
         ({least:?} at least), busiest 0.5 s: {busiest} calls",
        t.at(answered) - t.up
    );
    assert!(
        took + Duration::from_millis(100) >= least,
        "a backlog of {backlog} went out in {took:?}, faster than {rate} a second"
    );
    // Paced calls go 1 / rate apart, but a few go together after the dispatcher was held up.
    let half = rate / 2.0;
    assert!(
        (half * 0.6..=half + 4.0).contains(&(busiest as f64)),
        "{busiest} calls in the busiest half second, at {rate} a second"
    );
}
