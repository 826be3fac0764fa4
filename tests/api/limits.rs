//! Per-registry limits: no more calls in flight to one registry than its `concurrency` setting,
//! while other registries go on in parallel. The fake registries here are a small actix server,
//! not wiremock: wiremock does not tell when it has finished answering, so it cannot count the
//! calls in flight.

use crate::helpers::{Db, every_birth_output, example, spawn_app_with};
use actix_web::{App, HttpResponse, HttpServer, web};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Slow registries that remember the most calls they ever had in flight at once, per registry.
#[derive(Default)]
struct Slow {
    civil_now: AtomicUsize,
    civil_max: AtomicUsize,
    tax_now: AtomicUsize,
    tax_max: AtomicUsize,
}

async fn answer(state: web::Data<Slow>, path: web::Path<(String, String)>) -> HttpResponse {
    let (registry, _) = path.into_inner();
    let (now, max) = match registry.as_str() {
        "civil-registry" => (&state.civil_now, &state.civil_max),
        _ => (&state.tax_now, &state.tax_max),
    };
    let in_flight = now.fetch_add(1, Ordering::SeqCst) + 1;
    max.fetch_max(in_flight, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    now.fetch_sub(1, Ordering::SeqCst);
    HttpResponse::Ok().json(every_birth_output())
}

on_both_databases!(a_registry_never_has_more_calls_in_flight_than_its_concurrency_limit);

async fn a_registry_never_has_more_calls_in_flight_than_its_concurrency_limit(db: Db) {
    let slow = web::Data::new(Slow::default());
    let url = serve_slow_registries(slow.clone());
    let app = spawn_app_with(db, |s| {
        s.registries.url = Some(url);
        s.registries.overrides.insert(
            "civil-registry".into(),
            onestop::settings::RegistryOverride {
                concurrency: Some(2),
                ..Default::default()
            },
        );
    })
    .await;
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(app.submit_ok("birth", &example("birth")).await);
    }
    for id in &ids {
        let done = app.wait_until_done(id).await;
        assert_eq!(done["status"], "completed", "{done:#}");
    }
    let civil = slow.civil_max.load(Ordering::SeqCst);
    let tax = slow.tax_max.load(Ordering::SeqCst);
    assert_eq!(
        civil, 2,
        "the civil registry's limit is 2 (and it was reached)"
    );
    assert!(tax > 2, "other registries are not held to it: {tax}");
}

/// Fake registries on a random port that answer every `POST /{registry}/{service}` as `answer`
/// does, with `slow` as its state. Their base URL.
fn serve_slow_registries(slow: web::Data<Slow>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(slow.clone())
            .route("/{registry}/{service}", web::post().to(answer))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    url
}
