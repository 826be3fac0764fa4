//! The writer: a task that stores new applications and the outcomes of calls, everything that
//! is ready at once in one transaction (a group commit). An instance has one on SQLite (one
//! writer at a time is all SQLite allows) and several on PostgreSQL, each with the jobs of its
//! own share of the applications.
//!
//! While one transaction runs, the next batch gathers in the channel, so the busier the
//! instance the larger the batches and the fewer the commits; alone, a job waits for nothing.
//! In the same transaction the writer claims the calls that the batch releases (or that new
//! applications start with) and hands them straight to the dispatcher, with what their
//! requests need; calls the dispatcher already started on an answer it had (`Flight`) are
//! claimed too, but not handed over again. A batch that fails is stored again job by job, so
//! one bad job cannot hold back the others.

use super::gates::Gates;
pub(super) use super::jobs::{Audit, Done, Inboxes, Insert, Job};
use super::{DispatchSettings, Handed};
use crate::store::{
    Audits, Claim, Completion, Message, NewApplication, Parked, Recorded, Store, StoreError, Take,
    WriteConnection, now_ms,
};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Notify, mpsc, oneshot};

/// What a writer shares with its dispatcher: the store, the settings, the count of claims held
/// in memory (the writer takes more only while there is room), the dispatcher's wake-up and
/// the registries' gates (the calls of an unavailable registry are parked, not taken).
pub(super) struct Handle {
    pub store: Store,
    pub settings: Arc<DispatchSettings>,
    pub held: Arc<AtomicUsize>,
    pub wake: Arc<Notify>,
    pub gates: Arc<Gates>,
    pub telemetry: Arc<crate::telemetry::Telemetry>,
    /// Once the instance is stopping, the writer claims nothing more.
    pub stopping: Arc<super::dispatcher::Stopping>,
}

/// Jobs stored in one transaction at most (more wait for the next).
const MAX_BATCH: usize = 512;

/// Run a writer on a thread of its own, with a runtime of its own, until `stopped` (its
/// sender dropped). A writer mostly waits for the database. On the shared runtime, busy with
/// hundreds of calls, each answer also waited for a worker to pick it up, several times as long
/// as the database took to give it.
pub(super) fn spawn_thread(
    writer: impl Future<Output = ()> + Send + 'static,
    stopped: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("onestop-writer".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    () = writer => {}
                    _ = stopped => {}
                }
            });
        })?;
    Ok(())
}

/// Run until the channel closes or the writer's thread is stopped.
pub(super) async fn run(
    dispatcher: Handle,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    claims: mpsc::UnboundedSender<Handed>,
) {
    let mut batch: Vec<Job> = Vec::new();
    // Outcomes put off to the next batch (below).
    let mut later: Vec<Done> = Vec::new();
    // Held from the first batch on, and given back after an error (see `WriteConnection`).
    let mut conn: Option<WriteConnection> = None;
    // Answered once nothing given before them is left to store.
    let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
    loop {
        if later.is_empty() {
            if jobs.recv_many(&mut batch, MAX_BATCH).await == 0 {
                return;
            }
        } else {
            // What was put off goes now, with whatever else is waiting, without waiting more.
            while batch.len() < MAX_BATCH {
                let Ok(job) = jobs.try_recv() else { break };
                batch.push(job);
            }
        }
        let mut sorted = Sorted::from(std::mem::take(&mut later), &mut batch);
        flushes.append(&mut sorted.flushes);
        let nothing = sorted.done.is_empty() && sorted.inserts.is_empty();
        if nothing && sorted.audits.is_empty() && sorted.repeats.is_empty() {
            answer_flushes(&mut flushes);
            continue;
        }
        let (inserts, audits, repeats) = (sorted.inserts, sorted.audits, sorted.repeats);
        let done = put_off(std::mem::take(&mut sorted.done), &mut later);
        let audit = (audits, repeats.as_slice());
        let (taken, wake) = write(&dispatcher, &mut conn, inserts, audit, &done).await;
        let held = &dispatcher.held;
        held.fetch_add(taken.len(), Ordering::Relaxed);
        held.fetch_sub(done.len(), Ordering::Relaxed);
        for handed in Handed::with_flights(taken) {
            if claims.send(handed).is_err() {
                return;
            }
        }
        if wake {
            dispatcher.wake.notify_one();
        }
        if later.is_empty() {
            answer_flushes(&mut flushes);
        }
    }
}

