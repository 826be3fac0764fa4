//! Recording a batch in one transaction (a group commit): new applications, and the outcomes
//! of claimed calls, each fenced by its claim, with what they release settled and, for the
//! writer's instance, claimed at once.

use super::advance::advance_many;
use super::applications::NewApplication;
use super::claim::{Claim, Take};
use super::claim::{Locked, LockedApplication, Taking};
use super::history::{Change, record_history};
use super::insert::insert_applications;
use super::messages::{Message, logged};
use super::sql::{
    AnyQuery, IN_CHUNK, Ty, batch, bind_null_rows, bucket, padded, placeholders, typed_values,
};
use super::{
    Backend, Completion, Store, StoreError, SubStatus, WriteConnection, json_text, now_ms,
};
use Ty::{Int as I, Text as T};
use sqlx::Row;

impl Store {
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
    /// The audit entries of the new applications and `audit` (reads, and counts of further
    /// reads) are stored last, in the same transaction.
    pub async fn record(
        &self,
        conn: &mut WriteConnection,
        new: &[&NewApplication],
        outcomes: &[(&Claim, &Completion, Option<&Message>)],
        audit: super::Audits<'_>,
        mut take: Option<Take<'_>>,
    ) -> Result<Recorded, StoreError> {
        let now = now_ms();
        let done: &[(&Claim, &Completion)] = &pairs(outcomes);
        let mut tx = conn.begin(self.backend).await?;
        let mut history: Vec<Change> = Vec::new();
        let screened = super::findable::screen(&mut tx, new).await?;
        let new = screened.keep.as_slice();
        let inserted = insert_screened(&mut tx, &screened, now, take.as_mut(), &mut history);
        let mut claims = inserted.await?;
        let with_notes = noted_entries(new, &screened.notes);
        let mut entries = submitted_entries(new, with_notes.as_deref());
        let own = entries.len();
        entries.extend_from_slice(audit.entries);
        if done.is_empty() {
            record_history(&mut tx, &history, now).await?;
            super::audit::count_repeats(&mut tx, audit.repeats).await?;
            let numbers = super::audit::append(&mut tx, &entries).await?;
            tx.commit().await?;
            return Ok(Recorded {
                applied: Vec::new(),
                claims,
                audited: numbers[own..].to_vec(),
                refused: screened.refused,
            });
        }
        let applications = applications_of(done);
        let locked = lock_applications(&mut tx, self.backend, &applications).await?;
        let stored = store_outcomes(&mut tx, self.backend, done, now).await?;
        let (applied, mut finished) = super::history::noted(done, stored, &mut history);
        finished.sort_unstable();
        finished.dedup();
        let take = take.map(|take| Taking {
            take,
            applications: &locked,
        });
        let released = advance_many(&mut tx, self.backend, &finished, now, take, &mut history);
        claims.extend(released.await?);
        record_history(&mut tx, &history, now).await?;
        super::messages::log(&mut tx, &logged(outcomes)).await?;
        super::audit::count_repeats(&mut tx, audit.repeats).await?;
        let numbers = super::audit::append(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(Recorded {
            applied,
            claims,
            audited: numbers[own..].to_vec(),
            refused: screened.refused,
        })
    }
}

/// Store the new applications that were not refused, with the notes of confirmed repetitions;
/// the claims of their first calls.
async fn insert_screened(
    tx: &mut sqlx::AnyConnection,
    screened: &super::findable::Screened<'_>,
    now: i64,
    take: Option<&mut Take<'_>>,
    history: &mut Vec<Change>,
) -> Result<Vec<Claim>, StoreError> {
    if screened.keep.is_empty() {
        return Ok(Vec::new());
    }
    let claims = insert_applications(tx, &screened.keep, now, take, history).await?;
    super::findable::store_notes(tx, &screened.notes).await?;
    Ok(claims)
}

/// The outcomes without their exchanges.
fn pairs<'a>(
    outcomes: &[(&'a Claim, &'a Completion, Option<&Message>)],
) -> Vec<(&'a Claim, &'a Completion)> {
    outcomes.iter().map(|(c, o, _)| (*c, *o)).collect()
}

