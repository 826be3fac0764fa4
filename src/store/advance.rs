//! Settling applications after their calls changed: the calls the lifecycle releases become
//! ready (or are claimed at once for the writer's instance), those it blocks are blocked, and
//! each application's summary is stored.

use super::claim::{Claim, TakenRows, Taking};
use super::history::{Change, record_history};
use super::sql::{IN_CHUNK, Param, batch, bucket, padded, placeholders, update_in};
use super::{ApplicationStatus, Backend, StoreError, SubKind, SubStatus};
use crate::lifecycle::{self, CallKey, Stage};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, BTreeSet};

/// Release waiting sub-requests whose dependencies all succeeded, block those behind a failure,
/// and store the application's new summary.
pub(super) async fn advance(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    application_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    let mut history = Vec::new();
    advance_many(tx, backend, &[application_id], now, None, &mut history).await?;
    record_history(tx, &history, now).await
}

/// What settling an application's calls reads of every one, and what a taken call's request is
/// built from (its siblings' outputs).
const CALL_COLUMNS: &str = "id, application_id, service_id, item, status, depends_on, attempts, outputs, error, updated_at, kind, callback_token, deadline, failures, idempotency_key, poll_url, attention_at";

/// `advance` for several applications at once, with one read of all their sub-requests and
/// one statement per new status, however many applications. With `take`, released calls are
/// claimed for that instance (up to its limit) instead of becoming `ready`, and come back with
/// what their requests need: the application's data (read as it was locked) and its calls as
/// they stand in this transaction.
pub(super) async fn advance_many(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    applications: &[&str],
    now: i64,
    take: Option<Taking<'_>>,
    history: &mut Vec<Change>,
) -> Result<Vec<Claim>, StoreError> {
    let rows = read_calls(tx, backend, applications).await?;
    let mut settled = Settled::of(&rows, applications, history)?;
    let Shares {
        started,
        handed,
        ready,
        parked,
    } = settled.share_out(take)?;
    let set =
        "UPDATE sub_requests SET status = $1, next_attempt_at = $2, updated_at = $3 WHERE id IN";
    let parked_until = take.map_or(now, |t| t.take.parked.until);
    for (status, at, of) in [
        (SubStatus::Ready, now, &ready),
        (SubStatus::Ready, parked_until, &parked),
        (SubStatus::Blocked, now, &settled.blocked),
    ] {
        let fixed = [
            Param::Text(status.as_str()),
            Param::Int(at),
            Param::Int(now),
        ];
        update_in(tx, set, &fixed, &settled.ids(of)?).await?;
    }
    let taken: Vec<usize> = started.iter().chain(&handed).copied().collect();
    let mut claims = Vec::new();
    if let Some(taking) = take.filter(|_| !taken.is_empty()) {
        claims = settled.claim(tx, taking, &taken, &handed, now).await?;
    }
    store_summaries(tx, &settled.summaries, &settled.works, now).await?;
    history.extend(
        settled
            .summaries
            .iter()
            .map(|(a, s)| Change::of(a, None, s.as_str())),
    );
    Ok(claims)
}

/// Every call of the applications, each application's together, in order.
async fn read_calls(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    applications: &[&str],
) -> Result<Vec<AnyRow>, StoreError> {
    let mut rows: Vec<AnyRow> = Vec::new();
    for chunk in applications.chunks(IN_CHUNK) {
        let list = placeholders(1, bucket(chunk.len()));
        let mut query = batch(&*tx, calls_of(backend, &list));
        for id in padded(chunk) {
            query = query.bind(id);
        }
        rows.extend(query.fetch_all(&mut *tx).await?);
    }
    Ok(rows)
}

/// Store each application's summary and its new stage in the work list: one statement per
/// pair of them (most applications that end are `completed` and `done` together).
async fn store_summaries(
    tx: &mut sqlx::AnyConnection,
    summaries: &[(String, ApplicationStatus)],
    works: &[(String, Work)],
    now: i64,
) -> Result<(), StoreError> {
    let mut changes: BTreeMap<(Option<&str>, Option<Work>), Vec<String>> = BTreeMap::new();
    for (application, status) in summaries {
        let work = works
            .iter()
            .find(|(a, _)| a == application)
            .map(|(_, w)| *w);
        let key = (Some(status.as_str()), work);
        changes.entry(key).or_default().push(application.clone());
    }
    for (application, work) in works {
        if !summaries.iter().any(|(a, _)| a == application) {
            let key = (None, Some(*work));
            changes.entry(key).or_default().push(application.clone());
        }
    }
    for ((status, work), of) in changes {
        let mut set = vec!["updated_at = $1".to_owned()];
        let mut fixed = vec![Param::Int(now)];
        if let Some(status) = status {
            fixed.push(Param::Text(status));
            set.push(format!("status = ${}", fixed.len()));
        }
        if let Some((stage, attention_at)) = work {
            fixed.push(Param::Text(stage.as_str()));
            set.push(format!("stage = ${}", fixed.len()));
            match attention_at {
                Some(at) => {
                    fixed.push(Param::Int(at));
                    set.push(format!("attention_at = ${}", fixed.len()));
                }
                None => set.push("attention_at = NULL".to_owned()),
            }
        }
        let sql = format!("UPDATE applications SET {} WHERE id IN", set.join(", "));
        update_in(tx, &sql, &fixed, &of).await?;
    }
    Ok(())
}

