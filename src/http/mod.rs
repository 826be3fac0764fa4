//! HTTP: routes, extraction and error mapping. Thin by design: each handler extracts, calls the
//! domain (`applications` for every change, `store` and `receipt` to read) and maps the result.

mod applications;
mod audit;
pub(crate) mod auth;
pub mod bodies;
mod bundles;
mod callbacks;
mod capture;
mod error;
mod health;
mod idempotency;
mod metrics;
pub mod openapi;
mod operators;
mod pages;
mod refusals;
pub mod request_id;
mod session;
mod staff;
mod status;
mod ui;
mod worklist;

pub use applications::{Envelope, envelope};
pub use error::ApiError;
pub use ui::kit::messages as kit_messages;

use crate::applications::Applications;
use crate::bundle::Catalog;
use crate::store::Store;
use actix_web::dev::HttpServiceFactory;
use actix_web::web;
use std::sync::Arc;
use utoipa_actix_web::OpenApiFactory;

/// What every handler may use.
pub struct AppState {
    /// Every change to an application goes through these.
    pub applications: Applications,
    /// The definitions, to show them.
    pub catalog: Arc<Catalog>,
    /// To read applications, their history and the health of the database.
    pub store: Store,
    /// The address people reach this server at, for links and QR codes.
    pub public_url: String,
    /// Keys the check codes on receipts and the verify page.
    pub receipt_secret: String,
    /// How long sessions last, when accounts lock.
    pub auth: crate::settings::AuthSettings,
    /// Where the demo's SMS can be read (the in-process sandbox's messages), said on the pages
    /// that ask for a code; `None` with a real gateway.
    pub sms_outbox: Option<String>,
    /// Sign-in through an OpenID provider, when configured.
    pub oidc: Option<crate::oidc::Oidc>,
    /// What this instance counts, for `/metrics` and the registries' page.
    pub telemetry: std::sync::Arc<crate::telemetry::Telemetry>,
    /// Who may read `/metrics`; when a registry is slow.
    pub metrics: crate::settings::MetricsSettings,
    /// The OpenAPI document of the API, built once at start (`openapi::json`).
    pub contract: web::Bytes,
    /// Whether the dispatcher and its writers run, for `/readyz`.
    pub liveness: crate::fanout::Liveness,
}

impl AppState {
    /// The receipt's view of an application: its words, rows and check code, for the PDF and
    /// for the pages that show the same.
    pub fn receipt_view(
        &self,
        application: &crate::store::ApplicationRecord,
        subs: &[crate::store::SubRequestRecord],
        languages: crate::receipt::Languages,
    ) -> Result<crate::receipt::ReceiptView, crate::receipt::ReceiptError> {
        let (catalog, url, secret) = (&self.catalog, &self.public_url, &self.receipt_secret);
        crate::receipt::view(catalog, application, subs, url, languages, secret)
    }
}

/// Register every route.
pub fn configure(cfg: &mut web::ServiceConfig, max_body_bytes: usize) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(max_body_bytes)
            .content_type_required(false)
            .error_handler(error::json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(error::query_error))
    // The routes that read their body as bytes take the same limit as JSON.
    .app_data(web::PayloadConfig::new(max_body_bytes))
    .configure(|cfg| ui::configure(cfg, max_body_bytes))
    .configure(outside_the_api)
    .service(api())
    .configure(openapi::swagger_ui)
    .default_service(web::to(not_found));
}

/// The API, `/api/v1`: every route a handler with its `#[utoipa::path]`, registered through
/// utoipa-actix-web so that the OpenAPI document's paths are these registrations
/// (`openapi::document`). A route added with `.route(…)` would be missing from it: add
/// handlers with `.service(…)` only.
pub fn api() -> impl HttpServiceFactory + OpenApiFactory {
    utoipa_actix_web::scope("/api/v1")
        .wrap(actix_web::middleware::from_fn(json_only))
        .service(openapi::serve)
        .service(session::create)
        .service(session::show)
        .service(session::delete)
        .service(session::change_password)
        .service(staff::add)
        .service(staff::disable)
        .service(bundles::list)
        .service(bundles::form)
        .service(ui::kit::pack)
        .service(applications::submit)
        .configure(workspace)
        .service(applications::show)
        .service(audit::open)
        .service(audit::search)
        .service(audit::verify)
        .service(applications::receipt)
        .service(operators::retry)
        .service(callbacks::callback)
        .service(callbacks::confirm)
        .service(callbacks::send_code)
        .service(operators::invite)
        .service(operators::decide_in_person)
}

/// The routes beside the API and the pages: health, metrics, the receipts' verify page.
fn outside_the_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/livez", web::get().to(health::livez))
        .route("/readyz", web::get().to(health::readyz))
        .route("/healthz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(metrics::metrics))
        .route("/verify/{code}", web::get().to(pages::verify));
}

/// The staff workspace's routes of the API: the work list, and reopening a person's step.
fn workspace(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(worklist::list).service(operators::reopen);
}

/// A request's path as it may be logged: the segment after `/access/`, `/confirmations/`,
/// `/callbacks/` and `/verify/` is a secret or a capability (a citizen's access, a person's
/// confirmation link, a registry's callback, a receipt's check code) and is left out.
pub fn loggable_path(path: &str) -> String {
    const SECRET_AFTER: [&str; 4] = ["access", "confirmations", "callbacks", "verify"];
    let mut previous = "";
    let segments: Vec<&str> = path
        .split('/')
        .map(|segment| {
            let shown = if SECRET_AFTER.contains(&previous) {
                "…"
            } else {
                segment
            };
            previous = segment;
            shown
        })
        .collect();
    segments.join("/")
}

/// The API takes JSON bodies only: a request with a body of another type (a cross-site form
/// post is `text/plain`, `multipart/form-data` or `application/x-www-form-urlencoded`) is
/// refused with 415 before any handler runs, whatever its credentials.
async fn json_only(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::http::{Method, header};
    let writes = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    let content_type = req.headers().get(header::CONTENT_TYPE);
    let json = content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        });
    let has_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0")
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    if writes && !json && (content_type.is_some() || has_body) {
        let refusal = ApiError::UnsupportedMediaType(
            "Очікується Content-Type: application/json (the API takes JSON only)".into(),
        );
        return Ok(req.error_response(refusal));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("Сторінку не знайдено".into()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_secret_in_a_path_is_left_out_of_the_log() {
        let cases = [
            ("/access/osc_0123456789abcdef0123456789abcdef", "/access/…"),
            (
                "/api/v1/confirmations/abc/code",
                "/api/v1/confirmations/…/code",
            ),
            ("/api/v1/callbacks/0123", "/api/v1/callbacks/…"),
            ("/verify/abc", "/verify/…"),
            ("/applications/0193-x/live", "/applications/0193-x/live"),
        ];
        for (path, logged) in cases {
            assert_eq!(super::loggable_path(path), logged);
        }
    }
}