/// The applications of the outcomes, in id order, each once.
fn applications_of<'a>(done: &[(&'a Claim, &Completion)]) -> Vec<&'a str> {
    let mut applications: Vec<&str> = done
        .iter()
        .map(|(c, _)| c.application_id.as_str())
        .collect();
    applications.sort_unstable();
    applications.dedup();
    applications
}

/// What `Store::record` did.
#[derive(Debug, Default)]
pub struct Recorded {
    /// Per outcome, in order: false where the lease had been lost and nothing was stored.
    pub applied: Vec<bool>,
    /// Calls the outcomes released, claimed for the `Take`'s instance.
    pub claims: Vec<Claim>,
    /// The numbers of the audit entries given besides the new applications' own.
    pub audited: Vec<i64>,
    /// New applications not stored: they repeat these earlier ones, and gave no reason.
    pub refused: Vec<(String, Vec<super::Earlier>)>,
}

/// The `application.submit` entries of the stored new applications: theirs, or `noted`.
fn submitted_entries<'a>(
    new: &[&'a super::NewApplication],
    noted: Option<&'a [crate::audit::Entry]>,
) -> Vec<&'a crate::audit::Entry> {
    match noted {
        Some(noted) => noted.iter().collect(),
        None => new.iter().filter_map(|n| n.audit.as_ref()).collect(),
    }
}

/// The `application.submit` entries of the stored new applications, each confirmed repetition's
/// note in its detail (`duplicate`); none when no repetition was confirmed (theirs serve).
fn noted_entries(
    new: &[&super::NewApplication],
    notes: &[(String, serde_json::Value)],
) -> Option<Vec<crate::audit::Entry>> {
    if notes.is_empty() {
        return None;
    }
    let noted = (new.iter())
        .filter_map(|n| {
            let mut entry = n.audit.clone()?;
            if let Some((_, note)) = notes.iter().find(|(id, _)| id == n.id.as_str()) {
                entry.detail["duplicate"] = note.clone();
            }
            Some(entry)
        })
        .collect();
    Some(noted)
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
    // included) for every batch that touches the application. SQLite has no row
    // locks: the batch holds the database's write lock from its start (`BEGIN IMMEDIATE`).
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    };
    for chunk in applications.chunks(IN_CHUNK) {
        let sql = format!(
            "SELECT id, bundle_id, bundle_version, data, institution, submitted_by, request_id FROM applications WHERE id IN ({}) ORDER BY id{lock}",
            placeholders(1, bucket(chunk.len()))
        );
        let mut query = batch(&*tx, sql);
        for id in padded(chunk) {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut *tx).await? {
            let application = LockedApplication {
                bundle_id: row.try_get("bundle_id")?,
                bundle_version: row.try_get("bundle_version")?,
                data: row.try_get("data")?,
                acting: super::claim::acting(
                    row.try_get::<Option<String>, _>("institution")?.as_deref(),
                    row.try_get::<Option<String>, _>("submitted_by")?.as_deref(),
                ),
                request_id: row
                    .try_get::<Option<String>, _>("request_id")?
                    .map(std::sync::Arc::from),
            };
            locked.insert(row.try_get("id")?, application);
        }
    }
    Ok(locked)
}

/// Outcome rows per `UPDATE … FROM (VALUES …)` (11 parameters each).
const OUTCOMES_PER_UPDATE: usize = 64;

