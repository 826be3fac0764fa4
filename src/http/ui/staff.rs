//! The application as staff see it (`/staff/applications/{id}`): what the citizen's page shows,
//! plus the submitted data (masked where the role should not see it whole), each service's
//! attempts, history and the registry's reason for a failure, and the actions of the role —
//! the receipt; retry, correct-and-retry and reopen a person's step for those who correct. The
//! actions are the API's (`applications::retry`), each recorded in the audit trail.

use super::render::{Page, Problem, Switch, html};
use super::start::LangQuery;
use crate::access::{self, Caller};
use crate::http::{AppState, auth};
use crate::lang::Lang;
use crate::store::{
    ApplicationRecord, HistoryEntry, LoggedMessage, SubKind, SubRequestRecord, SubStatus,
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Fields a clerk sees the end of only: identifiers and the bank account.
const MASKED: [&str; 4] = ["rnokpp", "iban", "phone", "number"];

/// `GET /staff/applications/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let lang = query.lang();
    let caller = staff(&state, &req, lang).await?;
    let Some(caller) = caller else {
        let next = format!("/staff/applications/{}", path.as_str());
        return Ok(super::session::to_sign_in(&next, lang));
    };
    let read = (lang, crate::audit::action::APPLICATION_READ);
    let (application, subs, _) = super::session::readable(&state, &req, &path, read).await?;
    let history = (state.store.history(&application.id).await)
        .map_err(|e| Problem::from_api(e.into(), lang))?;
    let messages = (state.store.messages(&application.id).await)
        .map_err(|e| Problem::from_api(e.into(), lang))?;
    let corrects = access::may(
        &caller,
        access::Action::Correct,
        &application.id,
        application.institution.as_deref(),
    )
    .is_ok();
    let (csrf, cookie) = super::csrf::token(&req);
    let (_, bundle) = state
        .catalog
        .of(&application.bundle_id, application.bundle_version);
    let event = bundle.map_or_else(|| application.bundle_id.clone(), |b| lang.pick(&b.title));
    let id = application.id.as_str();
    let whole = access::sees_whole(&caller);
    let page = Page {
        template: "staff_application",
        title: format!("{} — {event}", lang.text("application")),
        lang,
        switch: Switch::Link(format!(
            "/staff/applications/{id}?lang={}",
            lang.other().code()
        )),
        data: json!({
            "id": id,
            "event": event,
            "submitted_at": crate::receipt::kyiv_time(application.created_at),
            "submitted_by": application.submitted_by,
            "status_label": lang.text(&format!("status_{}", application.status.as_str())),
            "receipt": format!("/applications/{id}/receipt.pdf"),
            "purged": application.purged_at.map(crate::receipt::kyiv_time),
            "data": data_rows(&application.data, &form_titles(&state, &application, &subs, lang), lang, whole),
            "masked": !whole,
            "duplicate": duplicate_note(&application),
            "services": services(&state, lang, &application, &subs, (&history, &messages), corrects),
            "csrf": csrf,
            "today": jiff::Zoned::now().date().to_string(),
        }),
    };
    let mut response = html(StatusCode::OK, page.render()?);
    super::csrf::set_cookie(&mut response, cookie);
    Ok(response)
}

/// The titles of the fields of the application's combined form (none when it cannot be built).
fn form_titles(
    state: &AppState,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
    lang: Lang,
) -> BTreeMap<String, String> {
    let chosen: Vec<String> = (subs.iter())
        .filter(|s| s.kind == SubKind::Service)
        .map(|s| s.service_id.clone())
        .collect();
    match state.applications.pinned_form(application, &chosen) {
        Ok((_, _, form)) => titles(&super::schema::fields(&form), lang),
        Err(_) => BTreeMap::new(),
    }
}

/// The signed-in staff member who may see the work list, or `None` (not signed in).
pub(super) async fn staff(
    state: &AppState,
    req: &HttpRequest,
    lang: Lang,
) -> Result<Option<Caller>, Problem> {
    let caller = super::session::caller(state, req).await;
    let caller = caller.map_err(|e| Problem::from_api(e, lang))?;
    if caller == Caller::Nobody {
        return Ok(None);
    }
    access::may_list(&caller).map_err(|r| Problem::from_api(auth::refused(r, ""), lang))?;
    Ok(Some(caller))
}

/// The submitted data as rows of leaves: each field's title as the form says it (with its
/// groups', and an item's number), its value as typed (dates as day.month.year, choices by
/// their label); masked values show their end.
fn data_rows(
    data: &Value,
    titles: &BTreeMap<String, String>,
    lang: Lang,
    whole: bool,
) -> Vec<Value> {
    let mut rows = Vec::new();
    leaves("", data, &mut |pointer, value| {
        let last = pointer.rsplit('/').next().unwrap_or_default();
        let shown = match value {
            Value::String(s) if !whole && MASKED.contains(&last) => mask(s),
            Value::String(s) => typed(s, lang),
            other => other.to_string(),
        };
        let label = label(pointer, titles);
        rows.push(json!({ "pointer": pointer, "label": label, "value": shown }));
    });
    rows
}

/// A stored text as a person reads it: an ISO date as day.month.year, a choice by its label.
pub(super) fn typed(text: &str, lang: Lang) -> String {
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return date.strftime("%d.%m.%Y").to_string();
    }
    super::i18n::choice_label(text).map_or_else(|| text.to_owned(), |t| lang.pick(&t))
}

