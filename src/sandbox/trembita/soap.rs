//! `POST /trembita`: the X-Road Message Protocol for SOAP 4.0. A message is read and checked
//! as a security server does (see the parent module for the fault codes), its body element's
//! children become the request (by the service's input form's shape), and the reply is written
//! as `<{code}Response>` echoing the request's header with `requestHash` (SHA-512 of the
//! request's bytes), or as a fault (HTTP 500), or HTTP 429 with `Retry-After` and a fault.
//!
//! X-Road SOAP is synchronous: where onestop REST would answer 202, the security server holds
//! the answer until the registry's outputs may be given (a sleep, no lock held) and then
//! answers; a caller's timeout meets it as it would a slow registry.

use super::super::call::{self, Incoming, Reply};
use super::super::{Sandbox, Served};
use super::{Address, find, request_hash, wrapped_fields};
use crate::bundle::Service;
use crate::form::Shape;
use crate::registry::Protocol;
use crate::registry::soap::{self as xroad, Envelope, Fault, Header};
use crate::registry::xml::{self, Element};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde_json::Value;
use std::time::Duration;

/// The header fields every message must carry (X-Road's required ones).
const REQUIRED: [&str; 4] = ["protocolVersion", "client", "id", "service"];

/// How many times a held answer is looked at again before giving up.
const HOLD_LOOKS: usize = 100;

pub(super) async fn call(sandbox: web::Data<Sandbox>, body: web::Bytes) -> HttpResponse {
    super::super::timed(&sandbox, serve(&sandbox, &body)).await
}

async fn serve(sandbox: &Sandbox, bytes: &[u8]) -> Served {
    let (header, body, service) = match read(sandbox, bytes) {
        Ok(message) => message,
        Err(fault) => {
            return Served {
                service: None,
                key: None,
                response: fault.into_response(),
            };
        }
    };
    let behaviour = call::arrive(sandbox, service, Protocol::TrembitaSoap).await;
    let request = xml::to_json(&body, &Shape::Object(service.input.shapes.clone()));
    let incoming = Incoming {
        service,
        key: header.id.clone(),
        callback_url: None,
        request,
        behaviour,
    };
    let reply = call::handle(sandbox, incoming).await;
    let reply = held(sandbox, service.id.as_str(), &header.id, reply).await;
    Served {
        service: Some(service.id.to_string()),
        key: Some(header.id.clone()),
        response: render(service, header, bytes, reply),
    }
}

/// A SOAP fault with its HTTP status.
struct Failure {
    status: StatusCode,
    fault: Fault,
    retry_after: Option<u64>,
}

fn failure(code: &str, string: impl Into<String>) -> Failure {
    Failure {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        fault: Fault {
            code: code.to_owned(),
            string: string.into(),
            detail: None,
        },
        retry_after: None,
    }
}

impl Failure {
    fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type("text/xml; charset=utf-8");
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds));
        }
        response.body(xroad::fault(&self.fault))
    }
}

/// The message's header, its body element and the service it names, or the fault a security
/// server answers.
fn read<'a>(sandbox: &'a Sandbox, bytes: &[u8]) -> Result<(Header, Element, &'a Service), Failure> {
    let root = xml::parse(bytes)
        .map_err(|e| failure("Client.InvalidXml", format!("Malformed XML: {e}")))?;
    check_form(&root)?;
    let (header, body) = match xroad::parse(bytes) {
        Ok(Envelope::Message { header, body }) => (*header, body),
        Ok(Envelope::Fault(_)) => {
            return Err(failure("Client.InvalidSoap", "A fault is not a request"));
        }
        Err(e) => {
            return Err(failure(
                "Client.InvalidSoap",
                format!("Malformed SOAP message: {e}"),
            ));
        }
    };
    if header.protocol_version != xroad::PROTOCOL_VERSION {
        let message = format!(
            "Unsupported protocol version '{}' (expected {})",
            header.protocol_version,
            xroad::PROTOCOL_VERSION
        );
        return Err(failure(
            "Server.ClientProxy.InvalidProtocolVersion",
            message,
        ));
    }
    let named = &header.service;
    let address = Address {
        member_class: &named.provider.member_class,
        member_code: &named.provider.member_code,
        subsystem: &named.provider.subsystem,
        service: &named.code,
        version: named.version.as_deref(),
    };
    let Some(service) = find(sandbox, address) else {
        let mut id = format!("{}/{}", named.provider.path(), named.code);
        if let Some(version) = &named.version {
            id = format!("{id}/{version}");
        }
        return Err(failure(
            "Server.ServerProxy.UnknownService",
            format!("Unknown service: SERVICE:{id}"),
        ));
    };
    if body.name != named.code {
        let message = format!(
            "Malformed SOAP message: body element '{}' does not name the service code '{}'",
            body.name, named.code
        );
        return Err(failure("Client.InvalidBody", message));
    }
    Ok((header, body, service))
}

