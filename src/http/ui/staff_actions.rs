//! What staff do from an application's page: retry a failed service, reopen a person's step
//! until a new date, and correct-and-retry — a form of just the fields the service takes,
//! filled in with what was submitted, validated as a submission is, the changes shown before
//! they are confirmed. Each goes through `applications::retry`, recorded in the audit trail.

use super::parse::{self, Submitted};
use super::render::{Page, Problem, Switch, html};
use super::schema::{self, Field};
use crate::access::{Action, Caller};
use crate::applications::{ApplicationError, Correction};
use crate::form::FieldError;
use crate::http::{ApiError, AppState, auth};
use crate::lang::Lang;
use crate::store::SubStatus;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

const FORM_ID: &str = "correct-form";

/// `POST /staff/applications/{id}/services/{service}/retry`: back to the page.
pub async fn retry(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Form<Vec<(String, String)>>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    run_again(&state, path.into_inner(), &body, &req, false).await
}

/// `POST /staff/applications/{id}/steps/{step}/reopen` with `until` (a date; the step's own
/// period when empty): back to the page.
pub async fn reopen(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Form<Vec<(String, String)>>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    run_again(&state, path.into_inner(), &body, &req, true).await
}

/// Run a failed service again, or reopen a person's step (`step`), through
/// `applications::retry`, which records either.
async fn run_again(
    state: &AppState,
    (id, target): (String, String),
    pairs: &[(String, String)],
    req: &HttpRequest,
    step: bool,
) -> Result<HttpResponse, Problem> {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
    let lang = Lang::or_ukrainian(get("_lang"));
    if !super::csrf::accepts(req, get("_csrf").unwrap_or_default()) {
        return Err(Problem::new(StatusCode::FORBIDDEN, lang, "csrf"));
    }
    let reopen_until = match get("until").filter(|until| step && !until.is_empty()) {
        Some(until) => Some(
            crate::http::operators::reopen_deadline(until)
                .map_err(|e| Problem::from_api(e, lang))?,
        ),
        None => None,
    };
    let caller = corrector(state, req, &id, lang).await?;
    let correction = Correction {
        application: &id,
        service: &target,
        item: None,
        patch: None,
        author: &who(&caller),
        audit: auth::entry(&caller, crate::audit::action::SERVICE_RETRY),
        reopen_until,
    };
    (state.applications.retry(correction).await).map_err(|e| Problem::from_api(e.into(), lang))?;
    Ok(back_to(&id, lang))
}

/// The caller, when they may correct application `id`.
async fn corrector(
    state: &AppState,
    req: &HttpRequest,
    id: &str,
    lang: Lang,
) -> Result<Caller, Problem> {
    let caller =
        (super::session::caller(state, req).await).map_err(|e| Problem::from_api(e, lang))?;
    auth::application_for(state, &caller, Action::Correct, id)
        .await
        .map_err(|e| Problem::from_api(e, lang))?;
    Ok(caller)
}

fn who(caller: &Caller) -> String {
    match caller {
        Caller::Staff(staff) => staff.who.clone(),
        _ => String::new(),
    }
}

fn back_to(id: &str, lang: Lang) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            "Location",
            format!("/staff/applications/{id}?lang={}", lang.code()),
        ))
        .finish()
}

/// `GET /staff/applications/{id}/services/{service}/correct`: the service's fields, filled in.
pub async fn correct_form(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<super::start::LangQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let lang = query.lang();
    let (id, service) = path.into_inner();
    corrector(&state, &req, &id, lang).await?;
    let target = Target::load(&state, &id, &service, lang).await?;
    let mut form = Submitted::from_pairs(super::prefill::pairs_of(
        &target.fields,
        &target.application.data,
    ));
    form.lang = lang;
    draw(&state, &req, &target, form, &[], None)
}

/// `POST …/correct`: checked and shown as changes, or (`_confirm`) corrected and retried.
pub async fn correct_post(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Form<Vec<(String, String)>>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let (id, service) = path.into_inner();
    let pairs = body.into_inner();
    // Confirmed only as previewed: the digest of the changes shown must be that of the
    // changes posted now (a field edited after the preview is shown again, not applied).
    let previewed = pairs
        .iter()
        .find(|(k, _)| k == "_confirm")
        .map(|(_, v)| v.clone());
    let form = Submitted::from_pairs(pairs);
    let lang = form.lang;
    if !super::csrf::accepts(&req, &form.csrf) {
        return Err(Problem::new(StatusCode::FORBIDDEN, lang, "csrf"));
    }
    let caller = corrector(&state, &req, &id, lang).await?;
    let target = Target::load(&state, &id, &service, lang).await?;
    let (patch, unread) = parse::data(&target.fields, &form);
    if !unread.is_empty() {
        return draw(&state, &req, &target, form, &unread, None);
    }
    let checked = state
        .applications
        .check_correction(&target.application, &target.chosen, &patch);
    let changes = match checked {
        Ok(changes) => changes,
        Err(e) => match ApiError::from(e) {
            ApiError::Invalid(errors) => return draw(&state, &req, &target, form, &errors, None),
            other => return Err(Problem::from_api(other, lang)),
        },
    };
    if previewed.as_deref() != Some(changes_digest(&changes).as_str()) {
        return draw(&state, &req, &target, form, &[], Some(changes));
    }
    let correction = Correction {
        application: &id,
        service: &service,
        item: None,
        patch: Some(&patch),
        author: &who(&caller),
        audit: auth::entry(&caller, crate::audit::action::SERVICE_RETRY),
        reopen_until: None,
    };
    (state.applications.retry(correction).await).map_err(|e| Problem::from_api(e.into(), lang))?;
    Ok(back_to(&id, lang))
}

