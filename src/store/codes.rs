//! One-time confirmation codes as stored: one row per human step, the code as an HMAC, the
//! wrong tries counted across codes, the lock, the pace of sending and the reminder.

use super::{Store, StoreError};
use sqlx::Row;

/// A step's code as it stands.
#[derive(Debug, Clone, Default)]
pub struct CodeState {
    /// The HMAC of the code in force, if one was sent and not yet used.
    pub code_hmac: Option<String>,
    pub expires_at: Option<i64>,
    pub wrong_tries: i64,
    pub locked: bool,
    pub sends: i64,
    pub last_sent_at: Option<i64>,
}

impl Store {
    /// The code state of the step `sub_request` (the default when none was ever sent).
    pub async fn code_state(&self, sub_request: &str) -> Result<CodeState, StoreError> {
        let row = sqlx::query(
            "SELECT code_hmac, expires_at, wrong_tries, locked, sends, last_sent_at
             FROM confirmation_codes WHERE sub_request_id = $1",
        )
        .bind(sub_request)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(CodeState::default());
        };
        Ok(CodeState {
            code_hmac: row.try_get("code_hmac")?,
            expires_at: row.try_get("expires_at")?,
            wrong_tries: row.try_get("wrong_tries")?,
            locked: row.try_get::<i64, _>("locked")? != 0,
            sends: row.try_get("sends")?,
            last_sent_at: row.try_get("last_sent_at")?,
        })
    }

    /// Keep a new code (replacing any earlier one) as sent at `now`.
    pub async fn new_code(
        &self,
        sub_request: &str,
        code_hmac: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO confirmation_codes (sub_request_id, code_hmac, expires_at, sends, last_sent_at)
             VALUES ($1, $2, $3, 1, $4)
             ON CONFLICT (sub_request_id) DO UPDATE SET code_hmac = $2, expires_at = $3,
                sends = confirmation_codes.sends + 1, last_sent_at = $4",
        )
        .bind(sub_request)
        .bind(code_hmac)
        .bind(expires_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Count a missing, wrong or expired code; at `lock_after` the step locks. Whether it is
    /// locked now.
    pub async fn wrong_code(&self, sub_request: &str, lock_after: i64) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "INSERT INTO confirmation_codes (sub_request_id, wrong_tries, locked)
             VALUES ($1, 1, CASE WHEN 1 >= $2 THEN 1 ELSE 0 END)
             ON CONFLICT (sub_request_id) DO UPDATE SET
                wrong_tries = confirmation_codes.wrong_tries + 1,
                locked = CASE WHEN confirmation_codes.wrong_tries + 1 >= $2 THEN 1
                              ELSE confirmation_codes.locked END
             RETURNING locked",
        )
        .bind(sub_request)
        .bind(lock_after)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("locked")? != 0)
    }

    /// The code was right: it cannot be used again.
    pub async fn code_used(&self, sub_request: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE confirmation_codes SET code_hmac = NULL WHERE sub_request_id = $1")
            .bind(sub_request)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A new invitation: the count of wrong codes, the lock and the sending pace start again.
    pub async fn reinvite(&self, sub_request: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE confirmation_codes SET code_hmac = NULL, wrong_tries = 0, locked = 0, sends = 0,
                last_sent_at = NULL WHERE sub_request_id = $1",
        )
        .bind(sub_request)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Open human steps whose deadline falls before `until` and that were not reminded yet,
    /// each claimed for its reminder by this call alone (another instance gets the others):
    /// (sub-request id, application id, step id, callback token, deadline).
    pub async fn due_reminders(
        &self,
        now: i64,
        until: i64,
    ) -> Result<Vec<(String, String, String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, application_id, service_id, callback_token, deadline FROM sub_requests
             WHERE kind = 'human' AND status = 'awaiting' AND deadline > $1 AND deadline <= $2
               AND callback_token IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM confirmation_codes AS c
                               WHERE c.sub_request_id = sub_requests.id AND c.reminded_at IS NOT NULL)
             LIMIT 100",
        )
        .bind(now)
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for row in rows {
            let id: String = row.try_get("id")?;
            let done = sqlx::query(
                "INSERT INTO confirmation_codes (sub_request_id, reminded_at) VALUES ($1, $2)
                 ON CONFLICT (sub_request_id) DO UPDATE SET reminded_at = $2
                 WHERE confirmation_codes.reminded_at IS NULL",
            )
            .bind(&id)
            .bind(now)
            .execute(&self.pool)
            .await?;
            if done.rows_affected() == 1 {
                claimed.push((
                    id,
                    row.try_get("application_id")?,
                    row.try_get("service_id")?,
                    row.try_get("callback_token")?,
                    row.try_get("deadline")?,
                ));
            }
        }
        Ok(claimed)
    }
}
