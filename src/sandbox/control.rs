//! The sandbox's own endpoints, for tests and benchmarks: `GET /_sandbox/stats` (calls and
//! effects by service), `GET /_sandbox/received/{service}` and `/_sandbox/headers/{service}`
//! (what it was sent) and `GET`/`PUT /_sandbox/behaviour` (read or replace the knobs at
//! runtime). They never touch the effects themselves.

use super::{Behaviours, Sandbox, problems};
use actix_web::{HttpResponse, web};
use serde_json::json;

/// `{"<service id>": {"calls": n, "effects": m, "answered": a, "answer_ms": t}, …}`; effects
/// are distinct keys that made one; `answer_ms` is the time the `a` answered calls took in
/// all, from arrival to answer.
pub(super) async fn stats(sandbox: web::Data<Sandbox>) -> HttpResponse {
    HttpResponse::Ok().json(sandbox.state().stats())
}

/// The behaviour in force.
pub(super) async fn behaviour(sandbox: web::Data<Sandbox>) -> HttpResponse {
    let current = sandbox.behaviours().clone();
    HttpResponse::Ok().json(current)
}

/// Replace the behaviour of every service; 400 listing every problem, and the old one kept,
/// when the body is not a valid `Behaviours`.
pub(super) async fn replace_behaviour(
    sandbox: web::Data<Sandbox>,
    body: web::Bytes,
) -> HttpResponse {
    let behaviours: Behaviours = match serde_json::from_slice(&body) {
        Ok(behaviours) => behaviours,
        Err(e) => {
            return HttpResponse::BadRequest().json(json!({ "errors": [{
                "pointer": "",
                "message": format!("not a sandbox behaviour: {e}"),
            }] }));
        }
    };
    let problems = problems(&behaviours, &sandbox.catalog);
    if !problems.is_empty() {
        return HttpResponse::BadRequest().json(json!({ "errors": problems }));
    }
    *sandbox.behaviours() = behaviours.clone();
    HttpResponse::Ok().json(behaviours)
}

/// `GET /_sandbox/received/{service}`: the last bodies the service received (20 at most),
/// oldest first, as `{"bodies": [...]}`.
pub(super) async fn received(sandbox: web::Data<Sandbox>, path: web::Path<String>) -> HttpResponse {
    let bodies = sandbox.state().received(&path);
    HttpResponse::Ok().json(serde_json::json!({ "bodies": bodies }))
}

/// `GET /_sandbox/headers/{service}`: the UXP headers of the last calls the service received
/// through the security server's REST (10 at most), oldest first, as `{"headers": [{…}]}`.
pub(super) async fn headers(sandbox: web::Data<Sandbox>, path: web::Path<String>) -> HttpResponse {
    let headers = sandbox.state().headers(&path);
    HttpResponse::Ok().json(json!({ "headers": headers }))
}
