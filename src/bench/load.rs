//! The load mode: N clients, each submitting a full birth application and waiting for it to
//! finish before submitting the next, for a fixed time (optionally capped at a total rate).
//!
//! A client sleeps for the critical path before it first asks, then asks every `poll`; the
//! latency it records is the server's own (`submitted_at` to the application's last
//! transition), so how often it asks changes the pacing, not the figure.

use super::Bench;
use super::report::{Figures, Finished};
use super::server::{Server, own_cpu};
use anyhow::Context;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What one client saw.
#[derive(Default)]
struct ClientResult {
    finished: Vec<Finished>,
    polls: u64,
    errors: u64,
    last_error: Option<String>,
}

/// Spaces submissions `1 / rate` apart across all clients.
struct Pacer {
    start: tokio::time::Instant,
    interval: Option<Duration>,
    issued: AtomicU64,
}

impl Pacer {
    async fn wait(&self) {
        if let Some(interval) = self.interval {
            let n = self.issued.fetch_add(1, Ordering::Relaxed);
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            tokio::time::sleep_until(self.start + interval * n).await;
        }
    }
}

pub(super) async fn run(bench: Arc<Bench>, server: &Server) -> anyhow::Result<()> {
    let calls_before = bench.sandbox_calls().await?;
    let usage_before = server.usage()?;
    let own_before = own_cpu();
    let start = Instant::now();
    let deadline = start + bench.options.duration;
    let pacer = Arc::new(Pacer {
        start: tokio::time::Instant::now(),
        interval: bench.options.rate.map(|r| Duration::from_secs_f64(1.0 / r)),
        issued: AtomicU64::new(0),
    });
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..bench.options.clients.max(1) {
        let (bench, url, pacer) = (bench.clone(), server.url.clone(), pacer.clone());
        clients.spawn(async move { client(&bench, &url, deadline, &pacer).await });
    }
    let results = clients.join_all().await;
    let elapsed = start.elapsed();
    let usage = server.usage()?;
    let calls = bench.sandbox_calls().await? - calls_before;
    let figures = Figures::gather(&bench, results.iter().map(summary), elapsed, calls);
    let bench_cpu = own_cpu().saturating_sub(own_before);
    figures.print(usage.cpu.saturating_sub(usage_before.cpu), usage, bench_cpu);
    Ok(())
}

fn summary(r: &ClientResult) -> (&[Finished], u64, u64, Option<&str>) {
    (&r.finished, r.polls, r.errors, r.last_error.as_deref())
}

async fn client(bench: &Bench, server: &str, deadline: Instant, pacer: &Pacer) -> ClientResult {
    let mut result = ClientResult::default();
    loop {
        pacer.wait().await;
        if Instant::now() >= deadline {
            return result;
        }
        let outcome = match bench.submit(server).await {
            Ok(id) => wait_finished(bench, server, &id, &mut result.polls).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(finished) => result.finished.push(finished),
            Err(e) => {
                result.errors += 1;
                result.last_error = Some(format!("{e:#}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Wait until the application is no longer in progress; its latency by the server's records.
async fn wait_finished(
    bench: &Bench,
    server: &str,
    id: &str,
    polls: &mut u64,
) -> anyhow::Result<Finished> {
    let url = format!("{server}/api/v1/applications/{id}");
    tokio::time::sleep(bench.critical_path()).await;
    let give_up = Instant::now() + Duration::from_secs(120);
    loop {
        *polls += 1;
        let body: Value = bench.http.get(&url).send().await?.json().await?;
        let status = body["status"].as_str().unwrap_or_default();
        if status != "in_progress" {
            return finished(&body);
        }
        anyhow::ensure!(
            Instant::now() < give_up,
            "application {id} still in progress"
        );
        tokio::time::sleep(bench.options.poll).await;
    }
}

/// The latency from `submitted_at` to the last recorded transition (the application's own
/// final status), both stored in milliseconds.
fn finished(body: &Value) -> anyhow::Result<Finished> {
    let time = |v: &Value| -> anyhow::Result<jiff::Timestamp> {
        let text = v.as_str().context("a timestamp")?;
        Ok(text.parse()?)
    };
    let submitted = time(&body["submitted_at"])?;
    let history = body["history"].as_array().context("history")?;
    let last = history.last().context("an empty history")?;
    let ended = time(&last["at"])?;
    let latency = ended.duration_since(submitted).unsigned_abs();
    Ok(Finished {
        latency,
        status: body["status"].as_str().unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn latency_from_the_server_records() {
        let body = json!({
            "status": "completed",
            "submitted_at": "2026-11-21T10:00:00.007Z",
            "history": [{"at": "2026-11-21T10:00:00.007Z"}, {"at": "2026-11-21T10:00:00.1Z"}],
        });
        let f = finished(&body).expect("finished");
        assert_eq!(f.latency, Duration::from_millis(93));
        assert_eq!(f.status, "completed");
    }
}
