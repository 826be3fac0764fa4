//! The sandbox as a Trembita (X-Road) security server: the simulated registries reached in the
//! X-Road Message Protocol for SOAP 4.0 (`POST /trembita`) and in UXP REST
//! (`POST /trembita/restapi`), and each service's WSDL (`GET /trembita/wsdl/{service id}`).
//!
//! It checks a message as a security server would (mandatory headers, the protocol version, a
//! service some service file declares under some stored version of the definitions, the body
//! element naming the service) and answers the security server's own mistakes with its codes:
//! what is wrong with the message's form is `Client.*` (`InvalidXml`, `InvalidSoap`,
//! `MissingBody`, `InvalidBody`, `MissingHeader` for UXP REST), what is wrong with its X-Road
//! header `Server.ClientProxy.*` (`MissingHeader`, `MissingHeaderField`,
//! `InvalidProtocolVersion`), and what the provider's side finds `Server.ServerProxy.*`
//! (`UnknownService`, `ServiceFailed` when the registry fails). A message that gets through is
//! one call of `call`, keyed by its message id (`xrd:id`, `Uxp-QueryID`): a repeated id makes
//! no second effect, and every misbehaviour of the knobs applies as in onestop REST.
//!
//! A service whose file declares a wrapped answer (`trembita.answer`) answers in it: its
//! succeeded code (the lowest) with `ResultData`; invalid input and a refusal rule give the
//! refusal code 5 when the declaration says 5 refuses (else its lowest refusing code), with the
//! problems in `ResultMessage`; a failure of the registry gives its lowest retry code. A rate
//! limit and a held-back answer are the protocol's own (429; a poll or a wait) either way.

mod rest;
mod soap;
mod wsdl;

use super::Sandbox;
use super::call::Reply;
use crate::bundle::Service;
use crate::bundle::trembita::{CodeMeaning, WrappedAnswer};
use crate::registry::wrapped;
use actix_web::web;
use serde_json::{Map, Value, json};

pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/trembita", web::post().to(soap::call))
        .route("/trembita/restapi", web::post().to(rest::call))
        .route(
            "/trembita/restapi/status/{service}/{key}",
            web::get().to(rest::status),
        )
        .route("/trembita/wsdl/{service}", web::get().to(wsdl::wsdl));
}

/// A service as a message names it on Trembita (without the instance: any is accepted).
#[derive(Debug, Clone, Copy)]
struct Address<'a> {
    member_class: &'a str,
    member_code: &'a str,
    subsystem: &'a str,
    service: &'a str,
    version: Option<&'a str>,
}

/// The service a message names: one whose file declares that address under the current or an
/// earlier stored version of the definitions (a registry keeps answering what earlier versions
/// send). The service is given as the sandbox knows it (its current definition first).
fn find<'a>(sandbox: &'a Sandbox, address: Address<'_>) -> Option<&'a Service> {
    let catalog = &sandbox.catalog;
    catalog.all_services().into_iter().find(|service| {
        let mut versions = catalog.versions_of(service.id.as_str());
        versions.any(|v| v.trembita.as_ref().is_some_and(|t| declares(t, address)))
    })
}

fn declares(trembita: &crate::bundle::trembita::TrembitaService, address: Address<'_>) -> bool {
    trembita.member_class == address.member_class
        && trembita.member_code == address.member_code
        && trembita.subsystem == address.subsystem
        && trembita.service == address.service
        && trembita.version.as_deref() == address.version
}

/// The fields of a wrapped answer for `reply` (none: the reply is not one a wrapped answer
/// gives, or the declaration has no code for it).
fn wrapped_fields(answer: &WrappedAnswer, reply: &Reply) -> Option<Value> {
    let (wanted, data, message) = match reply {
        Reply::Answered(outputs) => (
            Meaning::Succeeded,
            Some(wrapped::encode(answer, outputs)),
            "запит виконано".to_owned(),
        ),
        Reply::Invalid(errors) => {
            let problems = errors
                .iter()
                .map(|e| at(&e.pointer, &e.message.to_string()));
            (
                Meaning::Refused,
                None,
                problems.collect::<Vec<_>>().join("; "),
            )
        }
        Reply::Refused(rules) => {
            let problems = rules.iter().map(|(pointer, message)| at(pointer, message));
            (
                Meaning::Refused,
                None,
                problems.collect::<Vec<_>>().join("; "),
            )
        }
        Reply::Unavailable { .. } => (
            Meaning::Retry,
            None,
            "внутрішня помилка реєстру (simulated failure)".to_owned(),
        ),
        Reply::RateLimited { .. } | Reply::Pending { .. } => return None,
    };
    let code = code_for(answer, wanted)?;
    let mut fields = Map::new();
    fields.insert(answer.code.clone(), json!(code));
    if let Some(data) = data {
        fields.insert(answer.data.clone(), json!(data));
    }
    fields.insert(answer.message.clone(), json!(message));
    Some(Value::Object(fields))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    Succeeded,
    Retry,
    Refused,
}

/// The code a wrapped answer gives for `wanted`: the lowest that means it, but 5 (validation
/// failed, as the civil registry numbers it) for a refusal when 5 refuses.
fn code_for(answer: &WrappedAnswer, wanted: Meaning) -> Option<i64> {
    let means = |meaning: &CodeMeaning| match meaning {
        CodeMeaning::Succeeded => Meaning::Succeeded,
        CodeMeaning::Retry(_) => Meaning::Retry,
        CodeMeaning::Refused(_) => Meaning::Refused,
    };
    if wanted == Meaning::Refused && answer.meaning(5).is_some_and(|m| means(m) == wanted) {
        return Some(5);
    }
    (answer.codes.iter()).find_map(|(code, meaning)| (means(meaning) == wanted).then_some(*code))
}

/// `pointer: message`, or the message alone for the whole request.
fn at(pointer: &str, message: &str) -> String {
    if pointer.is_empty() {
        message.to_owned()
    } else {
        format!("{pointer}: {message}")
    }
}

/// The base64 SHA-512 of a request's bytes, as a security server hashes it (`requestHash`,
/// `Uxp-Request-Hash`).
fn request_hash(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(bytes))
}
