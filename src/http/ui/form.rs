//! The application form of a life event: drawn from the combined form of the chosen services,
//! posted back, and then either re-drawn (another language, a row added or removed, or errors,
//! every typed value kept) or accepted through the one function that accepts applications
//! (`http::applications::accept`), after which the person is sent to the application's page.
//! Form data travels in POST bodies only; addresses carry service ids and the language.

use super::csrf;
use super::fields::{self, FormView};
use super::parse::{self, Action, Submitted};
use super::render::{Page, Problem, Switch, html};
use super::schema::{self, Field};
use crate::access::Submitter;
use crate::form::{CombinedForm, FieldError};
use crate::http::{ApiError, AppState};
use crate::lang::Lang;
use crate::store::SubmissionKey;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use std::sync::Arc;

const FORM_ID: &str = "application-form";

/// `GET /events/{bundle}/form?choice=1&service=…&lang=…`: the empty form. Without `choice`
/// every optional service is included, as in the API.
pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let pairs = query.into_inner();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let lang = Lang::or_ukrainian(get("lang"));
    let services = get("choice").map(|_| {
        pairs
            .iter()
            .filter(|(k, _)| k == "service")
            .map(|(_, v)| v.clone())
            .collect()
    });
    if let Err(refused) = submitter(&state, &req, &path, lang).await? {
        return Ok(refused);
    }
    let form = Submitted::fresh(lang, services, new_key());
    draw(&state, &path, &req, form, &[], None, StatusCode::OK)
}

/// `POST /events/{bundle}/form`: a language switch, a row added or removed, or the submission.
pub async fn post(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Form<Vec<(String, String)>>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let mut form = Submitted::from_pairs(body.into_inner());
    if !csrf::accepts(&req, &form.csrf) {
        tracing::warn!("Form post refused: CSRF token missing or wrong");
        return Err(Problem::new(StatusCode::FORBIDDEN, form.lang, "csrf"));
    }
    match form.action.clone() {
        Action::Refresh => draw(&state, &path, &req, form, &[], None, StatusCode::OK),
        Action::Language(lang) => {
            form.lang = lang;
            draw(&state, &path, &req, form, &[], None, StatusCode::OK)
        }
        Action::Add(list) => {
            let row = form.add_row(&list);
            draw(&state, &path, &req, form, &[], Some(row), StatusCode::OK)
        }
        Action::Remove(list, index) => {
            form.remove_row(&list, index);
            let focus = format!("add:{list}");
            draw(&state, &path, &req, form, &[], Some(focus), StatusCode::OK)
        }
        Action::Submit => submit(&state, &path, &req, form).await,
    }
}

/// Who submits `bundle` from this browser: staff signed in at an institution that offers it,
/// or a citizen for a public bundle; otherwise the answer to give instead (sign in first, or
/// the refusal).
async fn submitter(
    state: &AppState,
    req: &HttpRequest,
    bundle: &str,
    lang: Lang,
) -> Result<Result<(Submitter, crate::audit::Actor), HttpResponse>, Problem> {
    let caller = super::session::caller(state, req)
        .await
        .map_err(|e| Problem::from_api(e, lang))?;
    match crate::http::applications::submitter(state, &caller, bundle) {
        Ok(submitter) => Ok(Ok((submitter, crate::http::auth::actor(&caller)))),
        Err(ApiError::Unauthorized(_)) => {
            let next = format!("/events/{bundle}/form?lang={}", lang.code());
            Ok(Err(super::session::to_sign_in(&next, lang)))
        }
        Err(other) => Err(Problem::from_api(other, lang)),
    }
}

