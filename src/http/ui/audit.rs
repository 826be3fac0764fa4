//! The audit trail's page for auditors and supervisors (`/staff/audit`): search by application,
//! actor and dates, newest first, a page at a time — the same search and rules as
//! `GET /api/v1/audit`, and the same record of each search (`audit.read`).

use super::render::{Page, Problem, Switch, html};
use crate::access::{self, Caller};
use crate::audit::action;
use crate::http::{ApiError, AppState, auth};
use crate::lang::Lang;
use crate::store::AuditFilter;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// Entries a page shows.
const PAGE: i64 = 50;

/// The search form's fields (all optional; an empty field is no filter).
#[derive(Debug, Deserialize)]
pub struct Search {
    lang: Option<String>,
    application: Option<String>,
    actor: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// Read by hand: a page answers a bad one on the page, not with the API's error.
    cursor: Option<String>,
}

/// `GET /staff/audit`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<Search>,
) -> Result<HttpResponse, Problem> {
    let lang = Lang::or_ukrainian(query.lang.as_deref());
    let caller = super::session::caller(&state, &req).await;
    let caller = caller.map_err(|e| Problem::from_api(e, lang))?;
    if caller == Caller::Nobody {
        return Ok(super::session::to_sign_in("/staff/audit", lang));
    }
    let scope = access::may_read_audit(&caller)
        .map_err(|r| Problem::from_api(auth::refused(r, ""), lang))?;
    let (filter, error) = query.filter(scope.clone(), lang);
    let entries = match error {
        Some(_) => Vec::new(),
        None => {
            (state.store.audit_page(&filter, PAGE).await).map_err(|e| problem(e.into(), lang))?
        }
    };
    let read = auth::entry(&caller, action::AUDIT_READ).with(json!({
        "application": filter.application, "actor": filter.actor,
        "from": query.from, "to": query.to, "cursor": query.cursor, "page": true,
    }));
    (state.store.append_audit(&[read]).await).map_err(|e| problem(e.into(), lang))?;
    let next = (entries.len() as i64 == PAGE)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let page = Page {
        template: "staff_audit",
        title: lang.text("audit_title"),
        lang,
        switch: Switch::Link(format!("/staff/audit?lang={}", lang.other().code())),
        data: json!({
            "scope": scope, "search": query.kept(), "entries": rows(&entries),
            "next": next.map(|cursor| query.page_at(cursor, lang)),
            "error": error.map(|e| e.message().to_owned()),
        }),
    };
    Ok(html(status, page.render()?))
}

impl Search {
    /// The search as the store takes it, within `scope`; or what is wrong with a date or the
    /// page's cursor.
    fn filter(&self, scope: Option<String>, lang: Lang) -> (AuditFilter, Option<Problem>) {
        let moment = |v: &Option<String>, pointer: &str, end: bool| {
            given(v)
                .map(|t| crate::http::audit::moment(t, pointer, end))
                .transpose()
        };
        let times = (
            moment(&self.from, "/from", false),
            moment(&self.to, "/to", true),
        );
        let (from, to, mut error) = match times {
            (Ok(from), Ok(to)) => (from, to, None),
            (Err(e), _) | (_, Err(e)) => (None, None, Some(Problem::from_api(e, lang))),
        };
        let cursor = given(&self.cursor).map(str::parse::<i64>).transpose();
        let before = cursor.unwrap_or_else(|_| {
            let wrong = ApiError::invalid("/cursor", "Номер сторінки має бути числом");
            error = Some(Problem::from_api(wrong, lang));
            None
        });
        let filter = AuditFilter {
            application: given(&self.application).map(str::to_owned),
            actor: given(&self.actor).map(str::to_owned),
            institution: scope,
            from,
            to,
            before,
        };
        (filter, error)
    }

    /// The fields as typed, for the form to show again.
    fn kept(&self) -> serde_json::Value {
        let keep = |v: &Option<String>| given(v).unwrap_or_default().to_owned();
        json!({
            "application": keep(&self.application), "actor": keep(&self.actor),
            "from": keep(&self.from), "to": keep(&self.to),
        })
    }

    /// The link to the page of older entries, below `cursor`.
    fn page_at(&self, cursor: i64, lang: Lang) -> String {
        let field =
            |v: &Option<String>| super::session::form_urlencoded(given(v).unwrap_or_default());
        format!(
            "/staff/audit?lang={}&application={}&actor={}&from={}&to={}&cursor={cursor}",
            lang.code(),
            field(&self.application),
            field(&self.actor),
            field(&self.from),
            field(&self.to),
        )
    }
}

/// A field of the form, when it says something.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The entries as the page's table shows them (times in Kyiv).
fn rows(entries: &[crate::audit::Stored]) -> Vec<serde_json::Value> {
    (entries.iter())
        .map(|e| {
            json!({
                "seq": e.seq, "at": crate::receipt::kyiv_time(e.at), "actor": e.actor,
                "role": e.role, "institution": e.institution, "action": e.action,
                "application": e.application, "detail": e.detail,
                "repeats": (e.repeats > 0).then_some(e.repeats),
            })
        })
        .collect()
}

fn problem(e: ApiError, lang: Lang) -> Problem {
    Problem::from_api(e, lang)
}
