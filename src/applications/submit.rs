//! Submitting an application: validated against the combined form of the chosen services,
//! planned (which calls run, in which order, which human steps it waits for) and stored with
//! all its calls in one transaction by the dispatcher's writer, which starts its first calls.

use super::{ApplicationError, Applications, deadline};
use crate::audit::{Entry, action};
use crate::bundle::{Applicable, Bundle, Catalog};
use crate::form::ValidApplication;
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
    /// Where and when a mobile kit took it down, when it did.
    pub capture: Option<Capture>,
}

/// Where and when a mobile CNAP kit took an application down, as the device says: its key,
/// its clock, and who was signed in on it. The audit trail keeps it beside who sent it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub device: String,
    pub captured_at: jiff::Timestamp,
    pub captured_by: String,
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

/// A submission checked and planned, before anything of it is stored.
pub struct Intake<'c> {
    pub bundle: &'c Bundle,
    pub valid: ValidApplication,
    /// Which services run and which do not.
    pub applicable: Applicable,
    /// Its sub-requests: its human steps first, then every registry call.
    pub calls: Vec<NewCall>,
}

/// Validate `data` against the combined form of the `chosen` services of `bundle_id` (all when
/// `None`) and plan its calls; an error when it is invalid or nothing applies. What `submit`
/// does before it stores anything (and what the intake fuzz target drives): no I/O, only the
/// clock for the human steps' deadlines.
pub fn intake<'c>(
    catalog: &'c Catalog,
    bundle_id: &str,
    data: Value,
    chosen: Option<&[String]>,
) -> Result<Intake<'c>, ApplicationError> {
    let (bundle, form) = super::bundle_form(catalog, bundle_id, chosen)?;
    let valid = form.validate(data).map_err(ApplicationError::Invalid)?;
    let applicable = bundle.applicable(valid.data(), valid.services());
    if applicable.run.is_empty() {
        return Err(ApplicationError::NothingApplies(applicable.skipped));
    }
    let calls = new_calls(&applicable);
    Ok(Intake {
        bundle,
        valid,
        applicable,
        calls,
    })
}

