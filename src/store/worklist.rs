//! The staff's work list: an institution's applications newest first, a page at a time (the
//! cursor is the last row's time and id), of one stage or all, within dates, found by a search
//! term's prefix; and how many there are of each stage. Every query runs on an index: the list
//! by `applications_by_institution` or `applications_by_stage`, the late ones by
//! `applications_attention`, the search by `application_terms`' key.

use super::sql::Param;
use super::{Store, StoreError};
use crate::lifecycle::Stage;
use sqlx::Row;
use sqlx::any::AnyRow;

/// What the list shows.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub institution: String,
    /// One stage, or all.
    pub stage: Option<Stage>,
    /// Submitted at or after, and before (ms).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// A normalised search term: the applications with a term that starts with it.
    pub search: Option<String>,
    /// The time and id of the last row of the page before.
    pub after: Option<(i64, String)>,
    /// The time the late ones are judged at (ms).
    pub now: i64,
}

/// One row of the list.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub id: String,
    pub bundle_id: String,
    pub bundle_version: i64,
    pub status: String,
    /// The stage as of `now`: a late one needs attention.
    pub stage: Stage,
    pub created_at: i64,
    pub submitted_by: Option<String>,
    /// Its data, for its name (`{}` once purged).
    pub data: serde_json::Value,
}

/// How many applications of each stage the list's institution, dates and search hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub attention: i64,
    pub person: i64,
    pub progress: i64,
    pub done: i64,
}

/// The upper end of the terms starting with `prefix`: a character above every other.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

impl ListQuery {
    /// The conditions every query of the list shares, from parameter `$first` on, with their
    /// values: institution, dates and search.
    fn shared(&self, first: usize) -> (String, Vec<Param<'_>>) {
        self.conditions(first, true, true)
    }

    /// `shared`, the applications' own institution condition left out when `whose` is false
    /// and a search names the institution's terms anyway: counting a search's hits, SQLite
    /// then starts from the terms and looks each application up by its key, instead of
    /// reading the institution's whole index and checking each entry against the hits. With
    /// `inline` false the search's condition is left to the query's source (its values stay,
    /// last, at their numbers).
    fn conditions(&self, first: usize, whose: bool, inline: bool) -> (String, Vec<Param<'_>>) {
        let mut sql = match whose || self.search.is_none() {
            true => format!("a.institution = ${first}"),
            false => format!("${first} = ${first}"),
        };
        let mut params = vec![Param::Text(self.institution.as_str())];
        let next = |params: &Vec<Param<'_>>| first + params.len();
        if let Some(from) = self.from {
            sql += &format!(" AND a.created_at >= ${}", next(&params));
            params.push(Param::Int(from));
        }
        if let Some(to) = self.to {
            sql += &format!(" AND a.created_at < ${}", next(&params));
            params.push(Param::Int(to));
        }
        if let Some(search) = &self.search {
            let n = next(&params);
            // Left out, its values kept in place, when the terms are the query's source.
            let clause = format!(
                " AND a.id IN (SELECT t.application_id FROM application_terms AS t
                   WHERE t.institution = ${first} AND t.term >= ${n} AND t.term < ${})",
                n + 1
            );
            if inline {
                sql += &clause;
            }
            params.push(Param::Text(search.as_str()));
            params.push(Param::Owned(prefix_end(search)));
        }
        (sql, params)
    }
}

/// The columns of a list row.
const ROW: &str = "a.id, a.bundle_id, a.bundle_version, a.status, a.stage, a.attention_at, a.created_at, a.submitted_by, a.data";

impl Store {
    /// A page of the list, `limit` rows at most, newest first.
    pub async fn work_list(
        &self,
        query: &ListQuery,
        limit: i64,
    ) -> Result<Vec<ListRow>, StoreError> {
        let now = query.now;
        let mut rows = match query.stage {
            None => self.list_where(query, "1 = 1", &[], limit).await?,
            Some(Stage::Attention) => {
                let mut rows =
                    (self.list_where(query, "a.stage = 'attention'", &[], limit)).await?;
                let late = "a.attention_at <= $L AND a.stage IN ('person', 'progress')";
                rows.extend(self.list_where(query, late, &[now], limit).await?);
                rows.sort_by(|x, y| (y.created_at, &y.id).cmp(&(x.created_at, &x.id)));
                rows
            }
            Some(stage) => {
                let sql = format!(
                    "a.stage = '{}' AND (a.attention_at IS NULL OR a.attention_at > $L)",
                    stage.as_str()
                );
                self.list_where(query, &sql, &[now], limit).await?
            }
        };
        rows.truncate(limit.max(0) as usize);
        Ok(rows)
    }

