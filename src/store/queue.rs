//! The sub-requests table as a durable work queue: claim ready work under a lease, then record
//! the outcome and move the rest of the application along, in one transaction each.

use super::applications::{
    Change, NewApplication, SubRequestRecord, insert_applications, record_history,
    sub_request_from_row,
};
use super::sql::{Ty, batch, bind_null_rows, bucket, padded, placeholders, typed_values};
use super::{
    ApplicationStatus, Backend, Store, StoreError, SubKind, SubStatus, WriteConnection, json_text,
    now_ms, parse_json,
};
use Ty::{Int as I, Text as T};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A sub-request this instance holds a lease on.
#[derive(Debug, Clone)]
pub struct Claim {
    pub id: String,
    pub application_id: String,
    pub service_id: String,
    pub item: i64,
    pub kind: SubKind,
    /// Claims so far, this one included; it fences the completion against a lost lease.
    pub attempts: i64,
    /// Retriable failures in a row (reset when the registry accepts the call).
    pub failures: i64,
    pub idempotency_key: String,
    pub callback_token: Option<String>,
    /// Where to ask for the result of a call the registry accepted (202).
    pub poll_url: Option<String>,
    /// When waiting for a registry or a person ends in failure.
    pub deadline: Option<i64>,
    pub locked_until: i64,
    /// What the call's request needs, when it was read in the transaction that claimed it
    /// (otherwise the dispatcher reads it).
    pub context: Option<Arc<CallContext>>,
}

/// The application data and sibling sub-requests a call's request is built from.
#[derive(Debug)]
pub struct CallContext {
    pub bundle_id: String,
    /// Shared by every call of the application this instance holds (a birth form is a few
    /// kilobytes of JSON objects; cloning it for each released call was 4 % of the server's CPU).
    pub data: Arc<Value>,
    pub siblings: Vec<SubRequestRecord>,
}

/// How a call to a registry ended, as far as storage cares.
#[derive(Debug, Clone)]
pub enum Completion {
    Succeeded(Value),
    Failed(String),
    /// Try again at this time (ms); the text is the last error, kept for operators.
    RetryAt(i64, String),
    /// The registry accepted the call (202): wait for its callback or poll `poll_url`; look again
    /// at `check_at` and fail at `deadline`.
    Awaiting {
        check_at: i64,
        poll_url: Option<String>,
        deadline: i64,
    },
}

/// How an answer from outside (a registry's callback, a person's decision) was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// It finished the sub-request.
    Applied,
    /// The sub-request had already finished the same way: nothing changed.
    AlreadyDone,
    /// The sub-request had already finished otherwise (or the step expired): nothing changed.
    Conflict(SubStatus),
}

const CLAIM_RETURNING: &str = "RETURNING id, application_id, service_id, item, kind, attempts, failures, idempotency_key, callback_token, poll_url, deadline, locked_until";

/// What is due at `$1` (now): ready or awaiting work whose time has come, and running work
/// whose lease has expired. The claim and the look before it (SQLite) share it. Its first
/// term is the predicate of the partial index `sub_requests_due`, written out so that SQLite,
/// which does not infer it from the terms after it, reads by that index.
const DUE: &str = "status IN ('ready', 'awaiting', 'running')
           AND ((status IN ('ready', 'awaiting') AND next_attempt_at <= $1)
                OR (status = 'running' AND locked_until < $1))";

