//! Answers that arrive from outside: a registry's signed callback for a call it accepted (202),
//! and a person's decision on a human step (a co-signature, a homeowner's consent). What they do
//! is `applications`' to decide; here they are read from the request and answered.

use super::{ApiError, AppState};
use crate::applications::Callback;
use crate::registry::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::store::{Finish, TokenTarget};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// `POST /api/v1/callbacks/{token}`: a registry's late answer, signed with its secret.
pub async fn callback(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
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
#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum DecisionKind {
    Confirmed,
    Declined,
}

/// `POST /api/v1/confirmations/{token}` with `{"decision": "confirmed", "code": "123456"}` (or
/// `declined` with a `reason`). Who calls does not matter: the code proves the person.
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

/// `POST /api/v1/confirmations/{token}/code`: a one-time code to the person's phone; 202 with
/// the number, masked.
pub async fn send_code(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sent_to = state.applications.send_code(&path).await?;
    Ok(HttpResponse::Accepted().json(json!({ "sent_to": sent_to, "valid_minutes": 10 })))
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
        Finish::Applied => Ok(HttpResponse::Ok().json(json!({ "result": "applied" }))),
        Finish::AlreadyDone => Ok(HttpResponse::Ok().json(json!({ "result": "already_applied" }))),
        Finish::Conflict(status) => Err(ApiError::Conflict(format!(
            "Цей крок уже завершено інакше або його строк минув (status: {})",
            status.as_str()
        ))),
    }
}