/// The envelope's form, before its header is read: an envelope, a header with the required
/// fields, a body with one element.
fn check_form(root: &Element) -> Result<(), Failure> {
    let is_envelope = root.name == "Envelope" && root.namespace.as_deref() == Some(xroad::SOAP_ENV);
    if !is_envelope {
        return Err(failure(
            "Client.InvalidSoap",
            "Malformed SOAP message: not a SOAP 1.1 envelope",
        ));
    }
    let Some(header) = root.child("Header") else {
        return Err(failure(
            "Server.ClientProxy.MissingHeader",
            "Malformed SOAP message: header missing",
        ));
    };
    if let Some(field) = REQUIRED.iter().find(|f| header.child(f).is_none()) {
        return Err(failure(
            "Server.ClientProxy.MissingHeaderField",
            format!("Required field '{field}' is missing"),
        ));
    }
    match root.child("Body") {
        Some(body) if body.children.len() == 1 => Ok(()),
        Some(_) => Err(failure(
            "Client.InvalidBody",
            "Malformed SOAP message: body must have exactly one child element",
        )),
        None => Err(failure(
            "Client.MissingBody",
            "Malformed SOAP message: body missing",
        )),
    }
}

/// A pending reply waited out: the outputs once they may be given.
async fn held(sandbox: &Sandbox, service: &str, key: &str, mut reply: Reply) -> Reply {
    for _ in 0..HOLD_LOOKS {
        let Reply::Pending { remaining, .. } = reply else {
            return reply;
        };
        tokio::time::sleep(remaining.max(Duration::from_millis(1))).await;
        reply = match super::super::rest::status_reply(sandbox, service, key) {
            Some(reply) => reply,
            None => return Reply::Unavailable { after_effect: true },
        };
    }
    reply
}

/// The reply in SOAP: an answer (wrapped where the service declares it), or a fault.
fn render(service: &Service, header: Header, bytes: &[u8], reply: Reply) -> HttpResponse {
    let wrapping = service.trembita.as_ref().and_then(|t| t.answer.as_ref());
    if let Some(fields) = wrapping.and_then(|answer| wrapped_fields(answer, &reply)) {
        return answer(service, header, bytes, &fields);
    }
    let fault = match reply {
        Reply::Answered(outputs) => return answer(service, header, bytes, &outputs),
        Reply::Invalid(errors) => {
            let problems: Vec<String> = (errors.iter())
                .map(|e| super::at(&e.pointer, &e.message.to_string()))
                .collect();
            let string = format!(
                "дані запиту не відповідають формі послуги: {}",
                problems.join("; ")
            );
            failure("SOAP-ENV:Client", string)
        }
        Reply::Refused(rules) => {
            let problems: Vec<String> = (rules.iter())
                .map(|(pointer, message)| super::at(pointer, message))
                .collect();
            failure(
                "SOAP-ENV:Client",
                format!("реєстр відмовив: {}", problems.join("; ")),
            )
        }
        Reply::RateLimited { seconds } => Failure {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(seconds),
            ..failure(
                "Server.ServerProxy.ServiceFailed",
                "забагато запитів, спробуйте пізніше (rate limited)",
            )
        },
        Reply::Unavailable { .. } | Reply::Pending { .. } => failure(
            "Server.ServerProxy.ServiceFailed",
            "реєстр тимчасово недоступний (simulated failure)",
        ),
    };
    fault.into_response()
}

/// `<{code}Response>` with `fields` as its children, the request's header echoed with its hash.
fn answer(service: &Service, header: Header, bytes: &[u8], fields: &Value) -> HttpResponse {
    let namespace = (service.trembita.as_ref())
        .map(|t| t.namespace(service.id.as_str()))
        .unwrap_or_default();
    let header = Header {
        request_hash: Some((request_hash(bytes), xroad::SHA512.to_owned())),
        ..header
    };
    HttpResponse::Ok()
        .content_type("text/xml; charset=utf-8")
        .body(xroad::response(&header, &namespace, fields))
}
