//! The simulated registries: real HTTP servers that act like the state registries behind each
//! service. They validate input against the service's form, answer with realistic outputs
//! (a valid RNOKPP, a UNZR with its check digit, act record numbers), and give the same answer
//! for a repeated `Idempotency-Key`, so a retried call makes no second effect.
//!
//! On request they misbehave (`Behaviours`: latency, 503 before or after the effect, hangs,
//! 429, refusals, 202 answered by polling or by a signed callback), so tests and benchmarks can
//! prove that retries and crashes never make a second effect. Without knobs every valid call is
//! answered at once, 200. `/_sandbox/stats` counts calls and effects, `/_sandbox/behaviour`
//! reads and replaces the knobs at runtime. It is also the SMS gateway of the demo and the tests
//! (`POST /_sandbox/sms`, and `GET /_sandbox/messages` to read what was sent).
//!
//! It is also a Trembita security server (`trembita`): the same registries reached in X-Road
//! SOAP at `POST /trembita` and in UXP REST at `POST /trembita/restapi`, each service's WSDL at
//! `GET /trembita/wsdl/{service}`; `/_sandbox/stats` counts each service's calls by protocol.
//!
//! The sandbox shares the compiled definitions with the server but nothing else: onestop talks
//! to it only over HTTP, exactly as it would to a real registry.

mod asynchronous;
mod behaviour;
mod call;
mod control;
mod generate;
mod rest;
mod sms;
mod state;
mod trembita;

pub use behaviour::{
    Asynchronous, Behaviour, BehaviourError, Behaviours, Latency, Mode, Problem, RateLimit, Refusal,
};

use crate::bundle::{Catalog, Service};
use crate::registry::signature::Secrets;
use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, dev::Server, web};
use serde_json::json;
use state::State;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How the sandbox behaves and what it signs its callbacks with.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    pub behaviours: Behaviours,
    /// The secret each registry signs its callbacks with (`signature::sign`).
    pub secrets: Secrets,
    /// Where to note every answered call's time, for a benchmark (none: nothing is noted).
    pub answer_log: Option<AnswerLog>,
}

/// Every answered call's `Idempotency-Key`, when it arrived, the time it took in the sandbox
/// (arrival to answer) and its status: what a benchmark needs to know each application's own
/// critical path (the longest chain of its calls as the registries answered them), where the
/// time between its calls went, and what a registry that was down was asked. Kept only when
/// asked for, since it grows with every call.
#[derive(Debug, Clone, Default)]
pub struct AnswerLog(Arc<Mutex<Vec<Answered>>>);

/// One answered call in the `AnswerLog`.
#[derive(Debug, Clone)]
pub struct Answered {
    pub key: String,
    pub arrived: jiff::Timestamp,
    pub took: Duration,
    /// The answer's HTTP status: a benchmark that takes a registry down tells the calls it
    /// refused (503) from those it answered.
    pub status: u16,
}

impl AnswerLog {
    fn note(&self, answered: Answered) {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        log.push(answered);
    }

