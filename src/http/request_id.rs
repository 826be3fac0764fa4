//! Every request gets an id: the one a trusted proxy in front sent in `X-Request-Id` when it has
//! a sane shape (up to 64 letters, digits, dots, dashes, underscores), else a new one. It goes
//! back in the answer's `X-Request-Id`, on every log line of the request (the span `request`,
//! opened by tracing-actix-web with `Spans`), on every audit entry the request makes
//! (`audit::REQUEST_ID`, set around the handling), with a submitted application (its calls'
//! log lines carry it, and the registries are sent it as `X-Request-Id`), so an operator can
//! follow one request from the log to the trail and to the registries.
//!
//! The request's span and its closing line hold the method, the path with its secrets left out
//! (`loggable_path`), the status and the time; never the query string, headers or bodies.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use std::time::Instant;
use tracing::Span;

const HEADER: &str = "x-request-id";

/// Middleware: give the request its id and send it back.
pub async fn assign(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let given = (req.headers().get(HEADER))
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_owned);
    let id = given.unwrap_or_else(crate::store::random_token);
    req.extensions_mut().insert(Given {
        id: id.clone(),
        at: Instant::now(),
    });
    let mut response = crate::audit::REQUEST_ID
        .scope(id.clone(), next.call(req))
        .await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        (response.headers_mut()).insert(HeaderName::from_static(HEADER), value);
    }
    Ok(response)
}

/// The request's id and when it arrived, for its span.
#[derive(Clone)]
struct Given {
    id: String,
    at: Instant,
}

/// The request's span (tracing-actix-web's root span, built the onestop way).
pub struct Spans;

impl tracing_actix_web::RootSpanBuilder for Spans {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = (request.extensions().get::<Given>()).map(|given| given.id.clone());
        let path = super::loggable_path(request.path());
        let method = request.method().as_str();
        tracing::info_span!(
            "request",
            request_id = id.as_deref().unwrap_or(""),
            method,
            path
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let Ok(response) = outcome else {
            return;
        };
        let request = response.request();
        let elapsed = (request.extensions().get::<Given>()).map(|given| given.at.elapsed());
        let ms = elapsed.map_or(0.0, |e| e.as_secs_f64() * 1000.0);
        let (method, status) = (request.method().as_str(), response.status().as_u16());
        let path = super::loggable_path(request.path());
        span.in_scope(|| tracing::info!(status, ms, "{method} {path} {status}"));
    }
}

fn sane(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && (id.bytes()).all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_proxys_id_is_kept_only_when_it_has_a_sane_shape() {
        assert!(super::sane("3f2a-11.b_c"));
        assert!(!super::sane(""));
        assert!(!super::sane("a b"));
        assert!(!super::sane("x\u{0}"));
        assert!(!super::sane(&"a".repeat(65)));
    }
}
