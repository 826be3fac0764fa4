//! `/metrics`: what this instance counted, and the database's gauges, in the Prometheus text
//! format, for whoever holds the token of the setting `metrics.token` (a scrape config's
//! `authorization: {credentials: …}`). Without the setting the route does not exist (404).

use super::{ApiError, AppState};
use crate::access::secret;
use actix_web::{HttpRequest, HttpResponse, web};

/// `GET /metrics`.
pub async fn metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let Some(token) = state.metrics.token.as_deref() else {
        return Err(ApiError::NotFound("Сторінку не знайдено".into()));
    };
    let given = (req.headers().get("Authorization"))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared as digests, in constant time: neither the length nor a prefix of the token shows.
    let (expected, given) = (secret::hash(token), secret::hash(given));
    if !secret::constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        return Err(ApiError::Unauthorized(
            "Потрібен токен метрик: Authorization: Bearer …".into(),
        ));
    }
    let gauges = state.store.gauges(crate::store::now_ms()).await?;
    let text = state.telemetry.render(&gauges);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
