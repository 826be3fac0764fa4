//! Storing an accepted application with all its sub-requests, and reading them back.

use super::queue::{CallContext, Claim, Take};
use super::sql::{Ty, batch, bind_null_rows, bucket, typed_values};
use super::{ApplicationStatus, Store, StoreError, SubKind, SubStatus, json_text, parse_json};
use Ty::{Int as I, Text as T};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::sync::Arc;

/// An accepted application, ready to be stored in one transaction.
pub struct NewApplication {
    pub id: String,
    pub bundle_id: String,
    pub bundle_version: u32,
    /// Shared with the contexts of its first calls (`CallContext::data`).
    pub data: Arc<Value>,
    pub verify_code: String,
    /// When the server received it (ms): the application's `created_at`, shown as
    /// `submitted_at`. It is stored a little later, by the writer's next batch.
    pub received_at: i64,
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
    /// Sent with every attempt of the call, so a registry makes its effect once.
    pub idempotency_key: String,
    /// Retriable failures in a row.
    pub failures: i64,
}

/// An application's `updated_at` is the latest change to it or any of its calls: the row's own
/// column changes with its status, and a batch that stores a call's outcome does not rewrite
/// the application's row (on PostgreSQL that would be a new version of the whole row, its data
/// included, every time; see `store::queue::lock_applications`).
const APPLICATION_COLUMNS: &str = "a.id, a.bundle_id, a.bundle_version, a.status, a.data, a.verify_code, a.created_at,
    COALESCE((SELECT MAX(s.updated_at) FROM sub_requests AS s
              WHERE s.application_id = a.id AND s.updated_at > a.updated_at), a.updated_at) AS updated_at";
const SUB_REQUEST_COLUMNS: &str = "id, service_id, item, status, depends_on, attempts, outputs, error, updated_at, kind, callback_token, deadline, idempotency_key, failures";

impl Store {
    pub async fn application(&self, id: &str) -> Result<Option<ApplicationRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications AS a WHERE a.id = $1"
        ));
        let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(application_from_row).transpose()
    }

    pub async fn application_by_verify_code(
        &self,
        code: &str,
    ) -> Result<Option<ApplicationRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications AS a WHERE a.verify_code = $1"
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

/// Rows per multi-row `INSERT` (at most 16 parameters each, well under either backend's limit).
const ROWS_PER_INSERT: usize = 64;

/// The types of a new application row, in the order of its `INSERT`: id, bundle, version,
/// status, data, services, verify code, time.
const APPLICATION_ROW: [Ty; 8] = [T, T, I, T, T, T, T, I];

/// The types of a new sub-request row, in the order of its `INSERT`: id, application,
/// service, item, position, status, dependencies, attempts, next attempt, idempotency key,
/// time, kind, callback token, deadline, lease end, claimed by.
const CALL_ROW: [Ty; 16] = [T, T, T, I, I, T, T, I, I, T, I, T, T, I, I, T];

