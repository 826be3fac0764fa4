//! A clean stop (SIGTERM on a deploy): the real `onestop serve` binary, stopped with calls in
//! flight beside a second instance on the same database, finishes those calls, exits 0 and
//! gives back the rest at once, so that the second instance completes every application within
//! a second of the first's exit (not after the lease of a minute), each registry effect made
//! once.

use crate::durability::{Instance, assert_one_effect_each, spawn_sandbox, stats, submit_births};
use crate::helpers::{Db, fresh_database};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const APPLICATIONS: usize = 8;

on_both_databases!(
    stopped_with_calls_in_flight_an_instance_finishes_them_and_another_takes_the_rest_at_once,
    calls_cut_off_at_the_end_of_the_grace_period_are_taken_over_at_once_and_made_once,
);

/// Instances that hold their claims for a minute: only a given-back claim is taken at once.
const SETTINGS: [(&str, &str); 2] = [
    ("ONESTOP__DISPATCHER__LEASE_MS", "60000"),
    ("ONESTOP__REGISTRIES__TIMEOUT_MS", "5000"),
];

async fn stopped_with_calls_in_flight_an_instance_finishes_them_and_another_takes_the_rest_at_once(
    db: Db,
) {
    let stats = stop_mid_flight(db, 10, 600, Duration::from_secs(1)).await;
    for (service, counts) in stats.as_object().expect("stats object") {
        assert_eq!(
            counts["calls"], counts["effects"],
            "{service}: no call was made twice ({counts})"
        );
    }
}

async fn calls_cut_off_at_the_end_of_the_grace_period_are_taken_over_at_once_and_made_once(db: Db) {
    // A grace of one second for calls of three: those in flight are cut off and given back;
    // the registry made their effect, and the repeat under the same key makes none. The repeat
    // takes the registry's three seconds again, and then a second at most.
    stop_mid_flight(db, 1, 3000, Duration::from_secs(4)).await;
}

/// Submit to a first instance whose first stage takes `latency_ms` at the registry, SIGTERM it
/// while those calls are out (with `grace` seconds to finish), and let a second instance,
/// running all along, complete the rest `within` the first's exit: the sandbox's stats at the
/// end.
async fn stop_mid_flight(db: Db, grace: u64, latency_ms: u64, within: Duration) -> Value {
    let (database, _dir) = fresh_database(db).await;
    let sandbox = spawn_sandbox(json!({
        "default": { "latency": { "fixed_ms": 0 } },
        "services": { "civil.birth-registration": { "latency": { "fixed_ms": latency_ms } } }
    }))
    .await;
    let client = crate::helpers::staff_client(&database).await;
    let grace = grace.to_string();
    let first_settings = [
        SETTINGS.as_slice(),
        &[("ONESTOP__SERVER__SHUTDOWN_GRACE_SECONDS", &grace)],
    ]
    .concat();
    let first = Instance::start_with(&database, &sandbox, "first", 32, &first_settings);
    let second = Instance::start_with(&database, &sandbox, "second", 32, &SETTINGS);
    let ids = submit_births(&client, std::slice::from_ref(&first.url), APPLICATIONS).await;
    let first_stage = "civil.birth-registration";
    while stats(&client, &sandbox).await[first_stage]["calls"].as_u64() < Some(APPLICATIONS as u64)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let at_stop = stats(&client, &sandbox).await;
    assert_eq!(
        at_stop[first_stage]["answered"], 0,
        "the first stage is in flight: {at_stop}"
    );

    let sigterm = Instant::now();
    // Waited for off the test's runtime, which serves the sandbox meanwhile.
    let stopping = tokio::task::spawn_blocking(move || {
        let mut first = first;
        first.terminate()
    });
    let status = stopping.await.expect("the stop is waited for");
    let exited = Instant::now();
    eprintln!("stopped {:?} after SIGTERM", exited - sigterm);
    assert!(status.success(), "the stopped instance exits 0: {status}");
    let took = until_completed(&client, &second.url, &ids).await;
    assert!(
        took < within,
        "the second instance completed the rest {took:?} after the first exited"
    );
    eprintln!(
        "completed {took:?} after the first instance exited ({:?} since)",
        exited.elapsed()
    );
    let after = stats(&client, &sandbox).await;
    assert_one_effect_each(&after, APPLICATIONS);
    after
}

/// Poll every application every few milliseconds until all are completed (bounded by the
/// lease a stop must not wait for); how long it took.
async fn until_completed(client: &reqwest::Client, server: &str, ids: &[String]) -> Duration {
    let started = Instant::now();
    let mut left: Vec<&String> = ids.iter().collect();
    while !left.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{} left",
            left.len()
        );
        let mut still = Vec::new();
        for id in left {
            let url = format!("{server}/api/v1/applications/{id}");
            let body: Value = (client.get(url).send().await.expect("sent"))
                .json()
                .await
                .expect("JSON");
            match body["status"].as_str() {
                Some("completed") => {}
                Some("in_progress") => still.push(id),
                other => panic!("application {id} ended {other:?}: {body}"),
            }
        }
        left = still;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}
