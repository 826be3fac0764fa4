//! Who is looking at a page: staff signed in (a session in an `HttpOnly`, `SameSite=Lax`
//! cookie, `Secure` over HTTPS, the same sessions as the API's tokens), or a citizen holding the
//! private access secret of their application (a cookie sent only to that application's pages,
//! set when they submit it or open their private link). Also the sign-in, sign-out and
//! private-link pages. What each may see is `access`'s to decide, as for the API.

use super::render::{Page, Problem, Switch, html};
use super::start::LangQuery;
use super::{cookies, csrf};
use crate::access::secret::{self, Kind};
use crate::access::{Action, Caller};
use crate::http::{ApiError, AppState, auth, session};
use crate::lang::Lang;
use crate::store::{ApplicationRecord, SubRequestRecord};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

const SESSION: &str = "onestop_session";

/// The staff member signed in on this browser, or nobody. A session whose password is still
/// one-time counts as nobody here: it may only set the person's own (`/password`).
pub async fn caller(state: &AppState, req: &HttpRequest) -> Result<Caller, ApiError> {
    match session_caller(state, req).await? {
        Caller::Staff(staff) if staff.one_time_password => Ok(Caller::Nobody),
        caller => Ok(caller),
    }
}

/// The staff member of this browser's session cookie, a one-time password's session included.
pub async fn session_caller(state: &AppState, req: &HttpRequest) -> Result<Caller, ApiError> {
    match cookies::read(req, SESSION).filter(|s| secret::kind_of(s) == Some(Kind::Session)) {
        Some(token) => Ok(auth::resolve(state, &token)
            .await?
            .unwrap_or(Caller::Nobody)),
        None => Ok(Caller::Nobody),
    }
}

/// The application `id` if this browser may read it: staff of its institution, or the citizen
/// whose access cookie opens it (their secret comes along, for the private link). The read
/// (`action`) is recorded in the audit trail before the page is answered.
pub async fn readable(
    state: &AppState,
    req: &HttpRequest,
    id: &str,
    (lang, action): (Lang, &'static str),
) -> Result<(ApplicationRecord, Vec<SubRequestRecord>, Option<String>), Problem> {
    let problem = |e| Problem::from_api(e, lang);
    let mut caller = caller(state, req).await.map_err(problem)?;
    let mut access = None;
    if caller == Caller::Nobody
        && let Some(secret) = cookies::read(req, &access_name(id))
        && let Some(citizen) = auth::resolve(state, &secret).await.map_err(problem)?
    {
        caller = citizen;
        access = Some(secret);
    }
    let (application, subs) = auth::application_for(state, &caller, Action::Read, id)
        .await
        .map_err(|e| signed_out(e, lang))?;
    let entry = auth::entry(&caller, action)
        .on(application.id.as_str(), application.institution.as_deref());
    let recorded = state.applications.record_read(entry).await;
    recorded.map_err(|e| Problem::from_api(e.into(), lang))?;
    Ok((application, subs, access))
}

/// A refusal as a page: 401 asks to sign in.
pub fn signed_out(error: ApiError, lang: Lang) -> Problem {
    match error {
        ApiError::Unauthorized(_) => Problem::new(StatusCode::UNAUTHORIZED, lang, "sign_in_needed"),
        other => Problem::from_api(other, lang),
    }
}

/// The cookie that lets a citizen's browser back into application `id`.
pub fn access_cookie(req: &HttpRequest, id: &str, secret: &str) -> String {
    let path = format!("/applications/{id}");
    cookies::set(req, &access_name(id), secret, &path, "; Max-Age=2592000")
}

/// The private link a citizen comes back through.
pub fn private_link(state: &AppState, secret: &str) -> String {
    format!("{}/access/{secret}", state.public_url)
}

/// A redirect to the sign-in page, coming back to `next` after.
pub fn to_sign_in(next: &str, lang: Lang) -> HttpResponse {
    let next: String = form_urlencoded(next);
    HttpResponse::SeeOther()
        .insert_header((
            "Location",
            format!("/sign-in?lang={}&next={next}", lang.code()),
        ))
        .finish()
}

#[derive(Deserialize)]
pub struct SignInQuery {
    lang: Option<String>,
    next: Option<String>,
}

/// `GET /sign-in`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, Problem> {
    let lang = Lang::or_ukrainian(query.lang.as_deref());
    let next = safe_next(query.next.as_deref());
    draw(&state, &req, lang, &next, "", None, StatusCode::OK)
}

