//! `GET /api/v1/bundles` and `GET /api/v1/bundles/{bundle}/form`.

use super::{ApiError, AppState};
use crate::bundle::Bundle;
use crate::form::CombinedForm;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    let bundles: Vec<_> = state
        .catalog
        .bundles
        .values()
        .map(|b| {
            json!({
                "id": b.id,
                "version": b.version,
                "title": b.title,
                "description": b.description,
                "services": b.steps.iter().map(|s| {
                    let service = state.catalog.service(&s.service);
                    json!({
                        "id": s.service,
                        "title": service.map(|x| &x.title),
                        "authority": service.map(|x| &x.authority),
                        "optional": s.optional,
                        "depends_on": s.depends_on,
                    })
                }).collect::<Vec<_>>(),
                "form": format!("/api/v1/bundles/{}/form", b.id),
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({ "bundles": bundles }))
}

#[derive(Deserialize)]
pub struct FormQuery {
    /// Comma-separated optional services to include.
    services: Option<String>,
}

pub async fn form(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<FormQuery>,
) -> Result<HttpResponse, ApiError> {
    let chosen: Option<Vec<String>> = query.services.as_ref().map(|s| {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let (_, form) = bundle_form(&state, &path, chosen.as_deref())?;
    Ok(HttpResponse::Ok().json(&form.bundled))
}

/// The bundle and the combined form of the chosen services (all when `None`).
pub(super) fn bundle_form<'a>(
    state: &'a AppState,
    bundle_id: &str,
    chosen: Option<&[String]>,
) -> Result<(&'a Bundle, Arc<CombinedForm>), ApiError> {
    Ok(state.applications.bundle_form(bundle_id, chosen)?)
}
