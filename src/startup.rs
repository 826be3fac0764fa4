//! Building and running the application: definitions compiled, database migrated, registries
//! chosen (the in-process sandbox unless a URL is given), listener bound, dispatcher started.

use crate::bundle::{self, Catalog};
use crate::fanout::{DispatchSettings, Dispatcher};
use crate::http::{self, AppState};
use crate::registry::RegistryClient;
use crate::settings::Settings;
use crate::store::Store;
use actix_web::{App, HttpServer, dev::Server, web};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// A built, not yet running, onestop server.
pub struct Application {
    port: u16,
    public_url: String,
    registries_url: String,
    server: Server,
    sandbox: Option<Server>,
    dispatcher: Dispatcher,
}

impl Application {
    /// Compile definitions, connect the database, bind the listener (port 0 works).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let catalog = Arc::new(bundle::compile(&settings.definitions.root)?);
        for warning in &catalog.warnings {
            tracing::warn!(%warning, "Definition warning (see onestop check)");
        }
        let (registries_url, sandbox) = match &settings.registries.url {
            Some(url) => (url.clone(), None),
            None => {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .context("Failed to bind the in-process sandbox")?;
                let url = format!("http://{}", listener.local_addr()?);
                (url, Some(crate::sandbox::serve(listener, catalog.clone())?))
            }
        };
        let store = Store::connect(&settings.database.url)
            .await
            .with_context(|| {
                format!(
                    "Failed to open the database {}",
                    redact(&settings.database.url)
                )
            })?;
        let client = RegistryClient::new(
            &registries_url,
            Duration::from_millis(settings.registries.timeout_ms),
        )?;
        let dispatcher = Dispatcher::new(
            store.clone(),
            catalog.clone(),
            client,
            dispatch_settings(&settings),
        );
        let listener = TcpListener::bind(&settings.server.bind)
            .with_context(|| format!("Failed to bind {}", settings.server.bind))?;
        let addr = listener.local_addr()?;
        let public_url = settings
            .server
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned();
        let server = http_server(
            listener,
            catalog,
            store,
            &dispatcher,
            &public_url,
            settings.server.max_body_bytes,
        )?;
        Ok(Self {
            port: addr.port(),
            public_url,
            registries_url,
            server,
            sandbox,
            dispatcher,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn registries_url(&self) -> &str {
        &self.registries_url
    }

    /// Serve until the server stops (Ctrl-C, or the task is dropped).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let dispatcher = tokio::spawn(self.dispatcher.run());
        let sandbox = self.sandbox.map(tokio::spawn);
        let result = self.server.await;
        dispatcher.abort();
        if let Some(sandbox) = sandbox {
            sandbox.abort();
        }
        result.context("The HTTP server failed")
    }
}

fn http_server(
    listener: TcpListener,
    catalog: Arc<Catalog>,
    store: Store,
    dispatcher: &Dispatcher,
    public_url: &str,
    max_body_bytes: usize,
) -> anyhow::Result<Server> {
    let state = web::Data::new(AppState {
        catalog,
        store,
        wake_dispatcher: dispatcher.waker(),
        public_url: public_url.to_owned(),
    });
    let server = HttpServer::new(move || {
        App::new()
            .wrap(tracing_actix())
            .app_data(state.clone())
            .configure(|cfg| http::configure(cfg, max_body_bytes))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

fn tracing_actix() -> actix_web::middleware::Logger {
    actix_web::middleware::Logger::new("%r %s %Dms")
}

fn dispatch_settings(settings: &Settings) -> DispatchSettings {
    let d = &settings.dispatcher;
    DispatchSettings {
        poll_interval: Duration::from_millis(d.poll_interval_ms),
        concurrency: d.concurrency.max(1),
        lease: Duration::from_secs(d.lease_seconds),
        max_attempts: d.max_attempts.max(1),
        backoff_base: Duration::from_millis(d.backoff_base_ms),
        backoff_cap: Duration::from_millis(d.backoff_cap_ms),
    }
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