/// `POST /sign-in`: a login and password from the page's form.
pub async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Problem> {
    let get = |name: &str| {
        body.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let lang = Lang::or_ukrainian(get("_lang"));
    if !csrf::accepts(&req, get("_csrf").unwrap_or_default()) {
        return Err(Problem::new(StatusCode::FORBIDDEN, lang, "csrf"));
    }
    let next = safe_next(get("next"));
    let login = get("login").unwrap_or_default();
    match session::sign_in(&state, login, get("password").unwrap_or_default()).await {
        Ok(signed_in) if signed_in.password_change_required => {
            let next = format!(
                "/password?lang={}&next={}",
                lang.code(),
                form_urlencoded(&next)
            );
            Ok(signed_in_to(&req, &signed_in.token, next))
        }
        Ok(signed_in) => Ok(signed_in_to(&req, &signed_in.token, next)),
        Err(ApiError::Unauthorized(_)) => {
            let shown = if login.chars().any(char::is_control) {
                ""
            } else {
                login
            };
            let wrong = lang.text("sign_in_wrong");
            draw(
                &state,
                &req,
                lang,
                &next,
                shown,
                Some(&wrong),
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(other) => Err(Problem::from_api(other, lang)),
    }
}

/// `POST /sign-out`: the session ends, on the server too.
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Problem> {
    let csrf_token = body
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str());
    if !csrf::accepts(&req, csrf_token.unwrap_or_default()) {
        return Err(Problem::new(StatusCode::FORBIDDEN, Lang::Uk, "csrf"));
    }
    if let Some(token) = cookies::read(&req, SESSION) {
        let caller = session_caller(&state, &req).await;
        let caller = caller.map_err(|e| Problem::from_api(e, Lang::Uk))?;
        let entry = auth::entry(&caller, crate::audit::action::SESSION_SIGN_OUT);
        let revoked = (state.store)
            .revoke_credential(&secret::hash(&token), &entry)
            .await;
        revoked.map_err(|e| Problem::from_api(e.into(), Lang::Uk))?;
    }
    let ended = cookies::set(&req, SESSION, "", "/", "; Max-Age=0");
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/"))
        .insert_header(("Set-Cookie", ended))
        .finish())
}

/// `GET /access/{secret}`: a citizen's private link; this browser gets the application's
/// cookie and goes to its page.
pub async fn open_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, Problem> {
    let lang = query.lang();
    let presented = path.into_inner();
    let caller = match secret::kind_of(&presented) {
        Some(Kind::Citizen) => auth::resolve(&state, &presented).await,
        _ => Ok(None),
    };
    let Some(Caller::Citizen(id)) = caller.map_err(|e| Problem::from_api(e, lang))? else {
        return Err(Problem::new(StatusCode::NOT_FOUND, lang, "not_found"));
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((
            "Location",
            format!("/applications/{id}?lang={}", lang.code()),
        ))
        .insert_header(("Set-Cookie", access_cookie(&req, id.as_str(), &presented)))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .finish())
}

/// `GET /sign-in/oidc?next=…`: off to the identity provider.
pub async fn oidc_start(
    state: web::Data<AppState>,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, Problem> {
    let lang = Lang::or_ukrainian(query.lang.as_deref());
    let next = safe_next(query.next.as_deref());
    to_provider(&state, next, None, lang).await
}

/// Off to the identity provider, to come back to `next` (a path of this site); `confirming`: the
/// confirmation link whose person this sign-in is to prove.
pub async fn to_provider(
    state: &AppState,
    next: String,
    confirming: Option<String>,
    lang: Lang,
) -> Result<HttpResponse, Problem> {
    let Some(oidc) = &state.oidc else {
        return Err(Problem::new(StatusCode::NOT_FOUND, lang, "not_found"));
    };
    let started = oidc.start().await.map_err(|e| {
        tracing::warn!(error = %e, "OpenID sign-in could not start");
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, lang, "oidc_unavailable")
    })?;
    let login = crate::store::OidcLogin {
        nonce: started.nonce,
        verifier: started.verifier,
        next,
        confirming,
    };
    let expires_at = crate::store::now_ms() + 10 * 60_000;
    let state_hash = secret::hash(&started.state);
    let kept = state
        .store
        .begin_oidc_login(&state_hash, &login, expires_at);
    kept.await.map_err(|e| Problem::from_api(e.into(), lang))?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", started.url))
        .finish())
}

