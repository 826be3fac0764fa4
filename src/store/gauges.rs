//! What `/metrics` and the registries' page read from the database when asked: the calls in
//! the queue (through the index of due work, which holds only those), how long the oldest due
//! call has waited, and the applications by bundle and status.

use super::{Store, StoreError};
use crate::telemetry::Gauges;
use sqlx::Row;

/// The calls waiting for one service's registry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Waiting {
    pub service: String,
    /// Ready calls whose time has come (or that are held for their registry).
    pub calls: i64,
    /// When the oldest of them became due (ms).
    pub oldest_due: Option<i64>,
}

impl Store {
    /// The database's figures for `/metrics`, as of `now` (ms).
    pub async fn gauges(&self, now: i64) -> Result<Gauges, StoreError> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) FROM sub_requests
             WHERE status IN ('ready', 'awaiting', 'running') GROUP BY status",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut gauges = Gauges::default();
        for row in rows {
            gauges.sub_requests.push((row.try_get(0)?, row.try_get(1)?));
        }
        let oldest: Option<i64> =
            sqlx::query("SELECT MIN(next_attempt_at) FROM sub_requests WHERE status = 'ready'")
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
        gauges.oldest_due_seconds = oldest.map_or(0.0, |at| (now - at).max(0) as f64 / 1000.0);
        let rows = sqlx::query(
            "SELECT bundle_id, status, COUNT(*) FROM applications GROUP BY bundle_id, status",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            let entry = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            gauges.applications.push(entry);
        }
        Ok(gauges)
    }

    /// The ready calls whose time has come, by service, as of `now` (ms).
    pub async fn waiting_calls(&self, now: i64) -> Result<Vec<Waiting>, StoreError> {
        let rows = sqlx::query(
            "SELECT service_id, COUNT(*), MIN(next_attempt_at) FROM sub_requests
             WHERE status = 'ready' AND next_attempt_at <= $1 GROUP BY service_id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Waiting {
                    service: row.try_get(0)?,
                    calls: row.try_get(1)?,
                    oldest_due: row.try_get(2)?,
                })
            })
            .collect()
    }
}
