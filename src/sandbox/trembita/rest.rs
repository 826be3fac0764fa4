//! `POST /trembita/restapi`: UXP's REST dialect. The headers `Uxp-Client`
//! (`<instance>/<class>/<code>/<subsystem>`), `Uxp-Service`
//! (`<instance>/<class>/<code>/<subsystem>/<service code>[/<version>]`) and `Uxp-QueryID` are
//! mandatory; a missing or malformed one, or a service nobody declares, is the security
//! server's error: `Uxp-Error: <code>` and `{"type": code, "message": …}` (400 for the client's
//! mistakes, 500 for the server's). The body is the request as JSON, answered as onestop REST
//! answers (a wrapped service in its `ResultCode` fields), with `Uxp-QueryID` echoed and
//! `Uxp-Request-Hash` (base64 SHA-512 of the body). A held-back answer is 202 with a `Location`
//! under `/trembita/restapi/status/`, asked with `GET` and a `Uxp-Client`.
//!
//! The `Uxp-*` headers of each call are kept (`/_sandbox/headers/{service}`, names in lower
//! case), so a test can see the purposes and subject the personal-data monitoring received.

use super::super::call::{self, Incoming, Reply};
use super::super::rest::{self as onestop, absolute, header_text, json_body, percent_encode};
use super::super::{Sandbox, Served};
use super::{Address, find, request_hash, wrapped_fields};
use crate::bundle::Service;
use crate::registry::Protocol;
use crate::registry::soap::Subsystem;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use std::collections::BTreeMap;

const ERROR_HEADER: &str = "Uxp-Error";
const QUERY_ID: &str = "Uxp-QueryID";

pub(super) async fn call(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    super::super::timed(&sandbox, serve(&sandbox, &req, &body)).await
}

async fn serve(sandbox: &Sandbox, req: &HttpRequest, body: &[u8]) -> Served {
    let (service, query_id) = match identify(sandbox, req) {
        Ok(found) => found,
        Err(response) => {
            return Served {
                service: None,
                key: None,
                response: *response,
            };
        }
    };
    let id = service.id.as_str();
    sandbox.state().note_headers(id, uxp_headers(req));
    let behaviour = call::arrive(sandbox, service, Protocol::TrembitaRest).await;
    let mut response = match json_body(body) {
        Err(response) => *response,
        Ok(request) => {
            let incoming = Incoming {
                service,
                key: query_id.clone(),
                callback_url: None,
                request,
                behaviour,
            };
            let reply = call::handle(sandbox, incoming).await;
            render(req, service, &query_id, reply)
        }
    };
    let hash = request_hash(body);
    let headers = response.headers_mut();
    for (name, value) in [
        ("uxp-queryid", query_id.as_str()),
        ("uxp-request-hash", &hash),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    Served {
        service: Some(id.to_owned()),
        key: Some(query_id),
        response,
    }
}

/// The service a call names and its query id, or the security server's error.
fn identify<'a>(
    sandbox: &'a Sandbox,
    req: &HttpRequest,
) -> Result<(&'a Service, String), Box<HttpResponse>> {
    client(req)?;
    let Some(named) = header_text(req, "Uxp-Service") else {
        return Err(missing("Uxp-Service"));
    };
    let parts: Vec<&str> = named.trim().split('/').collect();
    let filled = parts.iter().all(|p| !p.is_empty());
    let address = match parts.as_slice() {
        [_, class, code, subsystem, service, version @ ..] if filled && version.len() <= 1 => {
            Address {
                member_class: class,
                member_code: code,
                subsystem,
                service,
                version: version.first().copied(),
            }
        }
        _ => return Err(malformed_service(&named)),
    };
    let query_id = header_text(req, QUERY_ID).filter(|q| !q.trim().is_empty());
    let Some(query_id) = query_id else {
        return Err(missing(QUERY_ID));
    };
    let Some(service) = find(sandbox, address) else {
        let message = format!("Unknown service: SERVICE:{named}");
        return Err(Box::new(uxp_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Server.ServerProxy.UnknownService",
            &message,
        )));
    };
    Ok((service, query_id))
}

fn malformed_service(named: &str) -> Box<HttpResponse> {
    let message = format!(
        "Uxp-Service \"{named}\" is not <instance>/<member class>/<member code>/<subsystem>/<service code>[/<version>]"
    );
    Box::new(uxp_error(
        StatusCode::BAD_REQUEST,
        "Client.BadRequest",
        &message,
    ))
}

/// The caller's subsystem (`Uxp-Client`), or the security server's error.
fn client(req: &HttpRequest) -> Result<Subsystem, Box<HttpResponse>> {
    let Some(client) = header_text(req, "Uxp-Client") else {
        return Err(missing("Uxp-Client"));
    };
    Subsystem::parse(&client).map_err(|why| {
        Box::new(uxp_error(
            StatusCode::BAD_REQUEST,
            "Client.InvalidClientIdentifier",
            &format!("Uxp-Client {why}"),
        ))
    })
}

fn missing(name: &str) -> Box<HttpResponse> {
    let message = format!("Required header {name} is missing");
    Box::new(uxp_error(
        StatusCode::BAD_REQUEST,
        "Client.MissingHeader",
        &message,
    ))
}

/// The security server's own error.
fn uxp_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((ERROR_HEADER, code))
        .json(json!({ "type": code, "message": message }))
}

/// Every `Uxp-*` header of the request, by its lower-case name.
fn uxp_headers(req: &HttpRequest) -> BTreeMap<String, String> {
    (req.headers().iter())
        .filter(|(name, _)| name.as_str().starts_with("uxp-"))
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

/// The reply as onestop REST writes it, but in a wrapped service's fields where it has them,
/// and with a status URL under the security server.
fn render(req: &HttpRequest, service: &Service, key: &str, reply: Reply) -> HttpResponse {
    let wrapping = service.trembita.as_ref().and_then(|t| t.answer.as_ref());
    if let Some(fields) = wrapping.and_then(|answer| wrapped_fields(answer, &reply)) {
        return HttpResponse::Ok().json(fields);
    }
    let path = format!(
        "/trembita/restapi/status/{}/{}",
        percent_encode(service.id.as_str()),
        percent_encode(key)
    );
    onestop::render(reply, &absolute(req, &path))
}

/// `GET /trembita/restapi/status/{service}/{key}` with `Uxp-Client`: 202 while the answer is
/// held back, then the answer; 404 for a key that made no effect.
pub(super) async fn status(
    sandbox: web::Data<Sandbox>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> HttpResponse {
    // A poll is a message like any other: addressed to the service it asks about.
    let service = match identify(&sandbox, &req) {
        Ok((service, _)) => service,
        Err(response) => return *response,
    };
    let (service_id, key) = path.into_inner();
    if service.id.as_str() != service_id {
        let message = format!("Uxp-Service names {}, not {service_id}", service.id);
        return uxp_error(StatusCode::BAD_REQUEST, "Client.BadRequest", &message);
    }
    match onestop::status_reply(&sandbox, &service_id, &key) {
        Some(reply) => render(&req, service, &key, reply),
        None => onestop::no_such_key(),
    }
}
