//! Storing an accepted application with all its sub-requests, and reading them back.

use super::queue::{CallContext, Claim, Take};
use super::{ApplicationStatus, Store, StoreError, SubKind, SubStatus, json_text, parse_json};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::sync::Arc;

/// An accepted application, ready to be stored in one transaction.
pub struct NewApplication {
    pub id: String,
    pub bundle_id: String,
    pub bundle_version: u32,
    pub data: Value,
    pub verify_code: String,
    /// Each registry call and human step, in dependency order.
    pub calls: Vec<NewCall>,
    /// The submission's `Idempotency-Key` (reserved beforehand) and the answer to keep for it.
    pub submission_key: Option<(String, String)>,
}

/// One sub-request of a new application.
pub struct NewCall {
    /// The service id, or the human step id.
    pub service: String,
    pub item: i64,
    /// The calls it waits for (`service#item`).
    pub depends_on: Vec<String>,
    pub kind: SubKind,
    /// For a human step: when it expires (ms).
    pub deadline: Option<i64>,
}

/// An application as stored.
#[derive(Debug, Clone)]
pub struct ApplicationRecord {
    pub id: String,
    pub bundle_id: String,
    pub bundle_version: i64,
    pub status: ApplicationStatus,
    pub data: Value,
    pub verify_code: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One sub-request as stored.
#[derive(Debug, Clone)]
pub struct SubRequestRecord {
    pub id: String,
    pub service_id: String,
    pub item: i64,
    pub status: SubStatus,
    pub depends_on: Vec<String>,
    pub attempts: i64,
    pub outputs: Option<Value>,
    pub error: Option<String>,
    pub updated_at: i64,
    pub kind: SubKind,
    /// The capability to finish it from outside (callback, confirmation).
    pub callback_token: Option<String>,
    pub deadline: Option<i64>,
}

const APPLICATION_COLUMNS: &str =
    "id, bundle_id, bundle_version, status, data, verify_code, created_at, updated_at";
const SUB_REQUEST_COLUMNS: &str = "id, service_id, item, status, depends_on, attempts, outputs, error, updated_at, kind, callback_token, deadline";

impl Store {
    pub async fn application(&self, id: &str) -> Result<Option<ApplicationRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1"
        ));
        let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(application_from_row).transpose()
    }

    pub async fn application_by_verify_code(
        &self,
        code: &str,
    ) -> Result<Option<ApplicationRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications WHERE verify_code = $1"
        ));
        let row = sqlx::query(sql)
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(application_from_row).transpose()
    }

    /// The sub-requests of an application, in dependency order.
    pub async fn sub_requests(
        &self,
        application_id: &str,
    ) -> Result<Vec<SubRequestRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SUB_REQUEST_COLUMNS} FROM sub_requests WHERE application_id = $1 ORDER BY position, item"
        ));
        let rows = sqlx::query(sql)
            .bind(application_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(sub_request_from_row).collect()
    }
}

