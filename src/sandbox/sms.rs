//! The sandbox's SMS gateway: `POST /_sandbox/sms` takes `{"to": "+380…", "text": "…"}` as a
//! real gateway would (202), and `GET /_sandbox/messages` lists what it was asked to send
//! (`to`, `text`, `at`), so that tests, the demo and outside checks can read a one-time code.
//! Nothing is sent anywhere.

use super::Sandbox;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// What the gateway keeps of one message.
#[derive(Debug, Clone)]
pub(super) struct Sent {
    to: String,
    text: String,
    at: jiff::Timestamp,
}

/// The body of a message to send.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Message {
    to: String,
    text: String,
}

/// The most messages kept; older ones are dropped.
const KEPT: usize = 10_000;

/// `POST /_sandbox/sms`.
pub(super) async fn send(
    sandbox: web::Data<Sandbox>,
    body: Result<web::Json<Message>, actix_web::Error>,
) -> HttpResponse {
    let Ok(body) = body else {
        return HttpResponse::BadRequest().json(
            json!({ "errors": [{ "pointer": "", "message": "expected {\"to\", \"text\"}" }] }),
        );
    };
    let phone = body.to.strip_prefix('+').unwrap_or(&body.to);
    if phone.len() < 10 || phone.len() > 15 || !phone.bytes().all(|b| b.is_ascii_digit()) {
        return HttpResponse::UnprocessableEntity()
            .json(json!({ "errors": [{ "pointer": "/to", "message": "not a phone number" }] }));
    }
    let mut messages = sandbox.messages();
    if messages.len() >= KEPT {
        messages.remove(0);
    }
    messages.push(Sent {
        to: body.to.clone(),
        text: body.text.clone(),
        at: jiff::Timestamp::now(),
    });
    HttpResponse::Accepted().json(json!({ "status": "queued" }))
}

/// `GET /_sandbox/messages`: every message asked for, oldest first.
pub(super) async fn messages(sandbox: web::Data<Sandbox>) -> HttpResponse {
    let messages: Vec<_> = (sandbox.messages().iter())
        .map(|m| json!({ "to": m.to, "text": m.text, "at": m.at.to_string() }))
        .collect();
    HttpResponse::Ok().json(json!({ "messages": messages }))
}
