//! The audit trail over the API: `GET /api/v1/audit` searches it (auditors: all of it, or their
//! institution's; supervisors: their institution's), `GET /api/v1/audit/verify` walks the chain
//! (auditors), and `POST /api/v1/applications/{id}/open` is an auditor's look at one
//! application's personal data, with a reason, recorded before it is answered. Reading the trail
//! is itself recorded (`audit.read`).

use super::bodies::{ApplicationView, AuditEntry, AuditPage, BrokenAt, ChainCheck, ErrorBody};
use super::status::timestamp;
use super::{ApiError, AppState, auth};
use crate::access::{self, Action, Caller};
use crate::audit::{Stored, action};
use crate::store::AuditFilter;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::{Value, json};

/// A page of the trail: at most this many entries (50 unless asked).
const MOST: i64 = 500;

/// `GET /api/v1/audit` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Search {
    /// One application's entries.
    application: Option<String>,
    /// One actor's entries (a login, `token:NAME` or `citizen`).
    actor: Option<String>,
    /// RFC 3339 time or a date (`2026-12-05`, from its start in Kyiv).
    from: Option<String>,
    /// RFC 3339 time or a date (to its end in Kyiv).
    to: Option<String>,
    /// The `next` of the previous page.
    cursor: Option<i64>,
    /// 1 to 500 (50 when absent).
    limit: Option<i64>,
}

/// Search the audit trail, newest first, a page at a time: auditors all of it (or their
/// institution's), supervisors their institution's. The read is itself recorded.
#[utoipa::path(
    tag = "audit",
    operation_id = "searchAudit",
    security(("bearer" = [])),
    params(Search),
    responses(
        (status = 200, description = "A page of entries; `next` is the cursor of the following one", body = AuditPage),
        (status = 400, description = "An unknown parameter, or a cursor that is not a number", body = ErrorBody),
        (status = 403, description = "The caller's role may not read the trail", body = ErrorBody),
        (status = 422, description = "A bad time or limit", body = ErrorBody),
    ),
)]
#[get("/audit")]
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
    let entries = entries.iter().map(entry).collect();
    Ok(HttpResponse::Ok().json(AuditPage { entries, next }))
}

/// Walk the audit chain (auditors): intact, or the first entry changed, removed or out of place.
#[utoipa::path(
    tag = "audit",
    operation_id = "verifyAudit",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The chain walked", body = ChainCheck),
        (status = 403, description = "Not an auditor", body = ErrorBody),
    ),
)]
#[get("/audit/verify")]
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
    let check = match state.store.verify_audit().await? {
        Ok(checked) => ChainCheck::Intact {
            ok: true,
            entries: checked.entries,
            head: checked.head,
        },
        Err(broken) => ChainCheck::Broken {
            ok: false,
            broken: BrokenAt {
                entry: broken.entry(),
                problem: broken.to_string(),
            },
        },
    };
    Ok(HttpResponse::Ok().json(check))
}

/// Why an auditor opens an application.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Запит прокуратури № 12/345 від 01.12.2026"}))]
pub struct Opening {
    /// 5 to 1000 characters.
    reason: String,
}

/// An auditor's look at one application's personal data, with a reason: the application as
/// `GET` shows it, the opening and its reason recorded first.
#[utoipa::path(
    tag = "audit",
    operation_id = "openApplication",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The application")),
    request_body = Opening,
    responses(
        (status = 200, description = "The application", body = ApplicationView),
        (status = 403, description = "Not an auditor", body = ErrorBody),
        (status = 404, description = "No such application (or of another institution)", body = ErrorBody),
        (status = 422, description = "No reason, or one of the wrong length", body = ErrorBody),
    ),
)]
#[post("/applications/{id}/open")]
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
    let body = super::status::status(&state, &application, &subs).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// An entry as the API shows it.
pub fn entry(e: &Stored) -> AuditEntry {
    AuditEntry {
        seq: e.seq,
        at: timestamp(e.at),
        actor: e.actor.clone(),
        role: e.role.clone(),
        institution: e.institution.clone(),
        action: e.action.clone(),
        application: e.application.clone(),
        detail: serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null),
        request_id: e.request_id.clone(),
        hash: e.hash.clone(),
        prev_hash: e.prev_hash.clone(),
        repeats: e.repeats,
        last_at: e.last_at.map(timestamp),
    }
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
