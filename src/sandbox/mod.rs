//! The simulated registries: real HTTP servers that act like the state registries behind each
//! service. They validate input against the service's form, answer with realistic outputs
//! (a valid RNOKPP, a UNZR with its check digit, act record numbers), and give the same answer
//! for a repeated `Idempotency-Key`, so a retried call makes no second effect.
//!
//! The sandbox shares the compiled definitions with the server but nothing else: onestop talks
//! to it only over HTTP, exactly as it would to a real registry.

mod generate;

use crate::bundle::{Catalog, ServiceId};
use crate::form::FieldError;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::Server, web};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// What the sandbox remembers: answers by idempotency key, and counts for tests.
#[derive(Default)]
struct State {
    answers: HashMap<(String, String), Value>,
    calls: BTreeMap<String, u64>,
    effects: BTreeMap<String, u64>,
    next_act_record: u64,
}

struct Sandbox {
    catalog: Arc<Catalog>,
    state: Mutex<State>,
}

/// Serve the simulated registries on an already-bound listener.
pub fn serve(listener: TcpListener, catalog: Arc<Catalog>) -> std::io::Result<Server> {
    let sandbox = web::Data::new(Sandbox {
        catalog,
        state: Mutex::new(State {
            next_act_record: 1,
            ..State::default()
        }),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(sandbox.clone())
            .app_data(web::PayloadConfig::new(1 << 20))
            .route("/_sandbox/stats", web::get().to(stats))
            .route("/{registry}/{service}", web::post().to(call))
    })
    .workers(1)
    .listen(listener)?
    .disable_signals()
    .run();
    Ok(server)
}

async fn stats(sandbox: web::Data<Sandbox>) -> HttpResponse {
    let state = sandbox.state.lock().unwrap_or_else(|e| e.into_inner());
    let services: BTreeMap<&String, Value> = state
        .calls
        .iter()
        .map(|(service, calls)| (service, json!({ "calls": calls, "effects": state.effects.get(service).copied().unwrap_or(0) })))
        .collect();
    HttpResponse::Ok().json(services)
}

fn error(status: actix_web::http::StatusCode, pointer: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .json(json!({ "errors": [{ "pointer": pointer, "message": message }] }))
}

async fn call(
    sandbox: web::Data<Sandbox>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    let (registry, service_id) = path.into_inner();
    let Some(service) = sandbox
        .catalog
        .service(&ServiceId(service_id.clone()))
        .filter(|s| s.registry == registry)
    else {
        return error(
            StatusCode::NOT_FOUND,
            "",
            &format!("реєстр {registry} не надає послуги {service_id}"),
        );
    };
    let Some(key) = req
        .headers()
        .get("Idempotency-Key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "",
            "потрібен заголовок Idempotency-Key",
        );
    };
    *sandbox
        .state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .calls
        .entry(service_id.clone())
        .or_default() += 1;
    let request: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "",
                &format!("тіло запиту не є JSON: {e}"),
            );
        }
    };
    let errors: Vec<FieldError> = service
        .input_validator
        .iter_errors(&request)
        .map(|e| FieldError {
            pointer: e.instance_path().as_str().to_owned(),
            message: e.to_string(),
            services: vec![service_id.clone()],
        })
        .collect();
    if !errors.is_empty() {
        return HttpResponse::UnprocessableEntity().json(json!({ "errors": errors }));
    }
    let mut state = sandbox.state.lock().unwrap_or_else(|e| e.into_inner());
    let answer_key = (service_id.clone(), key);
    if let Some(answer) = state.answers.get(&answer_key) {
        return HttpResponse::Ok().json(answer);
    }
    let sequence = state.next_act_record;
    state.next_act_record += 1;
    let answer = generate::outputs(service, &request, sequence);
    state.answers.insert(answer_key, answer.clone());
    *state.effects.entry(service_id).or_default() += 1;
    HttpResponse::Ok().json(answer)
}
