//! `GET /api/v1/bundles` and `GET /api/v1/bundles/{bundle}/form`.

use super::bodies::{BundleList, BundleService, BundleView, ErrorBody};
use super::{ApiError, AppState};
use crate::bundle::Bundle;
use crate::form::CombinedForm;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use std::sync::Arc;

/// The life events with their services. Public.
#[utoipa::path(
    tag = "bundles",
    operation_id = "listBundles",
    responses((status = 200, description = "The life events", body = BundleList)),
)]
#[get("/bundles")]
pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    let bundles = (state.catalog.bundles.values())
        .map(|b| BundleView {
            id: b.id.to_string(),
            version: b.version,
            title: b.title.clone(),
            description: b.description.clone(),
            services: (b.steps.iter())
                .map(|s| {
                    let service = state.catalog.service(&s.service);
                    BundleService {
                        id: s.service.to_string(),
                        title: service.map(|x| x.title.clone()),
                        authority: service.map(|x| x.authority.clone()),
                        optional: s.optional,
                        depends_on: s.depends_on.iter().map(ToString::to_string).collect(),
                    }
                })
                .collect(),
            form: format!("/api/v1/bundles/{}/form", b.id),
        })
        .collect();
    HttpResponse::Ok().json(BundleList { bundles })
}

/// Which optional services the form is for.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormQuery {
    /// Comma-separated optional services to include (all when absent).
    services: Option<String>,
}

/// The bundle's combined form: one self-contained JSON Schema (draft 2020-12) of the `data`
/// a submission carries, for the chosen optional services. Public.
#[utoipa::path(
    tag = "bundles",
    operation_id = "bundleForm",
    params(("bundle" = String, Path, description = "The life event"), FormQuery),
    responses(
        (status = 200, description = "The combined form: a JSON Schema 2020-12 document \
            (validate a submission's `data` with it, or build a form from it)",
            content_type = "application/json", body = Object),
        (status = 404, description = "No such life event", body = ErrorBody),
        (status = 422, description = "An unknown or impossible choice of services", body = ErrorBody),
    ),
)]
#[get("/bundles/{bundle}/form")]
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