    /// What was noted so far, leaving the log empty.
    pub fn take(&self) -> Vec<Answered> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

struct Sandbox {
    catalog: Arc<Catalog>,
    state: Mutex<State>,
    behaviours: Mutex<Behaviours>,
    secrets: Secrets,
    answer_log: Option<AnswerLog>,
    /// Posts callbacks; built once.
    client: reqwest::Client,
    /// What the SMS gateway was asked to send.
    messages: Mutex<Vec<sms::Sent>>,
}

/// Serve the simulated registries on an already-bound listener, with one worker: every wait is
/// asynchronous, so a hanging call does not hold up the others.
pub fn serve(
    listener: TcpListener,
    catalog: Arc<Catalog>,
    options: SandboxOptions,
) -> std::io::Result<Server> {
    let problems = problems(&options.behaviours, &catalog);
    if !problems.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("sandbox behaviour: {}", behaviour::describe(&problems)),
        ));
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(std::io::Error::other)?;
    let sandbox = web::Data::new(Sandbox {
        catalog,
        state: Mutex::new(State::new()),
        behaviours: Mutex::new(options.behaviours),
        secrets: options.secrets,
        answer_log: options.answer_log,
        client,
        messages: Mutex::new(Vec::new()),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(sandbox.clone())
            .app_data(web::PayloadConfig::new(1 << 20))
            .route("/_sandbox/stats", web::get().to(control::stats))
            .route(
                "/_sandbox/received/{service}",
                web::get().to(control::received),
            )
            .route("/_sandbox/sms", web::post().to(sms::send))
            .route("/_sandbox/messages", web::get().to(sms::messages))
            .service(
                web::resource("/_sandbox/behaviour")
                    .route(web::get().to(control::behaviour))
                    .route(web::put().to(control::replace_behaviour)),
            )
            .route(
                "/_sandbox/headers/{service}",
                web::get().to(control::headers),
            )
            .route(
                "/_sandbox/status/{registry}/{service}/{key}",
                web::get().to(rest::status),
            )
            .configure(trembita::routes)
            .route("/{registry}/{service}", web::post().to(rest::call))
    })
    .workers(1)
    .listen(listener)?
    .disable_signals()
    .run();
    Ok(server)
}

/// Everything wrong with a behaviour: values out of range, and services the catalog lacks.
fn problems(behaviours: &Behaviours, catalog: &Catalog) -> Vec<Problem> {
    let mut problems = behaviours.validate().err().unwrap_or_default();
    for service in behaviours.services.keys() {
        if catalog.service(&service).is_none() {
            problems.push(Problem {
                pointer: format!(
                    "/services/{}",
                    service.replace('~', "~0").replace('/', "~1")
                ),
                message: format!("unknown service \"{service}\""),
            });
        }
    }
    problems
}

impl Sandbox {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn messages(&self) -> MutexGuard<'_, Vec<sms::Sent>> {
        self.messages.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn behaviours(&self) -> MutexGuard<'_, Behaviours> {
        self.behaviours.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The service `registry` performs under that id.
    fn service(&self, registry: &str, service: &str) -> Option<&Service> {
        let current = self.catalog.service(service);
        let earlier = (self.catalog.earlier.values().rev()).filter_map(|c| c.service(service));
        current
            .into_iter()
            .chain(earlier)
            .find(|s| s.registry == registry)
    }

    /// The service under every version of the definitions onestop has used, the current one
    /// first: a registry accepts what an application submitted under any of them sends.
    fn versions<'a>(
        &'a self,
        registry: &'a str,
        service: &'a str,
    ) -> impl Iterator<Item = &'a Service> + 'a {
        (self.catalog.versions_of(service)).filter(move |s| s.registry == registry)
    }
}

/// What an endpoint answered, for which service (none: it found none) and key.
struct Served {
    service: Option<String>,
    key: Option<String>,
    response: HttpResponse,
}

/// Serve a call and count the time it took, arrival to answer (`/_sandbox/stats`), so a
/// benchmark knows the registries' own latency as served rather than as asked; note it in the
/// answer log if one is kept.
async fn timed(
    sandbox: &Sandbox,
    serve: impl std::future::Future<Output = Served>,
) -> HttpResponse {
    let arrived = Instant::now();
    // For a benchmark's log only: the wall-clock time of arrival.
    let wall = sandbox.answer_log.as_ref().map(|_| jiff::Timestamp::now());
    let served = serve.await;
    let took = arrived.elapsed();
    if let Some(service) = &served.service {
        sandbox.state().count_answer(service, took);
    }
    if let (Some(log), Some(arrived), Some(key)) = (&sandbox.answer_log, wall, served.key) {
        let status = served.response.status().as_u16();
        log.note(Answered {
            key,
            arrived,
            took,
            status,
        });
    }
    served.response
}

/// An error answer in the one shape: `{"errors":[{"pointer","message"}]}`.
fn error(status: StatusCode, pointer: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .json(json!({ "errors": [{ "pointer": pointer, "message": message }] }))
}

fn unknown_service(registry: &str, service: &str) -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        "",
        &format!("реєстр {registry} не надає послуги {service}"),
    )
}