#[derive(Deserialize)]
pub struct OidcAnswer {
    code: Option<String>,
    state: Option<String>,
}

/// `GET /sign-in/oidc/callback?code=…&state=…`: the provider's answer; signed in, the browser
/// goes back where it was.
pub async fn oidc_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<OidcAnswer>,
) -> Result<HttpResponse, Problem> {
    let lang = Lang::Uk;
    let refused = |key: &str| Problem::new(StatusCode::UNAUTHORIZED, lang, key);
    let (Some(oidc), Some(code), Some(answer_state)) = (&state.oidc, &query.code, &query.state)
    else {
        return Err(refused("oidc_refused"));
    };
    let taken = state
        .store
        .take_oidc_login(&secret::hash(answer_state))
        .await;
    let login = taken.map_err(|e| Problem::from_api(e.into(), lang))?;
    let login = login.ok_or_else(|| refused("oidc_refused"))?;
    let claims = (oidc.finish(code, &login.nonce, &login.verifier).await).map_err(|e| {
        tracing::warn!(error = %e, "OpenID sign-in refused");
        refused("oidc_refused")
    })?;
    if let Some(token) = &login.confirming {
        return super::confirm::identified(&state, &req, token, oidc.rnokpp(&claims)).await;
    }
    let identity = oidc.staff(&claims).map_err(|e| {
        tracing::warn!(error = %e, "OpenID sign-in refused");
        refused("oidc_refused")
    })?;
    let known = match &identity.institution {
        Some(id) => (state.store.institution(id).await)
            .map_err(|e| Problem::from_api(e.into(), lang))?
            .is_some(),
        None => !identity.role.needs_institution(),
    };
    let institution = identity.institution.as_deref();
    let role = identity.role.as_str();
    let stored = state
        .store
        .upsert_oidc_user(&identity.login, institution, role)
        .await;
    if !known || !stored.map_err(|e| Problem::from_api(e.into(), lang))? {
        tracing::warn!("OpenID sign-in refused: unknown institution or a local account's login");
        return Err(Problem::new(StatusCode::FORBIDDEN, lang, "oidc_refused"));
    }
    let signed_in = session::start_session(
        &state,
        &identity.login,
        identity.institution.clone(),
        identity.role,
        (false, "identity provider"),
    )
    .await
    .map_err(|e| Problem::from_api(e, lang))?;
    Ok(signed_in_to(&req, &signed_in.token, login.next))
}

fn draw(
    state: &AppState,
    req: &HttpRequest,
    lang: Lang,
    next: &str,
    login: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, Problem> {
    let (csrf_token, cookie) = csrf::token(req);
    let page = Page {
        template: "sign_in",
        title: lang.text("sign_in_title"),
        lang,
        switch: Switch::Link(format!(
            "/sign-in?lang={}&next={}",
            lang.other().code(),
            form_urlencoded(next)
        )),
        data: json!({
            "csrf": csrf_token, "next": next, "login": login, "error": error,
            "oidc": state.oidc.is_some(), "next_query": form_urlencoded(next),
        }),
    };
    let mut response = html(status, page.render()?);
    csrf::set_cookie(&mut response, cookie);
    Ok(response)
}

/// Where to go after signing in: a path of this site, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/".into(),
    }
}

/// The browser, signed in with session `token`, goes on to `next`.
pub fn signed_in_to(req: &HttpRequest, token: &str, next: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", next))
        .insert_header(("Set-Cookie", cookies::set(req, SESSION, token, "/", "")))
        .finish()
}

fn access_name(id: &str) -> String {
    format!("onestop_access_{id}")
}

/// `text` percent-encoded for a query string.
pub fn form_urlencoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
