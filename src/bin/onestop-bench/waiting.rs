//! The waiting mode: many applications parked on asynchronous answers (every registry answers
//! 202 and holds its callback back for an hour), and the server's memory while they wait.
//! Waiting work lives in the database, so the server's memory should not grow with it.

use super::Bench;
use super::report::mb;
use super::server::Server;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(super) async fn run(bench: &Arc<Bench>, server: &Server, count: usize) -> anyhow::Result<()> {
    let before = server.usage()?;
    let start = Instant::now();
    let last = submit_all(bench, &server.url, count).await?;
    let submitted = start.elapsed();
    let calls = wait_for_calls(bench, count as u64).await?;
    // Let the last 202s be recorded.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let status = sample_status(bench, &server.url, &last).await?;
    let after = server.usage()?;
    println!(
        "applications waiting         {count} (submitted in {:.1} s, {calls} registry calls answered 202; the last one: {status})",
        submitted.as_secs_f64()
    );
    println!("server RSS before            {:.1} MB", mb(before.rss));
    println!("server RSS while waiting     {:.1} MB", mb(after.rss));
    println!("server peak RSS              {:.1} MB", mb(after.peak_rss));
    println!(
        "server CPU                   {:.1} s",
        after.cpu.as_secs_f64()
    );
    Ok(())
}

/// Submit `count` applications, `clients` at a time; the id of the last one.
async fn submit_all(bench: &Arc<Bench>, server: &str, count: usize) -> anyhow::Result<String> {
    let mut tasks = tokio::task::JoinSet::new();
    let mut last = String::new();
    for _ in 0..count {
        if tasks.len() >= bench.options.clients.max(1)
            && let Some(done) = tasks.join_next().await
        {
            last = done??;
        }
        let (bench, server) = (bench.clone(), server.to_owned());
        tasks.spawn(async move { bench.submit(&server).await });
    }
    while let Some(done) = tasks.join_next().await {
        last = done??;
    }
    Ok(last)
}

/// Wait (at most two minutes) until the sandbox has seen `count` calls.
async fn wait_for_calls(bench: &Bench, count: u64) -> anyhow::Result<u64> {
    let give_up = Instant::now() + Duration::from_secs(120);
    loop {
        let calls = bench.sandbox_stats().await?.calls;
        if calls >= count || Instant::now() > give_up {
            return Ok(calls);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The status of one application and of its first sub-request, as the API shows them.
async fn sample_status(bench: &Bench, server: &str, id: &str) -> anyhow::Result<String> {
    let url = format!("{server}/api/v1/applications/{id}");
    let body: Value = bench.http.get(url).send().await?.json().await?;
    let first = body["services"]
        .as_array()
        .and_then(|s| s.first())
        .map(|s| format!("{} {}", s["service"], s["status"]))
        .unwrap_or_default();
    Ok(format!("{}, {first}", body["status"]))
}