/// An application's stage in the work list and when it needs attention anyway.
type Work = (Stage, Option<i64>);

/// Rows of released calls: started early by the taker, handed to it, left `ready`, and left
/// `ready` but parked (their registry is unavailable).
struct Shares {
    started: Vec<usize>,
    handed: Vec<usize>,
    ready: Vec<usize>,
    parked: Vec<usize>,
}

/// One sub-request as `lifecycle::settle` sees it, read from a row of `CALL_COLUMNS`.
fn settling(row: &AnyRow) -> Result<lifecycle::Call, StoreError> {
    let status: String = row.try_get("status")?;
    let kind: String = row.try_get("kind")?;
    let depends: String = row.try_get("depends_on")?;
    Ok(lifecycle::Call {
        key: CallKey::new(
            row.try_get::<String, _>("service_id")?,
            row.try_get("item")?,
        ),
        kind: SubKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(kind.clone()))?,
        status: SubStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(status.clone()))?,
        depends_on: serde_json::from_str(&depends)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

/// The calls `advance_many` read, with what the lifecycle decided for them.
struct Settled<'a> {
    rows: &'a [AnyRow],
    by_application: BTreeMap<String, Vec<usize>>,
    /// Each row's status once settled (a taken call's becomes `running`).
    statuses: Vec<SubStatus>,
    released: Vec<usize>,
    blocked: Vec<usize>,
    /// The applications that are no longer in progress, with their summary.
    summaries: Vec<(String, ApplicationStatus)>,
    /// The applications whose stage in the work list changed, with the new one.
    works: Vec<(String, Work)>,
}

impl<'a> Settled<'a> {
    /// Settle each application's calls (`lifecycle::settle`), noting each change in the
    /// history in `service#item` order, and sum up the applications that are done.
    fn of(
        rows: &'a [AnyRow],
        applications: &[&str],
        history: &mut Vec<Change>,
    ) -> Result<Self, StoreError> {
        let mut by_application: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (n, row) in rows.iter().enumerate() {
            let application: String = row.try_get("application_id")?;
            by_application.entry(application).or_default().push(n);
        }
        let mut settled = Self {
            rows,
            statuses: vec![SubStatus::Waiting; rows.len()],
            by_application: BTreeMap::new(),
            released: Vec::new(),
            blocked: Vec::new(),
            summaries: Vec::new(),
            works: Vec::new(),
        };
        for (application, members) in &by_application {
            settled.settle_one(application, members, history)?;
        }
        // An application without calls has nothing left to do.
        for application in applications {
            if !by_application.contains_key(*application) {
                let summary = ApplicationStatus::summarise(&[]);
                settled.summaries.push(((*application).to_owned(), summary));
            }
        }
        settled.by_application = by_application;
        Ok(settled)
    }

    fn settle_one(
        &mut self,
        application: &str,
        members: &[usize],
        history: &mut Vec<Change>,
    ) -> Result<(), StoreError> {
        let calls: Vec<lifecycle::Call> = (members.iter())
            .map(|&n| settling(&self.rows[n]))
            .collect::<Result<_, _>>()?;
        let views: Vec<_> = calls.iter().map(lifecycle::Call::view).collect();
        let settled = lifecycle::settle(&views);
        let mut changed: Vec<(String, usize)> = (0..calls.len())
            .filter(|&i| settled[i] != calls[i].status)
            .map(|i| (calls[i].key.to_string(), i))
            .collect();
        // In `service#item` order, as the history has always listed them.
        changed.sort();
        for (key, i) in changed {
            let status = settled[i];
            let detail =
                (status == SubStatus::Blocked).then(|| "a service it depends on failed".to_owned());
            let change = Change::of(application, Some(key), status.as_str());
            history.push(change.with_detail(detail));
            match status {
                SubStatus::Ready => self.released.push(members[i]),
                _ => self.blocked.push(members[i]),
            }
        }
        let summary = ApplicationStatus::summarise(&settled);
        if summary != ApplicationStatus::InProgress {
            self.summaries.push((application.to_owned(), summary));
        }
        let work = self.work(members, &calls, &settled)?;
        let first = &self.rows[members[0]];
        let stored: Option<String> = first.try_get("application_stage")?;
        let stored_at: Option<i64> = first.try_get("application_attention_at")?;
        if stored.as_deref() != Some(work.0.as_str()) || stored_at != work.1 {
            self.works.push((application.to_owned(), work));
        }
        for (i, &n) in members.iter().enumerate() {
            self.statuses[n] = settled[i];
        }
        Ok(())
    }

