//! Submitting an application: validated against the combined form of the chosen services,
//! planned (which calls run, in which order, which human steps it waits for) and stored with
//! all its calls in one transaction by the dispatcher's writer, which starts its first calls.

use super::finding::Duplicate;
use super::{ApplicationError, Applications, deadline};
use crate::audit::{Entry, action};
use crate::bundle::Applicable;
use crate::lifecycle::{ApplicationId, SubKind};
use crate::store::{NewApplication, NewCall, Origin, now_ms, random_token};
use serde_json::{Value, json};
use std::sync::Arc;

/// What a person or a system submits.
pub struct Submission<'a> {
    pub bundle_id: &'a str,
    pub data: Value,
    /// The optional services chosen (all when `None`).
    pub chosen: Option<&'a [String]>,
    pub key: Option<SubmissionKey<'a>>,
    /// Who submits it (staff and their institution, or a citizen's access secret, hashed).
    pub origin: Origin,
    /// Who submits it, as the audit trail names them.
    pub actor: crate::audit::Actor,
    /// Why the clerk goes on although it repeats an earlier application (see `duplicates`).
    pub duplicate_reason: Option<&'a str>,
}

/// A submission's `Idempotency-Key`: reserved before the application is stored, and bound to
/// the answer a retry with the same key gets.
pub struct SubmissionKey<'a> {
    pub key: &'a str,
    /// What the request was, to tell a true retry from a reused key.
    pub request_hash: &'a str,
    /// The answer to keep for the new application.
    pub answer: fn(&ApplicationId) -> String,
}

impl Applications {
    /// Validate and store a new application, its first calls on their way when this returns;
    /// its id, or `None` when another request holds the submission's key.
    pub async fn submit(
        &self,
        mut submission: Submission<'_>,
    ) -> Result<Option<ApplicationId>, ApplicationError> {
        let received_at = now_ms();
        let (bundle, form) = self.bundle_form(submission.bundle_id, submission.chosen)?;
        let valid = form
            .validate(std::mem::take(&mut submission.data))
            .map_err(ApplicationError::Invalid)?;
        let applicable = bundle.applicable(valid.data(), valid.services());
        if applicable.run.is_empty() {
            return Err(ApplicationError::NothingApplies(applicable.skipped));
        }
        let id = ApplicationId::from_uuid(uuid::Uuid::now_v7());
        let findable = self.findable(bundle, id.as_str(), valid.data());
        let Some(duplicate_note) = self.admit(&submission, bundle, &findable).await? else {
            return Ok(None);
        };
        let institution = submission.origin.institution.as_deref();
        let calls = new_calls(&applicable);
        let mut detail = json!({ "bundle": bundle.id.to_string(), "calls": calls.len() });
        if let Some(note) = &duplicate_note {
            detail["duplicate"] = note.clone();
        }
        let audit = Entry::new(submission.actor, action::APPLICATION_SUBMIT);
        let audit = audit.on(id.as_str(), institution).with(detail);
        let new = NewApplication {
            id: id.clone(),
            bundle_id: bundle.id.to_string(),
            bundle_version: bundle.version,
            data: Arc::new(valid.data().clone()),
            verify_code: random_token(),
            received_at,
            calls,
            submission_key: (submission.key.as_ref()).map(|k| (k.key.to_owned(), (k.answer)(&id))),
            origin: submission.origin,
            audit: Some(audit),
            findable: Box::new(findable),
            duplicate_note: duplicate_note.map(|n| n.to_string()),
        };
        let invites = (new.calls.iter())
            .filter(|c| c.kind == SubKind::Human)
            .any(|c| (bundle.human_steps.iter()).any(|h| h.id == c.service && invited(h)));
        if let Err(e) = self.submitter.insert(new).await {
            return Err(self.released(submission.key.as_ref(), e.into()).await);
        }
        tracing::info!(application.id = %id, bundle.id = %bundle.id, "Application accepted");
        if invites {
            let (this, id) = (self.clone(), id.clone());
            tokio::spawn(async move { this.invite_all(&id).await });
        }
        Ok(Some(id))
    }
}

impl Applications {
    /// Reserve the submission's key first — a retry of a stored submission gets its first
    /// answer, never flagged as a duplicate of itself — then look for what it repeats: `None`
    /// when another request holds the key, else what to keep of a confirmed duplicate.
    async fn admit(
        &self,
        submission: &Submission<'_>,
        bundle: &crate::bundle::Bundle,
        findable: &crate::store::Findable,
    ) -> Result<Option<Option<Value>>, ApplicationError> {
        if let Some(key) = &submission.key
            && !(self.store)
                .reserve_submission_key(key.key, key.request_hash)
                .await?
        {
            return Ok(None);
        }
        let institution = submission.origin.institution.as_deref();
        let reason = submission.duplicate_reason;
        match self
            .duplicate_note(bundle, findable, institution, reason)
            .await
        {
            Ok(note) => Ok(Some(note)),
            Err(e) => Err(self.released(submission.key.as_ref(), e).await),
        }
    }

    /// What to keep of a submission that repeats earlier applications, given the clerk's
    /// `reason`; `None` when it repeats none; refused when it does and no reason is given.
    async fn duplicate_note(
        &self,
        bundle: &crate::bundle::Bundle,
        findable: &crate::store::Findable,
        institution: Option<&str>,
        reason: Option<&str>,
    ) -> Result<Option<Value>, ApplicationError> {
        let found = self.duplicates(bundle, findable, institution).await?;
        match (found.is_empty(), super::finding::reason(reason)) {
            (true, _) => Ok(None),
            (false, Some(reason)) => Ok(Some(note(&found, reason))),
            (false, None) => Err(ApplicationError::Duplicate(found)),
        }
    }

    /// Give back a submission's key that stored nothing (for a retry to use); `error`.
    async fn released(
        &self,
        key: Option<&SubmissionKey<'_>>,
        error: ApplicationError,
    ) -> ApplicationError {
        if let Some(key) = key
            && let Err(release) = self.store.release_submission_key(key.key).await
        {
            tracing::error!(error = ?release, "Failed to release a submission key");
        }
        error
    }
}

/// What is kept of a confirmed duplicate: the repeated applications of the clerk's own
/// institution, how many of others, and the reason.
fn note(duplicates: &[Duplicate], reason: String) -> Value {
    let own: Vec<&str> = duplicates.iter().filter_map(|d| d.id.as_deref()).collect();
    json!({
        "of": own,
        "elsewhere": duplicates.len() - own.len(),
        "reason": reason,
    })
}

/// The sub-requests of a new application: its human steps first, then every registry call.
fn new_calls(applicable: &Applicable) -> Vec<NewCall> {
    let now = jiff::Zoned::now();
    let human = applicable.human.iter().map(|h| NewCall {
        service: h.id.clone(),
        item: 0,
        depends_on: Vec::new(),
        kind: SubKind::Human,
        deadline: Some(deadline(&now, h.expires_after)),
    });
    let services = applicable.calls().into_iter().map(|c| NewCall {
        service: c.service.to_string(),
        item: c.item as i64,
        depends_on: c.depends_on,
        kind: SubKind::Service,
        deadline: None,
    });
    human.chain(services).collect()
}

/// Whether the person of a human step gets an invitation (the step names them and their phone).
fn invited(step: &crate::bundle::HumanStep) -> bool {
    step.person.as_ref().is_some_and(|p| p.phone.is_some())
}
