//! HTTP: routes, extraction and error mapping. Thin by design: each handler extracts, calls the
//! domain (`applications` for every change, `store` and `receipt` to read) and maps the result.

mod applications;
mod audit;
pub(crate) mod auth;
mod bundles;
mod callbacks;
mod error;
mod idempotency;
mod metrics;
mod operators;
mod pages;
mod refusals;
pub mod request_id;
mod session;
mod staff;
mod ui;
mod worklist;

pub use applications::{Envelope, envelope};
pub use error::ApiError;

use crate::applications::Applications;
use crate::bundle::Catalog;
use crate::store::Store;
use actix_web::web;
use std::sync::Arc;

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
    .configure(|cfg| ui::configure(cfg, max_body_bytes))
    .route("/healthz", web::get().to(pages::healthz))
    .route("/metrics", web::get().to(metrics::metrics))
    .route("/verify/{code}", web::get().to(pages::verify))
    .service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(json_only))
            .route("/session", web::post().to(session::create))
            .route("/session", web::get().to(session::show))
            .route("/session", web::delete().to(session::delete))
            .route(
                "/session/password",
                web::post().to(session::change_password),
            )
            .route("/users", web::post().to(staff::add))
            .route("/users/{login}", web::delete().to(staff::disable))
            .route("/bundles", web::get().to(bundles::list))
            .route("/bundles/{bundle}/form", web::get().to(bundles::form))
            .route(
                "/bundles/{bundle}/applications",
                web::post().to(applications::submit),
            )
            .configure(workspace)
            .route("/applications/{id}", web::get().to(applications::show))
            .route("/applications/{id}/open", web::post().to(audit::open))
            .route("/audit", web::get().to(audit::search))
            .route("/audit/verify", web::get().to(audit::verify))
            .route(
                "/applications/{id}/receipt.pdf",
                web::get().to(applications::receipt),
            )
            .route(
                "/applications/{id}/services/{service}/retry",
                web::post().to(operators::retry),
            )
            .route("/callbacks/{token}", web::post().to(callbacks::callback))
            .route("/confirmations/{token}", web::post().to(callbacks::confirm))
            .route(
                "/confirmations/{token}/code",
                web::post().to(callbacks::send_code),
            )
            .route(
                "/applications/{id}/steps/{step}/invitation",
                web::post().to(operators::invite),
            )
            .route(
                "/applications/{id}/steps/{step}/decision",
                web::post().to(operators::decide_in_person),
            ),
    )
    .default_service(web::to(not_found));
}

/// The staff workspace's routes of the API: the work list, and reopening a person's step.
fn workspace(cfg: &mut web::ServiceConfig) {
    cfg.route("/applications", web::get().to(worklist::list))
        .route(
            "/applications/{id}/steps/{step}/reopen",
            web::post().to(operators::reopen),
        );
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
