//! The page a person opens from their confirmation link — the homeowner asked for consent, the
//! second parent asked to co-sign: what they are asked, by when, and two buttons (confirm, or
//! decline with a reason). The link's token opens that one step and nothing else; the page shows
//! what the person consents to — the applicant and the application's summary (the new address,
//! the child) — and nothing more. The decision is recorded exactly as the API records it
//! (`http::callbacks::decide`).
//!
//! When the bundle names the person, they prove who they are first: a code by SMS to the phone
//! the application gives, or — with an identity provider configured — a sign-in through it whose
//! RNOKPP matches the application's. The sign-in leaves a proof in a cookie sent only to this
//! link's page, valid ten minutes, which the decision hands in in place of the code.

use super::render::{Page, Problem, Switch, html};
use super::start::LangQuery;
use super::{cookies, csrf};
use crate::http::{ApiError, AppState};
use crate::lang::Lang;
use crate::receipt::Languages;
use crate::store::{ApplicationRecord, Finish, SubRequestRecord, SubStatus};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

/// The form the page posts.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    decision: String,
    #[serde(default)]
    reason: String,
    /// The one-time code from the SMS.
    #[serde(default)]
    code: String,
    #[serde(default, rename = "_lang")]
    lang: Option<String>,
}

/// `GET /confirmations/{token}`.
pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    draw(&state, &path, query.lang(), &req, None, None).await
}

/// `POST /confirmations/{token}`: the person's decision.
pub async fn post(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<DecisionForm>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let lang = Lang::or_ukrainian(form.lang.as_deref());
    if !csrf::accepts(&req, &form.csrf) {
        tracing::warn!("Confirmation refused: CSRF token missing or wrong");
        return Err(Problem::new(StatusCode::FORBIDDEN, lang, "csrf"));
    }
    let confirmed = match form.decision.as_str() {
        "confirmed" => true,
        "declined" => false,
        "code" => {
            let notice = match state.applications.send_code(&path).await {
                Ok(masked) => format!("{} {masked}", lang.text("code_sent")),
                Err(e) => ApiError::from(e).to_string(),
            };
            return draw(&state, &path, lang, &req, None, Some(notice)).await;
        }
        _ => return Err(Problem::new(StatusCode::BAD_REQUEST, lang, "internal")),
    };
    let proof = cookies::read(&req, PROOF);
    let code = match form.code.trim() {
        "" => proof.as_deref(),
        typed => Some(typed),
    };
    let reason = Some(form.reason.as_str());
    let decided = crate::http::callbacks::decide(&state, &path, confirmed, reason, code).await;
    let finish = match decided {
        Ok((_, finish)) => finish,
        Err(e @ (ApiError::Invalid(_) | ApiError::Locked(_))) => {
            let notice = Problem::from_api(e, lang).message().to_owned();
            return draw(&state, &path, lang, &req, None, Some(notice)).await;
        }
        Err(e) => return Err(Problem::from_api(e, lang)),
    };
    let outcome = match (finish, confirmed) {
        (Finish::Applied | Finish::AlreadyDone, true) => "confirm_done",
        (Finish::Applied | Finish::AlreadyDone, false) => "decline_done",
        (Finish::Conflict(_), _) => "confirm_closed",
    };
    let mut response = draw(&state, &path, lang, &req, Some(outcome), None).await?;
    if proof.is_some() {
        let spent = cookies::set(
            &req,
            PROOF,
            "",
            &format!("/confirmations/{path}"),
            "; Max-Age=0",
        );
        set_cookie(&mut response, &spent);
    }
    Ok(response)
}

/// `GET /confirmations/{token}/oidc`: off to the identity provider to prove who the person is.
pub async fn identify(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, Problem> {
    let lang = query.lang();
    crate::http::callbacks::human_step(&state, &path)
        .await
        .map_err(|e| Problem::from_api(e, lang))?;
    let next = format!("/confirmations/{path}?lang={}", lang.code());
    super::session::to_provider(&state, next, Some(path.into_inner()), lang).await
}

/// The identity provider's answer for the person of the step behind `token`: a match leaves the
/// proof with this browser, a mismatch says so on the page (and counts as a wrong code).
pub async fn identified(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
    rnokpp: Result<String, crate::oidc::OidcError>,
) -> Result<HttpResponse, Problem> {
    let lang = Lang::Uk;
    let proven = match rnokpp {
        Ok(rnokpp) => state.applications.identify_by_rnokpp(token, &rnokpp).await,
        Err(e) => {
            tracing::warn!(error = %e, "Identity provider's answer names no RNOKPP");
            Err(crate::applications::CodeRefusal::NotThePerson.into())
        }
    };
    match proven {
        Ok(proof) => {
            let path = format!("/confirmations/{token}");
            let cookie = cookies::set(req, PROOF, &proof, &path, "; Max-Age=600");
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", format!("{path}?lang={}", lang.code())))
                .insert_header(("Set-Cookie", cookie))
                .insert_header(("Referrer-Policy", "no-referrer"))
                .finish())
        }
        Err(e) => {
            let notice = Problem::from_api(e.into(), lang).message().to_owned();
            draw(state, token, lang, req, None, Some(notice)).await
        }
    }
}

