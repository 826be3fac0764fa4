//! The page where a person signed in with a one-time password (the first run's table, a
//! generated one, a supervisor's new clerk) sets their own before anything else; any signed-in
//! person may use it to change theirs. The rules are the API's (`http::session::set_password`):
//! the current password, a new one of at least 12 characters that differs from it; every session
//! of the account ends and this browser gets a new one.

use super::csrf;
use super::render::{Page, Problem, Switch, html};
use super::session::{form_urlencoded, safe_next, session_caller, signed_in_to, to_sign_in};
use crate::access::Caller;
use crate::http::{ApiError, AppState, session};
use crate::lang::Lang;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct PasswordQuery {
    lang: Option<String>,
    next: Option<String>,
}

/// The form the page posts.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, rename = "_lang")]
    lang: Option<String>,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    again: String,
}

/// `GET /password`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<PasswordQuery>,
) -> Result<HttpResponse, Problem> {
    let lang = Lang::or_ukrainian(query.lang.as_deref());
    let next = safe_next(query.next.as_deref());
    let caller = session_caller(&state, &req).await;
    let Caller::Staff(staff) = caller.map_err(|e| Problem::from_api(e, lang))? else {
        let back = format!("/password?next={}", form_urlencoded(&next));
        return Ok(to_sign_in(&back, lang));
    };
    draw(&req, lang, &next, &staff.who, None, StatusCode::OK)
}

/// `POST /password`.
pub async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, Problem> {
    let lang = Lang::or_ukrainian(form.lang.as_deref());
    if !csrf::accepts(&req, &form.csrf) {
        return Err(Problem::new(StatusCode::FORBIDDEN, lang, "csrf"));
    }
    let next = safe_next(form.next.as_deref());
    let caller = session_caller(&state, &req).await;
    let Caller::Staff(staff) = caller.map_err(|e| Problem::from_api(e, lang))? else {
        return Ok(to_sign_in(&next, lang));
    };
    let who = staff.who.clone();
    if form.new != form.again {
        let mismatch = lang.text("password_mismatch");
        return draw(
            &req,
            lang,
            &next,
            &who,
            Some(&mismatch),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match session::set_password(&state, staff, &form.current, &form.new).await {
        Ok(signed_in) => Ok(signed_in_to(&req, &signed_in.token, next)),
        Err(ApiError::Invalid(errors)) => {
            let said: Vec<String> = errors.iter().map(|e| e.message.text(lang)).collect();
            let said = said.join(" ");
            draw(
                &req,
                lang,
                &next,
                &who,
                Some(&said),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(other) => Err(Problem::from_api(other, lang)),
    }
}

fn draw(
    req: &HttpRequest,
    lang: Lang,
    next: &str,
    login: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, Problem> {
    let (csrf_token, cookie) = csrf::token(req);
    let page = Page {
        template: "password",
        title: lang.text("password_title"),
        lang,
        switch: Switch::Link(format!(
            "/password?lang={}&next={}",
            lang.other().code(),
            form_urlencoded(next)
        )),
        data: json!({ "csrf": csrf_token, "next": next, "login": login, "error": error }),
    };
    let mut response = html(status, page.render()?);
    csrf::set_cookie(&mut response, cookie);
    Ok(response)
}
