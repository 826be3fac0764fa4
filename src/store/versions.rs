//! The stored bundle versions (issue 25): each version's files, kept on first use so that
//! applications submitted under it run to their end under it on any instance, after any
//! restart. A version's files are written once and never changed.

use super::{Store, StoreError, now_ms};
use sqlx::Row;
use std::collections::BTreeMap;

/// One stored version: its bundle, number, hash and files (path → text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    pub bundle: String,
    pub version: u32,
    pub hash: String,
    pub files: BTreeMap<String, String>,
}

/// What storing a version found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pinned {
    /// Stored now, or stored before with the same files.
    Kept,
    /// Stored before with other files: the hash stored then.
    Changed(String),
}

impl Store {
    /// Store a version's files unless it is stored already; whether the stored files are these.
    pub async fn pin_version(&self, version: &StoredVersion) -> Result<Pinned, StoreError> {
        let files = serde_json::to_string(&version.files)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO bundle_versions (bundle_id, version, content_hash, files, stored_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (bundle_id, version) DO NOTHING",
        )
        .bind(&version.bundle)
        .bind(i64::from(version.version))
        .bind(&version.hash)
        .bind(files)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        let stored: String = sqlx::query_scalar(
            "SELECT content_hash FROM bundle_versions WHERE bundle_id = $1 AND version = $2",
        )
        .bind(&version.bundle)
        .bind(i64::from(version.version))
        .fetch_one(&self.pool)
        .await?;
        Ok(if stored == version.hash {
            Pinned::Kept
        } else {
            Pinned::Changed(stored)
        })
    }

    /// Every stored version of the bundles other than the given current ones.
    pub async fn earlier_versions(
        &self,
        current: &[(String, u32)],
    ) -> Result<Vec<StoredVersion>, StoreError> {
        let rows = sqlx::query(
            "SELECT bundle_id, version, content_hash, files FROM bundle_versions
             ORDER BY bundle_id, version",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut found = Vec::new();
        for row in rows {
            let bundle: String = row.try_get("bundle_id")?;
            let number: i64 = row.try_get("version")?;
            let version = u32::try_from(number).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if current.iter().any(|(b, v)| *b == bundle && *v == version) {
                continue;
            }
            let files: String = row.try_get("files")?;
            found.push(StoredVersion {
                bundle,
                version,
                hash: row.try_get("content_hash")?,
                files: serde_json::from_str(&files)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            });
        }
        Ok(found)
    }
}
