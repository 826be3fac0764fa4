//! An operator's retry of a failed service: the corrected data (a JSON merge patch) validated
//! against the application's combined form exactly as at submission, then the failed calls run
//! again with everything that was blocked behind them. Nothing that has not failed runs again.

use super::{ApplicationError, Applications, deadline};
use crate::audit::action;
use crate::lifecycle::SubKind;
use crate::store::RetryResult;
use serde_json::{Value, json};

/// What an operator asks: run `service` again (one `item` of a repeated one, or all its failed
/// items), with `patch` applied to the application's data first when given.
pub struct Correction<'a> {
    pub application: &'a str,
    pub service: &'a str,
    pub item: Option<i64>,
    pub patch: Option<&'a Value>,
    /// Who asks (a staff login or `token:NAME`), kept with the patch.
    pub author: &'a str,
    /// Who asks as the audit trail names them, and the request: the retry and the correction
    /// are recorded with it, in the same transaction.
    pub audit: crate::audit::Entry,
    /// When a reopened person's step expires (ms); its bundle's period from now when `None`.
    pub reopen_until: Option<i64>,
}

impl Applications {
    /// Retry a failed service; how many calls run again.
    pub async fn retry(&self, correction: Correction<'_>) -> Result<usize, ApplicationError> {
        let (application, subs) = self.load(correction.application).await?;
        let chosen: Vec<String> = subs
            .iter()
            .filter(|s| s.kind == SubKind::Service)
            .map(|s| s.service_id.clone())
            .collect();
        let (_, bundle, form) = self.pinned_form(&application, &chosen)?;
        let mut data = application.data.clone();
        if let Some(patch) = correction.patch {
            merge_patch(&mut data, patch);
        }
        let valid = form.validate(data).map_err(ApplicationError::Invalid)?;
        let expires_after = (bundle.human_steps.iter())
            .find(|h| h.id == correction.service)
            .map_or(jiff::Span::new(), |h| h.expires_after);
        let human_deadline = (correction.reopen_until)
            .unwrap_or_else(|| deadline(&jiff::Zoned::now(), expires_after));
        let corrected = correction.patch.is_some().then(|| valid.data());
        let institution = application.institution.as_deref();
        let refind = |data: &Value| self.findable(bundle, application.id.as_str(), data);
        let findable = corrected.map(|data| (refind(&application.data), refind(data)));
        let (id, service) = (application.id.as_str(), correction.service);
        let audit = self.retry_entries(bundle, &correction, &application, corrected);
        let asked = crate::store::Retry {
            application: id,
            service,
            item: correction.item,
            data: corrected,
            patch: correction.patch,
            author: correction.author,
            human_deadline,
            audit,
            findable: findable.as_ref().map(|(old, new)| (institution, old, new)),
        };
        let result = self.store.retry_failed(asked).await?;
        match result {
            RetryResult::Retried(count) => {
                self.wake.notify_one();
                tracing::info!(application.id = %id, service.id = %service, count, "Operator retry");
                Ok(count)
            }
            RetryResult::NotFound => Err(ApplicationError::NoSuchService(service.to_owned())),
            RetryResult::NotFailed(status) => Err(ApplicationError::NotFailed {
                service: service.to_owned(),
                status,
            }),
        }
    }
}

impl Applications {
    /// The audit entries of a retry: the retry (`step.reopen` for a person's step), and the
    /// correction's changes as digests when the data was corrected.
    fn retry_entries(
        &self,
        bundle: &crate::bundle::Bundle,
        correction: &Correction<'_>,
        application: &crate::store::ApplicationRecord,
        corrected: Option<&Value>,
    ) -> Vec<crate::audit::Entry> {
        let (id, service) = (application.id.as_str(), correction.service);
        let institution = application.institution.as_deref();
        let mut retried = (correction.audit.clone())
            .on(id, institution)
            .with(json!({ "service": service, "item": correction.item }));
        // What was run again says which: a person's step is reopened, a service retried.
        let step = bundle.human_steps.iter().any(|h| h.id == service);
        retried.action = match step {
            true => action::STEP_REOPEN,
            false => action::SERVICE_RETRY,
        };
        let mut audit = vec![retried];
        if let Some(corrected) = corrected {
            let changes = self.digests.changes(&application.data, corrected);
            let mut entry = correction.audit.clone().on(id, institution);
            entry.action = action::APPLICATION_CORRECT;
            audit.push(entry.with(json!({ "service": service, "changes": changes })));
        }
        audit
    }

    /// What a correction of `application` (whose services are `chosen`) with `patch` would
    /// change, each pointer with its value before and after; or why the corrected data is
    /// invalid, as a submission's would be.
    pub fn check_correction(
        &self,
        application: &crate::store::ApplicationRecord,
        chosen: &[String],
        patch: &Value,
    ) -> Result<Vec<(String, Value, Value)>, ApplicationError> {
        let (_, _, form) = self.pinned_form(application, chosen)?;
        let mut data = application.data.clone();
        merge_patch(&mut data, patch);
        let valid = form.validate(data).map_err(ApplicationError::Invalid)?;
        let mut changes = Vec::new();
        crate::audit::digest::each_change(&application.data, valid.data(), &mut |p, old, new| {
            let value = |v: Option<&Value>| v.cloned().unwrap_or(Value::Null);
            changes.push((p.to_owned(), value(old), value(new)));
        });
        Ok(changes)
    }
}

/// RFC 7396: objects merge key by key, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(fields) = target {
        for (key, change) in changes {
            if change.is_null() {
                fields.remove(key);
            } else {
                merge_patch(fields.entry(key.clone()).or_insert(Value::Null), change);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::merge_patch;
    use serde_json::json;

    #[test]
    fn a_merge_patch_replaces_removes_and_merges_nested_objects() {
        let mut data = json!({ "mother": { "rnokpp": "1", "surname": "К" }, "note": "x" });
        merge_patch(
            &mut data,
            &json!({ "mother": { "rnokpp": "2" }, "note": null }),
        );
        assert_eq!(data, json!({ "mother": { "rnokpp": "2", "surname": "К" } }));
    }
}
