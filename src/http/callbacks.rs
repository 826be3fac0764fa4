//! Answers that arrive from outside: a registry's signed callback for a call it accepted (202),
//! and a person's decision on a human step (a co-signature, a homeowner's consent).
//!
//! Both are idempotent: the same answer twice changes nothing the second time. A token opens
//! exactly one sub-request and is unguessable (128 bits).

use super::{ApiError, AppState};
use crate::bundle::ServiceId;
use crate::registry::signature::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::registry::{self, CallbackError};
use crate::store::{Answer, Finish, SubKind, TokenTarget};
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
    let target = target(&state, &path, SubKind::Service).await?;
    let service_id = ServiceId(target.service_id.clone());
    let service = state
        .catalog
        .service(&service_id)
        .ok_or_else(|| ApiError::NotFound("Послугу не знайдено".into()))?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    signature::verify(
        state.secrets.for_registry(&service.registry),
        header(SIGNATURE_HEADER),
        header(TIMESTAMP_HEADER),
        &body,
        jiff::Timestamp::now().as_second(),
        state.callback_window_seconds,
    )
    .map_err(|e| {
        tracing::warn!(service.id = %service.id, reason = %e, "Callback refused");
        ApiError::Unauthorized(e.to_string())
    })?;
    let answer_ = registry::callback_answer(service, &body).map_err(|e| match e {
        CallbackError::Malformed(e) => ApiError::invalid(
            "",
            &format!("Очікується {{\"status\": \"succeeded\", \"outputs\": {{…}}}} або {{\"status\": \"refused\", \"reason\": \"…\"}}: {e}"),
        ),
        CallbackError::Outputs => ApiError::invalid(
            "/outputs",
            "Результат не відповідає схемі результату послуги",
        ),
    })?;
    let finish = state
        .store
        .finish_from_outside(&target, &answer_, "registry callback")
        .await?;
    answer(&state, &target, finish)
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
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum DecisionKind {
    Confirmed,
    Declined,
}

/// `POST /api/v1/confirmations/{token}` with `{"decision": "confirmed"}` (or `declined`).
pub async fn confirm(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<Decision>,
) -> Result<HttpResponse, ApiError> {
    let confirmed = body.decision == DecisionKind::Confirmed;
    let (target, finish) = decide(&state, &path, confirmed, body.reason.as_deref()).await?;
    answer(&state, &target, finish)
}

/// Record a person's decision on the human step behind `token` (shared with the page the
/// person opens from their link).
pub(crate) async fn decide(
    state: &AppState,
    token: &str,
    confirmed: bool,
    reason: Option<&str>,
) -> Result<(TokenTarget, Finish), ApiError> {
    let target = target(state, token, SubKind::Human).await?;
    let decision = if confirmed {
        Answer::Succeeded(json!({ "decision": "confirmed" }))
    } else {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        Answer::Failed(format!("відмовлено: {}", reason.unwrap_or("без пояснення")))
    };
    let finish = state
        .store
        .finish_from_outside(&target, &decision, "person's decision")
        .await?;
    if finish == Finish::Applied {
        state.wake_dispatcher.notify_one();
    }
    Ok((target, finish))
}

/// The human step behind a confirmation link, if the link is valid.
pub(crate) async fn human_step(state: &AppState, token: &str) -> Result<TokenTarget, ApiError> {
    target(state, token, SubKind::Human).await
}

async fn target(state: &AppState, token: &str, kind: SubKind) -> Result<TokenTarget, ApiError> {
    let unknown = || ApiError::NotFound("Посилання недійсне або застаріле".into());
    if !crate::store::is_callback_token(token) {
        return Err(unknown());
    }
    let target = state.store.by_token(token).await?.ok_or_else(unknown)?;
    if target.kind != kind {
        return Err(unknown());
    }
    Ok(target)
}

fn answer(
    state: &AppState,
    target: &TokenTarget,
    finish: Finish,
) -> Result<HttpResponse, ApiError> {
    match finish {
        Finish::Applied => {
            state.wake_dispatcher.notify_one();
            tracing::info!(application.id = %target.application_id, service.id = %target.service_id, "Answer from outside applied");
            Ok(HttpResponse::Ok().json(json!({ "result": "applied" })))
        }
        Finish::AlreadyDone => Ok(HttpResponse::Ok().json(json!({ "result": "already_applied" }))),
        Finish::Conflict(status) => Err(ApiError::Conflict(format!(
            "Цей крок уже завершено інакше або його строк минув (status: {})",
            status.as_str()
        ))),
    }
}
