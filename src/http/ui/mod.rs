//! The web pages people use — a maternity-ward clerk, a citizen on a phone, an entrepreneur —
//! in Ukrainian first and English second, generated from the same bundles and combined forms
//! as the API, so that a new life event gets its pages with no page code of its own.
//!
//! Pages: `/` (life events), `/events/{bundle}` (services, optional ones to choose),
//! `/events/{bundle}/form` (the form; posted back to the same address), `/applications/{id}`
//! (statuses, what is left to do, the receipt) and its live part, `/confirmations/{token}` (a
//! person's consent or co-signature, from the link they were given). Plain HTML and CSS with a
//! little progressive JavaScript, templates and assets embedded in the binary.
//!
//! This module must not validate or store anything itself: a submission goes through
//! `http::applications::accept`, errors are the API's (mapped by JSON pointer onto the fields and
//! worded in the page's language from the message catalogue), and statuses are read as the API
//! reads them. No personal data goes into an address.

mod application;
mod assets;
mod audit;
mod confirm;
mod cookies;
mod csrf;
mod dates;
mod disclose;
mod fields;
mod form;
mod i18n;
pub(crate) mod kit;
mod parse;
mod password;
mod prefill;
mod registries;
mod render;
mod schema;
mod seen;
mod session;
mod staff;
mod staff_actions;
mod start;
mod worklist;

use actix_web::web;

/// Register the pages' routes.
pub fn configure(cfg: &mut web::ServiceConfig, max_body_bytes: usize) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(max_body_bytes)
            .error_handler(|err, _req| {
                let status = actix_web::ResponseError::status_code(&err);
                render::Problem::said(status, crate::lang::Lang::Uk, err.to_string()).into()
            }),
    )
    .route("/", web::get().to(start::start))
    .route("/events/{bundle}", web::get().to(start::services))
    .route("/events/{bundle}/form", web::get().to(form::show))
    .route("/events/{bundle}/form", web::post().to(form::post))
    .route("/applications/{id}", web::get().to(application::show))
    .route(
        "/applications/{id}/receipt.pdf",
        web::get().to(application::receipt),
    )
    .route(
        "/applications/{id}/live",
        web::get().to(application::live_part),
    )
    .route("/confirmations/{token}", web::get().to(confirm::show))
    .route("/confirmations/{token}", web::post().to(confirm::post))
    .route(
        "/confirmations/{token}/oidc",
        web::get().to(confirm::identify),
    )
    .route("/sign-in", web::get().to(session::show))
    .route("/sign-in", web::post().to(session::post))
    .route("/sign-in/oidc", web::get().to(session::oidc_start))
    .route(
        "/sign-in/oidc/callback",
        web::get().to(session::oidc_callback),
    )
    .route("/sign-out", web::post().to(session::sign_out))
    .route("/password", web::get().to(password::show))
    .route("/staff/audit", web::get().to(audit::show))
    .configure(workspace)
    .route("/password", web::post().to(password::post))
    .route("/access/{secret}", web::get().to(session::open_link))
    .configure(kit::configure)
    .route("/ui/style.css", web::get().to(assets::style))
    .route("/ui/app.js", web::get().to(assets::script));
}

/// The staff workspace's pages: the work list, an application for staff and its actions, the
/// registries' health.
fn workspace(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/applications", web::get().to(worklist::show))
        .route("/staff/applications/{id}", web::get().to(staff::show))
        .route(
            "/staff/applications/{id}/services/{service}/retry",
            web::post().to(staff_actions::retry),
        )
        .route(
            "/staff/applications/{id}/steps/{step}/reopen",
            web::post().to(staff_actions::reopen),
        )
        .route(
            "/staff/applications/{id}/services/{service}/correct",
            web::get().to(staff_actions::correct_form),
        )
        .route(
            "/staff/applications/{id}/services/{service}/correct",
            web::post().to(staff_actions::correct_post),
        )
        .route("/staff/registries", web::get().to(registries::show));
}
