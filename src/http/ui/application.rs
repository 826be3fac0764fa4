//! The application's page: where each service stands, the references as registries give them,
//! what the applicant must still do (a co-signature, the homeowner's consent), and the receipt.
//! Its live part is also served alone (`/applications/{id}/live`) for the page's script to
//! follow the statuses. It only reads; every change comes from the fan-out or a confirmation.

use super::render::{Page, Problem, Switch, fragment, html};
use super::start::LangQuery;
use crate::applications::Waiting;
use crate::bundle::Bundle;
use crate::http::AppState;
use crate::lang::Lang;
use crate::lifecycle::ApplicationId;
use crate::store::{ApplicationRecord, ApplicationStatus, SubKind, SubRequestRecord, SubStatus};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use fluent_bundle::FluentValue;
use serde_json::{Value, json};

/// `GET /applications/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let lang = query.lang();
    let (application, subs, access) = super::session::readable(
        &state,
        &req,
        &path,
        (lang, crate::audit::action::APPLICATION_READ),
    )
    .await?;
    let (_, bundle) = state
        .catalog
        .of(&application.bundle_id, application.bundle_version);
    let event = bundle.map_or_else(|| application.bundle_id.clone(), |b| lang.pick(&b.title));
    let id = &application.id;
    let waiting = waiting(&state, &application.id, &subs).await;
    let page = Page {
        template: "application",
        title: format!("{} — {event}", lang.text("application")),
        lang,
        switch: Switch::Link(format!("/applications/{id}?lang={}", lang.other().code())),
        data: json!({
            "id": id,
            "event": event,
            "submitted_at": crate::receipt::kyiv_time(application.created_at),
            "receipt": format!("/applications/{id}/receipt.pdf"),
            "live_url": format!("/applications/{id}/live?lang={}", lang.code()),
            "live": live(&state, lang, &application, &subs, &waiting),
            "private_link": access.map(|a| super::session::private_link(&state, &a)),
            "purged": application.purged_at.map(crate::receipt::kyiv_time),
            "seen": super::seen::rows(&state, lang, &application).await,
        }),
    };
    Ok(html(StatusCode::OK, page.render()?))
}

/// `GET /applications/{id}/receipt.pdf[?lang=…]`: the receipt, for whoever may see the page.
pub async fn receipt(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<crate::http::applications::ReceiptQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let lang = Lang::Uk;
    let languages = query.languages().map_err(|e| Problem::from_api(e, lang))?;
    let (application, subs, _) = super::session::readable(
        &state,
        &req,
        &path,
        (lang, crate::audit::action::RECEIPT_READ),
    )
    .await?;
    crate::http::applications::receipt_pdf(&state, &application, &subs, languages)
        .await
        .map_err(|e| Problem::from_api(e, lang))
}

/// `GET /applications/{id}/live`: the statuses part of the page alone.
pub async fn live_part(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let lang = query.lang();
    let (application, subs, _) = super::session::readable(
        &state,
        &req,
        &path,
        (lang, crate::audit::action::APPLICATION_READ),
    )
    .await?;
    let waiting = waiting(&state, &application.id, &subs).await;
    let mut data = live(&state, lang, &application, &subs, &waiting);
    if let Value::Object(map) = &mut data {
        map.insert("t".into(), super::i18n::words(lang));
    }
    Ok(html(StatusCode::OK, fragment("live", &data)?))
}

/// Where the application stands, for the `live` template. Titles and references are the
/// receipt's own (`receipt::view`), so the page and the PDF say the same.
fn live(
    state: &AppState,
    lang: Lang,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
    waiting: &[Option<Waiting>],
) -> Value {
    let (catalog, bundle) = state
        .catalog
        .of(&application.bundle_id, application.bundle_version);
    let receipt = state
        .receipt_view(application, subs, lang.into())
        .inspect_err(|e| tracing::warn!(error = %e, "Receipt view failed; the page shows less"))
        .ok();
    let services: Vec<Value> = subs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let line = receipt.as_ref().and_then(|r| r.services.get(i));
            match s.kind {
                SubKind::Service => {
                    let waiting = waiting.get(i).and_then(Option::as_ref);
                    service_line(catalog, lang, s, line, waiting)
                }
                SubKind::Human => human_line(lang, bundle, s, line),
            }
        })
        .collect();
    let todo: Vec<Value> = subs
        .iter()
        .filter(|s| s.kind == SubKind::Human && s.status == SubStatus::Awaiting)
        .map(|s| to_do(state, lang, bundle, s))
        .collect();
    let status = application.status;
    json!({
        "status": status.as_str(),
        "status_label": lang.text(&format!("status_{}", status.as_str())),
        "final": status != ApplicationStatus::InProgress,
        "services": services,
        "todo": todo,
    })
}

