//! What an operator may do to a running application: correct the data behind a failed service
//! and run it again, with everything that was blocked behind it.
//!
//! The corrected data is re-validated against the application's combined form, exactly as at
//! submission; nothing is re-run that has not failed.

use super::{ApiError, AppState};
use crate::store::{RetryResult, SubKind};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

/// The body of a retry: a JSON merge patch (RFC 7396) for the application's data, and the item
/// of a repeated service (all its failed items when absent). Both optional; an empty body is fine.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryRequest {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    item: Option<i64>,
}

/// `POST /api/v1/applications/{id}/services/{service}/retry`.
pub async fn retry(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (id, service) = path.into_inner();
    let request: RetryRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RetryRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("Тіло запиту не є коректним JSON: {e}")))?
    };
    let (application, subs) = super::applications::load(&state, &id).await?;
    let chosen: Vec<String> = subs
        .iter()
        .filter(|s| s.kind == SubKind::Service)
        .map(|s| s.service_id.clone())
        .collect();
    let (bundle, form) =
        super::bundles::bundle_form(&state, &application.bundle_id, Some(&chosen))?;
    let mut data = application.data.clone();
    if let Some(patch) = &request.data {
        merge_patch(&mut data, patch);
    }
    let valid = form.validate(data).map_err(ApiError::Invalid)?;
    let expires_after = bundle
        .human_steps
        .iter()
        .find(|h| h.id == service)
        .map_or(jiff::Span::new(), |h| h.expires_after);
    let human_deadline = super::applications::deadline(&jiff::Zoned::now(), expires_after);
    let corrected = request.data.is_some().then(|| valid.data());
    let result = state
        .store
        .retry_failed(&id, &service, request.item, corrected, human_deadline)
        .await?;
    match result {
        RetryResult::Retried(count) => {
            state.wake_dispatcher.notify_one();
            tracing::info!(application.id = %id, service.id = %service, count, "Operator retry");
            Ok(HttpResponse::Accepted().json(json!({
                "retried": count,
                "links": super::applications::links(&id),
            })))
        }
        RetryResult::NotFound => Err(ApiError::NotFound(format!(
            "Заява не містить послуги \"{service}\""
        ))),
        RetryResult::NotFailed(status) => Err(ApiError::Conflict(format!(
            "Послуга \"{service}\" не завершилася помилкою (status: {}); повторювати нічого",
            status.as_str()
        ))),
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