    /// The stage of an application whose calls are settled as `settled` (`lifecycle::work`).
    fn work(
        &self,
        members: &[usize],
        calls: &[lifecycle::Call],
        settled: &[SubStatus],
    ) -> Result<Work, StoreError> {
        let mut views = Vec::with_capacity(calls.len());
        for ((call, status), &n) in calls.iter().zip(settled).zip(members) {
            views.push(lifecycle::CallWork {
                kind: call.kind,
                status: *status,
                attention_at: self.rows[n].try_get("attention_at")?,
            });
        }
        Ok(lifecycle::work(&views))
    }

    fn ids(&self, of: &[usize]) -> Result<Vec<String>, StoreError> {
        of.iter()
            .map(|&n| Ok(self.rows[n].try_get("id")?))
            .collect()
    }

    /// The released calls in four: those the taker started already (taken first, whatever
    /// its limit), those of unavailable registries (parked), those handed to it up to its
    /// limit, and those left `ready`.
    fn share_out(&mut self, take: Option<Taking<'_>>) -> Result<Shares, StoreError> {
        let mut released = std::mem::take(&mut self.released);
        let mut started: Vec<usize> = Vec::new();
        if let Some(taking) = take.filter(|t| !t.take.started.is_empty()) {
            let mut others = Vec::with_capacity(released.len());
            let mut found = BTreeSet::new();
            for (n, id) in released.iter().copied().zip(self.ids(&released)?) {
                match taking.take.started.get(id.as_str()) {
                    Some(&id) => {
                        started.push(n);
                        found.insert(id);
                    }
                    None => others.push(n),
                }
            }
            released = others;
            for id in taking.take.started.difference(&found) {
                // Its outcome will not be stored (the claim is not this instance's); the call is
                // made again, with the same key, when the stored state releases it.
                tracing::warn!(sub_request.id = %id, "A call started early was not released by the stored outcomes");
            }
        }
        let mut parked = Vec::new();
        if let Some(taking) = take.filter(|t| !t.take.parked.services.is_empty()) {
            let mut others = Vec::with_capacity(released.len());
            for n in released {
                let service: String = self.rows[n].try_get("service_id")?;
                match taking.take.parked.holds(&service) {
                    true => parked.push(n),
                    false => others.push(n),
                }
            }
            released = others;
        }
        let limit = take.map_or(0, |t| t.take.limit);
        let ready = released.split_off(limit.min(released.len()));
        Ok(Shares {
            started,
            handed: released,
            ready,
            parked,
        })
    }

    /// Claim the taken calls for the taker; the claims for those `handed` (not started yet),
    /// each with what its request needs.
    async fn claim(
        &mut self,
        tx: &mut sqlx::AnyConnection,
        taking: Taking<'_>,
        taken: &[usize],
        handed: &[usize],
        now: i64,
    ) -> Result<Vec<Claim>, StoreError> {
        let locked_until = now + taking.take.lease_ms;
        update_in(
            tx,
            "UPDATE sub_requests SET status = 'running', locked_until = $1, attempts = attempts + 1, updated_at = $2, next_attempt_at = $3, claimed_by = $4 WHERE id IN",
            &[Param::Int(locked_until), Param::Int(now), Param::Int(now), Param::Text(taking.take.instance)],
            &self.ids(taken)?,
        )
        .await?;
        for &n in taken {
            self.statuses[n] = SubStatus::Running;
        }
        let taken_rows = TakenRows {
            rows: self.rows,
            statuses: &self.statuses,
            by_application: &self.by_application,
        };
        taken_rows.claims(handed, taking.applications, locked_until, now)
    }
}

/// `SELECT CALL_COLUMNS` of the sub-requests of the applications whose ids are bound to
/// `list`, each application's in order.
///
/// On PostgreSQL, not as `application_id IN (list)`: until the table has statistics (a fresh
/// or fast-growing one, before autovacuum's `ANALYZE`) the planner takes each value of such a
/// list to match a fixed share of the rows, so a batch of a few dozen applications was read by
/// a (parallel) sequential scan of the whole table, slower the more it held. Through the applications' primary key
/// (unique, so one row a value whatever the statistics) and a subquery per application that
/// cannot be merged into a join (`LATERAL … OFFSET 0`), each application's calls are read by
/// index.
fn calls_of(backend: Backend, list: &str) -> String {
    match backend {
        Backend::Sqlite => format!(
            "SELECT c.*, a.stage AS application_stage, a.attention_at AS application_attention_at
             FROM (SELECT {CALL_COLUMNS}, position FROM sub_requests
                   WHERE application_id IN ({list})) AS c
             JOIN applications AS a ON a.id = c.application_id
             ORDER BY c.application_id, c.position, c.item"
        ),
        Backend::Postgres => format!(
            "SELECT c.*, a.stage AS application_stage, a.attention_at AS application_attention_at
             FROM applications AS a CROSS JOIN LATERAL (
                SELECT {CALL_COLUMNS}, position FROM sub_requests
                WHERE application_id = a.id OFFSET 0) AS c
             WHERE a.id IN ({list}) ORDER BY c.application_id, c.position, c.item"
        ),
    }
}
