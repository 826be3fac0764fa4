//! Answers that arrive from outside: a registry's signed callback for a call it accepted (202),
//! and a person's decision on a human step (a co-signature, a homeowner's consent). What they do
//! is `applications`' to decide; here they are read from the request and answered.

use super::bodies::{CodeSent, ErrorBody, FinishResult, Finished};
use super::{ApiError, AppState};
use crate::applications::Callback;
use crate::registry::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::store::{Finish, TokenTarget};
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;

/// A registry's late answer to a call it accepted (202), signed with its secret: HMAC-SHA256
/// of the timestamp and the body (see docs/operations.md). No bearer token: the signature and
/// the token in the path prove the registry.
#[utoipa::path(
    tag = "outside",
    operation_id = "registryCallback",
    params(
        ("token" = String, Path, description = "The call's callback token"),
        ("X-Onestop-Signature" = String, Header, description = "`sha256=<hex>` of the timestamp, a dot and the body"),
        ("X-Onestop-Timestamp" = String, Header, description = "Unix seconds"),
    ),
    request_body = crate::registry::CallbackBody,
    responses(
        (status = 200, description = "Applied, or already applied", body = Finished),
        (status = 401, description = "A bad signature or a stale timestamp", body = ErrorBody),
        (status = 404, description = "An unknown token", body = ErrorBody),
        (status = 409, description = "A different answer after the fact", body = ErrorBody),
        (status = 422, description = "Not an answer, or outputs that do not satisfy the service's output schema", body = ErrorBody),
    ),
)]
#[post("/callbacks/{token}")]
pub async fn callback(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let body = body.map_err(super::error::payload_error)?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let callback = Callback {
        token: &path,
        signature: header(SIGNATURE_HEADER),
        timestamp: header(TIMESTAMP_HEADER),
        body: &body,
    };
    let (_, finish) = (state.applications.callback(callback).await)
        .inspect_err(|_| state.telemetry.callback_rejected())?;
    answer(finish)
}

/// A person's decision on a human step.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"decision": "confirmed", "code": "123456"}))]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// `confirmed` or `declined`.
    decision: DecisionKind,
    /// Why it was declined, in the person's words.
    #[serde(default)]
    reason: Option<String>,
    /// The one-time code sent to the person's phone (when the step names its person).
    #[serde(default)]
    code: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum DecisionKind {
    Confirmed,
    Declined,
}

/// A person's decision on a human step (a co-signature, a homeowner's consent):
/// `{"decision": "confirmed", "code": "123456"}`, or `declined` with a `reason`. Who calls does
/// not matter: the link's token and the one-time code prove the person.
#[utoipa::path(
    tag = "outside",
    operation_id = "confirmStep",
    params(("token" = String, Path, description = "The token of the person's link")),
    request_body = Decision,
    responses(
        (status = 200, description = "Recorded, or already recorded", body = Finished),
        (status = 403, description = "Another person, or the applicant deciding for them", body = ErrorBody),
        (status = 404, description = "An unknown or stale link", body = ErrorBody),
        (status = 409, description = "The step already ended otherwise, or expired", body = ErrorBody),
        (status = 422, description = "A missing, wrong or expired code (counted)", body = ErrorBody),
        (status = 423, description = "Too many wrong codes: locked until a new invitation", body = ErrorBody),
    ),
)]
#[post("/confirmations/{token}")]
pub async fn confirm(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<Decision>,
) -> Result<HttpResponse, ApiError> {
    let confirmed = body.decision == DecisionKind::Confirmed;
    let (reason, code) = (body.reason.as_deref(), body.code.as_deref());
    let (_, finish) = decide(&state, &path, confirmed, reason, code).await?;
    answer(finish)
}

/// Send the person of the step a one-time code (an SMS to the phone the application gives):
/// the number, masked.
#[utoipa::path(
    tag = "outside",
    operation_id = "sendCode",
    params(("token" = String, Path, description = "The token of the person's link")),
    responses(
        (status = 202, description = "Sent", body = CodeSent),
        (status = 404, description = "An unknown or stale link", body = ErrorBody),
        (status = 409, description = "The step has ended", body = ErrorBody),
        (status = 422, description = "The application gives no phone for this person", body = ErrorBody),
        (status = 423, description = "Locked after too many wrong codes", body = ErrorBody),
        (status = 429, description = "Within a minute of the last code, or too many", body = ErrorBody),
        (status = 503, description = "The message could not be sent", body = ErrorBody),
    ),
)]
#[post("/confirmations/{token}/code")]
pub async fn send_code(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sent_to = state.applications.send_code(&path).await?;
    Ok(HttpResponse::Accepted().json(CodeSent {
        sent_to,
        valid_minutes: 10,
    }))
}

/// Record a person's decision on the human step behind `token`, with their one-time code
/// (shared with the page the person opens from their link).
pub(crate) async fn decide(
    state: &AppState,
    token: &str,
    confirmed: bool,
    reason: Option<&str>,
    code: Option<&str>,
) -> Result<(TokenTarget, Finish), ApiError> {
    let decided = state
        .applications
        .decide_with_code(token, confirmed, reason, code);
    Ok(decided.await?)
}

/// The human step behind a confirmation link, if the link is valid.
pub(crate) async fn human_step(state: &AppState, token: &str) -> Result<TokenTarget, ApiError> {
    Ok(state.applications.human_step(token).await?)
}

pub(super) fn answer(finish: Finish) -> Result<HttpResponse, ApiError> {
    match finish {
        Finish::Applied => Ok(HttpResponse::Ok().json(Finished {
            result: FinishResult::Applied,
        })),
        Finish::AlreadyDone => Ok(HttpResponse::Ok().json(Finished {
            result: FinishResult::AlreadyApplied,
        })),
        Finish::Conflict(status) => Err(ApiError::Conflict(format!(
            "Цей крок уже завершено інакше або його строк минув (status: {})",
            status.as_str()
        ))),
    }
}
