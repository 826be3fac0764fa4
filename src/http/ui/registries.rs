//! The registries' health (`/staff/registries`, supervisors and admins): for each registry over
//! the last 5 minutes, hour and day, this instance's calls, p50 and p95 durations and failures
//! by kind — read from the same record as `/metrics` (`telemetry`) — with the calls waiting for
//! it and the oldest one's age from the database, whether it limits calls now, and whether it
//! is slow (p95 over five minutes above `metrics.slow_call_ms`).

use super::render::{Page, Problem, Switch, html};
use crate::access::{self, Caller};
use crate::http::{AppState, auth};
use crate::lang::Lang;
use crate::telemetry::Window;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// `GET /staff/registries`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<super::start::LangQuery>,
) -> Result<HttpResponse, Problem> {
    let lang = query.lang();
    let caller = super::session::caller(&state, &req).await;
    let caller = caller.map_err(|e| Problem::from_api(e, lang))?;
    if caller == Caller::Nobody {
        return Ok(super::session::to_sign_in("/staff/registries", lang));
    }
    access::may_watch_registries(&caller)
        .map_err(|r| Problem::from_api(auth::refused(r, ""), lang))?;
    let now = crate::store::now_ms();
    let waiting =
        (state.store.waiting_calls(now).await).map_err(|e| Problem::from_api(e.into(), lang))?;
    let mut registries: BTreeSet<String> = (state.catalog.services.values())
        .map(|s| s.registry.clone())
        .collect();
    registries.extend(state.telemetry.health().registries().map(str::to_owned));
    let rows: Vec<Value> = (registries.iter())
        .map(|registry| row(&state, lang, registry, &waiting, now))
        .collect();
    let page = Page {
        template: "staff_registries",
        title: lang.text("reg_title"),
        lang,
        switch: Switch::Link(format!("/staff/registries?lang={}", lang.other().code())),
        data: json!({ "registries": rows, "windows": Window::ALL.map(Window::as_str) }),
    };
    Ok(html(StatusCode::OK, page.render()?))
}

/// One registry's line: its windows, its waiting calls, and what to say of it now.
fn row(
    state: &AppState,
    lang: Lang,
    registry: &str,
    waiting: &[crate::store::WaitingCalls],
    now: i64,
) -> Value {
    let health = state.telemetry.health();
    let windows: Vec<Value> = (Window::ALL.iter())
        .map(|window| {
            let summary = health.summary(registry, *window, now);
            let failures: Vec<String> = (summary.failures.iter())
                .map(|(kind, share)| format!("{kind} {:.0} %", share * 100.0))
                .collect();
            json!({
                "window": window.as_str(),
                "calls": summary.calls,
                "p50": summary.p50.map(seconds),
                "p95": summary.p95.map(seconds),
                "failures": failures.join(", "),
            })
        })
        .collect();
    let recent = health.summary(registry, Window::FiveMinutes, now);
    let slow_after = state.metrics.slow_call_ms as f64 / 1000.0;
    let slow = recent.p95.is_some_and(|p95| p95 > slow_after);
    let limited = health.rate_limited(registry, now);
    let mine: Vec<&crate::store::WaitingCalls> = (waiting.iter())
        .filter(|w| {
            state
                .catalog
                .service(&w.service)
                .is_some_and(|s| s.registry == registry)
        })
        .collect();
    let calls: i64 = mine.iter().map(|w| w.calls).sum();
    let oldest = mine.iter().filter_map(|w| w.oldest_due).min();
    let state_word = match (slow, limited) {
        (_, true) => "reg_limited",
        (true, false) => "reg_slow",
        _ => "reg_ok",
    };
    json!({
        "registry": registry,
        "windows": windows,
        "waiting": calls,
        "oldest": oldest.map(|at| seconds((now - at).max(0) as f64 / 1000.0)),
        "state": state_word.trim_start_matches("reg_"),
        "state_label": lang.text(state_word),
        "slow": slow,
        "limited": limited,
    })
}

/// A duration as the page shows it.
fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} мс", s * 1000.0)
    } else {
        format!("{s:.1} с")
    }
}