/// The outcomes to store now; those put off to `later`. An outcome of a call started early
/// must be stored after the outcome that released it, which claims the call: when both are
/// here, it waits for the next batch.
fn put_off(done: Vec<Done>, later: &mut Vec<Done>) -> Vec<Done> {
    let started = started_early(&done);
    if started.is_empty() {
        return done;
    }
    let waits: Vec<bool> = (done.iter())
        .map(|d| started.contains(d.claim.id.as_str()))
        .collect();
    let mut now = Vec::with_capacity(done.len());
    for (d, wait) in done.into_iter().zip(waits) {
        if wait { later.push(d) } else { now.push(d) }
    }
    now
}

/// Everything given before these flushes is stored: say so.
fn answer_flushes(flushes: &mut Vec<oneshot::Sender<()>>) {
    for flush in flushes.drain(..) {
        let _ = flush.send(());
    }
}

/// A batch's jobs by kind.
struct Sorted {
    inserts: Vec<Insert>,
    audits: Vec<Audit>,
    repeats: Vec<(i64, i64, i64)>,
    done: Vec<Done>,
    flushes: Vec<oneshot::Sender<()>>,
}

impl Sorted {
    /// The outcomes put off from the last batch (`later`), then the jobs of `batch`.
    fn from(later: Vec<Done>, batch: &mut Vec<Job>) -> Self {
        let mut sorted = Sorted {
            inserts: Vec::new(),
            audits: Vec::new(),
            repeats: Vec::new(),
            done: later,
            flushes: Vec::new(),
        };
        for job in batch.drain(..) {
            match job {
                Job::Insert(insert) => sorted.inserts.push(insert),
                Job::Done(d) => sorted.done.push(d),
                Job::Audit(a) => sorted.audits.push(a),
                Job::Repeats(r) => sorted.repeats.extend(r),
                Job::Flush(reply) => sorted.flushes.push(reply),
            }
        }
        sorted
    }
}

/// A stored batch's new applications are told so; each audit job gets the numbers of its
/// entries (they were appended after the new applications' own entries, in job order).
fn answer(
    inserts: Vec<Insert>,
    audits: Vec<Audit>,
    (numbers, refused): (&[i64], &mut Vec<(String, Vec<crate::store::Earlier>)>),
) {
    for insert in inserts {
        let refusal = refusal(&insert, refused);
        let _ = insert.reply.send(Ok(refusal));
    }
    let mut rest = numbers;
    for audit in audits {
        let (mine, others) = rest.split_at(audit.entries.len().min(rest.len()));
        rest = others;
        let _ = audit.reply.send(Ok(mine.to_vec()));
    }
}

/// The earlier applications a new one was refused for repeating, if it was.
fn refusal(
    insert: &Insert,
    refused: &mut Vec<(String, Vec<crate::store::Earlier>)>,
) -> Option<Vec<crate::store::Earlier>> {
    let at = (refused.iter()).position(|(id, _)| id == insert.new.id.as_str())?;
    Some(refused.swap_remove(at).1)
}

/// The calls that the outcomes released and started before they were stored.
fn started_early(done: &[Done]) -> BTreeSet<&str> {
    done.iter()
        .flat_map(|d| &d.early)
        .map(String::as_str)
        .collect()
}

/// How many claims a batch may take, with `held` held besides: up to twice the dispatcher's
/// concurrency in all, none once the instance is stopping.
fn room(dispatcher: &Handle, held: usize) -> usize {
    match dispatcher.stopping.is_stopping() {
        true => 0,
        false => (2 * dispatcher.settings.concurrency).saturating_sub(held),
    }
}