/// Read the form, and accept it or draw it again with every error.
async fn submit(
    state: &AppState,
    bundle: &str,
    req: &HttpRequest,
    form: Submitted,
) -> Result<HttpResponse, Problem> {
    let lang = form.lang;
    let (submitter, actor) = match submitter(state, req, bundle, lang).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let (_, combined) = bundle_form(state, bundle, &form)?;
    let fields = asked(&combined, &form);
    let (data, unread) = parse::data(&fields, &form);
    if !unread.is_empty() {
        let errors = with_validation(&combined, data, unread);
        return draw(
            state,
            bundle,
            req,
            form,
            &errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    store(state, bundle, req, form, data, (&submitter, actor)).await
}

/// Store the form's valid `data` as a new application (once, whatever the clicks), and send
/// the browser to its page; a citizen's browser gets the application's access cookie.
async fn store(
    state: &AppState,
    bundle: &str,
    req: &HttpRequest,
    form: Submitted,
    data: Value,
    (submitter, actor): (&Submitter, crate::audit::Actor),
) -> Result<HttpResponse, Problem> {
    let lang = form.lang;
    let chosen = form.services.clone();
    let mut key = form.key.clone();
    if !key.starts_with("ui-") || key.len() > 64 {
        key = new_key();
    }
    // A second try only when the page's key was already used for other data (the page came
    // back from the browser's history and was changed): that is a new application.
    for _ in 0..2 {
        let body = json!({ "data": data, "services": chosen });
        let hash = crate::http::idempotency::request_hash(bundle, &body);
        let scoped = crate::http::idempotency::scoped(submitter, &key);
        let (origin, access) = crate::http::applications::origin(submitter);
        let source = crate::http::applications::Source {
            origin,
            actor: actor.clone(),
            duplicate_reason: form.duplicate_reason.clone(),
            capture: None,
        };
        let accepted = crate::http::applications::accept(
            state,
            bundle,
            data.clone(),
            chosen.as_deref(),
            Some((hash.as_str(), scoped.as_str())),
            source,
        )
        .await;
        match accepted {
            Ok(Some(id)) => {
                let mut response = see_application(&id, lang);
                if let Some(access) = access {
                    let cookie = super::session::access_cookie(req, &id, &access);
                    csrf::set_cookie(&mut response, Some(cookie));
                }
                return Ok(response);
            }
            Ok(None) => match stored_earlier(state, &scoped, &hash, lang).await? {
                Some(id) => return Ok(see_application(&id, lang)),
                None => key = new_key(),
            },
            Err(refused) => return redraw(state, bundle, req, form, refused),
        }
    }
    Err(Problem::new(StatusCode::CONFLICT, lang, "busy"))
}

/// The form again with what the submission was refused for: its errors next to their fields,
/// or the earlier applications it repeats with the reason's field; any other refusal is a
/// page of its own.
fn redraw(
    state: &AppState,
    bundle: &str,
    req: &HttpRequest,
    mut form: Submitted,
    refused: ApiError,
) -> Result<HttpResponse, Problem> {
    match refused {
        ApiError::Invalid(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            draw(state, bundle, req, form, &errors, None, status)
        }
        ApiError::Duplicate(duplicates) => {
            form.duplicates = duplicates;
            draw(state, bundle, req, form, &[], None, StatusCode::CONFLICT)
        }
        other => Err(Problem::from_api(other, form.lang)),
    }
}

fn new_key() -> String {
    format!("ui-{}", crate::store::random_token())
}

/// The errors of what could not be read, and the form's verdict on the rest (a field that could
/// not be read is reported once, as unreadable).
fn with_validation(form: &CombinedForm, data: Value, unread: Vec<FieldError>) -> Vec<FieldError> {
    let mut errors = unread;
    if let Err(more) = form.validate(data) {
        for e in more {
            if !errors.iter().any(|u| u.pointer == e.pointer) {
                errors.push(e);
            }
        }
    }
    errors
}

/// The application already stored under `key` for this very request (a double click: wait for
/// the first to be stored); `None` when the key was used for other data.
async fn stored_earlier(
    state: &AppState,
    key: &str,
    hash: &str,
    lang: Lang,
) -> Result<Option<String>, Problem> {
    for _ in 0..25 {
        let known = state
            .store
            .submission_key(key)
            .await
            .map_err(|e| Problem::from_api(e.into(), lang))?;
        match known {
            SubmissionKey::Answered { request_hash, .. }
            | SubmissionKey::Pending { request_hash }
                if request_hash != hash =>
            {
                return Ok(None);
            }
            SubmissionKey::Answered { response, .. } => {
                let answer: Value = serde_json::from_str(&response).unwrap_or_default();
                return Ok(answer["id"].as_str().map(str::to_owned));
            }
            SubmissionKey::Pending { .. } | SubmissionKey::Unused => {}
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Err(Problem::new(StatusCode::CONFLICT, lang, "busy"))
}

fn see_application(id: &str, lang: Lang) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            "Location",
            format!("/applications/{id}?lang={}", lang.code()),
        ))
        .finish()
}

fn bundle_form<'a>(
    state: &'a AppState,
    bundle: &str,
    form: &Submitted,
) -> Result<(&'a crate::bundle::Bundle, Arc<CombinedForm>), Problem> {
    crate::http::bundles::bundle_form(state, bundle, form.services.as_deref())
        .map_err(|e| Problem::from_api(e, form.lang))
}

