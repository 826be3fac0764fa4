//! The audit trail over the API: `GET /api/v1/audit` searches it (auditors: all of it, or their
//! institution's; supervisors: their institution's), `GET /api/v1/audit/verify` walks the chain
//! (auditors), and `POST /api/v1/applications/{id}/open` is an auditor's look at one
//! application's personal data, with a reason, recorded before it is answered. Reading the trail
//! is itself recorded (`audit.read`).

use super::applications::timestamp;
use super::{ApiError, AppState, auth};
use crate::access::{self, Action, Caller};
use crate::audit::{Stored, action};
use crate::store::AuditFilter;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

/// A page of the trail: at most this many entries (50 unless asked).
const MOST: i64 = 500;

/// `GET /api/v1/audit` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Search {
    application: Option<String>,
    actor: Option<String>,
    /// RFC 3339 time or a date (`2026-12-05`, from its start in Kyiv).
    from: Option<String>,
    /// RFC 3339 time or a date (to its end in Kyiv).
    to: Option<String>,
    /// The `next` of the previous page.
    cursor: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/v1/audit`: entries newest first; `next` is the cursor of the following page.
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<Search>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::api_caller(&state, &req).await?;
    let scope = access::may_read_audit(&caller).map_err(|r| auth::refused(r, ""))?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MOST).contains(&limit) {
        return Err(ApiError::invalid(
            "/limit",
            "Від 1 до 500 записів на сторінку",
        ));
    }
    let filter = AuditFilter {
        application: query.application.clone(),
        actor: query.actor.clone(),
        institution: scope,
        from: query
            .from
            .as_deref()
            .map(|t| moment(t, "/from", false))
            .transpose()?,
        to: query
            .to
            .as_deref()
            .map(|t| moment(t, "/to", true))
            .transpose()?,
        before: query.cursor,
    };
    let entries = state.store.audit_page(&filter, limit).await?;
    let read = auth::entry(&caller, action::AUDIT_READ).with(json!({
        "application": filter.application, "actor": filter.actor,
        "from": query.from, "to": query.to, "cursor": query.cursor,
    }));
    state.store.append_audit(&[read]).await?;
    let next = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    let entries: Vec<Value> = entries.iter().map(entry).collect();
    Ok(HttpResponse::Ok().json(json!({ "entries": entries, "next": next })))
}

/// `GET /api/v1/audit/verify`: `{"ok": true, "entries", "head"}`, or `{"ok": false, "broken":
/// {"entry", "problem"}}` naming the first entry changed, removed or out of place.
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::api_caller(&state, &req).await?;
    let auditor = matches!(&caller, Caller::Staff(s) if s.role == access::Role::Auditor);
    if !auditor {
        access::may_read_audit(&caller).map_err(|r| auth::refused(r, ""))?;
        return Err(auth::refused(access::Refusal::Forbidden, ""));
    }
    Ok(
        HttpResponse::Ok().json(match state.store.verify_audit().await? {
            Ok(checked) => json!({ "ok": true, "entries": checked.entries, "head": checked.head }),
            Err(broken) => json!({ "ok": false, "broken": {
                "entry": broken.entry(), "problem": broken.to_string(),
            }}),
        }),
    )
}

/// Why an auditor opens an application.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    reason: String,
}

/// `POST /api/v1/applications/{id}/open` `{"reason"}`: the application as `GET` shows it, for an
/// auditor, with the opening and its reason recorded first.
pub async fn open(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Json<Opening>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::api_caller(&state, &req).await?;
    let (application, subs) = auth::application_for(&state, &caller, Action::Open, &path).await?;
    let reason = body.reason.trim();
    if reason.chars().count() < 5 || reason.len() > 1000 || reason.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "/reason",
            "Вкажіть підставу (від 5 до 1000 символів, без керівних)",
        ));
    }
    let entry = auth::entry(&caller, action::APPLICATION_OPEN)
        .on(application.id.as_str(), application.institution.as_deref())
        .with(json!({ "reason": reason }));
    state.store.append_audit(&[entry]).await?;
    let body = super::applications::status(&state, &application, &subs).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// An entry as the API shows it.
pub fn entry(e: &Stored) -> Value {
    json!({
        "seq": e.seq,
        "at": timestamp(e.at),
        "actor": e.actor,
        "role": e.role,
        "institution": e.institution,
        "action": e.action,
        "application": e.application,
        "detail": serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null),
        "request_id": e.request_id,
        "hash": e.hash,
        "prev_hash": e.prev_hash,
        "repeats": e.repeats,
        "last_at": e.last_at.map(timestamp),
    })
}

/// A time of the query: RFC 3339, or a date (its start, or with `end` its end, in Kyiv).
pub(crate) fn moment(text: &str, pointer: &str, end: bool) -> Result<i64, ApiError> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t.as_millisecond());
    }
    // A date as people type it here (19.11.2026) or as machines do (2026-11-19).
    let typed = jiff::civil::Date::strptime("%d.%m.%Y", text.trim());
    let date: jiff::civil::Date = typed.or_else(|_| text.trim().parse()).map_err(|_| {
        ApiError::invalid(
            pointer,
            "Очікується дата (05.12.2026 або 2026-12-05) або час RFC 3339",
        )
    })?;
    let day = date.in_tz("Europe/Kyiv").map_err(|_| {
        ApiError::invalid(
            pointer,
            "Очікується дата (05.12.2026 або 2026-12-05) або час RFC 3339",
        )
    })?;
    let at = if end {
        day.tomorrow().map(|d| d.timestamp().as_millisecond() - 1)
    } else {
        Ok(day.timestamp().as_millisecond())
    };
    at.map_err(|_| ApiError::invalid(pointer, "Дата поза межами"))
}
