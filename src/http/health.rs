//! Health for orchestrators and load balancers, public and free of personal data:
//! `GET /livez` — the process answers (restart it when it does not); `GET /readyz` — it can do
//! its work: the database answers, every migration of this binary is applied, the dispatcher
//! and its writers run, and it is not stopping (send it no traffic when it is not ready).
//! `GET /healthz` is kept as another name for `/readyz`.

use super::AppState;
use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};

pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// 200 with each check when ready, else 503 with each check (`ok`, or what is wrong).
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let mut checks = Map::new();
    let mut ready = true;
    let mut check = |name: &str, outcome: Result<(), String>| {
        ready &= outcome.is_ok();
        let said = outcome.err().unwrap_or_else(|| "ok".to_owned());
        checks.insert(name.to_owned(), Value::String(said));
    };
    let database = state.store.ping().await;
    let reachable = database.is_ok();
    check("database", database.map_err(|_| "unreachable".to_owned()));
    let migrations = match reachable {
        true => match state.store.pending_migrations().await {
            Ok(pending) if pending.is_empty() => Ok(()),
            Ok(pending) => Err(format!("{} pending (onestop migrate)", pending.len())),
            Err(_) => Err("unreadable".to_owned()),
        },
        false => Err("unknown (the database is unreachable)".to_owned()),
    };
    check("migrations", migrations);
    let liveness = &state.liveness;
    check(
        "dispatcher",
        ok_or(liveness.dispatcher(), "stopped or stopping"),
    );
    check("writers", ok_or(liveness.writers(), "stopped"));
    let status = if ready { "ready" } else { "not ready" };
    let body = json!({ "status": status, "checks": checks });
    match ready {
        true => HttpResponse::Ok().json(body),
        false => HttpResponse::ServiceUnavailable().json(body),
    }
}

fn ok_or(ok: bool, otherwise: &str) -> Result<(), String> {
    ok.then_some(()).ok_or_else(|| otherwise.to_owned())
}
