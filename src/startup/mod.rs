//! Building and running the application: definitions compiled, database migrated, registries
//! chosen (the in-process sandbox unless a URL is given), listener bound, dispatcher started.

use crate::applications::{Applications, Confirming};
use crate::bundle;
use crate::fanout::Dispatcher;
use crate::http::{self, AppState};
use crate::notify::Notifier;
use crate::registry::signature::Secrets;
use crate::sandbox::{Behaviours, SandboxOptions};
use crate::settings::Settings;
use crate::store::Store;
use actix_web::{App, HttpServer, dev::Server, web};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

mod background;
mod dispatch;
mod warnings;

use background::{flush_reads, purge_daily, remind};
use dispatch::dispatch_settings;

/// A built, not yet running, onestop server.
pub struct Application {
    port: u16,
    public_url: String,
    registries_url: String,
    server: Server,
    sandbox: Option<Server>,
    dispatcher: Dispatcher,
    store: Store,
    catalog: Arc<bundle::Catalog>,
    applications: Applications,
    /// How long personal data is kept when a bundle does not say.
    retention: jiff::Span,
    /// The receipts' secret (their check codes are kept at a purge).
    receipt_secret: String,
    /// How long requests and calls in flight may take to finish at a stop.
    grace: Duration,
}

/// Where registry calls go: the configured URL, or an in-process sandbox started here.
fn registries(
    settings: &Settings,
    catalog: &Arc<bundle::Catalog>,
) -> anyhow::Result<(String, Option<Server>)> {
    if let Some(url) = &settings.registries.url {
        return Ok((url.clone(), None));
    }
    let listener =
        TcpListener::bind("127.0.0.1:0").context("Failed to bind the in-process sandbox")?;
    let url = format!("http://{}", listener.local_addr()?);
    let options = sandbox_options(settings, None)?;
    let sandbox = crate::sandbox::serve(listener, catalog.clone(), options)?;
    Ok((url, Some(sandbox)))
}

impl Application {
    /// Compile definitions, connect the database, bind the listener (port 0 works).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let retention = settings.retention.span()?;
        let root = &settings.definitions.root;
        let catalog = bundle::compile(root)?;
        for warning in &catalog.warnings {
            tracing::warn!(%warning, "Definition warning (see onestop check)");
        }
        let store = connect(&settings).await?;
        let catalog = Arc::new(crate::applications::pin_versions(root, catalog, &store).await?);
        let (registries_url, sandbox) = registries(&settings, &catalog)?;
        let adapters =
            crate::registry::setup::adapters(&settings.registries, &catalog, &registries_url)?;
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
        warnings::announce(&settings, &store).await?;
        let dispatcher = Dispatcher::new(
            store.clone(),
            catalog.clone(),
            adapters,
            dispatch_settings(&settings, &public_url),
            Arc::new(crate::telemetry::Telemetry::new()),
        );
        let notifier = notifier(&settings, &registries_url, sandbox.is_some())?;
        let state = app_state(
            &settings,
            &catalog,
            &store,
            &dispatcher,
            &public_url,
            notifier,
        );
        let applications = state.applications.clone();
        let server = http_server(listener, state, &settings.server)?;
        Ok(Self {
            port: addr.port(),
            public_url,
            registries_url,
            server,
            sandbox,
            dispatcher,
            store,
            catalog,
            applications,
            retention,
            receipt_secret: settings.server.receipt_secret.clone(),
            grace: Duration::from_secs(settings.server.shutdown_grace_seconds),
        })
    }

    /// On a database without accounts, make the first admin, and while the in-process sandbox
    /// is the registry (the demo), a demo ward and CNAP with their staff; what was made, to
    /// print once. Against real registries no demo data is ever made.
    pub async fn first_run(&self) -> anyhow::Result<Option<crate::people::FirstRun>> {
        let demo = self.sandbox.is_some();
        crate::people::first_run(&self.store, &self.catalog, demo).await
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The database, for tools and tests that set up people beside the server.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn registries_url(&self) -> &str {
        &self.registries_url
    }

    /// Serve until the task is dropped (the tests' servers).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serve until `stop` completes (SIGTERM or Ctrl-C for `serve`), then stop cleanly: answer
    /// no new connection (`/readyz` says so meanwhile), claim nothing more, let requests and
    /// calls in flight finish within `server.shutdown_grace_seconds`, store every outcome and
    /// give back the claims still held, for another instance to take at once.
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let dispatcher = tokio::spawn(self.dispatcher.clone().run());
        let reads = tokio::spawn(flush_reads(self.applications.clone()));
        let retention = (self.retention, self.receipt_secret);
        let purges = tokio::spawn(purge_daily(self.catalog, self.store.clone(), retention));
        let index = tokio::spawn(self.applications.clone().index_earlier());
        let reminders = tokio::spawn(remind(self.applications));
        let sandbox = self.sandbox.map(tokio::spawn);
        let mut server = tokio::spawn(self.server);
        let served = tokio::select! {
            served = &mut server => Some(served),
            () = stop => None,
        };
        let result = match served {
            Some(served) => served,
            None => {
                tracing::info!("Stopping: no new requests or calls; those in flight may finish");
                let http = handle.stop(true);
                let stopped = self.dispatcher.stop(self.grace, http).await;
                match stopped {
                    Ok(s) => tracing::info!(
                        cut_off = s.cut_off,
                        released = s.released,
                        "Stopped; unfinished calls given back"
                    ),
                    Err(e) => {
                        tracing::error!(error = ?e, "Failed to give back the unfinished calls; they wait for their leases to end")
                    }
                }
                server.await
            }
        };
        dispatcher.abort();
        reminders.abort();
        reads.abort();
        purges.abort();
        index.abort();
        if let Some(sandbox) = sandbox {
            sandbox.abort();
        }
        result
            .context("The HTTP server task failed")?
            .context("The HTTP server failed")
    }
}