impl Applications {
    /// Validate and store a new application, its first calls on their way when this returns;
    /// its id, or `None` when another request holds the submission's key.
    pub async fn submit(
        &self,
        mut submission: Submission<'_>,
    ) -> Result<Option<ApplicationId>, ApplicationError> {
        let received_at = now_ms();
        let data = std::mem::take(&mut submission.data);
        let Intake {
            bundle,
            valid,
            calls,
            ..
        } = intake(&self.catalog, submission.bundle_id, data, submission.chosen)?;
        // The key first: a retry of a stored submission gets its first answer, never flagged
        // as a repetition of itself.
        if let Some(key) = &submission.key
            && !(self.store)
                .reserve_submission_key(key.key, key.request_hash)
                .await?
        {
            return Ok(None);
        }
        let id = ApplicationId::from_uuid(uuid::Uuid::now_v7());
        let findable = self.findable(bundle, id.as_str(), valid.data());
        let institution = submission.origin.institution.clone();
        let detail = detail(bundle, calls.len(), submission.capture.as_ref());
        let audit = Entry::new(submission.actor, action::APPLICATION_SUBMIT);
        let audit = audit.on(id.as_str(), institution.as_deref()).with(detail);
        let new = NewApplication {
            request_id: crate::audit::REQUEST_ID.try_with(String::clone).ok(),
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
            duplicate_reason: super::finding::reason(submission.duplicate_reason),
        };
        let invites = (new.calls.iter())
            .filter(|c| c.kind == SubKind::Human)
            .any(|c| (bundle.human_steps.iter()).any(|h| h.id == c.service && invited(h)));
        let stored = self.store_new(new, bundle).await;
        if let Err(refused) = stored {
            return Err(self.released(submission.key.as_ref(), refused).await);
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
    /// Store `new` through the writer, which screens it for what it repeats in its own
    /// transaction, with the batch it is stored in (a second birth sent in the same instant is
    /// found too); refused when it repeats earlier applications and gave no reason.
    async fn store_new(
        &self,
        new: NewApplication,
        bundle: &crate::bundle::Bundle,
    ) -> Result<(), ApplicationError> {
        let (id, data) = (new.id.clone(), new.data.clone());
        let institution = new.origin.institution.clone();
        match self.submitter.insert(new).await {
            Ok(None) => Ok(()),
            Ok(Some(earlier)) => {
                // Refused: which rules the keys it shares are of (made again, on this rare path).
                let findable = self.findable(bundle, id.as_str(), &data);
                let institution = institution.as_deref();
                let found = Self::duplicates(bundle, &findable, earlier, institution);
                Err(ApplicationError::Duplicate(found))
            }
            Err(e) => Err(e.into()),
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

/// What the submission's audit entry says beside who and when: the bundle, how many calls, and
/// where a mobile kit took it down (who sent it is the entry's actor, and when, its time).
fn detail(bundle: &Bundle, calls: usize, capture: Option<&Capture>) -> Value {
    let mut detail = json!({ "bundle": bundle.id.to_string(), "calls": calls });
    if let Some(capture) = capture {
        detail["capture"] = json!({
            "device": capture.device,
            "captured_at": capture.captured_at.to_string(),
            "captured_by": capture.captured_by,
        });
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn shipped() -> Catalog {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        crate::bundle::compile(root).expect("the shipped definitions compile")
    }

    /// The data and chosen services of `bundles/examples/<name>.json`.
    fn example(name: &str) -> (Value, Vec<String>) {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("bundles/examples/{name}.json"));
        let text = std::fs::read_to_string(path).expect("the example reads");
        let body: Value = serde_json::from_str(&text).expect("the example is JSON");
        let services = (body["services"].as_array().into_iter().flatten())
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect();
        (body["data"].clone(), services)
    }

    #[test]
    fn an_example_application_is_planned_without_a_store() {
        let catalog = shipped();
        let (data, chosen) = example("business-start");
        let Ok(planned) = intake(&catalog, "business-start", data, Some(&chosen)) else {
            panic!("the example is accepted");
        };
        assert!(!planned.calls.is_empty());
        assert!(
            planned
                .calls
                .iter()
                .any(|c| c.service == "tax.vat-registration")
        );
        let planned_calls = (planned.applicable.calls().into_iter()).map(|c| c.service.to_string());
        let stored_calls = (planned.calls.iter().filter(|c| c.kind == SubKind::Service))
            .map(|c| c.service.clone());
        assert!(planned_calls.eq(stored_calls));
    }

    #[test]
    fn data_that_breaks_the_form_is_refused_with_every_field_before_anything_is_planned() {
        let catalog = shipped();
        let (mut data, chosen) = example("business-start");
        data["entrepreneur"]["rnokpp"] = json!("123");
        data["unexpected"] = json!(true);
        match intake(&catalog, "business-start", data, Some(&chosen)) {
            Err(ApplicationError::Invalid(errors)) => {
                let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
                assert!(pointers.contains(&"/entrepreneur/rnokpp"), "{pointers:?}");
                assert!(pointers.contains(&"/unexpected"), "{pointers:?}");
            }
            Err(other) => panic!("refused for another reason: {other}"),
            Ok(_) => panic!("invalid data was planned"),
        }
    }

    #[test]
    fn an_unknown_bundle_or_service_is_refused_by_intake() {
        let catalog = shipped();
        let refused = intake(&catalog, "no-such-event", json!({}), None);
        assert!(matches!(refused, Err(ApplicationError::UnknownBundle(_))));
        let chosen = vec!["no.such-service".to_owned()];
        let refused = intake(&catalog, "business-start", json!({}), Some(&chosen));
        assert!(matches!(refused, Err(ApplicationError::Selection(_))));
    }
}
