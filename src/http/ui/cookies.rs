//! Reading and writing the pages' cookies: a cookie's value by name, and the attributes every
//! cookie of ours carries (`Path`, `HttpOnly`, `SameSite=Lax`, and `Secure` over HTTPS).

use actix_web::HttpRequest;

/// The value of cookie `name`, if the request has it (across every `Cookie` header).
pub fn read(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value for `name=value` on `path`, with `extra` attributes (`; Max-Age=…`).
pub fn set(req: &HttpRequest, name: &str, value: &str, path: &str, extra: &str) -> String {
    let secure = if req.connection_info().scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path={path}{extra}; HttpOnly; SameSite=Lax{secure}")
}