/// What every request handler shares.
fn app_state(
    settings: &Settings,
    catalog: &Arc<bundle::Catalog>,
    store: &Store,
    dispatcher: &Dispatcher,
    public_url: &str,
    (notifier, sms_outbox): (Notifier, Option<String>),
) -> AppState {
    let confirming = Confirming {
        notifier,
        public_url: public_url.to_owned(),
        code_key: settings.server.receipt_secret.clone(),
    };
    let applications = Applications::new(
        catalog.clone(),
        store.clone(),
        dispatcher,
        callback_secrets(settings),
        settings.registries.callback_window_seconds,
        confirming,
    );
    AppState {
        applications,
        catalog: catalog.clone(),
        store: store.clone(),
        public_url: public_url.to_owned(),
        receipt_secret: settings.server.receipt_secret.clone(),
        auth: settings.auth.clone(),
        sms_outbox,
        oidc: (settings.auth.oidc.clone()).and_then(|o| crate::oidc::Oidc::new(o, public_url).ok()),
        telemetry: dispatcher.telemetry(),
        metrics: settings.metrics.clone(),
        liveness: dispatcher.liveness(),
        contract: http::openapi::json(catalog),
    }
}

/// Open the database and bring its schema up to date, or with `database.migrate_on_start`
/// off, refuse one that is behind (its migrations are `onestop migrate`'s then).
async fn connect(settings: &Settings) -> anyhow::Result<Store> {
    let url = &settings.database.url;
    let opened = Store::open(url, settings.database.writers).await;
    let store = opened.with_context(|| format!("Failed to open the database {}", redact(url)))?;
    if settings.database.migrate_on_start {
        store
            .migrate()
            .await
            .context("Failed to migrate the database")?;
        return Ok(store);
    }
    let pending = store.pending_migrations().await?;
    if !pending.is_empty() {
        let versions: Vec<String> = pending.iter().map(i64::to_string).collect();
        anyhow::bail!(
            "Схема бази даних відстає: бракує міграцій {} — виконайте `onestop migrate` \
             (the database schema lacks migrations {}; run `onestop migrate`, or set \
             database.migrate_on_start = true)",
            versions.join(", "),
            versions.join(", ")
        );
    }
    Ok(store)
}

/// The notification channels: the configured SMS gateway, or with the in-process sandbox its
/// gateway (and where its messages are read, for the demo's pages).
fn notifier(
    settings: &Settings,
    registries_url: &str,
    in_process: bool,
) -> anyhow::Result<(Notifier, Option<String>)> {
    let sms = &settings.notifications.sms;
    let (url, outbox) = match (&sms.url, in_process) {
        (Some(url), _) => (url.clone(), None),
        (None, true) => (
            format!("{registries_url}/_sandbox/sms"),
            Some(format!("{registries_url}/_sandbox/messages")),
        ),
        (None, false) => {
            tracing::warn!(
                "No SMS gateway (notifications.sms.url): nobody can be sent a confirmation code"
            );
            return Ok((Notifier::default(), None));
        }
    };
    let gateway = crate::notify::SmsGateway::new(&url, sms.token.clone())?;
    Ok((Notifier::new(vec![Arc::new(gateway)]), outbox))
}

/// The HTTP server; it stops when `run_until` says, not on a signal of its own.
fn http_server(
    listener: TcpListener,
    state: AppState,
    settings: &crate::settings::ServerSettings,
) -> anyhow::Result<Server> {
    let max_body_bytes = settings.max_body_bytes;
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            // The id is given outside the span, so the span can carry it.
            .wrap(tracing_actix_web::TracingLogger::<http::request_id::Spans>::new())
            .wrap(actix_web::middleware::from_fn(http::request_id::assign))
            .app_data(state.clone())
            .configure(|cfg| http::configure(cfg, max_body_bytes))
    })
    .disable_signals()
    .shutdown_timeout(settings.shutdown_grace_seconds)
    .listen(listener)?
    .run();
    Ok(server)
}

/// The simulated registries' options: the misbehaviour file (`behaviour`, else the setting
/// `registries.sandbox_behaviour`) and the same callback secrets the server checks.
pub fn sandbox_options(
    settings: &Settings,
    behaviour: Option<&std::path::Path>,
) -> anyhow::Result<SandboxOptions> {
    let file = behaviour.or(settings.registries.sandbox_behaviour.as_deref());
    let behaviours = match file {
        Some(path) => Behaviours::from_file(path)?,
        None => Behaviours::default(),
    };
    Ok(SandboxOptions {
        behaviours,
        secrets: callback_secrets(settings),
        answer_log: None,
        tls: None,
    })
}

fn callback_secrets(settings: &Settings) -> Secrets {
    let r = &settings.registries;
    Secrets {
        default: r.callback_secret.clone(),
        per_registry: r
            .overrides
            .iter()
            .filter_map(|(name, o)| Some((name.clone(), o.callback_secret.clone()?)))
            .collect(),
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