impl Store {
    /// Claim up to `limit` sub-requests that are due (or whose lease expired) for `lease_ms`,
    /// as `instance`.
    pub async fn claim(
        &self,
        limit: i64,
        lease_ms: i64,
        instance: &str,
    ) -> Result<Vec<Claim>, StoreError> {
        let now = now_ms();
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        // On SQLite an `UPDATE` takes the database's one write lock even when it changes
        // nothing, and the writer, finding it taken, sleeps in the busy handler (1, 2, 5 ms…):
        // look first, with a read, which takes no lock. Under load, when the writers hand over
        // everything, nothing is due at most polls.
        if self.backend == Backend::Sqlite {
            let look = format!("SELECT 1 FROM sub_requests WHERE {DUE} LIMIT 1");
            let due = sqlx::query(sqlx::AssertSqlSafe(look))
                .bind(now)
                .fetch_optional(&self.writes)
                .await?;
            if due.is_none() {
                return Ok(Vec::new());
            }
        }
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE sub_requests
             SET status = 'running', locked_until = $2, attempts = attempts + 1, updated_at = $1, claimed_by = $4
             WHERE id IN (SELECT id FROM sub_requests WHERE {DUE}
                          ORDER BY next_attempt_at LIMIT $3{lock}) {CLAIM_RETURNING}"
        ));
        let rows = sqlx::query(sql)
            .bind(now)
            .bind(now + lease_ms)
            .bind(limit)
            .bind(instance)
            .fetch_all(&self.writes)
            .await?;
        rows.iter()
            .map(|row| claim_from_row(row, now + lease_ms))
            .collect()
    }

    /// Extend a held lease to `until` (ms); false if it was lost meanwhile.
    pub async fn renew(&self, claim: &Claim, until: i64) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE sub_requests SET locked_until = $1 WHERE id = $2 AND status = 'running' AND attempts = $3",
        )
        .bind(until)
        .bind(&claim.id)
        .bind(claim.attempts)
        .execute(&self.writes)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Store new applications and record the outcomes of claimed calls in one transaction (a
    /// group commit). Each outcome is fenced
    /// by its claim (an outcome whose lease was lost changes nothing), gets its history row,
    /// and on success or failure releases or blocks its dependents and updates its
    /// application's summary. With `take`, the calls this releases are claimed at once for
    /// that instance (up to its limit) and come back with what their requests need, so they
    /// can be sent without another claim, read or commit; the rest become `ready`. The first
    /// calls of the new applications are taken the same way.
    ///
    /// The applications are locked first, in id order: completions of one application run one
    /// after the other (the last of two parallel services sees the other's result), and two
    /// instances recording overlapping batches on PostgreSQL cannot deadlock.
    pub async fn record(
        &self,
        conn: &mut WriteConnection,
        new: &[&NewApplication],
        done: &[(&Claim, &Completion)],
        mut take: Option<Take<'_>>,
    ) -> Result<Recorded, StoreError> {
        let now = now_ms();
        let mut tx = conn.begin(self.backend).await?;
        let mut history: Vec<Change> = Vec::new();
        let mut claims = Vec::new();
        if !new.is_empty() {
            let first = insert_applications(&mut tx, new, now, take.as_mut(), &mut history);
            claims = first.await?;
        }
        if done.is_empty() {
            record_history(&mut tx, &history, now).await?;
            tx.commit().await?;
            return Ok(Recorded {
                applied: Vec::new(),
                claims,
            });
        }
        let mut applications: Vec<&str> = done
            .iter()
            .map(|(c, _)| c.application_id.as_str())
            .collect();
        applications.sort_unstable();
        applications.dedup();
        let locked = lock_applications(&mut tx, self.backend, &applications).await?;
        let stored = store_outcomes(&mut tx, self.backend, done, now).await?;
        let mut applied = Vec::with_capacity(done.len());
        let mut finished: Vec<&str> = Vec::new();
        for ((claim, completion), row) in done.iter().zip(stored) {
            let Some(row) = row else {
                applied.push(false);
                continue;
            };
            applied.push(true);
            let call = format!("{}#{}", claim.service_id, claim.item);
            let detail = match completion {
                Completion::RetryAt(_, reason) => Some(format!("retry: {reason}")),
                Completion::Awaiting { poll_url, .. } => Some(match poll_url {
                    Some(url) => format!("accepted by the registry; polling {url}"),
                    None => "accepted by the registry; waiting for its callback".to_owned(),
                }),
                _ => row.error,
            };
            let change = Change::of(&claim.application_id, Some(call), row.status.as_str());
            history.push(change.with_detail(detail));
            if row.status.is_terminal() {
                finished.push(&claim.application_id);
            }
        }
        finished.sort_unstable();
        finished.dedup();
        let take = take.map(|take| Taking {
            take,
            applications: &locked,
        });
        let released = advance_many(&mut tx, self.backend, &finished, now, take, &mut history);
        claims.extend(released.await?);
        record_history(&mut tx, &history, now).await?;
        tx.commit().await?;
        Ok(Recorded { applied, claims })
    }
}

