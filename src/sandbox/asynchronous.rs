//! Callbacks: the outputs of an effect held back are posted, signed, to the caller's
//! `Callback-Url` once they may be given, retried on connection errors and 5xx, at most once per
//! effect. (An answer held back is otherwise polled at a status URL: see `rest`.)
//!
//! The effect itself is made by `call`, once per key; this module only delivers its callback.

use super::Sandbox;
use super::state::Effect;
use crate::registry::signature::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use serde_json::json;
use std::time::{Duration, Instant};

/// Tries of one callback: the first and up to five retries, a second apart.
const CALLBACK_ATTEMPTS: u32 = 6;
const CALLBACK_PAUSE: Duration = Duration::from_secs(1);

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
