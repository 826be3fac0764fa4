//! One call to a simulated registry, whatever protocol carried it: validate the input against
//! the service's form (under any version of it), apply the refusal rules, the rate limit and a
//! failure before the effect, make the effect (once per key), then fail after it or hang, and
//! give the outputs at once or hold them back. The result is a protocol-neutral `Reply` that
//! each protocol renders in its own dialect (`rest` for onestop REST, `trembita` for the security
//! server's SOAP and UXP REST).
//!
//! Each protocol first counts the call and waits the latency (`arrive`), so the order a call
//! meets is the same in every dialect: latency, input (422), refusals (400), rate limit (429),
//! failure before the effect (503), the effect, failure after it (503) or a hang, the answer.
//! Every wait is a `tokio::time::sleep` with no lock held, so one slow call never holds up
//! another on the sandbox's single worker.

use super::Sandbox;
use super::asynchronous;
use super::behaviour::{Behaviour, Fate, Mode};
use super::state::{Effect, Making};
use crate::bundle::Service;
use crate::form::FieldError;
use crate::registry::Protocol;
use serde_json::Value;
use std::time::{Duration, Instant};

/// A call as the registry sees it once its protocol was read.
pub(super) struct Incoming<'a> {
    pub service: &'a Service,
    /// The idempotency key (`Idempotency-Key`, `xrd:id`, `Uxp-QueryID`): one effect per key.
    pub key: String,
    /// Where a late answer may be posted (onestop REST's `Callback-Url`).
    pub callback_url: Option<String>,
    /// The request as JSON.
    pub request: Value,
    pub behaviour: Behaviour,
}

/// How the registry answers a call, before any protocol writes it down.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Reply {
    /// The input does not satisfy the service's form: every problem, at its pointer.
    Invalid(Vec<FieldError>),
    /// The input breaks refusal rules: each broken rule's pointer and words.
    Refused(Vec<(String, String)>),
    /// Too many requests: try again after that many seconds.
    RateLimited { seconds: u64 },
    /// The registry failed, before the effect or after it (then only a repeat learns it).
    Unavailable { after_effect: bool },
    /// The outputs.
    Answered(Value),
    /// The outputs are held back `remaining`; `status_url`: the caller may ask at a status URL
    /// (false when a callback will carry them).
    Pending {
        remaining: Duration,
        status_url: bool,
    },
}

/// Count a call to `service` by `protocol`, and wait its latency: the behaviour it meets.
pub(super) async fn arrive(sandbox: &Sandbox, service: &Service, protocol: Protocol) -> Behaviour {
    sandbox.state().count_call(service.id.as_str(), protocol);
    let behaviour = (sandbox.behaviours().for_service(service.id.as_str())).clone();
    if let Some(latency) = behaviour.latency {
        tokio::time::sleep(latency.sample()).await;
    }
    behaviour
}

/// What the registry makes of a call that has arrived.
pub(super) async fn handle(sandbox: &Sandbox, incoming: Incoming<'_>) -> Reply {
    let Incoming {
        service,
        key,
        callback_url,
        request,
        behaviour,
    } = incoming;
    let versions = sandbox.versions(&service.registry, service.id.as_str());
    if let Err(errors) = validate(versions, &request) {
        return Reply::Invalid(errors);
    }
    sandbox.state().note_received(service.id.as_str(), &request);
    let refusals = behaviour.refusals(&request);
    if !refusals.is_empty() {
        let rules = refusals
            .iter()
            .map(|r| (r.pointer.clone(), r.message.clone()));
        return Reply::Refused(rules.collect());
    }
    if let Some(seconds) = behaviour.rate_limited() {
        return Reply::RateLimited { seconds };
    }
    let fate = behaviour.roll();
    if fate == Fate::FailBefore {
        return Reply::Unavailable {
            after_effect: false,
        };
    }
    let (effect, fresh) = make_effect(sandbox, service, &key, callback_url, &request, &behaviour);
    match fate {
        Fate::FailAfter => return Reply::Unavailable { after_effect: true },
        Fate::Hang(wait) => tokio::time::sleep(wait).await,
        Fate::Answer | Fate::FailBefore => {}
    }
    let must_wait = fresh && behaviour.asynchronous.is_some();
    reply(&effect, must_wait)
}

/// The reply for an effect: its outputs once they may be given (and `must_wait` is false), else
/// how long they are held back.
pub(super) fn reply(effect: &Effect, must_wait: bool) -> Reply {
    let remaining = effect.ready_at.saturating_duration_since(Instant::now());
    if !must_wait && remaining.is_zero() {
        return Reply::Answered(effect.outputs.clone());
    }
    Reply::Pending {
        remaining,
        status_url: !effect.callback,
    }
}

/// Ok when the request satisfies the form of some version of the service (the current one is
/// first), else every problem the current one finds.
fn validate<'a>(
    mut versions: impl Iterator<Item = &'a Service>,
    request: &Value,
) -> Result<(), Vec<FieldError>> {
    let Some(service) = versions.next() else {
        return Ok(());
    };
    if versions.any(|earlier| earlier.input_validator.is_valid(request)) {
        return Ok(());
    }
    let errors: Vec<FieldError> = service
        .input_validator
        .iter_errors(request)
        .map(|e| FieldError {
            pointer: e.instance_path().as_str().to_owned(),
            message: e.to_string().into(),
            services: vec![service.id.to_string()],
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Make the effect of this key, or find the one made before; a fresh effect that a callback
/// will carry gets its callback scheduled, once.
fn make_effect(
    sandbox: &Sandbox,
    service: &Service,
    key: &str,
    callback_url: Option<String>,
    request: &Value,
    behaviour: &Behaviour,
) -> (Effect, bool) {
    let hold = behaviour
        .asynchronous
        .map_or(Duration::ZERO, |a| Duration::from_millis(a.delay_ms));
    let callback_url = behaviour
        .asynchronous
        .filter(|a| a.mode == Mode::Callback)
        .and(callback_url);
    let making = Making {
        hold,
        callback: callback_url.is_some(),
    };
    let (effect, fresh) = sandbox.state().effect(service, key, request, making);
    if fresh && let Some(url) = callback_url {
        asynchronous::schedule_callback(sandbox, &service.registry, url, &effect);
    }
    (effect, fresh)
}