/// Who takes the calls that recorded outcomes release, and how many at most.
#[derive(Debug, Clone, Copy)]
pub struct Take<'a> {
    pub instance: &'a str,
    pub lease_ms: i64,
    pub limit: usize,
    /// Calls the instance started before the outcomes that release them were stored (see
    /// `fanout::Flight`): taken when released, whatever the limit, and not returned as claims.
    pub started: &'a BTreeSet<&'a str>,
}

/// What `Store::record` did.
#[derive(Debug, Default)]
pub struct Recorded {
    /// Per outcome, in order: false where the lease had been lost and nothing was stored.
    pub applied: Vec<bool>,
    /// Calls the outcomes released, claimed for the `Take`'s instance.
    pub claims: Vec<Claim>,
}

/// Lock the applications' rows in id order (PostgreSQL: `FOR UPDATE` above the sort;
/// SQLite: the write lock, which the batch took as it began), and read what the requests of
/// the calls they release will need.
async fn lock_applications(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    applications: &[&str],
) -> Result<Locked, StoreError> {
    let mut locked = Locked::new();
    // A row lock, not an `UPDATE`: that would write a new version of the whole row (its data
    // included) for every batch that touches the application (5.3 versions an application at
    // 250 per second on PostgreSQL; on SQLite a tenth of the log's pages). SQLite has no row
    // locks: the batch holds the database's write lock from its start (`BEGIN IMMEDIATE`).
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    };
    for chunk in applications.chunks(IN_CHUNK) {
        let sql = format!(
            "SELECT id, bundle_id, data FROM applications WHERE id IN ({}) ORDER BY id{lock}",
            placeholders(1, bucket(chunk.len()))
        );
        let mut query = batch(&*tx, sql);
        for id in padded(chunk) {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut *tx).await? {
            let application = LockedApplication {
                bundle_id: row.try_get("bundle_id")?,
                data: row.try_get("data")?,
            };
            locked.insert(row.try_get("id")?, application);
        }
    }
    Ok(locked)
}

/// The locked applications by id.
type Locked = BTreeMap<String, LockedApplication>;

/// What a locked application's calls are sent with: its bundle and data (as stored, JSON).
struct LockedApplication {
    bundle_id: String,
    data: String,
}

/// Who takes the calls that outcomes release, and the data of their applications.
#[derive(Clone, Copy)]
struct Taking<'a> {
    take: Take<'a>,
    applications: &'a Locked,
}

/// Outcome rows per `UPDATE … FROM (VALUES …)` (9 parameters each).
const OUTCOMES_PER_UPDATE: usize = 64;

/// The columns of an outcome row: id, attempts (the fence), status, outputs, error, next
/// attempt, failures, poll URL, deadline.
const OUTCOME: [Ty; 9] = [T, I, T, T, T, I, I, T, I];