/// A field's title with its groups' (`Мати › Прізвище`) and an item's number, from the form's
/// titles by pointer (items' indexes as `*`); the pointer when the form has no title for it.
pub(super) fn label(pointer: &str, titles: &BTreeMap<String, String>) -> String {
    let mut parts = Vec::new();
    let mut at = String::new();
    for segment in pointer.split('/').skip(1) {
        if segment.parse::<usize>().is_ok() {
            at.push_str("/*");
            if let Some(last) = parts.last_mut() {
                *last = format!("{last} {}", segment.parse::<usize>().unwrap_or(0) + 1);
            }
            continue;
        }
        at = format!("{at}/{segment}");
        match titles.get(&at) {
            Some(title) => parts.push(title.clone()),
            None => return pointer.to_owned(),
        }
    }
    parts.join(" › ")
}

/// Every field's title by pointer (items' indexes as `*`), in `lang`.
pub(super) fn titles(fields: &[super::schema::Field], lang: Lang) -> BTreeMap<String, String> {
    fn walk(
        at: &str,
        field: &super::schema::Field,
        lang: Lang,
        out: &mut BTreeMap<String, String>,
    ) {
        use super::schema::Kind;
        let pointer = format!("{at}/{}", field.name);
        out.insert(pointer.clone(), lang.pick(&field.title));
        match &field.kind {
            Kind::Group(children) => children.iter().for_each(|c| walk(&pointer, c, lang, out)),
            Kind::List { item, .. } => match &item.kind {
                Kind::Group(children) => {
                    let items = format!("{pointer}/*");
                    children.iter().for_each(|c| walk(&items, c, lang, out));
                }
                _ => {
                    out.insert(format!("{pointer}/*"), lang.pick(&field.title));
                }
            },
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    fields.iter().for_each(|f| walk("", f, lang, &mut out));
    out
}

fn leaves(at: &str, value: &Value, out: &mut impl FnMut(&str, &Value)) {
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| leaves(&format!("{at}/{k}"), v, out)),
        Value::Array(items) => {
            (items.iter().enumerate()).for_each(|(i, v)| leaves(&format!("{at}/{i}"), v, out))
        }
        leaf => out(at, leaf),
    }
}

/// All but the last four characters hidden.
fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let keep = chars.len().saturating_sub(4);
    let end: String = chars[keep..].iter().collect();
    format!("{}{end}", "•".repeat(keep.min(8)))
}

/// The clerk's note of a confirmed second submission: the reason, and how many it repeats.
fn duplicate_note(application: &ApplicationRecord) -> Option<Value> {
    let note: Value = serde_json::from_str(application.duplicate_note.as_deref()?).ok()?;
    Some(json!({
        "reason": note["reason"],
        "of": note["of"],
        "elsewhere": note["elsewhere"],
    }))
}

/// The message log of call `key`: each exchange with its registry.
fn exchanged(messages: &[LoggedMessage], key: &str) -> Vec<Value> {
    (messages.iter())
        .filter(|m| m.call == key)
        .map(|m| {
            json!({
                "attempt": m.attempt,
                "sent_at": crate::receipt::kyiv_time(m.sent_at),
                "took_ms": m.answered_at - m.sent_at,
                "protocol": m.protocol,
                "message_id": m.message_id,
                "request_hash": m.request_hash,
                "response_hash": m.response_hash,
                "http_status": m.http_status,
            })
        })
        .collect()
}

/// Each call: its title and status as the citizen's page says them, attempts, the registry's
/// reason, its history, and the actions open to the caller.
fn services(
    state: &AppState,
    lang: Lang,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
    (history, messages): (&[HistoryEntry], &[LoggedMessage]),
    corrects: bool,
) -> Vec<Value> {
    let (catalog, bundle) = state
        .catalog
        .of(&application.bundle_id, application.bundle_version);
    let id = application.id.as_str();
    subs.iter()
        .map(|sub| {
            let key = sub.key().to_string();
            let title = match sub.kind {
                SubKind::Service => (catalog.service(&sub.service_id))
                    .map_or_else(|| sub.service_id.clone(), |s| lang.pick(&s.title)),
                SubKind::Human => (bundle.and_then(|b| b.human_steps.iter().find(|h| h.id == sub.service_id)))
                    .map_or_else(|| sub.service_id.clone(), |h| lang.pick(&h.title)),
            };
            let failed = sub.status == SubStatus::Failed;
            let events: Vec<Value> = (history.iter())
                .filter(|h| h.call.as_deref() == Some(key.as_str()))
                .map(|h| json!({
                    "at": crate::receipt::kyiv_time(h.at),
                    "status": lang.text(&format!("status_{}", h.status)),
                    "detail": h.detail,
                }))
                .collect();
            let exchanged = exchanged(messages, &key);
            let base = format!("/staff/applications/{id}");
            json!({
                "key": key,
                "service": sub.service_id,
                "title": title,
                "status": sub.status.as_str(),
                "status_label": lang.text(&format!("status_{}", sub.status.as_str())),
                "attempts": sub.attempts,
                "reason": sub.error.as_deref().filter(|_| failed || sub.status == SubStatus::Ready),
                "history": events,
                "messages": exchanged,
                "retry": (corrects && failed && sub.kind == SubKind::Service)
                    .then(|| format!("{base}/services/{}/retry", sub.service_id)),
                "correct": (corrects && failed && sub.kind == SubKind::Service)
                    .then(|| format!("{base}/services/{}/correct?lang={}", sub.service_id, lang.code())),
                "reopen": (corrects && failed && sub.kind == SubKind::Human)
                    .then(|| format!("{base}/steps/{}/reopen", sub.service_id)),
            })
        })
        .collect()
}
