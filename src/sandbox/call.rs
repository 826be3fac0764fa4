//! One call `POST /{registry}/{service}`, in the order a registry meets it: count the call,
//! demand an `Idempotency-Key`, wait the latency, validate the input (422), apply the refusal
//! rules (400), the rate limit (429) and a failure before the effect (503), make the effect
//! (once per key), then fail after it (503) or hang, and answer 200 or 202.
//!
//! Every wait is a `tokio::time::sleep` with no lock held, so one slow call never holds up
//! another on the sandbox's single worker.

use super::asynchronous::{self, Pending};
use super::behaviour::{Behaviour, Fate, Mode};
use super::state::Making;
use super::{Sandbox, error, unknown_service};
use crate::bundle::Service;
use crate::form::FieldError;
use crate::registry::signature::CALLBACK_URL_HEADER;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Answer one call and count the time it took, arrival to answer (`/_sandbox/stats`), so a
/// benchmark knows the registries' own latency as served rather than as asked.
pub(super) async fn call(
    sandbox: web::Data<Sandbox>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let arrived = Instant::now();
    // For a benchmark's log only: the key and the wall-clock time of arrival.
    let noted = sandbox.answer_log.as_ref().and_then(|_| {
        Some((
            header_text(&req, "Idempotency-Key")?,
            jiff::Timestamp::now(),
        ))
    });
    let (registry, service_id) = path.into_inner();
    let response = answer(&sandbox, registry, &service_id, req, body).await;
    let took = arrived.elapsed();
    sandbox.state().count_answer(&service_id, took);
    if let (Some(log), Some((key, arrived))) = (&sandbox.answer_log, noted) {
        let status = response.status().as_u16();
        log.note(super::Answered {
            key,
            arrived,
            took,
            status,
        });
    }
    response
}

async fn answer(
    sandbox: &web::Data<Sandbox>,
    registry: String,
    service_id: &str,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(service) = sandbox.service(&registry, service_id) else {
        return unknown_service(&registry, service_id);
    };
    sandbox.state().count_call(service_id);
    let Some(key) = header_text(&req, "Idempotency-Key") else {
        return error(
            StatusCode::BAD_REQUEST,
            "",
            "потрібен заголовок Idempotency-Key",
        );
    };
    let behaviour = sandbox.behaviours().for_service(service_id).clone();
    if let Some(latency) = behaviour.latency {
        tokio::time::sleep(latency.sample()).await;
    }
    let request = match valid_request(sandbox.versions(&registry, service_id), &body) {
        Ok(request) => request,
        Err(answer) => return *answer,
    };
    sandbox.state().note_received(service_id, &request);
    if let Some(answer) = refused_or_limited(&behaviour, &request) {
        return answer;
    }
    let fate = behaviour.roll();
    if fate == Fate::FailBefore {
        return unavailable();
    }
    let pending = Pending {
        registry,
        key,
        callback_url: header_text(&req, CALLBACK_URL_HEADER),
    };
    let (effect, fresh) = make_effect(sandbox, service, &pending, &request, &behaviour);
    match fate {
        Fate::FailAfter => return unavailable(),
        Fate::Hang(wait) => tokio::time::sleep(wait).await,
        Fate::Answer | Fate::FailBefore => {}
    }
    let must_wait = fresh && behaviour.asynchronous.is_some();
    asynchronous::answer(&req, service, &pending, &effect, must_wait)
}

fn header_text(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The request as JSON that satisfies the service's form, or the 400/422 answer.
fn valid_request<'a>(
    mut versions: impl Iterator<Item = &'a Service>,
    body: &[u8],
) -> Result<Value, Box<HttpResponse>> {
    let request: Value = serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "",
            &format!("тіло запиту не є JSON: {e}"),
        ))
    })?;
    let Some(service) = versions.next() else {
        return Err(Box::new(error(
            StatusCode::NOT_FOUND,
            "",
            "unknown service",
        )));
    };
    if versions.any(|earlier| earlier.input_validator.is_valid(&request)) {
        return Ok(request);
    }
    let errors: Vec<FieldError> = service
        .input_validator
        .iter_errors(&request)
        .map(|e| FieldError {
            pointer: e.instance_path().as_str().to_owned(),
            message: e.to_string().into(),
            services: vec![service.id.to_string()],
        })
        .collect();
    if errors.is_empty() {
        Ok(request)
    } else {
        Err(Box::new(
            HttpResponse::UnprocessableEntity().json(json!({ "errors": errors })),
        ))
    }
}

/// 400 when the request breaks a refusal rule (every broken rule listed), 429 when the rate
/// limit strikes; both before the effect.
fn refused_or_limited(behaviour: &Behaviour, request: &Value) -> Option<HttpResponse> {
    let refusals = behaviour.refusals(request);
    if !refusals.is_empty() {
        let errors: Vec<Value> = refusals
            .iter()
            .map(|r| json!({ "pointer": r.pointer, "message": r.message }))
            .collect();
        return Some(HttpResponse::BadRequest().json(json!({ "errors": errors })));
    }
    let seconds = behaviour.rate_limited()?;
    let mut answer = error(
        StatusCode::TOO_MANY_REQUESTS,
        "",
        "забагато запитів, спробуйте пізніше (rate limited)",
    );
    answer
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Some(answer)
}

fn unavailable() -> HttpResponse {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "",
        "реєстр тимчасово недоступний (simulated failure)",
    )
}

/// Make the effect of this key, or find the one made before; a fresh effect that a callback
/// will carry gets its callback scheduled, once.
fn make_effect(
    sandbox: &web::Data<Sandbox>,
    service: &Service,
    pending: &Pending,
    request: &Value,
    behaviour: &Behaviour,
) -> (super::state::Effect, bool) {
    let hold = behaviour
        .asynchronous
        .map_or(Duration::ZERO, |a| Duration::from_millis(a.delay_ms));
    let callback_url = behaviour
        .asynchronous
        .filter(|a| a.mode == Mode::Callback)
        .and(pending.callback_url.clone());
    let making = Making {
        hold,
        callback: callback_url.is_some(),
    };
    let (effect, fresh) = sandbox
        .state()
        .effect(service, &pending.key, request, making);
    if fresh && let Some(url) = callback_url {
        asynchronous::schedule_callback(sandbox, &pending.registry, url, &effect);
    }
    (effect, fresh)
}