/// Store the outcomes, each fenced by its claim (status `running` and the claim's attempt),
/// with one `UPDATE … FROM (VALUES …)` per `OUTCOMES_PER_UPDATE` of them (both backends accept
/// it). Returns, in order, what each stored, or `None` where the lease was lost.
async fn store_outcomes(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    done: &[(&Claim, &Completion)],
    now: i64,
) -> Result<Vec<Option<StoredOutcome>>, StoreError> {
    let mut stored = Vec::with_capacity(done.len());
    for chunk in done.chunks(OUTCOMES_PER_UPDATE) {
        let rows: Vec<StoredOutcome> = chunk
            .iter()
            .map(|(claim, completion)| StoredOutcome::of(claim, completion, now))
            .collect();
        let size = bucket(rows.len());
        let sql = format!(
            "UPDATE sub_requests SET status = v.column3, outputs = v.column4, error = v.column5,
                next_attempt_at = v.column6, failures = v.column7, poll_url = v.column8,
                deadline = v.column9, locked_until = NULL, updated_at = $1
             FROM (VALUES {}) AS v
             WHERE sub_requests.id = v.column1 AND sub_requests.status = 'running'
               AND sub_requests.attempts = v.column2
             RETURNING sub_requests.id, sub_requests.attempts",
            typed_values(&OUTCOME, size, 2)
        );
        // On PostgreSQL planned afresh each time (an unnamed statement), unlike the writers'
        // others: its generic plan, made while the table's statistics were those of its first
        // seconds, joined the rows by a hash of every running call (found by the index of
        // what is due) instead of looking each up by id, and the more calls waited under
        // load, the longer every batch took (some benchmark runs at 500 applications per
        // second never caught up). A batch's other statements look rows up by key alone.
        let mut query = batch(&*tx, sql)
            .persistent(backend == Backend::Sqlite)
            .bind(now);
        for ((claim, _), row) in chunk.iter().zip(&rows) {
            query = query
                .bind(claim.id.as_str())
                .bind(claim.attempts)
                .bind(row.status.as_str())
                .bind(row.outputs.as_deref())
                .bind(row.error.as_deref())
                .bind(row.next)
                .bind(row.failures)
                .bind(row.poll_url.as_deref())
                .bind(row.deadline);
        }
        let query = bind_null_rows(query, &OUTCOME, size - rows.len());
        let mut updated: Vec<(String, i64)> = Vec::with_capacity(rows.len());
        for row in query.fetch_all(&mut *tx).await? {
            updated.push((row.try_get(0)?, row.try_get(1)?));
        }
        for ((claim, _), row) in chunk.iter().zip(rows) {
            let hit = updated
                .iter()
                .any(|(id, n)| *id == claim.id && *n == claim.attempts);
            stored.push(hit.then_some(row));
        }
    }
    Ok(stored)
}

/// The columns a completion writes.
struct StoredOutcome {
    status: SubStatus,
    outputs: Option<String>,
    error: Option<String>,
    next: i64,
    failures: i64,
    poll_url: Option<String>,
    deadline: Option<i64>,
}

impl StoredOutcome {
    /// The columns for a claim's outcome: failures count on (a retry), stay (an end) or start
    /// again (the registry accepted the call); the poll URL and deadline stay unless it was
    /// accepted now.
    fn of(claim: &Claim, completion: &Completion, now: i64) -> Self {
        let mut row = Self::from(completion, now);
        if matches!(completion, Completion::RetryAt(..)) {
            row.failures = claim.failures + 1;
        } else if !matches!(completion, Completion::Awaiting { .. }) {
            row.failures = claim.failures;
        }
        if !matches!(completion, Completion::Awaiting { .. }) {
            row.poll_url = claim.poll_url.clone();
            row.deadline = claim.deadline;
        }
        row
    }

    fn from(completion: &Completion, now: i64) -> Self {
        let base = |status, error: Option<&String>| Self {
            status,
            outputs: None,
            error: error.cloned(),
            next: now,
            failures: 0,
            poll_url: None,
            deadline: None,
        };
        match completion {
            Completion::Succeeded(outputs) => Self {
                outputs: Some(json_text(outputs)),
                ..base(SubStatus::Succeeded, None)
            },
            Completion::Failed(reason) => base(SubStatus::Failed, Some(reason)),
            Completion::RetryAt(at, reason) => Self {
                next: *at,
                ..base(SubStatus::Ready, Some(reason))
            },
            Completion::Awaiting {
                check_at,
                poll_url,
                deadline,
            } => Self {
                next: *check_at,
                poll_url: poll_url.clone(),
                deadline: Some(*deadline),
                ..base(SubStatus::Awaiting, None)
            },
        }
    }
}

fn claim_from_row(row: &AnyRow, locked_until: i64) -> Result<Claim, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(Claim {
        id: row.try_get("id")?,
        application_id: row.try_get("application_id")?,
        service_id: row.try_get("service_id")?,
        item: row.try_get("item")?,
        kind: SubKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(kind.clone()))?,
        attempts: row.try_get("attempts")?,
        failures: row.try_get("failures")?,
        idempotency_key: row.try_get("idempotency_key")?,
        callback_token: row.try_get("callback_token")?,
        poll_url: row.try_get("poll_url")?,
        deadline: row.try_get("deadline")?,
        locked_until,
        context: None,
    })
}

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

