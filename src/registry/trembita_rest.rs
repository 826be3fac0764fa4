//! `trembita-rest`: UXP's REST dialect as Trembita documents it. `POST {security server}/restapi`
//! with the input as JSON and the UXP headers: `Uxp-Client` (onestop's subsystem),
//! `Uxp-Service` (the registry's service), `Uxp-QueryID` (the message id, the same on every
//! attempt), `Uxp-UserId`, `Uxp-Issue`, and — for the personal-data access monitoring —
//! `Uxp-Purpose-Ids` (why, from the bundle) and `Uxp-Subject-Id` (whose data, from the service's
//! declaration). The security server passes the registry's HTTP answer through; its own errors
//! carry `Uxp-Error` and a JSON body `{"type", "message"}`, classified as SOAP faults are.

use super::adapter::{
    Adapter, Answer, Answered, Call, Exchange, Poll, Protocol, message_id, user_id,
};
use super::onestop_rest::received;
use super::soap::Subsystem;
use super::trembita_soap::undeclared;
use super::{Outcome, classify, faults, location, retry_after, wrapped};
use crate::bundle::Service;
use crate::bundle::trembita::TrembitaService;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The header a security server names its own error in.
pub const ERROR_HEADER: &str = "Uxp-Error";

/// Calls registries through a security server, in UXP REST.
#[derive(Clone)]
pub struct TrembitaRest {
    http: reqwest::Client,
    /// `{security server}/restapi`.
    url: String,
    client: Subsystem,
}

/// The UXP headers of one call, in the order they are sent.
pub fn headers(client: &Subsystem, call: &Call<'_>) -> Option<Vec<(&'static str, String)>> {
    let trembita = call.trembita?;
    let mut headers = addressed(client, trembita, message_id(call.idempotency_key));
    headers.extend([
        ("Uxp-UserId", user_id(call.user)),
        ("Uxp-Issue", call.application.to_owned()),
    ]);
    if !call.purposes.is_empty() {
        headers.push(("Uxp-Purpose-Ids", call.purposes.join(",")));
    }
    let subject = (trembita.subject.as_deref())
        .and_then(|pointer| call.request.pointer(pointer))
        .and_then(Value::as_str);
    if let Some(subject) = subject {
        headers.push(("Uxp-Subject-Id", subject.to_owned()));
    }
    Some(headers)
}

/// The headers that address a message: who sends it, to which service, under which id.
fn addressed(
    client: &Subsystem,
    trembita: &TrembitaService,
    id: String,
) -> Vec<(&'static str, String)> {
    vec![
        ("Uxp-Client", client.path()),
        (
            "Uxp-Service",
            format!("{}/{}", client.instance, trembita.path()),
        ),
        ("Uxp-QueryID", id),
    ]
}

impl TrembitaRest {
    pub fn new(http: reqwest::Client, security_server: &str, client: Subsystem) -> Self {
        Self {
            http,
            url: format!("{}/restapi", security_server.trim_end_matches('/')),
            client,
        }
    }
}

impl Adapter for TrembitaRest {
    fn protocol(&self) -> Protocol {
        Protocol::TrembitaRest
    }

    fn call<'a>(&'a self, call: Call<'a>) -> Answer<'a> {
        Box::pin(async move {
            let Some(headers) = headers(&self.client, &call) else {
                return undeclared(call.service, Protocol::TrembitaRest);
            };
            let body = serde_json::to_vec(call.request).unwrap_or_default();
            let id = message_id(call.idempotency_key);
            let mut exchange = Exchange::new(Protocol::TrembitaRest, &id, &body);
            let mut request = (self.http.post(&self.url))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .timeout(call.timeout)
                .body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            let request = call.traced(request);
            let answering = (call.service, call.trembita);
            let outcome = self.send(answering, request, &mut exchange).await;
            Answered { outcome, exchange }
        })
    }

    /// A registry that answered 202 is asked at its status URL, through the security server,
    /// addressed as the call was (the poll is a message of its own: its id is derived from the
    /// status URL, the same on every poll).
    fn poll<'a>(&'a self, poll: Poll<'a>) -> Answer<'a> {
        Box::pin(async move {
            let Some(trembita) = poll.trembita else {
                return undeclared(poll.service, Protocol::TrembitaRest);
            };
            let id = message_id(poll.url);
            let mut exchange = Exchange::new(Protocol::TrembitaRest, &id, b"");
            let mut request = self.http.get(poll.url).timeout(poll.timeout);
            for (name, value) in addressed(&self.client, trembita, id) {
                request = request.header(name, value);
            }
            let answering = (poll.service, poll.trembita);
            let outcome = self.send(answering, request, &mut exchange).await;
            Answered { outcome, exchange }
        })
    }
}

impl TrembitaRest {
    async fn send(
        &self,
        answering: (&Service, Option<&TrembitaService>),
        request: reqwest::RequestBuilder,
        exchange: &mut Exchange,
    ) -> Outcome {
        match received(request, exchange).await {
            Ok((status, headers, body)) => read(answering, status, &headers, &body, &self.url),
            Err(unanswered) => unanswered,
        }
    }
}

/// What an answer through the security server means: the security server's own error, a
/// wrapped answer, or the registry's answer classified as onestop REST's is.
pub fn read(
    (service, trembita): (&Service, Option<&TrembitaService>),
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    called: &str,
) -> Outcome {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error_code = (headers.get(ERROR_HEADER))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(code) = error_code {
        let message = (parsed.as_ref())
            .and_then(|p| p.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("");
        return faults::classify(&code, message);
    }
    let wrapping = trembita.and_then(|t| t.answer.as_ref());
    if let (Some(answer), true, Some(fields)) = (wrapping, status == StatusCode::OK, &parsed) {
        return wrapped::read(service, answer, fields);
    }
    match classify(service, status, retry_after(headers), body) {
        Outcome::Accepted { after, .. } => Outcome::Accepted {
            status_url: location(headers, called),
            after,
        },
        other => other,
    }
}
