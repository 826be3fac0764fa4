//! Adapters to the registries that perform services: one HTTP call per sub-request, and the one
//! place where an answer is classified (success, accepted for later, refusal, or worth retrying).
//!
//! This module neither stores nor schedules anything; `fanout` decides what to do with an
//! `Outcome`.

mod adapter;
pub mod faults;
mod onestop_rest;
pub mod setup;
pub mod signature;
pub mod soap;
mod tls;
mod trembita_rest;
mod trembita_soap;
pub mod wrapped;
pub mod xml;

pub use adapter::{
    Adapter, Adapters, Answered, Call, Exchange, Poll, Protocol, digest, message_id,
};
pub use onestop_rest::OnestopRest;
pub use tls::{TlsError, TlsFiles};
pub use trembita_rest::{TrembitaRest, headers as uxp_headers};
pub use trembita_soap::TrembitaSoap;

use crate::bundle::Service;
use crate::lifecycle::Answer;
use crate::telemetry::CallOutcome;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

/// How one registry call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// 2xx with outputs that satisfy the service's output schema.
    Succeeded(Value),
    /// 202: the registry took the request and will answer later, by a signed callback or at
    /// `status_url` (from `Location`), not before `after` (from `Retry-After`) if it says so.
    Accepted {
        status_url: Option<String>,
        after: Option<Duration>,
    },
    /// A refusal (4xx other than 408/429): retrying would not help.
    Refused(String),
    /// A transient problem: timeout, connection error, 408, 429, 5xx, or a nonsense answer.
    Retry {
        reason: String,
        after: Option<Duration>,
        trouble: CallOutcome,
    },
}

impl Outcome {
    /// How the call is counted (`telemetry`).
    pub fn counted(&self) -> CallOutcome {
        match self {
            Self::Succeeded(_) => CallOutcome::Succeeded,
            Self::Accepted { .. } => CallOutcome::Accepted,
            Self::Refused(_) => CallOutcome::Refused,
            Self::Retry { trouble, .. } => *trouble,
        }
    }
}

pub(crate) fn retry(trouble: CallOutcome, reason: &str, after: Option<Duration>) -> Outcome {
    Outcome::Retry {
        reason: reason.to_owned(),
        after,
        trouble,
    }
}

/// The one place that decides what an HTTP answer means.
pub fn classify(
    service: &Service,
    status: StatusCode,
    after: Option<Duration>,
    body: &[u8],
) -> Outcome {
    if status == StatusCode::ACCEPTED {
        return Outcome::Accepted {
            status_url: None,
            after,
        };
    }
    if status.is_success() {
        let Ok(outputs) = serde_json::from_slice::<Value>(body) else {
            return retry(
                CallOutcome::BadAnswer,
                "реєстр повернув відповідь, що не є JSON",
                None,
            );
        };
        if !service.output_validator.is_valid(&outputs) {
            return retry(
                CallOutcome::BadAnswer,
                "відповідь реєстру не відповідає схемі результату",
                None,
            );
        }
        return Outcome::Succeeded(outputs);
    }
    if is_retriable(status) {
        let trouble = match status {
            StatusCode::TOO_MANY_REQUESTS => CallOutcome::RateLimited,
            StatusCode::REQUEST_TIMEOUT => CallOutcome::Timeout,
            _ => CallOutcome::ServerError,
        };
        return retry(trouble, &format!("реєстр відповів {status}"), after);
    }
    Outcome::Refused(refusal_reason(status, body))
}

/// The body of a registry's callback: its late answer to a call it accepted (202).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum CallbackBody {
    /// The service's outputs, which must satisfy its output schema.
    Succeeded {
        #[schema(value_type = Object)]
        outputs: Value,
    },
    /// The registry's reason, kept as it says it.
    Refused { reason: String },
}

/// Why a callback's body is not an answer.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// Not `{"status": "succeeded", "outputs": {…}}` nor `{"status": "refused", "reason": "…"}`.
    #[error("{0}")]
    Malformed(String),
    /// Outputs that do not satisfy the service's output schema.
    #[error("the outputs do not satisfy the service's output schema")]
    Outputs,
}

/// What a registry's (already authenticated) callback answers, read as an answer to a call is:
/// outputs must satisfy the service's output schema, a refusal keeps the registry's reason.
pub fn callback_answer(service: &Service, body: &[u8]) -> Result<Answer, CallbackError> {
    let parsed: CallbackBody =
        serde_json::from_slice(body).map_err(|e| CallbackError::Malformed(e.to_string()))?;
    match parsed {
        CallbackBody::Succeeded { outputs } if service.output_validator.is_valid(&outputs) => {
            Ok(Answer::Succeeded(outputs))
        }
        CallbackBody::Succeeded { .. } => Err(CallbackError::Outputs),
        CallbackBody::Refused { reason } => {
            Ok(Answer::Failed(format!("реєстр відмовив: {reason}")))
        }
    }
}

/// Whether an HTTP status is worth another attempt.
pub fn is_retriable(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// The registry's own words for a refusal: `{"errors":[{"message"}]}`, `{"message"}`, or text.
pub(crate) fn refusal_reason(status: StatusCode, body: &[u8]) -> String {
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

/// `Retry-After` as seconds or as an HTTP date (a date in the past means now).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    static PARSER: jiff::fmt::rfc2822::DateTimeParser = jiff::fmt::rfc2822::DateTimeParser::new();
    let at = PARSER.parse_timestamp(value).ok()?;
    let wait = at.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// The status URL of a 202 answer: `Location`, absolute or relative to the called URL.
pub(crate) fn location(headers: &reqwest::header::HeaderMap, called: &str) -> Option<String> {
    let value = headers.get(reqwest::header::LOCATION)?.to_str().ok()?;
    let base = reqwest::Url::parse(called).ok()?;
    base.join(value).ok().map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, LOCATION, RETRY_AFTER};

    #[test]
    fn retry_after_is_read_in_seconds_and_as_an_http_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120);
        let date = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&later)
            .expect("printable date");
        assert!(date.ends_with("GMT"), "{date}");
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&date).expect("header"));
        let wait = retry_after(&headers).expect("an HTTP date is understood");
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn timeouts_rate_limits_and_server_errors_are_retried_other_client_errors_are_not() {
        for code in [408, 429, 500, 502, 503, 504] {
            let status = StatusCode::from_u16(code).expect("status");
            assert!(is_retriable(status), "{code}");
        }
        for code in [400, 401, 403, 404, 409, 422, 202, 200] {
            let status = StatusCode::from_u16(code).expect("status");
            assert!(!is_retriable(status), "{code}");
        }
    }

    #[test]
    fn a_relative_location_is_resolved_against_the_called_url() {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, HeaderValue::from_static("/status/42"));
        assert_eq!(
            location(&headers, "http://registry:9000/tax/tax.rnokpp").as_deref(),
            Some("http://registry:9000/status/42")
        );
    }
}