/// Parameters per `IN (…)` list: well under either backend's limit on parameters.
const IN_CHUNK: usize = 256;

/// What settling an application's calls reads of every one, and what a taken call's request is
/// built from (its siblings' outputs).
const CALL_COLUMNS: &str = "id, application_id, service_id, item, status, depends_on, attempts, outputs, error, updated_at, kind, callback_token, deadline, failures, idempotency_key, poll_url";

/// `advance` for several applications at once, with one read of all their sub-requests and
/// one statement per new status, however many applications. With `take`, released calls are
/// claimed for that instance (up to its limit) instead of becoming `ready`, and come back with
/// what their requests need: the application's data (read as it was locked) and its calls as
/// they stand in this transaction.
async fn advance_many(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    applications: &[&str],
    now: i64,
    take: Option<Taking<'_>>,
    history: &mut Vec<Change>,
) -> Result<Vec<Claim>, StoreError> {
    let mut rows: Vec<AnyRow> = Vec::new();
    for chunk in applications.chunks(IN_CHUNK) {
        let list = placeholders(1, bucket(chunk.len()));
        let mut query = batch(&*tx, calls_of(backend, &list));
        for id in padded(chunk) {
            query = query.bind(id);
        }
        rows.extend(query.fetch_all(&mut *tx).await?);
    }
    let mut by_application: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (n, row) in rows.iter().enumerate() {
        let application: String = row.try_get("application_id")?;
        by_application.entry(application).or_default().push(n);
    }
    // Each row's status once settled (a taken call's becomes `running` below).
    let mut statuses: Vec<SubStatus> = vec![SubStatus::Waiting; rows.len()];
    let mut released: Vec<usize> = Vec::new();
    let mut blocked: Vec<usize> = Vec::new();
    let mut summaries: Vec<(&str, ApplicationStatus)> = Vec::new();
    for (application, members) in &by_application {
        let mut calls = Vec::with_capacity(members.len());
        for &n in members {
            let row = &rows[n];
            let service_id: String = row.try_get("service_id")?;
            let item: i64 = row.try_get("item")?;
            let status: String = row.try_get("status")?;
            let depends: String = row.try_get("depends_on")?;
            calls.push(Call {
                // Calls are keyed `service#item`, as their dependencies are written.
                key: format!("{service_id}#{item}"),
                status: SubStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(status.clone()))?,
                depends_on: serde_json::from_str(&depends)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            });
        }
        let settled = settle(&calls);
        // In `service#item` order, as the history has always listed them.
        let mut changed: Vec<(usize, SubStatus)> = Vec::new();
        for (i, call) in calls.iter().enumerate() {
            if settled[i] != call.status {
                changed.push((i, settled[i]));
            }
        }
        changed.sort_by(|a, b| calls[a.0].key.cmp(&calls[b.0].key));
        for (i, status) in changed {
            let detail =
                (status == SubStatus::Blocked).then(|| "a service it depends on failed".to_owned());
            let change = Change::of(application, Some(calls[i].key.clone()), status.as_str());
            history.push(change.with_detail(detail));
            match status {
                SubStatus::Ready => released.push(members[i]),
                _ => blocked.push(members[i]),
            }
        }
        let summary = ApplicationStatus::summarise(&settled);
        if summary != ApplicationStatus::InProgress {
            summaries.push((application, summary));
        }
        for (i, &n) in members.iter().enumerate() {
            statuses[n] = settled[i];
        }
    }
    // An application without calls has nothing left to do.
    for application in applications {
        if !by_application.contains_key(*application) {
            summaries.push((application, ApplicationStatus::Completed));
        }
    }
    let ids = |of: &[usize]| -> Result<Vec<String>, StoreError> {
        of.iter().map(|&n| Ok(rows[n].try_get("id")?)).collect()
    };
    // Calls already started are taken first; of the others, as many as the limit allows.
    let mut started: Vec<usize> = Vec::new();
    if let Some(taking) = take.filter(|t| !t.take.started.is_empty()) {
        let mut others = Vec::with_capacity(released.len());
        let mut found = BTreeSet::new();
        for (n, id) in released.iter().copied().zip(ids(&released)?) {
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
    let limit = take.map_or(0, |t| t.take.limit);
    let handed: Vec<usize> = released.iter().take(limit).copied().collect();
    let ready: Vec<usize> = released.iter().skip(limit).copied().collect();
    let taken: Vec<usize> = started.iter().chain(&handed).copied().collect();
    let set =
        "UPDATE sub_requests SET status = $1, next_attempt_at = $2, updated_at = $3 WHERE id IN";
    for (status, of) in [(SubStatus::Ready, &ready), (SubStatus::Blocked, &blocked)] {
        let fixed = [
            Param::Text(status.as_str()),
            Param::Int(now),
            Param::Int(now),
        ];
        update_in(tx, set, &fixed, &ids(of)?).await?;
    }
    let mut claims = Vec::with_capacity(taken.len());
    if let Some(taking) = take.filter(|_| !taken.is_empty()) {
        let locked_until = now + taking.take.lease_ms;
        update_in(
            tx,
            "UPDATE sub_requests SET status = 'running', locked_until = $1, attempts = attempts + 1, updated_at = $2, next_attempt_at = $3, claimed_by = $4 WHERE id IN",
            &[Param::Int(locked_until), Param::Int(now), Param::Int(now), Param::Text(taking.take.instance)],
            &ids(&taken)?,
        )
        .await?;
        for &n in &taken {
            statuses[n] = SubStatus::Running;
        }
        let taken_rows = TakenRows {
            rows: &rows,
            statuses: &statuses,
            by_application: &by_application,
        };
        claims = taken_rows.claims(&handed, taking.applications, locked_until, now)?;
    }
    let mut summary_statuses: Vec<ApplicationStatus> = Vec::new();
    for (_, status) in &summaries {
        if !summary_statuses.contains(status) {
            summary_statuses.push(*status);
        }
    }
    for status in summary_statuses {
        let of: Vec<String> = summaries
            .iter()
            .filter(|(_, s)| *s == status)
            .map(|(a, _)| (*a).to_owned())
            .collect();
        let sql = "UPDATE applications SET status = $1, updated_at = $2 WHERE id IN";
        update_in(
            tx,
            sql,
            &[Param::Text(status.as_str()), Param::Int(now)],
            &of,
        )
        .await?;
    }
    history.extend(
        summaries
            .iter()
            .map(|(a, s)| Change::of(a, None, s.as_str())),
    );
    Ok(claims)
}

/// `SELECT CALL_COLUMNS` of the sub-requests of the applications whose ids are bound to
/// `list`, each application's in order.
///
/// On PostgreSQL, not as `application_id IN (list)`: until the table has statistics (a fresh
/// or fast-growing one, before autovacuum's `ANALYZE`) the planner takes each value of such a
/// list to match 0.5 % of the rows, so a batch of a few dozen applications was read by a
/// (parallel) sequential scan of the whole table, slower the more it held: a benchmark at 400
/// applications per second fell behind within seconds. Through the applications' primary key
/// (unique, so one row a value whatever the statistics) and a subquery per application that
/// cannot be merged into a join (`LATERAL … OFFSET 0`), each application's calls are read by
/// index.
fn calls_of(backend: Backend, list: &str) -> String {
    match backend {
        Backend::Sqlite => format!(
            "SELECT {CALL_COLUMNS} FROM sub_requests WHERE application_id IN ({list}) ORDER BY application_id, position, item"
        ),
        Backend::Postgres => format!(
            "SELECT c.* FROM applications AS a CROSS JOIN LATERAL (
                SELECT {CALL_COLUMNS}, position FROM sub_requests
                WHERE application_id = a.id OFFSET 0) AS c
             WHERE a.id IN ({list}) ORDER BY c.application_id, c.position, c.item"
        ),
    }
}

