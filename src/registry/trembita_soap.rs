//! `trembita-soap`: the X-Road Message Protocol for SOAP 4.0 through a Trembita security server.
//! The request is a SOAP 1.1 envelope whose header names onestop's subsystem (the client), the
//! service, the message id (derived from the call's idempotency key, the same on every
//! attempt), the acting user and the application number; its body is the service code's
//! element with the input as XML. The answer is `<code>Response`, or a SOAP fault classified by
//! its code (`faults`), or a wrapped answer read by the service's declaration (`wrapped`).

use super::adapter::{
    Adapter, Answer, Answered, Call, Exchange, Poll, Protocol, digest, message_id,
};
use super::onestop_rest::received;
use super::soap::{self, Envelope, Header, ServiceId, Subsystem};
use super::{Outcome, faults, retry, retry_after, wrapped};
use crate::bundle::Service;
use crate::bundle::trembita::TrembitaService;
use crate::telemetry::CallOutcome;
use reqwest::StatusCode;
use std::time::Duration;

/// Calls registries through a security server, in SOAP.
#[derive(Clone)]
pub struct TrembitaSoap {
    http: reqwest::Client,
    /// Where requests are posted: the security server's address.
    url: String,
    client: Subsystem,
}

impl TrembitaSoap {
    pub fn new(http: reqwest::Client, url: &str, client: Subsystem) -> Self {
        Self {
            http,
            url: url.to_owned(),
            client,
        }
    }

    /// The header of a call to `service` (none: the service has no Trembita declaration).
    pub fn header(&self, call: &Call<'_>) -> Option<Header> {
        let trembita = call.trembita?;
        Some(Header {
            client: self.client.clone(),
            service: ServiceId {
                provider: Subsystem {
                    instance: self.client.instance.clone(),
                    member_class: trembita.member_class.clone(),
                    member_code: trembita.member_code.clone(),
                    subsystem: trembita.subsystem.clone(),
                },
                code: trembita.service.clone(),
                version: trembita.version.clone(),
            },
            id: message_id(call.idempotency_key),
            user_id: Some(super::adapter::user_id(call.user)),
            issue: Some(call.application.to_owned()),
            protocol_version: soap::PROTOCOL_VERSION.to_owned(),
            request_hash: None,
        })
    }
}

impl Adapter for TrembitaSoap {
    fn protocol(&self) -> Protocol {
        Protocol::TrembitaSoap
    }

    fn call<'a>(&'a self, call: Call<'a>) -> Answer<'a> {
        Box::pin(async move {
            let Some(header) = self.header(&call) else {
                return undeclared(call.service, Protocol::TrembitaSoap);
            };
            let namespace = (call.trembita)
                .map(|t| t.namespace(call.service.id.as_str()))
                .unwrap_or_default();
            let body = soap::request(&header, &namespace, call.request);
            let mut exchange = Exchange::new(Protocol::TrembitaSoap, &header.id, body.as_bytes());
            let request = self
                .http
                .post(&self.url)
                .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
                .header("SOAPAction", "\"\"")
                .timeout(call.timeout)
                .body(body);
            let request = call.traced(request);
            let outcome = match received(request, &mut exchange).await {
                Ok((status, headers, bytes)) => {
                    let (answering, after) = ((call.service, call.trembita), retry_after(&headers));
                    classify(answering, &header, status, after, &bytes)
                }
                Err(unanswered) => unanswered,
            };
            Answered { outcome, exchange }
        })
    }

    /// SOAP calls are answered in the same exchange; there is nothing to poll.
    fn poll<'a>(&'a self, poll: Poll<'a>) -> Answer<'a> {
        Box::pin(async move {
            let (service, url) = (poll.service, poll.url);
            let mut exchange = Exchange::new(Protocol::TrembitaSoap, url, b"");
            exchange.answered(None, None);
            let outcome = Outcome::Refused(format!(
                "послуга {} через Трембіту (SOAP) не має адреси стану для опитування",
                service.id
            ));
            Answered { outcome, exchange }
        })
    }
}

/// What a SOAP answer means.
pub fn classify(
    (service, trembita): (&Service, Option<&TrembitaService>),
    sent: &Header,
    status: StatusCode,
    after: Option<Duration>,
    body: &[u8],
) -> Outcome {
    if status == StatusCode::TOO_MANY_REQUESTS {
        let reason = format!("реєстр відповів {status}");
        return retry(CallOutcome::RateLimited, &reason, after);
    }
    let envelope = match soap::parse(body) {
        Ok(envelope) => envelope,
        Err(e) if status.is_success() || status.is_server_error() => {
            let trouble = match status.is_success() {
                true => CallOutcome::BadAnswer,
                false => CallOutcome::ServerError,
            };
            let reason = format!("відповідь {status} не є повідомленням SOAP: {e}");
            return retry(trouble, &reason, after);
        }
        Err(_) => return super::classify(service, status, after, body),
    };
    match envelope {
        Envelope::Fault(fault) => faults::classify(&fault.code, &fault.string),
        Envelope::Message { header, body } => {
            if header.id != sent.id {
                let reason = "відповідь на інше повідомлення (xrd:id не збігається)";
                return retry(CallOutcome::BadAnswer, reason, None);
            }
            let expected = format!("{}Response", sent.service.code);
            if body.name != expected {
                let reason = format!("тіло відповіді {} замість {expected}", body.name);
                return retry(CallOutcome::BadAnswer, &reason, None);
            }
            if !status.is_success() {
                return super::classify(service, status, after, b"");
            }
            read_answer(service, trembita, &body)
        }
    }
}

/// The outcome of an answer's body element: the outputs, or the wrapped answer read as declared.
fn read_answer(
    service: &Service,
    trembita: Option<&TrembitaService>,
    body: &super::xml::Element,
) -> Outcome {
    let wrapping = trembita.and_then(|t| t.answer.as_ref());
    if let Some(answer) = wrapping {
        let fields = soap::outputs(body, &crate::form::Shape::Any);
        return wrapped::read(service, answer, &fields);
    }
    let outputs = soap::outputs(body, &service.output_shape);
    if !service.output_validator.is_valid(&outputs) {
        let reason = "відповідь реєстру не відповідає схемі результату";
        return retry(CallOutcome::BadAnswer, reason, None);
    }
    Outcome::Succeeded(outputs)
}

/// A call to a service that has no Trembita declaration (the start refuses such settings; a
/// service's file changed since is caught here).
pub(super) fn undeclared(service: &Service, protocol: Protocol) -> Answered {
    let mut exchange = Exchange::new(protocol, "", b"");
    exchange.answered(None, None);
    let outcome = Outcome::Refused(format!(
        "послугу {} не оголошено в Трембіті (немає trembita: у файлі послуги)",
        service.id
    ));
    Answered { outcome, exchange }
}

impl Exchange {
    /// An exchange that has just sent `body` under `message_id`.
    pub(super) fn new(protocol: Protocol, message_id: &str, body: &[u8]) -> Self {
        let now = super::adapter::now_ms();
        Self {
            protocol,
            message_id: message_id.to_owned(),
            request_hash: digest(body),
            response_hash: None,
            status: None,
            sent_at: now,
            answered_at: now,
        }
    }
}
