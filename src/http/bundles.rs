//! `GET /api/v1/bundles` and `GET /api/v1/bundles/{bundle}/form`.

use super::{ApiError, AppState};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

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
    let bundle_id = path.into_inner();
    let bundle = state
        .catalog
        .bundle(&bundle_id)
        .ok_or_else(|| ApiError::NotFound(format!("Невідома життєва подія \"{bundle_id}\"")))?;
    let chosen: Option<Vec<String>> = query.services.as_ref().map(|s| {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let selection = bundle
        .select(chosen.as_deref())
        .map_err(|e| ApiError::invalid("/services", &e.to_string()))?;
    let form = bundle
        .form(&state.catalog, &selection)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok().json(&form.bundled))
}