/// The cookie with the proof of a sign-in through the identity provider.
const PROOF: &str = "onestop_proof";

fn set_cookie(response: &mut HttpResponse, cookie: &str) {
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(cookie) {
        (response.headers_mut()).append(actix_web::http::header::SET_COOKIE, value);
    }
}

/// The page: the step, and either its two buttons or what became of it.
async fn draw(
    state: &AppState,
    token: &str,
    lang: Lang,
    req: &HttpRequest,
    outcome: Option<&str>,
    notice: Option<String>,
) -> Result<HttpResponse, Problem> {
    let target = crate::http::callbacks::human_step(state, token)
        .await
        .map_err(|e| Problem::from_api(e, lang))?;
    let (application, subs) = (state
        .applications
        .load(target.application_id.as_str())
        .await)
        .map_err(|e| Problem::from_api(e.into(), lang))?;
    let sub = subs.iter().find(|s| s.id == target.id);
    let (_, bundle) = state
        .catalog
        .of(&application.bundle_id, application.bundle_version);
    let step = bundle.and_then(|b| b.human_steps.iter().find(|h| h.id == target.service_id));
    let open = sub.is_some_and(|s| s.status == SubStatus::Awaiting);
    let proving = proving(state, req, token, open, step, &application).await;
    let outcome = outcome.or(match sub.map(|s| s.status) {
        Some(SubStatus::Awaiting) => None,
        Some(SubStatus::Succeeded) => Some("confirm_done"),
        _ => Some("confirm_closed"),
    });
    let summary = summary(state, lang, &application, &subs);
    let (csrf_token, cookie) = csrf::token(req);
    let title = step.map_or_else(|| target.service_id.clone(), |h| lang.pick(&h.title));
    let page = Page {
        template: "confirm",
        title: title.clone(),
        lang,
        switch: Switch::Link(format!(
            "/confirmations/{token}?lang={}",
            lang.other().code()
        )),
        data: json!({
            "title": title,
            "event": bundle.map(|b| lang.pick(&b.title)),
            "application": application.id,
            "instructions": step.map(|h| lang.pick(&h.instructions)),
            "summary": summary,
            "deadline": sub.and_then(|s| s.deadline).map(crate::receipt::kyiv_time),
            "open": open && outcome.is_none(),
            "outcome": outcome.map(|key| lang.text(key)),
            "action": format!("/confirmations/{token}"),
            "csrf": csrf_token,
            "proving": proving,
            "notice": notice,
            "demo_messages": state.sms_outbox,
        }),
    };
    let mut response = html(StatusCode::OK, page.render()?);
    csrf::set_cookie(&mut response, cookie);
    Ok(response)
}

/// How the person of the step may prove who they are, and whether this browser already did.
#[derive(serde::Serialize)]
struct Proving {
    needs_code: bool,
    has_phone: bool,
    oidc: bool,
    identified: bool,
    /// Whether the page offers the decision (a person with no way to prove who they are here
    /// is sent to the institution instead).
    can_decide: bool,
}

async fn proving(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
    open: bool,
    step: Option<&crate::bundle::HumanStep>,
    application: &ApplicationRecord,
) -> Proving {
    let person = step.and_then(|h| h.person.as_ref());
    let identified = match cookies::read(req, PROOF) {
        Some(proof) if open => state.applications.proof_holds(token, &proof).await,
        _ => false,
    };
    let needs_code = person.is_some();
    let has_phone = person.is_some_and(|p| p.phone_in(&application.data).is_some());
    let oidc = state.oidc.is_some();
    Proving {
        needs_code,
        has_phone,
        oidc,
        identified,
        can_decide: !needs_code || has_phone || oidc || identified,
    }
}

/// What the person consents to: the applicant and the application's summary rows, as the
/// receipt words them (nothing when the receipt's view cannot be made).
fn summary(
    state: &AppState,
    lang: Lang,
    application: &ApplicationRecord,
    subs: &[SubRequestRecord],
) -> Vec<Value> {
    let view = state.receipt_view(application, subs, lang.into());
    let Ok(view) = view else {
        return Vec::new();
    };
    let languages = Languages::from(lang);
    let mut rows = vec![json!({ "label": lang.text("applicant"), "value": view.applicant })];
    rows.extend(
        view.details
            .iter()
            .map(|(label, value)| json!({ "label": languages.pick(label), "value": value })),
    );
    rows
}
