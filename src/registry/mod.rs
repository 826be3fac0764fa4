//! Adapters to the registries that perform services: one HTTP call per sub-request, and the one
//! place where an answer is classified (success, refusal, or worth retrying).
//!
//! This module neither stores nor schedules anything; `fanout` decides what to do with an
//! `Outcome`.

pub mod signature;

use crate::bundle::Service;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

/// How one registry call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// 2xx with outputs that satisfy the service's output schema.
    Succeeded(Value),
    /// A refusal (4xx other than 408/429): retrying would not help.
    Refused(String),
    /// A transient problem: timeout, connection error, 408, 429, 5xx, or a nonsense answer.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
}

/// Calls registries over HTTP.
#[derive(Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    base_url: String,
}

impl RegistryClient {
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    /// The endpoint of a service: `{base}/{registry}/{service}`.
    pub fn endpoint(&self, service: &Service) -> String {
        format!("{}/{}/{}", self.base_url, service.registry, service.id)
    }

    /// Send one request, carrying the sub-request's idempotency key; `timeout` overrides the
    /// client's default for this call.
    pub async fn call(
        &self,
        service: &Service,
        idempotency_key: &str,
        request: &Value,
        timeout: Option<Duration>,
    ) -> Outcome {
        let mut call = self
            .http
            .post(self.endpoint(service))
            .header("Idempotency-Key", idempotency_key)
            .json(request);
        if let Some(timeout) = timeout {
            call = call.timeout(timeout);
        }
        let response = call.send().await;
        match response {
            Err(e) if e.is_timeout() => retry("реєстр не відповів вчасно (timeout)", None),
            Err(e) => retry(&format!("реєстр недоступний: {e}"), None),
            Ok(response) => {
                let status = response.status();
                let after = retry_after(response.headers());
                let body = response.bytes().await.unwrap_or_default();
                classify(service, status, after, &body)
            }
        }
    }
}

fn retry(reason: &str, after: Option<Duration>) -> Outcome {
    Outcome::Retry {
        reason: reason.to_owned(),
        after,
    }
}

/// The one place that decides what an HTTP answer means.
pub fn classify(
    service: &Service,
    status: StatusCode,
    after: Option<Duration>,
    body: &[u8],
) -> Outcome {
    if status.is_success() && status != StatusCode::ACCEPTED {
        let Ok(outputs) = serde_json::from_slice::<Value>(body) else {
            return retry("реєстр повернув відповідь, що не є JSON", None);
        };
        if !service.output_validator.is_valid(&outputs) {
            return retry("відповідь реєстру не відповідає схемі результату", None);
        }
        return Outcome::Succeeded(outputs);
    }
    if is_retriable(status) {
        return retry(&format!("реєстр відповів {status}"), after);
    }
    Outcome::Refused(refusal_reason(status, body))
}

/// Whether an HTTP status is worth another attempt.
pub fn is_retriable(status: StatusCode) -> bool {
    status == StatusCode::ACCEPTED
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// The registry's own words for a refusal: `{"errors":[{"message"}]}`, `{"message"}`, or text.
fn refusal_reason(status: StatusCode, body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let from_json = parsed.as_ref().and_then(|v| {
        if let Some(errors) = v.get("errors").and_then(Value::as_array) {
            let messages: Vec<String> = errors
                .iter()
                .filter_map(|e| {
                    let message = e.get("message")?.as_str()?;
                    let pointer = e.get("pointer").and_then(Value::as_str).unwrap_or("");
                    Some(if pointer.is_empty() {
                        message.to_owned()
                    } else {
                        format!("{pointer}: {message}")
                    })
                })
                .collect();
            (!messages.is_empty()).then(|| messages.join("; "))
        } else {
            v.get("message").and_then(Value::as_str).map(str::to_owned)
        }
    });
    let text =
        from_json.unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(500).collect());
    format!("реєстр відмовив ({}): {text}", status.as_u16())
}

/// `Retry-After` in seconds (an HTTP date is read later, with the durable back-off work).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}
