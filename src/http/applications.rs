//! Submitting an application, reading its status, and its receipt.

use super::{ApiError, AppState};
use crate::bundle::ServiceId;
use crate::store::{ApplicationRecord, NewApplication, SubRequestRecord};
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

/// `POST /api/v1/bundles/{bundle}/applications` with `{"data": {...}, "services": [...]}`.
pub async fn submit(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (data, chosen) = envelope(body.into_inner())?;
    let (bundle, form) = super::bundles::bundle_form(&state, &path, chosen.as_deref())?;
    let valid = form.validate(data).map_err(ApiError::Invalid)?;
    let applicable = bundle.applicable(valid.data(), valid.services());
    if applicable.run.is_empty() {
        let reasons: Vec<String> = applicable
            .skipped
            .iter()
            .map(|(s, why)| format!("{s}: {why}"))
            .collect();
        return Err(ApiError::invalid(
            "",
            &format!(
                "Жодна послуга не застосовна до цієї заяви: {}",
                reasons.join("; ")
            ),
        ));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let new = NewApplication {
        id: id.clone(),
        bundle_id: bundle.id.0.clone(),
        bundle_version: bundle.version,
        data: valid.data().clone(),
        verify_code: verify_code(),
        calls: applicable
            .calls()
            .into_iter()
            .map(|c| (c.service.0, c.item as i64, c.depends_on))
            .collect(),
    };
    state.store.insert_application(&new).await?;
    state.wake_dispatcher.notify_one();
    tracing::info!(application.id = %id, bundle.id = %bundle.id, "Application accepted");
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/applications/{id}")))
        .json(json!({
            "id": id,
            "status": "in_progress",
            "links": links(&id),
        })))
}

/// Split the body into the form data and the chosen services.
fn envelope(body: Value) -> Result<(Value, Option<Vec<String>>), ApiError> {
    let Value::Object(mut body) = body else {
        return Err(ApiError::invalid(
            "",
            "Тіло запиту має бути об'єктом {\"data\": {...}}",
        ));
    };
    let data = match body.remove("data") {
        Some(data @ Value::Object(_)) => data,
        Some(_) => return Err(ApiError::invalid("/data", "Поле data має бути об'єктом")),
        None => return Err(ApiError::invalid("/data", "Обов'язкове поле")),
    };
    let services = match body.remove("services") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(ApiError::invalid(
                        "/services",
                        "Очікується список ідентифікаторів послуг",
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => {
            return Err(ApiError::invalid(
                "/services",
                "Очікується список ідентифікаторів послуг",
            ));
        }
    };
    if let Some(extra) = body.keys().next() {
        return Err(ApiError::invalid(&format!("/{extra}"), "Невідоме поле"));
    }
    Ok((data, services))
}

/// An unguessable code (128 random bits) for the public verification page.
fn verify_code() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn links(id: &str) -> Value {
    json!({
        "self": format!("/api/v1/applications/{id}"),
        "receipt": format!("/api/v1/applications/{id}/receipt.pdf"),
    })
}

pub(super) async fn load(
    state: &AppState,
    id: &str,
) -> Result<(ApplicationRecord, Vec<SubRequestRecord>), ApiError> {
    let not_found = || ApiError::NotFound(format!("Заяву {id} не знайдено"));
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(not_found());
    }
    let application = state.store.application(id).await?.ok_or_else(not_found)?;
    let subs = state.store.sub_requests(id).await?;
    Ok((application, subs))
}

/// `GET /api/v1/applications/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (application, subs) = load(&state, &path).await?;
    let services: Vec<Value> = subs
        .iter()
        .map(|s| {
            let service = state.catalog.service(&ServiceId(s.service_id.clone()));
            json!({
                "service": s.service_id,
                "item": s.item,
                "title": service.map(|x| &x.title),
                "status": s.status,
                "attempts": s.attempts,
                "depends_on": s.depends_on,
                "outputs": s.outputs,
                "error": s.error,
                "updated_at": timestamp(s.updated_at),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "id": application.id,
        "bundle": application.bundle_id,
        "bundle_version": application.bundle_version,
        "status": application.status,
        "submitted_at": timestamp(application.created_at),
        "updated_at": timestamp(application.updated_at),
        "services": services,
        "links": links(&application.id),
        "verify_url": format!("{}/verify/{}", state.public_url, application.verify_code),
    })))
}

fn timestamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// `GET /api/v1/applications/{id}/receipt.pdf`.
pub async fn receipt(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (application, subs) = load(&state, &path).await?;
    let view = crate::receipt::view(&state.catalog, &application, &subs, &state.public_url);
    let pdf = web::block(move || crate::receipt::render_pdf(&view))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"onestop-{}.pdf\"", application.id),
        ))
        .body(pdf))
}
