//! The end of a run with an outage: every submitted application read until none is in
//! progress, or until a limit.
//!
//! The open loop's usual end (the sandbox has answered as many calls as the applications make)
//! comes too early when refused calls are retried, and never when a call fails for good and
//! its dependents are never sent; so this end asks the server instead: one pass over the
//! applications not yet finished, 16 at a time, then again two seconds later. It reads and
//! keeps what it read; it must not judge it.

use super::Bench;
use super::load::finished;
use super::report::Finished;
use anyhow::Context;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An application still in progress when the bench stopped waiting for it.
#[derive(Debug, Clone)]
pub struct Open {
    pub id: String,
    /// Its `submitted_at`, in microseconds since the epoch.
    pub submitted: i64,
}

/// What the reads found.
#[derive(Default)]
pub struct Settled {
    pub finished: Vec<Finished>,
    pub open: Vec<Open>,
    /// Reads that failed (the application is read again in the next pass).
    pub errors: u64,
    pub last_error: Option<String>,
}

/// One read of one application.
enum Read {
    Finished(Finished),
    Open(Open),
}

/// How long between two passes over the applications still in progress.
const PASS: Duration = Duration::from_secs(2);

/// Read every application in `ids` until none is in progress or `give_up` has passed.
pub async fn settle(
    bench: &Arc<Bench>,
    server: &str,
    ids: Vec<String>,
    give_up: Instant,
) -> Settled {
    let mut settled = Settled::default();
    let mut pending = ids;
    let mut told = Instant::now();
    loop {
        let (open, unread) = pass(bench, server, pending, &mut settled).await;
        if (open.is_empty() && unread.is_empty()) || Instant::now() >= give_up {
            settled.open = open;
            return settled;
        }
        if told.elapsed() >= Duration::from_secs(30) {
            eprintln!("waiting for {} applications still in progress", open.len());
            told = Instant::now();
        }
        pending = open.into_iter().map(|o| o.id).chain(unread).collect();
        tokio::time::sleep(PASS).await;
    }
}

/// Read each of `ids` once: the finished go into `settled`; those in progress, and the ids
/// whose read failed, are returned.
async fn pass(
    bench: &Arc<Bench>,
    server: &str,
    ids: Vec<String>,
    settled: &mut Settled,
) -> (Vec<Open>, Vec<String>) {
    let (mut open, mut unread) = (Vec::new(), Vec::new());
    let mut keep = |done: Result<(String, anyhow::Result<Read>), tokio::task::JoinError>| match done
        .map_err(anyhow::Error::from)
    {
        Ok((_, Ok(Read::Finished(f)))) => settled.finished.push(f),
        Ok((_, Ok(Read::Open(o)))) => open.push(o),
        Ok((id, Err(e))) => {
            settled.errors += 1;
            settled.last_error = Some(format!("{e:#}"));
            unread.push(id);
        }
        Err(e) => {
            settled.errors += 1;
            settled.last_error = Some(format!("{e:#}"));
        }
    };
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids {
        if tasks.len() >= 16
            && let Some(done) = tasks.join_next().await
        {
            keep(done);
        }
        let (bench, server) = (bench.clone(), server.to_owned());
        tasks.spawn(async move {
            let read = read(&bench, &server, &id).await;
            (id, read)
        });
    }
    while let Some(done) = tasks.join_next().await {
        keep(done);
    }
    (open, unread)
}

async fn read(bench: &Bench, server: &str, id: &str) -> anyhow::Result<Read> {
    let url = format!("{server}/api/v1/applications/{id}");
    let response = bench.http.get(&url).send().await?.error_for_status()?;
    let body: Value = response.json().await?;
    if body["status"].as_str() != Some("in_progress") {
        return Ok(Read::Finished(finished(id, &body)?));
    }
    let submitted: jiff::Timestamp = (body["submitted_at"].as_str())
        .context("no submitted_at")?
        .parse()?;
    Ok(Read::Open(Open {
        id: id.to_owned(),
        submitted: submitted.as_microsecond(),
    }))
}