/// What a correction is of: the application, its chosen services, and the fields of the
/// combined form that `service` takes from the person (not those bound to another service's
/// outputs, nor a repeated service's item).
struct Target {
    id: String,
    service: String,
    application: crate::store::ApplicationRecord,
    chosen: Vec<String>,
    fields: Vec<Field>,
}

impl Target {
    async fn load(state: &AppState, id: &str, service: &str, lang: Lang) -> Result<Self, Problem> {
        let loaded = state.applications.load(id).await;
        let (application, subs) = loaded.map_err(|e| Problem::from_api(e.into(), lang))?;
        let missing = || Problem::new(StatusCode::NOT_FOUND, lang, "not_found");
        let (catalog, bundle) = (state.catalog)
            .pinned(&application.bundle_id, application.bundle_version)
            .ok_or_else(missing)?;
        let step = bundle.step(service).ok_or_else(missing)?;
        let definition = catalog.service(service).ok_or_else(missing)?;
        let status = subs
            .iter()
            .find(|s| s.service_id == service)
            .map(|s| s.status);
        let refused = match status {
            None => Some(ApplicationError::NoSuchService(service.to_owned())),
            Some(SubStatus::Failed) => None,
            Some(status) => Some(ApplicationError::NotFailed {
                service: service.to_owned(),
                status,
            }),
        };
        if let Some(error) = refused {
            return Err(Problem::from_api(error.into(), lang));
        }
        let chosen: Vec<String> = (subs.iter())
            .filter(|s| s.kind == crate::store::SubKind::Service)
            .map(|s| s.service_id.clone())
            .collect();
        let (_, _, combined) = (state.applications.pinned_form(&application, &chosen))
            .map_err(|e| Problem::from_api(e.into(), lang))?;
        // Not what a service that succeeded took: the registries hold it already, and the
        // application's data must stay what they were sent.
        let sent: Vec<&crate::bundle::Service> = (subs.iter())
            .filter(|s| {
                s.status == SubStatus::Succeeded && s.kind == crate::store::SubKind::Service
            })
            .filter_map(|s| catalog.service(&s.service_id))
            .collect();
        let takes = |name: &str| {
            definition.input.properties.contains_key(name)
                && !step.bindings.iter().any(|b| b.input == name)
                && step.repeat.as_ref().is_none_or(|r| r.as_input != name)
                && !sent.iter().any(|s| s.input.properties.contains_key(name))
        };
        let fields = (schema::fields(&combined).into_iter())
            .filter(|f| takes(&f.name))
            .collect();
        Ok(Self {
            id: id.to_owned(),
            service: service.to_owned(),
            application,
            chosen,
            fields,
        })
    }
}

/// The correction page: the fields with their values and errors, and the changes once checked.
fn draw(
    state: &AppState,
    req: &HttpRequest,
    target: &Target,
    form: Submitted,
    errors: &[FieldError],
    changes: Option<Vec<(String, Value, Value)>>,
) -> Result<HttpResponse, Problem> {
    let lang = form.lang;
    let (id, service) = (target.id.as_str(), target.service.as_str());
    let view = super::fields::view(&target.fields, &form, errors, None);
    let (csrf, cookie) = super::csrf::token(req);
    let title = (state.catalog.service_any(service))
        .map_or_else(|| service.to_owned(), |s| lang.pick(&s.title));
    let digest = changes.as_deref().map(changes_digest);
    let titles = super::staff::titles(&target.fields, lang);
    let changes: Option<Vec<Value>> = changes.map(|c| {
        (c.into_iter())
            .map(|(pointer, before, after)| {
                let label = super::staff::label(&pointer, &titles);
                let (before, after) = (shown(&before, lang), shown(&after, lang));
                json!({ "pointer": pointer, "label": label, "before": before, "after": after })
            })
            .collect()
    });
    let status = match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let page = Page {
        template: "staff_correct",
        title: format!("{} — {title}", lang.text("correct_title")),
        lang,
        switch: Switch::Form(FORM_ID),
        data: json!({
            "form_id": FORM_ID,
            "id": id,
            "service": title,
            "action": format!("/staff/applications/{id}/services/{service}/correct"),
            "csrf": csrf,
            "fields": view.fields,
            "errors": view.summary,
            "error_count": view.summary.len(),
            "checked": changes.is_some(),
            "digest": digest,
            "nothing": changes.as_ref().is_some_and(Vec::is_empty),
            "changes": changes,
        }),
    };
    let mut response = html(status, page.render()?);
    super::csrf::set_cookie(&mut response, cookie);
    Ok(response)
}

/// What identifies the changes a registrar saw before confirming them.
fn changes_digest(changes: &[(String, Value, Value)]) -> String {
    crate::access::secret::hash(&json!(changes).to_string())
}

fn shown(value: &Value, lang: Lang) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::String(s) => super::staff::typed(s, lang),
        other => other.to_string(),
    }
}