/// Store new applications in a transaction: one multi-row `INSERT` for the applications and
/// one for their sub-requests (per `ROWS_PER_INSERT`), however many there are. The history
/// gets each application's `in_progress`; a call's first status is its row's, and its history
/// starts with its first change. With `take`, their first calls are claimed at once (within
/// the take's limit, which is lowered by as many) and returned ready to send.
pub(super) async fn insert_applications(
    tx: &mut sqlx::AnyConnection,
    news: &[&NewApplication],
    now: i64,
    mut take: Option<&mut Take<'_>>,
    history: &mut Vec<Change>,
) -> Result<Vec<Claim>, StoreError> {
    for chunk in news.chunks(ROWS_PER_INSERT) {
        let size = bucket(chunk.len());
        let sql = format!(
            "INSERT INTO applications (id, bundle_id, bundle_version, status, data, services, verify_code, created_at, updated_at)
             SELECT column1, column2, column3, column4, column5, column6, column7, column8, column8
             FROM (VALUES {}) AS v WHERE column1 IS NOT NULL",
            typed_values(&APPLICATION_ROW, size, 1)
        );
        let mut query = batch(&*tx, sql);
        for new in chunk {
            let mut services: Vec<&str> = new
                .calls
                .iter()
                .filter(|c| c.kind == SubKind::Service)
                .map(|c| c.service.as_str())
                .collect();
            services.dedup();
            query = query
                .bind(new.id.as_str())
                .bind(new.bundle_id.as_str())
                .bind(i64::from(new.bundle_version))
                .bind(ApplicationStatus::InProgress.as_str())
                .bind(json_text(&new.data))
                .bind(json_text(&serde_json::json!(services)))
                .bind(new.verify_code.as_str())
                .bind(new.received_at.min(now));
        }
        bind_null_rows(query, &APPLICATION_ROW, size - chunk.len())
            .execute(&mut *tx)
            .await?;
    }
    let mut rows: Vec<(&NewApplication, &NewCall, usize, CallRow)> = Vec::new();
    for new in news {
        history.push(Change::of(
            &new.id,
            None,
            ApplicationStatus::InProgress.as_str(),
        ));
        for (position, call) in new.calls.iter().enumerate() {
            let first = first_status(call);
            let taker = take
                .as_deref_mut()
                .filter(|t| first == SubStatus::Ready && t.limit > 0);
            let claimed = taker.map(|t| {
                t.limit -= 1;
                (now + t.lease_ms, t.instance.to_owned())
            });
            let row = CallRow::new(new, call, first, claimed, now);
            rows.push((new, call, position, row));
        }
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let size = bucket(chunk.len());
        let sql = format!(
            "INSERT INTO sub_requests (id, application_id, service_id, item, position, status, depends_on, attempts, next_attempt_at, idempotency_key, updated_at, kind, callback_token, deadline, locked_until, claimed_by)
             SELECT column1, column2, column3, column4, column5, column6, column7, column8, column9, column10, column11, column12, column13, column14, column15, column16
             FROM (VALUES {}) AS v WHERE column1 IS NOT NULL",
            typed_values(&CALL_ROW, size, 1)
        );
        let mut query = batch(&*tx, sql);
        for (new, call, position, row) in chunk {
            query = query
                .bind(row.record.id.as_str())
                .bind(new.id.as_str())
                .bind(call.service.as_str())
                .bind(call.item)
                .bind(*position as i64)
                .bind(row.record.status.as_str())
                .bind(json_text(&serde_json::json!(call.depends_on)))
                .bind(row.record.attempts)
                .bind(call.deadline.unwrap_or(now))
                .bind(row.record.idempotency_key.as_str())
                .bind(now)
                .bind(call.kind.as_str())
                .bind(row.record.callback_token.as_deref())
                .bind(call.deadline)
                .bind(row.claimed.as_ref().map(|c| c.0))
                .bind(row.claimed.as_ref().map(|c| c.1.as_str()));
        }
        bind_null_rows(query, &CALL_ROW, size - chunk.len())
            .execute(&mut *tx)
            .await?;
    }
    for new in news {
        if let Some((key, response)) = &new.submission_key {
            super::submissions::record_answer(tx, key, &new.id, response).await?;
        }
    }
    Ok(first_claims(news, &rows))
}

/// A sub-request row about to be stored, and its claim if it was taken.
struct CallRow {
    record: SubRequestRecord,
    /// Lease end and instance.
    claimed: Option<(i64, String)>,
}

