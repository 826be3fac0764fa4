//! onestop's own REST dialect: `POST /{registry}/{service}` with an `Idempotency-Key` and the
//! input as JSON, answered 200 with the outputs, 202 while they are held back (a `Location` to
//! poll, or a signed callback to the `Callback-Url`), 422 for input the form refuses, 400 for a
//! refusal, 429 with `Retry-After`, 503 when the registry fails. The registry's logic is
//! `call`'s; this module reads the request and writes the `Reply` down.

use super::call::{self, Incoming, Reply};
use super::{Sandbox, Served, error, unknown_service};
use crate::registry::Protocol;
use crate::registry::signature::CALLBACK_URL_HEADER;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

/// `POST /{registry}/{service}`.
pub(super) async fn call(
    sandbox: web::Data<Sandbox>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (registry, service_id) = path.into_inner();
    let key = header_text(&req, "Idempotency-Key");
    super::timed(&sandbox, async {
        let response = answer(&sandbox, &registry, &service_id, &req, key.clone(), &body).await;
        Served {
            service: Some(service_id.clone()),
            key,
            response,
        }
    })
    .await
}

async fn answer(
    sandbox: &Sandbox,
    registry: &str,
    service_id: &str,
    req: &HttpRequest,
    key: Option<String>,
    body: &[u8],
) -> HttpResponse {
    let Some(service) = sandbox.service(registry, service_id) else {
        return unknown_service(registry, service_id);
    };
    let Some(key) = key else {
        sandbox
            .state()
            .count_call(service_id, Protocol::OnestopRest);
        return error(
            StatusCode::BAD_REQUEST,
            "",
            "потрібен заголовок Idempotency-Key",
        );
    };
    let behaviour = call::arrive(sandbox, service, Protocol::OnestopRest).await;
    let request = match json_body(body) {
        Ok(request) => request,
        Err(answer) => return *answer,
    };
    let location = status_url(req, registry, service_id, &key);
    let incoming = Incoming {
        service,
        key,
        callback_url: header_text(req, CALLBACK_URL_HEADER),
        request,
        behaviour,
    };
    render(call::handle(sandbox, incoming).await, &location)
}

pub(super) fn header_text(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The body as JSON, or the 400 answer.
pub(super) fn json_body(body: &[u8]) -> Result<Value, Box<HttpResponse>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "",
            &format!("тіло запиту не є JSON: {e}"),
        ))
    })
}

/// A reply in onestop REST; `location` is the status URL a pending reply offers.
pub(super) fn render(reply: Reply, location: &str) -> HttpResponse {
    match reply {
        Reply::Invalid(errors) => {
            HttpResponse::UnprocessableEntity().json(json!({ "errors": errors }))
        }
        Reply::Refused(rules) => {
            let errors: Vec<Value> = (rules.iter())
                .map(|(pointer, message)| json!({ "pointer": pointer, "message": message }))
                .collect();
            HttpResponse::BadRequest().json(json!({ "errors": errors }))
        }
        Reply::RateLimited { seconds } => {
            let mut answer = error(
                StatusCode::TOO_MANY_REQUESTS,
                "",
                "забагато запитів, спробуйте пізніше (rate limited)",
            );
            (answer.headers_mut()).insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            answer
        }
        Reply::Unavailable { .. } => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "",
            "реєстр тимчасово недоступний (simulated failure)",
        ),
        Reply::Answered(outputs) => HttpResponse::Ok().json(outputs),
        Reply::Pending {
            remaining,
            status_url,
        } => {
            let seconds = u64::try_from(remaining.as_millis().div_ceil(1000))
                .unwrap_or(u64::MAX)
                .max(1);
            let mut answer = HttpResponse::Accepted();
            answer.insert_header((header::RETRY_AFTER, seconds));
            if status_url {
                answer.insert_header((header::LOCATION, location));
            }
            answer.json(json!({ "status": "pending" }))
        }
    }
}

/// The absolute status URL of a key, on the host the caller reached.
fn status_url(req: &HttpRequest, registry: &str, service: &str, key: &str) -> String {
    let path = format!(
        "/_sandbox/status/{}/{}/{}",
        percent_encode(registry),
        percent_encode(service),
        percent_encode(key)
    );
    absolute(req, &path)
}

/// `path` on the scheme and host the caller reached.
pub(super) fn absolute(req: &HttpRequest, path: &str) -> String {
    let info = req.connection_info();
    format!("{}://{}{path}", info.scheme(), info.host())
}

/// Every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`) as `%XX`.
pub(super) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /_sandbox/status/{registry}/{service}/{key}`: 202 while pending, then 200 with the
/// outputs; 404 for a key that made no effect.
pub(super) async fn status(
    sandbox: web::Data<Sandbox>,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> HttpResponse {
    let (registry, service_id, key) = path.into_inner();
    if sandbox.service(&registry, &service_id).is_none() {
        return unknown_service(&registry, &service_id);
    }
    match status_reply(&sandbox, &service_id, &key) {
        Some(reply) => render(reply, &status_url(&req, &registry, &service_id, &key)),
        None => no_such_key(),
    }
}

/// The reply a status URL gives for `key`: none when it made no effect. Whoever asks there
/// wants the status URL, even of an effect a callback carries.
pub(super) fn status_reply(sandbox: &Sandbox, service: &str, key: &str) -> Option<Reply> {
    let mut effect = sandbox.state().find(service, key)?;
    effect.callback = false;
    Some(call::reply(&effect, false))
}

pub(super) fn no_such_key() -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        "",
        "немає запиту з таким ключем (no call with this key)",
    )
}