/// One sub-request as `settle` sees it.
struct Call {
    key: String,
    status: SubStatus,
    depends_on: Vec<String>,
}

/// The statuses after releasing every waiting call whose dependencies all succeeded and
/// blocking every one behind a failure, repeated until nothing changes.
fn settle(calls: &[Call]) -> Vec<SubStatus> {
    let mut statuses: Vec<SubStatus> = calls.iter().map(|c| c.status).collect();
    let index: BTreeMap<&str, usize> = calls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.key.as_str(), i))
        .collect();
    loop {
        let mut changed = false;
        for (i, call) in calls.iter().enumerate() {
            if statuses[i] != SubStatus::Waiting {
                continue;
            }
            // Every call of the application is read; a dependency that is not (none should
            // be missing: bundles are checked as they load) does not hold its dependents back.
            let of = |d: &String| {
                index
                    .get(d.as_str())
                    .map_or(SubStatus::Succeeded, |&j| statuses[j])
            };
            let next = if call
                .depends_on
                .iter()
                .any(|d| matches!(of(d), SubStatus::Failed | SubStatus::Blocked))
            {
                Some(SubStatus::Blocked)
            } else if call
                .depends_on
                .iter()
                .all(|d| of(d) == SubStatus::Succeeded)
            {
                Some(SubStatus::Ready)
            } else {
                None
            };
            if let Some(next) = next {
                statuses[i] = next;
                changed = true;
            }
        }
        if !changed {
            return statuses;
        }
    }
}

