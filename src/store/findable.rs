//! What applications are found by: the work list's search terms (per institution) and the
//! keys of the bundles' duplicate rules (across institutions). Written with the application,
//! replaced when a correction changes its data, removed with its personal data.

use super::applications::{Findable, NewApplication};
use super::sql::{IN_CHUNK, Ty, batch, bind_null_rows, bucket, padded, placeholders, typed_values};
use super::{ApplicationStatus, Store, StoreError};
use Ty::Text as T;
use sqlx::Row;

/// Rows per multi-row `INSERT`.
const ROWS_PER_INSERT: usize = 128;

/// The terms and keys of new applications (a citizen's online application has no terms: it is
/// in no institution's list).
pub(super) async fn insert(
    tx: &mut sqlx::AnyConnection,
    news: &[&NewApplication],
) -> Result<(), StoreError> {
    let terms: Vec<[&str; 3]> = (news.iter())
        .filter_map(|n| Some((n, n.origin.institution.as_deref()?)))
        .flat_map(|(n, institution)| {
            (n.findable.terms.iter()).map(move |t| [institution, t.as_str(), n.id.as_str()])
        })
        .collect();
    let keys: Vec<[&str; 2]> = (news.iter())
        .flat_map(|n| (n.findable.duplicate_keys.iter()).map(|k| [k.as_str(), n.id.as_str()]))
        .collect();
    insert_rows(
        tx,
        "application_terms (institution, term, application_id)",
        &terms,
    )
    .await?;
    insert_rows(tx, "duplicate_keys (key, application_id)", &keys).await
}

/// Rows of text into `table (columns)`, many per statement.
async fn insert_rows<const N: usize>(
    tx: &mut sqlx::AnyConnection,
    table: &str,
    rows: &[[&str; N]],
) -> Result<(), StoreError> {
    let types = [T; N];
    let columns: Vec<String> = (1..=N).map(|n| format!("column{n}")).collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let size = bucket(chunk.len());
        let sql = format!(
            "INSERT INTO {table} SELECT {} FROM (VALUES {}) AS v WHERE column1 IS NOT NULL
             ON CONFLICT DO NOTHING",
            columns.join(", "),
            typed_values(&types, size, 1)
        );
        let mut query = batch(&*tx, sql);
        for row in chunk {
            for value in row {
                query = query.bind(*value);
            }
        }
        bind_null_rows(query, &types, size - chunk.len())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Replace an application's terms and keys (its data was corrected).
pub(super) async fn replace(
    tx: &mut sqlx::AnyConnection,
    application_id: &str,
    institution: Option<&str>,
    findable: &Findable,
) -> Result<(), StoreError> {
    remove(tx, application_id).await?;
    let terms: Vec<[&str; 3]> = match institution {
        Some(institution) => (findable.terms.iter())
            .map(|t| [institution, t.as_str(), application_id])
            .collect(),
        None => Vec::new(),
    };
    let keys: Vec<[&str; 2]> = (findable.duplicate_keys.iter())
        .map(|k| [k.as_str(), application_id])
        .collect();
    insert_rows(
        tx,
        "application_terms (institution, term, application_id)",
        &terms,
    )
    .await?;
    insert_rows(tx, "duplicate_keys (key, application_id)", &keys).await
}

/// Remove an application's terms and keys.
pub(super) async fn remove(
    tx: &mut sqlx::AnyConnection,
    application_id: &str,
) -> Result<(), StoreError> {
    for table in ["application_terms", "duplicate_keys"] {
        let sql = format!("DELETE FROM {table} WHERE application_id = $1");
        batch(&*tx, sql)
            .bind(application_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// An earlier application a new one may repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier {
    pub id: String,
    pub institution: Option<String>,
    /// The keys of the new one it shares.
    pub keys: Vec<String>,
}

impl Store {
    /// The applications, not failed and with their data kept, that share one of `keys`.
    pub async fn sharing_keys(&self, keys: &[String]) -> Result<Vec<Earlier>, StoreError> {
        let mut earlier: Vec<Earlier> = Vec::new();
        for chunk in keys.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT d.key, a.id, a.institution FROM duplicate_keys AS d
                 JOIN applications AS a ON a.id = d.application_id
                 WHERE d.key IN ({}) AND a.status <> '{}' AND a.purged_at IS NULL
                 ORDER BY a.created_at, a.id",
                placeholders(1, bucket(chunk.len())),
                ApplicationStatus::Failed.as_str(),
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for key in padded(chunk) {
                query = query.bind(key);
            }
            for row in query.fetch_all(&self.pool).await? {
                let (key, id): (String, String) = (row.try_get(0)?, row.try_get(1)?);
                match earlier.iter_mut().find(|e| e.id == id) {
                    Some(found) => found.keys.push(key),
                    None => earlier.push(Earlier {
                        id,
                        institution: row.try_get(2)?,
                        keys: vec![key],
                    }),
                }
            }
        }
        Ok(earlier)
    }

    /// Applications of institutions that have no search terms yet (stored before the work
    /// list), oldest first, at most `limit`: their ids, bundles and data.
    pub async fn unindexed(
        &self,
        limit: i64,
    ) -> Result<Vec<(String, String, Option<String>, serde_json::Value)>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.bundle_id, a.institution, a.data FROM applications AS a
             WHERE a.institution IS NOT NULL AND a.purged_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM application_terms AS t WHERE t.application_id = a.id)
             ORDER BY a.created_at LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut found = Vec::with_capacity(rows.len());
        for row in rows {
            let data: String = row.try_get(3)?;
            let data = super::parse_json(&data)?;
            found.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, data));
        }
        Ok(found)
    }

    /// Store an application's terms and keys in place of what it had.
    pub async fn index(
        &self,
        application_id: &str,
        institution: Option<&str>,
        findable: &Findable,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        replace(&mut tx, application_id, institution, findable).await?;
        tx.commit().await?;
        Ok(())
    }
}
