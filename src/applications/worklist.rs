//! The staff's work list: a page of the institution's applications with the name each bundle
//! shows, the counts of each stage, and the cursor of the next page. Every page shown is
//! recorded in the audit trail (`application.list`): it shows names. The search text is kept
//! there as a keyed digest only.

use super::{ApplicationError, Applications};
use crate::audit::{Entry, action};
use crate::bundle::Text;
use crate::lifecycle::{ApplicationId, Stage};
use crate::store::{Counts, ListQuery};
use serde_json::json;

/// One application as the list shows it.
#[derive(Debug, Clone)]
pub struct WorkItem {
    pub id: String,
    pub bundle: String,
    /// The life event's title.
    pub event: Text,
    /// The child's or the applicant's name, as the bundle's `work_list.name` says; empty once
    /// the personal data is purged.
    pub name: String,
    pub status: String,
    pub stage: Stage,
    pub submitted_at: i64,
    pub submitted_by: Option<String>,
}

/// A page of the list.
#[derive(Debug, Clone)]
pub struct WorkPage {
    pub items: Vec<WorkItem>,
    pub counts: Counts,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

/// A page's cursor: the last row's time and id.
pub fn cursor(at: i64, id: &str) -> String {
    format!("{at}.{id}")
}

/// The time and id in a cursor; `None` when it is not one.
pub fn parse_cursor(text: &str) -> Option<(i64, String)> {
    let (at, id) = text.split_once('.')?;
    let at = at.parse().ok()?;
    ApplicationId::parse(id).map(|id| (at, id.to_string()))
}

impl Applications {
    /// A page of the list, `limit` rows at most, recorded (`audit` names who asks) before it
    /// is answered. `search` is as typed; it is normalised here.
    pub async fn work_list(
        &self,
        mut query: ListQuery,
        limit: i64,
        audit: Entry,
    ) -> Result<WorkPage, ApplicationError> {
        let typed = query.search.take().filter(|s| !s.trim().is_empty());
        query.search = typed.as_deref().map(super::normalise);
        let rows = self.store.work_list(&query, limit + 1).await?;
        let counts = self.store.work_counts(&query).await?;
        let more = rows.len() as i64 > limit;
        let items: Vec<WorkItem> = rows
            .into_iter()
            .take(limit as usize)
            .map(|row| {
                let (_, bundle) = self.catalog.of(&row.bundle_id, row.bundle_version);
                let name = match bundle {
                    Some(bundle) if row.data.as_object().is_some_and(|d| !d.is_empty()) => {
                        crate::receipt::render_data(&bundle.work_list.name, &row.data)
                    }
                    _ => String::new(),
                };
                WorkItem {
                    event: bundle.map_or_else(
                        || Text {
                            uk: row.bundle_id.clone(),
                            en: row.bundle_id.clone(),
                        },
                        |b| b.title.clone(),
                    ),
                    bundle: row.bundle_id,
                    name: name.split_whitespace().collect::<Vec<_>>().join(" "),
                    id: row.id,
                    status: row.status,
                    stage: row.stage,
                    submitted_at: row.created_at,
                    submitted_by: row.submitted_by,
                }
            })
            .collect();
        let next = (items.last())
            .filter(|_| more)
            .map(|last| cursor(last.submitted_at, &last.id));
        let entry = audit.with(json!({
            "stage": query.stage.map(Stage::as_str),
            "from": query.from,
            "to": query.to,
            "search": typed.map(|s| self.digests.of(&json!(s))),
            "shown": items.len(),
        }));
        let mut entry = entry;
        entry.action = action::APPLICATION_LIST;
        entry.institution = Some(query.institution.clone());
        self.store.append_audit(&[entry]).await?;
        Ok(WorkPage {
            items,
            counts,
            next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_nothing_else_does() {
        let id = ApplicationId::from_uuid(uuid::Uuid::now_v7()).to_string();
        assert_eq!(parse_cursor(&cursor(17, &id)), Some((17, id.clone())));
        assert_eq!(parse_cursor("17"), None);
        assert_eq!(parse_cursor("x.y"), None);
        assert_eq!(parse_cursor(&format!("1.{id}'; DROP")), None);
    }
}
