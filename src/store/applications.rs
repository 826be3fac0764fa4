//! Storing an accepted application with all its sub-requests, and reading them back.

use super::{ApplicationStatus, Store, StoreError, SubStatus, json_text, now_ms, parse_json};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

/// An accepted application, ready to be stored in one transaction.
pub struct NewApplication {
    pub id: String,
    pub bundle_id: String,
    pub bundle_version: u32,
    pub data: Value,
    pub verify_code: String,
    /// Each registry call — service, item, and the calls it waits for (`service#item`) — in
    /// dependency order.
    pub calls: Vec<(String, i64, Vec<String>)>,
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
}

const APPLICATION_COLUMNS: &str =
    "id, bundle_id, bundle_version, status, data, verify_code, created_at, updated_at";
const SUB_REQUEST_COLUMNS: &str =
    "id, service_id, item, status, depends_on, attempts, outputs, error, updated_at";

impl Store {
    /// Store the application and one sub-request per service, all or nothing.
    pub async fn insert_application(&self, new: &NewApplication) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let mut services: Vec<&str> = new.calls.iter().map(|(s, _, _)| s.as_str()).collect();
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
        history(
            &mut tx,
            &new.id,
            None,
            ApplicationStatus::InProgress.as_str(),
            None,
            now,
        )
        .await?;
        for (position, (service, item, deps)) in new.calls.iter().enumerate() {
            let status = if deps.is_empty() {
                SubStatus::Ready
            } else {
                SubStatus::Waiting
            };
            sqlx::query(
                "INSERT INTO sub_requests (id, application_id, service_id, item, position, status, depends_on, attempts, next_attempt_at, idempotency_key, updated_at)
                 VALUES ($1, $2, $3, $9, $4, $5, $6, 0, $7, $8, $7)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(&new.id)
            .bind(service)
            .bind(position as i64)
            .bind(status.as_str())
            .bind(json_text(&serde_json::json!(deps)))
            .bind(now)
            .bind(format!("{}:{service}:{item}", new.id))
            .bind(*item)
            .execute(&mut *tx)
            .await?;
            let call = format!("{service}#{item}");
            history(&mut tx, &new.id, Some(&call), status.as_str(), None, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

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
    })
}
