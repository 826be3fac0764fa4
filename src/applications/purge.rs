//! Retention: an application's personal data is removed once it has ended and its bundle's
//! retention (`retention:` in the bundle, else the setting `retention.default`) has passed since
//! its last change. Run daily by `serve` and by `onestop purge`; each removal is recorded in the
//! audit trail by `system`, with the bundle and the retention that applied.

use crate::audit::{Actor, Entry, action};
use crate::bundle::Catalog;
use crate::store::{Store, StoreError};
use serde_json::json;

/// An application whose data was (or, on a dry run, would be) removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purged {
    pub id: String,
    pub bundle: String,
}

/// Applications handled per query.
const BATCH: i64 = 500;

/// Remove one application's personal data, keeping its receipt's check codes.
async fn purge_one(
    catalog: &Catalog,
    store: &Store,
    id: &str,
    secret: &str,
    entry: &Entry,
) -> Result<bool, StoreError> {
    let Some(application_id) = crate::lifecycle::ApplicationId::parse(id) else {
        return Ok(false);
    };
    let Some(application) = store.application(&application_id).await? else {
        return Ok(false);
    };
    let subs = store.sub_requests(&application_id).await?;
    let languages = crate::receipt::Languages::default();
    let codes = match crate::receipt::view(catalog, &application, &subs, "", languages, secret) {
        Ok(view) => (subs.iter().zip(&view.services))
            .map(|(s, line)| (s.id.clone(), line.digest.clone()))
            .collect(),
        Err(e) => {
            tracing::warn!(application.id = %id, error = %e, "Receipt codes not kept at purge");
            Vec::new()
        }
    };
    let digests = crate::audit::Digests::new(secret);
    let (_, bundle) = catalog.of(&application.bundle_id, application.bundle_version);
    let found = super::finding::findable(&digests, bundle, id, &application.data);
    let institution = application.institution.as_deref();
    store.purge(id, &codes, (institution, &found), entry).await
}

/// Remove the personal data of every application past its retention (`dry_run`: only say
/// which); the applications concerned.
/// `secret`: the receipts' secret, to keep each row's check code as the receipt printed it.
pub async fn purge(
    catalog: &Catalog,
    store: &Store,
    (default, secret): (jiff::Span, &str),
    dry_run: bool,
) -> Result<Vec<Purged>, StoreError> {
    let now = jiff::Zoned::now();
    let mut purged = Vec::new();
    for bundle in catalog.bundles.values() {
        let retention = bundle.retention.unwrap_or(default);
        let Ok(cutoff) = now.checked_sub(retention) else {
            continue;
        };
        let cutoff = cutoff.timestamp().as_millisecond();
        let id = bundle.id.to_string();
        loop {
            let due = store.purgeable(&id, cutoff, BATCH).await?;
            let last = (due.len() as i64) < BATCH;
            for (application, institution) in due {
                let entry = Entry::new(Actor::system(), action::APPLICATION_PURGE)
                    .on(application.as_str(), institution.as_deref())
                    .with(json!({ "bundle": id, "retention": retention.to_string() }));
                if dry_run || purge_one(catalog, store, &application, secret, &entry).await? {
                    purged.push(Purged {
                        id: application,
                        bundle: id.clone(),
                    });
                }
            }
            if last || dry_run {
                break;
            }
        }
    }
    if !dry_run && !purged.is_empty() {
        tracing::info!(
            applications = purged.len(),
            "Personal data past its retention removed"
        );
    }
    Ok(purged)
}
