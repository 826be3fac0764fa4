//! Submission idempotency keys: a retried POST with the same `Idempotency-Key` gets the first
//! answer, never a second application.
//!
//! A key is reserved (with the request's hash) just before the application is stored, and its
//! answer written in the same transaction as the application. A reservation whose storing died
//! with its process is taken over after `STALE_MS`.

use super::{Store, StoreError, now_ms};
use sqlx::Row;

/// A reservation older than this, still without an answer, belonged to a process that died.
/// It must be far longer than any live request could take to store its application: clients
/// (the mobile kit among them) give up on an answer after 30 s and send again with the same
/// key, and a reservation taken over while its first request is still storing would let both
/// store an application. Ten minutes: a retry after a crash waits that long (answered 409,
/// "still being stored"), never a second application.
const STALE_MS: i64 = 10 * 60_000;

/// What is known about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmissionKey {
    /// Never used (or its reservation was released).
    Unused,
    /// The first request with this key is being stored right now.
    Pending { request_hash: String },
    /// The first request was stored; its answer is kept.
    Answered {
        request_hash: String,
        response: String,
    },
}

impl Store {
    /// Where a submission key stands.
    pub async fn submission_key(&self, key: &str) -> Result<SubmissionKey, StoreError> {
        let row = sqlx::query(
            "SELECT request_hash, response, created_at FROM submission_keys WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(SubmissionKey::Unused);
        };
        let request_hash: String = row.try_get("request_hash")?;
        let response: Option<String> = row.try_get("response")?;
        let created_at: i64 = row.try_get("created_at")?;
        Ok(match response {
            Some(response) => SubmissionKey::Answered {
                request_hash,
                response,
            },
            None if created_at < now_ms() - STALE_MS => SubmissionKey::Unused,
            None => SubmissionKey::Pending { request_hash },
        })
    }

    /// Reserve a key for a request; false if another request holds it (answered or pending).
    pub async fn reserve_submission_key(
        &self,
        key: &str,
        request_hash: &str,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO submission_keys (key, request_hash, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(request_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(true);
        }
        // Take over a reservation abandoned by a process that died while storing.
        let taken = sqlx::query(
            "UPDATE submission_keys SET request_hash = $1, created_at = $2
             WHERE key = $3 AND response IS NULL AND created_at < $4",
        )
        .bind(request_hash)
        .bind(now)
        .bind(key)
        .bind(now - STALE_MS)
        .execute(&self.pool)
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Give a reserved key back (storing the application failed).
    pub async fn release_submission_key(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM submission_keys WHERE key = $1 AND response IS NULL")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Keep the answer for a reserved key, in the transaction that stores its application.
pub(super) async fn record_answer(
    tx: &mut sqlx::AnyConnection,
    key: &str,
    application_id: &str,
    response: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE submission_keys SET application_id = $1, response = $2 WHERE key = $3")
        .bind(application_id)
        .bind(response)
        .bind(key)
        .execute(tx)
        .await?;
    Ok(())
}