/// Store one batch; the claims taken, and whether the dispatcher should look in the database
/// (work was left `ready`, or claims it could not take for lack of room are now possible).
async fn write(
    dispatcher: &Handle,
    conn: &mut Option<WriteConnection>,
    inserts: Vec<Insert>,
    (audits, repeats): (Vec<Audit>, &[(i64, i64, i64)]),
    done: &[Done],
) -> (Vec<Claim>, bool) {
    let settings = &dispatcher.settings;
    // Claims still held besides this batch's outcomes, which are done.
    let held = dispatcher
        .held
        .load(Ordering::Relaxed)
        .saturating_sub(done.len());
    let room = room(dispatcher, held);
    let started = started_early(done);
    let unavailable = dispatcher.gates.unavailable();
    let take = Take {
        instance: &settings.instance,
        lease_ms: settings.lease.as_millis() as i64,
        limit: room,
        started: &started,
        parked: Parked {
            services: &unavailable.services,
            until: dispatcher.gates.park_until(now_ms()),
        },
    };
    let news: Vec<&NewApplication> = inserts.iter().map(|i| &i.new).collect();
    let pairs: Vec<_> = done.iter().map(Done::recorded).collect();
    let store = &dispatcher.store;
    let entries: Vec<&crate::audit::Entry> = audits.iter().flat_map(|a| &a.entries).collect();
    let audit = Audits {
        entries: &entries,
        repeats,
    };
    (dispatcher.telemetry).writer_batch(news.len() + pairs.len() + audits.len() + repeats.len());
    let recorded = match record(store, conn, &news, &pairs, audit, Some(take)).await {
        Ok(mut recorded) => {
            answer(inserts, audits, (&recorded.audited, &mut recorded.refused));
            recorded
        }
        Err(e) => {
            tracing::warn!(error = ?e, applications = news.len(), outcomes = pairs.len(), "Failed to store a batch; storing its jobs one by one");
            let recorded = one_by_one(store, conn, inserts, (audits, repeats), done, take).await;
            dispatcher
                .gates
                .unpark_closed(&unavailable.registries)
                .await;
            return (recorded.claims, true);
        }
    };
    dispatcher
        .gates
        .unpark_closed(&unavailable.registries)
        .await;
    warn_of_lost_leases(&pairs, &recorded.applied);
    let full = recorded.claims.len() >= room;
    let was_busy = held + done.len() >= settings.concurrency;
    (recorded.claims, full || was_busy)
}

fn warn_of_lost_leases(pairs: &[(&Claim, &Completion, Option<&Message>)], applied: &[bool]) {
    for (pair, applied) in pairs.iter().zip(applied) {
        if !applied {
            tracing::warn!(application.id = %pair.0.application_id, service.id = %pair.0.service_id, "Lease lost before the outcome was recorded; another instance repeats the call");
        }
    }
}

/// Each job of a failed batch alone, taking nothing but the calls an outcome started early
/// (the rest of what they release stays `ready` for the dispatcher to claim). A new application
/// that still fails gets its error; an outcome that still fails is logged and its lease left to
/// expire (the call is repeated with the same key).
async fn one_by_one(
    store: &Store,
    conn: &mut Option<WriteConnection>,
    inserts: Vec<Insert>,
    (audits, repeats): (Vec<Audit>, &[(i64, i64, i64)]),
    done: &[Done],
    take: Take<'_>,
) -> Recorded {
    for insert in inserts {
        let result = record(store, conn, &[&insert.new], &[], Audits::default(), None).await;
        let result = result.map(|mut r| refusal(&insert, &mut r.refused));
        let _ = insert.reply.send(result);
    }
    for audit in audits {
        let entries: Vec<&crate::audit::Entry> = audit.entries.iter().collect();
        let only = Audits {
            entries: &entries,
            repeats: &[],
        };
        let result = record(store, conn, &[], &[], only, None).await;
        let _ = audit.reply.send(result.map(|r| r.audited));
    }
    let counted = Audits {
        entries: &[],
        repeats,
    };
    if !repeats.is_empty()
        && let Err(e) = record(store, conn, &[], &[], counted, None).await
    {
        tracing::warn!(error = ?e, "Counts of repeated reads not stored");
    }
    let mut recorded = Recorded::default();
    for d in done {
        let started = started_early(std::slice::from_ref(d));
        let take = Take {
            limit: 0,
            started: &started,
            ..take
        };
        let pair = d.recorded();
        match record(store, conn, &[], &[pair], Audits::default(), Some(take)).await {
            Ok(one) => recorded.applied.extend(one.applied),
            Err(e) => {
                tracing::error!(error = ?e, application.id = %d.claim.application_id, service.id = %d.claim.service_id, "Failed to record a registry outcome; the lease will expire and the call be repeated");
            }
        }
    }
    recorded
}

/// `Store::record` on the writer's connection, taken from the pool if it has none; after an
/// error the connection goes back (the pool closes it if it is broken) and the next batch
/// takes another.
async fn record(
    store: &Store,
    conn: &mut Option<WriteConnection>,
    new: &[&NewApplication],
    done: &[(&Claim, &Completion, Option<&Message>)],
    audit: Audits<'_>,
    take: Option<Take<'_>>,
) -> Result<Recorded, StoreError> {
    let held = match conn {
        Some(held) => held,
        None => conn.insert(store.write_connection().await?),
    };
    let recorded = store.record(held, new, done, audit, take).await;
    if recorded.is_err() {
        *conn = None;
    }
    recorded
}
