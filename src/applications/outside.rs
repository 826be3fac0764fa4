//! Answers from outside the dispatcher: a registry's signed callback for a call it accepted
//! (202), and a person's decision on their step (a co-signature, a homeowner's consent). Both
//! are idempotent (the same answer twice is taken once) and open exactly one sub-request by an
//! unguessable token.

use super::{ApplicationError, Applications};
use crate::audit::{Actor, Entry, action};
use crate::lifecycle::{Answer, Finish, SubKind};
use crate::registry::{self, signature};
use crate::store::{TokenTarget, is_callback_token};
use serde_json::json;

/// A registry's callback as it arrived: the token of its URL, its signature headers and body.
pub struct Callback<'a> {
    pub token: &'a str,
    pub signature: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub body: &'a [u8],
}

impl Applications {
    /// Take a registry's late answer: signed with the registry's secret within the window, and
    /// an answer as a direct one would be (outputs that satisfy the service's schema).
    pub async fn callback(
        &self,
        callback: Callback<'_>,
    ) -> Result<(TokenTarget, Finish), ApplicationError> {
        let target = self.target(callback.token, SubKind::Service).await?;
        let service = (self.catalog.service_any(&target.service_id))
            .ok_or_else(|| ApplicationError::UnknownService(target.service_id.clone()))?;
        signature::verify(
            self.secrets.for_registry(&service.registry),
            callback.signature,
            callback.timestamp,
            callback.body,
            jiff::Timestamp::now().as_second(),
            self.callback_window_seconds,
        )
        .map_err(|e| {
            tracing::warn!(service.id = %service.id, reason = %e, "Callback refused");
            ApplicationError::Signature(e)
        })?;
        let answer = registry::callback_answer(service, callback.body)
            .map_err(ApplicationError::Callback)?;
        let id = target.application_id.as_str();
        let institution = self.store.institution_of(id).await?;
        let entry = Entry::new(Actor::new("registry"), action::SERVICE_CALLBACK)
            .on(id, institution.as_deref())
            .with(json!({ "service": target.service_id, "item": target.item }));
        self.finish(target, &answer, "registry callback", entry)
            .await
    }

    /// Take a person's decision on the human step behind `token`.
    /// `identified_by` says how the person proved who they are (kept with the decision).
    /// `actor`: who records it (the person through their link, or a registrar in person).
    pub(super) async fn decide(
        &self,
        token: &str,
        (confirmed, reason): (bool, Option<&str>),
        identified_by: &str,
        actor: Actor,
    ) -> Result<(TokenTarget, Finish), ApplicationError> {
        let target = self.target(token, SubKind::Human).await?;
        let decision = if confirmed {
            Answer::Succeeded(json!({ "decision": "confirmed", "identified_by": identified_by }))
        } else {
            let reason = reason.map(str::trim).filter(|r| !r.is_empty());
            Answer::Failed(format!("відмовлено: {}", reason.unwrap_or("без пояснення")))
        };
        let via = format!("person's decision, identified by {identified_by}");
        let id = target.application_id.as_str();
        let institution = self.store.institution_of(id).await?;
        let entry = Entry::new(actor, action::STEP_DECIDE)
            .on(id, institution.as_deref())
            .with(json!({
                "step": target.service_id,
                "decision": if confirmed { "confirmed" } else { "declined" },
                "identified_by": identified_by,
            }));
        self.finish(target, &decision, &via, entry).await
    }

    /// The human step behind a confirmation link, if the link is valid.
    pub async fn human_step(&self, token: &str) -> Result<TokenTarget, ApplicationError> {
        self.target(token, SubKind::Human).await
    }

    async fn finish(
        &self,
        target: TokenTarget,
        answer: &Answer,
        via: &str,
        entry: Entry,
    ) -> Result<(TokenTarget, Finish), ApplicationError> {
        let finished = self.store.finish_from_outside(&target, answer, via, &entry);
        let finish = finished.await?;
        if finish == Finish::Applied {
            self.wake.notify_one();
            tracing::info!(application.id = %target.application_id, service.id = %target.service_id, "Answer from outside applied");
        }
        Ok((target, finish))
    }

    async fn target(&self, token: &str, kind: SubKind) -> Result<TokenTarget, ApplicationError> {
        if !is_callback_token(token) {
            return Err(ApplicationError::UnknownLink);
        }
        let target = self.store.by_token(token).await?;
        target
            .filter(|t| t.kind == kind)
            .ok_or(ApplicationError::UnknownLink)
    }
}