/// Draw the form page: the fields with `form`'s values and `errors`, the keyboard on `focus`.
fn draw(
    state: &AppState,
    bundle_id: &str,
    req: &HttpRequest,
    form: Submitted,
    errors: &[FieldError],
    focus: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, Problem> {
    let lang = form.lang;
    let (bundle, combined) = bundle_form(state, bundle_id, &form)?;
    let mut fields: Vec<Field> = asked(&combined, &form);
    let disclosing = combined.discloses() || fields.iter().any(Field::discloses);
    explain_repeats(&mut fields, bundle, state);
    let FormView { fields, summary } = fields::view(&fields, &form, errors, focus);
    let chosen: Vec<String> = combined
        .services
        .iter()
        .filter_map(|id| state.catalog.service(id))
        .map(|s| lang.pick(&s.title))
        .collect();
    let (token, cookie) = csrf::token(req);
    let title = lang.pick(&bundle.title);
    let page = Page {
        template: "form",
        title: title.clone(),
        lang,
        switch: Switch::Form(FORM_ID),
        data: json!({
            "form_id": FORM_ID,
            "bundle": bundle.id,
            "title": title,
            "action": format!("/events/{}/form", bundle.id),
            "csrf": token,
            "key": form.key,
            "choice": form.services.is_some(),
            "services": form.services,
            "chosen_count": chosen.len(),
            "chosen": chosen,
            "fields": fields,
            "disclosing": disclosing,
            "error_count": summary.len(),
            "errors": summary,
            "duplicates": duplicates(&form, lang),
            "duplicate_reason": form.duplicate_reason,
        }),
    };
    let mut response = html(status, page.render()?);
    csrf::set_cookie(&mut response, cookie);
    Ok(response)
}

/// The fields the form asks for given what was typed so far: a field only a service with a
/// condition needs appears once a choice makes the condition hold (the page is drawn again on
/// «Оновити форму» or on submitting; without JavaScript too), and what a hidden field held is
/// not sent.
fn asked(combined: &CombinedForm, form: &Submitted) -> Vec<Field> {
    let mut fields = schema::fields(combined);
    if combined.discloses() {
        let (so_far, _) = parse::data(&fields, form);
        fields.retain(|f| combined.asks(&f.name, &so_far));
    }
    fields
}

/// The earlier applications the last try repeated, for the clerk to see before giving a reason.
fn duplicates(form: &Submitted, lang: Lang) -> Vec<Value> {
    (form.duplicates.iter())
        .map(|d| {
            let shared: Vec<String> = d.shared.iter().map(|t| lang.pick(t)).collect();
            json!({ "id": d.id, "shared": shared.join("; ") })
        })
        .collect()
}

/// An untitled list whose items each get services of their own (`for_each`) says which.
fn explain_repeats(fields: &mut [Field], bundle: &crate::bundle::Bundle, state: &AppState) {
    for field in fields.iter_mut().filter(|f| f.hint.is_none()) {
        let services: Vec<&crate::bundle::Text> = bundle
            .steps
            .iter()
            .filter(|s| s.repeat.as_ref().is_some_and(|r| r.items == field.name))
            .filter_map(|s| state.catalog.service(&s.service))
            .map(|s| &s.title)
            .collect();
        if services.is_empty() {
            continue;
        }
        let list = |pick: fn(&crate::bundle::Text) -> &str| {
            services
                .iter()
                .map(|t| pick(t))
                .collect::<Vec<_>>()
                .join(", ")
        };
        field.hint = Some(crate::bundle::Text {
            uk: format!("{} {}", Lang::Uk.text("each_gets"), list(|t| &t.uk)),
            en: format!("{} {}", Lang::En.text("each_gets"), list(|t| &t.en)),
        });
    }
}
