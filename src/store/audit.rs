//! The audit trail as stored: appending entries inside the transaction of the change they
//! record (or of the writer's batch, for reads), reading them back page by page, and the walk
//! `audit verify` makes. The chain itself is `audit`'s.

use super::sql::{Ty, batch, bind_null_rows, bucket, typed_values};
use super::{Store, StoreError, now_ms};
use crate::audit::{Entry, Stored, link};
use Ty::{Int as I, Text as T};
use sqlx::Row;

const ROW: [Ty; 11] = [I, I, T, T, T, T, T, T, T, T, T];
const ROWS_PER_INSERT: usize = 64;
const COLUMNS: &str = "seq, at, actor, role, institution, action, application_id, detail, \
                       request_id, prev_hash, hash, repeats, last_at";

/// Append `entries` in this transaction; their numbers. The head is locked first thing here
/// and held to the commit, so a transaction calls this last.
pub(super) async fn append(
    tx: &mut sqlx::AnyConnection,
    entries: &[&Entry],
) -> Result<Vec<i64>, StoreError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let n = entries.len() as i64;
    // Moving the head first takes its lock on both backends (a row lock on PostgreSQL, the
    // write lock on SQLite) before anything is read from it.
    let row = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(n)
        .fetch_one(&mut *tx)
        .await?;
    let last: i64 = row.try_get("seq")?;
    let mut prev: String = row.try_get("hash")?;
    let now = now_ms();
    let mut sealed = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let seal = link(&prev, last - n + 1 + i as i64, now, entry);
        prev.clone_from(&seal.hash);
        sealed.push((*entry, seal));
    }
    for chunk in sealed.chunks(ROWS_PER_INSERT) {
        let size = bucket(chunk.len());
        let sql = format!(
            "INSERT INTO audit (seq, at, actor, role, institution, action, application_id, detail,
                request_id, prev_hash, hash)
             SELECT column1, column2, column3, column4, column5, column6, column7, column8,
                column9, column10, column11
             FROM (VALUES {}) AS v WHERE column1 IS NOT NULL",
            typed_values(&ROW, size, 1)
        );
        let mut query = batch(&*tx, sql);
        for (entry, seal) in chunk {
            query = query
                .bind(seal.seq)
                .bind(seal.at)
                .bind(entry.actor.name.clone())
                .bind(entry.actor.role.clone())
                .bind(entry.institution.clone())
                .bind(entry.action)
                .bind(entry.application.clone())
                .bind(seal.detail.clone())
                .bind(entry.request_id.clone())
                .bind(seal.prev_hash.clone())
                .bind(seal.hash.clone());
        }
        bind_null_rows(query, &ROW, size - chunk.len())
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(prev)
        .execute(&mut *tx)
        .await?;
    Ok(sealed.iter().map(|(_, s)| s.seq).collect())
}

/// Commit a change with its audit entry when it changed something (`changed`), else without.
pub(super) async fn audited(
    mut tx: sqlx::Transaction<'_, sqlx::Any>,
    changed: bool,
    audit: &crate::audit::Entry,
) -> Result<bool, StoreError> {
    if changed {
        super::audit::append(&mut tx, &[audit]).await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// What a batch stores in the trail besides the new applications' own entries: entries of
/// reads, and further reads counted into earlier entries (number, further reads, the last time).
#[derive(Debug, Clone, Copy, Default)]
pub struct Audits<'a> {
    pub entries: &'a [&'a Entry],
    pub repeats: &'a [(i64, i64, i64)],
}

/// Count further reads into their entries, in this transaction.
pub(super) async fn count_repeats(
    tx: &mut sqlx::AnyConnection,
    repeats: &[(i64, i64, i64)],
) -> Result<(), StoreError> {
    for (seq, n, last_at) in repeats {
        sqlx::query("UPDATE audit SET repeats = repeats + $1, last_at = $2 WHERE seq = $3")
            .bind(n)
            .bind(last_at)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Which entries an auditor or supervisor looks for.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub application: Option<String>,
    pub actor: Option<String>,
    pub institution: Option<String>,
    /// Milliseconds since the epoch, inclusive.
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Only entries numbered below this (the cursor of the previous page).
    pub before: Option<i64>,
}

impl Store {
    /// Append `entries` in a transaction of their own (sign-ins, staff changes: no other row
    /// changes with them); their numbers.
    pub async fn append_audit(&self, entries: &[Entry]) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let refs: Vec<&Entry> = entries.iter().collect();
        let seqs = append(&mut tx, &refs).await?;
        tx.commit().await?;
        Ok(seqs)
    }

    /// The institution of application `id` (none for a citizen's own, or no such application):
    /// whose data an entry about it concerns.
    pub async fn institution_of(&self, id: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT institution FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("institution")).transpose()?.flatten())
    }

    /// Entries matching `filter`, newest first, at most `limit`.
    pub async fn audit_page(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<Stored>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM audit WHERE 1 = 1");
        let mut n = 0;
        let mut next = |column: &str, op: &str| {
            n += 1;
            format!(" AND {column} {op} ${n}")
        };
        let clauses = [
            filter
                .application
                .as_ref()
                .map(|_| next("application_id", "=")),
            filter.actor.as_ref().map(|_| next("actor", "=")),
            filter
                .institution
                .as_ref()
                .map(|_| next("institution", "=")),
            filter.from.map(|_| next("at", ">=")),
            filter.to.map(|_| next("at", "<=")),
            filter.before.map(|_| next("seq", "<")),
        ];
        sql.extend(clauses.into_iter().flatten());
        sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", n + 1));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for text in [&filter.application, &filter.actor, &filter.institution]
            .into_iter()
            .flatten()
        {
            query = query.bind(text.clone());
        }
        for number in [filter.from, filter.to, filter.before]
            .into_iter()
            .flatten()
        {
            query = query.bind(number);
        }
        let rows = query.bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(stored).collect()
    }

    /// Entries numbered from `from` on, oldest first, at most `limit` (for the walk).
    pub async fn audit_from(&self, from: i64, limit: i64) -> Result<Vec<Stored>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM audit WHERE seq >= $1 ORDER BY seq LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(stored).collect()
    }

    /// The head: the last entry's number and hash, as appending left them.
    pub async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok((row.try_get("seq")?, row.try_get("hash")?))
    }

    /// Walk the whole trail; the first break, if any.
    pub async fn verify_audit(
        &self,
    ) -> Result<Result<crate::audit::Checked, crate::audit::Broken>, StoreError> {
        const PAGE: i64 = 5_000;
        let head = self.audit_head().await?;
        let mut verifier = crate::audit::Verifier::default();
        let mut from = 1;
        loop {
            let page = self.audit_from(from, PAGE).await?;
            for entry in &page {
                if let Err(broken) = verifier.check(entry) {
                    return Ok(Err(broken));
                }
            }
            match page.last() {
                Some(last) if page.len() as i64 == PAGE => from = last.seq + 1,
                _ => break,
            }
        }
        Ok(verifier.finish(Some(head)))
    }
}

fn stored(row: &sqlx::any::AnyRow) -> Result<Stored, StoreError> {
    Ok(Stored {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        role: row.try_get("role")?,
        institution: row.try_get("institution")?,
        action: row.try_get("action")?,
        application: row.try_get("application_id")?,
        detail: row.try_get("detail")?,
        request_id: row.try_get("request_id")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
        repeats: row.try_get("repeats")?,
        last_at: row.try_get("last_at")?,
    })
}
