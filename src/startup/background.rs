//! What `serve` runs beside the server and the dispatcher: storing counts of repeated reads,
//! the daily purge, the reminders.

use crate::applications::Applications;
use crate::bundle;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Every five seconds, store the counts of repeated reads into their audit entries.
pub(super) async fn flush_reads(applications: Applications) {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        every.tick().await;
        if let Err(e) = applications.flush_reads().await {
            tracing::warn!(error = %e, "Counts of repeated reads not stored; trying again");
        }
    }
}

/// A minute after start and then daily, remove the personal data past its retention.
pub(super) async fn purge_daily(
    catalog: Arc<bundle::Catalog>,
    store: Store,
    retention: (jiff::Span, String),
) {
    let day = Duration::from_secs(24 * 3600);
    let mut every =
        tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(60), day);
    loop {
        every.tick().await;
        let keep = (retention.0, retention.1.as_str());
        let purged = crate::applications::purge::purge(&catalog, &store, keep, false);
        if let Err(e) = purged.await {
            tracing::warn!(error = %e, "Purge failed; trying again tomorrow");
        }
    }
}

/// Every minute, remind the people whose steps end within a day.
pub(super) async fn remind(applications: Applications) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        if let Err(e) = applications.remind().await {
            tracing::warn!(error = %e, "Reminders failed; trying again in a minute");
        }
    }
}
