//! The sub-requests table as a durable work queue: claim ready work under a lease, then record
//! the outcome and move the rest of the application along, in one transaction each.

use super::applications::{Transition, history, history_rows};
use super::{ApplicationStatus, Backend, Store, StoreError, SubKind, SubStatus, json_text, now_ms};
use serde_json::Value;
use sqlx::Row;
use std::collections::BTreeMap;

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

const CLAIM_DUE: &str = "SELECT id FROM sub_requests
        WHERE (status IN ('ready', 'awaiting') AND next_attempt_at <= $2)
           OR (status = 'running' AND locked_until < $2)
        ORDER BY next_attempt_at LIMIT $3";

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
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE sub_requests
             SET status = 'running', locked_until = $1, attempts = attempts + 1, updated_at = $2, claimed_by = $4
             WHERE id IN ({CLAIM_DUE}{lock}) {CLAIM_RETURNING}"
        ));
        let rows = sqlx::query(sql)
            .bind(now + lease_ms)
            .bind(now)
            .bind(limit)
            .bind(instance)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(claim_from_row).collect()
    }

    /// Extend a held lease to `until` (ms); false if it was lost meanwhile.
    pub async fn renew(&self, claim: &Claim, until: i64) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE sub_requests SET locked_until = $1 WHERE id = $2 AND status = 'running' AND attempts = $3",
        )
        .bind(until)
        .bind(&claim.id)
        .bind(claim.attempts)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Record the outcome of a claimed call; on success or failure, release or block the
    /// dependents and update the application's summary. Returns false if the lease was lost.
    pub async fn complete(
        &self,
        claim: &Claim,
        completion: &Completion,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        // Lock the application first: completions of one application then run one after the
        // other, so the last of two parallel services sees the other's result (on PostgreSQL a
        // row lock; on SQLite the write lock this statement takes).
        sqlx::query("UPDATE applications SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&claim.application_id)
            .execute(&mut *tx)
            .await?;
        let mut row = StoredOutcome::from(completion, now);
        if matches!(completion, Completion::RetryAt(..)) {
            row.failures = claim.failures + 1;
        } else if !matches!(completion, Completion::Awaiting { .. }) {
            row.failures = claim.failures;
        }
        if !matches!(completion, Completion::Awaiting { .. }) {
            row.poll_url = claim.poll_url.clone();
            row.deadline = claim.deadline;
        }
        let status = row.status;
        let error = row.error.clone();
        let updated = sqlx::query(
            "UPDATE sub_requests SET status = $1, outputs = $2, error = $3, next_attempt_at = $4, locked_until = NULL, updated_at = $5,
                failures = $8, poll_url = $9, deadline = $10
             WHERE id = $6 AND status = 'running' AND attempts = $7",
        )
        .bind(status.as_str())
        .bind(row.outputs)
        .bind(row.error.as_deref())
        .bind(row.next)
        .bind(now)
        .bind(&claim.id)
        .bind(claim.attempts)
        .bind(row.failures)
        .bind(row.poll_url.as_deref())
        .bind(row.deadline)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(false);
        }
        let detail = match completion {
            Completion::RetryAt(_, reason) => Some(format!("retry: {reason}")),
            Completion::Awaiting { poll_url, .. } => Some(match poll_url {
                Some(url) => format!("accepted by the registry; polling {url}"),
                None => "accepted by the registry; waiting for its callback".to_owned(),
            }),
            _ => error.clone(),
        };
        history(
            &mut tx,
            &claim.application_id,
            Some(&format!("{}#{}", claim.service_id, claim.item)),
            status.as_str(),
            detail.as_deref(),
            now,
        )
        .await?;
        if status.is_terminal() {
            advance(&mut tx, &claim.application_id, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
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

fn claim_from_row(row: &sqlx::any::AnyRow) -> Result<Claim, StoreError> {
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
        locked_until: row.try_get("locked_until")?,
    })
}

/// Release waiting sub-requests whose dependencies all succeeded, block those behind a failure,
/// and store the application's new summary.
pub(super) async fn advance(
    tx: &mut sqlx::AnyConnection,
    application_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    let rows = sqlx::query(
        "SELECT id, service_id, item, status, depends_on FROM sub_requests WHERE application_id = $1",
    )
    .bind(application_id)
    .fetch_all(&mut *tx)
    .await?;
    // Calls are keyed `service#item`, as their dependencies are written.
    let mut statuses: BTreeMap<String, SubStatus> = BTreeMap::new();
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for row in &rows {
        let service_id: String = row.try_get("service_id")?;
        let item: i64 = row.try_get("item")?;
        let service = format!("{service_id}#{item}");
        ids.insert(service.clone(), row.try_get("id")?);
        let status: String = row.try_get("status")?;
        let depends: String = row.try_get("depends_on")?;
        let status =
            SubStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(status.clone()))?;
        statuses.insert(service.clone(), status);
        deps.insert(
            service,
            serde_json::from_str(&depends).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
    }
    let original = statuses.clone();
    loop {
        let mut changed = false;
        for (service, depends) in &deps {
            if statuses.get(service) != Some(&SubStatus::Waiting) {
                continue;
            }
            let of = |d: &String| statuses.get(d).copied();
            let next = if depends
                .iter()
                .any(|d| matches!(of(d), Some(SubStatus::Failed | SubStatus::Blocked)))
            {
                Some(SubStatus::Blocked)
            } else if depends.iter().all(|d| of(d) == Some(SubStatus::Succeeded)) {
                Some(SubStatus::Ready)
            } else {
                None
            };
            if let Some(next) = next {
                statuses.insert(service.clone(), next);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    release(tx, application_id, &original, &statuses, &ids, now).await?;
    let all: Vec<SubStatus> = statuses.values().copied().collect();
    let summary = ApplicationStatus::summarise(&all);
    if summary != ApplicationStatus::InProgress {
        sqlx::query("UPDATE applications SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(summary.as_str())
            .bind(now)
            .bind(application_id)
            .execute(&mut *tx)
            .await?;
        history(tx, application_id, None, summary.as_str(), None, now).await?;
    }
    Ok(())
}

/// Store the statuses that `advance` changed: one `UPDATE` per new status and their history
/// rows in one statement (in `service#item` order, as before), instead of two statements per
/// released or blocked call, all under the application's lock.
async fn release(
    tx: &mut sqlx::AnyConnection,
    application_id: &str,
    original: &BTreeMap<String, SubStatus>,
    statuses: &BTreeMap<String, SubStatus>,
    ids: &BTreeMap<String, String>,
    now: i64,
) -> Result<(), StoreError> {
    let changed: Vec<(&String, SubStatus)> = statuses
        .iter()
        .filter(|(call, status)| original.get(*call) != Some(status))
        .map(|(call, status)| (call, *status))
        .collect();
    let mut news: Vec<SubStatus> = Vec::new();
    for (_, status) in &changed {
        if !news.contains(status) {
            news.push(*status);
        }
    }
    for new in news {
        let of_new: Vec<&String> = changed
            .iter()
            .filter(|(_, s)| *s == new)
            .filter_map(|(call, _)| ids.get(*call))
            .collect();
        for chunk in of_new.chunks(256) {
            let list = (0..chunk.len())
                .map(|n| format!("${}", n + 3))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "UPDATE sub_requests SET status = $1, next_attempt_at = $2, updated_at = $2 WHERE id IN ({list})"
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(new.as_str())
                .bind(now);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            query.execute(&mut *tx).await?;
        }
    }
    let transitions: Vec<Transition> = changed
        .iter()
        .map(|(call, status)| {
            let detail =
                (*status == SubStatus::Blocked).then_some("a service it depends on failed");
            (Some((*call).clone()), status.as_str(), detail)
        })
        .collect();
    history_rows(tx, application_id, &transitions, now).await
}
