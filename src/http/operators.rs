//! What an operator may do to a running application: correct the data behind a failed service
//! and run it again, with everything that was blocked behind it (`applications::retry`).

use super::{ApiError, AppState, auth};
use crate::access::{Action, Caller, Refusal};
use crate::applications::Correction;
use actix_web::{HttpRequest, HttpResponse, web};
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
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (id, service) = path.into_inner();
    let caller = auth::api_caller(&state, &req).await?;
    auth::application_for(&state, &caller, Action::Correct, &id).await?;
    let Caller::Staff(staff) = &caller else {
        return Err(auth::refused(Refusal::Forbidden, &id));
    };
    let request: RetryRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RetryRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("Тіло запиту не є коректним JSON: {e}")))?
    };
    let correction = Correction {
        application: &id,
        service: &service,
        item: request.item,
        patch: request.data.as_ref(),
        author: &staff.who,
        audit: auth::entry(&caller, crate::audit::action::SERVICE_RETRY),
        reopen_until: None,
    };
    let count = state.applications.retry(correction).await?;
    Ok(HttpResponse::Accepted().json(json!({
        "retried": count,
        "links": super::applications::links(&id),
    })))
}

/// `POST /api/v1/applications/{id}/steps/{step}/invitation`: the applicant (staff of the
/// institution, or the citizen) sends the person of an open step a new invitation; the count of
/// wrong codes and the lock start again. 202.
pub async fn invite(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (id, step) = path.into_inner();
    let caller = auth::api_caller(&state, &req).await?;
    let (application, subs) = auth::application_for(&state, &caller, Action::Read, &id).await?;
    state
        .applications
        .invite_again(&application, &subs, &step)
        .await?;
    let entry = auth::entry(&caller, crate::audit::action::STEP_INVITE)
        .on(id.as_str(), application.institution.as_deref())
        .with(json!({ "step": step }));
    state.store.append_audit(&[entry]).await?;
    Ok(HttpResponse::Accepted().json(json!({ "invited": step })))
}

/// A decision recorded in person.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InPerson {
    /// `confirmed` or `declined`.
    decision: String,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/v1/applications/{id}/steps/{step}/decision`: a registrar (or supervisor) of the
/// application's institution records the person's decision taken in person, documents checked;
/// not the one who submitted it. 200.
pub async fn decide_in_person(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Json<InPerson>,
) -> Result<HttpResponse, ApiError> {
    let (id, step) = path.into_inner();
    let caller = auth::api_caller(&state, &req).await?;
    let (application, subs) = auth::application_for(&state, &caller, Action::Correct, &id).await?;
    if !matches!(caller, Caller::Staff(_)) {
        return Err(auth::refused(Refusal::Forbidden, &id));
    }
    let confirmed = match body.decision.as_str() {
        "confirmed" => true,
        "declined" => false,
        _ => {
            return Err(ApiError::invalid(
                "/decision",
                "Очікується confirmed або declined",
            ));
        }
    };
    let decision = (confirmed, body.reason.as_deref());
    let registrar = auth::actor(&caller);
    let decided =
        (state.applications).decide_in_person(&application, &subs, &step, decision, &registrar);
    let (_, finish) = decided.await?;
    super::callbacks::answer(finish)
}

/// The body of a reopening: the new deadline (a date, to its end in Kyiv, or an RFC 3339
/// time); the step's own period from now when absent.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReopenRequest {
    #[serde(default)]
    deadline: Option<String>,
}

/// The latest deadline a reopened step may be given, from now.
const REOPEN_AT_MOST_DAYS: i64 = 90;

/// `POST /api/v1/applications/{id}/steps/{step}/reopen`: a registrar (or supervisor) of the
/// application's institution reopens a person's step that was declined or expired, until a new
/// deadline; what waited for it waits again. 202.
pub async fn reopen(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (id, step) = path.into_inner();
    let caller = auth::api_caller(&state, &req).await?;
    let (application, subs) = auth::application_for(&state, &caller, Action::Correct, &id).await?;
    let Caller::Staff(staff) = &caller else {
        return Err(auth::refused(Refusal::Forbidden, &id));
    };
    let request: ReopenRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ReopenRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("Тіло запиту не є коректним JSON: {e}")))?
    };
    let is_step =
        (subs.iter()).any(|s| s.service_id == step && s.kind == crate::store::SubKind::Human);
    if !is_step {
        return Err(crate::applications::ApplicationError::NoSuchService(step).into());
    }
    let until = match request.deadline.as_deref() {
        None => None,
        Some(text) => Some(reopen_deadline(text)?),
    };
    let correction = Correction {
        application: application.id.as_str(),
        service: &step,
        item: None,
        patch: None,
        author: &staff.who,
        audit: auth::entry(&caller, crate::audit::action::STEP_REOPEN),
        reopen_until: until,
    };
    state.applications.retry(correction).await?;
    Ok(HttpResponse::Accepted().json(json!({
        "reopened": step,
        "links": super::applications::links(&id),
    })))
}

/// A new deadline for a reopened step: after now and at most `REOPEN_AT_MOST_DAYS` away.
pub(crate) fn reopen_deadline(text: &str) -> Result<i64, ApiError> {
    let at = super::audit::moment(text, "/deadline", true)?;
    let now = crate::store::now_ms();
    if at <= now || at > now + REOPEN_AT_MOST_DAYS * 86_400_000 {
        return Err(ApiError::invalid(
            "/deadline",
            "Новий строк має бути в майбутньому, не далі ніж за 90 днів",
        ));
    }
    Ok(at)
}
