//! Asynchronous answers: `202 Accepted` while an effect's outputs are held back, then either a
//! status URL (`Location`, polled with `GET` until it answers 200) or a signed callback posted
//! to the caller's `Callback-Url`, retried on connection errors and 5xx.
//!
//! The effect itself is made by `call`, once per key; this module only decides how its outputs
//! are given and delivers callbacks, at most one per effect.

use super::state::Effect;
use super::{Sandbox, error, unknown_service};
use crate::registry::signature::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use std::time::{Duration, Instant};

/// Tries of one callback: the first and up to five retries, a second apart.
const CALLBACK_ATTEMPTS: u32 = 6;
const CALLBACK_PAUSE: Duration = Duration::from_secs(1);

/// Who called, for the asynchronous part of the answer.
pub(super) struct Pending {
    pub registry: String,
    pub key: String,
    pub callback_url: Option<String>,
}

/// The answer for an effect: 200 with its outputs once they may be given (and `must_wait` is
/// false), else 202 with `Retry-After` and, unless a callback carries them, a `Location`.
pub(super) fn answer(
    req: &HttpRequest,
    service: &crate::bundle::Service,
    pending: &Pending,
    effect: &Effect,
    must_wait: bool,
) -> HttpResponse {
    let remaining = effect.ready_at.saturating_duration_since(Instant::now());
    if !must_wait && remaining.is_zero() {
        return HttpResponse::Ok().json(&effect.outputs);
    }
    let seconds = u64::try_from(remaining.as_millis().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1);
    let mut answer = HttpResponse::Accepted();
    answer.insert_header((header::RETRY_AFTER, seconds));
    if !effect.callback {
        let url = status_url(req, &pending.registry, service.id.as_str(), &pending.key);
        answer.insert_header((header::LOCATION, url));
    }
    answer.json(json!({ "status": "pending" }))
}

/// `GET /_sandbox/status/{registry}/{service}/{key}`: 202 while pending, then 200 with the
/// outputs; 404 for a key that made no effect.
pub(super) async fn status(
    sandbox: web::Data<Sandbox>,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> HttpResponse {
    let (registry, service_id, key) = path.into_inner();
    let Some(service) = sandbox.service(&registry, &service_id) else {
        return unknown_service(&registry, &service_id);
    };
    let Some(mut effect) = sandbox.state().find(&service_id, &key) else {
        return error(
            StatusCode::NOT_FOUND,
            "",
            "немає запиту з таким ключем (no call with this key)",
        );
    };
    // Whoever asks here wants the status URL, even of an effect a callback carries.
    effect.callback = false;
    let pending = Pending {
        registry,
        key,
        callback_url: None,
    };
    answer(&req, service, &pending, &effect, false)
}

/// The absolute status URL of a key, on the host the caller reached.
fn status_url(req: &HttpRequest, registry: &str, service: &str, key: &str) -> String {
    let info = req.connection_info();
    format!(
        "{}://{}/_sandbox/status/{}/{}/{}",
        info.scheme(),
        info.host(),
        percent_encode(registry),
        percent_encode(service),
        percent_encode(key)
    )
}

/// Every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`) as `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One callback to deliver.
struct Callback {
    client: reqwest::Client,
    url: String,
    registry: String,
    secret: String,
    body: Vec<u8>,
}

/// Post `{"status":"succeeded","outputs":…}` to `url` once the effect's outputs may be given,
/// signed with the registry's secret.
pub(super) fn schedule_callback(sandbox: &Sandbox, registry: &str, url: String, effect: &Effect) {
    let callback = Callback {
        client: sandbox.client.clone(),
        url,
        registry: registry.to_owned(),
        secret: sandbox.secrets.for_registry(registry).to_owned(),
        body: json!({ "status": "succeeded", "outputs": effect.outputs })
            .to_string()
            .into_bytes(),
    };
    let delay = effect.ready_at.saturating_duration_since(Instant::now());
    tokio::spawn(deliver(callback, delay));
}

async fn deliver(callback: Callback, delay: Duration) {
    tokio::time::sleep(delay).await;
    for attempt in 1..=CALLBACK_ATTEMPTS {
        match send(&callback).await {
            Ok(status) if status.is_success() => return,
            Ok(status) if !status.is_server_error() => {
                tracing::warn!(registry = %callback.registry, %status, "Callback refused; not retried");
                return;
            }
            Ok(status) => {
                tracing::debug!(registry = %callback.registry, attempt, %status, "Callback failed")
            }
            Err(e) => {
                tracing::debug!(registry = %callback.registry, attempt, error = %e, "Callback not delivered")
            }
        }
        if attempt < CALLBACK_ATTEMPTS {
            tokio::time::sleep(CALLBACK_PAUSE).await;
        }
    }
    tracing::warn!(
        registry = %callback.registry,
        attempts = CALLBACK_ATTEMPTS,
        "Callback given up"
    );
}

async fn send(callback: &Callback) -> Result<reqwest::StatusCode, reqwest::Error> {
    let timestamp = jiff::Timestamp::now().as_second();
    let signature = signature::sign(&callback.secret, timestamp, &callback.body);
    let response = callback
        .client
        .post(&callback.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature)
        .body(callback.body.clone())
        .send()
        .await?;
    Ok(response.status())
}
