//! An application as the API shows it (`GET /api/v1/applications/{id}`, and an auditor's
//! opening): its registry calls and person's steps, its history and links.

use super::ApiError;
use super::AppState;
use super::bodies::{
    ApplicationView, HistoryItem, Links, PersonStep, RegistryCall, SubRequestView, WaitingView,
};
use crate::applications::Waiting;
use crate::store::{ApplicationRecord, SubKind, SubRequestRecord};

/// An application as the API shows it.
pub(super) async fn status(
    state: &AppState,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
) -> Result<ApplicationView, ApiError> {
    let (catalog, bundle) = state
        .catalog
        .of(&application.bundle_id, application.bundle_version);
    let waiting = state.applications.waiting(&application.id, subs).await?;
    let services = (subs.iter().zip(&waiting))
        .map(|(s, waiting)| match s.kind {
            SubKind::Service => {
                SubRequestView::Service(registry_call(catalog, s, waiting.as_ref()))
            }
            SubKind::Human => SubRequestView::Human(person_step(state, bundle, s)),
        })
        .collect();
    let history = (state.store.history(&application.id).await?.into_iter())
        .map(|h| HistoryItem {
            call: h.call,
            status: h.status,
            detail: h.detail,
            at: timestamp(h.at),
        })
        .collect();
    Ok(ApplicationView {
        id: application.id.to_string(),
        bundle: application.bundle_id.clone(),
        bundle_version: application.bundle_version,
        status: application.status,
        submitted_at: timestamp(application.created_at),
        updated_at: timestamp(application.updated_at),
        purged_at: application.purged_at.map(timestamp),
        services,
        history,
        links: Links::of(application.id.as_str()),
        verify_url: format!("{}/verify/{}", state.public_url, application.verify_code),
    })
}

/// A registry call as the status shows it; `waiting` when it waits for its registry (being
/// retried, or held while the registry is unavailable).
fn registry_call(
    catalog: &crate::bundle::Catalog,
    s: &SubRequestRecord,
    waiting: Option<&Waiting>,
) -> RegistryCall {
    let service = catalog.service(&s.service_id);
    RegistryCall {
        service: s.service_id.clone(),
        item: s.item,
        title: service.map(|x| x.title.clone()),
        status: s.status,
        attempts: s.attempts,
        depends_on: s.depends_on.iter().map(ToString::to_string).collect(),
        outputs: s.outputs.clone(),
        error: s.error.clone(),
        waiting: waiting.map(|w| WaitingView {
            registry: w.registry.clone(),
            unavailable: w.unavailable,
            since: timestamp(w.since),
            next_attempt_at: timestamp(w.next_attempt_at),
        }),
        updated_at: timestamp(s.updated_at),
    }
}

/// A person's step as the status shows it: what the person must do, by when, and where to
/// confirm.
fn person_step(
    state: &AppState,
    bundle: Option<&crate::bundle::Bundle>,
    s: &SubRequestRecord,
) -> PersonStep {
    let step = bundle.and_then(|b| b.human_steps.iter().find(|h| h.id == s.service_id));
    let open = s.status == crate::store::SubStatus::Awaiting;
    let token = s.callback_token.as_ref().filter(|_| open);
    PersonStep {
        service: s.service_id.clone(),
        item: s.item,
        title: step.map(|h| h.title.clone()),
        instructions: step.map(|h| h.instructions.clone()),
        status: s.status,
        deadline: s.deadline.map(timestamp),
        identified_by: (s.outputs.as_ref()).and_then(|o| o.get("identified_by").cloned()),
        confirm_url: token.map(|t| format!("{}/api/v1/confirmations/{t}", state.public_url)),
        confirm_page: token.map(|t| format!("{}/confirmations/{t}", state.public_url)),
        error: s.error.clone(),
        updated_at: timestamp(s.updated_at),
    }
}

/// Milliseconds since the epoch as RFC 3339 (UTC).
pub(super) fn timestamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}