/// A text of the receipt in the page's language.
fn pick(lang: Lang, text: &crate::receipt::Bi) -> String {
    crate::receipt::Languages::from(lang).pick(text)
}

fn service_line(
    catalog: &crate::bundle::Catalog,
    lang: Lang,
    sub: &SubRequestRecord,
    line: Option<&crate::receipt::ServiceLine>,
    waiting: Option<&Waiting>,
) -> Value {
    let service = catalog.service(&sub.service_id);
    let authority = service.map(|s| lang.pick(&s.authority));
    let title = line
        .map(|l| pick(lang, &l.title))
        .unwrap_or_else(|| service.map_or_else(|| sub.service_id.clone(), |s| lang.pick(&s.title)));
    let settled = matches!(
        sub.status,
        SubStatus::Succeeded | SubStatus::Failed | SubStatus::Blocked
    );
    let reference = match (settled, line) {
        (true, Some(line)) => pick(lang, &line.reference),
        (true, None) => sub.error.clone().unwrap_or_default(),
        (false, _) => String::new(),
    };
    let (status, label, reference) = match waiting {
        Some(waiting) => {
            let registry = authority
                .clone()
                .unwrap_or_else(|| waiting.registry.clone());
            let (label, text) = waiting_words(lang, waiting, registry);
            ("waiting-registry", label, text)
        }
        None => {
            let label = lang.text(&format!("status_{}", sub.status.as_str()));
            (sub.status.as_str(), label, reference)
        }
    };
    json!({
        "title": title,
        "authority": authority,
        "status": status,
        "status_label": label,
        "reference": reference,
    })
}

/// The badge and the line of a call waiting for its registry: which, since when, and when it
/// is tried next.
fn waiting_words(lang: Lang, waiting: &Waiting, registry: String) -> (String, String) {
    let args = [
        ("registry", FluentValue::from(registry)),
        (
            "since",
            FluentValue::from(crate::receipt::kyiv_time(waiting.since)),
        ),
        (
            "next",
            FluentValue::from(crate::receipt::kyiv_time(waiting.next_attempt_at)),
        ),
    ];
    let (label, line) = match waiting.unavailable {
        true => ("status_registry_unavailable", "waiting_unavailable"),
        false => ("status_registry_retrying", "waiting_retrying"),
    };
    (lang.text(label), lang.text_with(line, &args))
}

/// What the page's calls are waiting for; less (nothing) if that cannot be read now.
async fn waiting(
    state: &AppState,
    id: &ApplicationId,
    subs: &[SubRequestRecord],
) -> Vec<Option<Waiting>> {
    state
        .applications
        .waiting(id, subs)
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "Failed to read what calls wait for"))
        .unwrap_or_default()
}

fn human_line(
    lang: Lang,
    bundle: Option<&Bundle>,
    sub: &SubRequestRecord,
    line: Option<&crate::receipt::ServiceLine>,
) -> Value {
    let step = bundle.and_then(|b| b.human_steps.iter().find(|h| h.id == sub.service_id));
    let title = line
        .map(|l| pick(lang, &l.title))
        .unwrap_or_else(|| step.map_or_else(|| sub.service_id.clone(), |h| lang.pick(&h.title)));
    let (label, reference) = match sub.status {
        SubStatus::Awaiting => (lang.text("status_awaiting_person"), String::new()),
        SubStatus::Succeeded => (lang.text("confirmed"), String::new()),
        SubStatus::Failed => (
            lang.text("status_failed"),
            sub.error.clone().unwrap_or_default(),
        ),
        other => (
            lang.text(&format!("status_{}", other.as_str())),
            String::new(),
        ),
    };
    json!({
        "title": title,
        "status": sub.status.as_str(),
        "status_label": label,
        "reference": reference,
    })
}

/// An open human step: what to do, by when, and the link for the person who must act.
fn to_do(state: &AppState, lang: Lang, bundle: Option<&Bundle>, sub: &SubRequestRecord) -> Value {
    let step = bundle.and_then(|b| b.human_steps.iter().find(|h| h.id == sub.service_id));
    json!({
        "title": step.map_or_else(|| sub.service_id.clone(), |h| lang.pick(&h.title)),
        "instructions": step.map(|h| lang.pick(&h.instructions)),
        "deadline": sub.deadline.map(crate::receipt::kyiv_time),
        "confirm_url": sub.callback_token.as_ref()
            .map(|t| format!("{}/confirmations/{t}", state.public_url)),
    })
}
