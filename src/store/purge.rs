//! Removing an application's personal data when its retention is over: its form data, the
//! registries' outputs and reasons, the details of its history, the patches of its corrections,
//! its links and codes. What has no personal data stays — ids, statuses, times, the check code —
//! and so does the audit trail, which gets the purge's own entry in the same transaction.

use super::{Store, StoreError, now_ms};
use sqlx::Row;

impl Store {
    /// Applications of `bundle` that ended before `ended_before` (ms) and still hold their data,
    /// oldest first, at most `limit`: (id, institution).
    pub async fn purgeable(
        &self,
        bundle: &str,
        ended_before: i64,
        limit: i64,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, institution FROM applications
             WHERE bundle_id = $1 AND status <> 'in_progress' AND purged_at IS NULL
               AND updated_at < $2
             ORDER BY updated_at LIMIT $3",
        )
        .bind(bundle)
        .bind(ended_before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("institution")?)))
            .collect()
    }

    /// Remove the personal data of application `id`, keeping each call's receipt check code
    /// (`codes`: sub-request id and code), removing what it is found by (`findable`, at its
    /// institution) and recording `audit`; `false` when it was removed
    /// already (by another instance, say).
    pub async fn purge(
        &self,
        id: &str,
        codes: &[(String, String)],
        (institution, findable): (Option<&str>, &super::Findable),
        audit: &crate::audit::Entry,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE applications SET data = '{}', purged_at = $1, duplicate_note = NULL
             WHERE id = $2 AND purged_at IS NULL AND status <> 'in_progress'",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let statements = [
            "DELETE FROM confirmation_codes WHERE sub_request_id IN
                (SELECT id FROM sub_requests WHERE application_id = $1)",
            "UPDATE sub_requests SET outputs = NULL, error = NULL, callback_token = NULL,
                poll_url = NULL WHERE application_id = $1",
            "UPDATE status_history SET detail = NULL WHERE application_id = $1",
            "UPDATE corrections SET patch = NULL WHERE application_id = $1",
        ];
        for sql in statements {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        super::findable::remove(&mut tx, id, institution, findable).await?;
        for (sub_request, code) in codes {
            sqlx::query("UPDATE sub_requests SET check_code = $1 WHERE id = $2")
                .bind(code)
                .bind(sub_request)
                .execute(&mut *tx)
                .await?;
        }
        super::audit::append(&mut tx, &[audit]).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The check codes kept when application `id` was purged, by sub-request id.
    pub async fn check_codes(
        &self,
        id: &crate::lifecycle::ApplicationId,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, check_code FROM sub_requests
             WHERE application_id = $1 AND check_code IS NOT NULL",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("check_code")?)))
            .collect()
    }
}