    /// The list's rows that also meet `condition` (whose `$L`, if any, is `late[0]`).
    async fn list_where(
        &self,
        query: &ListQuery,
        condition: &str,
        late: &[i64],
        limit: i64,
    ) -> Result<Vec<ListRow>, StoreError> {
        // On PostgreSQL a search's page starts from its terms, each application looked up by
        // its key (`LATERAL … OFFSET 0` keeps it so): for a common surname the planner otherwise
        // joined a scan of the whole table. SQLite plans the `IN` form that way itself.
        let from_terms = query.search.is_some() && self.backend == super::Backend::Postgres;
        let (shared, mut params) = query.conditions(1, true, !from_terms);
        let from = match from_terms {
            true => format!(
                "(SELECT DISTINCT t.application_id FROM application_terms AS t
                  WHERE t.institution = $1 AND t.term >= ${} AND t.term < ${}) AS hit
                 CROSS JOIN LATERAL (SELECT * FROM applications AS a0
                  WHERE a0.id = hit.application_id OFFSET 0) AS a",
                params.len() - 1,
                params.len()
            ),
            false => "applications AS a".to_owned(),
        };
        let mut condition = condition.to_owned();
        for at in late {
            params.push(Param::Int(*at));
            condition = condition.replace("$L", &format!("${}", params.len()));
        }
        let mut sql = format!("SELECT {ROW} FROM {from} WHERE {shared} AND {condition}");
        if let Some((time, id)) = &query.after {
            params.push(Param::Int(*time));
            params.push(Param::Text(id.as_str()));
            let (t, i) = (params.len() - 1, params.len());
            sql += &format!(" AND (a.created_at < ${t} OR (a.created_at = ${t} AND a.id < ${i}))");
        }
        params.push(Param::Int(limit));
        sql += &format!(
            " ORDER BY a.created_at DESC, a.id DESC LIMIT ${}",
            params.len()
        );
        // Planned afresh each time: a generic plan (PostgreSQL's after five runs) cannot tell a
        // rare search term from a common one, and scanned the institution for the rare.
        let mut select = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for param in &params {
            select = param.bind(select);
        }
        let rows = select.fetch_all(&self.pool).await?;
        rows.iter().map(|row| list_row(row, query.now)).collect()
    }

    /// How many of the list's applications (all stages, whatever the page) are of each stage.
    pub async fn work_counts(&self, query: &ListQuery) -> Result<Counts, StoreError> {
        let (shared, _) = query.shared(1);
        let (searched, params) = query.conditions(1, false, true);
        let by_stage = format!(
            "SELECT a.stage, COUNT(*) FROM applications AS a WHERE {searched} GROUP BY a.stage"
        );
        let mut counts = Counts::default();
        for (stage, n) in self.grouped(&by_stage, &params).await? {
            *counts.of(stage) += n;
        }
        let mut late_params = params.clone();
        late_params.push(Param::Int(query.now));
        let late = format!(
            "SELECT a.stage, COUNT(*) FROM applications AS a WHERE {shared}
               AND a.attention_at <= ${} AND a.stage IN ('person', 'progress') GROUP BY a.stage",
            late_params.len()
        );
        for (stage, n) in self.grouped(&late, &late_params).await? {
            *counts.of(stage) -= n;
            counts.attention += n;
        }
        Ok(counts)
    }

    /// `(stage, count)` rows of a grouped count.
    async fn grouped(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<Vec<(Stage, i64)>, StoreError> {
        let mut select = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).persistent(false);
        for param in params {
            select = param.bind(select);
        }
        let mut found = Vec::new();
        for row in select.fetch_all(&self.pool).await? {
            let stage: Option<String> = row.try_get(0)?;
            let stage = stage.as_deref().and_then(Stage::parse);
            let stage = stage.ok_or_else(|| StoreError::Corrupt("application stage".into()))?;
            found.push((stage, row.try_get(1)?));
        }
        Ok(found)
    }
}

impl Counts {
    fn of(&mut self, stage: Stage) -> &mut i64 {
        match stage {
            Stage::Attention => &mut self.attention,
            Stage::Person => &mut self.person,
            Stage::Progress => &mut self.progress,
            Stage::Done => &mut self.done,
        }
    }

    pub fn get(&self, stage: Stage) -> i64 {
        let mut copy = *self;
        *copy.of(stage)
    }
}

fn list_row(row: &AnyRow, now: i64) -> Result<ListRow, StoreError> {
    let stage: Option<String> = row.try_get("stage")?;
    let stage = stage.as_deref().and_then(Stage::parse);
    let stage = stage.ok_or_else(|| StoreError::Corrupt("application stage".into()))?;
    let attention_at: Option<i64> = row.try_get("attention_at")?;
    let late = attention_at.is_some_and(|at| at <= now);
    let data: String = row.try_get("data")?;
    Ok(ListRow {
        id: row.try_get("id")?,
        bundle_id: row.try_get("bundle_id")?,
        bundle_version: row.try_get("bundle_version")?,
        status: row.try_get("status")?,
        stage: match stage {
            Stage::Person | Stage::Progress if late => Stage::Attention,
            other => other,
        },
        created_at: row.try_get("created_at")?,
        submitted_by: row.try_get("submitted_by")?,
        data: super::parse_json(&data)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_above_every_word_it_starts() {
        let end = prefix_end("кова");
        assert!("коваленко" < end.as_str());
        assert!("ковальчукʼ" < end.as_str());
        assert!("ковб" > end.as_str());
    }
}