/// The columns of an outcome row: id, attempts (the fence), status, outputs, error, next
/// attempt, failures, poll URL, deadline, failing since, attempts after.
const OUTCOME: [Ty; 11] = [T, I, T, T, T, I, I, T, I, I, I];

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
                deadline = v.column9, failing_since = v.column10, attempts = v.column11,
                attention_at = v.column10 + {retrying}, locked_until = NULL, updated_at = $1
             FROM (VALUES {}) AS v
             WHERE sub_requests.id = v.column1 AND sub_requests.status = 'running'
               AND sub_requests.attempts = v.column2
             RETURNING sub_requests.id, sub_requests.attempts",
            typed_values(&OUTCOME, size, 2),
            retrying = crate::lifecycle::RETRYING_TOO_LONG_MS,
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
            query = row.bind(query, claim);
        }
        let query = bind_null_rows(query, &OUTCOME, size - rows.len());
        let mut updated: Vec<(String, i64)> = Vec::with_capacity(rows.len());
        for row in query.fetch_all(&mut *tx).await? {
            updated.push((row.try_get(0)?, row.try_get(1)?));
        }
        for ((claim, _), row) in chunk.iter().zip(rows) {
            let hit = updated
                .iter()
                .any(|(id, n)| *id == claim.id && *n == row.attempts);
            stored.push(hit.then_some(row));
        }
    }
    Ok(stored)
}

/// The columns a completion writes.
pub(super) struct StoredOutcome {
    pub(super) status: SubStatus,
    outputs: Option<String>,
    pub(super) error: Option<String>,
    next: i64,
    failures: i64,
    poll_url: Option<String>,
    deadline: Option<i64>,
    failing_since: Option<i64>,
    /// What `attempts` becomes: the claim's, less the one a held call did not make.
    attempts: i64,
}

impl StoredOutcome {
    /// The columns for a claim's outcome: failures count on (a retry), stay (an end, a held
    /// call) or start again (the registry accepted the call); the poll URL and deadline stay
    /// unless it was accepted now.
    fn of(claim: &Claim, completion: &Completion, now: i64) -> Self {
        let mut row = Self::from(completion, now);
        row.attempts = claim.attempts;
        match completion {
            Completion::Retry { since, .. } => {
                row.failures = claim.failures + 1;
                row.failing_since = Some(*since);
            }
            Completion::Held { .. } => {
                // Not an attempt: the claim's count is given back. The fence stays sound: a
                // claim with this number again can only follow this outcome, stored once.
                row.failures = claim.failures;
                row.failing_since = claim.failing_since;
                row.attempts = claim.attempts - 1;
            }
            Completion::Failed(_) => {
                row.failures = claim.failures;
                row.failing_since = claim.failing_since;
            }
            Completion::Succeeded(_) => row.failures = claim.failures,
            Completion::Awaiting { .. } => {}
        }
        if !matches!(completion, Completion::Awaiting { .. }) {
            row.poll_url = claim.poll_url.clone();
            row.deadline = claim.deadline;
        }
        row
    }

    /// Bind this outcome's row of `OUTCOME` values, for `claim`.
    fn bind<'q>(&'q self, query: AnyQuery<'q>, claim: &'q Claim) -> AnyQuery<'q> {
        query
            .bind(claim.id.as_str())
            .bind(claim.attempts)
            .bind(self.status.as_str())
            .bind(self.outputs.as_deref())
            .bind(self.error.as_deref())
            .bind(self.next)
            .bind(self.failures)
            .bind(self.poll_url.as_deref())
            .bind(self.deadline)
            .bind(self.failing_since)
            .bind(self.attempts)
    }

    fn from(completion: &Completion, now: i64) -> Self {
        let base = |error: Option<&String>| Self {
            status: completion.status(),
            outputs: None,
            error: error.cloned(),
            next: now,
            failures: 0,
            poll_url: None,
            deadline: None,
            failing_since: None,
            attempts: 0,
        };
        match completion {
            Completion::Succeeded(outputs) => Self {
                outputs: Some(json_text(outputs)),
                ..base(None)
            },
            Completion::Failed(reason) => base(Some(reason)),
            Completion::Retry { at, reason, .. } | Completion::Held { at, reason } => Self {
                next: *at,
                ..base(Some(reason))
            },
            Completion::Awaiting {
                check_at,
                poll_url,
                deadline,
            } => Self {
                next: *check_at,
                poll_url: poll_url.clone(),
                deadline: Some(*deadline),
                ..base(None)
            },
        }
    }
}