/// Store a new application in a transaction. With `take`, its first calls are claimed at once
/// (within the take's limit, which is lowered by as many) and returned ready to send.
pub(super) async fn insert_application(
    tx: &mut sqlx::AnyConnection,
    new: &NewApplication,
    now: i64,
    take: Option<&mut Take<'_>>,
) -> Result<Vec<Claim>, StoreError> {
    let mut services: Vec<&str> = new
        .calls
        .iter()
        .filter(|c| c.kind == SubKind::Service)
        .map(|c| c.service.as_str())
        .collect();
    services.dedup();
    sqlx::query(
        "INSERT INTO applications (id, bundle_id, bundle_version, status, data, services, verify_code, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&new.id)
    .bind(&new.bundle_id)
    .bind(i64::from(new.bundle_version))
    .bind(ApplicationStatus::InProgress.as_str())
    .bind(json_text(&new.data))
    .bind(json_text(&serde_json::json!(services)))
    .bind(&new.verify_code)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let claims = insert_calls(tx, new, now, take).await?;
    if let Some((key, response)) = &new.submission_key {
        super::submissions::record_answer(tx, key, &new.id, response).await?;
    }
    Ok(claims)
}

/// Rows per multi-row `INSERT` (13 parameters each, well under either backend's limit).
const ROWS_PER_INSERT: usize = 64;

/// Insert every sub-request, then the history (the application's `in_progress`, then each
/// call's first status, in that order), one statement per `ROWS_PER_INSERT` rows instead of two
/// per call: on SQLite every statement is a round trip to the connection's own thread while
/// the write lock is held. Calls taken by `take` are stored `running` under its lease (their
/// history still says `ready`: that is where they started) and returned as claims.
async fn insert_calls(
    tx: &mut sqlx::AnyConnection,
    new: &NewApplication,
    now: i64,
    mut take: Option<&mut Take<'_>>,
) -> Result<Vec<Claim>, StoreError> {
    let application_id = new.id.as_str();
    let mut transitions: Vec<(&str, Transition)> = vec![(
        application_id,
        (None, ApplicationStatus::InProgress.as_str(), None),
    )];
    let mut records: Vec<SubRequestRecord> = Vec::with_capacity(new.calls.len());
    let mut taken: Vec<(usize, String)> = Vec::new();
    for (chunk_no, chunk) in new.calls.chunks(ROWS_PER_INSERT).enumerate() {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(insert_calls_sql(chunk.len())));
        for (n, call) in chunk.iter().enumerate() {
            let first = first_status(call);
            let take = take
                .as_deref_mut()
                .filter(|t| first == SubStatus::Ready && t.limit > 0);
            let (status, attempts, locked_until, claimed_by) = match take {
                Some(take) => {
                    take.limit -= 1;
                    let until = now + take.lease_ms;
                    (
                        SubStatus::Running,
                        1,
                        Some(until),
                        Some(take.instance.to_owned()),
                    )
                }
                None => (first, 0, None, None),
            };
            let (service, item) = (&call.service, call.item);
            let id = uuid::Uuid::now_v7().to_string();
            let key = format!("{application_id}:{service}:{item}");
            let token = super::random_token();
            query = query
                .bind(id.clone())
                .bind(application_id)
                .bind(service)
                .bind(item)
                .bind((chunk_no * ROWS_PER_INSERT + n) as i64)
                .bind(status.as_str())
                .bind(json_text(&serde_json::json!(call.depends_on)))
                .bind(attempts)
                .bind(call.deadline.unwrap_or(now))
                .bind(key.clone())
                .bind(now)
                .bind(call.kind.as_str())
                .bind(token.clone())
                .bind(call.deadline)
                .bind(locked_until)
                .bind(claimed_by);
            transitions.push((
                application_id,
                (Some(format!("{service}#{item}")), first.as_str(), None),
            ));
            if locked_until.is_some() {
                taken.push((records.len(), key));
            }
            records.push(SubRequestRecord {
                id,
                service_id: service.clone(),
                item,
                status,
                depends_on: call.depends_on.clone(),
                attempts,
                outputs: None,
                error: None,
                updated_at: now,
                kind: call.kind,
                callback_token: Some(token),
                deadline: call.deadline,
            });
        }
        query.execute(&mut *tx).await?;
    }
    history_of_many(tx, &transitions, now).await?;
    if taken.is_empty() {
        return Ok(Vec::new());
    }
    let lease_ms = take.map_or(0, |t| t.lease_ms);
    let context = Arc::new(CallContext {
        bundle_id: new.bundle_id.clone(),
        data: new.data.clone(),
        siblings: records.clone(),
    });
    Ok(taken
        .into_iter()
        .map(|(n, idempotency_key)| {
            let record = &records[n];
            Claim {
                id: record.id.clone(),
                application_id: application_id.to_owned(),
                service_id: record.service_id.clone(),
                item: record.item,
                kind: record.kind,
                attempts: 1,
                failures: 0,
                idempotency_key,
                callback_token: record.callback_token.clone(),
                poll_url: None,
                deadline: record.deadline,
                locked_until: now + lease_ms,
                context: Some(context.clone()),
            }
        })
        .collect())
}

