//! Protection of the pages' form posts against cross-site request forgery: a double-submit
//! token. A random token lives in an `HttpOnly`, `SameSite=Lax` cookie and in a hidden field of
//! every form; a post is taken only when the two agree (and its `Origin`, when the browser
//! sends one, is this site). Nothing is kept on the server, so any instance can check any post.
//! This module decides nothing else about a request.

use crate::access::secret::constant_time_eq;
use actix_web::HttpRequest;

const COOKIE: &str = "onestop_csrf";

/// The token to put in the page's forms, and the `Set-Cookie` value when the browser has none.
pub fn token(req: &HttpRequest) -> (String, Option<String>) {
    match cookie(req) {
        Some(token) => (token, None),
        None => {
            let token = crate::store::random_token();
            let header = super::cookies::set(req, COOKIE, &token, "/", "");
            (token, Some(header))
        }
    }
}

/// Add the `Set-Cookie` of a new token (from [`token`]) to a page's response.
pub fn set_cookie(response: &mut actix_web::HttpResponse, cookie: Option<String>) {
    if let Some(cookie) = cookie
        && let Ok(value) = actix_web::http::header::HeaderValue::from_str(&cookie)
    {
        response
            .headers_mut()
            .append(actix_web::http::header::SET_COOKIE, value);
    }
}

/// Whether a post carrying `submitted` in its form comes from one of this site's pages.
pub fn accepts(req: &HttpRequest, submitted: &str) -> bool {
    let Some(expected) = cookie(req) else {
        return false;
    };
    same_origin(req) && constant_time_eq(expected.as_bytes(), submitted.as_bytes())
}

/// The token in the request's cookie, when it has a well-formed one.
fn cookie(req: &HttpRequest) -> Option<String> {
    super::cookies::read(req, COOKIE)
        .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// No `Origin` (an old browser), or one naming the host the request was sent to.
fn same_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req.headers().get("Origin").and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = origin.split_once("://").map_or(origin, |(_, h)| h);
    host.eq_ignore_ascii_case(req.connection_info().host())
}