/// The rows `advance_many` read, with their settled statuses, by application.
struct TakenRows<'a> {
    rows: &'a [AnyRow],
    statuses: &'a [SubStatus],
    by_application: &'a BTreeMap<String, Vec<usize>>,
}

impl TakenRows<'_> {
    /// The claims for the calls taken (rows `taken`, just claimed: one attempt more), each with
    /// what its request needs: its application's data and calls as they stand now.
    fn claims(
        &self,
        taken: &[usize],
        applications: &Locked,
        locked_until: i64,
        now: i64,
    ) -> Result<Vec<Claim>, StoreError> {
        let mut contexts: BTreeMap<String, Arc<CallContext>> = BTreeMap::new();
        let mut claims = Vec::with_capacity(taken.len());
        for &n in taken {
            let mut claim = claim_from_row(&self.rows[n], locked_until)?;
            claim.attempts += 1;
            let context = match contexts.get(&claim.application_id) {
                Some(context) => context.clone(),
                None => {
                    let context =
                        Arc::new(self.context(&claim.application_id, applications, now)?);
                    contexts.insert(claim.application_id.clone(), context.clone());
                    context
                }
            };
            claim.context = Some(context);
            claims.push(claim);
        }
        Ok(claims)
    }

    fn context(
        &self,
        application: &str,
        applications: &Locked,
        now: i64,
    ) -> Result<CallContext, StoreError> {
        let locked = applications
            .get(application)
            .ok_or_else(|| StoreError::Corrupt(format!("application {application} not locked")))?;
        let members = self
            .by_application
            .get(application)
            .map_or(&[][..], Vec::as_slice);
        let mut siblings = Vec::with_capacity(members.len());
        for &n in members {
            let mut sibling = sub_request_from_row(&self.rows[n])?;
            if sibling.status != self.statuses[n] {
                sibling.status = self.statuses[n];
                sibling.updated_at = now;
                if sibling.status == SubStatus::Running {
                    sibling.attempts += 1;
                }
            }
            siblings.push(sibling);
        }
        Ok(CallContext {
            bundle_id: locked.bundle_id.clone(),
            data: Arc::new(parse_json(&locked.data)?),
            siblings,
        })
    }
}

/// A parameter bound before an `IN (…)` list.
#[derive(Clone, Copy)]
enum Param<'a> {
    Text(&'a str),
    Int(i64),
}

/// `{sql} (…ids)` with `fixed` bound first, in chunks of `IN_CHUNK` ids; nothing for no ids.
async fn update_in(
    tx: &mut sqlx::AnyConnection,
    sql: &str,
    fixed: &[Param<'_>],
    ids: &[String],
) -> Result<(), StoreError> {
    for chunk in ids.chunks(IN_CHUNK) {
        let list = placeholders(fixed.len() + 1, bucket(chunk.len()));
        let sql = format!("{sql} ({list})");
        let mut query = batch(&*tx, sql);
        for param in fixed {
            query = match *param {
                Param::Text(text) => query.bind(text),
                Param::Int(n) => query.bind(n),
            };
        }
        for id in padded(chunk) {
            query = query.bind(id);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}
