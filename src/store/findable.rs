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

/// Replace an application's terms and keys `old` with `new` (its data was corrected).
pub(super) async fn replace(
    tx: &mut sqlx::AnyConnection,
    application_id: &str,
    institution: Option<&str>,
    (old, new): (&Findable, &Findable),
) -> Result<(), StoreError> {
    remove(tx, application_id, institution, old).await?;
    let terms: Vec<[&str; 3]> = match institution {
        Some(institution) => (new.terms.iter())
            .map(|t| [institution, t.as_str(), application_id])
            .collect(),
        None => Vec::new(),
    };
    let keys: Vec<[&str; 2]> = (new.duplicate_keys.iter())
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

/// Remove an application's terms and keys, each by its whole key (the tables have no index by
/// application, which would cost every submission a write).
pub(super) async fn remove(
    tx: &mut sqlx::AnyConnection,
    application_id: &str,
    institution: Option<&str>,
    old: &Findable,
) -> Result<(), StoreError> {
    if let Some(institution) = institution {
        for term in &old.terms {
            let sql = "DELETE FROM application_terms
                       WHERE institution = $1 AND term = $2 AND application_id = $3";
            let query = batch(&*tx, sql.to_owned())
                .bind(institution)
                .bind(term.as_str());
            query.bind(application_id).execute(&mut *tx).await?;
        }
    }
    for key in &old.duplicate_keys {
        let sql = "DELETE FROM duplicate_keys WHERE key = $1 AND application_id = $2";
        let query = batch(&*tx, sql.to_owned()).bind(key.as_str());
        query.bind(application_id).execute(&mut *tx).await?;
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

/// New applications screened for the ones they repeat, in the writer's transaction: those to
/// store (`keep`), with the note of a confirmed repetition (`notes`, by id), and those refused
/// for repeating earlier ones without a reason (`refused`, with the earlier ones). An earlier
/// application of the same batch counts as one.
#[derive(Default)]
pub(super) struct Screened<'a> {
    pub keep: Vec<&'a NewApplication>,
    pub notes: Vec<(String, serde_json::Value)>,
    pub refused: Vec<(String, Vec<Earlier>)>,
}

/// Screen `news` against the stored applications (not failed, data kept) and each other.
pub(super) async fn screen<'a>(
    tx: &mut sqlx::AnyConnection,
    news: &[&'a NewApplication],
) -> Result<Screened<'a>, StoreError> {
    let keys: Vec<String> = (news.iter())
        .flat_map(|n| n.findable.duplicate_keys.iter().cloned())
        .collect();
    let mut stored = stored_sharing(tx, &keys).await?;
    let mut screened = Screened::default();
    for new in news {
        let mine = &new.findable.duplicate_keys;
        let mut earlier: Vec<Earlier> = Vec::new();
        for (key, id, institution) in stored.iter().filter(|(k, ..)| mine.contains(k)) {
            match earlier.iter_mut().find(|e| &e.id == id) {
                Some(found) => found.keys.push(key.clone()),
                None => earlier.push(Earlier {
                    id: id.clone(),
                    institution: institution.clone(),
                    keys: vec![key.clone()],
                }),
            }
        }
        match (earlier.is_empty(), &new.duplicate_reason) {
            (true, _) => {}
            (false, Some(reason)) => {
                let note = note(&earlier, new.origin.institution.as_deref(), reason);
                screened.notes.push((new.id.to_string(), note));
            }
            (false, None) => {
                screened.refused.push((new.id.to_string(), earlier));
                continue;
            }
        }
        screened.keep.push(new);
        // What this one stores, the next ones of the batch repeat.
        for key in mine {
            let institution = new.origin.institution.clone();
            stored.push((key.clone(), new.id.to_string(), institution));
        }
    }
    Ok(screened)
}

/// What is kept of a confirmed repetition: the repeated applications of the same institution,
/// how many of others, and the reason.
fn note(earlier: &[Earlier], institution: Option<&str>, reason: &str) -> serde_json::Value {
    let own: Vec<&str> = (earlier.iter())
        .filter(|e| institution.is_some() && e.institution.as_deref() == institution)
        .map(|e| e.id.as_str())
        .collect();
    serde_json::json!({ "of": own, "elsewhere": earlier.len() - own.len(), "reason": reason })
}

/// `(key, application, institution)` of the stored applications, not failed and with their
/// data kept, that have one of `keys`.
async fn stored_sharing(
    tx: &mut sqlx::AnyConnection,
    keys: &[String],
) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
    let mut found = Vec::new();
    for chunk in keys.chunks(IN_CHUNK) {
        let sql = format!(
            "SELECT d.key, a.id, a.institution FROM duplicate_keys AS d
             JOIN applications AS a ON a.id = d.application_id
             WHERE d.key IN ({}) AND a.status <> '{}' AND a.purged_at IS NULL",
            placeholders(1, bucket(chunk.len())),
            ApplicationStatus::Failed.as_str(),
        );
        let mut query = batch(&*tx, sql);
        for key in padded(chunk) {
            query = query.bind(key);
        }
        for row in query.fetch_all(&mut *tx).await? {
            found.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
        }
    }
    Ok(found)
}

/// Keep the notes of confirmed repetitions with their applications.
pub(super) async fn store_notes(
    tx: &mut sqlx::AnyConnection,
    notes: &[(String, serde_json::Value)],
) -> Result<(), StoreError> {
    for (id, note) in notes {
        let sql = "UPDATE applications SET duplicate_note = $1 WHERE id = $2";
        let query = batch(&*tx, sql.to_owned()).bind(note.to_string());
        query.bind(id.as_str()).execute(&mut *tx).await?;
    }
    Ok(())
}

impl Store {
    /// Applications stored before the work list, not yet given their terms (see the
    /// migration's `work_list_backfill`), at most `limit`: their ids, bundles, institutions and
    /// data.
    pub async fn unindexed(
        &self,
        limit: i64,
    ) -> Result<Vec<(String, String, Option<String>, serde_json::Value)>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.bundle_id, a.institution, a.data FROM work_list_backfill AS b
             JOIN applications AS a ON a.id = b.application_id LIMIT $1",
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

    /// Store the terms and keys of an application stored before the work list.
    pub async fn index(
        &self,
        application_id: &str,
        institution: Option<&str>,
        findable: &Findable,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let empty = Findable::default();
        replace(&mut tx, application_id, institution, (&empty, findable)).await?;
        sqlx::query("DELETE FROM work_list_backfill WHERE application_id = $1")
            .bind(application_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