/// `INSERT INTO sub_requests … VALUES (…), (…)` for `rows` calls of 16 parameters each.
fn insert_calls_sql(rows: usize) -> String {
    let values = (0..rows)
        .map(|r| {
            let p: Vec<String> = (1..=16).map(|c| format!("${}", r * 16 + c)).collect();
            format!("({})", p.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO sub_requests (id, application_id, service_id, item, position, status, depends_on, attempts, next_attempt_at, idempotency_key, updated_at, kind, callback_token, deadline, locked_until, claimed_by) VALUES {values}"
    )
}

/// Where a new sub-request starts: a person's step awaits them, a call without dependencies
/// is ready, the others wait.
fn first_status(call: &NewCall) -> SubStatus {
    match (call.kind, call.depends_on.is_empty()) {
        (SubKind::Human, _) => SubStatus::Awaiting,
        (SubKind::Service, true) => SubStatus::Ready,
        (SubKind::Service, false) => SubStatus::Waiting,
    }
}

/// One transition to record: `service#item` (or `None` for the application itself), the
/// status, the detail.
pub(super) type Transition<'a> = (Option<String>, &'a str, Option<String>);

/// Transitions of any applications at one time, in order, one statement per
/// `ROWS_PER_INSERT` of them.
pub(super) async fn history_of_many(
    conn: &mut sqlx::AnyConnection,
    rows: &[(&str, Transition<'_>)],
    at: i64,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let values = (0..chunk.len())
            .map(|r| {
                let p = 2 + 4 * r;
                format!("(${}, ${}, ${}, ${}, $1)", p, p + 1, p + 2, p + 3)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO status_history (application_id, service_id, status, detail, at) VALUES {values}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at);
        for (application_id, (call, status, detail)) in chunk {
            query = query
                .bind(*application_id)
                .bind(call.as_deref())
                .bind(*status)
                .bind(detail.as_deref());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// One recorded transition of an application (`call` is `None`) or of one of its sub-requests.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    /// `service#item` of the sub-request, or `None` for the application itself.
    pub call: Option<String>,
    pub status: String,
    pub detail: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
}

impl Store {
    /// Every transition of an application and its sub-requests, oldest first.
    pub async fn history(&self, application_id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT service_id, status, detail, at FROM status_history WHERE application_id = $1 ORDER BY id",
        )
        .bind(application_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(HistoryEntry {
                    call: row.try_get("service_id")?,
                    status: row.try_get("status")?,
                    detail: row.try_get("detail")?,
                    at: row.try_get("at")?,
                })
            })
            .collect()
    }
}

/// Record one transition in the status history.
pub(super) async fn history(
    conn: &mut sqlx::AnyConnection,
    application_id: &str,
    service_id: Option<&str>,
    status: &str,
    detail: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO status_history (application_id, service_id, status, detail, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(application_id)
        .bind(service_id)
        .bind(status)
        .bind(detail)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

fn application_from_row(row: &AnyRow) -> Result<ApplicationRecord, StoreError> {
    let status: String = row.try_get("status")?;
    let data: String = row.try_get("data")?;
    Ok(ApplicationRecord {
        id: row.try_get("id")?,
        bundle_id: row.try_get("bundle_id")?,
        bundle_version: row.try_get("bundle_version")?,
        status: ApplicationStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("application status {status}")))?,
        data: parse_json(&data)?,
        verify_code: row.try_get("verify_code")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(super) fn sub_request_from_row(row: &AnyRow) -> Result<SubRequestRecord, StoreError> {
    let status: String = row.try_get("status")?;
    let depends_on: String = row.try_get("depends_on")?;
    let outputs: Option<String> = row.try_get("outputs")?;
    let kind: String = row.try_get("kind")?;
    Ok(SubRequestRecord {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        item: row.try_get("item")?,
        status: SubStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("sub-request status {status}")))?,
        depends_on: serde_json::from_str(&depends_on)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        attempts: row.try_get("attempts")?,
        outputs: outputs.as_deref().map(parse_json).transpose()?,
        error: row.try_get("error")?,
        updated_at: row.try_get("updated_at")?,
        kind: SubKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("sub-request kind {kind}")))?,
        callback_token: row.try_get("callback_token")?,
        deadline: row.try_get("deadline")?,
    })
}