impl CallRow {
    fn new(
        new: &NewApplication,
        call: &NewCall,
        first: SubStatus,
        claimed: Option<(i64, String)>,
        now: i64,
    ) -> Self {
        let (status, attempts) = match claimed {
            Some(_) => (SubStatus::Running, 1),
            None => (first, 0),
        };
        Self {
            record: SubRequestRecord {
                id: uuid::Uuid::now_v7().to_string(),
                service_id: call.service.clone(),
                item: call.item,
                status,
                depends_on: call.depends_on.clone(),
                attempts,
                outputs: None,
                error: None,
                updated_at: now,
                kind: call.kind,
                callback_token: Some(super::ordered_token()),
                deadline: call.deadline,
                idempotency_key: format!("{}:{}:{}", new.id, call.service, call.item),
                failures: 0,
            },
            claimed,
        }
    }
}

/// The claims of the calls taken as new applications were stored, each with its
/// application's data and siblings (nothing has outputs yet).
fn first_claims(
    news: &[&NewApplication],
    rows: &[(&NewApplication, &NewCall, usize, CallRow)],
) -> Vec<Claim> {
    let mut claims = Vec::new();
    for new in news {
        let mine: Vec<&CallRow> = rows
            .iter()
            .filter(|(n, ..)| n.id == new.id)
            .map(|(.., row)| row)
            .collect();
        if mine.iter().all(|row| row.claimed.is_none()) {
            continue;
        }
        let context = Arc::new(CallContext {
            bundle_id: new.bundle_id.clone(),
            data: new.data.clone(),
            siblings: mine.iter().map(|row| row.record.clone()).collect(),
        });
        for row in mine {
            let Some((locked_until, _)) = &row.claimed else {
                continue;
            };
            claims.push(Claim {
                id: row.record.id.clone(),
                application_id: new.id.clone(),
                service_id: row.record.service_id.clone(),
                item: row.record.item,
                kind: row.record.kind,
                attempts: 1,
                failures: 0,
                idempotency_key: row.record.idempotency_key.clone(),
                callback_token: row.record.callback_token.clone(),
                poll_url: None,
                deadline: row.record.deadline,
                locked_until: *locked_until,
                context: Some(context.clone()),
            });
        }
    }
    claims
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

/// One transition to record in the history.
#[derive(Debug, Clone)]
pub(super) struct Change {
    pub application: String,
    /// `service#item`, or `None` for the application itself.
    pub call: Option<String>,
    pub status: &'static str,
    pub detail: Option<String>,
}

impl Change {
    pub fn of(application: &str, call: Option<String>, status: &'static str) -> Self {
        Self {
            application: application.to_owned(),
            call,
            status,
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: Option<String>) -> Self {
        self.detail = detail;
        self
    }
}

/// The columns of a history row before its time: application, call, status, detail, and its
/// place in the list (the rows are inserted in that order).
const HISTORY_ROW: [Ty; 5] = [T, T, T, T, I];

/// Transitions of any applications at one time, in order, one statement per
/// `ROWS_PER_INSERT` of them.
pub(super) async fn record_history(
    conn: &mut sqlx::AnyConnection,
    changes: &[Change],
    at: i64,
) -> Result<(), StoreError> {
    for (chunk_no, chunk) in changes.chunks(ROWS_PER_INSERT).enumerate() {
        let size = bucket(chunk.len());
        let sql = format!(
            "INSERT INTO status_history (application_id, service_id, status, detail, at)
             SELECT column1, column2, column3, column4, $1
             FROM (VALUES {}) AS v WHERE column3 IS NOT NULL ORDER BY column5",
            typed_values(&HISTORY_ROW, size, 2)
        );
        let mut query = batch(&*conn, sql).bind(at);
        for (n, change) in chunk.iter().enumerate() {
            query = query
                .bind(change.application.as_str())
                .bind(change.call.as_deref())
                .bind(change.status)
                .bind(change.detail.as_deref())
                .bind((chunk_no * ROWS_PER_INSERT + n) as i64);
        }
        bind_null_rows(query, &HISTORY_ROW, size - chunk.len())
            .execute(&mut *conn)
            .await?;
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
        idempotency_key: row.try_get("idempotency_key")?,
        failures: row.try_get("failures")?,
    })
}
