//! Every request gets an id: the one a trusted proxy in front sent in `X-Request-Id` when it has
//! a sane shape (up to 64 letters, digits, dots, dashes, underscores), else a new one. It goes
//! back in the answer's `X-Request-Id`, on the request's log line and on every audit entry the
//! request makes (`audit::REQUEST_ID`, set around the handling), so an operator can follow one
//! request from the log to the trail.

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};

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
    let mut response = crate::audit::REQUEST_ID
        .scope(id.clone(), next.call(req))
        .await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        (response.headers_mut()).insert(HeaderName::from_static(HEADER), value);
    }
    Ok(response)
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
