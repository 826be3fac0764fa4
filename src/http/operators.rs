//! What an operator may do to a running application: correct the data behind a failed service
//! and run it again, with everything that was blocked behind it (`applications::retry`).

use super::bodies::{ErrorBody, Finished, Invited, Links, Reopened, Retried};
use super::{ApiError, AppState, auth};
use crate::access::{Action, Caller, Refusal};
use crate::applications::Correction;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use serde_json::{Value, json};

/// The body of a retry: a JSON merge patch (RFC 7396) for the application's data, and the item
/// of a repeated service (all its failed items when absent). Both optional; an empty body is fine.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RetryRequest {
    /// A JSON merge patch (RFC 7396) of the application's data; the corrected data is
    /// validated like a submission.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    data: Option<Value>,
    /// The item of a repeated service (all its failed items when absent).
    #[serde(default)]
    item: Option<i64>,
}

/// Run a failed service (or a person's step) again, the data corrected first when a patch is
/// given, with everything that was blocked behind it: a registrar or supervisor of its
/// institution. The body is optional.
#[utoipa::path(
    tag = "applications",
    operation_id = "retryService",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The application"),
        ("service" = String, Path, description = "The failed service or step"),
    ),
    request_body(content = Option<RetryRequest>, description = "Optional: the correction"),
    responses(
        (status = 202, description = "Being run again", body = Retried),
        (status = 400, description = "A body that is not JSON", body = ErrorBody),
        (status = 403, description = "The caller's role may not correct (a clerk)", body = ErrorBody),
        (status = 404, description = "No such application or service", body = ErrorBody),
        (status = 409, description = "Nothing failed", body = ErrorBody),
        (status = 422, description = "The corrected data is not valid", body = ErrorBody),
    ),
)]
#[post("/applications/{id}/services/{service}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let body = body.map_err(super::error::payload_error)?;
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
    Ok(HttpResponse::Accepted().json(Retried {
        retried: count as u64,
        links: Links::of(&id),
    }))
}

/// A new invitation to the person of an open step, by the applicant (staff of its institution,
/// or its citizen); the count of wrong codes and the lock start again.
#[utoipa::path(
    tag = "steps",
    operation_id = "inviteAgain",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The application"),
        ("step" = String, Path, description = "The person's step"),
    ),
    responses(
        (status = 202, description = "Invited again", body = Invited),
        (status = 403, description = "The caller's role may not", body = ErrorBody),
        (status = 404, description = "No such application or step", body = ErrorBody),
        (status = 409, description = "The step is not open", body = ErrorBody),
    ),
)]
#[post("/applications/{id}/steps/{step}/invitation")]
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
    Ok(HttpResponse::Accepted().json(Invited { invited: step }))
}

/// A decision recorded in person.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "confirmed"}))]
pub struct InPerson {
    /// `confirmed` or `declined`.
    decision: String,
    #[serde(default)]
    reason: Option<String>,
}

/// A person's decision taken in person, documents checked, recorded by a registrar (or
/// supervisor) of the application's institution who did not submit it.
#[utoipa::path(
    tag = "steps",
    operation_id = "decideInPerson",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The application"),
        ("step" = String, Path, description = "The person's step"),
    ),
    request_body = InPerson,
    responses(
        (status = 200, description = "Recorded, or already recorded", body = Finished),
        (status = 403, description = "The caller's role may not, or they submitted it", body = ErrorBody),
        (status = 404, description = "No such application or step", body = ErrorBody),
        (status = 409, description = "The step already ended otherwise, or expired", body = ErrorBody),
        (status = 422, description = "Neither confirmed nor declined", body = ErrorBody),
    ),
)]
#[post("/applications/{id}/steps/{step}/decision")]
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
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"deadline": "2026-12-20"}))]
struct ReopenRequest {
    /// A date (to its end in Kyiv) or an RFC 3339 time, at most 90 days away.
    #[serde(default)]
    deadline: Option<String>,
}

/// The latest deadline a reopened step may be given, from now.
const REOPEN_AT_MOST_DAYS: i64 = 90;

/// Reopen a person's step that was declined or expired, until a new deadline (the step's own
/// period from now without one): a registrar or supervisor of its institution. What waited
/// for it waits again.
#[utoipa::path(
    tag = "steps",
    operation_id = "reopenStep",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The application"),
        ("step" = String, Path, description = "The person's step"),
    ),
    request_body(content = Option<ReopenRequest>, description = "Optional: the new deadline"),
    responses(
        (status = 202, description = "Reopened", body = Reopened),
        (status = 400, description = "A body that is not JSON", body = ErrorBody),
        (status = 403, description = "The caller's role may not (a clerk)", body = ErrorBody),
        (status = 404, description = "No such application, or not a person's step", body = ErrorBody),
        (status = 409, description = "The step has not ended so", body = ErrorBody),
        (status = 422, description = "A deadline in the past or over 90 days away", body = ErrorBody),
    ),
)]
#[post("/applications/{id}/steps/{step}/reopen")]
pub async fn reopen(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let body = body.map_err(super::error::payload_error)?;
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
    Ok(HttpResponse::Accepted().json(Reopened {
        reopened: step,
        links: Links::of(&id),
    }))
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
