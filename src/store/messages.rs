//! The message log: each exchange with a registry — its message id, the protocol, the hashes of
//! the request's and the answer's bytes, the answer's status, when it went and came — kept with
//! the call it belongs to, in the same transaction as the call's outcome.

use super::sql::{Ty, batch, bind_null_rows, bucket, typed_values};
use super::{ApplicationId, Store, StoreError};
use Ty::{Int as I, Text as T};
use sqlx::Row;

/// Rows per multi-row `INSERT` (10 parameters each).
const ROWS_PER_INSERT: usize = 64;

/// One exchange with a registry, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Message {
    pub protocol: &'static str,
    pub message_id: String,
    /// SHA-256 of the request's bytes, base64.
    pub request_hash: String,
    /// SHA-256 of the answer's bytes, base64 (none: no answer came).
    pub response_hash: Option<String>,
    pub http_status: Option<u16>,
    /// Milliseconds since the Unix epoch.
    pub sent_at: i64,
    pub answered_at: i64,
}

/// A logged exchange as read back: the call (`service#item`) and attempt it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoggedMessage {
    pub call: String,
    pub attempt: i64,
    pub protocol: String,
    pub message_id: String,
    pub request_hash: String,
    pub response_hash: Option<String>,
    pub http_status: Option<i64>,
    pub sent_at: i64,
    pub answered_at: i64,
}

/// One exchange to log: its application, call and attempt.
pub(super) struct Logged<'a> {
    pub application: &'a str,
    pub call: String,
    pub attempt: i64,
    pub message: &'a Message,
}

/// The exchanges of the outcomes, to log (those of lost leases too: they happened).
pub(super) fn logged<'a>(
    outcomes: &[(&'a super::Claim, &super::Completion, Option<&'a Message>)],
) -> Vec<Logged<'a>> {
    (outcomes.iter())
        .filter_map(|(claim, _, message)| {
            Some(Logged {
                application: claim.application_id.as_str(),
                call: claim.key().to_string(),
                attempt: claim.attempts,
                message: (*message)?,
            })
        })
        .collect()
}

/// application, call, attempt, protocol, message id, request hash, response hash, status,
/// sent, answered.
const ROW: [Ty; 10] = [T, T, I, T, T, T, T, I, I, I];

/// Log `messages`, one statement per `ROWS_PER_INSERT` of them.
pub(super) async fn log(
    conn: &mut sqlx::AnyConnection,
    messages: &[Logged<'_>],
) -> Result<(), StoreError> {
    for chunk in messages.chunks(ROWS_PER_INSERT) {
        let size = bucket(chunk.len());
        let sql = format!(
            "INSERT INTO registry_messages (application_id, call_key, attempt, protocol, message_id, request_hash, response_hash, http_status, sent_at, answered_at)
             SELECT column1, column2, column3, column4, column5, column6, column7, column8, column9, column10
             FROM (VALUES {}) AS v WHERE column1 IS NOT NULL",
            typed_values(&ROW, size, 1)
        );
        let mut query = batch(&*conn, sql);
        for logged in chunk {
            let m = logged.message;
            query = query
                .bind(logged.application)
                .bind(logged.call.as_str())
                .bind(logged.attempt)
                .bind(m.protocol)
                .bind(m.message_id.as_str())
                .bind(m.request_hash.as_str())
                .bind(m.response_hash.as_deref())
                .bind(m.http_status.map(i64::from))
                .bind(m.sent_at)
                .bind(m.answered_at);
        }
        bind_null_rows(query, &ROW, size - chunk.len())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Every exchange with a registry for an application, oldest first.
    pub async fn messages(
        &self,
        application_id: &ApplicationId,
    ) -> Result<Vec<LoggedMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT call_key, attempt, protocol, message_id, request_hash, response_hash, http_status, sent_at, answered_at
             FROM registry_messages WHERE application_id = $1 ORDER BY id",
        )
        .bind(application_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LoggedMessage {
                    call: row.try_get("call_key")?,
                    attempt: row.try_get("attempt")?,
                    protocol: row.try_get("protocol")?,
                    message_id: row.try_get("message_id")?,
                    request_hash: row.try_get("request_hash")?,
                    response_hash: row.try_get("response_hash")?,
                    http_status: row.try_get("http_status")?,
                    sent_at: row.try_get("sent_at")?,
                    answered_at: row.try_get("answered_at")?,
                })
            })
            .collect()
    }
}
