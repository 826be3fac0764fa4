//! Applications and their sub-requests as stored: the records, and reading them back.

use super::{ApplicationStatus, Store, StoreError, SubKind, SubStatus, parse_json};
use crate::lifecycle::{ApplicationId, CallKey, CallView};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::sync::Arc;

/// An accepted application, ready to be stored in one transaction.
pub struct NewApplication {
    pub id: ApplicationId,
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
    /// Who submitted it and for which institution; a citizen's access secret's hash instead.
    pub origin: Origin,
    /// Its `application.submit` entry, stored with it.
    pub audit: Option<crate::audit::Entry>,
    /// What the work list finds it by, and the keys later submissions are compared with
    /// (boxed: a writer's jobs stay of a size).
    pub findable: Box<Findable>,
    /// The clerk's reason to go on should it repeat earlier applications (see
    /// `findable::screen`); without one, such an application is refused, not stored.
    pub duplicate_reason: Option<String>,
    /// The id of the request that submitted it (`X-Request-Id`), for its calls.
    pub request_id: Option<String>,
}

/// What the work list's search finds an application by (`terms`, normalised) and the keys of
/// its bundle's duplicate rules (`duplicate_keys`, keyed digests), made by `applications`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findable {
    pub terms: Vec<String>,
    pub duplicate_keys: Vec<String>,
    /// The duplicate rule each key is of (a rule over a list has a key per item), and the
    /// field the key's first value is at (`/children/1/medical_conclusion/number`).
    pub duplicate_rules: Vec<(usize, String)>,
}

/// Who submitted an application: staff (`submitted_by`, `institution`), or a citizen online,
/// who holds the secret hashed in `access_hash`.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub submitted_by: Option<String>,
    pub institution: Option<String>,
    pub access_hash: Option<String>,
}

/// One sub-request of a new application.
pub struct NewCall {
    /// The service id, or the human step id.
    pub service: String,
    pub item: i64,
    /// The calls it waits for.
    pub depends_on: Vec<CallKey>,
    pub kind: SubKind,
    /// For a human step: when it expires (ms).
    pub deadline: Option<i64>,
}

/// An application as stored.
#[derive(Debug, Clone)]
pub struct ApplicationRecord {
    pub id: ApplicationId,
    pub bundle_id: String,
    pub bundle_version: i64,
    pub status: ApplicationStatus,
    pub data: Value,
    pub verify_code: String,
    /// The institution it was submitted at (`None`: by a citizen online).
    pub institution: Option<String>,
    /// Who submitted it: a staff login or `token:NAME` (`None`: a citizen online).
    pub submitted_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// When its personal data was removed, its retention over (`None`: it is kept).
    pub purged_at: Option<i64>,
    /// The clerk's note when it was submitted although it repeats earlier ones (JSON).
    pub duplicate_note: Option<String>,
    /// The id of the request that submitted it (`X-Request-Id`).
    pub request_id: Option<String>,
}

/// One sub-request as stored.
#[derive(Debug, Clone)]
pub struct SubRequestRecord {
    pub id: String,
    pub service_id: String,
    pub item: i64,
    pub status: SubStatus,
    pub depends_on: Vec<CallKey>,
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

impl SubRequestRecord {
    /// The call's key within its application.
    pub fn key(&self) -> CallKey {
        CallKey::new(self.service_id.as_str(), self.item)
    }

    /// The call as the lifecycle's rules see it.
    pub fn view(&self) -> CallView<'_> {
        let key = (self.service_id.as_str(), self.item);
        CallView::new(key, self.kind, self.status, &self.depends_on)
    }
}

/// An application's `updated_at` is the latest change to it or any of its calls: the row's own
/// column changes with its status, and a batch that stores a call's outcome does not rewrite
/// the application's row (on PostgreSQL that would be a new version of the whole row, its data
/// included, every time; see `store::record::lock_applications`).
const APPLICATION_COLUMNS: &str = "a.id, a.bundle_id, a.bundle_version, a.status, a.data, a.verify_code, a.institution, a.submitted_by, a.created_at, a.purged_at, a.duplicate_note, a.request_id,
    COALESCE((SELECT MAX(s.updated_at) FROM sub_requests AS s
              WHERE s.application_id = a.id AND s.updated_at > a.updated_at), a.updated_at) AS updated_at";
const SUB_REQUEST_COLUMNS: &str = "id, service_id, item, status, depends_on, attempts, outputs, error, updated_at, kind, callback_token, deadline, idempotency_key, failures";

impl Store {
    pub async fn application(
        &self,
        id: &ApplicationId,
    ) -> Result<Option<ApplicationRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications AS a WHERE a.id = $1"
        ));
        let row = sqlx::query(sql)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
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
        application_id: &ApplicationId,
    ) -> Result<Vec<SubRequestRecord>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SUB_REQUEST_COLUMNS} FROM sub_requests WHERE application_id = $1 ORDER BY position, item"
        ));
        let rows = sqlx::query(sql)
            .bind(application_id.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(sub_request_from_row).collect()
    }
}

fn application_from_row(row: &AnyRow) -> Result<ApplicationRecord, StoreError> {
    let status: String = row.try_get("status")?;
    let data: String = row.try_get("data")?;
    Ok(ApplicationRecord {
        id: super::application_id(row, "id")?,
        bundle_id: row.try_get("bundle_id")?,
        bundle_version: row.try_get("bundle_version")?,
        status: ApplicationStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("application status {status}")))?,
        data: parse_json(&data)?,
        verify_code: row.try_get("verify_code")?,
        institution: row.try_get("institution")?,
        submitted_by: row.try_get("submitted_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        purged_at: row.try_get("purged_at")?,
        duplicate_note: row.try_get("duplicate_note")?,
        request_id: row.try_get("request_id")?,
    })
}

/// A sub-request read with `SUB_REQUEST_COLUMNS` (or more).
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
