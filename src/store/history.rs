//! The status history: every transition of an application and its calls, in order, with
//! its time and what caused it.

use super::record::StoredOutcome;
use super::sql::{Ty, batch, bind_null_rows, bucket, typed_values};
use super::{ApplicationId, Store, StoreError};
use super::{Claim, Completion};
use Ty::{Int as I, Text as T};
use sqlx::Row;

/// Rows per multi-row `INSERT` of history (5 parameters each).
const ROWS_PER_INSERT: usize = 64;

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
    pub async fn history(
        &self,
        application_id: &ApplicationId,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT service_id, status, detail, at FROM status_history WHERE application_id = $1 ORDER BY id",
        )
        .bind(application_id.as_str())
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

/// The history of each stored outcome; per outcome whether it was stored (its lease held),
/// and the applications whose calls ended or started failing, which are settled next.
pub(super) fn noted<'a>(
    done: &[(&'a Claim, &Completion)],
    stored: Vec<Option<StoredOutcome>>,
    history: &mut Vec<Change>,
) -> (Vec<bool>, Vec<&'a str>) {
    let mut applied = Vec::with_capacity(done.len());
    let mut finished: Vec<&str> = Vec::new();
    for ((claim, completion), row) in done.iter().zip(stored) {
        let Some(row) = row else {
            applied.push(false);
            continue;
        };
        applied.push(true);
        let detail = match completion {
            Completion::Retry { reason, .. } => Some(format!("retry: {reason}")),
            Completion::Held { reason, .. } => Some(format!("held: {reason}")),
            Completion::Awaiting { poll_url, .. } => Some(match poll_url {
                Some(url) => format!("accepted by the registry; polling {url}"),
                None => "accepted by the registry; waiting for its callback".to_owned(),
            }),
            _ => row.error,
        };
        let call = Some(claim.key().to_string());
        let change = Change::of(claim.application_id.as_str(), call, row.status.as_str());
        history.push(change.with_detail(detail));
        // An application is settled again when a call ends, and when one starts failing: its
        // stage in the work list takes the time the call will have retried too long.
        let starts_failing =
            matches!(completion, Completion::Retry { .. }) && claim.failing_since.is_none();
        if row.status.is_terminal() || starts_failing {
            finished.push(claim.application_id.as_str());
        }
    }
    (applied, finished)
}
