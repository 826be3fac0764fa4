//! The load mode: clients submitting full birth applications for a fixed time.
//!
//! Without `--rate` (closed loop, for the maximum rate), each client waits for its application
//! to finish before submitting the next: it sleeps for the critical path, then asks every
//! `poll` (or a tenth of the time waited so far, whichever is longer). With `--rate` (open
//! loop, for latency at a given load), clients submit at that total rate and do not wait:
//! nothing asks the server during the run, which ends when the sandbox has answered every call
//! of every application; only then is each application read back. Either way the latency is
//! the server's own (`submitted_at` to the application's last transition), so the questions
//! change the pacing, not the figure.

use super::Bench;
use super::chain::Chains;
use super::machine::CpuTimes;
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
    /// Submitted and not waited for (with a rate: the run does not ask during the run).
    submitted: Vec<String>,
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
    /// Wait for the next slot; false when it would come after `deadline`.
    async fn wait(&self, deadline: Instant) -> bool {
        if let Some(interval) = self.interval {
            let n = self.issued.fetch_add(1, Ordering::Relaxed);
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            let slot = self.start + interval * n;
            if slot.into_std() >= deadline {
                return false;
            }
            tokio::time::sleep_until(slot).await;
        }
        Instant::now() < deadline
    }
}

pub(super) async fn run(bench: Arc<Bench>, server: &Server) -> anyhow::Result<()> {
    bench.answers.take();
    let sandbox_before = bench.sandbox_stats().await?;
    let usage_before = server.usage()?;
    let own_before = own_cpu();
    let machine_before = CpuTimes::now();
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
    let mut results = clients.join_all().await;
    let submitted: Vec<String> = results
        .iter_mut()
        .flat_map(|r| r.submitted.drain(..))
        .collect();
    let expected = sandbox_before.calls + submitted.len() as u64 * bench.calls;
    wait_for_calls(&bench, expected).await?;
    let elapsed = start.elapsed();
    let usage = server.usage()?;
    let machine = CpuTimes::now()
        .zip(machine_before)
        .and_then(|(after, before)| after.since(&before));
    let sandbox = bench.sandbox_stats().await?;
    let calls = sandbox.calls - sandbox_before.calls;
    let per_call = sandbox.mean_answer_since(&sandbox_before);
    results.push(read_back(&bench, &server.url, submitted).await);
    let answered = Chains::by_application(bench.answers.take());
    let clients = results.iter().map(summary);
    let figures = Figures::gather(&bench, clients, elapsed, calls, per_call, &answered);
    let bench_cpu = own_cpu().saturating_sub(own_before);
    figures.print(
        usage.cpu.saturating_sub(usage_before.cpu),
        usage,
        bench_cpu,
        machine,
    );
    Ok(())
}

fn summary(r: &ClientResult) -> (&[Finished], u64, u64, Option<&str>) {
    (&r.finished, r.polls, r.errors, r.last_error.as_deref())
}

async fn client(bench: &Bench, server: &str, deadline: Instant, pacer: &Pacer) -> ClientResult {
    let mut result = ClientResult::default();
    loop {
        if !pacer.wait(deadline).await {
            return result;
        }
        let outcome = match bench.submit(server).await {
            Ok(id) if pacer.interval.is_some() => {
                result.submitted.push(id);
                continue;
            }
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

/// Wait (at most two minutes after the run) until the sandbox has answered `expected` calls
/// in all, so every submitted application has made its last call; then a moment for the last
/// completions to be recorded.
async fn wait_for_calls(bench: &Bench, expected: u64) -> anyhow::Result<()> {
    let give_up = Instant::now() + Duration::from_secs(120);
    while bench.sandbox_stats().await?.calls < expected && Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(())
}

/// After a paced run: each submitted application's latency, read once it has finished (the
/// questions are asked after the server's usage was read).
async fn read_back(bench: &Arc<Bench>, server: &str, ids: Vec<String>) -> ClientResult {
    let mut result = ClientResult::default();
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids {
        if tasks.len() >= 16
            && let Some(done) = tasks.join_next().await
        {
            record(&mut result, done);
        }
        let (bench, server) = (bench.clone(), server.to_owned());
        tasks.spawn(async move { wait_finished(&bench, &server, &id, &mut 0).await });
    }
    while let Some(done) = tasks.join_next().await {
        record(&mut result, done);
    }
    result
}

fn record(
    result: &mut ClientResult,
    done: Result<anyhow::Result<Finished>, tokio::task::JoinError>,
) {
    match done.map_err(anyhow::Error::from).and_then(|r| r) {
        Ok(finished) => result.finished.push(finished),
        Err(e) => {
            result.errors += 1;
            result.last_error = Some(format!("{e:#}"));
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
    let submitted = Instant::now();
    tokio::time::sleep(bench.critical_path()).await;
    let give_up = Instant::now() + Duration::from_secs(120);
    loop {
        *polls += 1;
        let body: Value = bench.http.get(&url).send().await?.json().await?;
        let status = body["status"].as_str().unwrap_or_default();
        if status != "in_progress" {
            return finished(id, &body);
        }
        anyhow::ensure!(
            Instant::now() < give_up,
            "application {id} still in progress"
        );
        // Every `poll`, or a tenth of the time waited so far when that is longer, so that a
        // slow server is not slowed further by the questions.
        let waited = submitted.elapsed() / 10;
        tokio::time::sleep(bench.options.poll.max(waited)).await;
    }
}

/// The latency from `submitted_at` to the last recorded transition (the application's own
/// final status), both stored in milliseconds.
fn finished(id: &str, body: &Value) -> anyhow::Result<Finished> {
    let time = |v: &Value| -> anyhow::Result<jiff::Timestamp> {
        let text = v.as_str().context("a timestamp")?;
        Ok(text.parse()?)
    };
    let submitted = time(&body["submitted_at"])?;
    let history = body["history"].as_array().context("history")?;
    let last = history.last().context("an empty history")?;
    let ended = time(&last["at"])?;
    Ok(Finished {
        id: id.to_owned(),
        submitted: submitted.as_microsecond(),
        ended: ended.as_microsecond(),
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
        let f = finished("x", &body).expect("finished");
        assert_eq!(f.latency(), Duration::from_millis(93));
        assert_eq!(f.status, "completed");
    }
}
