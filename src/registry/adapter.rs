//! One trait for every registry protocol: an adapter turns a call into a request in its dialect
//! and the answer into the one `Outcome` classification, and says what it exchanged (the
//! message log). Which adapter a registry gets is configuration (`registries.protocol`,
//! `registries.overrides.<registry>.protocol`); adding a protocol is one file beside this one.

use super::Outcome;
use crate::bundle::Service;
use crate::bundle::trembita::TrembitaService;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A registry protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// onestop's own REST dialect (`POST {url}/{registry}/{service}`, `Idempotency-Key`).
    OnestopRest,
    /// X-Road Message Protocol for SOAP 4.0 through a Trembita security server.
    TrembitaSoap,
    /// UXP's REST dialect through a Trembita security server (`POST {ss}/restapi`).
    TrembitaRest,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Self::OnestopRest, Self::TrembitaSoap, Self::TrembitaRest];

    pub fn name(self) -> &'static str {
        match self {
            Self::OnestopRest => "onestop-rest",
            Self::TrembitaSoap => "trembita-soap",
            Self::TrembitaRest => "trembita-rest",
        }
    }

    /// Whether calls go through a Trembita security server (and so need the service's
    /// `trembita:` declaration).
    pub fn is_trembita(self) -> bool {
        self != Self::OnestopRest
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One call to a registry: what the adapter needs to write it in its dialect.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub service: &'a Service,
    /// The request (the service's input, JSON).
    pub request: &'a Value,
    /// The same on every attempt of this call, so that a repeat makes no second effect.
    pub idempotency_key: &'a str,
    /// Where the registry may post a late answer (onestop REST only).
    pub callback_url: Option<&'a str>,
    /// The application number (`xrd:issue`).
    pub application: &'a str,
    /// Who the call acts for: the staff member's identifier, or the institution's.
    pub user: &'a str,
    /// Why the data is processed (`Uxp-Purpose-Ids`), from the bundle.
    pub purposes: &'a [String],
    pub timeout: Duration,
    /// Where the service lives on Trembita: its declaration in the application's version of
    /// the definitions, else in the current one (where a registry lives is the deployment's
    /// fact, not the application's; see `Dispatcher::send`).
    pub trembita: Option<&'a TrembitaService>,
    /// The id of the request that submitted the application, sent as `X-Request-Id` so that
    /// a registry's log and onestop's can be matched.
    pub request_id: Option<&'a str>,
}

/// The header a call's `request_id` goes in, whatever the protocol.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";

impl Call<'_> {
    /// `request` with the call's request id, when it has one.
    pub fn traced(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.request_id {
            Some(id) => request.header(REQUEST_ID_HEADER, id),
            None => request,
        }
    }
}

/// Asking a registry that accepted a call (202) for its result.
#[derive(Debug, Clone, Copy)]
pub struct Poll<'a> {
    pub service: &'a Service,
    /// The status URL the registry gave.
    pub url: &'a str,
    pub timeout: Duration,
    /// As `Call::trembita`.
    pub trembita: Option<&'a TrembitaService>,
}

/// One exchange with a registry, as the message log keeps it: evidence of what was sent and
/// answered, without the personal data itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub protocol: Protocol,
    /// The message's id (`xrd:id`, `Uxp-QueryID`, or the `Idempotency-Key`).
    pub message_id: String,
    /// SHA-256 of the request's bytes, base64.
    pub request_hash: String,
    /// SHA-256 of the answer's bytes, base64 (none: no answer came).
    pub response_hash: Option<String>,
    /// The answer's HTTP status (none: no answer came).
    pub status: Option<u16>,
    /// When the request went and the answer came (ms since the epoch).
    pub sent_at: i64,
    pub answered_at: i64,
}

impl From<Exchange> for crate::store::Message {
    fn from(e: Exchange) -> Self {
        Self {
            protocol: e.protocol.name(),
            message_id: e.message_id,
            request_hash: e.request_hash,
            response_hash: e.response_hash,
            http_status: e.status,
            sent_at: e.sent_at,
            answered_at: e.answered_at,
        }
    }
}

/// An outcome and the exchange it came from.
#[derive(Debug, Clone)]
pub struct Answered {
    pub outcome: Outcome,
    pub exchange: Exchange,
}

/// The future of an adapter's answer.
pub type Answer<'a> = Pin<Box<dyn Future<Output = Answered> + Send + 'a>>;

/// A registry protocol's adapter.
pub trait Adapter: Send + Sync {
    fn protocol(&self) -> Protocol;

    /// Send one call and classify its answer.
    fn call<'a>(&'a self, call: Call<'a>) -> Answer<'a>;

    /// Ask for the result of a call the registry accepted (202) at its status URL.
    fn poll<'a>(&'a self, poll: Poll<'a>) -> Answer<'a>;
}

/// The adapter of each registry: the default protocol's, and those of the registries that
/// override it.
#[derive(Clone)]
pub struct Adapters {
    default: Arc<dyn Adapter>,
    by_registry: BTreeMap<String, Arc<dyn Adapter>>,
}

impl Adapters {
    pub fn new(default: Arc<dyn Adapter>, by_registry: BTreeMap<String, Arc<dyn Adapter>>) -> Self {
        Self {
            default,
            by_registry,
        }
    }

    /// The adapter that reaches `registry`.
    pub fn of(&self, registry: &str) -> &dyn Adapter {
        self.by_registry
            .get(registry)
            .unwrap_or(&self.default)
            .as_ref()
    }
}

/// SHA-256 of `bytes`, base64 (standard alphabet, padded), as the message log keeps hashes.
pub fn digest(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
}

/// Milliseconds since the epoch, now.
pub(super) fn now_ms() -> i64 {
    crate::store::now_ms()
}

/// A message id for the call with `key`: a UUID, the same on every attempt (so a security server
/// and the registry behind it see a repeat as one message), derived from the key by SHA-256 when
/// the key is not a UUID itself.
pub fn message_id(key: &str) -> String {
    use sha2::Digest;
    if let Ok(id) = uuid::Uuid::parse_str(key) {
        return id.hyphenated().to_string();
    }
    let hash = sha2::Sha256::digest(key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Who a call acts for as X-Road wants it: a two-letter country code, then the identifier.
pub fn user_id(user: &str) -> String {
    format!("UA{user}")
}
