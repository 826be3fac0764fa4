//! `onestop-rest`: onestop's own dialect. `POST {url}/{registry}/{service}` with the input as
//! JSON, the call's `Idempotency-Key` and the callback address; the answer is classified by its
//! HTTP status (`classify`), a 202 waited for by callback or by polling its `Location`.

use super::adapter::{Adapter, Answer, Answered, Call, Exchange, Poll, Protocol, digest, now_ms};
use super::{Outcome, classify, location, retry, retry_after, signature};
use crate::bundle::Service;
use crate::telemetry::CallOutcome;

/// Calls registries in onestop's REST dialect.
#[derive(Clone)]
pub struct OnestopRest {
    http: reqwest::Client,
    base_url: String,
}

impl OnestopRest {
    pub fn new(http: reqwest::Client, base_url: &str) -> Self {
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The endpoint of a service: `{base}/{registry}/{service}`.
    pub fn endpoint(&self, service: &Service) -> String {
        format!("{}/{}/{}", self.base_url, service.registry, service.id)
    }
}

impl Adapter for OnestopRest {
    fn protocol(&self) -> Protocol {
        Protocol::OnestopRest
    }

    fn call<'a>(&'a self, call: Call<'a>) -> Answer<'a> {
        Box::pin(async move {
            let endpoint = self.endpoint(call.service);
            let body = serde_json::to_vec(call.request).unwrap_or_default();
            let mut exchange = Exchange::new(Protocol::OnestopRest, call.idempotency_key, &body);
            let mut request = self
                .http
                .post(&endpoint)
                .header("Idempotency-Key", call.idempotency_key)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .timeout(call.timeout)
                .body(body);
            if let Some(url) = call.callback_url {
                request = request.header(signature::CALLBACK_URL_HEADER, url);
            }
            let request = call.traced(request);
            let outcome = send(call.service, &endpoint, request, &mut exchange).await;
            Answered { outcome, exchange }
        })
    }

    fn poll<'a>(&'a self, poll: Poll<'a>) -> Answer<'a> {
        Box::pin(async move {
            let (service, url, timeout) = (poll.service, poll.url, poll.timeout);
            let mut exchange = Exchange::new(Protocol::OnestopRest, url, b"");
            let request = self.http.get(url).timeout(timeout);
            let outcome = send(service, url, request, &mut exchange).await;
            Answered { outcome, exchange }
        })
    }
}

impl Exchange {
    /// Note the answer (`None`: none came).
    pub(super) fn answered(&mut self, status: Option<u16>, body: Option<&[u8]>) {
        self.answered_at = now_ms();
        self.status = status;
        self.response_hash = body.map(digest);
    }
}

/// Send a request and classify what comes back (an HTTP status and a JSON body).
async fn send(
    service: &Service,
    url: &str,
    request: reqwest::RequestBuilder,
    exchange: &mut Exchange,
) -> Outcome {
    let (status, headers, body) = match received(request, exchange).await {
        Ok(answer) => answer,
        Err(unanswered) => return unanswered,
    };
    match classify(service, status, retry_after(&headers), &body) {
        Outcome::Accepted { after, .. } => Outcome::Accepted {
            status_url: location(&headers, url),
            after,
        },
        other => other,
    }
}

/// Send a request and take its whole answer, noting it in `exchange`; the outcome of a request
/// that got none (or one cut off), for every protocol alike.
pub(super) async fn received(
    request: reqwest::RequestBuilder,
    exchange: &mut Exchange,
) -> Result<
    (
        reqwest::StatusCode,
        reqwest::header::HeaderMap,
        actix_web::web::Bytes,
    ),
    Outcome,
> {
    let response = request.send().await.map_err(|e| {
        exchange.answered(None, None);
        unreachable(&e)
    })?;
    let (status, headers) = (response.status(), response.headers().clone());
    let body = response.bytes().await.map_err(|e| {
        exchange.answered(Some(status.as_u16()), None);
        unreachable(&e)
    })?;
    exchange.answered(Some(status.as_u16()), Some(&body));
    Ok((status, headers, body))
}

/// A request that got no answer: a timeout, or a registry (or security server) out of reach.
/// The log line names the cause (a refused TLS handshake reads as such), never the data.
pub(super) fn unreachable(e: &reqwest::Error) -> Outcome {
    if e.is_timeout() {
        return retry(
            CallOutcome::Timeout,
            "реєстр не відповів вчасно (timeout)",
            None,
        );
    }
    let cause = error_chain(e);
    match super::tls::handshake_failure(e) {
        Some(tls) => {
            tracing::warn!(%tls, error = %cause, "Registry unreachable: TLS handshake failed")
        }
        None => tracing::warn!(error = %cause, "Registry unreachable"),
    }
    retry(
        CallOutcome::Unreachable,
        &format!("реєстр недоступний: {cause}"),
        None,
    )
}

/// An error and its sources, one after another (reqwest's own says only "error sending
/// request"; the TLS alert that caused it is further down).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
