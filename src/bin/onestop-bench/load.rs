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
//!
//! With `--outage` (open loop only) a registry goes down during the run (`outage`), and the
//! run ends when every application has finished (`settle`), not when the expected calls were
//! answered: refused calls are retried, and a call that fails for good releases none.

use super::chain::Chains;
use super::machine::CpuTimes;
use super::outage::{self, Window};
use super::registries;
use super::report::{Figures, Finished};
use super::server::{Server, Usage, own_cpu};
use super::settle::{Open, settle};
use super::{Bench, SandboxStats};
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

/// What was read when the load began.
struct Before {
    at: Instant,
    sandbox: SandboxStats,
    usage: Usage,
    own: Duration,
    machine: Option<CpuTimes>,
}

/// What was read when the run ended, and the applications read back.
struct End {
    elapsed: Duration,
    sandbox: SandboxStats,
    usage: Usage,
    own: Duration,
    machine: Option<CpuTimes>,
    read: ClientResult,
    /// Still in progress when the bench stopped waiting (only after an outage).
    open: Vec<Open>,
    window: Option<Window>,
}

pub(super) async fn run(bench: Arc<Bench>, server: &Server) -> anyhow::Result<()> {
    bench.answers.take();
    let before = Before {
        sandbox: bench.sandbox_stats().await?,
        usage: server.usage()?,
        own: own_cpu(),
        machine: CpuTimes::now(),
        at: Instant::now(),
    };
    let outage = (bench.options.outage.clone())
        .map(|o| tokio::spawn(outage::impose(bench.clone(), o, before.at)));
    let mut results = submit(&bench, &server.url, before.at).await;
    let submitted: Vec<String> = (results.iter_mut())
        .flat_map(|r| r.submitted.drain(..))
        .collect();
    let count = submitted.len();
    let ids = match bench.options.protocol.is_trembita() {
        true => submitted.clone(),
        false => Vec::new(),
    };
    let end = match outage {
        None => paced_end(&bench, server, &before, submitted).await?,
        Some(task) => outage_end(&bench, server, &before, task.await??, submitted).await?,
    };
    results.push(end.read);
    let log = bench.chains.with_call_keys(bench.answers.take(), &ids);
    let answered = Chains::by_application(&log);
    let calls = end.sandbox.calls - before.sandbox.calls;
    let per_call = end.sandbox.mean_answer_since(&before.sandbox);
    let clients = results.iter().map(summary);
    let figures = Figures::gather(&bench, clients, end.elapsed, calls, per_call, &answered);
    let machine = (end.machine.zip(before.machine)).and_then(|(a, b)| a.since(&b));
    let server_cpu = end.usage.cpu.saturating_sub(before.usage.cpu);
    figures.print(
        server_cpu,
        end.usage,
        end.own.saturating_sub(before.own),
        machine,
    );
    if bench.options.rate.is_some() {
        let run = registries::Run {
            finished: results.iter().flat_map(|r| &r.finished).collect(),
            open: &end.open,
            submitted: count,
            window: end.window,
            answered: &answered,
            effects: end.sandbox.effects_since(&before.sandbox),
        };
        registries::print(&bench, &run);
    }
    Ok(())
}

/// The clients, each submitting until the run's time is up.
async fn submit(bench: &Arc<Bench>, server: &str, start: Instant) -> Vec<ClientResult> {
    let deadline = start + bench.options.duration;
    let pacer = Arc::new(Pacer {
        start: tokio::time::Instant::from_std(start),
        interval: bench.options.rate.map(|r| Duration::from_secs_f64(1.0 / r)),
        issued: AtomicU64::new(0),
    });
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..bench.options.clients.max(1) {
        let (bench, url, pacer) = (bench.clone(), server.to_owned(), pacer.clone());
        clients.spawn(async move { client(&bench, &url, deadline, &pacer).await });
    }
    clients.join_all().await
}

/// The usual end: once the sandbox has answered every call of every application submitted,
/// the server's usage is read, then each application (so the reads are not counted).
async fn paced_end(
    bench: &Arc<Bench>,
    server: &Server,
    before: &Before,
    submitted: Vec<String>,
) -> anyhow::Result<End> {
    let expected = before.sandbox.calls + submitted.len() as u64 * bench.calls;
    wait_for_calls(bench, expected).await?;
    let mut end = End::now(bench, server, before).await?;
    end.read = read_back(bench, &server.url, submitted).await;
    Ok(end)
}

/// The end after an outage: every application is read until none is in progress, at most ten
/// minutes after the outage (or the load, if later) ended; the reads are counted in the
/// server's usage, since the drain goes on while they are made.
async fn outage_end(
    bench: &Arc<Bench>,
    server: &Server,
    before: &Before,
    window: Window,
    submitted: Vec<String>,
) -> anyhow::Result<End> {
    let give_up = Instant::now() + Duration::from_secs(600);
    let settled = settle(bench, &server.url, submitted, give_up).await;
    let mut end = End::now(bench, server, before).await?;
    end.read.finished = settled.finished;
    end.read.errors = settled.errors;
    end.read.last_error = settled.last_error;
    end.open = settled.open;
    end.window = Some(window);
    Ok(end)
}

impl End {
    async fn now(bench: &Bench, server: &Server, before: &Before) -> anyhow::Result<Self> {
        Ok(Self {
            elapsed: before.at.elapsed(),
            sandbox: bench.sandbox_stats().await?,
            usage: server.usage()?,
            own: own_cpu(),
            machine: CpuTimes::now(),
            read: ClientResult::default(),
            open: Vec::new(),
            window: None,
        })
    }
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
pub(super) fn finished(id: &str, body: &Value) -> anyhow::Result<Finished> {
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
