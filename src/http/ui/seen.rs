//! "Who saw my data": the application page lists, from the audit trail, who read or changed the
//! application — when, which institution, in which role, which staff member, and what they did —
//! for its citizen and for the staff of its institution alike.

use crate::http::AppState;
use crate::lang::Lang;
use crate::store::{ApplicationRecord, AuditFilter};
use serde_json::{Value, json};

/// Entries shown (the newest).
const SHOWN: i64 = 100;

/// The rows of the list, newest first (none when the trail cannot be read: the page still
/// shows the application).
pub async fn rows(state: &AppState, lang: Lang, application: &ApplicationRecord) -> Vec<Value> {
    let filter = AuditFilter {
        application: Some(application.id.to_string()),
        ..AuditFilter::default()
    };
    let entries = match state.store.audit_page(&filter, SHOWN).await {
        Ok(entries) => entries,
        Err(e) => {
            tracing::warn!(error = %e, "The audit trail could not be read for the page");
            return Vec::new();
        }
    };
    entries
        .iter()
        .map(|e| {
            let who = match e.actor.as_str() {
                "citizen" => lang.text("seen_citizen"),
                "person" => lang.text("seen_person"),
                "registry" => lang.text("seen_registry"),
                "system" => lang.text("seen_system"),
                staff => staff.to_owned(),
            };
            let key = format!("seen_{}", e.action.replace('.', "_"));
            let what = lang.text(&key);
            let what = if what.is_empty() {
                e.action.clone()
            } else {
                what
            };
            json!({
                "at": crate::receipt::kyiv_time(e.at),
                "who": who,
                "role": e.role.as_deref().map(|r| lang.text(&format!("role_{r}"))),
                "institution": e.institution,
                "what": what,
                "times": (e.repeats > 0).then_some(e.repeats + 1),
            })
        })
        .collect()
}
