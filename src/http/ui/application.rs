//! The application's page: where each service stands, the references as registries give them,
//! what the applicant must still do (a co-signature, the homeowner's consent), and the receipt.
//! Its live part is also served alone (`/applications/{id}/live`) for the page's script to
//! follow the statuses. It only reads; every change comes from the fan-out or a confirmation.

use super::i18n::Lang;
use super::render::{Page, Problem, Switch, fragment, html, other};
use super::start::LangQuery;
use crate::bundle::{Bundle, ServiceId};
use crate::form::KYIV;
use crate::http::AppState;
use crate::store::{ApplicationRecord, ApplicationStatus, SubKind, SubRequestRecord, SubStatus};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use handlebars::Handlebars;
use serde_json::{Value, json};
use std::sync::LazyLock;

/// `GET /applications/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, Problem> {
    let lang = query.lang();
    let (application, subs) = crate::http::applications::load(&state, &path)
        .await
        .map_err(|e| Problem::from_api(e, lang))?;
    let bundle = state.catalog.bundle(&application.bundle_id);
    let event = bundle.map_or_else(|| application.bundle_id.clone(), |b| lang.pick(&b.title));
    let id = &application.id;
    let page = Page {
        template: "application",
        title: format!("{} — {event}", lang.t("application")),
        lang,
        switch: Switch::Link(format!("/applications/{id}?lang={}", other(lang).code())),
        data: json!({
            "id": id,
            "event": event,
            "submitted_at": kyiv_time(application.created_at),
            "receipt": format!("/api/v1/applications/{id}/receipt.pdf"),
            "live_url": format!("/applications/{id}/live?lang={}", lang.code()),
            "live": live(&state, lang, &application, &subs),
        }),
    };
    Ok(html(StatusCode::OK, page.render()?))
}

/// `GET /applications/{id}/live`: the statuses part of the page alone.
pub async fn live_part(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, Problem> {
    let lang = query.lang();
    let (application, subs) = crate::http::applications::load(&state, &path)
        .await
        .map_err(|e| Problem::from_api(e, lang))?;
    let mut data = live(&state, lang, &application, &subs);
    if let Value::Object(map) = &mut data {
        map.insert("t".into(), lang.words());
    }
    Ok(html(StatusCode::OK, fragment("live", &data)?))
}

/// Where the application stands, for the `live` template.
fn live(
    state: &AppState,
    lang: Lang,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
) -> Value {
    let bundle = state.catalog.bundle(&application.bundle_id);
    let services: Vec<Value> = subs
        .iter()
        .map(|s| match s.kind {
            SubKind::Service => service_line(state, lang, bundle, application, s),
            SubKind::Human => human_line(lang, bundle, s),
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
        "status_label": lang.t(&format!("status_{}", status.as_str())),
        "final": status != ApplicationStatus::InProgress,
        "services": services,
        "todo": todo,
    })
}

fn service_line(
    state: &AppState,
    lang: Lang,
    bundle: Option<&Bundle>,
    application: &ApplicationRecord,
    sub: &SubRequestRecord,
) -> Value {
    let id = ServiceId(sub.service_id.clone());
    let service = state.catalog.service(&id);
    let reference = match (sub.status, service, &sub.outputs) {
        (SubStatus::Succeeded, Some(service), Some(outputs)) => {
            let template = match lang {
                Lang::En => &service.reference.en,
                Lang::Uk => &service.reference.uk,
            };
            REFERENCES
                .render_template(template, outputs)
                .unwrap_or_default()
        }
        (SubStatus::Failed, _, _) => sub.error.clone().unwrap_or_default(),
        (SubStatus::Blocked, _, _) => lang.t("blocked_reason").to_owned(),
        _ => String::new(),
    };
    json!({
        "title": service.map_or_else(|| sub.service_id.clone(), |s| lang.pick(&s.title)),
        "who": person(bundle, application, sub),
        "authority": service.map(|s| lang.pick(&s.authority)),
        "status": sub.status.as_str(),
        "status_label": lang.t(&format!("status_{}", sub.status.as_str())),
        "reference": reference,
    })
}

fn human_line(lang: Lang, bundle: Option<&Bundle>, sub: &SubRequestRecord) -> Value {
    let step = bundle.and_then(|b| b.human_steps.iter().find(|h| h.id == sub.service_id));
    let (label, reference) = match sub.status {
        SubStatus::Awaiting => (lang.t("status_awaiting_person"), String::new()),
        SubStatus::Succeeded => (lang.t("confirmed"), String::new()),
        SubStatus::Failed => (
            lang.t("status_failed"),
            sub.error.clone().unwrap_or_default(),
        ),
        other => (lang.t(&format!("status_{}", other.as_str())), String::new()),
    };
    json!({
        "title": step.map_or_else(|| sub.service_id.clone(), |h| lang.pick(&h.title)),
        "status": sub.status.as_str(),
        "status_label": label,
        "reference": reference,
        "human": true,
    })
}

/// An open human step: what to do, by when, and the link for the person who must act.
fn to_do(state: &AppState, lang: Lang, bundle: Option<&Bundle>, sub: &SubRequestRecord) -> Value {
    let step = bundle.and_then(|b| b.human_steps.iter().find(|h| h.id == sub.service_id));
    json!({
        "title": step.map_or_else(|| sub.service_id.clone(), |h| lang.pick(&h.title)),
        "instructions": step.map(|h| lang.pick(&h.instructions)),
        "deadline": sub.deadline.map(kyiv_time),
        "confirm_url": sub.callback_token.as_ref()
            .map(|t| format!("{}/api/v1/confirmations/{t}", state.public_url)),
    })
}

/// The name of the family member a repeated service is for.
fn person(
    bundle: Option<&Bundle>,
    application: &ApplicationRecord,
    sub: &SubRequestRecord,
) -> Option<String> {
    let repeat = bundle?
        .step(&ServiceId(sub.service_id.clone()))?
        .repeat
        .as_ref()?;
    let item = application
        .data
        .get(&repeat.items)?
        .get(usize::try_from(sub.item).ok()?)?;
    let given = item
        .get("given_name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let surname = item
        .get("surname")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(format!("{given} {surname}").trim().to_owned()).filter(|n| !n.is_empty())
}

/// `dd.mm.yyyy HH:MM`, Kyiv time.
fn kyiv_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(KYIV.clone())
                .strftime("%d.%m.%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Services' reference templates over their outputs: not escaped here (the page's template
/// escapes), with the `date` helper the definitions use (`2026-11-21` → `21.11.2026`).
static REFERENCES: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut hb = Handlebars::new();
    hb.register_escape_fn(handlebars::no_escape);
    hb.register_helper("date", Box::new(date_helper));
    hb
});

fn date_helper(
    h: &handlebars::Helper<'_>,
    _: &Handlebars<'_>,
    _: &handlebars::Context,
    _: &mut handlebars::RenderContext<'_, '_>,
    out: &mut dyn handlebars::Output,
) -> handlebars::HelperResult {
    let value = h
        .param(0)
        .and_then(|p| p.value().as_str())
        .unwrap_or_default();
    let shown = value
        .parse::<jiff::civil::Date>()
        .map_or_else(|_| value.to_owned(), |d| d.strftime("%d.%m.%Y").to_string());
    out.write(&shown)?;
    Ok(())
}
